"""importlib's stat of a directory the host knows, answered by the host.

Before each top-level import, importlib's FileFinder stats every directory on
sys.path that it has a finder for, to see whether it changed (its modification
time). The host knows most of them: sys.path[0] (the working directory for
``-c`` and the interactive prompt, a script's own directory otherwise) is the
root of a directory it preopened, the standard library's directories are its
own in /lib, and the home's site-packages it made. A WASI stat goes through
Wasmtime's blocking pool, tens of microseconds a call and more when its thread
wakes on another processor; the host answers for those from its own stat in
one call (``_pyodide_core.stat_dir``), with what importlib reads: the type and
the modification time (the other times are that one, the rest zero). Every
other path is stat'ed through WASI as before."""
import os

import _frozen_importlib_external as _bootstrap_external
import _pyodide_core


def install():
    """Routes importlib's ``_path_stat`` through ``path_stat``."""
    if _bootstrap_external._path_stat is not path_stat:
        path_stat.wasi_stat = _bootstrap_external._path_stat
        _bootstrap_external._path_stat = path_stat


def path_stat(path):
    """importlib's ``_path_stat``: the host's answer for a directory it
    knows, WASI's for anything else."""
    known = _pyodide_core.stat_dir(path) if type(path) is str else None
    if known is None:
        return path_stat.wasi_stat(path)
    mode, mtime_ns = known
    seconds = mtime_ns // 1_000_000_000
    mtime = mtime_ns / 1e9
    return os.stat_result(
        (mode, 0, 0, 1, 0, 0, 0, seconds, seconds, seconds),
        {"st_atime": mtime, "st_mtime": mtime, "st_ctime": mtime,
         "st_atime_ns": mtime_ns, "st_mtime_ns": mtime_ns, "st_ctime_ns": mtime_ns},
    )
