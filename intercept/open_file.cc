#include "open_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "session.h"

namespace sealfs::intercept {

OpenFile::OpenFile(SharedState* state, int sealfs_fd, uint64_t generation)
    : state_(state),
      sealfs_fd_(sealfs_fd),
      generation_(generation),
      appends_((state->open_flags & O_APPEND) != 0) {}

OpenFile::~OpenFile() {
  // Only the client that opened them may close them; an older client's are left to it.
  sealfs_client* client = nullptr;
  uint64_t generation = 0;
  if (sealfs_fd_ >= 0 && generation_ == Session::Instance().generation() &&
      Session::Instance().Connect(&client, &generation) == 0 && generation == generation_) {
    sealfs_close(client, sealfs_fd_);
  }
  CloseListingLocked();  // no other thread can hold the object any more
  UnmapState(state_);
}

int OpenFile::Descriptor(sealfs_client** client) {
  std::lock_guard lock(descriptor_mutex_);
  return DescriptorLocked(client);
}

int OpenFile::DescriptorLocked(sealfs_client** client) {
  if (state_->kind != PlaceholderKind::kFile) return -EBADF;
  uint64_t generation = 0;
  int result = Session::Instance().Connect(client, &generation);
  if (result < 0) return result;
  if (sealfs_fd_ >= 0 && generation_ == generation) return sealfs_fd_;
  // Opened by another client (before fork or exec): open it again for this one.
  int flags = state_->open_flags & ~(O_CREAT | O_EXCL | O_TRUNC);
  if ((state_->status_flags.load() & O_APPEND) != 0) flags |= O_APPEND;
  int fd = sealfs_open(*client, state_->path, flags, 0);
  if (fd < 0) return fd;
  sealfs_fd_ = fd;
  generation_ = generation;
  appends_ = (flags & O_APPEND) != 0;
  return fd;
}

ssize_t OpenFile::Pread(void* buf, std::size_t count, off_t offset) {
  sealfs_client* client = nullptr;
  int fd = Descriptor(&client);
  if (fd < 0) return fd;
  return sealfs_pread(client, fd, buf, count, offset);
}

ssize_t OpenFile::Pwrite(const void* buf, std::size_t count, off_t offset) {
  sealfs_client* client = nullptr;
  int fd = Descriptor(&client);
  if (fd < 0) return fd;
  return sealfs_pwrite(client, fd, buf, count, offset);
}

ssize_t OpenFile::Read(void* buf, std::size_t count) {
  std::lock_guard lock(offset_mutex_);
  off_t offset = state_->offset.load();
  ssize_t done = Pread(buf, count, offset);
  if (done > 0) state_->offset.store(offset + done);
  return done;
}

ssize_t OpenFile::Write(const void* buf, std::size_t count) {
  sealfs_client* client = nullptr;
  bool appends = false;
  int fd = 0;
  {
    std::lock_guard lock(descriptor_mutex_);
    fd = DescriptorLocked(&client);
    appends = appends_;
  }
  if (fd < 0) return fd;
  std::lock_guard lock(offset_mutex_);
  if ((state_->status_flags.load() & O_APPEND) == 0) {
    off_t offset = state_->offset.load();
    ssize_t done = sealfs_pwrite(client, fd, buf, count, offset);
    if (done > 0) state_->offset.store(offset + done);
    return done;
  }
  if (appends) {
    // SealFS appends atomically for every descriptor of this client.
    ssize_t done = sealfs_write(client, fd, buf, count);
    if (done >= 0) state_->offset.store(sealfs_lseek(client, fd, 0, SEEK_CUR));
    return done;
  }
  // O_APPEND set by F_SETFL after the open: at the end as it is now.
  off_t end = sealfs_lseek(client, fd, 0, SEEK_END);
  if (end < 0) return end;
  ssize_t done = sealfs_pwrite(client, fd, buf, count, end);
  if (done >= 0) state_->offset.store(end + done);
  return done;
}

off_t OpenFile::Seek(off_t offset, int whence) {
  if (IsDirectory() == 1) {
    // A directory's offset is its listing's position; only rewinding and asking are common.
    if (whence == SEEK_SET) return SeekListing(offset) < 0 ? -EINVAL : offset;
    if (whence == SEEK_CUR && offset == 0) return TellListing();
    return -EINVAL;
  }
  std::lock_guard lock(offset_mutex_);
  off_t base = 0;
  switch (whence) {
    case SEEK_SET:
      break;
    case SEEK_CUR:
      base = state_->offset.load();
      break;
    case SEEK_END:
    case SEEK_DATA:
    case SEEK_HOLE: {
      struct stat st {};
      int result = Stat(&st);
      if (result < 0) return result;
      if (whence == SEEK_END) {
        base = st.st_size;
        break;
      }
      // No holes are reported: data runs from 0 to the size, as POSIX allows.
      if (offset < 0) return -EINVAL;
      if (offset >= st.st_size) return -ENXIO;
      if (whence == SEEK_HOLE) offset = st.st_size;
      break;
    }
    default:
      return -EINVAL;
  }
  off_t target = base + offset;
  if (target < 0) return -EINVAL;
  state_->offset.store(target);
  return target;
}

int OpenFile::Stat(struct stat* st) {
  int result = 0;
  if (state_->kind == PlaceholderKind::kFile) {
    sealfs_client* client = nullptr;
    int fd = Descriptor(&client);
    if (fd < 0) return fd;
    result = sealfs_fstat(client, fd, st);
  } else {
    sealfs_client* client = nullptr;
    result = Session::Instance().Connect(&client);
    if (result == 0) result = sealfs_stat(client, state_->path, st);
  }
  if (result == 0) state_->file_type.store(st->st_mode & S_IFMT);
  return result;
}

int OpenFile::IsDirectory() {
  uint32_t type = state_->file_type.load();
  if (type == 0) {
    struct stat st {};
    int result = Stat(&st);
    if (result < 0) return result;
    type = st.st_mode & S_IFMT;
  }
  return S_ISDIR(type) ? 1 : 0;
}

void OpenFile::CloseListingLocked() {
  if (listing_ != nullptr) {
    sealfs_client* client = nullptr;
    uint64_t generation = 0;
    if (listing_generation_ == Session::Instance().generation() &&
        Session::Instance().Connect(&client, &generation) == 0 &&
        generation == listing_generation_) {
      sealfs_closedir(client, listing_);
    }
    listing_ = nullptr;
  }
}

int OpenFile::NextEntry(struct dirent* entry) {
  std::lock_guard lock(listing_mutex_);
  if (has_unread_) {
    *entry = unread_;
    has_unread_ = false;
    ++listing_position_;
    return 1;
  }
  sealfs_client* client = nullptr;
  uint64_t generation = 0;
  int result = Session::Instance().Connect(&client, &generation);
  if (result < 0) return result;
  if (listing_ != nullptr && listing_generation_ != generation) {
    listing_ = nullptr;  // the parent's, before fork: list again from where it was
  }
  if (listing_ == nullptr) {
    result = sealfs_opendir(client, state_->path, &listing_);
    if (result < 0) return result;
    listing_generation_ = generation;
    struct dirent skipped {};
    for (int64_t index = 0; index < listing_position_; ++index) {
      result = sealfs_readdir(client, listing_, &skipped);
      if (result <= 0) return result;
    }
  }
  result = sealfs_readdir(client, listing_, entry);
  if (result == 1) entry->d_off = ++listing_position_;
  return result;
}

void OpenFile::UnreadEntry(const struct dirent& entry) {
  std::lock_guard lock(listing_mutex_);
  unread_ = entry;
  has_unread_ = true;
  --listing_position_;
}

int64_t OpenFile::TellListing() {
  std::lock_guard lock(listing_mutex_);
  return listing_position_;
}

int OpenFile::SeekListing(int64_t position) {
  if (position < 0) return -EINVAL;
  std::lock_guard lock(listing_mutex_);
  // The next entry lists again from the start and skips `position` entries.
  CloseListingLocked();
  has_unread_ = false;
  listing_position_ = position;
  return 0;
}

}  // namespace sealfs::intercept
