"""sealfs.Client: a connection to a cluster, with the os module's calls and open()."""

import collections
import os
import posixpath
import stat as _stat
import threading

from . import _sealfs
from ._fileio import FileIO, open_file, stat_result

# d_type values of readdir (dirent.h); not exported by the os module.
_DT_DIR = 4
_DT_REG = 8
_DT_LNK = 10

# The most entries taken from a directory stream per call into the library.
_DIR_BATCH = 1024

ServerStatus = collections.namedtuple(
    "ServerStatus", "id address up reachable total_bytes available_bytes inodes")
ServerStatus.__doc__ = """One server of the cluster map, as Client.cluster_status() reports it.

id: its persistent identity; address: "HOST:PORT"; up: the manager lists it UP; reachable: it
answered just now (the three figures are 0 when it did not); total_bytes and available_bytes:
the file system of its data dir; inodes: the inode records it holds."""


def connect(manager=None, **options):
    """Connects to the cluster whose manager serves at manager ("HOST:PORT").

    Without manager, the SEALFS_MANAGER environment variable names it. The options are those of
    Client. Returns a Client; use it in a ``with`` block, or call close().
    """
    return Client(manager, **options)


class Client:
    """A connection to one SealFS cluster, with os-like calls and open().

    manager is the manager's "HOST:PORT"; None takes the SEALFS_MANAGER environment variable.
    Timeouts are in seconds (defaults 2 s to connect, 10 s per request); chunk_size (bytes, a
    power of two from 4 KiB to 64 MiB, 0 for the cluster's default) applies to files this client
    creates; uid and gid own them (-1: the process's); umask defaults to 0o022.

    Paths are absolute within SealFS, as str, bytes or os.PathLike; calls given bytes paths
    return bytes names, as os does. A client may be shared by any number of threads, and each
    call releases the GIL while it waits. close() (or the end of a ``with`` block) closes every
    file and directory stream still open on it; later calls raise ValueError.
    """

    def __init__(self, manager=None, *, connect_timeout=None, request_timeout=None,
                 chunk_size=0, uid=-1, gid=-1, umask=None, max_open_files=None):
        if manager is None:
            manager = os.environ.get("SEALFS_MANAGER")
            if not manager:
                raise ValueError("no manager address given and SEALFS_MANAGER is not set "
                                 "(expected HOST:PORT, e.g. 127.0.0.1:7000)")
        self.manager = manager  # "HOST:PORT", as given or from SEALFS_MANAGER
        self._core = _sealfs.Client(
            manager,
            connect_timeout_ms=_milliseconds(connect_timeout),
            request_timeout_ms=_milliseconds(request_timeout),
            chunk_size=chunk_size, uid=uid, gid=gid, umask=umask, max_open_files=max_open_files)

    def __repr__(self):
        state = " closed" if self.closed else ""
        return f"<sealfs.Client manager={self.manager!r}{state}>"

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        """Closes every file and directory stream of this client and disconnects. Idempotent.

        Data written through files not closed yet has been sent already; call fsync() first
        where it must be durable. Waits for calls in flight on other threads."""
        self._core.close()

    @property
    def closed(self):
        """True once close() was called."""
        return self._core.closed

    # Files.

    def open(self, path, mode="r", buffering=-1, encoding=None, errors=None, newline=None):
        """Opens a file as the built-in open() does, and returns the same io classes.

        mode is "r", "w", "x" or "a" with "b" (binary), "t" (text, the default) and "+" (update).
        Binary modes return io.BufferedReader, io.BufferedWriter or io.BufferedRandom (or, with
        buffering=0, the raw sealfs.FileIO); text modes an io.TextIOWrapper with encoding,
        errors and newline as in open(). buffering=-1 uses the file's chunk size (1 MiB by
        default): each buffer fill is one round trip to the servers. New files get mode
        0o666 less the client's umask.
        """
        return open_file(self, path, mode, buffering, encoding, errors, newline)

    def fsync(self, file):
        """Flushes file (an object from open()) and returns once its data is durable."""
        file.flush()
        raw = file
        while not isinstance(raw, FileIO):
            raw = getattr(raw, "buffer", None) or getattr(raw, "raw", None)
            if raw is None:
                raise TypeError(f"not a SealFS file: {file!r}")
        raw.fsync()

    def read_bytes(self, path):
        """The whole content of the file at path."""
        with self.open(path, "rb", buffering=0) as f:
            return f.readall()

    def write_bytes(self, path, data):
        """Replaces the content of the file at path (creating it) with data; returns its size."""
        with self.open(path, "wb") as f:
            return f.write(data)

    # Attributes.

    def stat(self, path, *, follow_symlinks=True):
        """The os.stat_result of path (nanosecond times in st_*time_ns)."""
        return stat_result(self._core.stat(path, follow_symlinks))

    def lstat(self, path):
        """As stat(), but a symlink is described itself."""
        return self.stat(path, follow_symlinks=False)

    def exists(self, path):
        """True when path names something (following symlinks), as os.path.exists."""
        return self._test(path, True, None)

    def lexists(self, path):
        """True when path names something, a dangling symlink included."""
        return self._test(path, False, None)

    def isdir(self, path):
        """True when path is a directory (following symlinks)."""
        return self._test(path, True, _stat.S_ISDIR)

    def isfile(self, path):
        """True when path is a regular file (following symlinks)."""
        return self._test(path, True, _stat.S_ISREG)

    def islink(self, path):
        """True when path is a symlink."""
        return self._test(path, False, _stat.S_ISLNK)

    def getsize(self, path):
        """The size in bytes of path."""
        return self.stat(path).st_size

    def access(self, path, mode):
        """True when the client's uid and gid may access path with mode (os.F_OK, R_OK, ...)."""
        return self._core.access(path, mode)

    def chmod(self, path, mode):
        """Sets the permission bits of path."""
        self._core.chmod(path, mode)

    def chown(self, path, uid, gid):
        """Sets owner and group of path; -1 keeps one."""
        self._core.chown(path, uid, gid)

    def utime(self, path, times=None, *, ns=None):
        """Sets access and modification times as os.utime: times=(atime, mtime) in seconds,
        or ns=(atime_ns, mtime_ns), or neither for now."""
        if times is not None and ns is not None:
            raise ValueError("utime: you may specify either 'times' or 'ns' but not both")
        if times is not None:
            ns = tuple(int(round(t * 1e9)) for t in times)
        if ns is not None and len(ns) != 2:
            raise TypeError("utime: times and ns must be a pair")
        self._core.utimens(path, ns)

    def truncate(self, path, length):
        """Sets the size of the file at path, cutting it or extending it with zeros."""
        self._core.truncate(path, length)

    def statvfs(self, path="/"):
        """The os.statvfs_result of the whole file system (all servers together)."""
        fields = self._core.statvfs(path)
        return os.statvfs_result(fields[:10], {"f_fsid": fields[10]})

    # Names.

    def mkdir(self, path, mode=0o777):
        """Creates a directory (mode less the client's umask)."""
        self._core.mkdir(path, mode)

    def makedirs(self, name, mode=0o777, exist_ok=False):
        """Creates a directory and its missing parents, as os.makedirs."""
        head, tail = posixpath.split(name)
        if not tail:
            head, tail = posixpath.split(head)
        if head and tail and not self.lexists(head):
            try:
                self.makedirs(head, exist_ok=exist_ok)
            except FileExistsError:  # created by someone else in between
                pass
            if tail == (b"." if isinstance(tail, bytes) else "."):
                return
        try:
            self.mkdir(name, mode)
        except OSError:
            if not exist_ok or not self.isdir(name):
                raise

    def remove(self, path):
        """Removes a file (or symlink); IsADirectoryError for a directory."""
        self._core.unlink(path)

    unlink = remove

    def rmdir(self, path):
        """Removes an empty directory."""
        self._core.rmdir(path)

    def rename(self, src, dst):
        """Renames src to dst, replacing dst as os.rename does on POSIX."""
        self._core.rename(src, dst)

    replace = rename

    def link(self, src, dst):
        """Adds the hard link dst to the file src."""
        self._core.link(src, dst)

    def symlink(self, src, dst):
        """Creates the symlink dst whose content is src (src need not exist)."""
        self._core.symlink(src, dst)

    def readlink(self, path):
        """The target of the symlink path (bytes for a bytes path)."""
        target = self._core.readlink(path)
        return target if isinstance(os.fspath(path), bytes) else os.fsdecode(target)

    # Directories.

    def scandir(self, path="/"):
        """An iterator of DirEntry objects for path, without "." and "..", as os.scandir.

        Use it in a ``with`` block (or exhaust it, or call close()) to release the stream."""
        return _ScandirIterator(self, path)

    def listdir(self, path="/"):
        """The names in path, without "." and "..", in no particular order."""
        with self.scandir(path) as entries:
            return [entry.name for entry in entries]

    def walk(self, top="/", topdown=True, onerror=None, followlinks=False):
        """Yields (dirpath, dirnames, filenames) for each directory under top, as os.walk.

        topdown=True lets the caller prune dirnames in place; onerror is called with the
        OSError of a directory that cannot be listed; symlinks to directories are listed in
        dirnames and entered only with followlinks=True."""
        stack = [top]
        while stack:
            top = stack.pop()
            if isinstance(top, tuple):  # a bottom-up result whose subdirectories are done
                yield top
                continue
            dirs, nondirs, walk_dirs = [], [], []
            try:
                entries = self.scandir(top)
            except OSError as error:
                if onerror is not None:
                    onerror(error)
                continue
            listed = True
            with entries:
                while True:
                    try:
                        entry = next(entries)
                    except StopIteration:
                        break
                    except OSError as error:
                        if onerror is not None:
                            onerror(error)
                        listed = False
                        break
                    try:
                        is_dir = entry.is_dir()
                    except OSError:
                        is_dir = False
                    (dirs if is_dir else nondirs).append(entry.name)
                    if not topdown and is_dir and (followlinks or not entry.is_symlink()):
                        walk_dirs.append(entry.path)
            if not listed:
                continue
            if topdown:
                yield top, dirs, nondirs
                for dirname in reversed(dirs):
                    new_path = posixpath.join(top, dirname)
                    if followlinks or not self.islink(new_path):
                        stack.append(new_path)
            else:
                stack.append((top, dirs, nondirs))
                for new_path in reversed(walk_dirs):
                    stack.append(new_path)

    # Extended attributes.

    def getxattr(self, path, attribute):
        """The value (bytes) of an extended attribute; OSError ENODATA when it is absent."""
        return self._core.getxattr(path, attribute)

    def setxattr(self, path, attribute, value, flags=0):
        """Sets an extended attribute; flags os.XATTR_CREATE or os.XATTR_REPLACE."""
        self._core.setxattr(path, attribute, value, flags)

    def listxattr(self, path):
        """The names of path's extended attributes (str)."""
        names = self._core.listxattr(path)
        return [os.fsdecode(name) for name in names.split(b"\0") if name]

    def removexattr(self, path, attribute):
        """Removes an extended attribute."""
        self._core.removexattr(path, attribute)

    # The cluster.

    def cluster_status(self):
        """(epoch, [ServerStatus, ...]): the manager's map and each server's capacity now."""
        epoch, servers = self._core.cluster_status()
        return epoch, [ServerStatus(*server) for server in servers]

    def _test(self, path, follow_symlinks, predicate):
        try:
            st = self.stat(path, follow_symlinks=follow_symlinks)
        except (OSError, ValueError):
            if self.closed:
                raise
            return False
        return True if predicate is None else predicate(st.st_mode)


