#include "write_behind.h"

#include <algorithm>
#include <cstring>
#include <iterator>

namespace sealfs::client {

void DirtyRanges::Add(uint64_t offset, std::string_view bytes) {
  if (bytes.empty()) return;
  const uint64_t end = offset + bytes.size();
  // The ranges the write overlaps or touches: from the last one starting at or before offset
  // (if it reaches offset) to the last one starting at or before end.
  auto first = ranges_.upper_bound(offset);
  if (first != ranges_.begin()) {
    auto before = std::prev(first);
    if (before->first + before->second.size() >= offset) first = before;
  }
  auto last = ranges_.upper_bound(end);
  if (first == last) {
    ranges_.emplace(offset, bytes);
    bytes_ += bytes.size();
    return;
  }
  std::string& first_bytes = first->second;
  if (std::next(first) == last && first->first <= offset) {
    // Within or at the end of one range: no new string, no zero-filled bytes.
    const std::size_t at = offset - first->first;
    const std::size_t overwritten = std::min(bytes.size(), first_bytes.size() - at);
    std::memcpy(first_bytes.data() + at, bytes.data(), overwritten);
    if (overwritten < bytes.size()) {
      // A run of appends past kRunStart gets room for all of it at once: no copy on growth.
      const std::size_t needed = first_bytes.size() + bytes.size() - overwritten;
      if (needed > first_bytes.capacity() && needed > kRunStart) {
        first_bytes.reserve(std::max(needed, kRunCapacity));
      }
      first_bytes.append(bytes.substr(overwritten));
      bytes_ += bytes.size() - overwritten;
    }
    return;
  }
  const uint64_t start = std::min(first->first, offset);
  const auto& tail = *std::prev(last);
  const uint64_t stop = std::max(end, tail.first + tail.second.size());
  // Grows the first range in place when it starts the merged one, as a run of appends does.
  const bool grow_first = first->first == start;
  std::string merged;
  if (grow_first) {
    bytes_ -= first->second.size();
    merged = std::move(first->second);
  }
  merged.resize(stop - start);
  for (auto it = grow_first ? std::next(first) : first; it != last; ++it) {
    bytes_ -= it->second.size();
    std::memcpy(merged.data() + (it->first - start), it->second.data(), it->second.size());
  }
  std::memcpy(merged.data() + (offset - start), bytes.data(), bytes.size());
  ranges_.erase(first, last);
  bytes_ += merged.size();
  ranges_.emplace(start, std::move(merged));
}

WriteBehind::WriteBehind(SendFunction send)
    : send_(std::move(send)), timer_([this](const std::vector<uint64_t>& inos) {
        for (uint64_t ino : inos) (void)Send(ino);  // a failure is kept for close and fsync
      }) {}

void WriteBehind::Keep(uint64_t ino, uint32_t chunk_size, uint64_t offset, std::string_view bytes,
                       const proto::Timespec& now) {
  std::shared_ptr<File> file;
  bool first = false;
  bool full = false;
  {
    std::lock_guard lock(mutex_);
    std::shared_ptr<File>& slot = files_[ino];
    if (!slot) {
      slot = std::make_shared<File>();
      slot->kept.ino = ino;
      file_count_ = files_.size();
    }
    file = slot;
    first = file->kept.ranges.empty();
    file->kept.chunk_size = chunk_size;
    file->kept.ranges.Add(offset, bytes);
    file->kept.mtime = now;
    full = file->kept.ranges.bytes() >= kSendBytes;
  }
  if (full) {
    // The background thread sends it while the writers fill the next. A writer that fills
    // that one too first waits for the send on its way: two buffers per file at most.
    { std::lock_guard on_its_way(file->send_mutex); }
  }
  if (full || first) {
    timer_.Add([ino](std::vector<uint64_t>& batch) { batch.push_back(ino); }, /*at_once=*/full);
  }
}

Status WriteBehind::Send(uint64_t ino, bool report_earlier) {
  std::shared_ptr<File> file = Find(ino);
  if (!file) return Status::Ok();
  std::lock_guard sending(file->send_mutex);
  Status status = SendLocked(file);
  if (!report_earlier) return status;
  std::lock_guard lock(mutex_);
  Status earlier = std::exchange(file->error, Status::Ok());
  ForgetIfIdle(file);
  return earlier.ok() ? status : earlier;
}

Status WriteBehind::SendAll() {
  if (file_count_ == 0) return Status::Ok();
  std::vector<std::shared_ptr<File>> files;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [ino, file] : files_) files.push_back(file);
  }
  Status first_failure;
  for (const auto& file : files) {
    std::lock_guard sending(file->send_mutex);
    Status status = SendLocked(file);
    if (!status.ok() && first_failure.ok()) first_failure = status;
  }
  return first_failure;
}

Status WriteBehind::WriteThrough(uint64_t ino, const std::function<Status()>& write) {
  std::shared_ptr<File> file = Find(ino);
  if (!file) return write();
  std::lock_guard sending(file->send_mutex);
  Status status = SendLocked(file);
  return status.ok() ? write() : status;
}

bool WriteBehind::Holds(uint64_t ino) const { return Find(ino) != nullptr; }

Status WriteBehind::SendLocked(const std::shared_ptr<File>& file) {
  KeptWrites writes;
  {
    std::lock_guard lock(mutex_);
    if (file->kept.ranges.empty()) {
      ForgetIfIdle(file);
      return Status::Ok();
    }
    writes = std::exchange(file->kept, KeptWrites{});
    file->kept.ino = writes.ino;
  }
  Status status = send_(writes);
  std::lock_guard lock(mutex_);
  if (!status.ok() && file->error.ok()) file->error = status;
  ForgetIfIdle(file);
  return status;
}

void WriteBehind::ForgetIfIdle(const std::shared_ptr<File>& file) {
  if (!file->kept.ranges.empty() || !file->error.ok()) return;
  auto it = files_.find(file->kept.ino);
  if (it != files_.end() && it->second == file) {
    files_.erase(it);
    file_count_ = files_.size();
  }
}

std::shared_ptr<WriteBehind::File> WriteBehind::Find(uint64_t ino) const {
  if (file_count_ == 0) return nullptr;  // the usual case without write-behind: no lock taken
  std::lock_guard lock(mutex_);
  auto it = files_.find(ino);
  return it == files_.end() ? nullptr : it->second;
}

}  // namespace sealfs::client
