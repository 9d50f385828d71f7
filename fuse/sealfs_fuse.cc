// sealfs-fuse: mounts a SealFS cluster with libfuse3's low-level (inode) API.
//
// A thin bridge: every FUSE request becomes one call of sealfs_ll.h or of the descriptor calls of
// sealfs.h. FUSE inode numbers are SealFS inode numbers (both roots are 1), so no table maps one
// to the other and FORGET has nothing to drop. Permissions are the kernel's (default_permissions
// is always on); new inodes are owned by the caller of the request.
//
// Kernel caching, and why:
//  - attributes and entries are cached for attr_timeout / entry_timeout seconds (default 1):
//    another client's change shows here within that time, as on NFS with actimeo=1 (within
//    twice attr_timeout for a directory's attributes: the library keeps them as long again,
//    so that the GETATTR the kernel sends after each create in a directory costs nothing);
//    negative lookups are not cached (negative_timeout=0), so a file created elsewhere is seen
//    at once; with -o readdirplus a listing gives the kernel each name's attributes with it,
//    read by each server beside the names it lists: a listing of names the kernel does not
//    know yet is then a round trip per page instead of one per name, but every listing reads
//    every inode and the kernel takes every attribute, which made find over names it knew
//    (the creator's own) about half as fast, so it is off by default;
//  - the page cache is dropped on every open (no keep_cache): close-to-open consistency, a file
//    closed on one mount reads the same on another once opened again; a descriptor opened
//    write-only bypasses it (WritesPastThePageCache);
//  - the kernel's writeback cache off (it would keep its own idea of a file's size over the
//    servers' for as long as it holds the inode, so another client's appends would go unseen),
//    and the library's write-behind on (-o write_behind=0 turns it off): a write() returns once
//    the bridge holds it, and a file's writes are sent together within 5 ms, at 4 MiB, or
//    before anything on this mount reads or changes the file, and at every close(2) (FLUSH),
//    which reports a send that failed, as fsync(2) does. Every process on the mount sees every
//    write at once; another client sees it once sent (at the latest at close, as NFS's
//    close-to-open). The kernel lets one write() at a time into a file without the writeback
//    cache, so this turns a stream of small writes (ior-hard) from a round trip each into a
//    few large requests. O_APPEND and O_SYNC writes, and those of 256 KiB or more, are
//    sent before write() returns.
//  - requests of up to 1 MiB (max_write; reads follow max_pages), served by a thread pool;
//  - read-ahead of 1 MiB: the kernel caps a FUSE mount's read-ahead at 128 KiB whatever
//    max_readahead says, which makes sequential reads about six times slower here, so the mount
//    raises its own (/sys/class/bdi/MAJ:MIN/read_ahead_kb; -o read_ahead_kb=, 0 leaves it).
#define FUSE_USE_VERSION 35

#include <fuse_lowlevel.h>
#include <limits.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "sealfs/sealfs.h"
#include "sealfs/sealfs_ll.h"

namespace {

constexpr unsigned kMaxRequestBytes = 1U << 20;

struct MountOptions {
  char* manager = nullptr;
  double attr_timeout = 1.0;
  double entry_timeout = 1.0;
  double negative_timeout = 0.0;
  int request_timeout_ms = 10000;
  int read_ahead_kb = 1024;
  int readdirplus = 0;   // list with attributes and answer the kernel's readdirplus
  int write_behind = 1;  // sealfs_options.write_behind
};

// An open file: its SealFS descriptor.
struct FileHandle {
  explicit FileHandle(int descriptor) : fd(descriptor) {}
  const int fd;
};

// The files the kernel holds open. RELEASE is sent without waiting for its reply, so a file
// closed just before an unmount or SIGTERM may never get one: what is left here when the loop
// ends is closed then.
class OpenFiles {
 public:
  FileHandle* Add(int fd) {
    auto handle = std::make_unique<FileHandle>(fd);
    FileHandle* raw = handle.get();
    std::lock_guard lock(mutex_);
    handles_.emplace(raw, std::move(handle));
    return raw;
  }

