#include "session.h"

#include <pthread.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

#include "real_calls.h"

namespace sealfs::intercept {
namespace {

// A failed connection is tried again at most this often, so that a program walking a tree
// with the manager down does not wait a connect timeout per call.
constexpr std::chrono::seconds kReconnectInterval{1};
// Where the working-directory placeholder goes, away from the low numbers programs expect.
constexpr int kWorkingDirectoryMinFd = 100;

pid_t CurrentPid() { return static_cast<pid_t>(::syscall(SYS_getpid)); }

// The system's idea of an fd's path, for relative paths against a system directory.
std::string SystemPathOf(int dirfd) {
  char buffer[4096];
  std::string link =
      dirfd == AT_FDCWD ? "/proc/self/cwd" : "/proc/self/fd/" + std::to_string(dirfd);
  ssize_t length = SEALFS_REAL(readlink)(link.c_str(), buffer, sizeof(buffer));
  if (length <= 0 || buffer[0] != '/') return {};
  return {buffer, static_cast<std::size_t>(length)};
}

// The umask without changing it (umask(2) can only be read by setting it): Linux shows it in
// /proc/self/status since 4.7.
mode_t ReadUmask() {
  int fd = SEALFS_REAL(open)("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 022;
  char buffer[4096];
  ssize_t length = SEALFS_REAL(read)(fd, buffer, sizeof(buffer) - 1);
  SEALFS_REAL(close)(fd);
  buffer[length > 0 ? length : 0] = '\0';
  const char* field = std::strstr(buffer, "\nUmask:");
  return field != nullptr ? static_cast<mode_t>(std::strtoul(field + 7, nullptr, 8)) : 022;
}

// One line to standard error, straight to the descriptor (the program may be inside stdio).
void Warn(const std::string& message) {
  std::string line = "sealfs-intercept: " + message + "\n";
  (void)!SEALFS_REAL(write)(STDERR_FILENO, line.data(), line.size());
}

}  // namespace

Session& Session::Instance() {
  static auto* const session = new Session();  // never destroyed: see the class comment
  return *session;
}

Session::Session() {
  const char* prefix = std::getenv("SEALFS_PREFIX");
  const char* manager = std::getenv("SEALFS_MANAGER");
  if (manager != nullptr) manager_address_ = manager;
  if (prefix != nullptr && prefix[0] == '/' && NormalizePath("/", prefix) != "/") {
    translator_.emplace(prefix);
  } else if (prefix != nullptr && prefix[0] != '\0') {
    Warn(std::string("SEALFS_PREFIX must be an absolute path other than /, not '") + prefix +
         "'; nothing is intercepted");
  }
  owner_pid_.store(CurrentPid());
}

bool Session::OwnsState() const { return CurrentPid() == owner_pid_.load(); }

Resolved Session::Resolve(int dirfd, const char* path) {
  Resolved resolved;
  resolved.original = path;
  resolved.original_dirfd = dirfd;
  if (!enabled() || path == nullptr || path[0] == '\0') return resolved;
  std::string_view view(path);
  std::string base;
  if (view.front() == '/') {
    if (!translator_->MayName(view)) return resolved;
    base = "/";
  } else if (dirfd == AT_FDCWD) {
    std::optional<std::string> cwd = WorkingDirectory();
    if (cwd) {
      base = translator_->ToVisible(*cwd);
    } else {
      if (!translator_->MayName(view)) return resolved;
      base = SystemPathOf(AT_FDCWD);
    }
  } else if (std::shared_ptr<OpenFile> directory = files_.Get(dirfd)) {
    base = translator_->ToVisible(directory->path());
  } else {
    if (!translator_->MayName(view)) return resolved;
    base = SystemPathOf(dirfd);
  }
  if (base.empty()) return resolved;
  std::string normalized = NormalizePath(base, view);
  if (std::optional<std::string> sealfs_path = translator_->ToSealfs(normalized)) {
    resolved.where = Resolved::Where::kSealfs;
    resolved.path = std::move(*sealfs_path);
    if (resolved.path.size() >= SharedState::kMaxPath) {
      resolved.where = Resolved::Where::kError;
      resolved.error = ENAMETOOLONG;
    }
    return resolved;
  }
  // Outside the prefix. The caller's path still means this unless it was relative to a SealFS
  // directory or went through the prefix ("/sealfs/.."), which the system does not know.
  bool relative_to_sealfs =
      view.front() != '/' &&
      (dirfd == AT_FDCWD ? WorkingDirectory().has_value() : files_.Get(dirfd) != nullptr);
  if (relative_to_sealfs || translator_->WalksThrough(base, view)) {
    resolved.rewritten = true;
    resolved.path = std::move(normalized);
  }
  return resolved;
}

int Session::Connect(sealfs_client** client, uint64_t* generation) {
  std::lock_guard lock(client_mutex_);
  if (client_ == nullptr) {
    if (finished_) return -EIO;
    auto now = std::chrono::steady_clock::now();
    if (last_error_ != 0 && now - last_failure_ < kReconnectInterval) return last_error_;
    int result = -EHOSTUNREACH;
    if (manager_address_.empty()) {
      if (!warned_) Warn("SEALFS_MANAGER is not set; SealFS paths fail with EHOSTUNREACH");
    } else {
      sealfs_options options;
      sealfs_options_init(&options);
      options.umask = 0;  // the process's umask is applied here, as it changes
      result = sealfs_connect(manager_address_.c_str(), &options, &client_);
      if (result < 0 && !warned_) {
        Warn("cannot reach the SealFS manager at " + manager_address_ + ": " +
             std::strerror(-result));
      }
    }
    if (result < 0) {
      client_ = nullptr;
      warned_ = true;
      last_error_ = result;
      last_failure_ = now;
      return result;
    }
    last_error_ = 0;
  }
  *client = client_;
  if (generation != nullptr) *generation = generation_.load();
  return 0;
}

std::optional<std::string> Session::WorkingDirectory() const {
  std::lock_guard lock(cwd_mutex_);
  return cwd_;
}

int Session::SetWorkingDirectory(std::optional<std::string> sealfs_path) {
  std::shared_ptr<OpenFile> marker;
  int marker_fd = -1;
  if (sealfs_path) {
    Placeholder placeholder;
    int result = CreatePlaceholder(PlaceholderKind::kWorkingDirectory, *sealfs_path, O_RDONLY,
                                   O_RDONLY, false, kWorkingDirectoryMinFd, &placeholder);
    if (result < 0) return result;
    placeholder.state->file_type.store(S_IFDIR);
    marker = std::make_shared<OpenFile>(placeholder.state, -1, 0);
    marker_fd = placeholder.fd;
    files_.Set(marker_fd, marker);
  }
  std::shared_ptr<OpenFile> old_marker;
  int old_marker_fd = -1;
  {
    std::lock_guard lock(cwd_mutex_);
    cwd_ = std::move(sealfs_path);
    old_marker = std::exchange(cwd_marker_, marker);
    old_marker_fd = std::exchange(cwd_marker_fd_, marker_fd);
  }
  // The old marker is closed only if the program has not closed or reused its number.
  if (old_marker && files_.Get(old_marker_fd) == old_marker) {
    files_.Remove(old_marker_fd);
    SEALFS_REAL(close)(old_marker_fd);
  }
  return 0;
}

void Session::AdoptInheritedPlaceholders() {
  // Descriptors dup'ed from one open share one placeholder inode, hence one OpenFile.
  std::map<ino_t, std::shared_ptr<OpenFile>> by_inode;
  for (int fd : FindInheritedPlaceholders()) {
    struct stat st {};
    if (SEALFS_REAL(fstat)(fd, &st) != 0) continue;
    std::shared_ptr<OpenFile>& file = by_inode[st.st_ino];
    if (!file) {
      SharedState* state = nullptr;
      if (MapPlaceholder(fd, &state) < 0) continue;
      file = std::make_shared<OpenFile>(state, -1, 0);
    }
    files_.Set(fd, file);
    if (file->kind() == PlaceholderKind::kWorkingDirectory) {
      std::lock_guard lock(cwd_mutex_);
      cwd_ = file->path();
      cwd_marker_ = file;
      cwd_marker_fd_ = fd;
    }
  }
}

void Session::Start() {
  if (!enabled()) return;
  umask_.store(ReadUmask());
  pthread_atfork([] { Instance().BeforeFork(); }, [] { Instance().AfterForkInParent(); },
                 [] { Instance().AfterForkInChild(); });
  AdoptInheritedPlaceholders();
}

void Session::Finish() {
  if (!enabled()) return;
  // Streams over SealFS (fopencookie) are flushed now, while the client still exists: the C
  // library flushes the rest only after every library's destructor has run.
  std::fflush(nullptr);
  sealfs_client* client = nullptr;
  {
    std::lock_guard lock(client_mutex_);
    finished_ = true;
    if (OwnsState()) client = std::exchange(client_, nullptr);
  }
  sealfs_disconnect(client);
}

void Session::BeforeFork() {
  if (!enabled()) return;
  client_mutex_.lock();
  cwd_mutex_.lock();
  files_.LockForFork();
}

void Session::AfterForkInParent() {
  if (!enabled()) return;
  files_.UnlockAfterForkInParent();
  cwd_mutex_.unlock();
  client_mutex_.unlock();
}

void Session::AfterForkInChild() {
  if (!enabled()) return;
  // The parent's client lives on in the parent. Its threads do not exist here and its locks
  // may be held, so the child never touches it (and leaks its memory) and connects anew.
  client_ = nullptr;
  last_error_ = 0;
  generation_.fetch_add(1);
  owner_pid_.store(CurrentPid());
  files_.ResetAfterForkInChild();
  cwd_mutex_.unlock();
  client_mutex_.unlock();
}

}  // namespace sealfs::intercept
