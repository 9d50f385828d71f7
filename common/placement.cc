#include "placement.h"

#include <xxhash.h>

#include <algorithm>
#include <utility>

namespace sealfs {

namespace {

void AppendU64(std::string* out, uint64_t value) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(value >> (8 * i)));
}

uint64_t Score(uint32_t group, ServerId server) {
  const unsigned char bytes[4] = {
      static_cast<unsigned char>(group), static_cast<unsigned char>(group >> 8),
      static_cast<unsigned char>(group >> 16), static_cast<unsigned char>(group >> 24)};
  return XXH3_64bits_withSeed(bytes, sizeof(bytes), server);
}

bool IsPowerOfTwo(uint32_t n) { return n != 0 && (n & (n - 1)) == 0; }

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

const proto::ServerInfo* MapSnapshot::Find(ServerId id) const {
  for (const auto& server : map.servers()) {
    if (server.id() == id) return &server;
  }
  return nullptr;
}

uint32_t PlacementGroupOf(std::string_view placement_key, uint32_t groups) {
  const uint32_t mask = groups - 1;
  if (placement_key.size() == 9 && placement_key[0] == 'I') {
    uint64_t ino = 0;
    for (int i = 0; i < 8; ++i) {
      ino |= static_cast<uint64_t>(static_cast<unsigned char>(placement_key[1 + i])) << (8 * i);
    }
    return static_cast<uint32_t>(ino & mask);
  }
  return static_cast<uint32_t>(XXH3_64bits(placement_key.data(), placement_key.size()) & mask);
}

bool GroupBit(const std::string& bits, uint32_t group) {
  const std::size_t byte = group / 8;
  return byte < bits.size() && (static_cast<unsigned char>(bits[byte]) >> (group % 8) & 1U) != 0;
}

void SetGroupBit(std::string* bits, uint32_t group, bool value) {
  const std::size_t byte = group / 8;
  if (byte >= bits->size()) {
    if (!value) return;
    bits->resize(byte + 1, '\0');
  }
  auto current = static_cast<unsigned char>((*bits)[byte]);
  const auto mask = static_cast<unsigned char>(1U << (group % 8));
  current = value ? (current | mask) : (current & ~mask);
  (*bits)[byte] = static_cast<char>(current);
  // An empty set is the empty string, so that maps with nothing lagging stay small and compare
  // equal.
  if (!value && bits->find_first_not_of('\0') == std::string::npos) bits->clear();
}

Placement::Placement(const proto::ClusterMap& map, ServerId self, uint64_t self_incarnation) {
  if (IsPowerOfTwo(map.placement_groups())) groups_ = map.placement_groups();
  std::vector<const proto::ServerInfo*> placed;
  for (const auto& server : map.servers()) {
    if (server.state() != proto::SERVER_OUT) placed.push_back(&server);
  }
  std::sort(placed.begin(), placed.end(),
            [](const auto* a, const auto* b) { return a->id() < b->id(); });
  std::size_t staying = 0;
  for (const proto::ServerInfo* server : placed) {
    proto::ServerState state = server->state();
    if (self != 0 && server->id() == self && server->incarnation() != self_incarnation &&
        IsLive(state)) {
      state = proto::SERVER_DOWN;  // the map does not know this process yet
    }
    servers_.push_back(server->id());
    states_.push_back(state);
    lagging_.push_back(server->lagging_groups());
    held_.push_back(server->held_groups());
    zones_.push_back(server->zone());
    any_zones_ = any_zones_ || !server->zone().empty();
    any_held_ = any_held_ || !server->held_groups().empty();
    any_marks_ = any_marks_ || !server->lagging_groups().empty() || !server->held_groups().empty();
    if (state == proto::SERVER_LEAVING) {
      any_leaving_ = true;
      ++leaving_;
    } else {
      ++staying;
    }
  }
  std::size_t wanted = map.replicas() != 0 ? map.replicas() : 1;
  replicas_ = std::max<std::size_t>(1, std::min(wanted, staying));
  min_copies_ = std::clamp<std::size_t>(map.min_copies(), 1, replicas_);
}

Placement::Placement(std::vector<ServerId> servers) : servers_(std::move(servers)) {
  std::sort(servers_.begin(), servers_.end());
  states_.assign(servers_.size(), proto::SERVER_UP);
  lagging_.assign(servers_.size(), std::string());
  held_.assign(servers_.size(), std::string());
  zones_.assign(servers_.size(), std::string());
}

int Placement::IndexOf(ServerId server) const {
  auto it = std::lower_bound(servers_.begin(), servers_.end(), server);
  if (it == servers_.end() || *it != server) return -1;
  return static_cast<int>(it - servers_.begin());
}

proto::ServerState Placement::StateOf(ServerId server) const {
  const int index = IndexOf(server);
  return index < 0 ? proto::SERVER_OUT : states_[static_cast<std::size_t>(index)];
}

bool Placement::Lagging(ServerId server, uint32_t group) const {
  const int index = IndexOf(server);
  return index >= 0 && GroupBit(lagging_[static_cast<std::size_t>(index)], group);
}

std::vector<ServerId> Placement::Rank(std::string_view key, std::size_t count) const {
  return RankGroup(GroupOf(key), count);
}

