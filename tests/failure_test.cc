// Failures: a client whose servers (or manager) are gone gets -EIO or -EHOSTUNREACH within a
// bound set by its timeouts, never a hang; a stopped (frozen) server is a timeout, not a hang;
// a server that comes back on a new port is found again.
#include <fcntl.h>

#include <chrono>
#include <string>
#include <thread>

#include "cluster.h"
#include "placement.h"

namespace sealfs::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kConnectTimeoutMs = 500;
constexpr int kRequestTimeoutMs = 1000;
// Every server is killed or frozen here: retrying cannot help, errors must come in bounded time.
constexpr int kFailoverTimeoutMs = 500;
// A bound, not a speed claim: three times the longest wait one request may make.
constexpr auto kBound = std::chrono::milliseconds(3 * (kConnectTimeoutMs + kRequestTimeoutMs));

bool IsUnreachable(long rc) { return rc == -EIO || rc == -EHOSTUNREACH; }

class FailureTest : public ClusterTest {
 protected:
  ClusterOptions GetClusterOptions() override {
    ClusterOptions options;
    options.heartbeat_timeout_ms = 1000;
    options.replicas = 1;  // one copy: a dead server's records are unreachable (errors wanted)
    return options;
  }
  sealfs_options GetClientOptions() override {
    sealfs_options options = TestOptions();
    options.connect_timeout_ms = kConnectTimeoutMs;
    options.request_timeout_ms = kRequestTimeoutMs;
    options.failover_timeout_ms = kFailoverTimeoutMs;
    return options;
  }

  // Runs `call`, checks it failed with -EIO or -EHOSTUNREACH within kBound.
  template <typename Call>
  void ExpectUnreachable(const char* what, Call call) {
    const auto start = Clock::now();
    const long rc = static_cast<long>(call());
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    EXPECT_TRUE(IsUnreachable(rc))
        << what << " returned " << ErrName(rc) << ", expected -EIO or -EHOSTUNREACH";
    EXPECT_LE(elapsed.count(), kBound.count()) << what << " took " << elapsed.count() << " ms";
    std::cout << what << ": " << ErrName(rc) << " after " << elapsed.count() << " ms\n";
  }
};

TEST_F(FailureTest, EveryServerKilledGivesErrorsInBoundedTime) {
  WriteFile(client_, "/file", "data");
  ASSERT_OK(sealfs_mkdir(client_, "/dir", 0755));
  const int fd = sealfs_open(client_, "/file", O_RDWR, 0);
  ASSERT_GE(fd, 0) << ErrName(fd);
  for (int i = 0; i < cluster_->num_servers(); ++i) cluster_->KillServer(i);

  struct stat st {};
  char buf[16];
  ExpectUnreachable("stat", [&] { return sealfs_stat(client_, "/file", &st); });
  ExpectUnreachable("open", [&] { return sealfs_open(client_, "/file", O_RDONLY, 0); });
  ExpectUnreachable("create",
                    [&] { return sealfs_open(client_, "/new", O_CREAT | O_WRONLY, 0644); });
  ExpectUnreachable("mkdir", [&] { return sealfs_mkdir(client_, "/dir2", 0755); });
  ExpectUnreachable("pread", [&] { return sealfs_pread(client_, fd, buf, sizeof(buf), 0); });
  ExpectUnreachable("pwrite+fsync", [&] {
    const ssize_t n = sealfs_pwrite(client_, fd, "x", 1, 0);
    return n < 0 ? n : static_cast<ssize_t>(sealfs_fsync(client_, fd));
  });
  ExpectUnreachable("opendir", [&] {
    sealfs_dir* dir = nullptr;
    const int rc = sealfs_opendir(client_, "/dir", &dir);
    if (rc != 0) return rc;
    struct dirent entry {};
    int r = 0;
    while ((r = sealfs_readdir(client_, dir, &entry)) == 1) {
    }
    sealfs_closedir(client_, dir);
    return r;
  });
  ExpectUnreachable("statvfs", [&] {
    struct statvfs vfs {};
    return sealfs_statvfs(client_, "/", &vfs);
  });
  EXPECT_OK(sealfs_close(client_, fd)) << "closing a descriptor needs no server";
}

