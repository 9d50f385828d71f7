#include "server_service.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "server/fixed_peers.h"
#include "test_util.h"

namespace sealfs {
namespace {

class ServerServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = OpenTestStorage(dir_.path());
    ASSERT_NE(storage_, nullptr);
    metadata_ = std::make_unique<MetadataStore>(storage_.get());
    chunks_ = std::make_unique<ChunkStore>(storage_.get());
    replicator_ = std::make_unique<Replicator>(storage_.get(), peers_.get());
    service_ = std::make_unique<ServerService>(storage_.get(), metadata_.get(), chunks_.get(),
                                               replicator_.get());
  }

  RpcReply Call(proto::Op op, const google::protobuf::MessageLite& request,
                std::string_view payload = {}, uint64_t request_id = 0) {
    message_ = request.SerializeAsString();
    RpcRequest raw;
    raw.op = static_cast<uint16_t>(op);
    raw.message = message_;
    raw.payload = payload;
    raw.request_id = request_id;
    return service_->Handle(raw);
  }

  // A CREATE of a regular file `name` in `parent` with inode `ino`.
  static proto::CreateRequest FileCreate(uint64_t parent, const std::string& name, uint64_t ino) {
    proto::CreateRequest create;
    create.set_parent(parent);
    create.set_name(name);
    create.mutable_attr()->set_ino(ino);
    create.mutable_attr()->set_mode(S_IFREG | 0600);
    create.mutable_attr()->set_chunk_size(1U << 20);
    return create;
  }

  RpcReply CallRaw(uint16_t op, std::string_view message) {
    RpcRequest raw;
    raw.op = op;
    raw.message = message;
    return service_->Handle(raw);
  }

  TempDir dir_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<MetadataStore> metadata_;
  std::unique_ptr<ChunkStore> chunks_;
  std::unique_ptr<FixedPeers> peers_ = FixedPeers::OneServer(1);
  std::unique_ptr<Replicator> replicator_;
  std::unique_ptr<ServerService> service_;
  std::string message_;
};

TEST_F(ServerServiceTest, CreateLookupStatFs) {
  proto::CreateRequest create = FileCreate(1, "f", 42);
  RpcReply reply = Call(proto::OP_CREATE, create);
  ASSERT_TRUE(reply.status.ok()) << reply.status.ToString();
  proto::CreateReply created;
  ASSERT_TRUE(created.ParseFromString(reply.message));
  EXPECT_TRUE(created.created());

  reply = Call(proto::OP_CREATE, create);
  create.set_exclusive(true);
  EXPECT_EQ(Call(proto::OP_CREATE, create).status.code(), proto::STATUS_EXISTS);

  proto::LookupRequest lookup;
  lookup.set_parent(1);
  lookup.set_name("f");
  reply = Call(proto::OP_LOOKUP, lookup);
  ASSERT_TRUE(reply.status.ok());
  proto::LookupReply found;
  ASSERT_TRUE(found.ParseFromString(reply.message));
  EXPECT_EQ(found.entry().ino(), 42U);
  EXPECT_EQ(found.attr().mode(), static_cast<uint32_t>(S_IFREG | 0600));

  reply = Call(proto::OP_STAT_FS, proto::StatFsRequest());
  ASSERT_TRUE(reply.status.ok());
  proto::StatFsReply stat;
  ASSERT_TRUE(stat.ParseFromString(reply.message));
  EXPECT_EQ(stat.inodes(), 1U);
  EXPECT_GT(stat.total_bytes(), 0U);
}

