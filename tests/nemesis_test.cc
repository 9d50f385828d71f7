// A randomised checker in the spirit of Jepsen: 5 servers with 2 copies and with 3, several
// clients (each with its own connection and map) on one shared set of files, each file written
// by one client and read by the others, while a nemesis kills servers with -9 (up to the number
// of copies down at once, back in any order), restarts servers within the heartbeat timeout,
// pauses them (SIGSTOP), cuts one off from the manager while the clients still reach it (a
// network namespace; needs root) and fills one's disk (a tmpfs; needs root). Every read is
// checked against the history of its file: it must return
// the bytes of the last write acknowledged before the read began, or of a write that was on its
// way (begun before the read ended, not acknowledged or acknowledged later); never older bytes,
// never bytes nobody wrote. Reads and writes may fail while every complete copy of a record is
// down (that is availability, counted); an acknowledged write must never be lost. Prints its
// seed and totals; SEALFS_NEMESIS_SECONDS sets the length of the run (default 40 s a case, 15
// in the sanitized build).
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cluster.h"
#include "netns.h"

namespace sealfs::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kServers = 5;
constexpr int kClients = 3;
constexpr int kCutOffServer = 1;    // in a network namespace: cut off from the manager alone
constexpr int kFullDiskServer = 3;  // its data dir is a small tmpfs the nemesis fills
constexpr int kFiles = 30;
constexpr std::size_t kFileBytes = 3000;
constexpr int kHeartbeatTimeoutMs = 1000;

constexpr int kDefaultSeconds = kSanitizedBuild ? 15 : 40;

std::chrono::seconds RunLength() {
  const char* env = std::getenv("SEALFS_NEMESIS_SECONDS");
  return std::chrono::seconds(env != nullptr ? std::atoi(env) : kDefaultSeconds);
}

std::string FilePath(int file) { return "/reg/f" + std::to_string(file); }

// The bytes of value `value` of file `file`: a header naming both, then bytes drawn from them.
std::string Contents(int file, int64_t value) {
  std::string data = fmt::format("file {} value {}\n", file, value);
  std::mt19937_64 rng((static_cast<uint64_t>(file) << 40) ^ static_cast<uint64_t>(value));
  while (data.size() < kFileBytes) data.push_back(static_cast<char>('a' + rng() % 26));
  return data;
}

// Which value of `file` the bytes are, or -1 when they are no value's.
int64_t ValueOf(int file, const std::string& data) {
  int read_file = -1;
  long long value = -1;
  if (std::sscanf(data.c_str(), "file %d value %lld\n", &read_file, &value) != 2 ||
      read_file != file || data != Contents(file, value)) {
    return -1;
  }
  return value;
}

