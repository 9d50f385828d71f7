#include "metadata_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <functional>

#include "key_encoding.h"
#include "placement.h"
#include "rocksdb/db.h"
#include "rocksdb/iterator.h"
#include "rocksdb/write_batch.h"
#include "spdlog/spdlog.h"

namespace sealfs {

namespace {

Status ValidateEntryName(std::string_view name) {
  if (name.empty()) return Status::Invalid("empty name");
  if (name.size() > kMaxNameLength) return {proto::STATUS_NAME_TOO_LONG, "name over 255 bytes"};
  if (name == "." || name == "..") return Status::Invalid("name is . or ..");
  if (name.find('/') != std::string_view::npos) return Status::Invalid("name contains '/'");
  if (name.find('\0') != std::string_view::npos) return Status::Invalid("name contains NUL");
  return Status::Ok();
}

Status ValidateXattrName(std::string_view name) {
  if (name.empty()) return Status::Invalid("empty xattr name");
  if (name.size() > kMaxNameLength) return {proto::STATUS_RANGE, "xattr name over 255 bytes"};
  if (name.find('\0') != std::string_view::npos) return Status::Invalid("xattr name has NUL");
  return Status::Ok();
}

bool IsDirectory(const proto::InodeAttr& attr) { return (attr.mode() & S_IFMT) == S_IFDIR; }

rocksdb::Slice ToSlice(std::string_view bytes) { return {bytes.data(), bytes.size()}; }

Status Corrupt(std::string_view what) {
  return Status::IoError("corrupt " + std::string(what) + " record");
}

}  // namespace

Status MetadataStore::GetInode(uint64_t ino, proto::InodeAttr* attr, bool* found) {
  std::string value;
  rocksdb::Status status = storage_->Get(Storage::kInodes, keys::InodeKey(ino), &value);
  *found = false;
  if (status.IsNotFound()) return Status::Ok();
  if (!status.ok()) return FromRocks(status);
  if (!attr->ParseFromString(value)) return Corrupt("inode");
  *found = true;
  return Status::Ok();
}

Status MetadataStore::InodeExists(uint64_t ino, bool* found) {
  proto::InodeAttr attr;
  return GetInode(ino, &attr, found);
}

Status MetadataStore::RequireInode(uint64_t ino) {
  bool found = false;
  Status status = InodeExists(ino, &found);
  if (status.ok() && !found) return Status::NotFound();
  return status;
}

Status MetadataStore::GetDentry(uint64_t parent, std::string_view name, proto::Dentry* entry,
                                bool* found) {
  std::string value;
  rocksdb::Status status = storage_->Get(Storage::kDentries, keys::DentryKey(parent, name), &value);
  *found = false;
  if (status.IsNotFound()) return Status::Ok();
  if (!status.ok()) return FromRocks(status);
  if (!entry->ParseFromString(value)) return Corrupt("dentry");
  *found = true;
  return Status::Ok();
}

Status MetadataStore::DeleteInodeInBatch(uint64_t ino, rocksdb::WriteBatch* batch) {
  rocksdb::Status status = batch->Delete(storage_->inodes(), keys::InodeKey(ino));
  if (!status.ok()) return FromRocks(status);
  std::string prefix = keys::InoPrefix(ino);
  std::string end = keys::InoPrefixEnd(ino);
  rocksdb::Slice end_slice(end);
  rocksdb::ReadOptions options;
  if (!end.empty()) options.iterate_upper_bound = &end_slice;
  std::unique_ptr<rocksdb::Iterator> it(storage_->NewIterator(Storage::kXattrs, options));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    status = batch->Delete(storage_->xattrs(), it->key());
    if (!status.ok()) return FromRocks(status);
  }
  return FromRocks(it->status());
}

// Sets reply->attr (so that reply->has_attr()) when the inode is stored here.
template <typename Reply>
Status MetadataStore::GetLocalAttr(uint64_t ino, Reply* reply) {
  if (inode_served_ && !inode_served_(ino)) return Status::Ok();
  proto::InodeAttr attr;
  bool found = false;
  Status status = GetInode(ino, &attr, &found);
  if (status.ok() && found) *reply->mutable_attr() = std::move(attr);
  return status;
}

