#include "membership.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "manager/complete_copies.h"
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
    fresh.set_replicas(options.replicas);
    fresh.set_heartbeat_timeout_ms(static_cast<uint32_t>(options.heartbeat_timeout.count()));
    fresh.set_placement_groups(kDefaultPlacementGroups);
    fresh.set_min_copies(options.min_copies);
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
  m->chain_epochs_.Reset(m->map_);
  if (m->map_.replicas() != options.replicas ||
      m->map_.heartbeat_timeout_ms() != options.heartbeat_timeout.count() ||
      m->map_.placement_groups() == 0 || m->map_.min_copies() != options.min_copies) {
    proto::ClusterMap next = m->map_;
    if (next.placement_groups() == 0) next.set_placement_groups(kDefaultPlacementGroups);
    next.set_replicas(options.replicas);
    next.set_min_copies(options.min_copies);
    next.set_heartbeat_timeout_ms(static_cast<uint32_t>(options.heartbeat_timeout.count()));
    std::lock_guard lock(m->mutex_);
    s = m->CommitLocked(std::move(next));
    if (!s.ok()) return s;
    spdlog::info("replicas {}, min copies {}, heartbeat timeout {} ms (epoch {})", options.replicas,
                 options.min_copies, options.heartbeat_timeout.count(), m->map_.epoch());
  }
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
    const bool alive = IsLive(server.state());
    if (server.id() != server_id && alive && server.address() == address) {
      return i;
    }
  }
  return -1;
}

Status Membership::CommitLocked(proto::ClusterMap next, const std::set<uint64_t>& arrived,
                                const proto::ClusterMap* marks_from) {
  next.set_epoch(map_.epoch() + 1);
  CarryCompleteCopies(marks_from != nullptr ? *marks_from : map_, arrived, &next);
  Status s = store_->Save(next);
  if (!s.ok()) {
    spdlog::error("cluster map change to epoch {} not stored: {}", next.epoch(), s.ToString());
    return s;
  }
  chain_epochs_.Update(map_, next);
  map_ = std::move(next);
  promotion_due_ = true;
  return Status::Ok();
}

Status Membership::MarkAliveLocked(uint64_t server_id, const std::string& address, bool registering,
                                   uint64_t incarnation, const std::string& zone) {
  if (server_id == 0) return Status::Invalid("server id 0");
  if (!IsValidServerAddress(address))
    return Status::Invalid("bad server address '" + address + "'");
  const int index = FindLocked(server_id);
  if (index < 0 && !registering) {
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
    added->set_incarnation(incarnation);
    added->set_zone(zone);
    added->set_state(proto::SERVER_SYNCING);  // CarryCompleteCopies says whether it lags
    added->set_state_epoch(map_.epoch() + 1);
    // Keep the list ordered by id: move the new entry back to its place.
    auto* servers = next.mutable_servers();
    for (int i = servers->size() - 1; i > 0 && servers->Get(i - 1).id() > server_id; --i) {
      servers->SwapElements(i - 1, i);
    }
    Status s = CommitLocked(std::move(next), {server_id});
    if (!s.ok()) return s;
    spdlog::info("server {:#018x} joined at {}: {} (epoch {})", server_id, address,
                 proto::ServerState_Name(map_.servers(FindLocked(server_id)).state()),
                 map_.epoch());
  } else {
    const proto::ServerInfo& current = map_.servers(index);
    const bool alive = IsLive(current.state());
    const bool moved = current.address() != address;
    // A restarted process arrives even when it was never marked DOWN: it may hold writes it
    // applied and could not pass on before it died.
    const bool restarted = registering && incarnation != current.incarnation();
    const bool arrives = !alive || (registering && moved) || restarted;
    const bool rezoned = registering && zone != current.zone();
    if (arrives || moved || rezoned) {
      const std::string old_address = current.address();
      proto::ClusterMap next = map_;
      proto::ServerInfo* changed = next.mutable_servers(index);
      changed->set_address(address);
      if (registering) {
        changed->set_incarnation(incarnation);
        changed->set_zone(zone);
      }
      if (arrives) {
        changed->set_state(proto::SERVER_SYNCING);  // CarryCompleteCopies says whether it lags
        changed->set_state_epoch(map_.epoch() + 1);
      }
      Status s = CommitLocked(std::move(next),
                              arrives ? std::set<uint64_t>{server_id} : std::set<uint64_t>{});
      if (!s.ok()) return s;
      spdlog::info("server {:#018x} at {}{} is {} (epoch {})", server_id, address,
                   moved ? " (was " + old_address + ")" : "",
                   proto::ServerState_Name(map_.servers(index).state()), map_.epoch());
    }
  }
  last_heard_[server_id] = now_();
  return Status::Ok();
}

