// Round trips through the RPC layer (common/rpc.h) on loopback: an RpcServer on 127.0.0.1 whose
// handler echoes the request's message and payload, and one RpcChannel calling it. The request
// message is 64 bytes; the payload none or 1 MiB. Bytes/s counts what crosses the loopback both
// ways (the request's message and payload, then the reply's).
//
// "worker": the handler runs on the server's worker pool, as every request of sealfs-server
// may (a write with copies to reach); "inline": on the I/O thread that read the request
// (RpcServerOptions::serve_without_waiting), which saves the hop to a worker; "worker_1io": as
// "worker", with one server I/O thread instead of the default two. The counter "switches" is the
// voluntary context switches of the whole process (client and server threads) per round trip
// (context_switches.h).
#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/micro/context_switches.h"
#include "common/rpc.h"

namespace sealfs {
namespace {

using std::chrono::milliseconds;

constexpr uint16_t kEchoOp = 1000;  // any op: the handler echoes whatever comes
constexpr std::size_t kMessageSize = 64;
constexpr int64_t kMiB = 1 << 20;
constexpr milliseconds kCallTimeout(10000);

RpcReply Echo(const RpcRequest& request) {
  return RpcReply{Status::Ok(), std::string(request.message), std::string(request.payload)};
}

// A request message of kMessageSize bytes once serialized: the parent (9 bytes with its tag)
// and a name (2 bytes of tag and length, then the name).
proto::LookupRequest SmallMessage() {
  proto::LookupRequest request;
  request.set_parent(7);
  request.set_name(std::string(kMessageSize - 11, 'n'));
  return request;
}

// How the echo server runs its handler and how many I/O threads it has.
struct ServerShape {
  bool handler_inline = false;
  int io_threads = RpcServerOptions().io_threads;
};

// A server and a connected channel to it. Torn down as rpc_test does: the channel closed, the
// server stopped, then the client's I/O thread joined.
class EchoLoopback {
 public:
  explicit EchoLoopback(ServerShape shape) : server_(Echo, Options(shape)) {
    std::string address;
    start_ = server_.Start("127.0.0.1:0", &address);
    channel_ = RpcChannel::Create(io_.io(), address, milliseconds(2000));
    // The first call connects; no benchmark should time that.
    if (start_.ok()) start_ = channel_->Call(kEchoOp, SmallMessage(), kCallTimeout).status;
  }
  ~EchoLoopback() {
    channel_->Close();
    server_.Stop();
  }
  EchoLoopback(const EchoLoopback&) = delete;
  EchoLoopback& operator=(const EchoLoopback&) = delete;

  // Why the server or the first call failed; ok when both worked.
  [[nodiscard]] const Status& start_status() const { return start_; }
  RpcChannel& channel() { return *channel_; }

 private:
  static RpcServerOptions Options(ServerShape shape) {
    RpcServerOptions options;
    if (shape.handler_inline) {
      options.serve_without_waiting = [](const RpcRequest& request) -> std::optional<RpcReply> {
        return Echo(request);
      };
    }
    options.io_threads = shape.io_threads;
    return options;
  }

