#include "resync.h"

#include <xxhash.h>

#include <algorithm>
#include <map>

#include "key_encoding.h"
#include "placement.h"
#include "rocksdb/db.h"
#include "rocksdb/iterator.h"
#include "rocksdb/write_batch.h"
#include "spdlog/spdlog.h"

namespace sealfs {

namespace {

constexpr std::size_t kPageRecords = 512;
constexpr int kMaxRepliedKeys = 4096;
// After a pass that could not finish (a replica away, the map moving), the next one starts
// after this pause even if the map does not change again.
constexpr std::chrono::milliseconds kRetryPause{1000};
// How long the chunks of an inode must have been seen without it before they are deleted (at
// least two scrub intervals): longer than it takes every server to learn a new map.
constexpr std::chrono::milliseconds kOrphanGrace{5000};

// The families whose records are placed and so replicated, in the order passes walk them.
constexpr Storage::Family kPlacedFamilies[] = {Storage::kInodes,   Storage::kDentries,
                                               Storage::kXattrs,   Storage::kChunks,
                                               Storage::kRequests, Storage::kIntents};

uint64_t Digest(const rocksdb::Slice& value) { return XXH3_64bits(value.data(), value.size()); }

bool IsPlacedFamily(uint32_t family) {
  return std::find(std::begin(kPlacedFamilies), std::end(kPlacedFamilies),
                   static_cast<Storage::Family>(family)) != std::end(kPlacedFamilies);
}

bool InChain(const std::vector<ServerId>& chain, ServerId server) {
  return std::find(chain.begin(), chain.end(), server) != chain.end();
}

}  // namespace

struct Resync::Page {
  std::string after;  // the range this page covers starts after this key ("" = the start)
  std::string last;
  std::vector<std::string> keys;
  std::vector<uint64_t> digests;
};

Resync::Resync(Storage* storage, Replicator* replicator, std::chrono::milliseconds scrub_interval,
               std::function<void()> on_finished)
    : storage_(storage),
      replicator_(replicator),
      scrub_interval_(scrub_interval),
      on_finished_(std::move(on_finished)),
      last_pass_(std::chrono::steady_clock::now()) {}

Resync::~Resync() { Stop(); }

void Resync::Start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable() || stop_) return;
  thread_ = std::thread([this] { Loop(); });
}

void Resync::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Resync::Wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

bool Resync::stopping() const {
  std::lock_guard lock(mutex_);
  return stop_;
}

proto::SyncProgress Resync::progress() const {
  std::lock_guard lock(mutex_);
  return progress_;
}

void Resync::Loop() {
  std::unique_lock lock(mutex_);
  bool failed = false;
  while (!stop_) {
    auto map = replicator_->peers().snapshot();
    const bool due = map && (map->epoch() > progress_.synced_epoch() ||
                             std::chrono::steady_clock::now() - last_pass_ >= scrub_interval_);
    if (!due || failed) {
      wake_.wait_for(
          lock,
          failed ? kRetryPause
                 : std::min<std::chrono::milliseconds>(scrub_interval_, std::chrono::seconds(1)),
          [this] { return stop_ || woken_; });
      woken_ = false;
      failed = false;
      continue;
    }
    progress_.set_in_progress(true);
    progress_.set_records_checked(0);
    progress_.set_records_copied(0);
    progress_.set_bytes_copied(0);
    lock.unlock();
    Status status = Pass(map);
    lock.lock();
    last_pass_ = std::chrono::steady_clock::now();
    progress_.set_in_progress(false);
    if (status.ok()) {
      progress_.set_synced_epoch(map->epoch());
      if (on_finished_) {
        lock.unlock();
        on_finished_();
        lock.lock();
      }
      if (progress_.records_copied() > 0) {
        spdlog::info("pass at epoch {}: {} records checked, {} copied ({} bytes)", map->epoch(),
                     progress_.records_checked(), progress_.records_copied(),
                     progress_.bytes_copied());
      }
    } else {
      spdlog::info("pass at epoch {} not finished: {}", map->epoch(), status.ToString());
      failed = true;
    }
  }
}

