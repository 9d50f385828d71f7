// sealfs_bench: a first measurement of SealFS through the public C API, beside a local directory
// measured by the same code.
//
//   sealfs_bench [--manager HOST:PORT] [--local DIR] [--files N] [--size BYTES] [--block BYTES]
//                [--drop-caches] [--json] [--keep]
//
// For each target given (a SealFS cluster, a local directory, or both) it measures, with one
// client and one thread:
//   create   N empty files in one new directory (open O_CREAT|O_EXCL, close), files per second;
//   write    one file of --size bytes written sequentially in --block requests, then fsync; the
//            fsync is inside the timed span;
//   read     the same file read back sequentially in --block requests, every byte checked;
//   unlink   the N empty files removed, files per second.
// Sizes take the suffixes K, M, G (KiB, MiB, GiB). Rates are in MiB/s (2^20 bytes per second).
//
// The local file is dropped from the page cache (posix_fadvise DONTNEED) before it is read back.
// With --drop-caches the kernel's caches are dropped too (/proc/sys/vm/drop_caches, root only),
// which also makes the servers' RocksDB files cold; without it the servers' page cache helps
// the SealFS read. This is a tool, not a test: it is not run by ctest.
#include <fcntl.h>
#include <sealfs/sealfs.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// A file system to measure: every call returns >= 0 or a negated errno, as the SealFS C API does.
// Paths are relative to the target's root ("bench-123/f0").
class Target {
 public:
  virtual ~Target() = default;
  virtual std::string Describe() const = 0;
  virtual int Open(const std::string& path, int flags, mode_t mode) = 0;
  virtual int Close(int fd) = 0;
  virtual ssize_t Write(int fd, const void* buf, size_t count) = 0;
  virtual ssize_t Read(int fd, void* buf, size_t count) = 0;
  virtual int Fsync(int fd) = 0;
  virtual int Mkdir(const std::string& path) = 0;
  virtual int Rmdir(const std::string& path) = 0;
  virtual int Unlink(const std::string& path) = 0;
  // Called between the write and the read of the large file: drop what caches this target can.
  virtual void BeforeColdRead(const std::string& /*path*/) {}
};

class SealfsTarget : public Target {
 public:
  SealfsTarget(std::string manager, sealfs_client* client)
      : manager_(std::move(manager)), client_(client) {}
  ~SealfsTarget() override { sealfs_disconnect(client_); }
  SealfsTarget(const SealfsTarget&) = delete;
  SealfsTarget& operator=(const SealfsTarget&) = delete;

  std::string Describe() const override { return "SealFS via manager " + manager_; }
  int Open(const std::string& path, int flags, mode_t mode) override {
    return sealfs_open(client_, Abs(path).c_str(), flags, mode);
  }
  int Close(int fd) override { return sealfs_close(client_, fd); }
  ssize_t Write(int fd, const void* buf, size_t count) override {
    return sealfs_write(client_, fd, buf, count);
  }
  ssize_t Read(int fd, void* buf, size_t count) override {
    return sealfs_read(client_, fd, buf, count);
  }
  int Fsync(int fd) override { return sealfs_fsync(client_, fd); }
  int Mkdir(const std::string& path) override {
    return sealfs_mkdir(client_, Abs(path).c_str(), 0755);
  }
  int Rmdir(const std::string& path) override { return sealfs_rmdir(client_, Abs(path).c_str()); }
  int Unlink(const std::string& path) override {
    return sealfs_unlink(client_, Abs(path).c_str());
  }

 private:
  static std::string Abs(const std::string& path) { return "/" + path; }
  std::string manager_;
  sealfs_client* client_;
};

int NegErrno() { return -errno; }

