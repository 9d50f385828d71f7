// The IO500 phases as one process of the benchmark runs them (sealfs-bench's main.cc starts the
// processes, runs each phase in all of them at once, and times it).
//
//   ior-easy    each process its own file, written sequentially in 1 MiB transfers, then fsync;
//               read back by the next process (rank + 1), every byte checked.
//   ior-hard    one shared file of 47,008-byte records, interleaved across processes (record i
//               of process p at (i * procs + p) * 47008), then fsync; read back by the next.
//   mdtest-easy empty files, each process in its own directory: create, stat (the next
//               process's), remove (its own).
//   mdtest-hard 3,901-byte files, all processes in one shared directory: create (with the
//               bytes), stat and read (the next process's), remove (its own).
//   find        a walk of the tree counting the files whose name holds "01" and whose size is
//               3,901 bytes; the count must equal what mdtest-hard created.
//
// Write phases stop at the stonewall (the time limit); later phases work on what each process
// wrote. Threads (--threads) share a process's work in the phases of many items.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/target.h"

namespace sealfs::bench {

inline constexpr uint64_t kIorEasyTransfer = uint64_t{1} << 20;
inline constexpr uint64_t kIorHardRecord = 47008;
inline constexpr uint64_t kMdHardFileBytes = 3901;

enum class Phase : int32_t {
  kSetupShared,  // the directories every process shares (the first process alone)
  kSetupOwn,     // each process's own directory
  kIorEasyWrite,
  kMdEasyWrite,
  kIorHardWrite,
  kMdHardWrite,
  kFind,
  kIorEasyRead,
  kMdEasyStat,
  kIorHardRead,
  kMdHardStat,
  kMdEasyDelete,
  kMdHardRead,
  kMdHardDelete,
  kCleanup,  // removes the whole tree (the first process alone)
};

struct PhaseInfo {
  Phase phase;
  const char* name;    // as IO500 names it, e.g. "ior-easy-write"
  const char* family;  // what --phases selects: "ior-easy", "mdtest-hard", "find"
  bool bandwidth;      // bytes (GiB/s) rather than items (kIOPS)
  bool stonewalled;    // a write phase: stops at the time limit
};

// The measured phases in IO500's order.
const std::vector<PhaseInfo>& MeasuredPhases();

struct Workload {
  std::string root;  // the benchmark's directory under the target's root
  int procs = 2;
  int threads = 1;
  double stonewall_seconds = 30;
  uint64_t ior_easy_bytes = uint64_t{512} << 20;  // per process
  uint64_t ior_hard_records = 4000;               // per process
  uint64_t md_easy_files = 10000;                 // per process
  uint64_t md_hard_files = 5000;                  // per process
};

struct PhaseOutcome {
  uint64_t items = 0;    // files, records or transfers done (a write phase: its count for later)
  uint64_t bytes = 0;    // bytes written or read and checked
  uint64_t matches = 0;  // find: files that matched
  std::string error;     // empty when every call succeeded and every byte was right
};

// Runs `phase` as process `rank`. `written[p]`: the items process p did in the write phase of
// the phase's family (what a read, stat or delete works on).
PhaseOutcome RunPhase(Target& target, const Workload& workload, Phase phase, int rank,
                      const std::vector<uint64_t>& written);

// The files mdtest-hard's processes created that find must count.
uint64_t ExpectedFindMatches(const std::vector<uint64_t>& md_hard_written);

}  // namespace sealfs::bench
