#include "server/lease.h"

#include <gtest/gtest.h>

namespace sealfs {
namespace {

using std::chrono::milliseconds;

// The lease counts from the send of the answered heartbeat, not from its answer: a slow answer
// must not stretch it past the moment the manager may give the records to another head.
TEST(LeaseTest, HoldsForItsDurationFromTheSendOfTheLastAnsweredHeartbeat) {
  Lease lease;
  const Lease::Clock::time_point sent = Lease::Clock::now();
  EXPECT_FALSE(lease.Holds(sent, milliseconds(500), 7)) << "no answer yet";
  lease.Confirm(sent, 7);
  EXPECT_TRUE(lease.Holds(sent + milliseconds(499), milliseconds(500), 7));
  EXPECT_FALSE(lease.Holds(sent + milliseconds(500), milliseconds(500), 7));
  // An answer to an older send does not move it back.
  lease.Confirm(sent - milliseconds(300), 7);
  EXPECT_TRUE(lease.Holds(sent + milliseconds(499), milliseconds(500), 7));
  lease.Confirm(sent + milliseconds(400), 7);
  EXPECT_TRUE(lease.Holds(sent + milliseconds(899), milliseconds(500), 7));
}

// Until this server's map is as new as the manager's answer, it may act on a map in which it
// heads records the manager has given to another.
TEST(LeaseTest, NeedsAMapAsNewAsTheManagersAnswer) {
  Lease lease;
  const Lease::Clock::time_point sent = Lease::Clock::now();
  lease.Confirm(sent, 9);
  EXPECT_FALSE(lease.Holds(sent, milliseconds(500), 8));
  EXPECT_TRUE(lease.Holds(sent, milliseconds(500), 9));
  EXPECT_TRUE(lease.Holds(sent, milliseconds(500), 10));
  lease.Confirm(sent, 8);  // an older epoch never lowers what is needed
  EXPECT_FALSE(lease.Holds(sent, milliseconds(500), 8));
}

TEST(LeaseTest, LastsHalfTheManagersHeartbeatTimeout) {
  EXPECT_EQ(Lease::DurationFor(1000), milliseconds(500));
  EXPECT_EQ(Lease::DurationFor(0), milliseconds(2500)) << "a map that does not say: 5000 ms";
}

}  // namespace
}  // namespace sealfs