// A read served on the I/O thread must never wait there: while a write holds its record's key
// lock it is handed to the worker pool (nullopt), and answered on the spot once the lock is free.
TEST_F(ServerServiceTest, AReadOfARecordAWriteHoldsIsNotServedWithoutWaiting) {
  proto::CreateRequest create = FileCreate(1, "f", 42);
  ASSERT_TRUE(Call(proto::OP_CREATE, create).status.ok());
  proto::LookupRequest lookup;
  lookup.set_parent(1);
  lookup.set_name("f");
  proto::GetAttrRequest getattr;
  getattr.set_ino(42);
  const std::string lookup_bytes = lookup.SerializeAsString();
  const std::string getattr_bytes = getattr.SerializeAsString();
  const RpcRequest lookup_request{proto::OP_LOOKUP, lookup_bytes, {}, 0};
  const RpcRequest getattr_request{proto::OP_GET_ATTR, getattr_bytes, {}, 0};
  {
    KeyLocks::Guard write(&replicator_->locks(),
                          {DentryPlacementKey(1, "f"), InodePlacementKey(42)}, /*exclusive=*/true);
    EXPECT_FALSE(service_->ServeWithoutWaiting(lookup_request).has_value());
    EXPECT_FALSE(service_->ServeWithoutWaiting(getattr_request).has_value());
  }
  std::optional<RpcReply> found = service_->ServeWithoutWaiting(lookup_request);
  ASSERT_TRUE(found.has_value());
  proto::LookupReply reply;
  ASSERT_TRUE(found->status.ok() && reply.ParseFromString(found->message));
  EXPECT_EQ(reply.entry().ino(), 42U);
  EXPECT_TRUE(service_->ServeWithoutWaiting(getattr_request).has_value());
}

// On a single-copy cluster a write needs nobody else: it is served on the I/O thread, unless a
// write holds its lock or it must be synced.
TEST_F(ServerServiceTest, ASingleCopyMetadataWriteIsServedWithoutWaitingWhenItsLockIsFree) {
  proto::CreateRequest create = FileCreate(1, "g", 43);
  const std::string bytes = create.SerializeAsString();
  const RpcRequest request{proto::OP_CREATE, bytes, {}, 7};
  {
    KeyLocks::Guard write(&replicator_->locks(), {DentryPlacementKey(1, "g")}, /*exclusive=*/true);
    EXPECT_FALSE(service_->ServeWithoutWaiting(request).has_value());
  }
  std::optional<RpcReply> served = service_->ServeWithoutWaiting(request);
  ASSERT_TRUE(served.has_value());
  proto::CreateReply created;
  ASSERT_TRUE(served->status.ok() && created.ParseFromString(served->message));
  EXPECT_TRUE(created.created());
  proto::LookupRequest lookup;
  lookup.set_parent(1);
  lookup.set_name("g");
  EXPECT_TRUE(Call(proto::OP_LOOKUP, lookup).status.ok()) << "the create was applied";
  // Chunks too; a synced write waits for the disk on a worker.
  proto::WriteChunkRequest chunk;
  chunk.set_ino(43);
  chunk.set_sync(true);
  const std::string synced_bytes = chunk.SerializeAsString();
  EXPECT_FALSE(
      service_->ServeWithoutWaiting(RpcRequest{proto::OP_WRITE_CHUNK, synced_bytes, "y", 8}));
  chunk.set_sync(false);
  const std::string chunk_bytes = chunk.SerializeAsString();
  std::optional<RpcReply> written =
      service_->ServeWithoutWaiting(RpcRequest{proto::OP_WRITE_CHUNK, chunk_bytes, "x", 9});
  ASSERT_TRUE(written.has_value());
  EXPECT_TRUE(written->status.ok());
  proto::ReadChunkRequest read;
  read.set_ino(43);
  read.set_length(10);
  const std::string read_bytes = read.SerializeAsString();
  const RpcRequest read_request{proto::OP_READ_CHUNK, read_bytes, {}, 0};
  {
    KeyLocks::Guard write(&replicator_->locks(), {ChunkPlacementKey(43, 0)}, /*exclusive=*/true);
    EXPECT_FALSE(service_->ServeWithoutWaiting(read_request).has_value());
  }
  std::optional<RpcReply> read_back = service_->ServeWithoutWaiting(read_request);
  ASSERT_TRUE(read_back.has_value());
  EXPECT_EQ(read_back->payload, "x");
}

