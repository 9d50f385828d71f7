// DirectoryTouches: the new mtime and ctime of directories this client created or removed a
// name in, sent in the background, kBatchWindow after the first of them unless asked for sooner.
// The touches made meanwhile, and while one SETATTR of a directory is on its way, go as one,
// carrying the latest time: a thousand creates in one directory cost a few writes of its inode,
// not a thousand (each a replicated write, and a wait on its key lock).
// Before this client reads or sets a directory's attributes, or runs an intent, what it has
// pending is sent first (Flush), so that it sees its own changes; another client sees them
// once sent, a round trip or so later. A touch that fails is dropped, as a best-effort intent
// step is. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "sealfs.pb.h"

namespace sealfs::client {

class DirectoryTouches {
 public:
  static constexpr std::chrono::milliseconds kBatchWindow{5};
  // Sends the touches, one SETATTR per directory, all at once; returns when all are answered.
  using Send = std::function<void(const std::vector<proto::SetAttrRequest>&)>;
  explicit DirectoryTouches(Send send);
  ~DirectoryTouches();  // sends what is pending first
  DirectoryTouches(const DirectoryTouches&) = delete;
  DirectoryTouches& operator=(const DirectoryTouches&) = delete;

  void Touch(uint64_t dir_ino, const proto::Timespec& when);
  // Returns once every touch made before the call has been sent.
  void Flush();
  // Flush, when a touch of dir_ino is pending or on its way; true when it waited.
  bool FlushIfPending(uint64_t dir_ino);

 private:
  void Run();
  void WaitUntilSent(std::unique_lock<std::mutex>& lock);

  Send send_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<uint64_t, proto::Timespec> pending_;  // GUARDED_BY(mutex_)
  std::vector<uint64_t> sending_;                // GUARDED_BY(mutex_): directories on their way
  uint64_t touched_ = 0;                         // GUARDED_BY(mutex_): touches made
  uint64_t sent_ = 0;                            // GUARDED_BY(mutex_): of those, sent
  bool stop_ = false;                            // GUARDED_BY(mutex_)
  bool flush_wanted_ = false;                    // GUARDED_BY(mutex_): send without waiting
  std::thread thread_;
};

}  // namespace sealfs::client
