#include "membership.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

namespace sealfs::manager {
namespace {

using std::chrono::milliseconds;
using TimePoint = Membership::TimePoint;

constexpr milliseconds kTimeout{5000};
constexpr milliseconds kDownOut{60000};

class MembershipTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  // A fake steady clock: starts at an arbitrary point and moves only when a test says so.
  [[nodiscard]] TimePoint Now() const {
    return TimePoint(milliseconds(1'000'000 + offset_ms_.load()));
  }
  void Advance(milliseconds by) { offset_ms_ += by.count(); }

  // One copy of each record unless a test asks for more. A server that joins a cluster lags in
  // the groups it takes over until a pass of their holders (CatchUp).
  void Open(uint32_t chunk_size = 1U << 20, uint32_t replicas = 1) {
    membership_.reset();
    std::unique_ptr<ClusterMapStore> store;
    ASSERT_TRUE(ClusterMapStore::Open(dir_.path(), &store).ok());
    MembershipOptions options;
    options.heartbeat_timeout = kTimeout;
    options.default_chunk_size = chunk_size;
    options.replicas = replicas;
    options.down_out_after = kDownOut;
    Status s = Membership::Open(std::move(store), options, &membership_, [this] { return Now(); });
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  proto::ClusterMap Register(uint64_t id, const std::string& address, uint64_t incarnation = 1) {
    proto::ClusterMap map;
    Status s = membership_->Register(id, address, incarnation, &map);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return map;
  }

  Status Heartbeat(uint64_t id, const std::string& address, uint64_t* epoch = nullptr,
                   uint64_t synced_epoch = 0) {
    uint64_t ignored = 0;
    proto::SyncProgress progress;
    progress.set_synced_epoch(synced_epoch);
    return membership_->Heartbeat(id, address, progress, epoch != nullptr ? epoch : &ignored);
  }

  // Every live server reports a finished pass at the current epoch, until nobody lags.
  void CatchUp() {
    for (int round = 0; round < 4; ++round) {
      const proto::ClusterMap map = membership_->GetMap();
      for (const auto& server : map.servers()) {
        if (server.state() == proto::SERVER_UP || server.state() == proto::SERVER_SYNCING) {
          ASSERT_TRUE(Heartbeat(server.id(), server.address(), nullptr, membership_->epoch()).ok());
        }
      }
    }
  }

  int Check() {
    int marked = -1;
    Status s = membership_->CheckTimeouts(Now(), &marked);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return marked;
  }

  [[nodiscard]] proto::ServerInfo Server(uint64_t id) const {
    const proto::ClusterMap map = membership_->GetMap();
    for (const auto& server : map.servers()) {
      if (server.id() == id) return server;
    }
    ADD_FAILURE() << "server " << id << " not in the map";
    return {};
  }

  TempDir dir_;  // declared first: removed after the database is closed
  std::atomic<int64_t> offset_ms_{0};
  std::unique_ptr<Membership> membership_;
};

TEST_F(MembershipTest, NewMapHasEpochOneAndTheChunkSize) {
  const proto::ClusterMap map = membership_->GetMap();
  EXPECT_EQ(map.epoch(), 1U);
  EXPECT_EQ(map.servers_size(), 0);
  EXPECT_EQ(map.default_chunk_size(), 1U << 20);
}

TEST_F(MembershipTest, RegisterAddsUpServersOrderedById) {
  proto::ClusterMap map = Register(20, "10.0.0.2:7000");
  EXPECT_EQ(map.epoch(), 2U);
  ASSERT_EQ(map.servers_size(), 1);
  EXPECT_EQ(map.servers(0).state(), proto::SERVER_UP);

  map = Register(30, "10.0.0.3:7000");
  map = Register(10, "10.0.0.1:7000");
  EXPECT_EQ(map.epoch(), 4U);
  ASSERT_EQ(map.servers_size(), 3);
  EXPECT_EQ(map.servers(0).id(), 10U);
  EXPECT_EQ(map.servers(1).id(), 20U);
  EXPECT_EQ(map.servers(2).id(), 30U);
  EXPECT_EQ(map.servers(0).address(), "10.0.0.1:7000");
}

TEST_F(MembershipTest, RegisteringAgainUnchangedKeepsTheEpoch) {
  Register(1, "10.0.0.1:7000");
  const proto::ClusterMap map = Register(1, "10.0.0.1:7000");
  EXPECT_EQ(map.epoch(), 2U);
  EXPECT_EQ(map.servers_size(), 1);
}

TEST_F(MembershipTest, RegisterAtANewAddressKeepsTheIdentity) {
  Register(1, "10.0.0.1:7000");
  Register(2, "10.0.0.2:7000");
  const proto::ClusterMap map = Register(1, "10.0.0.9:7100");
  EXPECT_EQ(map.epoch(), 4U);
  ASSERT_EQ(map.servers_size(), 2);
  EXPECT_EQ(map.servers(0).id(), 1U);
  EXPECT_EQ(map.servers(0).address(), "10.0.0.9:7100");
  EXPECT_EQ(map.servers(0).state(), proto::SERVER_UP);
}

TEST_F(MembershipTest, HeartbeatFromAnUnknownServerIsNotFound) {
  uint64_t epoch = 0;
  EXPECT_EQ(Heartbeat(5, "10.0.0.5:7000", &epoch).code(), proto::STATUS_NOT_FOUND);
  EXPECT_EQ(epoch, 1U);
  EXPECT_EQ(membership_->GetMap().servers_size(), 0);
}

TEST_F(MembershipTest, HeartbeatChangesTheEpochOnlyWhenTheMapChanges) {
  Register(1, "10.0.0.1:7000");
  uint64_t epoch = 0;
  ASSERT_TRUE(Heartbeat(1, "10.0.0.1:7000", &epoch).ok());
  EXPECT_EQ(epoch, 2U);
  ASSERT_TRUE(Heartbeat(1, "10.0.0.1:7001", &epoch).ok());  // restarted on another port
  EXPECT_EQ(epoch, 3U);
  EXPECT_EQ(Server(1).address(), "10.0.0.1:7001");
  ASSERT_TRUE(Heartbeat(1, "10.0.0.1:7001", &epoch).ok());
  EXPECT_EQ(epoch, 3U);
}

TEST_F(MembershipTest, DownAfterTimeoutAndUpAgainOnHeartbeat) {
  Register(1, "10.0.0.1:7000");
  Advance(kTimeout);
  EXPECT_EQ(Check(), 0);  // exactly the timeout is still alive
  EXPECT_EQ(membership_->epoch(), 2U);

  Advance(milliseconds(1));
  EXPECT_EQ(Check(), 1);
  EXPECT_EQ(Server(1).state(), proto::SERVER_DOWN);
  EXPECT_EQ(membership_->epoch(), 3U);
  EXPECT_EQ(membership_->GetMap().servers_size(), 1);  // stays in the map

  Advance(kTimeout * 3);
  EXPECT_EQ(Check(), 0);  // already down: no further change
  EXPECT_EQ(membership_->epoch(), 3U);

  uint64_t epoch = 0;
  ASSERT_TRUE(Heartbeat(1, "10.0.0.1:7000", &epoch).ok());
  EXPECT_EQ(epoch, 4U);
  EXPECT_EQ(Server(1).state(), proto::SERVER_UP);
  Advance(kTimeout);
  EXPECT_EQ(Check(), 0);  // the heartbeat restarted its clock
}

TEST_F(MembershipTest, HeartbeatsKeepAServerUp) {
  Register(1, "10.0.0.1:7000");
  for (int i = 0; i < 10; ++i) {
    Advance(kTimeout - milliseconds(1));
    ASSERT_TRUE(Heartbeat(1, "10.0.0.1:7000").ok());
    EXPECT_EQ(Check(), 0);
  }
  EXPECT_EQ(membership_->epoch(), 2U);
}

TEST_F(MembershipTest, ServersThatExpireTogetherCostOneEpoch) {
  Register(1, "10.0.0.1:7000");
  Register(2, "10.0.0.2:7000");
  Register(3, "10.0.0.3:7000");
  CatchUp();
  ASSERT_EQ(Server(3).state(), proto::SERVER_UP);
  Advance(milliseconds(2000));
  ASSERT_TRUE(Heartbeat(3, "10.0.0.3:7000").ok());
  Advance(kTimeout);
  const uint64_t before = membership_->epoch();
  EXPECT_EQ(Check(), 2);
  EXPECT_EQ(membership_->epoch(), before + 1);
  EXPECT_EQ(Server(1).state(), proto::SERVER_DOWN);
  EXPECT_EQ(Server(2).state(), proto::SERVER_DOWN);
  EXPECT_EQ(Server(3).state(), proto::SERVER_UP);
}

TEST_F(MembershipTest, RegisterBringsADownServerBack) {
  Register(1, "10.0.0.1:7000");
  Advance(kTimeout + milliseconds(1));
  EXPECT_EQ(Check(), 1);
  const proto::ClusterMap map = Register(1, "10.0.0.1:7000");
  EXPECT_EQ(map.epoch(), 4U);
  EXPECT_EQ(map.servers(0).state(), proto::SERVER_UP);
}

TEST_F(MembershipTest, MapAndEpochSurviveARestart) {
  Register(1, "10.0.0.1:7000");
  Register(2, "10.0.0.2:7000");
  Advance(milliseconds(3000));
  ASSERT_TRUE(Heartbeat(2, "10.0.0.2:7000").ok());
  Advance(milliseconds(3000));
  EXPECT_EQ(Check(), 1);  // server 1 down
  const proto::ClusterMap before = membership_->GetMap();
  EXPECT_EQ(before.epoch(), 4U);

  Open(/*chunk_size=*/4096);  // a different flag does not change the stored map
  const proto::ClusterMap after = membership_->GetMap();
  EXPECT_EQ(after.SerializeAsString(), before.SerializeAsString());
  EXPECT_EQ(after.default_chunk_size(), 1U << 20);

  // Unchanged registration after the restart: still no new epoch.
  EXPECT_EQ(Register(2, "10.0.0.2:7000").epoch(), 4U);
}

TEST_F(MembershipTest, ServersLoadedAfterARestartGetAFreshGracePeriod) {
  Register(1, "10.0.0.1:7000");
  Advance(kTimeout * 10);  // the manager was away for a long time
  Open();
  EXPECT_EQ(Check(), 0);
  Advance(kTimeout);
  EXPECT_EQ(Check(), 0);
  Advance(milliseconds(1));
  EXPECT_EQ(Check(), 1);
  EXPECT_EQ(membership_->epoch(), 3U);
}

TEST_F(MembershipTest, AnAddressIsHeldByOneUpServer) {
  Register(1, "10.0.0.1:7000");
  proto::ClusterMap map;
  EXPECT_EQ(membership_->Register(2, "10.0.0.1:7000", 1, &map).code(), proto::STATUS_EXISTS);
  EXPECT_EQ(membership_->epoch(), 2U);

  // Once the holder is down, another server may take the address...
  Advance(kTimeout + milliseconds(1));
  EXPECT_EQ(Check(), 1);
  ASSERT_TRUE(membership_->Register(2, "10.0.0.1:7000", 1, &map).ok());
  EXPECT_EQ(map.epoch(), 4U);
  // ...and the old holder cannot come back there while it is held.
  EXPECT_EQ(Heartbeat(1, "10.0.0.1:7000").code(), proto::STATUS_EXISTS);
  EXPECT_EQ(Server(1).state(), proto::SERVER_DOWN);
  ASSERT_TRUE(Heartbeat(1, "10.0.0.1:7001").ok());
  EXPECT_EQ(Server(1).state(), proto::SERVER_UP);
  EXPECT_EQ(membership_->epoch(), 5U);
}

TEST_F(MembershipTest, InvalidRequestsChangeNothing) {
  proto::ClusterMap map;
  EXPECT_EQ(membership_->Register(0, "10.0.0.1:7000", 1, &map).code(), proto::STATUS_INVALID);
  EXPECT_EQ(membership_->Register(1, "", 1, &map).code(), proto::STATUS_INVALID);
  EXPECT_EQ(membership_->Register(1, "10.0.0.1", 1, &map).code(), proto::STATUS_INVALID);
  EXPECT_EQ(membership_->Register(1, "10.0.0.1:0", 1, &map).code(), proto::STATUS_INVALID);
  EXPECT_EQ(membership_->Register(1, ":7000", 1, &map).code(), proto::STATUS_INVALID);
  Register(1, "10.0.0.1:7000");
  EXPECT_EQ(Heartbeat(1, "10.0.0.1:notaport").code(), proto::STATUS_INVALID);
  EXPECT_EQ(membership_->epoch(), 2U);
  EXPECT_EQ(Server(1).address(), "10.0.0.1:7000");
}

TEST_F(MembershipTest, ConcurrentRegistrationsEachCostOneEpoch) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const auto id = static_cast<uint64_t>(t) * kPerThread + i + 1;
        const std::string address = "10.0.1." + std::to_string(id) + ":7000";
        proto::ClusterMap map;
        EXPECT_TRUE(membership_->Register(id, address, 1, &map).ok());
        uint64_t epoch = 0;
        EXPECT_TRUE(membership_->Heartbeat(id, address, proto::SyncProgress(), &epoch).ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const proto::ClusterMap map = membership_->GetMap();
  EXPECT_EQ(map.epoch(), 1U + kThreads * kPerThread);
  ASSERT_EQ(map.servers_size(), kThreads * kPerThread);
  for (int i = 1; i < map.servers_size(); ++i) {
    EXPECT_LT(map.servers(i - 1).id(), map.servers(i).id());
  }
}

TEST_F(MembershipTest, CheckerThreadMarksSilentServersDown) {
  // The only test that waits: it checks that the background thread runs the check.
  membership_.reset();
  std::unique_ptr<ClusterMapStore> store;
  ASSERT_TRUE(ClusterMapStore::Open(dir_.path(), &store).ok());
  MembershipOptions options;
  options.heartbeat_timeout = kTimeout;
  options.check_interval = milliseconds(5);
  ASSERT_TRUE(
      Membership::Open(std::move(store), options, &membership_, [this] { return Now(); }).ok());
  membership_->StartChecker();
  membership_->StartChecker();  // no-op
  Register(1, "10.0.0.1:7000");
  Advance(kTimeout + milliseconds(1));  // fake clock: the thread sees the jump
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (Server(1).state() != proto::SERVER_DOWN && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(2));
  }
  EXPECT_EQ(Server(1).state(), proto::SERVER_DOWN);
  membership_->StopChecker();
  membership_->StopChecker();  // idempotent
}

TEST_F(MembershipTest, WithCopiesAnArrivingServerSyncsBeforeItIsUp) {
  Open(1U << 20, /*replicas=*/3);
  Register(1, "10.0.0.1:7000");
  EXPECT_EQ(Server(1).state(), proto::SERVER_UP) << "the first server has nobody to sync from";
  Register(2, "10.0.0.2:7000");
  ASSERT_EQ(Server(2).state(), proto::SERVER_SYNCING);
  const uint64_t arrived = Server(2).state_epoch();

  // Server 1's pass at an older epoch does not count; one at the arrival epoch does.
  ASSERT_TRUE(Heartbeat(1, "10.0.0.1:7000", nullptr, arrived - 1).ok());
  EXPECT_EQ(Server(2).state(), proto::SERVER_SYNCING);
  ASSERT_TRUE(Heartbeat(1, "10.0.0.1:7000", nullptr, arrived).ok());
  EXPECT_EQ(Server(2).state(), proto::SERVER_UP);
  EXPECT_EQ(membership_->GetMap().servers(0).sync().synced_epoch(), arrived)
      << "progress is shown in the map";

  // Back after DOWN: it missed writes, so it syncs again.
  Advance(kTimeout + milliseconds(1));
  ASSERT_TRUE(Heartbeat(1, "10.0.0.1:7000").ok());
  Check();
  ASSERT_EQ(Server(2).state(), proto::SERVER_DOWN);
  ASSERT_TRUE(Heartbeat(2, "10.0.0.2:7000").ok());
  EXPECT_EQ(Server(2).state(), proto::SERVER_SYNCING);
}

TEST_F(MembershipTest, ARestartedServerSyncsEvenWhenNeverMarkedDown) {
  Open(1U << 20, /*replicas=*/2);
  Register(1, "10.0.0.1:7000");
  Register(2, "10.0.0.2:7000");
  ASSERT_TRUE(Heartbeat(1, "10.0.0.1:7000", nullptr, membership_->epoch()).ok());
  ASSERT_EQ(Server(2).state(), proto::SERVER_UP);
  Register(2, "10.0.0.2:7001");  // killed and restarted on another port within the timeout
  EXPECT_EQ(Server(2).state(), proto::SERVER_SYNCING);
}

TEST_F(MembershipTest, ARestartedServerSyncsEvenOnTheSamePort) {
  Open(1U << 20, /*replicas=*/2);
  Register(1, "10.0.0.1:7000");
  Register(2, "10.0.0.2:7000");
  ASSERT_TRUE(Heartbeat(1, "10.0.0.1:7000", nullptr, membership_->epoch()).ok());
  ASSERT_EQ(Server(2).state(), proto::SERVER_UP);
  const uint64_t before = membership_->epoch();
  Register(2, "10.0.0.2:7000");  // registers again after a manager restart: nothing changes
  EXPECT_EQ(membership_->epoch(), before);
  Register(2, "10.0.0.2:7000", /*incarnation=*/2);  // killed and restarted within the timeout
  EXPECT_EQ(Server(2).state(), proto::SERVER_SYNCING);
  EXPECT_EQ(membership_->epoch(), before + 1);
}

// The last complete server dies while the other is still catching up: the one catching up must
// not serve what it has not caught up on, and waits for the complete one to come back.
TEST_F(MembershipTest, OnlyACompleteServerServesWhenTheOthersLag) {
  Open(1U << 20, /*replicas=*/2);
  Register(1, "10.0.0.1:7000");
  Register(2, "10.0.0.2:7000");
  ASSERT_EQ(Server(2).state(), proto::SERVER_SYNCING);
  EXPECT_TRUE(Server(1).lagging_groups().empty());
  EXPECT_FALSE(Server(2).lagging_groups().empty());

  Advance(kTimeout + milliseconds(1));
  ASSERT_TRUE(Heartbeat(2, "10.0.0.2:7000", nullptr, membership_->epoch()).ok());
  Check();
  ASSERT_EQ(Server(1).state(), proto::SERVER_DOWN);
  EXPECT_EQ(Server(2).state(), proto::SERVER_SYNCING)
      << "its own pass does not catch it up: it heads nothing it lags in";
  EXPECT_TRUE(Server(1).lagging_groups().empty()) << "nobody took writes without it";
  Register(2, "10.0.0.2:7000", /*incarnation=*/2);  // restarted meanwhile
  EXPECT_EQ(Server(2).state(), proto::SERVER_SYNCING);

  Register(1, "10.0.0.1:7000", /*incarnation=*/2);
  EXPECT_EQ(Server(1).state(), proto::SERVER_UP) << "it holds every acknowledged write";
  ASSERT_TRUE(Heartbeat(1, "10.0.0.1:7000", nullptr, membership_->epoch()).ok());
  EXPECT_EQ(Server(2).state(), proto::SERVER_UP);
}

TEST_F(MembershipTest, AServerThatStopsWhileAnotherServesLagsWhenItReturns) {
  Open(1U << 20, /*replicas=*/2);
  Register(1, "10.0.0.1:7000");
  Register(2, "10.0.0.2:7000");
  ASSERT_TRUE(Heartbeat(1, "10.0.0.1:7000", nullptr, membership_->epoch()).ok());
  ASSERT_EQ(Server(2).state(), proto::SERVER_UP);

  Advance(kTimeout + milliseconds(1));
  ASSERT_TRUE(Heartbeat(1, "10.0.0.1:7000").ok());
  Check();
  ASSERT_EQ(Server(2).state(), proto::SERVER_DOWN);
  EXPECT_FALSE(Server(2).lagging_groups().empty()) << "server 1 went on taking writes";
  Advance(kTimeout + milliseconds(1));
  Check();
  ASSERT_EQ(Server(1).state(), proto::SERVER_DOWN);
  EXPECT_TRUE(Server(1).lagging_groups().empty());

  Register(2, "10.0.0.2:7000", /*incarnation=*/2);
  EXPECT_EQ(Server(2).state(), proto::SERVER_SYNCING) << "it would serve without server 1's writes";
  ASSERT_TRUE(Heartbeat(2, "10.0.0.2:7000", nullptr, membership_->epoch()).ok());
  EXPECT_EQ(Server(2).state(), proto::SERVER_SYNCING) << "its own pass proves nothing";
}

TEST_F(MembershipTest, AServerDownTooLongGoesOut) {
  Open(1U << 20, /*replicas=*/2);
  Register(1, "10.0.0.1:7000");
  Register(2, "10.0.0.2:7000");
  Register(3, "10.0.0.3:7000");
  CatchUp();
  Advance(kTimeout + milliseconds(1));
  ASSERT_TRUE(Heartbeat(1, "10.0.0.1:7000").ok());
  ASSERT_TRUE(Heartbeat(2, "10.0.0.2:7000").ok());
  Check();
  ASSERT_EQ(Server(3).state(), proto::SERVER_DOWN);
  Advance(kDownOut - kTimeout);
  ASSERT_TRUE(Heartbeat(1, "10.0.0.1:7000").ok());
  ASSERT_TRUE(Heartbeat(2, "10.0.0.2:7000").ok());
  Check();
  // Servers 1 and 2 took every write meanwhile: server 3 holds no group they lack.
  EXPECT_EQ(Server(3).state(), proto::SERVER_OUT);
  // The groups it shared with each of them get a new copy: the other one, lagging until a pass.
  EXPECT_EQ(Server(1).state(), proto::SERVER_SYNCING);
  CatchUp();
  EXPECT_EQ(Server(1).state(), proto::SERVER_UP);
  EXPECT_EQ(Server(2).state(), proto::SERVER_UP);
  // It may come back later: as a server that has everything to catch up on.
  ASSERT_TRUE(Heartbeat(3, "10.0.0.3:7000").ok());
  EXPECT_EQ(Server(3).state(), proto::SERVER_SYNCING);
}

}  // namespace
}  // namespace sealfs::manager
