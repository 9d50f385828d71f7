// Operations across servers are crash-atomic: a rename, link, mkdir or unlink whose coordinating
// server dies halfway (killed by itself right after a step, --crash-after-intent-step) is found
// done entirely afterwards, never half done: by the client's retry when the client waits, by the
// sweeper of the coordinator key's next head when it does not.
#include <sys/stat.h>

#include <chrono>
#include <string>
#include <thread>

#include "cluster.h"
#include "placement.h"
#include "sealfs/sealfs_ll.h"

namespace sealfs::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

class IntentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ClusterOptions options;
    options.heartbeat_timeout_ms = 1000;
    options.replicas = 3;
    cluster_ = std::make_unique<Cluster>(options);
    cluster_->Start();
    const sealfs_options client_options = TestOptions();
    client_ = ConnectOrThrow(cluster_->manager_address(), &client_options);
    ASSERT_OK(sealfs_mkdir(client_, "/a", 0755));
    ASSERT_OK(sealfs_mkdir(client_, "/b", 0755));
  }

  void TearDown() override {
    if (client_ != nullptr) sealfs_disconnect(client_);
  }

  uint64_t InoOf(const std::string& path) {
    struct stat st {};
    EXPECT_OK(sealfs_stat(client_, path.c_str(), &st));
    return st.st_ino;
  }

  // The index of the server that heads the entry dir/name.
  int HomeOfEntry(const std::string& dir, const std::string& name) {
    const proto::ClusterMap map = cluster_->GetMap();
    const ServerId home = Placement(map).Home(DentryPlacementKey(InoOf(dir), name));
    for (int i = 0; i < cluster_->num_servers(); ++i) {
      for (const auto& server : map.servers()) {
        if (server.id() == home && server.address() == cluster_->server_address(i)) return i;
      }
    }
    ADD_FAILURE() << "no server heads " << dir << "/" << name;
    return 0;
  }

  // A name in dir whose entry server 0 heads: server 0 then coordinates operations on it.
  std::string NameHeadedByServerZero(const std::string& dir, const std::string& prefix) {
    for (int i = 0; i < 1000; ++i) {
      const std::string name = prefix + std::to_string(i);
      if (HomeOfEntry(dir, name) == 0) return name;
    }
    ADD_FAILURE() << "no name in " << dir << " is headed by server 0";
    return prefix;
  }

  // Restarts server 0 so that it kills itself right after step `step` of the next intent it
  // coordinates, and waits until it serves `headed_path` (which it heads): UP in the manager's
  // map is not yet UP in its own.
  void ArmServerZero(int step, const std::string& headed_path) {
    cluster_->KillServer(0);
    cluster_->StartServer(0, {"--crash-after-intent-step", std::to_string(step)});
    // Back UP, server 0 heads the path again once it holds the map that says so: a client with
    // the newest map asks it until it answers (found or not, only the head answers).
    sealfs_client* fresh = ConnectOrThrow(cluster_->manager_address());
    struct stat st {};
    (void)sealfs_stat(fresh, headed_path.c_str(), &st);
    sealfs_disconnect(fresh);
  }

  bool Exists(const std::string& path) {
    struct stat st {};
    return sealfs_stat(client_, path.c_str(), &st) == 0;
  }

  std::unique_ptr<Cluster> cluster_;
  sealfs_client* client_ = nullptr;
};

TEST_F(IntentTest, ARenameWhoseCoordinatorDiesHalfwayIsFinishedByTheRetry) {
  const std::string name = NameHeadedByServerZero("/a", "f");
  const std::string from = "/a/" + name;
  WriteFile(client_, from, "moved");
  ArmServerZero(/*step=*/0, from);  // the new name is in, the old one not yet removed

  ASSERT_OK(sealfs_rename(client_, from.c_str(), "/b/g"));  // no error reaches the application
  EXPECT_FALSE(cluster_->server_process(0).Alive()) << "server 0 did not die halfway";
  EXPECT_FALSE(Exists(from));
  EXPECT_EQ(ReadFile(client_, "/b/g"), "moved");
  struct stat st {};
  ASSERT_OK(sealfs_stat(client_, "/b/g", &st));
  EXPECT_EQ(st.st_nlink, 1U);

  cluster_->StartServer(0);  // back, and caught up: it agrees
  EXPECT_FALSE(Exists(from));
  EXPECT_EQ(ListDir(client_, "/a"), (std::vector<std::string>{".", ".."}));
  EXPECT_EQ(ListDir(client_, "/b"), (std::vector<std::string>{".", "..", "g"}));
}

