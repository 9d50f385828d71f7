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

const proto::ServerInfo* MapSnapshot::Find(ServerId id) const {
  for (const auto& server : map.servers()) {
    if (server.id() == id) return &server;
  }
  return nullptr;
}

Placement::Placement(const proto::ClusterMap& map) {
  std::vector<std::pair<ServerId, proto::ServerState>> placed;
  for (const auto& server : map.servers()) {
    if (server.state() != proto::SERVER_OUT) placed.emplace_back(server.id(), server.state());
  }
  std::sort(placed.begin(), placed.end());
  for (const auto& [id, state] : placed) {
    servers_.push_back(id);
    states_.push_back(state);
  }
  std::size_t staying = 0;
  for (proto::ServerState state : states_) {
    if (state == proto::SERVER_LEAVING) {
      any_leaving_ = true;
    } else {
      ++staying;
    }
  }
  std::size_t wanted = map.replicas() != 0 ? map.replicas() : 1;
  replicas_ = std::max<std::size_t>(1, std::min(wanted, staying));
}

Placement::Placement(std::vector<ServerId> servers) : servers_(std::move(servers)) {
  std::sort(servers_.begin(), servers_.end());
  states_.assign(servers_.size(), proto::SERVER_UP);
}

proto::ServerState Placement::StateOf(ServerId server) const {
  auto it = std::lower_bound(servers_.begin(), servers_.end(), server);
  if (it == servers_.end() || *it != server) return proto::SERVER_OUT;
  return states_[static_cast<std::size_t>(it - servers_.begin())];
}

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

std::vector<ServerId> Placement::Replicas(std::string_view key) const {
  if (!any_leaving_) return Rank(key, replicas_);
  std::vector<ServerId> replicas;
  for (ServerId server : Rank(key, servers_.size())) {
    if (replicas.size() == replicas_) break;
    if (StateOf(server) != proto::SERVER_LEAVING) replicas.push_back(server);
  }
  return replicas;
}

std::vector<ServerId> Placement::Chain(std::string_view key) const {
  const std::vector<ServerId> replicas = Replicas(key);
  // Before a server began to leave, the replicas were the first ones counting it.
  const std::vector<ServerId> holders = any_leaving_ ? Rank(key, replicas_) : replicas;
  auto contains = [](const std::vector<ServerId>& list, ServerId server) {
    return std::find(list.begin(), list.end(), server) != list.end();
  };
  std::vector<ServerId> chain;
  for (ServerId server : holders) {
    if (StateOf(server) == proto::SERVER_UP) chain.push_back(server);
  }
  if (chain.empty()) return chain;
  for (ServerId server : replicas) {
    if (StateOf(server) == proto::SERVER_UP && !contains(chain, server)) chain.push_back(server);
  }
  for (const auto* list : {&holders, &replicas}) {
    for (ServerId server : *list) {
      if (StateOf(server) == proto::SERVER_SYNCING && !contains(chain, server)) {
        chain.push_back(server);
      }
    }
  }
  return chain;
}

ServerId Placement::Home(std::string_view key) const {
  if (replicas_ == 1 && !any_leaving_ && !servers_.empty()) {
    // The common case without copies, without building a ranking.
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
  std::vector<ServerId> chain = Chain(key);
  if (!chain.empty()) return chain.front();
  std::vector<ServerId> replicas = Replicas(key);
  return replicas.empty() ? 0 : replicas.front();
}

bool Placement::IsHead(std::string_view key, ServerId server) const {
  if (replicas_ == 1 && !any_leaving_)
    return Home(key) == server && StateOf(server) == proto::SERVER_UP;
  const std::vector<ServerId> chain = Chain(key);
  return !chain.empty() && chain.front() == server;
}

bool Placement::PlacedAlike(std::string_view a, std::string_view b) const {
  return Rank(a, replicas_) == Rank(b, replicas_) && Chain(a) == Chain(b);
}

uint64_t DrawInodePlacedWith(const Placement& placement, std::string_view entry_key,
                             const std::function<uint64_t()>& random) {
  const ServerId home = placement.Home(entry_key);
  // Ids below 16 are reserved (1 is the root). Matching the replicas takes n!/(n-r)! tries on
  // average with n servers and r copies.
  constexpr std::size_t kBound = 20000;
  for (std::size_t tries = 0; tries < kBound; ++tries) {
    const uint64_t ino = random();
    if (ino < 16) continue;
    const std::string key = InodePlacementKey(ino);
    if (placement.PlacedAlike(key, entry_key)) return ino;
  }
  for (std::size_t tries = 0; tries < 1000 * placement.servers().size(); ++tries) {
    const uint64_t ino = random();
    if (ino >= 16 && placement.Home(InodePlacementKey(ino)) == home) return ino;
  }
  return 0;
}

}  // namespace sealfs
