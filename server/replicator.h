// Replicator: chain replication of every write, decided by the head (docs/design.md,
// "Replication").
//
// On the head, the stores decide a write (compare-and-set, merge operand, deletions) and hand the
// resulting RocksDB WriteBatch to Commit: it is applied here, then sent as is (OP_REPLICATE) to
// the other replicas of its records, one after the other in chain order, and Commit returns once
// every replica in the chain holds it (durably when `sync`). A replica that cannot be reached is
// retried until the manager marks it DOWN, which takes it out of the chain, or until it answers
// at its new address. Replicas apply what the head decided without deciding anything, so that
// they hold exactly the head's records.
//
// Ordering: the caller holds the exclusive KeyLocks stripe of every placement key in the batch
// from before its decision until Commit returns, so that writes of one record reach every
// replica in the order the head applied them, and nobody reads a record on the head while a
// write of it is on its way down the chain.
//
// Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "peer_map.h"
#include "sealfs.pb.h"
#include "storage.h"

namespace sealfs {

// Reader-writer locks striped by placement key.
class KeyLocks {
 public:
  // Holds the stripes of a few placement keys, all of them (every record) when `keys` is empty.
  class Guard {
   public:
    Guard(KeyLocks* locks, const std::vector<std::string>& keys, bool exclusive);
    ~Guard();
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

   private:
    KeyLocks* locks_;
    std::vector<std::size_t> stripes_;  // ascending: locked in that order, so never deadlocks
    bool exclusive_;
  };

 private:
  static constexpr std::size_t kStripes = 256;
  std::array<std::shared_mutex, kStripes> stripes_;
};

// While alive on a thread, each batch that thread commits also stores `reply` under
// `request_key` (keys::RequestKey) in the requests family, in the same atomic write: a retry of
// the request finds the reply instead of applying the request again (server_service.h). The
// record is placed like the request's first record, so it reaches the same replicas.
class RecordedRequest {
 public:
  RecordedRequest(std::string request_key, const google::protobuf::MessageLite* reply);
  ~RecordedRequest();
  RecordedRequest(const RecordedRequest&) = delete;
  RecordedRequest& operator=(const RecordedRequest&) = delete;

  // The request being served on this thread, or null.
  static const RecordedRequest* current();
  [[nodiscard]] const std::string& request_key() const { return request_key_; }
  [[nodiscard]] const google::protobuf::MessageLite* reply() const { return reply_; }

 private:
  std::string request_key_;
  const google::protobuf::MessageLite* reply_;
  const RecordedRequest* previous_;
};

// The placement key of a stored record (the key placement ranks servers by); false when the
// record key does not decode or its family is not placed (default).
bool PlacementKeyOfRecord(Storage::Family family, std::string_view key, std::string* out);

class Replicator : public BatchCommitter {
 public:
  Replicator(Storage* storage, PeerMap* peers) : storage_(storage), peers_(peers) {}

  // Head side: see above. STATUS_NOT_HEAD when the map changed and this server is no longer
  // the head of a record in the batch (the batch is applied here but acknowledged nowhere;
  // the next pass over this server's records repairs it).
  Status Commit(rocksdb::WriteBatch* batch, bool sync) override;

  // Replica side (OP_REPLICATE): applies a batch the head decided. STATUS_STALE_MAP when the
  // head's map is older than ours; STATUS_INVALID when the batch holds anything but puts,
  // deletions and chunk merge operands of known column families.
  Status Apply(const proto::ReplicateRequest& request, std::string_view batch_data);

  // Sends a batch of records of one or more placement keys to the replicas in their chains that
  // still lack it, as Commit does after applying it here. Used by Commit and by the passes that
  // repair replicas (resync.h).
  Status SendDownChains(rocksdb::WriteBatch* batch, bool sync);

  // Sends down their chains the current version of the unsettled records (below) of the
  // batches that touched any of `placement_keys` (every one when empty), under their exclusive
  // key locks. The caller holds no key lock. Records whose head is another server now are left
  // to it: its passes repair them.
  Status Settle(const std::vector<std::string>& placement_keys);
  // True when a batch that touched any of `placement_keys` (any at all when empty) is unsettled.
  // Checked under the keys' locks: a write that failed after Settle and before they were taken.
  [[nodiscard]] bool HasUnsettled(const std::vector<std::string>& placement_keys);

  // True when records have copies on other servers in the current map.
  [[nodiscard]] bool replicating() const;
  [[nodiscard]] KeyLocks& locks() { return locks_; }
  [[nodiscard]] PeerMap& peers() { return *peers_; }
  // Times a write was applied here and could not be acknowledged by its chain.
  [[nodiscard]] uint64_t divergences() const { return divergences_.load(); }

 private:
  struct Piece;
  // The records of a batch applied here that its chain may lack: Commit failed after the local
  // write (the map changed under it, a replica refused it, or it timed out). Until they are
  // settled, a read of them here could return what a later read loses, and a retry of their
  // request would be answered from a reply the replicas do not hold.
  struct Unsettled {
    std::vector<std::string> placement_keys;
    std::vector<std::pair<Storage::Family, std::string>> records;
    [[nodiscard]] bool Touches(const std::vector<std::string>& keys) const;
  };
  Status SplitByPlacementKey(rocksdb::WriteBatch* batch, std::vector<Piece>* pieces,
                             bool collect = false) const;
  Status Forward(std::vector<Piece>* pieces, bool sync, std::string_view whole_batch);
  void RememberUnsettled(rocksdb::WriteBatch* batch);
  Status SettleOne(const Unsettled& entry);

  Storage* const storage_;
  PeerMap* const peers_;
  KeyLocks locks_;
  std::atomic<uint64_t> divergences_{0};
  std::mutex unsettled_mutex_;
  std::vector<Unsettled> unsettled_;  // GUARDED_BY(unsettled_mutex_)
  std::atomic<bool> has_unsettled_{false};
};

}  // namespace sealfs
