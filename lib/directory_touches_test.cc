#include "directory_touches.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <vector>

namespace sealfs::client {
namespace {

proto::Timespec At(int64_t sec) {
  proto::Timespec t;
  t.set_sec(sec);
  return t;
}

// Records what is sent; the first send waits until the test lets it go.
struct Recorder {
  std::mutex mutex;
  std::vector<std::vector<proto::SetAttrRequest>> sends;
  std::promise<void> first_started;
  std::shared_future<void> release;
  std::atomic<int> calls{0};
  void Send(const std::vector<proto::SetAttrRequest>& touches) {
    if (calls++ == 0) {
      first_started.set_value();
      release.wait();
    }
    std::lock_guard lock(mutex);
    sends.push_back(touches);
  }
};

TEST(DirectoryTouchesTest, TouchesMadeWhileOneIsOnItsWayGoAsOneWithTheLatestTime) {
  Recorder recorder;
  std::promise<void> release;
  recorder.release = release.get_future().share();
  DirectoryTouches touches([&](const auto& batch) { recorder.Send(batch); });
  touches.Touch(7, At(100));
  recorder.first_started.get_future().wait();
  for (int64_t t = 101; t <= 150; ++t) touches.Touch(7, At(t));
  touches.Touch(7, At(120));  // an older time never wins
  touches.Touch(8, At(130));
  release.set_value();
  touches.Flush();
  std::lock_guard lock(recorder.mutex);
  ASSERT_EQ(recorder.sends.size(), 2U);
  ASSERT_EQ(recorder.sends[1].size(), 2U) << "one SETATTR per directory";
  EXPECT_EQ(recorder.sends[1][0].ino(), 7U);
  EXPECT_EQ(recorder.sends[1][0].mtime().sec(), 150);
  EXPECT_EQ(recorder.sends[1][0].ctime().sec(), 150);
  EXPECT_EQ(recorder.sends[1][1].ino(), 8U);
  EXPECT_EQ(recorder.sends[1][0].nlink_delta(), 0) << "times only";
}

TEST(DirectoryTouchesTest, FlushIfPendingWaitsOnlyForADirectoryWithATouchOnItsWay) {
  Recorder recorder;
  std::promise<void> release;
  recorder.release = release.get_future().share();
  DirectoryTouches touches([&](const auto& batch) { recorder.Send(batch); });
  EXPECT_FALSE(touches.FlushIfPending(7));
  touches.Touch(7, At(1));
  recorder.first_started.get_future().wait();
  EXPECT_FALSE(touches.FlushIfPending(8)) << "nothing of 8 is pending: no wait";
  auto waited = std::async(std::launch::async, [&] { return touches.FlushIfPending(7); });
  EXPECT_EQ(waited.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout)
      << "returned while the touch of 7 was still on its way";
  release.set_value();
  EXPECT_TRUE(waited.get());
}

// Attributes read from the server carry this client's own touches that have not reached it.
TEST(DirectoryTouchesTest, PendingTimesRaiseTheTimesReadButNeverLowerThem) {
  Recorder recorder;
  std::promise<void> release;
  recorder.release = release.get_future().share();
  DirectoryTouches touches([&](const auto& batch) { recorder.Send(batch); });
  touches.Touch(7, At(100));
  recorder.first_started.get_future().wait();  // on its way
  touches.Touch(8, At(50));                    // pending
  proto::InodeAttr seven;
  *seven.mutable_mtime() = At(90);
  *seven.mutable_ctime() = At(120);
  touches.AddPendingTimes(7, &seven);
  EXPECT_EQ(seven.mtime().sec(), 100) << "a touch on its way counts";
  EXPECT_EQ(seven.ctime().sec(), 120) << "a later time read stays";
  proto::InodeAttr eight;
  touches.AddPendingTimes(8, &eight);
  EXPECT_EQ(eight.mtime().sec(), 50);
  proto::InodeAttr nine;
  touches.AddPendingTimes(9, &nine);
  EXPECT_EQ(nine.mtime().sec(), 0) << "no touch of 9";
  release.set_value();
}

TEST(DirectoryTouchesTest, WhatIsPendingIsSentBeforeTheQueueGoes) {
  Recorder recorder;
  std::promise<void> release;
  recorder.release = release.get_future().share();
  release.set_value();
  {
    DirectoryTouches touches([&](const auto& batch) { recorder.Send(batch); });
    for (uint64_t dir = 1; dir <= 20; ++dir) touches.Touch(dir, At(5));
  }
  std::size_t sent = 0;
  for (const auto& batch : recorder.sends) sent += batch.size();
  EXPECT_GE(sent, 20U);
}

}  // namespace
}  // namespace sealfs::client
