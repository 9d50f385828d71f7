#include "endpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <utility>

#include "remote.h"

namespace sealfs::cli {
namespace {

constexpr int kCreateFlags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;

// A local descriptor; the standard streams are used but never closed.
class LocalStream final : public Stream {
 public:
  explicit LocalStream(int fd) : fd_(fd) {}
  ~LocalStream() override { CloseFd(); }
  LocalStream(const LocalStream&) = delete;
  LocalStream& operator=(const LocalStream&) = delete;

  int Read(char* buf, size_t size, size_t* got) override {
    *got = 0;
    while (*got < size) {
      const ssize_t n = ::read(fd_, buf + *got, size - *got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno;
      if (n == 0) break;
      *got += static_cast<size_t>(n);
    }
    return 0;
  }

  int Write(const char* buf, size_t size) override {
    while (size > 0) {
      const ssize_t n = ::write(fd_, buf, size);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno;
      buf += n;
      size -= static_cast<size_t>(n);
    }
    return 0;
  }

  int Close() override { return CloseFd(); }

 private:
  int CloseFd() {
    const int fd = std::exchange(fd_, -1);
    return fd > STDERR_FILENO && ::close(fd) != 0 ? errno : 0;
  }

  int fd_;
};

class LocalFileSystem final : public Endpoint {
 public:
  int Stat(const std::string& path, bool follow, struct stat* st) override {
    return (follow ? ::stat(path.c_str(), st) : ::lstat(path.c_str(), st)) == 0 ? 0 : errno;
  }

  int List(const std::string& path, std::vector<std::string>* names) override {
    names->clear();
    std::error_code error;
    for (std::filesystem::directory_iterator it(path, error), end; !error && it != end;
         it.increment(error)) {
      names->push_back(it->path().filename().string());
    }
    std::sort(names->begin(), names->end());
    return error.value();
  }

  int MakeDirectory(const std::string& path, mode_t mode) override {
    return ::mkdir(path.c_str(), mode) == 0 ? 0 : errno;
  }

  int ReadLink(const std::string& path, std::string* target) override {
    std::error_code error;
    *target = std::filesystem::read_symlink(path, error).string();
    return error.value();
  }

  int Symlink(const std::string& target, const std::string& path) override {
    return ::symlink(target.c_str(), path.c_str()) == 0 ? 0 : errno;
  }

  int Unlink(const std::string& path) override { return ::unlink(path.c_str()) == 0 ? 0 : errno; }

  int Open(const std::string& path, bool for_writing, mode_t mode,
           std::unique_ptr<Stream>* stream) override {
    int fd = for_writing ? STDOUT_FILENO : STDIN_FILENO;
    if (path != "-") {
      fd = for_writing ? ::open(path.c_str(), kCreateFlags, mode)
                       : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return errno;
    }
    *stream = std::make_unique<LocalStream>(fd);
    return 0;
  }
};

class ClusterStream final : public Stream {
 public:
  explicit ClusterStream(sealfs::File file) : file_(std::move(file)) {}

  int Read(char* buf, size_t size, size_t* got) override {
    *got = 0;
    return ErrnoOf([&] {
      while (*got < size) {
        const size_t n = file_.read(buf + *got, size - *got);
        if (n == 0) break;
        *got += n;
      }
    });
  }

  int Write(const char* buf, size_t size) override {
    return ErrnoOf([&] {
      for (size_t done = 0; done < size;) done += file_.write(buf + done, size - done);
    });
  }

  int Close() override {
    return ErrnoOf([&] { file_.close(); });
  }

 private:
  sealfs::File file_;
};

class ClusterFileSystem final : public Endpoint {
 public:
  explicit ClusterFileSystem(sealfs::Client& client) : client_(client) {}

  int Stat(const std::string& path, bool follow, struct stat* st) override {
    return ErrnoOf([&] { *st = follow ? client_.stat(path) : client_.lstat(path); });
  }

  int List(const std::string& path, std::vector<std::string>* names) override {
    return ReadDirectoryNames(client_, path, names);
  }

  int MakeDirectory(const std::string& path, mode_t mode) override {
    return ErrnoOf([&] { client_.mkdir(path, mode); });
  }

  int ReadLink(const std::string& path, std::string* target) override {
    return ErrnoOf([&] { *target = client_.readlink(path); });
  }

  int Symlink(const std::string& target, const std::string& path) override {
    return ErrnoOf([&] { client_.symlink(target, path); });
  }

  int Unlink(const std::string& path) override {
    return ErrnoOf([&] { client_.unlink(path); });
  }

  int Open(const std::string& path, bool for_writing, mode_t mode,
           std::unique_ptr<Stream>* stream) override {
    return ErrnoOf([&] {
      sealfs::File file =
          client_.open(path, for_writing ? O_WRONLY | O_CREAT | O_TRUNC : O_RDONLY, mode);
      *stream = std::make_unique<ClusterStream>(std::move(file));
    });
  }

 private:
  sealfs::Client& client_;
};

}  // namespace

std::unique_ptr<Endpoint> LocalEndpoint() { return std::make_unique<LocalFileSystem>(); }

std::unique_ptr<Endpoint> ClusterEndpoint(sealfs::Client& client) {
  return std::make_unique<ClusterFileSystem>(client);
}

}  // namespace sealfs::cli
