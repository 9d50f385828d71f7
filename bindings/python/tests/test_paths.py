"""The os-like calls of sealfs.Client: stat, directories, names, walk, xattrs, errors; each
checked against os on a local temp dir where the two should agree."""

import errno
import os
import posixpath
import stat
import time

import pytest

import sealfs


def make_tree(client, root, local):
    """The same small tree in SealFS under root and locally under local:
    a/ (f1, f2, b/ (f3), empty/), top, link_to_a -> a, dangling -> nowhere."""
    for base, mkdir, write, symlink in (
            (root, client.mkdir, client.write_bytes, client.symlink),
            (local, os.mkdir, _write_local, os.symlink)):
        mkdir(f"{base}/a")
        mkdir(f"{base}/a/b")
        mkdir(f"{base}/a/empty")
        write(f"{base}/a/f1", b"1")
        write(f"{base}/a/f2", b"22")
        write(f"{base}/a/b/f3", b"333")
        write(f"{base}/top", b"top")
        symlink("a", f"{base}/link_to_a")
        symlink("nowhere", f"{base}/dangling")


def _write_local(path, data):
    with open(path, "wb") as f:
        f.write(data)


def relative_walk(walk, top):
    """A walk's output with paths relative to top and lists sorted, to compare two walks."""
    out = []
    for dirpath, dirnames, filenames in walk:
        out.append((posixpath.relpath(dirpath, top), sorted(dirnames), sorted(filenames)))
    return out


def assert_walk_order(walk, topdown):
    """Each directory comes after its parent (top-down) or before it (bottom-up)."""
    position = {dirpath: k for k, (dirpath, _, _) in enumerate(walk)}
    for dirpath, k in position.items():
        if dirpath != ".":
            parent = position[posixpath.dirname(dirpath) or "."]
            assert (parent < k) if topdown else (parent > k), walk


def test_stat_is_an_os_stat_result_with_nanoseconds(client, root):
    path = f"{root}/f"
    before = time.time_ns()
    client.write_bytes(path, b"hello")
    st = client.stat(path)
    assert isinstance(st, os.stat_result)
    assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o644  # 0o666 & ~0o022
    assert (st.st_size, st.st_nlink) == (5, 1)
    assert (st.st_uid, st.st_gid) == (os.getuid(), os.getgid())
    assert before - 2 * 10**9 <= st.st_mtime_ns <= time.time_ns() + 2 * 10**9
    assert st.st_mtime == pytest.approx(st.st_mtime_ns / 1e9)
    assert st[stat.ST_MTIME] == st.st_mtime_ns // 10**9
    assert st.st_blksize > 0 and st.st_blocks == 1
    assert client.lstat(path) == st
    with client.open(path, "rb", buffering=0) as f:
        assert f.stat() == st
    assert client.getsize(path) == 5
    assert stat.S_ISDIR(client.stat(root).st_mode)


def test_utime_sets_nanoseconds_exactly(client, root):
    path = f"{root}/t"
    client.write_bytes(path, b"")
    client.utime(path, ns=(1_000_000_123, 2_000_000_456))
    st = client.stat(path)
    assert (st.st_atime_ns, st.st_mtime_ns) == (1_000_000_123, 2_000_000_456)
    client.utime(path, (5.5, 6.25))
    st = client.stat(path)
    assert (st.st_atime_ns, st.st_mtime_ns) == (5_500_000_000, 6_250_000_000)
    client.utime(path)
    assert abs(client.stat(path).st_mtime - time.time()) < 60
    with pytest.raises(ValueError):
        client.utime(path, (1, 2), ns=(1, 2))


