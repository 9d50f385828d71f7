// ServerService: the RpcHandler of sealfs-server. Decodes each request, runs it on the
// metadata or chunk store and encodes the reply; one function per op.
//
// A request about a record is served only by the head of the record's chain in this server's
// map (a server alone, over FixedPeers::OneServer, heads everything), and only while it holds
// its lease (lease.h); others are refused with STATUS_NOT_HEAD; it holds the record's
// KeyLocks stripe (shared to read, exclusive to write) while it runs. A write that is not
// idempotent (create, setattr, link and unlink steps, xattr changes) stores its reply under the
// request id in the same atomic write as the change, replicated with it: a retry of it, on this
// server or on the head that takes over, gets that reply and changes nothing. Any other write
// (chunk writes, truncations) is applied at most once per request id by this process
// (applied_requests.h), so that an attempt that comes late never lands after its retry. Operations
// across servers come as intents (OP_RUN_INTENT, intents.h), run by the head of their coordinator
// key.
//
// A request message that does not parse is answered STATUS_BAD_FRAME; an op this process does
// not serve (manager ops included) STATUS_UNKNOWN_OP. Never throws.
//
// Thread-safe: the stores are.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "chunk_store.h"
#include "intents.h"
#include "metadata_store.h"
#include "replicator.h"
#include "resync.h"
#include "rpc.h"
#include "server/applied_requests.h"
#include "server/lease.h"
#include "storage.h"

namespace rocksdb {
class WriteBatch;
}  // namespace rocksdb

namespace sealfs {

class ServerService {
 public:
  ServerService(Storage* storage, MetadataStore* metadata, ChunkStore* chunks,
                Replicator* replicator, Resync* resync = nullptr)
      : storage_(storage),
        metadata_(metadata),
        chunks_(chunks),
        replicator_(replicator),
        resync_(resync) {}

  RpcReply Handle(const RpcRequest& request);
  // Set once, before serving; without it OP_RUN_INTENT is not served.
  void set_intents(IntentRunner* intents) { intents_ = intents; }
  // Set once, before serving; without it (tests of the stores) no lease is needed.
  void set_lease(const Lease* lease) { lease_ = lease; }
  // Serves a request on the calling thread (the RPC server's I/O thread, saving two thread hops)
  // when it never waits for another server and need not wait for a lock: replicated batches from
  // a head (so that a head waiting for its replicas never waits behind requests that wait for
  // it), the reads of records no write holds (LOOKUP, GET_ATTR, READ_CHUNK: a chunk is a pread
  // from the page cache), and, on a single-copy cluster, the writes of such records (CREATE,
  // SET_ATTR, INSERT_DENTRY, REMOVE_DENTRY, WRITE_CHUNK) when they need no sync. nullopt: the
  // request goes to the worker pool (Handle), as everything that may wait for a key lock, a
  // sync of the disk or replicas.
  std::optional<RpcReply> ServeWithoutWaiting(const RpcRequest& request);

  // These two do not look at the lease: they serve requests whose lease was checked at their
  // start. True when this server is the head of `placement_key` in its map.
  [[nodiscard]] bool IsHead(std::string_view placement_key) const;
  // True when this server heads both keys and they are placed alike (Placement::PlacedAlike), so
  // that a write of both reaches every copy as one piece and no later head holds one without
  // the other.
  [[nodiscard]] bool HeadsBothPlacedAlike(std::string_view first, std::string_view second) const;

  RpcHandler AsHandler() {
    return [this](const RpcRequest& request) { return Handle(request); };
  }

