// Placeholders: the real descriptors that stand for SealFS open files in the process.
//
// Each SealFS open gets a memfd holding a SharedState (path, flags, offset), and the program gets
// an O_PATH descriptor of that memfd. So:
// - the number is a real descriptor: nothing the system opens can take it, and close, dup, fork
//   and FD_CLOEXEC treat it as they treat any descriptor;
// - every call this library does not intercept fails on it with EBADF instead of touching some
//   other file, and the kernel sees no file at the prefix;
// - the state is shared, as an open file description is, by every descriptor dup'ed from it, in
//   this process, in children after fork and in programs after exec, which find their inherited
//   placeholders by the memfd's name and map the state again.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string_view>
#include <vector>

namespace sealfs::intercept {

// What a placeholder stands for.
enum class PlaceholderKind : uint32_t {
  kFile = 1,              // a SealFS open file or directory
  kPathOnly = 2,          // an O_PATH open: a name to use with *at calls and fstat only
  kWorkingDirectory = 3,  // the SealFS working directory, kept open so that exec passes it on
};

// Lives in the memfd, shared between processes: only lock-free atomics change after creation.
struct SharedState {
  static constexpr uint64_t kMagic = 0x5345414c46534943;  // "SEALFSIC"
  static constexpr uint32_t kVersion = 1;
  static constexpr std::size_t kMaxPath = 4096;

  uint64_t magic;
  uint32_t version;
  PlaceholderKind kind;
  int32_t open_flags;                 // the flags SealFS was opened with (O_CREAT etc. removed)
  std::atomic<int32_t> status_flags;  // what F_GETFL reports; F_SETFL changes O_APPEND, O_NONBLOCK
  std::atomic<int64_t> offset;        // the file offset, shared as an open file description's
  std::atomic<uint32_t> file_type;    // S_IFMT bits once known, 0 before
  uint32_t path_length;
  char path[kMaxPath + 1];  // the SealFS path, NUL-terminated
};
static_assert(std::atomic<int64_t>::is_always_lock_free &&
              std::atomic<int32_t>::is_always_lock_free);

struct Placeholder {
  int fd = -1;                   // the O_PATH descriptor the program gets
  SharedState* state = nullptr;  // mapped shared; release with UnmapState
};

// Makes a placeholder; the descriptor is the lowest free one at or above `min_fd` (0: the lowest
// of all, as open gives). Returns 0 or -errno.
int CreatePlaceholder(PlaceholderKind kind, std::string_view sealfs_path, int open_flags,
                      int status_flags, bool close_on_exec, int min_fd, Placeholder* out);

// Maps the state of an inherited placeholder; -EBADF when fd is not one.
int MapPlaceholder(int fd, SharedState** out);

void UnmapState(SharedState* state);

// The descriptors of this process that are placeholders (by their memfd's name), for a program
// that has just been exec'ed.
std::vector<int> FindInheritedPlaceholders();

}  // namespace sealfs::intercept
