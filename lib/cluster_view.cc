#include "cluster_view.h"

namespace sealfs::client {

namespace {
// A map fetched this recently is fresh enough for a failed call to retry against.
constexpr std::chrono::milliseconds kMinRefreshInterval{200};

// Ops that give the same result when a server receives them twice.
bool IsIdempotent(uint16_t op) {
  switch (op) {
    case proto::OP_LOOKUP:
    case proto::OP_GET_ATTR:
    case proto::OP_READ_DIR:
    case proto::OP_GET_XATTR:
    case proto::OP_LIST_XATTR:
    case proto::OP_READ_CHUNK:
    case proto::OP_WRITE_CHUNK:  // the same bytes at the same place
    case proto::OP_TRUNCATE_CHUNKS:
    case proto::OP_DELETE_CHUNKS:
    case proto::OP_SYNC:
    case proto::OP_STAT_FS:
      return true;
    default:
      return false;
  }
}
}  // namespace

const proto::ServerInfo* MapSnapshot::Find(ServerId id) const {
  for (const auto& server : map.servers()) {
    if (server.id() == id) return &server;
  }
  return nullptr;
}

ClusterView::ClusterView(std::string manager_address, Timeouts timeouts)
    : manager_address_(std::move(manager_address)), timeouts_(timeouts), io_(1) {}

ClusterView::~ClusterView() {
  std::lock_guard lock(mutex_);
  for (auto& [id, channel] : channels_) channel->Close();
  if (manager_channel_) manager_channel_->Close();
}

Status ClusterView::Refresh() {
  std::shared_ptr<RpcChannel> channel;
  {
    std::lock_guard lock(mutex_);
    if (!manager_channel_ || manager_channel_->broken()) {
      manager_channel_ = RpcChannel::Create(io_.io(), manager_address_, timeouts_.connect);
    }
    channel = manager_channel_;
    last_refresh_ = std::chrono::steady_clock::now();
  }
  RpcResult result =
      channel->Call(proto::OP_GET_CLUSTER_MAP, proto::GetClusterMapRequest(), timeouts_.request);
  proto::GetClusterMapReply reply;
  Status status = result.Decode(&reply);
  if (!status.ok()) {
    return {status.code(), "manager " + manager_address_ + ": " + status.message()};
  }
  if (reply.map().servers_size() == 0) {
    return {proto::STATUS_UNREACHABLE, "the cluster map lists no server yet"};
  }
  auto snapshot = std::make_shared<MapSnapshot>();
  snapshot->map = reply.map();
  snapshot->placement = Placement(snapshot->map);
  std::lock_guard lock(mutex_);
  if (snapshot_ && snapshot_->map.epoch() > snapshot->map.epoch()) return Status::Ok();
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
  return Status::Ok();
}

std::shared_ptr<const MapSnapshot> ClusterView::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

std::shared_ptr<RpcChannel> ClusterView::ChannelTo(ServerId server, Status* status) {
  std::lock_guard lock(mutex_);
  auto it = channels_.find(server);
  if (it != channels_.end() && !it->second->broken()) return it->second;
  const proto::ServerInfo* info = snapshot_ ? snapshot_->Find(server) : nullptr;
  if (info == nullptr) {
    *status = Status(proto::STATUS_UNREACHABLE, "server " + std::to_string(server) + " not in map");
    return nullptr;
  }
  auto channel = RpcChannel::Create(io_.io(), info->address(), timeouts_.connect);
  channels_[server] = channel;
  return channel;
}

PendingCall ClusterView::Start(ServerId server, uint16_t op,
                               const google::protobuf::MessageLite& request,
                               std::string_view payload) {
  PendingCall call{server, op, &request, payload, nullptr, 0, {}};
  Status status;
  call.channel = ChannelTo(server, &status);
  if (call.channel) {
    call.future = call.channel->CallAsync(op, request, payload, &call.request_id);
  } else {
    std::promise<RpcResult> failed;
    failed.set_value(RpcResult{status, {}, {}});
    call.future = failed.get_future();
  }
  return call;
}

RpcResult ClusterView::Wait(PendingCall& call) {
  if (call.future.wait_for(timeouts_.request) != std::future_status::ready &&
      call.channel->Abandon(call.request_id)) {
    return RpcResult{
        Status(proto::STATUS_TIMED_OUT, "no reply from " + call.channel->address() + " within " +
                                            std::to_string(timeouts_.request.count()) + " ms"),
        {},
        {},
        true};
  }
  return call.future.get();
}

RpcResult ClusterView::Finish(PendingCall& call) {
  RpcResult result = Wait(call);
  if (result.status.code() != proto::STATUS_UNREACHABLE) return result;
  // The server may live on at a new address: look again once.
  RefreshAfterFailure();
  if (result.maybe_delivered && !IsIdempotent(call.op)) return result;
  PendingCall retry = Start(call.server, call.op, *call.request, call.payload);
  return Wait(retry);
}

RpcResult ClusterView::Call(ServerId server, uint16_t op,
                            const google::protobuf::MessageLite& request,
                            std::string_view payload) {
  PendingCall call = Start(server, op, request, payload);
  return Finish(call);
}

Status ClusterView::CallEveryServer(uint16_t op, const google::protobuf::MessageLite& request,
                                    std::vector<RpcResult>* results) {
  auto map = snapshot();
  std::vector<PendingCall> calls;
  for (ServerId server : map->placement.servers()) calls.push_back(Start(server, op, request));
  Status status;
  for (auto& call : calls) {
    RpcResult result = Finish(call);
    if (!result.status.ok() && status.ok()) status = result.status;
    if (results != nullptr) results->push_back(std::move(result));
  }
  return status;
}

ServerId ClusterView::Home(std::string_view placement_key) const {
  return snapshot()->placement.Home(placement_key);
}

RpcResult ClusterView::CallHome(std::string_view placement_key, uint16_t op,
                                const google::protobuf::MessageLite& request,
                                std::string_view payload) {
  return Call(Home(placement_key), op, request, payload);
}

void ClusterView::RefreshAfterFailure() {
  {
    std::lock_guard lock(mutex_);
    if (std::chrono::steady_clock::now() - last_refresh_ < kMinRefreshInterval) return;
  }
  (void)Refresh();
}

}  // namespace sealfs::client
