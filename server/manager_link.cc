#include "manager_link.h"

#include "spdlog/spdlog.h"

namespace sealfs {

namespace {

// A channel that cannot connect should not hold up Stop() or the next attempt for long.
constexpr std::chrono::milliseconds kConnectTimeout{1000};

bool IsTransportFailure(const Status& status) {
  return status.code() == proto::STATUS_UNREACHABLE || status.code() == proto::STATUS_TIMED_OUT;
}

}  // namespace

ManagerLink::ManagerLink(ManagerLinkOptions options) : options_(std::move(options)), io_(1) {}

ManagerLink::~ManagerLink() { Stop(); }

void ManagerLink::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable() || stop_) return;
  thread_ = std::thread([this] { Run(); });
}

void ManagerLink::Stop() {
  std::shared_ptr<RpcChannel> channel;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    channel = channel_;
  }
  wake_.notify_all();
  if (channel) channel->Close();  // fails a call in progress at once
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  channel_.reset();
}

void ManagerLink::Poke() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    poked_ = true;
  }
  wake_.notify_all();
}

bool ManagerLink::registered() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return registered_;
}

uint64_t ManagerLink::heartbeats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return heartbeats_;
}

void ManagerLink::Run() {
  for (;;) {
    std::shared_ptr<RpcChannel> channel;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stop_) return;
      if (!channel_ || channel_->broken()) {
        channel_ = RpcChannel::Create(io_.io(), options_.manager_address, kConnectTimeout);
        registered_ = false;
      }
      channel = channel_;
    }
    Status status = Step(channel);
    if (IsTransportFailure(status)) channel->Close();  // a new channel on the next round
    NoteResult(status);

    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait_for(lock, options_.heartbeat_interval, [this] { return stop_ || poked_; });
    poked_ = false;
    if (stop_) return;
  }
}

Status ManagerLink::Step(const std::shared_ptr<RpcChannel>& channel) {
  bool registered = this->registered();
  if (!registered) {
    proto::RegisterServerRequest request;
    request.set_server_id(options_.server_id);
    request.set_address(options_.advertised_address);
    request.set_incarnation(options_.incarnation);
    request.set_zone(options_.zone);
    proto::RegisterServerReply reply;
    const auto sent = std::chrono::steady_clock::now();
    Status status =
        channel->Call(proto::OP_REGISTER_SERVER, request, options_.call_timeout).Decode(&reply);
    if (!status.ok()) return status;
    if (options_.on_answered) options_.on_answered(sent, reply.map().epoch());
    spdlog::info("registered with manager {} as server {:016x} at {} (map epoch {})",
                 options_.manager_address, options_.server_id, options_.advertised_address,
                 reply.map().epoch());
    if (options_.on_epoch) options_.on_epoch(reply.map().epoch());
    std::lock_guard<std::mutex> lock(mutex_);
    registered_ = true;
    return Status::Ok();
  }
  proto::HeartbeatRequest request;
  request.set_server_id(options_.server_id);
  request.set_address(options_.advertised_address);
  if (options_.sync_progress) *request.mutable_sync() = options_.sync_progress();
  proto::HeartbeatReply reply;
  const auto sent = std::chrono::steady_clock::now();
  Status status = channel->Call(proto::OP_HEARTBEAT, request, options_.call_timeout).Decode(&reply);
  if (status.ok() && options_.on_epoch) options_.on_epoch(reply.epoch());
  if (status.ok() && options_.on_answered) options_.on_answered(sent, reply.epoch());
  std::lock_guard<std::mutex> lock(mutex_);
  if (status.ok()) {
    ++heartbeats_;
  } else if (!IsTransportFailure(status)) {
    registered_ = false;  // the manager does not know us (any more): register again
  }
  return status;
}

void ManagerLink::NoteResult(const Status& status) {
  auto now = std::chrono::steady_clock::now();
  if (status.ok()) {
    if (failing_) {
      spdlog::info("manager {} reachable again after {} failed calls", options_.manager_address,
                   failures_);
    }
    failing_ = false;
    failures_ = 0;
    return;
  }
  ++failures_;
  if (!failing_ || now - last_failure_log_ >= options_.failure_log_interval) {
    spdlog::warn("manager {}: {} ({} failed calls so far)", options_.manager_address,
                 status.ToString(), failures_);
    last_failure_log_ = now;
  }
  failing_ = true;
}

}  // namespace sealfs
