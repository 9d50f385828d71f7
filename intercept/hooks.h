// What the hooks (the exported functions named after the C library's) have in common: sending a
// call on a descriptor or a path either to SealFS or to the system.
#pragma once

#include <fcntl.h>

#include <cerrno>
#include <memory>
#include <string>

#include "open_file.h"
#include "real_calls.h"
#include "session.h"

namespace sealfs::intercept {

// Opens a SealFS path as open(2) would and returns its placeholder descriptor, or -errno.
int OpenSealfs(const std::string& sealfs_path, int flags, mode_t mode);

// close(2) for a descriptor that may be a SealFS one: 0, or -1 with errno.
int CloseDescriptor(int fd);

// Keeps the caller's errno across a SealFS call that succeeds: the client's sockets may change it
// on the way, and programs such as ls test errno after readdir returns NULL at the end.
class ErrnoKeeper {
 public:
  template <typename Result>
  Result Report(Result result) const {
    if (result >= 0) errno = saved_;
    return ToPosix(result);
  }

 private:
  int saved_ = errno;
};

// sealfs(file) when fd is a SealFS descriptor (its result: >= 0 or -errno, turned into the
// POSIX convention), system() otherwise.
template <typename Sealfs, typename System>
auto OnFd(int fd, Sealfs sealfs, System system) -> decltype(system()) {
  if (std::shared_ptr<OpenFile> file = Session::Instance().Lookup(fd)) {
    ErrnoKeeper keeper;
    return keeper.Report(static_cast<decltype(system())>(sealfs(*file)));
  }
  return system();
}

// As OnFd, for a call SealFS makes by path: sealfs(client, sealfs_path).
template <typename Sealfs, typename System>
auto OnFdPath(int fd, Sealfs sealfs, System system) -> decltype(system()) {
  return OnFd(
      fd,
      [&](OpenFile& file) {
        sealfs_client* client = nullptr;
        int result = Session::Instance().Connect(&client);
        return result < 0 ? result : sealfs(client, file.path());
      },
      system);
}

// system(resolved) when (dirfd, path) leads to the system, sealfs(client, sealfs_path) when it
// leads to SealFS.
template <typename System, typename Sealfs>
auto OnPath(int dirfd, const char* path, System system, Sealfs sealfs)
    -> decltype(system(std::declval<const Resolved&>())) {
  using Result = decltype(system(std::declval<const Resolved&>()));
  Session& session = Session::Instance();
  Resolved resolved = session.Resolve(dirfd, path);
  if (resolved.where == Resolved::Where::kSystem) return system(resolved);
  if (resolved.where == Resolved::Where::kError)
    return ToPosix(static_cast<Result>(-resolved.error));
  ErrnoKeeper keeper;
  sealfs_client* client = nullptr;
  int result = session.Connect(&client);
  if (result < 0) return ToPosix(static_cast<Result>(result));
  return keeper.Report(static_cast<Result>(sealfs(client, resolved.path.c_str())));
}

// For calls on two paths (rename, link): both in SealFS, both in the system, or EXDEV.
template <typename System, typename Sealfs>
int OnTwoPaths(int dirfd1, const char* path1, int dirfd2, const char* path2, System system,
               Sealfs sealfs) {
  Session& session = Session::Instance();
  Resolved first = session.Resolve(dirfd1, path1);
  Resolved second = session.Resolve(dirfd2, path2);
  for (const Resolved* resolved : {&first, &second}) {
    if (resolved->where == Resolved::Where::kError) return ToPosix(-resolved->error);
  }
  if (first.where != second.where) return ToPosix(-EXDEV);
  if (first.where == Resolved::Where::kSystem) return system(first, second);
  ErrnoKeeper keeper;
  sealfs_client* client = nullptr;
  int result = session.Connect(&client);
  if (result < 0) return ToPosix(result);
  return keeper.Report(sealfs(client, first.path.c_str(), second.path.c_str()));
}

}  // namespace sealfs::intercept
