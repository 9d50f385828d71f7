// A real SealFS cluster for integration tests: one sealfs-manager and N sealfs-server processes
// on free loopback ports, each with its own data dir under one temp dir.
//
// Every child gets PR_SET_PDEATHSIG(SIGKILL), so that a crashed test runner takes its servers
// with it; its standard output and error go to files in the temp dir, whose tails are printed
// when a test fails. Ports come from the children themselves ("listening on HOST:PORT" on their
// first line of standard output). Readiness is a state of the manager's map, waited on with a
// deadline, never a fixed sleep. The destructor stops every process and removes the temp dir.
//
// Not thread-safe: drive a Cluster from the test's main thread (PR_SET_PDEATHSIG fires when the
// thread that forked the child exits).
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "sealfs.pb.h"
#include "sealfs/sealfs.h"

namespace sealfs::test {

using std::chrono::milliseconds;

// A child process whose output goes to `<dir>/<name>.out` and `<dir>/<name>.err`.
class ChildProcess {
 public:
  ChildProcess(std::string name, std::string log_dir);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts `argv[0]` with `argv`. Throws std::runtime_error when fork or exec fails.
  void Spawn(const std::vector<std::string>& argv);
  // Waits for the first line of standard output written since Spawn, which must read
  // "listening on HOST:PORT"; returns HOST:PORT. Throws on timeout, exit or another line.
  std::string WaitListening(milliseconds timeout);
  // SIGTERM, then SIGKILL once `grace` has passed; returns the wait status (-1 if not running).
  int Stop(milliseconds grace = milliseconds(10000));
  // SIGKILL and reap; returns the wait status (-1 if not running).
  int Kill();
  // Waits for the process to exit by itself; returns its wait status, or -1 on timeout.
  int Wait(milliseconds timeout);
  void Pause();   // SIGSTOP
  void Resume();  // SIGCONT
  // True while the process has not exited (reaps it if it has).
  bool Alive();

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] std::string out_path() const;
  [[nodiscard]] std::string err_path() const;
  // The last `lines` lines of standard output and error.
  [[nodiscard]] std::string LogTail(std::size_t lines = 40) const;

 private:
  int Reap(bool block);

  std::string name_;
  std::string log_dir_;
  pid_t pid_ = -1;
  int last_status_ = -1;
  bool paused_ = false;
  std::size_t out_offset_ = 0;  // size of the .out file at Spawn: later lines are this run's
};

// Where one server runs: the host it listens on (port 0: a free one) and a command line its own
// is appended to. The wrapper must exec the server in place (as `ip netns exec NAME` does), so
// that the PID the cluster holds is the server's.
struct ServerPlacement {
  std::string listen_host = "127.0.0.1";
  std::vector<std::string> wrapper;  // e.g. {"/usr/sbin/ip", "netns", "exec", "NAME"}
  std::vector<std::string> args;     // more flags for this server, e.g. {"--zone", "a"}
};

// Every server listening on `host` but server `elsewhere`, which listens on `elsewhere_host` and
// starts under `wrapper` (a network namespace's exec prefix, tests/netns.h).
std::function<ServerPlacement(int)> AllOnHostButOne(const std::string& host, int elsewhere,
                                                    const std::string& elsewhere_host,
                                                    const std::vector<std::string>& wrapper);

struct ClusterOptions {
  int servers = 3;
  int heartbeat_timeout_ms = 5000;  // the manager's --heartbeat-timeout-ms
  // The servers' --heartbeat-interval-ms: short, so that news (a server caught up) travels fast.
  int heartbeat_interval_ms = 250;
  uint32_t chunk_size = 0;               // the manager's --chunk-size; 0 keeps its default
  int replicas = 3;                      // the manager's --replicas
  int min_copies = 0;                    // the manager's --min-copies; 0 keeps its default
  std::vector<std::string> server_args;  // more flags for every sealfs-server
  double down_out_after_seconds = 600;   // the manager's --down-out-after
  milliseconds start_timeout{30000};
  std::string manager_host = "127.0.0.1";  // the manager listens on manager_host:0
  // Where server i runs; empty: every server on 127.0.0.1, started directly.
  std::function<ServerPlacement(int)> server_placement;
};

class Cluster {
 public:
  // Creates the temp dir; Start() launches the processes.
  explicit Cluster(ClusterOptions options = {});
  // Stops everything; prints the log tails when the current test failed; removes the temp dir.
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // Starts the manager and the servers and waits until every server is UP in the map.
  void Start();

  [[nodiscard]] const std::string& manager_address() const { return manager_address_; }
  [[nodiscard]] const std::string& root() const { return root_; }
  [[nodiscard]] int num_servers() const { return static_cast<int>(servers_.size()); }
  [[nodiscard]] const std::string& server_address(int i) const { return servers_[i].address; }
  [[nodiscard]] std::string server_data_dir(int i) const;
  [[nodiscard]] ChildProcess& server_process(int i) { return *servers_[i].process; }
  [[nodiscard]] ChildProcess& manager_process() { return *manager_; }

