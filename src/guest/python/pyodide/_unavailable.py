"""What the sandbox cannot have, failing with the reason instead of a bare
"No module named ..." or "can't start new thread".

A finder at the end of ``sys.meta_path`` answers only for the modules below,
and only after everything else (the stdlib, site-packages, host modules) has
found nothing, raising ModuleNotFoundError (an ImportError, so code that falls
back on ``except ImportError`` keeps working). multiprocessing's ways to start a
process exist in the stdlib but fail on WASI with an AttributeError (os.WNOHANG);
a finder at the front refuses them in the same way. Starting a thread raises
RuntimeError, as CPython does without threads, naming why; making a socket
raises WASI's OSError (ENOTSUP), naming why, and so do the name lookups WASI
lacks (getaddrinfo & co., as socket.gaierror), which would otherwise be
AttributeErrors from socket.create_connection or urllib.
"""
import sys

from . import _host

_NO_FFI = ("WebAssembly code cannot load or call native libraries "
           "(no foreign function interface, no libffi)")
_NO_PROCESSES = "the sandbox cannot start processes (WASI has no fork/exec)"
REASONS = {
    "ctypes": _NO_FFI,
    "_ctypes": _NO_FFI,
    "_ssl": "the sandbox has no OpenSSL and no network (WASI has no sockets to connect)",
    "_posixsubprocess": _NO_PROCESSES,
    "_multiprocessing": _NO_PROCESSES,
    "mmap": "WASI has no memory-mapped files",
}
# Stdlib modules that import but cannot work: refused before the stdlib finds them.
REFUSED = {
    "multiprocessing.popen_fork": _NO_PROCESSES,
    "multiprocessing.popen_forkserver": _NO_PROCESSES,
    "multiprocessing.popen_spawn_posix": _NO_PROCESSES,
}
NO_THREADS = "the sandbox runs one thread (WebAssembly without threads)"
NO_SOCKETS = "the sandbox has no sockets (WASI cannot create, bind or connect them)"


class _Finder:
    reasons = REASONS

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        reason = cls.reasons.get(name)
        if reason is None or name in _host._modules:  # a host module may stand in
            return None
        raise ModuleNotFoundError(f"No module named {name!r}: {reason}", name=name)


class _Refuser(_Finder):
    reasons = REFUSED


def _explain_thread_errors():
    import _thread

    start = _thread.start_new_thread

    def start_new_thread(function, args, kwargs=None):
        try:
            return start(function, args) if kwargs is None else start(function, args, kwargs)
        except RuntimeError as e:
            raise RuntimeError(f"{e}: {NO_THREADS}") from None

    start_new_thread.__doc__ = start.__doc__
    # threading keeps its own reference, taken when it is first imported.
    _thread.start_new_thread = _thread.start_new = start_new_thread


def _explain_socket_errors():
    import _socket
    import errno

    base = _socket.socket

    class socket(base):
        __slots__ = ()
        __doc__ = base.__doc__

        def __init__(self, *args, **kwargs):
            try:
                super().__init__(*args, **kwargs)
            except OSError as e:
                if e.errno != errno.ENOTSUP:
                    raise
                raise OSError(e.errno, f"{e.strerror}: {NO_SOCKETS}") from None

    socket.__module__ = base.__module__
    socket.__qualname__ = base.__qualname__
    # socket.socket subclasses (and calls the __init__ of) whatever _socket.socket
    # is when the socket module is first imported.
    _socket.socket = _socket.SocketType = socket

    def lookup(*args, **kwargs):
        raise _socket.gaierror(errno.ENOTSUP, f"name lookups need the network: {NO_SOCKETS}")

    for name in ("getaddrinfo", "getnameinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
        if not hasattr(_socket, name):
            setattr(_socket, name, lookup)


def install():
    sys.meta_path.append(_Finder)
    sys.meta_path.insert(0, _Refuser)
    _explain_thread_errors()
    _explain_socket_errors()
