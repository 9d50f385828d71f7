// One SealFS open file as the process sees it: the shared state of its placeholder, and this
// process's own SealFS descriptor and directory listing for it.
//
// The SealFS descriptor belongs to one client. A child after fork and a program after exec have
// another client (the client is not fork-safe), so they open the file again by its path, lazily,
// without O_CREAT, O_EXCL and O_TRUNC; the offset and status flags stay shared through the
// placeholder's state. Thread-safe.
#pragma once

#include <dirent.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <mutex>
#include <string>

#include "placeholder.h"
#include "sealfs/sealfs.h"

namespace sealfs::intercept {

class OpenFile {
 public:
  // Takes over `state` and, when sealfs_fd >= 0, the SealFS descriptor of client `generation`.
  OpenFile(SharedState* state, int sealfs_fd, uint64_t generation);
  ~OpenFile();
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;

  [[nodiscard]] SharedState& state() const { return *state_; }
  [[nodiscard]] const char* path() const { return state_->path; }
  [[nodiscard]] PlaceholderKind kind() const { return state_->kind; }

  // The SealFS descriptor for the current client, opened again by path if it belongs to an
  // older one. Returns it or -errno; *client receives the client.
  int Descriptor(sealfs_client** client);

  // Each returns what the POSIX call of the same name returns, or -errno.
  ssize_t Read(void* buf, std::size_t count);
  ssize_t Write(const void* buf, std::size_t count);
  ssize_t Pread(void* buf, std::size_t count, off_t offset);
  ssize_t Pwrite(const void* buf, std::size_t count, off_t offset);
  off_t Seek(off_t offset, int whence);
  int Stat(struct stat* st);
  // 1 for a directory, 0 for anything else, or -errno.
  int IsDirectory();

  // The directory listing shared by getdents64 and readdir on this open directory: the next
  // entry into *entry (1), the end (0), or -errno.
  int NextEntry(struct dirent* entry);
  // Hands an entry back to be returned first by the next NextEntry (it did not fit).
  void UnreadEntry(const struct dirent& entry);
  // Position of the listing: entries returned so far. SeekListing reads the listing again
  // from the start up to that position.
  int64_t TellListing();
  int SeekListing(int64_t position);

 private:
  int DescriptorLocked(sealfs_client** client);  // needs descriptor_mutex_
  void CloseListingLocked();                     // needs listing_mutex_

  SharedState* const state_;

  std::mutex descriptor_mutex_;
  int sealfs_fd_ = -1;       // guarded by descriptor_mutex_
  uint64_t generation_ = 0;  // guarded by descriptor_mutex_: the client sealfs_fd_ belongs to
  bool appends_ = false;     // guarded by descriptor_mutex_: sealfs_fd_ was opened O_APPEND

  // Reads and writes at the shared offset are one step each for the threads of this process.
  std::mutex offset_mutex_;

  std::mutex listing_mutex_;
  sealfs_dir* listing_ = nullptr;  // guarded by listing_mutex_
  uint64_t listing_generation_ = 0;
  int64_t listing_position_ = 0;
  bool has_unread_ = false;
  struct dirent unread_ {};
};

}  // namespace sealfs::intercept