class DirEntry:
    """An entry of Client.scandir(), as os.DirEntry: name, path, inode(), is_dir(), is_file(),
    is_symlink(), stat(). The type comes with the listing; stat() asks the servers once and
    caches the result."""

    __slots__ = ("name", "path", "_client", "_type", "_ino", "_stat", "_lstat")

    def __init__(self, client, directory, name, d_type, ino):
        self.name = name
        """The entry's name (bytes when the directory was given as bytes)."""
        self.path = posixpath.join(directory, name)
        """The directory's path joined with name."""
        self._client = client
        self._type = d_type
        self._ino = ino
        self._stat = None
        self._lstat = None

    def __repr__(self):
        return f"<sealfs.DirEntry {self.name!r}>"

    def __fspath__(self):
        return self.path

    def inode(self):
        """The entry's inode number."""
        return self._ino

    def is_symlink(self):
        """True when the entry is a symlink."""
        return self._type == _DT_LNK

    def is_dir(self, *, follow_symlinks=True):
        """True when the entry is a directory (or, following symlinks, points to one)."""
        return self._is(_DT_DIR, _stat.S_ISDIR, follow_symlinks)

    def is_file(self, *, follow_symlinks=True):
        """True when the entry is a regular file (or, following symlinks, points to one)."""
        return self._is(_DT_REG, _stat.S_ISREG, follow_symlinks)

    def stat(self, *, follow_symlinks=True):
        """The entry's os.stat_result, cached."""
        if follow_symlinks and self.is_symlink():
            if self._stat is None:
                self._stat = self._client.stat(self.path)
            return self._stat
        if self._lstat is None:
            self._lstat = self._client.lstat(self.path)
        return self._lstat

    def _is(self, d_type, predicate, follow_symlinks):
        if self._type != _DT_LNK or not follow_symlinks:
            return self._type == d_type
        try:
            return predicate(self.stat().st_mode)
        except FileNotFoundError:  # a dangling symlink
            return False


class _ScandirIterator:
    """The iterator Client.scandir() returns: a context manager with close(), as os.scandir's."""

    def __init__(self, client, path):
        self._client = client
        self._path = path
        self._directory = os.fspath(path)
        self._bytes = isinstance(self._directory, bytes)
        self._lock = threading.Lock()
        self._batch = []
        self._stream = client._core.opendir(path)

    def __iter__(self):
        return self

    def __next__(self):
        with self._lock:  # threads sharing the iterator each get distinct entries
            while not self._batch:
                if self._stream is None:
                    raise StopIteration
                self._batch = self._stream.read(_DIR_BATCH)
                if not self._batch:
                    self.close()
                    raise StopIteration
                self._batch.reverse()
            name, d_type, ino = self._batch.pop()
        if not self._bytes:
            name = os.fsdecode(name)
        return DirEntry(self._client, self._directory, name, d_type, ino)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __del__(self):
        self.close()

    def close(self):
        """Releases the directory stream; iteration then stops."""
        stream, self._stream = getattr(self, "_stream", None), None
        self._batch = []
        if stream is not None:
            stream.close()


def _milliseconds(seconds):
    return None if seconds is None else max(1, int(seconds * 1000))