Status MetadataStore::Lookup(const proto::LookupRequest& request, proto::LookupReply* reply) {
  Status status = ValidateEntryName(request.name());
  if (!status.ok()) return status;
  bool found = false;
  status = GetDentry(request.parent(), request.name(), reply->mutable_entry(), &found);
  if (!status.ok()) return status;
  if (!found) return Status::NotFound();
  return GetLocalAttr(reply->entry().ino(), reply);
}

Status MetadataStore::Create(const proto::CreateRequest& request, proto::CreateReply* reply,
                             rocksdb::WriteBatch* batch) {
  // The root has an inode and no entry: parent 0 with an empty name creates just the inode.
  const bool root = request.parent() == 0 && request.name().empty();
  Status status = root ? Status::Ok() : ValidateEntryName(request.name());
  if (!status.ok()) return status;
  const proto::InodeAttr& attr = request.attr();
  if (attr.ino() == 0) return Status::Invalid("inode number 0");
  if ((attr.mode() & S_IFMT) == 0) return Status::Invalid("mode has no file type");
  if (S_ISREG(attr.mode()) && !IsValidChunkSize(attr.chunk_size())) {
    return Status::Invalid("chunk size not a power of two from 4 KiB to 64 MiB");
  }

  std::string dentry_key = keys::DentryKey(request.parent(), request.name());
  std::string inode_key = keys::InodeKey(attr.ino());
  bool found = false;
  if (!root) {
    status = GetDentry(request.parent(), request.name(), reply->mutable_entry(), &found);
    if (!status.ok()) return status;
    if (found) {
      if (request.exclusive()) return Status::Exists();
      reply->set_created(false);
      return GetLocalAttr(reply->entry().ino(), reply);
    }
  }
  status = InodeExists(attr.ino(), &found);
  if (!status.ok()) return status;
  if (found) return root ? Status::Exists() : Status(proto::STATUS_CONFLICT, "inode number taken");

  proto::Dentry entry;
  entry.set_ino(attr.ino());
  entry.set_type(attr.mode() & S_IFMT);
  proto::InodeAttr stored = attr;
  if (stored.nlink() == 0) stored.set_nlink(IsDirectory(stored) ? 2 : 1);
  rocksdb::Status put;
  if (!root) put = batch->Put(storage_->dentries(), dentry_key, entry.SerializeAsString());
  if (put.ok()) put = batch->Put(storage_->inodes(), inode_key, stored.SerializeAsString());
  if (!put.ok()) return FromRocks(put);
  reply->set_created(true);
  if (!root) *reply->mutable_entry() = entry;
  *reply->mutable_attr() = std::move(stored);
  return Status::Ok();
}

Status MetadataStore::GetAttr(const proto::GetAttrRequest& request, proto::GetAttrReply* reply) {
  bool found = false;
  Status status = GetInode(request.ino(), reply->mutable_attr(), &found);
  if (!status.ok()) return status;
  return found ? Status::Ok() : Status::NotFound();
}

Status MetadataStore::SetAttr(const proto::SetAttrRequest& request, proto::SetAttrReply* reply,
                              rocksdb::WriteBatch* batch) {
  std::string inode_key = keys::InodeKey(request.ino());
  proto::InodeAttr* attr = reply->mutable_attr();
  bool found = false;
  Status status = GetInode(request.ino(), attr, &found);
  if (!status.ok()) return status;
  if (!found) return Status::NotFound();

  int64_t nlink = static_cast<int64_t>(attr->nlink()) + request.nlink_delta();
  if (nlink < 0) return Status::Invalid("link count below zero");
  if (nlink > UINT32_MAX) return {proto::STATUS_TOO_BIG, "link count overflow"};
  if (request.has_mode()) attr->set_mode((attr->mode() & S_IFMT) | (request.mode() & 07777));
  if (request.has_uid()) attr->set_uid(request.uid());
  if (request.has_gid()) attr->set_gid(request.gid());
  if (request.has_size()) attr->set_size(request.size());
  if (request.has_size_at_least()) {
    attr->set_size(std::max(attr->size(), request.size_at_least()));
  }
  if (request.has_atime()) *attr->mutable_atime() = request.atime();
  if (request.has_mtime()) *attr->mutable_mtime() = request.mtime();
  if (request.has_ctime()) *attr->mutable_ctime() = request.ctime();
  attr->set_nlink(static_cast<uint32_t>(nlink));

  bool remove = nlink == 0 && request.nlink_delta() != 0;
  if (remove) {
    status = DeleteInodeInBatch(request.ino(), batch);
  } else {
    status = FromRocks(batch->Put(storage_->inodes(), inode_key, attr->SerializeAsString()));
  }
  if (!status.ok()) return status;
  reply->set_removed(remove);
  if (request.nlink_delta() != 0) {
    spdlog::trace("inode {:016x}: link count {} -> {}", request.ino(),
                  static_cast<int64_t>(nlink) - request.nlink_delta(), nlink);
  }
  return Status::Ok();
}

