// Placement: which servers hold a piece of metadata or data, computed from the cluster map alone.
//
// A record's placement key falls in one of the map's placement groups (an inode's group is the
// low bits of its number, any other key's a hash of it). Rendezvous (highest-random-weight)
// hashing ranks the servers for each group: every server gets a score hash(group, server id).
// The first `replicas` servers of a group's ranking hold its copies, with any server the map
// says still holds the group (a server that left the ranking while it was the only complete
// copy). The chain of a group is those holders that take writes: the live ones (UP or SYNCING)
// that are complete in the group, in rank order, then the live ones lagging in it. Its first
// server, the head, serves the group's records: it decides every write and replicates it down
// the chain (docs/design.md, "Replication"). A group none of whose complete copies is alive has
// no chain: its records are unavailable until one comes back. Adding or removing a server moves
// only the groups whose copies it enters or leaves, and every client and server computes the
// same answer from the same map without asking anyone.
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

// True for UP and SYNCING: the server's process runs and takes the writes of its chains.
inline bool IsLive(proto::ServerState state) {
  return state == proto::SERVER_UP || state == proto::SERVER_SYNCING;
}

// The placement keys of the three kinds of records. The bytes are hashed, never stored.
std::string InodePlacementKey(uint64_t ino);
std::string DentryPlacementKey(uint64_t parent_ino, std::string_view name);
std::string ChunkPlacementKey(uint64_t ino, uint64_t chunk_index);

// The copies a cluster keeps of every record when its map does not say (maps older than the
// field) and, capped by the number of servers, when the manager is not told otherwise.
inline constexpr uint32_t kDefaultReplicas = 3;

// The placement groups of a map that does not say: enough that a few hundred servers each get
// an even share (100,000 keys land within 3% of even on 3 and on 5 servers), few enough that a
// bit per group for every lagging server keeps the map small (2 KiB each).
inline constexpr uint32_t kDefaultPlacementGroups = 16384;

// The group of a placement key among `groups` (a power of two). An inode's group is the low bits
// of its number, so that a new inode can be drawn in the group of its entry at once.
uint32_t PlacementGroupOf(std::string_view placement_key, uint32_t groups);

// Bit `group` of a placement-group bit set (ServerInfo.lagging_groups, held_groups).
bool GroupBit(const std::string& bits, uint32_t group);
void SetGroupBit(std::string* bits, uint32_t group, bool value);

class Placement {
 public:
  Placement() = default;
  // Places over every server of the map that is not OUT, up or down: a down server's data lives
  // there still. When `self` is given (a server's own view), `self` counts as down unless the
  // map shows `self_incarnation`: a restarted process heads nothing before the manager knows it
  // restarted.
  explicit Placement(const proto::ClusterMap& map, ServerId self = 0,
                     uint64_t self_incarnation = 0);
  // Every server UP and complete, one copy of each record (tests).
  explicit Placement(std::vector<ServerId> servers);

  [[nodiscard]] bool empty() const { return servers_.empty(); }
  // The servers records are placed on (every server of the map but the OUT ones), by id.
  [[nodiscard]] const std::vector<ServerId>& servers() const { return servers_; }
  // Copies of each record: the map's replication factor capped by the number of servers.
  [[nodiscard]] std::size_t replicas() const { return replicas_; }
  // Complete copies a write needs before it is acknowledged: the map's min_copies, at least 1,
  // capped by replicas().
  [[nodiscard]] std::size_t min_copies() const { return min_copies_; }
  [[nodiscard]] uint32_t groups() const { return groups_; }
  [[nodiscard]] proto::ServerState StateOf(ServerId server) const;
  // True when every record has one copy and no group is held elsewhere or lagging: nothing is
  // replicated.
  [[nodiscard]] bool single_copy() const { return replicas_ == 1 && !any_marks_; }

  [[nodiscard]] uint32_t GroupOf(std::string_view key) const {
    return PlacementGroupOf(key, groups_);
  }
  // The servers for `key`'s group, best first, at most `count` of them.
  [[nodiscard]] std::vector<ServerId> Rank(std::string_view key, std::size_t count) const;
  [[nodiscard]] std::vector<ServerId> RankGroup(uint32_t group, std::size_t count) const;
  // The servers placement gives the group's copies to: the first replicas() of its ranking, any
  // state, not counting LEAVING servers, skipping servers of a zone already chosen while the
  // ranking holds servers of other zones.
  [[nodiscard]] std::vector<ServerId> ReplicasOfGroup(uint32_t group) const;
  // Those and the servers that still hold the group (held_groups), in rank order.
  [[nodiscard]] std::vector<ServerId> HoldersOfGroup(uint32_t group) const;
  // True when `server` may lack acknowledged writes of `group` (lagging_groups).
  [[nodiscard]] bool Lagging(ServerId server, uint32_t group) const;
  // The servers that take the writes of the group, in the order a write goes down them: its
  // live holders complete in it, in rank order, then its live holders lagging in it. Empty when
  // no complete holder is alive. *complete (optional) receives how many are complete.
  [[nodiscard]] std::vector<ServerId> ChainOfGroup(uint32_t group,
                                                   std::size_t* complete = nullptr) const;
  [[nodiscard]] std::vector<ServerId> Chain(std::string_view key) const {
    return ChainOfGroup(GroupOf(key));
  }
  // The server that serves `key`: the head of its chain, or its first holder when it has none
  // (the call then fails until a complete copy is back). Requires !empty().
  [[nodiscard]] ServerId Home(std::string_view key) const;
  // True when `server` is the head of `key`'s chain: the one that may decide and serve it.
  [[nodiscard]] bool IsHead(std::string_view key, ServerId server) const;
  // True when `a` and `b` fall in one placement group: they then have one chain whatever
  // happens to the servers, so a write of both at once never has two heads.
  [[nodiscard]] bool PlacedAlike(std::string_view a, std::string_view b) const {
    return GroupOf(a) == GroupOf(b);
  }
  // True when every group has a chain: no record is unavailable. Walks every group unless few
  // enough servers are down that each group keeps a live complete holder.
  [[nodiscard]] bool EveryGroupServed() const;

 private:
  [[nodiscard]] int IndexOf(ServerId server) const;

  std::vector<ServerId> servers_;
  std::vector<proto::ServerState> states_;  // of servers_[i]
  std::vector<std::string> lagging_;        // lagging_groups of servers_[i]
  std::vector<std::string> held_;           // held_groups of servers_[i]
  std::vector<std::string> zones_;          // zone of servers_[i]; empty: its own
  bool any_zones_ = false;
  std::size_t replicas_ = 1;
  std::size_t min_copies_ = 1;
  uint32_t groups_ = kDefaultPlacementGroups;
  bool any_leaving_ = false;
  std::size_t leaving_ = 0;  // LEAVING servers
  bool any_held_ = false;
  bool any_marks_ = false;  // any lagging or held group
};

// A random inode number in the placement group of the entry `entry_key`, so that one server
// heads both whatever happens to the servers, and one request creates both. `random` draws
// 64-bit numbers.
uint64_t DrawInodePlacedWith(const Placement& placement, std::string_view entry_key,
                             const std::function<uint64_t()>& random);

// One immutable version of the cluster map, with its placement.
struct MapSnapshot {
  proto::ClusterMap map;
  Placement placement;
  // placement.EveryGroupServed(), computed once per map: a listing or a call to every server
  // that would miss the records of a group without a chain waits for it instead.
  bool every_group_served = true;
  [[nodiscard]] const proto::ServerInfo* Find(ServerId id) const;
  [[nodiscard]] uint64_t epoch() const { return map.epoch(); }
};

}  // namespace sealfs
