#include "cluster.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <utility>

#include "common/placement.h"
#include "rpc.h"

#ifndef SEALFS_SERVER_BIN
#error "SEALFS_SERVER_BIN must name the sealfs-server binary"
#endif
#ifndef SEALFS_MANAGER_BIN
#error "SEALFS_MANAGER_BIN must name the sealfs-manager binary"
#endif

namespace sealfs::test {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr milliseconds kPollInterval(10);

std::string ReadFileFrom(const std::string& path, std::size_t offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(static_cast<std::streamoff>(offset));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Tail(const std::string& path, std::size_t lines) {
  std::ifstream in(path, std::ios::binary);
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    last.push_back(line);
    if (last.size() > lines) last.pop_front();
  }
  std::string out;
  for (const auto& l : last) out += "    " + l + "\n";
  return out;
}

std::string DescribeStatus(int status) {
  if (status == -1) return "not running";
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("signal ") + strsignal(WTERMSIG(status));
  return "status " + std::to_string(status);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// ChildProcess

ChildProcess::ChildProcess(std::string name, std::string log_dir)
    : name_(std::move(name)), log_dir_(std::move(log_dir)) {}

ChildProcess::~ChildProcess() { Kill(); }

std::string ChildProcess::out_path() const { return log_dir_ + "/" + name_ + ".out"; }
std::string ChildProcess::err_path() const { return log_dir_ + "/" + name_ + ".err"; }

void ChildProcess::Spawn(const std::vector<std::string>& argv) {
  if (pid_ > 0) throw std::runtime_error(name_ + " is already running");
  std::error_code ec;
  const auto size = fs::file_size(out_path(), ec);
  out_offset_ = ec ? 0 : static_cast<std::size_t>(size);

  // Everything the child needs is prepared before fork: after it only async-signal-safe calls.
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int out = ::open(out_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int err = ::open(err_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0 || err < 0) {
    if (out >= 0) ::close(out);
    if (err >= 0) ::close(err);
    throw std::runtime_error("cannot open the log files of " + name_ + " in " + log_dir_);
  }
  {
    std::ofstream errlog(err_path(), std::ios::app);
    errlog << "---- spawn:";
    for (const auto& a : argv) errlog << ' ' << a;
    errlog << '\n';
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out);
    ::close(err);
    throw std::runtime_error("fork failed for " + name_);
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::syscall(SYS_close_range, 3U, ~0U, 0U);
    ::execv(args[0], args.data());
    static const char kMsg[] = "exec failed\n";
    (void)!::write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
    ::_exit(127);
  }
  ::close(out);
  ::close(err);
  pid_ = pid;
  paused_ = false;
  last_status_ = -1;
}

std::string ChildProcess::WaitListening(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const std::string prefix = "listening on ";
  for (;;) {
    const std::string out = ReadFileFrom(out_path(), out_offset_);
    const auto eol = out.find('\n');
    if (eol != std::string::npos) {
      std::string line = out.substr(0, eol);
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (line.rfind(prefix, 0) != 0) {
        throw std::runtime_error(name_ + ": first line of stdout is \"" + line +
                                 "\", expected \"listening on HOST:PORT\"\n" + LogTail());
      }
      return line.substr(prefix.size());
    }
    if (!Alive()) {
      throw std::runtime_error(name_ + " exited (" + DescribeStatus(last_status_) +
                               ") before printing \"listening on\"\n" + LogTail());
    }
    if (Clock::now() > deadline) {
      throw std::runtime_error(name_ + " printed no \"listening on\" line in time\n" + LogTail());
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

int ChildProcess::Reap(bool block) {
  if (pid_ <= 0) return -1;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  if (r == pid_) {
    pid_ = -1;
    last_status_ = status;
    return status;
  }
  if (r < 0 && errno == ECHILD) {
    pid_ = -1;
    return -1;
  }
  return -2;  // still running
}

bool ChildProcess::Alive() { return pid_ > 0 && Reap(false) == -2; }

int ChildProcess::Wait(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (pid_ <= 0) return last_status_;
    const int status = Reap(false);
    if (status != -2) return status;
    if (Clock::now() > deadline) return -1;
    std::this_thread::sleep_for(kPollInterval);
  }
}

int ChildProcess::Stop(milliseconds grace) {
  if (pid_ <= 0) return -1;
  if (paused_) Resume();
  ::kill(pid_, SIGTERM);
  const int status = Wait(grace);
  if (pid_ <= 0) return status;
  std::cerr << "[cluster] " << name_ << " did not stop within " << grace.count()
            << " ms of SIGTERM; sending SIGKILL\n";
  return Kill();
}

int ChildProcess::Kill() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGKILL);
  return Reap(true);
}

void ChildProcess::Pause() {
  if (pid_ <= 0 || ::kill(pid_, SIGSTOP) != 0) return;
  paused_ = true;
  // kill() returns before every thread has stopped; until then the child may still answer.
  int status = 0;
  pid_t r = 0;
  while ((r = ::waitpid(pid_, &status, WUNTRACED)) < 0 && errno == EINTR) {
  }
  if (r == pid_ && !WIFSTOPPED(status)) {  // it died instead; it is reaped now
    pid_ = -1;
    last_status_ = status;
    paused_ = false;
  }
}

void ChildProcess::Resume() {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
  paused_ = false;
}

std::string ChildProcess::LogTail(std::size_t lines) const {
  return "  -- " + out_path() + " (tail)\n" + Tail(out_path(), lines) + "  -- " + err_path() +
         " (tail)\n" + Tail(err_path(), lines);
}

// ---------------------------------------------------------------------------------------------
// Cluster

namespace {

// Removes the temp dirs of test processes that died without their teardown (killed by a
// timeout, say): their children died with them (PR_SET_PDEATHSIG), their files did not.
void RemoveOrphanedTempDirs() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/tmp", ec)) {
    if (entry.path().filename().string().rfind("sealfs-test-", 0) != 0) continue;
    std::ifstream in(entry.path() / "owner");
    pid_t owner = 0;
    if (!(in >> owner) || owner <= 0) continue;
    if (::kill(owner, 0) != 0 && errno == ESRCH) {
      std::error_code ignored;
      fs::remove_all(entry.path(), ignored);
    }
  }
}

}  // namespace