  // Takes `handle` out of the set; the caller closes its descriptor.
  std::unique_ptr<FileHandle> Remove(FileHandle* handle) {
    std::lock_guard lock(mutex_);
    auto node = handles_.extract(handle);
    return node.empty() ? nullptr : std::move(node.mapped());
  }

  void CloseAll(sealfs_client* client) {
    std::lock_guard lock(mutex_);
    for (const auto& [raw, handle] : handles_) sealfs_close(client, handle->fd);
    handles_.clear();
  }

 private:
  std::mutex mutex_;
  std::unordered_map<FileHandle*, std::unique_ptr<FileHandle>> handles_;
};

// The state every request handler reaches through fuse_req_userdata().
struct Mount {
  sealfs_client* client = nullptr;
  MountOptions options;
  OpenFiles open_files;
};

// A directory read at opendir: FUSE resumes readdir at offsets, so the listing must not move.
// Each entry carries its attributes where they were read with it (readdirplus).
struct DirHandle {
  struct Entry {
    std::string name;
    struct stat attr;  // only the number and the type when not read with the entry
    bool attr_read;
  };
  std::vector<Entry> entries;
};

Mount* GetMount(fuse_req_t req) { return static_cast<Mount*>(fuse_req_userdata(req)); }
sealfs_client* Client(fuse_req_t req) { return GetMount(req)->client; }

// Replies with the error of a negative result; returns true when it did.
bool ReplyIfError(fuse_req_t req, long rc) {
  if (rc >= 0) return false;
  fuse_reply_err(req, static_cast<int>(-rc));
  return true;
}

fuse_entry_param EntryOf(fuse_req_t req, const struct stat& st) {
  const Mount* mount = GetMount(req);
  fuse_entry_param entry{};
  entry.ino = st.st_ino;
  entry.attr = st;
  entry.attr_timeout = mount->options.attr_timeout;
  entry.entry_timeout = mount->options.entry_timeout;
  return entry;
}

void ReplyEntry(fuse_req_t req, const struct stat& st) {
  const fuse_entry_param entry = EntryOf(req, st);
  fuse_reply_entry(req, &entry);
}

void ReplyAttr(fuse_req_t req, const struct stat& st) {
  fuse_reply_attr(req, &st, GetMount(req)->options.attr_timeout);
}

void Init(void* /*userdata*/, fuse_conn_info* conn) {
  conn->max_write = kMaxRequestBytes;
  conn->max_readahead = kMaxRequestBytes;
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
  if ((conn->capable & FUSE_CAP_PARALLEL_DIROPS) != 0) conn->want |= FUSE_CAP_PARALLEL_DIROPS;
}

void Lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  struct stat st {};
  const int rc = sealfs_ll_lookup(Client(req), parent, name, &st);
  if (rc == -ENOENT) {
    // An entry with ino 0 caches the absence for negative_timeout seconds.
    fuse_entry_param entry{};
    entry.entry_timeout = GetMount(req)->options.negative_timeout;
    fuse_reply_entry(req, &entry);
    return;
  }
  if (!ReplyIfError(req, rc)) ReplyEntry(req, st);
}

void Getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info* /*fi*/) {
  struct stat st {};
  if (!ReplyIfError(req, sealfs_ll_getattr(Client(req), ino, &st))) ReplyAttr(req, st);
}

void Setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info* fi) {
  struct {
    int fuse;
    int sealfs;
  } constexpr kFields[] = {
      {FUSE_SET_ATTR_MODE, SEALFS_SET_MODE},
      {FUSE_SET_ATTR_UID, SEALFS_SET_UID},
      {FUSE_SET_ATTR_GID, SEALFS_SET_GID},
      {FUSE_SET_ATTR_SIZE, SEALFS_SET_SIZE},
      {FUSE_SET_ATTR_ATIME, SEALFS_SET_ATIME},
      {FUSE_SET_ATTR_MTIME, SEALFS_SET_MTIME},
      {FUSE_SET_ATTR_ATIME_NOW, SEALFS_SET_ATIME_NOW},
      {FUSE_SET_ATTR_MTIME_NOW, SEALFS_SET_MTIME_NOW},
      {FUSE_SET_ATTR_CTIME, SEALFS_SET_CTIME},
  };
  int sealfs_to_set = 0;
  for (const auto& field : kFields) {
    if ((to_set & field.fuse) != 0) sealfs_to_set |= field.sealfs;
  }
  (void)fi;  // a size change through a descriptor is the same change by inode
  struct stat st {};
  if (!ReplyIfError(req, sealfs_ll_setattr(Client(req), ino, attr, sealfs_to_set, &st))) {
    ReplyAttr(req, st);
  }
}

