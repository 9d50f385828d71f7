// Replication, failover and recovery with real servers: writes go on while a server dies, a
// restarted server catches up, a server replaced by an empty one (or a new one) gets every record
// it should hold copied to it. Each test proves where the data is by killing the other copies.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cluster.h"
#include "db_inspect.h"
#include "placement.h"
#include "rpc.h"

namespace sealfs::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kHeartbeatTimeoutMs = 1000;

ClusterOptions ReplicatedCluster(int replicas, double down_out_after_seconds = 600) {
  ClusterOptions options;
  options.heartbeat_timeout_ms = kHeartbeatTimeoutMs;
  options.replicas = replicas;
  options.down_out_after_seconds = down_out_after_seconds;
  return options;
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// True when no server is SYNCING and every UP server has finished a pass at the map's epoch:
// every record has its copies.
bool AllSynced(const proto::ClusterMap& map) {
  for (const auto& server : map.servers()) {
    if (server.state() == proto::SERVER_SYNCING) return false;
    if (server.state() != proto::SERVER_UP) continue;
    if (server.sync().synced_epoch() != map.epoch() || server.sync().in_progress()) return false;
  }
  return true;
}

proto::ClusterMap WaitAllSynced(Cluster& cluster, Clock::duration timeout) {
  const auto deadline = Clock::now() + timeout;
  proto::ClusterMap map = cluster.GetMap();
  while (!AllSynced(map) && Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(50));
    map = cluster.GetMap();
  }
  EXPECT_TRUE(AllSynced(map)) << "copies not complete: " << map.ShortDebugString();
  return map;
}

// Files written before a failure, checked after it.
std::map<std::string, std::string> WriteFiles(sealfs_client* client, const std::string& dir,
                                              int count, std::size_t max_size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  EXPECT_OK(sealfs_mkdir(client, dir.c_str(), 0755));
  std::map<std::string, std::string> files;
  for (int i = 0; i < count; ++i) {
    const std::string path = dir + "/f" + std::to_string(i);
    files[path] = RandomBytes(rng, 1 + rng() % max_size);
    WriteFile(client, path, files[path]);
  }
  return files;
}

void ExpectFiles(sealfs_client* client, const std::map<std::string, std::string>& files,
                 const std::string& when) {
  for (const auto& [path, data] : files) {
    std::string got;
    EXPECT_NO_THROW(got = ReadFile(client, path)) << path << " " << when;
    EXPECT_TRUE(got == data) << path << " differs " << when;
  }
}

sealfs_options FailoverClientOptions() {
  sealfs_options options = TestOptions();
  options.failover_timeout_ms = 30000;
  return options;
}

// One thread writing small files as fast as it can, timing each write.
class Writer {
 public:
  Writer(sealfs_client* client, uint64_t seed) : client_(client), rng_(seed) {}
  void Start() {
    thread_ = std::jthread([this](const std::stop_token& stop) { Run(stop); });
  }
  void Stop() {
    thread_.request_stop();
    thread_.join();
  }
  struct Op {
    Clock::time_point start;
    Clock::time_point end;
  };
  std::map<std::string, std::string> acknowledged;
  std::vector<Op> ops;
  std::vector<std::string> errors;

 private:
  void Run(const std::stop_token& stop) {
    for (int i = 0; !stop.stop_requested(); ++i) {
      const std::string path = "/w/f" + std::to_string(i);
      std::string data = RandomBytes(rng_, 1 + rng_() % (64 << 10));
      const auto start = Clock::now();
      try {
        WriteFile(client_, path, data);
        ops.push_back({start, Clock::now()});
        acknowledged[path] = std::move(data);
      } catch (const std::exception& e) {
        errors.push_back(e.what());
      }
    }
  }
  sealfs_client* client_;
  std::mt19937_64 rng_;
  std::jthread thread_;
};

TEST(ReplicationTest, WritesGoOnWhileAServerDiesAndTheRestartedOneCatchesUp) {
  Cluster cluster(ReplicatedCluster(3));
  cluster.Start();
  const sealfs_options options = FailoverClientOptions();
  sealfs_client* client = ConnectOrThrow(cluster.manager_address(), &options);
  ASSERT_OK(sealfs_mkdir(client, "/w", 0755));

  Writer writer(client, TestSeed());
  writer.Start();
  std::this_thread::sleep_for(seconds(1));
  const auto killed_at = Clock::now();
  cluster.KillServer(1);
  std::this_thread::sleep_for(seconds(3));
  writer.Stop();

  EXPECT_TRUE(writer.errors.empty())
      << writer.errors.size()
      << " writes failed, first: " << (writer.errors.empty() ? "" : writer.errors.front());
  // Failover time: from the kill until the last write that was held up by it completed.
  Clock::duration resumed{0};
  Clock::duration longest{0};
  int after = 0;
  for (const auto& op : writer.ops) {
    longest = std::max(longest, op.end - op.start);
    if (op.end < killed_at) continue;
    ++after;
    if (op.start <= killed_at || op.end - op.start > milliseconds(200)) {
      resumed = std::max(resumed, op.end - killed_at);
    }
  }
  std::cout << "[replication] " << writer.ops.size() << " files written, " << after
            << " after the kill; kill to resumed writes " << Seconds(resumed)
            << " s; longest write " << Seconds(longest) << " s (heartbeat timeout "
            << kHeartbeatTimeoutMs << " ms)\n";
  EXPECT_GT(after, 0);
  ExpectFiles(client, writer.acknowledged, "with server 1 dead");

  // Server 1 comes back and catches up on what it missed; then it alone serves everything.
  cluster.StartServer(1);
  WaitAllSynced(cluster, seconds(60));
  cluster.KillServer(0);
  cluster.KillServer(2);
  ExpectFiles(client, writer.acknowledged, "from the restarted server alone");
  sealfs_disconnect(client);
}