Cluster::Cluster(ClusterOptions options) : options_(std::move(options)) {
  RemoveOrphanedTempDirs();
  char tmpl[] = "/tmp/sealfs-test-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  root_ = tmpl;
  std::ofstream(root_ + "/owner") << ::getpid() << "\n";
  fs::create_directories(root_ + "/manager");
  manager_ = std::make_unique<ChildProcess>("manager", root_);
  servers_.resize(static_cast<std::size_t>(options_.servers));
  for (int i = 0; i < options_.servers; ++i) {
    fs::create_directories(server_data_dir(i));
    servers_[i].process = std::make_unique<ChildProcess>("server" + std::to_string(i), root_);
  }
}

Cluster::~Cluster() {
  const bool clean = StopAll();
  const bool failed = ::testing::Test::HasFailure();
  if (failed || !clean) {
    std::cerr << "[cluster] " << (failed ? "test failed" : "a process did not stop cleanly")
              << "; logs of the cluster in " << root_ << ":\n"
              << LogTails();
    if (failed && std::getenv("SEALFS_TEST_KEEP") != nullptr) {
      std::cerr << "[cluster] kept " << root_ << " (SEALFS_TEST_KEEP)\n";
      std::error_code ec;
      fs::remove(root_ + "/owner", ec);  // not an orphan for the next test to remove
      return;
    }
  }
  std::error_code ec;
  fs::remove_all(root_, ec);
}

std::string Cluster::server_data_dir(int i) const { return root_ + "/server" + std::to_string(i); }

void Cluster::Start() {
  StartManager();
  for (int i = 0; i < num_servers(); ++i) LaunchServer(i);
  WaitReady();
}

void Cluster::StartManager() { LaunchManager(options_.manager_host + ":0"); }

