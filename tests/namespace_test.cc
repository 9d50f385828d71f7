// The name space through the C API: mkdir, rmdir, unlink, rename (also across servers), link,
// symlink, readlink, stat/lstat, chmod, chown, utimens, access, statvfs.
#include <fcntl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "cluster.h"
#include "placement.h"
#include "sealfs/sealfs_ll.h"

namespace sealfs::test {
namespace {

class NamespaceTest : public ClusterTest {
 protected:
  struct stat Stat(const std::string& path) {
    struct stat st {};
    EXPECT_OK(sealfs_stat(client_, path.c_str(), &st)) << path;
    return st;
  }
  struct stat LStat(const std::string& path) {
    struct stat st {};
    EXPECT_OK(sealfs_lstat(client_, path.c_str(), &st)) << path;
    return st;
  }
  int StatErr(const std::string& path) {
    struct stat st {};
    return sealfs_stat(client_, path.c_str(), &st);
  }
  bool Listed(const std::string& dir, const std::string& name) {
    const auto names = ListDir(client_, dir);
    return std::count(names.begin(), names.end(), name) == 1;
  }
};

TEST_F(NamespaceTest, RootIsADirectory) {
  const struct stat st = Stat("/");
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_NE(st.st_ino, 0U);
  EXPECT_ERRNO(EEXIST, sealfs_mkdir(client_, "/", 0755));
  EXPECT_ERRNO(EBUSY, sealfs_rmdir(client_, "/"));
}

TEST_F(NamespaceTest, MkdirAndItsErrors) {
  ASSERT_OK(sealfs_mkdir(client_, "/a", 0750));
  struct stat st = Stat("/a");
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0750U);
  ASSERT_OK(sealfs_mkdir(client_, "/a/b", 0755));
  EXPECT_TRUE(S_ISDIR(Stat("/a/b").st_mode));
  EXPECT_ERRNO(EEXIST, sealfs_mkdir(client_, "/a", 0755));
  WriteFile(client_, "/f", "x");
  EXPECT_ERRNO(EEXIST, sealfs_mkdir(client_, "/f", 0755)) << "a file of that name exists";
  EXPECT_ERRNO(ENOENT, sealfs_mkdir(client_, "/missing/b", 0755));
  EXPECT_ERRNO(ENOTDIR, sealfs_mkdir(client_, "/f/b", 0755));
  EXPECT_ERRNO(EINVAL, sealfs_mkdir(client_, "relative", 0755));
  const std::string long_name = "/" + std::string(256, 'd');
  EXPECT_ERRNO(ENAMETOOLONG, sealfs_mkdir(client_, long_name.c_str(), 0755));
  const std::string max_name = "/" + std::string(255, 'd');
  EXPECT_OK(sealfs_mkdir(client_, max_name.c_str(), 0755)) << "255 bytes is the limit, allowed";
  std::string long_path = "/a";
  while (long_path.size() <= 4096) long_path += "/" + std::string(200, 'q');
  EXPECT_ERRNO(ENAMETOOLONG, sealfs_mkdir(client_, long_path.c_str(), 0755));
  EXPECT_ERRNO(ENAMETOOLONG, StatErr(long_path));
  EXPECT_TRUE(Listed("/", "a"));
}

TEST_F(NamespaceTest, RmdirAndItsErrors) {
  ASSERT_OK(sealfs_mkdir(client_, "/d", 0755));
  ASSERT_OK(sealfs_mkdir(client_, "/d/sub", 0755));
  WriteFile(client_, "/d/file", "x");
  EXPECT_ERRNO(ENOTEMPTY, sealfs_rmdir(client_, "/d"));
  EXPECT_ERRNO(ENOTDIR, sealfs_rmdir(client_, "/d/file"));
  EXPECT_ERRNO(ENOENT, sealfs_rmdir(client_, "/d/missing"));
  EXPECT_ERRNO(EINVAL, sealfs_rmdir(client_, "/d/sub/."));
  EXPECT_OK(sealfs_rmdir(client_, "/d/sub"));
  EXPECT_ERRNO(ENOENT, StatErr("/d/sub"));
  EXPECT_FALSE(Listed("/d", "sub"));
  EXPECT_ERRNO(ENOTEMPTY, sealfs_rmdir(client_, "/d")) << "still holds a file";
  EXPECT_OK(sealfs_unlink(client_, "/d/file"));
  EXPECT_OK(sealfs_rmdir(client_, "/d"));
  EXPECT_ERRNO(ENOENT, StatErr("/d"));
  EXPECT_FALSE(Listed("/", "d"));
  // The name can be used again.
  EXPECT_OK(sealfs_mkdir(client_, "/d", 0755));
  EXPECT_EQ(ListDir(client_, "/d").size(), 2U) << "a new directory is empty";
}

TEST_F(NamespaceTest, UnlinkAndItsErrors) {
  WriteFile(client_, "/u", "data");
  ASSERT_OK(sealfs_mkdir(client_, "/dir", 0755));
  EXPECT_ERRNO(EISDIR, sealfs_unlink(client_, "/dir"));
  EXPECT_ERRNO(ENOENT, sealfs_unlink(client_, "/nothing"));
  EXPECT_ERRNO(ENOTDIR, sealfs_unlink(client_, "/u/x"));
  EXPECT_OK(sealfs_unlink(client_, "/u"));
  EXPECT_ERRNO(ENOENT, StatErr("/u"));
  EXPECT_ERRNO(ENOENT, sealfs_open(client_, "/u", O_RDONLY, 0));
  EXPECT_FALSE(Listed("/", "u"));
  EXPECT_ERRNO(ENOENT, sealfs_unlink(client_, "/u")) << "second unlink";
  // A new file of the same name starts empty.
  const int fd = sealfs_open(client_, "/u", O_CREAT | O_RDWR, 0644);
  ASSERT_GE(fd, 0);
  char buf[8];
  EXPECT_EQ(sealfs_read(client_, fd, buf, sizeof(buf)), 0);
  EXPECT_OK(sealfs_close(client_, fd));
}

TEST_F(NamespaceTest, RenameFileKeepsContentAndIno) {
  WriteFile(client_, "/old", "content");
  const ino_t ino = Stat("/old").st_ino;
  ASSERT_OK(sealfs_rename(client_, "/old", "/new"));
  EXPECT_ERRNO(ENOENT, StatErr("/old"));
  EXPECT_EQ(Stat("/new").st_ino, ino);
  EXPECT_EQ(ReadFile(client_, "/new"), "content");
  EXPECT_FALSE(Listed("/", "old"));
  EXPECT_TRUE(Listed("/", "new"));
  // Renaming onto itself changes nothing.
  EXPECT_OK(sealfs_rename(client_, "/new", "/new"));
  EXPECT_EQ(ReadFile(client_, "/new"), "content");
}

TEST_F(NamespaceTest, RenameReplacesAnExistingFile) {
  WriteFile(client_, "/src", "source");
  WriteFile(client_, "/dst", "destination");
  const ino_t src_ino = Stat("/src").st_ino;
  ASSERT_OK(sealfs_rename(client_, "/src", "/dst"));
  EXPECT_ERRNO(ENOENT, StatErr("/src"));
  EXPECT_EQ(ReadFile(client_, "/dst"), "source");
  EXPECT_EQ(Stat("/dst").st_ino, src_ino);
  const auto names = ListDir(client_, "/");
  EXPECT_EQ(std::count(names.begin(), names.end(), "dst"), 1);
}

TEST_F(NamespaceTest, RenameDirectoryMovesItsSubtree) {
  ASSERT_OK(sealfs_mkdir(client_, "/p", 0755));
  ASSERT_OK(sealfs_mkdir(client_, "/p/q", 0755));
  WriteFile(client_, "/p/q/file", "deep");
  WriteFile(client_, "/p/top", "top");
  const ino_t dir_ino = Stat("/p").st_ino;
  ASSERT_OK(sealfs_mkdir(client_, "/elsewhere", 0755));
  ASSERT_OK(sealfs_rename(client_, "/p", "/elsewhere/r"));
  EXPECT_ERRNO(ENOENT, StatErr("/p"));
  EXPECT_ERRNO(ENOENT, StatErr("/p/q/file"));
  EXPECT_EQ(Stat("/elsewhere/r").st_ino, dir_ino);
  EXPECT_EQ(ReadFile(client_, "/elsewhere/r/q/file"), "deep");
  EXPECT_EQ(ReadFile(client_, "/elsewhere/r/top"), "top");
  EXPECT_TRUE(Listed("/elsewhere/r", "q"));
  // New files go to the new place.
  WriteFile(client_, "/elsewhere/r/q/new", "n");
  EXPECT_TRUE(Listed("/elsewhere/r/q", "new"));
  // A directory may replace an empty directory.
  ASSERT_OK(sealfs_mkdir(client_, "/empty", 0755));
  EXPECT_OK(sealfs_rename(client_, "/elsewhere/r", "/empty"));
  EXPECT_EQ(ReadFile(client_, "/empty/q/file"), "deep");
  EXPECT_ERRNO(ENOENT, StatErr("/elsewhere/r"));
}

TEST_F(NamespaceTest, RenameErrors) {
  ASSERT_OK(sealfs_mkdir(client_, "/d1", 0755));
  ASSERT_OK(sealfs_mkdir(client_, "/d1/inner", 0755));
  ASSERT_OK(sealfs_mkdir(client_, "/d2", 0755));
  WriteFile(client_, "/d2/f", "f");
  WriteFile(client_, "/file", "x");
  EXPECT_ERRNO(ENOENT, sealfs_rename(client_, "/missing", "/x"));
  EXPECT_ERRNO(ENOENT, sealfs_rename(client_, "/file", "/missing/x"));
  EXPECT_ERRNO(ENOTEMPTY, sealfs_rename(client_, "/d1", "/d2"));
  EXPECT_ERRNO(EISDIR, sealfs_rename(client_, "/file", "/d1"));
  EXPECT_ERRNO(ENOTDIR, sealfs_rename(client_, "/d1", "/file"));
  EXPECT_ERRNO(ENOTDIR, sealfs_rename(client_, "/file/x", "/y"));
  EXPECT_ERRNO(EINVAL, sealfs_rename(client_, "/d1", "/d1/inner/moved"));
  EXPECT_ERRNO(EINVAL, sealfs_rename(client_, "/d1", "/d1/moved"));
  EXPECT_ERRNO(EBUSY, sealfs_rename(client_, "/", "/root"));
  // Nothing moved.
  EXPECT_TRUE(S_ISDIR(Stat("/d1/inner").st_mode));
  EXPECT_EQ(ReadFile(client_, "/d2/f"), "f");
  EXPECT_EQ(ReadFile(client_, "/file"), "x");
}

// Names spread over all servers: every rename between directories moves metadata from one
// server to another for most pairs. None may fail with EXDEV or lose content or identity.
TEST_F(NamespaceTest, RenamesAcrossServersKeepContentAndIno) {
  constexpr int kDirs = 6;
  constexpr int kFiles = 60;
  for (int d = 0; d < kDirs; ++d) {
    ASSERT_OK(sealfs_mkdir(client_, ("/dir" + std::to_string(d)).c_str(), 0755));
  }
  std::map<std::string, std::pair<std::string, ino_t>> files;  // path -> content, ino
  for (int i = 0; i < kFiles; ++i) {
    const std::string path = "/dir" + std::to_string(i % kDirs) + "/file" + std::to_string(i);
    const std::string content = "content of file " + std::to_string(i);
    WriteFile(client_, path, content);
    files[path] = {content, Stat(path).st_ino};
  }
  // Where each entry lives, by the placement every client computes from the map.
  const Placement placement(cluster_->GetMap());
  auto home_of = [&](const std::string& path) {
    const auto slash = path.rfind('/');
    const ino_t parent = Stat(path.substr(0, slash)).st_ino;
    return placement.Home(DentryPlacementKey(parent, path.substr(slash + 1)));
  };
  int across_servers = 0;
  // Move each file to another directory under another name, twice.
  for (int round = 0; round < 2; ++round) {
    std::map<std::string, std::pair<std::string, ino_t>> moved;
    int i = 0;
    for (const auto& [path, value] : files) {
      const std::string to = "/dir" + std::to_string((i * 7 + round + 1) % kDirs) + "/r" +
                             std::to_string(round) + "_" + std::to_string(i);
      ++i;
      if (home_of(path) != home_of(to)) ++across_servers;
      ASSERT_OK(sealfs_rename(client_, path.c_str(), to.c_str())) << path << " -> " << to;
      moved[to] = value;
    }
    files = std::move(moved);
  }
  std::size_t listed = 0;
  for (int d = 0; d < kDirs; ++d) {
    for (const auto& name : ListDir(client_, "/dir" + std::to_string(d))) {
      if (name == "." || name == "..") continue;
      const std::string path = "/dir" + std::to_string(d) + "/" + name;
      ASSERT_TRUE(files.count(path)) << "unexpected entry " << path;
      ++listed;
    }
  }
  EXPECT_EQ(listed, files.size()) << "each renamed file listed once, none of the old names";
  std::cout << across_servers << " of " << 2 * kFiles
            << " renames moved an entry from one server to another\n";
  EXPECT_GE(across_servers, kFiles / 2) << "too few renames crossed servers to test that";
  for (const auto& [path, value] : files) {
    EXPECT_EQ(ReadFile(client_, path), value.first) << path;
    EXPECT_EQ(Stat(path).st_ino, value.second) << path;
  }
  // Directories across servers too: each into another, then back to the root.
  for (int d = 1; d < kDirs; ++d) {
    const std::string from = "/dir" + std::to_string(d);
    const std::string to = "/dir0/moved" + std::to_string(d);
    ASSERT_OK(sealfs_rename(client_, from.c_str(), to.c_str())) << from << " -> " << to;
  }
  for (const auto& [path, value] : files) {
    std::string now = path;
    if (path.rfind("/dir0/", 0) != 0) now = "/dir0/moved" + path.substr(4);
    EXPECT_EQ(ReadFile(client_, now), value.first) << now;
    EXPECT_EQ(Stat(now).st_ino, value.second) << now;
  }
}

TEST_F(NamespaceTest, RenameNoReplaceAndExchange) {
  WriteFile(client_, "/a", "content of a");
  ASSERT_OK(sealfs_mkdir(client_, "/d1", 0755));
  ASSERT_OK(sealfs_mkdir(client_, "/d2", 0755));
  WriteFile(client_, "/d1/b", "content of b");
  const ino_t a_ino = Stat("/a").st_ino;
  const ino_t b_ino = Stat("/d1/b").st_ino;
  EXPECT_ERRNO(EEXIST, sealfs_rename2(client_, "/a", "/d1/b", SEALFS_RENAME_NOREPLACE));
  EXPECT_EQ(ReadFile(client_, "/d1/b"), "content of b") << "not replaced";
  EXPECT_OK(sealfs_rename2(client_, "/a", "/d2/a", SEALFS_RENAME_NOREPLACE));
  EXPECT_ERRNO(ENOENT, StatErr("/a"));

  // Exchange two files in different directories (likely on different servers).
  EXPECT_OK(sealfs_rename2(client_, "/d2/a", "/d1/b", SEALFS_RENAME_EXCHANGE));
  EXPECT_EQ(ReadFile(client_, "/d2/a"), "content of b");
  EXPECT_EQ(ReadFile(client_, "/d1/b"), "content of a");
  EXPECT_EQ(Stat("/d2/a").st_ino, b_ino);
  EXPECT_EQ(Stat("/d1/b").st_ino, a_ino);
  // A directory with a file: link counts of the parents follow the directory.
  ASSERT_OK(sealfs_mkdir(client_, "/d1/sub", 0755));
  WriteFile(client_, "/d1/sub/inside", "x");
  EXPECT_EQ(Stat("/d1").st_nlink, 3U);
  EXPECT_EQ(Stat("/d2").st_nlink, 2U);
  EXPECT_OK(sealfs_rename2(client_, "/d1/sub", "/d2/a", SEALFS_RENAME_EXCHANGE));
  EXPECT_TRUE(S_ISDIR(Stat("/d2/a").st_mode));
  EXPECT_EQ(ReadFile(client_, "/d2/a/inside"), "x");
  EXPECT_EQ(ReadFile(client_, "/d1/sub"), "content of b");
  EXPECT_EQ(Stat("/d1").st_nlink, 2U);
  EXPECT_EQ(Stat("/d2").st_nlink, 3U);

  EXPECT_ERRNO(ENOENT, sealfs_rename2(client_, "/d1/sub", "/missing", SEALFS_RENAME_EXCHANGE));
  EXPECT_ERRNO(ENOENT, sealfs_rename2(client_, "/missing", "/d1/sub", SEALFS_RENAME_EXCHANGE));
  EXPECT_ERRNO(EINVAL, sealfs_rename2(client_, "/d2/a", "/d2/a/inside", SEALFS_RENAME_EXCHANGE))
      << "a directory into itself";
  EXPECT_ERRNO(EINVAL, sealfs_rename2(client_, "/d1/sub", "/d2/x",
                                      SEALFS_RENAME_EXCHANGE | SEALFS_RENAME_NOREPLACE));
  EXPECT_ERRNO(EINVAL, sealfs_rename2(client_, "/d1/sub", "/d2/x", 1U << 7));
  EXPECT_EQ(ListDir(client_, "/d1").size(), 4U) << ". .. b sub";
  EXPECT_EQ(ListDir(client_, "/d2").size(), 3U) << ". .. a";
}

TEST_F(NamespaceTest, MknodMakesMetadataOnlyNodes) {
  ASSERT_OK(sealfs_mknod(client_, "/fifo", S_IFIFO | 0640, 0));
  ASSERT_OK(sealfs_mknod(client_, "/null", S_IFCHR | 0666, makedev(1, 3)));
  ASSERT_OK(sealfs_mknod(client_, "/plain", S_IFREG | 0600, 0));
  EXPECT_TRUE(S_ISFIFO(Stat("/fifo").st_mode));
  EXPECT_EQ(Stat("/fifo").st_mode & 0777, 0640U);
  EXPECT_TRUE(S_ISCHR(Stat("/null").st_mode));
  EXPECT_EQ(Stat("/null").st_rdev, makedev(1, 3));
  EXPECT_TRUE(S_ISREG(Stat("/plain").st_mode));
  EXPECT_EQ(ReadFile(client_, "/plain"), "");
  EXPECT_ERRNO(EEXIST, sealfs_mknod(client_, "/fifo", S_IFIFO | 0640, 0));
  EXPECT_ERRNO(EINVAL, sealfs_mknod(client_, "/dir", S_IFDIR | 0755, 0));
  EXPECT_ERRNO(ENOENT, sealfs_mknod(client_, "/missing/fifo", S_IFIFO | 0640, 0));
  EXPECT_TRUE(Listed("/", "fifo"));
  EXPECT_OK(sealfs_unlink(client_, "/fifo"));
  EXPECT_ERRNO(ENOENT, StatErr("/fifo"));
}

TEST_F(NamespaceTest, HardLinksShareTheInode) {
  WriteFile(client_, "/orig", "shared");
  ASSERT_OK(sealfs_mkdir(client_, "/other", 0755));
  ASSERT_OK(sealfs_link(client_, "/orig", "/other/alias"));
  struct stat a = Stat("/orig");
  struct stat b = Stat("/other/alias");
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_nlink, 2U);
  EXPECT_EQ(b.st_nlink, 2U);
  ASSERT_OK(sealfs_link(client_, "/orig", "/third"));
  EXPECT_EQ(Stat("/orig").st_nlink, 3U);
  // A write through one name is seen through the others.
  const int fd = sealfs_open(client_, "/other/alias", O_WRONLY | O_APPEND, 0);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(sealfs_write(client_, fd, "+more", 5), 5);
  EXPECT_OK(sealfs_close(client_, fd));
  EXPECT_EQ(ReadFile(client_, "/orig"), "shared+more");
  EXPECT_EQ(ReadFile(client_, "/third"), "shared+more");
  // Removing names leaves the file while one remains.
  ASSERT_OK(sealfs_unlink(client_, "/orig"));
  EXPECT_EQ(Stat("/third").st_nlink, 2U);
  ASSERT_OK(sealfs_unlink(client_, "/third"));
  EXPECT_EQ(Stat("/other/alias").st_nlink, 1U);
  EXPECT_EQ(ReadFile(client_, "/other/alias"), "shared+more");
  // Errors.
  WriteFile(client_, "/exists", "e");
  EXPECT_ERRNO(EEXIST, sealfs_link(client_, "/other/alias", "/exists"));
  EXPECT_EQ(Stat("/other/alias").st_nlink, 1U) << "a failed link leaves the count as it was";
  EXPECT_ERRNO(ENOENT, sealfs_link(client_, "/missing", "/x"));
  EXPECT_ERRNO(ENOENT, sealfs_link(client_, "/exists", "/missing/x"));
  EXPECT_ERRNO(EPERM, sealfs_link(client_, "/other", "/dirlink"));
  EXPECT_ERRNO(ENOTDIR, sealfs_link(client_, "/exists/x", "/y"));
  EXPECT_ERRNO(ENOENT, StatErr("/dirlink"));
}

