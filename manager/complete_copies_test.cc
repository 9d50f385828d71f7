#include "manager/complete_copies.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <vector>

namespace sealfs::manager {
namespace {

constexpr uint32_t kGroups = 64;

// A cluster reduced to what the rules decide: the map the manager would hold, and, per server
// and group, the version of the group's records each server holds. A write of a group goes to
// every server of its chain; a pass of a head brings every server of its chains to its version.
// The rules must keep every holder the map calls complete at the last acknowledged version.
class Cluster {
 public:
  Cluster(int servers, uint32_t replicas) : acked_(kGroups, 0) {
    map_.set_epoch(1);
    map_.set_replicas(replicas);
    map_.set_placement_groups(kGroups);
    chains_.Reset(map_);
    for (int i = 0; i < servers; ++i) Join();
    for (uint64_t id : ids()) Pass(id);  // the servers that joined the first one catch up
  }

  uint64_t Join() {
    const uint64_t id = next_id_++;
    proto::ClusterMap next = map_;
    proto::ServerInfo* server = next.add_servers();
    server->set_id(id);
    server->set_state(proto::SERVER_SYNCING);
    version_[id].assign(kGroups, 0);
    Commit(std::move(next), {id});
    return id;
  }
  void Kill(uint64_t id) { SetState(id, proto::SERVER_DOWN, false); }
  // Back from DOWN, or restarted before anyone noticed (a new incarnation).
  void Restart(uint64_t id) { SetState(id, proto::SERVER_SYNCING, true); }
  void Leave(uint64_t id) { SetState(id, proto::SERVER_LEAVING, false); }

  // Every group with a chain takes a write, acknowledged once its whole chain holds it.
  void WriteEverything() {
    const Placement placement(map_);
    for (uint32_t group = 0; group < kGroups; ++group) {
      const std::vector<ServerId> chain = placement.ChainOfGroup(group);
      if (chain.empty()) continue;
      ++acked_[group];
      for (ServerId server : chain) version_[server][group] = acked_[group];
    }
  }

  // A finished pass of `id` at the current map, then what the manager makes of it.
  void Pass(uint64_t id) {
    const Placement placement(map_);
    if (placement.StateOf(id) != proto::SERVER_UP &&
        placement.StateOf(id) != proto::SERVER_SYNCING) {
      return;
    }
    for (uint32_t group = 0; group < kGroups; ++group) {
      const std::vector<ServerId> chain = placement.ChainOfGroup(group);
      if (chain.empty() || chain.front() != id) continue;
      for (ServerId server : chain) version_[server][group] = version_[id][group];
    }
    synced_[id] = map_.epoch();
    proto::ClusterMap caught_up = map_;
    const std::set<uint64_t> servers = MarkCaughtUp(
        map_, chains_, [this](uint64_t server) { return synced_[server]; }, &caught_up);
    if (!servers.empty()) Commit(caught_up, {}, &caught_up);
  }

  // Every holder the map calls complete holds every acknowledged write.
  void ExpectCompleteCopiesHoldEveryWrite(const std::string& when) const {
    const Placement placement(map_);
    for (uint32_t group = 0; group < kGroups; ++group) {
      for (ServerId server : placement.HoldersOfGroup(group)) {
        if (placement.Lagging(server, group)) continue;
        ASSERT_EQ(version_.at(server)[group], acked_[group])
            << "server " << server << " is complete in group " << group
            << " but lacks acknowledged writes, " << when;
      }
    }
  }

  [[nodiscard]] const proto::ClusterMap& map() const { return map_; }
  [[nodiscard]] std::vector<uint64_t> ids() const {
    std::vector<uint64_t> ids;
    for (const auto& server : map_.servers()) ids.push_back(server.id());
    return ids;
  }
  [[nodiscard]] proto::ServerState StateOf(uint64_t id) const {
    return Placement(map_).StateOf(id);
  }
  // Groups whose holders are exactly `servers` (in any order).
  [[nodiscard]] std::vector<uint32_t> GroupsHeldBy(std::set<ServerId> servers) const {
    const Placement placement(map_);
    std::vector<uint32_t> groups;
    for (uint32_t group = 0; group < kGroups; ++group) {
      const auto holders = placement.HoldersOfGroup(group);
      if (std::set<ServerId>(holders.begin(), holders.end()) == servers) groups.push_back(group);
    }
    return groups;
  }

