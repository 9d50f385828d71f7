#include "placeholder.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "real_calls.h"

namespace sealfs::intercept {
namespace {

constexpr char kMemfdName[] = "sealfs-intercept";
// How /proc/self/fd shows a placeholder.
constexpr std::string_view kMemfdLink = "/memfd:sealfs-intercept (deleted)";
constexpr std::size_t kStateBytes = (sizeof(SharedState) + 4095) / 4096 * 4096;

std::string ProcFdPath(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

// The state in memfd, mapped shared; nullptr (with errno set) when it cannot be mapped.
SharedState* MapMemfd(int memfd) {
  void* address =
      SEALFS_REAL(mmap)(nullptr, kStateBytes, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
  return address == MAP_FAILED ? nullptr : static_cast<SharedState*>(address);
}

bool IsPlaceholderLink(int fd) {
  char link[64];
  ssize_t length = SEALFS_REAL(readlink)(ProcFdPath(fd).c_str(), link, sizeof(link));
  return length == static_cast<ssize_t>(kMemfdLink.size()) &&
         std::string_view(link, length) == kMemfdLink;
}

}  // namespace

int CreatePlaceholder(PlaceholderKind kind, std::string_view sealfs_path, int open_flags,
                      int status_flags, bool close_on_exec, int min_fd, Placeholder* out) {
  if (sealfs_path.size() > SharedState::kMaxPath) return -ENAMETOOLONG;
  int memfd = memfd_create(kMemfdName, MFD_CLOEXEC);
  if (memfd < 0) return -errno;
  SharedState* state = SEALFS_REAL(ftruncate)(memfd, kStateBytes) == 0 ? MapMemfd(memfd) : nullptr;
  int result = state != nullptr ? 0 : -errno;
  int fd = -1;
  if (state != nullptr) {
    // A fresh memfd reads as zeros: only the fields that are not zero are written.
    state->magic = SharedState::kMagic;
    state->version = SharedState::kVersion;
    state->kind = kind;
    state->open_flags = open_flags;
    state->status_flags.store(status_flags);
    state->path_length = static_cast<uint32_t>(sealfs_path.size());
    std::memcpy(state->path, sealfs_path.data(), sealfs_path.size());
    fd = SEALFS_REAL(open)(ProcFdPath(memfd).c_str(), O_PATH | O_CLOEXEC);
    if (fd < 0) result = -errno;
  }
  if (result == 0 && (min_fd > 0 || !close_on_exec)) {
    // Moved to where it was asked for, and without FD_CLOEXEC when exec must pass it on.
    int moved = SEALFS_REAL(fcntl)(fd, close_on_exec ? F_DUPFD_CLOEXEC : F_DUPFD, min_fd);
    if (moved < 0) result = -errno;
    SEALFS_REAL(close)(fd);
    fd = moved;
  }
  SEALFS_REAL(close)(memfd);
  if (result < 0) {
    if (state != nullptr) UnmapState(state);
    return result;
  }
  *out = {fd, state};
  return 0;
}

int MapPlaceholder(int fd, SharedState** out) {
  if (!IsPlaceholderLink(fd)) return -EBADF;
  int memfd = SEALFS_REAL(open)(ProcFdPath(fd).c_str(), O_RDWR | O_CLOEXEC);
  if (memfd < 0) return -errno;
  SharedState* state = MapMemfd(memfd);
  int error = errno;
  SEALFS_REAL(close)(memfd);
  if (state == nullptr) return -error;
  if (state->magic != SharedState::kMagic || state->version != SharedState::kVersion ||
      state->path_length > SharedState::kMaxPath) {
    UnmapState(state);
    return -EBADF;
  }
  *out = state;
  return 0;
}

void UnmapState(SharedState* state) { SEALFS_REAL(munmap)(state, kStateBytes); }

std::vector<int> FindInheritedPlaceholders() {
  std::vector<int> candidates;
  DIR* dir = SEALFS_REAL(opendir)("/proc/self/fd");
  if (dir == nullptr) return candidates;
  const int own = SEALFS_REAL(dirfd)(dir);
  while (struct dirent* entry = SEALFS_REAL(readdir)(dir)) {
    char* end = nullptr;
    long fd = std::strtol(entry->d_name, &end, 10);
    if (end != entry->d_name && *end == '\0' && fd != own)
      candidates.push_back(static_cast<int>(fd));
  }
  SEALFS_REAL(closedir)(dir);
  std::vector<int> found;
  for (int fd : candidates) {
    if (IsPlaceholderLink(fd)) found.push_back(fd);
  }
  return found;
}

}  // namespace sealfs::intercept
