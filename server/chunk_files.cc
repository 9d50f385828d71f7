#include "chunk_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <utility>

#include "frame.h"
#include "key_encoding.h"
#include "spdlog/spdlog.h"

namespace sealfs {

namespace {

constexpr int kDirectories = 256;
// Past this many files and directories to sync, Sync syncs the whole file system instead.
constexpr std::size_t kMostSyncedOneByOne = 8;
// A write of at least this many bytes starts their writeback at once, so that the disk writes
// while the rest of a large file arrives instead of all of it at the client's fsync (as
// RocksDB's bytes_per_sync does for its own files).
constexpr std::size_t kWritebackStartBytes = 64U << 10;

Status FromErrnoNow(const std::string& what) {
  int error_number = errno;
  return Status::FromErrno(error_number, what);
}

// Closes the descriptor it holds.
class Descriptor {
 public:
  Descriptor() = default;
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() { Reset(-1); }
  Descriptor(Descriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Descriptor& operator=(Descriptor&& other) noexcept {
    Reset(std::exchange(other.fd_, -1));
    return *this;
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  [[nodiscard]] int get() const { return fd_; }
  [[nodiscard]] bool valid() const { return fd_ >= 0; }
  void Reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

Status WriteAll(int fd, std::string_view data, uint64_t offset) {
  while (!data.empty()) {
    ssize_t written = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (written < 0) {
      if (errno == EINTR) continue;
      return FromErrnoNow("write chunk");
    }
    data.remove_prefix(static_cast<std::size_t>(written));
    offset += static_cast<uint64_t>(written);
  }
  return Status::Ok();
}

// Sets the file's length to `length` if it is longer (`longer`) or shorter (!`longer`) now.
Status ResizeIf(int fd, uint64_t length, bool longer) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) return FromErrnoNow("stat chunk");
  const auto now = static_cast<uint64_t>(info.st_size);
  if ((longer ? now > length : now < length) && ::ftruncate(fd, static_cast<off_t>(length)) != 0) {
    return FromErrnoNow("resize chunk");
  }
  return Status::Ok();
}

// Reads up to `length` bytes from `offset`, fewer only at the end of the file.
Status ReadAll(int fd, uint64_t offset, std::size_t length, std::string* out) {
  out->resize(length);
  std::size_t done = 0;
  while (done < length) {
    ssize_t got = ::pread(fd, out->data() + done, length - done, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      return FromErrnoNow("read chunk");
    }
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  out->resize(done);
  return Status::Ok();
}

Status SyncPath(const std::string& path, bool directory) {
  Descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0)));
  if (!fd.valid()) {
    return errno == ENOENT ? Status::Ok() : FromErrnoNow("open " + path);
  }
  int result = directory ? ::fsync(fd.get()) : ::fdatasync(fd.get());
  return result == 0 ? Status::Ok() : FromErrnoNow("sync " + path);
}

}  // namespace

void ChunkFiles::FailStop(const Status& status) {
  spdlog::critical(
      "chunk files: {}; stopping, as the files may no longer match the records "
      "(the next start matches them again and the passes repair this copy)",
      status.ToString());
  std::abort();
}

struct ChunkFiles::OpenChunk {
  Descriptor fd;
  bool created = false;
  off_t original_length = 0;
};

Status ChunkFiles::Open(const std::string& root, std::unique_ptr<ChunkFiles>* out) {
  std::unique_ptr<ChunkFiles> files(new ChunkFiles(root));
  if (::mkdir(root.c_str(), 0755) != 0 && errno != EEXIST) return FromErrnoNow("mkdir " + root);
  for (int i = 0; i < kDirectories; ++i) {
    char name[8];
    std::snprintf(name, sizeof name, "/%02x", i);
    std::string directory = root + name;
    if (::mkdir(directory.c_str(), 0755) != 0 && errno != EEXIST) {
      return FromErrnoNow("mkdir " + directory);
    }
  }
  // The new directories must outlast a crash before any chunk file in them is relied on.
  Status status = SyncPath(root, /*directory=*/true);
  if (status.ok()) status = SyncPath(std::filesystem::path(root).parent_path(), true);
  if (!status.ok()) return status;
  *out = std::move(files);
  return Status::Ok();
}

std::string ChunkFiles::DirectoryOf(std::string_view key) const {
  uint64_t ino = 0;
  uint64_t index = 0;
  if (!keys::DecodeChunkKey(key, &ino, &index)) return {};
  char name[8];
  std::snprintf(name, sizeof name, "/%02x",
                static_cast<unsigned>(XXH3_64bits(&ino, sizeof ino) % kDirectories));
  return root_ + name;
}

std::string ChunkFiles::PathOf(std::string_view key) const {
  uint64_t ino = 0;
  uint64_t index = 0;
  if (!keys::DecodeChunkKey(key, &ino, &index)) return {};
  char name[40];
  std::snprintf(name, sizeof name, "/%016" PRIx64 "-%016" PRIx64, ino, index);
  return DirectoryOf(key) + name;
}