  // Server i: stop (SIGTERM; returns the wait status), kill -9, or start again with the same
  // data dir on a new port (waits until the map lists it UP at its new address).
  int StopServer(int i);
  int KillServer(int i);
  // extra_args: more flags for this start only.
  void StartServer(int i, const std::vector<std::string>& extra_args = {});
  // Starts server i again and waits only until the map lists it alive (UP or SYNCING) at its
  // new address: a server that lags in groups whose complete copies are down stays SYNCING.
  void StartServerLagging(int i);
  void PauseServer(int i);
  void ResumeServer(int i);
  // A new server with an empty data dir joins; returns its index once it is UP.
  int AddServer();
  // Server i is killed (if running) and replaced by a new, empty one (a new identity) in its
  // place; waits until the new one is UP. The old identity stays in the map, DOWN.
  void ReplaceServer(int i);

  // The manager alone: stop or start again (same data dir, new port).
  int StopManager();
  void StartManager();
  // kill -9 of the manager; returns the wait status.
  int KillManager();
  // Starts the manager again at the address it had (same data dir, same HOST:PORT). Running
  // servers know the manager only by the address they were started with (--manager), so this
  // is how a manager comes back to them. Does not wait for the servers to re-register.
  void StartManagerAtSameAddress();

  // Everything: servers first, then the manager. StopAll returns true when every process exited
  // with status 0 after SIGTERM.
  bool StopAll();
  void KillAll();
  // StopAll (or KillAll when `kill`) then starts the manager and the servers again, on new
  // ports, and waits until they are all UP.
  void RestartAll(bool kill = false);

  // Waits until the map lists every running server at its current address as UP.
  void WaitReady();
  // Waits until the map lists server i in `state` (throws after the start timeout).
  void WaitState(int i, proto::ServerState state);
  // Fetches the manager's map (throws on failure).
  proto::ClusterMap GetMap();
  // Log tails of every process.
  [[nodiscard]] std::string LogTails() const;

 private:
  struct Server {
    std::unique_ptr<ChildProcess> process;
    std::string address;
    bool running = false;
  };

  std::string NewManagerArgs();
  void LaunchManager(const std::string& listen);
  void LaunchServer(int i, const std::vector<std::string>& extra_args = {});
  // Polls the map until it lists server i, at its current address, as `wanted` says; throws
  // after the start timeout, naming `what` was awaited.
  void WaitServer(int i, const std::string& what,
                  const std::function<bool(const proto::ServerInfo&)>& wanted);

  ClusterOptions options_;
  std::string root_;
  std::unique_ptr<ChildProcess> manager_;
  std::string manager_address_;
  bool manager_running_ = false;
  std::vector<Server> servers_;
};

// ---------------------------------------------------------------------------------------------
// Helpers for tests through the C API. Each throws std::runtime_error naming the failed call.

// Options with short timeouts suitable for tests, otherwise the defaults.
sealfs_options TestOptions();
// Connects to the cluster or throws.
sealfs_client* ConnectOrThrow(const std::string& manager_address,
                              const sealfs_options* options = nullptr);
// Creates (or truncates) path and writes all of data to it.
void WriteFile(sealfs_client* client, const std::string& path, const std::string& data,
               mode_t mode = 0644);
// Reads the whole file at path.
std::string ReadFile(sealfs_client* client, const std::string& path);
// The names in a directory, "." and ".." included, in the order listed.
std::vector<std::string> ListDir(sealfs_client* client, const std::string& path);
// `size` pseudo-random bytes from `rng`.
std::string RandomBytes(std::mt19937_64& rng, std::size_t size);
// A seed from the environment variable SEALFS_TEST_SEED, else from the clock; printed.
uint64_t TestSeed();
// Whether this is the AddressSanitizer build, whose servers and clients run several times
// slower: the longest tests do a smaller share of their work there, the normal build all of it.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitizedBuild = true;
#else
inline constexpr bool kSanitizedBuild = false;
#endif
// A return value with the name of its errno, for messages: "-2 (ENOENT)", "0 (0)".
std::string ErrName(long rc);

// Asserts that a call returned -E (comparing "-2 (ENOENT)" strings, for readable failures).
#define EXPECT_ERRNO(e, expr) \
  EXPECT_EQ(::sealfs::test::ErrName(static_cast<long>(expr)), ::sealfs::test::ErrName(-(e)))
#define ASSERT_ERRNO(e, expr) \
  ASSERT_EQ(::sealfs::test::ErrName(static_cast<long>(expr)), ::sealfs::test::ErrName(-(e)))
// Asserts that a call returned exactly 0.
#define EXPECT_OK(expr) EXPECT_ERRNO(0, expr)
#define ASSERT_OK(expr) ASSERT_ERRNO(0, expr)

// A fixture with its own cluster and one connected client.
class ClusterTest : public ::testing::Test {
 protected:
  // Override to change the cluster or the client.
  virtual ClusterOptions GetClusterOptions() { return {}; }
  virtual sealfs_options GetClientOptions() { return TestOptions(); }

  void SetUp() override;
  void TearDown() override;
  // Disconnects and connects again with the same options (to the current manager address).
  void Reconnect();

  std::unique_ptr<Cluster> cluster_;
  sealfs_client* client_ = nullptr;
};

}  // namespace sealfs::test
