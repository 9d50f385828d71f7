// A test fixture of several servers in one process, for the unit tests of the replication core
// (as 3FS tests its storage sync): each server has its own RocksDB in a temp dir, stores,
// Replicator, passes (Resync, not started unless a test starts them), IntentRunner (its sweeper
// not started), FixedPeers and ServerService (no lease); a call between them goes straight to
// the other server's ServerService::Handle. The test sets each server's map when a rule needs
// it, and can run code before a call is delivered (change a map, fail the call, write as
// another head).
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "chunk_store.h"
#include "intents.h"
#include "key_encoding.h"
#include "metadata_store.h"
#include "replicator.h"
#include "resync.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "server/fixed_peers.h"
#include "server_service.h"
#include "test_util.h"

namespace sealfs {

inline constexpr uint32_t kTestGroups = 64;

struct InProcessServer {
  explicit InProcessServer(ServerId server_id) : id(server_id), peers(server_id) {
    storage = OpenTestStorage(dir.path());
    metadata = std::make_unique<MetadataStore>(storage.get());
    chunks = std::make_unique<ChunkStore>(storage.get());
    replicator = std::make_unique<Replicator>(storage.get(), &peers);
    resync = std::make_unique<Resync>(storage.get(), replicator.get(),
                                      std::chrono::milliseconds(3600 * 1000));
    service = std::make_unique<ServerService>(storage.get(), metadata.get(), chunks.get(),
                                              replicator.get(), resync.get());
    intents = std::make_unique<IntentRunner>(
        storage.get(), replicator.get(),
        [this](const RpcRequest& request) { return service->Handle(request); },
        std::chrono::milliseconds(0));
    service->set_intents(intents.get());
  }
  ~InProcessServer() {
    intents->Stop();
    resync->Stop();
  }
  InProcessServer(const InProcessServer&) = delete;
  InProcessServer& operator=(const InProcessServer&) = delete;

  // A request to this server as it comes off the wire.
  RpcReply Handle(uint16_t op, const google::protobuf::MessageLite& message,
                  uint64_t request_id = 0) {
    const std::string bytes = message.SerializeAsString();
    RpcRequest request;
    request.op = op;
    request.message = bytes;
    request.request_id = request_id;
    return service->Handle(request);
  }

  ServerId id;
  TempDir dir;
  std::unique_ptr<Storage> storage;
  std::unique_ptr<MetadataStore> metadata;
  std::unique_ptr<ChunkStore> chunks;
  FixedPeers peers;
  std::unique_ptr<Replicator> replicator;
  std::unique_ptr<Resync> resync;
  std::unique_ptr<ServerService> service;
  std::unique_ptr<IntentRunner> intents;
};

class InProcessServers : public ::testing::Test {
 protected:
  void SetUp() override {
    for (ServerId id : {0xa1, 0xa2, 0xa3, 0xa4}) {
      servers_.push_back(std::make_unique<InProcessServer>(id));
    }
    for (auto& from : servers_) {
      for (auto& to : servers_) {
        if (from == to) continue;
        from->peers.Connect(
            to->id, [this, target = to.get()](uint16_t op, std::string_view message,
                                              std::string_view payload, uint64_t request_id) {
              return Deliver(*target, op, message, payload, request_id);
            });
      }
    }
  }

