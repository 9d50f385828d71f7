#include "identity.h"

#include <gtest/gtest.h>

#include <fstream>

#include "test_util.h"

namespace sealfs {
namespace {

TEST(IdentityTest, CreatedOnceAndReadBack) {
  TempDir dir;
  uint64_t first = 0;
  ASSERT_TRUE(LoadOrCreateServerId(dir.path(), &first).ok());
  EXPECT_NE(first, 0U);
  uint64_t second = 0;
  ASSERT_TRUE(LoadOrCreateServerId(dir.path(), &second).ok());
  EXPECT_EQ(first, second);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/server_id.tmp"));
}

TEST(IdentityTest, DifferentDirsGetDifferentIds) {
  TempDir a;
  TempDir b;
  uint64_t id_a = 0;
  uint64_t id_b = 0;
  ASSERT_TRUE(LoadOrCreateServerId(a.path(), &id_a).ok());
  ASSERT_TRUE(LoadOrCreateServerId(b.path(), &id_b).ok());
  EXPECT_NE(id_a, id_b);
}

TEST(IdentityTest, ReadsHexText) {
  TempDir dir;
  std::ofstream(dir.path() + "/server_id") << "00000000000000ab\n";
  uint64_t id = 0;
  ASSERT_TRUE(LoadOrCreateServerId(dir.path(), &id).ok());
  EXPECT_EQ(id, 0xabU);
}

TEST(IdentityTest, CorruptFileIsAnErrorNotReplaced) {
  TempDir dir;
  for (const char* text : {"", "zz", "0", "12345678901234567890"}) {
    std::ofstream(dir.path() + "/server_id", std::ios::trunc) << text;
    uint64_t id = 0;
    Status status = LoadOrCreateServerId(dir.path(), &id);
    EXPECT_EQ(status.code(), proto::STATUS_IO_ERROR) << text;
  }
}

TEST(IdentityTest, MissingDirFails) {
  uint64_t id = 0;
  EXPECT_FALSE(LoadOrCreateServerId("/nonexistent/sealfs/dir", &id).ok());
}

}  // namespace
}  // namespace sealfs