void Readlink(fuse_req_t req, fuse_ino_t ino) {
  std::vector<char> target(PATH_MAX + 1);
  const ssize_t n = sealfs_ll_readlink(Client(req), ino, target.data(), PATH_MAX);
  if (ReplyIfError(req, n)) return;
  target[static_cast<std::size_t>(n)] = '\0';
  fuse_reply_readlink(req, target.data());
}

void CreateNode(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
  const fuse_ctx* caller = fuse_req_ctx(req);
  struct stat st {};
  const int rc =
      sealfs_ll_create(Client(req), parent, name, mode, rdev, caller->uid, caller->gid, &st);
  if (!ReplyIfError(req, rc)) ReplyEntry(req, st);
}

void Mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
  CreateNode(req, parent, name, mode, rdev);
}

void Mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  CreateNode(req, parent, name, S_IFDIR | (mode & 07777), 0);
}

void Symlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name) {
  const fuse_ctx* caller = fuse_req_ctx(req);
  struct stat st {};
  const int rc =
      sealfs_ll_symlink(Client(req), target, parent, name, caller->uid, caller->gid, &st);
  if (!ReplyIfError(req, rc)) ReplyEntry(req, st);
}

void Unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  fuse_reply_err(req, -sealfs_ll_unlink(Client(req), parent, name));
}

void Rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  fuse_reply_err(req, -sealfs_ll_rmdir(Client(req), parent, name));
}

void Rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t new_parent,
            const char* new_name, unsigned int flags) {
  fuse_reply_err(req, -sealfs_ll_rename(Client(req), parent, name, new_parent, new_name, flags));
}

void Link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t new_parent, const char* new_name) {
  struct stat st {};
  if (!ReplyIfError(req, sealfs_ll_link(Client(req), ino, new_parent, new_name, &st))) {
    ReplyEntry(req, st);
  }
}

FileHandle* Handle(const fuse_file_info* fi) { return reinterpret_cast<FileHandle*>(fi->fh); }

// Closes a file whose open reply did not reach the kernel (the caller was interrupted): no
// RELEASE will come for it. Takes the mount, not the request, which the reply has freed.
void CloseUnopened(Mount* mount, const fuse_file_info* fi) {
  if (std::unique_ptr<FileHandle> handle = mount->open_files.Remove(Handle(fi))) {
    sealfs_close(mount->client, handle->fd);
  }
}

// A file opened write-only is written past the kernel's page cache (direct_io): each write()
// is then one WRITE request straight from the caller's pages, where through the cache it was
// copied into pages first, split at the first partial page, and preceded by a GETXATTR of
// security.capability. Nothing reads through such a descriptor, nor maps it (mmap needs read
// access), and the kernel drops the cached pages a direct write covers.
bool WritesPastThePageCache(int open_flags) { return (open_flags & O_ACCMODE) == O_WRONLY; }

void Open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  const int fd = sealfs_ll_open(Client(req), ino, fi->flags & ~(O_CREAT | O_EXCL | O_NOCTTY));
  if (ReplyIfError(req, fd)) return;
  Mount* mount = GetMount(req);
  fi->fh = reinterpret_cast<uint64_t>(mount->open_files.Add(fd));
  fi->keep_cache = 0;
  fi->direct_io = WritesPastThePageCache(fi->flags);
  if (fuse_reply_open(req, fi) != 0) CloseUnopened(mount, fi);
}

void Create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
  const fuse_ctx* caller = fuse_req_ctx(req);
  struct stat st {};
  const int rc = sealfs_ll_create_open(Client(req), parent, name, mode, caller->uid, caller->gid,
                                       fi->flags & ~O_NOCTTY, &st);
  if (ReplyIfError(req, rc)) return;
  Mount* mount = GetMount(req);
  fi->fh = reinterpret_cast<uint64_t>(mount->open_files.Add(rc));
  fi->direct_io = WritesPastThePageCache(fi->flags);
  const fuse_entry_param entry = EntryOf(req, st);
  if (fuse_reply_create(req, &entry, fi) != 0) CloseUnopened(mount, fi);
}
int Descriptor(const fuse_file_info* fi) { return Handle(fi)->fd; }

