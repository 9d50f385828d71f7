"""Files from Client.open(): the io classes of the built-in open(), checked against the same
work done on a local temp dir with the built-in open()."""

import errno
import io
import os
import random
import shutil

import pytest

import sealfs

MiB = 1 << 20


def both(client, root, tmp_path, name):
    """The same file name in SealFS and in the local temp dir."""
    return f"{root}/{name}", str(tmp_path / name)


def test_binary_modes_return_the_io_classes_of_open(client, root):
    path = f"{root}/kinds"
    with client.open(path, "wb") as f:
        assert type(f) is io.BufferedWriter
        assert isinstance(f.raw, sealfs.FileIO)
        assert (f.name, f.mode) == (path, "wb")
        f.write(b"abc")
    with client.open(path, "rb") as f:
        assert type(f) is io.BufferedReader
        assert f.mode == "rb"
        assert f.read() == b"abc"
    with client.open(path, "r+b") as f:
        assert type(f) is io.BufferedRandom
        assert f.mode == "rb+"
    with client.open(path, "rb", buffering=0) as f:
        assert type(f) is sealfs.FileIO
        assert f.readall() == b"abc"
    with client.open(path) as f:
        assert type(f) is io.TextIOWrapper
        assert f.mode == "r"
        assert f.read() == "abc"


def test_data_across_chunks_reads_back(client, root):
    data = random.Random(1).randbytes(3 * MiB + 12345)
    with client.open(f"{root}/big", "wb") as f:
        for start in range(0, len(data), 100_000):  # writes smaller and larger than the buffer
            f.write(data[start:start + 100_000])
        f.write(b"")
    assert client.stat(f"{root}/big").st_size == len(data)
    with client.open(f"{root}/big", "rb") as f:
        assert f.read(10) == data[:10]
        assert f.read(2 * MiB) == data[10:10 + 2 * MiB]
        assert f.read() == data[10 + 2 * MiB:]
        assert f.read() == b""
    with client.open(f"{root}/big", "rb") as f:
        buffer = bytearray(MiB + 7)
        assert f.readinto(buffer) == len(buffer)
        assert buffer == data[:len(buffer)]
        view = memoryview(buffer)[5:105]
        assert f.readinto(view) == 100
        assert view == data[len(buffer):len(buffer) + 100]
    assert client.read_bytes(f"{root}/big") == data


def test_random_operations_match_a_local_file(client, root, tmp_path):
    """fsx in small: one seeded sequence of seeks, writes, reads, readintos and truncates on a
    "w+b" file, applied to SealFS and to a local file; every result and the end state agree."""
    seed = 20240601
    rng = random.Random(seed)
    remote_path, local_path = both(client, root, tmp_path, "fsx")
    with client.open(remote_path, "w+b") as remote, open(local_path, "w+b") as local:
        for step in range(300):
            op = rng.choice(["seek", "write", "read", "readinto", "truncate", "tell", "flush"])
            if op == "seek":
                whence = rng.choice([os.SEEK_SET, os.SEEK_CUR, os.SEEK_END])
                offset = rng.randrange(0, 300_000) if whence == os.SEEK_SET else \
                    rng.randrange(-1000, 1000)
                if whence != os.SEEK_SET and local.tell() + offset < 0 and whence == os.SEEK_CUR:
                    offset = 0
                if whence == os.SEEK_END and local.seek(0, os.SEEK_END) + offset < 0:
                    offset = 0
                args = (offset, whence)
            elif op == "write":
                args = (rng.randbytes(rng.choice([1, 100, 5000, 70_000])),)
            elif op == "read":
                args = (rng.choice([-1, 0, 1, 4096, 100_000]),)
            elif op == "readinto":
                args = (rng.choice([1, 4096, 100_000]),)
            elif op == "truncate":
                args = (rng.randrange(0, 250_000),)
            else:
                args = ()

            def apply(f):
                if op == "readinto":
                    buffer = bytearray(args[0])
                    count = f.readinto(buffer)
                    return count, bytes(buffer[:count])
                return getattr(f, op)(*args)

            expected = apply(local)
            assert apply(remote) == expected, f"seed {seed} step {step}: {op}{args}"
            assert remote.tell() == local.tell(), f"seed {seed} step {step}: {op}{args}"
    with open(local_path, "rb") as local:
        assert client.read_bytes(remote_path) == local.read()


TEXT = "first line\nsecond\r\nthird\rfourth\u00e9\u4e2d\n\nlast without newline"


