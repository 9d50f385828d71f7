#include <spdlog/spdlog.h>

#include <array>
#include <atomic>

#include "rpc.h"

namespace sealfs {

namespace {

std::string PeerName(const asio::ip::tcp::socket& socket) {
  std::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "unknown peer";
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

}  // namespace

std::shared_ptr<OutgoingFrame> MakeOutgoingFrame(uint16_t op, uint64_t request_id,
                                                 StatusCode status, std::string message,
                                                 std::string payload,
                                                 std::string_view borrowed_payload) {
  auto frame = std::make_shared<OutgoingFrame>();
  frame->message = std::move(message);
  frame->payload = std::move(payload);
  frame->borrowed_payload = borrowed_payload;
  FrameHeader header;
  header.op = op;
  header.request_id = request_id;
  header.status = status;
  header.message_length = static_cast<uint32_t>(frame->message.size());
  header.payload_length = static_cast<uint32_t>(frame->payload_bytes().size());
  EncodeFrameHeader(header, frame->header);
  return frame;
}

RpcReply MakeReply(const google::protobuf::MessageLite& reply, std::string payload) {
  return RpcReply{Status::Ok(), reply.SerializeAsString(), std::move(payload)};
}

RpcReply MakeErrorReply(Status status) { return RpcReply{std::move(status), {}, {}}; }

bool SplitHostPort(std::string_view address, std::string* host, uint16_t* port) {
  std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == address.size()) return false;
  std::string_view host_part = address.substr(0, colon);
  std::string_view port_part = address.substr(colon + 1);
  if (host_part.front() == '[') {
    if (host_part.size() < 3 || host_part.back() != ']') return false;
    host_part = host_part.substr(1, host_part.size() - 2);
  } else if (host_part.find(':') != std::string_view::npos) {
    return false;
  }
  if (port_part.size() > 5) return false;
  uint32_t value = 0;
  for (char c : port_part) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value > 65535) return false;
  host->assign(host_part);
  *port = static_cast<uint16_t>(value);
  return true;
}

// A request's payload as read from the socket: unlike a std::string, not zeroed before the
// kernel fills it (a 1 MiB chunk write would be written twice over).
class Payload {
 public:
  Payload() = default;
  explicit Payload(std::size_t size)
      : bytes_(size == 0 ? nullptr : std::make_unique_for_overwrite<char[]>(size)), size_(size) {}
  [[nodiscard]] char* data() { return bytes_.get(); }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] std::string_view view() const { return {bytes_.get(), size_}; }

 private:
  std::unique_ptr<char[]> bytes_;
  std::size_t size_ = 0;
};

// Reads frames from one client and writes replies back. Reads run on the connection's strand;
// quick requests are answered there, the others on the server's worker pool, which sends the
// reply itself (FrameSender).
class RpcServer::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(RpcServer* server, asio::io_context& io, asio::ip::tcp::socket socket)
      : server_(server),
        socket_(std::move(socket)),
        strand_(asio::make_strand(io)),
        sender_(&socket_, strand_, [this](const std::error_code&) { Close(); }),
        peer_(PeerName(socket_)) {}

  void Start() {
    sender_.Open(weak_from_this());
    asio::post(strand_, [self = shared_from_this()] { self->ReadHeader(); });
  }

  // Called only after the I/O threads have stopped.
  void CloseNow() {
    sender_.Close();
    std::error_code ignored;
    socket_.close(ignored);
  }

 private:
  void ReadHeader() {
    asio::async_read(
        socket_, asio::buffer(header_bytes_),
        asio::bind_executor(strand_, [self = shared_from_this()](std::error_code ec, std::size_t) {
          if (ec) return self->Close();
          self->OnHeader();
        }));
  }

  void OnHeader() {
    Status decoded = DecodeFrameHeader(header_bytes_, &header_);
    if (!decoded.ok()) {
      spdlog::warn("closing connection from {}: {}", peer_, decoded.ToString());
      // With a readable magic the request id is known, so the sender learns why.
      if (decoded.message() != "bad magic") {
        Reply(header_.request_id, header_.op, MakeErrorReply(decoded));
      }
      sender_.CloseAfterWrites([self = shared_from_this()] { self->Close(); });
      return;
    }
    message_.resize(header_.message_length);
    payload_ = Payload(header_.payload_length);
    std::array<asio::mutable_buffer, 2> buffers = {asio::buffer(message_),
                                                   asio::buffer(payload_.data(), payload_.size())};
    asio::async_read(
        socket_, buffers,
        asio::bind_executor(strand_, [self = shared_from_this()](std::error_code ec, std::size_t) {
          if (ec) {
            spdlog::warn("closing connection from {}: frame cut short ({})", self->peer_,
                         ec.message());
            return self->Close();
          }
          self->Dispatch();
        }));
  }

  void Dispatch() {
    if (const auto& serve = server_->options_.serve_without_waiting) {
      std::optional<RpcReply> reply =
          serve(RpcRequest{header_.op, message_, payload_.view(), header_.request_id});
      if (reply) {
        Reply(header_.request_id, header_.op, std::move(*reply));
        ReadHeader();
        return;
      }
    }
    const int limit = server_->options_.max_in_flight_per_connection;
    const int in_flight = ++in_flight_;
    auto request =
        std::make_shared<std::pair<std::string, Payload>>(std::move(message_), std::move(payload_));
    uint16_t op = header_.op;
    uint64_t request_id = header_.request_id;
    asio::post(server_->workers_, [self = shared_from_this(), request, op, request_id, limit] {
      RpcReply reply = self->server_->handler_(
          RpcRequest{op, request->first, request->second.view(), request_id});
      self->Reply(request_id, op, std::move(reply));
      if (--self->in_flight_ < limit && self->read_paused_.exchange(false)) {
        asio::post(self->strand_, [self] { self->ReadHeader(); });
      }
    });
    if (in_flight < limit) return ReadHeader();
    // Too many in flight: reading waits for a reply, unless one went while pausing.
    read_paused_ = true;
    if (in_flight_ < limit && read_paused_.exchange(false)) ReadHeader();
  }

  // Any thread.
  void Reply(uint64_t request_id, uint16_t op, RpcReply reply) {
    if (!reply.status.ok()) {
      spdlog::debug("op {} from {} failed: {}", op, peer_, reply.status.ToString());
    }
    sender_.Send(MakeOutgoingFrame(op, request_id, reply.status.code(), std::move(reply.message),
                                   std::move(reply.payload)));
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    sender_.Close();
    std::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  RpcServer* server_;
  asio::ip::tcp::socket socket_;
  asio::strand<asio::io_context::executor_type> strand_;
  FrameSender sender_;
  const std::string peer_;
  // Touched only on strand_.
  uint8_t header_bytes_[kFrameHeaderSize] = {};
  FrameHeader header_;
  std::string message_;
  Payload payload_;
  bool closed_ = false;
  // Requests on the worker pool, and whether reading waits for them.
  std::atomic<int> in_flight_{0};
  std::atomic<bool> read_paused_{false};
};

