// MetadataStore: inodes, directory entries and extended attributes on one server.
//
// Replies carry the child's InodeAttr (Lookup, Create) only when that inode is stored here: the
// attr field is then present (has_attr()).
//
// A write decides: it reads the records involved, checks, fills its reply and adds its change to
// `batch` (one atomic RocksDB WriteBatch), and applies nothing; the caller commits the batch
// (ServerService, through the Replicator) while it holds the exclusive key locks of the records'
// placement keys from before the decision until the commit returns, so that the check and the
// write are one step. On an error the caller drops the batch. Reads take no lock. Semantics of
// each operation: sealfs.proto.
//
// Names (entry names and xattr names) are rejected when empty, "." or ".." (entries only), when
// they contain '/' (entries only) or '\0' (STATUS_INVALID), or when longer than 255 bytes
// (STATUS_NAME_TOO_LONG; STATUS_RANGE for xattr names, as Linux answers ERANGE there).
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sealfs.pb.h"
#include "status.h"
#include "storage.h"

namespace rocksdb {
class WriteBatch;
}  // namespace rocksdb

namespace sealfs {

// XATTR_CREATE and XATTR_REPLACE of setxattr(2), as carried in SetXattrRequest.flags.
inline constexpr int32_t kXattrCreate = 1;
inline constexpr int32_t kXattrReplace = 2;
inline constexpr std::size_t kMaxNameLength = 255;
inline constexpr std::size_t kMaxXattrValueLength = 64U << 10;  // XATTR_SIZE_MAX
// ReadDir: entries per reply when the request asks for 0, and the most it ever returns.
inline constexpr uint32_t kDefaultReadDirLimit = 1024;
inline constexpr uint32_t kMaxReadDirLimit = 4096;

class MetadataStore {
 public:
  explicit MetadataStore(Storage* storage) : storage_(storage) {}

  Status Lookup(const proto::LookupRequest& request, proto::LookupReply* reply);
  // A request with parent 0 and an empty name creates only the inode: the root, which has no
  // entry. An existing inode then fails with STATUS_EXISTS.
  Status Create(const proto::CreateRequest& request, proto::CreateReply* reply,
                rocksdb::WriteBatch* batch);
  Status GetAttr(const proto::GetAttrRequest& request, proto::GetAttrReply* reply);
  Status SetAttr(const proto::SetAttrRequest& request, proto::SetAttrReply* reply,
                 rocksdb::WriteBatch* batch);
  Status InsertDentry(const proto::InsertDentryRequest& request, rocksdb::WriteBatch* batch);
  // Changes the entry's inode too (unlink_inode) only where set_unlink_filter allows: the caller
  // holds the entry's key locks, which cover its inode only when the two are placed alike.
  Status RemoveDentry(const proto::RemoveDentryRequest& request, proto::RemoveDentryReply* reply,
                      rocksdb::WriteBatch* batch);
  // Lists the entries `served` accepts (all when empty): a server lists only the entries it is
  // the head for, so that a client merging every server's list sees each entry once.
  using NameFilter = std::function<bool(std::string_view name)>;
  Status ReadDir(const proto::ReadDirRequest& request, proto::ReadDirReply* reply,
                 const NameFilter& served = {});
  Status SetXattr(const proto::SetXattrRequest& request, std::string_view value,
                  rocksdb::WriteBatch* batch);
  Status GetXattr(const proto::GetXattrRequest& request, std::string* value);
  Status ListXattr(const proto::ListXattrRequest& request, proto::ListXattrReply* reply);
  Status RemoveXattr(const proto::RemoveXattrRequest& request, rocksdb::WriteBatch* batch);

  // Which inodes count as stored here for the replies that carry an inode beside an entry
  // (Lookup, Create) and for RemoveDentry's unlink_inode: with copies on several servers, only
  // those this server is the head for. Empty (the default): every inode stored here. Set once,
  // before use.
  void set_inode_filter(std::function<bool(uint64_t ino)> served) {
    inode_served_ = std::move(served);
  }
  // Whether RemoveDentry's unlink_inode may change the inode in the entry's own write: with
  // copies, only when the inode is placed alike with the entry (Placement::PlacedAlike), so that
  // every copy takes both or neither and a retry on the next head finds both. Empty (the
  // default): whenever the inode is stored here.
  using UnlinkFilter = std::function<bool(uint64_t parent, std::string_view name, uint64_t ino)>;
  void set_unlink_filter(UnlinkFilter placed_alike) { unlink_filter_ = std::move(placed_alike); }

 private:
  // Reads a record; *found says whether it exists.
  Status GetInode(uint64_t ino, proto::InodeAttr* attr, bool* found);
  Status GetDentry(uint64_t parent, std::string_view name, proto::Dentry* entry, bool* found);
  Status InodeExists(uint64_t ino, bool* found);
  // STATUS_NOT_FOUND unless the inode is stored here.
  Status RequireInode(uint64_t ino);
  template <typename Reply>
  Status GetLocalAttr(uint64_t ino, Reply* reply);
  // Adds the deletion of an inode and all its xattrs to batch.
  Status DeleteInodeInBatch(uint64_t ino, rocksdb::WriteBatch* batch);

  Storage* const storage_;
  std::function<bool(uint64_t ino)> inode_served_;
  UnlinkFilter unlink_filter_;
};

}  // namespace sealfs
