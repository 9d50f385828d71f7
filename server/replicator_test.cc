// The replicator's fencing rules, checked where they live: several servers in one process
// (in_process_servers.h), their maps changed by the test at the moment a rule is about.
#include "replicator.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "in_process_servers.h"

namespace sealfs {
namespace {

constexpr uint64_t kIno = 7;

class ReplicatorTest : public InProcessServers {
 protected:
  std::vector<InProcessServer*> ChainOf(const proto::ClusterMap& map) {
    return InProcessServers::ChainOf(map, kIno);
  }
  static Status Write(InProcessServer& head, const std::string& value) {
    return InProcessServers::Write(head, kIno, value);
  }
  static std::optional<std::string> Read(const InProcessServer& server) {
    return InProcessServers::Read(server, kIno);
  }
  // A batch as a head at `epoch` sends it.
  static Status ApplyAsCopy(InProcessServer& copy, uint64_t epoch, ServerId sender,
                            const std::string& value) {
    proto::ReplicateRequest request;
    request.set_epoch(epoch);
    request.set_sender(sender);
    return copy.replicator->Apply(request, InodeBatch(copy, kIno, value).Data());
  }
};

TEST_F(ReplicatorTest, EveryCopyHoldsAWriteBeforeTheHeadAppliesIt) {
  const proto::ClusterMap map = Map(1, 3);
  SetMapEverywhere(map);
  const std::vector<InProcessServer*> chain = ChainOf(map);
  ASSERT_EQ(chain.size(), 3U);
  std::optional<std::string> head_seen;
  std::optional<std::string> middle_seen;
  BeforeCallTo(*chain[2], [&] {
    head_seen = Read(*chain[0]);
    middle_seen = Read(*chain[1]);
    return Status::Ok();
  });
  ASSERT_TRUE(Write(*chain[0], "v1").ok());
  EXPECT_EQ(head_seen, std::nullopt) << "the head applied the write before its last copy";
  EXPECT_EQ(middle_seen, "v1") << "the chain's order was not kept";
  for (InProcessServer* node : chain) EXPECT_EQ(Read(*node), "v1");
  EXPECT_EQ(Read(*Outside(chain)), std::nullopt) << "a server outside the chain took the write";
}

TEST_F(ReplicatorTest, AWriteACopyRefusesIsTakenBackFromTheCopiesThatTookIt) {
  const proto::ClusterMap map = Map(1, 3);
  SetMapEverywhere(map);
  const std::vector<InProcessServer*> chain = ChainOf(map);
  ASSERT_TRUE(Write(*chain[0], "v1").ok());
  BeforeCallTo(*chain[2], [] { return Status(proto::STATUS_NO_SPACE, "disk full"); });
  const Status refused = Write(*chain[0], "v2");
  EXPECT_EQ(refused.code(), proto::STATUS_NO_SPACE) << refused.ToString();
  for (InProcessServer* node : chain) {
    EXPECT_EQ(Read(*node), "v1") << "server " << node->id << " holds a write the client saw fail";
  }
}

TEST_F(ReplicatorTest, AHeadThatLosesItsRoleBeforeEveryCopyHoldsTheWriteAppliesNothing) {
  const proto::ClusterMap map = Map(1, 3);
  SetMapEverywhere(map);
  const std::vector<InProcessServer*> chain = ChainOf(map);
  const proto::ClusterMap head_down = WithDown(map, chain[0]->id);
  // The first copy does not answer, and meanwhile the head learns that it is DOWN.
  BeforeCallTo(*chain[1], [&] {
    chain[0]->peers.SetMap(head_down);
    return Status(proto::STATUS_TIMED_OUT, "no reply");
  });
  const Status status = Write(*chain[0], "v1");
  EXPECT_EQ(status.code(), proto::STATUS_NOT_HEAD) << status.ToString();
  // The last copy, sent the batch at the same time, may hold it: the next head settles it.
  for (InProcessServer* node : {chain[0], chain[1]}) EXPECT_EQ(Read(*node), std::nullopt);
}

TEST_F(ReplicatorTest, AWriteEveryCopyOfItsMapTookIsAppliedThoughTheMapMovedOn) {
  const proto::ClusterMap map = Map(1, 3);
  SetMapEverywhere(map);
  const std::vector<InProcessServer*> chain = ChainOf(map);
  const proto::ClusterMap head_down = WithDown(map, chain[0]->id);
  BeforeCallTo(*chain[2], [&] {
    chain[0]->peers.SetMap(head_down);
    return Status::Ok();
  });
  // Every copy holds it: the head holds it too, so that it is not behind them should it head
  // the record again before a pass.
  ASSERT_TRUE(Write(*chain[0], "v1").ok());
  for (InProcessServer* node : chain) EXPECT_EQ(Read(*node), "v1");
}

TEST_F(ReplicatorTest, AWriteReachesACopyThatJoinedTheChainWhileItTravelled) {
  const proto::ClusterMap map = Map(1, 3);
  SetMapEverywhere(map);
  const std::vector<InProcessServer*> chain = ChainOf(map);
  InProcessServer* joining = Outside(chain);
  // The newcomer holds the group now, lagging: it is last in the chain and takes every write.
  proto::ClusterMap joined = map;
  joined.set_epoch(2);
  SetGroupBit(Info(&joined, joining->id)->mutable_held_groups(), GroupOfInode(kIno), true);
  SetGroupBit(Info(&joined, joining->id)->mutable_lagging_groups(), GroupOfInode(kIno), true);
  ASSERT_EQ(ChainOf(joined).back(), joining);
  // The head and the newcomer learn of it while the last copy of the older chain takes the
  // write (that copy learns later, so it takes it at the older epoch).
  BeforeCallTo(*chain[2], [&] {
    for (InProcessServer* node : {chain[0], joining}) node->peers.SetMap(joined);
    return Status::Ok();
  });
  ASSERT_TRUE(Write(*chain[0], "v1").ok());
  EXPECT_EQ(Read(*joining), "v1") << "acknowledged while a copy of the newer chain lacked it";
}

TEST_F(ReplicatorTest, TooFewCompleteCopiesRefuseTheWriteBeforeAnyCopyTakesIt) {
  proto::ClusterMap map = Map(1, 3, /*min_copies=*/2);
  const std::vector<InProcessServer*> chain = ChainOf(map);
  // One copy DOWN, the other lagging in the group: one complete copy alive, two needed.
  Info(&map, chain[1]->id)->set_state(proto::SERVER_DOWN);
  SetGroupBit(Info(&map, chain[2]->id)->mutable_lagging_groups(), GroupOfInode(kIno), true);
  SetMapEverywhere(map);
  const Status status = Write(*chain[0], "v1");
  EXPECT_EQ(status.code(), proto::STATUS_TOO_FEW_COPIES) << status.ToString();
  for (InProcessServer* node : chain) EXPECT_EQ(Read(*node), std::nullopt);
}

TEST_F(ReplicatorTest, ABatchOfAnOlderMapIsRefusedOnceANewerOneArrived) {
  SetMapEverywhere(Map(1, 3));
  InProcessServer& copy = *servers_[0];
  // The newer batch comes before this server fetched the newer map: it is applied, and the map
  // is asked for.
  ASSERT_TRUE(ApplyAsCopy(copy, 5, servers_[1]->id, "from epoch 5").ok());
  EXPECT_EQ(copy.peers.noted_epoch(), 5U);
  const Status stale = ApplyAsCopy(copy, 4, servers_[2]->id, "from epoch 4");
  EXPECT_EQ(stale.code(), proto::STATUS_STALE_MAP) << stale.ToString();
  EXPECT_EQ(Read(copy), "from epoch 5");
}

TEST_F(ReplicatorTest, AnOlderHeadsWriteNeverLandsOverALaterHeadsWriteOfTheRecord) {
  const proto::ClusterMap map = Map(1, 3);
  SetMapEverywhere(map);
  const std::vector<InProcessServer*> chain = ChainOf(map);
  // While the old head's write travels, a head at epoch 2 writes the record to it as a copy.
  BeforeCallTo(*chain[2], [&] {
    EXPECT_TRUE(ApplyAsCopy(*chain[0], 2, chain[1]->id, "later head").ok());
    return Status::Ok();
  });
  const Status status = Write(*chain[0], "older head");
  EXPECT_EQ(status.code(), proto::STATUS_NOT_HEAD) << status.ToString();
  EXPECT_EQ(Read(*chain[0]), "later head");
}

TEST_F(ReplicatorTest, WaitForWritesOfOlderMapsWaitsForTheWriteInFlight) {
  const proto::ClusterMap map = Map(1, 3);
  SetMapEverywhere(map);
  const std::vector<InProcessServer*> chain = ChainOf(map);
  auto held = HoldNextCallTo(*chain[2]);
  std::thread writer([&] { EXPECT_TRUE(Write(*chain[0], "v1").ok()); });
  held->arrived.get_future().wait();
  std::atomic<bool> waited{false};
  std::thread pass([&] {
    chain[0]->replicator->WaitForWritesOfOlderMaps();
    waited = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(waited.load()) << "returned while a write of the older map was on its way";
  held->released.set_value();
  writer.join();
  pass.join();
  EXPECT_TRUE(waited.load());
  EXPECT_EQ(Read(*chain[0]), "v1");
}

// A write with copies to reach waits for them: never on a server's I/O thread.
TEST_F(ReplicatorTest, AWriteWithCopiesIsNeverServedWithoutWaiting) {
  const proto::ClusterMap map = Map(1, 3);
  SetMapEverywhere(map);
  InProcessServer& head = *ChainOf(map)[0];
  proto::SetAttrRequest touch;
  touch.set_ino(kIno);
  touch.mutable_mtime()->set_sec(5);
  const std::string bytes = touch.SerializeAsString();
  EXPECT_FALSE(head.service->ServeWithoutWaiting(RpcRequest{proto::OP_SET_ATTR, bytes, {}, 9}));
  rocksdb::WriteBatch batch = InodeBatch(head, kIno, "x");
  EXPECT_FALSE(head.replicator->CommitWithoutCopies(&batch, /*sync=*/false).has_value());
  EXPECT_EQ(Read(head), std::nullopt) << "nothing applied";
}

// A truncation reaches every server, and each cuts the chunks it heads. One that passed its
// epoch check and then waited for every key lock (behind a write in flight) while the map moved
// a chunk's head elsewhere must not judge the chunks by the newer map: its new head, checked
// at the older epoch, cut nothing, and the truncation would be answered as done with the
// chunk's bytes past the new size still there (found by fsx under server kills).
TEST_F(ReplicatorTest, ATruncationWhoseMapMovedOnWhileItWaitedForTheLocksIsRefused) {
  constexpr uint32_t kChunkSize = 4096;
  const proto::ClusterMap map = Map(1, 3);
  SetMapEverywhere(map);
  const std::string chunk_key = ChunkPlacementKey(kIno, 0);
  InProcessServer& head = ServerOf(Placement(map).Chain(chunk_key).front());
  proto::WriteChunkRequest write;
  write.set_ino(kIno);
  write.set_chunk_size(kChunkSize);
  const std::string message = write.SerializeAsString();  // RpcRequest only views its bytes
  const std::string bytes(1000, 'x');
  RpcRequest write_request{proto::OP_WRITE_CHUNK, message, bytes, 0};
  ASSERT_TRUE(head.service->Handle(write_request).status.ok());

  // A write in flight on the head holds a key lock: its call to a copy is held.
  uint64_t held_ino = kIno + 1;
  while (InProcessServers::ChainOf(map, held_ino).front() != &head) ++held_ino;
  auto held = HoldNextCallTo(*InProcessServers::ChainOf(map, held_ino)[1]);
  std::thread writer([&] { (void)InProcessServers::Write(head, held_ino, "v1"); });
  held->arrived.get_future().wait();

  proto::TruncateChunksRequest truncate;
  truncate.set_ino(kIno);
  truncate.set_size(10);
  truncate.set_chunk_size(kChunkSize);
  truncate.set_epoch(1);
  std::promise<Status> truncated;
  std::thread truncating(
      [&] { truncated.set_value(head.Handle(proto::OP_TRUNCATE_CHUNKS, truncate).status); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // checked, waiting for the locks
  // The head is DOWN in the next map (paused, say): another server heads the chunk.
  SetMapEverywhere(WithDown(map, head.id));
  held->released.set_value();
  writer.join();
  truncating.join();
  const Status status = truncated.get_future().get();
  EXPECT_EQ(status.code(), proto::STATUS_STALE_MAP)
      << "answered " << status.ToString() << " though no server cut the chunk";
}

TEST_F(ReplicatorTest, BatchesACopyCannotCheckAreRefusedAndChangeNothing) {
  SetMapEverywhere(Map(1, 3));
  InProcessServer& copy = *servers_[0];
  proto::ReplicateRequest request;
  request.set_epoch(1);
  request.set_sender(servers_[1]->id);
  EXPECT_EQ(copy.replicator->Apply(request, "short").code(), proto::STATUS_INVALID);

  rocksdb::WriteBatch unplaced;  // the default family holds nothing placed
  ASSERT_TRUE(unplaced.Put(copy.storage->handle(Storage::kDefault), "key", "value").ok());
  EXPECT_EQ(copy.replicator->Apply(request, unplaced.Data()).code(), proto::STATUS_INVALID);

  rocksdb::WriteBatch bad_key;  // an inode key of the wrong length
  ASSERT_TRUE(bad_key.Put(copy.storage->inodes(), "xyz", "value").ok());
  EXPECT_EQ(copy.replicator->Apply(request, bad_key.Data()).code(), proto::STATUS_INVALID);

  rocksdb::WriteBatch merged_inode;  // merge operands belong to chunks only
  ASSERT_TRUE(merged_inode.Merge(copy.storage->inodes(), keys::InodeKey(kIno), "patch").ok());
  EXPECT_EQ(copy.replicator->Apply(request, merged_inode.Data()).code(), proto::STATUS_INVALID);

  // Malformed bytes are refused before RocksDB reads them (it aborts on some): a record kind
  // SealFS never writes (a single deletion), a count that does not match, a cut-off record.
  rocksdb::WriteBatch single_delete;
  ASSERT_TRUE(single_delete.SingleDelete(copy.storage->inodes(), keys::InodeKey(kIno)).ok());
  EXPECT_EQ(copy.replicator->Apply(request, single_delete.Data()).code(), proto::STATUS_INVALID);
  std::string miscounted = InodeBatch(copy, kIno, "v1").Data();
  miscounted[8] = 2;
  EXPECT_EQ(copy.replicator->Apply(request, miscounted).code(), proto::STATUS_INVALID);
  const std::string whole = InodeBatch(copy, kIno, "v1").Data();
  for (std::size_t size = 12; size < whole.size(); ++size) {
    EXPECT_EQ(copy.replicator->Apply(request, whole.substr(0, size)).code(), proto::STATUS_INVALID)
        << "cut to " << size << " bytes";
  }
  EXPECT_TRUE(IsPlainWriteBatch(whole));

  // A batch with one bad record among good ones is refused whole.
  rocksdb::WriteBatch mixed = InodeBatch(copy, kIno, "v1");
  ASSERT_TRUE(mixed.Put(copy.storage->inodes(), "xyz", "value").ok());
  EXPECT_EQ(copy.replicator->Apply(request, mixed.Data()).code(), proto::STATUS_INVALID);
  EXPECT_EQ(Read(copy), std::nullopt);
}

}  // namespace
}  // namespace sealfs
