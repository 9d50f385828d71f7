// A server keeps serving everyone after garbage, truncated, oversized, unknown and unparseable
// frames sent from a raw socket: the bad connection gets an error reply or is closed, the
// server process stays alive, and a normal client works afterwards.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <string>

#include "cluster.h"
#include "frame.h"
#include "rpc.h"

namespace sealfs::test {
namespace {

using Clock = std::chrono::steady_clock;

// A raw TCP connection to a server.
class RawSocket {
 public:
  explicit RawSocket(const std::string& address) {
    std::string host;
    uint16_t port = 0;
    if (!SplitHostPort(address, &host, &port)) throw std::runtime_error("bad address " + address);
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      throw std::runtime_error("connect " + address + ": " + std::strerror(errno));
    }
  }
  ~RawSocket() { Close(); }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // Sends all bytes; false when the peer closed (EPIPE/ECONNRESET) before all were sent.
  bool Send(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

  enum class Outcome { kClosed, kReply, kTimeout };
  // Waits for the server's answer: a complete reply frame (its header in *reply), or the
  // connection closed.
  Outcome Await(FrameHeader* reply, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    std::string buf;
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return Outcome::kTimeout;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char tmp[65536];
      const ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
      if (n <= 0) return Outcome::kClosed;  // EOF or reset
      buf.append(tmp, static_cast<std::size_t>(n));
      if (buf.size() >= kFrameHeaderSize) {
        uint8_t header[kFrameHeaderSize];
        std::memcpy(header, buf.data(), kFrameHeaderSize);
        const Status s = DecodeFrameHeader(header, reply);
        if (!s.ok()) throw std::runtime_error("the server's reply has a bad header");
        if (buf.size() >= kFrameHeaderSize + reply->message_length + reply->payload_length) {
          return Outcome::kReply;
        }
      }
    }
  }

 private:
  int fd_ = -1;
};

std::string Frame(uint16_t version, uint16_t op, uint64_t id, uint32_t message_length,
                  uint32_t payload_length, const std::string& body) {
  FrameHeader h;
  h.version = version;
  h.op = op;
  h.request_id = id;
  h.message_length = message_length;
  h.payload_length = payload_length;
  uint8_t header[kFrameHeaderSize];
  EncodeFrameHeader(h, header);
  return std::string(reinterpret_cast<const char*>(header), kFrameHeaderSize) + body;
}

// Peak resident memory of a process in KiB (VmHWM), or -1.
long PeakRssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

class ProtocolAbuseTest : public ClusterTest {
 protected:
  static constexpr auto kWait = std::chrono::milliseconds(10000);

  // Every server is alive, and a normal client creates, writes and reads a file.
  void ExpectStillServing() {
    for (int i = 0; i < cluster_->num_servers(); ++i) {
      EXPECT_TRUE(cluster_->server_process(i).Alive()) << "server" << i << " died";
    }
    sealfs_client* client = ConnectOrThrow(cluster_->manager_address());
    for (int i = 0; i < 12; ++i) {  // names over every server
      const std::string path = "/after-" + std::to_string(counter_) + "-" + std::to_string(i);
      EXPECT_NO_THROW(WriteFile(client, path, "still " + path));
      EXPECT_NO_THROW(EXPECT_EQ(ReadFile(client, path), "still " + path));
    }
    ++counter_;
    sealfs_disconnect(client);
  }

  // Sends `bytes` to every server on a fresh connection; each must answer with an error reply
  // (nonzero status, the request id echoed) or close the connection, in bounded time.
  void ExpectRejected(const std::string& what, const std::string& bytes, uint64_t id) {
    for (int i = 0; i < cluster_->num_servers(); ++i) {
      SCOPED_TRACE(what + " to server" + std::to_string(i));
      RawSocket sock(cluster_->server_address(i));
      sock.Send(bytes);  // the server may close before reading everything
      FrameHeader reply;
      const auto outcome = sock.Await(&reply, kWait);
      EXPECT_NE(outcome, RawSocket::Outcome::kTimeout) << "neither a reply nor a close";
      if (outcome == RawSocket::Outcome::kReply) {
        EXPECT_NE(reply.status, 0) << "a bad request got a success reply";
        EXPECT_EQ(reply.request_id, id);
        std::cout << what << ": server" << i << " replied status " << reply.status << "\n";
      } else if (outcome == RawSocket::Outcome::kClosed) {
        std::cout << what << ": server" << i << " closed the connection\n";
      }
    }
    ExpectStillServing();
  }