Status Membership::PromoteSyncedLocked() {
  // Walking every group is worth it only when a pass finished or the map changed since.
  if (!promotion_due_) return Status::Ok();
  promotion_due_ = false;
  if (!AnyLiveLagging(map_)) return Status::Ok();
  proto::ClusterMap caught_up_map = map_;
  const std::set<uint64_t> caught_up = MarkCaughtUp(
      map_, chain_epochs_,
      [this](uint64_t server) {
        auto it = progress_.find(server);
        return it == progress_.end() ? 0 : it->second.synced_epoch();
      },
      &caught_up_map);
  if (caught_up.empty()) return Status::Ok();
  Status s = CommitLocked(caught_up_map, {}, &caught_up_map);
  if (!s.ok()) return s;
  for (uint64_t id : caught_up) {
    const auto& server = map_.servers(FindLocked(id));
    spdlog::info("server {:#018x} caught up in some groups: {} (epoch {})", id,
                 proto::ServerState_Name(server.state()), map_.epoch());
  }
  return Status::Ok();
}

Status Membership::Register(uint64_t server_id, const std::string& address, uint64_t incarnation,
                            proto::ClusterMap* map, const std::string& zone) {
  std::lock_guard lock(mutex_);
  progress_.erase(server_id);  // a restarted server starts its passes afresh
  Status s = MarkAliveLocked(server_id, address, /*registering=*/true, incarnation, zone);
  if (s.ok()) *map = map_;
  return s;
}

Status Membership::Heartbeat(uint64_t server_id, const std::string& address,
                             const proto::SyncProgress& progress, uint64_t* epoch) {
  std::lock_guard lock(mutex_);
  Status s = MarkAliveLocked(server_id, address, /*registering=*/false, /*incarnation=*/0, "");
  if (s.ok()) {
    if (progress.ByteSizeLong() != 0) {
      auto& known = progress_[server_id];
      promotion_due_ = promotion_due_ || known.synced_epoch() != progress.synced_epoch();
      known = progress;
    }
    s = PromoteSyncedLocked();
  }
  *epoch = map_.epoch();
  return s;
}

Status Membership::CheckTimeouts(TimePoint now, int* marked) {
  if (marked != nullptr) *marked = 0;
  std::lock_guard lock(mutex_);
  std::vector<std::pair<int, proto::ServerState>> changes;
  for (int i = 0; i < map_.servers_size(); ++i) {
    const auto& server = map_.servers(i);
    auto it = last_heard_.find(server.id());
    if (it == last_heard_.end()) {
      last_heard_[server.id()] = now;  // cannot happen; start its clock rather than guess
      continue;
    }
    const auto silent = now - it->second;
    const bool alive = IsLive(server.state());
    if (alive && silent > options_.heartbeat_timeout) {
      changes.emplace_back(i, proto::SERVER_DOWN);
    } else if (server.state() == proto::SERVER_DOWN && silent > options_.down_out_after) {
      changes.emplace_back(i, proto::SERVER_LEAVING);
    }
  }
  if (changes.empty()) return PromoteSyncedLocked();

  proto::ClusterMap next = map_;
  for (auto [i, state] : changes) {
    next.mutable_servers(i)->set_state(state);
    next.mutable_servers(i)->set_state_epoch(map_.epoch() + 1);
  }
  Status s = CommitLocked(std::move(next));
  if (!s.ok()) return s;
  for (auto [i, state] : changes) {
    const auto& server = map_.servers(i);
    const auto silent =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - last_heard_[server.id()]);
    spdlog::warn("server {:#018x} at {} is {}: no heartbeat for {} ms (epoch {})", server.id(),
                 server.address(), proto::ServerState_Name(state), silent.count(), map_.epoch());
  }
  if (marked != nullptr) *marked = static_cast<int>(changes.size());
  return PromoteSyncedLocked();
}

proto::ClusterMap Membership::GetMap() const {
  std::lock_guard lock(mutex_);
  proto::ClusterMap map = map_;
  for (auto& server : *map.mutable_servers()) {
    auto it = progress_.find(server.id());
    if (it != progress_.end()) *server.mutable_sync() = it->second;
  }
  return map;
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
