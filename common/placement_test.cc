#include "placement.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace sealfs {
namespace {

constexpr int kKeys = 100000;

std::map<ServerId, int> CountHomes(const Placement& placement) {
  std::map<ServerId, int> homes;
  for (int i = 0; i < kKeys; ++i) homes[placement.Home(DentryPlacementKey(1, "file." + std::to_string(i)))]++;
  return homes;
}

TEST(PlacementTest, SpreadsKeysEvenlyOverServers) {
  for (std::vector<ServerId> servers :
       {std::vector<ServerId>{11, 22, 33}, std::vector<ServerId>{0x9e3779b97f4a7c15ULL, 7, 99, 1000, 5}}) {
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
  for (uint64_t index = 0; index < 64; ++index) homes[placement.Home(ChunkPlacementKey(12345, index))]++;
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

}  // namespace
}  // namespace sealfs
