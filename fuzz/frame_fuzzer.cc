// libFuzzer target: the frame header decoder, on any 40 bytes a peer may send. It must reject
// what is malformed with a status, never crash or accept lengths past the limits.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "frame.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint8_t header_bytes[sealfs::kFrameHeaderSize] = {};
  std::memcpy(header_bytes, data, std::min(size, sizeof(header_bytes)));
  sealfs::FrameHeader header;
  if (sealfs::DecodeFrameHeader(header_bytes, &header).ok()) {
    if (header.message_length > sealfs::kMaxMessageLength ||
        header.payload_length > sealfs::kMaxPayloadLength) {
      std::abort();  // accepted a frame larger than the limits
    }
    uint8_t encoded[sealfs::kFrameHeaderSize];
    sealfs::EncodeFrameHeader(header, encoded);
    sealfs::FrameHeader again;
    if (!sealfs::DecodeFrameHeader(encoded, &again).ok() || again.request_id != header.request_id ||
        again.op != header.op) {
      std::abort();  // what was accepted does not survive a round trip
    }
  }
  return 0;
}
