// Frames (common/frame.h): what a request costs to put on the wire and to take off it, without
// the socket. A small request is a LOOKUP (parent and name, no payload); a large one a
// WRITE_CHUNK message with a 1 MiB payload.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "common/frame.h"
#include "common/rpc.h"

namespace sealfs {
namespace {

constexpr int64_t kMiB = 1 << 20;

// The small request: a LOOKUP of a name of typical length.
proto::LookupRequest SmallRequest() {
  proto::LookupRequest lookup;
  lookup.set_parent(0x1234'5678'9abc'def0);
  lookup.set_name("a-file-name-of-typical-length.txt");
  return lookup;
}

// The message of the large request: a WRITE_CHUNK, whose data is the payload.
proto::WriteChunkRequest ChunkRequest() {
  proto::WriteChunkRequest write;
  write.set_ino(0x1234'5678'9abc'def0);
  write.set_index(7);
  return write;
}

uint16_t OpFor(int64_t payload_size) {
  return payload_size == 0 ? proto::OP_LOOKUP : proto::OP_WRITE_CHUNK;
}

// A whole frame as it travels: header, message, payload.
std::string WireFrame(int64_t payload_size) {
  std::string message =
      payload_size == 0 ? SmallRequest().SerializeAsString() : ChunkRequest().SerializeAsString();
  auto frame = MakeOutgoingFrame(OpFor(payload_size), 42, proto::STATUS_OK, std::move(message),
                                 std::string(static_cast<std::size_t>(payload_size), 'x'));
  std::string wire(reinterpret_cast<const char*>(frame->header), kFrameHeaderSize);
  return wire + frame->message + frame->payload;
}

// The header alone: 32 bytes in, 32 bytes out.
void BM_FrameHeaderEncode(benchmark::State& state) {
  FrameHeader header;
  header.op = proto::OP_LOOKUP;
  header.message_length = 40;
  uint8_t out[kFrameHeaderSize];
  for (auto _ : state) {
    header.request_id++;
    EncodeFrameHeader(header, out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FrameHeaderEncode);

void BM_FrameHeaderDecode(benchmark::State& state) {
  FrameHeader header;
  header.op = proto::OP_LOOKUP;
  header.message_length = 40;
  uint8_t in[kFrameHeaderSize];
  EncodeFrameHeader(header, in);
  for (auto _ : state) {
    FrameHeader decoded;
    Status status = DecodeFrameHeader(in, &decoded);
    benchmark::DoNotOptimize(status);
    benchmark::DoNotOptimize(decoded);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FrameHeaderDecode);

// What RpcChannel::CallAsync does to a request before the socket: serialize the message, copy
// the caller's payload into the frame, encode the header (FrameSender then writes its parts).
void BM_FrameEncode(benchmark::State& state) {
  const int64_t payload_size = state.range(0);
  const std::string caller_payload(static_cast<std::size_t>(payload_size), 'x');
  const proto::LookupRequest lookup = SmallRequest();
  const proto::WriteChunkRequest write = ChunkRequest();
  const google::protobuf::MessageLite& request =
      payload_size == 0 ? static_cast<const google::protobuf::MessageLite&>(lookup) : write;
  const uint16_t op = OpFor(payload_size);
  uint64_t request_id = 1;
  std::size_t frame_size = 0;
  for (auto _ : state) {
    std::shared_ptr<OutgoingFrame> frame =
        MakeOutgoingFrame(op, request_id++, proto::STATUS_OK, request.SerializeAsString(),
                          std::string(caller_payload));
    frame_size = sizeof(frame->header) + frame->message.size() + frame->payload.size();
    benchmark::DoNotOptimize(frame.get());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(frame_size));
}
BENCHMARK(BM_FrameEncode)->ArgName("payload")->Arg(0)->Arg(kMiB);

// What RpcServer's connection does with a frame: decode the header, size the message and
// payload buffers, fill them (memcpy from a buffer stands in for the socket read), and parse
// the message.
void BM_FrameDecode(benchmark::State& state) {
  const int64_t payload_size = state.range(0);
  const std::string wire = WireFrame(payload_size);
  const auto* bytes = reinterpret_cast<const uint8_t*>(wire.data());
  for (auto _ : state) {
    uint8_t header_bytes[kFrameHeaderSize];
    std::memcpy(header_bytes, bytes, kFrameHeaderSize);
    FrameHeader header;
    if (!DecodeFrameHeader(header_bytes, &header).ok()) {
      state.SkipWithError("header does not decode");
      break;
    }
    std::string message;
    std::string payload;
    message.resize(header.message_length);
    payload.resize(header.payload_length);
    std::memcpy(message.data(), bytes + kFrameHeaderSize, message.size());
    std::memcpy(payload.data(), bytes + kFrameHeaderSize + message.size(), payload.size());
    bool parsed = false;
    if (payload_size == 0) {
      proto::LookupRequest lookup;
      parsed = ParseMessage(message, &lookup);
    } else {
      proto::WriteChunkRequest write;
      parsed = ParseMessage(message, &write);
    }
    if (!parsed) {
      state.SkipWithError("message does not parse");
      break;
    }
    benchmark::DoNotOptimize(payload.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(wire.size()));
}
BENCHMARK(BM_FrameDecode)->ArgName("payload")->Arg(0)->Arg(kMiB);

}  // namespace
}  // namespace sealfs
