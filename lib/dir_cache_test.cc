#include "dir_cache.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace sealfs::client