class LocalTarget : public Target {
 public:
  explicit LocalTarget(std::string root) : root_(std::move(root)) {}
  std::string Describe() const override { return "local directory " + root_; }
  int Open(const std::string& path, int flags, mode_t mode) override {
    const int fd = ::open(Abs(path).c_str(), flags | O_CLOEXEC, mode);
    return fd < 0 ? NegErrno() : fd;
  }
  int Close(int fd) override { return ::close(fd) < 0 ? NegErrno() : 0; }
  ssize_t Write(int fd, const void* buf, size_t count) override {
    const ssize_t n = ::write(fd, buf, count);
    return n < 0 ? NegErrno() : n;
  }
  ssize_t Read(int fd, void* buf, size_t count) override {
    const ssize_t n = ::read(fd, buf, count);
    return n < 0 ? NegErrno() : n;
  }
  int Fsync(int fd) override { return ::fsync(fd) < 0 ? NegErrno() : 0; }
  int Mkdir(const std::string& path) override {
    return ::mkdir(Abs(path).c_str(), 0755) < 0 ? NegErrno() : 0;
  }
  int Rmdir(const std::string& path) override {
    return ::rmdir(Abs(path).c_str()) < 0 ? NegErrno() : 0;
  }
  int Unlink(const std::string& path) override {
    return ::unlink(Abs(path).c_str()) < 0 ? NegErrno() : 0;
  }
  void BeforeColdRead(const std::string& path) override {
    // The pages are clean after the fsync, so DONTNEED evicts them.
    const int fd = ::open(Abs(path).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      (void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
      ::close(fd);
    }
  }

 private:
  std::string Abs(const std::string& path) const { return root_ + "/" + path; }
  std::string root_;
};

struct Settings {
  std::string manager;
  std::string local;
  long files = 10000;
  uint64_t size = uint64_t{1} << 30;
  uint64_t block = uint64_t{1} << 20;
  bool drop_caches = false;
  bool json = false;
  bool keep = false;
};

struct Result {
  std::string name;
  double create_per_s = 0;
  double write_mib_s = 0;
  double read_mib_s = 0;
  double unlink_per_s = 0;
  double create_s = 0, write_s = 0, read_s = 0, unlink_s = 0;
  bool cold_read = false;  // whether the kernel caches were dropped before the read
};

[[noreturn]] void Die(const std::string& target, const std::string& what, long rc) {
  std::fprintf(stderr, "sealfs_bench: %s: %s: %s\n", target.c_str(), what.c_str(),
               std::strerror(static_cast<int>(-rc)));
  std::exit(1);
}

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Parses "1G", "256MiB", "4096", "1m"; returns false when malformed.
bool ParseSize(const char* text, uint64_t* out) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text) return false;
  std::string suffix(end);
  uint64_t unit = 1;
  if (suffix.empty() || suffix == "B") {
    unit = 1;
  } else if (suffix == "K" || suffix == "k" || suffix == "KiB") {
    unit = uint64_t{1} << 10;
  } else if (suffix == "M" || suffix == "m" || suffix == "MiB") {
    unit = uint64_t{1} << 20;
  } else if (suffix == "G" || suffix == "g" || suffix == "GiB") {
    unit = uint64_t{1} << 30;
  } else {
    return false;
  }
  *out = value * unit;
  return true;
}

bool DropKernelCaches() {
  ::sync();
  FILE* f = std::fopen("/proc/sys/vm/drop_caches", "w");
  if (f == nullptr) return false;
  const bool ok = std::fputs("3\n", f) >= 0;
  return std::fclose(f) == 0 && ok;
}

// Fills one block of the large file: a byte pattern that differs per block, so that a block read
// from the wrong offset is caught.
void FillBlock(uint64_t index, std::vector<unsigned char>* block) {
  for (size_t i = 0; i < block->size(); ++i) {
    (*block)[i] = static_cast<unsigned char>((i * 31 + index * 7 + (i >> 12)) & 0xff);
  }
  std::memcpy(block->data(), &index, sizeof(index));
}

