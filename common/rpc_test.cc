#include "rpc.h"

#include <gtest/gtest.h>

#include <atomic>

namespace sealfs {
namespace {

using std::chrono::milliseconds;

constexpr uint16_t kEchoOp = 100;
constexpr uint16_t kFailOp = 101;
constexpr uint16_t kSlowOp = 102;

// Echoes the request message and the payload reversed, so a test sees both travel.
RpcReply TestHandler(const RpcRequest& request) {
  switch (request.op) {
    case kEchoOp: {
      proto::LookupRequest message;
      if (!ParseMessage(request.message, &message)) {
        return MakeErrorReply({proto::STATUS_BAD_FRAME, "bad message"});
      }
      std::string payload(request.payload.rbegin(), request.payload.rend());
      return MakeReply(message, std::move(payload));
    }
    case kFailOp:
      return MakeErrorReply(Status::NotFound("nothing here"));
    case kSlowOp:
      std::this_thread::sleep_for(milliseconds(500));
      return MakeReply(proto::Empty());
    default:
      return MakeErrorReply({proto::STATUS_UNKNOWN_OP, "unknown op"});
  }
}

class RpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<RpcServer>(TestHandler);
    ASSERT_TRUE(server_->Start("127.0.0.1:0", &address_).ok());
    channel_ = RpcChannel::Create(io_.io(), address_, milliseconds(2000));
  }
  void TearDown() override {
    channel_->Close();
    server_->Stop();
  }

  IoThreads io_;
  std::unique_ptr<RpcServer> server_;
  std::string address_;
  std::shared_ptr<RpcChannel> channel_;
};

TEST_F(RpcTest, MessageAndPayloadTravelBothWays) {
  proto::LookupRequest request;
  request.set_parent(7);
  request.set_name("name");
  RpcResult result = channel_->Call(kEchoOp, request, milliseconds(5000), "abc");
  proto::LookupRequest reply;
  ASSERT_TRUE(result.Decode(&reply).ok()) << result.status.ToString();
  EXPECT_EQ(reply.parent(), 7U);
  EXPECT_EQ(reply.name(), "name");
  EXPECT_EQ(result.payload, "cba");
}

TEST_F(RpcTest, ErrorStatusReachesTheCaller) {
  RpcResult result = channel_->Call(kFailOp, proto::Empty(), milliseconds(5000));
  EXPECT_EQ(result.status.code(), proto::STATUS_NOT_FOUND);
  EXPECT_EQ(channel_->Call(999, proto::Empty(), milliseconds(5000)).status.code(),
            proto::STATUS_UNKNOWN_OP);
}

