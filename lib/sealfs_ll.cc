// The extern "C" face of include/sealfs/sealfs_ll.h: the client by inode.
#include "sealfs/sealfs_ll.h"

#include <fcntl.h>

#include "c_api.h"
#include "client.h"

namespace {

using sealfs::Status;
using sealfs::c_api::CopyOut;
using sealfs::c_api::CopyTarget;
using sealfs::c_api::FillDirent;
using sealfs::c_api::FillStat;
using sealfs::c_api::Guard;
using sealfs::c_api::JoinNames;
using sealfs::c_api::ToResult;
namespace proto = sealfs::proto;

proto::Timespec ToTimespec(const struct timespec& time) {
  proto::Timespec out;
  out.set_sec(time.tv_sec);
  out.set_nsec(static_cast<uint32_t>(time.tv_nsec));
  return out;
}

bool ValidNanoseconds(const struct timespec& time) {
  return time.tv_nsec >= 0 && time.tv_nsec < 1000000000;
}

int OpenDir(sealfs_client* client, uint64_t ino, bool with_attrs, sealfs_dir** out) {
  return Guard([&] {
    *out = nullptr;
    auto dir = std::make_unique<sealfs_dir>();
    Status status = client->core->OpenDirInode(ino, &dir->stream, with_attrs);
    if (!status.ok()) return ToResult(status);
    *out = dir.release();
    return 0;
  });
}

// Fills *out from attr when the caller wants it, and turns status into the C result.
int Reply(const Status& status, const proto::InodeAttr& attr, struct stat* out) {
  if (status.ok() && out != nullptr) FillStat(attr, out);
  return ToResult(status);
}

}  // namespace

