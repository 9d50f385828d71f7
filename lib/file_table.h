// FileTable: the client's open file descriptors.
//
// A descriptor is a small integer, the lowest one free, mapped to an OpenFile shared by every
// thread that uses it. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace sealfs::client {

struct OpenFile {
  uint64_t ino = 0;
  int flags = 0;            // the open flags
  uint32_t chunk_size = 0;  // of the inode, fixed at its creation
  uint32_t type = 0;        // S_IFREG, S_IFDIR, ... of the inode
  // Relatime, decided from the times read at open: the first read moves atime.
  mutable std::atomic<bool> move_atime_on_read{false};
  [[nodiscard]] bool readable() const;
  [[nodiscard]] bool writable() const;

  // Serializes read, write and lseek at the shared offset, as POSIX does per open file.
  std::mutex offset_mutex;
  uint64_t offset = 0;  // GUARDED_BY(offset_mutex)
};

// O_RDONLY, O_WRONLY or O_RDWR in `flags`.
bool IsAccessMode(int flags);

class FileTable {
 public:
  // Holds at most max_open descriptors at once.
  explicit FileTable(std::size_t max_open) : max_open_(max_open) {}

  // Returns the new descriptor, or -1 when max_open are open.
  int Add(std::shared_ptr<OpenFile> file);
  // The file behind fd, or nullptr when fd is not open.
  std::shared_ptr<OpenFile> Get(int fd) const;
  // Removes fd and returns its file, or nullptr when fd is not open.
  std::shared_ptr<OpenFile> Remove(int fd);
  // Removes every descriptor.
  void Clear();

 private:
  const std::size_t max_open_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<OpenFile>> files_;  // GUARDED_BY(mutex_), index = descriptor
};

}  // namespace sealfs::client
