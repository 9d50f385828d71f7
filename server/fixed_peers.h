// FixedPeers: Peers (peers.h) over a map it is given rather than one fetched from a manager,
// with calls to servers of the same process. A server alone (the tests of the stores, the
// fuzzers) runs its Replicator over FixedPeers::OneServer: it heads every record and writes
// locally. The replicator's unit tests run several servers in one process, each with its own
// Storage, Replicator and FixedPeers, and change their maps and calls between them at will.
//
// Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>

#include "server/peers.h"

namespace sealfs {

class FixedPeers final : public Peers {
 public:
  // A server's side of a call: the op, the request message and payload, the request id.
  using Handler = std::function<RpcResult(uint16_t op, std::string_view message,
                                          std::string_view payload, uint64_t request_id)>;

  explicit FixedPeers(ServerId self) : self_(self) {}
  // `self` alone in a map of one copy: it heads every record.
  static std::unique_ptr<FixedPeers> OneServer(ServerId self);

  // Replaces the map, whatever its epoch (a test may move a server back or forward).
  void SetMap(const proto::ClusterMap& map);
  // Where calls to `peer` go; a peer without a handler is unreachable.
  void Connect(ServerId peer, Handler handler);
  // The newest epoch NoteEpoch was told of.
  [[nodiscard]] uint64_t noted_epoch() const;

  [[nodiscard]] std::shared_ptr<const MapSnapshot> snapshot() const override;
  [[nodiscard]] ServerId self() const override { return self_; }
  // The map is whatever the test says: this process is always known.
  [[nodiscard]] bool KnowsThisProcess(const MapSnapshot& /*map*/) const override { return true; }
  // Nothing to fetch: the map changes only by SetMap.
  Status Refresh() override { return Status::Ok(); }
  void NoteEpoch(uint64_t epoch) override;
  RpcResult Call(ServerId peer, uint16_t op, const google::protobuf::MessageLite& request,
                 std::string_view payload = {}, uint64_t request_id = 0) override;

 private:
  const ServerId self_;
  mutable std::mutex mutex_;
  std::shared_ptr<const MapSnapshot> snapshot_;  // GUARDED_BY(mutex_)
  std::map<ServerId, Handler> handlers_;         // GUARDED_BY(mutex_)
  uint64_t noted_epoch_ = 0;                     // GUARDED_BY(mutex_)
};

}  // namespace sealfs