 private:
  // Refuses (STATUS_NOT_HEAD) unless this server heads every key in its map and holds its lease.
  [[nodiscard]] Status CheckHead(const std::vector<std::string>& keys) const;
  // Runs `serve` as the head of `keys` (see above), under their shared key locks.
  RpcReply ReadAsHead(const std::vector<std::string>& keys, const std::function<RpcReply()>& serve);
  // ReadAsHead unless a write holds one of the locks (nullopt then); with may_wait, ReadAsHead.
  std::optional<RpcReply> ReadAsHeadIfFree(const std::vector<std::string>& keys,
                                           const std::function<RpcReply()>& serve, bool may_wait);
  // The head's write: under the exclusive key locks of `keys` (every key `decide` may touch; all
  // of them when empty), `decide` fills `reply` and the batch from the records as they are, and
  // the batch is committed through the Replicator, down every copy, in one call. A recorded
  // write stores `reply` with it under the request id and keys.front(), which must be the same
  // in every retry; an unrecorded one is applied at most once per request id (AppliedRequests).
  enum class Write { kUnrecorded, kRecorded };
  using Decide = std::function<Status(rocksdb::WriteBatch* batch)>;
  RpcReply WriteAsHead(const RpcRequest& request, const std::vector<std::string>& keys, Write kind,
                       const google::protobuf::MessageLite& reply, bool sync, const Decide& decide);
  // WriteAsHead, or with !may_wait, nullopt (nothing applied) unless the write needs neither a
  // lock a write holds, nor a copy, nor a sync.
  std::optional<RpcReply> WriteAsHeadIfFree(const RpcRequest& request,
                                            const std::vector<std::string>& keys, Write kind,
                                            const google::protobuf::MessageLite& reply, bool sync,
                                            const Decide& decide, bool may_wait);
  // A truncation or deletion of chunks, sent to every server at `sender_epoch`: `change` fills
  // the batch with the changes of the chunks `served` says this server heads (server_service.cc).
  using ChangeChunks =
      std::function<Status(const ChunkStore::ChunkFilter& served, rocksdb::WriteBatch* batch)>;
  RpcReply ChangeServedChunks(const RpcRequest& request, uint64_t sender_epoch,
                              const ChangeChunks& change);
  [[nodiscard]] bool MetadataSync() const { return storage_->options().sync_metadata_writes; }
  // For requests sent to every server, each serving the records it heads: STATUS_STALE_MAP
  // unless the sender's epoch is ours. `checked` (optional): that map, by which the request
  // judges which records it heads. Had a later map judged them, one that moved a record's head
  // between the servers' checks would leave it served by neither, and the request answered
  // as done.
  [[nodiscard]] Status CheckEpoch(uint64_t sender_epoch,
                                  std::shared_ptr<const MapSnapshot>* checked = nullptr) const;

  RpcReply Dispatch(const RpcRequest& request);
  std::optional<RpcReply> Lookup(const RpcRequest& request, bool may_wait);
  std::optional<RpcReply> Create(const RpcRequest& request, bool may_wait);
  std::optional<RpcReply> GetAttr(const RpcRequest& request, bool may_wait);
  std::optional<RpcReply> SetAttr(const RpcRequest& request, bool may_wait);
  std::optional<RpcReply> InsertDentry(const RpcRequest& request, bool may_wait);
  std::optional<RpcReply> RemoveDentry(const RpcRequest& request, bool may_wait);
  RpcReply ReadDir(const RpcRequest& request);
  RpcReply SetXattr(const RpcRequest& request);
  RpcReply GetXattr(const RpcRequest& request);
  RpcReply ListXattr(const RpcRequest& request);
  RpcReply RemoveXattr(const RpcRequest& request);
  std::optional<RpcReply> WriteChunk(const RpcRequest& request, bool may_wait);
  std::optional<RpcReply> ReadChunk(const RpcRequest& request, bool may_wait);
  RpcReply TruncateChunks(const RpcRequest& request);
  RpcReply DeleteChunks(const RpcRequest& request);
  std::optional<RpcReply> DeleteChunk(const RpcRequest& request, bool may_wait);
  RpcReply Sync(const RpcRequest& request);
  RpcReply StatFs(const RpcRequest& request);
  RpcReply Replicate(const RpcRequest& request);
  RpcReply GetClusterMap(const RpcRequest& request);
  RpcReply SyncCheck(const RpcRequest& request);
  RpcReply RunIntent(const RpcRequest& request);

  Storage* const storage_;
  MetadataStore* const metadata_;
  ChunkStore* const chunks_;
  Replicator* const replicator_;
  Resync* const resync_;
  IntentRunner* intents_ = nullptr;
  const Lease* lease_ = nullptr;
  AppliedRequests applied_;
  // True when this server may act as a head on `map` now: it holds its lease.
  [[nodiscard]] bool HoldsLease(const MapSnapshot& map) const;
};

}  // namespace sealfs
