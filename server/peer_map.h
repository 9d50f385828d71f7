// PeerMap: the Peers of a real server (peers.h): the latest map from the manager, its placement,
// and one RpcChannel per other server.
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
#include "server/peers.h"

namespace sealfs {

class PeerMap final : public Peers {
 public:
  // `incarnation`: this process's (ManagerLinkOptions); until a map shows it, this server heads
  // nothing and runs no pass (Placement).
  PeerMap(std::string manager_address, ServerId self, uint64_t incarnation,
          std::chrono::milliseconds call_timeout);
  ~PeerMap() override;  // Stop()
  PeerMap(const PeerMap&) = delete;
  PeerMap& operator=(const PeerMap&) = delete;

  // Starts the background refresher; Stop joins it. Stop is idempotent.
  void Start();
  void Stop();

  // Fetches the map from the manager now; keeps the newer of it and the one held. When the
  // manager cannot be reached, asks the other servers for theirs (OP_GET_CLUSTER_MAP), so that a
  // server that missed the last change before the manager went away still learns it.
  Status Refresh() override;
  // Asks the background thread to fetch the map when `epoch` is newer than the one held.
  void NoteEpoch(uint64_t epoch) override;

  // The latest map; null until the first fetch succeeded.
  [[nodiscard]] std::shared_ptr<const MapSnapshot> snapshot() const override;
  [[nodiscard]] ServerId self() const override { return self_; }
  [[nodiscard]] uint64_t incarnation() const { return incarnation_; }
  [[nodiscard]] bool KnowsThisProcess(const MapSnapshot& map) const override;

  // To the server's address in the latest map, within the call timeout.
  RpcResult Call(ServerId peer, uint16_t op, const google::protobuf::MessageLite& request,
                 std::string_view payload = {}, uint64_t request_id = 0) override;
  std::vector<RpcResult> CallEach(const std::vector<ServerId>& peers, uint16_t op,
                                  const google::protobuf::MessageLite& request,
                                  std::string_view payload = {}) override;

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
