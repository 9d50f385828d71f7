// The client by inode: what sealfs_ll.h offers to bridges such as the FUSE mount, which keep
// their own table of inodes and ask for one name or one inode at a time. Each call is the tail of
// its path twin in client_namespace.cc / client_data.cc, without resolution or permission checks.
#include <fcntl.h>

#include "client.h"
#include "path.h"
#include "placement.h"

namespace sealfs::client {

Client::ParentAndName Client::InDirectory(uint64_t parent, std::string name) {
  ParentAndName where;
  where.parent.ino = parent;
  where.parent.type = S_IFDIR;
  where.name = std::move(name);
  return where;
}

Status Client::LookupAttr(uint64_t parent, const std::string& name, proto::InodeAttr* attr) {
  if (name.size() > kMaxNameLength) return {proto::STATUS_NAME_TOO_LONG, "name too long"};
  Resolved found;
  const uint64_t read_after = recent_files_.ChangesSoFar();
  Status status = Lookup(parent, name, &found);
  if (status.ok()) status = FillAttr(&found);
  if (!status.ok()) return status;
  recent_files_.Insert(found.attr, read_after);
  *attr = std::move(found.attr);
  return status;
}

Status Client::GetInodeAttr(uint64_t ino, proto::InodeAttr* attr) {
  if (std::optional<proto::InodeAttr> cached = dir_cache_.FindAttr(ino)) {
    *attr = std::move(*cached);
    touches_.AddPendingTimes(ino, attr);
    return Status::Ok();
  }
  const uint64_t read_after = recent_files_.ChangesSoFar();
  Status status = GetAttr(ino, attr);
  if (status.ok()) recent_files_.Insert(*attr, read_after);
  return status;
}

Status Client::SetInodeAttr(proto::SetAttrRequest request, proto::InodeAttr* out) {
  if (request.has_size()) {
    proto::InodeAttr attr;
    Status status = GetAttr(request.ino(), &attr);
    if (!status.ok()) return status;
    if (!S_ISREG(attr.mode())) return Status::Invalid("size of a non-regular file");
    if (request.size() < attr.size()) {
      status = TruncateChunks(request.ino(), request.size(), attr.chunk_size());
      if (!status.ok()) return status;
    }
  }
  proto::SetAttrReply reply;
  Status status = SetAttr(request, &reply);
  if (status.ok()) *out = std::move(*reply.mutable_attr());
  return status;
}

Status Client::CreateAt(uint64_t parent, const std::string& name, uint32_t mode, uint64_t rdev,
                        uint32_t uid, uint32_t gid, std::string_view target,
                        proto::InodeAttr* out) {
  proto::InodeAttr attr = NewInodeAttr(mode);
  attr.set_mode(mode);  // as given: the kernel applied the caller's umask
  attr.set_uid(uid);
  attr.set_gid(gid);
  if (S_ISCHR(mode) || S_ISBLK(mode)) attr.set_rdev(rdev);
  if (S_ISLNK(mode)) {
    if (target.empty()) return {proto::STATUS_NOT_FOUND, "empty symlink target"};
    if (target.size() >= kMaxPathLength) return {proto::STATUS_NAME_TOO_LONG, "target too long"};
    attr.set_symlink_target(std::string(target));
    attr.set_size(target.size());
  }
  proto::CreateReply reply;
  Status status = CreateEntry(InDirectory(parent, name), attr, true, &reply);
  if (!status.ok()) return status;
  // The inode lives beside the entry, so the reply carries it; the parent's times moved since.
  *out = reply.has_attr() ? reply.attr() : attr;
  return Status::Ok();
}

Status Client::UnlinkAt(uint64_t parent, const std::string& name) {
  return RemoveEntry(InDirectory(parent, name), 0, true);
}

Status Client::RmdirAt(uint64_t parent, const std::string& name) {
  if (name == ".") return Status::Invalid("rmdir of '.'");
  if (name == "..") return {proto::STATUS_NOT_EMPTY, "rmdir of '..'"};
  return RemoveDirectory(InDirectory(parent, name));
}

Status Client::RenameAt(uint64_t parent, const std::string& name, uint64_t new_parent,
                        const std::string& new_name, unsigned flags) {
  const ParentAndName source = InDirectory(parent, name);
  const ParentAndName target = InDirectory(new_parent, new_name);
  for (int attempt = 0; attempt < kMaxRenameAttempts; ++attempt) {
    Status status = RenameOnce(source, target, flags, false);
    if (status.code() != proto::STATUS_CONFLICT) return status;
  }
  return {proto::STATUS_CONFLICT, "rename kept racing with other changes"};
}

Status Client::LinkAt(uint64_t ino, uint64_t new_parent, const std::string& new_name,
                      proto::InodeAttr* out) {
  Resolved source;
  source.ino = ino;
  Status status = FillAttr(&source);
  if (!status.ok()) return status;
  source.type = source.attr.mode() & S_IFMT;
  if (S_ISDIR(source.type)) return {proto::STATUS_NOT_PERMITTED, "hard link to a directory"};
  status = AddLink(source, InDirectory(new_parent, new_name));
  if (status.ok()) status = GetAttr(ino, out);
  return status;
}

Status Client::ReadlinkOf(uint64_t ino, std::string* target) {
  proto::InodeAttr attr;
  Status status = GetAttr(ino, &attr);
  if (!status.ok()) return status;
  if (!S_ISLNK(attr.mode())) return Status::Invalid("not a symlink");
  *target = attr.symlink_target();
  return Status::Ok();
}

Status Client::OpenInode(uint64_t ino, int flags, int* fd) {
  if (!IsAccessMode(flags)) return Status::Invalid("bad access mode");
  Resolved resolved;
  resolved.ino = ino;
  // O_TRUNC looks at the size, which only the servers know.
  std::optional<proto::InodeAttr> recent;
  if ((flags & O_TRUNC) == 0) recent = recent_files_.Find(ino);
  if (recent) {
    resolved.attr = std::move(*recent);
    resolved.has_attr = true;
  }
  return OpenResolved(std::move(resolved), flags & ~O_CREAT, false, false, fd);
}

Status Client::CreateAndOpenAt(uint64_t parent, const std::string& name, uint32_t mode,
                               uint32_t uid, uint32_t gid, int flags, proto::InodeAttr* out,
                               int* fd) {
  if (!IsAccessMode(flags)) return Status::Invalid("bad access mode");
  Status status = CreateAt(parent, name, S_IFREG | (mode & 07777), 0, uid, gid, {}, out);
  if (!status.ok()) return status;
  Resolved resolved;
  resolved.ino = out->ino();
  resolved.type = S_IFREG;
  resolved.has_attr = true;
  resolved.attr = *out;
  return OpenResolved(std::move(resolved), flags & ~(O_CREAT | O_EXCL | O_TRUNC), true, false, fd);
}

Status Client::OpenDirInode(uint64_t ino, std::unique_ptr<DirStream>* out, bool with_attrs) {
  proto::InodeAttr attr;
  Status status = GetAttr(ino, &attr);
  if (!status.ok()) return status;
  if (!S_ISDIR(attr.mode())) return {proto::STATUS_NOT_DIR, "not a directory"};
  // The attributes listed with the names are the servers': writes kept here go there first.
  if (with_attrs) (void)write_behind_.SendAll();
  // ".." is unknown by inode alone; bridges ignore its number.
  *out = NewDirStream(ino, ino, with_attrs);
  return Status::Ok();
}

}  // namespace sealfs::client
