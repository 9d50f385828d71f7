#include "replicator.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "key_encoding.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "spdlog/spdlog.h"

namespace sealfs {

namespace {

// A replica that cannot be reached holds a write up until the manager marks it DOWN (its
// heartbeat timeout) or it comes back; past this, something else is wrong (the manager is away
// too) and the write fails rather than hold a worker for ever.
constexpr std::chrono::seconds kReplicationDeadline{300};
constexpr std::chrono::milliseconds kRetryPause{100};

}  // namespace

uint64_t UnixSeconds() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// ---------------------------------------------------------------------------------------------
// KeyLocks

KeyLocks::Guard::Guard(KeyLocks* locks, const std::vector<std::string>& keys, bool exclusive)
    : locks_(locks), exclusive_(exclusive) {
  if (keys.empty()) {
    for (std::size_t i = 0; i < kStripes; ++i) stripes_.push_back(i);
  } else {
    for (const std::string& key : keys) stripes_.push_back(StripeOf(key));
    std::sort(stripes_.begin(), stripes_.end());
    stripes_.erase(std::unique(stripes_.begin(), stripes_.end()), stripes_.end());
  }
  for (std::size_t stripe : stripes_) {
    if (exclusive_) {
      locks_->stripes_[stripe].lock();
    } else {
      locks_->stripes_[stripe].lock_shared();
    }
  }
}

KeyLocks::Guard::Guard(KeyLocks* locks, const std::vector<std::string>& keys, bool exclusive,
                       std::try_to_lock_t)
    : locks_(locks), exclusive_(exclusive) {
  for (const std::string& key : keys) stripes_.push_back(StripeOf(key));
  std::sort(stripes_.begin(), stripes_.end());
  stripes_.erase(std::unique(stripes_.begin(), stripes_.end()), stripes_.end());
  for (std::size_t i = 0; i < stripes_.size(); ++i) {
    std::shared_mutex& stripe = locks_->stripes_[stripes_[i]];
    if (exclusive_ ? stripe.try_lock() : stripe.try_lock_shared()) continue;
    stripes_.resize(i);  // the destructor releases the ones taken
    owns_ = false;
    return;
  }
}

KeyLocks::Guard::~Guard() {
  for (auto it = stripes_.rbegin(); it != stripes_.rend(); ++it) {
    if (exclusive_) {
      locks_->stripes_[*it].unlock();
    } else {
      locks_->stripes_[*it].unlock_shared();
    }
  }
}

std::size_t KeyLocks::StripeOf(std::string_view placement_key) {
  return PlacementGroupOf(placement_key, kStripes);
}

// ---------------------------------------------------------------------------------------------
// Recorded replies

bool FindRecordedReply(const Storage& storage, const std::string& request_key, std::string* reply) {
  std::string value;
  rocksdb::Status status = storage.Get(Storage::kRequests, request_key, &value);
  uint64_t written = 0;
  std::string_view stored;
  if (!status.ok() || !keys::DecodeRequestValue(value, &written, &stored)) return false;
  reply->assign(stored);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Records and their placement keys

bool PlacementKeyOfRecord(Storage::Family family, std::string_view key, std::string* out) {
  uint64_t ino = 0;
  uint64_t index = 0;
  std::string_view name;
  switch (family) {
    case Storage::kInodes:
      if (!keys::DecodeInodeKey(key, &ino)) return false;
      *out = InodePlacementKey(ino);
      return true;
    case Storage::kXattrs:  // placed with their inode
      if (!keys::DecodeXattrKey(key, &ino, &name)) return false;
      *out = InodePlacementKey(ino);
      return true;
    case Storage::kDentries:
      if (!keys::DecodeDentryKey(key, &ino, &name)) return false;
      *out = DentryPlacementKey(ino, name);
      return true;
    case Storage::kChunks:
      if (!keys::DecodeChunkKey(key, &ino, &index)) return false;
      *out = ChunkPlacementKey(ino, index);
      return true;
    case Storage::kRequests:
    case Storage::kIntents:
      if (!keys::DecodeRequestKey(key, &ino, &name)) return false;
      *out = name;
      return true;
    default:
      return false;
  }
}

namespace {

struct BatchRecord {
  Storage::Family family;
  char kind;  // 'P'ut, 'D'elete, 'M'erge
  std::string key;
  std::string value;
};

}  // namespace

// RocksDB's WriteBatch format, read by our own code before RocksDB reads a batch that came off
// the wire: Debian's RocksDB asserts (aborts the server) on some malformed batches rather than
// returning an error. Only what SealFS writes passes: a 12-byte header (sequence, count), then
// puts, deletions and merge operands, each naming its column family, as many as the header
// counts.
bool IsPlainWriteBatch(std::string_view data) {
  constexpr std::size_t kHeader = 12;
  constexpr uint8_t kDelete = 0x4;  // ValueType kTypeColumnFamilyDeletion
  constexpr uint8_t kPut = 0x5;     // kTypeColumnFamilyValue
  constexpr uint8_t kMerge = 0x6;   // kTypeColumnFamilyMerge
  if (data.size() < kHeader) return false;
  uint32_t count = 0;
  for (int i = 0; i < 4; ++i)
    count |= static_cast<uint32_t>(static_cast<uint8_t>(data[8 + i])) << (8 * i);
  std::size_t pos = kHeader;
  auto varint = [&](uint32_t* out) {
    uint32_t value = 0;
    for (int shift = 0; shift <= 28; shift += 7) {
      if (pos >= data.size()) return false;
      const auto byte = static_cast<uint8_t>(data[pos++]);
      value |= static_cast<uint32_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *out = value;
        return true;
      }
    }
    return false;
  };
  auto skip_bytes = [&] {
    uint32_t length = 0;
    if (!varint(&length) || length > data.size() - pos) return false;
    pos += length;
    return true;
  };
  uint32_t found = 0;
  while (pos < data.size()) {
    const auto tag = static_cast<uint8_t>(data[pos++]);
    uint32_t family = 0;
    if (tag != kDelete && tag != kPut && tag != kMerge) return false;
    if (!varint(&family) || !skip_bytes()) return false;
    if (tag != kDelete && !skip_bytes()) return false;
    ++found;
  }
  return found == count;
}

struct Replicator::Piece {
  std::string placement_key;
  std::vector<BatchRecord> records;  // collected only when a batch holds several placement keys
  std::set<ServerId> done;           // replicas that hold it
};

namespace {

// Walks a batch: checks every record and sorts the records by placement key.
class BatchSplitter : public rocksdb::WriteBatch::Handler {
 public:
  using Piece = std::pair<std::string, std::vector<BatchRecord>>;
  BatchSplitter(const Storage* storage, bool collect) : storage_(storage), collect_(collect) {}

