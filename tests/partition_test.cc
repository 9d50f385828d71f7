// Network partitions: server 2 of three runs in a network namespace of its own, joined to the
// rest by one veth pair (tests/netns.h); cutting that link partitions it from the manager, the
// other servers and the client. What works today: the manager marks it DOWN within its
// heartbeat timeout, UP again once the link is back, and the data it held is all there.
// Skipped, saying why, where network namespaces cannot be made (not root, no `ip`).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "cluster.h"
#include "netns.h"
#include "placement.h"

namespace sealfs::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Servers heartbeat every second (sealfs-server's default); the manager gives them two.
constexpr int kHeartbeatTimeoutMs = 2000;
// Slack on top of the heartbeat timeout for the manager's check interval and a busy machine.
constexpr auto kDownSlack = seconds(3);
constexpr int kIsolated = 2;  // the server in the namespace

class PartitionTest : public ::testing::Test {
 protected:
  // Makes the namespace and starts the cluster in it; skips the test (GTEST_SKIP) when the
  // machine cannot make namespaces. Callers: ASSERT_NO_FATAL_FAILURE, then return if skipped.
  // `manager_on_side`: the manager listens on the side address, which CutSide takes away from
  // the namespace alone.
  void StartCluster(bool manager_on_side = false) {
    std::string why_not;
    net_ = IsolatedNetwork::Create(&why_not);
    if (!net_) GTEST_SKIP() << "cannot make a network namespace: " << why_not;
    ClusterOptions options;
    options.heartbeat_timeout_ms = kHeartbeatTimeoutMs;
    options.chunk_size = 64 << 10;  // files of a few chunks spread over every server
    options.manager_host = manager_on_side ? net_->side_address() : net_->host_address();
    options.server_placement = AllOnHostButOne(net_->host_address(), kIsolated,
                                               net_->inside_address(), net_->exec_prefix());
    cluster_ = std::make_unique<Cluster>(options);
    cluster_->Start();
    const sealfs_options client_options = ClientOptions();
    client_ = ConnectOrThrow(cluster_->manager_address(), &client_options);
  }

  void TearDown() override {
    sealfs_disconnect(client_);
    client_ = nullptr;
    cluster_.reset();  // stops the server inside before its namespace goes
    net_.reset();
  }

  // Short timeouts: a call to the cut-off server fails soon instead of waiting for 10 s.
  static sealfs_options ClientOptions() {
    sealfs_options options = TestOptions();
    options.connect_timeout_ms = 500;
    options.request_timeout_ms = 2000;
    return options;
  }

  // The isolated server's state in the manager's map (found by its address).
  proto::ServerState IsolatedState() {
    const proto::ClusterMap map = cluster_->GetMap();
    for (const auto& s : map.servers()) {
      if (s.address() == cluster_->server_address(kIsolated)) return s.state();
    }
    throw std::runtime_error("the map does not list " + cluster_->server_address(kIsolated));
  }

  // Polls the map until the isolated server is in `state`; returns how long that took, or -1
  // ms when the deadline passed first.
  milliseconds WaitForIsolatedState(proto::ServerState state, milliseconds deadline) {
    const auto start = Clock::now();
    while (Clock::now() - start < deadline) {
      if (IsolatedState() == state) {
        return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
    return milliseconds(-1);
  }

  // Every server but the isolated one is UP.
  bool OthersUp() {
    const proto::ClusterMap map = cluster_->GetMap();
    return std::ranges::all_of(map.servers(), [this](const proto::ServerInfo& s) {
      return s.address() == cluster_->server_address(kIsolated) || s.state() == proto::SERVER_UP;
    });
  }

  std::unique_ptr<IsolatedNetwork> net_;
  std::unique_ptr<Cluster> cluster_;
  sealfs_client* client_ = nullptr;
};

TEST_F(PartitionTest, CutServerIsMarkedDownThenUpAndKeepsItsData) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  if (IsSkipped()) return;
  // The harness: the server runs inside the namespace under the PID the cluster holds.
  const pid_t pid = cluster_->server_process(kIsolated).pid();
  EXPECT_TRUE(net_->Holds(pid)) << "server" << kIsolated << " (pid " << pid << ") is not inside";
  EXPECT_EQ(std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe").filename(),
            "sealfs-server");
  EXPECT_FALSE(net_->Holds(cluster_->server_process(0).pid()));

  std::mt19937_64 rng(TestSeed());
  std::map<std::string, std::string> files;
  ASSERT_OK(sealfs_mkdir(client_, "/before", 0755));
  for (int i = 0; i < 30; ++i) {
    const std::string path = "/before/f" + std::to_string(i);
    files[path] = RandomBytes(rng, 1 + rng() % (200 << 10));
    WriteFile(client_, path, files[path]);
  }
  sealfs_server_status status[3] = {};
  ASSERT_EQ(sealfs_cluster_status(client_, nullptr, status, 3), 3);
  const auto* isolated = std::ranges::find_if(status, [this](const sealfs_server_status& s) {
    return std::string(s.address) == cluster_->server_address(kIsolated);
  });
  ASSERT_NE(isolated, std::end(status)) << "the status lists the isolated server";
  ASSERT_GT(isolated->inodes, 0U) << "the isolated server holds part of the files";

  net_->Cut();
  const milliseconds down =
      WaitForIsolatedState(proto::SERVER_DOWN, milliseconds(kHeartbeatTimeoutMs) + kDownSlack);
  std::cout << "marked DOWN " << down.count() << " ms after the cut\n";
  EXPECT_GE(down.count(), 0) << "still UP " << kHeartbeatTimeoutMs << " ms + slack after the cut";
  EXPECT_TRUE(OthersUp()) << "only the cut-off server goes DOWN";
  EXPECT_TRUE(cluster_->server_process(kIsolated).Alive());

  net_->Restore();
  const milliseconds up = WaitForIsolatedState(proto::SERVER_UP, seconds(20));
  std::cout << "UP again " << up.count() << " ms after the link came back\n";
  EXPECT_GE(up.count(), 0) << "not UP again 20 s after the link came back";
  EXPECT_TRUE(OthersUp());

  for (const auto& [path, data] : files) {
    std::string got;
    EXPECT_NO_THROW(got = ReadFile(client_, path)) << path;
    EXPECT_TRUE(got == data) << path << " differs after the partition";
  }
  WriteFile(client_, "/after", "after the partition");
  EXPECT_EQ(ReadFile(client_, "/after"), "after the partition");
}

// Writes go on while a server is cut off (its replicas take over once the manager marks it
// DOWN): the writer sees no error, and every acknowledged write reads back afterwards, also from
// the server that was cut off once it has caught up and serves again.
TEST_F(PartitionTest, NoLostWritesDuringCut) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  if (IsSkipped()) return;
  ASSERT_OK(sealfs_mkdir(client_, "/acked", 0755));

  std::mutex mutex;
  std::map<std::string, std::string> acknowledged;  // GUARDED_BY(mutex)
  std::atomic<int> failed{0};
  // A jthread: joined (after a stop request) also when an assertion below throws.
  std::jthread writer([&, seed = TestSeed()](const std::stop_token& stop) {
    std::mt19937_64 rng(seed);
    for (int i = 0; !stop.stop_requested(); ++i) {
      const std::string path = "/acked/f" + std::to_string(i);
      const std::string data = RandomBytes(rng, 1 + rng() % (160 << 10));
      try {
        WriteFile(client_, path, data);
        const std::lock_guard<std::mutex> lock(mutex);
        acknowledged[path] = data;
      } catch (const std::exception&) {
        ++failed;
      }
    }
  });
  std::this_thread::sleep_for(seconds(1));
  net_->Cut();
  const milliseconds down =
      WaitForIsolatedState(proto::SERVER_DOWN, milliseconds(kHeartbeatTimeoutMs) + kDownSlack);
  EXPECT_GE(down.count(), 0) << "not marked DOWN";
  std::this_thread::sleep_for(seconds(1));  // writes go on against a map with it DOWN
  net_->Restore();
  const milliseconds up = WaitForIsolatedState(proto::SERVER_UP, seconds(20));
  EXPECT_GE(up.count(), 0) << "not UP again";
  std::this_thread::sleep_for(seconds(1));
  writer.request_stop();
  writer.join();

  std::cout << acknowledged.size() << " writes acknowledged, " << failed << " failed\n";
  ASSERT_FALSE(acknowledged.empty());
  EXPECT_EQ(failed.load(), 0) << "the writer saw errors while one server of three was cut off";
  const sealfs_options options = ClientOptions();
  sealfs_client* fresh = ConnectOrThrow(cluster_->manager_address(), &options);
  for (const auto& [path, data] : acknowledged) {
    std::string got;
    EXPECT_NO_THROW(got = ReadFile(fresh, path)) << path;
    EXPECT_TRUE(got == data) << path << " was acknowledged but reads back differently";
  }
  sealfs_disconnect(fresh);
}

// A head cut off from the manager while clients and the other servers still reach it: it stops
// serving once it cannot renew its lease (half the heartbeat timeout), before the manager marks
// it DOWN and another copy heads its records. A reader that keeps asking it never sees a value
// older than one already acknowledged by the new head. Prints the longest stale-read window.
TEST_F(PartitionTest, AHeadCutOffFromTheManagerOnlyServesNothingStale) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(/*manager_on_side=*/true));
  if (IsSkipped()) return;
  // A file whose inode the isolated server heads: its mtime is the register written and read.
  ASSERT_OK(sealfs_mkdir(client_, "/lease", 0755));
  const MapSnapshot snapshot{cluster_->GetMap(), Placement(cluster_->GetMap())};
  ServerId isolated_id = 0;
  for (const auto& server : snapshot.map.servers()) {
    if (server.address() == cluster_->server_address(kIsolated)) isolated_id = server.id();
  }
  std::string path;
  for (int i = 0; i < 200 && path.empty(); ++i) {
    const std::string candidate = "/lease/f" + std::to_string(i);
    WriteFile(client_, candidate, "x");
    struct stat st {};
    ASSERT_OK(sealfs_stat(client_, candidate.c_str(), &st));
    if (snapshot.placement.Home(InodePlacementKey(st.st_ino)) == isolated_id) path = candidate;
  }
  ASSERT_FALSE(path.empty()) << "no file of 200 has its inode on the isolated server";

  const sealfs_options options = ClientOptions();
  sealfs_client* reader = ConnectOrThrow(cluster_->manager_address(), &options);
  struct Read {
    Clock::time_point start, end;
    int64_t value;
  };
  // acked[k]: when the write of value k was acknowledged (there is no value 0).
  std::vector<Clock::time_point> acked = {Clock::time_point()};
  std::vector<Read> reads;
  std::atomic<bool> done{false};
  std::mutex mutex;
  const struct timespec first[2] = {{1, 0}, {1, 0}};
  ASSERT_OK(sealfs_utimens(client_, path.c_str(), first));
  acked.push_back(Clock::now());
  std::jthread reading([&] {
    while (!done) {
      struct stat st {};
      const auto start = Clock::now();
      if (sealfs_stat(reader, path.c_str(), &st) != 0) continue;
      const std::lock_guard lock(mutex);
      reads.push_back({start, Clock::now(), st.st_mtim.tv_sec});
    }
  });
  std::this_thread::sleep_for(milliseconds(500));
  net_->CutSide();
  const auto cut = Clock::now();
  const milliseconds down =
      WaitForIsolatedState(proto::SERVER_DOWN, milliseconds(kHeartbeatTimeoutMs) + kDownSlack);
  // A writer that knows the new map writes through the new head, telling the cut-off one
  // nothing; the reader, on the old map, goes on asking the cut-off one.
  sealfs_client* writer = ConnectOrThrow(cluster_->manager_address(), &options);
  const auto writing_until = Clock::now() + seconds(3);
  for (int64_t k = 2; Clock::now() < writing_until; ++k) {
    const struct timespec times[2] = {{k, 0}, {k, 0}};
    ASSERT_OK(sealfs_utimens(writer, path.c_str(), times));
    const std::lock_guard lock(mutex);
    acked.push_back(Clock::now());
  }
  done = true;
  reading.join();
  sealfs_disconnect(writer);
  sealfs_disconnect(reader);
  net_->RestoreSide();
  EXPECT_GE(down.count(), 0) << "the cut-off server was not marked DOWN";

  // A read is stale when it returned a value older than one acknowledged before it began; the
  // window is how long after that acknowledgement the stale read ended.
  const std::lock_guard lock(mutex);
  int stale = 0;
  double longest_ms = 0;
  std::size_t after_cut = 0;
  for (const Read& read : reads) {
    if (read.start >= cut) ++after_cut;
    const auto newest =
        std::upper_bound(acked.begin(), acked.end(), read.start) - acked.begin() - 1;
    if (read.value >= newest) continue;
    ++stale;
    const auto missed = acked[static_cast<std::size_t>(read.value) + 1];
    longest_ms =
        std::max(longest_ms, std::chrono::duration<double, std::milli>(read.end - missed).count());
  }
  std::cout << "[lease] marked DOWN " << down.count() << " ms after the cut; " << acked.size() - 1
            << " writes acknowledged, " << reads.size() << " reads (" << after_cut
            << " after the cut), " << stale << " stale; longest stale-read window " << longest_ms
            << " ms\n";
  EXPECT_GT(after_cut, 0U);
  EXPECT_EQ(stale, 0) << "longest stale-read window " << longest_ms << " ms";
}

}  // namespace
}  // namespace sealfs::test
