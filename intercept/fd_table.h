// The process's descriptors that stand for SealFS open files: descriptor number -> the shared
// open-file object. Descriptors made by dup, dup2 and fcntl(F_DUPFD) point at the same object;
// the object goes when its last descriptor does.
//
// Thread-safe. Lookups take a shared lock, and none at all while the table is empty, so that the
// calls a program makes on its own descriptors cost one atomic load. Objects leave the table
// through the return value of Set and Remove, so that the caller destroys them (which may close
// a SealFS descriptor over the network) outside the lock.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <new>
#include <shared_mutex>
#include <utility>
#include <vector>

namespace sealfs::intercept {

template <typename OpenFile>
class FdTable {
 public:
  using Entry = std::shared_ptr<OpenFile>;

  [[nodiscard]] bool empty() const { return size_.load(std::memory_order_acquire) == 0; }

  [[nodiscard]] Entry Get(int fd) const {
    if (fd < 0 || empty()) return nullptr;
    std::shared_lock lock(mutex_);
    auto index = static_cast<std::size_t>(fd);
    return index < entries_.size() ? entries_[index] : nullptr;
  }

  // Makes fd stand for `entry` (nullptr: for nothing); returns what it stood for before.
  Entry Set(int fd, Entry entry) {
    if (fd < 0) return nullptr;
    std::unique_lock lock(mutex_);
    auto index = static_cast<std::size_t>(fd);
    if (index >= entries_.size()) {
      if (!entry) return nullptr;
      entries_.resize(std::max(index + 1, entries_.size() * 2));
    }
    Entry previous = std::exchange(entries_[index], std::move(entry));
    int change = (entries_[index] ? 1 : 0) - (previous ? 1 : 0);
    size_.fetch_add(change, std::memory_order_release);
    return previous;
  }

  Entry Remove(int fd) { return Set(fd, nullptr); }

  // Removes the descriptors first..last (inclusive) and returns what they stood for.
  std::vector<Entry> RemoveRange(int first, int last) {
    std::vector<Entry> removed;
    if (empty() || last < first || last < 0) return removed;
    std::unique_lock lock(mutex_);
    for (auto index = static_cast<std::size_t>(std::max(first, 0));
         index < entries_.size() && index <= static_cast<std::size_t>(last); ++index) {
      if (entries_[index]) {
        removed.push_back(std::move(entries_[index]));
        entries_[index] = nullptr;
        size_.fetch_sub(1, std::memory_order_release);
      }
    }
    return removed;
  }

  // For fork: held across it, so that the child does not inherit a table half changed by
  // another thread. The child makes a new lock rather than unlocking: a read-write lock
  // remembers the thread that took it, which does not exist in the child.
  void LockForFork() { mutex_.lock(); }
  void UnlockAfterForkInParent() { mutex_.unlock(); }
  void ResetAfterForkInChild() { new (&mutex_) std::shared_mutex(); }

 private:
  mutable std::shared_mutex mutex_;
  std::vector<Entry> entries_;  // guarded by mutex_
  std::atomic<int> size_{0};    // entries that are set
};

}  // namespace sealfs::intercept