// What happened to one file: when each value's write began and, if it was acknowledged, when.
class History {
 public:
  void Begin(int64_t value) {
    const std::lock_guard lock(mutex_);
    begun_.push_back({value, Clock::now()});
  }
  void Acknowledge(int64_t value) {
    const std::lock_guard lock(mutex_);
    acked_.push_back({value, Clock::now()});
  }
  // Empty when `value`, read between `start` and `end`, is allowed; otherwise why not.
  std::string Check(int64_t value, Clock::time_point start, Clock::time_point end) const {
    const std::lock_guard lock(mutex_);
    int64_t newest_acked = 0;  // value 0 was acknowledged before the run
    for (const auto& [acked, at] : acked_) {
      if (at < start) newest_acked = std::max(newest_acked, acked);
    }
    int64_t newest_begun = 0;
    for (const auto& [begun, at] : begun_) {
      if (at < end) newest_begun = std::max(newest_begun, begun);
    }
    if (value < 0) return "bytes no write wrote";
    if (value < newest_acked) {
      return fmt::format("value {} is older than value {}, acknowledged before the read began",
                         value, newest_acked);
    }
    if (value > newest_begun) return fmt::format("value {} was never written", value);
    return {};
  }
  [[nodiscard]] int64_t newest_acked() const {
    const std::lock_guard lock(mutex_);
    int64_t newest = 0;
    for (const auto& entry : acked_) newest = std::max(newest, entry.first);
    return newest;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<int64_t, Clock::time_point>> begun_;  // GUARDED_BY(mutex_)
  std::vector<std::pair<int64_t, Clock::time_point>> acked_;  // GUARDED_BY(mutex_)
};

struct Totals {
  std::atomic<uint64_t> writes_acked{0}, writes_failed{0}, reads_checked{0}, reads_failed{0};
  std::atomic<uint64_t> kills{0}, overlapping_kills{0}, quick_restarts{0}, pauses{0};
  std::atomic<uint64_t> cut_offs{0}, full_disks{0};
  std::atomic<int> most_down{0};
};

// Reads all of `file` with `client`: its bytes, or the error of the first failed call.
int ReadAll(sealfs_client* client, int file, std::string* data) {
  const int fd = sealfs_open(client, FilePath(file).c_str(), O_RDONLY, 0);
  if (fd < 0) return fd;
  data->assign(kFileBytes + 1, '\0');
  const ssize_t n = sealfs_pread(client, fd, data->data(), data->size(), 0);
  sealfs_close(client, fd);
  if (n < 0) return static_cast<int>(n);
  data->resize(static_cast<std::size_t>(n));
  return 0;
}

int WriteAll(sealfs_client* client, int file, const std::string& data) {
  const int fd = sealfs_open(client, FilePath(file).c_str(), O_WRONLY, 0);
  if (fd < 0) return fd;
  const ssize_t n = sealfs_pwrite(client, fd, data.data(), data.size(), 0);
  const int closed = sealfs_close(client, fd);
  if (n < 0) return static_cast<int>(n);
  return closed;
}

class NemesisTest : public ::testing::TestWithParam<int> {
 protected:
  // One client: writes its own files with the next value, reads the others' and checks them.
  void RunClient(int index, uint64_t seed, const std::atomic<bool>& stop) {
    sealfs_options options = TestOptions();
    options.failover_timeout_ms = 4000;
    options.request_timeout_ms = 3000;
    sealfs_client* client = ConnectOrThrow(cluster_->manager_address(), &options);
    std::mt19937_64 rng(seed + static_cast<uint64_t>(index));
    std::vector<int64_t> next(kFiles, 1);
    while (!stop) {
      const int file = static_cast<int>(rng() % kFiles);
      if (file % kClients == index) {
        const int64_t value = next[file]++;
        histories_[file].Begin(value);
        if (WriteAll(client, file, Contents(file, value)) == 0) {
          histories_[file].Acknowledge(value);
          ++totals_.writes_acked;
        } else {
          ++totals_.writes_failed;
        }
        continue;
      }
      std::string data;
      const auto start = Clock::now();
      const int rc = ReadAll(client, file, &data);
      const auto end = Clock::now();
      if (rc != 0) {
        ++totals_.reads_failed;
        if (rc != -EIO && rc != -EHOSTUNREACH)
          Violation("read of " + FilePath(file) + ": " + ErrName(rc));
        continue;
      }
      ++totals_.reads_checked;
      const std::string why = histories_[file].Check(ValueOf(file, data), start, end);
      if (!why.empty()) Violation(fmt::format("client {} read {}: {}", index, FilePath(file), why));
    }
    sealfs_disconnect(client);
  }

