#include "frame.h"

#include <string>

namespace sealfs {

namespace {

template <typename T>
void Put(uint8_t* out, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    out[i] = static_cast<uint8_t>(static_cast<uint64_t>(value) >> (8 * i));
  }
}

template <typename T>
T Get(const uint8_t* in) {
  uint64_t value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) value |= static_cast<uint64_t>(in[i]) << (8 * i);
  return static_cast<T>(value);
}

}  // namespace

void EncodeFrameHeader(const FrameHeader& header, uint8_t (&out)[kFrameHeaderSize]) {
  Put<uint32_t>(out + 0, kFrameMagic);
  Put<uint16_t>(out + 4, header.version);
  Put<uint16_t>(out + 6, header.op);
  Put<uint64_t>(out + 8, header.request_id);
  Put<uint32_t>(out + 16, static_cast<uint32_t>(header.status));
  Put<uint32_t>(out + 20, header.message_length);
  Put<uint32_t>(out + 24, header.payload_length);
  Put<uint32_t>(out + 28, 0);
}

Status DecodeFrameHeader(const uint8_t (&in)[kFrameHeaderSize], FrameHeader* out) {
  if (Get<uint32_t>(in + 0) != kFrameMagic) {
    return {proto::STATUS_BAD_FRAME, "bad magic"};
  }
  out->version = Get<uint16_t>(in + 4);
  out->op = Get<uint16_t>(in + 6);
  out->request_id = Get<uint64_t>(in + 8);
  out->status = static_cast<int32_t>(Get<uint32_t>(in + 16));
  out->message_length = Get<uint32_t>(in + 20);
  out->payload_length = Get<uint32_t>(in + 24);
  if (out->version != kProtocolVersion) {
    return {proto::STATUS_BAD_FRAME, "unsupported protocol version " + std::to_string(out->version)};
  }
  if (Get<uint32_t>(in + 28) != 0) return {proto::STATUS_BAD_FRAME, "reserved field is not zero"};
  if (out->message_length > kMaxMessageLength) {
    return {proto::STATUS_BAD_FRAME, "message of " + std::to_string(out->message_length) + " bytes"};
  }
  if (out->payload_length > kMaxPayloadLength) {
    return {proto::STATUS_BAD_FRAME, "payload of " + std::to_string(out->payload_length) + " bytes"};
  }
  return Status::Ok();
}

}  // namespace sealfs
