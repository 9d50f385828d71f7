// Hooks for directory streams and getdents64. A SealFS DIR* is this library's own object; the C
// library's readdir never sees it. Both read the listing of the open directory behind the
// descriptor, so that dirfd(), *at calls and fchdir work on it as on any directory.
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <unordered_set>

#include "hooks.h"

namespace sealfs::intercept {
namespace {

static_assert(sizeof(struct dirent) == sizeof(struct dirent64), "dirent64 is dirent on this ABI");

struct SealfsDir {
  int fd;
  std::shared_ptr<OpenFile> file;
  struct dirent entry;
};

// The DIR* handed out for SealFS directories. Thread-safe; empty() costs one atomic load, so
// that a program with no SealFS directory open pays nothing else.
class DirRegistry {
 public:
  DIR* Add(SealfsDir* dir) {
    std::lock_guard lock(mutex_);
    dirs_.insert(dir);
    count_.store(dirs_.size());
    return reinterpret_cast<DIR*>(dir);
  }

  SealfsDir* Find(DIR* dir) const {
    if (count_.load() == 0) return nullptr;
    auto* candidate = reinterpret_cast<SealfsDir*>(dir);
    std::lock_guard lock(mutex_);
    return dirs_.contains(candidate) ? candidate : nullptr;
  }

  void Remove(SealfsDir* dir) {
    std::lock_guard lock(mutex_);
    dirs_.erase(dir);
    count_.store(dirs_.size());
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_set<SealfsDir*> dirs_;  // guarded by mutex_
  std::atomic<std::size_t> count_{0};
};

DirRegistry& Registry() {
  static auto* registry = new DirRegistry();  // never destroyed: used until exit ends
  return *registry;
}

DIR* OpenDirectoryStream(int fd, const std::shared_ptr<OpenFile>& file) {
  int directory = file->IsDirectory();
  if (directory <= 0) {
    errno = directory < 0 ? -directory : ENOTDIR;
    return nullptr;
  }
  return Registry().Add(new SealfsDir{fd, file, {}});
}

// readdir and readdir64: the entry lives in the stream, as the C library's does.
// At the end errno stays as the caller left it: that is how the end is told from an error.
struct dirent* ReadEntry(SealfsDir* dir) {
  ErrnoKeeper keeper;
  int result = keeper.Report(dir->file->NextEntry(&dir->entry));
  return result == 1 ? &dir->entry : nullptr;
}

int ReadEntryInto(SealfsDir* dir, struct dirent* entry, struct dirent** out) {
  ErrnoKeeper keeper;
  int result = dir->file->NextEntry(entry);
  keeper.Report(0);
  *out = result == 1 ? entry : nullptr;
  return result < 0 ? -result : 0;
}

// The record getdents64 returns (struct linux_dirent64 of the kernel).
struct LinuxDirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[1];
};

ssize_t ReadRecords(OpenFile& file, char* buffer, std::size_t size) {
  int directory = file.IsDirectory();
  if (directory <= 0) return directory < 0 ? directory : -ENOTDIR;
  std::size_t used = 0;
  struct dirent entry {};
  for (;;) {
    int result = file.NextEntry(&entry);
    if (result < 0) return used > 0 ? static_cast<ssize_t>(used) : result;
    if (result == 0) break;
    std::size_t name_length = std::strlen(entry.d_name);
    std::size_t record = (offsetof(LinuxDirent64, d_name) + name_length + 1 + 7) / 8 * 8;
    if (used + record > size) {
      file.UnreadEntry(entry);
      if (used == 0) return -EINVAL;  // as the kernel: the buffer holds not even one entry
      break;
    }
    auto* out = reinterpret_cast<LinuxDirent64*>(buffer + used);
    out->d_ino = entry.d_ino;
    out->d_off = entry.d_off;
    out->d_reclen = static_cast<unsigned short>(record);
    out->d_type = entry.d_type;
    std::memcpy(out->d_name, entry.d_name, name_length + 1);
    used += record;
  }
  return static_cast<ssize_t>(used);
}

}  // namespace
}  // namespace sealfs::intercept