  rocksdb::Status PutCF(uint32_t id, const rocksdb::Slice& key,
                        const rocksdb::Slice& value) override {
    return Add(id, 'P', key, value);
  }
  rocksdb::Status DeleteCF(uint32_t id, const rocksdb::Slice& key) override {
    return Add(id, 'D', key, rocksdb::Slice());
  }
  rocksdb::Status MergeCF(uint32_t id, const rocksdb::Slice& key,
                          const rocksdb::Slice& value) override {
    keys::ChunkOperand operand;
    if (storage_->FamilyOfId(id) != Storage::kChunks ||
        !keys::DecodeChunkOperand(std::string_view(value.data(), value.size()), &operand)) {
      return rocksdb::Status::InvalidArgument("merge operand that is not a chunk operand");
    }
    return Add(id, 'M', key, value);
  }

  // In order of first appearance.
  std::vector<Piece> TakePieces() { return std::move(pieces_); }

 private:
  rocksdb::Status Add(uint32_t id, char kind, const rocksdb::Slice& key,
                      const rocksdb::Slice& value) {
    const Storage::Family family = storage_->FamilyOfId(id);
    if (family == Storage::kFamilyCount || family == Storage::kDefault) {
      return rocksdb::Status::InvalidArgument("record of an unknown column family");
    }
    std::string placement_key;
    if (!PlacementKeyOfRecord(family, std::string_view(key.data(), key.size()), &placement_key)) {
      return rocksdb::Status::InvalidArgument("record key does not decode");
    }
    auto [it, added] = index_.try_emplace(placement_key, pieces_.size());
    if (added) pieces_.emplace_back(placement_key, std::vector<BatchRecord>());
    if (collect_) {
      pieces_[it->second].second.push_back({family, kind, key.ToString(), value.ToString()});
    }
    return rocksdb::Status::OK();
  }

