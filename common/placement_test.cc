#include "placement.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace sealfs {
namespace {

constexpr int kKeys = 100000;

std::map<ServerId, int> CountHomes(const Placement& placement) {
  std::map<ServerId, int> homes;
  for (int i = 0; i < kKeys; ++i)
    homes[placement.Home(DentryPlacementKey(1, "file." + std::to_string(i)))]++;
  return homes;
}

TEST(PlacementTest, SpreadsKeysEvenlyOverServers) {
  for (std::vector<ServerId> servers :
       {std::vector<ServerId>{11, 22, 33},
        std::vector<ServerId>{0x9e3779b97f4a7c15ULL, 7, 99, 1000, 5}}) {
    Placement placement(servers);
    auto homes = CountHomes(placement);
    ASSERT_EQ(homes.size(), servers.size());
    double expected = static_cast<double>(kKeys) / static_cast<double>(servers.size());
    for (const auto& [server, count] : homes) {
      EXPECT_NEAR(count, expected, expected * 0.03) << "server " << server;
    }
  }
}

TEST(PlacementTest, ChunksOfOneFileSpreadOverServers) {
  Placement placement(std::vector<ServerId>{1, 2, 3});
  std::map<ServerId, int> homes;
  for (uint64_t index = 0; index < 64; ++index)
    homes[placement.Home(ChunkPlacementKey(12345, index))]++;
  EXPECT_EQ(homes.size(), 3U);
}

TEST(PlacementTest, StableUnderTheSameMapWhateverTheOrder) {
  Placement a(std::vector<ServerId>{1, 2, 3});
  Placement b(std::vector<ServerId>{3, 1, 2});
  for (int i = 0; i < 1000; ++i) {
    std::string key = InodePlacementKey(static_cast<uint64_t>(i) * 7919);
    EXPECT_EQ(a.Home(key), b.Home(key));
    EXPECT_EQ(a.Rank(key, 3), b.Rank(key, 3));
  }
}

TEST(PlacementTest, RankStartsWithHomeAndListsDistinctServers) {
  Placement placement(std::vector<ServerId>{5, 6, 7, 8});
  for (int i = 0; i < 1000; ++i) {
    std::string key = ChunkPlacementKey(9, static_cast<uint64_t>(i));
    auto ranked = placement.Rank(key, 3);
    ASSERT_EQ(ranked.size(), 3U);
    EXPECT_EQ(ranked[0], placement.Home(key));
    EXPECT_EQ(std::set<ServerId>(ranked.begin(), ranked.end()).size(), 3U);
  }
  EXPECT_EQ(placement.Rank("x", 10).size(), 4U);
}

TEST(PlacementTest, AddingAServerMovesOnlyItsShare) {
  Placement before(std::vector<ServerId>{1, 2, 3});
  Placement after(std::vector<ServerId>{1, 2, 3, 4});
  int moved = 0;
  for (int i = 0; i < kKeys; ++i) {
    std::string key = InodePlacementKey(static_cast<uint64_t>(i));
    ServerId old_home = before.Home(key);
    ServerId new_home = after.Home(key);
    if (old_home != new_home) {
      ++moved;
      EXPECT_EQ(new_home, 4U) << "a key moved between two old servers";
    }
  }
  EXPECT_NEAR(moved, kKeys / 4, kKeys / 4 * 0.05);
}

TEST(PlacementTest, KeysOfDifferentKindsDoNotCollide) {
  EXPECT_NE(InodePlacementKey(1), ChunkPlacementKey(1, 0));
  EXPECT_NE(DentryPlacementKey(1, "a"), DentryPlacementKey(1, "b"));
  EXPECT_NE(DentryPlacementKey(1, "a"), DentryPlacementKey(2, "a"));
}

proto::ClusterMap MapOfStates(const std::vector<proto::ServerState>& states) {
  proto::ClusterMap map;
  map.set_replicas(3);
  for (std::size_t i = 0; i < states.size(); ++i) {
    proto::ServerInfo* server = map.add_servers();
    server->set_id(100 + i);
    server->set_state(states[i]);
  }
  return map;
}

// Keys placed alike (one placement group) keep one chain whatever the servers' states, and
// through a join: a write of both never has two heads.
TEST(PlacementTest, KeysPlacedAlikeKeepOneChainThroughStateChangesAndJoins) {
  using proto::SERVER_DOWN;
  using proto::SERVER_SYNCING;
  using proto::SERVER_UP;
  const Placement syncing(MapOfStates({SERVER_UP, SERVER_UP, SERVER_SYNCING}));
  const std::string entry = DentryPlacementKey(1, "name");
  uint64_t next = 1000;
  const uint64_t ino = DrawInodePlacedWith(syncing, entry, [&] { return next++ << 20; });
  ASSERT_GE(ino, 16U);
  ASSERT_TRUE(syncing.PlacedAlike(entry, InodePlacementKey(ino)));

  const std::vector<proto::ServerState> kStates = {SERVER_UP, SERVER_SYNCING, SERVER_DOWN};
  for (auto a : kStates) {
    for (auto b : kStates) {
      for (auto c : kStates) {
        for (auto d : {proto::SERVER_OUT, SERVER_SYNCING, SERVER_UP}) {
          const Placement placement(MapOfStates({a, b, c, d}));
          EXPECT_EQ(placement.Chain(entry), placement.Chain(InodePlacementKey(ino)))
              << a << " " << b << " " << c << " " << d;
        }
      }
    }
  }
}

// Copies go to as many zones as there are: 6 servers in 3 zones, 3 copies, one in each zone;
// 2 zones, 3 copies: both zones hold copies of every group.
TEST(PlacementTest, CopiesGoToDifferentZones) {
  for (int zones : {2, 3}) {
    proto::ClusterMap map = MapOfStates(std::vector<proto::ServerState>(6, proto::SERVER_UP));
    map.set_placement_groups(1024);
    for (int i = 0; i < 6; ++i)
      map.mutable_servers(i)->set_zone("zone" + std::to_string(i % zones));
    const Placement placement(map);
    for (uint32_t group = 0; group < 1024; ++group) {
      std::set<std::string> used;
      const auto replicas = placement.ReplicasOfGroup(group);
      ASSERT_EQ(replicas.size(), 3U);
      for (ServerId server : replicas) used.insert("zone" + std::to_string((server - 100) % zones));
      EXPECT_EQ(used.size(), static_cast<std::size_t>(zones)) << "group " << group;
    }
  }
}

TEST(PlacementTest, AnInodesGroupIsTheLowBitsOfItsNumber) {
  EXPECT_EQ(PlacementGroupOf(InodePlacementKey(0x12345), 16), 5U);
  EXPECT_EQ(PlacementGroupOf(InodePlacementKey(1), kDefaultPlacementGroups), 1U);
  EXPECT_LT(PlacementGroupOf(DentryPlacementKey(1, "x"), 16), 16U);
}

// A group whose complete holders are all down has no chain, whoever else is alive; its lagging
// holders never head it.
TEST(PlacementTest, AGroupWithoutALiveCompleteHolderHasNoChain) {
  proto::ClusterMap map = MapOfStates({proto::SERVER_DOWN, proto::SERVER_UP, proto::SERVER_UP});
  map.set_placement_groups(8);
  map.set_replicas(2);
  Placement all(map);
  ASSERT_TRUE(all.EveryGroupServed());
  auto holds = [](const std::vector<ServerId>& holders, ServerId server) {
    return std::find(holders.begin(), holders.end(), server) != holders.end();
  };
  // Server 100 died while it was the only complete copy of its groups.
  for (uint32_t group = 0; group < 8; ++group) {
    const auto holders = all.HoldersOfGroup(group);
    if (!holds(holders, 100)) continue;
    for (ServerId server : holders) {
      if (server != 100) {
        SetGroupBit(map.mutable_servers(static_cast<int>(server - 100))->mutable_lagging_groups(),
                    group, true);
      }
    }
  }
  const Placement lagging(map);
  EXPECT_FALSE(lagging.EveryGroupServed());
  for (uint32_t group = 0; group < 8; ++group) {
    EXPECT_EQ(lagging.ChainOfGroup(group).empty(), holds(lagging.HoldersOfGroup(group), 100))
        << "group " << group;
  }
}

}  // namespace
}  // namespace sealfs
