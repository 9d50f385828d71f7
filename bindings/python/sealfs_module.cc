// sealfs._sealfs: the C API of include/sealfs/sealfs.h for Python, call for call.
//
// This layer only converts arguments, releases the GIL around every call into libsealfs (each
// may wait on the network) and turns a negated errno into the matching OSError subclass. Files
// as io objects, os-like helpers and fsspec live in the pure-Python package beside it.
#include <Python.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "sealfs/sealfs.h"

namespace py = pybind11;

namespace {

// Raises the OSError subclass Python picks for err (FileNotFoundError for ENOENT, ...), with the
// path (and the second path of a rename, link or symlink) as filename and filename2, as os does.
[[noreturn]] void RaiseOsError(long result, py::handle path = {}, py::handle path2 = {}) {
  const int err = static_cast<int>(-result);
  const py::object none = py::none();
  const auto os_error = py::reinterpret_borrow<py::object>(PyExc_OSError);
  const char* description = strerrordesc_np(err);
  const py::str message(description != nullptr ? description : "Unknown error");
  py::object error;
  if (path2) {
    error = os_error(err, message, path, none, path2);
  } else if (path) {
    error = os_error(err, message, path);
  } else {
    error = os_error(err, message);
  }
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(error.ptr())), error.ptr());
  throw py::error_already_set();
}

template <typename Result>
Result Check(Result result, py::handle path = {}, py::handle path2 = {}) {
  if (result < 0) RaiseOsError(static_cast<long>(result), path, path2);
  return result;
}

// str, bytes or os.PathLike, encoded as os does (file-system encoding, surrogateescape).
std::string EncodePath(py::handle path) {
  PyObject* encoded = nullptr;
  if (PyUnicode_FSConverter(path.ptr(), &encoded) == 0) throw py::error_already_set();
  const auto bytes = py::reinterpret_steal<py::bytes>(encoded);
  return bytes;
}

// A contiguous buffer of a bytes-like object, held for the length of one call.
class BufferView {
 public:
  BufferView(py::handle object, bool writable) {
    if (PyObject_GetBuffer(object.ptr(), &view_, writable ? PyBUF_WRITABLE : PyBUF_SIMPLE) != 0) {
      throw py::error_already_set();
    }
  }
  ~BufferView() { PyBuffer_Release(&view_); }
  BufferView(const BufferView&) = delete;
  BufferView& operator=(const BufferView&) = delete;
  BufferView(BufferView&&) = delete;
  BufferView& operator=(BufferView&&) = delete;

  [[nodiscard]] void* data() const { return view_.buf; }
  [[nodiscard]] std::size_t size() const { return static_cast<std::size_t>(view_.len); }

 private:
  Py_buffer view_{};
};

// A bytes object filled without the GIL, then cut to the length actually read.
class BytesBuilder {
 public:
  explicit BytesBuilder(std::size_t capacity) { Resize(capacity); }

  [[nodiscard]] char* at(std::size_t offset) const {
    return PyBytes_AS_STRING(bytes_.ptr()) + offset;
  }
  [[nodiscard]] std::size_t capacity() const {
    return static_cast<std::size_t>(PyBytes_GET_SIZE(bytes_.ptr()));
  }

  // Needs the GIL. The object is not shared yet, so it may be resized in place.
  void Resize(std::size_t size) {
    if (!bytes_) {
      bytes_ = py::reinterpret_steal<py::object>(
          PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(size)));
      if (!bytes_) throw py::error_already_set();
      return;
    }
    PyObject* raw = bytes_.release().ptr();
    if (_PyBytes_Resize(&raw, static_cast<Py_ssize_t>(size)) != 0) throw py::error_already_set();
    bytes_ = py::reinterpret_steal<py::object>(raw);
  }

  py::bytes Finish(std::size_t size) {
    if (size != capacity()) Resize(size);
    return py::reinterpret_steal<py::bytes>(bytes_.release());
  }

 private:
  py::object bytes_;
};

