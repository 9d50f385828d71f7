#include "file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sealfs/sealfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace sealfs::fsx {

namespace {

bool IsDotOrDotDot(const char* name) {
  return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

class SealfsFileSystem : public FileSystem {
 public:
  explicit SealfsFileSystem(sealfs_client* client) : c_(client) {}
  ~SealfsFileSystem() override { sealfs_disconnect(c_); }
  SealfsFileSystem(const SealfsFileSystem&) = delete;
  SealfsFileSystem& operator=(const SealfsFileSystem&) = delete;

  int Open(const std::string& path, int flags, mode_t mode) override {
    return sealfs_open(c_, path.c_str(), flags, mode);
  }
  int Close(int fd) override { return sealfs_close(c_, fd); }
  ssize_t Read(int fd, void* buf, size_t count) override { return sealfs_read(c_, fd, buf, count); }
  ssize_t Write(int fd, const void* buf, size_t count) override {
    return sealfs_write(c_, fd, buf, count);
  }
  ssize_t Pread(int fd, void* buf, size_t count, off_t offset) override {
    return sealfs_pread(c_, fd, buf, count, offset);
  }
  ssize_t Pwrite(int fd, const void* buf, size_t count, off_t offset) override {
    return sealfs_pwrite(c_, fd, buf, count, offset);
  }
  off_t Lseek(int fd, off_t offset, int whence) override {
    return sealfs_lseek(c_, fd, offset, whence);
  }
  int Fsync(int fd) override { return sealfs_fsync(c_, fd); }
  int Ftruncate(int fd, off_t length) override { return sealfs_ftruncate(c_, fd, length); }
  int Fstat(int fd, struct stat* st) override { return sealfs_fstat(c_, fd, st); }
  int Lstat(const std::string& path, struct stat* st) override {
    return sealfs_lstat(c_, path.c_str(), st);
  }
  int Truncate(const std::string& path, off_t length) override {
    return sealfs_truncate(c_, path.c_str(), length);
  }
  int Mkdir(const std::string& path, mode_t mode) override {
    return sealfs_mkdir(c_, path.c_str(), mode);
  }
  int Rmdir(const std::string& path) override { return sealfs_rmdir(c_, path.c_str()); }
  int Unlink(const std::string& path) override { return sealfs_unlink(c_, path.c_str()); }
  int Link(const std::string& from, const std::string& to) override {
    return sealfs_link(c_, from.c_str(), to.c_str());
  }
  int Rename(const std::string& from, const std::string& to) override {
    return sealfs_rename(c_, from.c_str(), to.c_str());
  }
  int List(const std::string& path, std::vector<std::string>* names) override {
    sealfs_dir* dir = nullptr;
    int rc = sealfs_opendir(c_, path.c_str(), &dir);
    if (rc < 0) return rc;
    struct dirent entry {};
    while ((rc = sealfs_readdir(c_, dir, &entry)) > 0) {
      if (!IsDotOrDotDot(entry.d_name)) names->emplace_back(entry.d_name);
    }
    sealfs_closedir(c_, dir);
    return rc;
  }

 private:
  sealfs_client* c_;
};

// A POSIX result as the SealFS API gives it: the value, or a negated errno.
template <typename T>
T Result(T rc) {
  return rc < 0 ? static_cast<T>(-errno) : rc;
}

class PosixFileSystem : public FileSystem {
 public:
  int Open(const std::string& path, int flags, mode_t mode) override {
    return Result(::open(path.c_str(), flags | O_CLOEXEC, mode));
  }
  int Close(int fd) override { return Result(::close(fd)); }
  ssize_t Read(int fd, void* buf, size_t count) override { return Result(::read(fd, buf, count)); }
  ssize_t Write(int fd, const void* buf, size_t count) override {
    return Result(::write(fd, buf, count));
  }
  ssize_t Pread(int fd, void* buf, size_t count, off_t offset) override {
    return Result(::pread(fd, buf, count, offset));
  }
  ssize_t Pwrite(int fd, const void* buf, size_t count, off_t offset) override {
    return Result(::pwrite(fd, buf, count, offset));
  }
  off_t Lseek(int fd, off_t offset, int whence) override {
    return Result(::lseek(fd, offset, whence));
  }
  int Fsync(int fd) override { return Result(::fsync(fd)); }
  int Ftruncate(int fd, off_t length) override { return Result(::ftruncate(fd, length)); }
  int Fstat(int fd, struct stat* st) override { return Result(::fstat(fd, st)); }
  int Lstat(const std::string& path, struct stat* st) override {
    return Result(::lstat(path.c_str(), st));
  }
  int Truncate(const std::string& path, off_t length) override {
    return Result(::truncate(path.c_str(), length));
  }
  int Mkdir(const std::string& path, mode_t mode) override {
    return Result(::mkdir(path.c_str(), mode));
  }
  int Rmdir(const std::string& path) override { return Result(::rmdir(path.c_str())); }
  int Unlink(const std::string& path) override { return Result(::unlink(path.c_str())); }
  int Link(const std::string& from, const std::string& to) override {
    return Result(::link(from.c_str(), to.c_str()));
  }
  int Rename(const std::string& from, const std::string& to) override {
    return Result(std::rename(from.c_str(), to.c_str()));
  }
  int List(const std::string& path, std::vector<std::string>* names) override {
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) return -errno;
    errno = 0;
    while (const struct dirent* entry = ::readdir(dir)) {
      if (!IsDotOrDotDot(entry->d_name)) names->emplace_back(entry->d_name);
    }
    const int error = errno;
    ::closedir(dir);
    return -error;
  }
};

}  // namespace

std::unique_ptr<FileSystem> ConnectSealfs(const std::string& manager_address, uint32_t chunk_size,
                                          int* error) {
  sealfs_options options;
  sealfs_options_init(&options);
  options.chunk_size = chunk_size;
  sealfs_client* client = nullptr;
  *error = sealfs_connect(manager_address.c_str(), &options, &client);
  if (*error != 0) return nullptr;
  return std::make_unique<SealfsFileSystem>(client);
}

std::unique_ptr<FileSystem> LocalFileSystem() { return std::make_unique<PosixFileSystem>(); }

}  // namespace sealfs::fsx
