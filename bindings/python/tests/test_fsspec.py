"""fsspec over SealFS: URLs sealfs://HOST:PORT/path, and fsspec's API checked against fsspec's
own local file system doing the same work on a temp dir."""

import datetime
import os

import fsspec
import pytest

import sealfs


@pytest.fixture
def sfs(cluster):
    """The fsspec file system of the session's cluster."""
    return fsspec.filesystem("sealfs", manager=cluster.manager_address)


@pytest.fixture
def url(cluster, root):
    """The URL of the test's directory."""
    return f"sealfs://{cluster.manager_address}{root}"


def make_tree(fs, base):
    fs.makedirs(f"{base}/d/sub", exist_ok=True)
    fs.pipe_file(f"{base}/d/one", b"1")
    fs.pipe_file(f"{base}/d/sub/two", b"22")
    fs.pipe_file(f"{base}/d/sub/three", b"333")
    fs.pipe_file(f"{base}/top", b"top!")


def relative(names, base):
    return sorted(os.path.relpath(n, base) for n in names)


def test_protocol_is_registered_on_import():
    assert fsspec.get_filesystem_class("sealfs") is sealfs.SealFSFileSystem
    strip = sealfs.SealFSFileSystem._strip_protocol
    assert strip("sealfs://127.0.0.1:7000/a/b/") == "/a/b"
    assert strip("sealfs://127.0.0.1:7000") == "/"
    assert strip("sealfs:///a") == "/a"
    assert strip("/a/b") == "/a/b"
    assert sealfs.SealFSFileSystem._get_kwargs_from_urls("sealfs://10.0.0.1:9/x") == {
        "manager": "10.0.0.1:9"}
    assert sealfs.SealFSFileSystem._get_kwargs_from_urls("sealfs:///x") == {}


def test_fsspec_open_by_url(url, sfs, root):
    with fsspec.open(f"{url}/new/dir/hello.txt", "w", encoding="utf-8") as f:  # auto_mkdir
        f.write("h\u00e9llo\nworld\n")
    with fsspec.open(f"{url}/new/dir/hello.txt", "r", encoding="utf-8") as f:
        assert f.readlines() == ["h\u00e9llo\n", "world\n"]
    with fsspec.open(f"{url}/new/dir/hello.txt", "rb") as f:
        assert f.read() == "h\u00e9llo\nworld\n".encode()
    assert sfs.cat_file(f"{root}/new/dir/hello.txt") == "h\u00e9llo\nworld\n".encode()
    of = fsspec.open(f"{url}/new/dir/hello.txt", "rb")
    f = of.open()
    assert f.read(1) == b"h"
    f.close()
    fs, path = fsspec.core.url_to_fs(f"{url}/new")
    assert fs is sfs and path == f"{root}/new"
    assert sfs.unstrip_protocol(path) == f"{url}/new"


def test_compression_through_fsspec(url):
    text = "line\n" * 1000
    with fsspec.open(f"{url}/z.gz", "wt", compression="gzip") as f:
        f.write(text)
    with fsspec.open(f"{url}/z.gz", "rt", compression="infer") as f:
        assert f.read() == text


def test_api_matches_local_file_system(sfs, root, tmp_path):
    local = fsspec.filesystem("file")
    base_local = str(tmp_path)
    for fs, base in ((sfs, root), (local, base_local)):
        make_tree(fs, base)
    for method in ("find", "ls"):
        remote = getattr(sfs, method)(f"{root}/d", detail=False)
        here = getattr(local, method)(f"{base_local}/d", detail=False)
        assert relative(remote, root) == relative(here, base_local)
    assert relative(sfs.find(root, withdirs=True), root) == relative(
        local.find(base_local, withdirs=True), base_local)
    assert sfs.du(root) == local.du(base_local) == 10
    assert sfs.du(root, total=False).keys() == {f"{root}/{p}" for p in
                                                ("d/one", "d/sub/two", "d/sub/three", "top")}
    remote_walk = [(os.path.relpath(p, root), sorted(d), sorted(f)) for p, d, f in sfs.walk(root)]
    local_walk = [(os.path.relpath(p, base_local), sorted(d), sorted(f))
                  for p, d, f in local.walk(base_local)]
    assert sorted(remote_walk) == sorted(local_walk)
    assert relative(sfs.glob(f"{root}/d/**/t*"), root) == relative(
        local.glob(f"{base_local}/d/**/t*"), base_local)
    for name in ("top", "d", "d/sub/two"):
        remote, here = sfs.info(f"{root}/{name}"), local.info(f"{base_local}/{name}")
        assert remote["type"] == here["type"]
        if here["type"] == "file":
            assert remote["size"] == here["size"]
    assert sfs.isdir(f"{root}/d") and sfs.isfile(f"{root}/top") and sfs.exists(f"{root}/top")
    assert not sfs.exists(f"{root}/missing")
    with pytest.raises(FileNotFoundError):
        sfs.info(f"{root}/missing")
    with pytest.raises(FileNotFoundError):
        sfs.ls(f"{root}/missing")
    assert sfs.ls(f"{root}/top", detail=False) == [f"{root}/top"]


