// Placement: which servers hold a piece of metadata or data, computed from the cluster map alone.
//
// Rendezvous (highest-random-weight) hashing: every server gets a score hash(key, server id) and
// the servers are ranked by score. The first `replicas` servers of a key's ranking hold its
// copies; its chain is those of them that take writes (UP ones in rank order, then SYNCING
// ones), and the chain's first server, the head, is the one that serves the key: it decides
// every write and replicates it down the chain (docs/design.md, "Replication"). Adding or
// removing a server moves only the keys whose replica set it enters or leaves, and every client
// and server computes the same answer from the same map without asking anyone.
//
// Thread-safe: Placement is immutable after construction.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sealfs.pb.h"

namespace sealfs {

using ServerId = uint64_t;

// File data is cut into chunks of a power-of-two size within these bounds, fixed per file.
inline constexpr uint32_t kMinChunkSize = 4U << 10;
inline constexpr uint32_t kMaxChunkSize = 64U << 20;
inline bool IsValidChunkSize(uint64_t size) {
  return size >= kMinChunkSize && size <= kMaxChunkSize && (size & (size - 1)) == 0;
}

// The placement keys of the three kinds of records. The bytes are hashed, never stored.
std::string InodePlacementKey(uint64_t ino);
std::string DentryPlacementKey(uint64_t parent_ino, std::string_view name);
std::string ChunkPlacementKey(uint64_t ino, uint64_t chunk_index);

// The copies a cluster keeps of every record when its map does not say (maps older than the
// field) and, capped by the number of servers, when the manager is not told otherwise.
inline constexpr uint32_t kDefaultReplicas = 3;

class Placement {
 public:
  Placement() = default;
  // Places over every server of the map that is not OUT, up or down: a down server's data lives
  // there still (a LEAVING one only until its records have their new copies).
  explicit Placement(const proto::ClusterMap& map);
  // Every server UP, one copy of each record (tests).
  explicit Placement(std::vector<ServerId> servers);

  [[nodiscard]] bool empty() const { return servers_.empty(); }
  // The servers records are placed on (every server of the map but the OUT ones), by id.
  [[nodiscard]] const std::vector<ServerId>& servers() const { return servers_; }
  // Copies of each record: the map's replication factor capped by the number of servers.
  [[nodiscard]] std::size_t replicas() const { return replicas_; }
  [[nodiscard]] proto::ServerState StateOf(ServerId server) const;

  // The servers for `key`, best first, at most `count` of them.
  [[nodiscard]] std::vector<ServerId> Rank(std::string_view key, std::size_t count) const;
  // The servers that hold copies of `key`: the first replicas() of its ranking, any state, not
  // counting LEAVING servers.
  [[nodiscard]] std::vector<ServerId> Replicas(std::string_view key) const;
  // The servers that take the writes of `key`, in the order a write goes down them: the UP ones
  // among its replicas counted with LEAVING servers (they held the key before a server began to
  // leave), in rank order; then the UP replicas that replace a LEAVING one (they are being
  // filled); then the SYNCING ones. Empty when none of the first kind is UP.
  [[nodiscard]] std::vector<ServerId> Chain(std::string_view key) const;
  // The server that serves `key`: the head of its chain, or its first replica when none is UP
  // (the call then fails as unreachable until one is). Requires !empty().
  [[nodiscard]] ServerId Home(std::string_view key) const;
  // True when `server` is the head of `key`'s chain: the one that may decide and serve it. Home
  // may name a server that is not (SYNCING or DOWN) when none is UP.
  [[nodiscard]] bool IsHead(std::string_view key, ServerId server) const;
  // True when `a` and `b` rank the same servers first and go down the same chain: they then
  // keep one chain through every change of server states (a head dying, a server catching
  // up), so that a write of both at once never has two heads. Servers joining or leaving may
  // still part them.
  [[nodiscard]] bool PlacedAlike(std::string_view a, std::string_view b) const;

 private:
  std::vector<ServerId> servers_;
  std::vector<proto::ServerState> states_;  // of servers_[i]
  std::size_t replicas_ = 1;
  bool any_leaving_ = false;
};

// A random inode number placed with the entry `entry_key`: the same replicas in the same order,
// so that one server heads both whatever the states of the servers, and one request creates
// both (past a bound of tries, with many servers and copies, only the head is matched, which
// holds until the map changes). 0 when none is found. `random` draws 64-bit numbers.
uint64_t DrawInodePlacedWith(const Placement& placement, std::string_view entry_key,
                             const std::function<uint64_t()>& random);

// One immutable version of the cluster map, with its placement.
struct MapSnapshot {
  proto::ClusterMap map;
  Placement placement;
  [[nodiscard]] const proto::ServerInfo* Find(ServerId id) const;
  [[nodiscard]] uint64_t epoch() const { return map.epoch(); }
};

}  // namespace sealfs
