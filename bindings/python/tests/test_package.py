"""The package explains itself: help(sealfs), docstrings on everything public, type hints in
sealfs/__init__.pyi that cover the public API, and the version of the headers. No cluster."""

import ast
import inspect
import os
import pydoc
import re

import sealfs

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
REPO = os.path.abspath(os.path.join(SOURCE_DIR, "..", ".."))
PUBLIC_CLASSES = [sealfs.Client, sealfs.FileIO, sealfs.DirEntry, sealfs.SealFSFileSystem]


def own_public_members(cls):
    """Public methods and properties defined by cls itself (not inherited)."""
    return {name: member for name, member in vars(cls).items()
            if not name.startswith("_") and (callable(member) or isinstance(member, property))}


def test_help_explains_usage():
    text = pydoc.render_doc(sealfs, renderer=pydoc.plaintext)
    for needed in ("sealfs.connect(", "SEALFS_MANAGER", "fs.open(", "FileNotFoundError",
                   "GIL", "fsspec.open(\"sealfs://", "class Client", "open(self, path, mode='r'",
                   "io.UnsupportedOperation"):
        assert needed in text, needed


def test_everything_public_has_a_docstring():
    missing = [name for name in sealfs.__all__
               if not name.startswith("__") and not inspect.getdoc(getattr(sealfs, name))]
    for cls in PUBLIC_CLASSES:
        for name, member in own_public_members(cls).items():
            if not inspect.getdoc(member):
                missing.append(f"{cls.__name__}.{name}")
    assert not missing


def test_stub_covers_the_public_api():
    path = os.path.join(SOURCE_DIR, "sealfs", "__init__.pyi")
    with open(path, encoding="utf-8") as stub_file:
        tree = ast.parse(stub_file.read())
    top_level = set()
    methods = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            top_level.add(node.name)
            methods[node.name] = {n.name for n in node.body if isinstance(n, ast.FunctionDef)} | {
                n.target.id for n in node.body if isinstance(n, ast.AnnAssign)}
        elif isinstance(node, ast.FunctionDef):
            top_level.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            top_level.add(node.target.id)
    assert set(sealfs.__all__) <= top_level
    for cls in (sealfs.Client, sealfs.FileIO, sealfs.DirEntry):
        missing = set(own_public_members(cls)) - methods[cls.__name__]
        assert not missing, f"{cls.__name__}: {sorted(missing)} not in the stub"


def test_version_is_the_headers():
    with open(os.path.join(REPO, "include", "sealfs", "sealfs.h"), encoding="utf-8") as header:
        match = re.search(r'#define SEALFS_VERSION_STRING "([0-9.]+)"', header.read())
    assert sealfs.__version__ == match.group(1)
