#!/usr/bin/python3
"""python_workload: what Python code gets from SealFS, beside the same code on a local directory.

    PYTHONPATH=build/bindings/python /usr/bin/python3 bindings/python/bench/python_workload.py \\
        [--manager HOST:PORT] [--local DIR] [--files 10000] [--size 1G] [--block 1M]

Runs on SealFS through sealfs.Client (the manager from --manager or SEALFS_MANAGER) and, with
--local, on a local directory through the built-in open() and os, the same steps in the same code:

  create  N empty files in one new directory (open "wb", close): files/s
  write   one file of SIZE in sequential BLOCK writes, the final fsync inside the timed span: MB/s
  read    the file back sequentially with readinto, every block checked: MB/s
  remove  the N files: files/s

MB is 10^6 bytes. As root it drops the kernel's caches before each read, so that the local read
comes from the disk as SealFS's servers' does. It deletes what it made. Speed is measured here,
never asserted in tests.
"""

import argparse
import os
import random
import sys
import time

import sealfs

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def parse_size(text):
    """ "1G", "256M", "64K" or a number of bytes."""
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = text[-1] if text and text[-1] in _UNITS else ""
    return int(text[:len(text) - len(unit)]) * _UNITS[unit]


class LocalTarget:
    """The built-in open() and os on a local directory."""

    name = "local"

    def __init__(self, directory):
        self.root = os.path.join(os.path.abspath(directory), f"python-workload-{os.getpid()}")
        self.open = open
        self.mkdir = os.mkdir
        self.remove = os.remove
        self.rmdir = os.rmdir

    @staticmethod
    def fsync(f):
        f.flush()
        os.fsync(f.fileno())


class SealFSTarget:
    """sealfs.Client on a cluster."""

    name = "sealfs"

    def __init__(self, manager):
        self.client = sealfs.connect(manager)
        self.root = f"/python-workload-{os.getpid()}"
        self.open = self.client.open
        self.mkdir = self.client.mkdir
        self.remove = self.client.remove
        self.rmdir = self.client.rmdir
        self.fsync = self.client.fsync


def drop_caches():
    """Empties the kernel's page cache when allowed (root); otherwise does nothing."""
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w", encoding="ascii") as control:
            control.write("3\n")
    except OSError:
        pass


def run(target, files, size, block):
    """The four figures for one target."""
    figures = {}
    target.mkdir(target.root)
    directory = f"{target.root}/files"
    target.mkdir(directory)
    names = [f"{directory}/f{k:06d}" for k in range(files)]
    start = time.perf_counter()
    for name in names:
        target.open(name, "wb").close()
    figures["create files/s"] = files / (time.perf_counter() - start)

    pattern = bytearray(random.Random(1).randbytes(block))
    big = f"{target.root}/big"
    blocks = size // block
    start = time.perf_counter()
    with target.open(big, "wb", buffering=0) as f:
        for k in range(blocks):
            pattern[:8] = k.to_bytes(8, "little")
            view = memoryview(pattern)
            while view:
                view = view[f.write(view):]
        target.fsync(f)
    figures["write MB/s"] = blocks * block / 1e6 / (time.perf_counter() - start)

    drop_caches()
    buffer = bytearray(block)
    expected_tail = bytes(pattern[8:])
    start = time.perf_counter()
    with target.open(big, "rb", buffering=0) as f:
        for k in range(blocks):
            view, done = memoryview(buffer), 0
            while done < block:
                count = f.readinto(view[done:])
                if count == 0:
                    raise RuntimeError(f"{target.name}: {big} ends early, in block {k}")
                done += count
            if buffer[:8] != k.to_bytes(8, "little") or buffer[8:] != expected_tail:
                raise RuntimeError(f"{target.name}: block {k} of {big} reads back wrong")
        if f.read(1):
            raise RuntimeError(f"{target.name}: {big} is longer than written")
    figures["read MB/s"] = blocks * block / 1e6 / (time.perf_counter() - start)

    start = time.perf_counter()
    for name in names:
        target.remove(name)
    figures["remove files/s"] = files / (time.perf_counter() - start)
    target.remove(big)
    target.rmdir(directory)
    target.rmdir(target.root)
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manager", help="HOST:PORT of sealfs-manager (default $SEALFS_MANAGER)")
    parser.add_argument("--local", metavar="DIR", help="also run on this local directory")
    parser.add_argument("--files", type=int, default=10_000, help="empty files to create")
    parser.add_argument("--size", type=parse_size, default=parse_size("1G"),
                        help="size of the sequential file (default 1G)")
    parser.add_argument("--block", type=parse_size, default=parse_size("1M"),
                        help="size of each write and read (default 1M)")
    args = parser.parse_args()
    if args.block < 8 or args.size < args.block:
        parser.error("--block must be at least 8 bytes and --size at least one block")

    targets = [SealFSTarget(args.manager)]
    if args.local:
        targets.append(LocalTarget(args.local))
    print(f"python_workload: {args.files} files, {args.size} bytes in {args.block}-byte blocks; "
          f"sealfs {sealfs.__version__} at {targets[0].client.manager}"
          + (f", local {targets[1].root}" if args.local else ""), flush=True)
    results = [run(target, args.files, args.size, args.block) for target in targets]
    print(f"{'':16}" + "".join(f"{target.name:>12}" for target in targets))
    for figure in results[0]:
        print(f"{figure:16}" + "".join(f"{result[figure]:12,.0f}" for result in results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