std::vector<ServerId> Placement::RankGroup(uint32_t group, std::size_t count) const {
  std::vector<std::pair<uint64_t, ServerId>> scored;
  scored.reserve(servers_.size());
  for (ServerId server : servers_) scored.emplace_back(Score(group, server), server);
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

std::vector<ServerId> Placement::ReplicasOfGroup(uint32_t group) const {
  if (any_zones_) {
    // Rank order, one server per zone first; then the best of the rest if zones run out.
    std::vector<ServerId> replicas;
    std::vector<ServerId> passed;
    std::vector<const std::string*> zones;
    for (ServerId server : RankGroup(group, servers_.size())) {
      if (replicas.size() == replicas_) break;
      if (StateOf(server) == proto::SERVER_LEAVING) continue;
      const std::string& zone = zones_[static_cast<std::size_t>(IndexOf(server))];
      const bool taken = !zone.empty() && std::any_of(zones.begin(), zones.end(),
                                                      [&](const auto* z) { return *z == zone; });
      if (taken) {
        passed.push_back(server);
        continue;
      }
      replicas.push_back(server);
      zones.push_back(&zone);
    }
    for (std::size_t i = 0; replicas.size() < replicas_ && i < passed.size(); ++i) {
      replicas.push_back(passed[i]);
    }
    return replicas;
  }
  if (!any_leaving_) return RankGroup(group, replicas_);
  std::vector<ServerId> replicas;
  for (ServerId server : RankGroup(group, replicas_ + leaving_)) {
    if (replicas.size() == replicas_) break;
    if (StateOf(server) != proto::SERVER_LEAVING) replicas.push_back(server);
  }
  return replicas;
}

std::vector<ServerId> Placement::HoldersOfGroup(uint32_t group) const {
  std::vector<ServerId> holders = ReplicasOfGroup(group);
  if (!any_held_) return holders;
  const std::size_t replicas = holders.size();
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    if (GroupBit(held_[i], group) &&
        std::find(holders.begin(), holders.begin() + static_cast<std::ptrdiff_t>(replicas),
                  servers_[i]) == holders.begin() + static_cast<std::ptrdiff_t>(replicas)) {
      holders.push_back(servers_[i]);
    }
  }
  if (holders.size() == replicas) return holders;
  std::sort(holders.begin(), holders.end(), [group](ServerId a, ServerId b) {
    const uint64_t score_a = Score(group, a);
    const uint64_t score_b = Score(group, b);
    return score_a != score_b ? score_a > score_b : a < b;
  });
  return holders;
}

std::vector<ServerId> Placement::ChainOfGroup(uint32_t group, std::size_t* complete) const {
  const std::vector<ServerId> holders = HoldersOfGroup(group);
  std::vector<ServerId> chain;
  std::vector<ServerId> lagging;
  for (ServerId server : holders) {
    const int index = IndexOf(server);
    if (!IsLive(states_[static_cast<std::size_t>(index)])) continue;
    if (GroupBit(lagging_[static_cast<std::size_t>(index)], group)) {
      lagging.push_back(server);
    } else {
      chain.push_back(server);
    }
  }
  if (complete != nullptr) *complete = chain.size();
  if (chain.empty()) return chain;
  chain.insert(chain.end(), lagging.begin(), lagging.end());
  return chain;
}

ServerId Placement::Home(std::string_view key) const {
  const uint32_t group = GroupOf(key);
  if (single_copy() && !any_leaving_ && !servers_.empty()) {
    // The common case without copies, without building a ranking.
    ServerId best = 0;
    uint64_t best_score = 0;
    bool first = true;
    for (ServerId server : servers_) {
      uint64_t score = Score(group, server);
      if (first || score > best_score || (score == best_score && server < best)) {
        best = server;
        best_score = score;
        first = false;
      }
    }
    return best;
  }
  std::vector<ServerId> chain = ChainOfGroup(group);
  if (!chain.empty()) return chain.front();
  std::vector<ServerId> holders = HoldersOfGroup(group);
  return holders.empty() ? 0 : holders.front();
}

bool Placement::IsHead(std::string_view key, ServerId server) const {
  if (single_copy() && !any_leaving_) return Home(key) == server && IsLive(StateOf(server));
  const std::vector<ServerId> chain = Chain(key);
  return !chain.empty() && chain.front() == server;
}

bool Placement::EveryGroupServed() const {
  std::size_t not_live = 0;
  for (proto::ServerState state : states_) not_live += IsLive(state) ? 0 : 1;
  if (!any_marks_ && not_live < replicas_) return true;
  for (uint32_t group = 0; group < groups_; ++group) {
    if (ChainOfGroup(group).empty()) return false;
  }
  return true;
}

uint64_t DrawInodePlacedWith(const Placement& placement, std::string_view entry_key,
                             const std::function<uint64_t()>& random) {
  const uint64_t group = placement.GroupOf(entry_key);
  const uint64_t mask = placement.groups() - 1;
  for (;;) {
    const uint64_t ino = (random() & ~mask) | group;
    if (ino >= 16) return ino;  // ids below 16 are reserved (1 is the root)
  }
}

}  // namespace sealfs
