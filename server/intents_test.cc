// The intent runner (intents.h), checked where it lives: several servers in one process
// (in_process_servers.h), the steps of an intent going to the heads of their own records.
#include "intents.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "in_process_servers.h"

namespace sealfs {
namespace {

constexpr uint64_t kParent = 1;

class IntentsTest : public InProcessServers {
 protected:
  void SetUp() override {
    InProcessServers::SetUp();
    map_ = Map(1, 2);
    SetMapEverywhere(map_);
  }

  static proto::IntentStep Insert(const std::string& name, uint64_t ino) {
    proto::InsertDentryRequest insert;
    insert.set_parent(kParent);
    insert.set_name(name);
    insert.mutable_entry()->set_ino(ino);
    insert.mutable_entry()->set_type(S_IFREG);
    proto::IntentStep step;
    step.set_op(proto::OP_INSERT_DENTRY);
    step.set_message(insert.SerializeAsString());
    step.set_placement_key(DentryPlacementKey(kParent, name));
    return step;
  }
  static proto::IntentStep Remove(const std::string& name, uint64_t ino) {
    proto::RemoveDentryRequest remove;
    remove.set_parent(kParent);
    remove.set_name(name);
    remove.set_expected_ino(ino);
    proto::IntentStep step;
    step.set_op(proto::OP_REMOVE_DENTRY);
    step.set_message(remove.SerializeAsString());
    step.set_placement_key(DentryPlacementKey(kParent, name));
    return step;
  }
  // Links `first` and `second`, in that order; undoing the first removes it.
  static proto::RunIntentRequest LinkBoth(const std::string& first, const std::string& second) {
    proto::RunIntentRequest request;
    request.set_coordinator_key(DentryPlacementKey(kParent, first));
    *request.mutable_intent()->add_steps() = Insert(first, 100);
    *request.mutable_intent()->add_steps() = Insert(second, 101);
    *request.mutable_intent()->add_undo() = Remove(first, 100);
    request.mutable_intent()->add_undo();  // the last step has nothing to undo
    return request;
  }

  InProcessServer& HeadOf(const std::string& name) {
    return ServerOf(Placement(map_).Home(DentryPlacementKey(kParent, name)));
  }
  // The inode an entry points to on every copy of it, 0 where it is missing; the copies must
  // agree.
  uint64_t EntryIno(const std::string& name) {
    std::optional<uint64_t> agreed;
    for (ServerId id : Placement(map_).Chain(DentryPlacementKey(kParent, name))) {
      proto::LookupRequest lookup;
      lookup.set_parent(kParent);
      lookup.set_name(name);
      proto::LookupReply reply;
      const uint64_t ino =
          ServerOf(id).metadata->Lookup(lookup, &reply).ok() ? reply.entry().ino() : 0;
      if (agreed) {
        EXPECT_EQ(*agreed, ino) << name << " differs between its copies";
      }
      agreed = ino;
    }
    return agreed.value_or(0);
  }
  // OP_RUN_INTENT, sent to the head of the coordinator key as a client sends it.
  RpcReply Run(const proto::RunIntentRequest& request, uint64_t request_id) {
    InProcessServer& coordinator = ServerOf(Placement(map_).Home(request.coordinator_key()));
    return coordinator.Handle(proto::OP_RUN_INTENT, request, request_id);
  }

  proto::ClusterMap map_;
};

TEST_F(IntentsTest, EveryStepRunsOnTheHeadOfItsRecordAndReachesItsCopies) {
  const RpcReply reply = Run(LinkBoth("a", "b"), 77);
  ASSERT_TRUE(reply.status.ok()) << reply.status.ToString();
  proto::RunIntentReply result;
  ASSERT_TRUE(result.ParseFromString(reply.message));
  EXPECT_EQ(result.step_replies_size(), 2);
  EXPECT_EQ(EntryIno("a"), 100U);
  EXPECT_EQ(EntryIno("b"), 101U);
}

TEST_F(IntentsTest, AStepThatFailsUndoesTheStepsBeforeIt) {
  ASSERT_TRUE(Run(LinkBoth("taken", "x"), 1).status.ok());  // "taken" -> 100
  const RpcReply reply = Run(LinkBoth("c", "taken"), 2);    // "taken" exists: step 1 fails
  ASSERT_TRUE(reply.status.ok()) << reply.status.ToString();
  proto::RunIntentReply result;
  ASSERT_TRUE(result.ParseFromString(reply.message));
  EXPECT_EQ(result.failed_code(), proto::STATUS_EXISTS);
  EXPECT_EQ(result.failed_step(), 1U);
  EXPECT_EQ(EntryIno("c"), 0U) << "the first step was not undone";
  EXPECT_EQ(EntryIno("taken"), 100U);
}

TEST_F(IntentsTest, ARetryOfAFinishedIntentIsAnsweredFromItsRecordAndChangesNothing) {
  ASSERT_TRUE(Run(LinkBoth("d", "e"), 5).status.ok());
  // Another client removes "d" meanwhile; the late retry must not bring it back.
  InProcessServer& head = HeadOf("d");
  proto::RemoveDentryRequest remove;
  remove.set_parent(kParent);
  remove.set_name("d");
  ASSERT_TRUE(head.Handle(proto::OP_REMOVE_DENTRY, remove, 6).status.ok());
  const RpcReply retry = Run(LinkBoth("d", "e"), 5);
  ASSERT_TRUE(retry.status.ok()) << retry.status.ToString();
  proto::RunIntentReply result;
  ASSERT_TRUE(result.ParseFromString(retry.message));
  EXPECT_EQ(result.step_replies_size(), 2) << "the retry got another answer than the first run";
  EXPECT_EQ(EntryIno("d"), 0U) << "the retry applied a step again";
}

// A coordinator that stored an intent and died before running it: the sweeper of the
// coordinator key's head finds it and runs it to its end.
TEST_F(IntentsTest, AnIntentLeftBehindIsFinishedByTheSweeper) {
  const proto::RunIntentRequest request = LinkBoth("f", "g");
  InProcessServer& head = HeadOf("f");
  {
    KeyLocks::Guard guard(&head.replicator->locks(), {request.coordinator_key()}, true);
    rocksdb::WriteBatch batch;
    proto::Intent stored = request.intent();
    stored.set_unix_seconds(1);  // long ago
    ASSERT_TRUE(batch
                    .Put(head.storage->intents(), keys::RequestKey(9, request.coordinator_key()),
                         stored.SerializeAsString())
                    .ok());
    ASSERT_TRUE(head.replicator->Commit(&batch, /*sync=*/false).ok());
  }
  EXPECT_EQ(EntryIno("f"), 0U);
  head.intents->Sweep();
  EXPECT_EQ(EntryIno("f"), 100U);
  EXPECT_EQ(EntryIno("g"), 101U);
  std::string left;
  EXPECT_TRUE(
      head.storage->Get(Storage::kIntents, keys::RequestKey(9, request.coordinator_key()), &left)
          .IsNotFound())
      << "the intent is still stored after it ran";
}

}  // namespace
}  // namespace sealfs
