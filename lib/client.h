// Client: the core of libsealfs. Every call of sealfs.h is one method here, returning a Status
// that the C API turns into -errno in one place.
//
// Namespace: an inode has a stable 64-bit id; a directory entry (parent id, name) points at it.
// Entries live on the home server of (parent, name), inodes on the home server of their id, and
// a new inode gets an id whose home is the server of its entry, so that create is one request
// and lookup returns the child's attributes with the entry. Data: a file's bytes are cut into
// chunks of attr.chunk_size; chunk i lives on the home server of (id, i). See docs/design.md.
//
// Thread-safe: any method may be called from many threads at once.
#pragma once

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cluster_view.h"
#include "dir_cache.h"
#include "directory_touches.h"
#include "file_table.h"
#include "inode_cache.h"
#include "recent_files.h"
#include "status.h"
#include "write_behind.h"

namespace sealfs::client {

inline constexpr uint64_t kRootIno = 1;

struct ClientOptions {
  Timeouts timeouts;
  uint32_t chunk_size = 0;  // 0: the cluster's default
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t umask = 022;
  std::size_t max_open_files = 1 << 20;
  // How long a directory looked up stays cached for path resolution (DirCache); 0: not at all.
  std::chrono::milliseconds dir_cache{1000};
  // The first read of an open file moves atime as Linux's relatime does (sealfs_options).
  bool relatime = false;
  // Writes are kept and sent together (WriteBehind, sealfs_options.write_behind).
  bool write_behind = false;
};

// One directory listing in progress: ".", "..", then each server's share of the entries (the
// entries it is the head for). When a server fails in the middle (the cluster is changing) the
// listing starts over on a fresh map and skips the names it already returned.
class DirStream {
 public:
  struct Entry {
    std::string name;
    uint64_t ino = 0;
    uint32_t type = 0;
    // Read with the entry in a stream opened with attributes, where its server holds the inode
    // (always, unless it was renamed or linked from another directory).
    std::optional<proto::InodeAttr> attr;
  };
  // Fills *entry and returns true, or returns false at the end; *status reports a failure.
  bool Next(Entry* entry, Status* status);

 private:
  friend class Client;
  class Client* client_ = nullptr;
  uint64_t ino_ = 0;
  uint64_t parent_ino_ = 0;
  bool with_attrs_ = false;
  int dots_emitted_ = 0;
  std::vector<ServerId> servers_;
  uint64_t epoch_ = 0;              // of the map servers_ comes from; every page is asked for at it
  bool every_group_served_ = true;  // in that map: false when a listing could miss entries
  std::size_t server_index_ = 0;
  std::vector<Entry> batch_;
  std::size_t batch_pos_ = 0;
  std::string start_after_;
  bool server_done_ = false;
  bool restarted_ = false;
  std::set<std::string> returned_;                  // names returned so far: a restart skips them
  std::chrono::steady_clock::time_point deadline_;  // for restarts
  // Lists the servers that are UP in the current map.
  void StartOver();
};

class Client {
 public:
  static Status Connect(const std::string& manager_address, const ClientOptions& options,
                        std::unique_ptr<Client>* out);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Paths.
  Status Stat(std::string_view path, bool follow, proto::InodeAttr* attr);
  Status Mkdir(std::string_view path, uint32_t mode);
  // A regular file, FIFO, socket or device node (the node is metadata only: rdev is kept).
  Status Mknod(std::string_view path, uint32_t mode, uint64_t rdev);
  Status Rmdir(std::string_view path);
  Status Unlink(std::string_view path);
  // flags: 0, RENAME_NOREPLACE or RENAME_EXCHANGE, as renameat2(2).
  Status Rename(std::string_view from, std::string_view to, unsigned flags = 0);
  Status Link(std::string_view existing, std::string_view new_path);
  Status Symlink(std::string_view target, std::string_view link_path);
  Status Readlink(std::string_view path, std::string* target);
  Status Chmod(std::string_view path, uint32_t mode);
  Status Chown(std::string_view path, uint32_t uid, uint32_t gid);
  // times[0] atime, times[1] mtime, with UTIME_NOW / UTIME_OMIT; nullptr means now.
  Status Utimens(std::string_view path, const struct timespec* times);
  Status Access(std::string_view path, int mode);
  Status Truncate(std::string_view path, uint64_t length);
  Status StatFs(struct statvfs* out);
  // A fresh map from the manager, and each server's answer to OP_STAT_FS (a failed one keeps
  // its status), in the order of the map.
  struct ServerStatus {
    proto::ServerInfo info;
    Status status;
    proto::StatFsReply capacity;
  };
  Status GetClusterStatus(uint64_t* epoch, std::vector<ServerStatus>* servers);