TEST_F(NamespaceTest, SymlinksFollowedByStatNotByLstat) {
  WriteFile(client_, "/target", "0123456789");
  ASSERT_OK(sealfs_symlink(client_, "/target", "/abs"));
  ASSERT_OK(sealfs_mkdir(client_, "/dir", 0755));
  WriteFile(client_, "/dir/file", "in dir");
  ASSERT_OK(sealfs_symlink(client_, "file", "/dir/rel"));
  ASSERT_OK(sealfs_symlink(client_, "/dir", "/dirlink"));

  const struct stat st = Stat("/abs");
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_size, 10);
  EXPECT_EQ(st.st_ino, Stat("/target").st_ino);
  const struct stat lst = LStat("/abs");
  EXPECT_TRUE(S_ISLNK(lst.st_mode));
  EXPECT_EQ(lst.st_size, 7) << "a symlink's size is the length of its target";
  EXPECT_NE(lst.st_ino, st.st_ino);

  char buf[64];
  ssize_t n = sealfs_readlink(client_, "/abs", buf, sizeof(buf));
  ASSERT_EQ(n, 7);
  EXPECT_EQ(std::string(buf, 7), "/target");
  n = sealfs_readlink(client_, "/abs", buf, 3);
  ASSERT_EQ(n, 3) << "cut at bufsize";
  EXPECT_EQ(std::string(buf, 3), "/ta");
  EXPECT_ERRNO(EINVAL, sealfs_readlink(client_, "/target", buf, sizeof(buf)));
  EXPECT_ERRNO(ENOENT, sealfs_readlink(client_, "/missing", buf, sizeof(buf)));

  EXPECT_EQ(ReadFile(client_, "/abs"), "0123456789");
  EXPECT_EQ(ReadFile(client_, "/dir/rel"), "in dir") << "relative to the link's directory";
  EXPECT_EQ(ReadFile(client_, "/dirlink/file"), "in dir") << "a symlink inside a path";
  EXPECT_ERRNO(EEXIST, sealfs_symlink(client_, "/x", "/abs"));
  EXPECT_ERRNO(ENOENT, sealfs_symlink(client_, "/x", "/missing/link"));
  const std::string long_name = "/" + std::string(256, 's');
  EXPECT_ERRNO(ENAMETOOLONG, sealfs_symlink(client_, "/x", long_name.c_str()));

  // A dangling link: lstat works, stat does not.
  ASSERT_OK(sealfs_symlink(client_, "/nowhere", "/dangling"));
  EXPECT_TRUE(S_ISLNK(LStat("/dangling").st_mode));
  EXPECT_ERRNO(ENOENT, StatErr("/dangling"));
  // A loop.
  ASSERT_OK(sealfs_symlink(client_, "/loop2", "/loop1"));
  ASSERT_OK(sealfs_symlink(client_, "/loop1", "/loop2"));
  EXPECT_ERRNO(ELOOP, StatErr("/loop1"));
  EXPECT_ERRNO(ELOOP, sealfs_open(client_, "/loop1", O_RDONLY, 0));
  EXPECT_ERRNO(ELOOP, StatErr("/loop1/x"));
  // Unlinking the link leaves the target.
  ASSERT_OK(sealfs_unlink(client_, "/abs"));
  EXPECT_EQ(ReadFile(client_, "/target"), "0123456789");
}

