// Resync: the passes that bring every replica of a record to the head's version of it.
//
// Whenever the map changes (a server came back, joined, went DOWN or OUT), and again after a pass
// that could not finish, each server walks its records. For each record it is the head of, it
// lists (key, digest) to every other replica in the record's chain, one page at a time
// (OP_SYNC_CHECK); the replica answers with the keys it lacks, holds differently, or holds while
// the head does not, and the head sends its current version (or the deletion) of each under the
// record's exclusive key lock, so that no write of that record can pass it. A page covers a
// range of keys, the last one up to the end of the column family, so that a replica learns of
// every record it holds that the head has deleted.
//
// Passes also run every scrub interval, and collect the garbage of operations cut short: the
// chunks of an inode that no longer exists (a client died between deleting a file's inode and
// its chunks, or wrote to a file unlinked meanwhile) are deleted by the chunks' head once the
// inode's head answers that it does not know the inode.
//
// A pass that finishes at map epoch E is reported to the manager (SyncProgress in the
// heartbeat): a SYNCING server becomes UP once every UP server has finished a pass at an epoch
// at or after its arrival, and re-replication after a server went OUT is done when every server
// has.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "replicator.h"
#include "sealfs.pb.h"
#include "storage.h"

namespace sealfs {

class Resync {
 public:
  // on_finished (optional) is called after each finished pass, to report it at once.
  Resync(Storage* storage, Replicator* replicator, std::chrono::milliseconds scrub_interval,
         std::function<void()> on_finished = {});
  ~Resync();  // Stop()
  Resync(const Resync&) = delete;
  Resync& operator=(const Resync&) = delete;

  void Start();
  void Stop();  // idempotent
  // The map may have changed: run a pass if its epoch is newer than the last finished one.
  void Wake();
  [[nodiscard]] proto::SyncProgress progress() const;

  // Replica side of OP_SYNC_CHECK. STATUS_STALE_MAP when the sender's epoch differs from ours
  // (both must compute the same chains); the sender tries again.
  Status Check(const proto::SyncCheckRequest& request, proto::SyncCheckReply* reply);

 private:
  struct Page;
  void Loop();
  // One pass over every family at one map; ok when it finished.
  Status Pass(const std::shared_ptr<const MapSnapshot>& map);
  Status PassFamily(const std::shared_ptr<const MapSnapshot>& map, Storage::Family family);
  // Sends one page to a replica and repairs what it reports.
  Status Flush(const std::shared_ptr<const MapSnapshot>& map, Storage::Family family,
               ServerId replica, Page* page, bool to_end);
  // Deletes the chunks this server is the head for of each inode its head does not know.
  Status RemoveOrphanChunks(const std::shared_ptr<const MapSnapshot>& map,
                            const std::vector<uint64_t>& inos);
  // Sends the head's current version of each key (or its deletion) to the replica.
  Status Repair(const std::shared_ptr<const MapSnapshot>& map, Storage::Family family,
                ServerId replica, const std::vector<std::string>& keys);
  [[nodiscard]] bool stopping() const;

  Storage* const storage_;
  Replicator* const replicator_;
  const std::chrono::milliseconds scrub_interval_;
  const std::function<void()> on_finished_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;                                // GUARDED_BY(mutex_)
  bool woken_ = false;                               // GUARDED_BY(mutex_)
  proto::SyncProgress progress_;                     // GUARDED_BY(mutex_)
  std::chrono::steady_clock::time_point last_pass_;  // GUARDED_BY(mutex_)

  // Inodes whose chunks this server holds and whose head did not know them, by the map epoch
  // and the time they were first found missing. Touched by the pass thread only.
  struct Suspect {
    uint64_t epoch = 0;
    std::chrono::steady_clock::time_point first_missing;
  };
  std::map<uint64_t, Suspect> suspects_;
  std::thread thread_;
};

}  // namespace sealfs
