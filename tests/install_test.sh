#!/bin/sh
# Installs the build tree into a temp prefix with `cmake --install`, then builds a small program
# out of tree against the installed copy twice, with pkg-config (sealfs.pc) and with
# find_package(SealFS) + target_link_libraries(app SealFS::sealfs), and runs both: each prints
# sealfs_version() and checks it against the headers' SEALFS_VERSION_* and the project version.
#
#   install_test.sh BUILD_DIR CMAKE C_COMPILER EXPECTED_VERSION
set -eu

build_dir=$1
cmake=$2
cc=$3
expected=$4

work=$(mktemp -d /tmp/sealfs-install-test-XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
prefix=$work/prefix

fail() {
  echo "install_test: FAIL: $*" >&2
  exit 1
}

echo "== cmake --install $build_dir --prefix $prefix"
"$cmake" --install "$build_dir" --prefix "$prefix" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; fail "cmake --install failed"; }

test -f "$prefix/include/sealfs/sealfs.h" || fail "include/sealfs/sealfs.h not installed"
test -f "$prefix/include/sealfs/sealfs.hpp" || fail "include/sealfs/sealfs.hpp not installed"
lib=$(find "$prefix" -name 'libsealfs.so.*' -type f | head -n 1)
test -n "$lib" || fail "no libsealfs.so.* installed"
libdir=$(dirname "$lib")
test -e "$libdir/libsealfs.so" || fail "no libsealfs.so (development symlink) in $libdir"
soname=$(objdump -p "$lib" | awk '/SONAME/ { print $2 }')
major=${expected%%.*}
[ "$soname" = "libsealfs.so.$major" ] || fail "SONAME is '$soname', expected libsealfs.so.$major"
# Only sealfs_* symbols leave the library.
leaked=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVWiu]$/ { print $3 }' |
  grep -Ev '^(sealfs_.*|_init|_fini|_edata|_end|__bss_start)$' || true)
[ -z "$leaked" ] || fail "symbols other than sealfs_* exported: $(echo "$leaked" | head -n 10)"
pcfile=$(find "$prefix" -name sealfs.pc | head -n 1)
test -n "$pcfile" || fail "sealfs.pc not installed"
cmakeconfig=$(find "$prefix" -name 'SealFSConfig.cmake' -o -name 'sealfs-config.cmake' | head -n 1)
test -n "$cmakeconfig" || fail "no SealFSConfig.cmake installed"

mkdir -p "$work/app"
cat >"$work/app/app.c" <<'APP'
#include <sealfs/sealfs.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  int major = -1, minor = -1, patch = -1;
  const char* v = sealfs_version(&major, &minor, &patch);
  char expected[64];
  snprintf(expected, sizeof(expected), "%d.%d.%d", SEALFS_VERSION_MAJOR, SEALFS_VERSION_MINOR,
           SEALFS_VERSION_PATCH);
  printf("sealfs %s\n", v);
  if (major != SEALFS_VERSION_MAJOR || minor != SEALFS_VERSION_MINOR ||
      patch != SEALFS_VERSION_PATCH || strcmp(v, expected) != 0 ||
      (argc > 1 && strcmp(v, argv[1]) != 0)) {
    fprintf(stderr, "version mismatch: library %s, headers %s\n", v, expected);
    return 1;
  }
  return 0;
}
APP
cat >"$work/app/app.cc" <<'APP'
#include <sealfs/sealfs.hpp>
#include <cstdio>

int main() {
  std::printf("sealfs %s (C++)\n", sealfs::version().c_str());
  return sealfs::version().empty() ? 1 : 0;
}
APP
cat >"$work/app/CMakeLists.txt" <<'APP'
cmake_minimum_required(VERSION 3.16)
project(sealfs_install_test C CXX)
set(CMAKE_CXX_STANDARD 20)
find_package(SealFS REQUIRED)
add_executable(app app.c)
target_link_libraries(app SealFS::sealfs)
add_executable(app_cpp app.cc)
target_link_libraries(app_cpp SealFS::sealfs)
APP

echo "== pkg-config"
export PKG_CONFIG_PATH="$(dirname "$pcfile")"
pkg-config --exists sealfs || fail "pkg-config does not find sealfs in $PKG_CONFIG_PATH"
pc_version=$(pkg-config --modversion sealfs)
[ "$pc_version" = "$expected" ] || fail "sealfs.pc says version $pc_version, expected $expected"
pc_includedir=$(pkg-config --variable=includedir sealfs)
case "$pc_includedir" in
  "$prefix"*) ;;
  *) fail "sealfs.pc points at $pc_includedir, not into the prefix it was installed to ($prefix): the .pc file is not relocatable (use prefix=\${pcfiledir}/../.. or configure it at install time)" ;;
esac
# shellcheck disable=SC2046
"$cc" -o "$work/app/app_pc" "$work/app/app.c" $(pkg-config --cflags --libs sealfs) ||
  fail "building against sealfs.pc failed"
out=$(LD_LIBRARY_PATH="$libdir" "$work/app/app_pc" "$expected") || fail "app (pkg-config) failed: $out"
echo "$out"
[ "$out" = "sealfs $expected" ] || fail "app (pkg-config) printed '$out'"

echo "== find_package(SealFS)"
"$cmake" -S "$work/app" -B "$work/app/build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_C_COMPILER="$cc" >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log" >&2; fail "configuring with find_package(SealFS) failed"; }
"$cmake" --build "$work/app/build" >"$work/build.log" 2>&1 ||
  { cat "$work/build.log" >&2; fail "building with SealFS::sealfs failed"; }
out=$(LD_LIBRARY_PATH="$libdir" "$work/app/build/app" "$expected") || fail "app (CMake) failed: $out"
echo "$out"
[ "$out" = "sealfs $expected" ] || fail "app (CMake) printed '$out'"
out=$(LD_LIBRARY_PATH="$libdir" "$work/app/build/app_cpp") || fail "app_cpp failed: $out"
echo "$out"

echo "install_test: OK"
