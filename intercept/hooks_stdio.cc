// Hooks for stdio: the C library's fopen and FILE functions reach descriptors through internal
// calls that no preloaded library sees, so a FILE on SealFS is a fopencookie stream whose
// functions are this library's read, write, lseek and close on the SealFS descriptor.
// fileno() on it returns that descriptor. freopen onto a SealFS path is not covered.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>

#include "hooks.h"

namespace sealfs::intercept {
namespace {

// The open(2) flags of an fopen mode ("r", "w+", "ab", "re", "wx", ...); -1 when malformed.
int FlagsOfMode(const char* mode) {
  int flags = 0;
  switch (mode[0]) {
    case 'r':
      flags = O_RDONLY;
      break;
    case 'w':
      flags = O_WRONLY | O_CREAT | O_TRUNC;
      break;
    case 'a':
      flags = O_WRONLY | O_CREAT | O_APPEND;
      break;
    default:
      return -1;
  }
  for (const char* c = mode + 1; *c != '\0' && *c != ','; ++c) {
    if (*c == '+') flags = (flags & ~O_ACCMODE) | O_RDWR;
    if (*c == 'e') flags |= O_CLOEXEC;
    if (*c == 'x') flags |= O_EXCL;
  }
  return flags;
}

intptr_t DescriptorOf(void* cookie) { return reinterpret_cast<intptr_t>(cookie); }

ssize_t CookieRead(void* cookie, char* buffer, size_t size) {
  return read(static_cast<int>(DescriptorOf(cookie)), buffer, size);
}

ssize_t CookieWrite(void* cookie, const char* buffer, size_t size) {
  ssize_t done = write(static_cast<int>(DescriptorOf(cookie)), buffer, size);
  return done < 0 ? 0 : done;  // fopencookie: 0 reports the error
}

int CookieSeek(void* cookie, off64_t* position, int whence) {
  off_t result = lseek(static_cast<int>(DescriptorOf(cookie)), *position, whence);
  if (result < 0) return -1;
  *position = result;
  return 0;
}

int CookieClose(void* cookie) { return CloseDescriptor(static_cast<int>(DescriptorOf(cookie))); }

// A stream over the SealFS descriptor fd, which it closes on fclose.
FILE* OpenStream(int fd, const char* mode) {
  cookie_io_functions_t functions{CookieRead, CookieWrite, CookieSeek, CookieClose};
  // NOLINTNEXTLINE(performance-no-int-to-ptr): the descriptor is the cookie
  FILE* stream = fopencookie(reinterpret_cast<void*>(static_cast<intptr_t>(fd)), mode, functions);
  // The C library marks cookie streams with _fileno -2 (open, no descriptor); with the
  // descriptor there, fileno() answers it and the stream still counts as open.
  if (stream != nullptr) stream->_fileno = fd;
  return stream;
}

FILE* OpenPath(const char* path, const char* mode, decltype(fopen)* system) {
  Resolved resolved = Session::Instance().Resolve(AT_FDCWD, path);
  if (resolved.where == Resolved::Where::kSystem) return system(resolved.system_path(), mode);
  int flags = FlagsOfMode(mode);
  int fd = resolved.where == Resolved::Where::kError ? -resolved.error
           : flags < 0                               ? -EINVAL
                                                     : OpenSealfs(resolved.path, flags, 0666);
  if (fd < 0) {
    errno = -fd;
    return nullptr;
  }
  FILE* stream = OpenStream(fd, mode);
  if (stream == nullptr) {
    int error = errno;
    CloseDescriptor(fd);
    errno = error;
  }
  return stream;
}

}  // namespace
}  // namespace sealfs::intercept

#pragma GCC visibility push(default)
extern "C" {

FILE* fopen(const char* path, const char* mode) {
  return sealfs::intercept::OpenPath(path, mode, SEALFS_REAL(fopen));
}

FILE* fopen64(const char* path, const char* mode) {
  return sealfs::intercept::OpenPath(path, mode, SEALFS_REAL(fopen64));
}

FILE* fdopen(int fd, const char* mode) noexcept {
  if (sealfs::intercept::Session::Instance().Lookup(fd)) {
    return sealfs::intercept::OpenStream(fd, mode);
  }
  return SEALFS_REAL(fdopen)(fd, mode);
}

}  // extern "C"
#pragma GCC visibility pop