Status Resync::Pass(const std::shared_ptr<const MapSnapshot>& map) {
  // A restarted process passes nothing before the map knows it: what it holds may be writes it
  // applied alone before it died, to be repaired from the others, not pushed onto them.
  if (!replicator_->peers().KnowsThisProcess(*map)) {
    return Status::IoError("the map does not show this process yet");
  }
  // Every write of an older map (its chain may lack a copy this map added) lands before the
  // records are read.
  replicator_->WaitForWritesOfOlderMaps();
  for (Storage::Family family : kPlacedFamilies) {
    Status status = PassFamily(map, family);
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

Status Resync::PassFamily(const std::shared_ptr<const MapSnapshot>& map, Storage::Family family) {
  const ServerId self = replicator_->peers().self();
  std::map<ServerId, Page> pages;
  for (ServerId server : map->placement.servers()) {
    if (server != self && IsLive(map->placement.StateOf(server))) {
      pages[server];
    }
  }
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(storage_->NewIterator(family, options));
  uint64_t checked = 0;
  std::vector<uint64_t> chunk_inos;  // of the chunks this server is the head for
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (stopping()) return Status::IoError("stopping");
    if (replicator_->peers().epoch() != map->epoch()) return Status::IoError("the map changed");
    std::string_view key(it->key().data(), it->key().size());
    std::string placement_key;
    if (!PlacementKeyOfRecord(family, key, &placement_key)) continue;
    ++checked;
    std::vector<ServerId> chain = map->placement.Chain(placement_key);
    if (chain.empty() || chain.front() != self) continue;
    uint64_t ino = 0;
    uint64_t index = 0;
    if (family == Storage::kChunks && keys::DecodeChunkKey(key, &ino, &index) &&
        (chunk_inos.empty() || chunk_inos.back() != ino)) {
      chunk_inos.push_back(ino);
    }
    if (chain.size() == 1) continue;  // no copies to compare
    const uint64_t digest = Digest(it->value());
    for (std::size_t i = 1; i < chain.size(); ++i) {
      auto page = pages.find(chain[i]);
      if (page == pages.end()) continue;
      page->second.keys.emplace_back(key);
      page->second.digests.push_back(digest);
      page->second.last.assign(key);
      if (page->second.keys.size() >= kPageRecords) {
        Status status = Flush(map, family, chain[i], &page->second, /*to_end=*/false);
        if (!status.ok()) return status;
      }
    }
    if (checked % 1024 == 0) {
      std::lock_guard lock(mutex_);
      progress_.set_records_checked(progress_.records_checked() + 1024);
    }
  }
  if (!it->status().ok()) return FromRocks(it->status());
  {
    std::lock_guard lock(mutex_);
    progress_.set_records_checked(progress_.records_checked() + checked % 1024);
  }
  if (!map->placement.single_copy()) {
    for (auto& [replica, page] : pages) {
      Status status = Flush(map, family, replica, &page, /*to_end=*/true);
      if (!status.ok()) return status;
    }
  }
  return family == Storage::kChunks ? RemoveOrphanChunks(map, chunk_inos) : Status::Ok();
}

Status Resync::RemoveOrphanChunks(const std::shared_ptr<const MapSnapshot>& map,
                                  const std::vector<uint64_t>& inos) {
  const ServerId self = replicator_->peers().self();
  // A server on an old map could ask the wrong head, or be the wrong head itself, and hear "not
  // found" for a live inode. So an inode is taken for gone only when it was missing in passes
  // at least a grace period apart, with the map unchanged all along and still the manager's.
  const auto now = std::chrono::steady_clock::now();
  const auto grace =
      std::max<std::chrono::steady_clock::duration>(2 * scrub_interval_, kOrphanGrace);
  std::map<uint64_t, Suspect> still_missing;
  for (uint64_t ino : inos) {
    if (stopping()) return Status::IoError("stopping");
    // Only a clear "no such inode" from its head makes the chunks garbage; any failure to ask
    // leaves them for a later pass.
    const ServerId inode_head = map->placement.Home(InodePlacementKey(ino));
    Status known;
    if (inode_head == self) {
      std::string value;
      rocksdb::Status read = storage_->Get(Storage::kInodes, keys::InodeKey(ino), &value);
      known = read.IsNotFound() ? Status::NotFound() : FromRocks(read);
    } else {
      proto::GetAttrRequest request;
      request.set_ino(ino);
      known = replicator_->peers().Call(inode_head, proto::OP_GET_ATTR, request).status;
    }
    if (known.code() != proto::STATUS_NOT_FOUND) continue;
    auto suspect = suspects_.find(ino);
    if (suspect == suspects_.end() || suspect->second.epoch != map->epoch()) {
      still_missing[ino] = Suspect{map->epoch(), now};
      continue;
    }
    still_missing[ino] = suspect->second;
    if (now - suspect->second.first_missing < grace) continue;
    if (!replicator_->peers().Refresh().ok() || replicator_->peers().epoch() != map->epoch()) {
      continue;
    }
    still_missing.erase(ino);

    std::vector<std::string> chunk_keys;
    std::vector<std::string> placement_keys;
    const std::string prefix = keys::InoPrefix(ino);
    std::unique_ptr<rocksdb::Iterator> it(
        storage_->NewIterator(Storage::kChunks, rocksdb::ReadOptions()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      uint64_t key_ino = 0;
      uint64_t index = 0;
      std::string_view key(it->key().data(), it->key().size());
      if (!keys::DecodeChunkKey(key, &key_ino, &index)) continue;
      std::string placement_key = ChunkPlacementKey(ino, index);
      if (!map->placement.IsHead(placement_key, self)) continue;
      chunk_keys.emplace_back(key);
      placement_keys.push_back(std::move(placement_key));
    }
    if (!it->status().ok()) return FromRocks(it->status());
    if (chunk_keys.empty()) continue;
    KeyLocks::Guard guard(&replicator_->locks(), placement_keys, /*exclusive=*/true);
    rocksdb::WriteBatch batch;
    for (const std::string& key : chunk_keys) {
      Status status = FromRocks(batch.Delete(storage_->chunks(), key));
      if (!status.ok()) return status;
    }
    Status status = replicator_->Commit(&batch, /*sync=*/false);
    if (!status.ok()) return status;
    spdlog::info("deleted {} chunks of inode {:016x}, which no longer exists", chunk_keys.size(),
                 ino);
  }
  suspects_ = std::move(still_missing);
  return Status::Ok();
}

Status Resync::Flush(const std::shared_ptr<const MapSnapshot>& map, Storage::Family family,
                     ServerId replica, Page* page, bool to_end) {
  proto::SyncCheckRequest request;
  request.set_epoch(map->epoch());
  request.set_sender(replicator_->peers().self());
  request.set_family(family);
  request.set_after(page->after);
  request.set_last(page->last);
  request.set_to_end(to_end);
  for (std::size_t i = 0; i < page->keys.size(); ++i) {
    request.add_keys(page->keys[i]);
    request.add_digests(page->digests[i]);
  }
  for (;;) {
    proto::SyncCheckReply reply;
    Status status =
        replicator_->peers().Call(replica, proto::OP_SYNC_CHECK, request).Decode(&reply);
    if (!status.ok()) {
      return {status.code(), fmt::format("server {:016x}: {}", replica, status.message())};
    }
    std::vector<std::string> keys(reply.keys().begin(), reply.keys().end());
    status = Repair(map, family, replica, keys);
    if (!status.ok()) return status;
    if (!reply.truncated()) break;
  }
  page->after = page->last;
  page->keys.clear();
  page->digests.clear();
  return Status::Ok();
}

Status Resync::Repair(const std::shared_ptr<const MapSnapshot>& map, Storage::Family family,
                      ServerId replica, const std::vector<std::string>& keys) {
  proto::ReplicateRequest request;
  request.set_epoch(map->epoch());
  request.set_sender(replicator_->peers().self());
  for (const std::string& key : keys) {
    std::string placement_key;
    if (!PlacementKeyOfRecord(family, key, &placement_key)) continue;
    KeyLocks::Guard guard(&replicator_->locks(), {placement_key}, /*exclusive=*/true);
    std::vector<ServerId> chain = map->placement.Chain(placement_key);
    if (chain.empty() || chain.front() != replicator_->peers().self()) continue;
    std::string value;
    rocksdb::Status read = storage_->Get(family, key, &value);
    rocksdb::WriteBatch batch;
    if (read.IsNotFound()) {
      read = batch.Delete(storage_->handle(family), key);
    } else if (read.ok()) {
      read = batch.Put(storage_->handle(family), key, value);
    }
    if (!read.ok()) return FromRocks(read);
    Status status =
        replicator_->peers().Call(replica, proto::OP_REPLICATE, request, batch.Data()).status;
    if (!status.ok()) {
      return {status.code(), fmt::format("server {:016x}: {}", replica, status.message())};
    }
    std::lock_guard lock(mutex_);
    progress_.set_records_copied(progress_.records_copied() + 1);
    progress_.set_bytes_copied(progress_.bytes_copied() + key.size() + value.size());
    progress_.set_total_bytes_copied(progress_.total_bytes_copied() + key.size() + value.size());
  }
  return Status::Ok();
}

Status Resync::Check(const proto::SyncCheckRequest& request, proto::SyncCheckReply* reply) {
  auto map = replicator_->peers().snapshot();
  const uint64_t epoch = map ? map->epoch() : 0;
  if (request.epoch() != epoch) {
    if (request.epoch() > epoch) replicator_->peers().NoteEpoch(request.epoch());
    return {proto::STATUS_STALE_MAP,
            fmt::format("pass at epoch {}, this server is at {}", request.epoch(), epoch)};
  }
  if (!IsPlacedFamily(request.family()) || request.keys_size() != request.digests_size()) {
    return Status::Invalid("bad sync check");
  }
  const auto family = static_cast<Storage::Family>(request.family());
  const ServerId self = replicator_->peers().self();
  std::map<std::string_view, uint64_t> listed;
  for (int i = 0; i < request.keys_size(); ++i) listed[request.keys(i)] = request.digests(i);

  auto report = [&](std::string_view key) {
    if (reply->keys_size() >= kMaxRepliedKeys) {
      reply->set_truncated(true);
      return false;
    }
    reply->add_keys(std::string(key));
    return true;
  };
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  rocksdb::Slice upper(request.last());
  std::unique_ptr<rocksdb::Iterator> it(storage_->NewIterator(family, options));
  if (request.after().empty()) {
    it->SeekToFirst();
  } else {
    it->Seek(request.after());
    if (it->Valid() && it->key() == rocksdb::Slice(request.after())) it->Next();
  }
  for (; it->Valid(); it->Next()) {
    if (!request.to_end() && it->key().compare(upper) > 0) break;
    std::string_view key(it->key().data(), it->key().size());
    std::string placement_key;
    if (!PlacementKeyOfRecord(family, key, &placement_key)) continue;
    std::vector<ServerId> chain = map->placement.Chain(placement_key);
    if (chain.empty() || chain.front() != request.sender() || !InChain(chain, self)) continue;
    auto found = listed.find(key);
    if (found == listed.end()) {  // held here, deleted on the head
      if (!report(key)) return Status::Ok();
      continue;
    }
    const bool same = found->second == Digest(it->value());
    listed.erase(found);
    if (!same && !report(key)) return Status::Ok();
  }
  if (!it->status().ok()) return FromRocks(it->status());
  for (const auto& [key, digest] : listed) {  // missing here
    if (!report(key)) return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace sealfs
