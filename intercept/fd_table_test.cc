#include "fd_table.h"

#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

namespace sealfs::intercept {
namespace {

// Stands for an open file: counts how many are alive, as the real one closes on destruction.
struct FakeFile {
  explicit FakeFile(int* alive) : alive(alive) { ++*alive; }
  ~FakeFile() { --*alive; }
  FakeFile(const FakeFile&) = delete;
  FakeFile& operator=(const FakeFile&) = delete;
  int* alive;
};

TEST(FdTable, IsEmptyUntilADescriptorIsSet) {
  FdTable<FakeFile> table;
  EXPECT_TRUE(table.empty());
  EXPECT_EQ(table.Get(3), nullptr);
  EXPECT_EQ(table.Get(-1), nullptr);
  int alive = 0;
  table.Set(1000, std::make_shared<FakeFile>(&alive));
  EXPECT_FALSE(table.empty());
  EXPECT_NE(table.Get(1000), nullptr);
  EXPECT_EQ(table.Get(999), nullptr);
}

TEST(FdTable, DuplicatesShareTheFileUntilTheLastGoes) {
  FdTable<FakeFile> table;
  int alive = 0;
  table.Set(3, std::make_shared<FakeFile>(&alive));
  table.Set(7, table.Get(3));  // dup2(3, 7)
  EXPECT_EQ(table.Get(3), table.Get(7));
  table.Remove(3);
  EXPECT_EQ(alive, 1);
  table.Remove(7);
  EXPECT_EQ(alive, 0);
  EXPECT_TRUE(table.empty());
}

TEST(FdTable, SetHandsBackWhatTheDescriptorStoodFor) {
  FdTable<FakeFile> table;
  int alive = 0;
  table.Set(4, std::make_shared<FakeFile>(&alive));
  std::shared_ptr<FakeFile> replaced = table.Set(4, std::make_shared<FakeFile>(&alive));
  EXPECT_EQ(alive, 2);  // the caller decides when the replaced one goes
  replaced.reset();
  EXPECT_EQ(alive, 1);
  EXPECT_EQ(table.Set(4, nullptr).use_count(), 1);
  EXPECT_TRUE(table.empty());
}

TEST(FdTable, RemovesARange) {
  FdTable<FakeFile> table;
  int alive = 0;
  for (int fd : {2, 3, 5, 9}) table.Set(fd, std::make_shared<FakeFile>(&alive));
  EXPECT_EQ(table.RemoveRange(3, 5).size(), 2U);
  EXPECT_EQ(alive, 2);
  EXPECT_NE(table.Get(2), nullptr);
  EXPECT_NE(table.Get(9), nullptr);
  EXPECT_EQ(table.RemoveRange(0, 1 << 30).size(), 2U);
  EXPECT_TRUE(table.empty());
}

TEST(FdTable, TakesConcurrentLookupsAndChanges) {
  FdTable<FakeFile> table;
  int alive = 0;
  auto file = std::make_shared<FakeFile>(&alive);
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&table, &file, t] {
      for (int k = 0; k < 2000; ++k) {
        int fd = t * 10000 + k;
        table.Set(fd, file);
        EXPECT_EQ(table.Get(fd), file);
        table.Remove(fd);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_TRUE(table.empty());
  EXPECT_EQ(file.use_count(), 1);
}

}  // namespace
}  // namespace sealfs::intercept
