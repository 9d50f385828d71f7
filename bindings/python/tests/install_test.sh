#!/bin/sh
# Installs the build tree into a temp prefix with `cmake --install` and imports sealfs from the
# installed copy alone: the package is in PREFIX/SITE_DIR/sealfs, the module finds the installed
# libsealfs through its RPATH (never the build tree's), also after the prefix is moved, and
# help(sealfs) renders.
#
#   install_test.sh BUILD_DIR CMAKE PYTHON SITE_DIR
set -eu

build_dir=$1
cmake=$2
python=$3
site_dir=$4

work=$(mktemp -d /tmp/sealfs-python-install-test-XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM

fail() {
  echo "python install_test: FAIL: $*" >&2
  exit 1
}

case $site_dir in
/*) fail "SEALFS_PYTHON_INSTALL_DIR is absolute ($site_dir); this test needs it under the prefix" ;;
esac

echo "== cmake --install $build_dir --prefix $work/prefix"
"$cmake" --install "$build_dir" --prefix "$work/prefix" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; fail "cmake --install failed"; }

package=$work/prefix/$site_dir/sealfs
for file in __init__.py __init__.pyi py.typed _client.py _fileio.py _filesystem.py; do
  test -f "$package/$file" || fail "$package/$file not installed"
done
ls "$package"/_sealfs*.so >/dev/null 2>&1 || fail "no _sealfs module in $package"

# import_from PREFIX: imports sealfs with nothing but PREFIX on the path, from outside the tree.
import_from() {
  (cd "$work" && env -u LD_LIBRARY_PATH PYTHONNOUSERSITE=1 PYTHONDONTWRITEBYTECODE=1 \
    PYTHONPATH="$1/$site_dir" "$python" - "$1" <<'PY'
import pydoc
import sys

import fsspec

import sealfs

prefix = sys.argv[1] + "/"
assert sealfs.__file__.startswith(prefix), sealfs.__file__
with open("/proc/self/maps", encoding="ascii") as maps:
    libraries = {line.split()[-1] for line in maps if "libsealfs.so" in line}
assert libraries and all(path.startswith(prefix) for path in libraries), libraries
assert "sealfs.connect(" in pydoc.render_doc(sealfs, renderer=pydoc.plaintext)
assert fsspec.get_filesystem_class("sealfs") is sealfs.SealFSFileSystem
print(f"imported sealfs {sealfs.__version__} from {sealfs.__file__} with {sorted(libraries)}")
PY
  )
}

import_from "$work/prefix" || fail "import from the installed prefix"
mv "$work/prefix" "$work/moved"
import_from "$work/moved" || fail "import after moving the prefix"
echo "python install_test: OK"
