#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <random>
#include <utility>

#include "rpc.h"

namespace sealfs {

IoThreads::IoThreads(int threads) : work_(asio::make_work_guard(io_)) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
}

IoThreads::~IoThreads() {
  work_.reset();
  io_.stop();
  for (auto& thread : threads_) thread.join();
}

namespace {

// The rest of a frame whose first bytes came is read whatever the caller's deadline, so that the
// next reader starts at a frame; a peer that stalls longer than this mid-frame is given up.
constexpr std::chrono::seconds kRestOfAFrame{10};

// Reads exactly `length` bytes from a socket. STATUS_TIMED_OUT when `deadline` passes before the
// first byte; the rest has until `rest_deadline`. STATUS_UNREACHABLE when the connection ends.
Status ReceiveExactly(int fd, char* data, std::size_t length,
                      std::chrono::steady_clock::time_point deadline,
                      std::chrono::steady_clock::time_point rest_deadline,
                      const std::string& address) {
  std::size_t done = 0;
  while (done < length) {
    const ssize_t got = ::recv(fd, data + done, length - done, MSG_DONTWAIT);
    if (got > 0) {
      done += static_cast<std::size_t>(got);
      continue;
    }
    if (got == 0) return {proto::STATUS_UNREACHABLE, "connection to " + address + " closed"};
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return {proto::STATUS_UNREACHABLE,
              "connection to " + address + " lost: " + std::strerror(errno)};
    }
    const auto left = (done == 0 ? deadline : rest_deadline) - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) {
      if (done == 0) return {proto::STATUS_TIMED_OUT, "no reply from " + address};
      return {proto::STATUS_UNREACHABLE, "reply from " + address + " cut short"};
    }
    pollfd readable{fd, POLLIN, 0};
    const auto wait_ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    if (::poll(&readable, 1, static_cast<int>(std::min<int64_t>(wait_ms, INT32_MAX))) < 0 &&
        errno != EINTR) {
      return {proto::STATUS_UNREACHABLE,
              "connection to " + address + " lost: " + std::strerror(errno)};
    }
  }
  return Status::Ok();
}

}  // namespace

std::shared_ptr<RpcChannel> RpcChannel::Create(asio::io_context& io, std::string address,
                                               std::chrono::milliseconds connect_timeout,
                                               ReplyReader reader) {
  return std::shared_ptr<RpcChannel>(
      new RpcChannel(io, std::move(address), connect_timeout, reader));
}

RpcChannel::RpcChannel(asio::io_context& io, std::string address,
                       std::chrono::milliseconds connect_timeout, ReplyReader reader)
    : strand_(asio::make_strand(io)),
      socket_(io),
      sender_(&socket_, strand_,
              [this](const std::error_code& ec) {
                Fail(Status(proto::STATUS_UNREACHABLE,
                            "send to " + address_ + " failed: " + ec.message()));
              }),
      connect_timer_(io),
      address_(std::move(address)),
      connect_timeout_(connect_timeout),
      reply_reader_(reader) {
  std::random_device seed;
  next_request_id_ = ((static_cast<uint64_t>(seed()) << 32) | seed()) | 1;
}

RpcChannel::~RpcChannel() {
  // Whoever still waits learns that no reply will come.
  std::unordered_map<uint64_t, std::promise<RpcResult>> pending;
  {
    std::lock_guard lock(mutex_);
    pending.swap(pending_);
    if (connected_fd_ >= 0) ::close(connected_fd_);
  }
  for (auto& [id, promise] : pending) {
    promise.set_value(RpcResult{Status(proto::STATUS_UNREACHABLE, "channel closed"), {}, {}});
  }
}

bool RpcChannel::broken() const {
  std::lock_guard lock(mutex_);
  return broken_;
}

std::future<RpcResult> RpcChannel::CallAsync(uint16_t op,
                                             const google::protobuf::MessageLite& request,
                                             std::string_view payload, uint64_t* request_id) {
  uint64_t unused_id = 0;
  if (request_id == nullptr) request_id = &unused_id;
  std::promise<RpcResult> promise;
  std::future<RpcResult> future = promise.get_future();
  std::string message = request.SerializeAsString();
  if (message.size() > kMaxMessageLength || payload.size() > kMaxPayloadLength) {
    promise.set_value(RpcResult{Status(proto::STATUS_TOO_BIG, "request too large"), {}, {}});
    return future;
  }
  {
    std::lock_guard lock(mutex_);
    if (broken_) {
      promise.set_value(RpcResult{broken_status_, {}, {}});
      return future;
    }
    if (*request_id == 0) *request_id = next_request_id_++;
    if (!pending_.try_emplace(*request_id, std::move(promise)).second) {
      std::promise<RpcResult> refused;
      refused.set_value(RpcResult{Status::Invalid("request id already in flight"), {}, {}});
      return refused.get_future();
    }
  }
  if (!connect_started_.exchange(true)) {
    asio::post(strand_, [self = shared_from_this()] {
      if (self->state_ == State::kIdle) self->StartConnect();
    });
  }
  // Sent from this thread when the connection is up and nothing waits before it, straight from
  // the caller's payload; queued, with a copy of it, until the connection is made otherwise.
  sender_.Send(
      MakeOutgoingFrame(op, *request_id, proto::STATUS_OK, std::move(message), {}, payload));
  return future;
}