TEST(ReplicationTest, AServerReplacedByAnEmptyOneGetsEveryRecordBack) {
  Cluster cluster(ReplicatedCluster(3, /*down_out_after_seconds=*/2));
  cluster.Start();
  const sealfs_options options = FailoverClientOptions();
  sealfs_client* client = ConnectOrThrow(cluster.manager_address(), &options);
  auto files = WriteFiles(client, "/data", 48, 512 << 10, TestSeed());
  std::size_t bytes = 0;
  for (const auto& [path, data] : files) bytes += data.size();

  uint64_t old_id = 0;
  const proto::ClusterMap before = cluster.GetMap();
  for (const auto& server : before.servers()) {
    if (server.address() == cluster.server_address(0)) old_id = server.id();
  }
  ASSERT_NE(old_id, 0U);
  const auto replaced_at = Clock::now();
  cluster.ReplaceServer(0);             // the old identity leaves after 2 s: its records are copied
  const auto synced_at = Clock::now();  // the replacement is UP: it has its share so far
  proto::ClusterMap map = cluster.GetMap();
  const auto deadline = Clock::now() + seconds(60);
  auto old_state = [&] {
    for (const auto& server : map.servers()) {
      if (server.id() == old_id) return server.state();
    }
    return proto::SERVER_STATE_UNSPECIFIED;
  };
  Clock::time_point leaving_at{};
  while (old_state() != proto::SERVER_OUT && Clock::now() < deadline) {
    if (old_state() == proto::SERVER_LEAVING && leaving_at == Clock::time_point{}) {
      leaving_at = Clock::now();
    }
    std::this_thread::sleep_for(milliseconds(20));
    map = cluster.GetMap();
  }
  const Clock::time_point out_at = Clock::now();
  map = WaitAllSynced(cluster, seconds(60));
  const double took = Seconds(Clock::now() - replaced_at);
  uint64_t copied = 0;
  for (const auto& server : map.servers()) copied += server.sync().total_bytes_copied();
  // Copying runs while the replacement is SYNCING and while the old identity is LEAVING. On a
  // slow machine the replacement may catch up only after the old one went LEAVING: then the two
  // spans overlap and the whole span from the replacement to OUT is copying time.
  const bool leaving_seen = leaving_at != Clock::time_point{};
  const double copying = leaving_seen
                             ? Seconds(synced_at - replaced_at) + Seconds(out_at - leaving_at)
                             : Seconds(out_at - replaced_at);
  std::cout << "[replication] re-replication: " << copied / 1e6 << " MB copied in " << copying
            << " s (replacement SYNCING " << Seconds(synced_at - replaced_at) << " s, "
            << (leaving_seen
                    ? fmt::format("old server LEAVING {:.2f} s", Seconds(out_at - leaving_at))
                    : "old server LEAVING while the replacement synced")
            << "): " << copied / 1e6 / copying << " MB/s\n";
  EXPECT_GE(copied, bytes) << "every byte of file data reached the replacement";
  int out = 0;
  for (const auto& server : map.servers()) out += server.state() == proto::SERVER_OUT ? 1 : 0;
  EXPECT_EQ(out, 1) << map.ShortDebugString();
  std::cout << "[replication] " << bytes / 1e6 << " MB of file data back to 3 copies " << took
            << " s after the replacement (2 s of it waiting for --down-out-after)\n";

  // The new server alone holds every file.
  cluster.KillServer(1);
  cluster.KillServer(2);
  ExpectFiles(client, files, "from the replacement alone");
  sealfs_disconnect(client);
}

