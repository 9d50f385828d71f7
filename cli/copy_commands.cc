#include "copy_commands.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "progress.h"
#include "remote.h"

namespace sealfs::cli {
namespace {

constexpr int kCreateFlags = O_WRONLY | O_CREAT | O_TRUNC;

// Reads from a local descriptor until buf is full or the input ends, so that each remote write
// is as large as the buffer even from a pipe. @returns 0 or an errno.
int ReadLocal(int fd, char* buf, size_t size, size_t* got) {
  *got = 0;
  while (*got < size) {
    const ssize_t n = ::read(fd, buf + *got, size - *got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) break;
    *got += static_cast<size_t>(n);
  }
  return 0;
}

// Writes all of buf to a local descriptor. @returns 0 or an errno.
int WriteLocal(int fd, const char* buf, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, buf, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    buf += n;
    size -= static_cast<size_t>(n);
  }
  return 0;
}

int ReadRemote(sealfs::File& file, char* buf, size_t size, size_t* got) {
  *got = 0;
  return ErrnoOf([&] {
    while (*got < size) {
      const size_t n = file.read(buf + *got, size - *got);
      if (n == 0) break;
      *got += n;
    }
  });
}

int WriteRemote(sealfs::File& file, const char* buf, size_t size) {
  return ErrnoOf([&] {
    for (size_t done = 0; done < size;) done += file.write(buf + done, size - done);
  });
}

// A local descriptor closed when it goes out of scope (standard streams are left open).
struct LocalFd {
  int fd = -1;
  explicit LocalFd(int fd) : fd(fd) {}
  ~LocalFd() {
    if (fd > STDERR_FILENO) ::close(fd);
  }
  LocalFd(const LocalFd&) = delete;
  LocalFd& operator=(const LocalFd&) = delete;
  // Closes now, to see the error a deferred write may report. @returns 0 or an errno.
  int Close() {
    const int closed = std::exchange(fd, -1);
    return closed > STDERR_FILENO && ::close(closed) != 0 ? errno : 0;
  }
};

// Copies between local paths and the cluster, file by file or tree by tree, reporting each
// failure to the session and going on with the rest, as cp does.
class Copier {
 public:
  Copier(Session& session, const CopyOptions& options)
      : session_(session), client_(session.client()), options_(options), buffer_(kCopyBufferSize) {}

  void Put(const std::string& local, const std::string& remote);
  void Get(const std::string& remote, const std::string& local);
  void Cat(const std::string& operand);

 private:
  // Where a copy stopped: the errno, and whether reading (else writing) failed.
  struct Failure {
    int error = 0;
    bool reading = false;
  };

  // Moves everything read gives to write, a buffer at a time.
  template <typename Read, typename Write>
  Failure Pump(Read read, Write write, Progress* progress) {
    int64_t done = 0;
    for (;;) {
      size_t got = 0;
      if (const int error = read(buffer_.data(), buffer_.size(), &got); error != 0) {
        return {error, true};
      }
      if (got == 0) return {};
      if (const int error = write(buffer_.data(), got); error != 0) return {error, false};
      done += static_cast<int64_t>(got);
      if (progress != nullptr) progress->Update(done);
    }
  }

  [[nodiscard]] bool ShowProgress(const std::string& destination) const {
    return options_.progress && destination != "-" && ProgressWanted();
  }

  void ReportCopyFailure(const Failure& failure, const std::string& source,
                         const std::string& destination) {
    session_.Fail(fmt::format("error {} {}", failure.reading ? "reading" : "writing",
                              Quote(failure.reading ? source : destination)),
                  failure.error);
  }

  void PutTree(const std::string& local, const std::string& remote, const struct stat& st);
  void PutFile(const std::string& local, const std::string& remote, const struct stat* st);
  void GetTree(const std::string& remote, const std::string& local, const struct stat& st);
  void GetFile(const std::string& remote, const std::string& local, mode_t mode);

