// A server whose disk fills up: writes get -ENOSPC, the server stays up, nothing already written
// is damaged, and once there is space again the cluster takes writes again. The server's data dir
// is a 40 MiB tmpfs (root only; skipped otherwise), grown to 200 MiB to "free" space. With copies,
// a write one copy refuses for want of space appears on no other copy.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster.h"
#include "db_inspect.h"
#include "worker_pattern.h"

namespace sealfs::test {
namespace {

constexpr std::size_t kFileSize = 4U << 20;

class FullDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root, to mount a small tmpfs as the disk";
    ClusterOptions options;
    options.servers = 1;
    cluster_ = std::make_unique<Cluster>(options);
    data_dir_ = cluster_->server_data_dir(0);
    if (::mount("tmpfs", data_dir_.c_str(), "tmpfs", 0, "size=40m") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
    }
    mounted_ = true;
    cluster_->Start();
    client_ = ConnectOrThrow(cluster_->manager_address());
  }

  void TearDown() override {
    sealfs_disconnect(client_);
    if (cluster_) cluster_->StopAll();
    if (mounted_) ::umount2(data_dir_.c_str(), MNT_DETACH);
    cluster_.reset();
  }

  // Writes a whole file; returns 0 or the first error.
  int Write(const std::string& path, const std::string& data) {
    const int fd = sealfs_open(client_, path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0) return fd;
    int rc = 0;
    for (std::size_t done = 0; done < data.size() && rc == 0;) {
      const std::size_t piece = std::min<std::size_t>(1U << 20, data.size() - done);
      const ssize_t n = sealfs_write(client_, fd, data.data() + done, piece);
      if (n < 0) rc = static_cast<int>(n);
      done += n > 0 ? static_cast<std::size_t>(n) : 0;
    }
    if (rc == 0) rc = sealfs_fsync(client_, fd);
    sealfs_close(client_, fd);
    return rc;
  }

  std::unique_ptr<Cluster> cluster_;
  std::string data_dir_;
  bool mounted_ = false;
  sealfs_client* client_ = nullptr;
};

