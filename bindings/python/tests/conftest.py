"""A real cluster for the tests: one sealfs-manager and three sealfs-servers on 127.0.0.1.

Each pytest process starts one cluster (session scope) in its own temp dir, each process on a
free port (port 0, read back from its first line "listening on HOST:PORT"), and stops it by
PID and removes the dir at the end, also when tests fail. Children get SIGKILL if pytest dies
(PR_SET_PDEATHSIG); a temp dir left by a killed run is removed by the next run, as the C++
fixture (tests/cluster.cc) does with the same "sealfs-test-" prefix and "owner" file.

The binaries come from SEALFS_MANAGER_BIN and SEALFS_SERVER_BIN (set by ctest), else from the
build dir in SEALFS_BIN or SEALFS_BUILD_DIR, else build/ of this repository.
"""

import ctypes
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

import sealfs

SERVERS = 3
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
# Generous, so that a loaded machine never sees a paused or slow server marked DOWN.
HEARTBEAT_TIMEOUT_MS = 30000

_PR_SET_PDEATHSIG = 1
_TEMP_PREFIX = "sealfs-test-py-"


def _binary(variable, subdir, name):
    path = os.environ.get(variable)
    if not path:
        repo = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
        base = os.environ.get("SEALFS_BIN") or os.environ.get("SEALFS_BUILD_DIR") or \
            os.path.join(repo, "build")
        path = os.path.join(base, subdir, name)
    if not os.access(path, os.X_OK):
        pytest.exit(f"{name} not found at {path}: build first, or set {variable}", 2)
    return path


def _die_with_parent():
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _remove_orphaned_temp_dirs():
    tmp = tempfile.gettempdir()
    for name in os.listdir(tmp):
        if not name.startswith(_TEMP_PREFIX):
            continue
        try:
            with open(os.path.join(tmp, name, "owner"), encoding="ascii") as owner_file:
                owner = int(owner_file.read())
            os.kill(owner, 0)
        except ProcessLookupError:
            shutil.rmtree(os.path.join(tmp, name), ignore_errors=True)
        except (OSError, ValueError):
            pass


class Process:
    """One child process with its stdout in NAME.out and its log (stderr) in NAME.err in the
    cluster's dir."""

    def __init__(self, root, name, argv):
        self.name = name
        self.out_path = os.path.join(root, name + ".out")
        self.err_path = os.path.join(root, name + ".err")
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                          preexec_fn=_die_with_parent)
        self.pid = self.popen.pid

    def wait_listening(self, deadline):
        """The HOST:PORT of the first line "listening on HOST:PORT" of its output."""
        while True:
            with open(self.out_path, encoding="utf-8", errors="replace") as out:
                first = out.readline()
            if first.endswith("\n"):
                match = re.fullmatch(r"listening on (\S+)\s*", first)
                if not match:
                    raise RuntimeError(f"{self.name}: first line {first!r}, expected "
                                       f"'listening on HOST:PORT'\n{self.tail()}")
                return match.group(1)
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.popen.returncode}) before "
                                   f"listening\n{self.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} printed no 'listening on' in time\n"
                                   f"{self.tail()}")
            time.sleep(0.01)

    def pause(self):
        """SIGSTOP, and returns once every thread has stopped."""
        os.kill(self.pid, signal.SIGSTOP)
        os.waitpid(self.pid, os.WUNTRACED)

    def resume(self):
        """SIGCONT."""
        os.kill(self.pid, signal.SIGCONT)

    def stop(self):
        """SIGTERM, then SIGKILL after STOP_TIMEOUT; the exit status."""
        if self.popen.poll() is None:
            self.resume()
            self.popen.terminate()
            try:
                self.popen.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode

    def tail(self, lines=20):
        """The last lines of its stdout and stderr, for failure messages."""
        text = ""
        for path in (self.out_path, self.err_path):
            try:
                with open(path, encoding="utf-8", errors="replace") as out:
                    text += f"  -- {path}\n" + "".join(out.readlines()[-lines:])
            except OSError:
                pass
        return text


class Cluster:
    """A running cluster: manager_address, servers (Process), server_addresses."""

    def __init__(self):
        _remove_orphaned_temp_dirs()
        self.root = tempfile.mkdtemp(prefix=_TEMP_PREFIX)
        with open(os.path.join(self.root, "owner"), "w", encoding="ascii") as owner:
            owner.write(f"{os.getpid()}\n")
        self.manager = None
        self.servers = []
        self.server_addresses = []
        self.manager_address = None

    def start(self):
        """Starts the manager, then the servers; returns once all are UP in the map."""
        deadline = time.monotonic() + START_TIMEOUT
        manager_dir = os.path.join(self.root, "manager")
        self.manager = Process(self.root, "manager", [
            _binary("SEALFS_MANAGER_BIN", "manager", "sealfs-manager"),
            "--listen", "127.0.0.1:0", "--data-dir", manager_dir,
            "--heartbeat-timeout-ms", str(HEARTBEAT_TIMEOUT_MS)])
        self.manager_address = self.manager.wait_listening(deadline)
        server_bin = _binary("SEALFS_SERVER_BIN", "server", "sealfs-server")
        for k in range(SERVERS):
            self.servers.append(Process(self.root, f"server{k}", [
                server_bin, "--listen", "127.0.0.1:0", "--manager", self.manager_address,
                "--data-dir", os.path.join(self.root, f"server{k}")]))
        self.server_addresses = [s.wait_listening(deadline) for s in self.servers]
        self._wait_ready(deadline)

    def _wait_ready(self, deadline):
        last = None
        while True:
            try:
                with sealfs.connect(self.manager_address, connect_timeout=1,
                                    request_timeout=2) as client:
                    _, servers = client.cluster_status()
                up = {s.address for s in servers if s.up}
                if up >= set(self.server_addresses):
                    return
                last = f"UP: {sorted(up)}, started: {self.server_addresses}"
            except OSError as error:
                last = repr(error)
            for process in self.servers:
                if process.popen.poll() is not None:
                    raise RuntimeError(f"{process.name} exited while starting\n{self.tails()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"cluster not ready in time: {last}\n{self.tails()}")
            time.sleep(0.02)

    def stop(self):
        """Stops every process (servers first) and removes the temp dir."""
        unclean = []
        for process in self.servers + ([self.manager] if self.manager else []):
            status = process.stop()
            if status != 0:
                unclean.append(f"{process.name} exited with {status}")
        if unclean:
            print(f"[cluster] {', '.join(unclean)}\n{self.tails()}")
        shutil.rmtree(self.root, ignore_errors=True)

    def tails(self):
        """The last lines of every process's output."""
        processes = ([self.manager] if self.manager else []) + self.servers
        return "".join(process.tail() for process in processes)


@pytest.fixture(scope="session")
def cluster():
    """The session's running cluster."""
    running = Cluster()
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def client(cluster):
    """A sealfs.Client connected to the session's cluster."""
    with sealfs.connect(cluster.manager_address) as connected:
        yield connected


@pytest.fixture
def root(client, request):
    """A fresh directory in SealFS for one test, named after it."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.name)
    path = "/" + name
    client.mkdir(path)
    return path
