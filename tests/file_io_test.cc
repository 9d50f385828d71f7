// File descriptors through the C API: open flags, read/write/pread/pwrite, lseek, truncate,
// sparse files, bad descriptors, and a 64 MiB file spread over every server.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "cluster.h"
#include "db_inspect.h"
#include "worker_pattern.h"

namespace sealfs::test {
namespace {

class FileIoTest : public ClusterTest {
 protected:
  // Opens path or fails the test.
  int Open(const std::string& path, int flags, mode_t mode = 0644) {
    const int fd = sealfs_open(client_, path.c_str(), flags, mode);
    EXPECT_GE(fd, 0) << "sealfs_open " << path << ": " << ErrName(fd);
    return fd;
  }
  // Reads `count` bytes at `offset` through pread; fails the test on error.
  std::string PRead(int fd, std::size_t count, off_t offset) {
    std::string buf(count, '\0');
    const ssize_t n = sealfs_pread(client_, fd, buf.data(), count, offset);
    EXPECT_GE(n, 0) << ErrName(n);
    buf.resize(static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
    return buf;
  }
  off_t Size(const std::string& path) {
    struct stat st {};
    EXPECT_OK(sealfs_stat(client_, path.c_str(), &st));
    return st.st_size;
  }
};

TEST_F(FileIoTest, CreateWriteReadClose) {
  const std::string data = "hello, sealfs\n";
  const int fd = Open("/hello", O_CREAT | O_RDWR);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(sealfs_write(client_, fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  EXPECT_EQ(sealfs_lseek(client_, fd, 0, SEEK_CUR), static_cast<off_t>(data.size()));
  EXPECT_EQ(sealfs_lseek(client_, fd, 0, SEEK_SET), 0);
  char buf[64] = {};
  EXPECT_EQ(sealfs_read(client_, fd, buf, sizeof(buf)), static_cast<ssize_t>(data.size()));
  EXPECT_EQ(std::string(buf, data.size()), data);
  EXPECT_EQ(sealfs_read(client_, fd, buf, sizeof(buf)), 0) << "read at end of file";
  EXPECT_OK(sealfs_fsync(client_, fd));
  EXPECT_OK(sealfs_close(client_, fd));
  EXPECT_EQ(ReadFile(client_, "/hello"), data);
  EXPECT_EQ(Size("/hello"), static_cast<off_t>(data.size()));
}

TEST_F(FileIoTest, CreatedFileAttributes) {
  sealfs_options options = TestOptions();
  options.uid = 4321;
  options.gid = 8765;
  options.umask = 027;
  sealfs_client* other = ConnectOrThrow(cluster_->manager_address(), &options);
  const int fd = sealfs_open(other, "/attrs", O_CREAT | O_WRONLY, 0666);
  ASSERT_GE(fd, 0) << ErrName(fd);
  struct stat fst {};
  ASSERT_OK(sealfs_fstat(other, fd, &fst));
  EXPECT_TRUE(S_ISREG(fst.st_mode));
  EXPECT_EQ(fst.st_mode & 07777, 0640U) << "mode 0666 with umask 027";
  EXPECT_EQ(fst.st_uid, 4321U);
  EXPECT_EQ(fst.st_gid, 8765U);
  EXPECT_EQ(fst.st_nlink, 1U);
  EXPECT_EQ(fst.st_size, 0);
  EXPECT_NE(fst.st_ino, 0U);
  struct stat st {};
  ASSERT_OK(sealfs_stat(client_, "/attrs", &st));
  EXPECT_EQ(st.st_ino, fst.st_ino) << "stat and fstat name the same inode";
  EXPECT_OK(sealfs_close(other, fd));
  sealfs_disconnect(other);
}

TEST_F(FileIoTest, OpenMissingWithoutCreatIsENOENT) {
  EXPECT_ERRNO(ENOENT, sealfs_open(client_, "/missing", O_RDONLY, 0));
  EXPECT_ERRNO(ENOENT, sealfs_open(client_, "/missing", O_RDWR, 0));
  EXPECT_ERRNO(ENOENT, sealfs_open(client_, "/no/such/dir/file", O_CREAT | O_RDWR, 0644));
}

TEST_F(FileIoTest, OpenCreatExclOnExistingIsEEXIST) {
  WriteFile(client_, "/excl", "data");
  EXPECT_ERRNO(EEXIST, sealfs_open(client_, "/excl", O_CREAT | O_EXCL | O_RDWR, 0644));
  // O_CREAT without O_EXCL opens the existing file and keeps its content.
  const int fd = Open("/excl", O_CREAT | O_RDWR);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(PRead(fd, 10, 0), "data");
  EXPECT_OK(sealfs_close(client_, fd));
  // O_CREAT|O_EXCL on a new name creates it.
  const int fd2 = Open("/excl2", O_CREAT | O_EXCL | O_WRONLY);
  ASSERT_GE(fd2, 0);
  EXPECT_OK(sealfs_close(client_, fd2));
  EXPECT_EQ(Size("/excl2"), 0);
  EXPECT_ERRNO(EEXIST, sealfs_open(client_, "/", O_CREAT | O_EXCL | O_RDWR, 0644));
}

TEST_F(FileIoTest, OpenTruncEmptiesTheFile) {
  WriteFile(client_, "/trunc", std::string(3 << 20, 'x'));  // over several chunks
  const int fd = Open("/trunc", O_RDWR | O_TRUNC);
  ASSERT_GE(fd, 0);
  struct stat st {};
  ASSERT_OK(sealfs_fstat(client_, fd, &st));
  EXPECT_EQ(st.st_size, 0);
  EXPECT_EQ(PRead(fd, 100, 0), "");
  // Growing it again must show zeros, not the old bytes.
  ASSERT_OK(sealfs_ftruncate(client_, fd, 2 << 20));
  EXPECT_EQ(PRead(fd, 2 << 20, 0), std::string(2 << 20, '\0'));
  EXPECT_OK(sealfs_close(client_, fd));
}

TEST_F(FileIoTest, OpenAppendWritesAtTheEnd) {
  WriteFile(client_, "/append", "0123");
  const int fd = Open("/append", O_WRONLY | O_APPEND);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(sealfs_lseek(client_, fd, 0, SEEK_SET), 0);
  EXPECT_EQ(sealfs_write(client_, fd, "ab", 2), 2);
  EXPECT_EQ(sealfs_lseek(client_, fd, 0, SEEK_CUR), 6) << "offset after an appending write";
  // Another client appends too; the next append goes after its bytes.
  sealfs_client* other = ConnectOrThrow(cluster_->manager_address());
  const int ofd = sealfs_open(other, "/append", O_WRONLY | O_APPEND, 0);
  ASSERT_GE(ofd, 0);
  EXPECT_EQ(sealfs_write(other, ofd, "XY", 2), 2);
  EXPECT_OK(sealfs_close(other, ofd));
  sealfs_disconnect(other);
  EXPECT_EQ(sealfs_write(client_, fd, "cd", 2), 2);
  EXPECT_OK(sealfs_close(client_, fd));
  EXPECT_EQ(ReadFile(client_, "/append"), "0123abXYcd");
}

TEST_F(FileIoTest, CreateThroughADanglingSymlinkCreatesItsTarget) {
  ASSERT_OK(sealfs_mkdir(client_, "/dir", 0755));
  ASSERT_OK(sealfs_symlink(client_, "/dir/made", "/absolute"));
  ASSERT_OK(sealfs_symlink(client_, "also-made", "/dir/relative"));
  ASSERT_OK(sealfs_symlink(client_, "/absolute", "/chained"));
  EXPECT_ERRNO(EEXIST, sealfs_open(client_, "/absolute", O_CREAT | O_EXCL | O_WRONLY, 0644));
  EXPECT_ERRNO(ENOENT, sealfs_open(client_, "/absolute", O_WRONLY, 0)) << "no O_CREAT";
  int fd = sealfs_open(client_, "/chained", O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0) << ErrName(fd);
  ASSERT_EQ(sealfs_write(client_, fd, "via links", 9), 9);
  EXPECT_OK(sealfs_close(client_, fd));
  EXPECT_EQ(ReadFile(client_, "/dir/made"), "via links");
  fd = sealfs_open(client_, "/dir/relative", O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0) << ErrName(fd);
  EXPECT_OK(sealfs_close(client_, fd));
  struct stat st {};
  EXPECT_OK(sealfs_stat(client_, "/dir/also-made", &st)) << "relative to the link's directory";
  EXPECT_OK(sealfs_lstat(client_, "/dir/relative", &st));
  EXPECT_TRUE(S_ISLNK(st.st_mode)) << "the link itself stays a link";
}

// fallocate against a model: the bytes and size a local file shows after the same calls.
TEST_F(FileIoTest, FallocateModesMatchALocalFile) {
  const std::string local_path = cluster_->root() + "/local-fallocate";
  const int local = ::open(local_path.c_str(), O_CREAT | O_RDWR | O_TRUNC, 0644);
  ASSERT_GE(local, 0);
  const int fd = sealfs_open(client_, "/fallocate", O_CREAT | O_RDWR, 0644);
  ASSERT_GE(fd, 0) << ErrName(fd);
  struct stat st {};
  ASSERT_OK(sealfs_fstat(client_, fd, &st));
  const auto chunk = static_cast<off_t>(st.st_blksize);
  // Three and a half chunks of non-zero bytes, in both.
  std::string data(static_cast<std::size_t>(chunk * 7 / 2), '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 23);
  ASSERT_EQ(sealfs_pwrite(client_, fd, data.data(), data.size(), 0),
            static_cast<ssize_t>(data.size()));
  ASSERT_EQ(::pwrite(local, data.data(), data.size(), 0), static_cast<ssize_t>(data.size()));
  struct Call {
    int mode;
    off_t offset;
    off_t length;
  };
  const Call calls[] = {
      {FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, chunk / 2, chunk * 2},  // edges and a whole
      {FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 10, 20},                // inside one chunk
      {FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, chunk * 3, chunk * 4},  // past the end
      {FALLOC_FL_ZERO_RANGE, chunk * 3 + 5, chunk},                        // grows the size
      {FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, chunk * 4, chunk * 2},
      {FALLOC_FL_KEEP_SIZE, chunk * 10, chunk},  // nothing changes
      {0, 0, 100},                               // within the size
      {0, chunk * 5, 3},                         // extends it
  };
  for (const Call& call : calls) {
    SCOPED_TRACE("mode " + std::to_string(call.mode) + " at " + std::to_string(call.offset) +
                 " + " + std::to_string(call.length));
    ASSERT_OK(sealfs_fallocate(client_, fd, call.mode, call.offset, call.length));
    ASSERT_EQ(::fallocate(local, call.mode, call.offset, call.length), 0) << strerror(errno);
    struct stat local_st {};
    ASSERT_EQ(::fstat(local, &local_st), 0);
    ASSERT_OK(sealfs_fstat(client_, fd, &st));
    ASSERT_EQ(st.st_size, local_st.st_size);
    std::string ours(static_cast<std::size_t>(st.st_size), 'x');
    std::string theirs(ours.size(), 'y');
    ASSERT_EQ(sealfs_pread(client_, fd, ours.data(), ours.size(), 0), st.st_size);
    ASSERT_EQ(::pread(local, theirs.data(), theirs.size(), 0), local_st.st_size);
    ASSERT_TRUE(ours == theirs) << "the bytes differ from the local file's";
  }
  EXPECT_ERRNO(EOPNOTSUPP, sealfs_fallocate(client_, fd, FALLOC_FL_PUNCH_HOLE, 0, 1))
      << "a hole needs KEEP_SIZE";
  EXPECT_ERRNO(EOPNOTSUPP, sealfs_fallocate(client_, fd, FALLOC_FL_COLLAPSE_RANGE, 0, chunk));
  EXPECT_ERRNO(EINVAL, sealfs_fallocate(client_, fd, 0, -1, 1));
  EXPECT_ERRNO(EINVAL, sealfs_fallocate(client_, fd, 0, 0, 0));
  EXPECT_ERRNO(EBADF, sealfs_fallocate(client_, 999, 0, 0, 1));
  EXPECT_OK(sealfs_close(client_, fd));
  const int read_only = sealfs_open(client_, "/fallocate", O_RDONLY, 0);
  EXPECT_ERRNO(EBADF, sealfs_fallocate(client_, read_only, 0, 0, 1));
  EXPECT_OK(sealfs_close(client_, read_only));
  ::close(local);
}

TEST_F(FileIoTest, TooManyOpenFilesIsEMFILE) {
  sealfs_options options = TestOptions();
  options.max_open_files = 4;
  sealfs_client* small = ConnectOrThrow(cluster_->manager_address(), &options);
  WriteFile(small, "/f", "x");
  std::vector<int> fds;
  for (int i = 0; i < 4; ++i) fds.push_back(sealfs_open(small, "/f", O_RDONLY, 0));
  EXPECT_EQ(fds, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_ERRNO(EMFILE, sealfs_open(small, "/f", O_RDONLY, 0));
  EXPECT_ERRNO(EMFILE, sealfs_open(small, "/g", O_CREAT | O_WRONLY, 0644));
  EXPECT_OK(sealfs_close(small, fds[2]));
  EXPECT_EQ(sealfs_open(small, "/f", O_RDONLY, 0), 2) << "a closed descriptor is free again";
  sealfs_disconnect(small);
  options.max_open_files = 0;
  sealfs_client* invalid = nullptr;
  EXPECT_ERRNO(EINVAL, sealfs_connect(cluster_->manager_address().c_str(), &options, &invalid));
}

TEST_F(FileIoTest, AccessModesAreEnforced) {
  WriteFile(client_, "/modes", "abcdef");
  char buf[8];
  const int ro = Open("/modes", O_RDONLY);
  ASSERT_GE(ro, 0);
  EXPECT_ERRNO(EBADF, sealfs_write(client_, ro, "x", 1)) << "write on O_RDONLY";
  EXPECT_ERRNO(EBADF, sealfs_pwrite(client_, ro, "x", 1, 0)) << "pwrite on O_RDONLY";
  EXPECT_ERRNO(EINVAL, sealfs_ftruncate(client_, ro, 0)) << "ftruncate on O_RDONLY";
  EXPECT_EQ(sealfs_read(client_, ro, buf, 3), 3);
  EXPECT_OK(sealfs_close(client_, ro));

  const int wo = Open("/modes", O_WRONLY);
  ASSERT_GE(wo, 0);
  EXPECT_ERRNO(EBADF, sealfs_read(client_, wo, buf, 3)) << "read on O_WRONLY";
  EXPECT_ERRNO(EBADF, sealfs_pread(client_, wo, buf, 3, 0)) << "pread on O_WRONLY";
  EXPECT_EQ(sealfs_write(client_, wo, "XY", 2), 2);
  EXPECT_OK(sealfs_close(client_, wo));

  const int rw = Open("/modes", O_RDWR);
  ASSERT_GE(rw, 0);
  EXPECT_EQ(sealfs_pwrite(client_, rw, "Z", 1, 5), 1);
  EXPECT_EQ(PRead(rw, 16, 0), "XYcdeZ");
  EXPECT_OK(sealfs_close(client_, rw));
  EXPECT_EQ(ReadFile(client_, "/modes"), "XYcdeZ") << "nothing written through O_RDONLY";
}

TEST_F(FileIoTest, DirectoriesAndNonDirectoriesInPaths) {
  ASSERT_OK(sealfs_mkdir(client_, "/dir", 0755));
  WriteFile(client_, "/file", "x");
  EXPECT_ERRNO(EISDIR, sealfs_open(client_, "/dir", O_WRONLY, 0));
  EXPECT_ERRNO(EISDIR, sealfs_open(client_, "/dir", O_RDWR, 0));
  EXPECT_ERRNO(EISDIR, sealfs_open(client_, "/dir", O_CREAT | O_WRONLY, 0644));
  const int dfd = sealfs_open(client_, "/dir", O_RDONLY, 0);
  if (dfd >= 0) {
    char buf[4];
    EXPECT_ERRNO(EISDIR, sealfs_read(client_, dfd, buf, sizeof(buf)));
    EXPECT_OK(sealfs_close(client_, dfd));
  } else {
    ADD_FAILURE() << "open(dir, O_RDONLY) should succeed as POSIX: " << ErrName(dfd);
  }
  EXPECT_ERRNO(ENOTDIR, sealfs_open(client_, "/file", O_RDONLY | O_DIRECTORY, 0));
  EXPECT_ERRNO(ENOTDIR, sealfs_open(client_, "/file/x", O_RDONLY, 0));
  EXPECT_ERRNO(ENOTDIR, sealfs_open(client_, "/file/x", O_CREAT | O_RDWR, 0644));
  const int ok = sealfs_open(client_, "/dir", O_RDONLY | O_DIRECTORY, 0);
  EXPECT_GE(ok, 0) << ErrName(ok);
  if (ok >= 0) {
    EXPECT_OK(sealfs_close(client_, ok));
  }
}

TEST_F(FileIoTest, InvalidPaths) {
  EXPECT_ERRNO(EINVAL, sealfs_open(client_, "relative", O_CREAT | O_RDWR, 0644));
  const std::string long_name = "/" + std::string(256, 'n');
  EXPECT_ERRNO(ENAMETOOLONG, sealfs_open(client_, long_name.c_str(), O_CREAT | O_RDWR, 0644));
  const std::string ok_name = "/" + std::string(255, 'n');
  const int fd = sealfs_open(client_, ok_name.c_str(), O_CREAT | O_RDWR, 0644);
  EXPECT_GE(fd, 0) << "a 255-byte name is allowed: " << ErrName(fd);
  if (fd >= 0) {
    EXPECT_OK(sealfs_close(client_, fd));
  }
  std::string long_path;
  while (long_path.size() <= 4096) long_path += "/" + std::string(100, 'p');
  EXPECT_ERRNO(ENAMETOOLONG, sealfs_open(client_, long_path.c_str(), O_CREAT | O_RDWR, 0644));
}

TEST_F(FileIoTest, NoFollowOnSymlinkIsELOOP) {
  WriteFile(client_, "/target", "t");
  ASSERT_OK(sealfs_symlink(client_, "/target", "/link"));
  EXPECT_ERRNO(ELOOP, sealfs_open(client_, "/link", O_RDONLY | O_NOFOLLOW, 0));
  const int fd = Open("/link", O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(PRead(fd, 4, 0), "t");
  EXPECT_OK(sealfs_close(client_, fd));
}

TEST_F(FileIoTest, BadDescriptorsAreEBADF) {
  char buf[4];
  struct stat st {};
  for (const int fd : {-1, 12345}) {
    SCOPED_TRACE("fd " + std::to_string(fd));
    EXPECT_ERRNO(EBADF, sealfs_close(client_, fd));
    EXPECT_ERRNO(EBADF, sealfs_read(client_, fd, buf, sizeof(buf)));
    EXPECT_ERRNO(EBADF, sealfs_write(client_, fd, buf, sizeof(buf)));
    EXPECT_ERRNO(EBADF, sealfs_pread(client_, fd, buf, sizeof(buf), 0));
    EXPECT_ERRNO(EBADF, sealfs_pwrite(client_, fd, buf, sizeof(buf), 0));
    EXPECT_ERRNO(EBADF, sealfs_lseek(client_, fd, 0, SEEK_SET));
    EXPECT_ERRNO(EBADF, sealfs_fsync(client_, fd));
    EXPECT_ERRNO(EBADF, sealfs_ftruncate(client_, fd, 0));
    EXPECT_ERRNO(EBADF, sealfs_fstat(client_, fd, &st));
  }
  const int fd = Open("/closed", O_CREAT | O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_OK(sealfs_close(client_, fd));
  EXPECT_ERRNO(EBADF, sealfs_close(client_, fd)) << "double close";
  EXPECT_ERRNO(EBADF, sealfs_read(client_, fd, buf, sizeof(buf))) << "read after close";
  EXPECT_ERRNO(EBADF, sealfs_fstat(client_, fd, &st)) << "fstat after close";
}

TEST_F(FileIoTest, LseekSetCurEnd) {
  WriteFile(client_, "/seek", "0123456789");
  const int fd = Open("/seek", O_RDWR);
  ASSERT_GE(fd, 0);
  char c = 0;
  EXPECT_EQ(sealfs_lseek(client_, fd, 3, SEEK_SET), 3);
  ASSERT_EQ(sealfs_read(client_, fd, &c, 1), 1);
  EXPECT_EQ(c, '3');
  EXPECT_EQ(sealfs_lseek(client_, fd, 2, SEEK_CUR), 6);
  ASSERT_EQ(sealfs_read(client_, fd, &c, 1), 1);
  EXPECT_EQ(c, '6');
  EXPECT_EQ(sealfs_lseek(client_, fd, -1, SEEK_CUR), 6);
  EXPECT_EQ(sealfs_lseek(client_, fd, -2, SEEK_END), 8);
  ASSERT_EQ(sealfs_read(client_, fd, &c, 1), 1);
  EXPECT_EQ(c, '8');
  EXPECT_EQ(sealfs_lseek(client_, fd, 0, SEEK_END), 10);
  EXPECT_ERRNO(EINVAL, sealfs_lseek(client_, fd, -11, SEEK_END)) << "negative result";
  EXPECT_ERRNO(EINVAL, sealfs_lseek(client_, fd, -1, SEEK_SET)) << "negative result";
  EXPECT_ERRNO(EINVAL, sealfs_lseek(client_, fd, 0, 12345)) << "bad whence";
  EXPECT_EQ(sealfs_lseek(client_, fd, 0, SEEK_CUR), 10) << "a failed lseek moves nothing";
  // Seeking past the end and writing leaves a hole of zeros.
  EXPECT_EQ(sealfs_lseek(client_, fd, 20, SEEK_SET), 20);
  EXPECT_EQ(sealfs_read(client_, fd, &c, 1), 0) << "read beyond end of file";
  EXPECT_EQ(sealfs_write(client_, fd, "Z", 1), 1);
  EXPECT_OK(sealfs_close(client_, fd));
  EXPECT_EQ(ReadFile(client_, "/seek"), std::string("0123456789") + std::string(10, '\0') + "Z");
}

TEST_F(FileIoTest, PreadPwriteDoNotMoveTheOffset) {
  const int fd = Open("/p", O_CREAT | O_RDWR);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(sealfs_write(client_, fd, "abc", 3), 3);
  EXPECT_EQ(sealfs_pwrite(client_, fd, "XYZ", 3, 10), 3);
  EXPECT_EQ(sealfs_lseek(client_, fd, 0, SEEK_CUR), 3);
  EXPECT_EQ(PRead(fd, 100, 0), std::string("abc") + std::string(7, '\0') + "XYZ");
  EXPECT_EQ(PRead(fd, 2, 11), "YZ");
  EXPECT_EQ(PRead(fd, 5, 13), "") << "pread at end of file";
  EXPECT_EQ(PRead(fd, 5, 1000), "") << "pread beyond end of file";
  EXPECT_EQ(sealfs_lseek(client_, fd, 0, SEEK_CUR), 3);
  char buf[4];
  EXPECT_ERRNO(EINVAL, sealfs_pread(client_, fd, buf, 1, -1));
  EXPECT_ERRNO(EINVAL, sealfs_pwrite(client_, fd, "x", 1, -1));
  EXPECT_OK(sealfs_close(client_, fd));
}

TEST_F(FileIoTest, TruncateGrowsAndShrinks) {
  const std::string data(3 * 1024 * 1024 + 17, 'a');  // spans four chunks of 1 MiB
  WriteFile(client_, "/t", data);
  // Shrink by path into the middle of a chunk.
  ASSERT_OK(sealfs_truncate(client_, "/t", 1500000));
  EXPECT_EQ(Size("/t"), 1500000);
  EXPECT_EQ(ReadFile(client_, "/t"), data.substr(0, 1500000));
  // Grow by path: the new bytes are zeros, not the bytes cut before.
  ASSERT_OK(sealfs_truncate(client_, "/t", 3000000));
  EXPECT_EQ(ReadFile(client_, "/t"), data.substr(0, 1500000) + std::string(1500000, '\0'));
  // Shrink and grow through a descriptor.
  const int fd = Open("/t", O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_OK(sealfs_ftruncate(client_, fd, 10));
  struct stat st {};
  ASSERT_OK(sealfs_fstat(client_, fd, &st));
  EXPECT_EQ(st.st_size, 10);
  ASSERT_OK(sealfs_ftruncate(client_, fd, 2000000));
  EXPECT_EQ(PRead(fd, 3000000, 0), std::string(10, 'a') + std::string(2000000 - 10, '\0'));
  ASSERT_OK(sealfs_ftruncate(client_, fd, 0));
  EXPECT_EQ(PRead(fd, 10, 0), "");
  EXPECT_ERRNO(EINVAL, sealfs_ftruncate(client_, fd, -1));
  EXPECT_OK(sealfs_close(client_, fd));
  EXPECT_ERRNO(EINVAL, sealfs_truncate(client_, "/t", -1));
  EXPECT_ERRNO(ENOENT, sealfs_truncate(client_, "/missing", 0));
  ASSERT_OK(sealfs_mkdir(client_, "/d", 0755));
  EXPECT_ERRNO(EISDIR, sealfs_truncate(client_, "/d", 0));
}

TEST_F(FileIoTest, SparseFileReadsZeros) {
  const int fd = Open("/sparse", O_CREAT | O_RDWR);
  ASSERT_GE(fd, 0);
  const off_t far = (5 << 20) + 123;  // several chunks past the start
  ASSERT_EQ(sealfs_pwrite(client_, fd, "end", 3, far), 3);
  ASSERT_EQ(sealfs_pwrite(client_, fd, "mid", 3, 2 << 20), 3);
  struct stat st {};
  ASSERT_OK(sealfs_fstat(client_, fd, &st));
  EXPECT_EQ(st.st_size, far + 3);
  std::string expected(static_cast<std::size_t>(far + 3), '\0');
  expected.replace(2 << 20, 3, "mid");
  expected.replace(static_cast<std::size_t>(far), 3, "end");
  EXPECT_TRUE(PRead(fd, expected.size() + 100, 0) == expected) << "holes must read as zeros";
  EXPECT_EQ(PRead(fd, 10, 1 << 20), std::string(10, '\0'));
  EXPECT_OK(sealfs_close(client_, fd));
}

TEST_F(FileIoTest, TwoDescriptorsAndTwoClientsSeeTheSameBytes) {
  const int a = Open("/shared", O_CREAT | O_RDWR);
  const int b = Open("/shared", O_RDWR);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  EXPECT_NE(a, b);
  ASSERT_EQ(sealfs_pwrite(client_, a, "first", 5, 0), 5);
  EXPECT_EQ(PRead(b, 10, 0), "first");
  EXPECT_EQ(sealfs_lseek(client_, b, 0, SEEK_CUR), 0) << "each descriptor has its own offset";
  ASSERT_EQ(sealfs_pwrite(client_, b, "SECOND", 6, 5), 6);
  EXPECT_OK(sealfs_close(client_, a));
  EXPECT_OK(sealfs_close(client_, b));
  sealfs_client* other = ConnectOrThrow(cluster_->manager_address());
  EXPECT_EQ(ReadFile(other, "/shared"), "firstSECOND");
  sealfs_disconnect(other);
}

// A read sees every change of the size that ended before it began, whichever descriptor or
// client made it, also the first read of a descriptor opened before the change.
TEST_F(FileIoTest, AReadSeesEverySizeChangeThatEndedBeforeIt) {
  WriteFile(client_, "/f", "0123456789");
  int reader = Open("/f", O_RDONLY);
  ASSERT_EQ(sealfs_truncate(client_, "/f", 4), 0);
  EXPECT_EQ(PRead(reader, 16, 0), "0123") << "a truncation by path after the open";
  EXPECT_OK(sealfs_close(client_, reader));

  reader = Open("/f", O_RDONLY);
  const int writer = Open("/f", O_WRONLY);
  ASSERT_EQ(sealfs_pwrite(client_, writer, "456789", 6, 4), 6);
  EXPECT_EQ(PRead(reader, 16, 0), "0123456789") << "a write through another descriptor";
  EXPECT_OK(sealfs_close(client_, writer));
  EXPECT_OK(sealfs_close(client_, reader));

  sealfs_client* other = ConnectOrThrow(cluster_->manager_address());
  reader = Open("/f", O_RDONLY);
  WriteFile(other, "/f", "a good deal longer than before");
  EXPECT_EQ(PRead(reader, 64, 0), "a good deal longer than before")
      << "another client's write after the open";
  ASSERT_EQ(sealfs_truncate(other, "/f", 3), 0);
  EXPECT_EQ(PRead(reader, 64, 0), "a g") << "and its truncation";
  EXPECT_OK(sealfs_close(client_, reader));
  sealfs_disconnect(other);
}

TEST_F(FileIoTest, WritesUpdateMtimeAndSize) {
  const int fd = Open("/mtime", O_CREAT | O_RDWR);
  ASSERT_GE(fd, 0);
  struct timespec old_times[2] = {{1000, 0}, {1000, 0}};
  ASSERT_OK(sealfs_utimens(client_, "/mtime", old_times));
  ASSERT_EQ(sealfs_write(client_, fd, "abc", 3), 3);
  EXPECT_OK(sealfs_close(client_, fd));
  struct stat st {};
  ASSERT_OK(sealfs_stat(client_, "/mtime", &st));
  EXPECT_EQ(st.st_size, 3);
  EXPECT_GT(st.st_mtime, 1000) << "a write sets the modification time";
}

TEST_F(FileIoTest, SyncOpenAndFsync) {
  const int fd = Open("/sync", O_CREAT | O_WRONLY | O_SYNC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(sealfs_write(client_, fd, "durable", 7), 7);
  EXPECT_OK(sealfs_fsync(client_, fd));
  EXPECT_OK(sealfs_close(client_, fd));
  EXPECT_EQ(ReadFile(client_, "/sync"), "durable");
}

// fsx-style: random writes, reads, truncates and seeks on one file with small chunks, each read
// checked against an in-memory model.
class SmallChunkTest : public FileIoTest {
 protected:
  sealfs_options GetClientOptions() override {
    sealfs_options options = TestOptions();
    options.chunk_size = 64 * 1024;
    return options;
  }
  void RunRandomOperations();
};

// SmallChunkTest with the client's writes kept and sent together (write-behind).
class WriteBehindSmallChunkTest : public SmallChunkTest {
 protected:
  sealfs_options GetClientOptions() override {
    sealfs_options options = SmallChunkTest::GetClientOptions();
    options.write_behind = 1;
    return options;
  }
};

TEST_F(SmallChunkTest, RandomOperationsMatchAModel) { RunRandomOperations(); }
TEST_F(WriteBehindSmallChunkTest, RandomOperationsMatchAModel) { RunRandomOperations(); }

void SmallChunkTest::RunRandomOperations() {
  const uint64_t seed = TestSeed();
  std::mt19937_64 rng(seed);
  const int fd = Open("/fsx", O_CREAT | O_RDWR);
  ASSERT_GE(fd, 0);
  std::string model;
  off_t offset = 0;
  constexpr std::size_t kMaxSize = 1 << 20;
  for (int step = 0; step < 400; ++step) {
    const int op = static_cast<int>(rng() % 6);
    const std::size_t at = rng() % kMaxSize;
    const std::size_t len = 1 + rng() % (200 * 1024);
    SCOPED_TRACE("seed " + std::to_string(seed) + " step " + std::to_string(step) + " op " +
                 std::to_string(op) + " at " + std::to_string(at) + " len " + std::to_string(len));
    if (op == 0 || op == 1) {  // pwrite
      const std::string data = RandomBytes(rng, len);
      ASSERT_EQ(sealfs_pwrite(client_, fd, data.data(), len, static_cast<off_t>(at)),
                static_cast<ssize_t>(len));
      if (model.size() < at + len) model.resize(at + len, '\0');
      model.replace(at, len, data);
    } else if (op == 2) {  // pread
      const std::string got = PRead(fd, len, static_cast<off_t>(at));
      const std::string want = at >= model.size() ? "" : model.substr(at, len);
      ASSERT_EQ(got.size(), want.size());
      ASSERT_TRUE(got == want) << "pread content differs from the model";
    } else if (op == 3) {  // ftruncate
      const std::size_t size = rng() % kMaxSize;
      ASSERT_OK(sealfs_ftruncate(client_, fd, static_cast<off_t>(size)));
      model.resize(size, '\0');
    } else if (op == 4) {  // lseek + write
      const std::string data = RandomBytes(rng, len % 5000 + 1);
      ASSERT_EQ(sealfs_lseek(client_, fd, static_cast<off_t>(at), SEEK_SET),
                static_cast<off_t>(at));
      ASSERT_EQ(sealfs_write(client_, fd, data.data(), data.size()),
                static_cast<ssize_t>(data.size()));
      if (model.size() < at + data.size()) model.resize(at + data.size(), '\0');
      model.replace(at, data.size(), data);
      offset = static_cast<off_t>(at + data.size());
      ASSERT_EQ(sealfs_lseek(client_, fd, 0, SEEK_CUR), offset);
    } else {  // fstat
      struct stat st {};
      ASSERT_OK(sealfs_fstat(client_, fd, &st));
      ASSERT_EQ(st.st_size, static_cast<off_t>(model.size()));
    }
  }
  EXPECT_TRUE(PRead(fd, kMaxSize * 2, 0) == model) << "final content differs, seed " << seed;
  EXPECT_OK(sealfs_close(client_, fd));
  Reconnect();
  EXPECT_TRUE(ReadFile(client_, "/fsx") == model) << "content seen by a new client, seed " << seed;
}

// A client that keeps its writes and sends them together (sealfs_options.write_behind).
class FileIoWriteBehindTest : public FileIoTest {
 protected:
  sealfs_options GetClientOptions() override {
    sealfs_options options = TestOptions();
    options.write_behind = 1;
    return options;
  }
};

// The writer sees its writes at once (bytes, size, through another descriptor, after a
// truncate, with an append); another client sees them within moments, and all of them once the
// writer's close returns.
TEST_F(FileIoWriteBehindTest, TheWriterSeesItsWritesAtOnceAndOthersOnceSent) {
  sealfs_client* other = ConnectOrThrow(cluster_->manager_address());
  const int fd = Open("/records", O_CREAT | O_WRONLY);
  std::string model;
  for (int i = 0; i < 2000; ++i) {
    const std::string record = "record " + std::to_string(i) + "\n";
    ASSERT_EQ(sealfs_write(client_, fd, record.data(), record.size()),
              static_cast<ssize_t>(record.size()));
    model += record;
  }
  EXPECT_EQ(Size("/records"), static_cast<off_t>(model.size())) << "the writer's stat";
  const int reader = Open("/records", O_RDONLY);
  EXPECT_TRUE(PRead(reader, model.size() + 10, 0) == model) << "the writer's read";
  EXPECT_OK(sealfs_close(client_, reader));

  std::string seen;
  for (int i = 0; i < 200 && seen != model; ++i) {
    seen = ReadFile(other, "/records");
    if (seen != model) usleep(50 * 1000);
  }
  EXPECT_TRUE(seen == model) << "another client saw " << seen.size() << " of " << model.size()
                             << " bytes 10 s after the last write";

  ASSERT_EQ(sealfs_pwrite(client_, fd, "XY", 2, 3), 2);
  ASSERT_OK(sealfs_ftruncate(client_, fd, 5));
  const int appender = Open("/records", O_WRONLY | O_APPEND);
  ASSERT_EQ(sealfs_pwrite(client_, fd, "tail", 4, 5), 4);
  ASSERT_EQ(sealfs_write(client_, appender, "+end", 4), 4) << "appends after the kept write";
  EXPECT_OK(sealfs_close(client_, appender));
  EXPECT_OK(sealfs_close(client_, fd));
  EXPECT_EQ(ReadFile(other, "/records"), "recXYtail+end") << "another client after the close";
  sealfs_disconnect(other);
}

// A kept write that fails on its way (here the file was removed by another client meanwhile)
// is reported once, by the next fsync or close of the file, as a kernel reports writeback.
TEST_F(FileIoWriteBehindTest, AKeptWriteThatFailedIsReportedByFsyncOrClose) {
  sealfs_client* other = ConnectOrThrow(cluster_->manager_address());
  for (const bool by_fsync : {true, false}) {
    SCOPED_TRACE(by_fsync ? "fsync" : "close");
    const int fd = Open("/doomed", O_CREAT | O_WRONLY);
    ASSERT_OK(sealfs_unlink(other, "/doomed"));
    ASSERT_EQ(sealfs_write(client_, fd, "lost", 4), 4) << "kept, not sent yet";
    if (by_fsync) {
      EXPECT_ERRNO(ENOENT, sealfs_fsync(client_, fd));
      EXPECT_OK(sealfs_fsync(client_, fd)) << "reported once";
      EXPECT_OK(sealfs_close(client_, fd));
    } else {
      EXPECT_ERRNO(ENOENT, sealfs_close(client_, fd));
      EXPECT_ERRNO(EBADF, sealfs_close(client_, fd)) << "closed even so";
    }
  }
  sealfs_disconnect(other);
}

// Writes kept for a file reach the servers before this client removes or replaces it.
TEST_F(FileIoWriteBehindTest, RenameAndUnlinkCarryTheKeptWrites) {
  const int fd = Open("/draft", O_CREAT | O_WRONLY);
  ASSERT_EQ(sealfs_write(client_, fd, "final words", 11), 11);
  ASSERT_OK(sealfs_rename(client_, "/draft", "/final"));
  sealfs_client* other = ConnectOrThrow(cluster_->manager_address());
  EXPECT_EQ(ReadFile(other, "/final"), "final words") << "before the writer's close";
  ASSERT_EQ(sealfs_write(client_, fd, " and more", 9), 9);
  ASSERT_OK(sealfs_unlink(client_, "/final"));
  EXPECT_OK(sealfs_close(client_, fd)) << "nothing failed: sent before the unlink";
  sealfs_disconnect(other);
}

// An unlinked file's chunks go from every copy: a small file's by one DELETE_CHUNK to each
// chunk's head, a file of more chunks by a TRUNCATE_CHUNKS to every server.
TEST_F(FileIoTest, AnUnlinkedFileLeavesNoChunkOnAnyServer) {
  constexpr std::size_t kChunk = 64 << 10;
  sealfs_options options = TestOptions();
  options.chunk_size = kChunk;
  sealfs_client* client = ConnectOrThrow(cluster_->manager_address(), &options);
  std::vector<uint64_t> inos;
  for (const std::size_t chunks : {1, 3, 20}) {
    const std::string path = "/gone" + std::to_string(chunks);
    const int fd = sealfs_open(client, path.c_str(), O_CREAT | O_RDWR, 0644);
    ASSERT_GE(fd, 0) << ErrName(fd);
    const std::string data = WorkerPattern(7, static_cast<int>(chunks), chunks * kChunk - 10);
    ASSERT_EQ(sealfs_pwrite(client, fd, data.data(), data.size(), 0),
              static_cast<ssize_t>(data.size()));
    struct stat st {};
    ASSERT_OK(sealfs_fstat(client, fd, &st));
    inos.push_back(st.st_ino);
    ASSERT_OK(sealfs_close(client, fd));
    ASSERT_OK(sealfs_unlink(client, path.c_str()));
  }
  sealfs_disconnect(client);
  cluster_->StopAll();
  for (int i = 0; i < cluster_->num_servers(); ++i) {
    for (const uint64_t ino : inos) {
      std::string error;
      const auto chunks = ChunkKeysOf(cluster_->server_data_dir(i) + "/db", ino, &error);
      EXPECT_EQ(error, "");
      EXPECT_TRUE(chunks.empty()) << "server" << i << " kept " << chunks.size() << " chunks of "
                                  << ino;
    }
  }
}

TEST_F(FileIoTest, LargeFileAtRandomOffsetsIsSpreadOverEveryServer) {
  constexpr std::size_t kSize = 64 << 20;
  constexpr std::size_t kChunk = 1 << 20;
  const uint64_t seed = TestSeed();
  std::mt19937_64 rng(seed);
  sealfs_options options = TestOptions();
  options.chunk_size = kChunk;
  sealfs_client* client = ConnectOrThrow(cluster_->manager_address(), &options);
  const int fd = sealfs_open(client, "/big", O_CREAT | O_RDWR, 0644);
  ASSERT_GE(fd, 0) << ErrName(fd);

  std::string model(kSize, '\0');
  // Every 256 KiB block once, in random order, so that the file is dense; then overlapping
  // writes of random length at random offsets.
  constexpr std::size_t kBlock = 256 << 10;
  std::vector<std::size_t> blocks(kSize / kBlock);
  std::iota(blocks.begin(), blocks.end(), 0);
  std::shuffle(blocks.begin(), blocks.end(), rng);
  for (const std::size_t b : blocks) {
    const std::string data = RandomBytes(rng, kBlock);
    ASSERT_EQ(sealfs_pwrite(client, fd, data.data(), kBlock, static_cast<off_t>(b * kBlock)),
              static_cast<ssize_t>(kBlock))
        << "seed " << seed;
    model.replace(b * kBlock, kBlock, data);
  }
  for (int i = 0; i < 200; ++i) {
    const std::size_t len = 1 + rng() % (3 * kChunk);
    const std::size_t at = rng() % (kSize - len);
    const std::string data = RandomBytes(rng, len);
    ASSERT_EQ(sealfs_pwrite(client, fd, data.data(), len, static_cast<off_t>(at)),
              static_cast<ssize_t>(len))
        << "seed " << seed;
    model.replace(at, len, data);
  }
  ASSERT_OK(sealfs_fsync(client, fd));
  struct stat st {};
  ASSERT_OK(sealfs_fstat(client, fd, &st));
  EXPECT_EQ(st.st_size, static_cast<off_t>(kSize));
  const uint64_t ino = st.st_ino;
  ASSERT_OK(sealfs_close(client, fd));
  sealfs_disconnect(client);

  // Read back through a new client, in pieces of odd sizes, byte for byte.
  client = ConnectOrThrow(cluster_->manager_address());
  const int rfd = sealfs_open(client, "/big", O_RDONLY, 0);
  ASSERT_GE(rfd, 0) << ErrName(rfd);
  std::string back;
  back.reserve(kSize);
  std::string buf(3 * kChunk + 4097, '\0');
  for (;;) {
    const ssize_t n = sealfs_read(client, rfd, buf.data(), buf.size());
    ASSERT_GE(n, 0) << ErrName(n);
    if (n == 0) break;
    back.append(buf.data(), static_cast<std::size_t>(n));
  }
  EXPECT_OK(sealfs_close(client, rfd));
  sealfs_disconnect(client);
  ASSERT_EQ(back.size(), kSize);
  const auto mismatch = std::mismatch(back.begin(), back.end(), model.begin());
  EXPECT_TRUE(mismatch.first == back.end())
      << "first differing byte at " << (mismatch.first - back.begin()) << ", seed " << seed;

  // Every server holds some of its chunks, and together they hold all 64, each once per copy.
  cluster_->StopAll();
  std::map<uint64_t, int> all;
  for (int i = 0; i < cluster_->num_servers(); ++i) {
    std::string error;
    const auto chunks = ChunkKeysOf(cluster_->server_data_dir(i) + "/db", ino, &error);
    EXPECT_EQ(error, "") << "server" << i;
    EXPECT_GT(chunks.size(), 0U) << "server" << i << " holds no chunk of the 64 MiB file";
    std::cout << "server" << i << " holds " << chunks.size() << " chunks of ino " << ino << "\n";
    for (const auto& [index, count] : chunks) all[index] += count;
  }
  EXPECT_EQ(all.size(), kSize / kChunk) << "distinct chunk indexes over all servers";
  for (const auto& [index, count] : all) {
    EXPECT_LT(index, kSize / kChunk);
    EXPECT_EQ(count, 3) << "chunk " << index << " stored " << count << " times, not 3";
  }
}

}  // namespace
}  // namespace sealfs::test