  Session& session_;
  sealfs::Client& client_;
  const CopyOptions& options_;
  std::vector<char> buffer_;
};

void Copier::Put(const std::string& local, const std::string& remote) {
  if (local == "-") {
    PutFile(local, remote, nullptr);
    return;
  }
  // Without -r a symlink is copied as the file it points at, as cp does; with -r as a link.
  struct stat st {};
  const int rc = options_.recursive ? ::lstat(local.c_str(), &st) : ::stat(local.c_str(), &st);
  if (rc != 0) {
    session_.Fail(fmt::format("cannot stat {}", Quote(local)), errno);
  } else if (S_ISDIR(st.st_mode) && !options_.recursive) {
    session_.Fail(fmt::format("-r not specified; omitting directory {}", Quote(local)));
  } else {
    PutTree(local, remote, st);
  }
}

void Copier::PutTree(const std::string& local, const std::string& remote, const struct stat& st) {
  if (S_ISREG(st.st_mode)) {
    PutFile(local, remote, &st);
  } else if (S_ISLNK(st.st_mode)) {
    std::error_code error;
    const std::filesystem::path target = std::filesystem::read_symlink(local, error);
    if (error) {
      session_.Fail(fmt::format("cannot read symbolic link {}", Quote(local)), error.value());
      return;
    }
    struct stat existing {};
    if (ErrnoOf([&] { existing = client_.lstat(remote); }) == 0 && !S_ISDIR(existing.st_mode)) {
      ErrnoOf([&] { client_.unlink(remote); });  // replaced, as a file would be
    }
    if (const int e = ErrnoOf([&] { client_.symlink(target.string(), remote); }); e != 0) {
      session_.Fail(fmt::format("cannot create symbolic link {}", Quote(remote)), e);
    }
  } else if (S_ISDIR(st.st_mode)) {
    int error = ErrnoOf([&] { client_.mkdir(remote, st.st_mode & 07777U); });
    if (error == EEXIST) {
      struct stat existing {};
      error = ErrnoOf([&] { existing = client_.stat(remote); });
      if (error == 0 && !S_ISDIR(existing.st_mode)) error = ENOTDIR;
    }
    if (error != 0) {
      session_.Fail(fmt::format("cannot create directory {}", Quote(remote)), error);
      return;
    }
    std::vector<std::string> names;
    std::error_code list_error;
    for (std::filesystem::directory_iterator it(local, list_error), end; !list_error && it != end;
         it.increment(list_error)) {
      names.push_back(it->path().filename().string());
    }
    if (list_error) {
      session_.Fail(fmt::format("cannot read directory {}", Quote(local)), list_error.value());
      return;
    }
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
      const std::string child = JoinPath(local, name);
      struct stat child_st {};
      if (::lstat(child.c_str(), &child_st) != 0) {
        session_.Fail(fmt::format("cannot stat {}", Quote(child)), errno);
        continue;
      }
      PutTree(child, JoinPath(remote, name), child_st);
    }
  } else {
    session_.Fail(
        fmt::format("skipping {}: not a regular file, directory or symbolic link", Quote(local)));
  }
}

