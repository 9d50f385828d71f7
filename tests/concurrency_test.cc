// Concurrency: several threads sharing one client and several client processes, writing their
// own files and creating names in one shared directory at once; races on one name.
#include <fcntl.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster.h"
#include "worker_pattern.h"

namespace sealfs::test {
namespace {

class ConcurrencyTest : public ClusterTest {
 protected:
  // Checks what `writers` writers named PREFIX0, PREFIX1, ... wrote: `files` small files each in
  // /shared (listed once each) and one file /own-N of `big` bytes each.
  void ExpectWrittenFiles(const std::string& prefix, int writers, int files, std::size_t big) {
    std::multiset<std::string> names;
    for (const auto& n : ListDir(client_, "/shared")) names.insert(n);
    EXPECT_EQ(names.size(), 2U + static_cast<std::size_t>(writers * files));
    for (int w = 0; w < writers; ++w) {
      for (int i = 0; i < files; ++i) {
        const std::string name = prefix + std::to_string(w) + "-" + std::to_string(i);
        ASSERT_EQ(names.count(name), 1U) << name;
        EXPECT_EQ(ReadFile(client_, "/shared/" + name),
                  WorkerPattern(w, i, 100 + static_cast<std::size_t>(i)))
            << name;
      }
      EXPECT_TRUE(ReadFile(client_, "/own-" + std::to_string(w)) == WorkerPattern(w, -1, big))
          << "own file of writer " << prefix << w;
    }
  }
};

TEST_F(ConcurrencyTest, ThreadsWriteTheirOwnFilesAndOneDirectory) {
  constexpr int kThreads = 8;
  constexpr int kFilesPerThread = 50;
  constexpr std::size_t kBig = 3 << 20;
  ASSERT_OK(sealfs_mkdir(client_, "/shared", 0755));
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < kFilesPerThread; ++i) {
          WriteFile(client_, "/shared/t" + std::to_string(t) + "-" + std::to_string(i),
                    WorkerPattern(t, i, 100 + static_cast<std::size_t>(i)));
        }
        // A bigger file, written in pieces of odd size through one descriptor.
        const std::string path = "/own-" + std::to_string(t);
        const std::string data = WorkerPattern(t, -1, kBig);
        const int fd = sealfs_open(client_, path.c_str(), O_CREAT | O_WRONLY, 0644);
        if (fd < 0) throw std::runtime_error("open " + path + ": " + ErrName(fd));
        for (std::size_t done = 0; done < data.size();) {
          const std::size_t piece = std::min<std::size_t>(100003, data.size() - done);
          const ssize_t n = sealfs_write(client_, fd, data.data() + done, piece);
          if (n <= 0) throw std::runtime_error("write " + path + ": " + ErrName(n));
          done += static_cast<std::size_t>(n);
        }
        const int rc = sealfs_close(client_, fd);
        if (rc != 0) throw std::runtime_error("close " + path + ": " + ErrName(rc));
      } catch (const std::exception& e) {
        errors[t] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(errors[t], "") << "thread " << t;

  ExpectWrittenFiles("t", kThreads, kFilesPerThread, kBig);
}

TEST_F(ConcurrencyTest, ThreadsPwriteDisjointRangesOfOneDescriptor) {
  constexpr int kThreads = 8;
  constexpr std::size_t kPiece = 300000;  // not a multiple of the chunk size
  const int fd = sealfs_open(client_, "/one", O_CREAT | O_RDWR, 0644);
  ASSERT_GE(fd, 0) << ErrName(fd);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string data = WorkerPattern(t, 7, kPiece);
      for (std::size_t done = 0; done < kPiece;) {
        const std::size_t piece = std::min<std::size_t>(4096 * 3 + 1, kPiece - done);
        const ssize_t n = sealfs_pwrite(client_, fd, data.data() + done, piece,
                                        static_cast<off_t>(t * kPiece + done));
        if (n <= 0) {
          ++failures;
          return;
        }
        done += static_cast<std::size_t>(n);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_OK(sealfs_close(client_, fd));
  std::string expected;
  for (int t = 0; t < kThreads; ++t) expected += WorkerPattern(t, 7, kPiece);
  EXPECT_TRUE(ReadFile(client_, "/one") == expected);
}

// Appends through many descriptors of one client land one after another, never on each other.
TEST_F(ConcurrencyTest, AppendsThroughManyDescriptorsNeverOverlap) {
  constexpr int kThreads = 8;
  constexpr int kRecords = 40;
  constexpr std::size_t kRecord = 1000;  // records straddle chunk boundaries now and then
  const std::string path = "/log";
  auto record_of = [&](int thread, int index) {
    std::string record = "thread " + std::to_string(thread) + " record " + std::to_string(index);
    return record + WorkerPattern(thread, index, kRecord - record.size());
  };
  WriteFile(client_, path, "");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const int fd = sealfs_open(client_, path.c_str(), O_WRONLY | O_APPEND, 0);
      if (fd < 0) {
        ++failures;
        return;
      }
      for (int r = 0; r < kRecords; ++r) {
        const std::string record = record_of(t, r);
        if (sealfs_write(client_, fd, record.data(), record.size()) !=
            static_cast<ssize_t>(kRecord)) {
          ++failures;
        }
      }
      if (sealfs_close(client_, fd) != 0) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  const std::string log = ReadFile(client_, path);
  ASSERT_EQ(log.size(), kThreads * kRecords * kRecord) << "an append overwrote another";
  std::set<std::string> expected;
  for (int t = 0; t < kThreads; ++t) {
    for (int r = 0; r < kRecords; ++r) expected.insert(record_of(t, r));
  }
  for (std::size_t at = 0; at < log.size(); at += kRecord) {
    EXPECT_EQ(expected.erase(log.substr(at, kRecord)), 1U) << "record at " << at << " is torn";
  }
  EXPECT_TRUE(expected.empty());
}

TEST_F(ConcurrencyTest, ExclusiveCreateOfOneNameHasOneWinner) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 20;
  sealfs_client* other = ConnectOrThrow(cluster_->manager_address());
  for (int round = 0; round < kRounds; ++round) {
    const std::string path = "/race" + std::to_string(round);
    std::atomic<int> created{0};
    std::atomic<int> exists{0};
    std::atomic<int> dir_created{0};
    std::atomic<int> other_errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      sealfs_client* c = t % 2 == 0 ? client_ : other;  // two clients race too
      threads.emplace_back([&, c] {
        const int fd = sealfs_open(c, path.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
        if (fd >= 0) {
          ++created;
          sealfs_close(c, fd);
        } else if (fd == -EEXIST) {
          ++exists;
        } else {
          ++other_errors;
        }
        const int rc = sealfs_mkdir(c, (path + "-dir").c_str(), 0755);
        if (rc == 0) {
          ++dir_created;
        } else if (rc != -EEXIST) {
          ++other_errors;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(created.load(), 1) << path;
    EXPECT_EQ(exists.load(), kThreads - 1) << path;
    EXPECT_EQ(dir_created.load(), 1) << path;
    EXPECT_EQ(other_errors.load(), 0) << path;
  }
  sealfs_disconnect(other);
  const auto names = ListDir(client_, "/");
  EXPECT_EQ(names.size(), 2U + 2 * kRounds) << "each name listed once";
}

TEST_F(ConcurrencyTest, ClientProcessesWriteTheirOwnFilesAndOneDirectory) {
  constexpr int kWorkers = 4;
  constexpr int kFiles = 100;
  constexpr std::size_t kBig = 5 << 20;
  ASSERT_OK(sealfs_mkdir(client_, "/shared", 0755));
  std::vector<std::unique_ptr<ChildProcess>> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.push_back(
        std::make_unique<ChildProcess>("worker" + std::to_string(w), cluster_->root()));
    workers.back()->Spawn({SEALFS_TEST_WORKER_BIN, cluster_->manager_address(), std::to_string(w),
                           std::to_string(kFiles), std::to_string(kBig)});
  }
  for (int w = 0; w < kWorkers; ++w) {
    const int status = workers[w]->Wait(std::chrono::seconds(120));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "worker " << w << " status " << status << "\n"
        << workers[w]->LogTail();
  }
  ExpectWrittenFiles("w", kWorkers, kFiles, kBig);
}

}  // namespace
}  // namespace sealfs::test
