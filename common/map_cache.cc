#include "map_cache.h"

#include <fmt/format.h>

namespace sealfs {

MapCache::MapCache(asio::io_context& io, std::string manager_address,
                   std::chrono::milliseconds connect_timeout,
                   std::chrono::milliseconds call_timeout, RpcChannel::ReplyReader reader)
    : io_(io),
      manager_address_(std::move(manager_address)),
      connect_timeout_(connect_timeout),
      call_timeout_(call_timeout),
      reader_(reader) {}

MapCache::~MapCache() { Close(); }

void MapCache::Close() {
  std::lock_guard lock(mutex_);
  for (auto& [id, channel] : channels_) channel->Close();
  channels_.clear();
  if (manager_channel_) manager_channel_->Close();
}

Status MapCache::Refresh() {
  std::shared_ptr<RpcChannel> channel;
  {
    std::lock_guard lock(mutex_);
    if (!manager_channel_ || manager_channel_->broken()) {
      manager_channel_ = RpcChannel::Create(io_, manager_address_, connect_timeout_);
    }
    channel = manager_channel_;
  }
  proto::GetClusterMapReply reply;
  Status status =
      channel->Call(proto::OP_GET_CLUSTER_MAP, proto::GetClusterMapRequest(), call_timeout_)
          .Decode(&reply);
  if (!status.ok()) {
    return {status.code(), "manager " + manager_address_ + ": " + status.message()};
  }
  if (reply.map().servers_size() == 0) {
    return {proto::STATUS_UNREACHABLE, "the cluster map lists no server yet"};
  }
  Offer(std::move(*reply.mutable_map()));
  return Status::Ok();
}

void MapCache::SetSelf(ServerId self, uint64_t incarnation) {
  std::lock_guard lock(mutex_);
  self_ = self;
  self_incarnation_ = incarnation;
}

void MapCache::Offer(proto::ClusterMap map) {
  ServerId self = 0;
  uint64_t incarnation = 0;
  {
    std::lock_guard lock(mutex_);
    self = self_;
    incarnation = self_incarnation_;
  }
  auto snapshot = std::make_shared<MapSnapshot>();
  snapshot->map = std::move(map);
  snapshot->placement = Placement(snapshot->map, self, incarnation);
  snapshot->every_group_served = snapshot->placement.EveryGroupServed();
  std::lock_guard lock(mutex_);
  if (snapshot_ && snapshot_->epoch() >= snapshot->epoch()) return;
  // Channels to servers whose address changed are stale.
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
}

std::shared_ptr<const MapSnapshot> MapCache::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

std::shared_ptr<RpcChannel> MapCache::ChannelTo(ServerId server, Status* status) {
  std::lock_guard lock(mutex_);
  auto it = channels_.find(server);
  if (it != channels_.end() && !it->second->broken()) return it->second;
  const proto::ServerInfo* info = snapshot_ ? snapshot_->Find(server) : nullptr;
  if (info == nullptr) {
    *status = Status(proto::STATUS_UNREACHABLE, fmt::format("server {:016x} not in map", server));
    return nullptr;
  }
  auto channel = RpcChannel::Create(io_, info->address(), connect_timeout_, reader_);
  channels_[server] = channel;
  return channel;
}

}  // namespace sealfs
