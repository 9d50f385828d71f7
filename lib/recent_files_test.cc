#include "recent_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <thread>

namespace sealfs::client {
namespace {

using std::chrono::milliseconds;

proto::InodeAttr Attr(uint64_t ino, uint32_t mode) {
  proto::InodeAttr attr;
  attr.set_ino(ino);
  attr.set_mode(mode);
  attr.set_chunk_size(1 << 20);
  return attr;
}

TEST(RecentFilesTest, KeepsRegularFilesForTheirTimeAndForgetsWhatIsErased) {
  RecentFiles files(milliseconds(200));
  files.Insert(Attr(10, S_IFREG | 0644), files.ChangesSoFar());
  files.Insert(Attr(11, S_IFREG | 0600), files.ChangesSoFar());
  files.Insert(Attr(12, S_IFDIR | 0755), files.ChangesSoFar());
  ASSERT_TRUE(files.Find(10).has_value());
  EXPECT_EQ(files.Find(10)->chunk_size(), 1U << 20);
  EXPECT_EQ(files.Find(12), std::nullopt) << "only regular files";
  files.Erase(10);
  EXPECT_EQ(files.Find(10), std::nullopt);
  std::this_thread::sleep_for(milliseconds(250));
  EXPECT_EQ(files.Find(11), std::nullopt) << "expired";
}

TEST(RecentFilesTest, ZeroTimeKeepsNothingAndAFullOneStartsOver) {
  RecentFiles off(milliseconds(0));
  off.Insert(Attr(10, S_IFREG | 0644), off.ChangesSoFar());
  EXPECT_EQ(off.Find(10), std::nullopt);
  RecentFiles small(milliseconds(10000), 2);
  small.Insert(Attr(1, S_IFREG | 0644), small.ChangesSoFar());
  small.Insert(Attr(2, S_IFREG | 0644), small.ChangesSoFar());
  small.Insert(Attr(3, S_IFREG | 0644), small.ChangesSoFar());
  EXPECT_EQ(small.Find(1), std::nullopt);
  EXPECT_TRUE(small.Find(3).has_value());
}

// A read that began before this client's own change of a file and comes back after it is not
// kept: the change may have landed after the read.
TEST(RecentFilesTest, AReadThatRacedThisClientsChangeIsNotKept) {
  RecentFiles files(milliseconds(10000));
  const uint64_t read_after = files.ChangesSoFar();  // a GET_ATTR starts
  files.Erase(10);                                   // this client's write of file 10 meanwhile
  files.Insert(Attr(10, S_IFREG | 0644), read_after);
  EXPECT_EQ(files.Find(10), std::nullopt) << "kept attributes read before the write";
  files.Insert(Attr(10, S_IFREG | 0644), files.ChangesSoFar());
  EXPECT_TRUE(files.Find(10).has_value());
}

}  // namespace
}  // namespace sealfs::client
