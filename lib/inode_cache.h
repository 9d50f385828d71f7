// InodeCache: a value per inode that a client keeps for a while (ttl) after reading it, so that
// the same question asked again at once costs no round trip (RecentFiles, a file's capability
// xattr). What this client changes it erases, and a value read before such a change is not kept
// when it comes back after it (Insert's read_after, as DirCache's); another client's change
// shows within ttl. At most `capacity` inodes: a full cache starts empty again. Thread-safe.
#pragma once

#include <atomic>
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

  // Where this client's changes stand: taken before reading a value, for Insert.
  [[nodiscard]] uint64_t ChangesSoFar() const { return changes_.load(); }
  // Keeps value unless this client changed any inode since the read began (`read_after` =
  // ChangesSoFar() then): the change could have landed after the read.
  void Insert(uint64_t ino, Value value, uint64_t read_after) {
    if (ttl_.count() == 0) return;
    std::lock_guard lock(mutex_);
    if (changes_.load() != read_after) return;
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
    ++changes_;
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
  std::atomic<uint64_t> changes_{0};         // raised under mutex_
};

}  // namespace sealfs::client
