#!/usr/bin/env bash
# fuse_test: unmodified shell tools on a real sealfs-fuse mount, each compared with the same work
# on a local directory; two mounts of one cluster seeing each other's changes; unmount while idle
# and after heavy writes, then a new mount sees everything.
#
#   tests/fuse_test.sh BUILD_DIR
#
# Starts its own cluster (scripts/sealfs-cluster, free ports) in a temp dir and removes it, also on
# failure. Exits 77 (skipped, with the reason) when FUSE cannot be used here.
set -euo pipefail

build=$(cd "$1" && pwd)
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fuse_bin=$build/fuse/sealfs-fuse

skip() {
  echo "SKIPPED: $*"
  exit 77
}
[[ -c /dev/fuse ]] || skip "/dev/fuse is missing"
command -v fusermount3 >/dev/null || skip "fusermount3 is missing (Debian package fuse3)"

work=$(mktemp -d /tmp/sealfs-fuse-test.XXXXXX)
mounts=()
cleanup() {
  local status=$?
  for m in "${mounts[@]}"; do fusermount3 -u "$m" 2>/dev/null || fusermount3 -uz "$m" 2>/dev/null || true; done
  SEALFS_BIN=$build "$repo/scripts/sealfs-cluster" stop --dir "$work/cluster" >/dev/null 2>&1 || true
  if ((status != 0)); then
    echo "--- logs"
    tail -n 20 "$work"/cluster/*.log "$work"/*.log 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

fail() {
  echo "FAILED: $*" >&2
  exit 1
}

SEALFS_BIN=$build "$repo/scripts/sealfs-cluster" start --dir "$work/cluster" >/dev/null
manager=$(SEALFS_BIN=$build "$repo/scripts/sealfs-cluster" address --dir "$work/cluster")

# mount_at DIR [OPTIONS]: mounts the cluster on DIR, in the foreground process of its own, with
# OPTIONS added to -o, and waits for it.
mount_at() {
  local dir=$1
  mkdir -p "$dir"
  "$fuse_bin" --manager "$manager" "$dir" -f -o "attr_timeout=0.2,entry_timeout=0.2${2:-}" \
    >"$work/$(basename "$dir").log" 2>&1 &
  mounts+=("$dir")
  last_mount_pid=$!
  for _ in $(seq 100); do
    mountpoint -q "$dir" && return 0
    kill -0 $! 2>/dev/null || break
    sleep 0.1
  done
  cat "$work/$(basename "$dir").log"
  skip "could not mount on $dir (is FUSE usable in this sandbox?)"
}

unmount() {
  fusermount3 -u "$1"
  for _ in $(seq 100); do mountpoint -q "$1" || return 0; sleep 0.1; done
  fail "$1 still mounted"
}

# What a tree looks like, times and .git internals (times, inode numbers) aside: type, mode, size (but of directories, which every file
# system counts its own way), links and symlink target of each name, then the checksum of each
# regular file.
describe() {
  (cd "$1" && find . -name .git -prune -o -printf '%y %m %s %n %p %l\n' |
    awk '$1 == "d" { $3 = "-" } { print }' | sort &&
    find . -name .git -prune -o -type f -print0 | sort -z | xargs -0 -r sha256sum)
}

same_tree() {
  diff <(describe "$1") <(describe "$2") >"$work/diff" ||
    { cat "$work/diff"; fail "$3: the mount and the local directory differ"; }
  echo "ok: $3"
}

mnt=$work/mnt
local_dir=$work/local
mkdir -p "$local_dir"
mount_at "$mnt"

# run_both NAME COMMAND...: runs COMMAND in the mount and in the local directory (as the current
# directory), compares their output and the trees.
run_both() {
  local name=$1
  shift
  (cd "$mnt" && "$@") >"$work/out.mnt" 2>&1 || { cat "$work/out.mnt"; fail "$name on the mount"; }
  (cd "$local_dir" && "$@") >"$work/out.local" 2>&1 || fail "$name on the local dir"
  diff "$work/out.local" "$work/out.mnt" || fail "$name printed something else on the mount"
  same_tree "$local_dir" "$mnt" "$name"
}

source_tree=$repo/lib
head -c 3000000 /dev/urandom >"$work/random.bin"

run_both "cp -a" cp -a "$source_tree" copied
run_both "mkdir, ln, ln -s" sh -c 'mkdir -p a/b/c && ln copied/path.cc hard && ln -s copied/path.h soft && ln -s a/b dirlink'
run_both "mv file and dir" sh -c 'mv hard a/b/moved && mv copied/file_table.cc a/ && mv a/b/c a/c2'
# Block counts and directory sizes are each file system's own; names, modes, links and sizes
# of files are not.
run_both "ls -l" sh -c "ls -l --time-style=+ . a |
  awk '\$1 != \"total\" { print \$1, \$2, (\$1 ~ /^d/ ? \"-\" : \$5), \$NF }'"
run_both "find" sh -c 'find . -name "*.h" | sort'
run_both "du" sh -c 'du -a --apparent-size -b a copied | while read -r size name; do
  [ -d "$name" ] || echo "$size $name"; done | sort -k2' 
run_both "dd" sh -c "dd if=$work/random.bin of=dd.out bs=65536 seek=3 conv=notrunc status=none && dd if=dd.out of=dd.copy bs=1M skip=0 status=none"
run_both "sha256sum" sh -c 'sha256sum dd.out dd.copy copied/*.cc'
run_both "fallocate" sh -c "head -c 300000 $work/random.bin > holes &&
  fallocate -p -o 10 -l 5000 holes && fallocate -z -o 250000 -l 100000 holes &&
  fallocate -n -o 400000 -l 4096 holes && fallocate -l 500000 holes &&
  stat -c %s holes && sha256sum holes"
run_both "mkfifo and mknod" sh -c 'mkfifo -m 640 fifo && mknod -m 600 null c 1 3 &&
  stat -c "%F %a %t:%T" fifo null'
# The archive holds times, so it differs; what it lists and what it extracts do not.
run_both "tar create and extract" sh -c "tar cf bundle.tar copied a && mkdir untar &&
  tar xf bundle.tar -C untar && tar tf bundle.tar | sort && rm bundle.tar"
run_both "rsync -a" rsync -a copied/ synced/
run_both "rm -r" rm -r untar synced
run_both "git init and commit" sh -c 'git init -q repo && cd repo && git config user.email t@t &&
  git config user.name t && cp ../copied/*.h . && git add . && git commit -qm first &&
  echo more >> path.h && git commit -qam second && git log --format=%s && git status --porcelain &&
  git fsck --no-progress 2>&1 | grep -v "^Checking" || true'

# Two mounts of one cluster: what one writes, the other sees.
mnt2=$work/mnt2
mount_at "$mnt2" ,readdirplus
echo "from mount one" >"$mnt/shared.txt"
sleep 0.5 # attr_timeout and entry_timeout are 0.2 s here
[[ $(cat "$mnt2/shared.txt") == "from mount one" ]] || fail "the second mount does not see the file"
echo "appended by two" >>"$mnt2/shared.txt"
mv "$mnt2/shared.txt" "$mnt2/renamed.txt"
sleep 0.5
[[ ! -e $mnt/shared.txt ]] || fail "the first mount still sees the old name"
[[ $(cat "$mnt/renamed.txt") == $'from mount one\nappended by two' ]] || fail "the first mount misses the append"
echo "ok: two mounts see each other's changes"

# A listing on one mount gives each name the attributes the other mount wrote (readdirplus).
mkdir "$mnt/listed"
for i in $(seq 30); do head -c $((i * 101)) "$work/random.bin" >"$mnt/listed/f$i"; done
expected=$(for i in $(seq 30); do echo "f$i $((i * 101))"; done | sort)
sleep 0.5
[[ $(cd "$mnt2/listed" && stat -c '%n %s' -- * | sort) == "$expected" ]] ||
  fail "a listing on the second mount shows other sizes"
for i in $(seq 30); do head -c $((i * 7)) "$work/random.bin" >"$mnt/listed/f$i"; done
expected=$(for i in $(seq 30); do echo "f$i $((i * 7))"; done | sort)
sleep 0.5
[[ $(cd "$mnt2/listed" && ls -l | awk '$1 != "total" { print $NF, $5 }' | sort) == "$expected" ]] ||
  fail "ls -l on the second mount shows the sizes before the rewrite"
echo "ok: a listing gives the other mount's sizes"

# Unmount while idle; a new mount sees the same tree.
before=$(describe "$mnt")
unmount "$mnt2"
unmount "$mnt"
mount_at "$mnt"
[[ $(describe "$mnt") == "$before" ]] || fail "a new mount sees another tree after unmounting idle"
echo "ok: unmount while idle"

# Heavy writes, then unmount at once: everything written and closed is there afterwards.
writers=()
for i in $(seq 8); do
  dd if=/dev/urandom of="$mnt/heavy.$i" bs=1M count=8 status=none &
  writers+=($!)
done
wait "${writers[@]}" # not a bare wait: the mounts run in the background too
expected=$(cd "$mnt" && sha256sum heavy.*)
unmount "$mnt"
mount_at "$mnt"
[[ $(cd "$mnt" && sha256sum heavy.*) == "$expected" ]] || fail "data lost across unmount after heavy writes"
echo "ok: unmount after heavy writes"

# SIGTERM to the mount process unmounts cleanly too.
echo "written before SIGTERM" >"$mnt/before-term"
kill -TERM "$last_mount_pid"
for _ in $(seq 100); do mountpoint -q "$mnt" || break; sleep 0.1; done
mountpoint -q "$mnt" && fail "SIGTERM did not unmount"
wait "$last_mount_pid" || fail "sealfs-fuse exited with an error after SIGTERM"
mount_at "$mnt"
[[ $(cat "$mnt/before-term") == "written before SIGTERM" ]] || fail "data lost across SIGTERM"
echo "ok: SIGTERM unmounts"
unmount "$mnt"
echo "all passed"
