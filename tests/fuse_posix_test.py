"""POSIX semantics through a real sealfs-fuse mount, as conformance suites (pjdfstest, xfstests'
generic tests) check them: error codes, permission checks for other users, which calls change
atime, mtime and ctime, nanoseconds and times past 2038, link counts, and paths up to PATH_MAX.

Run by ctest (fuse_posix_test) with Debian's /usr/bin/python3 -m pytest. Needs root (to act as
other users) and a usable /dev/fuse; skipped with the reason otherwise. The cluster is started
with scripts/sealfs-cluster in a temp dir and mounted with attribute and entry caching off, so
every stat shows what the servers hold.
"""

import errno
import os
import shutil
import stat
import subprocess
import tempfile
import time

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.environ.get("SEALFS_BUILD_DIR", os.path.join(REPO, "build"))
NOBODY = 65534

if os.geteuid() != 0:
    pytest.skip("needs root, to act as other users", allow_module_level=True)
if not os.path.exists("/dev/fuse") or shutil.which("fusermount3") is None:
    pytest.skip("FUSE is not usable here (/dev/fuse or fusermount3 missing)",
                allow_module_level=True)


def _cluster(command, directory):
    env = dict(os.environ, SEALFS_BIN=BUILD)
    return subprocess.run([os.path.join(REPO, "scripts", "sealfs-cluster"), command, "--dir",
                           directory], env=env, check=True, capture_output=True, text=True)