Result Run(Target& target, const std::string& name, const Settings& settings) {
  Result result;
  result.name = name;
  const std::string desc = target.Describe();
  const std::string dir = "sealfs_bench-" + std::to_string(::getpid());
  int rc = target.Mkdir(dir);
  if (rc < 0) Die(desc, "mkdir " + dir, rc);
  const std::string files_dir = dir + "/files";
  rc = target.Mkdir(files_dir);
  if (rc < 0) Die(desc, "mkdir " + files_dir, rc);

  // Create N empty files in one directory.
  std::vector<std::string> names;
  names.reserve(static_cast<size_t>(settings.files));
  for (long i = 0; i < settings.files; ++i) names.push_back(files_dir + "/f" + std::to_string(i));
  Clock::time_point start = Clock::now();
  for (const std::string& path : names) {
    const int fd = target.Open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
    if (fd < 0) Die(desc, "create " + path, fd);
    rc = target.Close(fd);
    if (rc < 0) Die(desc, "close " + path, rc);
  }
  result.create_s = Seconds(start);
  result.create_per_s = static_cast<double>(settings.files) / result.create_s;

  // Sequential write of one large file, fsync included.
  const std::string big = dir + "/big";
  std::vector<unsigned char> block(settings.block);
  std::vector<unsigned char> got(settings.block);
  const uint64_t blocks = (settings.size + settings.block - 1) / settings.block;
  start = Clock::now();
  int fd = target.Open(big, O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0) Die(desc, "create " + big, fd);
  for (uint64_t b = 0; b < blocks; ++b) {
    const size_t len =
        static_cast<size_t>(std::min<uint64_t>(settings.block, settings.size - b * settings.block));
    FillBlock(b, &block);
    size_t done = 0;
    while (done < len) {
      const ssize_t n = target.Write(fd, block.data() + done, len - done);
      if (n <= 0) Die(desc, "write " + big, n == 0 ? -EIO : n);
      done += static_cast<size_t>(n);
    }
  }
  rc = target.Fsync(fd);
  if (rc < 0) Die(desc, "fsync " + big, rc);
  rc = target.Close(fd);
  if (rc < 0) Die(desc, "close " + big, rc);
  result.write_s = Seconds(start);
  // FillBlock takes part of the time; it is the same for both targets.
  result.write_mib_s = static_cast<double>(settings.size) / (1 << 20) / result.write_s;

  target.BeforeColdRead(big);
  if (settings.drop_caches) result.cold_read = DropKernelCaches();

  // Sequential read, every byte checked.
  start = Clock::now();
  fd = target.Open(big, O_RDONLY, 0);
  if (fd < 0) Die(desc, "open " + big, fd);
  for (uint64_t b = 0; b < blocks; ++b) {
    const size_t len =
        static_cast<size_t>(std::min<uint64_t>(settings.block, settings.size - b * settings.block));
    size_t done = 0;
    while (done < len) {
      const ssize_t n = target.Read(fd, got.data() + done, len - done);
      if (n < 0) Die(desc, "read " + big, n);
      if (n == 0) {
        std::fprintf(stderr, "sealfs_bench: %s: %s ends early at %" PRIu64 " bytes\n",
                     desc.c_str(), big.c_str(), b * settings.block + done);
        std::exit(1);
      }
      done += static_cast<size_t>(n);
    }
    FillBlock(b, &block);
    if (std::memcmp(got.data(), block.data(), len) != 0) {
      std::fprintf(stderr, "sealfs_bench: %s: %s: wrong bytes in block %" PRIu64 "\n",
                   desc.c_str(), big.c_str(), b);
      std::exit(1);
    }
  }
  rc = target.Close(fd);
  if (rc < 0) Die(desc, "close " + big, rc);
  result.read_s = Seconds(start);
  result.read_mib_s = static_cast<double>(settings.size) / (1 << 20) / result.read_s;

  // Remove the empty files.
  start = Clock::now();
  for (const std::string& path : names) {
    rc = target.Unlink(path);
    if (rc < 0) Die(desc, "unlink " + path, rc);
  }
  result.unlink_s = Seconds(start);
  result.unlink_per_s = static_cast<double>(settings.files) / result.unlink_s;

  if (!settings.keep) {
    rc = target.Unlink(big);
    if (rc < 0) Die(desc, "unlink " + big, rc);
    rc = target.Rmdir(files_dir);
    if (rc < 0) Die(desc, "rmdir " + files_dir, rc);
    rc = target.Rmdir(dir);
    if (rc < 0) Die(desc, "rmdir " + dir, rc);
  }
  return result;
}

std::string SizeText(uint64_t bytes) {
  char buf[64];
  if (bytes % (uint64_t{1} << 30) == 0) {
    std::snprintf(buf, sizeof(buf), "%" PRIu64 " GiB", bytes >> 30);
  } else if (bytes % (uint64_t{1} << 20) == 0) {
    std::snprintf(buf, sizeof(buf), "%" PRIu64 " MiB", bytes >> 20);
  } else if (bytes % (uint64_t{1} << 10) == 0) {
    std::snprintf(buf, sizeof(buf), "%" PRIu64 " KiB", bytes >> 10);
  } else {
    std::snprintf(buf, sizeof(buf), "%" PRIu64 " B", bytes);
  }
  return buf;
}

void PrintTable(const Settings& settings, const std::vector<Result>& results) {
  std::printf("one client, one thread; %ld empty files in one directory; one %s file in %s "
              "requests\n",
              settings.files, SizeText(settings.size).c_str(), SizeText(settings.block).c_str());
  std::printf("%-34s", "");
  for (const Result& r : results) std::printf(" %14s", r.name.c_str());
  if (results.size() == 2) std::printf(" %14s", "ratio");
  std::printf("\n");
  struct Row {
    const char* label;
    double Result::*value;
  };
  const Row rows[] = {
      {"create empty files (files/s)", &Result::create_per_s},
      {"sequential write+fsync (MiB/s)", &Result::write_mib_s},
      {"sequential read (MiB/s)", &Result::read_mib_s},
      {"unlink empty files (files/s)", &Result::unlink_per_s},
  };
  for (const Row& row : rows) {
    std::printf("%-34s", row.label);
    for (const Result& r : results) std::printf(" %14.1f", r.*row.value);
    if (results.size() == 2 && results[1].*row.value > 0) {
      std::printf(" %13.2fx", results[0].*row.value / (results[1].*row.value));
    }
    std::printf("\n");
  }
  for (const Result& r : results) {
    std::printf("%s read: %s\n", r.name.c_str(),
                r.cold_read ? "kernel caches dropped before the read"
                : r.name == "local"
                    ? "file evicted with posix_fadvise(DONTNEED) before the read"
                    : "servers' page cache not dropped (pass --drop-caches as root)");
  }
  if (results.size() == 2) {
    std::printf("ratio = %s / %s\n", results[0].name.c_str(), results[1].name.c_str());
  }
}