extern "C" {

int sealfs_ll_lookup(sealfs_client* client, uint64_t parent, const char* name, struct stat* out) {
  return Guard([&] {
    proto::InodeAttr attr;
    return Reply(client->core->LookupAttr(parent, name, &attr), attr, out);
  });
}

int sealfs_ll_getattr(sealfs_client* client, uint64_t ino, struct stat* out) {
  return Guard([&] {
    proto::InodeAttr attr;
    return Reply(client->core->GetInodeAttr(ino, &attr), attr, out);
  });
}

int sealfs_ll_setattr(sealfs_client* client, uint64_t ino, const struct stat* values, int to_set,
                      struct stat* out) {
  return Guard([&] {
    proto::SetAttrRequest request;
    request.set_ino(ino);
    if ((to_set & SEALFS_SET_MODE) != 0) request.set_mode(values->st_mode & 07777);
    if ((to_set & SEALFS_SET_UID) != 0) request.set_uid(values->st_uid);
    if ((to_set & SEALFS_SET_GID) != 0) request.set_gid(values->st_gid);
    if ((to_set & SEALFS_SET_SIZE) != 0) {
      if (values->st_size < 0) return -EINVAL;
      request.set_size(static_cast<uint64_t>(values->st_size));
    }
    const proto::Timespec now = sealfs::client::Now();
    if ((to_set & SEALFS_SET_ATIME_NOW) != 0) {
      *request.mutable_atime() = now;
    } else if ((to_set & SEALFS_SET_ATIME) != 0) {
      if (!ValidNanoseconds(values->st_atim)) return -EINVAL;
      *request.mutable_atime() = ToTimespec(values->st_atim);
    }
    if ((to_set & SEALFS_SET_MTIME_NOW) != 0) {
      *request.mutable_mtime() = now;
    } else if ((to_set & SEALFS_SET_MTIME) != 0) {
      if (!ValidNanoseconds(values->st_mtim)) return -EINVAL;
      *request.mutable_mtime() = ToTimespec(values->st_mtim);
    }
    if ((to_set & SEALFS_SET_CTIME) != 0) {
      if (!ValidNanoseconds(values->st_ctim)) return -EINVAL;
      *request.mutable_ctime() = ToTimespec(values->st_ctim);
    } else {
      *request.mutable_ctime() = now;
    }
    // A size change moves mtime too, as truncate(2) does, unless the caller gave one.
    if (request.has_size() && !request.has_mtime()) *request.mutable_mtime() = now;
    proto::InodeAttr attr;
    return Reply(client->core->SetInodeAttr(std::move(request), &attr), attr, out);
  });
}

int sealfs_ll_create(sealfs_client* client, uint64_t parent, const char* name, mode_t mode,
                     dev_t rdev, uid_t uid, gid_t gid, struct stat* out) {
  return Guard([&] {
    const mode_t type = mode & S_IFMT;
    if (type != S_IFREG && type != S_IFDIR && type != S_IFIFO && type != S_IFSOCK &&
        type != S_IFCHR && type != S_IFBLK) {
      return -EINVAL;
    }
    proto::InodeAttr attr;
    return Reply(client->core->CreateAt(parent, name, mode, rdev, uid, gid, {}, &attr), attr, out);
  });
}

int sealfs_ll_create_open(sealfs_client* client, uint64_t parent, const char* name, mode_t mode,
                          uid_t uid, gid_t gid, int flags, struct stat* out) {
  return Guard([&] {
    proto::InodeAttr attr;
    int fd = -1;
    Status status = client->core->CreateAndOpenAt(parent, name, mode, uid, gid, flags, &attr, &fd);
    if (!status.ok()) return ToResult(status);
    if (out != nullptr) FillStat(attr, out);
    return fd;
  });
}

int sealfs_ll_symlink(sealfs_client* client, const char* target, uint64_t parent, const char* name,
                      uid_t uid, gid_t gid, struct stat* out) {
  return Guard([&] {
    proto::InodeAttr attr;
    return Reply(client->core->CreateAt(parent, name, S_IFLNK | 0777, 0, uid, gid, target, &attr),
                 attr, out);
  });
}

ssize_t sealfs_ll_readlink(sealfs_client* client, uint64_t ino, char* buf, size_t size) {
  return Guard([&]() -> ssize_t {
    std::string target;
    Status status = client->core->ReadlinkOf(ino, &target);
    return status.ok() ? CopyTarget(target, buf, size) : ToResult(status);
  });
}

int sealfs_ll_unlink(sealfs_client* client, uint64_t parent, const char* name) {
  return Guard([&] { return ToResult(client->core->UnlinkAt(parent, name)); });
}

int sealfs_ll_rmdir(sealfs_client* client, uint64_t parent, const char* name) {
  return Guard([&] { return ToResult(client->core->RmdirAt(parent, name)); });
}

int sealfs_ll_rename(sealfs_client* client, uint64_t parent, const char* name, uint64_t new_parent,
                     const char* new_name, unsigned int flags) {
  return Guard(
      [&] { return ToResult(client->core->RenameAt(parent, name, new_parent, new_name, flags)); });
}

int sealfs_ll_link(sealfs_client* client, uint64_t ino, uint64_t new_parent, const char* new_name,
                   struct stat* out) {
  return Guard([&] {
    proto::InodeAttr attr;
    return Reply(client->core->LinkAt(ino, new_parent, new_name, &attr), attr, out);
  });
}

int sealfs_ll_open(sealfs_client* client, uint64_t ino, int flags) {
  return Guard([&] {
    int fd = -1;
    Status status = client->core->OpenInode(ino, flags, &fd);
    return status.ok() ? fd : ToResult(status);
  });
}

int sealfs_ll_opendir(sealfs_client* client, uint64_t ino, sealfs_dir** out) {
  return OpenDir(client, ino, /*with_attrs=*/false, out);
}

int sealfs_ll_opendirplus(sealfs_client* client, uint64_t ino, sealfs_dir** out) {
  return OpenDir(client, ino, /*with_attrs=*/true, out);
}

int sealfs_ll_readdirplus(sealfs_client* /*client*/, sealfs_dir* dir, struct dirent* entry,
                          struct stat* attr) {
  return Guard([&] {
    sealfs::client::DirStream::Entry next;
    Status status;
    if (!dir->stream->Next(&next, &status)) return status.ok() ? 0 : ToResult(status);
    FillDirent(next, entry);
    if (next.attr.has_value()) {
      FillStat(*next.attr, attr);
    } else {
      std::memset(attr, 0, sizeof(*attr));
    }
    return 1;
  });
}

int sealfs_ll_setxattr(sealfs_client* client, uint64_t ino, const char* name, const void* value,
                       size_t size, int flags) {
  return Guard([&] {
    std::string_view bytes(static_cast<const char*>(value), value == nullptr ? 0 : size);
    return ToResult(client->core->SetXattr(ino, name, bytes, flags));
  });
}

ssize_t sealfs_ll_getxattr(sealfs_client* client, uint64_t ino, const char* name, void* value,
                           size_t size) {
  return Guard([&]() -> ssize_t {
    std::string bytes;
    Status status = client->core->GetXattr(ino, name, &bytes);
    return status.ok() ? CopyOut(bytes, value, size) : ToResult(status);
  });
}

ssize_t sealfs_ll_listxattr(sealfs_client* client, uint64_t ino, char* list, size_t size) {
  return Guard([&]() -> ssize_t {
    std::vector<std::string> names;
    Status status = client->core->ListXattr(ino, &names);
    return status.ok() ? CopyOut(JoinNames(names), list, size) : ToResult(status);
  });
}

int sealfs_ll_removexattr(sealfs_client* client, uint64_t ino, const char* name) {
  return Guard([&] { return ToResult(client->core->RemoveXattr(ino, name)); });
}

}  // extern "C"
