#include "membership.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "rpc.h"

namespace sealfs::manager {

namespace {

std::chrono::milliseconds CheckInterval(const MembershipOptions& options) {
  if (options.check_interval.count() > 0) return options.check_interval;
  return std::clamp(options.heartbeat_timeout / 10, std::chrono::milliseconds(10),
                    std::chrono::milliseconds(500));
}

}  // namespace

bool IsValidServerAddress(const std::string& address) {
  std::string host;
  uint16_t port = 0;
  return SplitHostPort(address, &host, &port) && !host.empty() && port != 0;
}

Membership::Membership(std::unique_ptr<ClusterMapStore> store, MembershipOptions options,
                       NowFunction now)
    : options_(options), now_(std::move(now)), store_(std::move(store)) {}

Membership::~Membership() { StopChecker(); }

Status Membership::Open(std::unique_ptr<ClusterMapStore> store, MembershipOptions options,
                        std::unique_ptr<Membership>* out, NowFunction now) {
  out->reset();
  if (options.heartbeat_timeout.count() <= 0) {
    return Status::Invalid("heartbeat timeout must be positive");
  }
  if (!now) now = [] { return Clock::now(); };
  std::unique_ptr<Membership> m(new Membership(std::move(store), options, std::move(now)));

  bool found = false;
  Status s = m->store_->Load(&m->map_, &found);
  if (!s.ok()) return s;
  if (!found) {
    proto::ClusterMap fresh;
    fresh.set_epoch(1);
    fresh.set_default_chunk_size(options.default_chunk_size);
    s = m->store_->Save(fresh);
    if (!s.ok()) return s;
    m->map_ = std::move(fresh);
    spdlog::info("created a new cluster map (epoch 1, default chunk size {})",
                 options.default_chunk_size);
  } else {
    spdlog::info("loaded the cluster map: epoch {}, {} servers, default chunk size {}",
                 m->map_.epoch(), m->map_.servers_size(), m->map_.default_chunk_size());
    if (m->map_.default_chunk_size() != options.default_chunk_size) {
      spdlog::warn("keeping the stored default chunk size {} (asked for {}): files already cut",
                   m->map_.default_chunk_size(), options.default_chunk_size);
    }
  }
  // A fresh grace period: nobody could heartbeat while the manager was away.
  const TimePoint start = m->now_();
  for (const auto& server : m->map_.servers()) m->last_heard_[server.id()] = start;
  *out = std::move(m);
  return Status::Ok();
}

int Membership::FindLocked(uint64_t server_id) const {
  const auto& servers = map_.servers();
  for (int i = 0; i < servers.size(); ++i) {
    if (servers[i].id() == server_id) return i;
  }
  return -1;
}

int Membership::FindUpHolderLocked(const std::string& address, uint64_t server_id) const {
  const auto& servers = map_.servers();
  for (int i = 0; i < servers.size(); ++i) {
    const auto& server = servers[i];
    if (server.id() != server_id && server.state() == proto::SERVER_UP &&
        server.address() == address) {
      return i;
    }
  }
  return -1;
}

Status Membership::CommitLocked(proto::ClusterMap next) {
  next.set_epoch(map_.epoch() + 1);
  Status s = store_->Save(next);
  if (!s.ok()) {
    spdlog::error("cluster map change to epoch {} not stored: {}", next.epoch(), s.ToString());
    return s;
  }
  map_ = std::move(next);
  return Status::Ok();
}

Status Membership::MarkUpLocked(uint64_t server_id, const std::string& address, bool allow_new) {
  if (server_id == 0) return Status::Invalid("server id 0");
  if (!IsValidServerAddress(address))
    return Status::Invalid("bad server address '" + address + "'");
  const int index = FindLocked(server_id);
  if (index < 0 && !allow_new) {
    return Status::NotFound(fmt::format("server {:#018x} is not registered", server_id));
  }
  const int holder = FindUpHolderLocked(address, server_id);
  if (holder >= 0) {
    return Status::Exists(fmt::format("address {} is held by UP server {:#018x}", address,
                                      map_.servers(holder).id()));
  }

  if (index < 0) {
    proto::ClusterMap next = map_;
    proto::ServerInfo* added = next.add_servers();
    added->set_id(server_id);
    added->set_address(address);
    added->set_state(proto::SERVER_UP);
    // Keep the list ordered by id: move the new entry back to its place.
    auto* servers = next.mutable_servers();
    for (int i = servers->size() - 1; i > 0 && servers->Get(i - 1).id() > server_id; --i) {
      servers->SwapElements(i - 1, i);
    }
    Status s = CommitLocked(std::move(next));
    if (!s.ok()) return s;
    spdlog::info("server {:#018x} joined at {} (epoch {})", server_id, address, map_.epoch());
  } else {
    const proto::ServerInfo& current = map_.servers(index);
    if (current.address() != address || current.state() != proto::SERVER_UP) {
      const std::string old_address = current.address();
      const bool was_down = current.state() != proto::SERVER_UP;
      proto::ClusterMap next = map_;
      proto::ServerInfo* changed = next.mutable_servers(index);
      changed->set_address(address);
      changed->set_state(proto::SERVER_UP);
      Status s = CommitLocked(std::move(next));
      if (!s.ok()) return s;
      if (old_address != address) {
        spdlog::info("server {:#018x} moved from {} to {}{} (epoch {})", server_id, old_address,
                     address, was_down ? ", UP again" : "", map_.epoch());
      } else {
        spdlog::info("server {:#018x} at {} is UP again (epoch {})", server_id, address,
                     map_.epoch());
      }
    }
  }
  last_heard_[server_id] = now_();
  return Status::Ok();
}

Status Membership::Register(uint64_t server_id, const std::string& address,
                            proto::ClusterMap* map) {
  std::lock_guard lock(mutex_);
  Status s = MarkUpLocked(server_id, address, /*allow_new=*/true);
  if (s.ok()) *map = map_;
  return s;
}

Status Membership::Heartbeat(uint64_t server_id, const std::string& address, uint64_t* epoch) {
  std::lock_guard lock(mutex_);
  Status s = MarkUpLocked(server_id, address, /*allow_new=*/false);
  *epoch = map_.epoch();
  return s;
}

Status Membership::CheckTimeouts(TimePoint now, int* marked) {
  if (marked != nullptr) *marked = 0;
  std::lock_guard lock(mutex_);
  std::vector<int> expired;
  for (int i = 0; i < map_.servers_size(); ++i) {
    const auto& server = map_.servers(i);
    if (server.state() != proto::SERVER_UP) continue;
    auto it = last_heard_.find(server.id());
    if (it == last_heard_.end()) {
      last_heard_[server.id()] = now;  // cannot happen; start its clock rather than guess
      continue;
    }
    if (now - it->second > options_.heartbeat_timeout) expired.push_back(i);
  }
  if (expired.empty()) return Status::Ok();

  proto::ClusterMap next = map_;
  for (int i : expired) next.mutable_servers(i)->set_state(proto::SERVER_DOWN);
  Status s = CommitLocked(std::move(next));
  if (!s.ok()) return s;
  for (int i : expired) {
    const auto& server = map_.servers(i);
    const auto silent =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - last_heard_[server.id()]);
    spdlog::warn("server {:#018x} at {} is DOWN: no heartbeat for {} ms (epoch {})", server.id(),
                 server.address(), silent.count(), map_.epoch());
  }
  if (marked != nullptr) *marked = static_cast<int>(expired.size());
  return Status::Ok();
}

proto::ClusterMap Membership::GetMap() const {
  std::lock_guard lock(mutex_);
  return map_;
}

uint64_t Membership::epoch() const {
  std::lock_guard lock(mutex_);
  return map_.epoch();
}

void Membership::StartChecker() {
  std::lock_guard lifecycle(lifecycle_mutex_);
  if (checker_.joinable()) return;
  {
    std::lock_guard lock(checker_mutex_);
    checker_stop_ = false;
  }
  checker_ = std::thread([this] { CheckerLoop(); });
}

void Membership::StopChecker() {
  std::lock_guard lifecycle(lifecycle_mutex_);
  if (!checker_.joinable()) return;
  {
    std::lock_guard lock(checker_mutex_);
    checker_stop_ = true;
  }
  checker_cv_.notify_all();
  checker_.join();
}

void Membership::CheckerLoop() {
  const auto interval = CheckInterval(options_);
  std::unique_lock lock(checker_mutex_);
  while (!checker_cv_.wait_for(lock, interval, [this] { return checker_stop_; })) {
    lock.unlock();
    Status s = CheckTimeouts(now_());
    if (!s.ok()) spdlog::error("heartbeat check failed: {}", s.ToString());
    lock.lock();
  }
}

}  // namespace sealfs::manager
