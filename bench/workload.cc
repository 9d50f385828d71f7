#include "bench/workload.h"

#include <fcntl.h>
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "bench/pattern.h"

namespace sealfs::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::string Failed(const std::string& what, long rc) {
  return fmt::format("{}: {}", what, std::strerror(static_cast<int>(-rc)));
}

// Paths under the benchmark's root.
std::string IorEasyFile(const Workload& w, int rank) {
  return fmt::format("{}/ior-easy/p{}", w.root, rank);
}
std::string IorHardFile(const Workload& w) { return w.root + "/ior-hard/file"; }
std::string MdEasyDir(const Workload& w, int rank) {
  return fmt::format("{}/mdtest-easy/p{}", w.root, rank);
}
std::string MdEasyFile(const Workload& w, int rank, uint64_t i) {
  return fmt::format("{}/f{}", MdEasyDir(w, rank), i);
}
std::string MdHardName(int rank, uint64_t i) { return fmt::format("p{}.f{}", rank, i); }
std::string MdHardFile(const Workload& w, int rank, uint64_t i) {
  return w.root + "/mdtest-hard/" + MdHardName(rank, i);
}

// Pattern tags: each file's bytes differ from every other file's.
uint64_t IorEasyTag(int rank) { return 0x10000 + static_cast<uint64_t>(rank); }
constexpr uint64_t kIorHardTag = 0x20000;
uint64_t MdHardTag(int rank, uint64_t i) {
  return (uint64_t{3} << 56) ^ (uint64_t(rank) << 40) ^ i;
}

int NextRank(const Workload& w, int rank) { return (rank + 1) % w.procs; }