TEST_F(FailureTest, FrozenServersTimeOut) {
  WriteFile(client_, "/file", "data");
  // SIGSTOP: the kernel still accepts connections, nothing answers.
  for (int i = 0; i < cluster_->num_servers(); ++i) cluster_->PauseServer(i);
  struct stat st {};
  ExpectUnreachable("stat", [&] { return sealfs_stat(client_, "/file", &st); });
  ExpectUnreachable("read", [&] {
    const int fd = sealfs_open(client_, "/file", O_RDONLY, 0);
    if (fd < 0) return static_cast<ssize_t>(fd);
    char buf[8];
    const ssize_t n = sealfs_read(client_, fd, buf, sizeof(buf));
    sealfs_close(client_, fd);
    return n;
  });
  for (int i = 0; i < cluster_->num_servers(); ++i) cluster_->ResumeServer(i);
  // Once they run again, the same client is served.
  const auto deadline = Clock::now() + std::chrono::seconds(15);
  int rc = -1;
  while (Clock::now() < deadline && (rc = sealfs_stat(client_, "/file", &st)) != 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_OK(rc) << "the client recovers once the servers answer again";
  EXPECT_EQ(ReadFile(client_, "/file"), "data");
}

TEST_F(FailureTest, ConnectWithoutManagerFailsInBoundedTime) {
  const std::string address = cluster_->manager_address();
  cluster_->StopManager();
  const sealfs_options options = GetClientOptions();
  ExpectUnreachable("connect", [&] {
    sealfs_client* client = nullptr;
    const int rc = sealfs_connect(address.c_str(), &options, &client);
    EXPECT_EQ(client, nullptr) << "*out is NULL on failure";
    sealfs_disconnect(client);
    return rc;
  });
  // Servers stop serving half a heartbeat timeout after they last heard from the manager
  // (leases, docs/design.md): clients are served again once it is back at its address.
  cluster_->StartManagerAtSameAddress();
  sealfs_client* patient = ConnectOrThrow(address);
  WriteFile(patient, "/after-manager", "served again");
  EXPECT_EQ(ReadFile(patient, "/after-manager"), "served again");
  sealfs_disconnect(patient);
}

TEST_F(FailureTest, ConnectErrors) {
  sealfs_client* client = nullptr;
  EXPECT_ERRNO(EINVAL, sealfs_connect("not an address", nullptr, &client));
  EXPECT_EQ(client, nullptr);
  EXPECT_ERRNO(EINVAL, sealfs_connect("127.0.0.1:99999", nullptr, &client));
  sealfs_disconnect(nullptr);  // a no-op
}

TEST_F(FailureTest, OneServerRestartedOnANewPortIsFoundAgain) {
  for (int i = 0; i < 30; ++i)
    WriteFile(client_, "/f" + std::to_string(i), "v" + std::to_string(i));
  const std::string old_address = cluster_->server_address(1);
  EXPECT_EQ(cluster_->StopServer(1), 0) << "SIGTERM stops the server cleanly (exit 0)";
  cluster_->StartServer(1);
  EXPECT_NE(cluster_->server_address(1), old_address);
  // The client connected before the move finds the server at its new address.
  const auto deadline = Clock::now() + std::chrono::seconds(15);
  int bad = -1;
  while (Clock::now() < deadline && bad != 0) {
    if (bad > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    bad = 0;
    for (int i = 0; i < 30; ++i) {
      struct stat st {};
      if (sealfs_stat(client_, ("/f" + std::to_string(i)).c_str(), &st) != 0) ++bad;
    }
  }
  EXPECT_EQ(bad, 0) << "files not reachable by the old client after the server moved";
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(ReadFile(client_, "/f" + std::to_string(i)), "v" + std::to_string(i));
  }
  // And a new client too.
  sealfs_client* fresh = ConnectOrThrow(cluster_->manager_address());
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(ReadFile(fresh, "/f" + std::to_string(i)), "v" + std::to_string(i));
  }
  sealfs_disconnect(fresh);
}