  // Extended attributes.
  Status SetXattr(std::string_view path, std::string_view name, std::string_view value, int flags);
  Status GetXattr(std::string_view path, std::string_view name, std::string* value);
  Status ListXattr(std::string_view path, std::vector<std::string>* names);
  Status RemoveXattr(std::string_view path, std::string_view name);

  // By inode, for bridges such as FUSE that track inodes themselves (sealfs_ll.h). No path is
  // resolved and no permission checked: the caller (the kernel, with default_permissions) has.
  Status LookupAttr(uint64_t parent, const std::string& name, proto::InodeAttr* attr);
  // A directory's attributes come from dir_cache_ while fresh.
  Status GetInodeAttr(uint64_t ino, proto::InodeAttr* attr);
  Status SetXattr(uint64_t ino, std::string_view name, std::string_view value, int flags);
  Status GetXattr(uint64_t ino, std::string_view name, std::string* value);
  Status ListXattr(uint64_t ino, std::vector<std::string>* names);
  Status RemoveXattr(uint64_t ino, std::string_view name);
  // Applies the fields present in `request` (a size cuts or extends the data first) and returns
  // the attributes after the change.
  Status SetInodeAttr(proto::SetAttrRequest request, proto::InodeAttr* out);
  // Creates name in parent with exactly `mode` (no umask), owned by uid and gid; a symlink
  // when target is not empty.
  Status CreateAt(uint64_t parent, const std::string& name, uint32_t mode, uint64_t rdev,
                  uint32_t uid, uint32_t gid, std::string_view target, proto::InodeAttr* out);
  Status UnlinkAt(uint64_t parent, const std::string& name);
  Status RmdirAt(uint64_t parent, const std::string& name);
  Status RenameAt(uint64_t parent, const std::string& name, uint64_t new_parent,
                  const std::string& new_name, unsigned flags);
  Status LinkAt(uint64_t ino, uint64_t new_parent, const std::string& new_name,
                proto::InodeAttr* out);
  Status ReadlinkOf(uint64_t ino, std::string* target);
  Status OpenInode(uint64_t ino, int flags, int* fd);
  // CreateAt of a regular file, then opened with `flags` from the attributes the create returned
  // (FUSE's CREATE): no round trip for the open.
  Status CreateAndOpenAt(uint64_t parent, const std::string& name, uint32_t mode, uint32_t uid,
                         uint32_t gid, int flags, proto::InodeAttr* out, int* fd);
  // with_attrs: each entry comes with its inode's attributes where they are stored with it.
  Status OpenDirInode(uint64_t ino, std::unique_ptr<DirStream>* out, bool with_attrs = false);

  // Descriptors.
  // symlink_depth counts the dangling links an O_CREAT already followed to their targets.
  Status Open(std::string_view path, int flags, uint32_t mode, int* fd, int symlink_depth = 0);
  Status Close(int fd);
  // Sends the writes kept for fd's file and reports one that failed, as Close without closing.
  Status Flush(int fd);
  Status Read(int fd, void* buf, std::size_t count, std::size_t* done);
  Status Write(int fd, const void* buf, std::size_t count, std::size_t* done);
  Status Pread(int fd, void* buf, std::size_t count, uint64_t offset, std::size_t* done);
  Status Pwrite(int fd, const void* buf, std::size_t count, uint64_t offset, std::size_t* done);
  Status Lseek(int fd, int64_t offset, int whence, int64_t* result);
  Status Fsync(int fd);
  Status Ftruncate(int fd, uint64_t length);
  // mode: 0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
  // FALLOC_FL_ZERO_RANGE (| FALLOC_FL_KEEP_SIZE), as fallocate(2).
  Status Fallocate(int fd, int mode, uint64_t offset, uint64_t length);
  Status Fstat(int fd, proto::InodeAttr* attr);

  // Directories.
  Status OpenDir(std::string_view path, std::unique_ptr<DirStream>* out);

 private:
  friend class DirStream;

  // Attempts of a rename that lost a race against another client's change of the same names
  // before it reports EAGAIN.
  static constexpr int kMaxRenameAttempts = 8;