void Read(fuse_req_t req, fuse_ino_t /*ino*/, size_t size, off_t offset, fuse_file_info* fi) {
  std::unique_ptr<char[]> buf(new (std::nothrow) char[size]);
  if (!buf) {
    fuse_reply_err(req, ENOMEM);
    return;
  }
  const ssize_t n = sealfs_pread(Client(req), Descriptor(fi), buf.get(), size, offset);
  if (!ReplyIfError(req, n)) fuse_reply_buf(req, buf.get(), static_cast<size_t>(n));
}

void Write(fuse_req_t req, fuse_ino_t /*ino*/, const char* buf, size_t size, off_t offset,
           fuse_file_info* fi) {
  // With O_APPEND the kernel's idea of the end may be stale (another client appended): let the
  // library append at the size the servers hold.
  const ssize_t n = (fi->flags & O_APPEND) != 0
                        ? sealfs_write(Client(req), Descriptor(fi), buf, size)
                        : sealfs_pwrite(Client(req), Descriptor(fi), buf, size, offset);
  if (!ReplyIfError(req, n)) fuse_reply_write(req, static_cast<size_t>(n));
}

// Each close(2) of a descriptor: what it returns.
void Flush(fuse_req_t req, fuse_ino_t /*ino*/, fuse_file_info* fi) {
  fuse_reply_err(req, -sealfs_flush(Client(req), Descriptor(fi)));
}

void Release(fuse_req_t req, fuse_ino_t /*ino*/, fuse_file_info* fi) {
  std::unique_ptr<FileHandle> handle = GetMount(req)->open_files.Remove(Handle(fi));
  fuse_reply_err(req, handle ? -sealfs_close(Client(req), handle->fd) : EBADF);
}

void Fsync(fuse_req_t req, fuse_ino_t /*ino*/, int /*datasync*/, fuse_file_info* fi) {
  fuse_reply_err(req, -sealfs_fsync(Client(req), Descriptor(fi)));
}

void Fallocate(fuse_req_t req, fuse_ino_t /*ino*/, int mode, off_t offset, off_t length,
               fuse_file_info* fi) {
  fuse_reply_err(req, -sealfs_fallocate(Client(req), Descriptor(fi), mode, offset, length));
}

void Opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  sealfs_dir* stream = nullptr;
  const bool plus = GetMount(req)->options.readdirplus != 0;
  if (ReplyIfError(req,
                   (plus ? sealfs_ll_opendirplus : sealfs_ll_opendir)(Client(req), ino, &stream))) {
    return;
  }
  auto handle = std::make_unique<DirHandle>();
  struct dirent entry {};
  struct stat attr {};
  int rc = 0;
  while ((rc = sealfs_ll_readdirplus(Client(req), stream, &entry, &attr)) == 1) {
    const bool attr_read = attr.st_ino != 0;
    if (!attr_read) {
      attr.st_ino = entry.d_ino;
      attr.st_mode = static_cast<mode_t>(DTTOIF(entry.d_type));
    }
    handle->entries.push_back({entry.d_name, attr, attr_read});
  }
  sealfs_closedir(Client(req), stream);
  if (ReplyIfError(req, rc)) return;
  fi->fh = reinterpret_cast<uint64_t>(handle.release());
  fuse_reply_open(req, fi);
}

// Replies with the entries of the listing from `offset` that fit in `size` bytes, each added by
// add(entry, buffer, room, offset of the next), which returns the room it needs.
template <typename Add>
void ReplyListing(fuse_req_t req, const fuse_file_info* fi, size_t size, off_t offset, Add add) {
  const auto* handle = reinterpret_cast<const DirHandle*>(fi->fh);
  std::vector<char> buf(size);
  std::size_t used = 0;
  for (auto i = static_cast<std::size_t>(offset); i < handle->entries.size(); ++i) {
    const std::size_t needed =
        add(handle->entries[i], buf.data() + used, size - used, static_cast<off_t>(i + 1));
    if (needed > size - used) break;
    used += needed;
  }
  fuse_reply_buf(req, buf.data(), used);
}

