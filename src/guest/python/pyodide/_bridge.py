"""What the C bridge needs from Python: the host-backed standard streams and
tracebacks formatted without the bridge's own frames."""
import io
import os
import sys

import _pyodide_core

_PACKAGE_DIR = os.path.dirname(__file__) + os.sep
HOME = "/home/pyodide"
# Where loaded packages are unpacked (by the host, into the runtime's private
# home), so they disappear with the runtime.
SITE_PACKAGES = HOME + "/site-packages"


class HostOutput(io.BufferedIOBase):
    """sys.stdout.buffer and sys.stderr.buffer: bytes written straight to the
    host, unbuffered, so output from Python and from the host interleave in
    order."""

    def __init__(self, fd, name):
        self._fd = fd
        self._name = name
        # The host's write itself, no Python frame in between: sys.stdout calls
        # it for every write (two per print).
        self.write = _pyodide_core.write_stdout if fd == 1 else _pyodide_core.write_stderr

    @property
    def name(self):
        return self._name

    def writable(self):
        return True

    def write(self, data):
        """Reached only once closed, when the instance's own is gone."""
        raise ValueError("I/O operation on closed file")

    def close(self):
        super().close()
        self.__dict__.pop("write", None)

    def isatty(self):
        return _pyodide_core.isatty(self._fd)

    def fileno(self):
        return self._fd


def _host_output(fd, name):
    """A text stream like CPython's own sys.stdout in UTF-8 mode, each write
    handed to the host at once (write_through); text the host cannot take as
    UTF-8 (lone surrogates) is written backslash-escaped."""
    return io.TextIOWrapper(
        HostOutput(fd, name), encoding="utf-8", errors="backslashreplace", newline="\n", write_through=True
    )


class HostInput(io.RawIOBase):
    """sys.stdin's raw bytes: whatever the host's stdin callback gives, read
    straight into the caller's buffer; end of input at once without one."""

    # Whether anything asked for input: until then the buffers above hold
    # nothing, and a restored copy keeps them (snapshot_restored).
    asked = False

    def readable(self):
        return True

    def readinto(self, buffer):
        self.asked = True
        return _pyodide_core.readinto(buffer)

    @property
    def name(self):
        return "<stdin>"

    def isatty(self):
        return _pyodide_core.isatty(0)

    def fileno(self):
        return 0


def _host_stdin():
    """A text stream like CPython's own sys.stdin in UTF-8 mode: lines split at
    "\n", undecodable bytes kept as surrogates."""
    return io.TextIOWrapper(
        io.BufferedReader(HostInput()), encoding="utf-8", errors="surrogateescape", newline="\n"
    )


def setup():
    """Called once by pyn_init after the interpreter starts."""
    # The host interrupts a call by storing KeyboardInterrupt as the thread's
    # pending asynchronous exception (bridge/interrupt.c: no guest code runs);
    # when that was built, CPython acted on it only once _signal was imported.
    import _signal  # noqa: F401

    _make_sleep_interruptible()
    _add_interval_timers()
    _add_thread_time()
    _make_terminal_size_the_hosts()
    _make_select_interruptible()
    sys.meta_path.insert(0, _AsyncioHook)
    from . import _host, _hostfiles, _unavailable, _zipreads

    _unavailable.install()
    _host.install()
    _zipreads.install()
    _hostfiles.install()

    # sys.__stdout__ and the others too, as python3 has them: code that writes
    # to the original streams reaches the host in order with the rest.
    sys.stdin = sys.__stdin__ = _host_stdin()
    sys.stdout = sys.__stdout__ = _host_output(1, "<stdout>")
    sys.stderr = sys.__stderr__ = _host_output(2, "<stderr>")
    if os.path.isdir(HOME):  # the host made it, and site-packages in it (RuntimeHomes.cs)
        os.chdir(HOME)
        sys.path.append(SITE_PACKAGES)


# Objects snapshot_seal found that keep hashes outside dicts and sets, for
# the copy to rehash (bridge/snapshot.c); empty outside a seal.
_REHASH = []


