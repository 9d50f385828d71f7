// The manager is off the data path, but the servers' leases come from it: with it killed -9, a
// connected client goes on working (create, write, read, rename, list, delete) for half the
// heartbeat timeout, then its calls wait, since no head may serve without confirming its role
// (lease.h); a manager restarted on its data dir (at the same address: the servers know no other)
// comes back with the same map, every server UP, the waiting calls go on, and new clients read
// what was written meanwhile.
#include <fcntl.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cluster.h"

namespace sealfs::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

// A server heartbeats every second (sealfs-server's default); the manager gives it three.
constexpr int kHeartbeatTimeoutMs = 3000;
// How long the manager stays dead: several heartbeats of every server, and well past the servers'
// leases (half the heartbeat timeout).
constexpr auto kManagerDeadFor = seconds(5);
// By then every lease has run out, and every call that began before has finished.
constexpr auto kLeasesGone = std::chrono::milliseconds(kHeartbeatTimeoutMs / 2 + 1500);

// The id and address of every server in a map, ordered by id.
std::map<uint64_t, std::string> ServersOf(const proto::ClusterMap& map) {
  std::map<uint64_t, std::string> servers;
  for (const auto& s : map.servers()) servers[s.id()] = s.address();
  return servers;
}

bool AllUp(const proto::ClusterMap& map) {
  for (const auto& s : map.servers()) {
    if (s.state() != proto::SERVER_UP) return false;
  }
  return map.servers_size() > 0;
}

// One client thread doing namespace and data work in a loop under /work, against a model of
// what it expects there. Each step is checked at once; failures are collected as messages.
class Worker {
 public:
  Worker(sealfs_client* client, uint64_t seed) : client_(client), rng_(seed) {}
  ~Worker() { Stop(); }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void Start() {
    for (int d = 0; d < kDirs; ++d) {
      const std::string dir = "/work/d" + std::to_string(d);
      if (sealfs_mkdir(client_, dir.c_str(), 0755) != 0) Fail("mkdir " + dir);
    }
    thread_ = std::thread([this] { Run(); });
  }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Marks the steps that start from now on as done while the manager is dead (or not).
  void SetManagerDead(bool dead) { manager_dead_ = dead; }

  [[nodiscard]] uint64_t steps() const { return steps_; }
  // After Stop(): what the worker saw go wrong, the files it left, and which of those it wrote
  // entirely while the manager was dead.
  [[nodiscard]] std::vector<std::string> errors() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return errors_;
  }
  [[nodiscard]] const std::map<std::string, std::string>& files() const { return files_; }
  [[nodiscard]] const std::set<std::string>& written_while_dead() const { return while_dead_; }

  static constexpr int kDirs = 4;

 private:
  void Fail(const std::string& what) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (errors_.size() < 20) errors_.push_back(what);
  }

  void Run() {
    for (uint64_t i = 0; !stop_; ++i) {
      try {
        Step(i);
      } catch (const std::exception& e) {
        Fail(std::string("step ") + std::to_string(i) + ": " + e.what());
      }
      ++steps_;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // leave CPU to the servers
    }
  }

  // Create and write a file, read it back, rename it, every third step delete an older one,
  // every fifth list its directory.
  void Step(uint64_t i) {
    const bool dead_before = manager_dead_;
    const std::string dir = "/work/d" + std::to_string(i % kDirs);
    const std::string fresh = dir + "/new" + std::to_string(i);
    const std::string final_path = dir + "/file" + std::to_string(i);
    const std::string data = RandomBytes(rng_, 1 + rng_() % (96 << 10));
    WriteFile(client_, fresh, data);
    if (ReadFile(client_, fresh) != data) Fail("read back " + fresh + " differs");
    const int renamed = sealfs_rename(client_, fresh.c_str(), final_path.c_str());
    if (renamed != 0) Fail("rename " + fresh + ": " + ErrName(renamed));
    files_[final_path] = data;
    if (dead_before && manager_dead_) while_dead_.insert(final_path);

    if (i % 3 == 2 && files_.size() > 8) {
      auto victim = files_.begin();
      std::advance(victim, static_cast<long>(rng_() % files_.size()));
      if (!while_dead_.contains(victim->first)) {  // keep those for the new client to read
        const int rc = sealfs_unlink(client_, victim->first.c_str());
        if (rc != 0) Fail("unlink " + victim->first + ": " + ErrName(rc));
        files_.erase(victim);
      }
    }
    if (i % 5 == 4) {
      const std::set<std::string> expected = NamesIn(dir);
      const std::vector<std::string> listed = ListDir(client_, dir);
      const std::set<std::string> got(listed.begin(), listed.end());
      if (got != expected || listed.size() != got.size()) Fail("listing of " + dir + " differs");
    }
  }

  // What the model says `dir` holds, "." and ".." included.
  [[nodiscard]] std::set<std::string> NamesIn(const std::string& dir) const {
    std::set<std::string> names = {".", ".."};
    const std::string prefix = dir + "/";
    for (const auto& [path, data] : files_) {
      if (path.rfind(prefix, 0) == 0) names.insert(path.substr(prefix.size()));
    }
    return names;
  }

  sealfs_client* client_;
  std::mt19937_64 rng_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> manager_dead_{false};
  std::atomic<uint64_t> steps_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> errors_;  // GUARDED_BY(mutex_)
  // Touched by the worker thread only, read after Stop().
  std::map<std::string, std::string> files_;
  std::set<std::string> while_dead_;
};

