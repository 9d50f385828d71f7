// Hooks for descriptors: opening, closing, reading and writing, offsets, duplication, and the
// calls that would reach the placeholder itself (mmap, ioctl, in-kernel copies).
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdarg>
#include <cstring>
#include <optional>
#include <vector>

#include "hooks.h"

namespace sealfs::intercept {
namespace {

// The flags SealFS takes from open(2) (others are ignored by it or mean nothing there).
constexpr int kSealfsOpenFlags =
    O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | O_SYNC | O_DSYNC | O_DIRECTORY | O_NOFOLLOW;
// What F_GETFL reports and F_SETFL may change, as Linux.
constexpr int kStatusFlags =
    O_ACCMODE | O_APPEND | O_NONBLOCK | O_SYNC | O_DSYNC | O_DIRECT | O_NOATIME | O_PATH;
constexpr int kSettableStatusFlags = O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME | O_ASYNC;

// The mode argument of open, present only with O_CREAT or O_TMPFILE. `args` was started by the
// caller (the analyzer cannot see through the call).
mode_t ModeArgument(int flags, va_list args) {
  bool has_mode = (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE;
  return has_mode ? va_arg(args, mode_t) : 0;  // NOLINT(clang-analyzer-valist.Uninitialized)
}

int OpenAt(int dirfd, const char* path, int flags, mode_t mode) {
  return OnPath(
      dirfd, path,
      [&](const Resolved& resolved) {
        return SEALFS_REAL(openat)(resolved.system_dirfd(), resolved.system_path(), flags, mode);
      },
      [&](sealfs_client* /*client*/, const char* sealfs_path) {
        return OpenSealfs(sealfs_path, flags, mode);
      });
}

// readv and friends: one SealFS call through one buffer, so that the call stays one step.
ssize_t ReadVector(OpenFile& file, const struct iovec* iov, int iovcnt,
                   std::optional<off_t> offset) {
  if (iovcnt < 0 || iovcnt > IOV_MAX) return -EINVAL;
  std::size_t total = 0;
  for (int k = 0; k < iovcnt; ++k) total += iov[k].iov_len;
  std::vector<char> buffer(total);
  ssize_t done =
      offset ? file.Pread(buffer.data(), total, *offset) : file.Read(buffer.data(), total);
  std::size_t copied = 0;
  for (int k = 0; k < iovcnt && done > 0 && copied < static_cast<std::size_t>(done); ++k) {
    std::size_t piece = std::min(iov[k].iov_len, static_cast<std::size_t>(done) - copied);
    std::memcpy(iov[k].iov_base, buffer.data() + copied, piece);
    copied += piece;
  }
  return done;
}

ssize_t WriteVector(OpenFile& file, const struct iovec* iov, int iovcnt,
                    std::optional<off_t> offset) {
  if (iovcnt < 0 || iovcnt > IOV_MAX) return -EINVAL;
  std::vector<char> buffer;
  for (int k = 0; k < iovcnt; ++k) {
    const char* base = static_cast<const char*>(iov[k].iov_base);
    buffer.insert(buffer.end(), base, base + iov[k].iov_len);
  }
  return offset ? file.Pwrite(buffer.data(), buffer.size(), *offset)
                : file.Write(buffer.data(), buffer.size());
}

// preadv2/pwritev2: offset -1 is the file offset; no RWF_* flag means anything to SealFS.
std::optional<off_t> Offset2(off_t offset) {
  return offset == -1 ? std::nullopt : std::optional<off_t>(offset);
}

// Makes newfd stand for what oldfd stands for after the system duplicated it.
int RecordDuplicate(const std::shared_ptr<OpenFile>& file, int newfd) {
  if (newfd >= 0 && Session::Instance().OwnsState()) Session::Instance().files().Set(newfd, file);
  return newfd;
}

int Dup2(int oldfd, int newfd, int flags, bool dup3) {
  Session& session = Session::Instance();
  std::shared_ptr<OpenFile> file = session.Lookup(oldfd);
  std::shared_ptr<OpenFile> replaced = session.Lookup(newfd);
  int result = dup3 ? SEALFS_REAL(dup3)(oldfd, newfd, flags) : SEALFS_REAL(dup2)(oldfd, newfd);
  if (result < 0 || oldfd == newfd || (!file && !replaced) || !session.OwnsState()) return result;
  // `replaced` (if any) is closed here, when its last descriptor went.
  session.files().Set(newfd, file);
  return result;
}

int Fcntl(int fd, int cmd, void* arg) {
  std::shared_ptr<OpenFile> file = Session::Instance().Lookup(fd);
  if (!file) return SEALFS_REAL(fcntl)(fd, cmd, arg);
  SharedState& state = file->state();
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
      return RecordDuplicate(file, SEALFS_REAL(fcntl)(fd, cmd, arg));
    case F_GETFL:
      return state.status_flags.load();
    case F_SETFL: {
      int wanted = static_cast<int>(reinterpret_cast<intptr_t>(arg));
      int flags = state.status_flags.load();
      state.status_flags.store((flags & ~kSettableStatusFlags) | (wanted & kSettableStatusFlags));
      return 0;
    }
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
      return ToPosix(-EOPNOTSUPP);  // no locks in SealFS yet
    default:
      return SEALFS_REAL(fcntl)(fd, cmd, arg);  // F_GETFD, F_SETFD: the placeholder's
  }
}

// fallocate and posix_fallocate (mode 0): SealFS's own, on the SealFS descriptor.
int Allocate(OpenFile& file, int mode, off_t offset, off_t length) {
  sealfs_client* client = nullptr;
  int fd = file.Descriptor(&client);
  return fd < 0 ? fd : sealfs_fallocate(client, fd, mode, offset, length);
}
}  // namespace

int OpenSealfs(const std::string& sealfs_path, int flags, mode_t mode) {
  if ((flags & O_TMPFILE) == O_TMPFILE) return -EOPNOTSUPP;
  Session& session = Session::Instance();
  sealfs_client* client = nullptr;
  uint64_t generation = 0;
  int result = session.Connect(&client, &generation);
  if (result < 0) return result;
  PlaceholderKind kind = PlaceholderKind::kFile;
  int open_flags = flags & kSealfsOpenFlags;
  int sealfs_fd = -1;
  uint32_t file_type = (flags & O_DIRECTORY) != 0 ? S_IFDIR : 0;
  if ((flags & O_PATH) != 0) {
    struct stat st {};
    result = (flags & O_NOFOLLOW) != 0 ? sealfs_lstat(client, sealfs_path.c_str(), &st)
                                       : sealfs_stat(client, sealfs_path.c_str(), &st);
    if (result < 0) return result;
    if ((flags & O_DIRECTORY) != 0 && !S_ISDIR(st.st_mode)) return -ENOTDIR;
    kind = PlaceholderKind::kPathOnly;
    file_type = st.st_mode & S_IFMT;
  } else {
    sealfs_fd = sealfs_open(client, sealfs_path.c_str(), open_flags, mode & ~session.umask());
    if (sealfs_fd < 0) return sealfs_fd;
  }
  Placeholder placeholder;
  result = CreatePlaceholder(kind, sealfs_path, open_flags & ~(O_CREAT | O_EXCL | O_TRUNC),
                             flags & kStatusFlags, (flags & O_CLOEXEC) != 0, 0, &placeholder);
  if (result < 0) {
    if (sealfs_fd >= 0) sealfs_close(client, sealfs_fd);
    return result;
  }
  placeholder.state->file_type.store(file_type);
  session.files().Set(placeholder.fd,
                      std::make_shared<OpenFile>(placeholder.state, sealfs_fd, generation));
  return placeholder.fd;
}

int CloseDescriptor(int fd) {
  Session& session = Session::Instance();
  std::shared_ptr<OpenFile> file = session.Lookup(fd);
  if (!file || !session.OwnsState()) return SEALFS_REAL(close)(fd);
  // Out of the table before the number is free for the system to give out again.
  session.files().Remove(fd);
  return SEALFS_REAL(close)(fd);
}

}  // namespace sealfs::intercept

