// PeerMap: this server's picture of the cluster: the latest map from the manager, its placement,
// and one RpcChannel per other server (for replication).
//
// The map is fetched from the manager at start, whenever a heartbeat reply or a peer reveals a
// newer epoch (NoteEpoch wakes a background thread), and on demand (Refresh) when a peer refuses
// a request as coming from a stale map.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "map_cache.h"
#include "placement.h"
#include "rpc.h"

namespace sealfs {

class PeerMap {
 public:
  // `incarnation`: this process's (ManagerLinkOptions); until a map shows it, this server heads
  // nothing and runs no pass (Placement).
  PeerMap(std::string manager_address, ServerId self, uint64_t incarnation,
          std::chrono::milliseconds call_timeout);
  ~PeerMap();  // Stop()
  PeerMap(const PeerMap&) = delete;
  PeerMap& operator=(const PeerMap&) = delete;

  // Starts the background refresher; Stop joins it. Stop is idempotent.
  void Start();
  void Stop();

  // Fetches the map from the manager now; keeps the newer of it and the one held. When the
  // manager cannot be reached, asks the other servers for theirs (OP_GET_CLUSTER_MAP), so that a
  // server that missed the last change before the manager went away still learns it.
  Status Refresh();
  // Asks the background thread to fetch the map when `epoch` is newer than the one held.
  void NoteEpoch(uint64_t epoch);

  // The latest map; null until the first fetch succeeded.
  [[nodiscard]] std::shared_ptr<const MapSnapshot> snapshot() const;
  [[nodiscard]] uint64_t epoch() const;
  [[nodiscard]] ServerId self() const { return self_; }
  [[nodiscard]] uint64_t incarnation() const { return incarnation_; }
  // True when `map` shows this process (its incarnation) alive: it may head and pass.
  [[nodiscard]] bool KnowsThisProcess(const MapSnapshot& map) const;
  [[nodiscard]] std::chrono::milliseconds call_timeout() const { return call_timeout_; }

  // Starts a call to another server at its address in the latest map. The future fails with
  // STATUS_UNREACHABLE when the server is not in the map.
  std::future<RpcResult> CallAsync(ServerId peer, uint16_t op,
                                   const google::protobuf::MessageLite& request,
                                   std::string_view payload, uint64_t* request_id,
                                   std::shared_ptr<RpcChannel>* channel);
  // A call with the call timeout.
  RpcResult Call(ServerId peer, uint16_t op, const google::protobuf::MessageLite& request,
                 std::string_view payload = {});

 private:
  void RefreshLoop();
  [[nodiscard]] bool BehindLocked() const;

  const ServerId self_;
  const uint64_t incarnation_;
  const std::chrono::milliseconds call_timeout_;
  IoThreads io_;
  MapCache cache_;

  mutable std::mutex mutex_;
  uint64_t wanted_epoch_ = 0;  // GUARDED_BY(mutex_)
  bool stop_ = false;          // GUARDED_BY(mutex_)
  std::condition_variable wake_;
  std::thread refresher_;
};

}  // namespace sealfs