def snapshot_seal():
    """Before the host copies this interpreter (bridge/snapshot.c): copies get
    new hash secrets, so whatever keeps hashes outside the registered dicts,
    sets and strs is listed for the copy to rehash (lru_cache links,
    OrderedDict nodes) or dropped if it is only a cache (pathlib's); what a
    copy could not carry raises, naming its type. Only built-in modules are
    imported: importing functools and collections here would add ~8 ms to
    the first runtime's start. First, the archives pyodide._zipreads keeps
    open are closed: a copy may hold only its host's preopened directories."""
    import _collections
    import _functools
    import gc

    sys.modules["pyodide._zipreads"].close_all()
    pathlib = sys.modules.get("pathlib")
    pure_path = pathlib.PurePath if pathlib else ()
    set_iterator = type(iter(set()))
    rehash = []
    refused = False
    for obj in gc.get_objects():
        if isinstance(obj, (_functools._lru_cache_wrapper, _collections.OrderedDict)):
            rehash.append(obj)
        elif isinstance(obj, set_iterator):
            refused = True
            break
        elif pure_path and isinstance(obj, pure_path):
            try:
                del obj._hash
            except AttributeError:
                pass
    # The error's traceback keeps this frame: it must not keep the object.
    obj = None
    if refused:
        raise RuntimeError(
            "a set_iterator is in progress (a generator or loop suspended inside a "
            "set?): a copy rebuilds every set under a new hash secret, so it could not resume"
        )
    _check_event_loop()
    _REHASH[:] = rehash


def _check_event_loop():
    """Asyncio work in progress belongs to the host that drives the loop: a
    copy's host would never see it finish."""
    if "asyncio" not in sys.modules or "pyodide._loop" not in sys.modules:
        return
    loop = sys.modules["asyncio"].get_event_loop_policy()._local._loop
    if loop is None or loop.is_closed():
        return
    pending = [t for t in sys.modules["asyncio"].all_tasks(loop) if not t.done()]
    if pending:
        message = (f"{len(pending)} asyncio task(s) are still running (the first: {pending[0]!r}); "
                   "finish or cancel them before saving")
        pending = None  # the error's traceback keeps this frame, not the tasks
        raise RuntimeError(message)
    if loop._ready or loop._scheduled:
        message = (f"the event loop has {len(loop._ready) + len(loop._scheduled)} callback(s) "
                   f"scheduled (the first: {(list(loop._ready) or loop._scheduled)[0]!r}); run them before saving")
        loop = None
        raise RuntimeError(message)


def snapshot_saved():
    """In the interpreter that was sealed, once copied (or not): what sealing
    listed is dropped."""
    _REHASH.clear()


def snapshot_restored():
    """First thing in a copy of a sealed interpreter, under its new hash
    secret (strs and str-keyed dicts rehash as they are used; sets and other
    dicts were rehashed): the objects sealing listed, host modules (the
    copy's host registers its own), standard input once read (the saving
    host's unread input is not this one's) and a random state of its own."""
    for obj in _REHASH:
        _pyodide_core.snapshot_rehash(obj)
    _REHASH.clear()
    if "pyodide._host" in sys.modules:
        sys.modules["pyodide._host"].snapshot_restored()
    if isinstance(sys.stdin, io.TextIOWrapper) and isinstance(getattr(sys.stdin, "buffer", None), io.BufferedReader):
        if isinstance(sys.stdin.buffer.raw, HostInput) and sys.stdin.buffer.raw.asked:
            used = sys.stdin
            sys.stdin = _host_stdin()
            if sys.__stdin__ is used:
                sys.__stdin__ = sys.stdin
    if "random" in sys.modules:
        sys.modules["random"].seed()
    tempfile = sys.modules.get("tempfile")
    if tempfile is not None:
        tempfile._name_sequence = None


def _make_terminal_size_the_hosts():
    """os.get_terminal_size, which WASI lacks: the host's terminal's size
    (bridge/runtime.c)."""
    os.get_terminal_size = _pyodide_core.get_terminal_size


def _add_interval_timers():
    """signal.alarm, setitimer and getitimer, which WASI lacks: the host's timer
    delivers SIGALRM to Python's handler (bridge/timers.c). signal.py takes
    them from _signal, as python3's does."""
    import _signal

    for name in ("alarm", "setitimer", "getitimer", "ItimerError"):
        setattr(_signal, name, getattr(_pyodide_core, name))
    _signal.ITIMER_REAL, _signal.ITIMER_VIRTUAL, _signal.ITIMER_PROF = 0, 1, 2


def _add_thread_time():
    """time.thread_time and thread_time_ns, which CPython leaves out on WASI:
    the CPU time of the host thread making the call (bridge/clocks.c)."""
    import time

    time.thread_time = _pyodide_core.thread_time
    time.thread_time_ns = _pyodide_core.thread_time_ns
    native_get_clock_info = time.get_clock_info

    def get_clock_info(name, /):
        if name != "thread_time":
            return native_get_clock_info(name)
        from types import SimpleNamespace  # not at every start: only this answer needs it

        return SimpleNamespace(
            implementation="clock_gettime(CLOCK_THREAD_CPUTIME_ID)",
            monotonic=True,
            adjustable=False,
            resolution=time.clock_getres(time.CLOCK_THREAD_CPUTIME_ID),
        )

    get_clock_info.__doc__ = native_get_clock_info.__doc__
    time.get_clock_info = get_clock_info


