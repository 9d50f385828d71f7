#include "manager_link.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace sealfs {
namespace {

using std::chrono::milliseconds;

// A stand-in for sealfs-manager that counts what it is sent.
class FakeManager {
 public:
  FakeManager() : server_([this](const RpcRequest& request) { return Handle(request); }) {}
  Status Start(const std::string& address) { return server_.Start(address, &address_); }
  void Stop() { server_.Stop(); }
  const std::string& address() const { return address_; }

  std::atomic<int> registrations{0};
  std::atomic<int> heartbeats{0};
  std::atomic<uint64_t> last_id{0};
  std::string last_address;  // written before registrations is bumped

 private:
  RpcReply Handle(const RpcRequest& request) {
    if (request.op == proto::OP_REGISTER_SERVER) {
      proto::RegisterServerRequest in;
      if (!ParseMessage(request.message, &in)) return MakeErrorReply({proto::STATUS_BAD_FRAME, ""});
      last_id = in.server_id();
      last_address = in.address();
      ++registrations;
      return MakeReply(proto::RegisterServerReply());
    }
    if (request.op == proto::OP_HEARTBEAT) {
      ++heartbeats;
      return MakeReply(proto::HeartbeatReply());
    }
    return MakeErrorReply({proto::STATUS_UNKNOWN_OP, ""});
  }

  RpcServer server_;
  std::string address_;
};

template <typename Predicate>
bool WaitFor(Predicate predicate, milliseconds limit = milliseconds(10000)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return predicate();
}

ManagerLinkOptions Options(const std::string& manager) {
  ManagerLinkOptions options;
  options.manager_address = manager;
  options.server_id = 0xabc;
  options.advertised_address = "127.0.0.1:7777";
  options.heartbeat_interval = milliseconds(50);
  options.call_timeout = milliseconds(1000);
  return options;
}

TEST(ManagerLinkTest, RegistersThenHeartbeats) {
  FakeManager manager;
  ASSERT_TRUE(manager.Start("127.0.0.1:0").ok());
  ManagerLink link(Options(manager.address()));
  link.Start();
  ASSERT_TRUE(WaitFor([&] { return manager.heartbeats >= 3; }));
  EXPECT_EQ(manager.registrations.load(), 1);
  EXPECT_EQ(manager.last_id.load(), 0xabcU);
  EXPECT_EQ(manager.last_address, "127.0.0.1:7777");
  EXPECT_TRUE(link.registered());
  auto start = std::chrono::steady_clock::now();
  link.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1000));
  manager.Stop();
}

TEST(ManagerLinkTest, RetriesUntilManagerComesAndReregistersAfterRestart) {
  // Find a free port, then leave it closed for a while.
  std::string address;
  {
    FakeManager probe;
    ASSERT_TRUE(probe.Start("127.0.0.1:0").ok());
    address = probe.address();
    probe.Stop();
  }
  ManagerLink link(Options(address));
  link.Start();
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_FALSE(link.registered());

  auto manager = std::make_unique<FakeManager>();
  ASSERT_TRUE(manager->Start(address).ok());
  ASSERT_TRUE(WaitFor([&] { return manager->heartbeats >= 1; }));
  manager->Stop();
  manager = std::make_unique<FakeManager>();
  ASSERT_TRUE(manager->Start(address).ok());
  ASSERT_TRUE(WaitFor([&] { return manager->registrations >= 1 && manager->heartbeats >= 1; }));
  link.Stop();
  manager->Stop();
}

TEST(ManagerLinkTest, StopsPromptlyDuringACallThatGetsNoAnswer) {
  // A socket that listens but never answers: the kernel completes the connection, the call
  // waits for a reply that never comes.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(addr);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length), 0);
  ManagerLinkOptions options = Options("127.0.0.1:" + std::to_string(ntohs(addr.sin_port)));
  options.call_timeout = milliseconds(30000);
  ManagerLink link(options);
  link.Start();
  std::this_thread::sleep_for(milliseconds(200));
  auto start = std::chrono::steady_clock::now();
  link.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1000));
  EXPECT_FALSE(link.registered());
  ::close(fd);
}

}  // namespace
}  // namespace sealfs
