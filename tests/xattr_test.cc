// Extended attributes through the C API: create/replace flags, ENODATA, ERANGE, length queries,
// listxattr, removexattr, limits.
#include <fcntl.h>
#include <sys/xattr.h>

#include <algorithm>
#include <set>
#include <string>

#include "cluster.h"

namespace sealfs::test {
namespace {

class XattrTest : public ClusterTest {
 protected:
  void SetUp() override {
    ClusterTest::SetUp();
    WriteFile(client_, "/f", "content");
  }
  std::string Get(const std::string& path, const std::string& name) {
    char buf[70000];
    const ssize_t n = sealfs_getxattr(client_, path.c_str(), name.c_str(), buf, sizeof(buf));
    EXPECT_GE(n, 0) << name << ": " << ErrName(n);
    return n < 0 ? std::string() : std::string(buf, static_cast<std::size_t>(n));
  }
  std::set<std::string> Names(const std::string& path) {
    char buf[4096];
    const ssize_t n = sealfs_listxattr(client_, path.c_str(), buf, sizeof(buf));
    EXPECT_GE(n, 0) << ErrName(n);
    std::set<std::string> names;
    if (n <= 0) return names;
    EXPECT_EQ(buf[n - 1], '\0') << "the list ends with a NUL";
    for (ssize_t i = 0; i < n;) {
      const std::string name(buf + i);
      names.insert(name);
      i += static_cast<ssize_t>(name.size()) + 1;
    }
    return names;
  }
};

TEST_F(XattrTest, SetGetReplace) {
  ASSERT_OK(sealfs_setxattr(client_, "/f", "user.color", "blue", 4, 0));
  EXPECT_EQ(Get("/f", "user.color"), "blue");
  ASSERT_OK(sealfs_setxattr(client_, "/f", "user.color", "green!", 6, 0));
  EXPECT_EQ(Get("/f", "user.color"), "green!") << "flags 0 replaces";
  EXPECT_ERRNO(EEXIST, sealfs_setxattr(client_, "/f", "user.color", "red", 3, XATTR_CREATE));
  EXPECT_EQ(Get("/f", "user.color"), "green!");
  EXPECT_OK(sealfs_setxattr(client_, "/f", "user.color", "red", 3, XATTR_REPLACE));
  EXPECT_EQ(Get("/f", "user.color"), "red");
  EXPECT_ERRNO(ENODATA, sealfs_setxattr(client_, "/f", "user.none", "x", 1, XATTR_REPLACE));
  EXPECT_OK(sealfs_setxattr(client_, "/f", "user.new", "v", 1, XATTR_CREATE));
  EXPECT_EQ(Get("/f", "user.new"), "v");
  // Content of the file is untouched.
  EXPECT_EQ(ReadFile(client_, "/f"), "content");
}

TEST_F(XattrTest, LengthQueryAndERANGE) {
  const std::string value = "0123456789abcdef";
  ASSERT_OK(sealfs_setxattr(client_, "/f", "user.v", value.data(), value.size(), 0));
  EXPECT_EQ(sealfs_getxattr(client_, "/f", "user.v", nullptr, 0),
            static_cast<ssize_t>(value.size()));
  char small[4];
  EXPECT_ERRNO(ERANGE, sealfs_getxattr(client_, "/f", "user.v", small, sizeof(small)));
  char exact[16];
  EXPECT_EQ(sealfs_getxattr(client_, "/f", "user.v", exact, sizeof(exact)), 16);
  EXPECT_EQ(std::string(exact, 16), value);
}

TEST_F(XattrTest, BinaryAndEmptyValues) {
  const std::string binary("a\0b\0\xff\x01", 6);
  ASSERT_OK(sealfs_setxattr(client_, "/f", "user.bin", binary.data(), binary.size(), 0));
  EXPECT_EQ(Get("/f", "user.bin"), binary);
  ASSERT_OK(sealfs_setxattr(client_, "/f", "user.empty", "", 0, 0));
  EXPECT_EQ(sealfs_getxattr(client_, "/f", "user.empty", nullptr, 0), 0);
  EXPECT_EQ(Names("/f").count("user.empty"), 1U);
}

TEST_F(XattrTest, MissingAttributesAndPaths) {
  char buf[16];
  EXPECT_ERRNO(ENODATA, sealfs_getxattr(client_, "/f", "user.none", buf, sizeof(buf)));
  EXPECT_ERRNO(ENODATA, sealfs_getxattr(client_, "/f", "user.none", nullptr, 0));
  EXPECT_ERRNO(ENODATA, sealfs_removexattr(client_, "/f", "user.none"));
  EXPECT_ERRNO(ENOENT, sealfs_getxattr(client_, "/missing", "user.a", buf, sizeof(buf)));
  EXPECT_ERRNO(ENOENT, sealfs_setxattr(client_, "/missing", "user.a", "x", 1, 0));
  EXPECT_ERRNO(ENOENT, sealfs_listxattr(client_, "/missing", buf, sizeof(buf)));
  EXPECT_ERRNO(ENOENT, sealfs_removexattr(client_, "/missing", "user.a"));
}

TEST_F(XattrTest, ListAndRemove) {
  EXPECT_EQ(sealfs_listxattr(client_, "/f", nullptr, 0), 0) << "no attributes yet";
  ASSERT_OK(sealfs_setxattr(client_, "/f", "user.a", "1", 1, 0));
  ASSERT_OK(sealfs_setxattr(client_, "/f", "user.bb", "2", 1, 0));
  ASSERT_OK(sealfs_setxattr(client_, "/f", "user.ccc", "3", 1, 0));
  const ssize_t len = sealfs_listxattr(client_, "/f", nullptr, 0);
  EXPECT_EQ(len, static_cast<ssize_t>(sizeof("user.a") + sizeof("user.bb") + sizeof("user.ccc")));
  char small[8];
  EXPECT_ERRNO(ERANGE, sealfs_listxattr(client_, "/f", small, sizeof(small)));
  EXPECT_EQ(Names("/f"), (std::set<std::string>{"user.a", "user.bb", "user.ccc"}));
  ASSERT_OK(sealfs_removexattr(client_, "/f", "user.bb"));
  EXPECT_EQ(Names("/f"), (std::set<std::string>{"user.a", "user.ccc"}));
  char buf[8];
  EXPECT_ERRNO(ENODATA, sealfs_getxattr(client_, "/f", "user.bb", buf, sizeof(buf)));
  EXPECT_ERRNO(ENODATA, sealfs_removexattr(client_, "/f", "user.bb")) << "second remove";
}

TEST_F(XattrTest, Limits) {
  const std::string max_value(65536, 'v');
  EXPECT_OK(sealfs_setxattr(client_, "/f", "user.max", max_value.data(), max_value.size(), 0));
  EXPECT_EQ(Get("/f", "user.max"), max_value);
  const std::string over(65537, 'v');
  EXPECT_ERRNO(ERANGE, sealfs_setxattr(client_, "/f", "user.over", over.data(), over.size(), 0));
  const std::string long_name = "user." + std::string(251, 'n');  // 256 bytes
  EXPECT_ERRNO(ERANGE, sealfs_setxattr(client_, "/f", long_name.c_str(), "x", 1, 0));
  const std::string max_name = "user." + std::string(250, 'n');  // 255 bytes
  EXPECT_OK(sealfs_setxattr(client_, "/f", max_name.c_str(), "x", 1, 0));
  EXPECT_EQ(Get("/f", max_name), "x");
}

TEST_F(XattrTest, DirectoriesAndSymlinkTargetsAndRename) {
  ASSERT_OK(sealfs_mkdir(client_, "/d", 0755));
  ASSERT_OK(sealfs_setxattr(client_, "/d", "user.dir", "yes", 3, 0));
  EXPECT_EQ(Get("/d", "user.dir"), "yes");
  ASSERT_OK(sealfs_setxattr(client_, "/f", "user.k", "kept", 4, 0));
  ASSERT_OK(sealfs_symlink(client_, "/f", "/link"));
  EXPECT_EQ(Get("/link", "user.k"), "kept") << "getxattr follows a symlink as getxattr(2)";
  ASSERT_OK(sealfs_rename(client_, "/f", "/d/renamed"));
  EXPECT_EQ(Get("/d/renamed", "user.k"), "kept") << "attributes follow the inode";
  ASSERT_OK(sealfs_link(client_, "/d/renamed", "/hard"));
  EXPECT_EQ(Get("/hard", "user.k"), "kept");
}

}  // namespace
}  // namespace sealfs::test