Status ChunkFiles::OpenForWrite(const std::string& key, bool likely_new, OpenChunk* out) const {
  const std::string path = PathOf(key);
  if (path.empty()) return Status::Invalid("not a chunk key");
  // Made here when missing: tried first for a write at the start of a chunk, to spare a failed
  // open of a new file. A file made here is empty; one that was there has its length read, to
  // give back what the allocation adds should the batch fail.
  out->created = false;
  out->original_length = 0;
  for (bool create : {likely_new, !likely_new}) {
    const int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0);
    out->fd.Reset(::open(path.c_str(), flags, 0644));
    if (out->fd.valid()) {
      out->created = create;
      break;
    }
    if (errno != (create ? EEXIST : ENOENT)) break;
  }
  if (!out->fd.valid()) return FromErrnoNow("open " + path);
  if (out->created) return Status::Ok();
  struct stat info {};
  if (::fstat(out->fd.get(), &info) != 0) return FromErrnoNow("stat " + path);
  out->original_length = info.st_size;
  return Status::Ok();
}

Status ChunkFiles::Write(const ChunkChange& change, const OpenChunk& file) {
  const int fd = file.fd.get();
  switch (change.kind) {
    case ChunkChange::Kind::kReplace: {
      Status status = WriteAll(fd, change.data, 0);
      return status.ok() ? ResizeIf(fd, change.data.size(), /*longer=*/true) : status;
    }
    case ChunkChange::Kind::kPatch:
      // As the merge operator: a patch of nothing still zero-fills up to its offset.
      if (change.data.empty()) return ResizeIf(fd, change.offset, /*longer=*/false);
      return WriteAll(fd, change.data, change.offset);
    case ChunkChange::Kind::kTruncate:
      return ResizeIf(fd, change.length, /*longer=*/true);
    case ChunkChange::Kind::kDelete:
      return Status::Ok();
  }
  return Status::Invalid("unknown chunk change");
}

Status ChunkFiles::Apply(const std::vector<ChunkChange>& changes, bool sync,
                         const std::function<Status()>& write_records) {
  // First every file is opened and the blocks of every write allocated, so that a full disk
  // refuses the batch before a byte of it is written; the allocation is undone on failure. It
  // grows a file as the write will (the write's end past it), never past that, and so reads as
  // the zeros a missing chunk reads as.
  std::map<std::string, OpenChunk> files;
  auto undo = [&] {
    for (auto& [key, file] : files) {
      if (file.created) {
        ::unlink(PathOf(key).c_str());
      } else if (file.fd.valid() && ::ftruncate(file.fd.get(), file.original_length) != 0) {
        spdlog::warn("could not give back the blocks reserved in {}", PathOf(key));
      }
    }
  };
  for (const ChunkChange& change : changes) {
    if (change.kind == ChunkChange::Kind::kDelete) continue;
    if (static_cast<uint64_t>(change.offset) + change.data.size() > kMaxPayloadLength) {
      undo();
      return Status::Invalid("write past the largest chunk");
    }
    auto [it, first] = files.try_emplace(change.key);
    Status status =
        first ? OpenForWrite(change.key, change.offset == 0, &it->second) : Status::Ok();
    if (status.ok() && !change.data.empty() &&
        ::fallocate(it->second.fd.get(), 0, change.offset,
                    static_cast<off_t>(change.data.size())) != 0 &&
        errno != EOPNOTSUPP) {
      status = FromErrnoNow("reserve chunk");
    }
    if (!status.ok()) {
      undo();
      return status;
    }
  }
  if (write_records) {
    Status status = write_records();
    if (!status.ok()) {
      undo();
      return status;
    }
  }

  // The records are written: from here on a failure would leave the files behind them.
  std::set<std::string> touched_directories;
  for (const ChunkChange& change : changes) {
    if (change.kind == ChunkChange::Kind::kDelete) {
      if (::unlink(PathOf(change.key).c_str()) != 0 && errno != ENOENT) {
        FailStop(FromErrnoNow("remove chunk"));
      }
      auto it = files.find(change.key);
      if (it != files.end()) it->second.fd.Reset(-1);  // a later change makes it anew
      continue;
    }
    OpenChunk& file = files[change.key];
    Status status =
        file.fd.valid() ? Status::Ok() : OpenForWrite(change.key, /*likely_new=*/true, &file);
    if (status.ok()) status = Write(change, file);
    if (!status.ok()) FailStop(status);
    if (file.created) touched_directories.insert(DirectoryOf(change.key));
    if (!sync && change.data.size() >= kWritebackStartBytes) {
      // Errors of the writeback surface at the next sync.
      (void)::sync_file_range(file.fd.get(), change.offset, static_cast<off_t>(change.data.size()),
                              SYNC_FILE_RANGE_WRITE);
    }
  }

  std::lock_guard lock(mutex_);
  if (!sync) {
    for (const auto& [key, file] : files) {
      if (file.fd.valid()) unsynced_files_.insert(PathOf(key));
    }
    unsynced_directories_.merge(touched_directories);
    return Status::Ok();
  }
  for (const auto& [key, file] : files) {
    if (!file.fd.valid()) continue;
    if (::fdatasync(file.fd.get()) != 0) FailStop(FromErrnoNow("sync chunk"));
    // A file made by an earlier write, not synced since, needs its entry synced too.
    if (unsynced_directories_.erase(DirectoryOf(key)) != 0) {
      touched_directories.insert(DirectoryOf(key));
    }
  }
  for (const std::string& directory : touched_directories) {
    Status status = SyncPath(directory, /*directory=*/true);
    if (!status.ok()) FailStop(status);
  }
  return Status::Ok();
}