// Runs item(i) for i = 0, 1, ... below `count` on the workload's threads, each taking the next
// index, until every index is done, an item fails, or (when given) the deadline passes. The
// indices done are always 0 .. items-1: an index taken is finished.
PhaseOutcome ForEachItem(const Workload& w, uint64_t count,
                         std::optional<Clock::time_point> deadline,
                         const std::function<std::string(uint64_t i, uint64_t* bytes)>& item) {
  std::atomic<uint64_t> next{0};
  std::atomic<uint64_t> items{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  std::string error;
  auto work = [&] {
    while (!failed.load()) {
      if (deadline && Clock::now() >= *deadline) return;
      const uint64_t i = next.fetch_add(1);
      if (i >= count) return;
      uint64_t done_bytes = 0;
      std::string problem = item(i, &done_bytes);
      if (!problem.empty()) {
        std::lock_guard lock(error_mutex);
        if (error.empty()) error = std::move(problem);
        failed = true;
        return;
      }
      items.fetch_add(1);
      bytes.fetch_add(done_bytes);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 1; t < w.threads; ++t) threads.emplace_back(work);
  work();
  for (std::thread& thread : threads) thread.join();
  return PhaseOutcome{items.load(), bytes.load(), 0, error};
}

// Reads `len` bytes at `offset` and checks them against the pattern.
std::string ReadAndCheck(Target& target, int fd, const std::string& path, uint64_t tag,
                         uint64_t offset, size_t len) {
  // Per thread and kept: a fresh buffer a transfer would cost more than the read (page faults).
  thread_local std::vector<unsigned char> got;
  thread_local std::vector<unsigned char> want;
  if (got.size() < len) {
    got.resize(len);
    want.resize(len);
  }
  size_t done = 0;
  while (done < len) {
    const ssize_t n =
        target.Pread(fd, got.data() + done, len - done, static_cast<off_t>(offset + done));
    if (n < 0) return Failed(fmt::format("read {} at {}", path, offset + done), n);
    if (n == 0) return fmt::format("{} ends at {}, before {}", path, offset + done, offset + len);
    done += static_cast<size_t>(n);
  }
  if (!MatchesPattern(tag, offset, got.data(), len, want.data())) {
    return fmt::format("{}: wrong bytes in the {} at {}", path, len, offset);
  }
  return "";
}

std::string WriteAll(Target& target, int fd, const std::string& path, const unsigned char* data,
                     size_t len, uint64_t offset) {
  size_t done = 0;
  while (done < len) {
    const ssize_t n = target.Pwrite(fd, data + done, len - done, static_cast<off_t>(offset + done));
    if (n <= 0)
      return Failed(fmt::format("write {} at {}", path, offset + done), n == 0 ? -EIO : n);
    done += static_cast<size_t>(n);
  }
  return "";
}

PhaseOutcome IorEasyWrite(Target& target, const Workload& w, int rank, Clock::time_point deadline) {
  const std::string path = IorEasyFile(w, rank);
  const int fd = target.Open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0) return {0, 0, 0, Failed("create " + path, fd)};
  std::vector<unsigned char> block(kIorEasyTransfer);
  PhaseOutcome out;
  for (uint64_t offset = 0; offset < w.ior_easy_bytes && Clock::now() < deadline;
       offset += kIorEasyTransfer) {
    const size_t len = std::min<uint64_t>(kIorEasyTransfer, w.ior_easy_bytes - offset);
    FillPattern(IorEasyTag(rank), offset, block.data(), len);
    out.error = WriteAll(target, fd, path, block.data(), len, offset);
    if (!out.error.empty()) break;
    out.items++;
    out.bytes += len;
  }
  const int synced = out.error.empty() ? target.Fsync(fd) : 0;
  if (synced < 0) out.error = Failed("fsync " + path, synced);
  const int closed = target.Close(fd);
  if (closed < 0 && out.error.empty()) out.error = Failed("close " + path, closed);
  return out;
}

PhaseOutcome IorEasyRead(Target& target, const Workload& w, int rank, uint64_t transfers) {
  const int owner = NextRank(w, rank);
  const std::string path = IorEasyFile(w, owner);
  const int fd = target.Open(path, O_RDONLY, 0);
  if (fd < 0) return {0, 0, 0, Failed("open " + path, fd)};
  PhaseOutcome out;
  for (uint64_t t = 0; t < transfers && out.error.empty(); ++t) {
    const uint64_t offset = t * kIorEasyTransfer;
    const size_t len = std::min<uint64_t>(kIorEasyTransfer, w.ior_easy_bytes - offset);
    out.error = ReadAndCheck(target, fd, path, IorEasyTag(owner), offset, len);
    out.items++;
    out.bytes += len;
  }
  target.Close(fd);
  return out;
}

uint64_t IorHardOffset(const Workload& w, int rank, uint64_t record) {
  return (record * static_cast<uint64_t>(w.procs) + static_cast<uint64_t>(rank)) * kIorHardRecord;
}

PhaseOutcome IorHard(Target& target, const Workload& w, int rank, bool write, uint64_t records,
                     std::optional<Clock::time_point> deadline) {
  const std::string path = IorHardFile(w);
  const int fd = target.Open(path, write ? O_WRONLY : O_RDONLY, 0);
  if (fd < 0) return {0, 0, 0, Failed("open " + path, fd)};
  const int owner = write ? rank : NextRank(w, rank);
  PhaseOutcome out = ForEachItem(w, records, deadline, [&](uint64_t i, uint64_t* bytes) {
    const uint64_t offset = IorHardOffset(w, owner, i);
    *bytes = kIorHardRecord;
    if (!write) return ReadAndCheck(target, fd, path, kIorHardTag, offset, kIorHardRecord);
    thread_local std::vector<unsigned char> record(kIorHardRecord);
    FillPattern(kIorHardTag, offset, record.data(), record.size());
    return WriteAll(target, fd, path, record.data(), record.size(), offset);
  });
  if (write && out.error.empty()) {
    const int synced = target.Fsync(fd);
    if (synced < 0) out.error = Failed("fsync " + path, synced);
  }
  target.Close(fd);
  return out;
}

std::string CreateFile(Target& target, const std::string& path, uint64_t tag, size_t len) {
  const int fd = target.Open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
  if (fd < 0) return Failed("create " + path, fd);
  std::string error;
  if (len > 0) {
    std::vector<unsigned char> data(len);
    FillPattern(tag, 0, data.data(), len);
    error = WriteAll(target, fd, path, data.data(), len, 0);
  }
  const int closed = target.Close(fd);
  if (closed < 0 && error.empty()) error = Failed("close " + path, closed);
  return error;
}

std::string StatFile(Target& target, const std::string& path, uint64_t size) {
  struct stat st {};
  const int rc = target.Stat(path, &st);
  if (rc < 0) return Failed("stat " + path, rc);
  if (!S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) != size) {
    return fmt::format("stat {}: mode {:o} size {}, expected a regular file of {} bytes", path,
                       st.st_mode, st.st_size, size);
  }
  return "";
}