using sealfs::intercept::OnPath;
using sealfs::intercept::OpenFile;
using sealfs::intercept::Registry;
using sealfs::intercept::Resolved;
using sealfs::intercept::SealfsDir;
using sealfs::intercept::Session;

#pragma GCC visibility push(default)
extern "C" {

DIR* fdopendir(int fd) {
  if (std::shared_ptr<OpenFile> file = Session::Instance().Lookup(fd)) {
    return sealfs::intercept::OpenDirectoryStream(fd, file);
  }
  return SEALFS_REAL(fdopendir)(fd);
}

DIR* opendir(const char* path) {
  Resolved resolved = Session::Instance().Resolve(AT_FDCWD, path);
  if (resolved.where == Resolved::Where::kSystem) {
    return SEALFS_REAL(opendir)(resolved.system_path());
  }
  int fd =
      resolved.where == Resolved::Where::kError
          ? -resolved.error
          : sealfs::intercept::OpenSealfs(resolved.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd < 0) {
    errno = -fd;
    return nullptr;
  }
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    int error = errno;
    sealfs::intercept::CloseDescriptor(fd);
    errno = error;
  }
  return dir;
}

struct dirent* readdir(DIR* dir) {
  if (SealfsDir* own = Registry().Find(dir)) return sealfs::intercept::ReadEntry(own);
  return SEALFS_REAL(readdir)(dir);
}

struct dirent64* readdir64(DIR* dir) {
  if (SealfsDir* own = Registry().Find(dir)) {
    return reinterpret_cast<struct dirent64*>(sealfs::intercept::ReadEntry(own));
  }
  return SEALFS_REAL(readdir64)(dir);
}

int readdir_r(DIR* dir, struct dirent* entry, struct dirent** result) {
  if (SealfsDir* own = Registry().Find(dir)) {
    return sealfs::intercept::ReadEntryInto(own, entry, result);
  }
  using ReaddirR = int(DIR*, struct dirent*, struct dirent**);  // deprecated, still called
  return SEALFS_REAL_TYPED(readdir_r, ReaddirR)(dir, entry, result);
}

int readdir64_r(DIR* dir, struct dirent64* entry, struct dirent64** result) {
  if (SealfsDir* own = Registry().Find(dir)) {
    return sealfs::intercept::ReadEntryInto(own, reinterpret_cast<struct dirent*>(entry),
                                            reinterpret_cast<struct dirent**>(result));
  }
  using Readdir64R = int(DIR*, struct dirent64*, struct dirent64**);
  return SEALFS_REAL_TYPED(readdir64_r, Readdir64R)(dir, entry, result);
}

int closedir(DIR* dir) {
  if (SealfsDir* own = Registry().Find(dir)) {
    Registry().Remove(own);
    int fd = own->fd;
    delete own;
    return sealfs::intercept::CloseDescriptor(fd);
  }
  return SEALFS_REAL(closedir)(dir);
}

int dirfd(DIR* dir) noexcept {
  if (SealfsDir* own = Registry().Find(dir)) return own->fd;
  return SEALFS_REAL(dirfd)(dir);
}

void rewinddir(DIR* dir) noexcept {
  if (SealfsDir* own = Registry().Find(dir)) {
    own->file->SeekListing(0);
    return;
  }
  SEALFS_REAL(rewinddir)(dir);
}

long telldir(DIR* dir) noexcept {
  if (SealfsDir* own = Registry().Find(dir)) return static_cast<long>(own->file->TellListing());
  return SEALFS_REAL(telldir)(dir);
}

void seekdir(DIR* dir, long position) noexcept {
  if (SealfsDir* own = Registry().Find(dir)) {
    own->file->SeekListing(position);
    return;
  }
  SEALFS_REAL(seekdir)(dir, position);
}

ssize_t getdents64(int fd, void* buffer, size_t size) noexcept {
  return sealfs::intercept::OnFd(
      fd,
      [&](OpenFile& file) {
        return sealfs::intercept::ReadRecords(file, static_cast<char*>(buffer), size);
      },
      [&] { return SEALFS_REAL(getdents64)(fd, buffer, size); });
}

}  // extern "C"
#pragma GCC visibility pop
