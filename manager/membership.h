// Membership: who is in the cluster, where each server is, and whether it is alive.
//
// The cluster map (proto::ClusterMap) lists every server that ever registered, ordered by id,
// with its address and its state (UP, SYNCING, DOWN, LEAVING or OUT) and the epoch it entered
// it. Its epoch grows by exactly one on every change
// of the map and never otherwise, so a server or client that holds epoch N knows it is current
// when the manager reports N. Every change is written to the ClusterMapStore (synced) before it
// becomes visible: a change that cannot be stored fails and leaves the map as it was.
//
// Rules ("arrives" below: the server came back, restarted or joined; every change of the map
// carries which copies of each placement group are complete, by the rules of
// complete_copies.h, and a live server is UP when it lags in no group, SYNCING otherwise):
//   Register(id, addr, incarnation)
//                        unknown id: added, arrives, epoch+1.
//                        known id, new address or incarnation, or not UP: address and
//                        incarnation updated, arrives, epoch+1 (the same server, restarted,
//                        possibly elsewhere: same identity, same data, but it may have missed
//                        writes, or applied some it could not pass on before it died).
//                        known, same address and incarnation, UP or SYNCING: nothing changes
//                        (the manager restarted and the server registers again).
//   Heartbeat(id, addr)  unknown id: STATUS_NOT_FOUND (the server must register first).
//                        known: its time and sync progress are recorded; DOWN, LEAVING or
//                        OUT: arrives, epoch+1; a new address: updated, epoch+1. A finished
//                        pass clears the lagging marks it makes good (MarkCaughtUp), epoch+1.
//   CheckTimeouts(now)   every UP or SYNCING server not heard from within heartbeat_timeout
//                        goes DOWN; every server DOWN for longer than down_out_after goes
//                        LEAVING (OUT once it holds no group); all of them in one change,
//                        epoch+1.
//   An address is held by at most one UP server: a Register or Heartbeat that claims an
//   address another UP server holds fails with STATUS_EXISTS (two processes cannot listen on
//   one address, so one of them is misconfigured or the holder died and has not timed out yet).
//   Servers stay in the map when DOWN: placement still maps data to them.
//
// Heartbeat times live only in memory (steady clock). When the manager starts, every server
// loaded as UP gets a fresh grace period: it counts as heard from at start.
//
// Thread-safe: every public method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "cluster_map_store.h"
#include "manager/complete_copies.h"
#include "sealfs.pb.h"
#include "status.h"

namespace sealfs::manager {

struct MembershipOptions {
  // A server is DOWN once no heartbeat came for this long. Shorter detects failures sooner but
  // risks marking a slow or briefly partitioned server DOWN (each flap costs an epoch and makes
  // every client fetch the map).
  std::chrono::milliseconds heartbeat_timeout{5000};
  // How often the background checker runs; a server is marked DOWN between heartbeat_timeout
  // and heartbeat_timeout + check_interval after its last heartbeat. Zero picks
  // clamp(heartbeat_timeout / 10, 10 ms, 500 ms).
  std::chrono::milliseconds check_interval{0};
  // Chunk size written into a map created from scratch; an existing map keeps its own.
  uint32_t default_chunk_size = 1U << 20;
  // Copies of every record (capped by the number of servers); written into the map at start.
  uint32_t replicas = 3;
  // Complete copies that must hold a write before it is acknowledged (capped by replicas);
  // written into the map at start. More survives more overlapping failures; fewer keeps writes
  // going with more copies down.
  uint32_t min_copies = 1;
  // A server DOWN this long goes OUT: placement forgets it and its records are copied to the
  // servers that take its place. Like Ceph's mon_osd_down_out_interval.
  std::chrono::milliseconds down_out_after{600000};
};

class Membership {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;
  // The clock; tests inject a fake one so that nothing sleeps.
  using NowFunction = std::function<TimePoint()>;

  // Loads the map from `store` (creating and saving an empty map with epoch 1 when none is
  // stored). `now` defaults to the steady clock. Does not start the checker thread.
  static Status Open(std::unique_ptr<ClusterMapStore> store, MembershipOptions options,
                     std::unique_ptr<Membership>* out, NowFunction now = nullptr);