TEST_F(RpcTest, ManyCallsInFlightFromManyThreadsGetTheirOwnReplies) {
  std::atomic<int> correct{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::future<RpcResult>> futures;
      std::vector<std::string> payloads;
      for (int i = 0; i < 200; ++i) {
        proto::LookupRequest request;
        request.set_parent(static_cast<uint64_t>(t * 1000 + i));
        payloads.push_back(
            std::string(static_cast<std::size_t>(i) * 37, static_cast<char>('a' + t)) + "#");
        futures.push_back(channel_->CallAsync(kEchoOp, request, payloads.back()));
      }
      for (int i = 0; i < 200; ++i) {
        RpcResult result = futures[static_cast<std::size_t>(i)].get();
        proto::LookupRequest reply;
        const std::string& sent = payloads[static_cast<std::size_t>(i)];
        if (result.Decode(&reply).ok() && reply.parent() == static_cast<uint64_t>(t * 1000 + i) &&
            result.payload == std::string(sent.rbegin(), sent.rend())) {
          ++correct;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(correct.load(), 8 * 200);
}

// Sends frames larger than the socket takes at once from two threads while two others send
// small ones, 12 each; returns how many came back whole and to the thread that sent them.
int EchoLargeAndSmallFramesFromFourThreads(RpcChannel& channel) {
  std::atomic<int> correct{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 12; ++i) {
        proto::LookupRequest request;
        request.set_parent(static_cast<uint64_t>(t * 100 + i));
        std::string payload(t % 2 == 0 ? (6U << 20) + static_cast<std::size_t>(i) : 10U, '\0');
        for (std::size_t k = 0; k < payload.size(); k += 4093) {
          payload[k] = static_cast<char>(t * 31 + i + static_cast<int>(k));
        }
        RpcResult result = channel.Call(kEchoOp, request, milliseconds(30000), payload);
        proto::LookupRequest reply;
        if (result.Decode(&reply).ok() && reply.parent() == static_cast<uint64_t>(t * 100 + i) &&
            result.payload == std::string(payload.rbegin(), payload.rend())) {
          ++correct;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  return correct.load();
}

// Each large frame goes out partly from its thread and the rest from the I/O thread, never
// interleaved with another frame's bytes.
TEST_F(RpcTest, LargeAndSmallFramesFromManyThreadsArriveWhole) {
  EXPECT_EQ(EchoLargeAndSmallFramesFromFourThreads(*channel_), 4 * 12);
}

TEST(RpcInlineTest, QuickOpsOnTheIoThreadAndSlowOnesOnWorkersBothGetTheirReplies) {
  RpcServerOptions options;
  options.serve_without_waiting = [](const RpcRequest& request) -> std::optional<RpcReply> {
    if (request.op != kEchoOp) return std::nullopt;
    return TestHandler(request);
  };
  RpcServer server(TestHandler, options);
  std::string address;
  ASSERT_TRUE(server.Start("127.0.0.1:0", &address).ok());
  IoThreads io;
  auto channel = RpcChannel::Create(io.io(), address, milliseconds(2000));
  auto slow = channel->CallAsync(kSlowOp, proto::Empty());
  std::vector<std::future<RpcResult>> quick;
  for (int i = 0; i < 100; ++i) {
    proto::LookupRequest request;
    request.set_parent(static_cast<uint64_t>(i));
    quick.push_back(channel->CallAsync(kEchoOp, request, std::to_string(i)));
  }
  for (int i = 0; i < 100; ++i) {
    RpcResult result = quick[static_cast<std::size_t>(i)].get();
    proto::LookupRequest reply;
    ASSERT_TRUE(result.Decode(&reply).ok());
    EXPECT_EQ(reply.parent(), static_cast<uint64_t>(i));
    std::string sent = std::to_string(i);
    EXPECT_EQ(result.payload, std::string(sent.rbegin(), sent.rend()));
  }
  EXPECT_TRUE(slow.get().status.ok()) << "the slow call still completes on a worker";
  channel->Close();
  server.Stop();
}

TEST_F(RpcTest, CallTimesOutButTheChannelKeepsWorking) {
  RpcResult slow = channel_->Call(kSlowOp, proto::Empty(), milliseconds(50));
  EXPECT_EQ(slow.status.code(), proto::STATUS_TIMED_OUT);
  EXPECT_TRUE(slow.maybe_delivered) << "the server may still carry it out";
  RpcResult fast = channel_->Call(kFailOp, proto::Empty(), milliseconds(5000));
  EXPECT_EQ(fast.status.code(), proto::STATUS_NOT_FOUND);
}

TEST_F(RpcTest, UnreachableWhenNobodyListens) {
  server_->Stop();
  auto channel = RpcChannel::Create(io_.io(), address_, milliseconds(1000));
  RpcResult result = channel->Call(kFailOp, proto::Empty(), milliseconds(5000));
  EXPECT_EQ(result.status.code(), proto::STATUS_UNREACHABLE);
  EXPECT_FALSE(result.maybe_delivered) << "never connected, so never sent";
  EXPECT_TRUE(channel->broken());
  EXPECT_EQ(channel->Call(kFailOp, proto::Empty(), milliseconds(5000)).status.code(),
            proto::STATUS_UNREACHABLE);
}

TEST_F(RpcTest, PendingCallsFailWhenTheServerGoesAway) {
  auto future = channel_->CallAsync(kSlowOp, proto::Empty());
  std::this_thread::sleep_for(milliseconds(100));
  server_->Stop();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  RpcResult result = future.get();
  EXPECT_EQ(result.status.code(), proto::STATUS_UNREACHABLE);
  EXPECT_TRUE(result.maybe_delivered) << "sent before the connection broke";
}

TEST_F(RpcTest, AnAbandonedCallsReplyIsDropped) {
  uint64_t request_id = 0;
  auto abandoned = channel_->CallAsync(kSlowOp, proto::Empty(), {}, &request_id);
  EXPECT_TRUE(channel_->Abandon(request_id));
  EXPECT_FALSE(channel_->Abandon(request_id)) << "once";
  // Its reply comes and is dropped; the channel serves the next call as before.
  auto next = channel_->CallAsync(kSlowOp, proto::Empty());
  ASSERT_EQ(next.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_TRUE(next.get().status.ok());
  uint64_t answered_id = 0;
  auto answered = channel_->CallAsync(kFailOp, proto::Empty(), {}, &answered_id);
  ASSERT_EQ(answered.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_FALSE(channel_->Abandon(answered_id)) << "its reply is already in the future";
}

TEST_F(RpcTest, BadFrameGetsAnErrorReplyAndOthersAreStillServed) {
  asio::io_context io;
  asio::ip::tcp::socket raw(io);
  std::string host;
  uint16_t port = 0;
  ASSERT_TRUE(SplitHostPort(address_, &host, &port));
  raw.connect(asio::ip::tcp::endpoint(asio::ip::make_address(host), port));
  FrameHeader header;
  header.op = kEchoOp;
  header.request_id = 5;
  header.message_length = kMaxMessageLength + 1;
  uint8_t bytes[kFrameHeaderSize];
  EncodeFrameHeader(header, bytes);
  asio::write(raw, asio::buffer(bytes));
  uint8_t reply_bytes[kFrameHeaderSize];
  asio::read(raw, asio::buffer(reply_bytes));
  FrameHeader reply;
  ASSERT_TRUE(DecodeFrameHeader(reply_bytes, &reply).ok());
  EXPECT_EQ(reply.request_id, 5U);
  EXPECT_EQ(reply.status, proto::STATUS_BAD_FRAME);
  std::error_code ec;
  char byte = 0;
  asio::read(raw, asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::eof) << "the server closes a connection after a bad frame";

  EXPECT_EQ(channel_->Call(kFailOp, proto::Empty(), milliseconds(5000)).status.code(),
            proto::STATUS_NOT_FOUND);
}

// A channel whose waiting callers read their replies themselves (ClusterView's).
class CallerReadsTest : public RpcTest {
 protected:
  void SetUp() override {
    RpcTest::SetUp();
    channel_ = RpcChannel::Create(io_.io(), address_, milliseconds(2000),
                                  RpcChannel::ReplyReader::kWaitingCaller);
  }
  RpcResult Echo(const std::string& payload, milliseconds timeout = milliseconds(5000)) {
    proto::LookupRequest request;
    request.set_name(payload);
    return channel_->Call(kEchoOp, request, timeout, payload);
  }
};

// Threads with several calls each in flight, waited for in another order than they were
// started: whoever reads hands every reply to its own caller.
TEST_F(CallerReadsTest, ManyThreadsWithCallsInFlightGetTheirOwnReplies) {
  std::atomic<int> correct{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 30; ++round) {
        std::vector<std::future<RpcResult>> replies;
        std::vector<uint64_t> ids(3);
        std::vector<std::string> payloads;
        for (int i = 0; i < 3; ++i) {
          payloads.push_back(std::to_string(t) + "-" + std::to_string(round) + "-" +
                             std::to_string(i));
          proto::LookupRequest request;
          request.set_name(payloads.back());
          replies.push_back(channel_->CallAsync(kEchoOp, request, payloads.back(), &ids[i]));
        }
        for (int i : {2, 0, 1}) {
          const auto index = static_cast<std::size_t>(i);
          RpcResult result = channel_->Wait(ids[index], replies[index],
                                            std::chrono::steady_clock::now() + milliseconds(5000));
          proto::LookupRequest reply;
          if (result.Decode(&reply).ok() && reply.name() == payloads[index] &&
              result.payload == std::string(payloads[index].rbegin(), payloads[index].rend())) {
            ++correct;
          }
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(correct.load(), 6 * 30 * 3);
}

// A caller that gives up while it reads leaves the connection at a frame boundary: the next
// calls, and the late reply (dropped), go on as before.
TEST_F(CallerReadsTest, ACallerThatTimesOutLeavesTheChannelWorking) {
  RpcResult slow = channel_->Call(kSlowOp, proto::Empty(), milliseconds(50));
  EXPECT_EQ(slow.status.code(), proto::STATUS_TIMED_OUT);
  EXPECT_TRUE(slow.maybe_delivered);
  for (int i = 0; i < 20; ++i) {
    const std::string payload = "after " + std::to_string(i);
    RpcResult result = Echo(payload);
    ASSERT_TRUE(result.status.ok()) << result.status.ToString();
    EXPECT_EQ(result.payload, std::string(payload.rbegin(), payload.rend()));
  }
}

// The server goes away while one caller reads and others wait behind it: every call fails,
// none hangs, and the channel says it is broken.
TEST_F(CallerReadsTest, CallsFailWhenTheServerGoesAwayWhileACallerReads) {
  std::vector<std::future<RpcResult>> outcomes;
  for (int i = 0; i < 4; ++i) {
    outcomes.push_back(std::async(std::launch::async, [&] {
      return channel_->Call(kSlowOp, proto::Empty(), milliseconds(10000));
    }));
  }
  std::this_thread::sleep_for(milliseconds(100));
  server_->Stop();
  for (auto& outcome : outcomes) {
    ASSERT_EQ(outcome.wait_for(std::chrono::seconds(5)), std::future_status::ready);
    const RpcResult result = outcome.get();
    EXPECT_TRUE(result.status.code() == proto::STATUS_UNREACHABLE || result.status.ok())
        << result.status.ToString();
  }
  EXPECT_EQ(channel_->Call(kFailOp, proto::Empty(), milliseconds(5000)).status.code(),
            proto::STATUS_UNREACHABLE);
  EXPECT_TRUE(channel_->broken());
}

// Callers write their frames themselves, waiting for room in the socket, while another caller
// reads the replies of all: nothing is interleaved, and nobody waits forever.
TEST_F(CallerReadsTest, LargeAndSmallFramesFromManyThreadsArriveWhole) {
  EXPECT_EQ(EchoLargeAndSmallFramesFromFourThreads(*channel_), 4 * 12);
}

TEST(SplitHostPortTest, AcceptsHostPortAndBracketedIpv6Only) {
  std::string host;
  uint16_t port = 0;
  EXPECT_TRUE(SplitHostPort("127.0.0.1:7000", &host, &port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 7000);
  EXPECT_TRUE(SplitHostPort("[::1]:0", &host, &port));
  EXPECT_EQ(host, "::1");
  EXPECT_FALSE(SplitHostPort("127.0.0.1", &host, &port));
  EXPECT_FALSE(SplitHostPort("127.0.0.1:", &host, &port));
  EXPECT_FALSE(SplitHostPort("127.0.0.1:70000", &host, &port));
  EXPECT_FALSE(SplitHostPort("::1:80", &host, &port));
  EXPECT_FALSE(SplitHostPort(":80", &host, &port));
}

}  // namespace
}  // namespace sealfs
