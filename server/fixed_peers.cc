#include "server/fixed_peers.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>

namespace sealfs {

std::unique_ptr<FixedPeers> FixedPeers::OneServer(ServerId self) {
  proto::ClusterMap map;
  map.set_epoch(1);
  map.set_replicas(1);
  proto::ServerInfo* server = map.add_servers();
  server->set_id(self);
  server->set_state(proto::SERVER_UP);
  auto peers = std::make_unique<FixedPeers>(self);
  peers->SetMap(map);
  return peers;
}

void FixedPeers::SetMap(const proto::ClusterMap& map) {
  auto snapshot = std::make_shared<MapSnapshot>();
  snapshot->map = map;
  snapshot->placement = Placement(snapshot->map);
  snapshot->every_group_served = snapshot->placement.EveryGroupServed();
  std::lock_guard lock(mutex_);
  snapshot_ = std::move(snapshot);
}

void FixedPeers::Connect(ServerId peer, Handler handler) {
  std::lock_guard lock(mutex_);
  handlers_[peer] = std::move(handler);
}

uint64_t FixedPeers::noted_epoch() const {
  std::lock_guard lock(mutex_);
  return noted_epoch_;
}

std::shared_ptr<const MapSnapshot> FixedPeers::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

void FixedPeers::NoteEpoch(uint64_t epoch) {
  std::lock_guard lock(mutex_);
  noted_epoch_ = std::max(noted_epoch_, epoch);
}

RpcResult FixedPeers::Call(ServerId peer, uint16_t op, const google::protobuf::MessageLite& request,
                           std::string_view payload, uint64_t request_id) {
  Handler handler;
  {
    std::lock_guard lock(mutex_);
    auto it = handlers_.find(peer);
    if (it != handlers_.end()) handler = it->second;
  }
  if (!handler) {
    return RpcResult{
        {proto::STATUS_UNREACHABLE, fmt::format("no server {:016x} here", peer)}, {}, {}};
  }
  return handler(op, request.SerializeAsString(), payload, request_id);
}

}  // namespace sealfs