std::string ReadFile(Target& target, const std::string& path, uint64_t tag, size_t len) {
  const int fd = target.Open(path, O_RDONLY, 0);
  if (fd < 0) return Failed("open " + path, fd);
  std::string error = ReadAndCheck(target, fd, path, tag, 0, len);
  if (error.empty()) {  // and nothing beyond
    unsigned char extra = 0;
    const ssize_t n = target.Pread(fd, &extra, 1, static_cast<off_t>(len));
    if (n != 0) error = fmt::format("{}: longer than {} bytes", path, len);
  }
  target.Close(fd);
  return error;
}

std::string Remove(Target& target, const std::string& path) {
  const int rc = target.Unlink(path);
  return rc < 0 ? Failed("unlink " + path, rc) : "";
}

// Walks `dir`, counting every entry and the files find must match.
std::string Walk(Target& target, const std::string& dir, PhaseOutcome* out) {
  std::vector<std::string> subdirs;
  std::vector<std::string> candidates;
  const int rc = target.List(dir, [&](const std::string& name, bool is_dir) {
    out->items++;
    if (is_dir) {
      subdirs.push_back(dir + "/" + name);
    } else if (name.find("01") != std::string::npos) {
      candidates.push_back(dir + "/" + name);
    }
  });
  if (rc < 0) return Failed("list " + dir, rc);
  for (const std::string& path : candidates) {
    struct stat st {};
    const int got = target.Stat(path, &st);
    if (got < 0) return Failed("stat " + path, got);
    if (static_cast<uint64_t>(st.st_size) == kMdHardFileBytes) out->matches++;
  }
  for (const std::string& sub : subdirs) {
    std::string error = Walk(target, sub, out);
    if (!error.empty()) return error;
  }
  return "";
}

PhaseOutcome Find(Target& target, const Workload& w, int rank) {
  std::vector<std::string> roots = {"ior-easy", "ior-hard", "mdtest-hard"};
  for (int p = 0; p < w.procs; ++p) roots.push_back(fmt::format("mdtest-easy/p{}", p));
  PhaseOutcome out;
  for (std::size_t i = static_cast<std::size_t>(rank); i < roots.size() && out.error.empty();
       i += static_cast<std::size_t>(w.procs)) {
    out.error = Walk(target, w.root + "/" + roots[i], &out);
  }
  return out;
}

std::string MakeDirs(Target& target, const std::vector<std::string>& dirs) {
  for (const std::string& dir : dirs) {
    const int rc = target.Mkdir(dir);
    if (rc < 0) return Failed("mkdir " + dir, rc);
  }
  return "";
}

// Removes `dir` and everything under it.
std::string RemoveTree(Target& target, const std::string& dir) {
  std::vector<std::pair<std::string, bool>> entries;
  int rc = target.List(dir, [&](const std::string& name, bool is_dir) {
    entries.emplace_back(dir + "/" + name, is_dir);
  });
  if (rc < 0) return Failed("list " + dir, rc);
  for (const auto& [path, is_dir] : entries) {
    std::string error = is_dir ? RemoveTree(target, path) : Remove(target, path);
    if (!error.empty()) return error;
  }
  rc = target.Rmdir(dir);
  return rc < 0 ? Failed("rmdir " + dir, rc) : "";
}

PhaseOutcome Only(std::string error) { return {0, 0, 0, std::move(error)}; }

}  // namespace

const std::vector<PhaseInfo>& MeasuredPhases() {
  static const std::vector<PhaseInfo> phases = {
      {Phase::kIorEasyWrite, "ior-easy-write", "ior-easy", true, true},
      {Phase::kMdEasyWrite, "mdtest-easy-write", "mdtest-easy", false, true},
      {Phase::kIorHardWrite, "ior-hard-write", "ior-hard", true, true},
      {Phase::kMdHardWrite, "mdtest-hard-write", "mdtest-hard", false, true},
      {Phase::kFind, "find", "find", false, false},
      {Phase::kIorEasyRead, "ior-easy-read", "ior-easy", true, false},
      {Phase::kMdEasyStat, "mdtest-easy-stat", "mdtest-easy", false, false},
      {Phase::kIorHardRead, "ior-hard-read", "ior-hard", true, false},
      {Phase::kMdHardStat, "mdtest-hard-stat", "mdtest-hard", false, false},
      {Phase::kMdEasyDelete, "mdtest-easy-delete", "mdtest-easy", false, false},
      {Phase::kMdHardRead, "mdtest-hard-read", "mdtest-hard", false, false},
      {Phase::kMdHardDelete, "mdtest-hard-delete", "mdtest-hard", false, false},
  };
  return phases;
}

