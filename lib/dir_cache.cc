#include "dir_cache.h"

#include <sys/stat.h>

#include <cstring>

#include "lib/directory_touches.h"

namespace sealfs::client {

std::string DirCache::Key(uint64_t parent, std::string_view name) {
  std::string key(sizeof(parent), '\0');
  std::memcpy(key.data(), &parent, sizeof(parent));
  key.append(name);
  return key;
}

std::optional<uint64_t> DirCache::Find(uint64_t parent, std::string_view name) {
  if (!enabled()) return std::nullopt;
  const std::string key = Key(parent, name);
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (Clock::now() >= it->second.expires) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.ino;
}

void DirCache::Insert(uint64_t parent, std::string_view name, uint64_t ino) {
  if (!enabled()) return;
  std::string key = Key(parent, name);
  std::lock_guard lock(mutex_);
  if (entries_.size() >= capacity_) entries_.clear();
  entries_[std::move(key)] = Entry{ino, Clock::now() + ttl_};
}

void DirCache::Erase(uint64_t parent, std::string_view name) {
  if (!enabled()) return;
  const std::string key = Key(parent, name);
  std::lock_guard lock(mutex_);
  entries_.erase(key);
}

std::optional<proto::InodeAttr> DirCache::FindAttr(uint64_t ino) {
  if (!enabled()) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto it = attrs_.find(ino);
  if (it == attrs_.end()) return std::nullopt;
  if (Clock::now() >= it->second.expires) {
    attrs_.erase(it);
    return std::nullopt;
  }
  return it->second.attr;
}

void DirCache::InsertAttr(const proto::InodeAttr& attr) {
  if (!enabled() || !S_ISDIR(attr.mode())) return;
  std::lock_guard lock(mutex_);
  if (attrs_.size() >= capacity_) attrs_.clear();
  attrs_[attr.ino()] = CachedAttr{attr, Clock::now() + ttl_};
}

void DirCache::RaiseTimes(uint64_t ino, const proto::Timespec& when) {
  if (!enabled()) return;
  std::lock_guard lock(mutex_);
  auto it = attrs_.find(ino);
  if (it != attrs_.end()) client::RaiseTimes(&it->second.attr, when);
}

void DirCache::EraseAttr(uint64_t ino) {
  if (!enabled()) return;
  std::lock_guard lock(mutex_);
  attrs_.erase(ino);
}

}  // namespace sealfs::client