py::tuple StatTuple(const struct stat& st) {
  auto nanoseconds = [](const timespec& t) {
    return static_cast<long long>(t.tv_sec) * 1000000000LL + t.tv_nsec;
  };
  return py::make_tuple(st.st_mode, st.st_ino, st.st_dev, st.st_nlink, st.st_uid, st.st_gid,
                        st.st_size, nanoseconds(st.st_atim), nanoseconds(st.st_mtim),
                        nanoseconds(st.st_ctim), st.st_blksize, st.st_blocks, st.st_rdev);
}

// One client handle, shared by the Client object and the directory streams opened from it.
// Thread-safe: calls run under a shared lock, so that close() waits for calls in flight and
// no call ever sees a released handle.
class Connection {
 public:
  explicit Connection(sealfs_client* client) : client_(client) {}
  ~Connection() { CloseLocked(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  Connection(Connection&&) = delete;
  Connection& operator=(Connection&&) = delete;

  // Runs function(client) with the GIL released; ValueError once the client is closed.
  template <typename Function>
  auto Run(Function&& function) {
    py::gil_scoped_release release;
    std::shared_lock lock(mutex_);
    if (client_ == nullptr) throw py::value_error("I/O operation on a closed SealFS client");
    return function(client_);
  }

  // As Run, but a closed client makes it return nullopt: for releasing what the client's close
  // has released already.
  template <typename Function>
  auto RunIfOpen(Function&& function) -> std::optional<decltype(function(nullptr))> {
    py::gil_scoped_release release;
    std::shared_lock lock(mutex_);
    if (client_ == nullptr) return std::nullopt;
    return function(client_);
  }

  void Close() {
    py::gil_scoped_release release;
    std::unique_lock lock(mutex_);
    CloseLocked();
  }

  bool closed() {
    std::shared_lock lock(mutex_);
    return client_ == nullptr;
  }

  // Directory streams are closed before the client is released (sealfs_disconnect documents
  // that it closes them, and a stream must not outlive its client).
  void AddDir(sealfs_dir* dir) {
    std::lock_guard lock(dirs_mutex_);
    dirs_.insert(dir);
  }
  // Called under Run (so never during the client's close): closes dir unless that close did.
  void CloseDir(sealfs_dir* dir) {
    std::lock_guard lock(dirs_mutex_);
    if (dirs_.erase(dir) != 0) sealfs_closedir(client_, dir);
  }

 private:
  void CloseLocked() {
    if (client_ == nullptr) return;
    {
      std::lock_guard dirs_lock(dirs_mutex_);
      for (sealfs_dir* dir : dirs_) sealfs_closedir(client_, dir);
      dirs_.clear();
    }
    sealfs_disconnect(client_);
    client_ = nullptr;
  }

  std::shared_mutex mutex_;
  sealfs_client* client_;  // guarded by mutex_ (exclusive to change, shared to use)
  std::mutex dirs_mutex_;
  std::set<sealfs_dir*> dirs_;  // guarded by dirs_mutex_
};

// An open directory stream. Thread-safe: a mutex keeps two threads (iterating one scandir()
// at once, or closing it meanwhile) from using the stream together, which sealfs.h forbids.
class Dir {
 public:
  Dir(std::shared_ptr<Connection> connection, sealfs_dir* dir, py::object path)
      : connection_(std::move(connection)), dir_(dir), path_(std::move(path)) {}
  ~Dir() {
    try {
      Close();
    } catch (...) {  // NOLINT(bugprone-empty-catch) a destructor must not throw
    }
  }
  Dir(const Dir&) = delete;
  Dir& operator=(const Dir&) = delete;
  Dir(Dir&&) = delete;
  Dir& operator=(Dir&&) = delete;

  // Up to max_entries entries as (name bytes, d_type, d_ino), without "." and ".."; an empty
  // list at the end.
  py::list Read(int max_entries) {
    struct Entry {
      std::string name;
      unsigned char type;
      ino_t ino;
    };
    std::vector<Entry> entries;
    const int result = connection_->Run([&](sealfs_client* client) {
      std::lock_guard lock(mutex_);
      if (dir_ == nullptr) throw py::value_error("I/O operation on a closed directory stream");
      struct dirent entry {};
      while (static_cast<int>(entries.size()) < max_entries) {
        const int rc = sealfs_readdir(client, dir_, &entry);
        if (rc <= 0) return rc;
        const std::string_view name(entry.d_name);
        if (name == "." || name == "..") continue;
        entries.push_back({std::string(name), entry.d_type, entry.d_ino});
      }
      return 1;
    });
    Check(result, path_);
    py::list out;
    for (const Entry& entry : entries) {
      out.append(py::make_tuple(py::bytes(entry.name), entry.type, entry.ino));
    }
    return out;
  }

  // Closing twice, or after the client's close (which closed the stream), is a no-op.
  void Close() {
    connection_->RunIfOpen([&](sealfs_client* /*client*/) {
      std::lock_guard lock(mutex_);
      sealfs_dir* dir = std::exchange(dir_, nullptr);
      if (dir != nullptr) connection_->CloseDir(dir);
      return 0;
    });
  }

 private:
  std::shared_ptr<Connection> connection_;
  std::mutex mutex_;
  sealfs_dir* dir_;  // guarded by mutex_; nullptr once closed
  py::object path_;
};

// The Python face of one sealfs_client: every method is one C call (a few for reads that grow).
class Client {
  // Helpers first: the methods below deduce their return types from them.
  template <typename Function>
  auto Run(Function&& function) {
    return connection_->Run(std::forward<Function>(function));
  }

  template <typename Function>
  void PathCall(const py::object& path, Function&& function) {
    const std::string p = EncodePath(path);
    Check(Run([&](sealfs_client* c) { return function(c, p.c_str()); }), path);
  }

  template <typename Function>
  void TwoPathCall(const py::object& from, const py::object& to, Function&& function) {
    const std::string f = EncodePath(from);
    const std::string t = EncodePath(to);
    Check(Run([&](sealfs_client* c) { return function(c, f.c_str(), t.c_str()); }), from, to);
  }

  // For the calls that report the size needed when given size 0: asks, then fetches, and asks
  // again if the value grew in between.
  template <typename Function>
  py::bytes SizedQuery(const py::object& path, Function&& function) {
    std::string buffer;
    const ssize_t n = Check(Run([&](sealfs_client* c) -> ssize_t {
                              for (;;) {
                                const ssize_t size = function(c, nullptr, 0);
                                if (size <= 0) return size;
                                buffer.resize(static_cast<std::size_t>(size));
                                const ssize_t got = function(c, buffer.data(), buffer.size());
                                if (got != -ERANGE) return got;
                              }
                            }),
                            path);
    buffer.resize(static_cast<std::size_t>(n));
    return {buffer};
  }

 public:
  Client(const std::string& address, std::optional<int> connect_timeout_ms,
         std::optional<int> request_timeout_ms, uint32_t chunk_size, int64_t uid, int64_t gid,
         std::optional<mode_t> umask, std::optional<int> max_open_files) {
    sealfs_options options;
    sealfs_options_init(&options);
    if (connect_timeout_ms) options.connect_timeout_ms = *connect_timeout_ms;
    if (request_timeout_ms) options.request_timeout_ms = *request_timeout_ms;
    options.chunk_size = chunk_size;
    options.uid = uid;
    options.gid = gid;
    if (umask) options.umask = *umask;
    if (max_open_files) options.max_open_files = *max_open_files;
    sealfs_client* client = nullptr;
    int rc = 0;
    {
      py::gil_scoped_release release;
      rc = sealfs_connect(address.c_str(), &options, &client);
    }
    Check(rc, py::str(address));
    connection_ = std::make_shared<Connection>(client);
  }

  void Close() { connection_->Close(); }
  bool closed() { return connection_->closed(); }

  int Open(const py::object& path, int flags, mode_t mode) {
    const std::string p = EncodePath(path);
    return Check(Run([&](sealfs_client* c) { return sealfs_open(c, p.c_str(), flags, mode); }),
                 path);
  }

  // Closing a descriptor of a closed client is a no-op: the client's close closed it.
  void CloseFd(int fd) {
    const auto rc = connection_->RunIfOpen([&](sealfs_client* c) { return sealfs_close(c, fd); });
    if (rc) Check(*rc);
  }

  py::bytes Read(int fd, Py_ssize_t size) {
    if (size < 0) return ReadAll(fd);
    BytesBuilder bytes(static_cast<std::size_t>(size));
    const ssize_t n = Check(Run([&](sealfs_client* c) {
      return sealfs_read(c, fd, bytes.at(0), static_cast<std::size_t>(size));
    }));
    return bytes.Finish(static_cast<std::size_t>(n));
  }

  // To the end of the file: one read sized from fstat, then reads until one returns 0.
  py::bytes ReadAll(int fd) {
    struct stat st {};
    off_t offset = 0;
    Run([&](sealfs_client* c) {
      if (sealfs_fstat(c, fd, &st) < 0) st.st_size = 0;
      offset = sealfs_lseek(c, fd, 0, SEEK_CUR);
      return 0;
    });
    constexpr std::size_t kMinimum = std::size_t{64} * 1024;
    const std::size_t expected =
        st.st_size > offset && offset >= 0 ? static_cast<std::size_t>(st.st_size - offset) : 0;
    BytesBuilder bytes(std::max(expected, kMinimum));
    std::size_t done = 0;
    for (;;) {
      if (done == bytes.capacity()) bytes.Resize(done + std::max(done / 4, kMinimum));
      const ssize_t n = Check(Run([&](sealfs_client* c) {
        return sealfs_read(c, fd, bytes.at(done), bytes.capacity() - done);
      }));
      if (n == 0) break;
      done += static_cast<std::size_t>(n);
    }
    return bytes.Finish(done);
  }

  ssize_t ReadInto(int fd, const py::object& buffer) {
    const BufferView view(buffer, true);
    return Check(
        Run([&](sealfs_client* c) { return sealfs_read(c, fd, view.data(), view.size()); }));
  }

  py::bytes Pread(int fd, Py_ssize_t size, off_t offset) {
    if (size < 0) throw py::value_error("size must not be negative");
    BytesBuilder bytes(static_cast<std::size_t>(size));
    const ssize_t n = Check(Run([&](sealfs_client* c) {
      return sealfs_pread(c, fd, bytes.at(0), static_cast<std::size_t>(size), offset);
    }));
    return bytes.Finish(static_cast<std::size_t>(n));
  }

  ssize_t Write(int fd, const py::object& buffer) {
    const BufferView view(buffer, false);
    return Check(
        Run([&](sealfs_client* c) { return sealfs_write(c, fd, view.data(), view.size()); }));
  }

  ssize_t Pwrite(int fd, const py::object& buffer, off_t offset) {
    const BufferView view(buffer, false);
    return Check(Run(
        [&](sealfs_client* c) { return sealfs_pwrite(c, fd, view.data(), view.size(), offset); }));
  }

  off_t Lseek(int fd, off_t offset, int whence) {
    return Check(Run([&](sealfs_client* c) { return sealfs_lseek(c, fd, offset, whence); }));
  }

  void Fsync(int fd) {
    Check(Run([&](sealfs_client* c) { return sealfs_fsync(c, fd); }));
  }

  void Ftruncate(int fd, off_t length) {
    Check(Run([&](sealfs_client* c) { return sealfs_ftruncate(c, fd, length); }));
  }

  py::tuple Fstat(int fd) {
    struct stat st {};
    Check(Run([&](sealfs_client* c) { return sealfs_fstat(c, fd, &st); }));
    return StatTuple(st);
  }

  py::tuple Stat(const py::object& path, bool follow_symlinks) {
    const std::string p = EncodePath(path);
    struct stat st {};
    Check(Run([&](sealfs_client* c) {
            return follow_symlinks ? sealfs_stat(c, p.c_str(), &st)
                                   : sealfs_lstat(c, p.c_str(), &st);
          }),
          path);
    return StatTuple(st);
  }

  void Truncate(const py::object& path, off_t length) {
    PathCall(path, [&](sealfs_client* c, const char* p) { return sealfs_truncate(c, p, length); });
  }

  void Mkdir(const py::object& path, mode_t mode) {
    PathCall(path, [&](sealfs_client* c, const char* p) { return sealfs_mkdir(c, p, mode); });
  }

  void Rmdir(const py::object& path) { PathCall(path, sealfs_rmdir); }
  void Unlink(const py::object& path) { PathCall(path, sealfs_unlink); }
  void Rename(const py::object& from, const py::object& to) {
    TwoPathCall(from, to, sealfs_rename);
  }
  void Link(const py::object& from, const py::object& to) { TwoPathCall(from, to, sealfs_link); }

  // Errors name target, then link_path, as os.symlink's do.
  void Symlink(const py::object& target, const py::object& link_path) {
    TwoPathCall(target, link_path, sealfs_symlink);
  }

  py::bytes Readlink(const py::object& path) {
    const std::string p = EncodePath(path);
    std::string target(PATH_MAX + 1, '\0');
    const ssize_t n = Check(Run([&](sealfs_client* c) {
                              return sealfs_readlink(c, p.c_str(), target.data(), target.size());
                            }),
                            path);
    target.resize(static_cast<std::size_t>(n));
    return {target};
  }

  void Chmod(const py::object& path, mode_t mode) {
    PathCall(path, [&](sealfs_client* c, const char* p) { return sealfs_chmod(c, p, mode); });
  }

  void Chown(const py::object& path, int64_t uid, int64_t gid) {
    PathCall(path, [&](sealfs_client* c, const char* p) {
      return sealfs_chown(c, p, static_cast<uid_t>(uid), static_cast<gid_t>(gid));
    });
  }

  // times: (atime_ns, mtime_ns), or None for now.
  void Utimens(const py::object& path, std::optional<std::pair<int64_t, int64_t>> times) {
    constexpr int64_t kBillion = 1000000000;
    auto to_timespec = [](int64_t ns) {
      int64_t sec = ns / kBillion;
      int64_t nsec = ns % kBillion;
      if (nsec < 0) {
        nsec += kBillion;
        sec -= 1;
      }
      return timespec{static_cast<time_t>(sec), static_cast<long>(nsec)};
    };
    timespec spec[2] = {};
    if (times) {
      spec[0] = to_timespec(times->first);
      spec[1] = to_timespec(times->second);
    }
    PathCall(path, [&](sealfs_client* c, const char* p) {
      return sealfs_utimens(c, p, times ? spec : nullptr);
    });
  }

  bool Access(const py::object& path, int mode) {
    const std::string p = EncodePath(path);
    const int rc = Run([&](sealfs_client* c) { return sealfs_access(c, p.c_str(), mode); });
    if (rc == -EACCES || rc == -ENOENT || rc == -ENOTDIR || rc == -ELOOP) return false;
    Check(rc, path);
    return true;
  }

  py::tuple Statvfs(const py::object& path) {
    const std::string p = EncodePath(path);
    struct statvfs st {};
    Check(Run([&](sealfs_client* c) { return sealfs_statvfs(c, p.c_str(), &st); }), path);
    return py::make_tuple(st.f_bsize, st.f_frsize, st.f_blocks, st.f_bfree, st.f_bavail, st.f_files,
                          st.f_ffree, st.f_favail, st.f_flag, st.f_namemax, st.f_fsid);
  }

  std::unique_ptr<Dir> Opendir(const py::object& path) {
    const std::string p = EncodePath(path);
    sealfs_dir* dir = nullptr;
    Check(Run([&](sealfs_client* c) {
            const int rc = sealfs_opendir(c, p.c_str(), &dir);
            if (rc == 0) connection_->AddDir(dir);
            return rc;
          }),
          path);
    return std::make_unique<Dir>(connection_, dir, path);
  }

  void Setxattr(const py::object& path, const py::object& name, const py::object& value,
                int flags) {
    const std::string n = EncodePath(name);
    const BufferView view(value, false);
    PathCall(path, [&](sealfs_client* c, const char* p) {
      return sealfs_setxattr(c, p, n.c_str(), view.data(), view.size(), flags);
    });
  }

  py::bytes Getxattr(const py::object& path, const py::object& name) {
    const std::string p = EncodePath(path);
    const std::string n = EncodePath(name);
    return SizedQuery(path, [&](sealfs_client* c, char* buffer, std::size_t size) {
      return sealfs_getxattr(c, p.c_str(), n.c_str(), buffer, size);
    });
  }

  // The NUL-separated names.
  py::bytes Listxattr(const py::object& path) {
    const std::string p = EncodePath(path);
    return SizedQuery(path, [&](sealfs_client* c, char* buffer, std::size_t size) {
      return sealfs_listxattr(c, p.c_str(), buffer, size);
    });
  }

  void Removexattr(const py::object& path, const py::object& name) {
    const std::string n = EncodePath(name);
    PathCall(path,
             [&](sealfs_client* c, const char* p) { return sealfs_removexattr(c, p, n.c_str()); });
  }

  // (epoch, [(id, address, up, reachable, total_bytes, available_bytes, inodes), ...])
  py::tuple ClusterStatus() {
    uint64_t epoch = 0;
    std::vector<sealfs_server_status> servers;
    Check(Run([&](sealfs_client* c) {
      for (;;) {
        const int n =
            sealfs_cluster_status(c, &epoch, servers.data(), static_cast<int>(servers.size()));
        if (n < 0 || static_cast<std::size_t>(n) <= servers.size()) {
          if (n >= 0) servers.resize(static_cast<std::size_t>(n));
          return n;
        }
        servers.resize(static_cast<std::size_t>(n));
      }
    }));
    py::list list;
    for (const sealfs_server_status& s : servers) {
      list.append(py::make_tuple(s.id, std::string(s.address), s.up != 0, s.reachable != 0,
                                 s.total_bytes, s.available_bytes, s.inodes));
    }
    return py::make_tuple(epoch, list);
  }

  std::shared_ptr<Connection> connection_;
};

}  // namespace

PYBIND11_MODULE(_sealfs, m) {
  m.doc() =
      "The C API of libsealfs (include/sealfs/sealfs.h) for Python, call for call.\n\n"
      "Internal: use the `sealfs` package, which builds io file objects, os-like helpers and the\n"
      "fsspec file system on top of this module. Every call releases the GIL while it runs and\n"
      "raises the OSError subclass of its errno.";
  m.def(
      "version", [] { return std::string(sealfs_version(nullptr, nullptr, nullptr)); },
      "The version of the loaded libsealfs, \"MAJOR.MINOR.PATCH\".");

  py::class_<Dir>(m, "Dir", "An open directory stream, from Client.opendir().")
      .def("read", &Dir::Read, py::arg("max_entries"),
           "Up to max_entries entries as (name: bytes, d_type, d_ino), without '.' and '..';\n"
           "an empty list at the end.")
      .def("close", &Dir::Close, "Releases the stream; closing twice is a no-op.");

  py::class_<Client>(m, "Client",
                     "A connection to one SealFS cluster (a sealfs_client). Methods are the C "
                     "calls of the same name;\npaths are str, bytes or os.PathLike.")
      .def(py::init<const std::string&, std::optional<int>, std::optional<int>, uint32_t, int64_t,
                    int64_t, std::optional<mode_t>, std::optional<int>>(),
           py::arg("address"), py::kw_only(), py::arg("connect_timeout_ms") = py::none(),
           py::arg("request_timeout_ms") = py::none(), py::arg("chunk_size") = 0,
           py::arg("uid") = -1, py::arg("gid") = -1, py::arg("umask") = py::none(),
           py::arg("max_open_files") = py::none(),
           "Connects to the manager at address (\"HOST:PORT\"); None leaves an option at its "
           "default.")
      .def("close", &Client::Close, "Closes every descriptor and directory and disconnects.")
      .def_property_readonly("closed", &Client::closed, "True once close() was called.")
      .def("open", &Client::Open, py::arg("path"), py::arg("flags"), py::arg("mode") = 0666,
           "sealfs_open: returns a descriptor of this client.")
      .def("close_fd", &Client::CloseFd, py::arg("fd"), "sealfs_close.")
      .def("read", &Client::Read, py::arg("fd"), py::arg("size") = -1,
           "sealfs_read: up to size bytes; size < 0 reads to the end of the file.")
      .def("readinto", &Client::ReadInto, py::arg("fd"), py::arg("buffer"),
           "sealfs_read into a writable bytes-like object; returns the count.")
      .def("pread", &Client::Pread, py::arg("fd"), py::arg("size"), py::arg("offset"),
           "sealfs_pread.")
      .def("write", &Client::Write, py::arg("fd"), py::arg("data"),
           "sealfs_write of a bytes-like object; returns the count.")
      .def("pwrite", &Client::Pwrite, py::arg("fd"), py::arg("data"), py::arg("offset"),
           "sealfs_pwrite.")
      .def("lseek", &Client::Lseek, py::arg("fd"), py::arg("offset"), py::arg("whence"),
           "sealfs_lseek: returns the new offset.")
      .def("fsync", &Client::Fsync, py::arg("fd"), "sealfs_fsync.")
      .def("ftruncate", &Client::Ftruncate, py::arg("fd"), py::arg("length"), "sealfs_ftruncate.")
      .def("fstat", &Client::Fstat, py::arg("fd"),
           "sealfs_fstat as (mode, ino, dev, nlink, uid, gid, size, atime_ns, mtime_ns, "
           "ctime_ns, blksize, blocks, rdev).")
      .def("stat", &Client::Stat, py::arg("path"), py::arg("follow_symlinks") = true,
           "sealfs_stat (or sealfs_lstat), as fstat() returns it.")
      .def("truncate", &Client::Truncate, py::arg("path"), py::arg("length"), "sealfs_truncate.")
      .def("mkdir", &Client::Mkdir, py::arg("path"), py::arg("mode") = 0777, "sealfs_mkdir.")
      .def("rmdir", &Client::Rmdir, py::arg("path"), "sealfs_rmdir.")
      .def("unlink", &Client::Unlink, py::arg("path"), "sealfs_unlink.")
      .def("rename", &Client::Rename, py::arg("src"), py::arg("dst"), "sealfs_rename.")
      .def("link", &Client::Link, py::arg("src"), py::arg("dst"), "sealfs_link.")
      .def("symlink", &Client::Symlink, py::arg("target"), py::arg("link_path"), "sealfs_symlink.")
      .def("readlink", &Client::Readlink, py::arg("path"), "sealfs_readlink: the target bytes.")
      .def("chmod", &Client::Chmod, py::arg("path"), py::arg("mode"), "sealfs_chmod.")
      .def("chown", &Client::Chown, py::arg("path"), py::arg("uid"), py::arg("gid"),
           "sealfs_chown; -1 keeps that id.")
      .def("utimens", &Client::Utimens, py::arg("path"), py::arg("times") = py::none(),
           "sealfs_utimens with (atime_ns, mtime_ns), or None for now.")
      .def("access", &Client::Access, py::arg("path"), py::arg("mode"),
           "sealfs_access: False where the check fails, as os.access.")
      .def("statvfs", &Client::Statvfs, py::arg("path") = "/",
           "sealfs_statvfs as the fields of os.statvfs_result, in order.")
      .def("opendir", &Client::Opendir, py::arg("path"), "sealfs_opendir: a Dir.")
      .def("setxattr", &Client::Setxattr, py::arg("path"), py::arg("name"), py::arg("value"),
           py::arg("flags") = 0, "sealfs_setxattr.")
      .def("getxattr", &Client::Getxattr, py::arg("path"), py::arg("name"),
           "sealfs_getxattr: the value.")
      .def("listxattr", &Client::Listxattr, py::arg("path"),
           "sealfs_listxattr: the names, each ending in a NUL byte.")
      .def("removexattr", &Client::Removexattr, py::arg("path"), py::arg("name"),
           "sealfs_removexattr.")
      .def("cluster_status", &Client::ClusterStatus,
           "sealfs_cluster_status as (epoch, [(id, address, up, reachable, total_bytes, "
           "available_bytes, inodes), ...]).");
}
