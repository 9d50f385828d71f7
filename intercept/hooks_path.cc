// Hooks for calls by path (and their f* and *at forms): the stat family, the namespace
// (mkdir, unlink, rename, links), attributes, extended attributes, file-system statistics, the
// working directory and realpath.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <utime.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>

#include "hooks.h"

namespace sealfs::intercept {
namespace {

static_assert(sizeof(struct stat) == sizeof(struct stat64), "stat64 is stat on this ABI");

constexpr long kSealfsStatfsMagic = 0x5EA1F5;  // f_type, as SealFS's st_dev

// stat, lstat, fstatat, statx: what SealFS reports goes through fill(const struct stat&);
// system(dirfd, path) makes the system call.
template <typename Fill, typename System>
int StatAt(int dirfd, const char* path, int flags, Fill fill, System system) {
  auto stat_and_fill = [&](auto&& stat_call) {
    struct stat st {};
    int result = stat_call(&st);
    if (result == 0) fill(st);
    return result;
  };
  if ((flags & AT_EMPTY_PATH) != 0 && path != nullptr && path[0] == '\0') {
    return OnFd(
        dirfd,
        [&](OpenFile& file) {
          return stat_and_fill([&](struct stat* st) { return file.Stat(st); });
        },
        [&] { return system(dirfd, path); });
  }
  return OnPath(
      dirfd, path,
      [&](const Resolved& resolved) {
        return system(resolved.system_dirfd(), resolved.system_path());
      },
      [&](sealfs_client* client, const char* sealfs_path) {
        return stat_and_fill([&](struct stat* st) {
          return (flags & AT_SYMLINK_NOFOLLOW) != 0 ? sealfs_lstat(client, sealfs_path, st)
                                                    : sealfs_stat(client, sealfs_path, st);
        });
      });
}

void ToStatx(const struct stat& st, struct statx* out) {
  std::memset(out, 0, sizeof(*out));
  out->stx_mask = STATX_BASIC_STATS;
  out->stx_blksize = static_cast<uint32_t>(st.st_blksize);
  out->stx_nlink = static_cast<uint32_t>(st.st_nlink);
  out->stx_uid = st.st_uid;
  out->stx_gid = st.st_gid;
  out->stx_mode = static_cast<uint16_t>(st.st_mode);
  out->stx_ino = st.st_ino;
  out->stx_size = static_cast<uint64_t>(st.st_size);
  out->stx_blocks = static_cast<uint64_t>(st.st_blocks);
  out->stx_atime = {st.st_atim.tv_sec, static_cast<uint32_t>(st.st_atim.tv_nsec), 0};
  out->stx_mtime = {st.st_mtim.tv_sec, static_cast<uint32_t>(st.st_mtim.tv_nsec), 0};
  out->stx_ctime = {st.st_ctim.tv_sec, static_cast<uint32_t>(st.st_ctim.tv_nsec), 0};
  out->stx_rdev_major = major(st.st_rdev);
  out->stx_rdev_minor = minor(st.st_rdev);
  out->stx_dev_major = major(st.st_dev);
  out->stx_dev_minor = minor(st.st_dev);
}

void ToStatfs(const struct statvfs& in, struct statfs* out) {
  std::memset(out, 0, sizeof(*out));
  out->f_type = kSealfsStatfsMagic;
  out->f_bsize = static_cast<long>(in.f_bsize);
  out->f_blocks = in.f_blocks;
  out->f_bfree = in.f_bfree;
  out->f_bavail = in.f_bavail;
  out->f_files = in.f_files;
  out->f_ffree = in.f_ffree;
  out->f_namelen = static_cast<long>(in.f_namemax);
  out->f_frsize = static_cast<long>(in.f_frsize);
}

int Statfs(sealfs_client* client, const char* sealfs_path, struct statfs* out) {
  struct statvfs vfs {};
  int result = sealfs_statvfs(client, sealfs_path, &vfs);
  if (result == 0) ToStatfs(vfs, out);
  return result;
}

// SealFS stores system.* attributes as it stores any other, so POSIX ACLs set there would not
// change the mode as Linux's do. They are refused as on a file system without ACLs, which makes
// programs (cp -p, mv, tar) fall back to chmod.
bool IsPosixAcl(const char* name) { return std::strncmp(name, "system.posix_acl_", 17) == 0; }

template <typename Call>
auto UnlessAcl(const char* name, Call call) -> decltype(call()) {
  return IsPosixAcl(name) ? -EOPNOTSUPP : call();
}

// SealFS changes attributes through a final symlink, never of the link itself. A call that asks
// for the link (lchown, AT_SYMLINK_NOFOLLOW) and names one does call(lstat of it) instead.
template <typename Call, typename OnLink>
int UnlessSymlink(sealfs_client* client, const char* path, bool no_follow, OnLink on_link,
                  Call call) {
  if (no_follow) {
    struct stat st {};
    int result = sealfs_lstat(client, path, &st);
    if (result < 0) return result;
    if (S_ISLNK(st.st_mode)) return on_link(st);
  }
  return call();
}

// lchown of a symlink: nothing to do when it has that owner already (as a link just made by
// this process does), else not possible in SealFS.
int ChownLink(const struct stat& link, uid_t owner, gid_t group) {
  bool same = (owner == static_cast<uid_t>(-1) || owner == link.st_uid) &&
              (group == static_cast<gid_t>(-1) || group == link.st_gid);
  return same ? 0 : -EOPNOTSUPP;
}

int NotOnLinks(const struct stat& /*link*/) { return -EOPNOTSUPP; }

// utimes/utime arguments as utimensat's.
const struct timespec* FromTimevals(const struct timeval* times, struct timespec* out) {
  if (times == nullptr) return nullptr;
  for (int k = 0; k < 2; ++k) out[k] = {times[k].tv_sec, times[k].tv_usec * 1000};
  return out;
}

// realpath within SealFS: every symlink followed, "." and ".." resolved against what they
// name. Targets of SealFS symlinks are SealFS paths. Returns the SealFS path or -errno.
int RealpathSealfs(sealfs_client* client, const std::string& sealfs_path, std::string* out) {
  std::deque<std::string> pending;
  auto push_components = [&pending](const std::string& path) {
    std::deque<std::string> components;
    std::size_t start = 0;
    while (start <= path.size()) {
      std::size_t end = std::min(path.find('/', start), path.size());
      if (end > start) components.emplace_back(path.substr(start, end - start));
      start = end + 1;
    }
    pending.insert(pending.begin(), components.begin(), components.end());
  };
  push_components(sealfs_path);
  std::string current;  // "" is the root
  int links = 0;
  while (!pending.empty()) {
    std::string name = std::move(pending.front());
    pending.pop_front();
    if (name == ".") continue;
    if (name == "..") {
      current.resize(current.empty() ? 0 : current.rfind('/'));
      continue;
    }
    std::string candidate = current;
    candidate += '/';
    candidate += name;
    struct stat st {};
    int result = sealfs_lstat(client, candidate.c_str(), &st);
    if (result < 0) return result;
    if (S_ISLNK(st.st_mode)) {
      if (++links > 40) return -ELOOP;
      char target[PATH_MAX];
      ssize_t length = sealfs_readlink(client, candidate.c_str(), target, sizeof(target));
      if (length < 0) return static_cast<int>(length);
      std::string link(target, static_cast<std::size_t>(length));
      if (!link.empty() && link.front() == '/') current.clear();
      push_components(link);
      continue;
    }
    if (!S_ISDIR(st.st_mode) && !pending.empty()) return -ENOTDIR;
    current = std::move(candidate);
  }
  *out = current.empty() ? "/" : current;
  return 0;
}

// Copies `value` into a caller's buffer as getcwd and realpath do (NULL: a malloc'ed one).
char* CopyOut(const std::string& value, char* buffer, std::size_t size, bool size_given) {
  if (buffer == nullptr) {
    std::size_t bytes = size_given && size != 0 ? size : value.size() + 1;
    if (bytes < value.size() + 1) {
      errno = ERANGE;
      return nullptr;
    }
    buffer = static_cast<char*>(std::malloc(bytes));
    if (buffer == nullptr) {
      errno = ENOMEM;
      return nullptr;
    }
  } else if (size_given && size < value.size() + 1) {
    errno = ERANGE;
    return nullptr;
  }
  std::memcpy(buffer, value.c_str(), value.size() + 1);
  return buffer;
}

}  // namespace
}  // namespace sealfs::intercept