void Cluster::StartManagerAtSameAddress() {
  if (manager_address_.empty()) throw std::runtime_error("the manager never ran: no address");
  LaunchManager(manager_address_);
}

void Cluster::LaunchManager(const std::string& listen) {
  std::vector<std::string> argv = {SEALFS_MANAGER_BIN,
                                   "--listen",
                                   listen,
                                   "--data-dir",
                                   root_ + "/manager",
                                   "--heartbeat-timeout-ms",
                                   std::to_string(options_.heartbeat_timeout_ms),
                                   "--replicas",
                                   std::to_string(options_.replicas),
                                   "--down-out-after",
                                   std::to_string(options_.down_out_after_seconds)};
  if (options_.chunk_size != 0) {
    argv.emplace_back("--chunk-size");
    argv.push_back(std::to_string(options_.chunk_size));
  }
  if (options_.min_copies != 0) {
    argv.emplace_back("--min-copies");
    argv.push_back(std::to_string(options_.min_copies));
  }
  manager_->Spawn(argv);
  manager_running_ = true;
  manager_address_ = manager_->WaitListening(options_.start_timeout);
}

void Cluster::LaunchServer(int i, const std::vector<std::string>& extra_args) {
  Server& s = servers_[i];
  const ServerPlacement placement =
      options_.server_placement ? options_.server_placement(i) : ServerPlacement();
  std::vector<std::string> argv = placement.wrapper;
  argv.insert(argv.end(),
              {SEALFS_SERVER_BIN, "--listen", placement.listen_host + ":0", "--manager",
               manager_address_, "--data-dir", server_data_dir(i), "--heartbeat-interval-ms",
               std::to_string(options_.heartbeat_interval_ms)});
  argv.insert(argv.end(), options_.server_args.begin(), options_.server_args.end());
  argv.insert(argv.end(), placement.args.begin(), placement.args.end());
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  if (const char* level = std::getenv("SEALFS_TEST_LOG_LEVEL")) {
    argv.insert(argv.end(), {"--log-level", level});
  }
  s.process->Spawn(argv);
  s.running = true;
  s.address = s.process->WaitListening(options_.start_timeout);
}

void Cluster::StartServer(int i, const std::vector<std::string>& extra_args) {
  LaunchServer(i, extra_args);
  WaitReady();
}

void Cluster::StartServerLagging(int i) {
  LaunchServer(i);
  WaitServer(i, "registered", [](const proto::ServerInfo& s) { return IsLive(s.state()); });
}

void Cluster::WaitState(int i, proto::ServerState state) {
  WaitServer(i, proto::ServerState_Name(state),
             [state](const proto::ServerInfo& s) { return s.state() == state; });
}

void Cluster::WaitServer(int i, const std::string& what,
                         const std::function<bool(const proto::ServerInfo&)>& wanted) {
  const auto deadline = Clock::now() + options_.start_timeout;
  for (;;) {
    const proto::ClusterMap map = GetMap();
    for (const auto& server : map.servers()) {
      if (server.address() == servers_[i].address && wanted(server)) return;
    }
    if (Clock::now() > deadline) {
      throw std::runtime_error("server" + std::to_string(i) + " not " + what + " in time\n" +
                               LogTails());
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
}

int Cluster::AddServer() {
  const int i = num_servers();
  fs::create_directories(server_data_dir(i));
  Server& added = servers_.emplace_back();
  added.process = std::make_unique<ChildProcess>("server" + std::to_string(i), root_);
  StartServer(i);
  return i;
}

void Cluster::ReplaceServer(int i) {
  if (servers_[i].running) KillServer(i);
  fs::remove_all(server_data_dir(i));
  fs::create_directories(server_data_dir(i));
  StartServer(i);
}

int Cluster::StopServer(int i) {
  servers_[i].running = false;
  return servers_[i].process->Stop();
}

int Cluster::KillServer(int i) {
  servers_[i].running = false;
  return servers_[i].process->Kill();
}

void Cluster::PauseServer(int i) { servers_[i].process->Pause(); }
void Cluster::ResumeServer(int i) { servers_[i].process->Resume(); }

int Cluster::StopManager() {
  manager_running_ = false;
  return manager_->Stop();
}

int Cluster::KillManager() {
  manager_running_ = false;
  return manager_->Kill();
}

bool Cluster::StopAll() {
  bool clean = true;
  for (int i = 0; i < num_servers(); ++i) {
    if (servers_[i].process->pid() > 0) {
      const int status = StopServer(i);
      if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        std::cerr << "[cluster] server" << i << " after SIGTERM: " << DescribeStatus(status)
                  << "\n";
        clean = false;
      }
    }
  }
  if (manager_->pid() > 0) {
    const int status = StopManager();
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
      std::cerr << "[cluster] manager after SIGTERM: " << DescribeStatus(status) << "\n";
      clean = false;
    }
  }
  return clean;
}

