#include "dir_cache.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <thread>

namespace sealfs::client {
namespace {

using std::chrono::milliseconds;

TEST(DirCacheTest, KeepsADirectoryForItsTimeAndForgetsWhatIsErased) {
  DirCache cache(milliseconds(200));
  cache.Insert(1, "a", 10);
  cache.Insert(10, "b", 11);
  EXPECT_EQ(cache.Find(1, "a"), 10U);
  EXPECT_EQ(cache.Find(10, "b"), 11U);
  EXPECT_EQ(cache.Find(1, "b"), std::nullopt) << "names are per parent";
  cache.Erase(1, "a");
  EXPECT_EQ(cache.Find(1, "a"), std::nullopt);
  std::this_thread::sleep_for(milliseconds(250));
  EXPECT_EQ(cache.Find(10, "b"), std::nullopt) << "expired";
}

TEST(DirCacheTest, AParentWhoseIdEndsInANameByteIsNotConfusedWithAnother) {
  DirCache cache(milliseconds(10000));
  cache.Insert(0x6100, "b", 1);  // the key is the 8 id bytes, then the name
  EXPECT_EQ(cache.Find(0x61, "b"), std::nullopt);
  EXPECT_EQ(cache.Find(0x6100, "b"), 1U);
}

TEST(DirCacheTest, ZeroTimeKeepsNothingAndAFullCacheStartsOver) {
  DirCache off(milliseconds(0));
  off.Insert(1, "a", 10);
  EXPECT_EQ(off.Find(1, "a"), std::nullopt);
  DirCache small(milliseconds(10000), 2);
  small.Insert(1, "a", 10);
  small.Insert(1, "b", 11);
  small.Insert(1, "c", 12);
  EXPECT_EQ(small.Find(1, "a"), std::nullopt);
  EXPECT_EQ(small.Find(1, "c"), 12U);
}

proto::InodeAttr DirAttr(uint64_t ino, uint32_t mode, int64_t seconds) {
  proto::InodeAttr attr;
  attr.set_ino(ino);
  attr.set_mode(mode);
  attr.mutable_mtime()->set_sec(seconds);
  attr.mutable_ctime()->set_sec(seconds);
  return attr;
}

TEST(DirCacheTest, KeepsADirectorysAttributesWithThisClientsTouchesForItsTime) {
  DirCache cache(milliseconds(200));
  cache.InsertAttr(DirAttr(5, S_IFDIR | 0755, 100), cache.ChangesSoFar());
  cache.InsertAttr(DirAttr(6, S_IFREG | 0644, 100), cache.ChangesSoFar());
  EXPECT_EQ(cache.FindAttr(6), std::nullopt) << "only directories are kept";
  ASSERT_NE(cache.FindAttr(5), std::nullopt);
  EXPECT_EQ(cache.FindAttr(5)->mtime().sec(), 100);

  proto::Timespec later;
  later.set_sec(200);
  cache.RaiseTimes(5, later);
  EXPECT_EQ(cache.FindAttr(5)->mtime().sec(), 200);
  EXPECT_EQ(cache.FindAttr(5)->ctime().sec(), 200);
  proto::Timespec earlier;
  earlier.set_sec(150);
  cache.RaiseTimes(5, earlier);
  EXPECT_EQ(cache.FindAttr(5)->mtime().sec(), 200) << "a touch never moves a time back";

  cache.EraseAttr(5);
  EXPECT_EQ(cache.FindAttr(5), std::nullopt);
  cache.InsertAttr(DirAttr(5, S_IFDIR | 0755, 300), cache.ChangesSoFar());
  std::this_thread::sleep_for(milliseconds(250));
  EXPECT_EQ(cache.FindAttr(5), std::nullopt) << "expired";
  DirCache off(milliseconds(0));
  off.InsertAttr(DirAttr(5, S_IFDIR | 0755, 300), off.ChangesSoFar());
  EXPECT_EQ(off.FindAttr(5), std::nullopt);
}

// A read that began before this client changed the directory brings what the server held
// before the change: it is not kept, so that the change is not lost from the cache.
TEST(DirCacheTest, AttributesReadBeforeThisClientsChangeAreNotKept) {
  DirCache cache(milliseconds(10000), 4);
  const uint64_t read_after = cache.ChangesSoFar();
  proto::Timespec touch;
  touch.set_sec(200);
  cache.RaiseTimes(5, touch);  // not cached yet: the touch of a create while the read is out
  cache.InsertAttr(DirAttr(5, S_IFDIR | 0755, 100), read_after);
  EXPECT_EQ(cache.FindAttr(5), std::nullopt) << "it would show the time before the create";
  cache.InsertAttr(DirAttr(6, S_IFDIR | 0755, 100), read_after);
  EXPECT_NE(cache.FindAttr(6), std::nullopt) << "another directory, unchanged";
  cache.InsertAttr(DirAttr(5, S_IFDIR | 0755, 200), cache.ChangesSoFar());
  EXPECT_NE(cache.FindAttr(5), std::nullopt) << "a read that began after the change";

  const uint64_t before_many = cache.ChangesSoFar();
  for (uint64_t ino = 10; ino < 20; ++ino) cache.EraseAttr(ino);  // more than it remembers
  cache.InsertAttr(DirAttr(11, S_IFDIR | 0755, 100), before_many);
  EXPECT_EQ(cache.FindAttr(11), std::nullopt) << "a change it no longer remembers still counts";
}

}  // namespace
}  // namespace sealfs::client
