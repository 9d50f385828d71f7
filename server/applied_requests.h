// AppliedRequests: the ids of the unrecorded writes (chunk writes, truncations, hole punches)
// this process applied lately.
//
// Such a write stores no reply with it: a retry applies it again, which is harmless while
// nothing came between. But its first attempt may be applied late (it waited in a socket or a
// queue while the client gave up and retried under the same id), after the retry and after a
// later write the client made once the retry was acknowledged: applied then, it would undo that
// later write. A write whose id is here was applied already and is answered without being
// applied again; the handler checks and adds under the record's key lock. A write that reaches
// another head after a map change is fenced by epochs instead (replicator.h).
//
// Ids are kept for kKeepFor, longer than a request waits in this process (the replication
// deadline), and at most kMaxIds of them. A restart forgets them, and with them every request
// the old process held.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <unordered_set>
#include <utility>

namespace sealfs {

class AppliedRequests {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::minutes kKeepFor{10};
  static constexpr std::size_t kMaxIds = 1U << 20;

  [[nodiscard]] bool Contains(uint64_t request_id) const;
  void Add(uint64_t request_id, Clock::time_point now = Clock::now());

 private:
  mutable std::mutex mutex_;
  std::unordered_set<uint64_t> ids_;                           // GUARDED_BY(mutex_)
  std::deque<std::pair<Clock::time_point, uint64_t>> by_age_;  // GUARDED_BY(mutex_), oldest first
};

}  // namespace sealfs
