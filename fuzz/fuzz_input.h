// Cuts a fuzzer's bytes into one request, the way a frame would carry it: an op, a message and
// a payload. Every target reads its input through this, so a crash input replays the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rpc.h"

namespace sealfs::fuzz {

// Bytes 0-1: the op (little-endian); byte 2: the message length (0-255); then the message;
// the rest is the payload.
inline RpcRequest RequestFrom(const uint8_t* data, std::size_t size) {
  RpcRequest request;
  if (size < 3) return request;
  request.op = static_cast<uint16_t>(data[0] | (data[1] << 8));
  const std::size_t message_length = std::min<std::size_t>(data[2], size - 3);
  const auto* bytes = reinterpret_cast<const char*>(data) + 3;
  request.message = std::string_view(bytes, message_length);
  request.payload = std::string_view(bytes + message_length, size - 3 - message_length);
  return request;
}

}  // namespace sealfs::fuzz
