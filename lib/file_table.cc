#include "file_table.h"

#include <fcntl.h>

namespace sealfs::client {

bool IsAccessMode(int flags) {
  const int access = flags & O_ACCMODE;
  return access == O_RDONLY || access == O_WRONLY || access == O_RDWR;
}

bool OpenFile::readable() const { return (flags & O_ACCMODE) != O_WRONLY; }
bool OpenFile::writable() const { return (flags & O_ACCMODE) != O_RDONLY; }

int FileTable::Add(std::shared_ptr<OpenFile> file) {
  std::lock_guard lock(mutex_);
  for (std::size_t fd = 0; fd < files_.size(); ++fd) {
    if (!files_[fd]) {
      files_[fd] = std::move(file);
      return static_cast<int>(fd);
    }
  }
  if (files_.size() >= max_open_) return -1;
  files_.push_back(std::move(file));
  return static_cast<int>(files_.size() - 1);
}

std::shared_ptr<OpenFile> FileTable::Get(int fd) const {
  std::lock_guard lock(mutex_);
  if (fd < 0 || static_cast<std::size_t>(fd) >= files_.size()) return nullptr;
  return files_[static_cast<std::size_t>(fd)];
}

std::shared_ptr<OpenFile> FileTable::Remove(int fd) {
  std::lock_guard lock(mutex_);
  if (fd < 0 || static_cast<std::size_t>(fd) >= files_.size()) return nullptr;
  auto file = std::move(files_[static_cast<std::size_t>(fd)]);
  while (!files_.empty() && !files_.back()) files_.pop_back();
  return file;
}

void FileTable::Clear() {
  std::lock_guard lock(mutex_);
  files_.clear();
}

}  // namespace sealfs::client