RpcResult RpcChannel::Wait(uint64_t request_id, std::future<RpcResult>& reply,
                           std::chrono::steady_clock::time_point deadline) {
  if (reply_reader_ == ReplyReader::kWaitingCaller) ReadOrFollow(request_id, reply, deadline);
  if (reply.wait_until(deadline) != std::future_status::ready && Abandon(request_id)) {
    return RpcResult{
        Status(proto::STATUS_TIMED_OUT, "no reply from " + address_ + " in time"), {}, {}, true};
  }
  return reply.get();
}

void RpcChannel::ReadOrFollow(uint64_t request_id, std::future<RpcResult>& reply,
                              std::chrono::steady_clock::time_point deadline) {
  auto answered = [&reply] {
    return reply.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  };
  std::unique_lock lock(mutex_);
  Follower self{request_id, {}};
  bool following = false;
  while (!answered() && !broken_) {
    if (reading_ == Reading::kNobody && connected_fd_ >= 0) {
      if (following) std::erase(followers_, &self);
      following = false;
      reading_ = Reading::kCaller;
      const int fd = connected_fd_;
      lock.unlock();
      const Status read = ReadRepliesUntil(fd, reply, deadline);
      lock.lock();
      reading_ = Reading::kNobody;
      if (std::exchange(close_after_caller_reads_, false)) ::close(fd);
      if (!read.ok() && read.code() != proto::STATUS_TIMED_OUT) {
        asio::post(strand_, [self = shared_from_this(), read] { self->Fail(read); });
      }
      break;
    }
    // Another thread reads, or the connection is still being made: it wakes this one when the
    // reply is here or when the reading is this thread's turn.
    if (!following) followers_.push_back(&self);
    following = true;
    if (self.woken.wait_until(lock, deadline) == std::cv_status::timeout) break;
  }
  if (following) std::erase(followers_, &self);
  WakeNextReader();
}

void RpcChannel::WakeNextReader() {
  if (reading_ == Reading::kNobody && !followers_.empty()) followers_.front()->woken.notify_one();
}

RpcResult RpcChannel::Call(uint16_t op, const google::protobuf::MessageLite& request,
                           std::chrono::milliseconds timeout, std::string_view payload) {
  uint64_t request_id = 0;
  std::future<RpcResult> future = CallAsync(op, request, payload, &request_id);
  return Wait(request_id, future, std::chrono::steady_clock::now() + timeout);
}

Status RpcChannel::ReadRepliesUntil(int fd, std::future<RpcResult>& reply,
                                    std::chrono::steady_clock::time_point deadline) {
  while (reply.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    uint8_t raw_header[kFrameHeaderSize];
    const auto rest_deadline = std::max(deadline, std::chrono::steady_clock::now()) + kRestOfAFrame;
    Status status = ReceiveExactly(fd, reinterpret_cast<char*>(raw_header), kFrameHeaderSize,
                                   deadline, rest_deadline, address_);
    if (!status.ok()) return status;
    FrameHeader header;
    status = DecodeFrameHeader(raw_header, &header);
    if (!status.ok()) {
      return {proto::STATUS_BAD_FRAME, "bad reply from " + address_ + ": " + status.message()};
    }
    RpcResult result;
    result.message.resize(header.message_length);
    result.payload.resize(header.payload_length);
    for (std::string* part : {&result.message, &result.payload}) {
      status =
          ReceiveExactly(fd, part->data(), part->size(), rest_deadline, rest_deadline, address_);
      if (!status.ok()) {
        return {proto::STATUS_UNREACHABLE, "reply from " + address_ + " cut short"};
      }
    }
    Deliver(header, std::move(result));
  }
  return Status::Ok();
}

void RpcChannel::Deliver(const FrameHeader& header, RpcResult result) {
  auto code = static_cast<proto::StatusCode>(header.status);
  if (!proto::StatusCode_IsValid(header.status)) code = proto::STATUS_IO_ERROR;
  result.status = Status(code, code == proto::STATUS_OK ? "" : "from " + address_);
  std::lock_guard lock(mutex_);
  // A reply to an abandoned call is dropped.
  auto it = pending_.find(header.request_id);
  if (it != pending_.end()) {
    it->second.set_value(std::move(result));
    pending_.erase(it);
  }
  for (Follower* follower : followers_) {
    if (follower->request_id == header.request_id) follower->woken.notify_one();
  }
}

bool RpcChannel::Abandon(uint64_t request_id) {
  // Replies are delivered under mutex_, so a call is either still pending or already complete.
  std::lock_guard lock(mutex_);
  return pending_.erase(request_id) == 1;
}

