// SealFS client library: the C++ face.
//
// A header-only layer of RAII types over the C API of <sealfs/sealfs.h>, which stays the ABI:
// this header adds no behaviour of its own. Every failure of a C call is thrown as a
// std::system_error whose code() is the errno in std::generic_category() and whose what()
// names the C call and the path, e.g. "sealfs_open /a/b: No such file or directory".
//
// Thread safety follows the C API: one Client may be used from many threads at once, and so may
// a File; a Directory must not be used by two threads at once. A File and a Directory refer to
// their Client, which must outlive them.
#ifndef SEALFS_SEALFS_HPP_
#define SEALFS_SEALFS_HPP_

#include <sys/types.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "sealfs.h"

/// The SealFS client library.
namespace sealfs {

/// Details of the implementation; not part of the interface.
namespace detail {

/// Throws std::system_error when rc is a negated errno; returns rc otherwise.
/// @param rc  the return value of a C call.
/// @param call  the name of the C call, e.g. "sealfs_open".
/// @param what  the path (or other argument) the call acted on.
template <typename T>
T Check(T rc, const char* call, std::string_view what) {
  if (rc < 0) {
    std::string message(call);
    if (!what.empty()) {
      message += ' ';
      message += what;
    }
    throw std::system_error(static_cast<int>(-rc), std::generic_category(), message);
  }
  return rc;
}

}  // namespace detail

/// @returns the version of the loaded library as "MAJOR.MINOR.PATCH".
inline std::string version() { return sealfs_version(nullptr, nullptr, nullptr); }

/// @returns sealfs_options filled with the defaults, to be changed before Client::connect().
inline sealfs_options default_options() {
  sealfs_options options;
  sealfs_options_init(&options);
  return options;
}

/// An open file: a descriptor of a Client, closed when the File is destroyed. Move-only.
class File {
 public:
  /// An empty File, which holds no descriptor.
  File() = default;
  /// Takes ownership of a descriptor.
  /// @param client  the client that opened fd; it must outlive the File.
  /// @param fd  a descriptor returned by sealfs_open().
  /// @param path  the path it was opened with, used in error messages.
  File(sealfs_client* client, int fd, std::string path)
      : client_(client), fd_(fd), path_(std::move(path)) {}
  /// Closes the descriptor, ignoring errors; call close() to see them.
  ~File() { reset(); }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  /// Takes the descriptor of other, which is left empty.
  /// @param other  the File to move from.
  File(File&& other) noexcept
      : client_(other.client_), fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}
  /// Closes this File's descriptor, then takes the one of other.
  /// @param other  the File to move from.
  /// @returns *this.
  File& operator=(File&& other) noexcept {
    if (this != &other) {
      reset();
      client_ = other.client_;
      fd_ = std::exchange(other.fd_, -1);
      path_ = std::move(other.path_);
    }
    return *this;
  }

  /// @returns true while the File holds a descriptor.
  [[nodiscard]] bool is_open() const { return fd_ >= 0; }
  /// @returns the descriptor, for the C API; -1 when empty.
  [[nodiscard]] int fd() const { return fd_; }
  /// @returns the path the file was opened with.
  [[nodiscard]] const std::string& path() const { return path_; }

