#include "placement.h"

#include <xxhash.h>

#include <algorithm>
#include <utility>

namespace sealfs {

namespace {

void AppendU64(std::string* out, uint64_t value) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(value >> (8 * i)));
}

uint64_t Score(std::string_view key, ServerId server) {
  return XXH3_64bits_withSeed(key.data(), key.size(), server);
}

}  // namespace

std::string InodePlacementKey(uint64_t ino) {
  std::string key = "I";
  AppendU64(&key, ino);
  return key;
}

std::string DentryPlacementKey(uint64_t parent_ino, std::string_view name) {
  std::string key = "D";
  AppendU64(&key, parent_ino);
  key.append(name);
  return key;
}

std::string ChunkPlacementKey(uint64_t ino, uint64_t chunk_index) {
  std::string key = "C";
  AppendU64(&key, ino);
  AppendU64(&key, chunk_index);
  return key;
}

Placement::Placement(const proto::ClusterMap& map) {
  servers_.reserve(map.servers_size());
  for (const auto& server : map.servers()) servers_.push_back(server.id());
}

Placement::Placement(std::vector<ServerId> servers) : servers_(std::move(servers)) {}

std::vector<ServerId> Placement::Rank(std::string_view key, std::size_t count) const {
  std::vector<std::pair<uint64_t, ServerId>> scored;
  scored.reserve(servers_.size());
  for (ServerId server : servers_) scored.emplace_back(Score(key, server), server);
  count = std::min(count, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(count),
                    scored.end(), [](const auto& a, const auto& b) {
                      return a.first != b.first ? a.first > b.first : a.second < b.second;
                    });
  std::vector<ServerId> ranked;
  ranked.reserve(count);
  for (std::size_t i = 0; i < count; ++i) ranked.push_back(scored[i].second);
  return ranked;
}

ServerId Placement::Home(std::string_view key) const {
  ServerId best = 0;
  uint64_t best_score = 0;
  bool first = true;
  for (ServerId server : servers_) {
    uint64_t score = Score(key, server);
    if (first || score > best_score || (score == best_score && server < best)) {
      best = server;
      best_score = score;
      first = false;
    }
  }
  return best;
}

}  // namespace sealfs
