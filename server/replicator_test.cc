// The replicator's fencing rules, checked where they live (as 3FS tests its storage sync):
// several servers in one process, each with its own RocksDB, Replicator and FixedPeers, calls
// between them made in-process, their maps changed by the test at the moment a rule is about.
#include "replicator.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "key_encoding.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "server/fixed_peers.h"
#include "test_util.h"

namespace sealfs {
namespace {

constexpr uint32_t kGroups = 64;
constexpr uint64_t kIno = 7;

struct Node {
  explicit Node(ServerId server_id) : id(server_id), peers(server_id) {
    storage = OpenTestStorage(dir.path());
    replicator = std::make_unique<Replicator>(storage.get(), &peers);
  }
  ServerId id;
  TempDir dir;
  std::unique_ptr<Storage> storage;
  FixedPeers peers;
  std::unique_ptr<Replicator> replicator;
};

class ReplicatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (ServerId id : {0xa1, 0xa2, 0xa3, 0xa4}) nodes_.push_back(std::make_unique<Node>(id));
    for (auto& from : nodes_) {
      for (auto& to : nodes_) {
        if (from == to) continue;
        from->peers.Connect(to->id, [this, target = to.get()](uint16_t op, std::string_view message,
                                                              std::string_view payload, uint64_t) {
          return Deliver(*target, op, message, payload);
        });
      }
    }
  }

  // Every server UP and complete.
  proto::ClusterMap Map(uint64_t epoch, uint32_t replicas, uint32_t min_copies = 1) const {
    proto::ClusterMap map;
    map.set_epoch(epoch);
    map.set_replicas(replicas);
    map.set_min_copies(min_copies);
    map.set_placement_groups(kGroups);
    for (const auto& node : nodes_) {
      proto::ServerInfo* server = map.add_servers();
      server->set_id(node->id);
      server->set_address(fmt::format("in-process:{:x}", node->id));
      server->set_state(proto::SERVER_UP);
    }
    return map;
  }
  static proto::ServerInfo* Server(proto::ClusterMap* map, ServerId id) {
    for (auto& server : *map->mutable_servers()) {
      if (server.id() == id) return &server;
    }
    return nullptr;
  }
  void SetMapEverywhere(const proto::ClusterMap& map) {
    for (auto& node : nodes_) node->peers.SetMap(map);
  }
  Node& NodeOf(ServerId id) {
    for (auto& node : nodes_) {
      if (node->id == id) return *node;
    }
    throw std::runtime_error("no such node");
  }
  // The chain of the test's record in `map`, and the server outside it.
  std::vector<Node*> ChainOf(const proto::ClusterMap& map) {
    std::vector<Node*> chain;
    for (ServerId id : Placement(map).Chain(InodePlacementKey(kIno))) chain.push_back(&NodeOf(id));
    return chain;
  }
  Node* Outside(const std::vector<Node*>& chain) {
    for (auto& node : nodes_) {
      if (std::find(chain.begin(), chain.end(), node.get()) == chain.end()) return node.get();
    }
    return nullptr;
  }
  static uint32_t Group() { return PlacementGroupOf(InodePlacementKey(kIno), kGroups); }

  // Runs `hook` before the next call to `target` is delivered; its failure is the call's.
  void BeforeCallTo(const Node& target, std::function<Status()> hook) {
    std::lock_guard lock(mutex_);
    hooks_[target.id] = std::move(hook);
  }

  RpcResult Deliver(Node& target, uint16_t op, std::string_view message, std::string_view payload) {
    std::function<Status()> hook;
    {
      std::lock_guard lock(mutex_);
      auto it = hooks_.find(target.id);
      if (it != hooks_.end()) {
        hook = std::move(it->second);
        hooks_.erase(it);
      }
    }
    if (hook) {
      Status status = hook();
      if (!status.ok()) return RpcResult{status, {}, {}};
    }
    proto::ReplicateRequest request;
    if (op != proto::OP_REPLICATE ||
        !request.ParseFromArray(message.data(), static_cast<int>(message.size()))) {
      return RpcResult{{proto::STATUS_UNKNOWN_OP, "only OP_REPLICATE here"}, {}, {}};
    }
    return RpcResult{target.replicator->Apply(request, payload), {}, {}};
  }

