// RecentFiles: the attributes of the regular files this client looked up lately, so that an
// open by inode right after its lookup (the FUSE kernel's LOOKUP then OPEN) costs no round trip.
// The open takes from them what never changes (the type, the chunk size) and the times, which
// relatime judges by and which may be up to `ttl` old, as the kernel's own relatime judges by
// what it cached. Nothing else: every read asks for the size. This client's writes and
// attribute changes drop what they change. Thread-safe.
#pragma once

#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <optional>

#include "inode_cache.h"
#include "sealfs.pb.h"

namespace sealfs::client {

class RecentFiles {
 public:
  // ttl 0 keeps nothing. At most `capacity` files: when full, it starts empty again.
  explicit RecentFiles(std::chrono::milliseconds ttl, std::size_t capacity = 1 << 14)
      : files_(ttl, capacity) {}

  // Where this client's changes stand: taken before reading attributes, for Insert.
  [[nodiscard]] uint64_t ChangesSoFar() const { return files_.ChangesSoFar(); }
  // Keeps attr when it is a regular file's, read after `read_after` (InodeCache::Insert).
  void Insert(const proto::InodeAttr& attr, uint64_t read_after) {
    if (S_ISREG(attr.mode())) files_.Insert(attr.ino(), attr, read_after);
  }
  // The file's attributes when kept and fresh.
  std::optional<proto::InodeAttr> Find(uint64_t ino) { return files_.Find(ino); }
  void Erase(uint64_t ino) { files_.Erase(ino); }

 private:
  InodeCache<proto::InodeAttr> files_;
};

}  // namespace sealfs::client