  // Kills, restarts and pauses servers until `until`, never more than the number of copies down
  // (or paused) at once; then starts again the ones it left down.
  void RunNemesis(int replicas, uint64_t seed, Clock::time_point until) {
    std::mt19937_64 rng(seed ^ 0x5eed);
    std::vector<int> down;  // in the order they went down
    auto is_down = [&](int i) { return std::find(down.begin(), down.end(), i) != down.end(); };
    while (Clock::now() < until) {
      std::this_thread::sleep_for(milliseconds(300 + rng() % 1200));
      int victim = static_cast<int>(rng() % kServers);
      int action = static_cast<int>(rng() % 12);
      // Cut-offs and full disks happen to their own server, where this machine allows them.
      if ((action == 10 && !net_) || (action == 11 && !disk_mounted_)) action = 9;
      if (action == 10) victim = kCutOffServer;
      if (action == 11) victim = kFullDiskServer;
      const int count = static_cast<int>(down.size());
      if (count > 0 && (count == replicas || action < 4)) {
        // Mostly the first to go down comes back first: the copy that missed the most.
        const std::size_t back = rng() % 4 == 0 ? rng() % down.size() : 0;
        cluster_->StartServerLagging(down[back]);
        down.erase(down.begin() + static_cast<std::ptrdiff_t>(back));
      } else if (is_down(victim)) {
        continue;
      } else if (action < 7) {
        if (count > 0) ++totals_.overlapping_kills;
        cluster_->KillServer(victim);
        down.push_back(victim);
        ++totals_.kills;
        totals_.most_down = std::max(totals_.most_down.load(), count + 1);
      } else if (action < 8) {
        cluster_->KillServer(victim);  // and back before the manager noticed
        cluster_->StartServerLagging(victim);
        ++totals_.quick_restarts;
      } else if (action < 10) {
        cluster_->PauseServer(victim);
        std::this_thread::sleep_for(milliseconds(200 + rng() % 2000));
        cluster_->ResumeServer(victim);
        ++totals_.pauses;
      } else if (action == 10) {
        // Long enough, at times, for the manager to mark it DOWN and appoint other heads while
        // clients on the old map still ask it.
        net_->CutSide();
        std::this_thread::sleep_for(milliseconds(500 + rng() % 3000));
        net_->RestoreSide();
        ++totals_.cut_offs;
      } else {
        FillDisk();
        std::this_thread::sleep_for(milliseconds(500 + rng() % 2500));
        FreeDisk();
        ++totals_.full_disks;
      }
    }
    for (int i : down) cluster_->StartServerLagging(i);
  }

  // The cluster, with kCutOffServer in a network namespace and kFullDiskServer on a tmpfs when
  // this machine allows them (root); without, the nemesis does the rest.
  void StartCluster(int replicas) {
    std::string why_not;
    net_ = IsolatedNetwork::Create(&why_not);
    if (!net_) std::cout << "[nemesis] no cut-offs: " << why_not << "\n";
    ClusterOptions options;
    options.servers = kServers;
    options.replicas = replicas;
    options.heartbeat_timeout_ms = kHeartbeatTimeoutMs;
    if (net_) {
      options.manager_host = net_->side_address();
      options.server_placement = AllOnHostButOne(net_->host_address(), kCutOffServer,
                                                 net_->inside_address(), net_->exec_prefix());
    }
    cluster_ = std::make_unique<Cluster>(options);
    full_dir_ = cluster_->server_data_dir(kFullDiskServer);
    disk_mounted_ =
        ::geteuid() == 0 && ::mount("tmpfs", full_dir_.c_str(), "tmpfs", 0, "size=64m") == 0;
    if (!disk_mounted_) std::cout << "[nemesis] no full disks: cannot mount a tmpfs here\n";
    cluster_->Start();
  }

  void TearDown() override {
    // The servers stop before their disk and their namespace go, and the disk goes before the
    // cluster removes its directory (a mount point in it would keep the directory behind).
    if (cluster_) cluster_->StopAll();
    if (disk_mounted_) ::umount2(full_dir_.c_str(), MNT_DETACH);
    cluster_.reset();
    net_.reset();
  }

  // Takes all but nothing of the tmpfs's free space with a ballast file beside the database.
  void FillDisk() {
    struct statvfs fs {};
    if (::statvfs(full_dir_.c_str(), &fs) != 0) throw std::runtime_error("statvfs failed");
    const auto free_bytes = static_cast<off_t>(fs.f_bavail * fs.f_frsize);
    const int fd = ::open(Ballast().c_str(), O_CREAT | O_WRONLY, 0600);
    if (fd < 0) throw std::runtime_error("cannot create the ballast file");
    const int rc = free_bytes > 0 ? ::posix_fallocate(fd, 0, free_bytes) : 0;
    ::close(fd);
    if (rc != 0 && rc != ENOSPC) throw std::runtime_error("cannot fill the disk");
  }
  void FreeDisk() { ::unlink(Ballast().c_str()); }
  [[nodiscard]] std::string Ballast() const { return full_dir_ + "/ballast"; }