def _make_sleep_interruptible():
    """time.sleep blocks inside a WASI call, where neither deadlines nor
    pyodide_interrupt can reach it; sleeping in short slices lets both act
    between slices, as a signal would interrupt a native sleep."""
    import time

    native_sleep = time.sleep
    monotonic = time.monotonic

    def sleep(seconds):
        if not (isinstance(seconds, (int, float)) and seconds > 0):
            # Zero, and what time.sleep refuses (negative, NaN, wrong types)
            # with its own errors.
            return native_sleep(seconds)
        end = monotonic() + seconds
        while True:
            left = end - monotonic()
            if left <= 0:
                return
            native_sleep(min(left, 0.01))

    sleep.__doc__ = native_sleep.__doc__
    time.sleep = sleep


class _AsyncioHook:
    """Installs the host-driven event loop policy (pyodide._loop) the moment
    asyncio is imported, then steps aside."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name != "asyncio":
            return None
        sys.meta_path.remove(_AsyncioHook)
        import importlib.util

        spec = importlib.util.find_spec("asyncio")
        spec.loader = _InstallPolicy(spec.loader)  # the zip's loader is shared: wrap it
        return spec


class _InstallPolicy:
    """Loads asyncio with its own loader, then sets the event loop policy."""

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        # Importing _loop installs the policy; if _loop is what is importing
        # asyncio right now, it does so as soon as it is defined.
        from . import _loop  # noqa: F401


def _slices(timeout):
    """Yields the waits (at most 10 ms each) that make up ``timeout`` seconds
    (None: forever), so deadlines and interrupts act between them."""
    import time

    if timeout is None:
        while True:
            yield 0.01
    end = time.monotonic() + max(timeout, 0)
    while True:
        left = end - time.monotonic()
        yield min(max(left, 0), 0.01)
        if left <= 0.01:
            return


# wasi-libc's FD_SETSIZE: select() refuses descriptors from it on.
_FD_SETSIZE = 1024


def _fileno(f):
    return f if isinstance(f, int) else f.fileno()


def _make_select_interruptible():
    """select.select and poll objects block inside WASI's poll_oneoff, as
    time.sleep does; wait in slices there too (selectors use them)."""
    import select

    native_select = select.select
    native_poll = select.poll

    def select_(rlist, wlist, xlist, timeout=None):
        wait_for = native_select
        if not xlist and any(_fileno(f) >= _FD_SETSIZE for f in (*rlist, *wlist)):
            # Files the host serves are numbered from 2**30 (bridge/files.c),
            # past what select() takes; poll() takes any descriptor.
            wait_for = _select_by_poll
        for wait in _slices(timeout):
            ready = wait_for(rlist, wlist, xlist, wait)
            if any(ready):
                return ready
        return ([], [], [])

    def _select_by_poll(rlist, wlist, xlist, wait):
        poll = native_poll()
        masks = {}
        for objects, mask in ((rlist, select.POLLIN), (wlist, select.POLLOUT)):
            for f in objects:
                masks[_fileno(f)] = masks.get(_fileno(f), 0) | mask
        for fd, mask in masks.items():
            poll.register(fd, mask)
        events = dict(poll.poll(int(wait * 1000)))
        readable = select.POLLIN | select.POLLHUP | select.POLLERR
        writable = select.POLLOUT | select.POLLHUP | select.POLLERR
        return ([f for f in rlist if events.get(_fileno(f), 0) & readable],
                [f for f in wlist if events.get(_fileno(f), 0) & writable], [])

    class _Poll:
        def __init__(self):
            self._poll = native_poll()
            self.register = self._poll.register
            self.modify = self._poll.modify
            self.unregister = self._poll.unregister

        def poll(self, timeout=None):
            seconds = None if timeout is None or timeout < 0 else timeout / 1000
            for wait in _slices(seconds):
                events = self._poll.poll(int(wait * 1000))
                if events:
                    return events
            return []

    select_.__doc__ = native_select.__doc__
    select.select = select_
    select.poll = _Poll


def _is_internal(filename):
    return filename.startswith(_PACKAGE_DIR)


def format_exception(exc):
    """The traceback of ``exc`` as Python prints it, minus the leading frames
    of this package (the code runner), always encodable as UTF-8."""
    import traceback

    tb = exc.__traceback__
    while tb is not None and _is_internal(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    text = "".join(traceback.format_exception(type(exc), exc, tb))
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
