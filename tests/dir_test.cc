// Directory streams through the C API: opendir/readdir/closedir, "." and "..", entry types and
// inode numbers, and a directory of 100,000 entries listed completely.
#include <fcntl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster.h"

namespace sealfs::test {
namespace {

class DirTest : public ClusterTest {
 protected:
  struct Entry {
    ino_t ino;
    unsigned type;
    int count;
  };
  // name -> entry, counting how often each name was listed.
  std::map<std::string, Entry> Read(const std::string& path) {
    std::map<std::string, Entry> out;
    sealfs_dir* dir = nullptr;
    const int rc = sealfs_opendir(client_, path.c_str(), &dir);
    EXPECT_OK(rc) << path;
    if (rc != 0) return out;
    struct dirent entry {};
    int r = 0;
    while ((r = sealfs_readdir(client_, dir, &entry)) == 1) {
      auto [it, inserted] = out.try_emplace(entry.d_name, Entry{entry.d_ino, entry.d_type, 0});
      ++it->second.count;
    }
    EXPECT_EQ(r, 0) << "readdir ended with " << ErrName(r);
    EXPECT_OK(sealfs_closedir(client_, dir));
    return out;
  }
  ino_t Ino(const std::string& path) {
    struct stat st {};
    EXPECT_OK(sealfs_lstat(client_, path.c_str(), &st)) << path;
    return st.st_ino;
  }
};

TEST_F(DirTest, EmptyDirectoryListsDotAndDotDot) {
  ASSERT_OK(sealfs_mkdir(client_, "/empty", 0755));
  const auto names = ListDir(client_, "/empty");
  ASSERT_EQ(names.size(), 2U);
  EXPECT_EQ(names[0], ".") << "\".\" comes first";
  EXPECT_EQ(names[1], "..");
  const auto entries = Read("/empty");
  EXPECT_EQ(entries.at(".").ino, Ino("/empty"));
  EXPECT_EQ(entries.at("..").ino, Ino("/"));
  EXPECT_EQ(entries.at(".").type, static_cast<unsigned>(DT_DIR));
  EXPECT_EQ(entries.at("..").type, static_cast<unsigned>(DT_DIR));
  const auto root = Read("/");
  EXPECT_EQ(root.count("."), 1U);
  EXPECT_EQ(root.count(".."), 1U);
}

TEST_F(DirTest, EachEntryOnceWithItsTypeAndIno) {
  ASSERT_OK(sealfs_mkdir(client_, "/d", 0755));
  ASSERT_OK(sealfs_mkdir(client_, "/d/subdir", 0755));
  WriteFile(client_, "/d/file", "x");
  ASSERT_OK(sealfs_symlink(client_, "file", "/d/link"));
  for (int i = 0; i < 200; ++i) WriteFile(client_, "/d/f" + std::to_string(i), "");
  const auto entries = Read("/d");
  EXPECT_EQ(entries.size(), 2U + 3U + 200U);
  for (const auto& [name, e] : entries) EXPECT_EQ(e.count, 1) << name << " listed more than once";
  EXPECT_EQ(entries.at("subdir").type, static_cast<unsigned>(DT_DIR));
  EXPECT_EQ(entries.at("file").type, static_cast<unsigned>(DT_REG));
  EXPECT_EQ(entries.at("link").type, static_cast<unsigned>(DT_LNK));
  EXPECT_EQ(entries.at("subdir").ino, Ino("/d/subdir"));
  EXPECT_EQ(entries.at("file").ino, Ino("/d/file"));
  EXPECT_EQ(entries.at("link").ino, Ino("/d/link"));
  EXPECT_EQ(entries.at("f123").ino, Ino("/d/f123"));
  EXPECT_EQ(Read("/d/subdir").at("..").ino, Ino("/d"));
}

TEST_F(DirTest, RemovedAndRenamedEntriesDisappear) {
  ASSERT_OK(sealfs_mkdir(client_, "/d", 0755));
  for (int i = 0; i < 100; ++i) WriteFile(client_, "/d/n" + std::to_string(i), "");
  for (int i = 0; i < 100; i += 2)
    ASSERT_OK(sealfs_unlink(client_, ("/d/n" + std::to_string(i)).c_str()));
  ASSERT_OK(sealfs_rename(client_, "/d/n1", "/d/renamed"));
  ASSERT_OK(sealfs_rename(client_, "/d/n3", "/moved_out"));
  std::set<std::string> expected = {".", "..", "renamed"};
  for (int i = 5; i < 100; i += 2) expected.insert("n" + std::to_string(i));
  const auto entries = Read("/d");
  std::set<std::string> got;
  for (const auto& [name, e] : entries) {
    EXPECT_EQ(e.count, 1) << name;
    got.insert(name);
  }
  EXPECT_EQ(got, expected);
}

TEST_F(DirTest, OpendirErrors) {
  WriteFile(client_, "/file", "x");
  sealfs_dir* dir = nullptr;
  EXPECT_ERRNO(ENOENT, sealfs_opendir(client_, "/missing", &dir));
  EXPECT_ERRNO(ENOTDIR, sealfs_opendir(client_, "/file", &dir));
  EXPECT_ERRNO(ENOTDIR, sealfs_opendir(client_, "/file/x", &dir));
  EXPECT_ERRNO(EINVAL, sealfs_opendir(client_, "relative", &dir));
  EXPECT_OK(sealfs_closedir(client_, nullptr)) << "NULL is a no-op";
}

TEST_F(DirTest, ReaddirAfterTheEndKeepsReturningZero) {
  ASSERT_OK(sealfs_mkdir(client_, "/d", 0755));
  sealfs_dir* dir = nullptr;
  ASSERT_OK(sealfs_opendir(client_, "/d", &dir));
  struct dirent entry {};
  EXPECT_EQ(sealfs_readdir(client_, dir, &entry), 1);
  EXPECT_EQ(sealfs_readdir(client_, dir, &entry), 1);
  EXPECT_EQ(sealfs_readdir(client_, dir, &entry), 0);
  EXPECT_EQ(sealfs_readdir(client_, dir, &entry), 0);
  EXPECT_OK(sealfs_closedir(client_, dir));
}

// 100,000 entries in one directory (20,000 in the sanitized build: still pages on every server),
// spread over every server, created by several threads sharing the client, then listed
// completely: each name exactly once, nothing else.
TEST_F(DirTest, AHugeDirectoryIsListedCompletely) {
  constexpr int kEntries = kSanitizedBuild ? 20000 : 100000;
  constexpr int kThreads = 16;
  ASSERT_OK(sealfs_mkdir(client_, "/big", 0755));
  const auto start = std::chrono::steady_clock::now();
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::atomic<int> first_error{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < kEntries; i = next++) {
        const std::string path = "/big/entry-" + std::to_string(i);
        const int fd = sealfs_open(client_, path.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
        if (fd < 0) {
          ++failures;
          first_error = fd;
          continue;
        }
        if (sealfs_close(client_, fd) != 0) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  const double created_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "created " << kEntries << " files in " << created_s << " s (" << kEntries / created_s
            << "/s, " << kThreads << " threads)\n";
  ASSERT_EQ(failures.load(), 0) << "creates failed, e.g. " << ErrName(first_error.load());

  const auto list_start = std::chrono::steady_clock::now();
  std::vector<int> seen(kEntries, 0);
  int others = 0;
  int dots = 0;
  sealfs_dir* dir = nullptr;
  ASSERT_OK(sealfs_opendir(client_, "/big", &dir));
  struct dirent entry {};
  int r = 0;
  while ((r = sealfs_readdir(client_, dir, &entry)) == 1) {
    const std::string name = entry.d_name;
    if (name == "." || name == "..") {
      ++dots;
    } else if (name.rfind("entry-", 0) == 0) {
      const int i = std::stoi(name.substr(6));
      if (i >= 0 && i < kEntries && name == "entry-" + std::to_string(i)) {
        ++seen[i];
      } else {
        ++others;
      }
    } else {
      ++others;
    }
  }
  EXPECT_EQ(r, 0) << ErrName(r);
  EXPECT_OK(sealfs_closedir(client_, dir));
  std::cout << "listed in "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - list_start).count()
            << " s\n";
  EXPECT_EQ(dots, 2);
  EXPECT_EQ(others, 0) << "names that were never created";
  int missing = 0;
  int duplicated = 0;
  for (int i = 0; i < kEntries; ++i) {
    if (seen[i] == 0) ++missing;
    if (seen[i] > 1) ++duplicated;
  }
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(duplicated, 0);
}

}  // namespace
}  // namespace sealfs::test