  static rocksdb::WriteBatch InodeBatch(const Node& node, const std::string& value) {
    rocksdb::WriteBatch batch;
    EXPECT_TRUE(batch.Put(node.storage->inodes(), keys::InodeKey(kIno), value).ok());
    return batch;
  }
  // As a request handler writes: under the record's exclusive key lock.
  static Status Write(Node& head, const std::string& value) {
    KeyLocks::Guard guard(&head.replicator->locks(), {InodePlacementKey(kIno)}, /*exclusive=*/true);
    rocksdb::WriteBatch batch = InodeBatch(head, value);
    return head.replicator->Commit(&batch, /*sync=*/false);
  }
  // A batch as a head at `epoch` sends it.
  static Status ApplyAsCopy(Node& copy, uint64_t epoch, ServerId sender, const std::string& value) {
    proto::ReplicateRequest request;
    request.set_epoch(epoch);
    request.set_sender(sender);
    return copy.replicator->Apply(request, InodeBatch(copy, value).Data());
  }
  static std::optional<std::string> Read(const Node& node) {
    std::string value;
    rocksdb::Status status = node.storage->db()->Get(rocksdb::ReadOptions(), node.storage->inodes(),
                                                     keys::InodeKey(kIno), &value);
    if (status.IsNotFound()) return std::nullopt;
    EXPECT_TRUE(status.ok()) << status.ToString();
    return value;
  }

  std::vector<std::unique_ptr<Node>> nodes_;
  std::mutex mutex_;
  std::map<ServerId, std::function<Status()>> hooks_;  // GUARDED_BY(mutex_)
};

TEST_F(ReplicatorTest, EveryCopyHoldsAWriteBeforeTheHeadAppliesIt) {
  const proto::ClusterMap map = Map(1, 3);
  SetMapEverywhere(map);
  const std::vector<Node*> chain = ChainOf(map);
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
  for (Node* node : chain) EXPECT_EQ(Read(*node), "v1");
  EXPECT_EQ(Read(*Outside(chain)), std::nullopt) << "a server outside the chain took the write";
}

TEST_F(ReplicatorTest, AWriteACopyRefusesIsTakenBackFromTheCopiesThatTookIt) {
  const proto::ClusterMap map = Map(1, 3);
  SetMapEverywhere(map);
  const std::vector<Node*> chain = ChainOf(map);
  ASSERT_TRUE(Write(*chain[0], "v1").ok());
  BeforeCallTo(*chain[2], [] { return Status(proto::STATUS_NO_SPACE, "disk full"); });
  const Status refused = Write(*chain[0], "v2");
  EXPECT_EQ(refused.code(), proto::STATUS_NO_SPACE) << refused.ToString();
  for (Node* node : chain) {
    EXPECT_EQ(Read(*node), "v1") << "server " << node->id << " holds a write the client saw fail";
  }
}

TEST_F(ReplicatorTest, AHeadThatLosesItsRoleBeforeEveryCopyHoldsTheWriteAppliesNothing) {
  const proto::ClusterMap map = Map(1, 3);
  SetMapEverywhere(map);
  const std::vector<Node*> chain = ChainOf(map);
  proto::ClusterMap head_down = map;
  head_down.set_epoch(2);
  Server(&head_down, chain[0]->id)->set_state(proto::SERVER_DOWN);
  // The first copy does not answer, and meanwhile the head learns that it is DOWN.
  BeforeCallTo(*chain[1], [&] {
    chain[0]->peers.SetMap(head_down);
    return Status(proto::STATUS_TIMED_OUT, "no reply");
  });
  const Status status = Write(*chain[0], "v1");
  EXPECT_EQ(status.code(), proto::STATUS_NOT_HEAD) << status.ToString();
  for (Node* node : chain) EXPECT_EQ(Read(*node), std::nullopt);
}

TEST_F(ReplicatorTest, AWriteEveryCopyOfItsMapTookIsAppliedThoughTheMapMovedOn) {
  const proto::ClusterMap map = Map(1, 3);
  SetMapEverywhere(map);
  const std::vector<Node*> chain = ChainOf(map);
  proto::ClusterMap head_down = map;
  head_down.set_epoch(2);
  Server(&head_down, chain[0]->id)->set_state(proto::SERVER_DOWN);
  BeforeCallTo(*chain[2], [&] {
    chain[0]->peers.SetMap(head_down);
    return Status::Ok();
  });
  // Every copy holds it: the head holds it too, so that it is not behind them should it head
  // the record again before a pass.
  ASSERT_TRUE(Write(*chain[0], "v1").ok());
  for (Node* node : chain) EXPECT_EQ(Read(*node), "v1");
}