Status MetadataStore::InsertDentry(const proto::InsertDentryRequest& request,
                                   rocksdb::WriteBatch* batch) {
  Status status = ValidateEntryName(request.name());
  if (!status.ok()) return status;
  if (request.entry().ino() == 0) return Status::Invalid("inode number 0");
  std::string dentry_key = keys::DentryKey(request.parent(), request.name());
  proto::Dentry current;
  bool found = false;
  status = GetDentry(request.parent(), request.name(), &current, &found);
  if (!status.ok()) return status;
  if (request.expected_ino() == 0) {
    if (found) return Status::Exists();
  } else if (!found) {
    return Status::NotFound();
  } else if (current.ino() != request.expected_ino()) {
    return {proto::STATUS_CONFLICT, "entry points elsewhere"};
  }
  return FromRocks(
      batch->Put(storage_->dentries(), dentry_key, request.entry().SerializeAsString()));
}

Status MetadataStore::RemoveDentry(const proto::RemoveDentryRequest& request,
                                   proto::RemoveDentryReply* reply, rocksdb::WriteBatch* batch) {
  Status status = ValidateEntryName(request.name());
  if (!status.ok()) return status;
  std::string dentry_key = keys::DentryKey(request.parent(), request.name());
  proto::Dentry* entry = reply->mutable_entry();
  bool found = false;
  status = GetDentry(request.parent(), request.name(), entry, &found);
  if (!status.ok()) return status;
  if (!found) return Status::NotFound();
  if (request.expected_ino() != 0 && entry->ino() != request.expected_ino()) {
    return {proto::STATUS_CONFLICT, "entry points elsewhere"};
  }
  if (request.reject_directory() && S_ISDIR(entry->type())) {
    return {proto::STATUS_IS_DIR, "entry is a directory"};
  }

  bool handled = false;
  bool removed = false;
  if (request.unlink_inode() &&
      (!unlink_filter_ || unlink_filter_(request.parent(), request.name(), entry->ino()))) {
    proto::InodeAttr attr;
    status = GetInode(entry->ino(), &attr, &handled);
    if (!status.ok()) return status;
    if (handled) {
      *reply->mutable_attr() = attr;
      removed = IsDirectory(attr) || attr.nlink() <= 1;
      spdlog::trace("inode {:016x}: link count {} -> {} (entry {} removed)", entry->ino(),
                    attr.nlink(), removed ? 0 : attr.nlink() - 1, request.name());
      if (removed) {
        status = DeleteInodeInBatch(entry->ino(), batch);
      } else {
        attr.set_nlink(attr.nlink() - 1);
        if (request.has_ctime()) *attr.mutable_ctime() = request.ctime();
        status = FromRocks(
            batch->Put(storage_->inodes(), keys::InodeKey(entry->ino()), attr.SerializeAsString()));
      }
      if (!status.ok()) return status;
    }
  }
  if (request.unlink_inode() && request.only_with_inode() && !handled) {
    spdlog::trace("entry {} of inode {:016x}: the inode is elsewhere", request.name(),
                  entry->ino());
    reply->set_inode_elsewhere(true);  // nothing changes: the caller goes to the inode first
    return Status::Ok();
  }
  reply->set_inode_handled(handled);
  reply->set_inode_removed(removed);
  return FromRocks(batch->Delete(storage_->dentries(), dentry_key));
}

