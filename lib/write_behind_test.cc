#include "write_behind.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace sealfs::client {
namespace {

using namespace std::chrono_literals;

// Random writes into a small file, each checked against a byte array of what was written.
TEST(DirtyRangesTest, KeepsWhatARandomRunOfWritesLeavesAndNothingElse) {
  constexpr std::size_t kFile = 4096;
  std::mt19937 random(7);
  for (int round = 0; round < 50; ++round) {
    DirtyRanges ranges;
    std::string model(kFile, '\0');
    std::vector<bool> written(kFile, false);
    for (int write = 0; write < 40; ++write) {
      const std::size_t offset = random() % kFile;
      const std::size_t length = 1 + random() % std::min<std::size_t>(300, kFile - offset);
      const std::string bytes(length, static_cast<char>('a' + random() % 26));
      ranges.Add(offset, bytes);
      model.replace(offset, length, bytes);
      for (std::size_t i = offset; i < offset + length; ++i) written[i] = true;

      std::size_t total = 0;
      uint64_t previous_end = 0;
      bool first = true;
      std::vector<bool> covered(kFile, false);
      for (const auto& [start, kept] : ranges.ranges()) {
        ASSERT_FALSE(kept.empty());
        // Ranges that touch are merged: a gap lies between any two.
        if (!first) {
          ASSERT_GT(start, previous_end);
        }
        first = false;
        previous_end = start + kept.size();
        ASSERT_EQ(kept, model.substr(start, kept.size()));
        for (std::size_t i = start; i < previous_end; ++i) covered[i] = true;
        total += kept.size();
      }
      ASSERT_EQ(covered, written);
      ASSERT_EQ(ranges.bytes(), total);
    }
  }
}

TEST(DirtyRangesTest, AppendsBecomeOneRange) {
  DirtyRanges ranges;
  ranges.Add(0, "abc");
  ranges.Add(3, "def");
  ranges.Add(6, "g");
  ASSERT_EQ(ranges.ranges().size(), 1U);
  EXPECT_EQ(ranges.ranges().at(0), "abcdefg");
  // Interleaved from two writers: the later one fills the gap between the ranges.
  ranges.Add(10, "kl");
  ranges.Add(7, "hij");
  ASSERT_EQ(ranges.ranges().size(), 1U);
  EXPECT_EQ(ranges.ranges().at(0), "abcdefghijkl");
  EXPECT_EQ(ranges.bytes(), 12U);
}

// Records every send; can hold sends until released, and fail them.
class FakeServers {
 public:
  Status Send(const KeptWrites& writes) {
    std::unique_lock lock(mutex_);
    ++started_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return !hold_; });
    sent_.push_back(writes);
    return failure_;
  }
  void Hold() {
    std::lock_guard lock(mutex_);
    hold_ = true;
  }
  void Release() {
    std::lock_guard lock(mutex_);
    hold_ = false;
    changed_.notify_all();
  }
  void Fail(Status failure) {
    std::lock_guard lock(mutex_);
    failure_ = std::move(failure);
  }
  bool WaitForStarted(int count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return started_ >= count; });
  }
  std::vector<KeptWrites> sent() {
    std::lock_guard lock(mutex_);
    return sent_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool hold_ = false;
  int started_ = 0;
  Status failure_;
  std::vector<KeptWrites> sent_;
};

proto::Timespec At(int64_t sec) {
  proto::Timespec time;
  time.set_sec(sec);
  return time;
}

TEST(WriteBehindTest, SendDeliversEveryKeptWriteOnceWithTheTimeOfTheLast) {
  FakeServers servers;
  WriteBehind writes([&](const KeptWrites& kept) { return servers.Send(kept); });
  writes.Keep(7, 4096, 0, "abc", At(1));
  writes.Keep(7, 4096, 3, "def", At(2));
  writes.Keep(8, 4096, 100, "x", At(3));
  EXPECT_TRUE(writes.Holds(7));
  ASSERT_TRUE(writes.Send(7).ok());
  EXPECT_FALSE(writes.Holds(7));
  EXPECT_TRUE(writes.Holds(8));
  ASSERT_TRUE(writes.Send(7).ok());  // nothing left: nothing sent
  auto sent = servers.sent();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_EQ(sent[0].ino, 7U);
  EXPECT_EQ(sent[0].chunk_size, 4096U);
  EXPECT_EQ(sent[0].mtime.sec(), 2);
  EXPECT_EQ(sent[0].ranges.ranges().at(0), "abcdef");
}

