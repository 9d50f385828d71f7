#include "local_cluster.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sealfs/sealfs.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "address.h"
#include "session.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): posix_spawn passes it on

namespace sealfs::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr auto kPollInterval = std::chrono::milliseconds(50);
constexpr int kCleanupTimeoutSeconds = 5;
// The first line each daemon prints on stdout once it serves, and what a server logs once the
// manager has taken its registration: the lines scripts/sealfs-cluster waits for.
constexpr std::string_view kListening = "listening on ";
constexpr std::string_view kRegistered = "registered with manager";

// Set by SIGINT, SIGTERM or SIGHUP while start waits, so that it stops what it started.
volatile std::sig_atomic_t g_interrupted = 0;

// A process of the cluster: its PID, the data dir on its command line, its name in messages.
struct Process {
  pid_t pid = 0;
  std::string data_dir;
  std::string name;
  bool child = false;  // started by this run of sealfs, which has not reaped it yet
};

[[noreturn]] void Die(const std::string& message) { throw FatalError(kExitFailure, message); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// True when pid is alive (not a zombie) and is a SealFS process serving data_dir: the test of
// scripts/sealfs-cluster's is_ours, so that both tools agree on what is theirs.
bool IsOurs(pid_t pid, const std::string& data_dir) {
  if (pid <= 0) return false;
  std::string cmdline = ReadFile(fmt::format("/proc/{}/cmdline", pid));
  if (cmdline.empty()) return false;
  std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
  if (cmdline.find("sealfs-") == std::string::npos ||
      cmdline.find("--data-dir " + data_dir + " ") == std::string::npos) {
    return false;
  }
  const std::string stat = ReadFile(fmt::format("/proc/{}/stat", pid));
  const size_t name_end = stat.rfind(')');  // the state follows the parenthesised name
  return name_end != std::string::npos && name_end + 2 < stat.size() && stat[name_end + 2] != 'Z';
}

// The directory as `cd DIR && pwd` names it in scripts/sealfs-cluster: absolute, symlinks kept
// (from $PWD), so that the "--data-dir" both tools look for is the same string.
std::string AbsoluteDir(const std::string& dir) {
  fs::path base = fs::current_path();
  if (const char* pwd = std::getenv("PWD"); pwd != nullptr && pwd[0] == '/') {
    struct stat logical {};
    struct stat physical {};
    if (::stat(pwd, &logical) == 0 && ::stat(".", &physical) == 0 &&
        logical.st_dev == physical.st_dev && logical.st_ino == physical.st_ino) {
      base = pwd;
    }
  }
  std::string path = (base / dir).lexically_normal().string();
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

// The path of an executable name: in $SEALFS_BIN (or its subdir, a build dir), else beside
// this program, or in ../subdir of a build tree (build/cli/sealfs, build/manager/...).
std::string FindBinary(const std::string& name, const std::string& subdir) {
  std::vector<fs::path> bases;
  std::string where;
  if (const char* bin = std::getenv("SEALFS_BIN"); bin != nullptr && *bin != '\0') {
    bases = {bin};
    where = fmt::format("$SEALFS_BIN ({})", bin);
  } else {
    std::error_code error;
    const fs::path self = fs::read_symlink("/proc/self/exe", error).parent_path();
    bases = {self, self.parent_path()};
    where = fmt::format("{} (or ../{})", self.string(), subdir);
  }
  for (const auto& base : bases) {
    for (const auto& candidate : {base / name, base / subdir / name}) {
      std::error_code error;
      if (fs::is_regular_file(candidate, error) && ::access(candidate.c_str(), X_OK) == 0) {
        return candidate.string();
      }
    }
  }
  Die(fmt::format("{} not found in {}; build it, or set SEALFS_BIN to its directory", name, where));
}

// Starts argv detached, in its own session (no controlling terminal, so it outlives this
// program and the terminal), with its output in log (the previous one kept as log.1).
pid_t Launch(const std::string& log, const std::vector<std::string>& argv) {
  std::error_code ignored;
  if (fs::exists(log, ignored)) fs::rename(log, log + ".1", ignored);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // The stop signals get their default action back: a shell starts background jobs with SIGINT
  // ignored, and an ignored SIGTERM would never reach the daemons' sigwait.
  sigset_t defaults;
  sigemptyset(&defaults);
  for (const int signal : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&defaults, signal);
  sigset_t unblocked;
  sigemptyset(&unblocked);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setsigmask(&attributes, &unblocked);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, args[0], &actions, &attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (error != 0) Die(fmt::format("cannot start {}: {}", argv[0], std::strerror(error)));
  return pid;
}

std::string LastLines(const std::string& log, size_t count) {
  std::istringstream in(ReadFile(log));
  std::deque<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
    if (lines.size() > count) lines.pop_front();
  }
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return text;
}

// Waits until a line of log holds text (at its start when at_start) and returns what follows
// text. Dies (with the log's last lines) when the process exits first, the deadline passes or
// a signal comes.
std::string WaitForLine(const std::string& log, pid_t pid, std::string_view text, bool at_start,
                        Clock::time_point deadline, const std::string& what) {
  for (;;) {
    std::istringstream in(ReadFile(log));
    for (std::string line; std::getline(in, line);) {
      const size_t found = line.find(text);
      if (found == 0 || (found != std::string::npos && !at_start)) {
        return line.substr(found + text.size());
      }
    }
    std::string problem;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      problem = fmt::format("{} (pid {}) exited before printing '{}'", what, pid, text);
    } else if (Clock::now() >= deadline) {
      problem = fmt::format("{} (pid {}) printed no '{}' in time", what, pid, text);
    } else if (g_interrupted != 0) {
      problem = "interrupted";
    }
    if (!problem.empty()) {
      Die(fmt::format("{}; last lines of {}:\n{}", problem, log, LastLines(log, 20)));
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

// Waits until the map lists every address as an UP server.
void WaitUntilUp(const std::string& manager, const std::vector<std::string>& addresses,
                 Clock::time_point deadline) {
  std::vector<std::string> missing = addresses;
  try {
    sealfs::Client client = sealfs::Client::connect(manager);
    for (;;) {
      missing.clear();
      const std::vector<sealfs_server_status> servers = client.cluster_status();
      for (const auto& address : addresses) {
        const bool up = std::any_of(servers.begin(), servers.end(), [&](const auto& server) {
          return server.up != 0 && address == server.address;
        });
        if (!up) missing.push_back(address);
      }
      if (missing.empty()) return;
      if (Clock::now() >= deadline || g_interrupted != 0) break;
      std::this_thread::sleep_for(kPollInterval);
    }
  } catch (const std::system_error& e) {
    Die(fmt::format("cannot ask the manager at {} for the cluster map: {}", manager,
                    e.code().message()));
  }
  Die(fmt::format("{}; servers not UP in the cluster map: {}",
                  g_interrupted != 0 ? "interrupted" : "timed out", fmt::join(missing, " ")));
}

// Whether a process still runs. A child of this program cannot have its PID reused before it
// is reaped, so it is ours whatever its command line; any other is checked in /proc.
bool IsRunning(const Process& process) {
  if (process.child) return ::waitpid(process.pid, nullptr, WNOHANG) == 0;
  return IsOurs(process.pid, process.data_dir);
}

// SIGTERM to every process still ours, then SIGKILL to those left after timeout_seconds.
void StopProcesses(const std::vector<Process>& processes, int timeout_seconds) {
  for (const auto& process : processes) {
    if (IsRunning(process)) ::kill(process.pid, SIGTERM);
  }
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_seconds);
  for (;;) {
    std::vector<const Process*> running;
    for (const auto& process : processes) {
      if (IsRunning(process)) running.push_back(&process);
    }
    if (running.empty()) return;
    if (Clock::now() >= deadline) {
      for (const Process* process : running) {
        PrintError(fmt::format("{} (pid {}) still running after {}s: SIGKILL", process->name,
                               process->pid, timeout_seconds));
        ::kill(process->pid, SIGKILL);
        if (process->child) ::waitpid(process->pid, nullptr, 0);
      }
      return;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

pid_t ParsePid(const std::string& text) {
  char* end = nullptr;
  const long pid = std::strtol(text.c_str(), &end, 10);
  return end != text.c_str() && *end == '\0' && pid > 0 ? static_cast<pid_t>(pid) : 0;
}

// The processes recorded in DIR/cluster.env: the manager, then server-0, server-1, ...
std::vector<Process> Recorded(const std::string& dir) {
  const std::string env_file = dir + "/cluster.env";
  std::vector<Process> processes;
  if (const auto pid = ReadEnvValue(env_file, "SEALFS_MANAGER_PID"); pid && !pid->empty()) {
    processes.push_back({ParsePid(*pid), dir + "/manager", "manager"});
  }
  std::istringstream pids(ReadEnvValue(env_file, "SEALFS_SERVER_PIDS").value_or(""));
  int k = 0;
  for (std::string pid; pids >> pid; ++k) {
    processes.push_back(
        {ParsePid(pid), fmt::format("{}/server-{}", dir, k), fmt::format("server-{}", k)});
  }
  return processes;
}

// A recorded dir, made absolute; dies when it holds no cluster.env.
std::string RecordedDir(const std::string& dir) {
  if (!fs::exists(fs::path(dir) / "cluster.env")) {
    Die(fmt::format("no cluster recorded in {} (no cluster.env)", dir));
  }
  return AbsoluteDir(dir);
}

std::vector<std::string> ServerDirs(const std::string& dir) {
  std::vector<std::string> dirs;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    if (entry.is_directory(error) && entry.path().filename().string().starts_with("server-")) {
      dirs.push_back(entry.path().string());
    }
  }
  return dirs;
}

// Refuses to start a second cluster over the data of one still running.
void CheckNothingRunning(const std::string& dir) {
  const std::vector<std::string> server_dirs = ServerDirs(dir);
  for (const auto& process : Recorded(dir)) {
    if (process.name == "manager" && IsOurs(process.pid, process.data_dir)) {
      Die(
          fmt::format("a cluster is already running in {} (manager pid {}); stop it first: "
                      "sealfs cluster stop --dir {}",
                      dir, process.pid, dir));
    }
    for (const auto& server_dir : server_dirs) {
      if (process.name != "manager" && IsOurs(process.pid, server_dir)) {
        Die(
            fmt::format("server pid {} of {} is still running; stop it first: "
                        "sealfs cluster stop --dir {}",
                        process.pid, dir, dir));
      }
    }
  }
}

// The number of servers to start: as many as DIR holds data of, unless told otherwise.
int ServerCount(const std::string& dir, const ClusterStartOptions& options) {
  const auto existing = static_cast<int>(ServerDirs(dir).size());
  if (options.servers == 0) return existing > 0 ? existing : 3;
  if (existing > 0 && existing != options.servers) {
    // Placement is computed from the set of servers and nothing migrates data yet, so another
    // number of servers makes part of the existing data unreachable.
    if (!options.force) {
      Die(
          fmt::format("{} holds the data of {} servers; start it with --servers {} (another "
                      "number of servers makes part of the data unreachable: no migration yet), "
                      "use another --dir, or pass --force",
                      dir, existing, existing));
    }
    PrintError(fmt::format("warning: starting {} servers on the data of {} (--force)",
                           options.servers, existing));
  }
  return options.servers;
}

void WriteEnvFile(const std::string& dir, const std::string& manager_address, pid_t manager_pid,
                  const std::vector<pid_t>& server_pids,
                  const std::vector<std::string>& server_addresses) {
  const std::string env_file = dir + "/cluster.env";
  const std::string temporary = fmt::format("{}.tmp.{}", env_file, ::getpid());
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  std::array<char, 32> when{};
  std::strftime(when.data(), when.size(), "%Y-%m-%d %H:%M:%S", &local);
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << "# Written by sealfs cluster start at " << when.data() << ".\n"
        << "SEALFS_MANAGER=" << manager_address << "\n"
        << "SEALFS_CLUSTER_DIR=\"" << dir << "\"\n"
        << "SEALFS_MANAGER_PID=" << manager_pid << "\n"
        << "SEALFS_SERVER_PIDS=\"" << fmt::format("{}", fmt::join(server_pids, " ")) << "\"\n"
        << "SEALFS_SERVER_ADDRESSES=\"" << fmt::format("{}", fmt::join(server_addresses, " "))
        << "\"\n";
    if (!out.flush()) Die(fmt::format("cannot write {}", temporary));
  }
  std::error_code error;
  fs::rename(temporary, env_file, error);
  if (error) Die(fmt::format("cannot write {}: {}", env_file, error.message()));
}

void OnStopSignal(int /*signal*/) { g_interrupted = 1; }

// While start runs: a stop signal ends the waits (start then stops what it started), and
// whatever fails stops the processes already started.
class StartGuard {
 public:
  StartGuard() {
    struct sigaction action {};
    action.sa_handler = OnStopSignal;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &action, &previous_[i]);
  }
  ~StartGuard() {
    if (!started.empty()) {
      PrintError("start failed; stopping the processes it started");
      StopProcesses(started, kCleanupTimeoutSeconds);
    }
    for (size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &previous_[i], nullptr);
  }
  StartGuard(const StartGuard&) = delete;
  StartGuard& operator=(const StartGuard&) = delete;

  std::vector<Process> started;  // cleared once the cluster runs

 private:
  static constexpr std::array<int, 3> kSignals = {SIGINT, SIGTERM, SIGHUP};
  std::array<struct sigaction, 3> previous_{};
};

// Starts the processes, recording each in *started; dies on a failure.
void StartProcesses(const ClusterStartOptions& options, std::vector<Process>* started) {
  const std::string manager_bin = FindBinary("sealfs-manager", "manager");
  const std::string server_bin = FindBinary("sealfs-server", "server");
  std::error_code error;
  fs::create_directories(options.dir, error);
  if (error) Die(fmt::format("cannot create {}: {}", options.dir, error.message()));
  const std::string dir = AbsoluteDir(options.dir);
  CheckNothingRunning(dir);
  const int servers = ServerCount(dir, options);
  if (servers < 1) Die("--servers must be at least 1");
  const auto deadline = Clock::now() + std::chrono::seconds(options.timeout_seconds);

  std::vector<std::string> manager_argv = {manager_bin, "--listen", "127.0.0.1:0", "--data-dir",
                                           dir + "/manager"};
  std::vector<std::string> server_flags;
  if (options.heartbeat_timeout_ms > 0) {
    manager_argv.insert(manager_argv.end(),
                        {"--heartbeat-timeout-ms", std::to_string(options.heartbeat_timeout_ms)});
    // Several heartbeats per timeout, as docs/design.md advises.
    server_flags = {"--heartbeat-interval-ms",
                    std::to_string(std::max(10, options.heartbeat_timeout_ms / 3))};
  }
  fs::create_directories(dir + "/manager", error);
  const pid_t manager_pid = Launch(dir + "/manager.log", manager_argv);
  started->push_back({manager_pid, dir + "/manager", "manager", true});
  const std::string manager_address =
      WaitForLine(dir + "/manager.log", manager_pid, kListening, true, deadline, "sealfs-manager");
  fmt::print("manager   pid {}  listening on {}  data {}/manager\n", manager_pid, manager_address,
             dir);

  std::vector<pid_t> server_pids;
  for (int k = 0; k < servers; ++k) {
    const std::string data_dir = fmt::format("{}/server-{}", dir, k);
    fs::create_directories(data_dir, error);
    std::vector<std::string> argv = {server_bin,      "--listen",   "127.0.0.1:0", "--manager",
                                     manager_address, "--data-dir", data_dir};
    argv.insert(argv.end(), server_flags.begin(), server_flags.end());
    server_pids.push_back(Launch(fmt::format("{}/server-{}.log", dir, k), argv));
    started->push_back({server_pids.back(), data_dir, fmt::format("server-{}", k), true});
  }
  std::vector<std::string> server_addresses;
  server_addresses.reserve(server_pids.size());
  for (int k = 0; k < servers; ++k) {
    server_addresses.push_back(WaitForLine(fmt::format("{}/server-{}.log", dir, k), server_pids[k],
                                           kListening, true, deadline,
                                           fmt::format("sealfs-server {}", k)));
  }
  // No client may connect before every server is in the map: the first connection creates the
  // root directory on its home server, which a partial map would choose wrongly.
  for (int k = 0; k < servers; ++k) {
    WaitForLine(fmt::format("{}/server-{}.log", dir, k), server_pids[k], kRegistered, false,
                deadline, fmt::format("sealfs-server {}", k));
  }
  WaitUntilUp(manager_address, server_addresses, deadline);
  for (int k = 0; k < servers; ++k) {
    fmt::print("server-{}  pid {}  listening on {}  data {}/server-{}\n", k, server_pids[k],
               server_addresses[k], dir, k);
  }
  WriteEnvFile(dir, manager_address, manager_pid, server_pids, server_addresses);
  started->clear();
  fmt::print("cluster of {} servers running; SEALFS_MANAGER={} (in {}/cluster.env)\n", servers,
             manager_address, dir);
  fmt::print("stop it with: sealfs cluster stop --dir {}\n", dir);
}

}  // namespace

int StartLocalCluster(const ClusterStartOptions& options) {
  StartGuard guard;
  try {
    StartProcesses(options, &guard.started);
  } catch (const FatalError& e) {
    // The cause first; the guard then says that it stops what was started, and does.
    PrintError(e.what());
    return e.status();
  }
  return kExitSuccess;
}

int StopLocalCluster(const std::string& dir_operand, int timeout_seconds) {
  const std::string dir = RecordedDir(dir_operand);
  std::vector<Process> servers;
  std::vector<Process> manager;
  for (auto& process : Recorded(dir)) {
    (process.name == "manager" ? manager : servers).push_back(std::move(process));
  }
  // Servers first, so that none of them reports the manager as gone while stopping.
  StopProcesses(servers, timeout_seconds);
  StopProcesses(manager, timeout_seconds);
  fmt::print("cluster in {} stopped.\n", dir);
  fmt::print("its data is still in {} (manager/, server-*/; logs *.log):\n", dir);
  fmt::print(
      "  'sealfs cluster start --dir {}' starts it again on that data; 'rm -rf {}' "
      "deletes it.\n",
      dir, dir);
  return kExitSuccess;
}

int LocalClusterStatus(const std::string& dir_operand) {
  const std::string dir = RecordedDir(dir_operand);
  fmt::print("cluster in {}, manager address {}\n", dir,
             ReadEnvValue(dir + "/cluster.env", "SEALFS_MANAGER").value_or(""));
  size_t alive = 0;
  const std::vector<Process> processes = Recorded(dir);
  for (const auto& process : processes) {
    const std::string log = fmt::format("{}/{}.log", dir, process.name);
    if (IsOurs(process.pid, process.data_dir)) {
      ++alive;
      std::string address;
      std::istringstream in(ReadFile(log));
      for (std::string line; address.empty() && std::getline(in, line);) {
        if (line.starts_with(kListening)) address = line.substr(kListening.size());
      }
      fmt::print("  {:<9} pid {:<8} running  {}\n", process.name, process.pid, address);
    } else {
      fmt::print("  {:<9} pid {:<8} stopped  (log {})\n", process.name, process.pid, log);
    }
  }
  fmt::print("{} of {} processes running\n", alive, processes.size());
  if (alive == processes.size()) return kExitSuccess;
  return alive == 0 ? 3 : kExitFailure;
}

int PrintLocalClusterAddress(const std::string& dir) {
  const auto address = ReadEnvValue(dir + "/cluster.env", "SEALFS_MANAGER");
  if (!address || address->empty()) {
    Die(fmt::format("no cluster recorded in {} (no cluster.env)", dir));
  }
  fmt::print("{}\n", *address);
  return kExitSuccess;
}

}  // namespace sealfs::cli
