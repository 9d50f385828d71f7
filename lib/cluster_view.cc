#include "cluster_view.h"

#include <thread>

namespace sealfs::client {

namespace {
// A map fetched this recently is fresh enough for a failed call to retry against.
constexpr std::chrono::milliseconds kMinRefreshInterval{200};
// Between two attempts of a call that failed because the cluster is changing.
constexpr std::chrono::milliseconds kRetryPause{100};

bool IsServing(const MapSnapshot& map, ServerId server) {
  return IsLive(map.placement.StateOf(server));
}
}  // namespace

ClusterView::ClusterView(std::string manager_address, Timeouts timeouts)
    : timeouts_(timeouts),
      io_(1),
      cache_(io_.io(), std::move(manager_address), timeouts.connect, timeouts.request,
             RpcChannel::ReplyReader::kWaitingCaller),
      random_(std::random_device()()) {}

uint64_t ClusterView::NewRequestId() {
  std::lock_guard lock(mutex_);
  uint64_t id = 0;
  while (id == 0) id = random_();
  return id;
}

void ClusterView::BackOff(const Status& failure) {
  if (failure.code() != proto::STATUS_NOT_HEAD) std::this_thread::sleep_for(kRetryPause);
  RefreshAfterFailure();
  if (failure.code() == proto::STATUS_NOT_HEAD) std::this_thread::sleep_for(kRetryPause / 4);
}

ClusterView::~ClusterView() = default;

Status ClusterView::Refresh() {
  {
    std::lock_guard lock(mutex_);
    last_refresh_ = std::chrono::steady_clock::now();
  }
  return cache_.Refresh();
}

std::shared_ptr<const MapSnapshot> ClusterView::snapshot() const { return cache_.snapshot(); }

PendingCall ClusterView::Start(ServerId server, uint16_t op,
                               const google::protobuf::MessageLite& request,
                               std::string_view payload, uint64_t request_id) {
  PendingCall call{server, {}, op, &request, payload, nullptr, request_id, {}};
  if (call.request_id == 0) call.request_id = NewRequestId();
  Status status;
  call.channel = cache_.ChannelTo(server, &status);
  if (call.channel) {
    uint64_t sent_id = call.request_id;
    call.future = call.channel->CallAsync(op, request, payload, &sent_id);
  } else {
    std::promise<RpcResult> failed;
    failed.set_value(RpcResult{status, {}, {}});
    call.future = failed.get_future();
  }
  return call;
}

PendingCall ClusterView::StartHome(std::string_view placement_key, uint16_t op,
                                   const google::protobuf::MessageLite& request,
                                   std::string_view payload) {
  PendingCall call = Start(Home(placement_key), op, request, payload);
  call.placement_key = placement_key;
  return call;
}

RpcResult ClusterView::Wait(PendingCall& call) {
  if (!call.channel) return call.future.get();  // failed before it was sent
  return call.channel->Wait(call.request_id, call.future,
                            std::chrono::steady_clock::now() + timeouts_.request);
}

RpcResult ClusterView::Finish(PendingCall& call) {
  const auto deadline = std::chrono::steady_clock::now() + timeouts_.failover;
  RpcResult result = Wait(call);
  while (result.status.transient() && std::chrono::steady_clock::now() < deadline) {
    BackOff(result.status);
    auto map = snapshot();
    ServerId target = call.server;
    if (!call.placement_key.empty()) {
      target = map->placement.Home(call.placement_key);
    } else if (!IsServing(*map, call.server)) {
      break;  // the caller decides what a server that left means (CallEveryServer: ask again)
    }
    PendingCall retry = Start(target, call.op, *call.request, call.payload, call.request_id);
    retry.placement_key = std::move(call.placement_key);
    call = std::move(retry);
    result = Wait(call);
  }
  return result;
}

RpcResult ClusterView::Call(ServerId server, uint16_t op,
                            const google::protobuf::MessageLite& request,
                            std::string_view payload) {
  PendingCall call = Start(server, op, request, payload);
  return Finish(call);
}

Status ClusterView::CallEveryServer(uint16_t op, const google::protobuf::MessageLite& request,
                                    std::vector<RpcResult>* results,
                                    const std::function<void(uint64_t epoch)>& stamp) {
  const auto deadline = std::chrono::steady_clock::now() + timeouts_.failover;
  for (;;) {
    auto map = snapshot();
    if (stamp) stamp(map->epoch());
    std::vector<PendingCall> calls;
    for (ServerId server : map->placement.servers()) {
      if (IsServing(*map, server)) calls.push_back(Start(server, op, request));
    }
    Status status;
    if (!map->every_group_served) {
      status = {proto::STATUS_UNREACHABLE, "records whose every complete copy is down"};
    }
    std::vector<RpcResult> replies;
    for (auto& call : calls) {
      RpcResult result = Wait(call);
      if (!result.status.ok() && status.ok()) status = result.status;
      replies.push_back(std::move(result));
    }
    if (calls.empty()) status = {proto::STATUS_UNREACHABLE, "no server is up"};
    if (!status.transient() || std::chrono::steady_clock::now() >= deadline) {
      if (results != nullptr) *results = std::move(replies);
      return status;
    }
    BackOff(status);
  }
}

ServerId ClusterView::Home(std::string_view placement_key) const {
  return snapshot()->placement.Home(placement_key);
}

RpcResult ClusterView::CallHome(std::string_view placement_key, uint16_t op,
                                const google::protobuf::MessageLite& request,
                                std::string_view payload) {
  PendingCall call = StartHome(placement_key, op, request, payload);
  return Finish(call);
}

void ClusterView::RefreshAfterFailure() {
  {
    std::lock_guard lock(mutex_);
    if (std::chrono::steady_clock::now() - last_refresh_ < kMinRefreshInterval) return;
  }
  (void)Refresh();
}

}  // namespace sealfs::client
