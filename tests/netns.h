// IsolatedNetwork: a network namespace joined to the host side by one veth pair, for partition
// tests. A process started with exec_prefix() runs inside it; Cut() and Restore() take the
// link down and up again.
//
//   host side                              namespace <name()>
//   host_address()  10.213.A.B+1/30  <-veth->  inside_address()  10.213.A.B+2/30
//   side_address()  10.214.A.B+1/32            a route of its own to it, via host_address()
//
// A process on the host side that listens on side_address() (the manager) can be cut off from
// the namespace alone with CutSide(): the namespace's route to it becomes unreachable, while
// everything on host_address() still reaches the namespace and is reached from it.
//
// The /30 is private and exists only on this pair (and is picked so that it is not in use).
// The test's other processes listen on host_address(), which stays local to the host while the
// link is down, so the host side keeps talking to itself and only the namespace is cut off. An
// `unreachable` route for the /30 with a high metric stands behind the link's own route: while
// the link is down, traffic for the namespace stops there with EHOSTUNREACH instead of
// following the default route out of the machine. Nothing else on the host is touched.
//
// The destructor deletes the veth pair, that route and the namespace, so a failed test leaves
// nothing behind; a test process that was killed leaves them to the next Create(), which
// removes those of dead processes (the namespace is named sealfs-<pid>-<block>).
//
// Needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN) and iproute2's `ip`. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace sealfs::test {

class IsolatedNetwork {
 public:
  // Creates the namespace and the link, up. Returns null and says why in *why_not when this
  // machine or user cannot (no `ip`, not allowed to create namespaces, no veth support).
  static std::unique_ptr<IsolatedNetwork> Create(std::string* why_not);

  ~IsolatedNetwork();
  IsolatedNetwork(const IsolatedNetwork&) = delete;
  IsolatedNetwork& operator=(const IsolatedNetwork&) = delete;

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] const std::string& host_address() const { return host_address_; }
  [[nodiscard]] const std::string& inside_address() const { return inside_address_; }
  [[nodiscard]] const std::string& side_address() const { return side_address_; }
  // A command line to put before a program's own to run it inside: `ip netns exec NAME`, which
  // execs the program in place, so the PID of the started process is the program's.
  [[nodiscard]] std::vector<std::string> exec_prefix() const;

  // `ip link set <host end> down` / `up`. Throw std::runtime_error when ip fails.
  void Cut();
  void Restore();
  // The namespace loses / gets back its route to side_address() only.
  void CutSide();
  void RestoreSide();

  // True when process `pid` lives in this namespace (compares /proc/PID/ns/net).
  [[nodiscard]] bool Holds(pid_t pid) const;

 private:
  IsolatedNetwork(std::string ip, int block);

  std::string ip_;  // path of the ip binary
  int block_;       // which /30 of 10.213.0.0/16
  std::string name_;
  std::string host_veth_;
  std::string inside_veth_;
  std::string prefix_;  // "10.213.A.B/30"
  std::string host_address_;
  std::string inside_address_;
  std::string side_address_;
};

}  // namespace sealfs::test