def test_symlinks_and_hard_links(client, root):
    client.write_bytes(f"{root}/target", b"data")
    client.symlink("target", f"{root}/rel")
    client.symlink(f"{root}/target", f"{root}/abs")
    assert client.readlink(f"{root}/rel") == "target"
    assert client.readlink(f"{root}/abs".encode()) == f"{root}/target".encode()
    assert stat.S_ISLNK(client.lstat(f"{root}/rel").st_mode)
    assert client.stat(f"{root}/abs").st_ino == client.stat(f"{root}/target").st_ino
    assert client.read_bytes(f"{root}/rel") == b"data"
    assert client.islink(f"{root}/rel") and not client.islink(f"{root}/target")
    client.link(f"{root}/target", f"{root}/hard")
    assert client.stat(f"{root}/target").st_nlink == 2
    client.remove(f"{root}/target")
    assert client.read_bytes(f"{root}/hard") == b"data"
    assert not client.exists(f"{root}/rel") and client.lexists(f"{root}/rel")
    with pytest.raises(FileNotFoundError):
        client.stat(f"{root}/rel")
    with pytest.raises(OSError) as raised:
        client.readlink(f"{root}/hard")
    assert raised.value.errno == errno.EINVAL


def test_scandir_entries_match_os_scandir(client, root, tmp_path):
    make_tree(client, root, str(tmp_path))

    def describe(entries, base):
        out = {}
        for entry in entries:
            assert entry.path == posixpath.join(base, entry.name)
            assert os.fspath(entry) == entry.path
            out[entry.name] = (
                entry.is_dir(), entry.is_dir(follow_symlinks=False), entry.is_file(),
                entry.is_file(follow_symlinks=False), entry.is_symlink(),
                stat.S_IFMT(entry.stat(follow_symlinks=False).st_mode),
                entry.stat().st_size if entry.is_file() else None)
        return out

    with client.scandir(root) as remote, os.scandir(tmp_path) as local:
        assert describe(remote, root) == describe(local, str(tmp_path))
    remote_entries = {e.name: e for e in client.scandir(root)}
    assert remote_entries["top"].inode() == client.stat(f"{root}/top").st_ino
    assert "top" in repr(remote_entries["top"])
    with pytest.raises(FileNotFoundError):
        remote_entries["dangling"].stat()
    assert sorted(client.listdir(root)) == sorted(os.listdir(tmp_path))
    assert sorted(client.listdir(f"{root}/a".encode())) == sorted(
        os.listdir(str(tmp_path / "a").encode()))
    assert client.listdir(f"{root}/a/empty") == []
    assert "a" in client.listdir() or root.lstrip("/") in client.listdir()


def test_scandir_streams_large_directories(client, root):
    names = {f"file-{i:05d}" for i in range(2500)}  # more than one batch from the stream
    for name in names:
        client.open(f"{root}/{name}", "wb", buffering=0).close()
    iterator = client.scandir(root)
    first = next(iterator)
    iterator.close()
    assert first.name in names
    assert list(iterator) == []
    assert set(client.listdir(root)) == names


@pytest.mark.parametrize("topdown", [True, False])
@pytest.mark.parametrize("followlinks", [False, True])
def test_walk_matches_os_walk(client, root, tmp_path, topdown, followlinks):
    make_tree(client, root, str(tmp_path))
    remote = relative_walk(client.walk(root, topdown=topdown, followlinks=followlinks), root)
    local = relative_walk(os.walk(tmp_path, topdown=topdown, followlinks=followlinks),
                          str(tmp_path))
    assert sorted(remote) == sorted(local)  # directories are listed in no particular order
    assert_walk_order(remote, topdown)
    assert remote[0 if topdown else -1][0] == "."


def test_walk_prunes_and_reports_errors_as_os_walk(client, root, tmp_path):
    make_tree(client, root, str(tmp_path))
    results = []
    for top, walk in ((root, client.walk), (str(tmp_path), os.walk)):
        visited = []
        for dirpath, dirnames, _ in walk(top):
            visited.append(posixpath.relpath(dirpath, top))
            if "b" in dirnames:
                dirnames.remove("b")
        results.append(sorted(visited))
    assert results[0] == results[1] == [".", "a", "a/empty"]
    errors = []
    assert list(client.walk(f"{root}/missing", onerror=errors.append)) == []
    assert isinstance(errors[0], FileNotFoundError) and errors[0].filename == f"{root}/missing"
    assert list(client.walk(f"{root}/missing")) == []
    bytes_walk = list(client.walk(f"{root}/a/b".encode()))
    assert bytes_walk == [(f"{root}/a/b".encode(), [], [b"f3"])]


