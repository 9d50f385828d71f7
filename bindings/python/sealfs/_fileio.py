"""Files on SealFS as io objects: a raw FileIO and the open() that stacks io's classes on it."""

import io
import os
import stat
import warnings

# Each read or write of the raw file is at least one network round trip, so the buffers are as
# large as a chunk (a file's st_blksize) rather than io.DEFAULT_BUFFER_SIZE. Files opened only
# to write skip the fstat and take the cluster's default chunk size.
_DEFAULT_BUFFER_SIZE = 1 << 20


class FileIO(io.RawIOBase):
    """A raw, unbuffered file on SealFS, as io.FileIO is for a local file.

    Client.open() wraps it in io.BufferedReader, io.BufferedWriter, io.BufferedRandom and
    io.TextIOWrapper exactly as the built-in open() wraps io.FileIO; buffering=0 returns it
    alone. ``name`` is the path and ``mode`` one of io.FileIO's ("rb", "wb", "xb", "ab", with
    "+" for update). There is no OS descriptor: fileno() raises io.UnsupportedOperation.
    """

    def __init__(self, client, path, mode="r"):
        """Opens path on client (a sealfs.Client) with mode "r", "w", "x" or "a", plus "+".

        Raises the OSError subclass of the failure, IsADirectoryError for a directory.
        """
        super().__init__()
        self._fd = -1
        self._core = client._core
        flags, self._readable, self._writable = _flags_of(mode)
        self._appending = "a" in mode
        self._blksize = _DEFAULT_BUFFER_SIZE
        self.name = path
        self.mode = _raw_mode(mode)
        self._fd = self._core.open(path, flags, 0o666)
        try:
            if self._readable:
                st = self._core.fstat(self._fd)
                if stat.S_ISDIR(st[0]):
                    raise IsADirectoryError(21, os.strerror(21), path)
                if st[10] > 1:
                    self._blksize = st[10]
            if self._appending:
                self._core.lseek(self._fd, 0, os.SEEK_END)
        except BaseException:
            fd, self._fd = self._fd, -1
            self._core.close_fd(fd)
            raise

    def __repr__(self):
        if self.closed:
            return "<sealfs.FileIO [closed]>"
        return f"<sealfs.FileIO name={self.name!r} mode={self.mode!r}>"

    def _check_open(self):
        if self._fd < 0:
            raise ValueError("I/O operation on closed file")

    def readable(self):
        """True when opened for reading."""
        self._check_open()
        return self._readable

    def writable(self):
        """True when opened for writing."""
        self._check_open()
        return self._writable

    def seekable(self):
        """True: SealFS files can always seek."""
        self._check_open()
        return True

    def read(self, size=-1):
        """Reads up to size bytes (to the end of the file when size is negative or None)."""
        self._check_open()
        self._check_readable()
        if size is None:
            size = -1
        return self._core.read(self._fd, size)

    def readall(self):
        """Reads to the end of the file."""
        return self.read(-1)

    def readinto(self, buffer):
        """Reads into a writable bytes-like object; returns the count, 0 at the end."""
        self._check_open()
        self._check_readable()
        return self._core.readinto(self._fd, buffer)

    def write(self, data):
        """Writes a bytes-like object at the offset (the end in append mode); returns the count."""
        self._check_open()
        if not self._writable:
            raise io.UnsupportedOperation("File not open for writing")
        return self._core.write(self._fd, data)

    def seek(self, offset, whence=os.SEEK_SET):
        """Moves the offset (os.SEEK_SET, SEEK_CUR, SEEK_END); returns the new offset."""
        self._check_open()
        return self._core.lseek(self._fd, offset, whence)

    def tell(self):
        """The current offset."""
        self._check_open()
        return self._core.lseek(self._fd, 0, os.SEEK_CUR)

    def truncate(self, size=None):
        """Sets the file's size (default: the current offset); the offset does not move."""
        self._check_open()
        if not self._writable:
            raise io.UnsupportedOperation("File not open for writing")
        if size is None:
            size = self.tell()
        self._core.ftruncate(self._fd, size)
        return size

    def fsync(self):
        """Returns once everything written is durable on the servers."""
        self._check_open()
        self._core.fsync(self._fd)

    def stat(self):
        """The file's os.stat_result (fstat)."""
        self._check_open()
        return stat_result(self._core.fstat(self._fd))

    def close(self):
        """Closes the descriptor; closing twice is a no-op."""
        if self._fd < 0:
            return
        try:
            super().close()
        finally:
            fd, self._fd = self._fd, -1
            self._core.close_fd(fd)

    @property
    def closed(self):
        """True once closed."""
        return self._fd < 0

    def _check_readable(self):
        if not self._readable:
            raise io.UnsupportedOperation("File not open for reading")


