#include "directory_touches.h"

#include <algorithm>
#include <utility>

namespace sealfs::client {

namespace {
bool Later(const proto::Timespec& a, const proto::Timespec& b) {
  return std::pair(a.sec(), a.nsec()) > std::pair(b.sec(), b.nsec());
}
}  // namespace

DirectoryTouches::DirectoryTouches(Send send) : send_(std::move(send)) {
  thread_ = std::thread([this] { Run(); });
}

DirectoryTouches::~DirectoryTouches() {
  {
    std::unique_lock lock(mutex_);
    WaitUntilSent(lock);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void DirectoryTouches::Touch(uint64_t dir_ino, const proto::Timespec& when) {
  bool first = false;
  {
    std::lock_guard lock(mutex_);
    first = pending_.empty();
    auto [it, added] = pending_.try_emplace(dir_ino, when);
    if (!added && Later(when, it->second)) it->second = when;
    ++touched_;
  }
  // Only the first touch starts the sender's batch window; waking it for every later one would
  // cost a thread switch per create.
  if (first) changed_.notify_all();
}

void DirectoryTouches::Flush() {
  std::unique_lock lock(mutex_);
  WaitUntilSent(lock);
}

bool DirectoryTouches::FlushIfPending(uint64_t dir_ino) {
  std::unique_lock lock(mutex_);
  if (!pending_.contains(dir_ino) &&
      std::find(sending_.begin(), sending_.end(), dir_ino) == sending_.end()) {
    return false;
  }
  WaitUntilSent(lock);
  return true;
}

void DirectoryTouches::WaitUntilSent(std::unique_lock<std::mutex>& lock) {
  const uint64_t target = touched_;
  if (sent_ >= target) return;
  flush_wanted_ = true;
  changed_.notify_all();
  changed_.wait(lock, [&] { return sent_ >= target; });
}

void DirectoryTouches::Run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return stop_ || !pending_.empty(); });
    if (pending_.empty()) return;  // stopping, nothing left
    changed_.wait_for(lock, kBatchWindow, [&] { return stop_ || flush_wanted_; });
    flush_wanted_ = false;
    const uint64_t covered = touched_;
    std::vector<proto::SetAttrRequest> requests;
    for (const auto& [ino, when] : pending_) {
      proto::SetAttrRequest& request = requests.emplace_back();
      request.set_ino(ino);
      *request.mutable_mtime() = when;
      *request.mutable_ctime() = when;
      sending_.push_back(ino);
    }
    pending_.clear();
    lock.unlock();
    send_(requests);
    lock.lock();
    sending_.clear();
    sent_ = covered;
    changed_.notify_all();
  }
}

}  // namespace sealfs::client
