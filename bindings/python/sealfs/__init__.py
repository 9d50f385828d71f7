"""SealFS from Python: files as io objects, os-like calls, and an fsspec file system.

Connect to a cluster by its manager's address (or the SEALFS_MANAGER environment variable),
then use the client as you would use ``open`` and ``os``::

    import sealfs

    with sealfs.connect("127.0.0.1:7000") as fs:     # or sealfs.connect(): $SEALFS_MANAGER
        fs.makedirs("/data/logs", exist_ok=True)
        with fs.open("/data/logs/a.txt", "w") as f:    # a real io.TextIOWrapper
            f.write("hello\\n")
        with fs.open("/data/logs/a.txt") as f:
            for line in f:
                print(line, end="")
        print(fs.listdir("/data/logs"), fs.stat("/data/logs/a.txt").st_size)
        for top, dirs, files in fs.walk("/"):
            print(top, dirs, files)

``Client.open`` takes the modes, buffering, encoding, errors and newline of the built-in
``open`` and returns the same classes (io.BufferedReader, io.BufferedWriter, io.BufferedRandom,
io.TextIOWrapper over a sealfs.FileIO), so ``shutil.copyfileobj``, ``json.load``, ``csv`` and
anything else written for files work unchanged. There is no OS file descriptor: ``fileno()``
raises io.UnsupportedOperation. Paths are absolute within SealFS ("/a/b").

Errors raise the OSError subclass of their errno (FileNotFoundError, FileExistsError,
IsADirectoryError, NotADirectoryError, PermissionError, ...) with ``errno``, ``filename`` and,
for rename and link, ``filename2``. Every call releases the GIL while it waits on the network,
so threads sharing one client overlap; a client may be shared by any number of threads.

fsspec: importing sealfs registers the protocol "sealfs" (fsspec's entry points need an installed
distribution, so the registration happens on import: ``import sealfs`` first). Then
``fsspec.open("sealfs://127.0.0.1:7000/data/x.csv")``, ``fsspec.filesystem("sealfs",
manager="127.0.0.1:7000")`` and pandas' ``pd.read_csv("sealfs://127.0.0.1:7000/data/x.csv")``
read and write SealFS files; see SealFSFileSystem.
"""

from ._client import Client, DirEntry, ServerStatus, connect
from ._fileio import FileIO
from ._sealfs import version as _library_version

__version__ = _library_version()
"""The version of the libsealfs loaded, "MAJOR.MINOR.PATCH"."""

__all__ = ["Client", "DirEntry", "FileIO", "ServerStatus", "connect", "__version__"]

try:
    from ._filesystem import SealFSFileSystem  # registers the protocol "sealfs" with fsspec
except ModuleNotFoundError as missing:  # fsspec is optional: without it, the rest works
    if missing.name != "fsspec":
        raise
else:
    __all__.append("SealFSFileSystem")
