// Target: the file system a benchmark runs on, the SealFS C API against a cluster or any
// directory through POSIX calls (a FUSE mount, a local directory, a path under the interception
// library), so that every target runs the same workload through the same code.
//
// Every call returns >= 0 or a negated errno, as the SealFS C API does. Paths are relative to the
// target's root ("sealfs-bench-123/ior-easy/p0"). Thread-safe: threads of one process share it.
#pragma once

#include <sealfs/sealfs.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>

namespace sealfs::bench {

class Target {
 public:
  virtual ~Target() = default;
  [[nodiscard]] virtual std::string Describe() const = 0;
  virtual int Open(const std::string& path, int flags, mode_t mode) = 0;
  virtual int Close(int fd) = 0;
  virtual ssize_t Pwrite(int fd, const void* buf, size_t count, off_t offset) = 0;
  virtual ssize_t Pread(int fd, void* buf, size_t count, off_t offset) = 0;
  virtual int Fsync(int fd) = 0;
  virtual int Mkdir(const std::string& path) = 0;
  virtual int Rmdir(const std::string& path) = 0;
  virtual int Unlink(const std::string& path) = 0;
  virtual int Stat(const std::string& path, struct stat* st) = 0;
  // Calls `entry` with the name and whether it is a directory, for every entry but "." and "..".
  virtual int List(const std::string& path,
                   const std::function<void(const std::string& name, bool is_dir)>& entry) = 0;
};

// A cluster through libsealfs: one client for the process, connected on construction.
// Returns nullptr and fills *error (a negated errno) when the manager cannot be reached.
std::unique_ptr<Target> ConnectToCluster(const std::string& manager_address, int* error);

// A directory through POSIX calls.
std::unique_ptr<Target> OpenDirectory(const std::string& root);

}  // namespace sealfs::bench
