// WriteBehind: the writes a client keeps before sending them (sealfs_options.write_behind), so
// that many small writes to a file cost a few large requests instead of one round trip each.
//
// A file's kept writes are merged into ranges (a later write wins where they overlap) and sent
// together by a send function, on a background thread BackgroundBatches::kBatchWindow after
// the first of them or at once when they reach kSendBytes (while the writers fill the next
// kSendBytes, a writer that fills those too waits for the send on its way), or by Send, which
// the client calls before anything that reads or changes the file's bytes or attributes. One
// send of a file is on its way at a time, so sends land in the order they were made, and Send
// waits for the one on its way: whatever a caller of Send reads afterwards has every write kept
// before the call. A failed send drops its bytes (as a kernel drops pages it could not write
// back) and is kept as the file's error until a Send that reports it (close, fsync).
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "background_batches.h"
#include "sealfs.pb.h"
#include "status.h"

namespace sealfs::client {

// Writes of one file, as non-overlapping ranges keyed by offset, merged where they touch. A run
// of appends to a range grows it in place.
class DirtyRanges {
 public:
  // A range growing past kRunStart bytes is given room for kRunCapacity (WriteBehind sends a
  // file's writes at 4 MiB).
  static constexpr std::size_t kRunStart = 64U << 10;
  static constexpr std::size_t kRunCapacity = (4U << 20) + (256U << 10);
  // Keeps bytes at offset over whatever is kept there.
  void Add(uint64_t offset, std::string_view bytes);
  [[nodiscard]] std::size_t bytes() const { return bytes_; }
  [[nodiscard]] bool empty() const { return ranges_.empty(); }
  [[nodiscard]] const std::map<uint64_t, std::string>& ranges() const { return ranges_; }

 private:
  std::map<uint64_t, std::string> ranges_;  // offset -> bytes
  std::size_t bytes_ = 0;
};

// What one send carries: the ranges of one file and the time of its last write, its mtime.
struct KeptWrites {
  uint64_t ino = 0;
  uint32_t chunk_size = 0;
  DirtyRanges ranges;
  proto::Timespec mtime;
};

class WriteBehind {
 public:
  // A file's kept writes reaching this many bytes are sent at once, on the background thread.
  static constexpr std::size_t kSendBytes = 4U << 20;
  // Writes this large are requests of their own anyway: keeping them would only copy them (an
  // ior-easy run of 1 MiB writes through FUSE went from 0.47 to 0.33 GiB/s when they were kept).
  static constexpr std::size_t kLargestKept = 256U << 10;
  // Returns once the servers hold the writes, or with the failure.
  using SendFunction = std::function<Status(const KeptWrites&)>;

  explicit WriteBehind(SendFunction send);
  // Sends everything kept.
  ~WriteBehind() = default;
  WriteBehind(const WriteBehind&) = delete;
  WriteBehind& operator=(const WriteBehind&) = delete;

  // Keeps a write of bytes at offset. A send of it that fails is reported by the next Send
  // with report_earlier (close, fsync).
  void Keep(uint64_t ino, uint32_t chunk_size, uint64_t offset, std::string_view bytes,
            const proto::Timespec& now);
  // Sends what is kept for ino and waits for a send on its way. Returns the failure of this
  // send; with report_earlier, the failure of an earlier one not yet reported instead, which
  // then counts as reported.
  Status Send(uint64_t ino, bool report_earlier = false);
  // Send of every file with kept writes, for calls that may remove any file (unlink, rename).
  Status SendAll();
  // Runs write, a write not kept (O_APPEND, O_SYNC), after the kept ones of ino and before any
  // kept later.
  Status WriteThrough(uint64_t ino, const std::function<Status()>& write);
  // Whether ino has writes kept, on their way, or a failure not yet reported.
  [[nodiscard]] bool Holds(uint64_t ino) const;

 private:
  struct File {
    std::mutex send_mutex;  // held through a send: one at a time per file
    // The fields below are GUARDED_BY(mutex_).
    KeptWrites kept;
    Status error;  // of a failed send, until reported
  };
  // Sends what file holds; the caller holds file->send_mutex.
  Status SendLocked(const std::shared_ptr<File>& file);
  // Forgets file when it holds nothing any more; under mutex_.
  void ForgetIfIdle(const std::shared_ptr<File>& file);
  [[nodiscard]] std::shared_ptr<File> Find(uint64_t ino) const;

  const SendFunction send_;
  mutable std::mutex mutex_;
  std::unordered_map<uint64_t, std::shared_ptr<File>> files_;  // GUARDED_BY(mutex_)
  std::atomic<std::size_t> file_count_{0};  // files_.size(), read without the lock
  // Sends each file kBatchWindow after its first kept write; declared last, so that its
  // destructor sends what is left while the rest is still alive.
  BackgroundBatches<std::vector<uint64_t>> timer_;
};

}  // namespace sealfs::client
