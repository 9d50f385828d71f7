// The file system sealfs_fsx drives: SealFS through its public C API, or a local directory
// through the same POSIX calls (--local), which checks the model itself against Linux.
//
// Every call returns >= 0 or a negated errno, as the SealFS C API does. Paths are absolute in
// the file system checked.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sealfs::fsx {

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  virtual int Open(const std::string& path, int flags, mode_t mode) = 0;
  virtual int Close(int fd) = 0;
  virtual ssize_t Read(int fd, void* buf, size_t count) = 0;
  virtual ssize_t Write(int fd, const void* buf, size_t count) = 0;
  virtual ssize_t Pread(int fd, void* buf, size_t count, off_t offset) = 0;
  virtual ssize_t Pwrite(int fd, const void* buf, size_t count, off_t offset) = 0;
  virtual off_t Lseek(int fd, off_t offset, int whence) = 0;
  virtual int Fsync(int fd) = 0;
  virtual int Ftruncate(int fd, off_t length) = 0;
  virtual int Fstat(int fd, struct stat* st) = 0;
  virtual int Lstat(const std::string& path, struct stat* st) = 0;
  virtual int Truncate(const std::string& path, off_t length) = 0;
  virtual int Mkdir(const std::string& path, mode_t mode) = 0;
  virtual int Rmdir(const std::string& path) = 0;
  virtual int Unlink(const std::string& path) = 0;
  virtual int Link(const std::string& from, const std::string& to) = 0;
  virtual int Rename(const std::string& from, const std::string& to) = 0;
  // The names in a directory, "." and ".." left out.
  virtual int List(const std::string& path, std::vector<std::string>* names) = 0;
};

// Connects to the cluster whose manager serves at manager_address; new files are cut in chunks
// of chunk_size bytes (0: the cluster's default). nullptr and *error (a negated errno) when it
// cannot.
std::unique_ptr<FileSystem> ConnectSealfs(const std::string& manager_address, uint32_t chunk_size,
                                          int* error);
std::unique_ptr<FileSystem> LocalFileSystem();

}  // namespace sealfs::fsx
