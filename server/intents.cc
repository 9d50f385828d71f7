#include "intents.h"

#include <chrono>
#include <csignal>
#include <memory>

#include "key_encoding.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "spdlog/spdlog.h"

namespace sealfs {

namespace {

// A step waits this long for the head of its record (a dead head is marked DOWN well before);
// past it the intent is left to the sweeper.
constexpr std::chrono::seconds kStepDeadline{60};
constexpr std::chrono::milliseconds kRetryPause{100};
constexpr std::chrono::seconds kSweepInterval{1};
constexpr int kMaxSteps = 16;

// The request of a step, parsed; null when its op is not one an intent may run or its message
// does not parse.
std::unique_ptr<google::protobuf::MessageLite> ParseStep(const proto::IntentStep& step) {
  std::unique_ptr<google::protobuf::MessageLite> message;
  switch (step.op()) {
    case proto::OP_CREATE:
      message = std::make_unique<proto::CreateRequest>();
      break;
    case proto::OP_INSERT_DENTRY:
      message = std::make_unique<proto::InsertDentryRequest>();
      break;
    case proto::OP_REMOVE_DENTRY:
      message = std::make_unique<proto::RemoveDentryRequest>();
      break;
    case proto::OP_SET_ATTR:
      message = std::make_unique<proto::SetAttrRequest>();
      break;
    default:
      return nullptr;
  }
  if (!ParseMessage(step.message(), message.get())) return nullptr;
  return message;
}

}  // namespace

Status ValidateIntent(const proto::RunIntentRequest& request) {
  const proto::Intent& intent = request.intent();
  if (request.coordinator_key().empty()) return Status::Invalid("intent without coordinator key");
  if (intent.steps_size() == 0 || intent.steps_size() > kMaxSteps) {
    return Status::Invalid("an intent has 1 to 16 steps");
  }
  if (intent.undo_size() != 0 && intent.undo_size() != intent.steps_size()) {
    return Status::Invalid("an intent has no undo steps or one per step");
  }
  auto runnable = [](const proto::IntentStep& step) {
    return !step.placement_key().empty() && ParseStep(step) != nullptr;
  };
  for (const proto::IntentStep& step : intent.steps()) {
    if (!runnable(step)) return Status::Invalid("intent step of op " + std::to_string(step.op()));
  }
  for (const proto::IntentStep& step : intent.undo()) {
    if (step.op() != 0 && !runnable(step)) {
      return Status::Invalid("intent undo step of op " + std::to_string(step.op()));
    }
  }
  return Status::Ok();
}

uint64_t StepRequestId(uint64_t intent_id, uint32_t step, bool undo) {
  // splitmix64 of the intent id and the step: distinct ids, none equal to a client's by design
  // more than by chance.
  uint64_t x = intent_id + 0x9E3779B97F4A7C15ULL * ((uint64_t{step} << 1 | (undo ? 1 : 0)) + 1);
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return x != 0 ? x : 1;
}

IntentRunner::IntentRunner(Storage* storage, Replicator* replicator, LocalDispatch local,
                           std::chrono::milliseconds grace)
    : storage_(storage),
      replicator_(replicator),
      local_(std::move(local)),
      grace_(grace),
      random_(std::random_device()()) {}

IntentRunner::~IntentRunner() { Stop(); }

void IntentRunner::Start() {
  sweeper_ = std::thread([this] { SweepLoop(); });
}

void IntentRunner::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
}

bool IntentRunner::stopping() {
  std::lock_guard lock(mutex_);
  return stop_;
}

void IntentRunner::Claim(const std::string& key) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !running_.contains(key); });
  running_.insert(key);
}

void IntentRunner::Release(const std::string& key) {
  {
    std::lock_guard lock(mutex_);
    running_.erase(key);
  }
  changed_.notify_all();
}