void Readdir(fuse_req_t req, fuse_ino_t /*ino*/, size_t size, off_t offset, fuse_file_info* fi) {
  ReplyListing(req, fi, size, offset,
               [req](const DirHandle::Entry& entry, char* buf, size_t room, off_t next) {
                 return fuse_add_direntry(req, buf, room, entry.name.c_str(), &entry.attr, next);
               });
}

// As Readdir, and each name whose attributes came with the listing enters the kernel's caches
// as a LOOKUP would (so `ls -l` and find's stats ask nothing more); the others, "." and ".."
// among them, are looked up when used.
void Readdirplus(fuse_req_t req, fuse_ino_t /*ino*/, size_t size, off_t offset,
                 fuse_file_info* fi) {
  ReplyListing(req, fi, size, offset,
               [req](const DirHandle::Entry& entry, char* buf, size_t room, off_t next) {
                 fuse_entry_param param =
                     entry.attr_read ? EntryOf(req, entry.attr) : fuse_entry_param{};
                 if (!entry.attr_read) param.attr = entry.attr;  // ino 0: no entry is made of it
                 return fuse_add_direntry_plus(req, buf, room, entry.name.c_str(), &param, next);
               });
}

void Releasedir(fuse_req_t req, fuse_ino_t /*ino*/, fuse_file_info* fi) {
  delete reinterpret_cast<DirHandle*>(fi->fh);
  fuse_reply_err(req, 0);
}

void Statfs(fuse_req_t req, fuse_ino_t /*ino*/) {
  struct statvfs st {};
  if (!ReplyIfError(req, sealfs_statvfs(Client(req), "/", &st))) fuse_reply_statfs(req, &st);
}

void Setxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size,
              int flags) {
  // POSIX ACLs are not kept: refusing them makes tools such as `cp -a` fall back to chmod, where
  // storing them as plain attributes would leave the mode unset.
  if (std::strncmp(name, "system.posix_acl_", std::strlen("system.posix_acl_")) == 0) {
    fuse_reply_err(req, EOPNOTSUPP);
    return;
  }
  fuse_reply_err(req, -sealfs_ll_setxattr(Client(req), ino, name, value, size, flags));
}

// Replies to getxattr and listxattr: the length when asked with size 0, else the bytes.
void ReplyXattr(fuse_req_t req, size_t size, const std::vector<char>& buf, ssize_t n) {
  if (ReplyIfError(req, n)) return;
  if (size == 0) {
    fuse_reply_xattr(req, static_cast<size_t>(n));
  } else {
    fuse_reply_buf(req, buf.data(), static_cast<size_t>(n));
  }
}

void Getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  std::vector<char> buf(size);
  ReplyXattr(req, size, buf,
             sealfs_ll_getxattr(Client(req), ino, name, size == 0 ? nullptr : buf.data(), size));
}

void Listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  std::vector<char> buf(size);
  ReplyXattr(req, size, buf,
             sealfs_ll_listxattr(Client(req), ino, size == 0 ? nullptr : buf.data(), size));
}

void Removexattr(fuse_req_t req, fuse_ino_t ino, const char* name) {
  fuse_reply_err(req, -sealfs_ll_removexattr(Client(req), ino, name));
}

fuse_lowlevel_ops MakeOperations(const MountOptions& options) {
  fuse_lowlevel_ops ops{};
  ops.init = Init;
  ops.lookup = Lookup;
  ops.getattr = Getattr;
  ops.setattr = Setattr;
  ops.readlink = Readlink;
  ops.mknod = Mknod;
  ops.mkdir = Mkdir;
  ops.symlink = Symlink;
  ops.unlink = Unlink;
  ops.rmdir = Rmdir;
  ops.rename = Rename;
  ops.link = Link;
  ops.open = Open;
  ops.create = Create;
  ops.read = Read;
  ops.write = Write;
  ops.flush = Flush;
  ops.release = Release;
  ops.fsync = Fsync;
  ops.fallocate = Fallocate;
  ops.opendir = Opendir;
  ops.readdir = Readdir;
  if (options.readdirplus != 0) ops.readdirplus = Readdirplus;
  ops.releasedir = Releasedir;
  ops.statfs = Statfs;
  ops.setxattr = Setxattr;
  ops.getxattr = Getxattr;
  ops.listxattr = Listxattr;
  ops.removexattr = Removexattr;
  return ops;
}