  IoThreads io_;  // the client's one I/O thread, as a Client has
  RpcServer server_;
  std::shared_ptr<RpcChannel> channel_;
  Status start_;
};

// Shared by the threads of one run: thread 0 makes it before the timed loop and destroys it
// after; Google Benchmark holds every thread at a barrier as the loop starts and as it ends.
std::unique_ptr<EchoLoopback> shared_loopback;

// One call at a time per thread, each waiting for its reply. With Threads(4), four callers
// share the one channel (it is thread-safe), so four requests are in flight at once.
void BM_RpcRoundTrip(benchmark::State& state, ServerShape shape) {
  if (state.thread_index() == 0) shared_loopback = std::make_unique<EchoLoopback>(shape);
  const std::string payload(static_cast<std::size_t>(state.range(0)), 'p');
  const proto::LookupRequest request = SmallMessage();
  const int64_t switches = VoluntarySwitches();
  // KeepRunning, not a range-for: after SkipWithError it returns false at once, through the
  // barrier at the end of the loop that the other threads wait at.
  while (state.KeepRunning()) {
    if (!shared_loopback->start_status().ok()) {
      state.SkipWithError(shared_loopback->start_status().ToString().c_str());
      continue;
    }
    RpcResult result = shared_loopback->channel().Call(kEchoOp, request, kCallTimeout, payload);
    if (!result.status.ok() || result.payload.size() != payload.size()) {
      state.SkipWithError(("echo failed: " + result.status.ToString()).c_str());
      continue;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * 2 *
                          static_cast<int64_t>(kMessageSize + payload.size()));
  if (state.thread_index() == 0) {
    ReportSwitches(state, switches);
    shared_loopback.reset();
  }
}
BENCHMARK_CAPTURE(BM_RpcRoundTrip, worker, ServerShape{})
    ->ArgName("payload")
    ->Arg(0)
    ->Arg(kMiB)
    ->UseRealTime()
    ->Threads(1)
    ->Threads(4);
BENCHMARK_CAPTURE(BM_RpcRoundTrip, inline, ServerShape{.handler_inline = true})
    ->ArgName("payload")
    ->Arg(0)
    ->Arg(kMiB)
    ->UseRealTime()
    ->Threads(1)
    ->Threads(4);
BENCHMARK_CAPTURE(BM_RpcRoundTrip, worker_1io, ServerShape{.io_threads = 1})
    ->ArgName("payload")
    ->Arg(0)
    ->Arg(kMiB)
    ->UseRealTime()
    ->Threads(1)
    ->Threads(4);

// One thread keeps `depth` small calls in flight (CallAsync, then wait for them all), as a
// client's pwrite does with its chunk pieces: what one connection carries when it batches.
void BM_RpcPipelined(benchmark::State& state) {
  EchoLoopback loopback(ServerShape{});
  if (!loopback.start_status().ok()) {
    state.SkipWithError(loopback.start_status().ToString().c_str());
    return;
  }
  const auto depth = static_cast<std::size_t>(state.range(0));
  const proto::LookupRequest request = SmallMessage();
  std::vector<std::future<RpcResult>> replies;
  replies.reserve(depth);
  const int64_t switches = VoluntarySwitches();
  for (auto _ : state) {
    replies.clear();
    for (std::size_t i = 0; i < depth; ++i) {
      replies.push_back(loopback.channel().CallAsync(kEchoOp, request));
    }
    bool failed = false;
    for (auto& reply : replies) failed = !reply.get().status.ok() || failed;
    if (failed) {
      state.SkipWithError("an echo failed");
      break;
    }
  }
  ReportSwitches(state, switches);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(depth));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(depth * 2 * kMessageSize));
}
BENCHMARK(BM_RpcPipelined)->ArgName("depth")->Arg(16)->UseRealTime();

// The floor under the numbers above: the same bytes as a small round trip (a 32-byte header
// and a 64-byte message each way) over a loopback TCP connection between two threads with
// blocking reads and writes, without the RPC layer. A change here is the machine, not SealFS.
void BM_TcpPingPong(benchmark::State& state) {
  constexpr std::size_t kFrameBytes = kFrameHeaderSize + kMessageSize;
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io,
                                   asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  asio::ip::tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  asio::ip::tcp::socket server = acceptor.accept();
  client.set_option(asio::ip::tcp::no_delay(true));
  server.set_option(asio::ip::tcp::no_delay(true));
  std::thread echo([&server] {
    std::array<char, kFrameBytes> frame{};
    std::error_code ec;
    while (asio::read(server, asio::buffer(frame), ec) == kFrameBytes) {
      asio::write(server, asio::buffer(frame), ec);
      if (ec) break;
    }
  });
  std::array<char, kFrameBytes> frame{};
  const int64_t switches = VoluntarySwitches();
  for (auto _ : state) {
    std::error_code ec;
    asio::write(client, asio::buffer(frame), ec);
    if (!ec) asio::read(client, asio::buffer(frame), ec);
    if (ec) {
      state.SkipWithError(ec.message().c_str());
      break;
    }
  }
  ReportSwitches(state, switches);
  client.shutdown(asio::ip::tcp::socket::shutdown_both);  // the echo thread reads end of file
  echo.join();
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * 2 * static_cast<int64_t>(kFrameBytes));
}
BENCHMARK(BM_TcpPingPong)->UseRealTime();

}  // namespace
}  // namespace sealfs