TEST_F(NamespaceTest, ChmodChangesPermissionBitsOnly) {
  WriteFile(client_, "/m", "x", 0644);
  ASSERT_OK(sealfs_chmod(client_, "/m", 0600));
  struct stat st = Stat("/m");
  EXPECT_EQ(st.st_mode & 07777, 0600U);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  ASSERT_OK(sealfs_chmod(client_, "/m", 07755));
  EXPECT_EQ(Stat("/m").st_mode & 07777, 07755U) << "set-id and sticky bits";
  ASSERT_OK(sealfs_mkdir(client_, "/md", 0755));
  ASSERT_OK(sealfs_chmod(client_, "/md", 01777));
  st = Stat("/md");
  EXPECT_EQ(st.st_mode & 07777, 01777U);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_ERRNO(ENOENT, sealfs_chmod(client_, "/missing", 0644));
}

TEST_F(NamespaceTest, ChownSetsOwnerAndGroup) {
  WriteFile(client_, "/o", "x");
  ASSERT_OK(sealfs_chown(client_, "/o", 1234, 5678));
  struct stat st = Stat("/o");
  EXPECT_EQ(st.st_uid, 1234U);
  EXPECT_EQ(st.st_gid, 5678U);
  ASSERT_OK(sealfs_chown(client_, "/o", static_cast<uid_t>(-1), 42));
  st = Stat("/o");
  EXPECT_EQ(st.st_uid, 1234U) << "(uid_t)-1 leaves the owner";
  EXPECT_EQ(st.st_gid, 42U);
  ASSERT_OK(sealfs_chown(client_, "/o", 7, static_cast<gid_t>(-1)));
  st = Stat("/o");
  EXPECT_EQ(st.st_uid, 7U);
  EXPECT_EQ(st.st_gid, 42U) << "(gid_t)-1 leaves the group";
  EXPECT_ERRNO(ENOENT, sealfs_chown(client_, "/missing", 1, 1));
}