// Sets the read-ahead of the mount at `mountpoint`, found in /proc/self/mountinfo (not by stat,
// which would wait for this very process to answer). Best effort: the mount works without it.
void SetReadAhead(const char* mountpoint, int kilobytes) {
  if (kilobytes <= 0) return;
  char resolved[PATH_MAX];
  if (realpath(mountpoint, resolved) == nullptr) return;
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  std::string device;
  while (std::getline(mountinfo, line)) {
    std::istringstream fields(line);
    std::string id, parent, major_minor, root, point;
    fields >> id >> parent >> major_minor >> root >> point;
    if (point == resolved) device = major_minor;  // the last mount there is ours
  }
  if (device.empty()) return;
  std::ofstream("/sys/class/bdi/" + device + "/read_ahead_kb") << kilobytes << "\n";
}

void PrintUsage(const char* program) {
  std::printf(
      "usage: %s [--manager HOST:PORT] MOUNTPOINT [-f] [-d] [-s] [-o OPTION[,OPTION...]]\n"
      "\n"
      "Mounts the SealFS cluster whose manager is at HOST:PORT (default: $SEALFS_MANAGER).\n"
      "Unmount with `fusermount3 -u MOUNTPOINT` or SIGTERM.\n"
      "\n"
      "SealFS options (-o):\n"
      "    manager=HOST:PORT      the manager, as --manager\n"
      "    attr_timeout=SECONDS   how long the kernel caches attributes (default 1)\n"
      "    entry_timeout=SECONDS  how long the kernel caches names (default 1)\n"
      "    negative_timeout=SECONDS  how long a missing name is cached (default 0)\n"
      "    request_timeout_ms=MS  the longest wait for one server reply (default 10000)\n"
      "    read_ahead_kb=KB       the mount's read-ahead (default 1024; 0 keeps the kernel's)\n"
      "    readdirplus            list with each name's attributes (faster ls -l and find in\n"
      "                           directories other clients filled; slower find otherwise)\n"
      "    write_behind=0|1       1 (default): writes are sent together, within 5 ms and at\n"
      "                           close; 0: each write() waits for the servers\n"
      "Always on: default_permissions (the kernel checks modes and owners).\n"
      "\n",
      program);
  fuse_cmdline_help();
  fuse_lowlevel_help();
}

// Moves "--manager X" / "--manager=X" out of argv into *manager; returns the remaining args.
std::vector<char*> TakeManagerFlag(int argc, char** argv, std::string* manager) {
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--manager" && i + 1 < argc) {
      *manager = argv[++i];
    } else if (arg.rfind("--manager=", 0) == 0) {
      *manager = arg.substr(std::strlen("--manager="));
    } else {
      rest.push_back(argv[i]);
    }
  }
  return rest;
}

}  // namespace