void Cluster::KillAll() {
  for (int i = 0; i < num_servers(); ++i) KillServer(i);
  manager_running_ = false;
  manager_->Kill();
}

void Cluster::RestartAll(bool kill) {
  if (kill) {
    KillAll();
  } else if (!StopAll()) {
    throw std::runtime_error("a process did not stop cleanly on SIGTERM\n" + LogTails());
  }
  Start();
}

std::function<ServerPlacement(int)> AllOnHostButOne(const std::string& host, int elsewhere,
                                                    const std::string& elsewhere_host,
                                                    const std::vector<std::string>& wrapper) {
  return [=](int i) {
    ServerPlacement placement;
    placement.listen_host = i == elsewhere ? elsewhere_host : host;
    if (i == elsewhere) placement.wrapper = wrapper;
    return placement;
  };
}

proto::ClusterMap Cluster::GetMap() {
  static IoThreads* io = new IoThreads(1);  // lives for the process; channels are per call
  // A manager slowed by a loaded machine (sanitizers, 2 cores) gets three tries before the
  // test calls it a failure; a manager that is down fails the first.
  constexpr int kTries = 3;
  Status status;
  for (int attempt = 0; attempt < kTries; ++attempt) {
    auto channel = RpcChannel::Create(io->io(), manager_address_, milliseconds(1000));
    proto::GetClusterMapRequest request;
    const RpcResult result = channel->Call(proto::OP_GET_CLUSTER_MAP, request, milliseconds(2000));
    proto::GetClusterMapReply reply;
    status = result.Decode(&reply);
    channel->Close();
    if (status.ok()) return reply.map();
    if (status.code() != proto::STATUS_TIMED_OUT) break;
  }
  throw std::runtime_error("GetClusterMap: " + status.ToString());
}

