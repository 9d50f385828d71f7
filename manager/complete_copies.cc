#include "manager/complete_copies.h"

#include <algorithm>

namespace sealfs::manager {

namespace {

bool Contains(const std::vector<ServerId>& list, ServerId server) {
  return std::find(list.begin(), list.end(), server) != list.end();
}

// The servers of `map` by id, for setting their marks.
std::vector<proto::ServerInfo*> ServersById(proto::ClusterMap* map) {
  std::vector<proto::ServerInfo*> servers;
  for (auto& server : *map->mutable_servers()) servers.push_back(&server);
  std::sort(servers.begin(), servers.end(),
            [](const auto* a, const auto* b) { return a->id() < b->id(); });
  return servers;
}

proto::ServerInfo* FindIn(const std::vector<proto::ServerInfo*>& servers, ServerId id) {
  auto it = std::lower_bound(servers.begin(), servers.end(), id,
                             [](const proto::ServerInfo* s, ServerId v) { return s->id() < v; });
  return it != servers.end() && (*it)->id() == id ? *it : nullptr;
}

// The complete holders of `group` after the change, from its holders before.
std::vector<ServerId> CompleteAfter(const Placement& before, const Placement& after, uint32_t group,
                                    const std::set<uint64_t>& arrived) {
  const std::vector<ServerId> old_holders = before.HoldersOfGroup(group);
  if (old_holders.empty()) return after.ReplicasOfGroup(group);  // nothing written yet
  std::vector<ServerId> complete;
  for (ServerId server : old_holders) {
    if (!before.Lagging(server, group) && after.StateOf(server) != proto::SERVER_OUT) {
      complete.push_back(server);
    }
  }
  std::vector<ServerId> steady;
  std::vector<ServerId> arriving;
  for (ServerId server : complete) {
    if (!IsLive(after.StateOf(server))) continue;
    (arrived.contains(server) ? arriving : steady).push_back(server);
  }
  if (!steady.empty()) return steady;      // they take the writes; everyone else lags
  if (!arriving.empty()) return arriving;  // the last complete copies are back
  return complete;                         // nobody writes the group: nothing changes
}

}  // namespace

void CarryCompleteCopies(const proto::ClusterMap& before, const std::set<uint64_t>& arrived,
                         proto::ClusterMap* next) {
  next->set_placement_groups(before.placement_groups());
  const Placement old_placement(before);
  // Marks are recomputed from scratch: cleared first, so the placement of `next` must not see
  // them while the groups are walked.
  for (auto& server : *next->mutable_servers()) {
    server.clear_up_to_date();
    server.clear_lagging_groups();
    server.clear_held_groups();
  }
  const Placement new_placement(*next);
  const std::vector<proto::ServerInfo*> servers = ServersById(next);
  if (!new_placement.empty()) {
    for (uint32_t group = 0; group < new_placement.groups(); ++group) {
      const std::vector<ServerId> complete =
          CompleteAfter(old_placement, new_placement, group, arrived);
      const std::vector<ServerId> replicas = new_placement.ReplicasOfGroup(group);
      bool all_complete = true;
      for (ServerId server : replicas) {
        if (Contains(complete, server)) continue;
        all_complete = false;
        SetGroupBit(FindIn(servers, server)->mutable_lagging_groups(), group, true);
      }
      if (all_complete) continue;
      for (ServerId server : complete) {
        if (!Contains(replicas, server)) {
          SetGroupBit(FindIn(servers, server)->mutable_held_groups(), group, true);
        }
      }
    }
  }
  for (proto::ServerInfo* server : servers) {
    proto::ServerState state = server->state();
    if (IsLive(state)) {
      state = server->lagging_groups().empty() ? proto::SERVER_UP : proto::SERVER_SYNCING;
    } else if (state == proto::SERVER_LEAVING && server->held_groups().empty()) {
      state = proto::SERVER_OUT;
    }
    if (state != server->state()) {
      server->set_state(state);
      server->set_state_epoch(next->epoch());
    }
  }
}

void ChainEpochs::Reset(const proto::ClusterMap& map) {
  since_.clear();
  reset_epoch_ = map.epoch();
}

void ChainEpochs::Update(const proto::ClusterMap& before, const proto::ClusterMap& after) {
  const Placement old_placement(before);
  const Placement new_placement(after);
  if (since_.size() != new_placement.groups()) since_.assign(new_placement.groups(), reset_epoch_);
  auto lagging = [](const Placement& placement, const std::vector<ServerId>& chain,
                    uint32_t group) {
    std::vector<bool> flags;
    for (ServerId server : chain) flags.push_back(placement.Lagging(server, group));
    return flags;
  };
  for (uint32_t group = 0; group < new_placement.groups(); ++group) {
    const std::vector<ServerId> old_chain = old_placement.ChainOfGroup(group);
    const std::vector<ServerId> new_chain = new_placement.ChainOfGroup(group);
    if (old_chain != new_chain ||
        lagging(old_placement, old_chain, group) != lagging(new_placement, new_chain, group)) {
      since_[group] = after.epoch();
    }
  }
}

uint64_t ChainEpochs::since(uint32_t group) const {
  return group < since_.size() ? since_[group] : reset_epoch_;
}

std::set<uint64_t> MarkCaughtUp(const proto::ClusterMap& map, const ChainEpochs& chains,
                                const std::function<uint64_t(uint64_t server)>& synced_epoch,
                                proto::ClusterMap* next) {
  std::set<uint64_t> caught_up;
  const Placement placement(map);
  const std::vector<proto::ServerInfo*> servers = ServersById(next);
  for (uint32_t group = 0; group < placement.groups(); ++group) {
    const std::vector<ServerId> chain = placement.ChainOfGroup(group);
    if (chain.empty() || !placement.Lagging(chain.back(), group)) continue;  // none lags
    if (synced_epoch(chain.front()) < chains.since(group)) continue;
    for (ServerId server : chain) {
      if (!placement.Lagging(server, group)) continue;
      SetGroupBit(FindIn(servers, server)->mutable_lagging_groups(), group, false);
      caught_up.insert(server);
    }
  }
  return caught_up;
}

bool AnyLiveLagging(const proto::ClusterMap& map) {
  return std::any_of(map.servers().begin(), map.servers().end(), [](const auto& server) {
    return IsLive(server.state()) && !server.lagging_groups().empty();
  });
}

}  // namespace sealfs::manager