  const Storage* storage_;
  const bool collect_;
  std::map<std::string, std::size_t> index_;
  std::vector<Piece> pieces_;
};

}  // namespace

Status Replicator::SplitByPlacementKey(rocksdb::WriteBatch* batch,
                                       std::vector<Piece>* pieces) const {
  BatchSplitter keys_only(storage_, /*collect=*/false);
  rocksdb::Status status = batch->Iterate(&keys_only);
  if (!status.ok()) return Status::Invalid("replicated batch: " + status.ToString());
  auto found = keys_only.TakePieces();
  if (found.size() > 1) {  // the records are needed to send each piece its own way
    BatchSplitter collecting(storage_, /*collect=*/true);
    status = batch->Iterate(&collecting);
    if (!status.ok()) return Status::Invalid("replicated batch: " + status.ToString());
    found = collecting.TakePieces();
  }
  for (auto& [placement_key, records] : found) {
    pieces->push_back({std::move(placement_key), std::move(records), {}});
  }
  return Status::Ok();
}

bool Replicator::replicating() const {
  auto map = peers_->snapshot();
  return map && !map->placement.single_copy();
}

Status Replicator::AddRecordedReply(rocksdb::WriteBatch* batch,
                                    const RecordedReply* recorded) const {
  if (recorded == nullptr) return Status::Ok();
  std::string reply = recorded->reply != nullptr ? recorded->reply->SerializeAsString() : "";
  return FromRocks(batch->Put(storage_->requests(), recorded->request_key,
                              keys::RequestValue(UnixSeconds(), reply)));
}

std::optional<Status> Replicator::CommitWithoutCopies(rocksdb::WriteBatch* batch, bool sync,
                                                      const RecordedReply* recorded) {
  if (replicating()) return std::nullopt;
  Status status = AddRecordedReply(batch, recorded);
  return status.ok() ? storage_->WriteLocal(batch, sync) : status;
}

Status Replicator::Commit(rocksdb::WriteBatch* batch, bool sync, const RecordedReply* recorded) {
  Status status = AddRecordedReply(batch, recorded);
  if (!status.ok()) return status;
  if (!replicating()) return storage_->WriteLocal(batch, sync);
  std::vector<Piece> pieces;
  status = SplitByPlacementKey(batch, &pieces);
  if (!status.ok()) return status;
  std::string_view whole;
  if (pieces.size() == 1) whole = std::string_view(batch->Data());
  uint64_t epoch = 0;
  status = Forward(&pieces, sync, whole, &epoch);
  if (status.ok() && before_local_apply_) before_local_apply_();
  if (status.ok()) status = ApplyDelivered(batch, sync, pieces, epoch);
  if (!status.ok()) {
    spdlog::warn("a write did not reach every copy and is not applied here: {}", status.ToString());
    // A copy refused it (a full disk, an I/O error) or it waited too long: the copies that took
    // it are given back this head's version, so that the write the client saw fail never shows
    // up later on one of them. Not when the map moved on: the records' new head decides then.
    if (status.code() != proto::STATUS_NOT_HEAD && status.code() != proto::STATUS_STALE_MAP) {
      RevertCopies(*batch, pieces);
    }
  }
  return status;
}

void Replicator::RevertCopies(const rocksdb::WriteBatch& batch, const std::vector<Piece>& pieces) {
  auto map = peers_->snapshot();
  BatchSplitter collecting(storage_, /*collect=*/true);
  if (!map || !batch.Iterate(&collecting).ok()) return;
  proto::ReplicateRequest request;
  request.set_epoch(map->epoch());
  request.set_sender(peers_->self());
  for (const auto& [key, records] : collecting.TakePieces()) {
    // Named again: clang 14 does not let a lambda capture a structured binding.
    const std::string& placement_key = key;
    auto piece = std::find_if(pieces.begin(), pieces.end(),
                              [&](const Piece& p) { return p.placement_key == placement_key; });
    if (piece == pieces.end() || piece->done.empty() ||
        !map->placement.IsHead(placement_key, peers_->self())) {
      continue;
    }
    rocksdb::WriteBatch revert;
    for (const BatchRecord& record : records) {
      std::string value;
      rocksdb::ColumnFamilyHandle* family = storage_->handle(record.family);
      rocksdb::Status read = storage_->Get(record.family, record.key, &value);
      if (read.IsNotFound()) {
        read = revert.Delete(family, record.key);
      } else if (read.ok()) {
        read = revert.Put(family, record.key, value);
      }
      if (!read.ok()) return;  // the next pass repairs the copies
    }
    for (ServerId replica : piece->done) {
      Status reverted = peers_->Call(replica, proto::OP_REPLICATE, request, revert.Data()).status;
      if (!reverted.ok()) {
        spdlog::warn("copy {:016x} keeps a failed write until the next pass: {}", replica,
                     reverted.ToString());
      }
    }
  }
}

// Every copy in the chains of the map at `epoch` holds the batch. The map may have moved on
// meanwhile (a server that caught up heads some of these records now and took the batch as a
// copy): the batch is applied here all the same, so that this copy is not behind the others
// should it head the records again before a pass repairs it. Unless a later head's write of
// these records reached this server meanwhile: that one must not be overwritten.
Status Replicator::ApplyDelivered(rocksdb::WriteBatch* batch, bool sync,
                                  const std::vector<Piece>& pieces, uint64_t epoch) {
  {
    std::shared_lock applying(epoch_mutex_);
    if (newest_epoch_seen_ <= epoch) return storage_->WriteLocal(batch, sync);
  }
  std::unique_lock exclusive(epoch_mutex_);  // no batch is applied while the stripes are read
  for (const Piece& piece : pieces) {
    if (stripe_epochs_[KeyLocks::StripeOf(piece.placement_key)] > epoch) {
      return {proto::STATUS_NOT_HEAD,
              fmt::format("a head at a later epoch than {} wrote these records here", epoch)};
    }
  }
  return storage_->WriteLocal(batch, sync);
}

Status Replicator::Forward(std::vector<Piece>* pieces, bool sync, std::string_view whole_batch,
                           uint64_t* delivered_epoch) {
  const ServerId self = peers_->self();
  const auto deadline = std::chrono::steady_clock::now() + kReplicationDeadline;
  proto::ReplicateRequest request;
  request.set_sync(sync);
  request.set_sender(self);
  for (;;) {
    auto map = peers_->snapshot();
    if (!map) return Status::IoError("no cluster map yet");
    // Pieces owed to the same replicas, in the same order, travel together.
    std::map<std::vector<ServerId>, std::vector<std::size_t>> groups;
    for (std::size_t i = 0; i < pieces->size(); ++i) {
      Piece& piece = (*pieces)[i];
      std::size_t complete = 0;
      std::vector<ServerId> chain =
          map->placement.ChainOfGroup(map->placement.GroupOf(piece.placement_key), &complete);
      if (chain.empty() || chain.front() != self) {
        return {proto::STATUS_NOT_HEAD,
                fmt::format("no longer the head at epoch {}", map->epoch())};
      }
      if (complete < map->placement.min_copies()) {
        return {proto::STATUS_TOO_FEW_COPIES,
                fmt::format("{} complete copies alive at epoch {}, {} needed", complete,
                            map->epoch(), map->placement.min_copies())};
      }
      std::vector<ServerId> owed;
      for (std::size_t j = 1; j < chain.size(); ++j) {
        if (!piece.done.contains(chain[j])) owed.push_back(chain[j]);
      }
      if (!owed.empty()) groups[owed].push_back(i);
    }
    if (groups.empty()) {
      *delivered_epoch = map->epoch();
      return Status::Ok();
    }

    request.set_epoch(map->epoch());
    Status transient;
    for (const auto& [owed, members] : groups) {
      std::string built;
      std::string_view payload = whole_batch;
      if (payload.empty()) {
        rocksdb::WriteBatch part;
        for (std::size_t member : members) {
          for (const auto& record : (*pieces)[member].records) {
            rocksdb::ColumnFamilyHandle* family = storage_->handle(record.family);
            rocksdb::Status added = record.kind == 'P' ? part.Put(family, record.key, record.value)
                                    : record.kind == 'D'
                                        ? part.Delete(family, record.key)
                                        : part.Merge(family, record.key, record.value);
            if (!added.ok()) return FromRocks(added);
          }
        }
        built = part.Data();
        payload = built;
      }
      // To every copy at once: the head holds the records' key locks until all of them
      // answered, so no later write of these records overtakes this one on any copy.
      std::vector<RpcResult> results =
          peers_->CallEach(owed, proto::OP_REPLICATE, request, payload);
      Status refused;
      for (std::size_t j = 0; j < owed.size(); ++j) {
        const Status& status = results[j].status;
        if (status.ok()) {
          for (std::size_t member : members) (*pieces)[member].done.insert(owed[j]);
          continue;
        }
        Status failure{status.code(),
                       fmt::format("replica {:016x}: {}", owed[j], status.message())};
        (status.transient() ? transient : refused) = std::move(failure);
      }
      if (!refused.ok()) return refused;
      if (!transient.ok()) break;
    }
    if (transient.ok()) {
      // Every copy in this map's chains took it. The map may have moved on meanwhile and added
      // a copy (a server that arrived): the next round finds what the newest chains still lack,
      // so that no copy misses a write a pass that began at the newer map did not see yet.
      auto latest = peers_->snapshot();
      const bool still_head = std::all_of(pieces->begin(), pieces->end(), [&](const Piece& p) {
        return latest->placement.IsHead(p.placement_key, self);
      });
      if (latest->epoch() != map->epoch() && still_head) continue;
      *delivered_epoch = map->epoch();
      return Status::Ok();
    }
    if (std::chrono::steady_clock::now() > deadline) {
      spdlog::error("write not replicated in {} s: {}", kReplicationDeadline.count(),
                    transient.ToString());
      return {proto::STATUS_TIMED_OUT, transient.message()};
    }
    spdlog::debug("replication waits: {}", transient.ToString());
    if (transient.code() != proto::STATUS_STALE_MAP) std::this_thread::sleep_for(kRetryPause);
    (void)peers_->Refresh();  // the replica may be DOWN now, or elsewhere
  }
}

void Replicator::WaitForWritesOfOlderMaps() {
  { KeyLocks::Guard heads(&locks_, {}, /*exclusive=*/true); }
  std::unique_lock copies(epoch_mutex_);
}

Status Replicator::Apply(const proto::ReplicateRequest& request, std::string_view batch_data) {
  if (!IsPlainWriteBatch(batch_data)) {
    return Status::Invalid("replicated batch is not puts, deletions and merges");
  }
  rocksdb::WriteBatch batch{std::string(batch_data)};
  BatchSplitter check(storage_, /*collect=*/false);
  rocksdb::Status valid = batch.Iterate(&check);
  if (!valid.ok()) return Status::Invalid("replicated batch: " + valid.ToString());
  const std::vector<BatchSplitter::Piece> pieces = check.TakePieces();

  // Fencing: a batch from a map older than any this server has seen is refused, also while the
  // newer map is still being fetched. The first batch of a newer epoch waits for the batches of
  // older ones being applied (exclusive lock), so that none of them lands after it; and raises
  // newest_epoch_seen_ even when this server's map is that new already, so that ApplyDelivered
  // sees that a later head wrote here.
  std::shared_lock applying(epoch_mutex_);
  auto newest = [&] { return std::max(newest_epoch_seen_, peers_->epoch()); };
  if (request.epoch() > newest_epoch_seen_) {
    applying.unlock();
    {
      std::unique_lock raising(epoch_mutex_);
      newest_epoch_seen_ = std::max(newest_epoch_seen_, request.epoch());
    }
    peers_->NoteEpoch(request.epoch());
    applying.lock();
  }
  if (request.epoch() < newest()) {
    return {proto::STATUS_STALE_MAP,
            fmt::format("sender's epoch {} is older than {}", request.epoch(), newest())};
  }
  for (const auto& [placement_key, records] : pieces) {
    std::atomic<uint64_t>& stripe = stripe_epochs_[KeyLocks::StripeOf(placement_key)];
    uint64_t seen = stripe.load();
    while (seen < request.epoch() && !stripe.compare_exchange_weak(seen, request.epoch())) {
    }
  }
  return storage_->WriteLocal(&batch, request.sync());
}

}  // namespace sealfs