def test_mkdir_and_makedirs_as_os(client, root, tmp_path):
    for base, fs in ((root, client), (str(tmp_path), os)):
        fs.makedirs(f"{base}/x/y/z")
        fs.makedirs(f"{base}/x/y/z", exist_ok=True)
        fs.makedirs(f"{base}/x/y/z/", exist_ok=True)
        with pytest.raises(FileExistsError) as raised:
            fs.makedirs(f"{base}/x/y")
        assert raised.value.errno == errno.EEXIST and raised.value.filename == f"{base}/x/y"
        with pytest.raises(FileExistsError):
            fs.mkdir(f"{base}/x")
        with pytest.raises(FileNotFoundError):
            fs.mkdir(f"{base}/nope/child")
    client.write_bytes(f"{root}/file", b"")
    with pytest.raises(FileExistsError):
        client.makedirs(f"{root}/file", exist_ok=True)
    with pytest.raises(NotADirectoryError):
        client.makedirs(f"{root}/file/child")
    client.mkdir(f"{root}/private", 0o700)
    assert stat.S_IMODE(client.stat(f"{root}/private").st_mode) == 0o700
    client.makedirs("/", exist_ok=True)


# (operation on a client or the os module, arguments relative to a base dir); each raises the
# same OSError subclass and errno on SealFS as on a local dir holding the same tree.
ERROR_CASES = [
    ("remove", ["a"]),
    ("remove", ["missing"]),
    ("rmdir", ["a"]),
    ("rmdir", ["top"]),
    ("rmdir", ["missing"]),
    ("rename", ["missing", "x"]),
    ("rename", ["a", "a/b/inside"]),
    ("rename", ["top", "a"]),
    ("rename", ["a/b", "a/f1"]),
    ("rename", ["a/empty", "a"]),
    ("link", ["a", "hard"]),
    ("link", ["top", "a/f1"]),
    ("symlink", ["x", "top"]),
    ("listdir", ["top"]),
    ("listdir", ["missing"]),
    ("stat", ["top/x"]),
    ("mkdir", ["top/x"]),
    ("truncate", ["a", 0]),
]


@pytest.mark.parametrize("operation, args", ERROR_CASES,
                         ids=[f"{op}-{'-'.join(map(str, a))}" for op, a in ERROR_CASES])
def test_errors_match_os(client, root, tmp_path, operation, args):
    make_tree(client, root, str(tmp_path))

    def call(fs, base):
        paths = [f"{base}/{a}" if isinstance(a, str) else a for a in args]
        with pytest.raises(OSError) as raised:
            getattr(fs, operation)(*paths)
        return raised.value, paths

    local, local_paths = call(os, str(tmp_path))
    remote, remote_paths = call(client, root)
    assert (type(remote), remote.errno) == (type(local), local.errno)
    assert remote.filename == remote_paths[0]
    if operation in ("rename", "link", "symlink"):
        assert remote.filename2 == remote_paths[1]
    assert remote.strerror == os.strerror(remote.errno)


def test_remove_rename_and_replace(client, root):
    client.write_bytes(f"{root}/old", b"old")
    client.write_bytes(f"{root}/other", b"other")
    client.rename(f"{root}/old", f"{root}/other")
    assert client.read_bytes(f"{root}/other") == b"old"
    assert not client.exists(f"{root}/old")
    client.makedirs(f"{root}/d1/sub")
    client.write_bytes(f"{root}/d1/sub/f", b"deep")
    client.replace(f"{root}/d1", f"{root}/d2")
    assert client.read_bytes(f"{root}/d2/sub/f") == b"deep"
    client.remove(f"{root}/d2/sub/f")
    client.rmdir(f"{root}/d2/sub")
    client.rmdir(f"{root}/d2")
    assert client.listdir(root) == ["other"]
    with pytest.raises(OSError) as raised:
        client.remove("relative/path")
    assert raised.value.errno == errno.EINVAL


