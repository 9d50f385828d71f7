// Replicator: chain replication of every write, decided by the head (docs/design.md,
// "Replication").
//
// On the head, the request handler has a store decide a write (compare-and-set, merge operand,
// deletions) into a RocksDB WriteBatch and hands it to Commit, with the reply to record for a
// non-idempotent request (server_service.h): it is sent as is (OP_REPLICATE) to the other replicas
// of its records, all at once, and applied here last, once every replica in the chain holds it
// (durably when `sync`). A replica that cannot be reached is retried until
// the manager marks it DOWN, which takes it out of the chain, or until it answers at its new
// address. Replicas apply what the head decided without deciding anything, so that they hold
// exactly the head's records.
//
// Why the head applies last: a write that does not get down the whole chain (the map changed
// under it, a replica refused it) is then nowhere on the head, which goes on deciding from what
// every copy holds. Had the head applied it, its next write of the same record (a whole value)
// would carry the failed write's effect to the copies without the write's recorded reply, and
// the client's retry of it on another head would apply it a second time. The copies that did
// take it hold its recorded reply with it; the next head's decision overwrites them, or, if one
// of them becomes the head, the retry finds the reply there.
//
// Ordering: the caller holds the exclusive KeyLocks stripe of every placement key in the batch
// from before its decision until Commit returns, so that writes of one record reach every
// replica in the order the head applied them, and nobody reads a record on the head while a
// write of it is on its way down the chain. These are the only locks of a write: the stores
// take none.
//
// Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "sealfs.pb.h"
#include "server/peers.h"
#include "storage.h"

namespace sealfs {

// Reader-writer locks striped by placement key: a key's stripe is its placement group among
// kStripes groups, so that keys placed alike (Placement::PlacedAlike, an entry and the inode
// drawn in its group) share one stripe, and locking one locks both.
class KeyLocks {
 public:
  static constexpr std::size_t kStripes = 256;
  static std::size_t StripeOf(std::string_view placement_key);

  // Holds the stripes of a few placement keys, all of them (every record) when `keys` is empty.
  class Guard {
   public:
    Guard(KeyLocks* locks, const std::vector<std::string>& keys, bool exclusive);
    // Takes the stripes only if none is held against it now; owns_locks() says whether it did.
    Guard(KeyLocks* locks, const std::vector<std::string>& keys, bool exclusive,
          std::try_to_lock_t);
    ~Guard();
    [[nodiscard]] bool owns_locks() const { return owns_; }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

   private:
    KeyLocks* locks_;
    std::vector<std::size_t> stripes_;  // ascending: locked in that order, so never deadlocks
    bool exclusive_;
    bool owns_ = true;
  };

 private:
  std::array<std::shared_mutex, kStripes> stripes_;
};

// The reply of a non-idempotent request, stored with its write under `request_key`
// (keys::RequestKey) in the requests family, in the same atomic write: a retry of the request
// finds the reply instead of applying the request again (server_service.h). The record is
// placed like the request's first record, so it reaches the same copies.
struct RecordedReply {
  std::string request_key;
  const google::protobuf::MessageLite* reply = nullptr;
};

// The reply stored under `request_key` by an earlier run of the request, if there is one.
bool FindRecordedReply(const Storage& storage, const std::string& request_key, std::string* reply);

// True when `data` is a RocksDB WriteBatch of puts, deletions and merge operands into named
// column families, well formed and counted right: checked before RocksDB reads a replicated
// batch, as RocksDB aborts on some malformed ones.
bool IsPlainWriteBatch(std::string_view data);

// Seconds since the Unix epoch: the time stamped on recorded replies and intents.
uint64_t UnixSeconds();

// The placement key of a stored record (the key placement ranks servers by); false when the
// record key does not decode or its family is not placed (default).
bool PlacementKeyOfRecord(Storage::Family family, std::string_view key, std::string* out);

class Replicator {
 public:
  Replicator(Storage* storage, Peers* peers) : storage_(storage), peers_(peers) {}

  // Head side: see above. STATUS_NOT_HEAD when the map changed and this server is no longer
  // the head of a record in the batch before every copy held it (the batch is not applied here;
  // copies that took it are repaired by the next head's passes, or answer the client's retry).
  // A batch every copy of the map it was sent under holds is applied here even if the map moved
  // on meanwhile, unless a later head has written its records here since. `recorded`
  // (optional): the reply to store with the write.
  Status Commit(rocksdb::WriteBatch* batch, bool sync, const RecordedReply* recorded = nullptr);
  // Commit, when the batch has no copies to reach in the current map (a single-copy cluster):
  // applies it here at once. nullopt, with nothing applied, when it must go down a chain.
  std::optional<Status> CommitWithoutCopies(rocksdb::WriteBatch* batch, bool sync,
                                            const RecordedReply* recorded = nullptr);

  // Replica side (OP_REPLICATE): applies a batch the head decided. STATUS_STALE_MAP when the
  // head's map is older than ours; STATUS_INVALID when the batch holds anything but puts,
  // deletions and chunk merge operands of known column families.
  Status Apply(const proto::ReplicateRequest& request, std::string_view batch_data);

  // Returns once every write this server is deciding as a head, and every replicated batch it
  // is applying, has finished. Called after this server's map moved to a newer epoch: every
  // later write goes down the newer map's chains (a pass then reads nothing a write of an
  // older map can still change), and replicated batches of older epochs are refused.
  void WaitForWritesOfOlderMaps();

  // True when records have copies on other servers in the current map.
  [[nodiscard]] bool replicating() const;
  [[nodiscard]] KeyLocks& locks() { return locks_; }
  [[nodiscard]] Peers& peers() { return *peers_; }

  // Tests only: runs between the moment every copy holds a batch and its apply here, the
  // narrowest window a pass of a newer map must not read through.
  void set_before_local_apply_for_test(std::function<void()> hook) {
    before_local_apply_ = std::move(hook);
  }

 private:
  struct Piece;
  Status AddRecordedReply(rocksdb::WriteBatch* batch, const RecordedReply* recorded) const;
  Status SplitByPlacementKey(rocksdb::WriteBatch* batch, std::vector<Piece>* pieces) const;
  // Sends the pieces to the copies in their chains that lack them; *delivered_epoch: the map
  // epoch at which every copy held them.
  Status Forward(std::vector<Piece>* pieces, bool sync, std::string_view whole_batch,
                 uint64_t* delivered_epoch);
  Status ApplyDelivered(rocksdb::WriteBatch* batch, bool sync, const std::vector<Piece>& pieces,
                        uint64_t epoch);
  // Gives the copies that took a failed batch this head's version of its records back.
  void RevertCopies(const rocksdb::WriteBatch& batch, const std::vector<Piece>& pieces);

  Storage* const storage_;
  Peers* const peers_;
  KeyLocks locks_;
  std::shared_mutex epoch_mutex_;   // Apply: shared to apply a batch, exclusive to raise the epoch
  uint64_t newest_epoch_seen_ = 0;  // GUARDED_BY(epoch_mutex_)
  // The newest epoch of a replicated batch applied here, by KeyLocks stripe of its records.
  std::array<std::atomic<uint64_t>, KeyLocks::kStripes> stripe_epochs_{};
  std::function<void()> before_local_apply_;
};

}  // namespace sealfs
