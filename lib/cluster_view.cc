#include "cluster_view.h"

namespace sealfs::client {

namespace {
// A map fetched this recently is fresh enough for a failed call to retry against.
constexpr std::chrono::milliseconds kMinRefreshInterval{200};
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

std::future<RpcResult> ClusterView::Send(ServerId server, uint16_t op,
                                         const google::protobuf::MessageLite& request,
                                         std::string_view payload) {
  Status status;
  auto channel = ChannelTo(server, &status);
  if (!channel) {
    std::promise<RpcResult> failed;
    failed.set_value(RpcResult{status, {}, {}});
    return failed.get_future();
  }
  return channel->CallAsync(op, request, payload);
}

PendingCall ClusterView::Start(ServerId server, uint16_t op,
                               const google::protobuf::MessageLite& request,
                               std::string_view payload) {
  return PendingCall{server, op, &request, payload, Send(server, op, request, payload)};
}

RpcResult ClusterView::Finish(PendingCall& call) {
  auto wait = [this](std::future<RpcResult>& future) {
    if (future.wait_for(timeouts_.request) != std::future_status::ready) {
      return RpcResult{Status(proto::STATUS_TIMED_OUT, "no reply within " +
                                                           std::to_string(timeouts_.request.count()) +
                                                           " ms"),
                       {},
                       {}};
    }
    return future.get();
  };
  RpcResult result = wait(call.future);
  if (result.status.code() != proto::STATUS_UNREACHABLE) return result;
  // The server may live on at a new address: look again once.
  RefreshAfterFailure();
  std::future<RpcResult> retry = Send(call.server, call.op, *call.request, call.payload);
  return wait(retry);
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
