#include "manager_service.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "test_util.h"

namespace sealfs::manager {
namespace {

using std::chrono::milliseconds;

class ManagerServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::unique_ptr<ClusterMapStore> store;
    ASSERT_TRUE(ClusterMapStore::Open(dir_.path(), &store).ok());
    MembershipOptions options;
    options.default_chunk_size = 64U << 10;
    ASSERT_TRUE(Membership::Open(std::move(store), options, &membership_).ok());
    service_ = std::make_unique<ManagerService>(membership_.get());
  }

  RpcReply Call(uint16_t op, const google::protobuf::MessageLite& request) {
    const std::string bytes = request.SerializeAsString();
    return service_->Handle({op, bytes, {}});
  }

  TempDir dir_;
  std::unique_ptr<Membership> membership_;
  std::unique_ptr<ManagerService> service_;
};

TEST_F(ManagerServiceTest, RegisterHeartbeatAndGetMap) {
  proto::RegisterServerRequest reg;
  reg.set_server_id(42);
  reg.set_address("127.0.0.1:7000");
  RpcReply reply = Call(proto::OP_REGISTER_SERVER, reg);
  ASSERT_TRUE(reply.status.ok()) << reply.status.ToString();
  proto::RegisterServerReply registered;
  ASSERT_TRUE(ParseMessage(reply.message, &registered));
  EXPECT_EQ(registered.map().epoch(), 2U);
  EXPECT_EQ(registered.map().default_chunk_size(), 64U << 10);
  ASSERT_EQ(registered.map().servers_size(), 1);
  EXPECT_EQ(registered.map().servers(0).id(), 42U);
  EXPECT_EQ(registered.map().servers(0).address(), "127.0.0.1:7000");
  EXPECT_EQ(registered.map().servers(0).state(), proto::SERVER_UP);

  proto::HeartbeatRequest hb;
  hb.set_server_id(42);
  hb.set_address("127.0.0.1:7000");
  reply = Call(proto::OP_HEARTBEAT, hb);
  ASSERT_TRUE(reply.status.ok()) << reply.status.ToString();
  proto::HeartbeatReply beat;
  ASSERT_TRUE(ParseMessage(reply.message, &beat));
  EXPECT_EQ(beat.epoch(), 2U);

  reply = Call(proto::OP_GET_CLUSTER_MAP, proto::GetClusterMapRequest());
  ASSERT_TRUE(reply.status.ok()) << reply.status.ToString();
  proto::GetClusterMapReply got;
  ASSERT_TRUE(ParseMessage(reply.message, &got));
  EXPECT_EQ(got.map().SerializeAsString(), registered.map().SerializeAsString());
}

TEST_F(ManagerServiceTest, HeartbeatBeforeRegisterIsNotFound) {
  proto::HeartbeatRequest hb;
  hb.set_server_id(42);
  hb.set_address("127.0.0.1:7000");
  EXPECT_EQ(Call(proto::OP_HEARTBEAT, hb).status.code(), proto::STATUS_NOT_FOUND);
}

TEST_F(ManagerServiceTest, InvalidRegistrationIsInvalid) {
  proto::RegisterServerRequest reg;  // id 0, no address
  EXPECT_EQ(Call(proto::OP_REGISTER_SERVER, reg).status.code(), proto::STATUS_INVALID);
  EXPECT_EQ(membership_->epoch(), 1U);
}

TEST_F(ManagerServiceTest, MessageThatDoesNotParseIsBadFrame) {
  const std::string garbage = "\xff\xff\xff\xff";
  for (uint16_t op : {proto::OP_REGISTER_SERVER, proto::OP_HEARTBEAT, proto::OP_GET_CLUSTER_MAP}) {
    const RpcReply reply = service_->Handle({op, garbage, {}});
    EXPECT_EQ(reply.status.code(), proto::STATUS_BAD_FRAME) << "op " << op;
  }
  EXPECT_EQ(membership_->epoch(), 1U);
}

TEST_F(ManagerServiceTest, OtherOpsAreUnknown) {
  for (uint16_t op :
       {static_cast<uint16_t>(proto::OP_UNSPECIFIED), static_cast<uint16_t>(proto::OP_LOOKUP),
        static_cast<uint16_t>(proto::OP_WRITE_CHUNK), static_cast<uint16_t>(4),
        static_cast<uint16_t>(65535)}) {
    const RpcReply reply = service_->Handle({op, {}, {}});
    EXPECT_EQ(reply.status.code(), proto::STATUS_UNKNOWN_OP) << "op " << op;
  }
}

// The handler behind a real RpcServer, reached over TCP by an RpcChannel.
TEST_F(ManagerServiceTest, ServesOverRpc) {
  RpcServer server(service_->AsHandler());
  std::string bound;
  ASSERT_TRUE(server.Start("127.0.0.1:0", &bound).ok());
  IoThreads io;
  auto channel = RpcChannel::Create(io.io(), bound, milliseconds(5000));

  proto::RegisterServerRequest reg;
  reg.set_server_id(7);
  reg.set_address("127.0.0.1:7007");
  proto::RegisterServerReply registered;
  Status s = channel->Call(proto::OP_REGISTER_SERVER, reg, milliseconds(5000)).Decode(&registered);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(registered.map().epoch(), 2U);

  proto::HeartbeatRequest hb;
  hb.set_server_id(8);
  hb.set_address("127.0.0.1:7008");
  proto::HeartbeatReply beat;
  s = channel->Call(proto::OP_HEARTBEAT, hb, milliseconds(5000)).Decode(&beat);
  EXPECT_EQ(s.code(), proto::STATUS_NOT_FOUND);

  proto::GetClusterMapReply got;
  s = channel->Call(proto::OP_GET_CLUSTER_MAP, proto::GetClusterMapRequest(), milliseconds(5000))
          .Decode(&got);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(got.map().servers_size(), 1);
  EXPECT_EQ(got.map().servers(0).id(), 7U);

  proto::LookupRequest lookup;
  EXPECT_EQ(channel->Call(proto::OP_LOOKUP, lookup, milliseconds(5000)).status.code(),
            proto::STATUS_UNKNOWN_OP);
  channel->Close();
  server.Stop();
}

}  // namespace
}  // namespace sealfs::manager