  // What resolving a path found.
  struct Resolved {
    uint64_t ino = 0;
    uint32_t type = 0;
    bool has_attr = false;
    proto::InodeAttr attr;
    // A directory taken from dir_cache_ rather than asked of its server: the name it was
    // cached under.
    struct CachedName {
      uint64_t parent = 0;
      std::string name;
    };
    std::optional<CachedName> cached_as;
  };
  // The directory a new or removed name lives in.
  struct ParentAndName {
    Resolved parent;
    std::string name;
    std::vector<uint64_t> ancestors;  // inodes from the root down to the parent, inclusive
  };

  Client(const std::string& manager_address, const ClientOptions& options);
  Status EnsureRoot();

  // Namespace (client_namespace.cc).
  Status Resolve(std::string_view path, bool follow_last, Resolved* out);
  // use_cache: take the directories on the way from dir_cache_ where fresh; a name not found
  // under a cached directory makes the walk start again without the cache. cache_last: the last
  // component too, when it is a cached directory.
  Status ResolveComponents(std::vector<std::string> components, bool follow_last, int depth,
                           std::vector<uint64_t>* ancestors, Resolved* out, bool use_cache = true,
                           bool cache_last = false);
  // Resolves all but the last component. A path naming the root, or ending in "." or "..",
  // names a directory that cannot be created or removed: STATUS_EXISTS, with out->name empty,
  // "." or "..", once the directory is known to exist. cache_parent: the parent itself may come
  // from dir_cache_ (out->parent.cached_as), for a caller that finds out when it is gone.
  Status ResolveParent(std::string_view path, ParentAndName* out, bool cache_parent = false);
  Status Lookup(uint64_t parent, const std::string& name, Resolved* out);
  Status GetAttr(uint64_t ino, proto::InodeAttr* attr);
  Status FillAttr(Resolved* resolved);
  Status SetAttr(const proto::SetAttrRequest& request, proto::SetAttrReply* reply);
  // Creates name in parent with a new inode made of `attr` (ino chosen here).
  Status CreateEntry(const ParentAndName& where, proto::InodeAttr attr, bool exclusive,
                     proto::CreateReply* reply);
  // CreateEntry of a directory.
  Status CreateDirectory(const ParentAndName& where, proto::InodeAttr attr,
                         proto::CreateReply* reply);
  // Bumps a directory's mtime and ctime and changes its link count by nlink_delta.
  static proto::SetAttrRequest TouchRequest(uint64_t dir_ino, int nlink_delta);
  // Moves a directory's mtime and ctime to `when` in the background (touches_), after a create
  // or unlink in it.
  void TouchDirectory(uint64_t dir_ino, const proto::Timespec& when);
  // Sends touches_'s SETATTRs, all at once.
  void SendTouches(const std::vector<proto::SetAttrRequest>& touches);
  // A file whose inode went with its last link: its chunks are deleted in the background
  // (deletes_), so that an unlink returns once the name and the inode are gone, as CephFS's
  // purge queue does. What a client that dies leaves is reclaimed by the servers' passes.
  struct DeletedFile {
    uint64_t ino = 0;
    uint64_t size = 0;
    uint32_t chunk_size = 0;
  };
  void DeleteData(const proto::Dentry& entry, const proto::InodeAttr& last_attr);
  // DeleteData when `drop_reply`, the SetAttrReply of the step of an intent that dropped a link
  // of entry's inode, says the inode went.
  void DeleteDataOfDropped(const proto::Dentry& entry, const std::string& drop_reply);
  // Deletes the chunks of the files: one DELETE_CHUNK to each chunk's head for a file of at
  // most kMostChunksDeletedOneByOne chunks, all at once; a TRUNCATE_CHUNKS to every server for
  // a larger one. A deletion that fails is left to the passes.
  void SendDeletes(const std::vector<DeletedFile>& files);
  static constexpr uint64_t kMostChunksDeletedOneByOne = 8;
  // Removes the entry where.name (if it points at expected_ino; 0: whatever it points at; a
  // directory is refused with reject_directory), drops its link, and updates the parent's times.
  Status RemoveEntry(const ParentAndName& where, uint64_t expected_ino, bool reject_directory);
  // RemoveEntry when the inode is stored elsewhere than the entry: both in one intent.
  Status RemoveEntryAndLink(const ParentAndName& where, const proto::Dentry& entry,
                            proto::RemoveDentryRequest remove);
  Status CheckEmptyDirectory(uint64_t ino);
  // Removes the empty directory where.name.
  Status RemoveDirectory(const ParentAndName& where);
  // Adds the name where.name for the inode `source` (not a directory).
  Status AddLink(const Resolved& source, const ParentAndName& where);
  // Checks the open mode against the inode found and hands out a descriptor. created: the
  // inode was made by this open (no permission check, no truncation); check_permission: false
  // when the caller has checked already.
  Status OpenResolved(Resolved resolved, int flags, bool created, bool check_permission, int* fd);
  // A directory known only by its inode, as a ParentAndName for a name in it.
  static ParentAndName InDirectory(uint64_t parent, std::string name);
  std::unique_ptr<DirStream> NewDirStream(uint64_t ino, uint64_t parent_ino,
                                          bool with_attrs = false);
  // One attempt at renaming source to target; STATUS_CONFLICT means another client changed
  // one of the names meanwhile and the caller should resolve again and retry. want_dir: the
  // path ended in '/', so the moved inode must be a directory.
  Status RenameOnce(const ParentAndName& source, const ParentAndName& target, unsigned flags,
                    bool want_dir);
  // Sends an intent (several records, possibly on several servers, changed all or not at all)
  // to the head of coordinator_key.
  Status RunIntent(const std::string& coordinator_key, const proto::Intent& intent,
                   proto::RunIntentReply* reply);
  Status ExchangeOnce(const ParentAndName& source, const Resolved& a, const ParentAndName& target,
                      const Resolved& b);
  proto::InodeAttr NewInodeAttr(uint32_t mode) const;
  // A random inode id placed on the replicas of the entry `entry_key`, so that the inode lives
  // beside the entry that creates it and one request creates both; 0 when none is found.
  uint64_t NewInodeIdFor(std::string_view entry_key);
  Status CheckPermission(const proto::InodeAttr& attr, int access_mode) const;