TEST_F(NamespaceTest, UtimensSetsOmitsAndNows) {
  WriteFile(client_, "/t", "x");
  struct timespec times[2] = {{1000000000, 111}, {1200000000, 222}};
  ASSERT_OK(sealfs_utimens(client_, "/t", times));
  struct stat st = Stat("/t");
  EXPECT_EQ(st.st_atim.tv_sec, 1000000000);
  EXPECT_EQ(st.st_atim.tv_nsec, 111);
  EXPECT_EQ(st.st_mtim.tv_sec, 1200000000);
  EXPECT_EQ(st.st_mtim.tv_nsec, 222);

  struct timespec omit_atime[2] = {{0, UTIME_OMIT}, {1300000000, 0}};
  ASSERT_OK(sealfs_utimens(client_, "/t", omit_atime));
  st = Stat("/t");
  EXPECT_EQ(st.st_atim.tv_sec, 1000000000) << "UTIME_OMIT keeps the access time";
  EXPECT_EQ(st.st_mtim.tv_sec, 1300000000);

  const time_t before = ::time(nullptr);
  struct timespec now_mtime[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
  ASSERT_OK(sealfs_utimens(client_, "/t", now_mtime));
  st = Stat("/t");
  EXPECT_EQ(st.st_atim.tv_sec, 1000000000);
  EXPECT_GE(st.st_mtim.tv_sec, before - 5) << "UTIME_NOW";
  EXPECT_LE(st.st_mtim.tv_sec, ::time(nullptr) + 5) << "UTIME_NOW";

  ASSERT_OK(sealfs_utimens(client_, "/t", nullptr));
  st = Stat("/t");
  EXPECT_GE(st.st_atim.tv_sec, before - 5) << "NULL times set both to now";
  EXPECT_GE(st.st_mtim.tv_sec, before - 5);

  struct timespec bad[2] = {{0, 2000000000}, {0, 0}};
  EXPECT_ERRNO(EINVAL, sealfs_utimens(client_, "/t", bad));
  EXPECT_ERRNO(ENOENT, sealfs_utimens(client_, "/missing", times));
}

TEST_F(NamespaceTest, AccessChecksTheClientsIds) {
  sealfs_options options = TestOptions();
  options.uid = 1000;
  options.gid = 1000;
  sealfs_client* user = ConnectOrThrow(cluster_->manager_address(), &options);
  WriteFile(client_, "/mine", "x", 0640);
  ASSERT_OK(sealfs_chown(client_, "/mine", 1000, 2000));
  WriteFile(client_, "/group", "x", 0640);
  ASSERT_OK(sealfs_chown(client_, "/group", 3000, 1000));
  WriteFile(client_, "/theirs", "x", 0600);
  ASSERT_OK(sealfs_chown(client_, "/theirs", 3000, 3000));
  WriteFile(client_, "/public", "x", 0755);
  ASSERT_OK(sealfs_chown(client_, "/public", 3000, 3000));

  EXPECT_OK(sealfs_access(user, "/mine", F_OK));
  EXPECT_OK(sealfs_access(user, "/mine", R_OK | W_OK));
  EXPECT_ERRNO(EACCES, sealfs_access(user, "/mine", X_OK));
  EXPECT_OK(sealfs_access(user, "/group", R_OK));
  EXPECT_ERRNO(EACCES, sealfs_access(user, "/group", W_OK));
  EXPECT_OK(sealfs_access(user, "/theirs", F_OK)) << "existence needs no permission bit";
  EXPECT_ERRNO(EACCES, sealfs_access(user, "/theirs", R_OK));
  EXPECT_OK(sealfs_access(user, "/public", R_OK | X_OK));
  EXPECT_ERRNO(EACCES, sealfs_access(user, "/public", W_OK));
  EXPECT_ERRNO(ENOENT, sealfs_access(user, "/missing", F_OK));
  EXPECT_ERRNO(EINVAL, sealfs_access(user, "/mine", 0100));
  sealfs_disconnect(user);
}

TEST_F(NamespaceTest, StatvfsDescribesTheCapacity) {
  struct statvfs vfs {};
  ASSERT_OK(sealfs_statvfs(client_, "/", &vfs));
  EXPECT_GT(vfs.f_bsize, 0U);
  EXPECT_GT(vfs.f_blocks, 0U);
  EXPECT_LE(vfs.f_bfree, vfs.f_blocks);
  EXPECT_LE(vfs.f_bavail, vfs.f_bfree);
  EXPECT_GE(vfs.f_namemax, 255U);
}

TEST_F(NamespaceTest, StatErrors) {
  WriteFile(client_, "/file", "x");
  EXPECT_ERRNO(ENOENT, StatErr("/missing"));
  EXPECT_ERRNO(ENOENT, StatErr("/missing/deeper"));
  EXPECT_ERRNO(ENOTDIR, StatErr("/file/x"));
  EXPECT_ERRNO(EINVAL, StatErr("file"));
  struct stat st {};
  EXPECT_ERRNO(ENOENT, sealfs_lstat(client_, "/missing", &st));
  const std::string long_name = "/" + std::string(256, 'x');
  EXPECT_ERRNO(ENAMETOOLONG, StatErr(long_name));
}

// "." and ".." are looked up like any component: they need a directory before them, and a path
// ending in one names a directory that cannot be created or removed (errors as Linux gives).
TEST_F(NamespaceTest, DotAndDotDotComponents) {
  ASSERT_OK(sealfs_mkdir(client_, "/d", 0755));
  WriteFile(client_, "/d/file", "kept");
  EXPECT_EQ(Stat("/d/.").st_ino, Stat("/d").st_ino);
  EXPECT_ERRNO(ENOTDIR, StatErr("/d/./file/"));
  EXPECT_EQ(ReadFile(client_, "/./d/./file"), "kept");
  EXPECT_ERRNO(ENOTDIR, StatErr("/d/file/."));
  EXPECT_ERRNO(ENOTDIR, StatErr("/d/file/.."));
  EXPECT_ERRNO(ENOTDIR, sealfs_unlink(client_, "/d/file/."));
  EXPECT_ERRNO(ENOTDIR, sealfs_mkdir(client_, "/d/file/.", 0755));
  EXPECT_ERRNO(ENOTDIR, sealfs_open(client_, "/d/file/.", O_CREAT | O_WRONLY, 0644));
  EXPECT_EQ(ReadFile(client_, "/d/file"), "kept") << "nothing above removed or replaced it";

  EXPECT_ERRNO(ENOENT, sealfs_mkdir(client_, "/d/new/.", 0755));
  EXPECT_ERRNO(ENOENT, StatErr("/d/new"));
  EXPECT_ERRNO(EEXIST, sealfs_mkdir(client_, "/d/.", 0755));
  EXPECT_ERRNO(EEXIST, sealfs_mkdir(client_, "/d/..", 0755));
  EXPECT_ERRNO(EISDIR, sealfs_unlink(client_, "/d/."));
  EXPECT_ERRNO(EISDIR, sealfs_open(client_, "/d/.", O_CREAT | O_WRONLY, 0644));
  EXPECT_ERRNO(EEXIST, sealfs_open(client_, "/d/.", O_CREAT | O_EXCL | O_WRONLY, 0644));
  EXPECT_ERRNO(EINVAL, sealfs_rmdir(client_, "/d/."));
  EXPECT_ERRNO(ENOTEMPTY, sealfs_rmdir(client_, "/d/.."));
  EXPECT_ERRNO(EBUSY, sealfs_rename(client_, "/d/.", "/e"));
  EXPECT_ERRNO(EBUSY, sealfs_rename(client_, "/d/file", "/d/."));
  EXPECT_ERRNO(EEXIST, sealfs_link(client_, "/d/file", "/d/."));
  EXPECT_ERRNO(EEXIST, sealfs_symlink(client_, "/d/file", "/d/.."));
  EXPECT_TRUE(S_ISDIR(Stat("/d").st_mode));
  EXPECT_EQ(ReadFile(client_, "/d/file"), "kept");
}

// A trailing slash asks for a directory: a symlink there is followed even by lstat.
TEST_F(NamespaceTest, TrailingSlashFollowsASymlink) {
  ASSERT_OK(sealfs_mkdir(client_, "/dir", 0755));
  WriteFile(client_, "/file", "x");
  ASSERT_OK(sealfs_symlink(client_, "/dir", "/to-dir"));
  ASSERT_OK(sealfs_symlink(client_, "/file", "/to-file"));
  struct stat st {};
  ASSERT_OK(sealfs_lstat(client_, "/to-dir/", &st));
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_ino, Stat("/dir").st_ino);
  EXPECT_TRUE(S_ISLNK(LStat("/to-dir").st_mode));
  EXPECT_ERRNO(ENOTDIR, sealfs_lstat(client_, "/to-file/", &st));
  char buf[16];
  EXPECT_ERRNO(EINVAL, sealfs_readlink(client_, "/to-dir/", buf, sizeof(buf)))
      << "the slash resolves the link to its directory, which is no symlink";
}