RpcReply IntentRunner::Run(uint64_t request_id, const proto::RunIntentRequest& request) {
  Status status = ValidateIntent(request);
  if (!status.ok()) return MakeErrorReply(status);
  if (request_id == 0) return MakeErrorReply(Status::Invalid("an intent needs a request id"));
  const std::string& coordinator_key = request.coordinator_key();
  const std::string key = keys::RequestKey(request_id, coordinator_key);
  Claim(key);
  struct Claimed {
    IntentRunner* runner;
    const std::string& key;
    ~Claimed() { runner->Release(key); }
  } claimed{this, key};

  proto::Intent intent;
  bool stored = false;
  {
    KeyLocks::Guard guard(&replicator_->locks(), {coordinator_key}, /*exclusive=*/true);
    std::string recorded;
    if (FindRecordedReply(*storage_, key, &recorded)) {
      return RpcReply{Status::Ok(), std::move(recorded), {}};  // it ran to its end before
    }
    std::string value;
    rocksdb::Status found = storage_->Get(Storage::kIntents, key, &value);
    if (found.ok()) {
      if (!intent.ParseFromString(value)) return MakeErrorReply(Status::IoError("stored intent"));
      stored = true;  // a retry of a run cut short: go on with it
    } else if (!found.IsNotFound()) {
      return MakeErrorReply(FromRocks(found));
    }
  }
  if (!stored) {
    intent = request.intent();
    intent.set_unix_seconds(UnixSeconds());
    status = Store(key, coordinator_key, intent);
    if (!status.ok()) return MakeErrorReply(status);
  }
  proto::RunIntentReply reply;
  status = Execute(key, coordinator_key, request_id, &intent, &reply);
  if (!status.ok()) return MakeErrorReply(status);
  return MakeReply(reply);
}

Status IntentRunner::Store(const std::string& key, const std::string& coordinator_key,
                           const proto::Intent& intent) {
  KeyLocks::Guard guard(&replicator_->locks(), {coordinator_key}, /*exclusive=*/true);
  rocksdb::WriteBatch batch;
  Status status = FromRocks(batch.Put(storage_->intents(), key, intent.SerializeAsString()));
  if (status.ok()) status = replicator_->Commit(&batch, /*sync=*/false);
  return status;
}

Status IntentRunner::Execute(const std::string& key, const std::string& coordinator_key,
                             uint64_t request_id, proto::Intent* intent,
                             proto::RunIntentReply* reply) {
  if (!intent->undoing()) {
    for (int i = 0; i < intent->steps_size(); ++i) {
      const proto::IntentStep& step = intent->steps(i);
      RpcResult result = CallStep(step, StepRequestId(request_id, i, /*undo=*/false));
      spdlog::trace("intent {:016x} step {} (op {}): {}", request_id, i, step.op(),
                    result.status.ToString());
      if (i == crash_after_step_) {
        spdlog::warn("--crash-after-intent-step {}: killing this process", i);
        ::raise(SIGKILL);
      }
      if (result.status.transient()) return result.status;  // the sweeper goes on later
      if (result.status.ok() || step.best_effort()) {
        reply->add_step_replies(result.status.ok() ? result.message : "");
        continue;
      }
      // Decided: this step failed, so the steps before it are undone. Stored first, so that a
      // run after a crash undoes them too rather than going forward again.
      proto::RunIntentReply* failure = intent->mutable_failure();
      failure->set_failed_code(result.status.code());
      failure->set_failed_message(result.status.message());
      failure->set_failed_step(static_cast<uint32_t>(i));
      intent->set_undoing(true);
      intent->set_failed_step(static_cast<uint32_t>(i));
      Status status = Store(key, coordinator_key, *intent);
      if (!status.ok()) return status;
      break;
    }
  }
  if (intent->undoing()) {
    for (int i = static_cast<int>(intent->failed_step()) - 1; i >= 0; --i) {
      if (i >= intent->undo_size() || intent->undo(i).op() == 0) continue;
      RpcResult result = CallStep(intent->undo(i), StepRequestId(request_id, i, /*undo=*/true));
      if (result.status.transient()) return result.status;
      if (!result.status.ok()) {
        // Another client changed the record meanwhile; its change stands.
        spdlog::warn("intent {:016x}: undo of step {} failed: {}", request_id, i,
                     result.status.ToString());
      }
    }
    *reply = intent->failure();
  }

  KeyLocks::Guard guard(&replicator_->locks(), {coordinator_key}, /*exclusive=*/true);
  rocksdb::WriteBatch batch;
  Status status = FromRocks(batch.Delete(storage_->intents(), key));
  if (!status.ok()) return status;
  const RecordedReply recorded{key, reply};
  return replicator_->Commit(&batch, /*sync=*/false, &recorded);
}

