#include "peer_map.h"

#include "spdlog/spdlog.h"

namespace sealfs {

namespace {
// How often the refresher fetches the map even when nobody asked: a missed heartbeat reply must
// not leave this server on an old map for long.
constexpr std::chrono::milliseconds kPeriodicRefresh{2000};
}  // namespace

PeerMap::PeerMap(std::string manager_address, ServerId self,
                 std::chrono::milliseconds call_timeout)
    : manager_address_(std::move(manager_address)),
      self_(self),
      call_timeout_(call_timeout),
      io_(1) {}

PeerMap::~PeerMap() {
  Stop();
  std::lock_guard lock(mutex_);
  for (auto& [id, channel] : channels_) channel->Close();
  if (manager_channel_) manager_channel_->Close();
}

void PeerMap::Start() {
  std::lock_guard lock(mutex_);
  if (refresher_.joinable() || stop_) return;
  refresher_ = std::thread([this] { RefreshLoop(); });
}

void PeerMap::Stop() {
  std::shared_ptr<RpcChannel> manager;
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    manager = manager_channel_;
  }
  wake_.notify_all();
  if (manager) manager->Close();
  if (refresher_.joinable()) refresher_.join();
}

Status PeerMap::Refresh() {
  std::shared_ptr<RpcChannel> channel;
  {
    std::lock_guard lock(mutex_);
    if (!manager_channel_ || manager_channel_->broken()) {
      manager_channel_ = RpcChannel::Create(io_.io(), manager_address_, call_timeout_);
    }
    channel = manager_channel_;
  }
  proto::GetClusterMapReply reply;
  Status status = channel->Call(proto::OP_GET_CLUSTER_MAP, proto::GetClusterMapRequest(),
                                call_timeout_)
                      .Decode(&reply);
  if (!status.ok()) return status;
  auto snapshot = std::make_shared<MapSnapshot>();
  snapshot->map = std::move(*reply.mutable_map());
  snapshot->placement = Placement(snapshot->map);
  std::lock_guard lock(mutex_);
  if (snapshot_ && snapshot_->epoch() >= snapshot->epoch()) return Status::Ok();
  for (auto it = channels_.begin(); it != channels_.end();) {
    const proto::ServerInfo* info = snapshot->Find(it->first);
    if (info == nullptr || info->address() != it->second->address()) {
      it->second->Close();
      it = channels_.erase(it);
    } else {
      ++it;
    }
  }
  snapshot_ = std::move(snapshot);
  return Status::Ok();
}

void PeerMap::NoteEpoch(uint64_t epoch) {
  {
    std::lock_guard lock(mutex_);
    if (epoch <= wanted_epoch_ || (snapshot_ && epoch <= snapshot_->epoch())) return;
    wanted_epoch_ = epoch;
  }
  wake_.notify_all();
}

std::shared_ptr<const MapSnapshot> PeerMap::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

uint64_t PeerMap::epoch() const {
  std::lock_guard lock(mutex_);
  return snapshot_ ? snapshot_->epoch() : 0;
}

std::shared_ptr<RpcChannel> PeerMap::ChannelTo(ServerId peer, Status* status) {
  std::lock_guard lock(mutex_);
  auto it = channels_.find(peer);
  if (it != channels_.end() && !it->second->broken()) return it->second;
  const proto::ServerInfo* info = snapshot_ ? snapshot_->Find(peer) : nullptr;
  if (info == nullptr) {
    *status = Status(proto::STATUS_UNREACHABLE, fmt::format("server {:016x} not in map", peer));
    return nullptr;
  }
  auto channel = RpcChannel::Create(io_.io(), info->address(), call_timeout_);
  channels_[peer] = channel;
  return channel;
}

std::future<RpcResult> PeerMap::CallAsync(ServerId peer, uint16_t op,
                                          const google::protobuf::MessageLite& request,
                                          std::string_view payload, uint64_t* request_id,
                                          std::shared_ptr<RpcChannel>* channel) {
  Status status;
  *channel = ChannelTo(peer, &status);
  if (*channel) return (*channel)->CallAsync(op, request, payload, request_id);
  std::promise<RpcResult> failed;
  failed.set_value(RpcResult{status, {}, {}});
  return failed.get_future();
}

RpcResult PeerMap::Call(ServerId peer, uint16_t op, const google::protobuf::MessageLite& request,
                        std::string_view payload) {
  Status status;
  std::shared_ptr<RpcChannel> channel = ChannelTo(peer, &status);
  if (!channel) return RpcResult{status, {}, {}};
  return channel->Call(op, request, call_timeout_, payload);
}

void PeerMap::RefreshLoop() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    lock.unlock();
    Status status = Refresh();
    if (!status.ok()) spdlog::debug("cluster map not refreshed: {}", status.ToString());
    lock.lock();
    const bool behind = !snapshot_ || wanted_epoch_ > snapshot_->epoch();
    if (behind) {  // the manager did not answer, or answered with an older map: again soon
      wake_.wait_for(lock, std::chrono::milliseconds(50), [this] { return stop_; });
    } else {  // wait for news or the periodic refresh
      wake_.wait_for(lock, kPeriodicRefresh,
                     [this] { return stop_ || wanted_epoch_ > snapshot_->epoch(); });
    }
  }
}

}  // namespace sealfs