void Cluster::WaitReady() {
  const auto deadline = Clock::now() + options_.start_timeout;
  std::string last;
  for (;;) {
    std::string missing;
    try {
      const proto::ClusterMap map = GetMap();
      for (int i = 0; i < num_servers(); ++i) {
        if (!servers_[i].running) continue;
        bool up = false;
        for (const auto& s : map.servers()) {
          if (s.address() == servers_[i].address && s.state() == proto::SERVER_UP) up = true;
        }
        if (!up) missing += " server" + std::to_string(i) + "@" + servers_[i].address;
      }
      last = "map epoch " + std::to_string(map.epoch()) + " lacks UP:" + missing;
    } catch (const std::exception& e) {
      missing = "?";
      last = e.what();
    }
    if (missing.empty()) return;
    for (int i = 0; i < num_servers(); ++i) {
      if (servers_[i].running && !servers_[i].process->Alive()) {
        throw std::runtime_error("server" + std::to_string(i) + " exited while starting\n" +
                                 LogTails());
      }
    }
    if (Clock::now() > deadline) {
      throw std::runtime_error("cluster not ready in time: " + last + "\n" + LogTails());
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
}

std::string Cluster::LogTails() const {
  std::string out = manager_->LogTail();
  for (const auto& s : servers_) out += s.process->LogTail();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Helpers

void ClusterTest::SetUp() {
  cluster_ = std::make_unique<Cluster>(GetClusterOptions());
  cluster_->Start();
  const sealfs_options options = GetClientOptions();
  client_ = ConnectOrThrow(cluster_->manager_address(), &options);
}

void ClusterTest::TearDown() {
  sealfs_disconnect(client_);
  client_ = nullptr;
  cluster_.reset();
}

void ClusterTest::Reconnect() {
  sealfs_disconnect(client_);
  client_ = nullptr;
  const sealfs_options options = GetClientOptions();
  client_ = ConnectOrThrow(cluster_->manager_address(), &options);
}

sealfs_options TestOptions() {
  sealfs_options options;
  sealfs_options_init(&options);
  return options;
}

std::string ErrName(long rc) {
  if (rc >= 0) return std::to_string(rc);
  const char* name = strerrorname_np(static_cast<int>(-rc));
  return std::to_string(rc) + " (" + (name != nullptr ? name : "?") + ")";
}

sealfs_client* ConnectOrThrow(const std::string& manager_address, const sealfs_options* options) {
  sealfs_client* client = nullptr;
  const int rc = sealfs_connect(manager_address.c_str(), options, &client);
  if (rc != 0) throw std::runtime_error("sealfs_connect " + manager_address + ": " + ErrName(rc));
  return client;
}

void WriteFile(sealfs_client* client, const std::string& path, const std::string& data,
               mode_t mode) {
  const int fd = sealfs_open(client, path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0) throw std::runtime_error("sealfs_open " + path + ": " + ErrName(fd));
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = sealfs_write(client, fd, data.data() + done, data.size() - done);
    if (n <= 0) {
      sealfs_close(client, fd);
      throw std::runtime_error("sealfs_write " + path + ": " + ErrName(n));
    }
    done += static_cast<std::size_t>(n);
  }
  const int rc = sealfs_close(client, fd);
  if (rc != 0) throw std::runtime_error("sealfs_close " + path + ": " + ErrName(rc));
}

std::string ReadFile(sealfs_client* client, const std::string& path) {
  const int fd = sealfs_open(client, path.c_str(), O_RDONLY, 0);
  if (fd < 0) throw std::runtime_error("sealfs_open " + path + ": " + ErrName(fd));
  std::string data;
  char buf[65536];
  for (;;) {
    const ssize_t n = sealfs_read(client, fd, buf, sizeof(buf));
    if (n < 0) {
      sealfs_close(client, fd);
      throw std::runtime_error("sealfs_read " + path + ": " + ErrName(n));
    }
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
  }
  sealfs_close(client, fd);
  return data;
}

std::vector<std::string> ListDir(sealfs_client* client, const std::string& path) {
  sealfs_dir* dir = nullptr;
  const int rc = sealfs_opendir(client, path.c_str(), &dir);
  if (rc != 0) throw std::runtime_error("sealfs_opendir " + path + ": " + ErrName(rc));
  std::vector<std::string> names;
  struct dirent entry {};
  for (;;) {
    const int r = sealfs_readdir(client, dir, &entry);
    if (r < 0) {
      sealfs_closedir(client, dir);
      throw std::runtime_error("sealfs_readdir " + path + ": " + ErrName(r));
    }
    if (r == 0) break;
    names.emplace_back(entry.d_name);
  }
  sealfs_closedir(client, dir);
  return names;
}

std::string RandomBytes(std::mt19937_64& rng, std::size_t size) {
  std::string out(size, '\0');
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    const uint64_t v = rng();
    std::memcpy(out.data() + i, &v, 8);
  }
  for (; i < size; ++i) out[i] = static_cast<char>(rng());
  return out;
}

uint64_t TestSeed() {
  uint64_t seed = 0;
  if (const char* env = std::getenv("SEALFS_TEST_SEED")) {
    seed = std::strtoull(env, nullptr, 10);
  } else {
    seed = static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  }
  std::cout << "[seed] " << seed << " (rerun with SEALFS_TEST_SEED=" << seed << ")\n";
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  return seed;
}

}  // namespace sealfs::test
