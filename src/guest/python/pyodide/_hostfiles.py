"""importlib's reads and listings in the sandbox, answered by the host.

Each WASI filesystem call goes through Wasmtime's blocking pool: tens of
microseconds a call, more when its thread wakes on another processor. Every
stat beneath a preopened directory is the host's already (``bridge/stat.c``);
an import from a directory also lists it once (FileFinder; Wasmtime stats
every entry of a listing) and reads the module's ``.pyc`` or source (an open,
a stat, two reads and a close). The host answers those in one call each
(``_pyodide_core.read_file`` and ``list_dir``) for any plain absolute path
beneath a directory the runtime preopens — /lib, the runtime's own / with
its home and site-packages, the mounts, so sys.path[0] too — resolving it in the kernel
with the flags WASI's own resolution uses, so it follows a link exactly when
WASI would and reaches nothing WASI could not. Anything it does not answer
(another spelling, a path that leaves the sandbox, a FIFO, a name that is not
UTF-8) goes to WASI as before, which answers or raises as it always did; for a
path where nothing is, the host's answer raises the error WASI's would.

Only importlib's own calls are routed: its listing gives the names, and each
raises the audit event of the call it replaces (``open`` for a source
loader's read, as ``io.open_code`` does; ``os.listdir``)."""
import os
import posix
import sys

import _frozen_importlib_external as _bootstrap_external
import _pyodide_core

# What io.open_code's FileIO passes to the "open" audit event for a read.
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)


def install():
    """Routes importlib's ``_os.listdir`` and its source loaders' ``get_data``
    through the host."""
    if _bootstrap_external._os is posix:
        # importlib's own view of posix, with the host's listing: os.listdir is untouched.
        importlib_os = type(posix)(posix.__name__, posix.__doc__)
        vars(importlib_os).update({k: v for k, v in vars(posix).items() if not k.startswith("__")})
        importlib_os.listdir = listdir
        _bootstrap_external._os = importlib_os
    loader = _bootstrap_external.FileLoader
    if loader.get_data is not get_data:
        get_data.wasi_get_data = loader.get_data
        loader.get_data = get_data


def listdir(path):
    """importlib's ``_os.listdir`` (FileFinder's listing of a directory): the
    host's names where it answers, posix.listdir's otherwise."""
    if type(path) is not str:
        return posix.listdir(path)
    names = _pyodide_core.list_dir(path)
    if names is None:
        return posix.listdir(path)
    sys.audit("os.listdir", path)
    if type(names) is int:  # nothing there: listdir's error
        raise FileNotFoundError(names, os.strerror(names), path)
    return names.decode().split("\0")[:-1]


def get_data(self, path):
    """``FileLoader.get_data``: a source loader's read of a module's source or
    ``.pyc`` from the host where it answers, else as importlib reads it."""
    if type(path) is str and isinstance(self, _bootstrap_external.SourceLoader):
        data = _pyodide_core.read_file(path)
        if data is not None:
            sys.audit("open", path, "r", _READ_FLAGS)  # before the error, as FileIO raises it
            if type(data) is int:  # nothing there: open's error
                raise FileNotFoundError(data, os.strerror(data), path)
            return data
    return get_data.wasi_get_data(self, path)
