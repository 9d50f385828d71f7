// Intents: the operations that change records on several servers (rename, link, mkdir, rmdir, and
// unlink of an inode stored away from its entry), made crash-atomic (docs/design.md,
// "Operations across servers").
//
// The client sends the whole operation, as steps, to the head of one record, the coordinator
// key (OP_RUN_INTENT). That head stores the intent, a record of the intents family placed by the
// coordinator key and so replicated and passed like any other record, then runs the steps in
// order, each a request to the head of its own record under a request id derived from the
// intent's, and at last deletes the intent in the same write that records the reply. When a step
// fails, the intent is stored again as undoing and the undo steps of the steps before it run in
// reverse order. A step already applied is answered from its recorded reply
// (server_service.h), so running an intent again never applies a step twice: whoever finds an
// intent left behind runs it to its end, forward or undoing as stored. Here: a retry of the
// client's request, or the sweeper, which runs every intent of this head older than a grace
// period (its coordinator died with it half done, or the map changed and this server is the
// coordinator key's head now).
//
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "replicator.h"
#include "rpc.h"
#include "sealfs.pb.h"
#include "storage.h"

namespace sealfs {

class IntentRunner {
 public:
  // `local` serves a step whose record this server is the head of, on the calling thread: a
  // step never waits for a worker of its own server.
  using LocalDispatch = std::function<RpcReply(const RpcRequest&)>;
  IntentRunner(Storage* storage, Replicator* replicator, LocalDispatch local,
               std::chrono::milliseconds grace = std::chrono::seconds(5));
  ~IntentRunner();  // Stop()
  IntentRunner(const IntentRunner&) = delete;
  IntentRunner& operator=(const IntentRunner&) = delete;

  // Fault injection for tests: SIGKILL to this process right after step `step` of an intent
  // succeeded (a coordinator dying halfway). -1: never.
  void set_crash_after_step(int step) { crash_after_step_ = step; }

  void Start();  // the sweeper
  void Stop();   // idempotent

  // OP_RUN_INTENT, on the head of the coordinator key (the caller checked): stores the intent
  // unless it is stored already, runs it, and replies. A retry of a finished one gets the
  // recorded reply.
  RpcReply Run(uint64_t request_id, const proto::RunIntentRequest& request);

  // Runs every intent this server is the head of and that is older than the grace period.
  void Sweep();

 private:
  // Runs a stored intent to its end; ok unless it must be run again later (a step could not
  // reach its head, or the intent could not be stored or deleted).
  Status Execute(const std::string& key, const std::string& coordinator_key, uint64_t request_id,
                 proto::Intent* intent, proto::RunIntentReply* reply);
  RpcResult CallStep(const proto::IntentStep& step, uint64_t request_id);
  Status Store(const std::string& key, const std::string& coordinator_key,
               const proto::Intent& intent);
  // Waits until no other thread runs the intent of `key`, then marks it as run by this one.
  void Claim(const std::string& key);
  void Release(const std::string& key);
  void SweepLoop();
  bool stopping();

  Storage* const storage_;
  Replicator* const replicator_;
  const LocalDispatch local_;
  const std::chrono::milliseconds grace_;
  int crash_after_step_ = -1;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::set<std::string> running_;  // GUARDED_BY(mutex_)
  std::mt19937_64 random_;         // GUARDED_BY(mutex_)
  bool stop_ = false;              // GUARDED_BY(mutex_)
  std::thread sweeper_;
};

// OK when a request names a coordinator key and 1 to 16 steps, each an op an intent may run
// (OP_CREATE, OP_INSERT_DENTRY, OP_REMOVE_DENTRY, OP_SET_ATTR) with a message that parses, and no
// undo steps or one per step; STATUS_INVALID otherwise. Run checks it before anything is stored.
Status ValidateIntent(const proto::RunIntentRequest& request);

// The request ids of an intent's steps: derived from the intent's, different for each step and
// for its undo, so that each is recorded on its own.
uint64_t StepRequestId(uint64_t intent_id, uint32_t step, bool undo);

}  // namespace sealfs
