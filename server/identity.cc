#include "identity.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <random>

namespace sealfs {

namespace {

constexpr const char* kIdFile = "server_id";

Status ErrnoStatus(const std::string& what) {
  int error_number = errno;
  return Status::FromErrno(error_number, what);
}

Status ReadId(const std::string& path, uint64_t* id) {
  std::ifstream in(path);
  if (!in) return Status::IoError("cannot read " + path);
  std::string text;
  in >> text;
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, error] = std::from_chars(text.data(), end, value, 16);
  if (text.empty() || error != std::errc() || ptr != end || value == 0) {
    return Status::IoError(path + " does not hold a server id");
  }
  *id = value;
  return Status::Ok();
}

Status WriteFully(int fd, const std::string& text, const std::string& path) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("write " + path);
    done += static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

Status SyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open " + path);
  Status status = ::fsync(fd) == 0 ? Status::Ok() : ErrnoStatus("fsync " + path);
  ::close(fd);
  return status;
}

Status WriteId(const std::string& data_dir, uint64_t id) {
  std::string path = data_dir + "/" + kIdFile;
  std::string temp = path + ".tmp";
  char text[32];
  std::snprintf(text, sizeof(text), "%016llx\n", static_cast<unsigned long long>(id));
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("create " + temp);
  Status status = WriteFully(fd, text, temp);
  if (status.ok() && ::fsync(fd) != 0) status = ErrnoStatus("fsync " + temp);
  ::close(fd);
  if (status.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    status = ErrnoStatus("rename " + temp);
  }
  if (status.ok()) status = SyncPath(data_dir, O_RDONLY | O_DIRECTORY);
  if (!status.ok()) ::unlink(temp.c_str());
  return status;
}

}  // namespace

uint64_t DrawRandomId() {
  std::random_device device;
  uint64_t id = 0;
  while (id == 0) id = (static_cast<uint64_t>(device()) << 32) | device();
  return id;
}

Status LoadOrCreateServerId(const std::string& data_dir, uint64_t* id) {
  std::string path = data_dir + "/" + kIdFile;
  if (::access(path.c_str(), F_OK) == 0) return ReadId(path, id);
  if (errno != ENOENT) return ErrnoStatus("access " + path);
  uint64_t drawn = DrawRandomId();
  Status status = WriteId(data_dir, drawn);
  if (!status.ok()) return status;
  *id = drawn;
  return Status::Ok();
}

}  // namespace sealfs