void RpcChannel::Close() {
  asio::post(strand_, [self = shared_from_this()] {
    self->Fail(Status(proto::STATUS_UNREACHABLE, "channel to " + self->address_ + " closed"));
  });
}

void RpcChannel::StartConnect() {
  state_ = State::kConnecting;
  std::string host;
  uint16_t port = 0;
  std::error_code ec;
  asio::ip::address address;
  if (SplitHostPort(address_, &host, &port)) {
    address = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  } else {
    ec = asio::error::invalid_argument;
  }
  if (ec) {
    Fail(Status(proto::STATUS_INVALID, "not a HOST:PORT address: '" + address_ + "'"));
    return;
  }
  connect_timer_.expires_after(connect_timeout_);
  connect_timer_.async_wait(asio::bind_executor(strand_, [self = shared_from_this()](
                                                             std::error_code timer_ec) {
    if (timer_ec || self->state_ != State::kConnecting) return;
    self->Fail(Status(proto::STATUS_UNREACHABLE, "connect to " + self->address_ + " timed out"));
  }));
  socket_.async_connect(
      asio::ip::tcp::endpoint(address, port),
      asio::bind_executor(strand_, [self = shared_from_this()](std::error_code connect_ec) {
        if (self->state_ != State::kConnecting) return;
        if (connect_ec) {
          self->Fail(Status(proto::STATUS_UNREACHABLE,
                            "cannot connect to " + self->address_ + ": " + connect_ec.message()));
          return;
        }
        self->connect_timer_.cancel();
        std::error_code ignored;
        self->socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
        self->state_ = State::kConnected;
        if (self->reply_reader_ == ReplyReader::kIoThread) {
          self->sender_.Open(self->weak_from_this());
          self->ReadHeader();
          return;
        }
        // Asio would wake an I/O thread for every reply the callers read themselves: the
        // socket leaves its epoll set, and callers write and read it.
        const int fd = self->socket_.release(ignored);
        self->sender_.OpenBlocking(self->weak_from_this(), fd);
        std::lock_guard lock(self->mutex_);
        self->connected_fd_ = fd;
        self->WakeNextReader();
      }));
}

void RpcChannel::ReadHeader() {
  asio::async_read(
      socket_, asio::buffer(read_header_),
      asio::bind_executor(strand_, [self = shared_from_this()](std::error_code ec, std::size_t) {
        if (self->state_ == State::kBroken) return;
        if (ec) {
          self->Fail(Status(proto::STATUS_UNREACHABLE,
                            "connection to " + self->address_ + " lost: " + ec.message()));
          return;
        }
        Status decoded = DecodeFrameHeader(self->read_header_, &self->reply_header_);
        if (!decoded.ok()) {
          self->Fail(Status(proto::STATUS_BAD_FRAME,
                            "bad reply from " + self->address_ + ": " + decoded.message()));
          return;
        }
        self->ReadBody();
      }));
}

void RpcChannel::ReadBody() {
  auto result = std::make_shared<RpcResult>();
  result->message.resize(reply_header_.message_length);
  result->payload.resize(reply_header_.payload_length);
  std::array<asio::mutable_buffer, 2> buffers = {asio::buffer(result->message),
                                                 asio::buffer(result->payload)};
  asio::async_read(
      socket_, buffers,
      asio::bind_executor(
          strand_, [self = shared_from_this(), result](std::error_code ec, std::size_t) {
            if (self->state_ == State::kBroken) return;
            if (ec) {
              self->Fail(Status(proto::STATUS_UNREACHABLE,
                                "connection to " + self->address_ + " lost: " + ec.message()));
              return;
            }
            self->Deliver(self->reply_header_, std::move(*result));
            self->ReadHeader();
          }));
}

void RpcChannel::Fail(const Status& status) {
  if (state_ == State::kBroken) return;
  // Requests written to a live connection may have been served before it broke.
  const bool maybe_delivered = state_ == State::kConnected;
  state_ = State::kBroken;
  connect_timer_.cancel();
  std::unordered_map<uint64_t, std::promise<RpcResult>> pending;
  int released_fd = -1;
  bool caller_reads = false;
  {
    std::lock_guard lock(mutex_);
    broken_ = true;
    broken_status_ = status;
    pending.swap(pending_);
    released_fd = std::exchange(connected_fd_, -1);
    // A caller reading the socket now is woken by the shutdown and closes it when it is done, so
    // that its descriptor is not reused under it.
    caller_reads = reading_ == Reading::kCaller;
    close_after_caller_reads_ = caller_reads;
    for (Follower* follower : followers_) follower->woken.notify_one();
  }
  // Wakes a caller blocked reading or writing the socket Asio no longer watches.
  if (released_fd >= 0) ::shutdown(released_fd, SHUT_RDWR);
  sender_.Close();  // no frame is written after this
  std::error_code ignored;
  socket_.close(ignored);
  if (released_fd >= 0 && !caller_reads) ::close(released_fd);
  for (auto& [id, promise] : pending) {
    promise.set_value(RpcResult{status, {}, {}, maybe_delivered});
  }
}

}  // namespace sealfs
