#include "server/lease.h"

#include <algorithm>

namespace sealfs {

void Lease::Confirm(Clock::time_point sent, uint64_t epoch) {
  const Clock::rep ticks = sent.time_since_epoch().count();
  Clock::rep seen = sent_.load();
  while (seen < ticks && !sent_.compare_exchange_weak(seen, ticks)) {
  }
  uint64_t known = epoch_.load();
  while (known < epoch && !epoch_.compare_exchange_weak(known, epoch)) {
  }
  confirmed_ = true;
}

bool Lease::Holds(Clock::time_point now, std::chrono::milliseconds duration,
                  uint64_t map_epoch) const {
  if (!confirmed_) return false;
  const Clock::time_point sent{Clock::duration(sent_.load())};
  return now < sent + duration && map_epoch >= epoch_.load();
}

std::chrono::milliseconds Lease::DurationFor(uint32_t heartbeat_timeout_ms) {
  constexpr uint32_t kDefaultTimeoutMs = 5000;  // the manager's default
  return std::chrono::milliseconds(
      (heartbeat_timeout_ms != 0 ? heartbeat_timeout_ms : kDefaultTimeoutMs) / 2);
}

}  // namespace sealfs