using sealfs::intercept::CloseDescriptor;
using sealfs::intercept::OnFd;
using sealfs::intercept::OpenAt;
using sealfs::intercept::OpenFile;
using sealfs::intercept::Session;
using sealfs::intercept::ToPosix;

#pragma GCC visibility push(default)
extern "C" {

int open(const char* path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  mode_t mode = sealfs::intercept::ModeArgument(flags, args);
  va_end(args);
  return OpenAt(AT_FDCWD, path, flags, mode);
}

int openat(int dirfd, const char* path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  mode_t mode = sealfs::intercept::ModeArgument(flags, args);
  va_end(args);
  return OpenAt(dirfd, path, flags, mode);
}

// The fortified entry points (_FORTIFY_SOURCE), used when the mode is known to be absent.
// NOLINTBEGIN(bugprone-reserved-identifier): the C library's names
int __open_2(const char* path, int flags) { return OpenAt(AT_FDCWD, path, flags, 0); }
int __openat_2(int dirfd, const char* path, int flags) { return OpenAt(dirfd, path, flags, 0); }
// NOLINTEND(bugprone-reserved-identifier)

int creat(const char* path, mode_t mode) {
  return OpenAt(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}
int close(int fd) { return CloseDescriptor(fd); }

int close_range(unsigned int first, unsigned int last, int flags) noexcept {
  Session& session = Session::Instance();
  if ((flags & CLOSE_RANGE_CLOEXEC) == 0 && session.enabled() && session.OwnsState()) {
    int high = last > static_cast<unsigned int>(INT_MAX) ? INT_MAX : static_cast<int>(last);
    session.files().RemoveRange(
        static_cast<int>(std::min(first, static_cast<unsigned int>(INT_MAX))), high);
  }
  return SEALFS_REAL(close_range)(first, last, flags);
}

void closefrom(int lowfd) noexcept {
  Session& session = Session::Instance();
  if (session.enabled() && session.OwnsState()) session.files().RemoveRange(lowfd, INT_MAX);
  SEALFS_REAL(closefrom)(lowfd);
}

ssize_t read(int fd, void* buf, size_t count) {
  return OnFd(
      fd, [&](OpenFile& file) { return file.Read(buf, count); },
      [&] { return SEALFS_REAL(read)(fd, buf, count); });
}

ssize_t write(int fd, const void* buf, size_t count) {
  return OnFd(
      fd, [&](OpenFile& file) { return file.Write(buf, count); },
      [&] { return SEALFS_REAL(write)(fd, buf, count); });
}

ssize_t pread(int fd, void* buf, size_t count, off_t offset) {
  return OnFd(
      fd, [&](OpenFile& file) { return file.Pread(buf, count, offset); },
      [&] { return SEALFS_REAL(pread)(fd, buf, count, offset); });
}

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  return OnFd(
      fd, [&](OpenFile& file) { return file.Pwrite(buf, count, offset); },
      [&] { return SEALFS_REAL(pwrite)(fd, buf, count, offset); });
}

ssize_t readv(int fd, const struct iovec* iov, int iovcnt) {
  return OnFd(
      fd, [&](OpenFile& file) { return sealfs::intercept::ReadVector(file, iov, iovcnt, {}); },
      [&] { return SEALFS_REAL(readv)(fd, iov, iovcnt); });
}

ssize_t writev(int fd, const struct iovec* iov, int iovcnt) {
  return OnFd(
      fd, [&](OpenFile& file) { return sealfs::intercept::WriteVector(file, iov, iovcnt, {}); },
      [&] { return SEALFS_REAL(writev)(fd, iov, iovcnt); });
}

ssize_t preadv(int fd, const struct iovec* iov, int iovcnt, off_t offset) {
  return OnFd(
      fd, [&](OpenFile& file) { return sealfs::intercept::ReadVector(file, iov, iovcnt, offset); },
      [&] { return SEALFS_REAL(preadv)(fd, iov, iovcnt, offset); });
}

ssize_t pwritev(int fd, const struct iovec* iov, int iovcnt, off_t offset) {
  return OnFd(
      fd, [&](OpenFile& file) { return sealfs::intercept::WriteVector(file, iov, iovcnt, offset); },
      [&] { return SEALFS_REAL(pwritev)(fd, iov, iovcnt, offset); });
}

ssize_t preadv2(int fd, const struct iovec* iov, int iovcnt, off_t offset, int flags) {
  return OnFd(
      fd,
      [&](OpenFile& file) {
        return sealfs::intercept::ReadVector(file, iov, iovcnt, sealfs::intercept::Offset2(offset));
      },
      [&] { return SEALFS_REAL(preadv2)(fd, iov, iovcnt, offset, flags); });
}

ssize_t pwritev2(int fd, const struct iovec* iov, int iovcnt, off_t offset, int flags) {
  return OnFd(
      fd,
      [&](OpenFile& file) {
        return sealfs::intercept::WriteVector(file, iov, iovcnt,
                                              sealfs::intercept::Offset2(offset));
      },
      [&] { return SEALFS_REAL(pwritev2)(fd, iov, iovcnt, offset, flags); });
}

off_t lseek(int fd, off_t offset, int whence) noexcept {
  return OnFd(
      fd, [&](OpenFile& file) { return file.Seek(offset, whence); },
      [&] { return SEALFS_REAL(lseek)(fd, offset, whence); });
}

int fsync(int fd) {
  return OnFd(
      fd,
      [&](OpenFile& file) {
        sealfs_client* client = nullptr;
        int sealfs_fd = file.Descriptor(&client);
        return sealfs_fd < 0 ? sealfs_fd : sealfs_fsync(client, sealfs_fd);
      },
      [&] { return SEALFS_REAL(fsync)(fd); });
}

int fdatasync(int fd) {
  if (Session::Instance().Lookup(fd)) return fsync(fd);
  return SEALFS_REAL(fdatasync)(fd);
}

int ftruncate(int fd, off_t length) noexcept {
  return OnFd(
      fd,
      [&](OpenFile& file) {
        sealfs_client* client = nullptr;
        int sealfs_fd = file.Descriptor(&client);
        return sealfs_fd < 0 ? sealfs_fd : sealfs_ftruncate(client, sealfs_fd, length);
      },
      [&] { return SEALFS_REAL(ftruncate)(fd, length); });
}

int dup(int oldfd) noexcept {
  std::shared_ptr<OpenFile> file = Session::Instance().Lookup(oldfd);
  int newfd = SEALFS_REAL(dup)(oldfd);
  return file ? sealfs::intercept::RecordDuplicate(file, newfd) : newfd;
}

int dup2(int oldfd, int newfd) noexcept { return sealfs::intercept::Dup2(oldfd, newfd, 0, false); }

int dup3(int oldfd, int newfd, int flags) noexcept {
  return sealfs::intercept::Dup2(oldfd, newfd, flags, true);
}

int fcntl(int fd, int cmd, ...) {
  va_list args;
  va_start(args, cmd);
  void* arg = va_arg(args, void*);  // as the C library reads it: every argument fits
  va_end(args);
  return sealfs::intercept::Fcntl(fd, cmd, arg);
}

// Mapping needs pages the kernel can fill: SealFS files cannot be mapped.
void* mmap(void* address, size_t length, int protection, int flags, int fd, off_t offset) noexcept {
  if (fd >= 0 && Session::Instance().Lookup(fd)) {
    errno = ENODEV;
    return MAP_FAILED;
  }
  return SEALFS_REAL(mmap)(address, length, protection, flags, fd, offset);
}

int ioctl(int fd, unsigned long request, ...) noexcept {
  va_list args;
  va_start(args, request);
  void* arg = va_arg(args, void*);
  va_end(args);
  if (Session::Instance().Lookup(fd)) return ToPosix(-ENOTTY);
  return SEALFS_REAL(ioctl)(fd, request, arg);
}

// In-kernel copies cannot see SealFS data: the errors make programs fall back to read/write.
ssize_t copy_file_range(int infd, off64_t* inoffset, int outfd, off64_t* outoffset, size_t length,
                        unsigned int flags) {
  Session& session = Session::Instance();
  if (session.Lookup(infd) || session.Lookup(outfd)) return ToPosix<ssize_t>(-EXDEV);
  return SEALFS_REAL(copy_file_range)(infd, inoffset, outfd, outoffset, length, flags);
}

ssize_t sendfile(int outfd, int infd, off_t* offset, size_t count) noexcept {
  Session& session = Session::Instance();
  if (session.Lookup(infd) || session.Lookup(outfd)) return ToPosix<ssize_t>(-EINVAL);
  return SEALFS_REAL(sendfile)(outfd, infd, offset, count);
}

ssize_t splice(int infd, off64_t* inoffset, int outfd, off64_t* outoffset, size_t length,
               unsigned int flags) {
  Session& session = Session::Instance();
  if (session.Lookup(infd) || session.Lookup(outfd)) return ToPosix<ssize_t>(-EINVAL);
  return SEALFS_REAL(splice)(infd, inoffset, outfd, outoffset, length, flags);
}

// Advice means nothing to SealFS (no cache, no read-ahead).
int posix_fadvise(int fd, off_t offset, off_t length, int advice) noexcept {
  if (Session::Instance().Lookup(fd)) return 0;
  return SEALFS_REAL(posix_fadvise)(fd, offset, length, advice);
}

int fallocate(int fd, int mode, off_t offset, off_t length) {
  return OnFd(
      fd, [&](OpenFile& file) { return sealfs::intercept::Allocate(file, mode, offset, length); },
      [&] { return SEALFS_REAL(fallocate)(fd, mode, offset, length); });
}

// Returns an error number, not -1 with errno, as POSIX says.
int posix_fallocate(int fd, off_t offset, off_t length) {
  if (std::shared_ptr<OpenFile> file = Session::Instance().Lookup(fd)) {
    return -sealfs::intercept::Allocate(*file, 0, offset, length);
  }
  return SEALFS_REAL(posix_fallocate)(fd, offset, length);
}

int flock(int fd, int operation) noexcept {
  if (Session::Instance().Lookup(fd)) return ToPosix(-EOPNOTSUPP);  // no locks in SealFS yet
  return SEALFS_REAL(flock)(fd, operation);
}

int isatty(int fd) noexcept {
  if (Session::Instance().Lookup(fd)) {
    errno = ENOTTY;
    return 0;
  }
  return SEALFS_REAL(isatty)(fd);
}

// The *64 names: off64_t is off_t on x86-64, so each is the plain function under another name.
#define SEALFS_SAME_AS(function) __attribute__((alias(#function)))
int open64(const char* path, int flags, ...) SEALFS_SAME_AS(open);
int openat64(int dirfd, const char* path, int flags, ...) SEALFS_SAME_AS(openat);
// NOLINTBEGIN(bugprone-reserved-identifier)
int __open64_2(const char* path, int flags) SEALFS_SAME_AS(__open_2);
int __openat64_2(int dirfd, const char* path, int flags) SEALFS_SAME_AS(__openat_2);
// NOLINTEND(bugprone-reserved-identifier)
int creat64(const char* path, mode_t mode) SEALFS_SAME_AS(creat);
ssize_t pread64(int fd, void* buf, size_t count, off64_t offset) SEALFS_SAME_AS(pread);
ssize_t pwrite64(int fd, const void* buf, size_t count, off64_t offset) SEALFS_SAME_AS(pwrite);
ssize_t preadv64(int fd, const struct iovec* iov, int iovcnt, off64_t offset)
    SEALFS_SAME_AS(preadv);
ssize_t pwritev64(int fd, const struct iovec* iov, int iovcnt, off64_t offset)
    SEALFS_SAME_AS(pwritev);
ssize_t preadv64v2(int fd, const struct iovec* iov, int iovcnt, off64_t offset, int flags)
    SEALFS_SAME_AS(preadv2);
ssize_t pwritev64v2(int fd, const struct iovec* iov, int iovcnt, off64_t offset, int flags)
    SEALFS_SAME_AS(pwritev2);
off64_t lseek64(int fd, off64_t offset, int whence) noexcept SEALFS_SAME_AS(lseek);
int ftruncate64(int fd, off64_t length) noexcept SEALFS_SAME_AS(ftruncate);
int fcntl64(int fd, int cmd, ...) SEALFS_SAME_AS(fcntl);
void* mmap64(void* address, size_t length, int protection, int flags, int fd,
             off64_t offset) noexcept SEALFS_SAME_AS(mmap);
ssize_t sendfile64(int outfd, int infd, off64_t* offset, size_t count) noexcept
    SEALFS_SAME_AS(sendfile);
int posix_fadvise64(int fd, off64_t offset, off64_t length, int advice) noexcept
    SEALFS_SAME_AS(posix_fadvise);
int fallocate64(int fd, int mode, off64_t offset, off64_t length) SEALFS_SAME_AS(fallocate);
int posix_fallocate64(int fd, off64_t offset, off64_t length) SEALFS_SAME_AS(posix_fallocate);

}  // extern "C"
#pragma GCC visibility pop
