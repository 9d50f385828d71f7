"""Threads: every call releases the GIL while it waits on the network, and one client serves
many threads at once.

The GIL tests cannot pass by luck. In each, a call on a worker thread can only succeed if the
main thread runs Python code while that call is inside libsealfs: relaying its bytes to the
manager, or resuming the paused servers once its request has reached them. Were the GIL held
during the call, the main thread could not run, and the call would fail with its timeout.
"""

import random
import select
import socket
import threading
import time

import pytest

import sealfs

DEADLINE = 60.0  # seconds; reached only on failure


def run_in_thread(function):
    """Starts function on a thread; returns the thread and a dict that gets "result" or
    "error"."""
    outcome = {}

    def body():
        try:
            outcome["result"] = function()
        except BaseException as error:  # reported by the test on the main thread
            outcome["error"] = error

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return thread, outcome


def test_connect_releases_the_gil(cluster):
    """sealfs.connect() runs on a worker thread against a proxy that the main thread runs in
    Python: the connect succeeds only if the proxy relays while the connect waits."""
    manager_host, manager_port = cluster.manager_address.rsplit(":", 1)
    listener = socket.create_server(("127.0.0.1", 0))
    proxy_address = f"127.0.0.1:{listener.getsockname()[1]}"

    def connect_and_ask():
        with sealfs.connect(proxy_address, request_timeout=10) as client:
            return client.cluster_status()

    thread, outcome = run_in_thread(connect_and_ask)
    peers = {}  # socket -> the socket its bytes go to
    relayed = 0
    deadline = time.monotonic() + DEADLINE
    try:
        while thread.is_alive() and time.monotonic() < deadline:
            readable, _, _ = select.select([listener, *peers], [], [], 0.05)
            for sock in readable:
                if sock is listener:
                    downstream, _ = listener.accept()
                    upstream = socket.create_connection((manager_host, int(manager_port)))
                    peers[downstream], peers[upstream] = upstream, downstream
                    continue
                data = sock.recv(1 << 16) if sock in peers else b""
                if data:
                    peers[sock].sendall(data)
                    relayed += len(data)
                elif sock in peers:
                    other = peers.pop(sock)
                    peers.pop(other, None)
                    sock.close()
                    other.close()
        thread.join(DEADLINE)
    finally:
        for sock in [listener, *peers]:
            sock.close()
    assert "error" not in outcome, f"connect through the proxy failed: {outcome['error']!r}"
    epoch, servers = outcome["result"]
    assert relayed > 0
    assert sorted(s.address for s in servers) == sorted(cluster.server_addresses)


def _queued_bytes_at(ports):
    """Bytes waiting in the receive queues of TCP connections to these local ports."""
    queued = 0
    with open("/proc/net/tcp", encoding="ascii") as table:
        next(table)
        for line in table:
            fields = line.split()
            local_port = int(fields[1].split(":")[1], 16)
            state = fields[3]
            rx_queue = int(fields[4].split(":")[1], 16)
            if local_port in ports and state == "01":  # ESTABLISHED
                queued += rx_queue
    return queued


def test_read_releases_the_gil(cluster, root):
    """A read runs on a worker thread while every server is paused (SIGSTOP). The main thread
    watches, in Python, for the read's request to arrive in a server's socket, then resumes
    the servers: the read returns its data only if the main thread ran during the read."""
    data = random.Random(3).randbytes(3 << 20)
    with sealfs.connect(cluster.manager_address, request_timeout=10) as client:
        client.write_bytes(f"{root}/slow", data)
        f = client.open(f"{root}/slow", "rb", buffering=0)
        assert f.read(1) == data[:1]  # every server connection this read needs is open now
        ports = {int(address.rsplit(":", 1)[1]) for address in cluster.server_addresses}
        # The client sends the new file's parent times in the background, 5 ms after the
        # create: let them reach the servers before they stop.
        deadline = time.monotonic() + DEADLINE
        time.sleep(0.1)
        while _queued_bytes_at(ports) > 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        for server in cluster.servers:
            server.pause()
        try:
            assert _queued_bytes_at(ports) == 0
            thread, outcome = run_in_thread(f.read)
            deadline = time.monotonic() + DEADLINE
            while _queued_bytes_at(ports) == 0 and time.monotonic() < deadline:
                time.sleep(0.001)
            request_seen = _queued_bytes_at(ports) > 0
            read_still_running = thread.is_alive()
        finally:
            for server in cluster.servers:
                server.resume()
        thread.join(DEADLINE)
        f.close()
    assert request_seen
    assert read_still_running
    assert "error" not in outcome, f"the read failed: {outcome['error']!r}"
    assert outcome["result"] == data[1:]


def test_threads_share_one_client(client, root):
    """Eight threads write, read back and list their own files through one client at once;
    every byte comes back and no thread sees another's failure."""
    threads = 8
    files_per_thread = 6
    barrier = threading.Barrier(threads)

    def work(index):
        rng = random.Random(index)
        barrier.wait()
        written = {}
        client.mkdir(f"{root}/t{index}")
        for k in range(files_per_thread):
            path = f"{root}/t{index}/f{k}"
            written[path] = rng.randbytes(rng.randrange(1, 400_000))
            with client.open(path, "wb") as f:
                f.write(written[path])
        for path, expected in written.items():
            with client.open(path, "rb") as f:
                assert f.read() == expected, path
        return sorted(client.listdir(f"{root}/t{index}"))

    runs = [run_in_thread(lambda i=i: work(i)) for i in range(threads)]
    for thread, _ in runs:
        thread.join(DEADLINE)
    for index, (_, outcome) in enumerate(runs):
        assert "error" not in outcome, f"thread {index}: {outcome['error']!r}"
        assert outcome["result"] == [f"f{k}" for k in range(files_per_thread)]


def test_close_waits_for_calls_in_flight(cluster, root):
    """close() on one thread while another reads: the read finishes (or reports the closed
    client), and nothing touches the released handle."""
    with sealfs.connect(cluster.manager_address) as setup:
        setup.write_bytes(f"{root}/f", b"z" * (2 << 20))
    for _ in range(5):
        client = sealfs.connect(cluster.manager_address)
        f = client.open(f"{root}/f", "rb", buffering=0)
        thread, outcome = run_in_thread(lambda f=f: [f.read(4096) for _ in range(200)])
        client.close()
        thread.join(DEADLINE)
        if "error" in outcome:
            assert isinstance(outcome["error"], ValueError)
        with pytest.raises(ValueError):
            client.listdir("/")


def test_threads_share_one_scandir(client, root):
    """Four threads draw from one scandir() iterator: together they see every entry once."""
    names = {f"n{k:04d}" for k in range(3000)}
    for name in names:
        client.open(f"{root}/{name}", "wb", buffering=0).close()
    with client.scandir(root) as entries:
        runs = [run_in_thread(lambda: [entry.name for entry in entries]) for _ in range(4)]
        for thread, _ in runs:
            thread.join(DEADLINE)
    seen = []
    for _, outcome in runs:
        assert "error" not in outcome, repr(outcome.get("error"))
        seen += outcome["result"]
    assert sorted(seen) == sorted(names)
