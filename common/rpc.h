// RPC over frames: a server that dispatches requests to a handler, and a channel that carries
// many requests in flight to one peer over one TCP connection.
//
// Both run on standalone Asio. Handlers run on a worker pool, not on the I/O threads, so that a
// slow RocksDB call never stalls the reading of other requests.
#pragma once

#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/frame_sender.h"
#include "frame.h"
#include "status.h"

namespace sealfs {

// borrowed_payload, when not empty, stands for `payload` (left empty): OutgoingFrame says how long
// it may be used.
std::shared_ptr<OutgoingFrame> MakeOutgoingFrame(uint16_t op, uint64_t request_id,
                                                 StatusCode status, std::string message,
                                                 std::string payload,
                                                 std::string_view borrowed_payload = {});

// ---------------------------------------------------------------------------------------------
// Server side

struct RpcRequest {
  uint16_t op = 0;
  std::string_view message;  // serialized request
  std::string_view payload;  // raw bytes beside it
  // Chosen by the sender; a client sends a retried request under its first id (ClusterView), so
  // a server can tell a retry from a new request.
  uint64_t request_id = 0;
};

struct RpcReply {
  Status status;
  std::string message;  // serialized reply; may be empty when !status.ok()
  std::string payload;
};

// Builds the reply to a request whose result is `reply` (and optional raw payload).
RpcReply MakeReply(const google::protobuf::MessageLite& reply, std::string payload = {});
// Builds an error reply; the message is logged by the server, not sent.
RpcReply MakeErrorReply(Status status);

// Parses a request message; false means the bytes are not a valid message of that type.
template <typename Message>
bool ParseMessage(std::string_view bytes, Message* out) {
  return out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

// Called on a worker thread for every well-formed frame; must be thread-safe and must not throw.
using RpcHandler = std::function<RpcReply(const RpcRequest&)>;

struct RpcServerOptions {
  // Accept, read and write; each thread runs its own io_context and serves the connections
  // given to it, so that no two I/O threads wake each other for one connection's work.
  int io_threads = 2;
  int worker_threads = 8;  // run handlers (RocksDB calls block)
  // A connection with more requests in flight stops being read until replies drain.
  int max_in_flight_per_connection = 64;
  // Tried first on the I/O thread that read a request, saving two thread hops: it answers
  // requests it can serve without blocking for long, and returns nullopt for the others, which
  // go to the worker pool. Null: every request goes to the worker pool.
  std::function<std::optional<RpcReply>(const RpcRequest&)> serve_without_waiting;
};

class RpcServer {
 public:
  explicit RpcServer(RpcHandler handler, RpcServerOptions options = {});
  ~RpcServer();
  RpcServer(const RpcServer&) = delete;
  RpcServer& operator=(const RpcServer&) = delete;

  // Binds "HOST:PORT" (port 0 picks a free one) and starts serving in background threads.
  // *bound_address receives the address actually bound.
  Status Start(const std::string& listen_address, std::string* bound_address);
  // Stops accepting, closes every connection and joins the threads. Idempotent.
  void Stop();

 private:
  class Connection;
  void Accept();

  RpcHandler handler_;
  RpcServerOptions options_;
  std::vector<std::unique_ptr<asio::io_context>> io_;  // one per I/O thread; [0] accepts
  std::size_t next_io_ = 0;                            // the next connection's context
  asio::thread_pool workers_;
  asio::ip::tcp::acceptor acceptor_;
  std::vector<std::thread> io_threads_;
  std::mutex connections_mutex_;
  std::vector<std::weak_ptr<Connection>> connections_;  // GUARDED_BY(connections_mutex_)
  bool stopped_ = false;
};

// ---------------------------------------------------------------------------------------------
// Client side

struct RpcResult {
  Status status;
  std::string message;
  std::string payload;
  // A failed call may still have reached the peer and taken effect (the connection broke after
  // the request was sent, or the reply came too late); false only when it surely did not.
  bool maybe_delivered = false;

  // Parses `message` into *reply when status is ok; a reply that does not parse becomes
  // STATUS_BAD_FRAME.
  template <typename Message>
  Status Decode(Message* reply) const {
    if (!status.ok()) return status;
    if (!ParseMessage(message, reply)) return {proto::STATUS_BAD_FRAME, "reply does not parse"};
    return Status::Ok();
  }
};

// An io_context with its own threads, for clients of RpcChannel.
class IoThreads {
 public:
  explicit IoThreads(int threads = 1);
  ~IoThreads();
  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;
  asio::io_context& io() { return io_; }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
};

// One TCP connection to one peer. Thread-safe: any thread may start calls; replies are matched
// to calls by request id, so many calls are in flight at once. Once the connection fails every
// pending and later call completes with STATUS_UNREACHABLE; the owner makes a new channel.
class RpcChannel : public std::enable_shared_from_this<RpcChannel> {
 public:
  // Who reads the replies. kIoThread: an I/O thread, always. kWaitingCaller: a thread waiting
  // in Wait reads them itself while no other thread does, and hands each other thread's reply
  // to it, so that a reply wakes the thread that waits for it and no other. Once connected, the
  // socket leaves Asio (whose epoll would wake an I/O thread for every reply too): callers
  // write their requests themselves, waiting for room in the socket when it is full. A reply
  // is read only once some thread waits: every call must end in Wait (or Abandon).
  enum class ReplyReader { kIoThread, kWaitingCaller };

  // Connects lazily, on the first call, within connect_timeout.
  static std::shared_ptr<RpcChannel> Create(asio::io_context& io, std::string address,
                                            std::chrono::milliseconds connect_timeout,
                                            ReplyReader reader = ReplyReader::kIoThread);
  ~RpcChannel();
  RpcChannel(const RpcChannel&) = delete;
  RpcChannel& operator=(const RpcChannel&) = delete;

  // Sends a request; the future completes with the reply or the failure of the connection.
  // The payload is copied before CallAsync returns. *request_id (optional): in, a nonzero id to
  // send the request under (a retry keeps the id of its first attempt, so that the server can
  // tell; it must not be in flight on this channel); out, the id used, which names the call for
  // Abandon. Ids drawn by the channel start at a random point, so that two channels rarely
  // use the same ids.
  std::future<RpcResult> CallAsync(uint16_t op, const google::protobuf::MessageLite& request,
                                   std::string_view payload = {}, uint64_t* request_id = nullptr);
  // Stops waiting for a call: its reply, if one comes, is dropped. Returns false when the reply
  // is already in the call's future (use it: the call completed after all).
  bool Abandon(uint64_t request_id);
  // Waits until `deadline` for the reply of the call CallAsync started as `request_id`. A reply
  // that does not come in time is STATUS_TIMED_OUT, and the call is abandoned.
  RpcResult Wait(uint64_t request_id, std::future<RpcResult>& reply,
                 std::chrono::steady_clock::time_point deadline);
  // CallAsync and Wait.
  RpcResult Call(uint16_t op, const google::protobuf::MessageLite& request,
                 std::chrono::milliseconds timeout, std::string_view payload = {});

  // True once the connection has failed or was closed; such a channel never recovers.
  [[nodiscard]] bool broken() const;
  [[nodiscard]] const std::string& address() const { return address_; }
  // Fails every pending call and closes the socket.
  void Close();

 private:
  RpcChannel(asio::io_context& io, std::string address, std::chrono::milliseconds connect_timeout,
             ReplyReader reader);
  void StartConnect();
  void ReadHeader();
  void ReadBody();
  // Hands a reply to its call, and wakes its waiting thread if that one follows a reader.
  void Deliver(const FrameHeader& header, RpcResult result);
  // kWaitingCaller: until `reply` is here or `deadline`, reads replies while no other thread
  // does, and otherwise waits for the reader to hand it over or to give the reading up.
  void ReadOrFollow(uint64_t request_id, std::future<RpcResult>& reply,
                    std::chrono::steady_clock::time_point deadline);
  // kWaitingCaller: reads replies on the calling thread until `reply` has its own, or until
  // `deadline` at a frame boundary (STATUS_TIMED_OUT); any other failure is the connection's.
  Status ReadRepliesUntil(int fd, std::future<RpcResult>& reply,
                          std::chrono::steady_clock::time_point deadline);
  // With mutex_ held: when nobody reads, wakes the first follower to read.
  void WakeNextReader();
  void Fail(const Status& status);

  asio::strand<asio::io_context::executor_type> strand_;
  asio::ip::tcp::socket socket_;
  FrameSender sender_;
  std::atomic<bool> connect_started_{false};
  asio::steady_timer connect_timer_;
  const std::string address_;
  const std::chrono::milliseconds connect_timeout_;
  const ReplyReader reply_reader_;

  // Everything below is touched only on strand_, except pending_ and broken_ under mutex_.
  enum class State { kIdle, kConnecting, kConnected, kBroken } state_ = State::kIdle;
  uint8_t read_header_[kFrameHeaderSize] = {};
  FrameHeader reply_header_;
  std::string read_body_;

  mutable std::mutex mutex_;
  uint64_t next_request_id_ = 1;                                   // GUARDED_BY(mutex_)
  std::unordered_map<uint64_t, std::promise<RpcResult>> pending_;  // GUARDED_BY(mutex_)
  bool broken_ = false;                                            // GUARDED_BY(mutex_)
  Status broken_status_;                                           // GUARDED_BY(mutex_)
  // kWaitingCaller: whether a caller reads the connection now. A reader gives the role up only
  // between two frames, so that the next one starts at a frame.
  enum class Reading { kNobody, kCaller } reading_ = Reading::kNobody;  // GUARDED_BY(mutex_)
  // kWaitingCaller: the socket, released by Asio once connected, until broken.
  int connected_fd_ = -1;                  // GUARDED_BY(mutex_)
  bool close_after_caller_reads_ = false;  // GUARDED_BY(mutex_): Fail left the close to it
  // A thread in Wait while another reads (or before the connection is made).
  struct Follower {
    uint64_t request_id;
    std::condition_variable woken;  // its reply is here, the reading is free, or all is lost
  };
  std::vector<Follower*> followers_;  // GUARDED_BY(mutex_), in arrival order
};

// Splits "HOST:PORT" into its parts; false when it is not of that form or the port is not a
// number in 0..65535. IPv6 literals go in brackets: "[::1]:7000".
bool SplitHostPort(std::string_view address, std::string* host, uint16_t* port);

}  // namespace sealfs
