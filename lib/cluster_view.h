// ClusterView: the client's picture of the cluster and its connections to every server.
//
// It holds the latest cluster map from the manager, the placement computed from it, and one
// RpcChannel per server. A call to a server that cannot be reached makes it ask the manager for
// a fresh map once (the server may have come back on another address) and send the call again
// when that is safe, before giving up with STATUS_UNREACHABLE. Thread-safe.
#pragma once

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "placement.h"
#include "rpc.h"

namespace sealfs::client {

struct Timeouts {
  std::chrono::milliseconds connect{2000};
  std::chrono::milliseconds request{10000};
};

// One immutable version of the map, with its placement.
struct MapSnapshot {
  proto::ClusterMap map;
  Placement placement;
  [[nodiscard]] const proto::ServerInfo* Find(ServerId id) const;
};

// A call started on a server; complete it with ClusterView::Finish.
struct PendingCall {
  ServerId server = 0;
  uint16_t op = 0;
  const google::protobuf::MessageLite* request = nullptr;  // must outlive Finish
  std::string_view payload;                                // must outlive Finish
  std::shared_ptr<RpcChannel> channel;                     // null when none could be made
  uint64_t request_id = 0;
  std::future<RpcResult> future;
};

class ClusterView {
 public:
  ClusterView(std::string manager_address, Timeouts timeouts);
  ~ClusterView();
  ClusterView(const ClusterView&) = delete;
  ClusterView& operator=(const ClusterView&) = delete;

  // Fetches the map from the manager. Fails when the manager cannot be reached or the map
  // lists no server.
  Status Refresh();
  [[nodiscard]] std::shared_ptr<const MapSnapshot> snapshot() const;

  // Sends one request to a server and waits for the reply.
  RpcResult Call(ServerId server, uint16_t op, const google::protobuf::MessageLite& request,
                 std::string_view payload = {});
  // Starts a request without waiting; the request and payload must stay alive until Finish.
  PendingCall Start(ServerId server, uint16_t op, const google::protobuf::MessageLite& request,
                    std::string_view payload = {});
  // Waits for a started request. When the server was unreachable, refreshes the map and sends
  // the request once more if that cannot apply it twice: it surely never arrived, or the op
  // reads or overwrites without side effects.
  RpcResult Finish(PendingCall& call);

  // Sends one request to every server of the map at once and waits for all replies. Returns the
  // first failure; *results (optional) receives every reply in the order of the map.
  Status CallEveryServer(uint16_t op, const google::protobuf::MessageLite& request,
                         std::vector<RpcResult>* results = nullptr);

  // Sends one request to the home server of a placement key.
  RpcResult CallHome(std::string_view placement_key, uint16_t op,
                     const google::protobuf::MessageLite& request, std::string_view payload = {});
  [[nodiscard]] ServerId Home(std::string_view placement_key) const;

  [[nodiscard]] const Timeouts& timeouts() const { return timeouts_; }

 private:
  std::shared_ptr<RpcChannel> ChannelTo(ServerId server, Status* status);
  // Waits for call.future within the request timeout, abandoning the call on timeout.
  RpcResult Wait(PendingCall& call);
  // Refreshes the map unless another thread did within the last moment.
  void RefreshAfterFailure();

  const std::string manager_address_;
  const Timeouts timeouts_;
  IoThreads io_;

  mutable std::mutex mutex_;
  std::shared_ptr<const MapSnapshot> snapshot_;               // GUARDED_BY(mutex_)
  std::map<ServerId, std::shared_ptr<RpcChannel>> channels_;  // GUARDED_BY(mutex_)
  std::shared_ptr<RpcChannel> manager_channel_;               // GUARDED_BY(mutex_)
  std::chrono::steady_clock::time_point last_refresh_;        // GUARDED_BY(mutex_)
};

}  // namespace sealfs::client
