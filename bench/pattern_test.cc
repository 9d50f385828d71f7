// The benchmark's check of what it reads: a wrong byte anywhere, bytes of another file or of
// another offset never pass.
#include "bench/pattern.h"

#include <gtest/gtest.h>

#include <vector>

namespace sealfs::bench {
namespace {

TEST(PatternTest, AnyReadOfTheRightBytesPassesWhateverItsOffsetAndLength) {
  std::vector<unsigned char> whole(4096);
  FillPattern(7, 0, whole.data(), whole.size());
  std::vector<unsigned char> scratch(whole.size());
  for (size_t offset : {0, 1, 7, 8, 13, 3901}) {
    for (size_t len : {1, 5, 8, 64, 195}) {
      EXPECT_TRUE(MatchesPattern(7, offset, whole.data() + offset, len, scratch.data()))
          << offset << "+" << len;
    }
  }
}

TEST(PatternTest, AFlippedByteAnotherFileOrAnotherOffsetIsCaught) {
  std::vector<unsigned char> data(47008);
  std::vector<unsigned char> scratch(data.size());
  FillPattern(3, 47008, data.data(), data.size());
  EXPECT_TRUE(MatchesPattern(3, 47008, data.data(), data.size(), scratch.data()));
  EXPECT_FALSE(MatchesPattern(4, 47008, data.data(), data.size(), scratch.data()));
  EXPECT_FALSE(MatchesPattern(3, 0, data.data(), data.size(), scratch.data()));
  EXPECT_FALSE(MatchesPattern(3, 47008 + 8, data.data(), data.size(), scratch.data()));
  for (size_t at : {size_t{0}, size_t{4097}, data.size() - 1}) {
    data[at] ^= 0x10;
    EXPECT_FALSE(MatchesPattern(3, 47008, data.data(), data.size(), scratch.data())) << at;
    data[at] ^= 0x10;
  }
}

TEST(PatternTest, AZeroedBlockIsCaught) {  // what a lost write reads back as
  std::vector<unsigned char> zeros(1 << 20, 0);
  std::vector<unsigned char> scratch(zeros.size());
  EXPECT_FALSE(MatchesPattern(0, 0, zeros.data(), zeros.size(), scratch.data()));
}

}  // namespace
}  // namespace sealfs::bench