TEST_F(FailureTest, ClusterStatusShowsEachServerAndItsState) {
  uint64_t epoch = 0;
  std::vector<sealfs_server_status> servers(8);
  ASSERT_EQ(sealfs_cluster_status(client_, &epoch, servers.data(), 8), 3);
  EXPECT_GE(epoch, 4U) << "created, then three joins";
  uint64_t inodes = 0;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(servers[i].up, 1) << servers[i].address;
    EXPECT_EQ(servers[i].reachable, 1) << servers[i].address;
    EXPECT_GT(servers[i].total_bytes, 0U);
    EXPECT_NE(std::string(servers[i].address).find("127.0.0.1:"), std::string::npos);
    inodes += servers[i].inodes;
  }
  EXPECT_EQ(inodes, 1U) << "the root alone";
  EXPECT_ERRNO(EINVAL, sealfs_cluster_status(client_, nullptr, nullptr, 1));
  EXPECT_EQ(sealfs_cluster_status(client_, nullptr, nullptr, 0), 3) << "only the count";
  const std::string killed = cluster_->server_address(1);
  cluster_->KillServer(1);
  const auto deadline = Clock::now() + std::chrono::seconds(15);
  sealfs_server_status* victim = nullptr;
  uint64_t later_epoch = 0;
  while (Clock::now() < deadline) {
    ASSERT_EQ(sealfs_cluster_status(client_, &later_epoch, servers.data(), 8), 3);
    for (int i = 0; i < 3; ++i) {
      if (killed == servers[i].address) victim = &servers[i];
    }
    ASSERT_NE(victim, nullptr);
    if (victim->up == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(victim->up, 0) << "DOWN once its heartbeats stop";
  EXPECT_EQ(victim->reachable, 0);
  EXPECT_EQ(victim->total_bytes, 0U);
  EXPECT_GT(later_epoch, epoch);
}

TEST_F(FailureTest, ConnectAndStatusWorkWhileTheRootsServerIsDown) {
  const proto::ClusterMap map = cluster_->GetMap();
  const ServerId root_home = Placement(map).Home(InodePlacementKey(1));
  int victim = -1;
  for (const auto& server : map.servers()) {
    for (int i = 0; i < cluster_->num_servers(); ++i) {
      if (server.id() == root_home && cluster_->server_address(i) == server.address()) victim = i;
    }
  }
  ASSERT_GE(victim, 0);
  cluster_->KillServer(victim);
  const sealfs_options options = GetClientOptions();
  sealfs_client* late = nullptr;
  ASSERT_OK(sealfs_connect(cluster_->manager_address().c_str(), &options, &late));
  std::vector<sealfs_server_status> servers(8);
  EXPECT_EQ(sealfs_cluster_status(late, nullptr, servers.data(), 8), 3);
  struct stat st {};
  EXPECT_TRUE(IsUnreachable(sealfs_stat(late, "/", &st))) << "the root is on the killed server";
  sealfs_disconnect(late);
}

// A read cut off by the end of the file needs only the servers of the chunks below the end.
TEST_F(FailureTest, ReadPastTheEndNeedsNoServerBeyondIt) {
  WriteFile(client_, "/small", "only one chunk");
  struct stat st {};
  ASSERT_OK(sealfs_stat(client_, "/small", &st));
  const proto::ClusterMap map = cluster_->GetMap();
  const Placement placement(map);
  const ServerId inode_home = placement.Home(InodePlacementKey(st.st_ino));
  const ServerId first_chunk_home = placement.Home(ChunkPlacementKey(st.st_ino, 0));
  // A server holding neither the inode nor chunk 0, and the first chunk index it would hold.
  int victim = -1;
  uint64_t chunk = 0;
  for (const auto& server : map.servers()) {
    if (server.id() == inode_home || server.id() == first_chunk_home) continue;
    for (int i = 0; i < cluster_->num_servers(); ++i) {
      if (cluster_->server_address(i) == server.address()) victim = i;
    }
    for (chunk = 1; chunk < 100; ++chunk) {
      if (placement.Home(ChunkPlacementKey(st.st_ino, chunk)) == server.id()) break;
    }
    break;
  }
  ASSERT_GE(victim, 0) << "three servers, two of them taken: one is left";
  ASSERT_LT(chunk, 100U) << "the placement gives that server none of the first 100 chunks";
  cluster_->KillServer(victim);
  const int fd = sealfs_open(client_, "/small", O_RDONLY, 0);
  ASSERT_GE(fd, 0) << ErrName(fd);
  std::string buf((chunk + 1) * static_cast<std::size_t>(st.st_blksize), '\0');
  EXPECT_EQ(sealfs_pread(client_, fd, buf.data(), buf.size(), 0), 14)
      << "the buffer reaches chunk " << chunk << ", on the killed server, past the end";
  EXPECT_EQ(buf.substr(0, 14), "only one chunk");
  EXPECT_OK(sealfs_close(client_, fd));
}

TEST_F(FailureTest, ManagerMarksAKilledServerDownAndUpAgain) {
  cluster_->KillServer(2);
  const auto deadline = Clock::now() + std::chrono::seconds(15);
  bool down = false;
  while (!down && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const proto::ClusterMap map = cluster_->GetMap();
    for (const auto& s : map.servers()) {
      if (s.address() == cluster_->server_address(2) && s.state() == proto::SERVER_DOWN) {
        down = true;
      }
    }
  }
  EXPECT_TRUE(down) << "the map marks the server DOWN after missed heartbeats";
  const auto epoch = cluster_->GetMap().epoch();
  cluster_->StartServer(2);  // waits until the map lists it UP at its new address
  EXPECT_GT(cluster_->GetMap().epoch(), epoch);
  EXPECT_EQ(cluster_->GetMap().servers_size(), cluster_->num_servers())
      << "the restarted server keeps its identity: no new entry";
}

}  // namespace
}  // namespace sealfs::test
