#include "path.h"

#include <gtest/gtest.h>

namespace sealfs::client {
namespace {

TEST(SplitPathTest, DropsEmptyComponentsKeepsDots) {
  std::vector<std::string> parts;
  ASSERT_TRUE(SplitPath("//a/./b//../c/", &parts).ok());
  EXPECT_EQ(parts, (std::vector<std::string>{"a", ".", "b", "..", "c"}));
  ASSERT_TRUE(SplitPath("/", &parts).ok());
  EXPECT_TRUE(parts.empty());
}

TEST(SplitPathTest, RejectsRelativeAndEmptyPaths) {
  std::vector<std::string> parts;
  EXPECT_EQ(SplitPath("a/b", &parts).code(), proto::STATUS_INVALID);
  EXPECT_EQ(SplitPath("", &parts).code(), proto::STATUS_INVALID);
}

TEST(SplitPathTest, EnforcesNameMaxAndPathMax) {
  std::vector<std::string> parts;
  EXPECT_TRUE(SplitPath("/" + std::string(255, 'x'), &parts).ok());
  EXPECT_EQ(SplitPath("/" + std::string(256, 'x'), &parts).code(), proto::STATUS_NAME_TOO_LONG);
  std::string long_path;
  while (long_path.size() < 4096) long_path += "/abcdefgh";
  EXPECT_EQ(SplitPath(long_path, &parts).code(), proto::STATUS_NAME_TOO_LONG);
  EXPECT_TRUE(SplitPath(long_path.substr(0, 4095), &parts).ok());
}

TEST(CheckNameTest, RejectsWhatCannotBeAnEntry) {
  EXPECT_TRUE(CheckName("file.txt").ok());
  EXPECT_EQ(CheckName("").code(), proto::STATUS_INVALID);
  EXPECT_EQ(CheckName(".").code(), proto::STATUS_INVALID);
  EXPECT_EQ(CheckName("..").code(), proto::STATUS_INVALID);
  EXPECT_EQ(CheckName("a/b").code(), proto::STATUS_INVALID);
  EXPECT_EQ(CheckName(std::string(256, 'n')).code(), proto::STATUS_NAME_TOO_LONG);
}

}  // namespace
}  // namespace sealfs::client
