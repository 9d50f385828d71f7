#include "server_service.h"

#include <exception>
#include <optional>

#include "key_encoding.h"
#include "placement.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "spdlog/spdlog.h"

namespace sealfs {

namespace {

RpcReply BadFrame(const RpcRequest& request) {
  return MakeErrorReply(
      {proto::STATUS_BAD_FRAME, "request of op " + std::to_string(request.op) + " does not parse"});
}

// The reply for a store call that fills `reply`.
template <typename Reply>
RpcReply Finish(const Status& status, const Reply& reply, std::string payload = {}) {
  if (!status.ok()) return MakeErrorReply(status);
  return MakeReply(reply, std::move(payload));
}

}  // namespace

RpcReply ServerService::Handle(const RpcRequest& request) {
  try {
    return Dispatch(request);
  } catch (const std::exception& e) {
    spdlog::error("op {} failed: {}", request.op, e.what());
    return MakeErrorReply(Status::IoError(e.what()));
  }
}

std::optional<RpcReply> ServerService::ServeWithoutWaiting(const RpcRequest& request) {
  try {
    switch (request.op) {
      case proto::OP_REPLICATE:
        return Replicate(request);
      case proto::OP_LOOKUP:
        return Lookup(request, /*may_wait=*/false);
      case proto::OP_GET_ATTR:
        return GetAttr(request, /*may_wait=*/false);
      case proto::OP_READ_CHUNK:
        return ReadChunk(request, /*may_wait=*/false);
      case proto::OP_WRITE_CHUNK:
        return WriteChunk(request, /*may_wait=*/false);
      case proto::OP_DELETE_CHUNK:
        return DeleteChunk(request, /*may_wait=*/false);
      case proto::OP_CREATE:
        return Create(request, /*may_wait=*/false);
      case proto::OP_SET_ATTR:
        return SetAttr(request, /*may_wait=*/false);
      case proto::OP_INSERT_DENTRY:
        return InsertDentry(request, /*may_wait=*/false);
      case proto::OP_REMOVE_DENTRY:
        return RemoveDentry(request, /*may_wait=*/false);
      default:
        return std::nullopt;
    }
  } catch (const std::exception& e) {
    spdlog::error("op {} failed: {}", request.op, e.what());
    return MakeErrorReply(Status::IoError(e.what()));
  }
}

bool ServerService::HoldsLease(const MapSnapshot& map) const {
  return lease_ == nullptr ||
         lease_->Holds(Lease::Clock::now(), Lease::DurationFor(map.map.heartbeat_timeout_ms()),
                       map.epoch());
}

bool ServerService::IsHead(std::string_view placement_key) const {
  auto map = replicator_->peers().snapshot();
  return map && map->placement.IsHead(placement_key, replicator_->peers().self());
}

bool ServerService::HeadsBothPlacedAlike(std::string_view first, std::string_view second) const {
  auto map = replicator_->peers().snapshot();
  return map && map->placement.IsHead(first, replicator_->peers().self()) &&
         map->placement.PlacedAlike(first, second);
}

Status ServerService::CheckEpoch(uint64_t sender_epoch,
                                 std::shared_ptr<const MapSnapshot>* checked) const {
  auto map = replicator_->peers().snapshot();
  const uint64_t epoch = map ? map->epoch() : 0;
  if (checked != nullptr) *checked = map;
  if (sender_epoch == 0 || sender_epoch == epoch) return Status::Ok();
  if (sender_epoch > epoch) replicator_->peers().NoteEpoch(sender_epoch);
  return {proto::STATUS_STALE_MAP,
          fmt::format("request for map epoch {}, this server is at {}", sender_epoch, epoch)};
}

Status ServerService::CheckHead(const std::vector<std::string>& keys) const {
  auto map = replicator_->peers().snapshot();
  if (!map) return {proto::STATUS_NOT_HEAD, "no cluster map yet"};
  if (!HoldsLease(*map)) {
    return {proto::STATUS_NOT_HEAD,
            "no lease: the manager has not confirmed this server's role lately"};
  }
  for (const std::string& key : keys) {
    if (!map->placement.IsHead(key, replicator_->peers().self())) {
      return {proto::STATUS_NOT_HEAD, fmt::format("not the head at epoch {}", map->epoch())};
    }
  }
  return Status::Ok();
}

RpcReply ServerService::ReadAsHead(const std::vector<std::string>& keys,
                                   const std::function<RpcReply()>& serve) {
  Status head = CheckHead(keys);
  if (!head.ok()) return MakeErrorReply(head);
  KeyLocks::Guard guard(&replicator_->locks(), keys, /*exclusive=*/false);
  return serve();
}

std::optional<RpcReply> ServerService::ReadAsHeadIfFree(const std::vector<std::string>& keys,
                                                        const std::function<RpcReply()>& serve,
                                                        bool may_wait) {
  if (may_wait) return ReadAsHead(keys, serve);
  Status head = CheckHead(keys);
  if (!head.ok()) return MakeErrorReply(head);
  KeyLocks::Guard guard(&replicator_->locks(), keys, /*exclusive=*/false, std::try_to_lock);
  if (!guard.owns_locks()) return std::nullopt;
  return serve();
}

RpcReply ServerService::WriteAsHead(const RpcRequest& request, const std::vector<std::string>& keys,
                                    Write kind, const google::protobuf::MessageLite& reply,
                                    bool sync, const Decide& decide) {
  return *WriteAsHeadIfFree(request, keys, kind, reply, sync, decide, /*may_wait=*/true);
}

std::optional<RpcReply> ServerService::WriteAsHeadIfFree(
    const RpcRequest& request, const std::vector<std::string>& keys, Write kind,
    const google::protobuf::MessageLite& reply, bool sync, const Decide& decide, bool may_wait) {
  if (!may_wait && (sync || replicator_->replicating())) return std::nullopt;
  Status status = CheckHead(keys);
  if (!status.ok()) return MakeErrorReply(status);
  std::optional<KeyLocks::Guard> guard;
  if (may_wait) {
    guard.emplace(&replicator_->locks(), keys, /*exclusive=*/true);
  } else {
    guard.emplace(&replicator_->locks(), keys, /*exclusive=*/true, std::try_to_lock);
    if (!guard->owns_locks()) return std::nullopt;
  }
  std::optional<RecordedReply> recorded;
  if (request.request_id != 0 && kind == Write::kUnrecorded &&
      applied_.Contains(request.request_id)) {
    spdlog::debug("request {:016x} (op {}) was applied already", request.request_id, request.op);
    return MakeReply(reply);
  }
  if (request.request_id != 0 && kind == Write::kRecorded && !keys.empty()) {
    std::string request_key = keys::RequestKey(request.request_id, keys.front());
    std::string found;
    if (FindRecordedReply(*storage_, request_key, &found)) {
      spdlog::debug("request {:016x} (op {}) answered from its record", request.request_id,
                    request.op);
      return RpcReply{Status::Ok(), std::move(found), {}};
    }
    recorded = RecordedReply{std::move(request_key), &reply};
  }
  rocksdb::WriteBatch batch;
  status = decide(&batch);
  // Nothing to change (a create that found its entry, a truncation of nothing here): nothing
  // to record either, as a retry decides the same.
  if (status.ok() && batch.Count() > 0) {
    const RecordedReply* record = recorded ? &*recorded : nullptr;
    if (may_wait) {
      status = replicator_->Commit(&batch, sync, record);
    } else {
      std::optional<Status> committed = replicator_->CommitWithoutCopies(&batch, sync, record);
      if (!committed) return std::nullopt;  // the map gained copies meanwhile
      status = *committed;
    }
  }
  spdlog::trace("request {:016x} (op {}): {}", request.request_id, request.op, status.ToString());
  if (!status.ok()) return MakeErrorReply(status);
  if (request.request_id != 0 && kind == Write::kUnrecorded) applied_.Add(request.request_id);
  return MakeReply(reply);
}

RpcReply ServerService::Dispatch(const RpcRequest& request) {
  switch (request.op) {
    case proto::OP_LOOKUP:
      return *Lookup(request, /*may_wait=*/true);
    case proto::OP_CREATE:
      return *Create(request, /*may_wait=*/true);
    case proto::OP_GET_ATTR:
      return *GetAttr(request, /*may_wait=*/true);
    case proto::OP_SET_ATTR:
      return *SetAttr(request, /*may_wait=*/true);
    case proto::OP_INSERT_DENTRY:
      return *InsertDentry(request, /*may_wait=*/true);
    case proto::OP_REMOVE_DENTRY:
      return *RemoveDentry(request, /*may_wait=*/true);
    case proto::OP_READ_DIR:
      return ReadDir(request);
    case proto::OP_SET_XATTR:
      return SetXattr(request);
    case proto::OP_GET_XATTR:
      return GetXattr(request);
    case proto::OP_LIST_XATTR:
      return ListXattr(request);
    case proto::OP_REMOVE_XATTR:
      return RemoveXattr(request);
    case proto::OP_WRITE_CHUNK:
      return *WriteChunk(request, /*may_wait=*/true);
    case proto::OP_READ_CHUNK:
      return *ReadChunk(request, /*may_wait=*/true);
    case proto::OP_TRUNCATE_CHUNKS:
      return TruncateChunks(request);
    case proto::OP_DELETE_CHUNKS:
      return DeleteChunks(request);
    case proto::OP_DELETE_CHUNK:
      return *DeleteChunk(request, /*may_wait=*/true);
    case proto::OP_SYNC:
      return Sync(request);
    case proto::OP_STAT_FS:
      return StatFs(request);
    case proto::OP_REPLICATE:
      return Replicate(request);
    case proto::OP_GET_CLUSTER_MAP:
      return GetClusterMap(request);
    case proto::OP_SYNC_CHECK:
      return SyncCheck(request);
    case proto::OP_RUN_INTENT:
      return RunIntent(request);
    default:
      return MakeErrorReply(
          {proto::STATUS_UNKNOWN_OP, "op " + std::to_string(request.op) + " is not served here"});
  }
}

std::optional<RpcReply> ServerService::Lookup(const RpcRequest& request, bool may_wait) {
  proto::LookupRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  proto::LookupReply out;
  return ReadAsHeadIfFree(
      {DentryPlacementKey(in.parent(), in.name())},
      [&] { return Finish(metadata_->Lookup(in, &out), out); }, may_wait);
}

std::optional<RpcReply> ServerService::Create(const RpcRequest& request, bool may_wait) {
  proto::CreateRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  proto::CreateReply out;
  // The entry's key first: the recorded reply is placed by it, and a retry of a create may come
  // with another inode number (drawn again for a new head), never with another name.
  std::vector<std::string> keys;
  if (in.parent() != 0) keys.push_back(DentryPlacementKey(in.parent(), in.name()));
  keys.push_back(InodePlacementKey(in.attr().ino()));
  return WriteAsHeadIfFree(
      request, keys, Write::kRecorded, out, MetadataSync(),
      [&](rocksdb::WriteBatch* batch) { return metadata_->Create(in, &out, batch); }, may_wait);
}

std::optional<RpcReply> ServerService::GetAttr(const RpcRequest& request, bool may_wait) {
  proto::GetAttrRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  proto::GetAttrReply out;
  return ReadAsHeadIfFree(
      {InodePlacementKey(in.ino())}, [&] { return Finish(metadata_->GetAttr(in, &out), out); },
      may_wait);
}

std::optional<RpcReply> ServerService::SetAttr(const RpcRequest& request, bool may_wait) {
  proto::SetAttrRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  proto::SetAttrReply out;
  return WriteAsHeadIfFree(
      request, {InodePlacementKey(in.ino())}, Write::kRecorded, out, MetadataSync(),
      [&](rocksdb::WriteBatch* batch) { return metadata_->SetAttr(in, &out, batch); }, may_wait);
}

std::optional<RpcReply> ServerService::InsertDentry(const RpcRequest& request, bool may_wait) {
  proto::InsertDentryRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  proto::InsertDentryReply out;
  return WriteAsHeadIfFree(
      request, {DentryPlacementKey(in.parent(), in.name())}, Write::kRecorded, out, MetadataSync(),
      [&](rocksdb::WriteBatch* batch) { return metadata_->InsertDentry(in, batch); }, may_wait);
}

std::optional<RpcReply> ServerService::RemoveDentry(const RpcRequest& request, bool may_wait) {
  proto::RemoveDentryRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  proto::RemoveDentryReply out;
  // The entry's stripe covers its inode when the two are placed alike, the only case in which
  // the inode changes with it (MetadataStore::set_unlink_filter).
  return WriteAsHeadIfFree(
      request, {DentryPlacementKey(in.parent(), in.name())}, Write::kRecorded, out, MetadataSync(),
      [&](rocksdb::WriteBatch* batch) { return metadata_->RemoveDentry(in, &out, batch); },
      may_wait);
}

RpcReply ServerService::ReadDir(const RpcRequest& request) {
  proto::ReadDirRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  std::shared_ptr<const MapSnapshot> map;
  Status epoch = CheckEpoch(in.epoch(), &map);
  if (!epoch.ok()) return MakeErrorReply(epoch);
  proto::ReadDirReply out;
  // Without its lease this server heads nothing: an empty page would be a short listing.
  if (!map || !HoldsLease(*map)) {
    return MakeErrorReply({proto::STATUS_NOT_HEAD, "no lease: cannot serve a directory page"});
  }
  const ServerId self = replicator_->peers().self();
  auto served = [&](std::string_view name) {
    return map->placement.IsHead(DentryPlacementKey(in.parent(), name), self);
  };
  return Finish(metadata_->ReadDir(in, &out, served), out);
}

RpcReply ServerService::SetXattr(const RpcRequest& request) {
  proto::SetXattrRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  proto::Empty out;
  return WriteAsHead(
      request, {InodePlacementKey(in.ino())}, Write::kRecorded, out, MetadataSync(),
      [&](rocksdb::WriteBatch* batch) { return metadata_->SetXattr(in, request.payload, batch); });
}

RpcReply ServerService::GetXattr(const RpcRequest& request) {
  proto::GetXattrRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  proto::Empty out;
  return ReadAsHead({InodePlacementKey(in.ino())}, [&] {
    std::string value;
    Status status = metadata_->GetXattr(in, &value);
    return Finish(status, out, std::move(value));
  });
}

RpcReply ServerService::ListXattr(const RpcRequest& request) {
  proto::ListXattrRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  proto::ListXattrReply out;
  return ReadAsHead({InodePlacementKey(in.ino())},
                    [&] { return Finish(metadata_->ListXattr(in, &out), out); });
}

RpcReply ServerService::RemoveXattr(const RpcRequest& request) {
  proto::RemoveXattrRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  proto::Empty out;
  return WriteAsHead(request, {InodePlacementKey(in.ino())}, Write::kRecorded, out, MetadataSync(),
                     [&](rocksdb::WriteBatch* batch) { return metadata_->RemoveXattr(in, batch); });
}

std::optional<RpcReply> ServerService::WriteChunk(const RpcRequest& request, bool may_wait) {
  proto::WriteChunkRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  proto::Empty out;
  return WriteAsHeadIfFree(
      request, {ChunkPlacementKey(in.ino(), in.index())}, Write::kUnrecorded, out, in.sync(),
      [&](rocksdb::WriteBatch* batch) {
        return chunks_->WriteChunk(in.ino(), in.index(), in.offset(), request.payload,
                                   in.chunk_size(), batch);
      },
      may_wait);
}

std::optional<RpcReply> ServerService::ReadChunk(const RpcRequest& request, bool may_wait) {
  proto::ReadChunkRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  proto::Empty out;
  return ReadAsHeadIfFree(
      {ChunkPlacementKey(in.ino(), in.index())},
      [&] {
        std::string data;
        Status status = chunks_->ReadChunk(in.ino(), in.index(), in.offset(), in.length(), &data);
        return Finish(status, out, std::move(data));
      },
      may_wait);
}

std::optional<RpcReply> ServerService::DeleteChunk(const RpcRequest& request, bool may_wait) {
  proto::DeleteChunkRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  if (in.index() == UINT64_MAX) return MakeErrorReply(Status::Invalid("no such chunk index"));
  proto::Empty out;
  return WriteAsHeadIfFree(
      request, {ChunkPlacementKey(in.ino(), in.index())}, Write::kUnrecorded, out,
      /*sync=*/false,
      [&](rocksdb::WriteBatch* batch) {
        return chunks_->DeleteChunks(in.ino(), in.index(), in.index() + 1, {}, batch);
      },
      may_wait);
}

// Truncation and hole punching reach every server; each changes the chunks it is the head for,
// under every key lock (the chunks are known only from the scan). Which chunks it heads is
// judged once those locks are held, by the map of the sender's epoch: the wait for them (every
// write in flight) can outlast the map the request was checked against on arrival.
RpcReply ServerService::ChangeServedChunks(const RpcRequest& request, uint64_t sender_epoch,
                                           const ChangeChunks& change) {
  Status epoch = CheckEpoch(sender_epoch);
  if (!epoch.ok()) return MakeErrorReply(epoch);
  return WriteAsHead(request, {}, Write::kUnrecorded, proto::Empty(), /*sync=*/false,
                     [&](rocksdb::WriteBatch* batch) {
                       std::shared_ptr<const MapSnapshot> map;
                       Status same_map = CheckEpoch(sender_epoch, &map);
                       if (!same_map.ok()) return same_map;
                       const ServerId self = replicator_->peers().self();
                       return change(
                           [&](uint64_t ino, uint64_t index) {
                             return map &&
                                    map->placement.IsHead(ChunkPlacementKey(ino, index), self);
                           },
                           batch);
                     });
}

RpcReply ServerService::TruncateChunks(const RpcRequest& request) {
  proto::TruncateChunksRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  return ChangeServedChunks(
      request, in.epoch(), [&](const ChunkStore::ChunkFilter& served, rocksdb::WriteBatch* batch) {
        return chunks_->TruncateChunks(in.ino(), in.size(), in.chunk_size(), served, batch);
      });
}

RpcReply ServerService::DeleteChunks(const RpcRequest& request) {
  proto::DeleteChunksRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  return ChangeServedChunks(
      request, in.epoch(), [&](const ChunkStore::ChunkFilter& served, rocksdb::WriteBatch* batch) {
        return chunks_->DeleteChunks(in.ino(), in.first_index(), in.end_index(), served, batch);
      });
}

RpcReply ServerService::Sync(const RpcRequest& request) {
  proto::SyncRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  return Finish(chunks_->Sync(), proto::Empty());
}

RpcReply ServerService::StatFs(const RpcRequest& request) {
  proto::StatFsRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  proto::StatFsReply out;
  uint64_t total = 0;
  uint64_t free = 0;
  uint64_t available = 0;
  Status status = storage_->StatFs(&total, &free, &available);
  out.set_total_bytes(total);
  out.set_free_bytes(free);
  out.set_available_bytes(available);
  out.set_inodes(storage_->inode_count());
  return Finish(status, out);
}

RpcReply ServerService::Replicate(const RpcRequest& request) {
  proto::ReplicateRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  return Finish(replicator_->Apply(in, request.payload), proto::Empty());
}

// This server's map, for a peer that cannot reach the manager.
RpcReply ServerService::GetClusterMap(const RpcRequest& request) {
  proto::GetClusterMapRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  auto map = replicator_->peers().snapshot();
  if (!map) return MakeErrorReply({proto::STATUS_UNKNOWN_OP, "no cluster map here"});
  proto::GetClusterMapReply out;
  *out.mutable_map() = map->map;
  return MakeReply(out);
}

RpcReply ServerService::SyncCheck(const RpcRequest& request) {
  if (resync_ == nullptr) return MakeErrorReply({proto::STATUS_UNKNOWN_OP, "not replicating"});
  proto::SyncCheckRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  proto::SyncCheckReply out;
  return Finish(resync_->Check(in, &out), out);
}

// The runner holds no key lock while the steps run: a step whose record this server heads takes
// its own locks, and other servers' steps never wait for this one's.
RpcReply ServerService::RunIntent(const RpcRequest& request) {
  if (intents_ == nullptr) {
    return MakeErrorReply({proto::STATUS_UNKNOWN_OP, "intents are not served here"});
  }
  proto::RunIntentRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  if (!IsHead(in.coordinator_key())) {
    return MakeErrorReply({proto::STATUS_NOT_HEAD, "not the head of the coordinator key"});
  }
  return intents_->Run(request.request_id, in);
}

}  // namespace sealfs
