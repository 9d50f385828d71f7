#include "peer_map.h"

#include <utility>
#include <vector>

#include "spdlog/spdlog.h"

namespace sealfs {

namespace {
// How often the refresher fetches the map even when nobody asked: a missed heartbeat reply must
// not leave this server on an old map for long.
constexpr std::chrono::milliseconds kPeriodicRefresh{2000};
}  // namespace

PeerMap::PeerMap(std::string manager_address, ServerId self, uint64_t incarnation,
                 std::chrono::milliseconds call_timeout)
    : self_(self),
      incarnation_(incarnation),
      call_timeout_(call_timeout),
      io_(1),
      // The thread waiting for a reply reads it: a replicated write then wakes once for its
      // copies' replies rather than twice (an I/O thread, then the waiting worker).
      cache_(io_.io(), std::move(manager_address), call_timeout, call_timeout,
             RpcChannel::ReplyReader::kWaitingCaller) {
  cache_.SetSelf(self, incarnation);
}

bool PeerMap::KnowsThisProcess(const MapSnapshot& map) const {
  const proto::ServerInfo* info = map.Find(self_);
  return info != nullptr && info->incarnation() == incarnation_ && IsLive(info->state());
}

PeerMap::~PeerMap() { Stop(); }

void PeerMap::Start() {
  std::lock_guard lock(mutex_);
  if (refresher_.joinable() || stop_) return;
  refresher_ = std::thread([this] { RefreshLoop(); });
}

void PeerMap::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  cache_.Close();  // fails a fetch in progress at once
  if (refresher_.joinable()) refresher_.join();
}

Status PeerMap::Refresh() {
  Status status = cache_.Refresh();
  auto map = cache_.snapshot();
  if (status.ok() || !map) return status;
  std::vector<ServerId> others;
  for (const auto& server : map->map.servers()) {
    if (server.id() != self_ && server.state() != proto::SERVER_OUT) others.push_back(server.id());
  }
  for (RpcResult& reply :
       CallEach(others, proto::OP_GET_CLUSTER_MAP, proto::GetClusterMapRequest())) {
    proto::GetClusterMapReply peer_map;
    if (reply.Decode(&peer_map).ok() && peer_map.map().servers_size() > 0) {
      cache_.Offer(std::move(*peer_map.mutable_map()));
    }
  }
  return status;
}

void PeerMap::NoteEpoch(uint64_t epoch) {
  {
    std::lock_guard lock(mutex_);
    if (epoch <= wanted_epoch_ || epoch <= this->epoch()) return;
    wanted_epoch_ = epoch;
  }
  wake_.notify_all();
}

std::shared_ptr<const MapSnapshot> PeerMap::snapshot() const { return cache_.snapshot(); }

bool PeerMap::BehindLocked() const { return epoch() == 0 || wanted_epoch_ > epoch(); }

RpcResult PeerMap::Call(ServerId peer, uint16_t op, const google::protobuf::MessageLite& request,
                        std::string_view payload, uint64_t request_id) {
  Status status;
  std::shared_ptr<RpcChannel> channel = cache_.ChannelTo(peer, &status);
  if (!channel) return RpcResult{status, {}, {}};
  std::future<RpcResult> reply = channel->CallAsync(op, request, payload, &request_id);
  return channel->Wait(request_id, reply, std::chrono::steady_clock::now() + call_timeout_);
}

std::vector<RpcResult> PeerMap::CallEach(const std::vector<ServerId>& peers, uint16_t op,
                                         const google::protobuf::MessageLite& request,
                                         std::string_view payload) {
  struct Started {
    std::shared_ptr<RpcChannel> channel;
    std::future<RpcResult> reply;
    uint64_t request_id = 0;
  };
  std::vector<RpcResult> results(peers.size());
  std::vector<Started> started(peers.size());
  for (std::size_t i = 0; i < peers.size(); ++i) {
    started[i].channel = cache_.ChannelTo(peers[i], &results[i].status);
    if (!started[i].channel) continue;
    started[i].reply = started[i].channel->CallAsync(op, request, payload, &started[i].request_id);
  }
  const auto deadline = std::chrono::steady_clock::now() + call_timeout_;
  for (std::size_t i = 0; i < peers.size(); ++i) {
    Started& call = started[i];
    if (!call.channel) continue;
    results[i] = call.channel->Wait(call.request_id, call.reply, deadline);
  }
  return results;
}

void PeerMap::RefreshLoop() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    lock.unlock();
    Status status = Refresh();
    if (!status.ok()) spdlog::debug("cluster map not refreshed: {}", status.ToString());
    lock.lock();
    if (BehindLocked()) {  // the manager did not answer, or answered with an older map: again soon
      wake_.wait_for(lock, std::chrono::milliseconds(50), [this] { return stop_; });
    } else {  // wait for news or the periodic refresh
      wake_.wait_for(lock, kPeriodicRefresh, [this] { return stop_ || BehindLocked(); });
    }
  }
}

}  // namespace sealfs
