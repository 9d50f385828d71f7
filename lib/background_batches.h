// BackgroundBatches: work a client does off the caller's path. What callers add gathers in one
// pending batch; a background thread takes it whole, kBatchWindow after the first addition
// unless a Flush asks for it sooner, and hands it to `send` (one batch on its way at a time).
// Flush returns once everything added before it has been sent; the destructor flushes.
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

namespace sealfs::client {

template <typename Batch>
class BackgroundBatches {
 public:
  static constexpr std::chrono::milliseconds kBatchWindow{5};
  // Sends a batch; returns when it is done.
  using Send = std::function<void(const Batch&)>;

  explicit BackgroundBatches(Send send) : send_(std::move(send)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~BackgroundBatches() {
    {
      std::unique_lock lock(mutex_);
      WaitUntilSent(lock);
      stop_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
  BackgroundBatches(const BackgroundBatches&) = delete;
  BackgroundBatches& operator=(const BackgroundBatches&) = delete;

  // Runs add(pending batch) under the lock. at_once: the pending batch goes now rather than at
  // the end of its window (without waiting for it, unlike Flush).
  template <typename Change>
  void Add(const Change& add, bool at_once = false) {
    bool wake = at_once;
    {
      std::lock_guard lock(mutex_);
      wake = wake || pending_.empty();
      add(pending_);
      ++added_;
      if (at_once) flush_wanted_ = true;
    }
    // Only the first addition starts the batch window; waking the sender for every later one
    // would cost a thread switch each.
    if (wake) changed_.notify_all();
  }

  // Returns once everything added before the call has been sent.
  void Flush() {
    std::unique_lock lock(mutex_);
    WaitUntilSent(lock);
  }

  // Shows `visit` the pending batch, then the one on its way, under the lock.
  template <typename Visitor>
  void Inspect(const Visitor& visit) {
    std::lock_guard lock(mutex_);
    visit(pending_);
    visit(sending_);
  }

  // Flush, when `concerns` holds for the pending batch or the one on its way; true when it
  // waited.
  template <typename Predicate>
  bool FlushIf(const Predicate& concerns) {
    std::unique_lock lock(mutex_);
    if (!concerns(pending_) && !concerns(sending_)) return false;
    WaitUntilSent(lock);
    return true;
  }

 private:
  void WaitUntilSent(std::unique_lock<std::mutex>& lock) {
    const uint64_t target = added_;
    if (sent_ >= target) return;
    flush_wanted_ = true;
    changed_.notify_all();
    changed_.wait(lock, [&] { return sent_ >= target; });
  }

  void Run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      changed_.wait(lock, [&] { return stop_ || !pending_.empty(); });
      if (pending_.empty()) return;  // stopping, nothing left
      changed_.wait_for(lock, kBatchWindow, [&] { return stop_ || flush_wanted_; });
      flush_wanted_ = false;
      const uint64_t covered = added_;
      sending_ = std::exchange(pending_, Batch{});
      lock.unlock();
      send_(sending_);  // only read meanwhile: FlushIf reads it too, under the lock
      lock.lock();
      sending_ = Batch{};
      sent_ = covered;
      changed_.notify_all();
    }
  }

  Send send_;
  std::mutex mutex_;
  std::condition_variable changed_;
  Batch pending_;              // GUARDED_BY(mutex_)
  Batch sending_;              // written under mutex_: the batch on its way
  uint64_t added_ = 0;         // GUARDED_BY(mutex_): additions made
  uint64_t sent_ = 0;          // GUARDED_BY(mutex_): of those, sent
  bool stop_ = false;          // GUARDED_BY(mutex_)
  bool flush_wanted_ = false;  // GUARDED_BY(mutex_): send without waiting
  std::thread thread_;
};

}  // namespace sealfs::client