using sealfs::intercept::OnFd;
using sealfs::intercept::OnFdPath;
using sealfs::intercept::OnPath;
using sealfs::intercept::OnTwoPaths;
using sealfs::intercept::OpenFile;
using sealfs::intercept::Resolved;
using sealfs::intercept::Session;
using sealfs::intercept::StatAt;
using sealfs::intercept::ToPosix;

#pragma GCC visibility push(default)
extern "C" {

// The stat family. struct stat64 is struct stat on x86-64: the *64 names forward to these.
int stat(const char* path, struct stat* st) noexcept {
  auto fill = [st](const struct stat& from) { *st = from; };
  return StatAt(AT_FDCWD, path, 0, fill, [&](int /*dirfd*/, const char* system_path) {
    return SEALFS_REAL(stat)(system_path, st);
  });
}

int lstat(const char* path, struct stat* st) noexcept {
  auto fill = [st](const struct stat& from) { *st = from; };
  return StatAt(
      AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, fill,
      [&](int /*dirfd*/, const char* system_path) { return SEALFS_REAL(lstat)(system_path, st); });
}

int fstatat(int dirfd, const char* path, struct stat* st, int flags) noexcept {
  auto fill = [st](const struct stat& from) { *st = from; };
  return StatAt(dirfd, path, flags, fill, [&](int system_dirfd, const char* system_path) {
    return SEALFS_REAL(fstatat)(system_dirfd, system_path, st, flags);
  });
}

int fstat(int fd, struct stat* st) noexcept {
  return OnFd(
      fd, [&](OpenFile& file) { return file.Stat(st); },
      [&] { return SEALFS_REAL(fstat)(fd, st); });
}

int stat64(const char* path, struct stat64* st) noexcept {
  return stat(path, reinterpret_cast<struct stat*>(st));
}
int lstat64(const char* path, struct stat64* st) noexcept {
  return lstat(path, reinterpret_cast<struct stat*>(st));
}
int fstatat64(int dirfd, const char* path, struct stat64* st, int flags) noexcept {
  return fstatat(dirfd, path, reinterpret_cast<struct stat*>(st), flags);
}
int fstat64(int fd, struct stat64* st) noexcept {
  return fstat(fd, reinterpret_cast<struct stat*>(st));
}

// The versioned entry points programs built before glibc 2.33 call (still exported).
// NOLINTBEGIN(bugprone-reserved-identifier): the C library's names
int __xstat(int /*version*/, const char* path, struct stat* st) noexcept { return stat(path, st); }
int __xstat64(int /*version*/, const char* path, struct stat* st) noexcept {
  return stat(path, st);
}
int __lxstat(int /*version*/, const char* path, struct stat* st) noexcept {
  return lstat(path, st);
}
int __lxstat64(int /*version*/, const char* path, struct stat* st) noexcept {
  return lstat(path, st);
}
int __fxstat(int /*version*/, int fd, struct stat* st) noexcept { return fstat(fd, st); }
int __fxstat64(int /*version*/, int fd, struct stat* st) noexcept { return fstat(fd, st); }
int __fxstatat(int /*version*/, int dirfd, const char* path, struct stat* st, int flags) noexcept {
  return fstatat(dirfd, path, st, flags);
}
int __fxstatat64(int /*version*/, int dirfd, const char* path, struct stat* st,
                 int flags) noexcept {
  return fstatat(dirfd, path, st, flags);
}
// NOLINTEND(bugprone-reserved-identifier)

int statx(int dirfd, const char* path, int flags, unsigned int mask, struct statx* out) noexcept {
  auto fill = [out](const struct stat& from) { sealfs::intercept::ToStatx(from, out); };
  return StatAt(dirfd, path, flags, fill, [&](int system_dirfd, const char* system_path) {
    return SEALFS_REAL(statx)(system_dirfd, system_path, flags, mask, out);
  });
}

int access(const char* path, int mode) noexcept {
  return OnPath(
      AT_FDCWD, path,
      [&](const Resolved& resolved) { return SEALFS_REAL(access)(resolved.system_path(), mode); },
      [&](sealfs_client* client, const char* p) { return sealfs_access(client, p, mode); });
}

int faccessat(int dirfd, const char* path, int mode, int flags) noexcept {
  return OnPath(
      dirfd, path,
      [&](const Resolved& resolved) {
        return SEALFS_REAL(faccessat)(resolved.system_dirfd(), resolved.system_path(), mode, flags);
      },
      [&](sealfs_client* client, const char* p) { return sealfs_access(client, p, mode); });
}

int mkdir(const char* path, mode_t mode) noexcept {
  return OnPath(
      AT_FDCWD, path,
      [&](const Resolved& resolved) { return SEALFS_REAL(mkdir)(resolved.system_path(), mode); },
      [&](sealfs_client* client, const char* p) {
        return sealfs_mkdir(client, p, mode & ~Session::Instance().umask());
      });
}

int mkdirat(int dirfd, const char* path, mode_t mode) noexcept {
  return OnPath(
      dirfd, path,
      [&](const Resolved& resolved) {
        return SEALFS_REAL(mkdirat)(resolved.system_dirfd(), resolved.system_path(), mode);
      },
      [&](sealfs_client* client, const char* p) {
        return sealfs_mkdir(client, p, mode & ~Session::Instance().umask());
      });
}

// FIFOs, sockets and device nodes are names and attributes in SealFS: they cannot be opened.
int mknodat(int dirfd, const char* path, mode_t mode, dev_t device) noexcept {
  return OnPath(
      dirfd, path,
      [&](const Resolved& resolved) {
        return SEALFS_REAL(mknodat)(resolved.system_dirfd(), resolved.system_path(), mode, device);
      },
      [&](sealfs_client* client, const char* p) {
        return sealfs_mknod(client, p, mode & ~Session::Instance().umask(), device);
      });
}

int mknod(const char* path, mode_t mode, dev_t device) noexcept {
  return mknodat(AT_FDCWD, path, mode, device);
}

int mkfifoat(int dirfd, const char* path, mode_t mode) noexcept {
  return mknodat(dirfd, path, S_IFIFO | (mode & 07777), 0);
}

int mkfifo(const char* path, mode_t mode) noexcept { return mkfifoat(AT_FDCWD, path, mode); }

int rmdir(const char* path) noexcept {
  return OnPath(
      AT_FDCWD, path,
      [&](const Resolved& resolved) { return SEALFS_REAL(rmdir)(resolved.system_path()); },
      [&](sealfs_client* client, const char* p) { return sealfs_rmdir(client, p); });
}

int unlink(const char* path) noexcept {
  return OnPath(
      AT_FDCWD, path,
      [&](const Resolved& resolved) { return SEALFS_REAL(unlink)(resolved.system_path()); },
      [&](sealfs_client* client, const char* p) { return sealfs_unlink(client, p); });
}

int unlinkat(int dirfd, const char* path, int flags) noexcept {
  return OnPath(
      dirfd, path,
      [&](const Resolved& resolved) {
        return SEALFS_REAL(unlinkat)(resolved.system_dirfd(), resolved.system_path(), flags);
      },
      [&](sealfs_client* client, const char* p) {
        return (flags & AT_REMOVEDIR) != 0 ? sealfs_rmdir(client, p) : sealfs_unlink(client, p);
      });
}

int remove(const char* path) noexcept {
  return OnPath(
      AT_FDCWD, path,
      [&](const Resolved& resolved) { return SEALFS_REAL(remove)(resolved.system_path()); },
      [&](sealfs_client* client, const char* p) {
        int result = sealfs_unlink(client, p);
        return result == -EISDIR ? sealfs_rmdir(client, p) : result;
      });
}

int rename(const char* oldpath, const char* newpath) noexcept {
  return OnTwoPaths(
      AT_FDCWD, oldpath, AT_FDCWD, newpath,
      [&](const Resolved& from, const Resolved& to) {
        return SEALFS_REAL(rename)(from.system_path(), to.system_path());
      },
      sealfs_rename);
}

int renameat(int olddirfd, const char* oldpath, int newdirfd, const char* newpath) noexcept {
  return OnTwoPaths(
      olddirfd, oldpath, newdirfd, newpath,
      [&](const Resolved& from, const Resolved& to) {
        return SEALFS_REAL(renameat)(from.system_dirfd(), from.system_path(), to.system_dirfd(),
                                     to.system_path());
      },
      sealfs_rename);
}

// RENAME_NOREPLACE and RENAME_EXCHANGE have Linux's values in SealFS too.
int renameat2(int olddirfd, const char* oldpath, int newdirfd, const char* newpath,
              unsigned int flags) noexcept {
  return OnTwoPaths(
      olddirfd, oldpath, newdirfd, newpath,
      [&](const Resolved& from, const Resolved& to) {
        return SEALFS_REAL(renameat2)(from.system_dirfd(), from.system_path(), to.system_dirfd(),
                                      to.system_path(), flags);
      },
      [&](sealfs_client* client, const char* from, const char* to) {
        return sealfs_rename2(client, from, to, flags);
      });
}

int link(const char* oldpath, const char* newpath) noexcept {
  return OnTwoPaths(
      AT_FDCWD, oldpath, AT_FDCWD, newpath,
      [&](const Resolved& from, const Resolved& to) {
        return SEALFS_REAL(link)(from.system_path(), to.system_path());
      },
      sealfs_link);
}

int linkat(int olddirfd, const char* oldpath, int newdirfd, const char* newpath,
           int flags) noexcept {
  return OnTwoPaths(
      olddirfd, oldpath, newdirfd, newpath,
      [&](const Resolved& from, const Resolved& to) {
        return SEALFS_REAL(linkat)(from.system_dirfd(), from.system_path(), to.system_dirfd(),
                                   to.system_path(), flags);
      },
      sealfs_link);
}

// The target is stored as given: a SealFS symlink's absolute target is a SealFS path.
int symlink(const char* target, const char* linkpath) noexcept {
  return OnPath(
      AT_FDCWD, linkpath,
      [&](const Resolved& resolved) {
        return SEALFS_REAL(symlink)(target, resolved.system_path());
      },
      [&](sealfs_client* client, const char* p) { return sealfs_symlink(client, target, p); });
}

int symlinkat(const char* target, int dirfd, const char* linkpath) noexcept {
  return OnPath(
      dirfd, linkpath,
      [&](const Resolved& resolved) {
        return SEALFS_REAL(symlinkat)(target, resolved.system_dirfd(), resolved.system_path());
      },
      [&](sealfs_client* client, const char* p) { return sealfs_symlink(client, target, p); });
}

ssize_t readlink(const char* path, char* buf, size_t size) noexcept {
  return OnPath(
      AT_FDCWD, path,
      [&](const Resolved& resolved) {
        return SEALFS_REAL(readlink)(resolved.system_path(), buf, size);
      },
      [&](sealfs_client* client, const char* p) { return sealfs_readlink(client, p, buf, size); });
}

ssize_t readlinkat(int dirfd, const char* path, char* buf, size_t size) noexcept {
  return OnPath(
      dirfd, path,
      [&](const Resolved& resolved) {
        return SEALFS_REAL(readlinkat)(resolved.system_dirfd(), resolved.system_path(), buf, size);
      },
      [&](sealfs_client* client, const char* p) { return sealfs_readlink(client, p, buf, size); });
}

int chmod(const char* path, mode_t mode) noexcept {
  return OnPath(
      AT_FDCWD, path,
      [&](const Resolved& resolved) { return SEALFS_REAL(chmod)(resolved.system_path(), mode); },
      [&](sealfs_client* client, const char* p) { return sealfs_chmod(client, p, mode); });
}

int fchmodat(int dirfd, const char* path, mode_t mode, int flags) noexcept {
  return OnPath(
      dirfd, path,
      [&](const Resolved& resolved) {
        return SEALFS_REAL(fchmodat)(resolved.system_dirfd(), resolved.system_path(), mode, flags);
      },
      [&](sealfs_client* client, const char* p) {
        // As Linux: a symlink's mode cannot be changed.
        return sealfs::intercept::UnlessSymlink(client, p, (flags & AT_SYMLINK_NOFOLLOW) != 0,
                                                sealfs::intercept::NotOnLinks,
                                                [&] { return sealfs_chmod(client, p, mode); });
      });
}

int fchmod(int fd, mode_t mode) noexcept {
  return OnFdPath(
      fd, [&](sealfs_client* client, const char* p) { return sealfs_chmod(client, p, mode); },
      [&] { return SEALFS_REAL(fchmod)(fd, mode); });
}

int chown(const char* path, uid_t owner, gid_t group) noexcept {
  return OnPath(
      AT_FDCWD, path,
      [&](const Resolved& resolved) {
        return SEALFS_REAL(chown)(resolved.system_path(), owner, group);
      },
      [&](sealfs_client* client, const char* p) { return sealfs_chown(client, p, owner, group); });
}

int lchown(const char* path, uid_t owner, gid_t group) noexcept {
  return OnPath(
      AT_FDCWD, path,
      [&](const Resolved& resolved) {
        return SEALFS_REAL(lchown)(resolved.system_path(), owner, group);
      },
      [&](sealfs_client* client, const char* p) {
        return sealfs::intercept::UnlessSymlink(
            client, p, true,
            [&](const struct stat& link) {
              return sealfs::intercept::ChownLink(link, owner, group);
            },
            [&] { return sealfs_chown(client, p, owner, group); });
      });
}

int fchownat(int dirfd, const char* path, uid_t owner, gid_t group, int flags) noexcept {
  return OnPath(
      dirfd, path,
      [&](const Resolved& resolved) {
        return SEALFS_REAL(fchownat)(resolved.system_dirfd(), resolved.system_path(), owner, group,
                                     flags);
      },
      [&](sealfs_client* client, const char* p) {
        return sealfs::intercept::UnlessSymlink(
            client, p, (flags & AT_SYMLINK_NOFOLLOW) != 0,
            [&](const struct stat& link) {
              return sealfs::intercept::ChownLink(link, owner, group);
            },
            [&] { return sealfs_chown(client, p, owner, group); });
      });
}

int fchown(int fd, uid_t owner, gid_t group) noexcept {
  return OnFdPath(
      fd,
      [&](sealfs_client* client, const char* p) { return sealfs_chown(client, p, owner, group); },
      [&] { return SEALFS_REAL(fchown)(fd, owner, group); });
}

int utimensat(int dirfd, const char* path, const struct timespec times[2], int flags) noexcept {
  if (path == nullptr) {  // Linux: futimens(dirfd)
    return OnFdPath(
        dirfd,
        [&](sealfs_client* client, const char* p) { return sealfs_utimens(client, p, times); },
        [&] { return SEALFS_REAL(utimensat)(dirfd, path, times, flags); });
  }
  return OnPath(
      dirfd, path,
      [&](const Resolved& resolved) {
        return SEALFS_REAL(utimensat)(resolved.system_dirfd(), resolved.system_path(), times,
                                      flags);
      },
      [&](sealfs_client* client, const char* p) {
        return sealfs::intercept::UnlessSymlink(client, p, (flags & AT_SYMLINK_NOFOLLOW) != 0,
                                                sealfs::intercept::NotOnLinks,
                                                [&] { return sealfs_utimens(client, p, times); });
      });
}

int futimens(int fd, const struct timespec times[2]) noexcept {
  return OnFdPath(
      fd, [&](sealfs_client* client, const char* p) { return sealfs_utimens(client, p, times); },
      [&] { return SEALFS_REAL(futimens)(fd, times); });
}

int utimes(const char* path, const struct timeval times[2]) noexcept {
  struct timespec converted[2];
  return utimensat(AT_FDCWD, path, sealfs::intercept::FromTimevals(times, converted), 0);
}

int utime(const char* path, const struct utimbuf* times) noexcept {
  struct timespec converted[2] = {{times != nullptr ? times->actime : 0, 0},
                                  {times != nullptr ? times->modtime : 0, 0}};
  return utimensat(AT_FDCWD, path, times != nullptr ? converted : nullptr, 0);
}

int truncate(const char* path, off_t length) noexcept {
  return OnPath(
      AT_FDCWD, path,
      [&](const Resolved& resolved) {
        return SEALFS_REAL(truncate)(resolved.system_path(), length);
      },
      [&](sealfs_client* client, const char* p) { return sealfs_truncate(client, p, length); });
}

int truncate64(const char* path, off64_t length) noexcept { return truncate(path, length); }

int statvfs(const char* path, struct statvfs* out) noexcept {
  return OnPath(
      AT_FDCWD, path,
      [&](const Resolved& resolved) { return SEALFS_REAL(statvfs)(resolved.system_path(), out); },
      [&](sealfs_client* client, const char* p) { return sealfs_statvfs(client, p, out); });
}

int fstatvfs(int fd, struct statvfs* out) noexcept {
  return OnFdPath(
      fd, [&](sealfs_client* client, const char* p) { return sealfs_statvfs(client, p, out); },
      [&] { return SEALFS_REAL(fstatvfs)(fd, out); });
}

int statfs(const char* path, struct statfs* out) noexcept {
  return OnPath(
      AT_FDCWD, path,
      [&](const Resolved& resolved) { return SEALFS_REAL(statfs)(resolved.system_path(), out); },
      [&](sealfs_client* client, const char* p) {
        return sealfs::intercept::Statfs(client, p, out);
      });
}

int fstatfs(int fd, struct statfs* out) noexcept {
  return OnFdPath(
      fd,
      [&](sealfs_client* client, const char* p) {
        return sealfs::intercept::Statfs(client, p, out);
      },
      [&] { return SEALFS_REAL(fstatfs)(fd, out); });
}

int statvfs64(const char* path, struct statvfs64* out) noexcept {
  return statvfs(path, reinterpret_cast<struct statvfs*>(out));
}
int fstatvfs64(int fd, struct statvfs64* out) noexcept {
  return fstatvfs(fd, reinterpret_cast<struct statvfs*>(out));
}
int statfs64(const char* path, struct statfs64* out) noexcept {
  return statfs(path, reinterpret_cast<struct statfs*>(out));
}
int fstatfs64(int fd, struct statfs64* out) noexcept {
  return fstatfs(fd, reinterpret_cast<struct statfs*>(out));
}

// Extended attributes; SealFS keeps them by path, so the f* forms use the open file's path.
ssize_t getxattr(const char* path, const char* name, void* value, size_t size) noexcept {
  return OnPath(
      AT_FDCWD, path,
      [&](const Resolved& resolved) {
        return SEALFS_REAL(getxattr)(resolved.system_path(), name, value, size);
      },
      [&](sealfs_client* client, const char* p) {
        return sealfs::intercept::UnlessAcl(
            name, [&] { return sealfs_getxattr(client, p, name, value, size); });
      });
}

ssize_t lgetxattr(const char* path, const char* name, void* value, size_t size) noexcept {
  return OnPath(
      AT_FDCWD, path,
      [&](const Resolved& resolved) {
        return SEALFS_REAL(lgetxattr)(resolved.system_path(), name, value, size);
      },
      [&](sealfs_client* client, const char* p) {
        return sealfs::intercept::UnlessAcl(
            name, [&] { return sealfs_getxattr(client, p, name, value, size); });
      });
}

ssize_t fgetxattr(int fd, const char* name, void* value, size_t size) noexcept {
  return OnFdPath(
      fd,
      [&](sealfs_client* client, const char* p) {
        return sealfs::intercept::UnlessAcl(
            name, [&] { return sealfs_getxattr(client, p, name, value, size); });
      },
      [&] { return SEALFS_REAL(fgetxattr)(fd, name, value, size); });
}

int setxattr(const char* path, const char* name, const void* value, size_t size,
             int flags) noexcept {
  return OnPath(
      AT_FDCWD, path,
      [&](const Resolved& resolved) {
        return SEALFS_REAL(setxattr)(resolved.system_path(), name, value, size, flags);
      },
      [&](sealfs_client* client, const char* p) {
        return sealfs::intercept::UnlessAcl(
            name, [&] { return sealfs_setxattr(client, p, name, value, size, flags); });
      });
}

int lsetxattr(const char* path, const char* name, const void* value, size_t size,
              int flags) noexcept {
  return OnPath(
      AT_FDCWD, path,
      [&](const Resolved& resolved) {
        return SEALFS_REAL(lsetxattr)(resolved.system_path(), name, value, size, flags);
      },
      [&](sealfs_client* client, const char* p) {
        return sealfs::intercept::UnlessAcl(
            name, [&] { return sealfs_setxattr(client, p, name, value, size, flags); });
      });
}

int fsetxattr(int fd, const char* name, const void* value, size_t size, int flags) noexcept {
  return OnFdPath(
      fd,
      [&](sealfs_client* client, const char* p) {
        return sealfs::intercept::UnlessAcl(
            name, [&] { return sealfs_setxattr(client, p, name, value, size, flags); });
      },
      [&] { return SEALFS_REAL(fsetxattr)(fd, name, value, size, flags); });
}

ssize_t listxattr(const char* path, char* list, size_t size) noexcept {
  return OnPath(
      AT_FDCWD, path,
      [&](const Resolved& resolved) {
        return SEALFS_REAL(listxattr)(resolved.system_path(), list, size);
      },
      [&](sealfs_client* client, const char* p) {
        return sealfs_listxattr(client, p, list, size);
      });
}

ssize_t llistxattr(const char* path, char* list, size_t size) noexcept {
  return OnPath(
      AT_FDCWD, path,
      [&](const Resolved& resolved) {
        return SEALFS_REAL(llistxattr)(resolved.system_path(), list, size);
      },
      [&](sealfs_client* client, const char* p) {
        return sealfs_listxattr(client, p, list, size);
      });
}

ssize_t flistxattr(int fd, char* list, size_t size) noexcept {
  return OnFdPath(
      fd,
      [&](sealfs_client* client, const char* p) { return sealfs_listxattr(client, p, list, size); },
      [&] { return SEALFS_REAL(flistxattr)(fd, list, size); });
}

int removexattr(const char* path, const char* name) noexcept {
  return OnPath(
      AT_FDCWD, path,
      [&](const Resolved& resolved) {
        return SEALFS_REAL(removexattr)(resolved.system_path(), name);
      },
      [&](sealfs_client* client, const char* p) {
        return sealfs::intercept::UnlessAcl(name,
                                            [&] { return sealfs_removexattr(client, p, name); });
      });
}

int lremovexattr(const char* path, const char* name) noexcept {
  return OnPath(
      AT_FDCWD, path,
      [&](const Resolved& resolved) {
        return SEALFS_REAL(lremovexattr)(resolved.system_path(), name);
      },
      [&](sealfs_client* client, const char* p) {
        return sealfs::intercept::UnlessAcl(name,
                                            [&] { return sealfs_removexattr(client, p, name); });
      });
}

int fremovexattr(int fd, const char* name) noexcept {
  return OnFdPath(
      fd,
      [&](sealfs_client* client, const char* p) {
        return sealfs::intercept::UnlessAcl(name,
                                            [&] { return sealfs_removexattr(client, p, name); });
      },
      [&] { return SEALFS_REAL(fremovexattr)(fd, name); });
}

// The working directory: inside the prefix it is virtual (the process's real one does not
// move), kept by Session and passed on through exec.
int chdir(const char* path) noexcept {
  Session& session = Session::Instance();
  return OnPath(
      AT_FDCWD, path,
      [&](const Resolved& resolved) {
        int result = SEALFS_REAL(chdir)(resolved.system_path());
        if (result == 0 && session.enabled() && session.OwnsState()) {
          session.SetWorkingDirectory(std::nullopt);
        }
        return result;
      },
      [&](sealfs_client* client, const char* p) {
        if (!session.OwnsState()) return -ENOSYS;  // a vfork child: see docs/intercept.md
        struct stat st {};
        int result = sealfs_stat(client, p, &st);
        if (result < 0) return result;
        if (!S_ISDIR(st.st_mode)) return -ENOTDIR;
        std::string directory = p;
        if (directory.size() > 1 && directory.back() == '/') directory.pop_back();
        return session.SetWorkingDirectory(std::move(directory));
      });
}

int fchdir(int fd) noexcept {
  Session& session = Session::Instance();
  return OnFd(
      fd,
      [&](OpenFile& file) {
        int directory = file.IsDirectory();
        if (directory <= 0) return directory < 0 ? directory : -ENOTDIR;
        if (!session.OwnsState()) return -ENOSYS;
        return session.SetWorkingDirectory(std::string(file.path()));
      },
      [&] {
        int result = SEALFS_REAL(fchdir)(fd);
        if (result == 0 && session.enabled() && session.OwnsState()) {
          session.SetWorkingDirectory(std::nullopt);
        }
        return result;
      });
}

char* getcwd(char* buffer, size_t size) noexcept {
  Session& session = Session::Instance();
  std::optional<std::string> cwd = session.enabled() ? session.WorkingDirectory() : std::nullopt;
  if (!cwd) return SEALFS_REAL(getcwd)(buffer, size);
  if (buffer != nullptr && size == 0) {
    errno = EINVAL;
    return nullptr;
  }
  return sealfs::intercept::CopyOut(session.translator().ToVisible(*cwd), buffer, size, true);
}

char* get_current_dir_name() noexcept {
  Session& session = Session::Instance();
  std::optional<std::string> cwd = session.enabled() ? session.WorkingDirectory() : std::nullopt;
  if (!cwd) return SEALFS_REAL(get_current_dir_name)();
  return sealfs::intercept::CopyOut(session.translator().ToVisible(*cwd), nullptr, 0, false);
}

mode_t umask(mode_t mask) noexcept {
  Session::Instance().set_umask(mask & 0777);
  return SEALFS_REAL(umask)(mask);
}

char* realpath(const char* path, char* resolved_path) noexcept {
  Session& session = Session::Instance();
  Resolved resolved = session.Resolve(AT_FDCWD, path);
  if (resolved.where == Resolved::Where::kSystem) {
    return SEALFS_REAL(realpath)(resolved.system_path(), resolved_path);
  }
  if (resolved.where == Resolved::Where::kError) {
    errno = resolved.error;
    return nullptr;
  }
  sealfs_client* client = nullptr;
  std::string real;
  int result = session.Connect(&client);
  if (result == 0) result = sealfs::intercept::RealpathSealfs(client, resolved.path, &real);
  if (result < 0) {
    errno = -result;
    return nullptr;
  }
  return sealfs::intercept::CopyOut(session.translator().ToVisible(real), resolved_path, PATH_MAX,
                                    resolved_path != nullptr);
}

char* canonicalize_file_name(const char* path) noexcept { return realpath(path, nullptr); }

}  // extern "C"
#pragma GCC visibility pop