@pytest.fixture(scope="module")
def mnt():
    work = tempfile.mkdtemp(prefix="sealfs-fuse-posix-")
    os.chmod(work, 0o755)  # other users must reach the mount point
    cluster = os.path.join(work, "cluster")
    mountpoint = os.path.join(work, "mnt")
    os.mkdir(mountpoint)
    fuse = None
    try:
        _cluster("start", cluster)
        manager = _cluster("address", cluster).stdout.strip()
        with open(os.path.join(work, "fuse.log"), "wb") as log:
            fuse = subprocess.Popen(
                [os.path.join(BUILD, "fuse", "sealfs-fuse"), "--manager", manager, mountpoint,
                 "-f", "-o", "attr_timeout=0,entry_timeout=0,allow_other"],
                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while not os.path.ismount(mountpoint):
            if fuse.poll() is not None or time.monotonic() > deadline:
                pytest.skip("could not mount: " + open(os.path.join(work, "fuse.log")).read())
            time.sleep(0.05)
        os.chmod(mountpoint, 0o755)
        yield mountpoint
    finally:
        if fuse is not None:
            subprocess.run(["fusermount3", "-u", mountpoint], check=False, capture_output=True)
            try:
                fuse.wait(timeout=15)
            except subprocess.TimeoutExpired:
                fuse.kill()
                fuse.wait()
        subprocess.run([os.path.join(REPO, "scripts", "sealfs-cluster"), "stop", "--dir",
                        cluster], env=dict(os.environ, SEALFS_BIN=BUILD), check=False,
                       capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture
def d(mnt, request):
    """A fresh directory per test."""
    path = os.path.join(mnt, request.node.name)
    os.mkdir(path)
    return path


def errno_of(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except OSError as e:
        return e.errno
    return 0


def as_user(uid, gid, call):
    """Runs call() in a child process as uid/gid; returns the errno it raised (0: none)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 255
        try:
            os.close(read_end)
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            try:
                call()
                code = 0
            except OSError as e:
                code = e.errno
            os.write(write_end, str(code).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as result:
        text = result.read()
    os.waitpid(pid, 0)
    return int(text)


def tick():
    """Lets the clock move, so that a changed time is a greater time."""
    time.sleep(0.02)


# ------------------------------------------------------------------------------------------------
# Error codes


def test_error_codes(d):
    f = os.path.join(d, "file")
    open(f, "w").close()
    os.mkdir(os.path.join(d, "dir"))
    open(os.path.join(d, "dir", "inside"), "w").close()
    assert errno_of(open, os.path.join(d, "missing")) == errno.ENOENT
    assert errno_of(os.mkdir, os.path.join(d, "dir")) == errno.EEXIST
    assert errno_of(os.open, f, os.O_CREAT | os.O_EXCL | os.O_WRONLY) == errno.EEXIST
    assert errno_of(os.stat, os.path.join(f, "x")) == errno.ENOTDIR
    assert errno_of(os.open, os.path.join(d, "dir"), os.O_WRONLY) == errno.EISDIR
    assert errno_of(os.rmdir, os.path.join(d, "dir")) == errno.ENOTEMPTY
    assert errno_of(os.rmdir, f) == errno.ENOTDIR
    assert errno_of(os.unlink, os.path.join(d, "dir")) == errno.EISDIR
    assert errno_of(open, os.path.join(d, "n" * 256), "w") == errno.ENAMETOOLONG
    open(os.path.join(d, "n" * 255), "w").close()  # NAME_MAX itself is fine
    assert errno_of(os.rename, os.path.join(d, "dir"), os.path.join(d, "dir", "sub")) == \
        errno.EINVAL
    assert errno_of(os.rename, os.path.join(d, "missing"), os.path.join(d, "x")) == errno.ENOENT
    assert errno_of(os.link, os.path.join(d, "dir"), os.path.join(d, "dirlink")) == errno.EPERM
    os.symlink("loop2", os.path.join(d, "loop1"))
    os.symlink("loop1", os.path.join(d, "loop2"))
    assert errno_of(os.stat, os.path.join(d, "loop1")) == errno.ELOOP
    fd = os.open(f, os.O_RDONLY)
    try:
        assert errno_of(os.write, fd, b"x") == errno.EBADF
    finally:
        os.close(fd)
    # Renames across directories never fail with EXDEV.
    os.mkdir(os.path.join(d, "other"))
    os.rename(f, os.path.join(d, "other", "moved"))
    os.rename(os.path.join(d, "dir"), os.path.join(d, "other", "dir"))
    assert os.listdir(os.path.join(d, "other", "dir")) == ["inside"]


# ------------------------------------------------------------------------------------------------
# Permissions for other users


def test_other_users_are_checked(d):
    os.chmod(d, 0o755)
    secret = os.path.join(d, "secret")
    with open(secret, "w") as out:
        out.write("root only")
    os.chmod(secret, 0o600)
    shared = os.path.join(d, "shared")
    with open(shared, "w") as out:
        out.write("readable")
    os.chmod(shared, 0o644)
    closed_dir = os.path.join(d, "closed")
    os.mkdir(closed_dir, 0o700)
    open(os.path.join(closed_dir, "hidden"), "w").close()
    sticky = os.path.join(d, "sticky")
    os.mkdir(sticky)
    os.chmod(sticky, 0o1777)
    open(os.path.join(sticky, "roots"), "w").close()

    def read(path):
        with open(path) as f:
            f.read()

    assert as_user(NOBODY, NOBODY, lambda: read(secret)) == errno.EACCES
    assert as_user(NOBODY, NOBODY, lambda: read(shared)) == 0
    assert as_user(NOBODY, NOBODY, lambda: open(shared, "a").close()) == errno.EACCES
    assert as_user(NOBODY, NOBODY, lambda: open(os.path.join(d, "new"), "w").close()) == \
        errno.EACCES
    assert as_user(NOBODY, NOBODY, lambda: os.chmod(shared, 0o666)) == errno.EPERM
    assert as_user(NOBODY, NOBODY, lambda: os.chown(shared, NOBODY, NOBODY)) == errno.EPERM
    assert as_user(NOBODY, NOBODY, lambda: os.stat(os.path.join(closed_dir, "hidden"))) == \
        errno.EACCES
    assert as_user(NOBODY, NOBODY, lambda: os.unlink(os.path.join(sticky, "roots"))) == \
        errno.EPERM
    mine = os.path.join(sticky, "mine")
    assert as_user(NOBODY, NOBODY, lambda: open(mine, "w").close()) == 0
    st = os.stat(mine)
    assert (st.st_uid, st.st_gid) == (NOBODY, NOBODY), "new files belong to their creator"
    assert as_user(NOBODY, NOBODY, lambda: os.unlink(mine)) == 0
    # Root may do all of it.
    read(secret)
    os.chmod(shared, 0o666)
    os.chown(shared, NOBODY, NOBODY)
    assert os.stat(shared).st_uid == NOBODY


# ------------------------------------------------------------------------------------------------
# Timestamps


def times(path):
    st = os.lstat(path)
    return st.st_atime_ns, st.st_mtime_ns, st.st_ctime_ns


def test_create_and_write_times(d):
    _, parent_m0, parent_c0 = times(d)
    tick()
    f = os.path.join(d, "f")
    with open(f, "w"):
        pass
    a, m, c = times(f)
    _, parent_m1, parent_c1 = times(d)
    assert parent_m1 > parent_m0 and parent_c1 > parent_c0, "create changes the parent"
    assert abs(a - m) < 10**9 and abs(m - c) < 10**9
    tick()
    with open(f, "a") as out:
        out.write("data")
    a2, m2, c2 = times(f)
    assert m2 > m and c2 > c, "write changes mtime and ctime"
    assert a2 == a, "write leaves atime"
    assert times(d)[1] == parent_m1, "writing a file leaves its directory"


def test_read_changes_atime_only(d):
    f = os.path.join(d, "f")
    with open(f, "w") as out:
        out.write("data")
    os.utime(f, ns=(10**9, 2 * 10**9))  # atime older than mtime: relatime updates it
    _, m, c = times(f)
    tick()
    with open(f) as source:
        assert source.read() == "data"
    a2, m2, c2 = times(f)
    assert a2 > 2 * 10**9, "read moves atime"
    assert (m2, c2) == (m, c), "read leaves mtime and ctime"


def test_metadata_changes_move_ctime_only(d):
    f = os.path.join(d, "f")
    with open(f, "w") as out:
        out.write("data")
    for change in (lambda: os.chmod(f, 0o600), lambda: os.chown(f, 1, 1),
                   lambda: os.setxattr(f, "user.k", b"v")):
        a, m, c = times(f)
        tick()
        change()
        a2, m2, c2 = times(f)
        assert c2 > c and (a2, m2) == (a, m)


def test_truncate_moves_mtime_and_ctime(d):
    f = os.path.join(d, "f")
    with open(f, "w") as out:
        out.write("0123456789")
    a, m, c = times(f)
    tick()
    os.truncate(f, 3)
    a2, m2, c2 = times(f)
    assert m2 > m and c2 > c and a2 == a
    assert os.path.getsize(f) == 3


def test_link_unlink_rename_times(d):
    src = os.path.join(d, "src")
    dst = os.path.join(d, "dst")
    os.mkdir(src)
    os.mkdir(dst)
    f = os.path.join(src, "f")
    open(f, "w").close()
    # link: the file's ctime and the new parent's mtime and ctime.
    _, fm, fc = times(f)
    _, dm, dc = times(dst)
    tick()
    os.link(f, os.path.join(dst, "hard"))
    assert times(f)[2] > fc and times(f)[1] == fm
    assert times(dst)[1] > dm and times(dst)[2] > dc
    # unlink of one name: the parent's times and the file's ctime.
    _, sm, sc = times(src)
    _, _, fc = times(os.path.join(dst, "hard"))
    tick()
    os.unlink(f)
    assert times(src)[1] > sm and times(src)[2] > sc
    assert times(os.path.join(dst, "hard"))[2] > fc
    # rename: both parents' mtime and ctime, and the moved file's ctime (as Linux).
    moved = os.path.join(dst, "hard")
    _, sm, sc = times(src)
    _, dm, dc = times(dst)
    _, mm, mc = times(moved)
    tick()
    os.rename(moved, os.path.join(src, "back"))
    assert times(src)[1] > sm and times(dst)[1] > dm
    back = times(os.path.join(src, "back"))
    assert back[2] > mc and back[1] == mm


def test_nanoseconds_and_times_past_2038(d):
    f = os.path.join(d, "f")
    open(f, "w").close()
    atime = 1234567890_123456789
    mtime = (2**33) * 10**9 + 5  # year 2242
    os.utime(f, ns=(atime, mtime))
    a, m, _ = times(f)
    assert (a, m) == (atime, mtime)
    os.utime(f, ns=(-10**9, 0))  # before 1970
    assert times(f)[:2] == (-10**9, 0)


# ------------------------------------------------------------------------------------------------
# Link counts


def test_link_counts(d):
    f = os.path.join(d, "f")
    open(f, "w").close()
    assert os.stat(f).st_nlink == 1
    os.link(f, os.path.join(d, "g"))
    assert os.stat(f).st_nlink == 2
    os.rename(os.path.join(d, "g"), os.path.join(d, "h"))
    assert os.stat(f).st_nlink == 2, "rename keeps the count"
    os.unlink(os.path.join(d, "h"))
    assert os.stat(f).st_nlink == 1
    base = os.stat(d).st_nlink
    assert base == 2
    os.mkdir(os.path.join(d, "a"))
    os.mkdir(os.path.join(d, "b"))
    assert os.stat(d).st_nlink == 4, "each subdirectory's .. is a link"
    assert os.stat(os.path.join(d, "a")).st_nlink == 2
    os.rename(os.path.join(d, "b"), os.path.join(d, "a", "b"))
    assert os.stat(d).st_nlink == 3
    assert os.stat(os.path.join(d, "a")).st_nlink == 3
    os.rmdir(os.path.join(d, "a", "b"))
    assert os.stat(os.path.join(d, "a")).st_nlink == 2
    os.rmdir(os.path.join(d, "a"))
    assert os.stat(d).st_nlink == 2
    # Replacing a directory by rename drops the replaced one's link from the parent.
    os.mkdir(os.path.join(d, "x"))
    os.mkdir(os.path.join(d, "y"))
    os.rename(os.path.join(d, "x"), os.path.join(d, "y"))
    assert os.stat(d).st_nlink == 3


# ------------------------------------------------------------------------------------------------
# Paths up to PATH_MAX


def test_paths_up_to_path_max(d):
    component = "p" * 200
    path = d
    while len(path) + 1 + len(component) < 3900:
        path = os.path.join(path, component)
    path = os.path.join(path, "q" * (3900 - len(path) - 1))  # the dirs end at 3900 bytes
    os.makedirs(path)
    leaf = os.path.join(path, "x" * (4095 - len(path) - 1))
    assert len(leaf) == 4095, "PATH_MAX, the terminating NUL aside"
    with open(leaf, "w") as out:
        out.write("deep")
    with open(leaf) as back:
        assert back.read() == "deep"
    assert errno_of(os.stat, leaf + "y") == errno.ENAMETOOLONG
    assert stat.S_ISREG(os.stat(leaf).st_mode)