@pytest.mark.parametrize("write_newline", [None, "", "\n", "\r", "\r\n"])
def test_text_newline_modes_match_local(client, root, tmp_path, write_newline):
    remote_path, local_path = both(client, root, tmp_path, "text")
    for path, opener in ((remote_path, client.open), (local_path, open)):
        with opener(path, "w", encoding="utf-8", newline=write_newline) as f:
            assert f.write(TEXT) == len(TEXT)
    with open(local_path, "rb") as local:
        assert client.read_bytes(remote_path) == local.read()
    for read_newline in (None, "", "\n", "\r", "\r\n"):
        with client.open(remote_path, encoding="utf-8", newline=read_newline) as remote, \
                open(local_path, encoding="utf-8", newline=read_newline) as local:
            assert list(remote) == list(local)
        with client.open(remote_path, encoding="utf-8", newline=read_newline) as remote, \
                open(local_path, encoding="utf-8", newline=read_newline) as local:
            assert remote.readline() == local.readline()
            assert remote.read(5) == local.read(5)
            assert remote.readlines() == local.readlines()
            assert remote.newlines == local.newlines


def test_text_encodings_and_errors_match_local(client, root, tmp_path):
    remote_path, local_path = both(client, root, tmp_path, "encoded")
    for path, opener in ((remote_path, client.open), (local_path, open)):
        with opener(path, "w", encoding="latin-1") as f:
            f.write("caf\u00e9 \xff\n")
        with opener(path, "ab") as f:
            f.write(b"\xc3\x28 bad utf-8\n")
    for errors in ("replace", "ignore", "surrogateescape", "backslashreplace"):
        with client.open(remote_path, encoding="utf-8", errors=errors) as remote, \
                open(local_path, encoding="utf-8", errors=errors) as local:
            assert remote.read() == local.read()
    with client.open(remote_path, encoding="utf-8") as remote:
        with pytest.raises(UnicodeDecodeError):
            remote.read()
    with client.open(remote_path, encoding="latin-1") as remote:
        assert remote.readline() == "caf\u00e9 \xff\n"


def test_text_seek_and_tell_round_trip(client, root):
    path = f"{root}/cookies"
    with client.open(path, "w", encoding="utf-8") as f:
        f.write("\u00e9\u00e9\u00e9\nabc\n\u4e2d\u6587\n")
    with client.open(path, encoding="utf-8") as f:
        f.readline()
        cookie = f.tell()
        rest = f.read()
        f.seek(cookie)
        assert f.read() == rest == "abc\n\u4e2d\u6587\n"


@pytest.mark.parametrize("mode", ["a", "ab", "a+", "a+b"])
def test_append_modes_match_local(client, root, tmp_path, mode):
    remote_path, local_path = both(client, root, tmp_path, "log")
    results = []
    for path, opener in ((remote_path, client.open), (local_path, open)):
        with opener(path, "wb") as f:
            f.write(b"0123456789")
        seen = []
        with opener(path, mode) as f:
            seen.append(f.tell())
            f.write(b"ab" if "b" in mode else "ab")
            seen.append(f.tell())
            if "+" in mode:
                f.seek(2)
                seen.append(f.read(3))
                f.write(b"cd" if "b" in mode else "cd")  # appends, wherever the offset is
                seen.append(f.tell())
        with opener(path, "rb") as f:
            seen.append(f.read())
        results.append(seen)
    assert results[0] == results[1]
    assert results[0][-1].startswith(b"0123456789ab")


def test_exclusive_create(client, root, tmp_path):
    remote_path, local_path = both(client, root, tmp_path, "once")
    for path, opener in ((remote_path, client.open), (local_path, open)):
        with opener(path, "x") as f:
            f.write("made")
        with pytest.raises(FileExistsError) as raised:
            opener(path, "xb")
        assert raised.value.errno == errno.EEXIST
        assert raised.value.filename == path
    assert client.read_bytes(remote_path) == b"made"


def test_write_modes_truncate_and_create_as_local(client, root, tmp_path):
    remote_path, local_path = both(client, root, tmp_path, "w")
    for path, opener in ((remote_path, client.open), (local_path, open)):
        with opener(path, "wb") as f:
            f.write(b"long content")
        with opener(path, "w+") as f:
            assert f.read() == ""
            f.write("new")
            f.seek(0)
            assert f.read() == "new"
        with opener(path, "r+") as f:
            f.write("N")
    assert client.read_bytes(remote_path) == b"New"


