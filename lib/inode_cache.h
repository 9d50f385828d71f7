// InodeCache: a value per inode that a client keeps for a while (ttl) after reading it, so that
// the same question asked again at once costs no round trip (RecentFiles, a file's capability
// xattr). What this client changes it erases; another client's change shows within ttl. At most
// `capacity` inodes: a full cache starts empty again. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

namespace sealfs::client {

template <typename Value>
class InodeCache {
 public:
  using Clock = std::chrono::steady_clock;
  // ttl 0 keeps nothing.
  explicit InodeCache(std::chrono::milliseconds ttl, std::size_t capacity = 1 << 14)
      : ttl_(ttl), capacity_(capacity) {}

  void Insert(uint64_t ino, Value value) {
    if (ttl_.count() == 0) return;
    std::lock_guard lock(mutex_);
    if (kept_.size() >= capacity_) kept_.clear();
    kept_[ino] = Kept{std::move(value), Clock::now() + ttl_};
  }
  // The value when kept and fresh.
  std::optional<Value> Find(uint64_t ino) {
    if (ttl_.count() == 0) return std::nullopt;
    std::lock_guard lock(mutex_);
    auto it = kept_.find(ino);
    if (it == kept_.end()) return std::nullopt;
    if (it->second.expires <= Clock::now()) {
      kept_.erase(it);
      return std::nullopt;
    }
    return it->second.value;
  }
  void Erase(uint64_t ino) {
    if (ttl_.count() == 0) return;
    std::lock_guard lock(mutex_);
    kept_.erase(ino);
  }

 private:
  struct Kept {
    Value value;
    Clock::time_point expires;
  };
  const std::chrono::milliseconds ttl_;
  const std::size_t capacity_;
  std::mutex mutex_;
  std::unordered_map<uint64_t, Kept> kept_;  // GUARDED_BY(mutex_)
};

}  // namespace sealfs::client
