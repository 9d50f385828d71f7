// Restarts: data and metadata survive a restart of the whole cluster (every process on a new
// port, same data dirs), after a clean SIGTERM and after kill -9 once fsync returned.
#include <fcntl.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include <map>
#include <random>
#include <string>

#include "cluster.h"

namespace sealfs::test {
namespace {

class RestartTest : public ClusterTest {
 protected:
  // A tree of directories, files (one over several chunks), a symlink, a hard link and
  // attributes; returns path -> content of the files.
  std::map<std::string, std::string> Populate(std::mt19937_64& rng) {
    std::map<std::string, std::string> files;
    EXPECT_OK(sealfs_mkdir(client_, "/a", 0750));
    EXPECT_OK(sealfs_mkdir(client_, "/a/b", 0700));
    for (int i = 0; i < 40; ++i) {
      const std::string path = (i % 2 ? "/a/f" : "/a/b/f") + std::to_string(i);
      files[path] = RandomBytes(rng, 1 + rng() % 5000);
      WriteFile(client_, path, files[path]);
    }
    files["/big"] = RandomBytes(rng, (3 << 20) + 5);
    WriteFile(client_, "/big", files["/big"]);
    EXPECT_OK(sealfs_symlink(client_, "/a/f1", "/sym"));
    EXPECT_OK(sealfs_link(client_, "/a/f3", "/a/b/hard"));
    files["/a/b/hard"] = files["/a/f3"];
    EXPECT_OK(sealfs_chmod(client_, "/a/f5", 0604));
    EXPECT_OK(sealfs_chown(client_, "/a/f5", 1001, 1002));
    struct timespec times[2] = {{1111111111, 0}, {1222222222, 0}};
    EXPECT_OK(sealfs_utimens(client_, "/a/f5", times));
    EXPECT_OK(sealfs_setxattr(client_, "/a/f7", "user.kept", "yes", 3, 0));
    EXPECT_OK(sealfs_rename(client_, "/a/f9", "/a/b/renamed"));
    files["/a/b/renamed"] = files["/a/f9"];
    files.erase("/a/f9");
    EXPECT_OK(sealfs_unlink(client_, "/a/f11"));
    files.erase("/a/f11");
    return files;
  }

  void Verify(const std::map<std::string, std::string>& files) {
    for (const auto& [path, content] : files) {
      std::string got;
      EXPECT_NO_THROW(got = ReadFile(client_, path)) << path;
      EXPECT_TRUE(got == content) << path << " differs after the restart";
    }
    struct stat st {};
    EXPECT_ERRNO(ENOENT, sealfs_stat(client_, "/a/f9", &st)) << "renamed away";
    EXPECT_ERRNO(ENOENT, sealfs_stat(client_, "/a/f11", &st)) << "unlinked";
    ASSERT_OK(sealfs_stat(client_, "/a", &st));
    EXPECT_EQ(st.st_mode & 07777, 0750U);
    ASSERT_OK(sealfs_stat(client_, "/a/f5", &st));
    EXPECT_EQ(st.st_mode & 07777, 0604U);
    EXPECT_EQ(st.st_uid, 1001U);
    EXPECT_EQ(st.st_gid, 1002U);
    EXPECT_EQ(st.st_mtim.tv_sec, 1222222222);
    ASSERT_OK(sealfs_stat(client_, "/a/b/hard", &st));
    EXPECT_EQ(st.st_nlink, 2U);
    char buf[64];
    const ssize_t n = sealfs_readlink(client_, "/sym", buf, sizeof(buf));
    EXPECT_EQ(n, 5);
    if (n == 5) {
      EXPECT_EQ(std::string(buf, 5), "/a/f1");
    }
    const ssize_t x = sealfs_getxattr(client_, "/a/f7", "user.kept", buf, sizeof(buf));
    EXPECT_EQ(x, 3);
    if (x == 3) {
      EXPECT_EQ(std::string(buf, 3), "yes");
    }
    const auto names = ListDir(client_, "/a");
    EXPECT_EQ(names.size(), 2U + 1U + 20U - 2U) << "., .., b and the odd files left";
  }
};

TEST_F(RestartTest, EverythingSurvivesACleanRestartOnNewPorts) {
  std::mt19937_64 rng(TestSeed());
  const auto files = Populate(rng);
  std::vector<std::string> old_addresses;
  for (int i = 0; i < cluster_->num_servers(); ++i) {
    old_addresses.push_back(cluster_->server_address(i));
  }
  sealfs_disconnect(client_);
  client_ = nullptr;
  cluster_->RestartAll();  // throws unless every process exited 0 on SIGTERM
  for (int i = 0; i < cluster_->num_servers(); ++i) {
    EXPECT_NE(cluster_->server_address(i), old_addresses[i]) << "restarted on a new port";
  }
  EXPECT_EQ(cluster_->GetMap().servers_size(), cluster_->num_servers())
      << "each server kept its identity";
  Reconnect();
  Verify(files);
  // And the cluster takes new writes.
  WriteFile(client_, "/after", "after restart");
  EXPECT_EQ(ReadFile(client_, "/after"), "after restart");
}

TEST_F(RestartTest, FsyncedDataSurvivesKillNine) {
  std::mt19937_64 rng(TestSeed());
  const std::string data = RandomBytes(rng, (2 << 20) + 77);
  const int fd = sealfs_open(client_, "/durable", O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(sealfs_write(client_, fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  ASSERT_OK(sealfs_fsync(client_, fd));
  ASSERT_OK(sealfs_mkdir(client_, "/dir", 0755));
  WriteFile(client_, "/dir/synced", "s");  // metadata: created before the fsync below
  const int fd2 = sealfs_open(client_, "/dir/synced", O_WRONLY | O_SYNC, 0);
  ASSERT_GE(fd2, 0);
  ASSERT_EQ(sealfs_write(client_, fd2, "S", 1), 1);
  ASSERT_OK(sealfs_close(client_, fd2));  // O_SYNC: durable once close returns
  sealfs_close(client_, fd);
  sealfs_disconnect(client_);
  client_ = nullptr;
  cluster_->RestartAll(/*kill=*/true);
  Reconnect();
  EXPECT_TRUE(ReadFile(client_, "/durable") == data);
  EXPECT_EQ(ReadFile(client_, "/dir/synced"), "S");
}

TEST_F(RestartTest, ServersStopCleanlyOnSigterm) {
  WriteFile(client_, "/x", "x");
  for (int i = 0; i < cluster_->num_servers(); ++i) {
    const int status = cluster_->StopServer(i);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "server" << i << " wait status " << status;
  }
  const int status = cluster_->StopManager();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "manager wait status " << status;
}

}  // namespace
}  // namespace sealfs::test
