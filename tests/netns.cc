#include "netns.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>

namespace sealfs::test {

namespace {

// Blocks of 10.213.0.0/16 as /30s, and the metric of the guard route (above any the kernel
// gives the link's own route).
constexpr int kBlocks = 16384;
constexpr int kGuardMetric = 4000;
constexpr const char* kNamePrefix = "sealfs-";

std::string FindIp() {
  for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  return {};
}

// Runs `ip args...`; returns its wait status (-1 when it could not start) and its standard
// output and error in *output.
int RunIp(const std::string& ip, const std::vector<std::string>& args, std::string* output) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(ip.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, ip.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  output->clear();
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::read(fds[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) output->append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  if (rc != 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

bool Succeeded(int status) { return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0; }

std::string Join(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) out += " " + a;
  return out;
}

// Runs ip and throws with its output when it fails.
void MustRunIp(const std::string& ip, const std::vector<std::string>& args) {
  std::string output;
  if (!Succeeded(RunIp(ip, args, &output))) {
    throw std::runtime_error("ip" + Join(args) + " failed: " + output);
  }
}

std::string NameOf(pid_t pid, int block) {
  return kNamePrefix + std::to_string(pid) + "-" + std::to_string(block);
}
std::string HostVethOf(int block) { return "sfb" + std::to_string(block) + "h"; }
std::string BlockAddress(int block, int host) {
  return "10.213." + std::to_string(block / 64) + "." + std::to_string((block % 64) * 4 + host);
}
std::string PrefixOf(int block) { return BlockAddress(block, 0) + "/30"; }
std::string SideAddress(int block) {
  return "10.214." + std::to_string(block / 64) + "." + std::to_string((block % 64) * 4 + 1);
}

// Deletes what IsolatedNetwork made for `block`; errors are ignored (parts may be gone).
void Remove(const std::string& ip, const std::string& name, int block) {
  std::string ignored;
  RunIp(ip, {"link", "del", HostVethOf(block)}, &ignored);
  RunIp(ip,
        {"route", "del", "unreachable", PrefixOf(block), "metric", std::to_string(kGuardMetric)},
        &ignored);
  RunIp(ip, {"netns", "del", name}, &ignored);
}

// Removes the namespaces (and their links and routes) of test processes that are gone.
void RemoveOrphans(const std::string& ip) {
  std::string list;
  if (!Succeeded(RunIp(ip, {"netns", "list"}, &list))) return;
  std::istringstream lines(list);
  std::string line;
  while (std::getline(lines, line)) {
    const std::string name = line.substr(0, line.find(' '));  // "NAME (id: N)"
    if (name.rfind(kNamePrefix, 0) != 0) continue;
    pid_t pid = 0;
    int block = -1;
    if (std::sscanf(name.c_str() + std::char_traits<char>::length(kNamePrefix), "%d-%d", &pid,
                    &block) != 2 ||
        block < 0 || block >= kBlocks) {
      continue;
    }
    if (::kill(pid, 0) != 0 && errno == ESRCH) Remove(ip, name, block);
  }
}

// True when no route of the main table has exactly this prefix: no one uses the block.
bool BlockIsFree(const std::string& ip, int block) {
  std::string routes;
  return Succeeded(RunIp(ip, {"-4", "route", "show", "exact", PrefixOf(block)}, &routes)) &&
         routes.find_first_not_of(" \n") == std::string::npos;
}

}  // namespace

IsolatedNetwork::IsolatedNetwork(std::string ip, int block)
    : ip_(std::move(ip)),
      block_(block),
      name_(NameOf(::getpid(), block)),
      host_veth_(HostVethOf(block)),
      inside_veth_("sfb" + std::to_string(block) + "n"),
      prefix_(PrefixOf(block)),
      host_address_(BlockAddress(block, 1)),
      inside_address_(BlockAddress(block, 2)),
      side_address_(SideAddress(block)) {}

std::unique_ptr<IsolatedNetwork> IsolatedNetwork::Create(std::string* why_not) {
  const std::string ip = FindIp();
  if (ip.empty()) {
    *why_not = "no `ip` binary in /usr/sbin, /sbin, /usr/bin or /bin (apt-get install iproute2)";
    return nullptr;
  }
  RemoveOrphans(ip);
  int block = -1;
  for (int k = 0; k < 64 && block < 0; ++k) {
    const int candidate = static_cast<int>((::getpid() + k * 7919) % kBlocks);
    if (BlockIsFree(ip, candidate)) block = candidate;
  }
  if (block < 0) {
    *why_not = "no free /30 in 10.213.0.0/16 (or `ip route show` fails)";
    return nullptr;
  }
  std::unique_ptr<IsolatedNetwork> net(new IsolatedNetwork(ip, block));
  std::string output;
  if (!Succeeded(RunIp(ip, {"netns", "add", net->name_}, &output))) {
    *why_not = "`ip netns add " + net->name_ + "` failed (euid " + std::to_string(::geteuid()) +
               "; namespaces need root, CAP_SYS_ADMIN and CAP_NET_ADMIN): " + output;
    return nullptr;  // the destructor removes whatever part was made
  }
  const std::string inside = net->inside_veth_;
  const std::vector<std::vector<std::string>> steps = {
      {"link", "add", net->host_veth_, "type", "veth", "peer", "name", inside, "netns", net->name_},
      {"addr", "add", net->host_address_ + "/30", "dev", net->host_veth_},
      {"route", "add", "unreachable", net->prefix_, "metric", std::to_string(kGuardMetric)},
      {"link", "set", net->host_veth_, "up"},
      {"-n", net->name_, "addr", "add", net->inside_address_ + "/30", "dev", inside},
      {"-n", net->name_, "link", "set", inside, "up"},
      {"-n", net->name_, "link", "set", "lo", "up"},
      {"addr", "add", net->side_address_ + "/32", "dev", net->host_veth_},
      {"-n", net->name_, "route", "add", net->side_address_ + "/32", "via", net->host_address_},
  };
  for (const auto& step : steps) {
    if (!Succeeded(RunIp(ip, step, &output))) {
      *why_not = "ip" + Join(step) + " failed: " + output;
      return nullptr;
    }
  }
  return net;
}

IsolatedNetwork::~IsolatedNetwork() { Remove(ip_, name_, block_); }

std::vector<std::string> IsolatedNetwork::exec_prefix() const {
  return {ip_, "netns", "exec", name_};
}

void IsolatedNetwork::Cut() { MustRunIp(ip_, {"link", "set", host_veth_, "down"}); }

void IsolatedNetwork::Restore() { MustRunIp(ip_, {"link", "set", host_veth_, "up"}); }

void IsolatedNetwork::CutSide() {
  MustRunIp(ip_, {"-n", name_, "route", "replace", "unreachable", side_address_ + "/32"});
}

void IsolatedNetwork::RestoreSide() {
  MustRunIp(ip_, {"-n", name_, "route", "replace", side_address_ + "/32", "via", host_address_});
}

bool IsolatedNetwork::Holds(pid_t pid) const {
  struct stat ours {};
  struct stat theirs {};
  return ::stat(("/run/netns/" + name_).c_str(), &ours) == 0 &&
         ::stat(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), &theirs) == 0 &&
         ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino;
}

}  // namespace sealfs::test
