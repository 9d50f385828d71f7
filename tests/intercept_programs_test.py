#!/usr/bin/python3
"""Unmodified programs under libsealfs-intercept.so, compared with the same programs on a local
directory.

Starts a real cluster (scripts/sealfs-cluster, three servers on free loopback ports) in a temp
dir, runs each program once on SEALFS_PREFIX/<case> with LD_PRELOAD and once on a local temp dir
without it, and compares what a user relies on: the bytes they print, their exit status, and the
tree they leave (names, types, permission bits, sizes, contents, link targets). The cluster and
the temp dirs are removed even when a test fails.

    tests/intercept_programs_test.py --build-dir build
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

PREFIX = "/sealfs"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD_DIR = os.path.join(REPO, "build")
PRELOAD_FIRST = None  # a sanitizer runtime to preload before the library, in sanitizer builds
TIMEOUT = 60

# Lists a tree as JSON, run under the interception for SealFS and without it for the local
# copy: {relative path: [type, permission bits, size or None, sha256 or link target]}.
SNAPSHOT_SCRIPT = r"""
import hashlib, json, os, stat, sys
root = sys.argv[1]
tree = {}
for directory, dirs, files in os.walk(root):
    for name in dirs + files:
        path = os.path.join(directory, name)
        st = os.lstat(path)
        relative = os.path.relpath(path, root)
        if stat.S_ISLNK(st.st_mode):
            tree[relative] = ["link", 0o777, None, os.readlink(path)]
        elif stat.S_ISDIR(st.st_mode):
            tree[relative] = ["dir", stat.S_IMODE(st.st_mode), None, None]
        else:
            with open(path, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            tree[relative] = ["file", stat.S_IMODE(st.st_mode), st.st_size, digest]
print(json.dumps(tree, sort_keys=True))
"""

# Uses open and os on BASE; prints what it sees. Also checks that a descriptor open at fork
# keeps one offset shared by parent and child, as an open file description does.
PYTHON_SCRIPT = r"""
import os, shutil, stat, sys
base = sys.argv[1]
os.makedirs(os.path.join(base, "p/q/r"), exist_ok=True)
os.makedirs(os.path.join(base, "p/q/r"), exist_ok=True)
with open(os.path.join(base, "p/f.txt"), "w") as f:
    f.write("hello\n" * 1000)
with open(os.path.join(base, "p/f.txt"), "a") as f:
    f.write("appended\n")
with open(os.path.join(base, "p/f.txt")) as f:
    data = f.read()
with open(os.path.join(base, "p/f.txt"), "r+b") as f:
    f.seek(6)
    f.write(b"HELLO")
    f.seek(0)
    print("seek/write:", f.read(16))
os.rename(os.path.join(base, "p/f.txt"), os.path.join(base, "p/q/g.txt"))
st = os.stat(os.path.join(base, "p/q/g.txt"))
print("sizes:", len(data), st.st_size, data.endswith("appended\n"))
print("listdir:", sorted(os.listdir(os.path.join(base, "p"))))
for root, dirs, files in os.walk(os.path.join(base, "p")):
    print("walk:", os.path.relpath(root, base), sorted(dirs), sorted(files))
print("scandir:", sorted((e.name, e.is_dir()) for e in os.scandir(os.path.join(base, "p/q"))))
os.symlink("g.txt", os.path.join(base, "p/q/link"))
print("readlink:", os.readlink(os.path.join(base, "p/q/link")),
      open(os.path.join(base, "p/q/link")).read(5))
os.chmod(os.path.join(base, "p/q/g.txt"), 0o640)
print("mode:", oct(os.stat(os.path.join(base, "p/q/g.txt")).st_mode & 0o777))
print("exists:", os.path.exists(os.path.join(base, "nothing")),
      os.path.isdir(os.path.join(base, "p")))
try:
    os.rmdir(os.path.join(base, "p"))
except OSError as error:
    print("rmdir non-empty:", error.errno == 39)
os.mkfifo(os.path.join(base, "p/fifo"), 0o640)
st = os.lstat(os.path.join(base, "p/fifo"))
print("fifo:", stat.S_ISFIFO(st.st_mode), oct(stat.S_IMODE(st.st_mode)))
os.unlink(os.path.join(base, "p/fifo"))
fd = os.open(os.path.join(base, "p/forked.txt"), os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
os.write(fd, b"parent1 ")
pid = os.fork()
if pid == 0:
    os.write(fd, b"child ")
    os._exit(0)
os.waitpid(pid, 0)
os.write(fd, b"parent2")
os.close(fd)
print("fork:", open(os.path.join(base, "p/forked.txt")).read())
os.chdir(os.path.join(base, "p/q"))
print("chdir:", os.path.relpath(os.getcwd(), base), sorted(os.listdir(".")), open("g.txt").read(5))
shutil.copy("g.txt", "../copy.txt")
print("copy:", os.path.getsize(os.path.join(base, "p/copy.txt")))
os.chdir("/")
shutil.rmtree(os.path.join(base, "p"))
print("removed:", not os.path.exists(os.path.join(base, "p")))
"""


def make_fixture(root):
    """A local tree of small, empty, odd-sized and multi-chunk files, nested dirs, a symlink."""
    os.makedirs(os.path.join(root, "sub/deeper/deepest"))
    os.makedirs(os.path.join(root, "empty_dir"))
    seed = hashlib.sha256(b"sealfs").digest()
    contents = {
        "empty": b"",
        "one": b"x",
        "text.txt": b"".join(b"line %d\n" % k for k in range(500)),
        "sub/odd.bin": (seed * 200)[:4097],
        "sub/deeper/big.bin": (seed * 100_000)[:3 * 1024 * 1024 + 17],
        "sub/deeper/deepest/note": b"deep\n",
    }
    for name, data in contents.items():
        with open(os.path.join(root, name), "wb") as f:
            f.write(data)
    os.chmod(os.path.join(root, "one"), 0o600)
    os.chmod(os.path.join(root, "text.txt"), 0o755)
    os.symlink("text.txt", os.path.join(root, "link"))


class InterceptedPrograms(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.temp = tempfile.mkdtemp(prefix="sealfs-intercept-test-")
        cls.cluster_dir = os.path.join(cls.temp, "cluster")
        cls.fixture = os.path.join(cls.temp, "fixture")
        cls.local = os.path.join(cls.temp, "local")
        os.makedirs(cls.local)
        make_fixture(cls.fixture)
        env = dict(os.environ, SEALFS_BIN=BUILD_DIR)
        env.pop("LD_PRELOAD", None)
        cls.cluster_script = os.path.join(REPO, "scripts", "sealfs-cluster")
        try:
            subprocess.run([cls.cluster_script, "start", "--dir", cls.cluster_dir], env=env,
                           check=True, stdout=subprocess.DEVNULL, timeout=TIMEOUT)
            manager = subprocess.run([cls.cluster_script, "address", "--dir", cls.cluster_dir],
                                     env=env, check=True, capture_output=True, text=True,
                                     timeout=TIMEOUT).stdout.strip()
        except BaseException:
            cls.tearDownClass()
            raise
        preload = os.path.join(BUILD_DIR, "intercept", "libsealfs-intercept.so")
        if PRELOAD_FIRST:
            preload = f"{PRELOAD_FIRST} {preload}"
            # The programs themselves are not instrumented: their leaks are not ours to report.
            env["ASAN_OPTIONS"] = "detect_leaks=0"
        cls.plain_env = env
        cls.intercepted_env = dict(env, LD_PRELOAD=preload, SEALFS_MANAGER=manager,
                                   SEALFS_PREFIX=PREFIX)

    @classmethod
    def tearDownClass(cls):
        if os.path.exists(os.path.join(cls.cluster_dir, "cluster.env")):
            subprocess.run([cls.cluster_script, "stop", "--dir", cls.cluster_dir],
                           stdout=subprocess.DEVNULL, timeout=TIMEOUT)
        shutil.rmtree(cls.temp, ignore_errors=True)

    # --- running things -----------------------------------------------------------------------

    def run_both(self, case, steps, expect_status=0):
        """Runs the shell commands `steps` joined by && (BASE, FIXTURE and LOCALTMP in them are
        replaced) on SealFS and on a local dir; returns (sealfs base, local base, sealfs result,
        local result)."""
        command = " && ".join(steps)
        sealfs_base = f"{PREFIX}/{case}"
        local_base = os.path.join(self.local, case)
        self.run_program(["mkdir", "-p", sealfs_base], intercepted=True)
        os.makedirs(local_base, exist_ok=True)
        results = []
        for base, intercepted in ((sealfs_base, True), (local_base, False)):
            scratch = tempfile.mkdtemp(dir=self.temp)
            line = (command.replace("BASE", base).replace("FIXTURE", self.fixture)
                    .replace("LOCALTMP", scratch))
            result = self.run_program(["/bin/sh", "-c", line], intercepted)
            self.assertEqual(result.returncode, expect_status,
                             f"{'SealFS' if intercepted else 'local'}: {line}\n{result.stderr}")
            results.append(result)
        return sealfs_base, local_base, results[0], results[1]

    def run_program(self, argv, intercepted):
        env = self.intercepted_env if intercepted else self.plain_env
        return subprocess.run(argv, env=env, capture_output=True, timeout=TIMEOUT)

    def snapshot(self, path, intercepted):
        result = self.run_program(["/usr/bin/python3", "-c", SNAPSHOT_SCRIPT, path], intercepted)
        self.assertEqual(result.returncode, 0, result.stderr)
        return json.loads(result.stdout)

    def assert_same_tree(self, sealfs_path, local_path):
        sealfs_tree = self.snapshot(sealfs_path, intercepted=True)
        self.assertTrue(sealfs_tree, f"{sealfs_path} is empty")
        self.assertEqual(sealfs_tree, self.snapshot(local_path, intercepted=False))

    # --- the programs -------------------------------------------------------------------------

    def test_cp_recursive_copies_the_tree(self):
        sealfs, local, _, _ = self.run_both(
            "cp", ["cp -r FIXTURE BASE/tree", "cp BASE/tree/one BASE/one_again"])
        self.assert_same_tree(sealfs, local)
        self.assertEqual(self.snapshot(f"{sealfs}/tree", True), self.snapshot(self.fixture, False))

    def test_cat_prints_the_same_bytes(self):
        _, _, on_sealfs, on_local = self.run_both("cat", [
            "cp -r FIXTURE BASE/tree",
            "cat BASE/tree/text.txt BASE/tree/sub/deeper/big.bin BASE/tree/link"])
        self.assertGreater(len(on_sealfs.stdout), 3 * 1024 * 1024)
        self.assertEqual(on_sealfs.stdout, on_local.stdout)

    def test_sha256sum_in_a_working_directory_under_the_prefix(self):
        _, _, on_sealfs, on_local = self.run_both("sha", [
            "cp -r FIXTURE BASE/tree", "cd BASE/tree",
            "sha256sum one empty sub/odd.bin sub/deeper/big.bin", "pwd"])
        expected = on_local.stdout.decode().replace(self.local, PREFIX)
        self.assertEqual(on_sealfs.stdout.decode(), expected)

    def test_ls_long_lists_names_sizes_and_modes(self):
        def listing(result):
            rows = []
            for line in result.stdout.decode().splitlines():
                fields = line.split()
                if len(fields) < 7:
                    continue  # "total N", headers, blank lines
                mode, size, name = fields[0], fields[4], " ".join(fields[6:])
                # A directory's size is the file system's own business.
                rows.append((mode, None if mode.startswith("d") else size, name))
            return rows

        _, _, on_sealfs, on_local = self.run_both(
            "ls", ["cp -r FIXTURE BASE/tree", "ls -l --time-style=+T BASE/tree BASE/tree/sub"])
        self.assertIn(("lrwxrwxrwx", "8", "link -> text.txt"), listing(on_sealfs))
        self.assertEqual(listing(on_sealfs), listing(on_local))

    def test_mkdir_parents(self):
        sealfs, local, _, _ = self.run_both("mkdir", [
            "mkdir -p BASE/m/a/b/c BASE/m/a/x", "mkdir -p BASE/m/a/b",
            "mkdir -m 700 BASE/m/private"])
        self.assert_same_tree(sealfs, local)

    def test_mv_renames_within_and_moves_out(self):
        sealfs, local, _, _ = self.run_both("mv", [
            "cp -r FIXTURE BASE/tree", "mv BASE/tree/sub BASE/moved",
            "mv BASE/tree/one BASE/moved/one", "mv BASE/tree/text.txt LOCALTMP/",
            "mv LOCALTMP/text.txt BASE/back.txt", "mv -n BASE/tree/empty BASE/back.txt",
            "mv -T BASE/tree/empty BASE/moved/one"])
        self.assert_same_tree(sealfs, local)

    def test_rm_recursive(self):
        sealfs, local, _, _ = self.run_both("rm", [
            "cp -r FIXTURE BASE/tree", "cp -r FIXTURE BASE/gone", "rm -r BASE/tree/sub",
            "rm -rf BASE/gone", "test ! -e BASE/gone"])
        self.assert_same_tree(sealfs, local)

    def test_dd_with_block_size_count_seek_and_skip(self):
        # Block sizes stay multiples of the page (dd allocates aligned buffers of that size,
        # which AddressSanitizer insists on); byte offsets and counts are odd.
        sealfs, local, _, _ = self.run_both("dd", [
            "dd if=FIXTURE/sub/deeper/big.bin of=BASE/dd.bin bs=4096 count=100 seek=5 status=none",
            "dd if=BASE/dd.bin of=BASE/dd2.bin bs=8192 iflag=skip_bytes,count_bytes skip=3001"
            " count=50007 status=none",
            "dd if=FIXTURE/text.txt of=BASE/dd.bin bs=4096 count=1 oflag=seek_bytes seek=14"
            " conv=notrunc status=none"])
        self.assert_same_tree(sealfs, local)

    def test_tar_round_trip(self):
        sealfs, local, on_sealfs, on_local = self.run_both("tar", [
            "tar -C FIXTURE -cf BASE/a.tar .", "mkdir BASE/x", "tar -C BASE/x -xf BASE/a.tar",
            "tar -C BASE/x -cf LOCALTMP/b.tar .", "mkdir LOCALTMP/y",
            "tar -C LOCALTMP/y -xf LOCALTMP/b.tar", "sha256sum BASE/a.tar | cut -c1-64",
            "tar -tf BASE/a.tar | sort", "tar -C LOCALTMP -cf - y | tar -tvf - | wc -l"])
        self.assert_same_tree(sealfs, local)
        self.assertEqual(self.snapshot(f"{sealfs}/x", True), self.snapshot(self.fixture, False))
        self.assertEqual(on_sealfs.stdout, on_local.stdout)

    def test_python_open_and_os(self):
        script = PYTHON_SCRIPT.replace(chr(39), chr(34))
        _, _, on_sealfs, on_local = self.run_both(
            "python", [f"/usr/bin/python3 -c '{script}' BASE"])
        self.assertIn(b"fork: parent1 child parent2", on_sealfs.stdout)
        self.assertEqual(on_sealfs.stdout.decode(), on_local.stdout.decode())

    def test_shell_redirections_and_cd(self):
        sealfs, local, on_sealfs, on_local = self.run_both("shell", [
            "cd BASE", "mkdir s", "cd s", "cat FIXTURE/text.txt > t", "{ cat t; cat t; } > tt",
            "cat FIXTURE/one >> t", "wc -c < tt", "cd ..", "ls s", "cat s/t | tail -n 2"])
        self.assert_same_tree(sealfs, local)
        self.assertEqual(on_sealfs.stdout, on_local.stdout)

    def test_stdio_on_a_redirected_standard_stream_fails_loudly(self):
        # The C library's stdio reaches descriptors 0-2 through internal calls that a preloaded
        # library cannot see: such a program must fail, never lose data silently.
        line = f"cat {self.fixture}/text.txt > {PREFIX}/stdin.txt && sha256sum < {PREFIX}/stdin.txt"
        result = self.run_program(["/bin/sh", "-c", line], intercepted=True)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(b"Bad file descriptor", result.stderr)

    def test_other_paths_go_to_the_system(self):
        line = f"ls -d / {self.fixture} && cat {self.fixture}/one"
        result = self.run_program(["/bin/sh", "-c", line], intercepted=True)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.decode(), f"/\n{self.fixture}\nx")

    def test_unreachable_manager_fails_with_one_message(self):
        env = dict(self.intercepted_env, SEALFS_MANAGER="127.0.0.1:1")
        result = subprocess.run(["ls", f"{PREFIX}/x", f"{PREFIX}/y", "/"], env=env,
                                capture_output=True, timeout=TIMEOUT)
        self.assertEqual(result.returncode, 2)
        lines = result.stderr.decode().splitlines()
        self.assertEqual(len([l for l in lines if l.startswith("sealfs-intercept:")]), 1, lines)
        self.assertIn(f"ls: cannot access '{PREFIX}/x': No route to host", lines)
        self.assertIn(b"bin", result.stdout)  # the listing of / still works


def main():
    global BUILD_DIR, PRELOAD_FIRST
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", default=BUILD_DIR)
    parser.add_argument("--preload-first", help="a library to preload before libsealfs-intercept")
    args, rest = parser.parse_known_args()
    BUILD_DIR = os.path.abspath(args.build_dir)
    PRELOAD_FIRST = args.preload_first
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
