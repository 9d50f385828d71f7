#include "key_encoding.h"

#include <gtest/gtest.h>

namespace sealfs::keys {
namespace {

TEST(KeyEncodingTest, InodeKeyIsBigEndian) {
  EXPECT_EQ(InodeKey(0x0102030405060708ULL), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  uint64_t ino = 0;
  ASSERT_TRUE(DecodeInodeKey(InodeKey(42), &ino));
  EXPECT_EQ(ino, 42U);
  EXPECT_FALSE(DecodeInodeKey("short", &ino));
}

TEST(KeyEncodingTest, KeysSortInNumericThenNameOrder) {
  EXPECT_LT(InodeKey(255), InodeKey(256));
  EXPECT_LT(DentryKey(1, "zzz"), DentryKey(2, "a"));
  EXPECT_LT(DentryKey(7, "a"), DentryKey(7, "b"));
  EXPECT_LT(DentryKey(7, "a"), DentryKey(7, "aa"));
  EXPECT_LT(ChunkKey(3, 255), ChunkKey(3, 256));
  EXPECT_LT(ChunkKey(3, UINT64_MAX), ChunkKey(4, 0));
  EXPECT_LT(DentryKey(9, std::string(255, '\xff')), InoPrefixEnd(9));
  EXPECT_EQ(InoPrefixEnd(UINT64_MAX), "");
}

TEST(KeyEncodingTest, RoundTrips) {
  uint64_t ino = 0;
  uint64_t index = 0;
  std::string_view name;
  std::string dentry = DentryKey(77, std::string("a\xff", 2));
  ASSERT_TRUE(DecodeDentryKey(dentry, &ino, &name));
  EXPECT_EQ(ino, 77U);
  EXPECT_EQ(name, std::string("a\xff", 2));
  std::string xattr = XattrKey(5, "user.x");
  ASSERT_TRUE(DecodeXattrKey(xattr, &ino, &name));
  EXPECT_EQ(ino, 5U);
  EXPECT_EQ(name, "user.x");
  ASSERT_TRUE(DecodeChunkKey(ChunkKey(UINT64_MAX, 12), &ino, &index));
  EXPECT_EQ(ino, UINT64_MAX);
  EXPECT_EQ(index, 12U);
  EXPECT_FALSE(DecodeChunkKey("0123456789", &ino, &index));
}

TEST(KeyEncodingTest, ChunkOperands) {
  ChunkOperand operand;
  std::string patch = PatchOperandHeader(4096) + "data";
  ASSERT_TRUE(DecodeChunkOperand(patch, &operand));
  EXPECT_EQ(operand.kind, ChunkOperand::Kind::kPatch);
  EXPECT_EQ(operand.offset, 4096U);
  EXPECT_EQ(operand.data, "data");
  ASSERT_TRUE(DecodeChunkOperand(TruncateOperand(100), &operand));
  EXPECT_EQ(operand.kind, ChunkOperand::Kind::kTruncate);
  EXPECT_EQ(operand.length, 100U);
  EXPECT_FALSE(DecodeChunkOperand("", &operand));
  EXPECT_FALSE(DecodeChunkOperand("P12", &operand));
  EXPECT_FALSE(DecodeChunkOperand("X1234", &operand));
  EXPECT_FALSE(DecodeChunkOperand(TruncateOperand(1) + "x", &operand));
}

TEST(KeyEncodingTest, RequestKeysCarryTheirPlacementKey) {
  const std::string key = RequestKey(42, "I12345678");
  uint64_t request_id = 0;
  std::string_view placement_key;
  ASSERT_TRUE(DecodeRequestKey(key, &request_id, &placement_key));
  EXPECT_EQ(request_id, 42U);
  EXPECT_EQ(placement_key, "I12345678");
  EXPECT_NE(RequestKey(42, "I12345678"), RequestKey(43, "I12345678"));
  EXPECT_FALSE(DecodeRequestKey(InoPrefix(42), &request_id, &placement_key));  // the old layout
}

}  // namespace
}  // namespace sealfs::keys
