// The interception's state in one process: the configuration read from the environment, the
// lazily connected SealFS client, the SealFS descriptors (FdTable), the virtual working
// directory, and what fork and exec change about them.
//
// Thread-safe. One instance per process (Instance()), never destroyed, because programs call
// into this library until the very end of exit.
#pragma once

#include <fcntl.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "fd_table.h"
#include "open_file.h"
#include "path_translation.h"
#include "sealfs/sealfs.h"

namespace sealfs::intercept {

// Where a path argument leads.
struct Resolved {
  enum class Where { kSystem, kSealfs, kError };
  Where where = Where::kSystem;
  int error = 0;           // kError: the errno
  std::string path;        // kSealfs: the SealFS path; kSystem: the rewritten path, if rewritten
  bool rewritten = false;  // kSystem: path replaces the caller's (it left the virtual cwd)
  const char* original = nullptr;
  int original_dirfd = AT_FDCWD;

  // What to pass to the system call for kSystem.
  [[nodiscard]] const char* system_path() const { return rewritten ? path.c_str() : original; }
  [[nodiscard]] int system_dirfd() const { return rewritten ? AT_FDCWD : original_dirfd; }
};

class Session {
 public:
  static Session& Instance();

  // False when SEALFS_PREFIX is not set (or not usable): every call goes to the system.
  [[nodiscard]] bool enabled() const { return translator_.has_value(); }
  [[nodiscard]] const PathTranslator& translator() const { return *translator_; }
  FdTable<OpenFile>& files() { return files_; }

  // The open file behind fd, or nullptr for a descriptor of the system.
  std::shared_ptr<OpenFile> Lookup(int fd) const { return enabled() ? files_.Get(fd) : nullptr; }

  // Where (dirfd, path) of an *at call leads (AT_FDCWD for the plain calls).
  Resolved Resolve(int dirfd, const char* path);

  // The client, connected on first use. Returns 0 or -errno (-EHOSTUNREACH, -EIO); *generation
  // (optional) tells clients apart: it changes in a child after fork.
  int Connect(sealfs_client** client, uint64_t* generation = nullptr);
  [[nodiscard]] uint64_t generation() const { return generation_.load(); }

  // The virtual working directory (a SealFS path) while the program's cwd is under the prefix.
  std::optional<std::string> WorkingDirectory() const;
  // Enters a SealFS directory (already checked to be one) or, with nullopt, leaves SealFS.
  // Returns 0 or -errno.
  int SetWorkingDirectory(std::optional<std::string> sealfs_path);

  // The umask, which this library applies to the modes of what it creates in SealFS.
  [[nodiscard]] mode_t umask() const { return umask_.load(); }
  void set_umask(mode_t mask) { umask_.store(mask); }

  // False in a child of vfork (or of clone sharing memory) before its exec: it shares the
  // parent's memory, so it must change nothing here.
  [[nodiscard]] bool OwnsState() const;

  // Library constructor and destructor.
  void Start();
  void Finish();

  // pthread_atfork handlers.
  void BeforeFork();
  void AfterForkInParent();
  void AfterForkInChild();

 private:
  Session();
  void AdoptInheritedPlaceholders();

  std::optional<PathTranslator> translator_;
  std::string manager_address_;
  FdTable<OpenFile> files_;
  std::atomic<mode_t> umask_{022};
  std::atomic<pid_t> owner_pid_{0};
  std::atomic<uint64_t> generation_{1};

  mutable std::mutex client_mutex_;
  sealfs_client* client_ = nullptr;                     // guarded by client_mutex_
  bool finished_ = false;                               // guarded by client_mutex_
  bool warned_ = false;                                 // guarded by client_mutex_
  int last_error_ = 0;                                  // guarded by client_mutex_
  std::chrono::steady_clock::time_point last_failure_;  // guarded by client_mutex_

  mutable std::mutex cwd_mutex_;
  std::optional<std::string> cwd_;        // guarded by cwd_mutex_
  std::shared_ptr<OpenFile> cwd_marker_;  // guarded by cwd_mutex_: passes cwd_ on through exec
  int cwd_marker_fd_ = -1;                // guarded by cwd_mutex_
};

// Sets errno from a negative result and returns -1; returns a result >= 0 as it is.
template <typename Result>
Result ToPosix(Result result) {
  if (result < 0) {
    errno = static_cast<int>(-result);
    return -1;
  }
  return result;
}

}  // namespace sealfs::intercept