RpcServer::RpcServer(RpcHandler handler, RpcServerOptions options)
    : handler_(std::move(handler)),
      options_(options),
      workers_(static_cast<std::size_t>(options.worker_threads)),
      acceptor_(*io_.emplace_back(std::make_unique<asio::io_context>(1))) {
  for (int i = 1; i < options_.io_threads; ++i) {
    io_.push_back(std::make_unique<asio::io_context>(1));
  }
}

RpcServer::~RpcServer() { Stop(); }

Status RpcServer::Start(const std::string& listen_address, std::string* bound_address) {
  std::string host;
  uint16_t port = 0;
  if (!SplitHostPort(listen_address, &host, &port)) {
    return Status::Invalid("listen address must be HOST:PORT, got '" + listen_address + "'");
  }
  if (host == "localhost") host = "127.0.0.1";
  std::error_code ec;
  asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) return Status::Invalid("not an IP address: '" + host + "'");
  asio::ip::tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return Status::FromErrno(ec.value(),
                             "cannot listen on " + listen_address + ": " + ec.message());
  auto bound = acceptor_.local_endpoint();
  std::string bound_host = bound.address().to_string();
  if (bound.address().is_v6()) bound_host = "[" + bound_host + "]";
  *bound_address = bound_host + ":" + std::to_string(bound.port());
  Accept();
  for (auto& io : io_) {
    io_threads_.emplace_back([io = io.get()] {
      auto work = asio::make_work_guard(*io);  // the contexts without connections yet wait
      io->run();
    });
  }
  return Status::Ok();
}

void RpcServer::Accept() {
  asio::io_context& io = *io_[next_io_++ % io_.size()];
  acceptor_.async_accept(io, [this, &io](std::error_code ec, asio::ip::tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      spdlog::warn("accept failed: {}", ec.message());
    } else {
      std::error_code ignored;
      socket.set_option(asio::ip::tcp::no_delay(true), ignored);
      auto connection = std::make_shared<Connection>(this, io, std::move(socket));
      {
        std::lock_guard lock(connections_mutex_);
        std::erase_if(connections_, [](const auto& weak) { return weak.expired(); });
        connections_.push_back(connection);
      }
      connection->Start();
    }
    Accept();
  });
}

void RpcServer::Stop() {
  {
    std::lock_guard lock(connections_mutex_);
    if (stopped_) return;
    stopped_ = true;
  }
  for (auto& io : io_) io->stop();
  for (auto& thread : io_threads_) thread.join();
  io_threads_.clear();
  // The I/O threads are gone, so sockets can be closed from here.
  std::error_code ignored;
  acceptor_.close(ignored);
  std::vector<std::weak_ptr<Connection>> connections;
  {
    std::lock_guard lock(connections_mutex_);
    connections.swap(connections_);
  }
  for (auto& weak : connections) {
    if (auto connection = weak.lock()) connection->CloseNow();
  }
  workers_.join();
}

}  // namespace sealfs