TEST_F(ServerServiceTest, ChunkAndXattrPayloads) {
  proto::WriteChunkRequest write;
  write.set_ino(5);
  write.set_index(3);
  write.set_offset(2);
  write.set_sync(true);
  ASSERT_TRUE(Call(proto::OP_WRITE_CHUNK, write, "data").status.ok());
  proto::ReadChunkRequest read;
  read.set_ino(5);
  read.set_index(3);
  read.set_length(100);
  RpcReply reply = Call(proto::OP_READ_CHUNK, read);
  ASSERT_TRUE(reply.status.ok());
  EXPECT_EQ(reply.payload, std::string(2, '\0') + "data");

  proto::TruncateChunksRequest truncate;
  truncate.set_ino(5);
  ASSERT_TRUE(Call(proto::OP_TRUNCATE_CHUNKS, truncate).status.ok());
  EXPECT_EQ(Call(proto::OP_READ_CHUNK, read).payload, "");
  ASSERT_TRUE(Call(proto::OP_SYNC, proto::SyncRequest()).status.ok());

  proto::CreateRequest create = FileCreate(1, "x", 9);
  ASSERT_TRUE(Call(proto::OP_CREATE, create).status.ok());
  proto::SetXattrRequest set;
  set.set_ino(9);
  set.set_name("user.k");
  ASSERT_TRUE(Call(proto::OP_SET_XATTR, set, "value").status.ok());
  proto::GetXattrRequest get;
  get.set_ino(9);
  get.set_name("user.k");
  reply = Call(proto::OP_GET_XATTR, get);
  ASSERT_TRUE(reply.status.ok());
  EXPECT_EQ(reply.payload, "value");
  get.set_name("user.none");
  EXPECT_EQ(Call(proto::OP_GET_XATTR, get).status.code(), proto::STATUS_NO_DATA);
}

// The first attempt of a write may be served after its retry (same request id) and after a
// later write the client made once the retry was acknowledged (it waited in a socket or a
// queue): it is answered without being applied, so that the later write stays.
TEST_F(ServerServiceTest, AnAttemptThatComesLateNeverLandsAfterItsRetryAndALaterWrite) {
  proto::WriteChunkRequest write;
  write.set_ino(5);
  write.set_index(0);
  proto::ReadChunkRequest read;
  read.set_ino(5);
  read.set_index(0);
  read.set_length(100);
  ASSERT_TRUE(Call(proto::OP_WRITE_CHUNK, write, "old", /*request_id=*/11).status.ok());
  ASSERT_TRUE(Call(proto::OP_WRITE_CHUNK, write, "new", 12).status.ok());
  EXPECT_TRUE(Call(proto::OP_WRITE_CHUNK, write, "old", 11).status.ok());
  EXPECT_EQ(Call(proto::OP_READ_CHUNK, read).payload, "new");

  proto::TruncateChunksRequest truncate;
  truncate.set_ino(5);
  ASSERT_TRUE(Call(proto::OP_TRUNCATE_CHUNKS, truncate, {}, 13).status.ok());
  ASSERT_TRUE(Call(proto::OP_WRITE_CHUNK, write, "written after the truncation", 14).status.ok());
  EXPECT_TRUE(Call(proto::OP_TRUNCATE_CHUNKS, truncate, {}, 13).status.ok());
  EXPECT_EQ(Call(proto::OP_READ_CHUNK, read).payload, "written after the truncation");

  proto::DeleteChunksRequest punch;
  punch.set_ino(5);
  punch.set_end_index(1);
  ASSERT_TRUE(Call(proto::OP_DELETE_CHUNKS, punch, {}, 15).status.ok());
  ASSERT_TRUE(Call(proto::OP_WRITE_CHUNK, write, "refilled", 16).status.ok());
  EXPECT_TRUE(Call(proto::OP_DELETE_CHUNKS, punch, {}, 15).status.ok());
  EXPECT_EQ(Call(proto::OP_READ_CHUNK, read).payload, "refilled");

  proto::DeleteChunkRequest gone;
  gone.set_ino(5);
  gone.set_index(0);
  ASSERT_TRUE(Call(proto::OP_DELETE_CHUNK, gone).status.ok());
  EXPECT_EQ(Call(proto::OP_READ_CHUNK, read).payload, "");
  EXPECT_TRUE(Call(proto::OP_DELETE_CHUNK, gone).status.ok()) << "a chunk already gone";
  gone.set_index(UINT64_MAX);
  EXPECT_EQ(Call(proto::OP_DELETE_CHUNK, gone).status.code(), proto::STATUS_INVALID);
}

