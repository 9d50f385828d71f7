#include "file_table.h"

#include <fcntl.h>
#include <gtest/gtest.h>

namespace sealfs::client {
namespace {

TEST(FileTableTest, HandsOutTheLowestFreeDescriptor) {
  FileTable table(16);
  EXPECT_EQ(table.Add(std::make_shared<OpenFile>()), 0);
  EXPECT_EQ(table.Add(std::make_shared<OpenFile>()), 1);
  EXPECT_EQ(table.Add(std::make_shared<OpenFile>()), 2);
  ASSERT_NE(table.Remove(1), nullptr);
  EXPECT_EQ(table.Get(1), nullptr);
  EXPECT_EQ(table.Add(std::make_shared<OpenFile>()), 1);
}

TEST(FileTableTest, UnknownDescriptorsAreNull) {
  FileTable table(16);
  EXPECT_EQ(table.Get(-1), nullptr);
  EXPECT_EQ(table.Get(0), nullptr);
  EXPECT_EQ(table.Remove(5), nullptr);
  int fd = table.Add(std::make_shared<OpenFile>());
  ASSERT_NE(table.Remove(fd), nullptr);
  EXPECT_EQ(table.Remove(fd), nullptr) << "a descriptor closes once";
}

TEST(FileTableTest, AccessModeDecidesReadableAndWritable) {
  OpenFile file;
  file.flags = O_RDONLY;
  EXPECT_TRUE(file.readable());
  EXPECT_FALSE(file.writable());
  file.flags = O_WRONLY | O_APPEND;
  EXPECT_FALSE(file.readable());
  EXPECT_TRUE(file.writable());
  file.flags = O_RDWR;
  EXPECT_TRUE(file.readable());
  EXPECT_TRUE(file.writable());
}

}  // namespace
}  // namespace sealfs::client