  int counter_ = 0;
};

TEST_F(ProtocolAbuseTest, GarbageBytes) {
  std::mt19937_64 rng(42);
  ExpectRejected("garbage", RandomBytes(rng, 4096), 0);
  // Longer than a frame header, so that the server has a whole (bad) header to reject; a
  // shorter prefix is a truncated frame, see TruncatedFrameDoesNotBlockOthers.
  ExpectRejected("HTTP request", "GET / HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n", 0);
}

TEST_F(ProtocolAbuseTest, WrongVersion) {
  ExpectRejected("version 99", Frame(99, proto::OP_GET_ATTR, 7, 0, 0, ""), 7);
}

TEST_F(ProtocolAbuseTest, OversizedMessage) {
  for (int i = 0; i < cluster_->num_servers(); ++i) {
    std::cout << "server" << i
              << " peak RSS before: " << PeakRssKiB(cluster_->server_process(i).pid()) << " KiB\n";
  }
  ExpectRejected("1 GiB message", Frame(kProtocolVersion, proto::OP_LOOKUP, 11, 1U << 30, 0, "x"),
                 11);
  ExpectRejected("1 GiB payload",
                 Frame(kProtocolVersion, proto::OP_WRITE_CHUNK, 12, 0, 1U << 30, "x"), 12);
  ExpectRejected("4 GiB - 1 message",
                 Frame(kProtocolVersion, proto::OP_LOOKUP, 13, 0xffffffffU, 0xffffffffU, ""), 13);
  for (int i = 0; i < cluster_->num_servers(); ++i) {
    const long peak = PeakRssKiB(cluster_->server_process(i).pid());
    EXPECT_LT(peak, 768L * 1024) << "server" << i << " allocated what the header claimed";
  }
}

TEST_F(ProtocolAbuseTest, UnknownOp) {
  ExpectRejected("op 999", Frame(kProtocolVersion, 999, 21, 0, 0, ""), 21);
  ExpectRejected("op 0", Frame(kProtocolVersion, proto::OP_UNSPECIFIED, 22, 0, 0, ""), 22);
}

TEST_F(ProtocolAbuseTest, UnparseableMessage) {
  const std::string junk = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01";
  ExpectRejected(
      "unparseable lookup",
      Frame(kProtocolVersion, proto::OP_LOOKUP, 31, static_cast<uint32_t>(junk.size()), 0, junk),
      31);
  ExpectRejected("unparseable write",
                 Frame(kProtocolVersion, proto::OP_WRITE_CHUNK, 32,
                       static_cast<uint32_t>(junk.size()), 4, junk + "data"),
                 32);
}

TEST_F(ProtocolAbuseTest, TruncatedFrameDoesNotBlockOthers) {
  // Connections that stop in the middle of a header and of a message, left open while a normal
  // client works, then closed.
  std::vector<std::unique_ptr<RawSocket>> stuck;
  for (int i = 0; i < cluster_->num_servers(); ++i) {
    const std::string frame = Frame(kProtocolVersion, proto::OP_LOOKUP, 41, 100, 0, "partial");
    stuck.push_back(std::make_unique<RawSocket>(cluster_->server_address(i)));
    ASSERT_TRUE(stuck.back()->Send(frame));
    stuck.push_back(std::make_unique<RawSocket>(cluster_->server_address(i)));
    ASSERT_TRUE(stuck.back()->Send(frame.substr(0, 13)));
  }
  ExpectStillServing();
  stuck.clear();
  ExpectStillServing();
}

TEST_F(ProtocolAbuseTest, ManyConnectionsOpenedAndDropped) {
  for (int round = 0; round < 200; ++round) {
    RawSocket sock(cluster_->server_address(round % cluster_->num_servers()));
    if (round % 2 == 0) sock.Send(Frame(kProtocolVersion, proto::OP_GET_ATTR, 1, 0, 0, ""));
  }
  ExpectStillServing();
}

TEST_F(ProtocolAbuseTest, GarbageToTheManager) {
  std::mt19937_64 rng(7);
  RawSocket sock(cluster_->manager_address());
  sock.Send(RandomBytes(rng, 1000));
  FrameHeader reply;
  EXPECT_NE(sock.Await(&reply, kWait), RawSocket::Outcome::kTimeout);
  EXPECT_TRUE(cluster_->manager_process().Alive());
  ExpectStillServing();  // connects through the manager
}

}  // namespace
}  // namespace sealfs::test