TEST_F(ReplicatorTest, AWriteReachesACopyThatJoinedTheChainWhileItTravelled) {
  const proto::ClusterMap map = Map(1, 3);
  SetMapEverywhere(map);
  const std::vector<Node*> chain = ChainOf(map);
  Node* joining = Outside(chain);
  // The newcomer holds the group now, lagging: it is last in the chain and takes every write.
  proto::ClusterMap joined = map;
  joined.set_epoch(2);
  SetGroupBit(Server(&joined, joining->id)->mutable_held_groups(), Group(), true);
  SetGroupBit(Server(&joined, joining->id)->mutable_lagging_groups(), Group(), true);
  ASSERT_EQ(ChainOf(joined).back(), joining);
  // The head and the newcomer learn of it while the last copy of the older chain takes the
  // write (that copy learns later, so it takes it at the older epoch).
  BeforeCallTo(*chain[2], [&] {
    for (Node* node : {chain[0], joining}) node->peers.SetMap(joined);
    return Status::Ok();
  });
  ASSERT_TRUE(Write(*chain[0], "v1").ok());
  EXPECT_EQ(Read(*joining), "v1") << "acknowledged while a copy of the newer chain lacked it";
}

TEST_F(ReplicatorTest, TooFewCompleteCopiesRefuseTheWriteBeforeAnyCopyTakesIt) {
  proto::ClusterMap map = Map(1, 3, /*min_copies=*/2);
  const std::vector<Node*> chain = ChainOf(map);
  // One copy DOWN, the other lagging in the group: one complete copy alive, two needed.
  Server(&map, chain[1]->id)->set_state(proto::SERVER_DOWN);
  SetGroupBit(Server(&map, chain[2]->id)->mutable_lagging_groups(), Group(), true);
  SetMapEverywhere(map);
  const Status status = Write(*chain[0], "v1");
  EXPECT_EQ(status.code(), proto::STATUS_TOO_FEW_COPIES) << status.ToString();
  for (Node* node : chain) EXPECT_EQ(Read(*node), std::nullopt);
}

TEST_F(ReplicatorTest, ABatchOfAnOlderMapIsRefusedOnceANewerOneArrived) {
  SetMapEverywhere(Map(1, 3));
  Node& copy = *nodes_[0];
  // The newer batch comes before this server fetched the newer map: it is applied, and the map
  // is asked for.
  ASSERT_TRUE(ApplyAsCopy(copy, 5, nodes_[1]->id, "from epoch 5").ok());
  EXPECT_EQ(copy.peers.noted_epoch(), 5U);
  const Status stale = ApplyAsCopy(copy, 4, nodes_[2]->id, "from epoch 4");
  EXPECT_EQ(stale.code(), proto::STATUS_STALE_MAP) << stale.ToString();
  EXPECT_EQ(Read(copy), "from epoch 5");
}

TEST_F(ReplicatorTest, AnOlderHeadsWriteNeverLandsOverALaterHeadsWriteOfTheRecord) {
  const proto::ClusterMap map = Map(1, 3);
  SetMapEverywhere(map);
  const std::vector<Node*> chain = ChainOf(map);
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
  const std::vector<Node*> chain = ChainOf(map);
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  BeforeCallTo(*chain[2], [&] {
    entered.set_value();
    released.wait();
    return Status::Ok();
  });
  std::thread writer([&] { EXPECT_TRUE(Write(*chain[0], "v1").ok()); });
  entered.get_future().wait();
  std::atomic<bool> waited{false};
  std::thread pass([&] {
    chain[0]->replicator->WaitForWritesOfOlderMaps();
    waited = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(waited.load()) << "returned while a write of the older map was on its way";
  release.set_value();
  writer.join();
  pass.join();
  EXPECT_TRUE(waited.load());
  EXPECT_EQ(Read(*chain[0]), "v1");
}

TEST_F(ReplicatorTest, BatchesACopyCannotCheckAreRefusedAndChangeNothing) {
  SetMapEverywhere(Map(1, 3));
  Node& copy = *nodes_[0];
  proto::ReplicateRequest request;
  request.set_epoch(1);
  request.set_sender(nodes_[1]->id);
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

  // A batch with one bad record among good ones is refused whole.
  rocksdb::WriteBatch mixed = InodeBatch(copy, "v1");
  ASSERT_TRUE(mixed.Put(copy.storage->inodes(), "xyz", "value").ok());
  EXPECT_EQ(copy.replicator->Apply(request, mixed.Data()).code(), proto::STATUS_INVALID);
  EXPECT_EQ(Read(copy), std::nullopt);
}

}  // namespace
}  // namespace sealfs
