#include <array>
#include <random>

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

std::shared_ptr<RpcChannel> RpcChannel::Create(asio::io_context& io, std::string address,
                                               std::chrono::milliseconds connect_timeout) {
  return std::shared_ptr<RpcChannel>(new RpcChannel(io, std::move(address), connect_timeout));
}

RpcChannel::RpcChannel(asio::io_context& io, std::string address,
                       std::chrono::milliseconds connect_timeout)
    : strand_(asio::make_strand(io)),
      socket_(io),
      sender_(&socket_, strand_,
              [this](const std::error_code& ec) {
                Fail(Status(proto::STATUS_UNREACHABLE,
                            "send to " + address_ + " failed: " + ec.message()));
              }),
      connect_timer_(io),
      address_(std::move(address)),
      connect_timeout_(connect_timeout) {
  std::random_device seed;
  next_request_id_ = ((static_cast<uint64_t>(seed()) << 32) | seed()) | 1;
}

RpcChannel::~RpcChannel() {
  // Whoever still waits learns that no reply will come.
  std::unordered_map<uint64_t, std::promise<RpcResult>> pending;
  {
    std::lock_guard lock(mutex_);
    pending.swap(pending_);
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
  // Sent from this thread when the connection is up and nothing waits before it; queued until
  // the connection is made otherwise.
  sender_.Send(MakeOutgoingFrame(op, *request_id, proto::STATUS_OK, std::move(message),
                                 std::string(payload)));
  return future;
}

RpcResult RpcChannel::Call(uint16_t op, const google::protobuf::MessageLite& request,
                           std::chrono::milliseconds timeout, std::string_view payload) {
  uint64_t request_id = 0;
  std::future<RpcResult> future = CallAsync(op, request, payload, &request_id);
  if (future.wait_for(timeout) != std::future_status::ready && Abandon(request_id)) {
    return RpcResult{Status(proto::STATUS_TIMED_OUT, "no reply from " + address_ + " within " +
                                                         std::to_string(timeout.count()) + " ms"),
                     {},
                     {},
                     true};
  }
  return future.get();
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
        self->sender_.Open(self->weak_from_this());
        self->ReadHeader();
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
            const FrameHeader& header = self->reply_header_;
            auto code = static_cast<proto::StatusCode>(header.status);
            if (!proto::StatusCode_IsValid(header.status)) code = proto::STATUS_IO_ERROR;
            result->status = Status(code, code == proto::STATUS_OK ? "" : "from " + self->address_);
            {
              std::lock_guard lock(self->mutex_);
              // A reply to an abandoned call is dropped.
              auto it = self->pending_.find(header.request_id);
              if (it != self->pending_.end()) {
                it->second.set_value(std::move(*result));
                self->pending_.erase(it);
              }
            }
            self->ReadHeader();
          }));
}

void RpcChannel::Fail(const Status& status) {
  if (state_ == State::kBroken) return;
  // Requests written to a live connection may have been served before it broke.
  const bool maybe_delivered = state_ == State::kConnected;
  state_ = State::kBroken;
  sender_.Close();
  connect_timer_.cancel();
  std::error_code ignored;
  socket_.close(ignored);
  std::unordered_map<uint64_t, std::promise<RpcResult>> pending;
  {
    std::lock_guard lock(mutex_);
    broken_ = true;
    broken_status_ = status;
    pending.swap(pending_);
  }
  for (auto& [id, promise] : pending) {
    promise.set_value(RpcResult{status, {}, {}, maybe_delivered});
  }
}

}  // namespace sealfs
