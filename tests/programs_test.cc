// Runs the example programs and the C API test program against a real cluster, checking their
// exit status, their output and what they left in the file system.
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cluster.h"

namespace sealfs::test {
namespace {

struct RunResult {
  int status = -1;
  std::string out;
  std::string err;
  [[nodiscard]] bool ok() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class ProgramsTest : public ClusterTest {
 protected:
  RunResult Run(const std::string& name, const std::vector<std::string>& argv) {
    ChildProcess child(name + std::to_string(runs_++), cluster_->root());
    child.Spawn(argv);
    RunResult result;
    result.status = child.Wait(std::chrono::seconds(120));
    result.out = Slurp(child.out_path());
    result.err = Slurp(child.err_path());
    std::cout << "---- " << argv[0] << " stdout:\n" << result.out << "---- stderr:\n" << result.err;
    return result;
  }
  int runs_ = 0;
};

TEST_F(ProgramsTest, CApiTestPasses) {
  const RunResult r = Run("c_api_test", {SEALFS_C_API_TEST_BIN, cluster_->manager_address()});
  EXPECT_TRUE(r.ok()) << "status " << r.status;
  EXPECT_NE(r.out.find("all checks passed"), std::string::npos);
}

#if defined(SEALFS_COPY_ROUNDTRIP_BIN) && defined(SEALFS_WALK_TREE_BIN)

TEST_F(ProgramsTest, CopyRoundtripCopiesInAndOutAndCleansUp) {
  std::mt19937_64 rng(TestSeed());
  const std::string local = cluster_->root() + "/local.bin";
  const std::string data = RandomBytes(rng, (3 << 20) + 12345);
  std::ofstream(local, std::ios::binary) << data;
  ASSERT_OK(sealfs_mkdir(client_, "/examples", 0755));
  const RunResult r = Run("copy_roundtrip", {SEALFS_COPY_ROUNDTRIP_BIN, cluster_->manager_address(),
                                             local, "/examples/data.bin"});
  EXPECT_TRUE(r.ok()) << "status " << r.status;
  for (const char* step : {"copied", "equal", "listing /examples", "data.bin", "renamed", "deleted",
                           "round trip OK"}) {
    EXPECT_NE(r.out.find(step), std::string::npos) << "output lacks \"" << step << "\"";
  }
  EXPECT_NE(r.out.find(std::to_string(data.size()) + " bytes"), std::string::npos);
  struct stat st {};
  EXPECT_ERRNO(ENOENT, sealfs_stat(client_, "/examples/data.bin", &st));
  EXPECT_ERRNO(ENOENT, sealfs_stat(client_, "/examples/data.bin.renamed", &st));
  EXPECT_EQ(ListDir(client_, "/examples").size(), 2U);
  EXPECT_FALSE(std::filesystem::exists(local + ".roundtrip")) << "removed once equal";
}

TEST_F(ProgramsTest, CopyRoundtripFailsWithAMessage) {
  const RunResult missing_local =
      Run("copy_roundtrip", {SEALFS_COPY_ROUNDTRIP_BIN, cluster_->manager_address(),
                             cluster_->root() + "/does-not-exist", "/x"});
  EXPECT_FALSE(missing_local.ok());
  EXPECT_NE(missing_local.err.find("does-not-exist"), std::string::npos);
  const std::string local = cluster_->root() + "/small";
  std::ofstream(local) << "small";
  const RunResult missing_dir =
      Run("copy_roundtrip",
          {SEALFS_COPY_ROUNDTRIP_BIN, cluster_->manager_address(), local, "/no/such/dir/x"});
  EXPECT_FALSE(missing_dir.ok());
  EXPECT_NE(missing_dir.err.find("No such file or directory"), std::string::npos);
  const RunResult usage = Run("copy_roundtrip", {SEALFS_COPY_ROUNDTRIP_BIN});
  EXPECT_FALSE(usage.ok());
  EXPECT_NE(usage.err.find("usage"), std::string::npos);
}

TEST_F(ProgramsTest, WalkTreePrintsTheDemoTree) {
  const RunResult r =
      Run("walk_tree", {SEALFS_WALK_TREE_BIN, cluster_->manager_address(), "/demo", "--demo"});
  EXPECT_TRUE(r.ok()) << "status " << r.status;
  for (const char* path : {" /demo\n", " /demo/README\n", " /demo/README.hard\n", " /demo/src\n",
                           " /demo/src/main.c\n", " /demo/src/lib\n", " /demo/src/lib/util.c\n",
                           " /demo/empty\n", " /demo/latest -> src/main.c\n"}) {
    EXPECT_NE(r.out.find(path), std::string::npos) << "output lacks" << path;
  }
  EXPECT_NE(r.out.find(" 3145728 /demo/src/lib/big.bin\n"), std::string::npos);
  EXPECT_NE(r.out.find("4 directories, 5 files"), std::string::npos);
  EXPECT_NE(r.out.find("1 symlinks"), std::string::npos);
  // The tree it made is real: the C API sees it.
  EXPECT_EQ(ReadFile(client_, "/demo/latest"), "int main(void) { return 0; }\n");
  struct stat st {};
  ASSERT_OK(sealfs_stat(client_, "/demo/README", &st));
  EXPECT_EQ(st.st_nlink, 2U);
}

TEST_F(ProgramsTest, WalkTreeWalksATreeMadeThroughTheCApi) {
  ASSERT_OK(sealfs_mkdir(client_, "/t", 0755));
  for (int d = 0; d < 3; ++d) {
    const std::string dir = "/t/d" + std::to_string(d);
    ASSERT_OK(sealfs_mkdir(client_, dir.c_str(), 0755));
    for (int f = 0; f < 4; ++f) {
      WriteFile(client_, dir + "/f" + std::to_string(f), std::string(10 * (f + 1), 'z'));
    }
  }
  const RunResult r = Run("walk_tree", {SEALFS_WALK_TREE_BIN, cluster_->manager_address(), "/t"});
  EXPECT_TRUE(r.ok()) << "status " << r.status;
  EXPECT_NE(r.out.find("4 directories, 12 files (300 bytes), 0 symlinks"), std::string::npos);
  EXPECT_NE(r.out.find("        40 /t/d2/f3\n"), std::string::npos);
  const RunResult missing =
      Run("walk_tree", {SEALFS_WALK_TREE_BIN, cluster_->manager_address(), "/nothing"});
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.err.find("sealfs_lstat /nothing"), std::string::npos);
}

#endif

#ifdef SEALFS_BENCH_BIN
// The benchmark's every phase through the C API with two processes of two threads, each
// process's reads checked against what another wrote; it leaves nothing behind.
TEST_F(ProgramsTest, SealfsBenchRunsEveryPhaseAndCleansUp) {
  const RunResult r =
      Run("sealfs-bench", {SEALFS_BENCH_BIN, "--manager", cluster_->manager_address(), "--procs",
                           "2", "--threads", "2", "--ior-easy-size", "3M", "--ior-hard-records",
                           "40", "--md-easy-files", "60", "--md-hard-files", "120", "--json"});
  ASSERT_TRUE(r.ok()) << "status " << r.status;
  auto items_of = [&](const std::string& phase) -> long {
    const std::size_t at = r.out.find("\"" + phase + "\"");
    if (at == std::string::npos) return -1;
    const std::size_t items = r.out.find("\"items\": ", at);
    return std::stol(r.out.substr(items + 9));
  };
  EXPECT_EQ(items_of("ior-easy-write"), 6) << "3 transfers of 1 MiB a process";
  EXPECT_EQ(items_of("ior-easy-read"), 6);
  EXPECT_EQ(items_of("ior-hard-write"), 80);
  EXPECT_EQ(items_of("ior-hard-read"), 80);
  for (const char* phase : {"mdtest-easy-write", "mdtest-easy-stat", "mdtest-easy-delete"}) {
    EXPECT_EQ(items_of(phase), 120) << phase;
  }
  for (const char* phase :
       {"mdtest-hard-write", "mdtest-hard-stat", "mdtest-hard-read", "mdtest-hard-delete"}) {
    EXPECT_EQ(items_of(phase), 240) << phase;
  }
  EXPECT_GT(items_of("find"), 240) << "every entry of the tree walked";
  EXPECT_NE(r.out.find("\"score\": "), std::string::npos);
  EXPECT_EQ(ListDir(client_, "/").size(), 2U) << "only . and .. left";
}

TEST_F(ProgramsTest, SealfsBenchFailsWithAMessageWhenTheClusterIsGone) {
  const RunResult r = Run("sealfs-bench", {SEALFS_BENCH_BIN, "--manager", "127.0.0.1:1", "--procs",
                                           "2", "--phases", "mdtest-easy"});
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.err.find("connect to 127.0.0.1:1"), std::string::npos);
}
#endif

#if !defined(SEALFS_COPY_ROUNDTRIP_BIN) || !defined(SEALFS_WALK_TREE_BIN)
TEST_F(ProgramsTest, ExamplesAreBuilt) { FAIL() << "the example targets are not defined"; }
#endif

}  // namespace
}  // namespace sealfs::test