  // Stops the checker thread.
  ~Membership();
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;

  // See the rules above. `address` is "HOST:PORT" with a nonzero port; id 0 is not an
  // identity. Both fail with STATUS_INVALID otherwise, STATUS_IO_ERROR when the change cannot
  // be stored. Register fills *map with the map after the change.
  // `zone`: the server's failure domain (empty: its own); a new one is recorded, epoch+1.
  Status Register(uint64_t server_id, const std::string& address, uint64_t incarnation,
                  proto::ClusterMap* map, const std::string& zone = {});
  // *epoch receives the current epoch (after any change this heartbeat caused).
  Status Heartbeat(uint64_t server_id, const std::string& address,
                   const proto::SyncProgress& progress, uint64_t* epoch);

  // Marks DOWN every UP server last heard from more than heartbeat_timeout before `now`.
  // *marked (optional) receives how many. The checker thread calls this with now().
  Status CheckTimeouts(TimePoint now, int* marked = nullptr);

  // The map, with each server's last reported sync progress.
  [[nodiscard]] proto::ClusterMap GetMap() const;
  [[nodiscard]] uint64_t epoch() const;

  // Starts / stops the background thread that calls CheckTimeouts every check_interval.
  // Start is a no-op when running; Stop is idempotent.
  void StartChecker();
  void StopChecker();

  [[nodiscard]] const MembershipOptions& options() const { return options_; }

 private:
  Membership(std::unique_ptr<ClusterMapStore> store, MembershipOptions options, NowFunction now);

  // Index of the server in map_.servers(), or -1.
  [[nodiscard]] int FindLocked(uint64_t server_id) const;
  // Index of an UP server other than `server_id` that holds `address`, or -1.
  [[nodiscard]] int FindUpHolderLocked(const std::string& address, uint64_t server_id) const;
  // Stores `next` with epoch+1 and makes it current, with the marks of its complete copies
  // carried from `marks_from` (map_ when null; CarryCompleteCopies). `arrived`: servers that
  // came back, restarted or joined in this change. On failure map_ is unchanged.
  Status CommitLocked(proto::ClusterMap next, const std::set<uint64_t>& arrived = {},
                      const proto::ClusterMap* marks_from = nullptr);
  // Shared by Register and Heartbeat: records `server_id` as alive at `address`, epoch+1 if that
  // changes the map. `registering` adds an unknown id; otherwise an unknown id is
  // STATUS_NOT_FOUND. A registering server arrives unless it is UP or SYNCING at this very
  // address with this very `incarnation` (the process it was).
  Status MarkAliveLocked(uint64_t server_id, const std::string& address, bool registering,
                         uint64_t incarnation, const std::string& zone);
  // Clears the lagging marks its head's passes have made good (MarkCaughtUp).
  Status PromoteSyncedLocked();
  void CheckerLoop();

  const MembershipOptions options_;
  const NowFunction now_;

  mutable std::mutex mutex_;
  std::unique_ptr<ClusterMapStore> store_;            // GUARDED_BY(mutex_)
  proto::ClusterMap map_;                             // GUARDED_BY(mutex_)
  std::map<uint64_t, TimePoint> last_heard_;          // GUARDED_BY(mutex_)
  std::map<uint64_t, proto::SyncProgress> progress_;  // GUARDED_BY(mutex_)
  ChainEpochs chain_epochs_;                          // GUARDED_BY(mutex_)
  bool promotion_due_ = true;                         // GUARDED_BY(mutex_)

  std::mutex lifecycle_mutex_;  // held through StartChecker and StopChecker
  std::thread checker_;         // GUARDED_BY(lifecycle_mutex_)
  std::mutex checker_mutex_;
  std::condition_variable checker_cv_;
  bool checker_stop_ = false;  // GUARDED_BY(checker_mutex_)
};

// Checks a server's address: "HOST:PORT" with a nonempty host and a nonzero port.
bool IsValidServerAddress(const std::string& address);

}  // namespace sealfs::manager