// The directory cache (design.md, "What the client caches"): a directory another client removed
// and made again is found at once through a path this client cached, and this client's own
// rename and rmdir are seen by itself at once.
TEST_F(NamespaceTest, DirectoriesCachedByOneClientFollowAnotherClientsChanges) {
  sealfs_client* other = ConnectOrThrow(cluster_->manager_address());
  ASSERT_OK(sealfs_mkdir(client_, "/d", 0755));
  WriteFile(client_, "/d/old", "old");
  struct stat st {};
  ASSERT_OK(sealfs_stat(other, "/d/old", &st));  // other caches /d
  ASSERT_OK(sealfs_unlink(client_, "/d/old"));
  ASSERT_OK(sealfs_rmdir(client_, "/d"));
  ASSERT_OK(sealfs_mkdir(client_, "/d", 0755));
  WriteFile(client_, "/d/new", "new");
  EXPECT_EQ(ReadFile(other, "/d/new"), "new") << "a name under the new /d, found through the old";
  EXPECT_ERRNO(ENOENT, sealfs_stat(other, "/d/old", &st));

  ASSERT_OK(sealfs_rename(other, "/d", "/e"));
  EXPECT_ERRNO(ENOENT, sealfs_stat(other, "/d/new", &st)) << "its own rename is seen at once";
  EXPECT_EQ(ReadFile(other, "/e/new"), "new");
  ASSERT_OK(sealfs_unlink(other, "/e/new"));
  ASSERT_OK(sealfs_rmdir(other, "/e"));
  EXPECT_ERRNO(ENOENT, sealfs_stat(other, "/e", &st));
  EXPECT_ERRNO(ENOENT, sealfs_mkdir(other, "/e/x", 0755)) << "its own rmdir is seen at once";
  sealfs_disconnect(other);
}

