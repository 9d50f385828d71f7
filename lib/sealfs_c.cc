// The extern "C" face of libsealfs: argument checks, then one Client method, then -errno.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <limits>
#include <new>

#include "c_api.h"
#include "client.h"
#include "placement.h"
#include "sealfs/sealfs.h"

namespace {

using sealfs::Status;
using sealfs::c_api::CopyOut;
using sealfs::c_api::CopyTarget;
using sealfs::c_api::FillDirent;
using sealfs::c_api::FillStat;
using sealfs::c_api::Guard;
using sealfs::c_api::JoinNames;
using sealfs::c_api::ToResult;
using sealfs::client::Client;

// The largest count one call moves, as Linux caps read(2) and write(2).
constexpr std::size_t kMaxIoCount = 0x7ffff000;

}  // namespace

extern "C" {

const char* sealfs_version(int* major, int* minor, int* patch) {
  if (major != nullptr) *major = SEALFS_VERSION_MAJOR;
  if (minor != nullptr) *minor = SEALFS_VERSION_MINOR;
  if (patch != nullptr) *patch = SEALFS_VERSION_PATCH;
  return SEALFS_VERSION_STRING;
}

void sealfs_options_init(sealfs_options* options) {
  std::memset(options, 0, sizeof(*options));
  options->struct_size = sizeof(*options);
  options->connect_timeout_ms = 2000;
  options->request_timeout_ms = 10000;
  options->chunk_size = 0;
  options->uid = -1;
  options->gid = -1;
  options->umask = 022;
  options->max_open_files = 1 << 20;
  options->failover_timeout_ms = 60000;
  options->dir_cache_ms = 1000;
  options->relatime = 0;
  options->write_behind = 0;
}

int sealfs_connect(const char* manager_address, const sealfs_options* options,
                   sealfs_client** out) {
  return Guard([&]() -> int {
    *out = nullptr;
    sealfs_options defaults;
    sealfs_options_init(&defaults);
    if (options == nullptr) options = &defaults;
    // A program built against the header before dir_cache_ms, relatime or write_behind passes
    // a smaller size; the fields it does not know keep their defaults.
    const std::size_t size = options->struct_size;
    const bool has_dir_cache = size > offsetof(sealfs_options, dir_cache_ms);
    const bool has_relatime = size > offsetof(sealfs_options, relatime);
    const bool has_write_behind = size > offsetof(sealfs_options, write_behind);
    if ((size != sizeof(sealfs_options) && size != offsetof(sealfs_options, write_behind) &&
         size != offsetof(sealfs_options, relatime) &&
         size != offsetof(sealfs_options, dir_cache_ms)) ||
        (has_dir_cache && options->dir_cache_ms < 0) || options->connect_timeout_ms <= 0 ||
        options->request_timeout_ms <= 0 || options->max_open_files <= 0 ||
        options->failover_timeout_ms < 0) {
      return -EINVAL;
    }
    uint32_t chunk = options->chunk_size;
    if (chunk != 0 && !sealfs::IsValidChunkSize(chunk)) {
      return -EINVAL;
    }
    sealfs::client::ClientOptions client_options;
    client_options.timeouts.connect = std::chrono::milliseconds(options->connect_timeout_ms);
    client_options.timeouts.request = std::chrono::milliseconds(options->request_timeout_ms);
    client_options.timeouts.failover = std::chrono::milliseconds(options->failover_timeout_ms);
    client_options.chunk_size = chunk;
    client_options.uid = options->uid < 0 ? getuid() : static_cast<uint32_t>(options->uid);
    client_options.gid = options->gid < 0 ? getgid() : static_cast<uint32_t>(options->gid);
    client_options.umask = options->umask & 0777;
    client_options.max_open_files = static_cast<std::size_t>(options->max_open_files);
    client_options.dir_cache =
        std::chrono::milliseconds(has_dir_cache ? options->dir_cache_ms : defaults.dir_cache_ms);
    client_options.relatime = has_relatime && options->relatime != 0;
    client_options.write_behind = has_write_behind && options->write_behind != 0;
    auto client = std::make_unique<sealfs_client>();
    Status status = Client::Connect(manager_address, client_options, &client->core);
    if (!status.ok()) return ToResult(status);
    *out = client.release();
    return 0;
  });
}

void sealfs_disconnect(sealfs_client* client) { delete client; }

int sealfs_open(sealfs_client* client, const char* path, int flags, mode_t mode) {
  return Guard([&] {
    int fd = -1;
    Status status = client->core->Open(path, flags, mode, &fd);
    return status.ok() ? fd : ToResult(status);
  });
}

int sealfs_close(sealfs_client* client, int fd) {
  return Guard([&] { return ToResult(client->core->Close(fd)); });
}

int sealfs_flush(sealfs_client* client, int fd) {
  return Guard([&] { return ToResult(client->core->Flush(fd)); });
}

ssize_t sealfs_read(sealfs_client* client, int fd, void* buf, size_t count) {
  return Guard([&]() -> ssize_t {
    std::size_t done = 0;
    Status status = client->core->Read(fd, buf, std::min(count, kMaxIoCount), &done);
    return status.ok() ? static_cast<ssize_t>(done) : ToResult(status);
  });
}

ssize_t sealfs_write(sealfs_client* client, int fd, const void* buf, size_t count) {
  return Guard([&]() -> ssize_t {
    std::size_t done = 0;
    Status status = client->core->Write(fd, buf, std::min(count, kMaxIoCount), &done);
    return status.ok() ? static_cast<ssize_t>(done) : ToResult(status);
  });
}

ssize_t sealfs_pread(sealfs_client* client, int fd, void* buf, size_t count, off_t offset) {
  return Guard([&]() -> ssize_t {
    if (offset < 0) return -EINVAL;
    std::size_t done = 0;
    Status status = client->core->Pread(fd, buf, std::min(count, kMaxIoCount),
                                        static_cast<uint64_t>(offset), &done);
    return status.ok() ? static_cast<ssize_t>(done) : ToResult(status);
  });
}

ssize_t sealfs_pwrite(sealfs_client* client, int fd, const void* buf, size_t count, off_t offset) {
  return Guard([&]() -> ssize_t {
    if (offset < 0) return -EINVAL;
    std::size_t done = 0;
    Status status = client->core->Pwrite(fd, buf, std::min(count, kMaxIoCount),
                                         static_cast<uint64_t>(offset), &done);
    return status.ok() ? static_cast<ssize_t>(done) : ToResult(status);
  });
}

off_t sealfs_lseek(sealfs_client* client, int fd, off_t offset, int whence) {
  return Guard([&]() -> off_t {
    int64_t result = 0;
    Status status = client->core->Lseek(fd, offset, whence, &result);
    return status.ok() ? static_cast<off_t>(result) : ToResult(status);
  });
}

int sealfs_fsync(sealfs_client* client, int fd) {
  return Guard([&] { return ToResult(client->core->Fsync(fd)); });
}

int sealfs_ftruncate(sealfs_client* client, int fd, off_t length) {
  return Guard([&] {
    if (length < 0) return -EINVAL;
    return ToResult(client->core->Ftruncate(fd, static_cast<uint64_t>(length)));
  });
}

int sealfs_fallocate(sealfs_client* client, int fd, int mode, off_t offset, off_t len) {
  return Guard([&] {
    if (offset < 0 || len <= 0) return -EINVAL;
    return ToResult(client->core->Fallocate(fd, mode, static_cast<uint64_t>(offset),
                                            static_cast<uint64_t>(len)));
  });
}

int sealfs_fstat(sealfs_client* client, int fd, struct stat* st) {
  return Guard([&] {
    sealfs::proto::InodeAttr attr;
    Status status = client->core->Fstat(fd, &attr);
    if (status.ok()) FillStat(attr, st);
    return ToResult(status);
  });
}

int sealfs_stat(sealfs_client* client, const char* path, struct stat* st) {
  return Guard([&] {
    sealfs::proto::InodeAttr attr;
    Status status = client->core->Stat(path, true, &attr);
    if (status.ok()) FillStat(attr, st);
    return ToResult(status);
  });
}

int sealfs_lstat(sealfs_client* client, const char* path, struct stat* st) {
  return Guard([&] {
    sealfs::proto::InodeAttr attr;
    Status status = client->core->Stat(path, false, &attr);
    if (status.ok()) FillStat(attr, st);
    return ToResult(status);
  });
}

int sealfs_truncate(sealfs_client* client, const char* path, off_t length) {
  return Guard([&] {
    if (length < 0) return -EINVAL;
    return ToResult(client->core->Truncate(path, static_cast<uint64_t>(length)));
  });
}

int sealfs_mkdir(sealfs_client* client, const char* path, mode_t mode) {
  return Guard([&] { return ToResult(client->core->Mkdir(path, mode)); });
}

int sealfs_mknod(sealfs_client* client, const char* path, mode_t mode, dev_t rdev) {
  return Guard([&] { return ToResult(client->core->Mknod(path, mode, rdev)); });
}

int sealfs_rmdir(sealfs_client* client, const char* path) {
  return Guard([&] { return ToResult(client->core->Rmdir(path)); });
}

int sealfs_unlink(sealfs_client* client, const char* path) {
  return Guard([&] { return ToResult(client->core->Unlink(path)); });
}

int sealfs_rename(sealfs_client* client, const char* oldpath, const char* newpath) {
  return Guard([&] { return ToResult(client->core->Rename(oldpath, newpath)); });
}

int sealfs_rename2(sealfs_client* client, const char* oldpath, const char* newpath,
                   unsigned int flags) {
  static_assert(SEALFS_RENAME_NOREPLACE == RENAME_NOREPLACE);
  static_assert(SEALFS_RENAME_EXCHANGE == RENAME_EXCHANGE);
  return Guard([&] { return ToResult(client->core->Rename(oldpath, newpath, flags)); });
}

int sealfs_link(sealfs_client* client, const char* oldpath, const char* newpath) {
  return Guard([&] { return ToResult(client->core->Link(oldpath, newpath)); });
}

int sealfs_symlink(sealfs_client* client, const char* target, const char* linkpath) {
  return Guard([&] { return ToResult(client->core->Symlink(target, linkpath)); });
}

ssize_t sealfs_readlink(sealfs_client* client, const char* path, char* buf, size_t bufsize) {
  return Guard([&]() -> ssize_t {
    if (bufsize == 0) return -EINVAL;
    std::string target;
    Status status = client->core->Readlink(path, &target);
    if (!status.ok()) return ToResult(status);
    return CopyTarget(target, buf, bufsize);
  });
}

int sealfs_chmod(sealfs_client* client, const char* path, mode_t mode) {
  return Guard([&] { return ToResult(client->core->Chmod(path, mode)); });
}

int sealfs_chown(sealfs_client* client, const char* path, uid_t owner, gid_t group) {
  return Guard([&] { return ToResult(client->core->Chown(path, owner, group)); });
}

int sealfs_utimens(sealfs_client* client, const char* path, const struct timespec times[2]) {
  return Guard([&] { return ToResult(client->core->Utimens(path, times)); });
}

int sealfs_access(sealfs_client* client, const char* path, int mode) {
  return Guard([&] { return ToResult(client->core->Access(path, mode)); });
}

int sealfs_statvfs(sealfs_client* client, const char* path, struct statvfs* buf) {
  return Guard([&] {
    sealfs::proto::InodeAttr attr;
    Status status = client->core->Stat(path, true, &attr);
    if (status.ok()) status = client->core->StatFs(buf);
    return ToResult(status);
  });
}

int sealfs_cluster_status(sealfs_client* client, uint64_t* epoch, sealfs_server_status* servers,
                          int max_servers) {
  return Guard([&] {
    if (max_servers < 0 || (max_servers > 0 && servers == nullptr)) return -EINVAL;
    uint64_t map_epoch = 0;
    std::vector<Client::ServerStatus> found;
    Status status = client->core->GetClusterStatus(&map_epoch, &found);
    if (!status.ok()) return ToResult(status);
    if (epoch != nullptr) *epoch = map_epoch;
    for (std::size_t i = 0; i < found.size() && i < static_cast<std::size_t>(max_servers); ++i) {
      sealfs_server_status& out = servers[i];
      out = {};
      out.id = found[i].info.id();
      std::snprintf(out.address, sizeof(out.address), "%s", found[i].info.address().c_str());
      out.up = found[i].info.state() == sealfs::proto::SERVER_UP ? 1 : 0;
      out.reachable = found[i].status.ok() ? 1 : 0;
      out.total_bytes = found[i].capacity.total_bytes();
      out.available_bytes = found[i].capacity.available_bytes();
      out.inodes = found[i].capacity.inodes();
      out.state = static_cast<int>(found[i].info.state());
      const sealfs::proto::SyncProgress& sync = found[i].info.sync();
      out.sync_in_progress = sync.in_progress() ? 1 : 0;
      out.synced_epoch = sync.synced_epoch();
      out.sync_records_checked = sync.records_checked();
      out.sync_records_copied = sync.records_copied();
      out.sync_bytes_copied = sync.bytes_copied();
    }
    return static_cast<int>(found.size());
  });
}

int sealfs_opendir(sealfs_client* client, const char* path, sealfs_dir** out) {
  return Guard([&] {
    *out = nullptr;
    auto dir = std::make_unique<sealfs_dir>();
    Status status = client->core->OpenDir(path, &dir->stream);
    if (!status.ok()) return ToResult(status);
    *out = dir.release();
    return 0;
  });
}

int sealfs_readdir(sealfs_client* /*client*/, sealfs_dir* dir, struct dirent* entry) {
  return Guard([&] {
    sealfs::client::DirStream::Entry next;
    Status status;
    if (!dir->stream->Next(&next, &status)) return status.ok() ? 0 : ToResult(status);
    FillDirent(next, entry);
    return 1;
  });
}

int sealfs_closedir(sealfs_client* /*client*/, sealfs_dir* dir) {
  delete dir;
  return 0;
}

int sealfs_setxattr(sealfs_client* client, const char* path, const char* name, const void* value,
                    size_t size, int flags) {
  return Guard([&] {
    std::string_view bytes(static_cast<const char*>(value), value == nullptr ? 0 : size);
    return ToResult(client->core->SetXattr(path, name, bytes, flags));
  });
}

ssize_t sealfs_getxattr(sealfs_client* client, const char* path, const char* name, void* value,
                        size_t size) {
  return Guard([&]() -> ssize_t {
    std::string bytes;
    Status status = client->core->GetXattr(path, name, &bytes);
    return status.ok() ? CopyOut(bytes, value, size) : ToResult(status);
  });
}

ssize_t sealfs_listxattr(sealfs_client* client, const char* path, char* list, size_t size) {
  return Guard([&]() -> ssize_t {
    std::vector<std::string> names;
    Status status = client->core->ListXattr(path, &names);
    return status.ok() ? CopyOut(JoinNames(names), list, size) : ToResult(status);
  });
}

int sealfs_removexattr(sealfs_client* client, const char* path, const char* name) {
  return Guard([&] { return ToResult(client->core->RemoveXattr(path, name)); });
}

}  // extern "C"
