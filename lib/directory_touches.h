// DirectoryTouches: the new mtime and ctime of directories this client created or removed a
// name in, sent in the background (BackgroundBatches), kBatchWindow after the first of them
// unless asked for sooner. The touches made meanwhile, and while one SETATTR of a directory is
// on its way, go as one, carrying the latest time: a thousand creates in one directory cost a
// few writes of its inode, not a thousand (each a replicated write, and a wait on its key lock).
// The attributes this client reads of a directory carry its own pending times
// (AddPendingTimes); before it sets a directory's attributes or runs an intent, what it has
// pending is sent first (Flush). Another client sees them once sent, a round trip or so later. A
// touch that fails is dropped, as a best-effort intent step is. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "lib/background_batches.h"
#include "sealfs.pb.h"

namespace sealfs::client {

// Raises attr's mtime and ctime to `when` where they are earlier, as a touch at `when` does.
void RaiseTimes(proto::InodeAttr* attr, const proto::Timespec& when);
// Whether time a is after time b.
bool Later(const proto::Timespec& a, const proto::Timespec& b);

class DirectoryTouches {
 public:
  // Sends the touches, one SETATTR per directory, all at once; returns when all are answered.
  using Send = std::function<void(const std::vector<proto::SetAttrRequest>&)>;
  explicit DirectoryTouches(Send send);

  void Touch(uint64_t dir_ino, const proto::Timespec& when);
  // Returns once every touch made before the call has been sent.
  void Flush() { batches_.Flush(); }
  // Raises attr's mtime and ctime to the latest touch of dir_ino pending or on its way, so
  // that this client sees its own changes without waiting for them to reach the server.
  void AddPendingTimes(uint64_t dir_ino, proto::InodeAttr* attr);
  // Flush, when a touch of dir_ino is pending or on its way; true when it waited.
  bool FlushIfPending(uint64_t dir_ino);

 private:
  using Touches = std::map<uint64_t, proto::Timespec>;  // the latest time of each directory
  BackgroundBatches<Touches> batches_;  // last: sends what is pending before it goes
};

}  // namespace sealfs::client