TEST(WriteBehindTest, KeptWritesAreSentWithoutAskingSoonAfterTheFirst) {
  FakeServers servers;
  WriteBehind writes([&](const KeptWrites& kept) { return servers.Send(kept); });
  writes.Keep(7, 4096, 0, "abc", At(1));
  ASSERT_TRUE(servers.WaitForStarted(1));
  for (int i = 0; i < 1000 && writes.Holds(7); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(writes.Holds(7));
  ASSERT_EQ(servers.sent().size(), 1U);
}

// A file's writes reaching kSendBytes go at once, while the writers fill the next kSendBytes;
// a writer that fills those too waits for the send on its way.
TEST(WriteBehindTest, AFullBufferIsSentWhileTheNextFillsAndTheOneAfterWaits) {
  FakeServers servers;
  WriteBehind writes([&](const KeptWrites& kept) { return servers.Send(kept); });
  const std::string full(WriteBehind::kSendBytes, 'f');
  servers.Hold();
  writes.Keep(7, 1U << 20, 0, full, At(1));  // returns with its send held
  ASSERT_TRUE(servers.WaitForStarted(1));
  auto writer =
      std::async(std::launch::async, [&] { writes.Keep(7, 1U << 20, full.size(), full, At(2)); });
  EXPECT_EQ(writer.wait_for(100ms), std::future_status::timeout) << "two buffers at most";
  servers.Release();
  writer.get();
  ASSERT_TRUE(writes.Send(7).ok());
  auto sent = servers.sent();
  ASSERT_EQ(sent.size(), 2U);
  EXPECT_EQ(sent[0].ranges.ranges().begin()->first, 0U);
  EXPECT_EQ(sent[1].ranges.ranges().begin()->first, WriteBehind::kSendBytes);
  EXPECT_FALSE(writes.Holds(7));
}

TEST(WriteBehindTest, SendWaitsForTheSendOnItsWay) {
  FakeServers servers;
  WriteBehind writes([&](const KeptWrites& kept) { return servers.Send(kept); });
  servers.Hold();
  writes.Keep(7, 4096, 0, "old", At(1));
  ASSERT_TRUE(servers.WaitForStarted(1));  // the timer took it and is sending
  writes.Keep(7, 4096, 0, "new", At(2));
  auto reader = std::async(std::launch::async, [&] { return writes.Send(7); });
  EXPECT_EQ(reader.wait_for(100ms), std::future_status::timeout);
  servers.Release();
  ASSERT_TRUE(reader.get().ok());
  auto sent = servers.sent();
  ASSERT_EQ(sent.size(), 2U);  // in the order kept: the later write lands last
  EXPECT_EQ(sent[0].ranges.ranges().at(0), "old");
  EXPECT_EQ(sent[1].ranges.ranges().at(0), "new");
}

TEST(WriteBehindTest, AWriteThroughLandsAfterTheKeptOnes) {
  FakeServers servers;
  WriteBehind writes([&](const KeptWrites& kept) { return servers.Send(kept); });
  writes.Keep(7, 4096, 0, "kept", At(1));
  bool kept_was_sent = false;
  ASSERT_TRUE(writes
                  .WriteThrough(7,
                                [&] {
                                  kept_was_sent = servers.sent().size() == 1;
                                  return Status::Ok();
                                })
                  .ok());
  EXPECT_TRUE(kept_was_sent);
}

TEST(WriteBehindTest, AFailedSendIsReportedOnceByTheReportingSend) {
  FakeServers servers;
  WriteBehind writes([&](const KeptWrites& kept) { return servers.Send(kept); });
  servers.Fail({proto::STATUS_NO_SPACE, "full"});
  writes.Keep(7, 4096, 0, "lost", At(1));
  // Sent by the timer: nobody was told.
  for (int i = 0; i < 1000 && servers.sent().empty(); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(servers.sent().size(), 1U);
  servers.Fail(Status::Ok());
  // A stat's send says nothing of an earlier failure; the file still holds it.
  EXPECT_TRUE(writes.Send(7).ok());
  EXPECT_TRUE(writes.Holds(7));
  EXPECT_EQ(writes.Send(7, /*report_earlier=*/true).code(), proto::STATUS_NO_SPACE);
  EXPECT_TRUE(writes.Send(7, /*report_earlier=*/true).ok());
  EXPECT_FALSE(writes.Holds(7));
}

TEST(WriteBehindTest, SendAllSendsEveryFileAndDestructionSendsWhatIsLeft) {
  FakeServers servers;
  {
    WriteBehind writes([&](const KeptWrites& kept) { return servers.Send(kept); });
    writes.Keep(1, 4096, 0, "a", At(1));
    writes.Keep(2, 4096, 0, "b", At(1));
    ASSERT_TRUE(writes.SendAll().ok());
    EXPECT_FALSE(writes.Holds(1));
    EXPECT_FALSE(writes.Holds(2));
    writes.Keep(3, 4096, 0, "c", At(1));
  }
  std::size_t files = 0;
  for (const auto& kept : servers.sent()) files += kept.ranges.ranges().size();
  EXPECT_EQ(files, 3U);
}

}  // namespace
}  // namespace sealfs::client