def stat_result(fields):
    """An os.stat_result from the library's (mode, ino, dev, nlink, uid, gid, size, atime_ns,
    mtime_ns, ctime_ns, blksize, blocks, rdev)."""
    (mode, ino, dev, nlink, uid, gid, size, atime_ns, mtime_ns, ctime_ns, blksize, blocks,
     rdev) = fields
    return os.stat_result(
        (mode, ino, dev, nlink, uid, gid, size, atime_ns // 10**9, mtime_ns // 10**9,
         ctime_ns // 10**9),
        {
            "st_atime": atime_ns / 1e9, "st_mtime": mtime_ns / 1e9, "st_ctime": ctime_ns / 1e9,
            "st_atime_ns": atime_ns, "st_mtime_ns": mtime_ns, "st_ctime_ns": ctime_ns,
            "st_blksize": blksize, "st_blocks": blocks, "st_rdev": rdev,
        })


def _flags_of(mode):
    """The open(2) flags, readable and writable of an io.FileIO mode."""
    updating = "+" in mode
    if "r" in mode:
        flags, readable, writable = os.O_RDONLY, True, False
    elif "w" in mode:
        flags, readable, writable = os.O_WRONLY | os.O_CREAT | os.O_TRUNC, False, True
    elif "x" in mode:
        flags, readable, writable = os.O_WRONLY | os.O_CREAT | os.O_EXCL, False, True
    elif "a" in mode:
        flags, readable, writable = os.O_WRONLY | os.O_CREAT | os.O_APPEND, False, True
    else:
        raise ValueError(f"invalid mode: {mode!r}")
    if updating:
        flags = (flags & ~(os.O_RDONLY | os.O_WRONLY)) | os.O_RDWR
        readable = writable = True
    return flags, readable, writable


def _raw_mode(mode):
    """The mode string io.FileIO reports for the same mode."""
    for letter in "xarw":
        if letter in mode:
            return letter + "b" + ("+" if "+" in mode else "")
    raise ValueError(f"invalid mode: {mode!r}")


def open_file(client, path, mode="r", buffering=-1, encoding=None, errors=None, newline=None):
    """The built-in open()'s checks and layering (as in CPython's _pyio.open) over FileIO."""
    if not isinstance(mode, str):
        raise TypeError(f"invalid mode: {mode!r}")
    if not isinstance(buffering, int):
        raise TypeError(f"invalid buffering: {buffering!r}")
    if encoding is not None and not isinstance(encoding, str):
        raise TypeError(f"invalid encoding: {encoding!r}")
    if errors is not None and not isinstance(errors, str):
        raise TypeError(f"invalid errors: {errors!r}")
    modes = set(mode)
    if modes - set("axrwb+t") or len(mode) > len(modes):
        raise ValueError(f"invalid mode: {mode!r}")
    creating, reading, writing, appending = ("x" in modes, "r" in modes, "w" in modes,
                                             "a" in modes)
    updating, text, binary = "+" in modes, "t" in modes, "b" in modes
    if text and binary:
        raise ValueError("can't have text and binary mode at once")
    if creating + reading + writing + appending != 1:
        raise ValueError("must have exactly one of create/read/write/append mode")
    if binary and encoding is not None:
        raise ValueError("binary mode doesn't take an encoding argument")
    if binary and errors is not None:
        raise ValueError("binary mode doesn't take an errors argument")
    if binary and newline is not None:
        raise ValueError("binary mode doesn't take a newline argument")
    if binary and buffering == 1:
        warnings.warn("line buffering (buffering=1) isn't supported in binary mode, "
                      "the default buffer size will be used", RuntimeWarning, 2)
    raw = FileIO(client, path,
                 (creating and "x" or "") + (reading and "r" or "") + (writing and "w" or "") +
                 (appending and "a" or "") + (updating and "+" or ""))
    result = raw
    try:
        line_buffering = False
        if buffering == 1:
            buffering = -1
            line_buffering = True
        if buffering < 0:
            buffering = raw._blksize
        if buffering == 0:
            if binary:
                return result
            raise ValueError("can't have unbuffered text I/O")
        if updating:
            buffer = io.BufferedRandom(raw, buffering)
        elif creating or writing or appending:
            buffer = io.BufferedWriter(raw, buffering)
        else:
            buffer = io.BufferedReader(raw, buffering)
        result = buffer
        if binary:
            return result
        encoding = io.text_encoding(encoding)
        result = io.TextIOWrapper(buffer, encoding, errors, newline, line_buffering)
        result.mode = mode
        return result
    except BaseException:
        result.close()
        raise
