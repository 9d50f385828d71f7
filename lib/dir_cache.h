// DirCache: the directories this client looked up lately, by (parent, name), so that resolving a
// path costs a round trip for its last component only while the directories on the way are
// fresh. Entries live `ttl` (sealfs_options.dir_cache_ms, 1 s by default, as long as the FUSE
// bridge lets the kernel cache a name). Only directories are kept: a file's entry is always
// asked for. This client's own rmdir and rename drop the names they change; another client's
// show up here within ttl. Thread-safe.
//
// It also keeps the attributes of directories, by inode, for the same ttl, so that the FUSE
// kernel's GETATTR of a directory after each create in it (it drops what it knew of a directory
// whose names changed, and checks permissions with it) costs no round trip. This client's own
// changes keep them true: a create or unlink raises the times (RaiseTimes), any other change of
// the directory's inode drops them (EraseAttr).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "sealfs.pb.h"

namespace sealfs::client {

class DirCache {
 public:
  using Clock = std::chrono::steady_clock;
  // ttl 0 keeps nothing. At most `capacity` names: when full, the cache starts empty again.
  explicit DirCache(std::chrono::milliseconds ttl, std::size_t capacity = 1 << 16)
      : ttl_(ttl), capacity_(capacity) {}

  // The directory's inode when (parent, name) is cached and fresh.
  std::optional<uint64_t> Find(uint64_t parent, std::string_view name);
  void Insert(uint64_t parent, std::string_view name, uint64_t ino);
  void Erase(uint64_t parent, std::string_view name);
  [[nodiscard]] bool enabled() const { return ttl_.count() > 0; }

  // A directory's attributes when cached and fresh.
  std::optional<proto::InodeAttr> FindAttr(uint64_t ino);
  // Where this client's changes of directories stand: taken before reading attributes from a
  // server, for InsertAttr.
  [[nodiscard]] uint64_t ChangesSoFar() const { return changes_.load(); }
  // Keeps attr when it is a directory's that this client has not changed since the read began
  // (`read_after` = ChangesSoFar() then): a change that raced the read would be lost otherwise.
  void InsertAttr(const proto::InodeAttr& attr, uint64_t read_after);
  // Raises the cached mtime and ctime of ino to `when`, as a touch this client sent does.
  void RaiseTimes(uint64_t ino, const proto::Timespec& when);
  void EraseAttr(uint64_t ino);

 private:
  static std::string Key(uint64_t parent, std::string_view name);
  struct Entry {
    uint64_t ino = 0;
    Clock::time_point expires;
  };
  const std::chrono::milliseconds ttl_;
  const std::size_t capacity_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;  // GUARDED_BY(mutex_)
  struct CachedAttr {
    proto::InodeAttr attr;
    Clock::time_point expires;
  };
  std::unordered_map<uint64_t, CachedAttr> attrs_;  // GUARDED_BY(mutex_)
  // Counts RaiseTimes and EraseAttr; last_change_ holds the count at each directory's latest.
  std::atomic<uint64_t> changes_{0};
  std::unordered_map<uint64_t, uint64_t> last_change_;  // GUARDED_BY(mutex_)
  uint64_t forgotten_until_ = 0;  // GUARDED_BY(mutex_): changes before it left last_change_
  void NoteChange(uint64_t ino);  // with mutex_ held
};

}  // namespace sealfs::client