 private:
  void SetState(uint64_t id, proto::ServerState state, bool arrived) {
    proto::ClusterMap next = map_;
    for (auto& server : *next.mutable_servers()) {
      if (server.id() == id) server.set_state(state);
    }
    Commit(std::move(next), arrived ? std::set<uint64_t>{id} : std::set<uint64_t>{});
  }

  void Commit(proto::ClusterMap next, const std::set<uint64_t>& arrived,
              const proto::ClusterMap* marks_from = nullptr) {
    next.set_epoch(map_.epoch() + 1);
    CarryCompleteCopies(marks_from != nullptr ? *marks_from : map_, arrived, &next);
    chains_.Update(map_, next);
    map_ = std::move(next);
  }

  proto::ClusterMap map_;
  ChainEpochs chains_;
  std::map<uint64_t, uint64_t> synced_;
  std::map<uint64_t, std::vector<uint64_t>> version_;
  std::vector<uint64_t> acked_;
  uint64_t next_id_ = 100;
};

// The sequence of the issue: 2 copies on 3 servers; A dies, writes, B dies, A comes back. A
// serves nothing it lacks; when B returns, B's copies win.
TEST(CompleteCopiesTest, AServerThatMissedWritesDoesNotServeThemWhenItsPeerIsDown) {
  Cluster cluster(3, 2);
  const uint64_t a = 100;
  const uint64_t b = 101;
  const uint64_t c = 102;
  cluster.WriteEverything();
  cluster.Kill(a);
  cluster.WriteEverything();
  cluster.Kill(b);
  cluster.WriteEverything();
  cluster.Restart(a);
  cluster.Pass(c);
  cluster.WriteEverything();
  cluster.ExpectCompleteCopiesHoldEveryWrite("after A came back");
  const Placement placement(cluster.map());
  const std::vector<uint32_t> shared = cluster.GroupsHeldBy({a, b});
  ASSERT_FALSE(shared.empty());
  for (uint32_t group : shared) {
    EXPECT_TRUE(placement.ChainOfGroup(group).empty()) << "group " << group << " of A and B";
  }
  EXPECT_EQ(cluster.StateOf(a), proto::SERVER_SYNCING) << "A lags where only B is complete";
  for (uint32_t group : cluster.GroupsHeldBy({a, c})) {
    EXPECT_EQ(placement.ChainOfGroup(group).size(), 2U) << "A caught up from C in " << group;
  }

  cluster.Restart(b);
  cluster.WriteEverything();
  cluster.ExpectCompleteCopiesHoldEveryWrite("after B came back");
  const Placement back(cluster.map());
  for (uint32_t group : shared) {
    ASSERT_FALSE(back.ChainOfGroup(group).empty());
    EXPECT_EQ(back.ChainOfGroup(group).front(), b) << "B holds the newest copies";
  }
  cluster.Pass(b);
  cluster.Pass(c);
  cluster.WriteEverything();
  cluster.ExpectCompleteCopiesHoldEveryWrite("after the passes");
  for (uint64_t id : {a, b, c}) EXPECT_EQ(cluster.StateOf(id), proto::SERVER_UP);
}

// A process restarted before the manager saw it die lags wherever another copy serves: it may
// hold writes it applied alone.
TEST(CompleteCopiesTest, ARestartedServerLagsWhereAnotherCopyServes) {
  Cluster cluster(3, 3);
  cluster.Restart(100);
  EXPECT_EQ(cluster.StateOf(100), proto::SERVER_SYNCING);
  const Placement placement(cluster.map());
  for (uint32_t group = 0; group < kGroups; ++group) {
    EXPECT_NE(placement.ChainOfGroup(group).front(), 100U);
  }
}

// The last complete copy to stop is the one that serves again, whoever comes back first.
TEST(CompleteCopiesTest, TheLastCopyToStopServesFirst) {
  Cluster cluster(3, 3);
  cluster.Kill(100);
  cluster.WriteEverything();
  cluster.Kill(101);
  cluster.WriteEverything();
  cluster.Kill(102);  // the only complete copy left
  cluster.Restart(100);
  cluster.Restart(101);
  const Placement waiting(cluster.map());
  EXPECT_FALSE(waiting.EveryGroupServed());
  cluster.Restart(102);
  const Placement back(cluster.map());
  for (uint32_t group = 0; group < kGroups; ++group) {
    EXPECT_EQ(back.ChainOfGroup(group).front(), 102U);
  }
  cluster.ExpectCompleteCopiesHoldEveryWrite("after 102 came back");
}

// A server that joins takes no group from its holders until it holds it; a server that leaves
// while it is the only complete copy of a group keeps holding it (and is not OUT).
TEST(CompleteCopiesTest, JoinsAndLeavesKeepTheCompleteCopiesHolding) {
  Cluster cluster(3, 1);
  cluster.WriteEverything();
  const uint64_t joined = cluster.Join();
  cluster.WriteEverything();
  cluster.ExpectCompleteCopiesHoldEveryWrite("after a join with one copy");
  EXPECT_EQ(cluster.StateOf(joined), proto::SERVER_SYNCING);
  for (uint64_t id : cluster.ids()) cluster.Pass(id);
  EXPECT_EQ(cluster.StateOf(joined), proto::SERVER_UP);
  cluster.ExpectCompleteCopiesHoldEveryWrite("after the new server caught up");

  cluster.Kill(100);
  cluster.Leave(100);
  EXPECT_EQ(cluster.StateOf(100), proto::SERVER_LEAVING) << "with one copy, it still holds data";
  cluster.ExpectCompleteCopiesHoldEveryWrite("after a leave with one copy");
}

// Kills, restarts, joins and leaves at random, with writes and passes between them: no holder
// the map calls complete ever lacks an acknowledged write, and once everyone is back and has
// passed, every server is UP.
TEST(CompleteCopiesTest, RandomFailuresNeverMakeAStaleCopyComplete) {
  const unsigned seed = std::random_device()();
  std::printf("seed %u\n", seed);
  std::mt19937 random(seed);
  for (int round = 0; round < 40; ++round) {
    const uint32_t replicas = 1 + random() % 3;
    Cluster cluster(static_cast<int>(replicas + random() % 3), replicas);
    for (int step = 0; step < 60; ++step) {
      const std::vector<uint64_t> ids = cluster.ids();
      const uint64_t id = ids[random() % ids.size()];
      const proto::ServerState state = cluster.StateOf(id);
      const bool live = state == proto::SERVER_UP || state == proto::SERVER_SYNCING;
      switch (random() % 6) {
        case 0:
          if (live) cluster.Kill(id);
          break;
        case 1:
          cluster.Restart(id);
          break;
        case 2:
          if (state == proto::SERVER_DOWN) cluster.Leave(id);
          if (ids.size() < 6 && random() % 4 == 0) cluster.Join();
          break;
        default:
          cluster.Pass(id);
          break;
      }
      cluster.WriteEverything();
      ASSERT_NO_FATAL_FAILURE(cluster.ExpectCompleteCopiesHoldEveryWrite(
          "seed " + std::to_string(seed) + " round " + std::to_string(round) + " step " +
          std::to_string(step)));
    }
    for (uint64_t id : cluster.ids()) {
      const proto::ServerState state = cluster.StateOf(id);
      if (state == proto::SERVER_DOWN || state == proto::SERVER_LEAVING) cluster.Restart(id);
    }
    for (int pass = 0; pass < 3; ++pass) {
      for (uint64_t id : cluster.ids()) cluster.Pass(id);
    }
    for (uint64_t id : cluster.ids()) {
      const proto::ServerState state = cluster.StateOf(id);
      EXPECT_TRUE(state == proto::SERVER_UP || state == proto::SERVER_OUT)
          << "seed " << seed << " round " << round << ": server " << id << " is "
          << proto::ServerState_Name(state);
    }
    EXPECT_TRUE(Placement(cluster.map()).EveryGroupServed()) << "seed " << seed;
  }
}

}  // namespace
}  // namespace sealfs::manager
