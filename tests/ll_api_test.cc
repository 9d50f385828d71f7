// The inode-level API of sealfs_ll.h, as the FUSE mount uses it: each call, its errors, and that
// what it does is what the path API then sees.
#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <ctime>
#include <set>
#include <string>
#include <utility>

#include "cluster.h"
#include "sealfs/sealfs_ll.h"

namespace sealfs::test {
namespace {

class LlApiTest : public ClusterTest {
 protected:
  struct stat Lookup(uint64_t parent, const char* name) {
    struct stat st {};
    EXPECT_OK(sealfs_ll_lookup(client_, parent, name, &st)) << name;
    return st;
  }
  struct stat PathStat(const char* path) {
    struct stat st {};
    EXPECT_OK(sealfs_lstat(client_, path, &st)) << path;
    return st;
  }
};

TEST_F(LlApiTest, CreateLookupAndGetattrAgreeWithPaths) {
  struct stat root {};
  ASSERT_OK(sealfs_ll_getattr(client_, SEALFS_ROOT_INO, &root));
  EXPECT_TRUE(S_ISDIR(root.st_mode));
  EXPECT_EQ(root.st_ino, PathStat("/").st_ino);

  struct stat dir {};
  ASSERT_OK(sealfs_ll_create(client_, SEALFS_ROOT_INO, "dir", S_IFDIR | 0750, 0, 1234, 5678, &dir));
  EXPECT_EQ(dir.st_mode, static_cast<mode_t>(S_IFDIR | 0750)) << "no umask applied";
  EXPECT_EQ(dir.st_uid, 1234U);
  EXPECT_EQ(dir.st_gid, 5678U);
  EXPECT_EQ(dir.st_ino, PathStat("/dir").st_ino);
  EXPECT_EQ(PathStat("/").st_nlink, 3U) << "the new directory's .. counts";

  struct stat file {};
  ASSERT_OK(sealfs_ll_create(client_, dir.st_ino, "file", S_IFREG | 0604, 0, 1, 2, &file));
  struct stat fifo {};
  ASSERT_OK(sealfs_ll_create(client_, dir.st_ino, "fifo", S_IFIFO | 0600, 0, 1, 2, &fifo));
  struct stat dev {};
  ASSERT_OK(sealfs_ll_create(client_, dir.st_ino, "dev", S_IFBLK | 0600, 0x0803, 0, 0, &dev));
  struct stat link {};
  ASSERT_OK(sealfs_ll_symlink(client_, "file", dir.st_ino, "link", 1, 2, &link));
  EXPECT_TRUE(S_ISLNK(link.st_mode));
  EXPECT_EQ(link.st_size, 4);

  EXPECT_EQ(Lookup(dir.st_ino, "file").st_ino, file.st_ino);
  EXPECT_EQ(Lookup(dir.st_ino, "file").st_mode, static_cast<mode_t>(S_IFREG | 0604));
  EXPECT_TRUE(S_ISFIFO(PathStat("/dir/fifo").st_mode));
  EXPECT_EQ(PathStat("/dir/dev").st_rdev, 0x0803U);
  EXPECT_EQ(PathStat("/dir/link").st_ino, link.st_ino);
  char target[16];
  ASSERT_EQ(sealfs_ll_readlink(client_, link.st_ino, target, sizeof(target)), 4);
  EXPECT_EQ(std::string(target, 4), "file");
  EXPECT_ERRNO(EINVAL, sealfs_ll_readlink(client_, file.st_ino, target, sizeof(target)));

  struct stat st {};
  EXPECT_ERRNO(ENOENT, sealfs_ll_lookup(client_, dir.st_ino, "missing", &st));
  EXPECT_ERRNO(EEXIST, sealfs_ll_create(client_, dir.st_ino, "file", S_IFREG | 0600, 0, 0, 0, &st));
  EXPECT_ERRNO(EINVAL, sealfs_ll_create(client_, dir.st_ino, "l", S_IFLNK | 0777, 0, 0, 0, &st));
  EXPECT_ERRNO(EINVAL, sealfs_ll_create(client_, dir.st_ino, "..", S_IFREG | 0600, 0, 0, 0, &st));
  EXPECT_ERRNO(ENAMETOOLONG,
               sealfs_ll_lookup(client_, dir.st_ino, std::string(256, 'n').c_str(), &st));
  EXPECT_ERRNO(ENOENT, sealfs_ll_getattr(client_, 0x7777777777ULL, &st)) << "no such inode";
}

TEST_F(LlApiTest, SetattrChangesOnlyWhatIsAsked) {
  WriteFile(client_, "/f", "0123456789");
  const struct stat before = PathStat("/f");
  struct stat values {};
  values.st_mode = 0640;
  values.st_uid = 77;
  struct stat after {};
  ASSERT_OK(
      sealfs_ll_setattr(client_, before.st_ino, &values, SEALFS_SET_MODE | SEALFS_SET_UID, &after));
  EXPECT_EQ(after.st_mode, static_cast<mode_t>(S_IFREG | 0640));
  EXPECT_EQ(after.st_uid, 77U);
  EXPECT_EQ(after.st_gid, before.st_gid);
  EXPECT_EQ(after.st_size, 10);
  values.st_size = 4;
  ASSERT_OK(sealfs_ll_setattr(client_, before.st_ino, &values, SEALFS_SET_SIZE, &after));
  EXPECT_EQ(after.st_size, 4);
  EXPECT_EQ(ReadFile(client_, "/f"), "0123");
  values.st_size = 6;
  ASSERT_OK(sealfs_ll_setattr(client_, before.st_ino, &values, SEALFS_SET_SIZE, nullptr));
  EXPECT_EQ(ReadFile(client_, "/f"), std::string("0123\0\0", 6)) << "extended with zeros";
  values.st_atim = {4102444800, 123456789};  // 2100-01-01: past 2038
  values.st_mtim = {1000, 1};
  ASSERT_OK(sealfs_ll_setattr(client_, before.st_ino, &values, SEALFS_SET_ATIME | SEALFS_SET_MTIME,
                              &after));
  EXPECT_EQ(after.st_atim.tv_sec, 4102444800);
  EXPECT_EQ(after.st_atim.tv_nsec, 123456789);
  EXPECT_EQ(after.st_mtim.tv_sec, 1000);
  EXPECT_EQ(after.st_mtim.tv_nsec, 1);
  EXPECT_GE(after.st_ctim.tv_sec, before.st_ctim.tv_sec) << "ctime moves to now";
  values.st_mtim.tv_nsec = 1000000000;
  EXPECT_ERRNO(EINVAL,
               sealfs_ll_setattr(client_, before.st_ino, &values, SEALFS_SET_MTIME, &after));
  ASSERT_OK(sealfs_mkdir(client_, "/d", 0755));
  values.st_size = 0;
  EXPECT_ERRNO(EINVAL,
               sealfs_ll_setattr(client_, PathStat("/d").st_ino, &values, SEALFS_SET_SIZE, &after));
}

TEST_F(LlApiTest, OpenReadWriteThroughDescriptors) {
  struct stat file {};
  ASSERT_OK(sealfs_ll_create(client_, SEALFS_ROOT_INO, "data", S_IFREG | 0600, 0, 0, 0, &file));
  int fd = sealfs_ll_open(client_, file.st_ino, O_WRONLY);
  ASSERT_GE(fd, 0) << ErrName(fd);
  ASSERT_EQ(sealfs_pwrite(client_, fd, "hello world", 11, 0), 11);
  EXPECT_OK(sealfs_close(client_, fd));
  EXPECT_EQ(ReadFile(client_, "/data"), "hello world");
  fd = sealfs_ll_open(client_, file.st_ino, O_RDWR | O_TRUNC);
  ASSERT_GE(fd, 0) << ErrName(fd);
  char buf[16];
  EXPECT_EQ(sealfs_read(client_, fd, buf, sizeof(buf)), 0) << "O_TRUNC emptied it";
  EXPECT_OK(sealfs_close(client_, fd));
  EXPECT_ERRNO(EISDIR, sealfs_ll_open(client_, SEALFS_ROOT_INO, O_WRONLY));
  EXPECT_ERRNO(EINVAL, sealfs_ll_open(client_, file.st_ino, O_ACCMODE));
}

// FUSE's CREATE: a new file, open at once with the flags given, whose attributes are those a
// lookup then gives; an existing name or a bad access mode creates and opens nothing.
TEST_F(LlApiTest, CreateOpenMakesAFileAndOpensIt) {
  struct stat made {};
  const int fd = sealfs_ll_create_open(client_, SEALFS_ROOT_INO, "new", 0640, 12, 34,
                                       O_RDWR | O_CREAT | O_EXCL, &made);
  ASSERT_GE(fd, 0) << ErrName(fd);
  const struct stat found = Lookup(SEALFS_ROOT_INO, "new");
  EXPECT_EQ(made.st_ino, found.st_ino);
  EXPECT_EQ(made.st_mode, static_cast<mode_t>(S_IFREG | 0640));
  EXPECT_EQ(found.st_uid, 12U);
  EXPECT_EQ(found.st_gid, 34U);
  ASSERT_EQ(sealfs_pwrite(client_, fd, "written", 7, 0), 7);
  char buf[16] = {};
  EXPECT_EQ(sealfs_pread(client_, fd, buf, sizeof(buf), 0), 7) << "opened for reading too";
  EXPECT_OK(sealfs_close(client_, fd));
  sealfs_client* other = ConnectOrThrow(cluster_->manager_address());
  EXPECT_EQ(ReadFile(other, "/new"), "written");
  sealfs_disconnect(other);

  EXPECT_ERRNO(EEXIST, sealfs_ll_create_open(client_, SEALFS_ROOT_INO, "new", 0644, 0, 0, O_WRONLY,
                                             nullptr));
  EXPECT_ERRNO(EINVAL, sealfs_ll_create_open(client_, SEALFS_ROOT_INO, "bad", 0644, 0, 0, O_ACCMODE,
                                             nullptr));
  EXPECT_ERRNO(ENOENT, sealfs_ll_lookup(client_, SEALFS_ROOT_INO, "bad", &made));
}

// An open by inode right after a lookup takes what it needs from the lookup, but never the size:
// a file another client rewrote and closed in between reads whole.
TEST_F(LlApiTest, AnOpenAfterALookupReadsWhatAnotherClientWroteInBetween) {
  WriteFile(client_, "/f", "short");
  const uint64_t ino = Lookup(SEALFS_ROOT_INO, "f").st_ino;
  sealfs_client* other = ConnectOrThrow(cluster_->manager_address());
  WriteFile(other, "/f", "a good deal longer");
  sealfs_disconnect(other);
  const int fd = sealfs_ll_open(client_, ino, O_RDONLY);
  ASSERT_GE(fd, 0) << ErrName(fd);
  char buf[64] = {};
  EXPECT_EQ(sealfs_read(client_, fd, buf, sizeof(buf)), 18);
  EXPECT_EQ(std::string(buf), "a good deal longer");
  EXPECT_OK(sealfs_close(client_, fd));

  WriteFile(client_, "/g", "");
  const uint64_t empty = Lookup(SEALFS_ROOT_INO, "g").st_ino;
  other = ConnectOrThrow(cluster_->manager_address());
  WriteFile(other, "/g", "filled by another client");
  sealfs_disconnect(other);
  const int truncating = sealfs_ll_open(client_, empty, O_WRONLY | O_TRUNC);
  ASSERT_GE(truncating, 0) << ErrName(truncating);
  EXPECT_OK(sealfs_close(client_, truncating));
  EXPECT_EQ(ReadFile(client_, "/g"), "") << "O_TRUNC empties what the lookup saw as empty";
}

TEST_F(LlApiTest, LinkRenameUnlinkRmdir) {
  struct stat a {};
  struct stat b {};
  ASSERT_OK(sealfs_ll_create(client_, SEALFS_ROOT_INO, "a", S_IFDIR | 0755, 0, 0, 0, &a));
  ASSERT_OK(sealfs_ll_create(client_, SEALFS_ROOT_INO, "b", S_IFDIR | 0755, 0, 0, 0, &b));
  WriteFile(client_, "/a/f", "content");
  const struct stat f = PathStat("/a/f");
  struct stat linked {};
  ASSERT_OK(sealfs_ll_link(client_, f.st_ino, b.st_ino, "g", &linked));
  EXPECT_EQ(linked.st_nlink, 2U);
  EXPECT_EQ(ReadFile(client_, "/b/g"), "content");
  EXPECT_ERRNO(EPERM, sealfs_ll_link(client_, a.st_ino, b.st_ino, "dirlink", &linked));
  EXPECT_ERRNO(EEXIST, sealfs_ll_link(client_, f.st_ino, b.st_ino, "g", &linked));
  EXPECT_EQ(PathStat("/a/f").st_nlink, 2U) << "a failed link leaves the count";

  ASSERT_OK(sealfs_ll_rename(client_, a.st_ino, "f", b.st_ino, "moved", 0));
  EXPECT_EQ(PathStat("/b/moved").st_ino, f.st_ino);
  EXPECT_ERRNO(
      EEXIST, sealfs_ll_rename(client_, b.st_ino, "moved", b.st_ino, "g", SEALFS_RENAME_NOREPLACE));
  ASSERT_OK(sealfs_ll_rename(client_, SEALFS_ROOT_INO, "a", SEALFS_ROOT_INO, "b",
                             SEALFS_RENAME_EXCHANGE));
  EXPECT_EQ(PathStat("/a").st_ino, b.st_ino);
  EXPECT_EQ(PathStat("/b").st_ino, a.st_ino);

  EXPECT_ERRNO(ENOTEMPTY, sealfs_ll_rmdir(client_, SEALFS_ROOT_INO, "a"));
  EXPECT_ERRNO(EISDIR, sealfs_ll_unlink(client_, SEALFS_ROOT_INO, "a"));
  EXPECT_ERRNO(ENOTDIR, sealfs_ll_rmdir(client_, b.st_ino, "g"));
  ASSERT_OK(sealfs_ll_unlink(client_, b.st_ino, "g"));
  EXPECT_EQ(PathStat("/a/moved").st_nlink, 1U);
  ASSERT_OK(sealfs_ll_unlink(client_, b.st_ino, "moved"));
  ASSERT_OK(sealfs_ll_rmdir(client_, SEALFS_ROOT_INO, "a"));
  EXPECT_ERRNO(ENOENT, sealfs_ll_rmdir(client_, SEALFS_ROOT_INO, "a"));
  EXPECT_ERRNO(EINVAL, sealfs_ll_rmdir(client_, SEALFS_ROOT_INO, "."));
  EXPECT_EQ(ListDir(client_, "/").size(), 3U) << ". .. b";
}

TEST_F(LlApiTest, DirectoriesAndXattrsByInode) {
  struct stat dir {};
  ASSERT_OK(sealfs_ll_create(client_, SEALFS_ROOT_INO, "d", S_IFDIR | 0755, 0, 0, 0, &dir));
  for (const char* name : {"x", "y", "z"}) WriteFile(client_, std::string("/d/") + name, name);
  sealfs_dir* stream = nullptr;
  ASSERT_OK(sealfs_ll_opendir(client_, dir.st_ino, &stream));
  struct dirent entry {};
  std::string names;
  int rc = 0;
  while ((rc = sealfs_readdir(client_, stream, &entry)) == 1)
    names += std::string(entry.d_name) + " ";
  EXPECT_EQ(rc, 0);
  EXPECT_OK(sealfs_closedir(client_, stream));
  EXPECT_EQ(names.size(), std::string(". .. x y z ").size()) << names;
  const struct stat x = PathStat("/d/x");
  EXPECT_ERRNO(ENOTDIR, sealfs_ll_opendir(client_, x.st_ino, &stream));

  ASSERT_OK(sealfs_ll_setxattr(client_, x.st_ino, "user.k", "v1", 2, 0));
  EXPECT_ERRNO(EEXIST, sealfs_ll_setxattr(client_, x.st_ino, "user.k", "v2", 2, XATTR_CREATE));
  char value[8];
  EXPECT_EQ(sealfs_ll_getxattr(client_, x.st_ino, "user.k", nullptr, 0), 2);
  ASSERT_EQ(sealfs_ll_getxattr(client_, x.st_ino, "user.k", value, sizeof(value)), 2);
  EXPECT_EQ(std::string(value, 2), "v1");
  EXPECT_ERRNO(ERANGE, sealfs_ll_getxattr(client_, x.st_ino, "user.k", value, 1));
  EXPECT_EQ(sealfs_getxattr(client_, "/d/x", "user.k", value, sizeof(value)), 2) << "by path too";
  char list[32];
  ASSERT_EQ(sealfs_ll_listxattr(client_, x.st_ino, list, sizeof(list)), 7);
  EXPECT_EQ(std::string(list, 7), std::string("user.k\0", 7));
  ASSERT_OK(sealfs_ll_removexattr(client_, x.st_ino, "user.k"));
  EXPECT_ERRNO(ENODATA, sealfs_ll_getxattr(client_, x.st_ino, "user.k", value, sizeof(value)));
}

// The attributes of a directory are kept by the client for its directory cache time (the FUSE
// kernel asks for them after every create in it): this client's own changes show at once,
// another client's within that time.
TEST_F(LlApiTest, ADirectorysAttributesShowThisClientsChangesAtOnce) {
  struct stat dir {};
  ASSERT_OK(sealfs_ll_create(client_, SEALFS_ROOT_INO, "d", S_IFDIR | 0755, 0, 0, 0, &dir));
  struct stat before {};
  ASSERT_OK(sealfs_ll_getattr(client_, dir.st_ino, &before));
  auto after = [&] {
    struct stat st {};
    EXPECT_OK(sealfs_ll_getattr(client_, dir.st_ino, &st));
    return st;
  };
  auto later = [](const struct stat& a, const struct stat& b) {
    return std::pair(a.st_mtim.tv_sec, a.st_mtim.tv_nsec) >
           std::pair(b.st_mtim.tv_sec, b.st_mtim.tv_nsec);
  };
  usleep(20000);
  struct stat file {};
  ASSERT_OK(sealfs_ll_create(client_, dir.st_ino, "f", S_IFREG | 0644, 0, 0, 0, &file));
  EXPECT_TRUE(later(after(), before)) << "a create moves the directory's mtime";
  const struct stat created = after();
  usleep(20000);
  ASSERT_OK(sealfs_ll_unlink(client_, dir.st_ino, "f"));
  EXPECT_TRUE(later(after(), created)) << "an unlink moves it";
  ASSERT_OK(sealfs_ll_create(client_, dir.st_ino, "sub", S_IFDIR | 0755, 0, 0, 0, &file));
  EXPECT_EQ(after().st_nlink, before.st_nlink + 1) << "a subdirectory's link";
  struct stat mode {};
  mode.st_mode = 0700;
  ASSERT_OK(sealfs_ll_setattr(client_, dir.st_ino, &mode, SEALFS_SET_MODE, nullptr));
  EXPECT_EQ(after().st_mode & 07777, 0700U);

  sealfs_client* other = ConnectOrThrow(cluster_->manager_address());
  ASSERT_OK(sealfs_chmod(other, "/d", 0711));
  sealfs_disconnect(other);
  usleep(1100 * 1000);  // the default directory cache time, 1 s
  EXPECT_EQ(after().st_mode & 07777, 0711U) << "another client's change, once the time is over";
}

// security.capability, which FUSE's kernel asks for before every write to a file: the answer is
// kept for dir_cache_ms (read with every server paused), this client's changes show at once,
// another client's once that time is over.
TEST_F(LlApiTest, AFilesCapabilityIsKeptForTheDirectoryCacheTime) {
  WriteFile(client_, "/f", "x");
  const uint64_t ino = PathStat("/f").st_ino;
  char value[64];
  EXPECT_ERRNO(ENODATA, sealfs_ll_getxattr(client_, ino, "security.capability", value, 64));
  for (int i = 0; i < cluster_->num_servers(); ++i) cluster_->PauseServer(i);
  EXPECT_ERRNO(ENODATA, sealfs_ll_getxattr(client_, ino, "security.capability", value, 64))
      << "answered with every server paused";
  for (int i = 0; i < cluster_->num_servers(); ++i) cluster_->ResumeServer(i);

  ASSERT_OK(sealfs_ll_setxattr(client_, ino, "security.capability", "cap1", 4, 0));
  ASSERT_EQ(sealfs_ll_getxattr(client_, ino, "security.capability", value, 64), 4);
  EXPECT_EQ(std::string(value, 4), "cap1") << "this client's change, at once";
  sealfs_client* other = ConnectOrThrow(cluster_->manager_address());
  ASSERT_OK(sealfs_removexattr(other, "/f", "security.capability"));
  sealfs_disconnect(other);
  usleep(1100 * 1000);  // the default directory cache time, 1 s
  EXPECT_ERRNO(ENODATA, sealfs_ll_getxattr(client_, ino, "security.capability", value, 64))
      << "another client's change, once the time is over";
  ASSERT_OK(sealfs_ll_setxattr(client_, ino, "security.capability", "cap2", 4, 0));
  ASSERT_OK(sealfs_ll_removexattr(client_, ino, "security.capability"));
  EXPECT_ERRNO(ENODATA, sealfs_ll_getxattr(client_, ino, "security.capability", value, 64))
      << "this client's removal, at once";
}

// relatime, as the FUSE mount reads: the first read of a file written since its atime moves
// that atime, seen by another client; a file whose atime is newer and less than a day old keeps
// it; a client without the option never moves it.
TEST_F(LlApiTest, RelatimeMovesAtimeOnTheFirstReadOnlyWhenItIsOlderThanAChange) {
  WriteFile(client_, "/f", "some bytes");
  const uint64_t ino = PathStat("/f").st_ino;
  struct stat times {};
  times.st_atim = {1000, 0};  // older than mtime and ctime
  ASSERT_OK(sealfs_ll_setattr(client_, ino, &times, SEALFS_SET_ATIME, nullptr));
  auto read_through = [&](sealfs_client* client) {
    const int fd = sealfs_ll_open(client, ino, O_RDONLY);
    EXPECT_GE(fd, 0) << ErrName(fd);
    char buf[32];
    EXPECT_EQ(sealfs_read(client, fd, buf, sizeof(buf)), 10);
    EXPECT_EQ(sealfs_read(client, fd, buf, sizeof(buf)), 0);
    EXPECT_OK(sealfs_close(client, fd));
  };
  auto atime = [&] {
    struct stat st {};
    EXPECT_OK(sealfs_stat(client_, "/f", &st));
    return st.st_atim.tv_sec;
  };

  read_through(client_);
  EXPECT_EQ(atime(), 1000) << "reads leave atime alone by default";

  sealfs_options options;
  sealfs_options_init(&options);
  options.relatime = 1;
  sealfs_client* reader = ConnectOrThrow(cluster_->manager_address(), &options);
  const time_t before = time(nullptr);
  read_through(reader);
  EXPECT_GE(atime(), before) << "the first read moved it to now";

  const struct stat moved = PathStat("/f");
  times.st_atim = {moved.st_ctim.tv_sec + 3600, 0};  // newer than any change, not a day old
  times.st_ctim = moved.st_ctim;
  ASSERT_OK(sealfs_ll_setattr(client_, ino, &times, SEALFS_SET_ATIME | SEALFS_SET_CTIME, nullptr));
  read_through(reader);
  EXPECT_EQ(atime(), moved.st_ctim.tv_sec + 3600) << "a newer atime stays";
  sealfs_disconnect(reader);
}

// readdirplus, as the FUSE mount lists a directory: every name made in the directory comes with
// the attributes its writer sees, to another client too; "." and ".." come without.
TEST_F(LlApiTest, ReaddirplusGivesEachNameItsAttributes) {
  struct stat dir {};
  ASSERT_OK(sealfs_ll_create(client_, SEALFS_ROOT_INO, "d", S_IFDIR | 0755, 0, 0, 0, &dir));
  WriteFile(client_, "/d/x", "xxx");
  WriteFile(client_, "/d/y", "yyyyy");
  ASSERT_OK(sealfs_mkdir(client_, "/d/s", 0700));
  WriteFile(client_, "/d/s/inner", "i");  // moves /d/s's times
  ASSERT_OK(sealfs_mkdir(client_, "/o", 0755));
  WriteFile(client_, "/o/f", "renamed in");
  ASSERT_OK(sealfs_rename(client_, "/o/f", "/d/m"));  // its inode may stay on another server

  sealfs_client* other = ConnectOrThrow(cluster_->manager_address());
  sealfs_dir* stream = nullptr;
  ASSERT_OK(sealfs_ll_opendirplus(other, dir.st_ino, &stream));
  struct dirent entry {};
  struct stat attr {};
  std::set<std::string> with_attrs;
  std::set<std::string> names;
  int rc = 0;
  while ((rc = sealfs_ll_readdirplus(other, stream, &entry, &attr)) == 1) {
    const std::string name = entry.d_name;
    names.insert(name);
    if (attr.st_ino == 0) continue;
    with_attrs.insert(name);
    const struct stat seen = PathStat(("/d/" + name).c_str());
    EXPECT_EQ(attr.st_ino, entry.d_ino) << name;
    EXPECT_EQ(attr.st_ino, seen.st_ino) << name;
    EXPECT_EQ(attr.st_mode, seen.st_mode) << name;
    EXPECT_EQ(attr.st_size, seen.st_size) << name;
    EXPECT_EQ(attr.st_nlink, seen.st_nlink) << name;
    EXPECT_EQ(attr.st_mtim.tv_sec, seen.st_mtim.tv_sec) << name;
    EXPECT_EQ(attr.st_mtim.tv_nsec, seen.st_mtim.tv_nsec) << name;
  }
  EXPECT_EQ(rc, 0);
  EXPECT_OK(sealfs_closedir(other, stream));
  EXPECT_EQ(names, (std::set<std::string>{".", "..", "x", "y", "s", "m"}));
  EXPECT_TRUE(with_attrs.contains("x") && with_attrs.contains("y") && with_attrs.contains("s"));
  EXPECT_FALSE(with_attrs.contains(".") || with_attrs.contains(".."));
  sealfs_disconnect(other);
}

}  // namespace
}  // namespace sealfs::test
