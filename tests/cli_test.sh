#!/usr/bin/env bash
# cli_test.sh SEALFS [REPO]: the `sealfs` command against a real local cluster that it starts
# itself (`sealfs cluster start --dir TMP/cluster`, stopped in a trap), every subcommand checked
# against what coreutils does on a local directory where that applies: bytes copied, names
# listed, exit statuses (0, 1 for a failed operand, 2 for usage), --json parsed by Python, the
# address lookup (--manager, SEALFS_MANAGER, ./cluster/cluster.env), a server marked DOWN after
# it is killed, and scripts/sealfs-cluster recognising the cluster (REPO given).
set -euo pipefail

sealfs=$1
repo=${2:-}
py=/usr/bin/python3
umask 022
export LC_ALL=C
unset SEALFS_MANAGER

work=$(mktemp -d /tmp/sealfs-cli-test-XXXXXX)
cluster=$work/cluster
cleanup() {
  if [[ -f $cluster/cluster.env ]]; then
    "$sealfs" cluster stop --dir "$cluster" --timeout 5 >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cd "$work"

fail() {
  echo "cli_test: FAIL: $*" >&2
  exit 1
}

# expect STATUS CMD...: runs CMD with stdout in $work/out and stderr in $work/err, and fails the
# test unless it exits with STATUS.
expect() {
  local want=$1 got=0
  shift
  "$@" >"$work/out" 2>"$work/err" || got=$?
  [[ $got == "$want" ]] || fail "'$*' exited $got, expected $want; stderr: $(cat "$work/err")"
}

# err_has TEXT: the last command's stderr contains TEXT.
err_has() { grep -qF -- "$1" "$work/err" || fail "stderr lacks '$1': $(cat "$work/err")"; }

# same FILE_A FILE_B WHAT
same() { cmp -s "$1" "$2" || fail "$3: $1 and $2 differ: $(diff "$1" "$2" | head -n 20)"; }

# json EXPRESSION: evaluates a Python expression over the JSON of the last stdout (as `d`).
json() {
  "$py" -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
    "$work/out" "$1" || fail "JSON check failed: $1; output: $(head -c 2000 "$work/out")"
}

echo "== no address anywhere: usage error"
expect 2 "$sealfs" ls /
err_has "--manager HOST:PORT"
err_has "SEALFS_MANAGER"

echo "== usage errors are 2, help is 0"
expect 2 "$sealfs"
expect 2 "$sealfs" frobnicate
expect 2 "$sealfs" ls --no-such-option
expect 2 "$sealfs" cat
expect 2 "$sealfs" put only-one
expect 2 "$sealfs" mkdir -m 8 /x
expect 0 "$sealfs" --help
grep -q "SEALFS_MANAGER" "$work/out" || fail "--help does not say how the cluster is found"
expect 0 "$sealfs" put --help
expect 0 "$sealfs" --version

echo "== cluster start"
expect 0 "$sealfs" cluster start --dir "$cluster" --heartbeat-timeout-ms 3000
cat "$work/out"
for key in SEALFS_MANAGER SEALFS_CLUSTER_DIR SEALFS_MANAGER_PID SEALFS_SERVER_PIDS \
  SEALFS_SERVER_ADDRESSES; do
  grep -q "^$key=" "$cluster/cluster.env" || fail "cluster.env lacks $key"
done
for f in manager server-0 server-1 server-2 manager.log server-0.log server-1.log server-2.log; do
  [[ -e $cluster/$f ]] || fail "$cluster/$f missing"
done
address=$(sed -n 's/^SEALFS_MANAGER=//p' "$cluster/cluster.env")
expect 0 "$sealfs" cluster address --dir "$cluster"
[[ $(cat "$work/out") == "$address" ]] || fail "cluster address printed $(cat "$work/out")"
expect 0 "$sealfs" cluster status --dir "$cluster"
grep -q "4 of 4 processes running" "$work/out" || fail "cluster status: $(cat "$work/out")"
if [[ -n $repo ]]; then
  # The same layout and command lines: the script sees the cluster as its own.
  expect 0 "$repo/scripts/sealfs-cluster" status --dir "$cluster"
fi
expect 1 "$sealfs" cluster start --dir "$cluster"
err_has "already running"

echo "== the address: ./cluster/cluster.env, SEALFS_MANAGER, --manager (which wins)"
expect 0 "$sealfs" status                        # from ./cluster/cluster.env
expect 0 env -C / SEALFS_MANAGER="$address" "$sealfs" status
expect 0 env -C / SEALFS_MANAGER=127.0.0.1:1 "$sealfs" --manager "$address" status
expect 0 env -C / "$sealfs" status --manager "$address"   # after the command too
expect 1 env -C / SEALFS_MANAGER=127.0.0.1:1 "$sealfs" status
err_has "no sealfs-manager answers at 127.0.0.1:1 (from SEALFS_MANAGER)"
expect 2 env -C / "$sealfs" --manager not-an-address status
export SEALFS_MANAGER=$address

echo "== status"
expect 0 "$sealfs" status
[[ $(grep -c " UP " "$work/out") == 3 ]] || fail "status does not show 3 servers UP: $(cat "$work/out")"
grep -q "^epoch [0-9]*: 3 servers, 3 up, 0 down" "$work/out" || fail "status: $(cat "$work/out")"
expect 0 "$sealfs" status --json
json 'isinstance(d["epoch"], int) and d["epoch"] >= 1 and len(d["servers"]) == 3'
json 'all(s["state"] == "UP" and s["up"] and s["reachable"] for s in d["servers"])'
json 'all(len(s["id"]) == 16 and int(s["id"], 16) > 0 for s in d["servers"])'
json 'all(s["total_bytes"] >= s["available_bytes"] > 0 and s["inodes"] >= 0 for s in d["servers"])'
json 'sorted(s["address"] for s in d["servers"]) == sorted(open("'"$cluster"'/cluster.env").read().split("SEALFS_SERVER_ADDRESSES=\"")[1].split("\"")[0].split())'
# Only the root directory exists yet: each server counts its copy of the root's inode (three
# copies on three servers); the totals are sums over the servers.
json 'sorted(s["inodes"] for s in d["servers"]) == [1, 1, 1] and d["inodes"] == 3'

echo "== mkdir"
expect 0 "$sealfs" mkdir /d
expect 1 "$sealfs" mkdir /d
err_has "cannot create directory '/d': File exists"
expect 1 "$sealfs" mkdir /no/parent /d2
err_has "No such file or directory"
expect 0 "$sealfs" stat /d2                      # the second operand was still made
expect 0 "$sealfs" mkdir -p /d/e/f
expect 0 "$sealfs" mkdir -p /d/e/f /d
expect 0 "$sealfs" mkdir -m 700 /private
expect 0 "$sealfs" stat --json /private /d
json 'd[0]["mode"] == "0700" and d[0]["type"] == "directory" and d[1]["mode"] == "0755"'

echo "== put, get, cat: the same bytes"
head -c 5000000 /dev/urandom >random.bin
head -c $((2 << 20)) /dev/urandom >two-chunks.bin   # ends on a chunk boundary
: >empty.bin
expect 0 "$sealfs" put random.bin /d/random.bin
expect 0 "$sealfs" put two-chunks.bin empty.bin /d        # into a directory
[[ ! -s $work/err ]] || fail "put wrote to stderr without a terminal: $(cat "$work/err")"
expect 0 "$sealfs" get /d/random.bin random.back
same random.bin random.back "put then get"
mkdir back
expect 0 "$sealfs" get /d/two-chunks.bin /d/empty.bin back
same two-chunks.bin back/two-chunks.bin "get into a directory"
same empty.bin back/empty.bin "empty file"
"$sealfs" cat /d/random.bin >cat.out
same random.bin cat.out "cat"
"$sealfs" cat /d/two-chunks.bin /d/random.bin >cat2.out
cat two-chunks.bin random.bin >cat2.expected
same cat2.expected cat2.out "cat of two files"
"$sealfs" put - /d/stdin.bin <random.bin
"$sealfs" get /d/stdin.bin - >stdout.bin
same random.bin stdout.bin "put from stdin, get to stdout"
expect 1 "$sealfs" cat /d/random.bin /d/missing /d/empty.bin
err_has "sealfs: /d/missing: No such file or directory"
same random.bin "$work/out" "cat goes on after a missing file"
expect 1 "$sealfs" cat /d
err_has "Is a directory"
expect 1 "$sealfs" put no-such-local /d/x
err_has "no-such-local"
expect 1 "$sealfs" get /d/no-such-remote x
err_has "cannot stat '/d/no-such-remote': No such file or directory"
expect 1 "$sealfs" put random.bin empty.bin /d/random.bin
err_has "is not a directory"
expect 1 "$sealfs" put random.bin /no/such/dir/x
err_has "cannot create regular file '/no/such/dir/x'"

echo "== put -r and get -r: trees"
mkdir -p tree/sub/deeper tree/empty
echo hello >tree/x
echo hidden >tree/.hidden
echo spaced >"tree/a name with spaces"
head -c 300000 /dev/urandom >tree/sub/deeper/blob
ln -s x tree/link
ln -s ../x tree/sub/uplink
chmod 600 tree/sub/deeper/blob
expect 1 "$sealfs" put tree /tree
err_has "-r not specified; omitting directory 'tree'"
expect 0 "$sealfs" put -r tree /tree
expect 0 "$sealfs" get -r /tree tree.back
diff -r --no-dereference tree tree.back >/dev/null || fail "put -r then get -r: $(diff -r tree tree.back)"
[[ $(readlink tree.back/sub/uplink) == ../x ]] || fail "symlink target not kept"
[[ $(stat -c %a tree.back/sub/deeper/blob) == 600 ]] || fail "mode not kept"
expect 0 "$sealfs" get -r /tree tree.back                  # into the existing directory
[[ -f tree.back/tree/sub/deeper/blob ]] || fail "get -r into an existing directory"

echo "== ls, compared with ls -1 on the same tree"
# Relative cluster paths are taken from /, so the same operands name both trees.
for args in "tree" "-a tree" "-A tree" "tree/x" "tree tree/x tree/sub" "-d tree tree/sub"; do
  # shellcheck disable=SC2086
  expect 0 "$sealfs" ls $args
  # shellcheck disable=SC2086
  ls -1 $args >ls.expected
  same ls.expected "$work/out" "ls $args"
done
expect 1 "$sealfs" ls tree/missing tree/sub
err_has "cannot access 'tree/missing': No such file or directory"
ls -1 tree/missing tree/sub >ls.expected 2>/dev/null || true
same ls.expected "$work/out" "ls goes on after a missing operand"
# -l: the mode, link count, ids and name (with the link target) as ls -ln shows them; the size of
# files (a directory's size is the local file system's own).
expect 0 "$sealfs" ls -l tree
long_fields() { awk 'NR > 1 { $6 = $7 = $8 = ""; if ($1 ~ /^d/) $5 = ""; print }' "$1"; }
ls -ln tree >ls.expected
long_fields ls.expected >ls.expected.fields
long_fields "$work/out" >ls.out.fields
same ls.expected.fields ls.out.fields "ls -l"
grep -q "^total " "$work/out" || fail "ls -l has no total line"
expect 0 "$sealfs" ls --json -a /tree
json 'sorted(e["name"] for e in d) == sorted([".", ".."] + __import__("os").listdir("tree"))'
json '[e for e in d if e["name"] == "link"][0]["type"] == "symlink" and [e for e in d if e["name"] == "link"][0]["target"] == "x"'
json '[e for e in d if e["name"] == "x"][0]["size"] == 6 and [e for e in d if e["name"] == "x"][0]["path"] == "/tree/x"'
json 'all(k in d[0] for k in ("mode", "mode_string", "nlink", "uid", "gid", "mtime", "mtime_ns", "ino"))'

echo "== stat"
expect 0 "$sealfs" stat /d/random.bin
grep -q "Size: 5000000 " "$work/out" || fail "stat: $(cat "$work/out")"
grep -q "regular file" "$work/out" || fail "stat: $(cat "$work/out")"
grep -qF "Access: (0644/-rw-r--r--)" "$work/out" || fail "stat: $(cat "$work/out")"
expect 0 "$sealfs" stat /tree/link
grep -q "File: /tree/link -> x" "$work/out" || fail "stat of a symlink: $(cat "$work/out")"
expect 0 "$sealfs" stat --json -L /tree/link /d/empty.bin
json 'd[0]["type"] == "file" and d[0]["size"] == 6 and d[1]["size"] == 0 and d[1]["mode_string"] == "-rw-r--r--"'
expect 1 "$sealfs" stat --json /nope /d
err_has "sealfs: cannot stat '/nope': No such file or directory"
json 'len(d) == 1 and d[0]["path"] == "/d"'

echo "== mv"
expect 0 "$sealfs" mv /d/random.bin /d/moved.bin
expect 1 "$sealfs" stat /d/random.bin
"$sealfs" cat /d/moved.bin >moved.out
same random.bin moved.out "mv keeps the content"
expect 0 "$sealfs" mv /d/moved.bin /d/stdin.bin /d/e       # into a directory
expect 0 "$sealfs" ls /d/e
printf 'f\nmoved.bin\nstdin.bin\n' >ls.expected
same ls.expected "$work/out" "mv into a directory"
expect 0 "$sealfs" mv /d/e /renamed-dir                     # a directory, with its content
expect 0 "$sealfs" stat /renamed-dir/f
expect 1 "$sealfs" mv /nope /d
err_has "cannot move '/nope' to '/d/nope': No such file or directory"
expect 1 "$sealfs" mv /d/empty.bin /d/two-chunks.bin /d/x-not-a-dir
err_has "is not a directory"

echo "== rm"
expect 1 "$sealfs" rm /tree
err_has "cannot remove '/tree': Is a directory"
expect 0 "$sealfs" rm -d /tree/empty
expect 1 "$sealfs" rm -d /tree/sub
err_has "Directory not empty"
expect 1 "$sealfs" rm /nope /d/empty.bin
err_has "cannot remove '/nope': No such file or directory"
expect 1 "$sealfs" stat /d/empty.bin                        # removed despite the missing one
expect 0 "$sealfs" rm -f /nope
expect 1 "$sealfs" rm -r /
err_has "dangerous"
expect 0 "$sealfs" rm -r /tree /renamed-dir
expect 1 "$sealfs" stat /tree
expect 0 "$sealfs" ls /
printf 'd\nd2\nprivate\n' >ls.expected
same ls.expected "$work/out" "rm -r removed the trees"

echo "== progress bar only on a terminal"
head -c $((24 << 20)) /dev/zero >zeros.bin
expect 0 "$sealfs" put zeros.bin /zeros.bin
[[ ! -s $work/err ]] || fail "progress drawn without a terminal"
if command -v script >/dev/null; then
  # script(1) runs the command on a pseudo-terminal.
  SEALFS_MANAGER=$address script -qec "$sealfs put zeros.bin /zeros2.bin" /dev/null >tty.out
  grep -q "100%" tty.out || fail "no progress bar on a terminal: $(od -c tty.out | head)"
  SEALFS_MANAGER=$address script -qec "$sealfs put --no-progress zeros.bin /zeros3.bin" \
    /dev/null >tty.out
  ! grep -q "%" tty.out || fail "--no-progress drew a bar"
else
  echo "script(1) missing: progress on a terminal not checked"
fi

echo "== a killed server is DOWN in status"
# Any one: with three copies, the two others serve everything.
read -r -a pids <<<"$(sed -n 's/^SEALFS_SERVER_PIDS="\(.*\)"$/\1/p' "$cluster/cluster.env")"
server_pid=${pids[0]:-}
[[ -n $server_pid ]] || fail "no server pid in cluster.env"
kill -KILL "$server_pid"
deadline=$((SECONDS + 20))
until "$sealfs" status --json >"$work/out" 2>"$work/err" &&
  "$py" -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if d["servers_down"] == 1 else 1)' "$work/out"; do
  ((SECONDS < deadline)) ||
    fail "the killed server is not DOWN after 20 s: $(cat "$work/out" "$work/err")"
  sleep 0.2
