// sealfs-bench: the IO500 phases (workload.h) on SealFS through the C API or on any directory,
// with P client processes of T threads each.
//
//   sealfs-bench (--manager HOST:PORT | --dir PATH) [--procs P] [--threads T] [--stonewall SEC]
//                [--ior-easy-size BYTES] [--ior-hard-records N] [--md-easy-files N]
//                [--md-hard-files N] [--phases LIST] [--drop-caches] [--label NAME] [--json]
//                [--keep]
//
// The processes are forked before any of them connects; each runs every phase at the same time
// as the others, told to start by this process, which times the phase from the start to the
// last process's end. A failed call or a wrong byte ends the run with an error, never a figure.
// It prints a table (GiB/s and kIOPS, and IO500's scores: the geometric mean of the bandwidth
// phases, of the metadata phases, and the square root of their product) or, with --json, one
// JSON object.
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bench/target.h"
#include "bench/workload.h"

namespace sealfs::bench {
namespace {

constexpr int kMaxProcs = 64;

// What this process tells a client process: run a phase, or exit (phase -1).
struct Go {
  int32_t phase = -1;
  uint64_t written[kMaxProcs] = {};
};

// What a client process answers.
struct Done {
  uint64_t items = 0;
  uint64_t bytes = 0;
  uint64_t matches = 0;
  char error[1024] = {};
};

bool WriteFull(int fd, const void* data, size_t len) {
  const char* p = static_cast<const char*>(data);
  while (len > 0) {
    const ssize_t n = ::write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

bool ReadFull(int fd, void* data, size_t len) {
  char* p = static_cast<char*>(data);
  while (len > 0) {
    const ssize_t n = ::read(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

struct Options {
  std::string manager;
  std::string dir;
  Workload workload;
  std::vector<std::string> families;
  bool drop_caches = false;
  std::string label;
  bool json = false;
  bool keep = false;
};

// A client process: runs what it is told until told to exit.
[[noreturn]] void ServeAsClient(const Options& options, int rank, int from_parent, int to_parent) {
  int error = 0;
  std::unique_ptr<Target> target = options.manager.empty()
                                       ? OpenDirectory(options.dir)
                                       : ConnectToCluster(options.manager, &error);
  Go go;
  while (ReadFull(from_parent, &go, sizeof(go)) && go.phase >= 0) {
    Done done;
    if (!target) {
      std::snprintf(done.error, sizeof(done.error), "connect to %s: %s", options.manager.c_str(),
                    std::strerror(-error));
    } else {
      const std::vector<uint64_t> written(go.written, go.written + options.workload.procs);
      const PhaseOutcome outcome =
          RunPhase(*target, options.workload, static_cast<Phase>(go.phase), rank, written);
      done.items = outcome.items;
      done.bytes = outcome.bytes;
      done.matches = outcome.matches;
      std::snprintf(done.error, sizeof(done.error), "%s", outcome.error.c_str());
    }
    if (!WriteFull(to_parent, &done, sizeof(done))) break;
  }
  target.reset();
  std::_Exit(0);
}

struct Client {
  pid_t pid = -1;
  int to = -1;
  int from = -1;
};

struct Measured {
  const PhaseInfo* info;
  double seconds = 0;
  uint64_t items = 0;
  uint64_t bytes = 0;
  [[nodiscard]] double Value() const {
    const double per_second = (info->bandwidth ? static_cast<double>(bytes) / double(1 << 30)
                                               : static_cast<double>(items) / 1000.0);
    return seconds > 0 ? per_second / seconds : 0;
  }
  [[nodiscard]] const char* Unit() const { return info->bandwidth ? "GiB/s" : "kIOPS"; }
};

class Run {
 public:
  explicit Run(const Options& options) : options_(options) {}
  ~Run() { StopClients(); }
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  bool StartClients() {
    for (int rank = 0; rank < options_.workload.procs; ++rank) {
      int down[2];
      int up[2];
      if (::pipe(down) != 0 || ::pipe(up) != 0) return Fail("pipe", std::strerror(errno));
      const pid_t pid = ::fork();
      if (pid < 0) return Fail("fork", std::strerror(errno));
      if (pid == 0) {
        ::close(down[1]);
        ::close(up[0]);
        for (const Client& other : clients_) {
          ::close(other.to);
          ::close(other.from);
        }
        ServeAsClient(options_, rank, down[0], up[1]);
      }
      ::close(down[0]);
      ::close(up[1]);
      clients_.push_back({pid, down[1], up[0]});
    }
    return true;
  }

  // Runs one phase in every client process, or in the first alone for the shared setup and the
  // cleanup.
  std::optional<Measured> RunPhase(const PhaseInfo& info, Phase phase,
                                   const std::vector<uint64_t>& written, std::vector<Done>* done) {
    Go go;
    go.phase = static_cast<int32_t>(phase);
    for (std::size_t p = 0; p < written.size(); ++p) go.written[p] = written[p];
    const bool first_only = phase == Phase::kSetupShared || phase == Phase::kCleanup;
    const std::size_t count = first_only ? 1 : clients_.size();
    done->assign(count, Done{});
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t r = 0; r < count; ++r) {
      if (!WriteFull(clients_[r].to, &go, sizeof(go))) {
        Fail(info.name, fmt::format("process {} is gone", r));
        return std::nullopt;
      }
    }
    Measured measured{&info};
    for (std::size_t r = 0; r < count; ++r) {
      Done& d = (*done)[r];
      if (!ReadFull(clients_[r].from, &d, sizeof(d))) {
        Fail(info.name, fmt::format("process {} died", r));
        return std::nullopt;
      }
      if (d.error[0] != '\0') {
        Fail(info.name, fmt::format("process {}: {}", r, d.error));
        return std::nullopt;
      }
      measured.items += d.items;
      measured.bytes += d.bytes;
    }
    measured.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return measured;
  }

  void StopClients() {
    Go exit_now;
    for (Client& client : clients_) {
      (void)WriteFull(client.to, &exit_now, sizeof(exit_now));
      ::close(client.to);
      ::close(client.from);
    }
    for (Client& client : clients_) {
      int status = 0;
      ::waitpid(client.pid, &status, 0);
    }
    clients_.clear();
  }

  // Ends every client process now (after a failure: one may be stuck in a call).
  void KillClients() {
    for (Client& client : clients_) ::kill(client.pid, SIGKILL);
    StopClients();
  }

  bool Fail(const std::string& what, const std::string& why) {
    std::fprintf(stderr, "sealfs-bench: %s: %s\n", what.c_str(), why.c_str());
    return false;
  }

 private:
  const Options& options_;
  std::vector<Client> clients_;
};

bool DropKernelCaches() {
  ::sync();
  FILE* f = std::fopen("/proc/sys/vm/drop_caches", "w");
  if (f == nullptr) return false;
  const bool ok = std::fputs("3\n", f) >= 0;
  return std::fclose(f) == 0 && ok;
}

double GeometricMean(const std::vector<double>& values) {
  if (values.empty()) return 0;
  double log_sum = 0;
  for (double v : values) {
    if (v <= 0) return 0;
    log_sum += std::log(v);
  }
  return std::exp(log_sum / static_cast<double>(values.size()));
}

struct Scores {
  double bandwidth = 0;
  double metadata = 0;
  double total = 0;
};

Scores Score(const std::vector<Measured>& results) {
  std::vector<double> bw;
  std::vector<double> md;
  for (const Measured& m : results) (m.info->bandwidth ? bw : md).push_back(m.Value());
  Scores s{GeometricMean(bw), GeometricMean(md), 0};
  s.total = std::sqrt(s.bandwidth * s.metadata);
  return s;
}

std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", c);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

void PrintJson(const Options& o, const std::string& target, const std::vector<Measured>& results) {
  const Scores s = Score(results);
  fmt::print("{{\"label\": {}, \"target\": {}, \"procs\": {}, \"threads\": {}, \"phases\": {{",
             JsonString(o.label), JsonString(target), o.workload.procs, o.workload.threads);
  for (std::size_t i = 0; i < results.size(); ++i) {
    const Measured& m = results[i];
    fmt::print(
        "{}\n  \"{}\": {{\"value\": {:.6f}, \"unit\": \"{}\", \"seconds\": {:.3f}, "
        "\"items\": {}, \"bytes\": {}}}",
        i == 0 ? "" : ",", m.info->name, m.Value(), m.Unit(), m.seconds, m.items, m.bytes);
  }
  fmt::print("}},\n \"bw_score\": {:.6f}, \"md_score\": {:.6f}, \"score\": {:.6f}}}\n", s.bandwidth,
             s.metadata, s.total);
}

void PrintTable(const Options& o, const std::string& target, const std::vector<Measured>& results) {
  const Workload& w = o.workload;
  fmt::print("{}{}: {} process{} x {} thread{}, stonewall {} s\n",
             o.label.empty() ? "" : o.label + ", ", target, w.procs, w.procs == 1 ? "" : "es",
             w.threads, w.threads == 1 ? "" : "s", w.stonewall_seconds);
  fmt::print("{:<20} {:>12} {:<6} {:>9} {:>12}\n", "phase", "value", "unit", "seconds", "items");
  for (const Measured& m : results) {
    fmt::print("{:<20} {:>12.3f} {:<6} {:>9.2f} {:>12}\n", m.info->name, m.Value(), m.Unit(),
               m.seconds, m.items);
  }
  const Scores s = Score(results);
  fmt::print("[score] bandwidth {:.3f} GiB/s, metadata {:.3f} kIOPS, total {:.3f}\n", s.bandwidth,
             s.metadata, s.total);
}

int Main(const Options& options) {
  const Workload& w = options.workload;
  const std::set<std::string> families(options.families.begin(), options.families.end());
  std::string target_name;
  if (options.manager.empty()) {
    target_name = OpenDirectory(options.dir)->Describe();
  } else {
    target_name = fmt::format("SealFS C API, manager {}", options.manager);
  }

  Run run(options);
  if (!run.StartClients()) return 1;
  std::vector<Done> done;
  std::map<std::string, std::vector<uint64_t>> written;  // by family: each process's items
  const std::vector<uint64_t> none(static_cast<std::size_t>(w.procs), 0);
  const PhaseInfo setup{Phase::kSetupShared, "setup", "", false, false};
  if (!run.RunPhase(setup, Phase::kSetupShared, none, &done) ||
      !run.RunPhase(setup, Phase::kSetupOwn, none, &done)) {
    run.KillClients();
    return 1;
  }

  std::vector<Measured> results;
  for (const PhaseInfo& info : MeasuredPhases()) {
    if (!families.contains(info.family)) continue;
    if (!info.stonewalled && options.drop_caches && !DropKernelCaches()) {
      run.Fail("--drop-caches", "cannot write /proc/sys/vm/drop_caches (run as root)");
      run.KillClients();
      return 1;
    }
    const std::vector<uint64_t>& family_written =
        written.contains(info.family) ? written[info.family] : none;
    std::optional<Measured> measured = run.RunPhase(info, info.phase, family_written, &done);
    if (!measured) {
      run.KillClients();
      std::fprintf(stderr, "sealfs-bench: files left under %s for a look\n", w.root.c_str());
      return 1;
    }
    if (info.stonewalled) {
      std::vector<uint64_t>& counts = written[info.family];
      counts.clear();
      for (const Done& d : done) counts.push_back(d.items);
    }
    if (info.phase == Phase::kFind) {
      uint64_t matches = 0;
      for (const Done& d : done) matches += d.matches;
      const uint64_t expected =
          families.contains("mdtest-hard") ? ExpectedFindMatches(written["mdtest-hard"]) : 0;
      if (matches != expected) {
        run.Fail("find",
                 fmt::format("found {} matching files, mdtest-hard created {}", matches, expected));
        run.KillClients();
        return 1;
      }
    }
    results.push_back(*measured);
    if (!options.json) {
      std::fprintf(stderr, "%-20s done in %.2f s\n", info.name, measured->seconds);
    }
  }
  if (!options.keep) {
    const PhaseInfo cleanup{Phase::kCleanup, "cleanup", "", false, false};
    if (!run.RunPhase(cleanup, Phase::kCleanup, none, &done)) {
      run.KillClients();
      return 1;
    }
  }
  run.StopClients();
  if (options.json) {
    PrintJson(options, target_name, results);
  } else {
    PrintTable(options, target_name, results);
  }
  return 0;
}

}  // namespace
}  // namespace sealfs::bench

int main(int argc, char** argv) {
  using sealfs::bench::Options;
  Options options;
  sealfs::bench::Workload& w = options.workload;
  options.families = {"ior-easy", "ior-hard", "mdtest-easy", "mdtest-hard", "find"};
  CLI::App app{"sealfs-bench: the IO500 phases on SealFS (C API) or on any directory"};
  auto* target = app.add_option_group("target", "what to measure (one of them)");
  target->add_option("--manager", options.manager, "HOST:PORT of a SealFS cluster's manager");
  target
      ->add_option("--dir", options.dir,
                   "a directory: a FUSE mount, a local directory, a path under the "
                   "interception library")
      ->check(CLI::ExistingDirectory);
  target->require_option(1);
  app.add_option("--procs", w.procs, "client processes")->check(CLI::Range(1, 64));
  app.add_option("--threads", w.threads, "threads per process in the phases of many items")
      ->check(CLI::Range(1, 64));
  app.add_option("--stonewall", w.stonewall_seconds, "time limit of each write phase, seconds")
      ->check(CLI::PositiveNumber);
  app.add_option("--ior-easy-size", w.ior_easy_bytes, "bytes each process writes in ior-easy")
      ->transform(CLI::AsSizeValue(false));
  app.add_option("--ior-hard-records", w.ior_hard_records, "47,008-byte records per process");
  app.add_option("--md-easy-files", w.md_easy_files, "files per process in mdtest-easy");
  app.add_option("--md-hard-files", w.md_hard_files, "files per process in mdtest-hard");
  app.add_option("--phases", options.families, "families to run")
      ->delimiter(',')
      ->check(CLI::IsMember({"ior-easy", "ior-hard", "mdtest-easy", "mdtest-hard", "find"}));
  app.add_flag("--drop-caches", options.drop_caches,
               "drop the kernel's caches before each phase that reads (root)");
  app.add_option("--label", options.label, "a name for this run in the output");
  app.add_flag("--json", options.json, "print one JSON object instead of the table");
  app.add_flag("--keep", options.keep, "leave the files behind");
  CLI11_PARSE(app, argc, argv);
  w.root = fmt::format("sealfs-bench-{}", ::getpid());
  return sealfs::bench::Main(options);
}
