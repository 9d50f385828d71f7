"""SealFS as an fsspec file system, protocol "sealfs": URLs sealfs://HOST:PORT/path."""

import datetime
import os
import shutil
import stat

import fsspec
from fsspec.utils import stringify_path

from ._client import Client

_PREFIX = "sealfs://"
_COPY_BLOCK = 1 << 20


class SealFSFileSystem(fsspec.AbstractFileSystem):
    """fsspec's file system interface over a sealfs.Client.

    ``fsspec.filesystem("sealfs", manager="HOST:PORT")`` or any URL
    ``sealfs://HOST:PORT/path`` (fsspec.open, pandas.read_csv, ...) reaches it once ``sealfs``
    is imported. Without a manager in the URL or the arguments, SEALFS_MANAGER names it. Other
    keyword arguments go to sealfs.Client (timeouts, chunk_size, ...); auto_mkdir=True creates
    the parent directories of files opened for writing, as fsspec's local file system does.

    Files are the io objects of Client.open(). Transactions (autocommit=False) are not
    supported. mv() is one rename, whatever a directory holds.
    """

    protocol = "sealfs"
    root_marker = "/"

    def __init__(self, manager=None, auto_mkdir=False, **client_options):
        super().__init__(manager=manager, auto_mkdir=auto_mkdir, **client_options)
        self.client = Client(manager, **client_options)
        self.manager = self.client.manager
        self.auto_mkdir = auto_mkdir

    @classmethod
    def _strip_protocol(cls, path):
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]
        path = stringify_path(path)
        if path.startswith(_PREFIX):
            path = path[len(_PREFIX):]
            slash = path.find("/")
            path = "" if slash < 0 else path[slash:]
        return "/" + path.strip("/")

    @staticmethod
    def _get_kwargs_from_urls(path):
        if not path.startswith(_PREFIX):
            return {}
        manager = path[len(_PREFIX):].split("/", 1)[0]
        return {"manager": manager} if manager else {}

    def unstrip_protocol(self, name):
        """The full URL of a path of this file system: sealfs://HOST:PORT/path."""
        return _PREFIX + self.manager + self._strip_protocol(name)

    @classmethod
    def _parent(cls, path):
        path = cls._strip_protocol(path)
        return path.rsplit("/", 1)[0] or cls.root_marker

    def _isfilestore(self):
        return True

    def ls(self, path, detail=True, **kwargs):
        """The entries of a directory (or the file itself), as info() dicts or names."""
        path = self._strip_protocol(path)
        if not self.client.isdir(path):
            info = self.info(path)
            return [info] if detail else [info["name"]]
        with self.client.scandir(path) as entries:
            names = sorted(entry.path for entry in entries)
        return [self.info(name) for name in names] if detail else names

    def info(self, path, **kwargs):
        """name, size, type ("file", "directory" or "other"), created, mtime, mode, uid, gid,
        ino, nlink, islink (and destination for a symlink), as fsspec's local file system."""
        path = self._strip_protocol(path)
        st = self.client.lstat(path)
        is_link = stat.S_ISLNK(st.st_mode)
        result = {}
        if is_link:
            result["destination"] = self.client.readlink(path)
            try:
                st = self.client.stat(path)
            except FileNotFoundError:  # dangling: describe the link itself
                pass
        if stat.S_ISDIR(st.st_mode):
            kind = "directory"
        elif stat.S_ISREG(st.st_mode):
            kind = "file"
        else:
            kind = "other"
        result.update(name=path, size=st.st_size, type=kind, created=st.st_ctime,
                      mtime=st.st_mtime, mode=st.st_mode, uid=st.st_uid, gid=st.st_gid,
                      ino=st.st_ino, nlink=st.st_nlink, islink=is_link)
        return result

    def exists(self, path, **kwargs):
        return self.client.exists(self._strip_protocol(path))

    def lexists(self, path, **kwargs):
        """True when path names something, a dangling symlink included."""
        return self.client.lexists(self._strip_protocol(path))

    def isdir(self, path):
        return self.client.isdir(self._strip_protocol(path))

    def isfile(self, path):
        return self.client.isfile(self._strip_protocol(path))

    def islink(self, path):
        """True when path is a symlink."""
        return self.client.islink(self._strip_protocol(path))

    def _open(self, path, mode="rb", block_size=None, autocommit=True, cache_options=None,
              **kwargs):
        if not autocommit:
            raise NotImplementedError("sealfs: transactions (autocommit=False) are not supported")
        path = self._strip_protocol(path)
        if self.auto_mkdir and "r" not in mode:
            self.makedirs(self._parent(path), exist_ok=True)
        buffering = block_size if isinstance(block_size, int) and block_size > 0 else -1
        f = self.client.open(path, mode, buffering=buffering)
        if "r" in mode:
            # fsspec's readers (cat_file with negative offsets, ...) look for a size attribute.
            f.size = f.seek(0, os.SEEK_END)
            f.seek(0)
        return f

    def mkdir(self, path, create_parents=True, **kwargs):
        path = self._strip_protocol(path)
        if create_parents:
            if self.client.lexists(path):
                raise FileExistsError(17, "File exists", path)
            self.client.makedirs(path, exist_ok=True)
        else:
            self.client.mkdir(path)

    def makedirs(self, path, exist_ok=False):
        self.client.makedirs(self._strip_protocol(path), exist_ok=exist_ok)

    def rmdir(self, path):
        self.client.rmdir(self._strip_protocol(path))

    def rm_file(self, path):
        self.client.remove(self._strip_protocol(path))

    def rm(self, path, recursive=False, maxdepth=None):
        """Removes files; with recursive=True, directories with everything under them."""
        for found in reversed(self.expand_path(path, recursive=recursive, maxdepth=maxdepth)):
            self._rm(found)

    def _rm(self, path):
        path = self._strip_protocol(path)
        if self.client.isdir(path) and not self.client.islink(path):
            self.client.rmdir(path)
        else:
            self.client.remove(path)

    def mv(self, path1, path2, recursive=False, maxdepth=None, **kwargs):
        """Renames path1 to path2 (one rename, a whole directory at once)."""
        if isinstance(path1, list) or isinstance(path2, list):
            return super().mv(path1, path2, recursive=recursive, maxdepth=maxdepth, **kwargs)
        self.client.rename(self._strip_protocol(path1), self._strip_protocol(path2))
        return None

    def cp_file(self, path1, path2, **kwargs):
        """Copies the file path1 to path2 (for a directory, creates path2)."""
        path1 = self._strip_protocol(path1)
        path2 = self._strip_protocol(path2)
        if self.auto_mkdir:
            self.makedirs(self._parent(path2), exist_ok=True)
        if self.client.isfile(path1):
            with self.client.open(path1, "rb") as source, self.client.open(path2, "wb") as target:
                shutil.copyfileobj(source, target, _COPY_BLOCK)
        elif self.client.isdir(path1):
            self.client.makedirs(path2, exist_ok=True)
        else:
            raise FileNotFoundError(2, "No such file or directory", path1)

    def touch(self, path, truncate=True, **kwargs):
        path = self._strip_protocol(path)
        if self.auto_mkdir:
            self.makedirs(self._parent(path), exist_ok=True)
        if truncate or not self.client.exists(path):
            self.client.open(path, "wb", buffering=0).close()
        else:
            self.client.utime(path)

    def created(self, path):
        """The inode's change time as a UTC datetime (SealFS keeps no birth time)."""
        return _utc(self.info(path)["created"])

    def modified(self, path):
        """The modification time as a UTC datetime."""
        return _utc(self.info(path)["mtime"])

    def link(self, src, dst, **kwargs):
        """Adds the hard link dst to the file src."""
        self.client.link(self._strip_protocol(src), self._strip_protocol(dst))

    def symlink(self, src, dst, **kwargs):
        """Creates the symlink dst whose content is src."""
        self.client.symlink(src, self._strip_protocol(dst))

    def chmod(self, path, mode):
        """Sets the permission bits of path."""
        self.client.chmod(self._strip_protocol(path), mode)


# fsspec finds implementations through entry points of installed distributions; this package is
# installed by CMake, not pip, so it registers itself when imported.
fsspec.register_implementation(SealFSFileSystem.protocol, SealFSFileSystem, clobber=True)


def _utc(timestamp):
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.timezone.utc)