void PrintJson(const Settings& settings, const std::vector<Result>& results) {
  std::printf("{\"files\": %ld, \"size_bytes\": %" PRIu64 ", \"block_bytes\": %" PRIu64
              ", \"results\": [",
              settings.files, settings.size, settings.block);
  for (size_t i = 0; i < results.size(); ++i) {
    const Result& r = results[i];
    std::printf(
        "%s\n  {\"target\": \"%s\", \"create_files_per_s\": %.1f, \"create_s\": %.3f, "
        "\"write_mib_per_s\": %.1f, \"write_s\": %.3f, \"read_mib_per_s\": %.1f, "
        "\"read_s\": %.3f, \"unlink_files_per_s\": %.1f, \"unlink_s\": %.3f, "
        "\"kernel_caches_dropped\": %s}",
        i == 0 ? "" : ",", r.name.c_str(), r.create_per_s, r.create_s, r.write_mib_s, r.write_s,
        r.read_mib_s, r.read_s, r.unlink_per_s, r.unlink_s, r.cold_read ? "true" : "false");
  }
  std::printf("\n]}\n");
}

void Usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--manager HOST:PORT] [--local DIR] [--files N] [--size BYTES]\n"
               "          [--block BYTES] [--drop-caches] [--json] [--keep]\n"
               "  --manager HOST:PORT  measure the SealFS cluster served by this manager\n"
               "  --local DIR          measure the local directory DIR the same way\n"
               "  --files N            empty files to create (default 10000)\n"
               "  --size BYTES         size of the large file, suffix K/M/G (default 1G)\n"
               "  --block BYTES        size of each read and write request (default 1M)\n"
               "  --drop-caches        drop the kernel's caches before each read (root)\n"
               "  --json               print JSON instead of the table\n"
               "  --keep               leave the large file and the directories behind\n",
               argv0);
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "sealfs_bench: %s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--manager") {
      settings.manager = value();
    } else if (arg == "--local") {
      settings.local = value();
    } else if (arg == "--files") {
      char* end = nullptr;
      const char* text = value();
      settings.files = std::strtol(text, &end, 10);
      if (*end != '\0' || settings.files < 1) {
        std::fprintf(stderr, "sealfs_bench: bad --files %s\n", text);
        return 2;
      }
    } else if (arg == "--size" || arg == "--block") {
      const char* text = value();
      uint64_t* out = arg == "--size" ? &settings.size : &settings.block;
      if (!ParseSize(text, out) || *out == 0) {
        std::fprintf(stderr, "sealfs_bench: bad %s %s\n", arg.c_str(), text);
        return 2;
      }
    } else if (arg == "--drop-caches") {
      settings.drop_caches = true;
    } else if (arg == "--json") {
      settings.json = true;
    } else if (arg == "--keep") {
      settings.keep = true;
    } else if (arg == "-h" || arg == "--help") {
      Usage(argv[0]);
      return 0;
    } else {
      std::fprintf(stderr, "sealfs_bench: unknown argument %s\n", arg.c_str());
      Usage(argv[0]);
      return 2;
    }
  }
  if (settings.manager.empty() && settings.local.empty()) {
    Usage(argv[0]);
    return 2;
  }
  if (settings.block > (uint64_t{1} << 30)) {
    std::fprintf(stderr, "sealfs_bench: --block over 1 GiB\n");
    return 2;
  }

  std::vector<Result> results;
  if (!settings.manager.empty()) {
    sealfs_client* client = nullptr;
    const int rc = sealfs_connect(settings.manager.c_str(), nullptr, &client);
    if (rc < 0) Die("SealFS", "connect " + settings.manager, rc);
    SealfsTarget target(settings.manager, client);
    if (!settings.json) std::fprintf(stderr, "measuring %s\n", target.Describe().c_str());
    results.push_back(Run(target, "SealFS", settings));
  }
  if (!settings.local.empty()) {
    LocalTarget target(settings.local);
    if (!settings.json) std::fprintf(stderr, "measuring %s\n", target.Describe().c_str());
    results.push_back(Run(target, "local", settings));
  }
  if (settings.json) {
    PrintJson(settings, results);
  } else {
    PrintTable(settings, results);
  }
  return 0;
}