TEST(ReplicationTest, ANewServerReceivesItsShare) {
  ClusterOptions cluster_options = ReplicatedCluster(2);
  cluster_options.chunk_size = 64 << 10;
  Cluster cluster(cluster_options);
  cluster.Start();
  const sealfs_options options = FailoverClientOptions();
  sealfs_client* client = ConnectOrThrow(cluster.manager_address(), &options);
  std::mt19937_64 rng(TestSeed());
  const std::string data = RandomBytes(rng, 64 * (64 << 10));
  WriteFile(client, "/big", data);
  struct stat st {};
  ASSERT_OK(sealfs_stat(client, "/big", &st));

  const int added = cluster.AddServer();
  WaitAllSynced(cluster, seconds(60));
  EXPECT_EQ(ReadFile(client, "/big"), data);
  sealfs_disconnect(client);

  ASSERT_TRUE(cluster.StopAll());
  std::string error;
  const auto held = ChunkKeysOf(cluster.server_data_dir(added) + "/db", st.st_ino, &error);
  ASSERT_EQ(error, "");
  std::cout << "[replication] the new server holds " << held.size()
            << " of 64 chunks (2 copies over 4 servers: about 32 expected)\n";
  EXPECT_GT(held.size(), 16U);
  std::map<uint64_t, int> copies;
  for (int i = 0; i < cluster.num_servers(); ++i) {
    for (const auto& [index, count] :
         ChunkKeysOf(cluster.server_data_dir(i) + "/db", st.st_ino, &error)) {
      copies[index] += count;
    }
  }
  ASSERT_EQ(copies.size(), 64U);
  for (const auto& [index, count] : copies) EXPECT_GE(count, 2) << "chunk " << index;
}

// A client that dies between deleting a file's inode and deleting its chunks leaves the chunks
// behind; the servers' passes find them and delete them.
TEST(ReplicationTest, ChunksOfAFileWhoseDeletionWasCutShortAreReclaimed) {
  ClusterOptions cluster_options = ReplicatedCluster(2);
  cluster_options.chunk_size = 64 << 10;
  cluster_options.server_args = {"--scrub-interval-seconds", "1"};
  Cluster cluster(cluster_options);
  cluster.Start();
  const sealfs_options options = FailoverClientOptions();
  sealfs_client* client = ConnectOrThrow(cluster.manager_address(), &options);
  std::mt19937_64 rng(TestSeed());
  WriteFile(client, "/doomed", RandomBytes(rng, 32 * (64 << 10)));
  WriteFile(client, "/kept", RandomBytes(rng, 8 * (64 << 10)));
  struct stat doomed {};
  struct stat kept {};
  ASSERT_OK(sealfs_stat(client, "/doomed", &doomed));
  ASSERT_OK(sealfs_stat(client, "/kept", &kept));

  // The first step of an unlink, as a client sends it: the entry and the inode go in one write
  // on the entry's head. The client then "dies": the second step (the chunks) never comes.
  const proto::ClusterMap map = cluster.GetMap();
  const MapSnapshot snapshot{map, Placement(map)};
  const proto::ServerInfo* head =
      snapshot.Find(snapshot.placement.Home(DentryPlacementKey(1, "doomed")));
  ASSERT_NE(head, nullptr);
  IoThreads io;
  auto channel = RpcChannel::Create(io.io(), head->address(), milliseconds(2000));
  proto::RemoveDentryRequest remove;
  remove.set_parent(1);
  remove.set_name("doomed");
  remove.set_unlink_inode(true);
  proto::RemoveDentryReply removed;
  ASSERT_TRUE(channel->Call(proto::OP_REMOVE_DENTRY, remove, seconds(5)).Decode(&removed).ok());
  ASSERT_TRUE(removed.inode_removed()) << "the inode lives with its entry";
  channel->Close();
  struct stat st {};
  EXPECT_ERRNO(ENOENT, sealfs_stat(client, "/doomed", &st));
  sealfs_disconnect(client);

  // Passes run every second: wait until every server holding chunks of it has logged their
  // deletion, then count what is left in the databases.
  const auto deadline = Clock::now() + seconds(30);
  const std::string line = fmt::format("chunks of inode {:016x}", doomed.st_ino);
  auto reclaimed = [&] {
    std::string logs;
    for (int i = 0; i < cluster.num_servers(); ++i) logs += cluster.server_process(i).LogTail(400);
    return logs.find(line) != std::string::npos;
  };
  while (!reclaimed() && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(100));
  std::this_thread::sleep_for(seconds(2));  // every server's pass, not only the first
  ASSERT_TRUE(cluster.StopAll());
  std::size_t kept_copies = 0;
  for (int i = 0; i < cluster.num_servers(); ++i) {
    std::string error;
    EXPECT_TRUE(ChunkKeysOf(cluster.server_data_dir(i) + "/db", doomed.st_ino, &error).empty())
        << "server" << i << " still holds chunks of the deleted inode";
    kept_copies += ChunkKeysOf(cluster.server_data_dir(i) + "/db", kept.st_ino, &error).size();
    EXPECT_EQ(error, "");
  }
  EXPECT_EQ(kept_copies, 16U) << "the 8 chunks of a live file, 2 copies each, are all kept";
}

}  // namespace
}  // namespace sealfs::test
