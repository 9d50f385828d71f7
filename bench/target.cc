#include "bench/target.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace sealfs::bench {
namespace {

// The entry's type, asked with lstat where the file system does not say it in the entry.
bool IsDirectory(Target& target, const std::string& dir, const struct dirent& ent) {
  if (ent.d_type != DT_UNKNOWN) return ent.d_type == DT_DIR;
  struct stat st {};
  return target.Stat(dir + "/" + ent.d_name, &st) == 0 && S_ISDIR(st.st_mode);
}

class ClusterTarget : public Target {
 public:
  ClusterTarget(std::string manager, sealfs_client* client)
      : manager_(std::move(manager)), client_(client) {}
  ~ClusterTarget() override { sealfs_disconnect(client_); }
  ClusterTarget(const ClusterTarget&) = delete;
  ClusterTarget& operator=(const ClusterTarget&) = delete;

  [[nodiscard]] std::string Describe() const override {
    return "SealFS C API, manager " + manager_;
  }
  int Open(const std::string& path, int flags, mode_t mode) override {
    return sealfs_open(client_, Abs(path).c_str(), flags, mode);
  }
  int Close(int fd) override { return sealfs_close(client_, fd); }
  ssize_t Pwrite(int fd, const void* buf, size_t count, off_t offset) override {
    return sealfs_pwrite(client_, fd, buf, count, offset);
  }
  ssize_t Pread(int fd, void* buf, size_t count, off_t offset) override {
    return sealfs_pread(client_, fd, buf, count, offset);
  }
  int Fsync(int fd) override { return sealfs_fsync(client_, fd); }
  int Mkdir(const std::string& path) override {
    return sealfs_mkdir(client_, Abs(path).c_str(), 0755);
  }
  int Rmdir(const std::string& path) override { return sealfs_rmdir(client_, Abs(path).c_str()); }
  int Unlink(const std::string& path) override { return sealfs_unlink(client_, Abs(path).c_str()); }
  int Stat(const std::string& path, struct stat* st) override {
    return sealfs_stat(client_, Abs(path).c_str(), st);
  }
  int List(const std::string& path,
           const std::function<void(const std::string&, bool)>& entry) override {
    sealfs_dir* dir = nullptr;
    int rc = sealfs_opendir(client_, Abs(path).c_str(), &dir);
    if (rc < 0) return rc;
    struct dirent ent {};
    while ((rc = sealfs_readdir(client_, dir, &ent)) > 0) {
      if (std::strcmp(ent.d_name, ".") == 0 || std::strcmp(ent.d_name, "..") == 0) continue;
      entry(ent.d_name, IsDirectory(*this, path, ent));
    }
    sealfs_closedir(client_, dir);
    return rc;
  }

 private:
  static std::string Abs(const std::string& path) { return "/" + path; }
  std::string manager_;
  sealfs_client* client_;
};

int Result(int rc) { return rc < 0 ? -errno : rc; }
ssize_t Result(ssize_t rc) { return rc < 0 ? -errno : rc; }

class DirectoryTarget : public Target {
 public:
  explicit DirectoryTarget(std::string root) : root_(std::move(root)) {}
  [[nodiscard]] std::string Describe() const override { return "directory " + root_; }
  int Open(const std::string& path, int flags, mode_t mode) override {
    return Result(::open(Abs(path).c_str(), flags | O_CLOEXEC, mode));
  }
  int Close(int fd) override { return Result(::close(fd)); }
  ssize_t Pwrite(int fd, const void* buf, size_t count, off_t offset) override {
    return Result(::pwrite(fd, buf, count, offset));
  }
  ssize_t Pread(int fd, void* buf, size_t count, off_t offset) override {
    return Result(::pread(fd, buf, count, offset));
  }
  int Fsync(int fd) override { return Result(::fsync(fd)); }
  int Mkdir(const std::string& path) override { return Result(::mkdir(Abs(path).c_str(), 0755)); }
  int Rmdir(const std::string& path) override { return Result(::rmdir(Abs(path).c_str())); }
  int Unlink(const std::string& path) override { return Result(::unlink(Abs(path).c_str())); }
  int Stat(const std::string& path, struct stat* st) override {
    return Result(::stat(Abs(path).c_str(), st));
  }
  int List(const std::string& path,
           const std::function<void(const std::string&, bool)>& entry) override {
    DIR* dir = ::opendir(Abs(path).c_str());
    if (dir == nullptr) return -errno;
    errno = 0;
    while (struct dirent* ent = ::readdir(dir)) {
      if (std::strcmp(ent->d_name, ".") != 0 && std::strcmp(ent->d_name, "..") != 0) {
        entry(ent->d_name, IsDirectory(*this, path, *ent));
      }
      errno = 0;
    }
    const int rc = -errno;
    ::closedir(dir);
    return rc;
  }

 private:
  [[nodiscard]] std::string Abs(const std::string& path) const { return root_ + "/" + path; }
  std::string root_;
};

}  // namespace

std::unique_ptr<Target> ConnectToCluster(const std::string& manager_address, int* error) {
  sealfs_client* client = nullptr;
  *error = sealfs_connect(manager_address.c_str(), nullptr, &client);
  if (*error < 0) return nullptr;
  return std::make_unique<ClusterTarget>(manager_address, client);
}

std::unique_ptr<Target> OpenDirectory(const std::string& root) {
  return std::make_unique<DirectoryTarget>(root);
}

}  // namespace sealfs::bench