  // Every server UP and complete.
  proto::ClusterMap Map(uint64_t epoch, uint32_t replicas, uint32_t min_copies = 1) const {
    proto::ClusterMap map;
    map.set_epoch(epoch);
    map.set_replicas(replicas);
    map.set_min_copies(min_copies);
    map.set_placement_groups(kTestGroups);
    for (const auto& server : servers_) {
      proto::ServerInfo* info = map.add_servers();
      info->set_id(server->id);
      info->set_address(fmt::format("in-process:{:x}", server->id));
      info->set_state(proto::SERVER_UP);
    }
    return map;
  }
  // The next map: `server` DOWN.
  static proto::ClusterMap WithDown(const proto::ClusterMap& map, ServerId server) {
    proto::ClusterMap next = map;
    next.set_epoch(map.epoch() + 1);
    Info(&next, server)->set_state(proto::SERVER_DOWN);
    return next;
  }
  static proto::ServerInfo* Info(proto::ClusterMap* map, ServerId id) {
    for (auto& server : *map->mutable_servers()) {
      if (server.id() == id) return &server;
    }
    throw std::runtime_error("no such server in the map");
  }
  void SetMapEverywhere(const proto::ClusterMap& map) {
    for (auto& server : servers_) server->peers.SetMap(map);
  }
  InProcessServer& ServerOf(ServerId id) {
    for (auto& server : servers_) {
      if (server->id == id) return *server;
    }
    throw std::runtime_error("no such server");
  }
  // The chain of inode `ino`'s records in `map`, head first.
  std::vector<InProcessServer*> ChainOf(const proto::ClusterMap& map, uint64_t ino) {
    std::vector<InProcessServer*> chain;
    for (ServerId id : Placement(map).Chain(InodePlacementKey(ino))) {
      chain.push_back(&ServerOf(id));
    }
    return chain;
  }
  InProcessServer* Outside(const std::vector<InProcessServer*>& chain) {
    for (auto& server : servers_) {
      if (std::find(chain.begin(), chain.end(), server.get()) == chain.end()) return server.get();
    }
    return nullptr;
  }
  static uint32_t GroupOfInode(uint64_t ino) {
    return PlacementGroupOf(InodePlacementKey(ino), kTestGroups);
  }

  // Runs `hook` before the next call to `target` is delivered; its failure is the call's.
  void BeforeCallTo(const InProcessServer& target, std::function<Status()> hook) {
    std::lock_guard lock(mutex_);
    hooks_[target.id] = std::move(hook);
  }

  // The next call to a server, held on its way until the test releases it.
  struct HeldCall {
    std::promise<void> arrived;
    std::promise<void> released;
  };
  std::shared_ptr<HeldCall> HoldNextCallTo(const InProcessServer& target) {
    auto held = std::make_shared<HeldCall>();
    BeforeCallTo(target, [held, go = held->released.get_future().share()] {
      held->arrived.set_value();
      go.wait();
      return Status::Ok();
    });
    return held;
  }

  RpcResult Deliver(InProcessServer& target, uint16_t op, std::string_view message,
                    std::string_view payload, uint64_t request_id) {
    std::function<Status()> hook;
    {
      std::lock_guard lock(mutex_);
      auto it = hooks_.find(target.id);
      if (it != hooks_.end()) {
        hook = std::move(it->second);
        hooks_.erase(it);
      }
    }
    if (hook) {
      Status status = hook();
      if (!status.ok()) return RpcResult{status, {}, {}};
    }
    RpcRequest request;
    request.op = op;
    request.message = message;
    request.payload = payload;
    request.request_id = request_id;
    RpcReply reply = target.service->Handle(request);
    return RpcResult{reply.status, std::move(reply.message), std::move(reply.payload)};
  }

  // Inode records: a write as a request handler makes it (under the record's exclusive key
  // lock, through the replicator), one applied to a single server's database only, and a read.
  static rocksdb::WriteBatch InodeBatch(const InProcessServer& server, uint64_t ino,
                                        const std::string& value) {
    rocksdb::WriteBatch batch;
    EXPECT_TRUE(batch.Put(server.storage->inodes(), keys::InodeKey(ino), value).ok());
    return batch;
  }
  static Status Write(InProcessServer& head, uint64_t ino, const std::string& value) {
    KeyLocks::Guard guard(&head.replicator->locks(), {InodePlacementKey(ino)}, /*exclusive=*/true);
    rocksdb::WriteBatch batch = InodeBatch(head, ino, value);
    return head.replicator->Commit(&batch, /*sync=*/false);
  }
  static void WriteHereOnly(InProcessServer& server, uint64_t ino, const std::string& value) {
    rocksdb::WriteBatch batch = InodeBatch(server, ino, value);
    ASSERT_TRUE(server.storage->WriteLocal(&batch, /*sync=*/false).ok());
  }
  static std::optional<std::string> Read(const InProcessServer& server, uint64_t ino) {
    std::string value;
    rocksdb::Status status = server.storage->Get(Storage::kInodes, keys::InodeKey(ino), &value);
    if (status.IsNotFound()) return std::nullopt;
    EXPECT_TRUE(status.ok()) << status.ToString();
    return value;
  }

  std::vector<std::unique_ptr<InProcessServer>> servers_;
  std::mutex mutex_;
  std::map<ServerId, std::function<Status()>> hooks_;  // GUARDED_BY(mutex_)
};

}  // namespace sealfs
