// What the two C faces of libsealfs (sealfs_c.cc: by path; sealfs_ll.cc: by inode) share: the
// opaque handles and the one place a Status becomes -errno. Internal; never installed.
#pragma once

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "client.h"
#include "sealfs/sealfs.h"

struct sealfs_client {
  std::unique_ptr<sealfs::client::Client> core;
};

struct sealfs_dir {
  std::unique_ptr<sealfs::client::DirStream> stream;
};

namespace sealfs::c_api {

// The one place a Status becomes the negated errno of the C API.
inline int ToResult(const Status& status) { return -status.ToErrno(); }

// C++ exceptions (std::bad_alloc, a failed thread start) never cross into C.
template <typename Function>
auto Guard(Function&& function) noexcept -> decltype(function()) {
  try {
    return function();
  } catch (const std::bad_alloc&) {
    return -ENOMEM;
  } catch (...) {
    return -EIO;
  }
}

inline void FillStat(const proto::InodeAttr& attr, struct stat* st) {
  std::memset(st, 0, sizeof(*st));
  st->st_dev = 0x5EA1F5;
  st->st_ino = attr.ino();
  st->st_mode = attr.mode();
  st->st_nlink = attr.nlink();
  st->st_uid = attr.uid();
  st->st_gid = attr.gid();
  st->st_rdev = attr.rdev();
  st->st_size = static_cast<off_t>(attr.size());
  st->st_blksize = attr.chunk_size() != 0 ? attr.chunk_size() : 4096;
  st->st_blocks = static_cast<blkcnt_t>((attr.size() + 511) / 512);
  st->st_atim = {attr.atime().sec(), attr.atime().nsec()};
  st->st_mtim = {attr.mtime().sec(), attr.mtime().nsec()};
  st->st_ctim = {attr.ctime().sec(), attr.ctime().nsec()};
}

inline unsigned char DirentType(uint32_t type) {
  switch (type & S_IFMT) {
    case S_IFREG:
      return DT_REG;
    case S_IFDIR:
      return DT_DIR;
    case S_IFLNK:
      return DT_LNK;
    case S_IFIFO:
      return DT_FIFO;
    case S_IFSOCK:
      return DT_SOCK;
    case S_IFCHR:
      return DT_CHR;
    case S_IFBLK:
      return DT_BLK;
    default:
      return DT_UNKNOWN;
  }
}

inline void FillDirent(const client::DirStream::Entry& from, struct dirent* entry) {
  std::memset(entry, 0, sizeof(*entry));
  entry->d_ino = from.ino;
  entry->d_type = DirentType(from.type);
  entry->d_reclen = sizeof(*entry);
  std::size_t n = std::min(from.name.size(), sizeof(entry->d_name) - 1);
  std::memcpy(entry->d_name, from.name.data(), n);
}

// Copies a value whose length the caller learns with size 0, as getxattr(2): -ERANGE when it
// does not fit.
inline ssize_t CopyOut(std::string_view bytes, void* dest, size_t size) {
  if (size == 0) return static_cast<ssize_t>(bytes.size());
  if (bytes.size() > size) return -ERANGE;
  std::memcpy(dest, bytes.data(), bytes.size());
  return static_cast<ssize_t>(bytes.size());
}

// Copies a symlink target cut at size, as readlink(2).
inline ssize_t CopyTarget(std::string_view target, char* buf, size_t size) {
  if (size == 0) return -EINVAL;
  const std::size_t n = std::min(size, target.size());
  std::memcpy(buf, target.data(), n);
  return static_cast<ssize_t>(n);
}

// Attribute names one after another, each NUL-terminated, as listxattr(2) returns them.
inline std::string JoinNames(const std::vector<std::string>& names) {
  std::string joined;
  for (const auto& name : names) {
    joined += name;
    joined.push_back('\0');
  }
  return joined;
}

}  // namespace sealfs::c_api
