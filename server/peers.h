// Peers: what the replicator, the passes and the intent runner need of the cluster: this
// server's latest map and calls to the other servers. PeerMap is the real one (the manager, a
// channel per server); FixedPeers (fixed_peers.h) holds a map it is given, and is the one-server
// cluster of the tests of the stores and the fuzzers, and the several in-process servers of the
// replicator's unit tests.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "placement.h"
#include "rpc.h"

namespace sealfs {

class Peers {
 public:
  virtual ~Peers() = default;

  // The latest map; null until there is one.
  [[nodiscard]] virtual std::shared_ptr<const MapSnapshot> snapshot() const = 0;
  [[nodiscard]] uint64_t epoch() const {
    auto map = snapshot();
    return map ? map->epoch() : 0;
  }
  [[nodiscard]] virtual ServerId self() const = 0;
  // True when `map` shows this process (its incarnation) alive: it may head and pass.
  [[nodiscard]] virtual bool KnowsThisProcess(const MapSnapshot& map) const = 0;

  // Fetches the newest map now (a peer refused a request as coming from a stale map).
  virtual Status Refresh() = 0;
  // A peer or a reply revealed `epoch`: fetch the map soon if it is newer than the one held.
  virtual void NoteEpoch(uint64_t epoch) = 0;

  // Calls another server of the latest map and waits at most the call timeout (then
  // STATUS_TIMED_OUT; a reply that comes later is dropped). STATUS_UNREACHABLE when the server
  // is not in the map. `request_id` nonzero: the id to send it under (a retry keeps the id of
  // its first attempt).
  virtual RpcResult Call(ServerId peer, uint16_t op, const google::protobuf::MessageLite& request,
                         std::string_view payload = {}, uint64_t request_id = 0) = 0;
  // Call to each of `peers`, all in flight at once, each waited for at most the call timeout:
  // results in the order of `peers`. This default makes the calls one after the other.
  virtual std::vector<RpcResult> CallEach(const std::vector<ServerId>& peers, uint16_t op,
                                          const google::protobuf::MessageLite& request,
                                          std::string_view payload = {}) {
    std::vector<RpcResult> results;
    results.reserve(peers.size());
    for (ServerId peer : peers) results.push_back(Call(peer, op, request, payload));
    return results;
  }
};

}  // namespace sealfs