  // Data (client_data.cc).
  Status ReadAt(const OpenFile& file, char* buf, std::size_t count, uint64_t offset,
                std::size_t* done);
  Status WriteAt(const OpenFile& file, const char* buf, std::size_t count, uint64_t offset);
  // Sends every chunk piece of the ranges and one size and mtime update at once.
  struct Range {
    uint64_t offset = 0;
    std::string_view bytes;
  };
  Status WriteRanges(uint64_t ino, uint32_t chunk_size, bool sync, const std::vector<Range>& ranges,
                     const proto::Timespec& mtime);
  // write(), and once more when it found the disk full while files this client removed are
  // still on their way to being deleted.
  Status RetryIfSpaceIsComing(const std::function<Status()>& write);
  // WriteBehind's send: the kept writes of one file.
  Status SendKept(const KeptWrites& writes);
  Status PreadFile(const OpenFile& file, void* buf, std::size_t count, uint64_t offset,
                   std::size_t* done);
  Status PwriteFile(const OpenFile& file, const void* buf, std::size_t count, uint64_t offset,
                    std::size_t* done);
  Status TruncateInode(uint64_t ino, uint64_t length);
  // Makes [begin, end) of the file read as zeros: whole chunks are deleted on every server at
  // once, the partial ones at either edge overwritten with zeros.
  Status ZeroRange(const OpenFile& file, uint64_t begin, uint64_t end);
  // Cuts the chunks of ino on every server to `length` bytes (0 deletes them).
  Status TruncateChunks(uint64_t ino, uint64_t length, uint32_t chunk_size);
  Status SyncAll();

  ClientOptions options_;
  ClusterView cluster_;
  DirCache dir_cache_;
  RecentFiles recent_files_;  // for OpenInode, kept as long as directories
  // Each file's security.capability (or its absence) as last read, kept as long: FUSE's kernel
  // asks for it before every write through its page cache (to drop it on write).
  InodeCache<std::optional<std::string>> capabilities_;
  static constexpr std::string_view kCapabilityXattr = "security.capability";
  DirectoryTouches touches_;  // after cluster_: sends its last touches before cluster_ goes
  BackgroundBatches<std::vector<DeletedFile>> deletes_;  // after cluster_, as touches_
  FileTable files_;
  // After everything its sends use, so that its destructor sends what is kept while they live.
  WriteBehind write_behind_;
  uint32_t default_chunk_size_ = 1U << 20;
  // Striped by inode: makes an O_APPEND write's size lookup and write one step (client_data.cc).
  std::array<std::mutex, 64> append_mutexes_;
  std::mutex random_mutex_;
  std::mt19937_64 random_;  // GUARDED_BY(random_mutex_)
};

// The current wall-clock time as a Timespec.
proto::Timespec Now();

}  // namespace sealfs::client
