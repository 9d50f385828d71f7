// Failures that overlap, with more servers than copies: a copy that missed writes while it was
// down must never serve them stale, nor overwrite the newer copies when they come back. Every read
// is made by a client other than the writer; while a record's complete copies are all down, its
// calls fail (EIO or EHOSTUNREACH after the failover timeout) and listings never come back short.
#include <fcntl.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "cluster.h"

namespace sealfs::test {
namespace {

constexpr int kFiles = 16;

ClusterOptions Options(int servers, int replicas, int min_copies) {
  ClusterOptions options;
  options.servers = servers;
  options.replicas = replicas;
  options.min_copies = min_copies;
  options.heartbeat_timeout_ms = 1000;
  return options;
}

// A reader that gives up soon on records with no live complete copy.
sealfs_options ReaderOptions() {
  sealfs_options options = TestOptions();
  options.failover_timeout_ms = 1000;
  options.request_timeout_ms = 2000;
  return options;
}

std::string FilePath(int i) { return "/dir/file" + std::to_string(i); }

class OverlappingFailuresTest : public ::testing::Test {
 protected:
  // min_copies 1: writes go on with one copy alive, so that copies can miss them.
  void StartCluster(int servers, int replicas, int min_copies = 1) {
    cluster_ = std::make_unique<Cluster>(Options(servers, replicas, min_copies));
    cluster_->Start();
    writer_ = ConnectOrThrow(cluster_->manager_address());
    ASSERT_OK(sealfs_mkdir(writer_, "/dir", 0755));
  }
  void TearDown() override {
    if (writer_ != nullptr) sealfs_disconnect(writer_);
  }

  // kill -9 of server i, and the manager has seen it.
  void KillUntilDown(int i) {
    cluster_->KillServer(i);
    cluster_->WaitState(i, proto::SERVER_DOWN);
  }

  // Overwrites every file with new contents, each write acknowledged.
  void OverwriteAll(std::mt19937_64& rng, int round) {
    for (int i = 0; i < kFiles; ++i) {
      std::string data = "round " + std::to_string(round) + " file " + std::to_string(i) + "\n";
      data += RandomBytes(rng, 20000 + static_cast<std::size_t>(rng() % 20000));
      WriteFile(writer_, FilePath(i), data);
      acknowledged_[FilePath(i)] = std::move(data);
    }
  }

  // Another client reads every file: each read returns the acknowledged contents or, when
  // `all_available` is false, fails with EIO or EHOSTUNREACH; the listing is whole or fails.
  // Returns how many files were unavailable.
  int CheckReads(bool all_available, const std::string& when) {
    sealfs_options options = ReaderOptions();
    sealfs_client* reader = ConnectOrThrow(cluster_->manager_address(), &options);
    int unavailable = 0;
    for (const auto& [path, expected] : acknowledged_) {
      try {
        const std::string got = ReadFile(reader, path);
        EXPECT_TRUE(got == expected)
            << path << " " << when << ": read " << got.size() << " bytes starting '"
            << got.substr(0, got.find('\n')) << "', expected '"
            << expected.substr(0, expected.find('\n')) << "'";
      } catch (const std::runtime_error& e) {
        const std::string message = e.what();
        ++unavailable;
        EXPECT_FALSE(all_available) << when << ": " << message;
        EXPECT_TRUE(message.find("EIO") != std::string::npos ||
                    message.find("EHOSTUNREACH") != std::string::npos)
            << when << ": " << message;
      }
    }
    try {
      std::vector<std::string> names = ListDir(reader, "/dir");
      EXPECT_EQ(names.size(), acknowledged_.size() + 2) << when << ": a listing came back short";
    } catch (const std::runtime_error& e) {
      EXPECT_FALSE(all_available) << when << ": " << e.what();
    }
    sealfs_disconnect(reader);
    return unavailable;
  }

