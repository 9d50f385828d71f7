// Lease: whether this server may act as the head of its records now (docs/design.md, "Leases").
//
// The manager marks a server DOWN, and so lets another copy head its records, once it has not
// heard from it for the heartbeat timeout. A server holds its lease for half that timeout from
// the moment it sent its last registration or heartbeat the manager answered, and only while its
// own map is at least as new as the manager's answer: so a head cut off from the manager stops
// serving reads and writes well before the manager may appoint another, on steady clocks (as a
// 3FS service that cannot reach mgmtd stops while mgmtd waits the whole timeout).
//
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace sealfs {

class Lease {
 public:
  using Clock = std::chrono::steady_clock;

  // A registration or heartbeat sent at `sent` was answered at map epoch `epoch`.
  void Confirm(Clock::time_point sent, uint64_t epoch);
  // True while the last answer is younger than `duration` and `map_epoch`, the epoch of the map
  // this server acts on, is at least the epoch of that answer.
  [[nodiscard]] bool Holds(Clock::time_point now, std::chrono::milliseconds duration,
                           uint64_t map_epoch) const;

  // Half the manager's heartbeat timeout (the map's; 5000 ms when the map does not say).
  static std::chrono::milliseconds DurationFor(uint32_t heartbeat_timeout_ms);

 private:
  std::atomic<Clock::rep> sent_{0};  // time_since_epoch of the newest confirmed send
  std::atomic<uint64_t> epoch_{0};   // the epoch the manager answered with then
  std::atomic<bool> confirmed_{false};
};

}  // namespace sealfs
