// sealfs_fsx against a real three-server cluster whose chunks are small, so that files span many
// chunks on every server: once undisturbed, and once while servers are killed (-9) and
// restarted at random. The seed comes from SEALFS_TEST_SEED (else the clock) and drives both
// the checker's operations and the kill schedule.
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "cluster.h"

#ifndef SEALFS_FSX_BIN
#error "SEALFS_FSX_BIN must name the sealfs_fsx binary"
#endif

namespace sealfs::test {
namespace {

constexpr uint32_t kChunkSize = 64 * 1024;
constexpr int kMaxFileSize = 1 << 20;  // 16 chunks
constexpr int kClients = 3;
// About 20 s undisturbed on 2 cores; the sanitized build does a sixth as many in about as long.
constexpr int kOpsPerClient = kSanitizedBuild ? 3000 : 20000;
// Within ctest's TIMEOUT (CMakeLists.txt), so that a hung checker fails the test and the
// cluster is stopped rather than ctest killing the test and leaving the servers behind.
constexpr auto kCheckerTimeout = std::chrono::minutes(8);

ClusterOptions FsxClusterOptions() {
  ClusterOptions options;
  options.chunk_size = kChunkSize;
  options.heartbeat_timeout_ms = 1500;  // a killed server is DOWN within 2 s
  return options;
}

void StartChecker(ChildProcess& checker, const Cluster& cluster, uint64_t seed) {
  checker.Spawn({SEALFS_FSX_BIN, "--manager", cluster.manager_address(), "--seed",
                 std::to_string(seed), "--ops", std::to_string(kOpsPerClient), "--clients",
                 std::to_string(kClients), "--max-file-size", std::to_string(kMaxFileSize), "--dir",
                 "/fsx"});
}

// The checker's "fsx: FAILED" lines, wherever they are in its error log: another client's
// output can follow a failure by thousands of lines.
std::string FailureLines(const ChildProcess& checker) {
  std::ifstream log(checker.err_path());
  std::string lines;
  for (std::string line; std::getline(log, line);) {
    if (line.starts_with("fsx: FAILED")) lines += line + "\n";
  }
  return lines;
}

void ExpectCheckerSucceeded(ChildProcess& checker, int status) {
  ASSERT_NE(status, -1) << "sealfs_fsx did not finish in time:\n" << checker.LogTail(200);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "sealfs_fsx failed (wait status " << status << "):\n"
      << checker.LogTail(200) << FailureLines(checker);
  std::cout << checker.LogTail(2);
}

// Sleeps for `duration`, returning early (false) when the checker exits meanwhile.
bool SleepWhileRunning(ChildProcess& checker, std::chrono::milliseconds duration) {
  const auto deadline = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!checker.Alive()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return checker.Alive();
}

TEST(FsxTest, MatchesTheModelOnACluster) {
  const uint64_t seed = TestSeed();
  Cluster cluster(FsxClusterOptions());
  cluster.Start();
  ChildProcess checker("fsx", cluster.root());
  StartChecker(checker, cluster, seed);
  ExpectCheckerSucceeded(checker, checker.Wait(kCheckerTimeout));
}

TEST(FsxTest, SurvivesServerKills) {
  const uint64_t seed = TestSeed();
  Cluster cluster(FsxClusterOptions());
  cluster.Start();
  ChildProcess checker("fsx", cluster.root());
  StartChecker(checker, cluster, seed);

  std::mt19937_64 schedule(seed);
  auto random_pause = [&] { return std::chrono::milliseconds(500 + schedule() % 1501); };
  const auto give_up = std::chrono::steady_clock::now() + kCheckerTimeout;
  int kills = 0;
  while (std::chrono::steady_clock::now() < give_up && SleepWhileRunning(checker, random_pause())) {
    const int victim = static_cast<int>(schedule() % cluster.num_servers());
    cluster.KillServer(victim);
    ++kills;
    SleepWhileRunning(checker, random_pause());
    cluster.StartServer(victim);
  }
  std::cout << "[fsx] " << kills << " servers killed with -9 and restarted during the run\n";
  ExpectCheckerSucceeded(checker, checker.Wait(std::chrono::seconds(10)));
}

// A server killed and replaced by an empty one (a new identity, as after a lost disk) during
// the run: the old one goes OUT after --down-out-after and its records get their copies back,
// while the clients see no error and every result matches the model.
TEST(FsxTest, SurvivesAServerReplacedByAnEmptyOne) {
  const uint64_t seed = TestSeed();
  ClusterOptions options = FsxClusterOptions();
  options.down_out_after_seconds = 2;
  Cluster cluster(options);
  cluster.Start();
  ChildProcess checker("fsx", cluster.root());
  StartChecker(checker, cluster, seed);

  SleepWhileRunning(checker, std::chrono::seconds(3));
  cluster.ReplaceServer(1);
  std::cout << "[fsx] server 1 killed with -9 and replaced by an empty server during the run\n";
  ExpectCheckerSucceeded(checker, checker.Wait(kCheckerTimeout));

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto replaced_is_out = [&] {
    const proto::ClusterMap map = cluster.GetMap();
    for (const auto& server : map.servers()) {
      if (server.state() == proto::SERVER_OUT) return true;
    }
    return false;
  };
  while (!replaced_is_out() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(replaced_is_out()) << "the replaced server's records did not get their copies back";
}

}  // namespace
}  // namespace sealfs::test