  void Violation(const std::string& what) {
    const std::lock_guard lock(mutex_);
    if (violations_.size() < 20) violations_.push_back(what);
    ++violation_count_;
  }

  std::unique_ptr<IsolatedNetwork> net_;
  std::unique_ptr<Cluster> cluster_;
  std::string full_dir_;
  bool disk_mounted_ = false;
  std::vector<History> histories_ = std::vector<History>(kFiles);
  Totals totals_;
  std::mutex mutex_;
  std::vector<std::string> violations_;  // GUARDED_BY(mutex_)
  int violation_count_ = 0;              // GUARDED_BY(mutex_)
};

TEST_P(NemesisTest, EveryReadMatchesTheAcknowledgedHistory) {
  const int replicas = GetParam();
  const uint64_t seed = TestSeed();
  StartCluster(replicas);
  {
    sealfs_client* setup = ConnectOrThrow(cluster_->manager_address());
    ASSERT_OK(sealfs_mkdir(setup, "/reg", 0755));
    for (int file = 0; file < kFiles; ++file) WriteFile(setup, FilePath(file), Contents(file, 0));
    sealfs_disconnect(setup);
  }

  std::atomic<bool> stop{false};
  std::vector<std::jthread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([this, i, seed, &stop] {
      try {
        RunClient(i, seed, stop);
      } catch (const std::exception& e) {
        Violation(fmt::format("client {}: {}", i, e.what()));
      }
    });
  }
  // The nemesis runs on this thread: the servers it starts die with the thread that forked them
  // (PR_SET_PDEATHSIG), so it must be the one that lives on.
  try {
    RunNemesis(replicas, seed, Clock::now() + RunLength());
  } catch (const std::exception& e) {
    Violation(std::string("nemesis: ") + e.what());
  }
  stop = true;
  for (auto& client : clients) client.join();

  // Everyone back: every file holds its last acknowledged value or one that was on its way.
  cluster_->WaitReady();
  sealfs_client* fresh = ConnectOrThrow(cluster_->manager_address());
  for (int file = 0; file < kFiles; ++file) {
    std::string data;
    const auto start = Clock::now();
    const int rc = ReadAll(fresh, file, &data);
    ASSERT_EQ(rc, 0) << FilePath(file) << ": " << ErrName(rc);
    const std::string why = histories_[file].Check(ValueOf(file, data), start, Clock::now());
    EXPECT_EQ(why, "") << "after the run, " << FilePath(file);
  }
  sealfs_disconnect(fresh);

  std::cout << fmt::format(
      "[nemesis] seed {} | 5 servers, {} copies, {} clients, {} s | writes acknowledged {}, "
      "failed {} | reads checked {}, failed {} | kills {} ({} overlapping, at most {} down at "
      "once), restarts within the heartbeat timeout {}, pauses {}, cut off from the manager {}, "
      "full disks {} | violations {}\n",
      seed, replicas, kClients, RunLength().count(), totals_.writes_acked.load(),
      totals_.writes_failed.load(), totals_.reads_checked.load(), totals_.reads_failed.load(),
      totals_.kills.load(), totals_.overlapping_kills.load(), totals_.most_down.load(),
      totals_.quick_restarts.load(), totals_.pauses.load(), totals_.cut_offs.load(),
      totals_.full_disks.load(), violation_count_);
  const std::lock_guard lock(mutex_);
  EXPECT_EQ(violation_count_, 0) << "first: " << (violations_.empty() ? "" : violations_.front());
  for (const std::string& violation : violations_)
    std::cout << "  violation: " << violation << "\n";
  EXPECT_GT(totals_.reads_checked.load(), 0U);
  EXPECT_GT(totals_.writes_acked.load(), 0U);
}

INSTANTIATE_TEST_SUITE_P(Copies, NemesisTest, ::testing::Values(2, 3),
                         [](const auto& info) { return std::to_string(info.param) + "Copies"; });

}  // namespace
}  // namespace sealfs::test