@pytest.mark.parametrize("name, mode, expected", [
    ("missing", "r", FileNotFoundError),
    ("missing", "r+b", FileNotFoundError),
    ("dir", "r", IsADirectoryError),
    ("dir", "rb", IsADirectoryError),
    ("dir", "w", IsADirectoryError),
    ("dir", "a", IsADirectoryError),
    ("no/such/parent", "w", FileNotFoundError),
    ("file/child", "w", NotADirectoryError),
    ("file/child", "r", NotADirectoryError),
])
def test_open_errors_match_local(client, root, tmp_path, name, mode, expected):
    client.mkdir(f"{root}/dir")
    os.mkdir(tmp_path / "dir")
    client.write_bytes(f"{root}/file", b"x")
    (tmp_path / "file").write_bytes(b"x")
    remote_path, local_path = both(client, root, tmp_path, name)
    with pytest.raises(OSError) as local_error:
        open(local_path, mode)
    with pytest.raises(expected) as remote_error:
        client.open(remote_path, mode)
    assert type(remote_error.value) is type(local_error.value)
    assert remote_error.value.errno == local_error.value.errno
    assert remote_error.value.filename == remote_path


@pytest.mark.parametrize("mode, kwargs", [
    ("rw", {}), ("rbt", {}), ("", {}), ("q", {}), ("rr", {}), ("r++", {}),
    ("rb", {"encoding": "utf-8"}), ("rb", {"errors": "strict"}), ("rb", {"newline": ""}),
    ("r", {"buffering": 0}), ("r", {"newline": "x"}),
])
def test_invalid_arguments_raise_as_open_does(client, root, tmp_path, mode, kwargs):
    client.write_bytes(f"{root}/f", b"")
    (tmp_path / "f").write_bytes(b"")
    with pytest.raises(ValueError) as local_error:
        open(tmp_path / "f", mode, **kwargs)
    with pytest.raises(ValueError) as remote_error:
        client.open(f"{root}/f", mode, **kwargs)
    assert type(remote_error.value) is type(local_error.value)


def test_file_object_behaviour_of_open(client, root):
    path = f"{root}/plain"
    client.write_bytes(path, b"one\ntwo\nthree")
    with client.open(path, "rb") as f:
        with pytest.raises(io.UnsupportedOperation):
            f.fileno()
        assert not f.isatty()
        assert f.readable() and f.seekable() and not f.writable()
        with pytest.raises(io.UnsupportedOperation):
            f.write(b"x")
        assert list(f) == [b"one\n", b"two\n", b"three"]
        assert f.seek(-5, os.SEEK_END) == 8
        assert f.peek(1)[:1] == b"t"
        assert f.readlines() == [b"three"]
    assert f.closed
    with pytest.raises(ValueError):
        f.read()
    f.close()  # closing twice is fine
    with client.open(path, "w") as f:
        with pytest.raises(io.UnsupportedOperation):
            f.read()
        with pytest.raises(io.UnsupportedOperation):
            f.fileno()
    raw = client.open(path, "r+b", buffering=0)
    assert "plain" in repr(raw)
    raw.close()
    assert "closed" in repr(raw)


def test_truncate_and_fsync(client, root):
    path = f"{root}/cut"
    with client.open(path, "w+b") as f:
        f.write(b"x" * 1000)
        assert f.truncate(10) == 10
        assert f.tell() == 1000  # truncate does not move the offset, as for local files
        f.seek(0)
        assert f.read() == b"x" * 10
        assert f.truncate(20) == 20
        client.fsync(f)
        assert f.raw.stat().st_size == 20
    with client.open(path, "a") as text:
        text.write("tail")
        client.fsync(text)
    assert client.read_bytes(path) == b"x" * 10 + b"\0" * 10 + b"tail"
    with pytest.raises(TypeError):
        client.fsync(io.BytesIO())


def test_copyfileobj_both_ways(client, root, tmp_path):
    data = random.Random(7).randbytes(2 * MiB + 333)
    source = tmp_path / "source"
    source.write_bytes(data)
    with open(source, "rb") as local, client.open(f"{root}/copy", "wb") as remote:
        shutil.copyfileobj(local, remote)
    with client.open(f"{root}/copy", "rb") as remote, open(tmp_path / "back", "wb") as local:
        shutil.copyfileobj(remote, local, 64 * 1024)
    assert (tmp_path / "back").read_bytes() == data


def test_closed_client_closes_its_files(cluster, root):
    other = sealfs.connect(cluster.manager_address)
    f = other.open(f"{root}/left-open", "wb", buffering=0)
    f.write(b"sent")
    with other:
        assert not other.closed
    assert other.closed
    with pytest.raises(ValueError):
        f.write(b"more")
    f.close()  # its descriptor went with the client: no error
    with pytest.raises(ValueError):
        other.stat("/")
    other.close()  # idempotent
    with sealfs.connect(cluster.manager_address) as again:
        assert again.read_bytes(f"{root}/left-open") == b"sent"