  /// Reads up to count bytes at the file offset (sealfs_read).
  /// @param buf  receives the bytes.
  /// @param count  the most bytes to read.
  /// @returns the bytes read, 0 at end of file.
  std::size_t read(void* buf, std::size_t count) {
    return static_cast<std::size_t>(
        detail::Check(sealfs_read(client_, fd_, buf, count), "sealfs_read", path_));
  }
  /// Writes count bytes at the file offset (sealfs_write).
  /// @param buf  the bytes to write.
  /// @param count  how many bytes.
  /// @returns the bytes written.
  std::size_t write(const void* buf, std::size_t count) {
    return static_cast<std::size_t>(
        detail::Check(sealfs_write(client_, fd_, buf, count), "sealfs_write", path_));
  }
  /// Writes all of data at the file offset (sealfs_write).
  /// @param data  the bytes to write.
  /// @returns the bytes written.
  std::size_t write(std::string_view data) { return write(data.data(), data.size()); }
  /// Reads up to count bytes at offset without moving the file offset (sealfs_pread).
  /// @param buf  receives the bytes.
  /// @param count  the most bytes to read.
  /// @param offset  where to read from.
  /// @returns the bytes read, 0 at or beyond end of file.
  std::size_t pread(void* buf, std::size_t count, off_t offset) {
    return static_cast<std::size_t>(
        detail::Check(sealfs_pread(client_, fd_, buf, count, offset), "sealfs_pread", path_));
  }
  /// Writes count bytes at offset without moving the file offset (sealfs_pwrite).
  /// @param buf  the bytes to write.
  /// @param count  how many bytes.
  /// @param offset  where to write.
  /// @returns the bytes written.
  std::size_t pwrite(const void* buf, std::size_t count, off_t offset) {
    return static_cast<std::size_t>(
        detail::Check(sealfs_pwrite(client_, fd_, buf, count, offset), "sealfs_pwrite", path_));
  }
  /// Moves the file offset (sealfs_lseek).
  /// @param offset  the distance to move.
  /// @param whence  SEEK_SET, SEEK_CUR or SEEK_END.
  /// @returns the new offset.
  off_t seek(off_t offset, int whence) {
    return detail::Check(sealfs_lseek(client_, fd_, offset, whence), "sealfs_lseek", path_);
  }
  /// Returns once everything written is durable on the servers (sealfs_fsync).
  void sync() { detail::Check(sealfs_fsync(client_, fd_), "sealfs_fsync", path_); }
  /// Sets the size of the file (sealfs_ftruncate).
  /// @param length  the new size in bytes.
  void truncate(off_t length) {
    detail::Check(sealfs_ftruncate(client_, fd_, length), "sealfs_ftruncate", path_);
  }
  /// Extends the file or zeroes a range of it (sealfs_fallocate).
  /// @param mode  0, or FALLOC_FL_* flags as sealfs_fallocate() takes them.
  /// @param offset  where the range starts.
  /// @param length  the length of the range.
  void allocate(int mode, off_t offset, off_t length) {
    detail::Check(sealfs_fallocate(client_, fd_, mode, offset, length), "sealfs_fallocate", path_);
  }
  /// @returns the attributes of the file (sealfs_fstat).
  [[nodiscard]] struct stat stat() const {
    struct stat st {};
    detail::Check(sealfs_fstat(client_, fd_, &st), "sealfs_fstat", path_);
    return st;
  }
  /// Closes the descriptor (sealfs_close), reporting an error; the File is empty afterwards.
  void close() {
    if (fd_ < 0) return;
    const int rc = sealfs_close(client_, std::exchange(fd_, -1));
    detail::Check(rc, "sealfs_close", path_);
  }

 private:
  void reset() noexcept {
    if (fd_ >= 0) sealfs_close(client_, std::exchange(fd_, -1));
  }

  sealfs_client* client_ = nullptr;
  int fd_ = -1;
  std::string path_;
};

/// One entry of a directory, as Directory yields it.
struct DirEntry {
  std::string name;   ///< The name within the directory ("." and ".." included).
  ino_t ino = 0;      ///< The inode number, as st_ino.
  unsigned type = 0;  ///< DT_REG, DT_DIR, DT_LNK, ... (d_type).
};

/// An open directory stream, read once with a range-for. Move-only; closed when destroyed.
///
///     for (const sealfs::DirEntry& entry : client.list("/data")) { ... }
class Directory {
 public:
  /// An input iterator over the entries; reading the next entry may throw std::system_error.
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;  ///< Single pass.
    using value_type = DirEntry;                        ///< What it yields.
    using difference_type = std::ptrdiff_t;             ///< Required of iterators.
    using pointer = const DirEntry*;                    ///< Pointer to the current entry.
    using reference = const DirEntry&;                  ///< Reference to the current entry.