int main(int argc, char** argv) {
  std::string manager;
  std::vector<char*> rest = TakeManagerFlag(argc, argv, &manager);
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(rest.size()), rest.data());
  Mount mount;
  const fuse_opt kOptions[] = {
      {"manager=%s", offsetof(MountOptions, manager), 0},
      {"attr_timeout=%lf", offsetof(MountOptions, attr_timeout), 0},
      {"entry_timeout=%lf", offsetof(MountOptions, entry_timeout), 0},
      {"negative_timeout=%lf", offsetof(MountOptions, negative_timeout), 0},
      {"request_timeout_ms=%d", offsetof(MountOptions, request_timeout_ms), 0},
      {"read_ahead_kb=%d", offsetof(MountOptions, read_ahead_kb), 0},
      {"readdirplus", offsetof(MountOptions, readdirplus), 1},
      {"write_behind=%d", offsetof(MountOptions, write_behind), 0},
      FUSE_OPT_END,
  };
  fuse_cmdline_opts cmdline{};
  if (fuse_opt_parse(&args, &mount.options, kOptions, nullptr) != 0 ||
      fuse_parse_cmdline(&args, &cmdline) != 0) {
    return 2;
  }
  if (cmdline.show_help) {
    PrintUsage(argv[0]);
    return 0;
  }
  if (cmdline.show_version) {
    std::printf("sealfs-fuse %s, libfuse %s\n", sealfs_version(nullptr, nullptr, nullptr),
                fuse_pkgversion());
    return 0;
  }
  if (mount.options.manager != nullptr) manager = mount.options.manager;
  if (manager.empty() && std::getenv("SEALFS_MANAGER") != nullptr) {
    manager = std::getenv("SEALFS_MANAGER");
  }
  if (manager.empty() || cmdline.mountpoint == nullptr) {
    std::fprintf(stderr,
                 "%s: need the manager (--manager HOST:PORT or SEALFS_MANAGER) and a "
                 "mountpoint; see --help\n",
                 argv[0]);
    return 2;
  }

  sealfs_options client_options;
  sealfs_options_init(&client_options);
  client_options.request_timeout_ms = mount.options.request_timeout_ms;
  client_options.uid = 0;  // the bridge acts for every caller; the kernel checks permissions
  client_options.gid = 0;
  client_options.umask = 0;  // the kernel applied the caller's umask already
  // The library answers a directory's GETATTR from what it read within this time (its own
  // changes kept), as the kernel does within attr_timeout: 0 asks the servers every time.
  client_options.dir_cache_ms = static_cast<int>(mount.options.attr_timeout * 1000);
  client_options.relatime = 1;  // as Linux mounts by default
  client_options.write_behind = mount.options.write_behind;
  // Fail here, before detaching, when the cluster cannot be reached. The client's threads do
  // not survive fuse_daemonize()'s fork, so the real connection is made after it.
  sealfs_client* probe = nullptr;
  int rc = sealfs_connect(manager.c_str(), &client_options, &probe);
  if (rc != 0) {
    std::fprintf(stderr, "%s: cannot reach the cluster at %s: %s\n", argv[0], manager.c_str(),
                 std::strerror(-rc));
    return 1;
  }
  sealfs_disconnect(probe);

  const std::string fsname = "-ofsname=sealfs@" + manager + ",subtype=sealfs,default_permissions";
  fuse_opt_add_arg(&args, fsname.c_str());
  const fuse_lowlevel_ops ops = MakeOperations(mount.options);
  fuse_session* session = fuse_session_new(&args, &ops, sizeof(ops), &mount);
  int status = -1;  // failed until the loop has run
  if (session != nullptr && fuse_set_signal_handlers(session) == 0) {
    if (fuse_session_mount(session, cmdline.mountpoint) == 0) {
      SetReadAhead(cmdline.mountpoint, mount.options.read_ahead_kb);
      fuse_daemonize(cmdline.foreground);
      rc = sealfs_connect(manager.c_str(), &client_options, &mount.client);
      if (rc != 0) {
        std::fprintf(stderr, "%s: cannot reach the cluster at %s: %s\n", argv[0], manager.c_str(),
                     std::strerror(-rc));
      } else if (cmdline.singlethread != 0) {
        status = fuse_session_loop(session);
      } else {
        fuse_loop_config config{};
        config.clone_fd = cmdline.clone_fd;
        // libfuse's "unlimited" default is rejected by its own check; keep ten idle threads.
        config.max_idle_threads =
            cmdline.max_idle_threads == UINT_MAX ? 10 : cmdline.max_idle_threads;
        status = fuse_session_loop_mt(session, &config);
      }
      fuse_session_unmount(session);
    }
    fuse_remove_signal_handlers(session);
  }
  if (session != nullptr) fuse_session_destroy(session);
  // After the loop: no request is in flight any more.
  if (mount.client != nullptr) mount.open_files.CloseAll(mount.client);
  sealfs_disconnect(mount.client);
  free(cmdline.mountpoint);
  fuse_opt_free_args(&args);
  // The loop returns the signal that stopped it (SIGTERM, SIGINT, SIGHUP): a clean stop too.
  return status >= 0 ? 0 : 1;
}