uint64_t ExpectedFindMatches(const std::vector<uint64_t>& md_hard_written) {
  uint64_t matches = 0;
  for (std::size_t p = 0; p < md_hard_written.size(); ++p) {
    for (uint64_t i = 0; i < md_hard_written[p]; ++i) {
      if (MdHardName(static_cast<int>(p), i).find("01") != std::string::npos) ++matches;
    }
  }
  return matches;
}

PhaseOutcome RunPhase(Target& target, const Workload& w, Phase phase, int rank,
                      const std::vector<uint64_t>& written) {
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(w.stonewall_seconds));
  const int next = NextRank(w, rank);
  switch (phase) {
    case Phase::kSetupShared: {
      std::string error = MakeDirs(target, {w.root, w.root + "/ior-easy", w.root + "/ior-hard",
                                            w.root + "/mdtest-easy", w.root + "/mdtest-hard"});
      if (!error.empty()) return Only(error);
      const int fd = target.Open(IorHardFile(w), O_CREAT | O_EXCL | O_WRONLY, 0644);
      if (fd < 0) return Only(Failed("create " + IorHardFile(w), fd));
      target.Close(fd);
      return {};
    }
    case Phase::kSetupOwn:
      return Only(MakeDirs(target, {MdEasyDir(w, rank)}));
    case Phase::kIorEasyWrite:
      return IorEasyWrite(target, w, rank, deadline);
    case Phase::kIorEasyRead:
      return IorEasyRead(target, w, rank, written[next]);
    case Phase::kIorHardWrite:
      return IorHard(target, w, rank, /*write=*/true, w.ior_hard_records, deadline);
    case Phase::kIorHardRead:
      return IorHard(target, w, rank, /*write=*/false, written[next], std::nullopt);
    case Phase::kMdEasyWrite:
      return ForEachItem(w, w.md_easy_files, deadline, [&](uint64_t i, uint64_t*) {
        return CreateFile(target, MdEasyFile(w, rank, i), 0, 0);
      });
    case Phase::kMdEasyStat:
      return ForEachItem(w, written[next], std::nullopt, [&](uint64_t i, uint64_t*) {
        return StatFile(target, MdEasyFile(w, next, i), 0);
      });
    case Phase::kMdEasyDelete:
      return ForEachItem(w, written[rank], std::nullopt, [&](uint64_t i, uint64_t*) {
        return Remove(target, MdEasyFile(w, rank, i));
      });
    case Phase::kMdHardWrite:
      return ForEachItem(w, w.md_hard_files, deadline, [&](uint64_t i, uint64_t* bytes) {
        *bytes = kMdHardFileBytes;
        return CreateFile(target, MdHardFile(w, rank, i), MdHardTag(rank, i), kMdHardFileBytes);
      });
    case Phase::kMdHardStat:
      return ForEachItem(w, written[next], std::nullopt, [&](uint64_t i, uint64_t*) {
        return StatFile(target, MdHardFile(w, next, i), kMdHardFileBytes);
      });
    case Phase::kMdHardRead:
      return ForEachItem(w, written[next], std::nullopt, [&](uint64_t i, uint64_t* bytes) {
        *bytes = kMdHardFileBytes;
        return ReadFile(target, MdHardFile(w, next, i), MdHardTag(next, i), kMdHardFileBytes);
      });
    case Phase::kMdHardDelete:
      return ForEachItem(w, written[rank], std::nullopt, [&](uint64_t i, uint64_t*) {
        return Remove(target, MdHardFile(w, rank, i));
      });
    case Phase::kFind:
      return Find(target, w, rank);
    case Phase::kCleanup:
      return Only(RemoveTree(target, w.root));
  }
  return Only("unknown phase");
}

}  // namespace sealfs::bench