class ManagerFailureTest : public ClusterTest {
 protected:
  ClusterOptions GetClusterOptions() override {
    ClusterOptions options;
    options.heartbeat_timeout_ms = kHeartbeatTimeoutMs;
    return options;
  }

  // Waits until `steps` has grown by `more`, or the deadline passes.
  static bool WaitForSteps(const Worker& worker, uint64_t more, Clock::time_point deadline) {
    const uint64_t target = worker.steps() + more;
    while (worker.steps() < target && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return worker.steps() >= target;
  }
};

TEST_F(ManagerFailureTest, ClientsWorkWhileTheManagerIsDeadAndItComesBackWithTheSameMap) {
  ASSERT_OK(sealfs_mkdir(client_, "/work", 0755));
  const proto::ClusterMap map_before = cluster_->GetMap();
  ASSERT_TRUE(AllUp(map_before));

  Worker worker(client_, TestSeed());
  worker.Start();
  ASSERT_TRUE(WaitForSteps(worker, 10, Clock::now() + seconds(30))) << "the worker is stuck";

  worker.SetManagerDead(true);
  const int status = cluster_->KillManager();
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  const uint64_t steps_at_kill = worker.steps();
  std::this_thread::sleep_for(kLeasesGone);
  const uint64_t steps_while_leased = worker.steps() - steps_at_kill;
  std::this_thread::sleep_for(kManagerDeadFor - kLeasesGone);
  const uint64_t steps_without_lease = worker.steps() - steps_at_kill - steps_while_leased;
  std::cout << "steps while the manager was dead: " << steps_while_leased
            << " while the leases held, " << steps_without_lease << " after\n";
  EXPECT_GE(steps_while_leased, 1U) << "the client stalls at once without the manager";
  EXPECT_EQ(steps_without_lease, 0U) << "a server served without its lease";
  worker.SetManagerDead(false);

  const auto restarted = Clock::now();
  cluster_->StartManagerAtSameAddress();
  // The restarted manager counts the servers it loaded as UP as heard from at its start; they
  // stay UP past the heartbeat timeout only if they heartbeat to it.
  const auto settled = restarted + std::chrono::milliseconds(kHeartbeatTimeoutMs) + seconds(1);
  std::string last_state;
  proto::ClusterMap map_after;
  while (Clock::now() < settled || !AllUp(map_after)) {
    if (Clock::now() > settled + seconds(10)) break;
    map_after = cluster_->GetMap();
    if (!AllUp(map_after)) last_state = map_after.DebugString();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(AllUp(map_after)) << "every server UP after the restart:\n"
                                << map_after.DebugString();
  EXPECT_EQ(last_state, "") << "a server went DOWN after the restart:\n" << last_state;
  EXPECT_GE(map_after.epoch(), map_before.epoch());
  EXPECT_EQ(ServersOf(map_after), ServersOf(map_before)) << "same server ids and addresses";

  ASSERT_TRUE(WaitForSteps(worker, 5, Clock::now() + seconds(30)))
      << "the client stalls once the manager is back";
  worker.Stop();
  const std::vector<std::string> errors = worker.errors();
  EXPECT_TRUE(errors.empty()) << errors.size() << " failures, the first: " << errors.front();

  // A new client, through the restarted manager, sees everything, including what was written
  // while the manager was dead.
  EXPECT_FALSE(worker.written_while_dead().empty());
  sealfs_client* fresh = ConnectOrThrow(cluster_->manager_address());
  std::size_t listed = 0;
  for (int d = 0; d < Worker::kDirs; ++d) {
    listed += ListDir(fresh, "/work/d" + std::to_string(d)).size() - 2;
  }
  EXPECT_EQ(listed, worker.files().size());
  for (const auto& [path, data] : worker.files()) {
    std::string got;
    EXPECT_NO_THROW(got = ReadFile(fresh, path)) << path;
    EXPECT_TRUE(got == data) << path << " differs for a new client"
                             << (worker.written_while_dead().contains(path)
                                     ? " (written while the manager was dead)"
                                     : "");
  }
  sealfs_disconnect(fresh);
}

}  // namespace
}  // namespace sealfs::test
