// sealfs_fsx: a randomised checker in the spirit of fsx (xfstests' file-system exerciser).
//
//   sealfs_fsx [--manager HOST:PORT] [--seed N] [--ops N] [--clients N] [--dir PATH]
//              [--max-file-size SIZE] [--chunk-size SIZE] [--local] [--verbose]
//
// Forks --clients processes; each connects its own client and runs --ops random operations in
// its own subtree DIR/cI (writes, reads, truncates, renames, links, ...), each result compared
// with an exact model of that subtree, and the whole subtree compared every 250 operations and
// at the end. The first line is "seed N": the same seed (and --ops, --clients,
// --max-file-size) runs the same operations again. Exit status 0 when every client matched
// the model, 1 when one did not, 2 for a usage error. See docs/testing-fsx.md.
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "checker.h"
#include "file_system.h"

namespace sealfs::fsx {
namespace {

struct Settings {
  std::string manager;
  uint64_t seed = 0;
  long ops = 2000;
  int clients = 3;
  std::string dir;
  uint64_t max_file_size = uint64_t{4} << 20;
  uint64_t chunk_size = 0;
  bool local = false;
  bool verbose = false;
};

// The body of client process `client`: its exit status.
int RunChild(const Settings& settings, int client, uint64_t* op_counts) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a killed run takes its clients with it
  int error = 0;
  auto fs = settings.local ? LocalFileSystem()
                           : ConnectSealfs(settings.manager,
                                           static_cast<uint32_t>(settings.chunk_size), &error);
  if (!fs) {
    std::fprintf(stderr, "fsx: client %d: cannot connect to %s: %s\n", client,
                 settings.manager.c_str(), std::strerror(-error));
    return 2;
  }
  const ClientSettings client_settings{settings.seed,
                                       client,
                                       settings.ops,
                                       settings.dir + "/c" + std::to_string(client),
                                       static_cast<std::size_t>(settings.max_file_size),
                                       settings.verbose};
  const bool ok = RunClient(*fs, client_settings, op_counts);
  fs.reset();
  return ok ? 0 : 1;
}

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("signal ") + strsignal(WTERMSIG(status));
  return "status " + std::to_string(status);
}

int Run(const Settings& settings) {
  std::printf("seed %llu\n", static_cast<unsigned long long>(settings.seed));
  std::printf("fsx: %d clients, %ld ops each, files up to %llu bytes, in %s on %s\n",
              settings.clients, settings.ops,
              static_cast<unsigned long long>(settings.max_file_size), settings.dir.c_str(),
              settings.local ? "the local file system" : settings.manager.c_str());
  std::fflush(stdout);  // before fork, so that no child prints it again

  const std::size_t num_ops = OpNames().size();
  const std::size_t counts_size = sizeof(uint64_t) * num_ops * settings.clients;
  void* shared =
      ::mmap(nullptr, counts_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) {
    std::perror("fsx: mmap");
    return 1;
  }
  auto* counts = static_cast<uint64_t*>(shared);  // counts[client * num_ops + op], zeroed

  const auto start = std::chrono::steady_clock::now();
  std::vector<pid_t> children;
  for (int i = 0; i < settings.clients; ++i) {
    const pid_t pid = ::fork();
    if (pid < 0) {
      std::perror("fsx: fork");
      return 1;
    }
    if (pid == 0) {
      const int status = RunChild(settings, i, counts + i * num_ops);
      std::fflush(nullptr);
      ::_exit(status);
    }
    children.push_back(pid);
  }
  std::string failed;
  for (int i = 0; i < settings.clients; ++i) {
    int status = 0;
    while (::waitpid(children[i], &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      failed += " " + std::to_string(i) + " (" + DescribeStatus(status) + ")";
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  uint64_t total = 0;
  std::string per_op;
  for (std::size_t op = 0; op < num_ops; ++op) {
    uint64_t n = 0;
    for (int i = 0; i < settings.clients; ++i) n += counts[i * num_ops + op];
    total += n;
    per_op += (per_op.empty() ? "" : " ") + OpNames()[op] + " " + std::to_string(n);
  }
  std::printf("fsx: %llu ops in %.1f s, %.0f ops/s\n", static_cast<unsigned long long>(total),
              seconds, seconds > 0 ? static_cast<double>(total) / seconds : 0.0);
  std::printf("fsx: seed %llu clients %d ops %llu (%s) %s\n",
              static_cast<unsigned long long>(settings.seed), settings.clients,
              static_cast<unsigned long long>(total), per_op.c_str(),
              failed.empty() ? "ok" : ("FAILED: clients" + failed).c_str());
  if (!failed.empty()) {
    std::printf(
        "fsx: replay with: sealfs_fsx --seed %llu --ops %ld --clients %d "
        "--max-file-size %llu --chunk-size %llu%s --dir NEW_DIR\n",
        static_cast<unsigned long long>(settings.seed), settings.ops, settings.clients,
        static_cast<unsigned long long>(settings.max_file_size),
        static_cast<unsigned long long>(settings.chunk_size), settings.local ? " --local" : "");
  }
  return failed.empty() ? 0 : 1;
}

int Main(int argc, char** argv) {
  Settings settings;
  CLI::App app{"sealfs_fsx: random operations checked against an exact model (docs/testing-fsx.md)",
               "sealfs_fsx"};
  app.add_option("--manager", settings.manager,
                 "HOST:PORT of the cluster's sealfs-manager (default: $SEALFS_MANAGER)");
  auto* seed = app.add_option("--seed", settings.seed, "Seed of the run (default: the clock)");
  app.add_option("--ops", settings.ops, "Operations per client")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--clients", settings.clients, "Client processes, each in its own subtree")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--dir", settings.dir,
                 "Absolute root of the run, created (default: /fsx-SEED-PID; needed with --local)");
  app.add_option("--max-file-size", settings.max_file_size,
                 "Largest file size; reads and writes take up to a quarter of it")
      ->capture_default_str()
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(uint64_t{16}, uint64_t{1} << 30));
  app.add_option("--chunk-size", settings.chunk_size,
                 "Chunk size of the files created, a power of two from 4K to 64M (default: the "
                 "cluster's)")
      ->transform(CLI::AsSizeValue(false));
  app.add_flag("--local", settings.local,
               "Run on the local file system with POSIX calls: checks the model against Linux");
  app.add_flag("--verbose", settings.verbose, "Print every call and its result");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help, or a usage error
  }

  if (seed->count() == 0) {
    settings.seed =
        static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  }
  if (settings.manager.empty() && !settings.local) {
    if (const char* env = std::getenv("SEALFS_MANAGER")) settings.manager = env;
    if (settings.manager.empty()) {
      std::fprintf(stderr, "sealfs_fsx: give --manager HOST:PORT, SEALFS_MANAGER, or --local\n");
      return 2;
    }
  }
  if (settings.dir.empty()) {
    if (settings.local) {
      std::fprintf(stderr, "sealfs_fsx: --local needs --dir\n");
      return 2;
    }
    settings.dir = "/fsx-" + std::to_string(settings.seed) + "-" + std::to_string(::getpid());
  }
  while (settings.dir.size() > 1 && settings.dir.back() == '/') settings.dir.pop_back();
  if (settings.dir.front() != '/' || settings.dir == "/") {
    std::fprintf(stderr, "sealfs_fsx: --dir must be an absolute path below /\n");
    return 2;
  }
  return Run(settings);
}

}  // namespace
}  // namespace sealfs::fsx

int main(int argc, char** argv) {
  try {
    return sealfs::fsx::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sealfs_fsx: %s\n", e.what());
    return 1;
  }
}
