// The C++ face (sealfs.hpp) against a real cluster: RAII, range-for over a directory, errors as
// std::system_error carrying the errno.
#include <fcntl.h>
#include <sys/xattr.h>

#include <set>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

#include "cluster.h"
#include "sealfs/sealfs.hpp"

namespace sealfs::test {
namespace {

static_assert(!std::is_copy_constructible_v<sealfs::Client>);
static_assert(std::is_nothrow_move_constructible_v<sealfs::Client>);
static_assert(!std::is_copy_constructible_v<sealfs::File>);
static_assert(std::is_nothrow_move_constructible_v<sealfs::File>);
static_assert(!std::is_copy_constructible_v<sealfs::Directory>);
static_assert(std::input_iterator<sealfs::Directory::iterator>);

// The errno carried by the std::system_error that `f` throws; 0 when it throws nothing.
template <typename F>
int ThrownErrno(F f, std::string* what = nullptr) {
  try {
    f();
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().category(), std::generic_category());
    if (what != nullptr) *what = e.what();
    return e.code().value();
  }
  return 0;
}

class CppFaceTest : public ClusterTest {};

TEST_F(CppFaceTest, FilesDirectoriesAndErrors) {
  sealfs::Client fs = sealfs::Client::connect(cluster_->manager_address());
  fs.mkdir("/d", 0755);
  {
    sealfs::File f = fs.open("/d/file", O_CREAT | O_RDWR, 0644);
    EXPECT_TRUE(f.is_open());
    EXPECT_EQ(f.write("hello world"), 11U);
    EXPECT_EQ(f.seek(6, SEEK_SET), 6);
    char buf[16] = {};
    EXPECT_EQ(f.read(buf, sizeof(buf)), 5U);
    EXPECT_EQ(std::string(buf, 5), "world");
    EXPECT_EQ(f.pwrite("HELLO", 5, 0), 5U);
    EXPECT_EQ(f.pread(buf, 5, 0), 5U);
    EXPECT_EQ(std::string(buf, 5), "HELLO");
    f.sync();
    EXPECT_EQ(f.stat().st_size, 11);
    f.allocate(0, 0, 8);
    EXPECT_EQ(f.stat().st_size, 11) << "within the size: unchanged";
    f.truncate(5);
    EXPECT_EQ(f.stat().st_size, 5);
    sealfs::File moved = std::move(f);
    EXPECT_FALSE(f.is_open());  // NOLINT(bugprone-use-after-move): checking the moved-from state
    EXPECT_TRUE(moved.is_open());
  }  // closed here
  EXPECT_EQ(ReadFile(fs.get(), "/d/file"), "HELLO");

  fs.symlink("/d/file", "/d/link");
  EXPECT_EQ(fs.readlink("/d/link"), "/d/file");
  EXPECT_TRUE(S_ISLNK(fs.lstat("/d/link").st_mode));
  EXPECT_TRUE(S_ISREG(fs.stat("/d/link").st_mode));
  fs.link("/d/file", "/d/hard");
  EXPECT_EQ(fs.stat("/d/file").st_nlink, 2U);
  fs.mkdir("/d/sub");

  std::set<std::string> names;
  for (const sealfs::DirEntry& e : fs.list("/d")) {
    EXPECT_TRUE(names.insert(e.name).second) << e.name << " listed twice";
    if (e.name == "sub") {
      EXPECT_EQ(e.type, static_cast<unsigned>(DT_DIR));
    }
    if (e.name == "file") {
      EXPECT_EQ(e.ino, fs.stat("/d/file").st_ino);
    }
  }
  EXPECT_EQ(names, (std::set<std::string>{".", "..", "file", "link", "hard", "sub"}));

  fs.setxattr("/d/file", "user.a", std::string("v\0w", 3));
  fs.setxattr("/d/file", "user.b", "");
  EXPECT_EQ(fs.getxattr("/d/file", "user.a"), std::string("v\0w", 3));
  EXPECT_EQ(fs.getxattr("/d/file", "user.b"), "");
  const auto xattrs = fs.listxattr("/d/file");
  EXPECT_EQ(std::set<std::string>(xattrs.begin(), xattrs.end()),
            (std::set<std::string>{"user.a", "user.b"}));
  fs.removexattr("/d/file", "user.b");
  EXPECT_EQ(fs.listxattr("/d/file"), std::vector<std::string>{"user.a"});

  fs.chmod("/d/file", 0600);
  fs.chown("/d/file", 5, 6);
  const struct timespec times[2] = {{100, 0}, {200, 0}};
  fs.utimens("/d/file", times);
  const struct stat st = fs.stat("/d/file");
  EXPECT_EQ(st.st_mode & 07777, 0600U);
  EXPECT_EQ(st.st_uid, 5U);
  EXPECT_EQ(st.st_mtime, 200);
  fs.access("/d/file", F_OK);
  EXPECT_GT(fs.statvfs().f_blocks, 0U);
  fs.mknod("/d/fifo", S_IFIFO | 0600);
  EXPECT_TRUE(S_ISFIFO(fs.lstat("/d/fifo").st_mode));
  EXPECT_THROW(fs.rename("/d/fifo", "/d/file", SEALFS_RENAME_NOREPLACE), std::system_error);
  fs.unlink("/d/fifo");
  uint64_t epoch = 0;
  const auto servers = fs.cluster_status(&epoch);
  EXPECT_EQ(servers.size(), 3U);
  EXPECT_GT(epoch, 0U);
  fs.truncate("/d/file", 2);
  EXPECT_EQ(fs.stat("/d/file").st_size, 2);
  fs.rename("/d/file", "/d/renamed");
  fs.unlink("/d/renamed");
  fs.unlink("/d/hard");
  fs.unlink("/d/link");
  fs.rmdir("/d/sub");

  std::string what;
  EXPECT_EQ(ThrownErrno([&] { (void)fs.stat("/missing"); }, &what), ENOENT);
  EXPECT_NE(what.find("sealfs_stat"), std::string::npos) << what;
  EXPECT_NE(what.find("/missing"), std::string::npos) << what;
  EXPECT_EQ(ThrownErrno([&] { fs.open("/d", O_WRONLY); }), EISDIR);
  EXPECT_EQ(ThrownErrno([&] { fs.mkdir("/d"); }), EEXIST);
  EXPECT_EQ(ThrownErrno([&] { fs.rmdir("/"); }), EBUSY);
  EXPECT_EQ(ThrownErrno([&] { fs.list("/nothing"); }), ENOENT);
  EXPECT_EQ(ThrownErrno([&] { (void)fs.getxattr("/d", "user.none"); }), ENODATA);
  EXPECT_EQ(ThrownErrno([&] { (void)fs.readlink("/d"); }), EINVAL);
  EXPECT_EQ(ThrownErrno([&] { fs.open("relative", O_RDONLY); }), EINVAL);
  EXPECT_EQ(ThrownErrno([&] {
              sealfs::File f = fs.open("/ro", O_CREAT | O_RDONLY, 0644);
              f.write("x");
            }),
            EBADF);
  EXPECT_EQ(ThrownErrno([] { sealfs::Client::connect("bad address"); }), EINVAL);

  // Moving a client keeps it connected; the moved-from one is empty.
  sealfs::Client other = std::move(fs);
  EXPECT_EQ(fs.get(), nullptr);  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(S_ISDIR(other.stat("/d").st_mode));
}

TEST_F(CppFaceTest, LongSymlinkTargetAndLargeXattr) {
  sealfs::Client fs = sealfs::Client::connect(cluster_->manager_address());
  std::string target;  // longer than readlink's first buffer, components of 9 bytes
  while (target.size() < 1000) target += "/component";
  fs.symlink(target, "/long");
  EXPECT_EQ(fs.readlink("/long"), target);
  fs.open("/file", O_CREAT | O_WRONLY).close();
  const std::string value(60000, 'v');
  fs.setxattr("/file", "user.big", value);
  EXPECT_EQ(fs.getxattr("/file", "user.big"), value);
  EXPECT_EQ(ThrownErrno([&] { fs.setxattr("/long", "user.x", "v"); }), ENOENT)
      << "setxattr follows the dangling symlink";
}

TEST_F(CppFaceTest, VersionMatchesTheHeaders) {
  int major = -1, minor = -1, patch = -1;
  const std::string v = sealfs_version(&major, &minor, &patch);
  EXPECT_EQ(major, SEALFS_VERSION_MAJOR);
  EXPECT_EQ(minor, SEALFS_VERSION_MINOR);
  EXPECT_EQ(patch, SEALFS_VERSION_PATCH);
  EXPECT_EQ(v, std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch));
  EXPECT_EQ(sealfs::version(), v);
}

}  // namespace
}  // namespace sealfs::test