Status ChunkFiles::Sync() {
  // One sync at a time: a sync that began later must not return before an earlier one has
  // synced the files it took.
  std::lock_guard syncing(sync_mutex_);
  std::set<std::string> files;
  std::set<std::string> directories;
  {
    std::lock_guard lock(mutex_);
    files.swap(unsynced_files_);
    directories.swap(unsynced_directories_);
  }
  Status status = Status::Ok();
  if (files.size() + directories.size() > kMostSyncedOneByOne) {
    // One syncfs writes every file back at once and commits the journal once, where a
    // fdatasync per file commits it and flushes the disk's cache once per file: after a
    // sequential write of 1 GiB over 3 servers, 1 s of fdatasyncs per server.
    Descriptor root(::open(root_.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECTORY));
    if (!root.valid() || ::syncfs(root.get()) != 0) status = FromErrnoNow("sync " + root_);
  } else {
    for (const std::string& path : files) {
      if (status.ok()) status = SyncPath(path, /*directory=*/false);
    }
    for (const std::string& path : directories) {
      if (status.ok()) status = SyncPath(path, /*directory=*/true);
    }
  }
  // The kernel drops the pages it could not write back and marks them clean: a second sync
  // would succeed with the bytes lost.
  if (!status.ok()) FailStop(status);
  return status;
}

Status ChunkFiles::ReadUpTo(std::string_view key, uint64_t offset, uint64_t length,
                            std::string* out) const {
  out->clear();
  const std::string path = PathOf(key);
  if (path.empty()) return Status::NotFound();
  Descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno == ENOENT ? Status::NotFound() : FromErrnoNow("open " + path);
  // Clients ask for up to the rest of a chunk; the buffer is sized by what the file holds.
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return FromErrnoNow("stat " + path);
  const auto size = static_cast<uint64_t>(info.st_size);
  if (offset >= size) return Status::Ok();
  return ReadAll(fd.get(), offset, std::min(length, size - offset), out);
}

Status ChunkFiles::Read(std::string_view key, std::string* out) const {
  return ReadUpTo(key, 0, UINT64_MAX, out);
}

Status ChunkFiles::ReadRange(std::string_view key, uint32_t offset, uint32_t length,
                             std::string* out) const {
  Status status = ReadUpTo(key, offset, length, out);
  return status.code() == proto::STATUS_NOT_FOUND ? Status::Ok() : status;
}

Status ChunkFiles::Length(std::string_view key, uint64_t* length) const {
  const std::string path = PathOf(key);
  struct stat info {};
  if (path.empty() || ::stat(path.c_str(), &info) != 0) {
    return path.empty() || errno == ENOENT ? Status::NotFound() : FromErrnoNow("stat " + path);
  }
  *length = static_cast<uint64_t>(info.st_size);
  return Status::Ok();
}

Status ChunkFiles::ListKeys(std::vector<std::string>* out) const {
  out->clear();
  std::error_code error;
  for (const auto& directory : std::filesystem::directory_iterator(root_, error)) {
    for (const auto& file : std::filesystem::directory_iterator(directory.path(), error)) {
      uint64_t ino = 0;
      uint64_t index = 0;
      char tail = 0;
      const std::string name = file.path().filename().string();
      if (name.size() == 33 &&
          std::sscanf(name.c_str(), "%16" SCNx64 "-%16" SCNx64 "%c", &ino, &index, &tail) == 2) {
        out->push_back(keys::ChunkKey(ino, index));
      }
    }
    if (error) break;
  }
  return error ? Status::IoError("list " + root_ + ": " + error.message()) : Status::Ok();
}

Status ChunkFiles::Remove(std::string_view key) {
  const std::string path = PathOf(key);
  if (path.empty() || ::unlink(path.c_str()) == 0 || errno == ENOENT) return Status::Ok();
  return FromErrnoNow("remove " + path);
}

}  // namespace sealfs
