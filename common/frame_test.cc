#include "frame.h"

#include <gtest/gtest.h>

#include <cstring>

namespace sealfs {
namespace {

TEST(FrameTest, HeaderRoundTrips) {
  FrameHeader in;
  in.op = 31;
  in.request_id = 0x0123456789ABCDEFULL;
  in.status = proto::STATUS_NO_SPACE;
  in.message_length = 77;
  in.payload_length = 1 << 20;
  uint8_t bytes[kFrameHeaderSize];
  EncodeFrameHeader(in, bytes);
  FrameHeader out;
  ASSERT_TRUE(DecodeFrameHeader(bytes, &out).ok());
  EXPECT_EQ(out.version, kProtocolVersion);
  EXPECT_EQ(out.op, 31);
  EXPECT_EQ(out.request_id, in.request_id);
  EXPECT_EQ(out.status, proto::STATUS_NO_SPACE);
  EXPECT_EQ(out.message_length, 77U);
  EXPECT_EQ(out.payload_length, 1U << 20);
}

TEST(FrameTest, LayoutIsLittleEndianAsDocumented) {
  FrameHeader in;
  in.op = 0x0102;
  in.request_id = 0x1122334455667788ULL;
  uint8_t bytes[kFrameHeaderSize];
  EncodeFrameHeader(in, bytes);
  EXPECT_EQ(std::memcmp(bytes, "SEAL", 4), 0);
  EXPECT_EQ(bytes[6], 0x02);
  EXPECT_EQ(bytes[7], 0x01);
  EXPECT_EQ(bytes[8], 0x88);
  EXPECT_EQ(bytes[15], 0x11);
}

TEST(FrameTest, RejectsBadMagic) {
  uint8_t bytes[kFrameHeaderSize] = {};
  std::memcpy(bytes, "GET ", 4);
  FrameHeader out;
  Status status = DecodeFrameHeader(bytes, &out);
  EXPECT_EQ(status.code(), proto::STATUS_BAD_FRAME);
}

TEST(FrameTest, RejectsOversizedLengthsButKeepsRequestId) {
  FrameHeader in;
  in.request_id = 42;
  in.message_length = kMaxMessageLength + 1;
  uint8_t bytes[kFrameHeaderSize];
  EncodeFrameHeader(in, bytes);
  FrameHeader out;
  EXPECT_EQ(DecodeFrameHeader(bytes, &out).code(), proto::STATUS_BAD_FRAME);
  EXPECT_EQ(out.request_id, 42U);

  in.message_length = 0;
  in.payload_length = kMaxPayloadLength + 1;
  EncodeFrameHeader(in, bytes);
  EXPECT_EQ(DecodeFrameHeader(bytes, &out).code(), proto::STATUS_BAD_FRAME);
}

TEST(FrameTest, RejectsUnknownVersionAndReservedBits) {
  FrameHeader in;
  in.version = kProtocolVersion + 1;
  uint8_t bytes[kFrameHeaderSize];
  EncodeFrameHeader(in, bytes);
  FrameHeader out;
  EXPECT_EQ(DecodeFrameHeader(bytes, &out).code(), proto::STATUS_BAD_FRAME);

  in.version = kProtocolVersion;
  EncodeFrameHeader(in, bytes);
  bytes[30] = 1;
  EXPECT_EQ(DecodeFrameHeader(bytes, &out).code(), proto::STATUS_BAD_FRAME);
}

}  // namespace
}  // namespace sealfs