    /// The end iterator.
    iterator() = default;
    /// An iterator at the next entry of dir.
    /// @param dir  the Directory to read.
    explicit iterator(Directory* dir) : dir_(dir) { advance(); }
    /// @returns the current entry.
    reference operator*() const { return entry_; }
    /// @returns a pointer to the current entry.
    pointer operator->() const { return &entry_; }
    /// Reads the next entry.
    /// @returns *this.
    iterator& operator++() {
      advance();
      return *this;
    }
    /// Reads the next entry (the old position cannot be kept by a single-pass iterator).
    void operator++(int) { advance(); }
    /// Two iterators are equal when both are at the end.
    /// @param a, b  the iterators to compare.
    friend bool operator==(const iterator& a, const iterator& b) { return a.dir_ == b.dir_; }

   private:
    void advance() {
      if (dir_ != nullptr && !dir_->next(&entry_)) dir_ = nullptr;
    }
    Directory* dir_ = nullptr;
    DirEntry entry_;
  };

  /// An empty Directory, which holds no stream.
  Directory() = default;
  /// Takes ownership of a stream.
  /// @param client  the client that opened dir; it must outlive the Directory.
  /// @param dir  a stream returned by sealfs_opendir().
  /// @param path  the path it was opened with, used in error messages.
  Directory(sealfs_client* client, sealfs_dir* dir, std::string path)
      : client_(client), dir_(dir), path_(std::move(path)) {}
  /// Closes the stream.
  ~Directory() { reset(); }
  Directory(const Directory&) = delete;
  Directory& operator=(const Directory&) = delete;
  /// Takes the stream of other, which is left empty.
  /// @param other  the Directory to move from.
  Directory(Directory&& other) noexcept
      : client_(other.client_),
        dir_(std::exchange(other.dir_, nullptr)),
        path_(std::move(other.path_)) {}
  /// Closes this Directory's stream, then takes the one of other.
  /// @param other  the Directory to move from.
  /// @returns *this.
  Directory& operator=(Directory&& other) noexcept {
    if (this != &other) {
      reset();
      client_ = other.client_;
      dir_ = std::exchange(other.dir_, nullptr);
      path_ = std::move(other.path_);
    }
    return *this;
  }

  /// Starts reading; call once, as the stream is read only once.
  /// @returns an iterator at the first entry.
  iterator begin() { return iterator(this); }
  /// @returns the iterator past the last entry.
  iterator end() { return {}; }

  /// Reads the next entry (sealfs_readdir).
  /// @param entry  receives the entry.
  /// @returns true when an entry was read, false at the end.
  bool next(DirEntry* entry) {
    if (dir_ == nullptr) return false;
    struct dirent raw {};
    const int rc = detail::Check(sealfs_readdir(client_, dir_, &raw), "sealfs_readdir", path_);
    if (rc == 0) return false;
    entry->name = raw.d_name;
    entry->ino = raw.d_ino;
    entry->type = raw.d_type;
    return true;
  }

 private:
  void reset() noexcept {
    if (dir_ != nullptr) sealfs_closedir(client_, std::exchange(dir_, nullptr));
  }

  sealfs_client* client_ = nullptr;
  sealfs_dir* dir_ = nullptr;
  std::string path_;
};

/// A connection to one SealFS cluster; disconnected when destroyed. Move-only.
class Client {
 public:
  /// Connects to the cluster whose manager serves at address (sealfs_connect).
  /// @param address  "HOST:PORT" of sealfs-manager.
  /// @param options  settings, or nullptr for the defaults.
  /// @returns the connected client.
  static Client connect(const std::string& address, const sealfs_options* options = nullptr) {
    sealfs_client* client = nullptr;
    detail::Check(sealfs_connect(address.c_str(), options, &client), "sealfs_connect", address);
    return Client(client);
  }

