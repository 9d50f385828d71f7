// ClusterView: the client's picture of the cluster and its connections to every server.
//
// It holds the latest cluster map from the manager, the placement computed from it, and one
// RpcChannel per server. Each call carries a request id drawn at random; when it fails in a way
// that another attempt can mend (the server cannot be reached or did not answer, is not the
// head of the record any more, or has a newer map) the call is sent again under the same id,
// to the head of its record in a freshly fetched map, until Timeouts::failover has passed. The
// same id makes a retry safe: a server answers a request it has already applied with the reply
// it recorded then (server_service.h). Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include "map_cache.h"
#include "placement.h"
#include "rpc.h"

namespace sealfs::client {

struct Timeouts {
  std::chrono::milliseconds connect{2000};
  std::chrono::milliseconds request{10000};
  // How long a call keeps trying while the cluster recovers from a failure: longer than the
  // manager takes to mark a dead server DOWN (its heartbeat timeout).
  std::chrono::milliseconds failover{60000};
};

using sealfs::MapSnapshot;

// A call started on a server; complete it with ClusterView::Finish.
struct PendingCall {
  ServerId server = 0;
  std::string placement_key;  // a retry goes to this key's head; empty: to `server` again
  uint16_t op = 0;
  const google::protobuf::MessageLite* request = nullptr;  // must outlive Finish
  std::string_view payload;                                // must outlive Finish
  std::shared_ptr<RpcChannel> channel;                     // null when none could be made
  uint64_t request_id = 0;                                 // the same for every attempt
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
  // request_id 0 draws a new one; a caller that sends one request several times itself (create,
  // which redraws its inode number for a new head) passes the id of the first attempt.
  PendingCall Start(ServerId server, uint16_t op, const google::protobuf::MessageLite& request,
                    std::string_view payload = {}, uint64_t request_id = 0);
  // Starts a request to the head of a placement key.
  PendingCall StartHome(std::string_view placement_key, uint16_t op,
                        const google::protobuf::MessageLite& request,
                        std::string_view payload = {});
  // Waits for a started request, retrying it as described above.
  RpcResult Finish(PendingCall& call);
  // Waits for one attempt of a started request within the request timeout, abandoning the call
  // on timeout; no retry.
  RpcResult Wait(PendingCall& call);

  // Sends one request to every server that is UP or SYNCING at once and waits for all replies;
  // when one fails in a way a retry can mend, fetches the map and sends it to all of them again
  // (for ops a server may receive twice). Returns the first failure; *results (optional)
  // receives every reply.
  // `stamp` (optional) is given the epoch of the map each round is sent under, to write into
  // the request (ReadDirRequest.epoch and its like).
  Status CallEveryServer(uint16_t op, const google::protobuf::MessageLite& request,
                         std::vector<RpcResult>* results = nullptr,
                         const std::function<void(uint64_t epoch)>& stamp = {});

  // Sends one request to the head of a placement key.
  RpcResult CallHome(std::string_view placement_key, uint16_t op,
                     const google::protobuf::MessageLite& request, std::string_view payload = {});
  [[nodiscard]] ServerId Home(std::string_view placement_key) const;
  // A fresh random request id.
  uint64_t NewRequestId();
  // After a retryable failure: fetches the map unless another thread just did, and pauses
  // briefly so that a cluster in the middle of a change is not hammered.
  void BackOff(const Status& failure);

  [[nodiscard]] const Timeouts& timeouts() const { return timeouts_; }

 private:
  // Refreshes the map unless another thread did within the last moment.
  void RefreshAfterFailure();

  const Timeouts timeouts_;
  IoThreads io_;
  MapCache cache_;

  mutable std::mutex mutex_;
  std::chrono::steady_clock::time_point last_refresh_;  // GUARDED_BY(mutex_)
  std::mt19937_64 random_;                              // GUARDED_BY(mutex_)
};

}  // namespace sealfs::client
