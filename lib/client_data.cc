// The data half of the client: descriptors, and file bytes cut into chunks spread over servers.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <optional>

#include "client.h"
#include "path.h"
#include "placement.h"

namespace sealfs::client {

namespace {

// Chunk requests one call keeps in flight; bounds the memory a huge read or write pins.
constexpr std::size_t kMaxChunksInFlight = 32;
// Writes are cut at multiples of this within a chunk, so that a large write is several requests
// in flight at once: the next piece crosses loopback while the head replicates the one before
// (a chunk's pieces are replicated one after the other, under the chunk's key lock). Reads are
// not cut: they gained nothing.
constexpr std::size_t kLargestWritePiece = 256U << 10;
// The largest file: offsets must fit off_t.
constexpr uint64_t kMaxFileSize = static_cast<uint64_t>(INT64_MAX);

// One piece of an I/O: the part of [offset, offset + count) that falls in one chunk.
struct Piece {
  uint64_t index;         // chunk index
  uint32_t chunk_offset;  // where in the chunk
  std::size_t length;
  std::size_t buf_offset;  // where in the caller's buffer
};

// Linux's relatime: a read moves atime when it is not newer than mtime or ctime, or is a day old.
bool RelatimeMovesAtime(const proto::InodeAttr& attr, const proto::Timespec& now) {
  constexpr int64_t kDay = 24 * 60 * 60;
  return !Later(attr.atime(), attr.mtime()) || !Later(attr.atime(), attr.ctime()) ||
         attr.atime().sec() + kDay <= now.sec();
}

std::vector<Piece> CutIntoPieces(uint64_t offset, std::size_t count, uint32_t chunk_size,
                                 std::size_t largest_piece = SIZE_MAX) {
  std::vector<Piece> pieces;
  std::size_t done = 0;
  while (done < count) {
    uint64_t position = offset + done;
    uint64_t index = position / chunk_size;
    auto chunk_offset = static_cast<uint32_t>(position % chunk_size);
    std::size_t length = std::min<std::size_t>(
        {count - done, chunk_size - chunk_offset, largest_piece - chunk_offset % largest_piece});
    pieces.push_back(Piece{index, chunk_offset, length, done});
    done += length;
  }
  return pieces;
}

}  // namespace

Status Client::Open(std::string_view path, int flags, uint32_t mode, int* fd, int symlink_depth) {
  if (!IsAccessMode(flags)) return Status::Invalid("bad access mode");
  Resolved resolved;
  Status status;
  bool created = false;
  if ((flags & O_CREAT) != 0) {
    // The parent comes from the directory cache where fresh; when the cached one is gone, it is
    // looked up again.
    ParentAndName where;
    proto::CreateReply reply;
    for (bool cache_parent : {true, false}) {
      status = ResolveParent(path, &where, cache_parent);
      if (status.code() == proto::STATUS_EXISTS) {
        return (flags & O_EXCL) != 0 ? status : Status(proto::STATUS_IS_DIR, "the root");
      }
      if (!status.ok()) return status;
      if (path.back() == '/') return {proto::STATUS_IS_DIR, "O_CREAT of a directory path"};
      status =
          CreateEntry(where, NewInodeAttr(S_IFREG | (mode & 07777)), (flags & O_EXCL) != 0, &reply);
      if (status.code() != proto::STATUS_NOT_FOUND || !where.parent.cached_as.has_value()) break;
    }
    if (!status.ok()) return status;
    created = reply.created();
    resolved.ino = reply.entry().ino();
    resolved.type = reply.entry().type();
    resolved.has_attr = reply.has_attr();
    if (resolved.has_attr) resolved.attr = reply.attr();
    if (!created && S_ISLNK(resolved.type)) {
      if ((flags & O_NOFOLLOW) != 0) return {proto::STATUS_LOOP, "O_NOFOLLOW on a symlink"};
      if ((flags & O_EXCL) != 0) return {proto::STATUS_EXISTS, "a symlink of that name"};
      Resolved link = resolved;
      status = Resolve(path, true, &resolved);
      if (status.code() == proto::STATUS_NOT_FOUND) {
        // A dangling link: as Linux, create the file it points at.
        if (symlink_depth >= kMaxSymlinkDepth) return {proto::STATUS_LOOP, "too many symlinks"};
        status = FillAttr(&link);
        if (!status.ok()) return status;
        std::string target = link.attr.symlink_target();
        if (target.empty()) return {proto::STATUS_NOT_FOUND, "empty symlink target"};
        if (target.front() != '/')
          target = std::string(path.substr(0, path.rfind('/') + 1)) + target;
        return Open(target, flags, mode, fd, symlink_depth + 1);
      }
      if (!status.ok()) return status;
    }
  } else {
    status = Resolve(path, (flags & O_NOFOLLOW) == 0, &resolved);
    if (!status.ok()) return status;
  }
  return OpenResolved(std::move(resolved), flags, created, true, fd);
}

Status Client::OpenResolved(Resolved resolved, int flags, bool created, bool check_permission,
                            int* fd) {
  const int access = flags & O_ACCMODE;
  const bool writable = access != O_RDONLY;
  Status status = FillAttr(&resolved);
  if (!status.ok()) return status;
  uint32_t type = resolved.attr.mode() & S_IFMT;
  if (type == S_IFLNK) return {proto::STATUS_LOOP, "O_NOFOLLOW on a symlink"};
  if ((flags & O_DIRECTORY) != 0 && type != S_IFDIR) return {proto::STATUS_NOT_DIR, "O_DIRECTORY"};
  if (type == S_IFDIR && (writable || (flags & O_TRUNC) != 0 || (flags & O_CREAT) != 0)) {
    return {proto::STATUS_IS_DIR, "is a directory"};
  }
  if (!created && check_permission) {
    int wanted = (access == O_RDONLY ? R_OK : 0) | (access == O_WRONLY ? W_OK : 0) |
                 (access == O_RDWR ? R_OK | W_OK : 0);
    status = CheckPermission(resolved.attr, wanted);
    if (!status.ok()) return status;
  }
  if ((flags & O_TRUNC) != 0 && writable && !created && resolved.attr.size() > 0) {
    status = TruncateInode(resolved.ino, 0);
    if (!status.ok()) return status;
  }
  if (type == S_IFREG && !IsValidChunkSize(resolved.attr.chunk_size())) {
    return {proto::STATUS_IO_ERROR, "the inode's chunk size is damaged"};
  }
  auto file = std::make_shared<OpenFile>();
  file->ino = resolved.ino;
  file->flags = flags;
  file->chunk_size = resolved.attr.chunk_size();
  file->type = type;
  file->move_atime_on_read =
      options_.relatime && file->readable() && RelatimeMovesAtime(resolved.attr, Now());
  *fd = files_.Add(std::move(file));
  if (*fd < 0) return {proto::STATUS_TOO_MANY_OPEN, "too many open files"};
  return Status::Ok();
}

Status Client::Close(int fd) {
  auto file = files_.Remove(fd);
  if (!file) return {proto::STATUS_BAD_DESCRIPTOR, "not open"};
  if (!file->writable()) return Status::Ok();
  Status status = write_behind_.Send(file->ino, /*report_earlier=*/true);
  if (status.ok() && (file->flags & (O_SYNC | O_DSYNC)) != 0) return SyncAll();
  return status;
}

Status Client::Flush(int fd) {
  auto file = files_.Get(fd);
  if (!file) return {proto::STATUS_BAD_DESCRIPTOR, "not open"};
  return write_behind_.Send(file->ino, /*report_earlier=*/true);
}

Status Client::Read(int fd, void* buf, std::size_t count, std::size_t* done) {
  auto file = files_.Get(fd);
  if (!file) return {proto::STATUS_BAD_DESCRIPTOR, "not open"};
  std::lock_guard lock(file->offset_mutex);
  Status status = PreadFile(*file, buf, count, file->offset, done);
  if (status.ok()) file->offset += *done;
  return status;
}

Status Client::Write(int fd, const void* buf, std::size_t count, std::size_t* done) {
  auto file = files_.Get(fd);
  if (!file) return {proto::STATUS_BAD_DESCRIPTOR, "not open"};
  std::lock_guard lock(file->offset_mutex);
  if ((file->flags & O_APPEND) == 0) {
    Status status = PwriteFile(*file, buf, count, file->offset, done);
    if (status.ok()) file->offset += *done;
    return status;
  }
  // Reading the size and writing past it is one step for every descriptor of this client on
  // the inode; appends from other clients are not ordered against these (as on NFS).
  std::lock_guard append_lock(append_mutexes_[file->ino % append_mutexes_.size()]);
  proto::InodeAttr attr;
  Status status = GetAttr(file->ino, &attr);
  if (!status.ok()) return status;
  status = PwriteFile(*file, buf, count, attr.size(), done);
  if (status.ok()) file->offset = attr.size() + *done;
  return status;
}

Status Client::Pread(int fd, void* buf, std::size_t count, uint64_t offset, std::size_t* done) {
  auto file = files_.Get(fd);
  if (!file) return {proto::STATUS_BAD_DESCRIPTOR, "not open"};
  return PreadFile(*file, buf, count, offset, done);
}

Status Client::Pwrite(int fd, const void* buf, std::size_t count, uint64_t offset,
                      std::size_t* done) {
  auto file = files_.Get(fd);
  if (!file) return {proto::STATUS_BAD_DESCRIPTOR, "not open"};
  return PwriteFile(*file, buf, count, offset, done);
}

Status Client::PreadFile(const OpenFile& file, void* buf, std::size_t count, uint64_t offset,
                         std::size_t* done) {
  if (!file.readable()) return {proto::STATUS_BAD_DESCRIPTOR, "not open for reading"};
  if (S_ISDIR(file.type)) return {proto::STATUS_IS_DIR, "is a directory"};
  if (offset > kMaxFileSize) return Status::Invalid("offset out of range");
  return ReadAt(file, static_cast<char*>(buf), count, offset, done);
}

Status Client::PwriteFile(const OpenFile& file, const void* buf, std::size_t count, uint64_t offset,
                          std::size_t* done) {
  if (!file.writable()) return {proto::STATUS_BAD_DESCRIPTOR, "not open for writing"};
  if (offset > kMaxFileSize || count > kMaxFileSize - offset) {
    return {proto::STATUS_TOO_BIG, "beyond the largest file size"};
  }
  *done = 0;
  if (count == 0) return Status::Ok();
  const std::string_view bytes(static_cast<const char*>(buf), count);
  Status status;
  if (options_.write_behind && count < WriteBehind::kLargestKept &&
      (file.flags & (O_APPEND | O_SYNC | O_DSYNC)) == 0) {
    recent_files_.Erase(file.ino);  // its mtime moves
    write_behind_.Keep(file.ino, file.chunk_size, offset, bytes, Now());
  } else {
    status = write_behind_.WriteThrough(file.ino, [&] {
      return RetryIfSpaceIsComing([&] { return WriteAt(file, bytes.data(), count, offset); });
    });
  }
  if (status.ok()) *done = count;
  return status;
}

Status Client::RetryIfSpaceIsComing(const std::function<Status()>& write) {
  Status status = write();
  if (status.code() == proto::STATUS_NO_SPACE &&
      deletes_.FlushIf([](const std::vector<DeletedFile>& files) { return !files.empty(); })) {
    status = write();
  }
  return status;
}

Status Client::SendKept(const KeptWrites& writes) {
  std::vector<Range> ranges;
  for (const auto& [offset, bytes] : writes.ranges.ranges()) ranges.push_back({offset, bytes});
  return RetryIfSpaceIsComing(
      [&] { return WriteRanges(writes.ino, writes.chunk_size, false, ranges, writes.mtime); });
}

// Reads the chunks of the range and the file size at once; bytes past the size are not
// returned, holes within it read as zeros. A chunk that could not be read fails the read only
// when it starts below the size: a server down past the end of the file costs nothing. The
// first read of a file whose atime relatime moves sends that change with it (best effort, as
// on a local file system: a read never fails for its atime).
Status Client::ReadAt(const OpenFile& file, char* buf, std::size_t count, uint64_t offset,
                      std::size_t* done) {
  *done = 0;
  if (count == 0) return Status::Ok();
  const uint64_t ino = file.ino;
  Status kept_status = write_behind_.Send(ino);
  if (!kept_status.ok()) return kept_status;
  const std::string inode_key = InodePlacementKey(ino);
  proto::GetAttrRequest attr_request;
  attr_request.set_ino(ino);
  PendingCall attr_call = cluster_.StartHome(inode_key, proto::OP_GET_ATTR, attr_request);
  proto::SetAttrRequest atime_request;
  std::optional<PendingCall> atime_call;
  if (file.move_atime_on_read.exchange(false)) {
    recent_files_.Erase(ino);
    atime_request.set_ino(ino);
    *atime_request.mutable_atime() = Now();
    atime_call = cluster_.StartHome(inode_key, proto::OP_SET_ATTR, atime_request);
  }
  std::vector<Piece> pieces = CutIntoPieces(offset, count, file.chunk_size);
  Status status;
  uint64_t first_failed_offset = UINT64_MAX;  // in the file
  for (std::size_t first = 0; first < pieces.size(); first += kMaxChunksInFlight) {
    std::size_t last = std::min(pieces.size(), first + kMaxChunksInFlight);
    std::deque<proto::ReadChunkRequest> requests;
    std::vector<PendingCall> calls;
    for (std::size_t i = first; i < last; ++i) {
      auto& request = requests.emplace_back();
      request.set_ino(ino);
      request.set_index(pieces[i].index);
      request.set_offset(pieces[i].chunk_offset);
      request.set_length(static_cast<uint32_t>(pieces[i].length));
      calls.push_back(cluster_.StartHome(ChunkPlacementKey(ino, pieces[i].index),
                                         proto::OP_READ_CHUNK, request));
    }
    for (std::size_t i = first; i < last; ++i) {
      RpcResult result = cluster_.Finish(calls[i - first]);
      if (!result.status.ok()) {
        if (status.ok()) status = result.status;
        first_failed_offset = std::min(first_failed_offset, offset + pieces[i].buf_offset);
        continue;
      }
      std::size_t n = std::min(result.payload.size(), pieces[i].length);
      std::memcpy(buf + pieces[i].buf_offset, result.payload.data(), n);
      std::memset(buf + pieces[i].buf_offset + n, 0, pieces[i].length - n);
    }
  }
  if (atime_call) (void)cluster_.Finish(*atime_call);
  proto::GetAttrReply attr_reply;
  Status attr_status = cluster_.Finish(attr_call).Decode(&attr_reply);
  if (!attr_status.ok()) return attr_status;
  const uint64_t size = attr_reply.attr().size();
  if (first_failed_offset < size) return status;
  *done = offset >= size ? 0 : static_cast<std::size_t>(std::min<uint64_t>(count, size - offset));
  return Status::Ok();
}

Status Client::WriteAt(const OpenFile& file, const char* buf, std::size_t count, uint64_t offset) {
  recent_files_.Erase(file.ino);  // its mtime moves
  const bool sync = (file.flags & (O_SYNC | O_DSYNC)) != 0;
  return WriteRanges(file.ino, file.chunk_size, sync, {Range{offset, std::string_view(buf, count)}},
                     Now());
}

// Sends every chunk piece and the size update at once, so a write costs one round trip.
Status Client::WriteRanges(uint64_t ino, uint32_t chunk_size, bool sync,
                           const std::vector<Range>& ranges, const proto::Timespec& mtime) {
  struct SourcedPiece {
    Piece piece;
    const char* bytes;  // of the piece
  };
  std::vector<SourcedPiece> pieces;
  uint64_t end = 0;
  for (const Range& range : ranges) {
    for (const Piece& piece :
         CutIntoPieces(range.offset, range.bytes.size(), chunk_size, kLargestWritePiece)) {
      pieces.push_back({piece, range.bytes.data() + piece.buf_offset});
    }
    end = std::max(end, range.offset + range.bytes.size());
  }
  proto::SetAttrRequest size_request;
  size_request.set_ino(ino);
  size_request.set_size_at_least(end);
  *size_request.mutable_mtime() = mtime;
  *size_request.mutable_ctime() = mtime;
  const std::string inode_key = InodePlacementKey(ino);
  Status status;
  for (std::size_t first = 0; first < pieces.size(); first += kMaxChunksInFlight) {
    std::size_t last = std::min(pieces.size(), first + kMaxChunksInFlight);
    std::deque<proto::WriteChunkRequest> requests;
    std::vector<PendingCall> calls;
    for (std::size_t i = first; i < last; ++i) {
      const Piece& piece = pieces[i].piece;
      auto& request = requests.emplace_back();
      request.set_ino(ino);
      request.set_index(piece.index);
      request.set_offset(piece.chunk_offset);
      request.set_sync(sync);
      request.set_chunk_size(chunk_size);
      calls.push_back(cluster_.StartHome(ChunkPlacementKey(ino, piece.index), proto::OP_WRITE_CHUNK,
                                         request, std::string_view(pieces[i].bytes, piece.length)));
    }
    // The size goes with the last window, so the file never claims bytes not yet sent.
    if (last == pieces.size()) {
      calls.push_back(cluster_.StartHome(inode_key, proto::OP_SET_ATTR, size_request));
    }
    for (auto& call : calls) {
      Status one = cluster_.Finish(call).status;
      if (!one.ok() && status.ok()) status = one;
    }
    if (!status.ok()) return status;
  }
  if (sync) {
    return cluster_.CallHome(inode_key, proto::OP_SYNC, proto::SyncRequest()).status;
  }
  return Status::Ok();
}

Status Client::Lseek(int fd, int64_t offset, int whence, int64_t* result) {
  auto file = files_.Get(fd);
  if (!file) return {proto::STATUS_BAD_DESCRIPTOR, "not open"};
  std::lock_guard lock(file->offset_mutex);
  int64_t base = 0;
  if (whence == SEEK_CUR) {
    base = static_cast<int64_t>(file->offset);
  } else if (whence == SEEK_END || whence == SEEK_DATA || whence == SEEK_HOLE) {
    proto::InodeAttr attr;
    Status status = GetAttr(file->ino, &attr);
    if (!status.ok()) return status;
    auto size = static_cast<int64_t>(attr.size());
    if (whence == SEEK_DATA || whence == SEEK_HOLE) {
      // Every byte below the size counts as data; the only hole is the end.
      if (offset < 0) return Status::Invalid("negative offset");
      if (offset >= size) return {proto::STATUS_PAST_END, "beyond the end"};
      *result = whence == SEEK_DATA ? offset : size;
      file->offset = static_cast<uint64_t>(*result);
      return Status::Ok();
    }
    base = size;
  } else if (whence != SEEK_SET) {
    return Status::Invalid("bad whence");
  }
  if ((offset > 0 && base > INT64_MAX - offset) || base + offset < 0) {
    return Status::Invalid("offset out of range");
  }
  *result = base + offset;
  file->offset = static_cast<uint64_t>(*result);
  return Status::Ok();
}

Status Client::Fsync(int fd) {
  auto file = files_.Get(fd);
  if (!file) return {proto::STATUS_BAD_DESCRIPTOR, "not open"};
  Status status = write_behind_.Send(file->ino, /*report_earlier=*/true);
  return status.ok() ? SyncAll() : status;
}

// Chunks lie on every server, so durability asks every server to sync its log.
Status Client::SyncAll() { return cluster_.CallEveryServer(proto::OP_SYNC, proto::SyncRequest()); }

Status Client::Ftruncate(int fd, uint64_t length) {
  auto file = files_.Get(fd);
  if (!file) return {proto::STATUS_BAD_DESCRIPTOR, "not open"};
  if (!file->writable() || !S_ISREG(file->type)) return Status::Invalid("not open for writing");
  if (length > kMaxFileSize) return {proto::STATUS_TOO_BIG, "too large"};
  return TruncateInode(file->ino, length);
}

Status Client::Fstat(int fd, proto::InodeAttr* attr) {
  auto file = files_.Get(fd);
  if (!file) return {proto::STATUS_BAD_DESCRIPTOR, "not open"};
  return GetAttr(file->ino, attr);
}

// No space is reserved ahead: chunks are RocksDB records, written when data comes. So mode 0
// only sets the size, and the calls that promise zeros write or delete chunks.
Status Client::Fallocate(int fd, int mode, uint64_t offset, uint64_t length) {
  auto file = files_.Get(fd);
  if (!file || !file->writable()) return {proto::STATUS_BAD_DESCRIPTOR, "not open for writing"};
  if (S_ISDIR(file->type)) return {proto::STATUS_IS_DIR, "is a directory"};
  if (!S_ISREG(file->type)) return {proto::STATUS_NOT_SUPPORTED, "not a regular file"};
  constexpr int kKnown = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE;
  if ((mode & ~kKnown) != 0) return {proto::STATUS_NOT_SUPPORTED, "fallocate mode"};
  const bool punch = (mode & FALLOC_FL_PUNCH_HOLE) != 0;
  const bool zero = (mode & FALLOC_FL_ZERO_RANGE) != 0;
  const bool keep_size = (mode & FALLOC_FL_KEEP_SIZE) != 0;
  if (punch && (zero || !keep_size)) return {proto::STATUS_NOT_SUPPORTED, "punch needs keep size"};
  if (length == 0) return Status::Invalid("zero length");
  if (offset > kMaxFileSize || length > kMaxFileSize - offset) {
    return {proto::STATUS_TOO_BIG, "beyond the largest file size"};
  }
  const uint64_t end = offset + length;
  if (punch || zero) {
    proto::InodeAttr attr;
    Status status = GetAttr(file->ino, &attr);
    if (!status.ok()) return status;
    // Past the size there is nothing to zero: reads stop at the size.
    status = ZeroRange(*file, offset, std::min(end, attr.size()));
    if (!status.ok()) return status;
  }
  if (keep_size && !punch && !zero) return Status::Ok();
  proto::SetAttrRequest request;
  request.set_ino(file->ino);
  if (!keep_size) request.set_size_at_least(end);
  proto::Timespec now = Now();
  *request.mutable_mtime() = now;
  *request.mutable_ctime() = now;
  return SetAttr(request, nullptr);
}

Status Client::ZeroRange(const OpenFile& file, uint64_t begin, uint64_t end) {
  if (begin >= end) return Status::Ok();
  const uint32_t chunk = file.chunk_size;
  const uint64_t first_whole = (begin + chunk - 1) / chunk;
  const uint64_t end_whole = end / chunk;
  std::vector<std::pair<uint64_t, uint64_t>> edges;  // [from, to) written with zeros
  if (first_whole >= end_whole) {
    edges.emplace_back(begin, end);  // within one chunk, or straddling one boundary
  } else {
    if (begin < first_whole * chunk) edges.emplace_back(begin, first_whole * chunk);
    if (end_whole * chunk < end) edges.emplace_back(end_whole * chunk, end);
  }
  Status status;
  if (first_whole < end_whole) {
    proto::DeleteChunksRequest request;
    request.set_ino(file.ino);
    request.set_first_index(first_whole);
    request.set_end_index(end_whole);
    status = cluster_.CallEveryServer(proto::OP_DELETE_CHUNKS, request, nullptr,
                                      [&](uint64_t epoch) { request.set_epoch(epoch); });
    if (!status.ok()) return status;
  }
  for (const auto& [from, to] : edges) {
    const std::string zeros(to - from, '\0');
    status = WriteAt(file, zeros.data(), zeros.size(), from);
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

// Cuts the chunks first, then sets the size: a reader in between sees zeros where bytes were
// cut, never old bytes reappearing past a later extension.
Status Client::TruncateInode(uint64_t ino, uint64_t length) {
  proto::InodeAttr attr;
  Status status = GetAttr(ino, &attr);
  if (!status.ok()) return status;
  if (length < attr.size()) {
    status = TruncateChunks(ino, length, attr.chunk_size());
    if (!status.ok()) return status;
  }
  proto::SetAttrRequest request;
  request.set_ino(ino);
  request.set_size(length);
  proto::Timespec now = Now();
  *request.mutable_mtime() = now;
  *request.mutable_ctime() = now;
  return SetAttr(request, nullptr);
}

Status Client::TruncateChunks(uint64_t ino, uint64_t length, uint32_t chunk_size) {
  proto::TruncateChunksRequest request;
  request.set_ino(ino);
  request.set_size(length);
  request.set_chunk_size(chunk_size);
  return cluster_.CallEveryServer(proto::OP_TRUNCATE_CHUNKS, request, nullptr,
                                  [&](uint64_t epoch) { request.set_epoch(epoch); });
}

}  // namespace sealfs::client
