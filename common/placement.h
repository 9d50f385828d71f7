// Placement: which servers hold a piece of metadata or data, computed from the cluster map alone.
//
// Rendezvous (highest-random-weight) hashing: every server gets a score hash(key, server id) and
// the servers are ranked by score. A key's first server is its home; a later issue stores
// replicas on the next ones. Adding or removing a server moves only the keys for which that
// server ranks first, and every client computes the same answer without asking anyone.
//
// Thread-safe: Placement is immutable after construction.
#pragma once

#include <cstdint>
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

class Placement {
 public:
  Placement() = default;
  // Places over every server in the map, up or down: a down server's data lives there still.
  explicit Placement(const proto::ClusterMap& map);
  explicit Placement(std::vector<ServerId> servers);

  [[nodiscard]] bool empty() const { return servers_.empty(); }
  [[nodiscard]] const std::vector<ServerId>& servers() const { return servers_; }

  // The servers for `key`, best first, at most `count` of them.
  [[nodiscard]] std::vector<ServerId> Rank(std::string_view key, std::size_t count) const;
  // The first server for `key`. Requires !empty().
  [[nodiscard]] ServerId Home(std::string_view key) const;

 private:
  std::vector<ServerId> servers_;
};

}  // namespace sealfs
