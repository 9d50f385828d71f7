// The passes (resync.h), checked where they live: several servers in one process
// (in_process_servers.h), each copy made to differ from its head by writing to its database
// alone, then every server's passes run once at the map's epoch.
#include "resync.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "in_process_servers.h"

namespace sealfs {
namespace {

using std::chrono::milliseconds;

class ResyncTest : public InProcessServers {
 protected:
  // Starts every server's passes and waits until each finished one at `epoch`.
  void PassEverywhere(uint64_t epoch) {
    for (auto& server : servers_) server->resync->Start();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (auto& server : servers_) {
      while (server->resync->progress().synced_epoch() < epoch) {
        ASSERT_LT(std::chrono::steady_clock::now(), deadline)
            << "server " << server->id << " finished no pass at epoch " << epoch;
        std::this_thread::sleep_for(milliseconds(10));
      }
    }
  }
  // An inode number whose chain in `map` starts at `head`.
  uint64_t InodeHeadedBy(const proto::ClusterMap& map, const InProcessServer& head) {
    for (uint64_t ino = 100;; ++ino) {
      if (ChainOf(map, ino).front() == &head) return ino;
    }
  }
};

TEST_F(ResyncTest, ACopyGetsWhatItLacksAndTheHeadsVersionOfWhatDiffers) {
  const proto::ClusterMap map = Map(1, 3);
  SetMapEverywhere(map);
  const uint64_t lacking = 7;
  const std::vector<InProcessServer*> chain = ChainOf(map, lacking);
  const uint64_t differing = InodeHeadedBy(map, *chain[0]);
  WriteHereOnly(*chain[0], lacking, "only on the head");
  for (InProcessServer* server : ChainOf(map, differing)) WriteHereOnly(*server, differing, "old");
  WriteHereOnly(*ChainOf(map, differing)[0], differing, "new");

  PassEverywhere(1);
  for (InProcessServer* server : chain) EXPECT_EQ(Read(*server, lacking), "only on the head");
  for (InProcessServer* server : ChainOf(map, differing))
    EXPECT_EQ(Read(*server, differing), "new");
  EXPECT_EQ(Read(*Outside(chain), lacking), std::nullopt) << "a server outside the chain got it";
}

TEST_F(ResyncTest, ACopyLosesWhatItsHeadDeleted) {
  const proto::ClusterMap map = Map(1, 3);
  SetMapEverywhere(map);
  const uint64_t ino = 9;
  const std::vector<InProcessServer*> chain = ChainOf(map, ino);
  WriteHereOnly(*chain[2], ino, "deleted on the head");  // the head never had it, or deleted it
  PassEverywhere(1);
  for (InProcessServer* server : chain) EXPECT_EQ(Read(*server, ino), std::nullopt);
}

// A lagging copy is last in its chain and never its head: a pass repairs it from the complete
// head, and never pushes what it holds alone onto the others.
TEST_F(ResyncTest, WhatALaggingCopyHoldsAloneIsRepairedNotSpread) {
  proto::ClusterMap map = Map(1, 3);
  const uint64_t ino = 11;
  const std::vector<InProcessServer*> complete = ChainOf(map, ino);
  SetGroupBit(Info(&map, complete[0]->id)->mutable_lagging_groups(), GroupOfInode(ino), true);
  SetMapEverywhere(map);
  const std::vector<InProcessServer*> chain = ChainOf(map, ino);
  ASSERT_EQ(chain.back(), complete[0]) << "a lagging copy is last in its chain";
  for (InProcessServer* server : chain) WriteHereOnly(*server, ino, "acknowledged");
  WriteHereOnly(*chain.back(), ino, "applied alone before it died");

  PassEverywhere(1);
  for (InProcessServer* server : chain) EXPECT_EQ(Read(*server, ino), "acknowledged");
}

// A pass that starts while a write of the older map is on its way does not finish before it
// (it waits for the writes of older maps, and repairs a record under its key lock), and leaves
// every copy with the write rather than taking it back from the copies that already hold it.
TEST_F(ResyncTest, APassDuringAWriteOfAnOlderMapLeavesEveryCopyWithIt) {
  const proto::ClusterMap map = Map(1, 3);
  SetMapEverywhere(map);
  const uint64_t ino = 13;
  const std::vector<InProcessServer*> chain = ChainOf(map, ino);
  proto::ClusterMap next = map;
  next.set_epoch(2);
  auto held = HoldNextCallTo(*chain[2]);
  std::thread writer([&] { EXPECT_TRUE(Write(*chain[0], ino, "in flight").ok()); });
  held->arrived.get_future().wait();
  for (InProcessServer* server : {chain[0], chain[1]}) server->peers.SetMap(next);
  chain[0]->resync->Start();
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_LT(chain[0]->resync->progress().synced_epoch(), 2U)
      << "a pass finished while a write of the older map was on its way";
  held->released.set_value();
  writer.join();
  SetMapEverywhere(next);
  PassEverywhere(2);
  for (InProcessServer* server : chain) EXPECT_EQ(Read(*server, ino), "in flight");
}

// The narrowest window: every copy of the older map holds the write, the map moves on (adding a
// copy), and the head's pass of the newer map starts before the head applied the write. Reading
// then, the pass would not see the write, never give it to the new copy, and the manager would
// count that copy complete without it.
TEST_F(ResyncTest, APassOfANewerMapWaitsForAWriteItsHeadHasNotAppliedYet) {
  const proto::ClusterMap map = Map(1, 3);
  SetMapEverywhere(map);
  const uint64_t ino = 17;
  const std::vector<InProcessServer*> chain = ChainOf(map, ino);
  InProcessServer* newcomer = Outside(chain);
  const proto::ClusterMap next = Map(2, 4);  // every server a copy: the newcomer last
  ASSERT_EQ(ChainOf(next, ino).front(), chain[0]);
  chain[0]->replicator->set_before_local_apply_for_test([&] {
    SetMapEverywhere(next);
    chain[0]->resync->Start();
    std::this_thread::sleep_for(milliseconds(300));
    EXPECT_LT(chain[0]->resync->progress().synced_epoch(), 2U)
        << "the pass finished before the head applied a write of the older map";
  });
  EXPECT_TRUE(Write(*chain[0], ino, "delivered, not yet applied on the head").ok());
  chain[0]->replicator->set_before_local_apply_for_test(nullptr);
  PassEverywhere(2);
  EXPECT_EQ(Read(*newcomer, ino), "delivered, not yet applied on the head")
      << "the new copy misses a write the pass should have given it";
}

}  // namespace
}  // namespace sealfs