def test_paths_may_be_pathlike_or_bytes(client, root):
    import pathlib

    path = pathlib.PurePosixPath(root) / "p"
    client.write_bytes(path, b"via pathlib")
    assert client.read_bytes(os.fsencode(path)) == b"via pathlib"
    with client.open(path) as f:
        assert f.name == path
    with pytest.raises(FileNotFoundError) as raised:
        client.stat(path.parent / "missing")
    assert raised.value.filename == path.parent / "missing"
    with pytest.raises(ValueError):
        client.stat(f"{root}/nul\0byte")


def test_truncate_chmod_access_statvfs(client, root):
    path = f"{root}/f"
    client.write_bytes(path, b"0123456789")
    client.truncate(path, 4)
    assert client.read_bytes(path) == b"0123"
    client.chmod(path, 0o600)
    assert stat.S_IMODE(client.stat(path).st_mode) == 0o600
    client.chown(path, -1, -1)
    assert client.access(path, os.R_OK | os.W_OK)
    assert not client.access(f"{root}/missing", os.F_OK)
    vfs = client.statvfs()
    assert isinstance(vfs, os.statvfs_result)
    assert vfs.f_blocks > 0 and vfs.f_bsize > 0 and vfs.f_namemax == 255


def test_xattrs(client, root):
    path = f"{root}/x"
    client.write_bytes(path, b"")
    assert client.listxattr(path) == []
    client.setxattr(path, "user.one", b"1")
    client.setxattr(path, b"user.two", bytearray(b"\0binary\xff"))
    assert sorted(client.listxattr(path)) == ["user.one", "user.two"]
    assert client.getxattr(path, "user.two") == b"\0binary\xff"
    client.setxattr(path, "user.one", b"", os.XATTR_REPLACE)
    assert client.getxattr(path, "user.one") == b""
    with pytest.raises(FileExistsError):
        client.setxattr(path, "user.one", b"x", os.XATTR_CREATE)
    with pytest.raises(OSError) as raised:
        client.setxattr(path, "user.three", b"x", os.XATTR_REPLACE)
    assert raised.value.errno == errno.ENODATA
    client.removexattr(path, "user.one")
    with pytest.raises(OSError) as raised:
        client.getxattr(path, "user.one")
    assert raised.value.errno == errno.ENODATA and raised.value.filename == path
    big = bytes(range(256)) * 200
    client.setxattr(root, "user.big", big)
    assert client.getxattr(root, "user.big") == big
    with pytest.raises(FileNotFoundError):
        client.listxattr(f"{root}/missing")


def test_connect_by_environment_and_errors(cluster, monkeypatch):
    monkeypatch.setenv("SEALFS_MANAGER", cluster.manager_address)
    with sealfs.connect() as client:
        assert client.manager == cluster.manager_address
        assert cluster.manager_address in repr(client)
        epoch, servers = client.cluster_status()
        assert epoch >= 1
        assert sorted(s.address for s in servers) == sorted(cluster.server_addresses)
        assert all(s.up and s.reachable and s.total_bytes > 0 for s in servers)
    assert "closed" in repr(client)
    monkeypatch.delenv("SEALFS_MANAGER")
    with pytest.raises(ValueError, match="SEALFS_MANAGER"):
        sealfs.connect()
    with pytest.raises(OSError) as raised:
        sealfs.connect("not an address")
    assert raised.value.errno == errno.EINVAL
    with pytest.raises(OSError):
        sealfs.Client("127.0.0.1:1", connect_timeout=0.5, request_timeout=0.5)
    with pytest.raises(OSError) as raised:
        sealfs.connect(cluster.manager_address, chunk_size=1000)
    assert raised.value.errno == errno.EINVAL


def test_chunk_size_and_umask_options(cluster, root):
    with sealfs.connect(cluster.manager_address, chunk_size=64 * 1024, umask=0o077) as client:
        client.write_bytes(f"{root}/small-chunks", b"x" * 200_000)
        st = client.stat(f"{root}/small-chunks")
        assert st.st_blksize == 64 * 1024
        assert stat.S_IMODE(st.st_mode) == 0o600
        with client.open(f"{root}/small-chunks", "rb") as f:
            assert f.read() == b"x" * 200_000