def test_cat_pipe_ranges_and_head_tail(sfs, root):
    sfs.pipe({f"{root}/a": b"0123456789", f"{root}/b": b"abc"})
    assert sfs.cat([f"{root}/a", f"{root}/b"]) == {f"{root}/a": b"0123456789",
                                                    f"{root}/b": b"abc"}
    assert sfs.cat_file(f"{root}/a", start=2, end=5) == b"234"
    assert sfs.cat_file(f"{root}/a", start=-3) == b"789"
    assert sfs.head(f"{root}/a", 4) == b"0123"
    assert sfs.tail(f"{root}/a", 2) == b"89"
    assert sfs.read_text(f"{root}/b") == "abc"
    sfs.write_text(f"{root}/c", "text")
    assert sfs.size(f"{root}/c") == 4


def test_copy_move_remove(sfs, root):
    make_tree(sfs, root)
    sfs.cp_file(f"{root}/top", f"{root}/top-copy")
    assert sfs.cat_file(f"{root}/top-copy") == b"top!"
    sfs.copy(f"{root}/d", f"{root}/d2", recursive=True)
    assert sfs.cat_file(f"{root}/d2/sub/three") == b"333"
    ino = sfs.info(f"{root}/d2/sub/three")["ino"]
    sfs.mv(f"{root}/d2", f"{root}/d3")  # one rename: the files keep their inodes
    assert sfs.info(f"{root}/d3/sub/three")["ino"] == ino
    assert not sfs.exists(f"{root}/d2")
    sfs.rm(f"{root}/d3", recursive=True)
    assert not sfs.exists(f"{root}/d3")
    sfs.rm_file(f"{root}/top-copy")
    sfs.rm(f"{root}/d/one")
    assert sorted(sfs.ls(root, detail=False)) == [f"{root}/d", f"{root}/top"]
    with pytest.raises(FileNotFoundError):
        sfs.cp_file(f"{root}/missing", f"{root}/x")


def test_directories_touch_and_times(sfs, root):
    sfs.mkdir(f"{root}/m/n")  # creates parents by default
    with pytest.raises(FileExistsError):
        sfs.mkdir(f"{root}/m/n")
    with pytest.raises(FileNotFoundError):
        sfs.mkdir(f"{root}/x/y", create_parents=False)
    sfs.makedirs(f"{root}/m/n", exist_ok=True)
    sfs.rmdir(f"{root}/m/n")
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1)
    sfs.touch(f"{root}/t")
    assert sfs.cat_file(f"{root}/t") == b""
    sfs.pipe_file(f"{root}/t", b"keep")
    sfs.touch(f"{root}/t", truncate=False)
    assert sfs.cat_file(f"{root}/t") == b"keep"
    after = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=1)
    assert before < sfs.modified(f"{root}/t") < after
    assert before < sfs.created(f"{root}/t") < after


def test_get_and_put_with_local_files(sfs, root, tmp_path):
    (tmp_path / "up").mkdir()
    (tmp_path / "up" / "a.bin").write_bytes(os.urandom(300_000))
    (tmp_path / "up" / "b.txt").write_text("b")
    sfs.put(str(tmp_path / "up"), f"{root}/up", recursive=True)
    assert sorted(sfs.ls(f"{root}/up", detail=False)) == [f"{root}/up/a.bin", f"{root}/up/b.txt"]
    sfs.get(f"{root}/up", str(tmp_path / "down"), recursive=True)
    assert (tmp_path / "down" / "a.bin").read_bytes() == (tmp_path / "up" / "a.bin").read_bytes()
    assert (tmp_path / "down" / "b.txt").read_text() == "b"


def test_symlinks_in_info(sfs, root):
    sfs.pipe_file(f"{root}/target", b"12345")
    sfs.symlink("target", f"{root}/link")
    sfs.symlink("nowhere", f"{root}/dangling")
    info = sfs.info(f"{root}/link")
    assert (info["islink"], info["destination"], info["type"], info["size"]) == (
        True, "target", "file", 5)
    assert sfs.info(f"{root}/dangling")["type"] == "other"
    assert sfs.islink(f"{root}/dangling") and sfs.lexists(f"{root}/dangling")


def test_filesystem_from_environment(cluster, monkeypatch, root):
    monkeypatch.setenv("SEALFS_MANAGER", cluster.manager_address)
    fs = fsspec.filesystem("sealfs", skip_instance_cache=True)
    assert fs.manager == cluster.manager_address
    assert fs.exists(root)
    with fsspec.open(f"sealfs://{root}/env.txt", "w") as f:
        f.write("via SEALFS_MANAGER")
    assert fs.cat_file(f"{root}/env.txt") == b"via SEALFS_MANAGER"


def test_transactions_are_refused(sfs, root):
    with pytest.raises(NotImplementedError):
        with sfs.transaction:
            sfs.pipe_file(f"{root}/never", b"x")


def test_pandas_reads_and_writes_sealfs_urls(url):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"name": ["a", "b\u00e9", "c"], "value": [1.5, 2.0, -3.25]})
    frame.to_csv(f"{url}/frame.csv", index=False)
    assert pd.read_csv(f"{url}/frame.csv").equals(frame)
    frame.to_json(f"{url}/frame.json", orient="records", lines=True)
    assert pd.read_json(f"{url}/frame.json", orient="records", lines=True).equals(frame)