void Copier::PutFile(const std::string& local, const std::string& remote, const struct stat* st) {
  LocalFd in(local == "-" ? STDIN_FILENO : ::open(local.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.fd < 0) {
    session_.Fail(fmt::format("cannot open {} for reading", Quote(local)), errno);
    return;
  }
  const mode_t mode = st != nullptr ? st->st_mode & 0777U : 0666;
  sealfs::File out;
  if (const int e = ErrnoOf([&] { out = client_.open(remote, kCreateFlags, mode); }); e != 0) {
    session_.Fail(fmt::format("cannot create regular file {}", Quote(remote)), e);
    return;
  }
  Progress progress(ShowProgress(remote), remote, st != nullptr ? st->st_size : -1);
  Failure failure =
      Pump([&](char* buf, size_t size, size_t* got) { return ReadLocal(in.fd, buf, size, got); },
           [&](const char* buf, size_t size) { return WriteRemote(out, buf, size); }, &progress);
  if (failure.error == 0) failure.error = ErrnoOf([&] { out.close(); });
  progress.Finish();
  if (failure.error != 0) ReportCopyFailure(failure, local, remote);
}

void Copier::Get(const std::string& remote, const std::string& local) {
  struct stat st {};
  const int error =
      ErrnoOf([&] { st = options_.recursive ? client_.lstat(remote) : client_.stat(remote); });
  if (error != 0) {
    session_.Fail(fmt::format("cannot stat {}", Quote(remote)), error);
  } else if (S_ISDIR(st.st_mode) && !options_.recursive) {
    session_.Fail(fmt::format("-r not specified; omitting directory {}", Quote(remote)));
  } else if (local == "-" && !S_ISREG(st.st_mode)) {
    session_.Fail(
        fmt::format("cannot write {} to standard output: not a regular file", Quote(remote)));
  } else {
    GetTree(remote, local, st);
  }
}

void Copier::GetTree(const std::string& remote, const std::string& local, const struct stat& st) {
  if (S_ISREG(st.st_mode)) {
    GetFile(remote, local, st.st_mode & 0777U);
  } else if (S_ISLNK(st.st_mode)) {
    std::string target;
    if (const int e = ErrnoOf([&] { target = client_.readlink(remote); }); e != 0) {
      session_.Fail(fmt::format("cannot read symbolic link {}", Quote(remote)), e);
      return;
    }
    struct stat existing {};
    if (::lstat(local.c_str(), &existing) == 0 && !S_ISDIR(existing.st_mode)) {
      ::unlink(local.c_str());  // replaced, as a file would be
    }
    if (::symlink(target.c_str(), local.c_str()) != 0) {
      session_.Fail(fmt::format("cannot create symbolic link {}", Quote(local)), errno);
    }
  } else if (S_ISDIR(st.st_mode)) {
    struct stat existing {};
    if (::mkdir(local.c_str(), st.st_mode & 07777U) != 0 &&
        !(errno == EEXIST && ::stat(local.c_str(), &existing) == 0 && S_ISDIR(existing.st_mode))) {
      session_.Fail(fmt::format("cannot create directory {}", Quote(local)),
                    errno == EEXIST ? ENOTDIR : errno);
      return;
    }
    std::vector<std::string> names;
    if (const int e = ReadDirectoryNames(client_, remote, &names); e != 0) {
      session_.Fail(fmt::format("cannot read directory {}", Quote(remote)), e);
      return;
    }
    for (const auto& name : names) {
      const std::string child = JoinPath(remote, name);
      struct stat child_st {};
      if (const int e = ErrnoOf([&] { child_st = client_.lstat(child); }); e != 0) {
        session_.Fail(fmt::format("cannot stat {}", Quote(child)), e);
        continue;
      }
      GetTree(child, JoinPath(local, name), child_st);
    }
  } else {
    session_.Fail(
        fmt::format("skipping {}: not a regular file, directory or symbolic link", Quote(remote)));
  }
}

void Copier::GetFile(const std::string& remote, const std::string& local, mode_t mode) {
  sealfs::File in;
  if (const int e = ErrnoOf([&] { in = client_.open(remote, O_RDONLY); }); e != 0) {
    session_.Fail(fmt::format("cannot open {} for reading", Quote(remote)), e);
    return;
  }
  struct stat st {};
  ErrnoOf([&] { st = in.stat(); });  // only for the progress bar's total
  LocalFd out(local == "-" ? STDOUT_FILENO : ::open(local.c_str(), kCreateFlags | O_CLOEXEC, mode));
  if (out.fd < 0) {
    session_.Fail(fmt::format("cannot create regular file {}", Quote(local)), errno);
    return;
  }
  Progress progress(ShowProgress(local), remote, st.st_size);
  Failure failure =
      Pump([&](char* buf, size_t size, size_t* got) { return ReadRemote(in, buf, size, got); },
           [&](const char* buf, size_t size) { return WriteLocal(out.fd, buf, size); }, &progress);
  if (failure.error == 0) failure.error = out.Close();
  progress.Finish();
  if (failure.error != 0) ReportCopyFailure(failure, remote, local);
}

void Copier::Cat(const std::string& operand) {
  const std::string path = RemotePath(operand);
  sealfs::File in;
  if (const int e = ErrnoOf([&] { in = client_.open(path, O_RDONLY); }); e != 0) {
    session_.Fail(operand, e);
    return;
  }
  const Failure failure = Pump(
      [&](char* buf, size_t size, size_t* got) { return ReadRemote(in, buf, size, got); },
      [&](const char* buf, size_t size) { return WriteLocal(STDOUT_FILENO, buf, size); }, nullptr);
  if (failure.reading) {
    session_.Fail(operand, failure.error);
  } else if (failure.error != 0) {
    throw FatalError(kExitFailure, fmt::format("write error: {}", std::strerror(failure.error)));
  }
}

// Where each source goes: into dest when it is a directory (or with several sources), else
// dest itself.
std::vector<std::pair<std::string, std::string>> Destinations(const std::vector<std::string>& paths,
                                                              bool dest_is_directory) {
  const std::string& dest = paths.back();
  if (paths.size() > 2 && !dest_is_directory) {
    throw FatalError(kExitFailure, fmt::format("target {} is not a directory", Quote(dest)));
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  for (size_t i = 0; i + 1 < paths.size(); ++i) {
    pairs.emplace_back(paths[i], dest_is_directory ? JoinPath(dest, BaseName(paths[i])) : dest);
  }
  return pairs;
}

}  // namespace

int RunCat(Session& session, const CatOptions& options) {
  Copier copier(session, CopyOptions{});
  for (const auto& operand : options.paths) copier.Cat(operand);
  return session.status();
}

int RunPut(Session& session, const CopyOptions& options) {
  std::vector<std::string> paths = options.paths;
  paths.back() = RemotePath(paths.back());
  struct stat st {};
  const bool dest_is_directory =
      ErrnoOf([&] { st = session.client().stat(paths.back()); }) == 0 && S_ISDIR(st.st_mode);
  Copier copier(session, options);
  for (const auto& [local, remote] : Destinations(paths, dest_is_directory)) {
    if (local == "-" && dest_is_directory) {
      session.Fail(fmt::format("cannot write standard input to directory {}", Quote(paths.back())));
      continue;
    }
    copier.Put(local, remote);
  }
  return session.status();
}

int RunGet(Session& session, const CopyOptions& options) {
  std::vector<std::string> paths = options.paths;
  for (size_t i = 0; i + 1 < paths.size(); ++i) paths[i] = RemotePath(paths[i]);
  struct stat st {};
  const bool dest_is_directory =
      paths.back() != "-" && ::stat(paths.back().c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  Copier copier(session, options);
  for (const auto& [remote, local] : Destinations(paths, dest_is_directory)) {
    copier.Get(remote, local);
  }
  return session.status();
}

}  // namespace sealfs::cli