done
json 'sum(1 for s in d["servers"] if s["state"] == "DOWN" and not s["reachable"]) == 1'
json 'sum(1 for s in d["servers"] if s["state"] == "UP" and s["reachable"]) == 2'
expect 0 "$sealfs" status
grep -Eq " DOWN +no " "$work/out" || fail "status text does not show the server DOWN: $(cat "$work/out")"
grep -q "3 servers, 2 up, 1 down" "$work/out" || fail "status: $(cat "$work/out")"
expect 1 "$sealfs" cluster status --dir "$cluster"
grep -q "3 of 4 processes running" "$work/out" || fail "cluster status: $(cat "$work/out")"

echo "== status answers within seconds with two of three servers killed"
for pid in "${pids[@]}"; do
  if [[ $pid != "$server_pid" ]]; then
    kill -KILL "$pid"
    break
  fi
done
started=$SECONDS
expect 0 timeout 30 "$sealfs" status
((SECONDS - started <= 10)) || fail "status took $((SECONDS - started)) s: $(cat "$work/out")"
grep -q "^epoch [0-9]*: 3 servers, " "$work/out" || fail "status: $(cat "$work/out")"

echo "== stop, refuse another number of servers, restart on the same data"
expect 0 "$sealfs" cluster stop --dir "$cluster"
expect 3 "$sealfs" cluster status --dir "$cluster"
expect 1 "$sealfs" cluster start --dir "$cluster" --servers 2
err_has "holds the data of 3 servers"
expect 0 "$sealfs" cluster start --dir "$cluster"
export SEALFS_MANAGER=$(sed -n 's/^SEALFS_MANAGER=//p' "$cluster/cluster.env")
"$sealfs" cat /zeros.bin >zeros.out
same zeros.bin zeros.out "data after a restart"
expect 0 "$sealfs" cluster stop --dir "$cluster"
for pid in $(sed -n 's/^SEALFS_\(MANAGER_PID\|SERVER_PIDS\)="\{0,1\}\([0-9 ]*\)"\{0,1\}$/\2/p' "$cluster/cluster.env"); do
  [[ ! -d /proc/$pid ]] || [[ $(awk '{print $3}' "/proc/$pid/stat") == Z ]] ||
    fail "pid $pid still running after stop"
done
expect 1 "$sealfs" status
err_has "no sealfs-manager answers at $SEALFS_MANAGER"
expect 2 env -u SEALFS_MANAGER -C / "$sealfs" ls /

echo "cli_test: PASS"