// A create or unlink takes its parent from the cache too (one round trip): a file is never made
// in a directory another client removed meanwhile (nothing is left under the removed inode), and
// a directory made again under the same name, or in place of one renamed, is found.
TEST_F(NamespaceTest, CreatesAndUnlinksInACachedParentFollowAnotherClientsChanges) {
  sealfs_client* other = ConnectOrThrow(cluster_->manager_address());
  ASSERT_OK(sealfs_mkdir(client_, "/d", 0755));
  struct stat removed {};
  ASSERT_OK(sealfs_stat(client_, "/d", &removed));
  WriteFile(other, "/d/a", "a");  // other caches /d
  ASSERT_OK(sealfs_unlink(client_, "/d/a"));
  ASSERT_OK(sealfs_rmdir(client_, "/d"));
  EXPECT_ERRNO(ENOENT, sealfs_open(other, "/d/b", O_CREAT | O_WRONLY, 0644));
  struct stat st {};
  EXPECT_ERRNO(ENOENT, sealfs_ll_lookup(other, removed.st_ino, "b", &st))
      << "an entry left under the removed directory";

  ASSERT_OK(sealfs_mkdir(client_, "/d", 0755));
  WriteFile(other, "/d/c", "c");
  EXPECT_EQ(ReadFile(client_, "/d/c"), "c") << "made in the new /d";
  ASSERT_OK(sealfs_unlink(client_, "/d/c"));
  ASSERT_OK(sealfs_rmdir(client_, "/d"));
  ASSERT_OK(sealfs_mkdir(client_, "/d", 0755));
  WriteFile(client_, "/d/e", "e");
  EXPECT_OK(sealfs_unlink(other, "/d/e")) << "found in the new /d through the cached old one";
  EXPECT_ERRNO(ENOENT, sealfs_stat(client_, "/d/e", &st));

  ASSERT_OK(sealfs_rename(client_, "/d", "/renamed"));
  ASSERT_OK(sealfs_mkdir(client_, "/d", 0755));
  WriteFile(other, "/d/f", "f");
  EXPECT_EQ(ReadFile(client_, "/d/f"), "f") << "made in the new /d, not in the renamed one";
  EXPECT_ERRNO(ENOENT, sealfs_stat(client_, "/renamed/f", &st));
  sealfs_disconnect(other);
}

}  // namespace
}  // namespace sealfs::test
