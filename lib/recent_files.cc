#include "recent_files.h"

#include <sys/stat.h>

namespace sealfs::client {

void RecentFiles::Insert(const proto::InodeAttr& attr) {
  if (ttl_.count() == 0 || !S_ISREG(attr.mode())) return;
  std::lock_guard lock(mutex_);
  if (files_.size() >= capacity_) files_.clear();
  files_[attr.ino()] = Kept{attr, Clock::now() + ttl_};
}

std::optional<proto::InodeAttr> RecentFiles::Find(uint64_t ino) {
  std::lock_guard lock(mutex_);
  auto it = files_.find(ino);
  if (it == files_.end()) return std::nullopt;
  if (it->second.expires <= Clock::now()) {
    files_.erase(it);
    return std::nullopt;
  }
  return it->second.attr;
}

void RecentFiles::Erase(uint64_t ino) {
  if (ttl_.count() == 0) return;
  std::lock_guard lock(mutex_);
  files_.erase(ino);
}

}  // namespace sealfs::client