RpcResult IntentRunner::CallStep(const proto::IntentStep& step, uint64_t request_id) {
  std::unique_ptr<google::protobuf::MessageLite> message = ParseStep(step);
  if (message == nullptr) return RpcResult{Status::Invalid("intent step"), {}, {}};
  auto* create = step.op() == proto::OP_CREATE && step.draw_inode()
                     ? static_cast<proto::CreateRequest*>(message.get())
                     : nullptr;
  std::string serialized = step.message();
  Peers& peers = replicator_->peers();
  const auto deadline = std::chrono::steady_clock::now() + kStepDeadline;
  for (;;) {
    RpcResult result{Status::IoError("no cluster map yet"), {}, {}};
    if (auto map = peers.snapshot(); map && !map->placement.empty()) {
      const ServerId head = map->placement.Home(step.placement_key());
      if (create != nullptr) {  // a retry of an applied create is answered by the entry's head
        create->mutable_attr()->set_ino(
            DrawInodePlacedWith(map->placement, step.placement_key(), [this] {
              std::lock_guard lock(mutex_);
              return random_();
            }));
        serialized = create->SerializeAsString();
      }
      if (head == peers.self()) {
        RpcRequest request;
        request.op = static_cast<uint16_t>(step.op());
        request.message = serialized;
        request.request_id = request_id;
        RpcReply served = local_(request);
        result = RpcResult{served.status, std::move(served.message), std::move(served.payload)};
      } else {
        result = peers.Call(head, static_cast<uint16_t>(step.op()), *message, {}, request_id);
      }
    }
    if (!result.status.transient() || std::chrono::steady_clock::now() > deadline || stopping()) {
      return result;
    }
    std::this_thread::sleep_for(kRetryPause);
    (void)peers.Refresh();
  }
}

void IntentRunner::Sweep() {
  auto map = replicator_->peers().snapshot();
  if (!map || map->placement.empty()) return;
  const uint64_t now = UnixSeconds();
  const auto grace = static_cast<uint64_t>(std::chrono::ceil<std::chrono::seconds>(grace_).count());
  struct Due {
    std::string key;
    std::string coordinator_key;
    uint64_t request_id;
  };
  std::vector<Due> due;
  std::unique_ptr<rocksdb::Iterator> it(
      storage_->NewIterator(Storage::kIntents, rocksdb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    uint64_t request_id = 0;
    std::string_view coordinator_key;
    proto::Intent intent;
    if (!keys::DecodeRequestKey(key, &request_id, &coordinator_key) ||
        !map->placement.IsHead(coordinator_key, replicator_->peers().self()) ||
        !intent.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())) ||
        intent.unix_seconds() + grace > now) {
      continue;
    }
    due.push_back({std::string(key), std::string(coordinator_key), request_id});
  }
  it.reset();
  for (const Due& entry : due) {
    {
      std::lock_guard lock(mutex_);
      if (stop_ || running_.contains(entry.key)) continue;
      running_.insert(entry.key);
    }
    std::string value;
    proto::Intent intent;
    rocksdb::Status found = storage_->Get(Storage::kIntents, entry.key, &value);
    if (found.ok() && intent.ParseFromString(value)) {  // not finished by a retry meanwhile
      proto::RunIntentReply reply;
      Status status = Execute(entry.key, entry.coordinator_key, entry.request_id, &intent, &reply);
      spdlog::info("intent {:016x} left behind: {}", entry.request_id,
                   status.ok() ? (intent.undoing() ? "undone" : "done") : status.ToString());
    }
    Release(entry.key);
  }
}

void IntentRunner::SweepLoop() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      changed_.wait_for(lock, kSweepInterval, [this] { return stop_; });
      if (stop_) return;
    }
    Sweep();
  }
}

}  // namespace sealfs