TEST_F(FullDiskTest, WritesGetENOSPCAndResumeWhenThereIsSpace) {
  std::vector<std::string> written;
  int failure = 0;
  for (int i = 0; i < 20 && failure == 0; ++i) {  // 80 MiB: twice what the disk holds
    const std::string path = "/f" + std::to_string(i);
    failure = Write(path, WorkerPattern(1, i, kFileSize));
    if (failure == 0) written.push_back(path);
  }
  EXPECT_ERRNO(ENOSPC, failure) << "a full disk is ENOSPC, not EIO or a dead server";
  ASSERT_FALSE(written.empty());

  // The server is up and everything acknowledged before reads back intact.
  struct stat st {};
  ASSERT_OK(sealfs_stat(client_, "/", &st));
  for (std::size_t i = 0; i < written.size(); ++i) {
    EXPECT_TRUE(ReadFile(client_, written[i]) == WorkerPattern(1, static_cast<int>(i), kFileSize))
        << written[i] << " was damaged by the full disk";
  }

  // Room again: RocksDB notices the free space and takes writes again.
  ASSERT_EQ(::mount("tmpfs", data_dir_.c_str(), nullptr, MS_REMOUNT, "size=200m"), 0)
      << std::strerror(errno);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int rc = -1;
  while (std::chrono::steady_clock::now() < deadline &&
         (rc = Write("/after", "written once there was space")) != 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_OK(rc) << "writes resume once the disk has space";
  EXPECT_EQ(ReadFile(client_, "/after"), "written once there was space");
  for (std::size_t i = 0; i < written.size(); ++i) {
    EXPECT_TRUE(ReadFile(client_, written[i]) == WorkerPattern(1, static_cast<int>(i), kFileSize))
        << written[i];
  }
}

// The chunks of a removed file are deleted in the background; a write the full disk refused
// right after the unlinks waits for them and succeeds, and statvfs counts the space as free.
TEST_F(FullDiskTest, SpaceFreedByUnlinksIsWritableAtOnce) {
  std::vector<std::string> written;
  int failure = 0;
  for (int i = 0; i < 20 && failure == 0; ++i) {
    const std::string path = "/f" + std::to_string(i);
    failure = Write(path, WorkerPattern(1, i, kFileSize));
    if (failure == 0) written.push_back(path);
  }
  ASSERT_ERRNO(ENOSPC, failure);
  ASSERT_GE(written.size(), 2U);
  struct statvfs full {};
  ASSERT_OK(sealfs_statvfs(client_, "/", &full));
  for (const std::string& path : written) ASSERT_OK(sealfs_unlink(client_, path.c_str()));
  struct statvfs freed {};
  ASSERT_OK(sealfs_statvfs(client_, "/", &freed));
  EXPECT_GE((freed.f_bavail - full.f_bavail) * freed.f_frsize, (written.size() - 1) * kFileSize)
      << "the removed files' space is not free yet";
  EXPECT_OK(Write("/again", WorkerPattern(2, 0, kFileSize)));
  EXPECT_TRUE(ReadFile(client_, "/again") == WorkerPattern(2, 0, kFileSize));
}

// Three copies, one of them on a full disk: every chunk write fails with ENOSPC (the full copy
// refuses it before any of its bytes land), and so does every create once the metadata does not
// fit either. None of what was refused stays on the copies that took it before the full one
// refused it (the head gives them its version back), so none can show up later, when one of
// them heads.
TEST(RefusedWriteTest, AWriteOneCopyRefusesIsOnNoOtherCopy) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root, to mount a small tmpfs as the disk";
  ClusterOptions options;
  options.servers = 3;
  options.replicas = 3;
  Cluster cluster(options);
  const std::string full_dir = cluster.server_data_dir(2);
  if (::mount("tmpfs", full_dir.c_str(), "tmpfs", 0, "size=40m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
  }
  struct Unmount {
    std::string dir;
    ~Unmount() { ::umount2(dir.c_str(), MNT_DETACH); }
  } unmount{full_dir};
  cluster.Start();
  sealfs_client* client = ConnectOrThrow(cluster.manager_address());
  int failure = 0;
  for (int i = 0; i < 20 && failure == 0; ++i) {
    const std::string path = "/fill" + std::to_string(i);
    const int fd = sealfs_open(client, path.c_str(), O_CREAT | O_WRONLY, 0644);
    if (fd < 0) {
      failure = fd;
      break;
    }
    const std::string data = WorkerPattern(2, i, kFileSize);
    const ssize_t n = sealfs_pwrite(client, fd, data.data(), data.size(), 0);
    if (n < 0) failure = static_cast<int>(n);
    sealfs_close(client, fd);
  }
  ASSERT_ERRNO(ENOSPC, failure);
  std::vector<std::string> refused_names;
  std::vector<uint64_t> refused_writes;  // the inodes whose data was refused
  for (int i = 0; i < 40; ++i) {
    const std::string name = "refused" + std::to_string(i);
    const int fd = sealfs_open(client, ("/" + name).c_str(), O_CREAT | O_WRONLY, 0644);
    if (fd < 0) {
      EXPECT_ERRNO(ENOSPC, fd) << name;
      refused_names.push_back(name);
      continue;
    }
    struct stat st {};
    ASSERT_EQ(sealfs_fstat(client, fd, &st), 0);
    const std::string data = WorkerPattern(3, i, kFileSize);
    EXPECT_ERRNO(ENOSPC, sealfs_pwrite(client, fd, data.data(), data.size(), 0)) << name;
    refused_writes.push_back(st.st_ino);
    sealfs_close(client, fd);
  }
  sealfs_disconnect(client);
  cluster.StopAll();  // before any pass could repair what a copy kept
  for (int server = 0; server < 2; ++server) {
    std::string error;
    const std::set<std::string> names =
        EntryNamesOf(cluster.server_data_dir(server) + "/db", 1, &error);
    ASSERT_EQ(error, "");
    for (const std::string& name : refused_names) {
      EXPECT_FALSE(names.contains(name)) << "server " << server << " kept the refused " << name;
    }
    // A chunk of a refused write is on a copy only if the full one took it too (a chunk that
    // fitted after all, as RocksDB freed some space).
    for (uint64_t ino : refused_writes) {
      const auto held = ChunkKeysOf(cluster.server_data_dir(server) + "/db", ino, &error);
      const auto on_full = ChunkKeysOf(full_dir + "/db", ino, &error);
      ASSERT_EQ(error, "");
      for (const auto& [index, count] : held) {
        EXPECT_TRUE(on_full.contains(index))
            << "server " << server << " kept chunk " << index << " of a refused write";
      }
    }
  }
}

}  // namespace
}  // namespace sealfs::test
