"""Compile CPython's Lib/ to .pyc and pack it as python311.zip; copy the
sources of what it holds to a directory.

Usage: make-stdlib-zip.py LIB_DIR OUT_ZIP SOURCE_DIR [EXTRA_MODULE.py ...]

Run with a native Python of the same minor version as the target (the .pyc
magic number must match the target's Lib/importlib/_bootstrap_external.py).
The zip holds sourceless .pyc files (unchecked-hash, so the output does not
depend on file times), stored uncompressed, in sorted order with fixed
timestamps: the same inputs give the same bytes. Stored, not deflated: each
import of a stdlib module in the sandbox reads its member, and inflating them in
WebAssembly was a fifth of a start that imports ten common modules (stored,
0.78x its time); the zip is 10.9 MB instead of 4.4 MB. EXTRA_MODULE.py files (the build's
_sysconfigdata module) go to the top level of the zip.

Tracebacks name the files as /lib/python3.11/<path>.py, the stdlib's
location in the guest's file system layout. SOURCE_DIR receives the .py file
of every module in OUT_ZIP (10 MB) at <path>.py: installed as the guest's
/lib/python3.11, they are the files those names point to, so tracebacks
(CPython's own printer opens the file a frame names), linecache, inspect and
pdb show the stdlib's lines as python3's do. Imports do not read them: the zip
comes before that directory on sys.path.
"""

import importlib.util
import os
import py_compile
import re
import shutil
import sys
import tempfile
import zipfile

# Directories (relative to Lib/) left out entirely: tests, GUIs, installers
# and modules that cannot work in a WASI sandbox (no tkinter, curses, ctypes).
EXCLUDED_DIRS = {
    "test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3",
    "curses", "ctypes", "msilib", "__phello__", "site-packages", "venv",
}
# Directory names left out wherever they appear (package test suites).
EXCLUDED_ANYWHERE = {"test", "tests", "idle_test", "__pycache__"}
# Single modules left out.
EXCLUDED_FILES = {"turtle.py"}  # needs tkinter

DFILE_PREFIX = "/lib/python3.11/"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def target_magic(lib_dir):
    src = open(os.path.join(lib_dir, "importlib", "_bootstrap_external.py"), encoding="utf-8").read()
    m = re.search(r"^MAGIC_NUMBER = \((\d+)\)\.to_bytes\(2, 'little'\) \+ b'\\r\\n'", src, re.M)
    if not m:
        sys.exit("make-stdlib-zip: cannot find MAGIC_NUMBER in the target's importlib")
    return int(m.group(1)).to_bytes(2, "little") + b"\r\n"


def wanted(rel_dir_parts, name):
    if rel_dir_parts and rel_dir_parts[0] in EXCLUDED_DIRS:
        return False
    if any(p in EXCLUDED_ANYWHERE for p in rel_dir_parts):
        return False
    if not rel_dir_parts and name in EXCLUDED_FILES:
        return False
    return name.endswith(".py")


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    lib_dir, out_zip, source_dir, extras = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]

    magic = target_magic(lib_dir)
    if magic != importlib.util.MAGIC_NUMBER:
        sys.exit(
            f"make-stdlib-zip: {sys.executable} ({sys.version.split()[0]}) writes .pyc magic "
            f"{importlib.util.MAGIC_NUMBER!r}, the target needs {magic!r}: use a Python of the target's version"
        )

    sources = []  # (source path, name in the zip without .pyc)
    for dirpath, dirnames, filenames in os.walk(lib_dir):
        rel = os.path.relpath(dirpath, lib_dir)
        parts = [] if rel == "." else rel.split(os.sep)
        if (parts and parts[0] in EXCLUDED_DIRS) or any(p in EXCLUDED_ANYWHERE for p in parts):
            dirnames[:] = []
            continue
        for name in filenames:
            if wanted(parts, name):
                sources.append((os.path.join(dirpath, name), "/".join(parts + [name[:-3]])))
    for extra in extras:
        sources.append((extra, os.path.basename(extra)[:-3]))
    sources.sort(key=lambda s: s[1])

    mode = py_compile.PycInvalidationMode.UNCHECKED_HASH
    with tempfile.TemporaryDirectory() as tmp:
        cfile = os.path.join(tmp, "x.pyc")
        tmp_zip = out_zip + ".tmp"
        with zipfile.ZipFile(tmp_zip, "w", zipfile.ZIP_STORED) as zf:
            dirs = set()
            for src, name in sources:
                parent = name.rpartition("/")[0]
                while parent and parent not in dirs:
                    dirs.add(parent)
                    parent = parent.rpartition("/")[0]
            entries = [(d + "/", None) for d in dirs] + [(n + ".pyc", s) for s, n in sources]
            for arcname, src in sorted(entries):
                info = zipfile.ZipInfo(arcname, FIXED_TIME)
                if src is None:
                    info.external_attr = (0o40755 << 16) | 0x10
                    zf.writestr(info, b"")
                    continue
                dfile = DFILE_PREFIX + arcname[:-1]  # .pyc -> .py
                py_compile.compile(src, cfile=cfile, dfile=dfile, doraise=True, invalidation_mode=mode)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_STORED
                with open(cfile, "rb") as f:
                    zf.writestr(info, f.read())
        os.replace(tmp_zip, out_zip)
    print(f"make-stdlib-zip: {len(sources)} modules -> {out_zip} ({os.path.getsize(out_zip)} bytes)")
    for src, name in sources:
        dest = os.path.join(source_dir, name + ".py")
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(src, dest)
    print(f"make-stdlib-zip: their sources -> {source_dir}")


if __name__ == "__main__":
    main()