  /// An empty Client, connected to nothing.
  Client() = default;
  /// Takes ownership of a handle from sealfs_connect().
  /// @param client  the handle.
  explicit Client(sealfs_client* client) : client_(client) {}
  /// Disconnects (sealfs_disconnect).
  ~Client() { sealfs_disconnect(client_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  /// Takes the handle of other, which is left empty.
  /// @param other  the Client to move from.
  Client(Client&& other) noexcept : client_(std::exchange(other.client_, nullptr)) {}
  /// Disconnects this Client, then takes the handle of other.
  /// @param other  the Client to move from.
  /// @returns *this.
  Client& operator=(Client&& other) noexcept {
    if (this != &other) {
      sealfs_disconnect(client_);
      client_ = std::exchange(other.client_, nullptr);
    }
    return *this;
  }

  /// @returns the handle, for the C API.
  [[nodiscard]] sealfs_client* get() const { return client_; }

  /// Opens (and with O_CREAT creates) a file (sealfs_open).
  /// @param path  absolute path.
  /// @param flags  O_RDONLY, O_WRONLY or O_RDWR with O_CREAT, O_EXCL, O_TRUNC, O_APPEND, ...
  /// @param mode  permission bits of a created file.
  /// @returns the open File.
  File open(const std::string& path, int flags, mode_t mode = 0666) {
    const int fd =
        detail::Check(sealfs_open(client_, path.c_str(), flags, mode), "sealfs_open", path);
    return File(client_, fd, path);
  }
  /// Opens a directory stream (sealfs_opendir).
  /// @param path  absolute path of a directory.
  /// @returns the stream, to be read with a range-for.
  Directory list(const std::string& path) {
    sealfs_dir* dir = nullptr;
    detail::Check(sealfs_opendir(client_, path.c_str(), &dir), "sealfs_opendir", path);
    return Directory(client_, dir, path);
  }

  /// Describes path, following a final symlink (sealfs_stat).
  /// @param path  absolute path.
  /// @returns the attributes.
  [[nodiscard]] struct stat stat(const std::string& path) const {
    struct stat st {};
    detail::Check(sealfs_stat(client_, path.c_str(), &st), "sealfs_stat", path);
    return st;
  }
  /// Describes path, not following a final symlink (sealfs_lstat).
  /// @param path  absolute path.
  /// @returns the attributes.
  [[nodiscard]] struct stat lstat(const std::string& path) const {
    struct stat st {};
    detail::Check(sealfs_lstat(client_, path.c_str(), &st), "sealfs_lstat", path);
    return st;
  }
  /// Creates a directory (sealfs_mkdir).
  /// @param path  absolute path.
  /// @param mode  permission bits.
  void mkdir(const std::string& path, mode_t mode = 0777) {
    detail::Check(sealfs_mkdir(client_, path.c_str(), mode), "sealfs_mkdir", path);
  }
  /// Removes an empty directory (sealfs_rmdir).
  /// @param path  absolute path.
  void rmdir(const std::string& path) {
    detail::Check(sealfs_rmdir(client_, path.c_str()), "sealfs_rmdir", path);
  }
  /// Removes a name (sealfs_unlink).
  /// @param path  absolute path.
  void unlink(const std::string& path) {
    detail::Check(sealfs_unlink(client_, path.c_str()), "sealfs_unlink", path);
  }
  /// Renames from to to, replacing to (sealfs_rename).
  /// @param from  the current path.
  /// @param to  the new path.
  void rename(const std::string& from, const std::string& to) {
    detail::Check(sealfs_rename(client_, from.c_str(), to.c_str()), "sealfs_rename", from);
  }
  /// Renames with SEALFS_RENAME_NOREPLACE or SEALFS_RENAME_EXCHANGE (sealfs_rename2).
  /// @param from  the current path.
  /// @param to  the new path.
  /// @param flags  the SEALFS_RENAME_* flags.
  void rename(const std::string& from, const std::string& to, unsigned int flags) {
    detail::Check(sealfs_rename2(client_, from.c_str(), to.c_str(), flags), "sealfs_rename2", from);
  }
  /// Creates a regular file, FIFO, socket or device node (sealfs_mknod).
  /// @param path  absolute path.
  /// @param mode  type and permission bits.
  /// @param rdev  the device number of a device node.
  void mknod(const std::string& path, mode_t mode, dev_t rdev = 0) {
    detail::Check(sealfs_mknod(client_, path.c_str(), mode, rdev), "sealfs_mknod", path);
  }
  /// Adds the hard link to to the file from (sealfs_link).
  /// @param from  an existing file.
  /// @param to  the new name.
  void link(const std::string& from, const std::string& to) {
    detail::Check(sealfs_link(client_, from.c_str(), to.c_str()), "sealfs_link", to);
  }
  /// Creates the symbolic link linkpath pointing at target (sealfs_symlink).
  /// @param target  the content of the link.
  /// @param linkpath  absolute path of the new link.
  void symlink(const std::string& target, const std::string& linkpath) {
    detail::Check(sealfs_symlink(client_, target.c_str(), linkpath.c_str()), "sealfs_symlink",
                  linkpath);
  }
  /// Reads a symbolic link (sealfs_readlink).
  /// @param path  absolute path of the link.
  /// @returns the link's target.
  [[nodiscard]] std::string readlink(const std::string& path) const {
    std::string buf(256, '\0');
    for (;;) {
      const ssize_t n = detail::Check(
          sealfs_readlink(client_, path.c_str(), buf.data(), buf.size()), "sealfs_readlink", path);
      if (static_cast<std::size_t>(n) < buf.size()) {
        buf.resize(static_cast<std::size_t>(n));
        return buf;
      }
      buf.resize(buf.size() * 2);
    }
  }
  /// Sets the permission bits (sealfs_chmod).
  /// @param path  absolute path.
  /// @param mode  permission, set-id and sticky bits.
  void chmod(const std::string& path, mode_t mode) {
    detail::Check(sealfs_chmod(client_, path.c_str(), mode), "sealfs_chmod", path);
  }
  /// Sets owner and group; -1 leaves one alone (sealfs_chown).
  /// @param path  absolute path.
  /// @param owner  the new owner, or (uid_t)-1.
  /// @param group  the new group, or (gid_t)-1.
  void chown(const std::string& path, uid_t owner, gid_t group) {
    detail::Check(sealfs_chown(client_, path.c_str(), owner, group), "sealfs_chown", path);
  }
  /// Sets access and modification times as utimensat(2) does (sealfs_utimens).
  /// @param path  absolute path.
  /// @param times  access and modification times (UTIME_NOW, UTIME_OMIT allowed), or nullptr
  ///               for now.
  void utimens(const std::string& path, const struct timespec times[2] = nullptr) {
    detail::Check(sealfs_utimens(client_, path.c_str(), times), "sealfs_utimens", path);
  }
  /// Checks access for the client's uid and gid (sealfs_access); throws EACCES when denied.
  /// @param path  absolute path.
  /// @param mode  R_OK, W_OK, X_OK or F_OK.
  void access(const std::string& path, int mode) const {
    detail::Check(sealfs_access(client_, path.c_str(), mode), "sealfs_access", path);
  }
  /// Describes the whole file system (sealfs_statvfs).
  /// @param path  any path in the file system.
  /// @returns the capacity and limits.
  [[nodiscard]] struct statvfs statvfs(const std::string& path = "/") const {
    struct statvfs buf {};
    detail::Check(sealfs_statvfs(client_, path.c_str(), &buf), "sealfs_statvfs", path);
    return buf;
  }
  /// Asks the manager for the cluster map and every server for its capacity
  /// (sealfs_cluster_status).
  /// @param epoch  receives the map's epoch; may be null.
  /// @returns every server of the map, ordered by id.
  [[nodiscard]] std::vector<sealfs_server_status> cluster_status(uint64_t* epoch = nullptr) const {
    std::vector<sealfs_server_status> servers(16);
    for (;;) {
      const int count = detail::Check(
          sealfs_cluster_status(client_, epoch, servers.data(), static_cast<int>(servers.size())),
          "sealfs_cluster_status", "");
      if (static_cast<std::size_t>(count) <= servers.size()) {
        servers.resize(static_cast<std::size_t>(count));
        return servers;
      }
      servers.resize(static_cast<std::size_t>(count));  // the map grew: ask again with room
    }
  }
  /// Sets the size of a file by path (sealfs_truncate).
  /// @param path  absolute path.
  /// @param length  the new size in bytes.
  void truncate(const std::string& path, off_t length) {
    detail::Check(sealfs_truncate(client_, path.c_str(), length), "sealfs_truncate", path);
  }

  /// Sets an extended attribute (sealfs_setxattr).
  /// @param path  absolute path.
  /// @param name  the attribute's name, e.g. "user.tag".
  /// @param value  its value (any bytes).
  /// @param flags  0, XATTR_CREATE or XATTR_REPLACE.
  void setxattr(const std::string& path, const std::string& name, std::string_view value,
                int flags = 0) {
    detail::Check(
        sealfs_setxattr(client_, path.c_str(), name.c_str(), value.data(), value.size(), flags),
        "sealfs_setxattr", path);
  }
  /// Reads an extended attribute (sealfs_getxattr).
  /// @param path  absolute path.
  /// @returns the attribute's value.
  /// @param name  the attribute's name.
  [[nodiscard]] std::string getxattr(const std::string& path, const std::string& name) const {
    for (;;) {
      const ssize_t size =
          detail::Check(sealfs_getxattr(client_, path.c_str(), name.c_str(), nullptr, 0),
                        "sealfs_getxattr", path);
      std::string value(static_cast<std::size_t>(size), '\0');
      if (size == 0) return value;
      const ssize_t n =
          sealfs_getxattr(client_, path.c_str(), name.c_str(), value.data(), value.size());
      if (n == -ERANGE) continue;  // grew in between
      value.resize(static_cast<std::size_t>(detail::Check(n, "sealfs_getxattr", path)));
      return value;
    }
  }
  /// Lists the extended attributes of path (sealfs_listxattr).
  /// @param path  absolute path.
  /// @returns their names.
  [[nodiscard]] std::vector<std::string> listxattr(const std::string& path) const {
    std::string list;
    for (;;) {
      const ssize_t size = detail::Check(sealfs_listxattr(client_, path.c_str(), nullptr, 0),
                                         "sealfs_listxattr", path);
      list.assign(static_cast<std::size_t>(size), '\0');
      if (size == 0) break;
      const ssize_t n = sealfs_listxattr(client_, path.c_str(), list.data(), list.size());
      if (n == -ERANGE) continue;  // grew in between
      list.resize(static_cast<std::size_t>(detail::Check(n, "sealfs_listxattr", path)));
      break;
    }
    std::vector<std::string> names;
    for (std::size_t start = 0; start < list.size();) {
      const std::size_t end = list.find('\0', start);
      const std::size_t stop = end == std::string::npos ? list.size() : end;
      names.emplace_back(list, start, stop - start);
      start = stop + 1;
    }
    return names;
  }
  /// Removes an extended attribute (sealfs_removexattr).
  /// @param path  absolute path.
  /// @param name  the attribute's name.
  void removexattr(const std::string& path, const std::string& name) {
    detail::Check(sealfs_removexattr(client_, path.c_str(), name.c_str()), "sealfs_removexattr",
                  path);
  }

 private:
  sealfs_client* client_ = nullptr;
};

}  // namespace sealfs

#endif  // SEALFS_SEALFS_HPP_
