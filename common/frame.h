// Frames: how every request and reply travels over TCP.
//
//   offset size  field
//        0    4  magic "SEAL" (0x4C414553 little-endian)
//        4    2  protocol version (kProtocolVersion)
//        6    2  op (proto::Op)
//        8    8  request id, chosen by the sender of the request, echoed in the reply
//       16    4  status (proto::StatusCode), 0 in requests
//       20    4  message length: the serialized protobuf message that follows the header
//       24    4  payload length: raw bytes (file data) that follow the message
//       28    4  reserved, 0
//
// All integers are little-endian. A frame whose header does not decode, or whose lengths exceed
// the limits below, cannot be skipped safely: the receiver replies STATUS_BAD_FRAME where it can
// and closes the connection.
#pragma once

#include <cstddef>
#include <cstdint>

#include "status.h"

namespace sealfs {

inline constexpr std::size_t kFrameHeaderSize = 32;
inline constexpr uint32_t kFrameMagic = 0x4C414553;  // "SEAL" in memory order
inline constexpr uint16_t kProtocolVersion = 1;
// Messages are small (metadata); file data goes in the payload.
inline constexpr uint32_t kMaxMessageLength = 4U << 20;
// The largest chunk a file may be cut into, and so the largest payload.
inline constexpr uint32_t kMaxPayloadLength = 64U << 20;

struct FrameHeader {
  uint16_t version = kProtocolVersion;
  uint16_t op = 0;
  uint64_t request_id = 0;
  int32_t status = 0;
  uint32_t message_length = 0;
  uint32_t payload_length = 0;
};

void EncodeFrameHeader(const FrameHeader& header, uint8_t (&out)[kFrameHeaderSize]);

// Fails with STATUS_BAD_FRAME on a wrong magic, an unknown version, a nonzero reserved field or
// a length over the limits; *out is filled as far as it could be read (the request id is known
// whenever the magic matched).
Status DecodeFrameHeader(const uint8_t (&in)[kFrameHeaderSize], FrameHeader* out);

}  // namespace sealfs
