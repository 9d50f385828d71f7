// ManagerLink: keeps this server known to the manager. A background thread registers the
// server (OP_REGISTER_SERVER), retrying until the manager answers, then sends a heartbeat
// (OP_HEARTBEAT) every interval. A broken connection is replaced by a new channel, after which
// the server registers again (the manager may have restarted). Failures are logged when they
// start, at most every failure_log_interval while they last, and when they end.
//
// Thread-safe: Start and Stop may be called from any thread; Stop returns promptly.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "rpc.h"

namespace sealfs {

struct ManagerLinkOptions {
  std::string manager_address;  // "HOST:PORT"
  uint64_t server_id = 0;
  uint64_t incarnation = 0;        // random, new at every start of this process
  std::string advertised_address;  // "HOST:PORT" clients reach this server on
  std::string zone;                // its failure domain (--zone); empty: its own
  // Time between heartbeats, and between registration attempts while the manager is away.
  std::chrono::milliseconds heartbeat_interval{1000};
  // How long one call may wait for the manager.
  std::chrono::milliseconds call_timeout{2000};
  std::chrono::milliseconds failure_log_interval{10000};
  // What each heartbeat reports of this server's passes (resync.h); none when empty.
  std::function<proto::SyncProgress()> sync_progress;
  // Told the manager's epoch after every registration and heartbeat.
  std::function<void(uint64_t epoch)> on_epoch;
  // Told, after every registration and heartbeat the manager answered, when it was sent and the
  // epoch of the answer (Lease::Confirm).
  std::function<void(std::chrono::steady_clock::time_point sent, uint64_t epoch)> on_answered;
};

class ManagerLink {
 public:
  explicit ManagerLink(ManagerLinkOptions options);
  ~ManagerLink();  // Stop()
  ManagerLink(const ManagerLink&) = delete;
  ManagerLink& operator=(const ManagerLink&) = delete;

  void Start();
  // Stops the thread, interrupting a call in progress. Idempotent.
  void Stop();
  // Sends the next heartbeat now rather than at the end of the interval (news for the manager,
  // such as a finished pass).
  void Poke();

  // True once the manager has accepted the registration (and until a new connection is made).
  [[nodiscard]] bool registered() const;
  // Heartbeats the manager has acknowledged.
  [[nodiscard]] uint64_t heartbeats() const;

 private:
  void Run();
  // One registration or heartbeat; returns the status of the call.
  Status Step(const std::shared_ptr<RpcChannel>& channel);
  void NoteResult(const Status& status);

  const ManagerLinkOptions options_;
  IoThreads io_;  // declared before channel_: the channel goes first
  std::thread thread_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;                    // GUARDED_BY(mutex_)
  bool poked_ = false;                   // GUARDED_BY(mutex_)
  bool registered_ = false;              // GUARDED_BY(mutex_)
  uint64_t heartbeats_ = 0;              // GUARDED_BY(mutex_)
  std::shared_ptr<RpcChannel> channel_;  // GUARDED_BY(mutex_)

  // Touched by the thread only.
  bool failing_ = false;
  std::chrono::steady_clock::time_point last_failure_log_;
  uint64_t failures_ = 0;
};

}  // namespace sealfs