// Forgotten after kKeepFor, and the oldest first beyond kMaxIds.
TEST(AppliedRequestsTest, KeepsIdsForAWhileAndABoundedNumber) {
  AppliedRequests applied;
  const auto start = AppliedRequests::Clock::now();
  applied.Add(1, start);
  applied.Add(2, start + std::chrono::minutes(5));
  EXPECT_TRUE(applied.Contains(1));
  applied.Add(3, start + AppliedRequests::kKeepFor + std::chrono::seconds(1));
  EXPECT_FALSE(applied.Contains(1));
  EXPECT_TRUE(applied.Contains(2));
  EXPECT_TRUE(applied.Contains(3));
  for (uint64_t id = 100; id < 100 + AppliedRequests::kMaxIds; ++id)
    applied.Add(id, start + std::chrono::minutes(6));
  EXPECT_FALSE(applied.Contains(2));
  EXPECT_TRUE(applied.Contains(100 + AppliedRequests::kMaxIds - 1));
}

// The compare-and-set of an entry is one step with its write: the handler decides and commits
// under the entry's exclusive key lock.
TEST_F(ServerServiceTest, InsertDentryRaceHasOneWinner) {
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (int i = 1; i <= 8; ++i) {
    threads.emplace_back([&, i] {
      proto::InsertDentryRequest insert;
      insert.set_parent(1);
      insert.set_name("race");
      insert.mutable_entry()->set_ino(1000 + i);
      insert.mutable_entry()->set_type(S_IFREG);
      RpcRequest raw;
      raw.op = proto::OP_INSERT_DENTRY;
      const std::string message = insert.SerializeAsString();
      raw.message = message;
      if (service_->Handle(raw).status.ok()) ++winners;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(winners.load(), 1);
}

TEST_F(ServerServiceTest, BadMessagesAreBadFrame) {
  const std::string garbage("\xff\xff\xff\xff", 4);
  for (proto::Op op :
       {proto::OP_LOOKUP, proto::OP_CREATE, proto::OP_GET_ATTR, proto::OP_SET_ATTR,
        proto::OP_INSERT_DENTRY, proto::OP_REMOVE_DENTRY, proto::OP_READ_DIR, proto::OP_SET_XATTR,
        proto::OP_GET_XATTR, proto::OP_LIST_XATTR, proto::OP_REMOVE_XATTR, proto::OP_WRITE_CHUNK,
        proto::OP_READ_CHUNK, proto::OP_TRUNCATE_CHUNKS, proto::OP_DELETE_CHUNKS,
        proto::OP_DELETE_CHUNK, proto::OP_SYNC, proto::OP_STAT_FS}) {
    EXPECT_EQ(CallRaw(op, garbage).status.code(), proto::STATUS_BAD_FRAME) << op;
  }
}

TEST_F(ServerServiceTest, UnknownAndManagerOps) {
  // 3 (the map) is a manager op servers answer too; 21 (intents) needs an IntentRunner.
  for (uint16_t op : {0, 1, 2, 9, 21, 29, 37, 999, 65535}) {
    EXPECT_EQ(CallRaw(op, "").status.code(), proto::STATUS_UNKNOWN_OP) << op;
  }
}

TEST_F(ServerServiceTest, EmptyMessagesNeverCrash) {
  for (uint16_t op = 0; op < 64; ++op) {
    RpcReply reply = CallRaw(op, "");
    EXPECT_NE(reply.status.code(), proto::STATUS_IO_ERROR) << op << reply.status.ToString();
  }
}

// The service behind a real RpcServer, reached through an RpcChannel.
TEST_F(ServerServiceTest, OverTheWire) {
  RpcServer server(service_->AsHandler());
  std::string bound;
  ASSERT_TRUE(server.Start("127.0.0.1:0", &bound).ok());
  IoThreads io;
  auto channel = RpcChannel::Create(io.io(), bound, std::chrono::milliseconds(2000));
  proto::WriteChunkRequest write;
  write.set_ino(1);
  RpcResult result =
      channel->Call(proto::OP_WRITE_CHUNK, write, std::chrono::milliseconds(5000), "wire");
  ASSERT_TRUE(result.status.ok()) << result.status.ToString();
  proto::ReadChunkRequest read;
  read.set_ino(1);
  read.set_length(10);
  result = channel->Call(proto::OP_READ_CHUNK, read, std::chrono::milliseconds(5000));
  ASSERT_TRUE(result.status.ok());
  EXPECT_EQ(result.payload, "wire");
  result = channel->Call(proto::OP_HEARTBEAT, proto::HeartbeatRequest(),
                         std::chrono::milliseconds(5000));
  EXPECT_EQ(result.status.code(), proto::STATUS_UNKNOWN_OP);
  channel->Close();
  server.Stop();
}

}  // namespace
}  // namespace sealfs
