#include "dir_cache.h"

#include <sys/stat.h>

#include <cstring>

#include "lib/directory_touches.h"

namespace sealfs::client {
namespace {

// The fresh value under key, or null; an expired one is dropped.
template <typename Map>
typename Map::mapped_type* FindFresh(Map& map, const typename Map::key_type& key) {
  auto it = map.find(key);
  if (it == map.end()) return nullptr;
  if (DirCache::Clock::now() >= it->second.expires) {
    map.erase(it);
    return nullptr;
  }
  return &it->second;
}

}  // namespace

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
  const Entry* entry = FindFresh(entries_, key);
  return entry != nullptr ? std::optional(entry->ino) : std::nullopt;
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
  const CachedAttr* cached = FindFresh(attrs_, ino);
  return cached != nullptr ? std::optional(cached->attr) : std::nullopt;
}

void DirCache::InsertAttr(const proto::InodeAttr& attr, uint64_t read_after) {
  if (!enabled() || !S_ISDIR(attr.mode())) return;
  std::lock_guard lock(mutex_);
  auto changed = last_change_.find(attr.ino());
  if (read_after < forgotten_until_ ||
      (changed != last_change_.end() && changed->second > read_after)) {
    return;
  }
  if (attrs_.size() >= capacity_) attrs_.clear();
  attrs_[attr.ino()] = CachedAttr{attr, Clock::now() + ttl_};
}

void DirCache::RaiseTimes(uint64_t ino, const proto::Timespec& when) {
  if (!enabled()) return;
  std::lock_guard lock(mutex_);
  NoteChange(ino);
  auto it = attrs_.find(ino);
  if (it != attrs_.end()) client::RaiseTimes(&it->second.attr, when);
}

void DirCache::EraseAttr(uint64_t ino) {
  if (!enabled()) return;
  std::lock_guard lock(mutex_);
  NoteChange(ino);
  attrs_.erase(ino);
}

void DirCache::NoteChange(uint64_t ino) {
  if (last_change_.size() >= capacity_) {
    last_change_.clear();
    forgotten_until_ = changes_;
  }
  last_change_[ino] = ++changes_;
}

}  // namespace sealfs::client