  std::unique_ptr<Cluster> cluster_;
  sealfs_client* writer_ = nullptr;
  std::map<std::string, std::string> acknowledged_;
};

// The sequence of the issue, 2 copies on 3 servers: A dies; every file is overwritten; B dies; A
// comes back. A serves none of what it missed; B's newer copies survive B's return.
TEST_F(OverlappingFailuresTest, TwoCopiesOnThreeServersCopyThatMissedWritesNeverServesThem) {
  std::mt19937_64 rng(TestSeed());
  StartCluster(3, 2);
  OverwriteAll(rng, 1);
  KillUntilDown(0);
  OverwriteAll(rng, 2);
  KillUntilDown(1);
  cluster_->StartServerLagging(0);

  const int unavailable = CheckReads(/*all_available=*/false, "with B down and A back");
  std::cout << "[overlap] 2 copies on 3 servers: " << unavailable << " of " << kFiles
            << " files unavailable while B was down, none stale\n";
  EXPECT_EQ(cluster_->GetMap().servers_size(), 3);

  cluster_->StartServer(1);  // waits until every server is UP: A caught up from B
  CheckReads(/*all_available=*/true, "after B came back");
  // A holds B's writes now: with C gone too, the groups A shares with C are served by A alone.
  OverwriteAll(rng, 3);
  KillUntilDown(2);
  CheckReads(/*all_available=*/true, "with C down after the catch-up");
}

// 3 copies on 5 servers and three kills: the servers that come back first lack what the last
// one took.
TEST_F(OverlappingFailuresTest, ThreeCopiesOnFiveServersThreeKills) {
  std::mt19937_64 rng(TestSeed());
  StartCluster(5, 3);
  OverwriteAll(rng, 1);
  for (int victim = 0; victim < 2; ++victim) {
    KillUntilDown(victim);
    OverwriteAll(rng, 2 + victim);
  }
  KillUntilDown(2);  // the last complete copy of the groups the three shared
  cluster_->StartServerLagging(0);
  cluster_->StartServerLagging(1);
  const int unavailable = CheckReads(/*all_available=*/false, "with the last one down");
  std::cout << "[overlap] 3 copies on 5 servers: " << unavailable << " of " << kFiles
            << " files unavailable while the third was down, none stale\n";
  cluster_->StartServer(2);
  CheckReads(/*all_available=*/true, "after every server came back");
}

// A server killed and restarted before the manager noticed may hold writes it applied alone: it
// is caught up from the others, never the other way round, and nothing acknowledged is lost.
TEST_F(OverlappingFailuresTest, ARestartWithinTheHeartbeatTimeoutLosesNothing) {
  std::mt19937_64 rng(TestSeed());
  StartCluster(3, 2);
  OverwriteAll(rng, 1);
  for (int i = 0; i < 3; ++i) {
    cluster_->KillServer(i);
    cluster_->StartServerLagging(i);  // well within the 1 s heartbeat timeout
    OverwriteAll(rng, 2 + i);
  }
  cluster_->WaitReady();
  CheckReads(/*all_available=*/true, "after the restarts");
}

// A server joins 2 copies on 3 servers while a client keeps overwriting every file. Once it is
// UP it holds its share complete: with each of the original servers killed in turn (one down at
// a time), every file reads back its last acknowledged bytes, the newcomer serving what it took.
TEST_F(OverlappingFailuresTest, AJoinUnderLoadLosesNothing) {
  std::mt19937_64 rng(TestSeed());
  StartCluster(3, 2);
  OverwriteAll(rng, 1);
  std::atomic<bool> joined{false};
  std::atomic<int> rounds{0};
  std::thread load([&] {
    for (int round = 2; !joined || round < 4; ++round) {
      OverwriteAll(rng, round);
      ++rounds;
    }
  });
  cluster_->AddServer();
  joined = true;
  load.join();
  std::cout << "[overlapping] " << rounds.load() << " rounds of " << kFiles
            << " overwrites while the server joined\n";
  for (int i = 0; i < 3; ++i) {
    KillUntilDown(i);
    CheckReads(/*all_available=*/true, "after the join, server " + std::to_string(i) + " down");
    cluster_->StartServer(i);
  }
}

// 3 copies, at least 2 of them complete for a write (the default): with one alive, reads go on
// and writes wait, then fail with EIO, changing nothing; once a second copy has caught up,
// writes go on.
TEST_F(OverlappingFailuresTest, AWriteWithTooFewCopiesAliveWaitsThenFails) {
  std::mt19937_64 rng(TestSeed());
  StartCluster(3, 3, /*min_copies=*/0);
  OverwriteAll(rng, 1);
  cluster_->KillServer(0);
  cluster_->KillServer(1);
  cluster_->WaitState(0, proto::SERVER_DOWN);
  cluster_->WaitState(1, proto::SERVER_DOWN);
  CheckReads(/*all_available=*/true, "with one copy of three alive");

  sealfs_options options = ReaderOptions();
  sealfs_client* writer = ConnectOrThrow(cluster_->manager_address(), &options);
  const int fd = sealfs_open(writer, FilePath(0).c_str(), O_WRONLY, 0);
  ASSERT_GE(fd, 0) << ErrName(fd);
  const std::string data = "not acknowledged";
  EXPECT_ERRNO(EIO, sealfs_pwrite(writer, fd, data.data(), data.size(), 0));
  EXPECT_ERRNO(EIO, sealfs_mkdir(writer, "/refused", 0755));
  sealfs_close(writer, fd);
  sealfs_disconnect(writer);
  CheckReads(/*all_available=*/true, "after the refused writes");

  cluster_->StartServer(0);  // waits until it is UP: caught up, a second complete copy
  OverwriteAll(rng, 2);
  CheckReads(/*all_available=*/true, "with two copies of three alive");
}

// Two zones of two servers, 2 copies: the copies of every record are in both zones, so a whole
// zone lost at once loses nothing and stops nothing.
TEST_F(OverlappingFailuresTest, LosingAWholeZoneLosesNothing) {
  std::mt19937_64 rng(TestSeed());
  ClusterOptions options = Options(4, 2, 1);
  options.server_placement = [](int i) {
    ServerPlacement placement;
    placement.args = {"--zone", i < 2 ? "rack-a" : "rack-b"};
    return placement;
  };
  cluster_ = std::make_unique<Cluster>(options);
  cluster_->Start();
  const proto::ClusterMap map = cluster_->GetMap();
  for (const auto& server : map.servers()) {
    EXPECT_TRUE(server.zone() == "rack-a" || server.zone() == "rack-b") << server.zone();
  }
  writer_ = ConnectOrThrow(cluster_->manager_address());
  ASSERT_OK(sealfs_mkdir(writer_, "/dir", 0755));
  OverwriteAll(rng, 1);
  cluster_->KillServer(0);
  cluster_->KillServer(1);
  cluster_->WaitState(0, proto::SERVER_DOWN);
  cluster_->WaitState(1, proto::SERVER_DOWN);
  CheckReads(/*all_available=*/true, "with rack-a down");
  OverwriteAll(rng, 2);
  CheckReads(/*all_available=*/true, "after writes with rack-a down");
}

}  // namespace
}  // namespace sealfs::test