Status MetadataStore::ReadDir(const proto::ReadDirRequest& request, proto::ReadDirReply* reply,
                              const NameFilter& served) {
  uint32_t limit =
      request.limit() == 0 ? kDefaultReadDirLimit : std::min(request.limit(), kMaxReadDirLimit);
  std::string prefix = keys::InoPrefix(request.parent());
  std::string end = keys::InoPrefixEnd(request.parent());
  rocksdb::Slice end_slice(end);
  rocksdb::ReadOptions options;
  if (!end.empty()) options.iterate_upper_bound = &end_slice;
  std::unique_ptr<rocksdb::Iterator> it(storage_->NewIterator(Storage::kDentries, options));
  std::string start = keys::DentryKey(request.parent(), request.start_after());
  it->Seek(start);
  if (it->Valid() && it->key() == rocksdb::Slice(start)) it->Next();
  for (; it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (static_cast<uint32_t>(reply->entries_size()) == limit) {
      reply->set_more(true);
      break;
    }
    std::string_view name(it->key().data() + keys::kInoSize, it->key().size() - keys::kInoSize);
    if (served && !served(name)) continue;
    proto::Dentry entry;
    if (!entry.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return Corrupt("dentry");
    }
    proto::DirEntry* out = reply->add_entries();
    out->set_name(name.data(), name.size());
    out->set_ino(entry.ino());
    out->set_type(entry.type());
    if (request.with_attrs()) {
      Status status = GetLocalAttr(entry.ino(), out);
      if (!status.ok()) return status;
    }
  }
  return FromRocks(it->status());
}

Status MetadataStore::SetXattr(const proto::SetXattrRequest& request, std::string_view value,
                               rocksdb::WriteBatch* batch) {
  Status status = ValidateXattrName(request.name());
  if (!status.ok()) return status;
  int32_t flags = request.flags();
  if (flags != 0 && flags != kXattrCreate && flags != kXattrReplace) {
    return Status::Invalid("bad xattr flags");
  }
  if (value.size() > kMaxXattrValueLength) return {proto::STATUS_TOO_BIG, "xattr value too big"};
  status = RequireInode(request.ino());
  if (!status.ok()) return status;
  std::string key = keys::XattrKey(request.ino(), request.name());
  if (flags != 0) {
    std::string existing;
    rocksdb::Status get = storage_->Get(Storage::kXattrs, key, &existing);
    if (!get.ok() && !get.IsNotFound()) return FromRocks(get);
    if (flags == kXattrCreate && get.ok()) return Status::Exists();
    if (flags == kXattrReplace && get.IsNotFound()) return {proto::STATUS_NO_DATA, {}};
  }
  return FromRocks(batch->Put(storage_->xattrs(), key, ToSlice(value)));
}

Status MetadataStore::GetXattr(const proto::GetXattrRequest& request, std::string* value) {
  Status status = ValidateXattrName(request.name());
  if (!status.ok()) return status;
  status = RequireInode(request.ino());
  if (!status.ok()) return status;
  rocksdb::Status get =
      storage_->Get(Storage::kXattrs, keys::XattrKey(request.ino(), request.name()), value);
  if (get.IsNotFound()) return {proto::STATUS_NO_DATA, {}};
  return FromRocks(get);
}

Status MetadataStore::ListXattr(const proto::ListXattrRequest& request,
                                proto::ListXattrReply* reply) {
  Status status = RequireInode(request.ino());
  if (!status.ok()) return status;
  std::string prefix = keys::InoPrefix(request.ino());
  std::string end = keys::InoPrefixEnd(request.ino());
  rocksdb::Slice end_slice(end);
  rocksdb::ReadOptions options;
  if (!end.empty()) options.iterate_upper_bound = &end_slice;
  std::unique_ptr<rocksdb::Iterator> it(storage_->NewIterator(Storage::kXattrs, options));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    reply->add_names(it->key().data() + keys::kInoSize, it->key().size() - keys::kInoSize);
  }
  return FromRocks(it->status());
}

Status MetadataStore::RemoveXattr(const proto::RemoveXattrRequest& request,
                                  rocksdb::WriteBatch* batch) {
  Status status = ValidateXattrName(request.name());
  if (!status.ok()) return status;
  status = RequireInode(request.ino());
  if (!status.ok()) return status;
  std::string key = keys::XattrKey(request.ino(), request.name());
  std::string existing;
  rocksdb::Status get = storage_->Get(Storage::kXattrs, key, &existing);
  if (get.IsNotFound()) return {proto::STATUS_NO_DATA, {}};
  if (!get.ok()) return FromRocks(get);
  return FromRocks(batch->Delete(storage_->xattrs(), key));
}

}  // namespace sealfs