TEST_F(IntentTest, ARenameLeftBehindByClientAndCoordinatorIsFinishedByTheSweeper) {
  const std::string name = NameHeadedByServerZero("/a", "d");
  const std::string from = "/a/" + name;
  ASSERT_OK(sealfs_mkdir(client_, from.c_str(), 0755));
  ArmServerZero(/*step=*/0, from);

  // A client that gives up at once: as if it died right after sending the rename. An attempt
  // can also fail before it reaches server 0 (its lease renewed late on a loaded machine),
  // leaving nothing behind: a new client tries again until server 0 died halfway.
  sealfs_options impatient = TestOptions();
  impatient.failover_timeout_ms = 1;
  int rc = 0;
  for (int attempt = 0; attempt < 50 && cluster_->server_process(0).Alive(); ++attempt) {
    sealfs_client* quitter = ConnectOrThrow(cluster_->manager_address(), &impatient);
    rc = sealfs_rename(quitter, from.c_str(), "/b/moved");
    sealfs_disconnect(quitter);
    if (rc == 0) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_NE(rc, 0) << "the coordinator died, yet the impatient client saw success";
  EXPECT_FALSE(cluster_->server_process(0).Alive()) << "server 0 never ran the rename";

  // Whatever the client saw, the directory ends up in exactly one place: the new one.
  const auto deadline = Clock::now() + seconds(30);
  while (Exists(from) && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(100));
  EXPECT_FALSE(Exists(from)) << "the intent left behind was not finished";
  EXPECT_TRUE(Exists("/b/moved"));
  // The parents' link counts moved with the directory.
  struct stat a {};
  struct stat b {};
  ASSERT_OK(sealfs_stat(client_, "/a", &a));
  ASSERT_OK(sealfs_stat(client_, "/b", &b));
  EXPECT_EQ(a.st_nlink, 2U);
  EXPECT_EQ(b.st_nlink, 3U);
}

TEST_F(IntentTest, ALinkWhoseCoordinatorDiesHalfwayIsDoneOnce) {
  WriteFile(client_, "/a/file", "linked");
  const std::string name = NameHeadedByServerZero("/b", "l");
  const std::string to = "/b/" + name;
  ArmServerZero(/*step=*/0, to);  // the link count is up, the entry not in yet

  ASSERT_OK(sealfs_link(client_, "/a/file", to.c_str()));
  EXPECT_FALSE(cluster_->server_process(0).Alive()) << "server 0 did not die halfway";
  struct stat st {};
  ASSERT_OK(sealfs_stat(client_, "/a/file", &st));
  EXPECT_EQ(st.st_nlink, 2U);  // counted once, though its step ran under two coordinators
  EXPECT_EQ(ReadFile(client_, to), "linked");
}

TEST_F(IntentTest, AnUnlinkOfAFileStoredAwayFromItsEntryDropsItsInodeThoughTheCoordinatorDies) {
  // A file made where server 0 is not its head, then renamed to a name server 0 heads: its
  // inode stays where it was made, away from its new entry.
  std::string made;
  for (int i = 0; made.empty() && i < 1000; ++i) {
    const std::string name = "m" + std::to_string(i);
    if (HomeOfEntry("/a", name) != 0) made = "/a/" + name;
  }
  WriteFile(client_, made, "soon gone");
  const std::string entry = "/b/" + NameHeadedByServerZero("/b", "u");
  ASSERT_OK(sealfs_rename(client_, made.c_str(), entry.c_str()));
  struct stat st {};
  ASSERT_OK(sealfs_stat(client_, entry.c_str(), &st));
  ArmServerZero(/*step=*/0, entry);  // the entry is gone, the link not yet dropped

  ASSERT_OK(sealfs_unlink(client_, entry.c_str()));
  EXPECT_FALSE(cluster_->server_process(0).Alive()) << "server 0 did not die halfway";
  EXPECT_FALSE(Exists(entry));
  struct stat after {};
  EXPECT_ERRNO(ENOENT, sealfs_ll_getattr(client_, st.st_ino, &after))
      << "the inode of the last link outlived it";
}

TEST_F(IntentTest, AMkdirWhoseCoordinatorDiesHalfwayCountsItsParentLinkOnce) {
  const std::string dir = "/a/" + NameHeadedByServerZero("/a", "s");
  ArmServerZero(/*step=*/0, dir);  // the directory is made, the parent's link not yet counted

  ASSERT_OK(sealfs_mkdir(client_, dir.c_str(), 0755));
  EXPECT_FALSE(cluster_->server_process(0).Alive()) << "server 0 did not die halfway";
  struct stat made {};
  ASSERT_OK(sealfs_stat(client_, dir.c_str(), &made));
  EXPECT_TRUE(S_ISDIR(made.st_mode));
  struct stat parent {};
  ASSERT_OK(sealfs_stat(client_, "/a", &parent));
  EXPECT_EQ(parent.st_nlink, 3U);
  EXPECT_ERRNO(EEXIST, sealfs_mkdir(client_, dir.c_str(), 0755));
  ASSERT_OK(sealfs_stat(client_, "/a", &parent));
  EXPECT_EQ(parent.st_nlink, 3U);  // a mkdir that fails counts nothing
}

TEST_F(IntentTest, ALinkThatLosesToAnExistingNameIsUndone) {
  WriteFile(client_, "/a/file", "x");
  WriteFile(client_, "/b/taken", "y");
  EXPECT_ERRNO(EEXIST, sealfs_link(client_, "/a/file", "/b/taken"));
  struct stat st {};
  ASSERT_OK(sealfs_stat(client_, "/a/file", &st));
  EXPECT_EQ(st.st_nlink, 1U);  // the count that went up first came down again
  EXPECT_EQ(ReadFile(client_, "/b/taken"), "y");
}

}  // namespace
}  // namespace sealfs::test
