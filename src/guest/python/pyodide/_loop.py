"""The event loop of a runtime, driven by the host as Pyodide's WebLoop is
driven by JavaScript.

WASI has no socketpair, so asyncio's selector loop cannot start. HostLoop is
a BaseEventLoop whose "selector" does no I/O: inside Python (asyncio.run,
run_until_complete) it sleeps until the next timer; when the host drives the
loop with ``step`` it never blocks, and the host waits instead, between
steps, without holding the runtime. The policy is installed when asyncio is
first imported (see _bridge), so runtimes that never use asyncio never pay
for importing it.
"""
import asyncio
import time
from asyncio import events

import _pyodide_core

_IDLE_POLL = 0.01


class _NoIOSelector:
    """BaseEventLoop's hook for waiting on I/O. There is none: wait for the
    next timer (or a short while, when nothing is scheduled) unless the host
    is driving, in which case return at once."""

    def __init__(self):
        self.blocking = True

    def select(self, timeout):
        if self.blocking:
            time.sleep(_IDLE_POLL if timeout is None else timeout)
        return []

    def close(self):
        pass


class HostLoop(asyncio.BaseEventLoop):
    def __init__(self):
        super().__init__()
        self._selector = _NoIOSelector()

    def _process_events(self, event_list):
        pass

    def _write_to_self(self):
        # call_soon_threadsafe wakes a blocked selector this way; ours never
        # blocks for long.
        pass

    def run_in_executor(self, executor, func, *args):
        """Runs ``func(*args)`` now and returns a future holding its result or
        exception, whatever the executor, as Pyodide's WebLoop does: the sandbox
        has one thread, and an executor's worker would need another. So
        ``asyncio.to_thread`` and the name lookups asyncio makes in an executor
        work; the call blocks the loop until it returns."""
        self._check_closed()
        future = self.create_future()
        try:
            result = func(*args)
        except BaseException as error:  # noqa: B902 - as a worker thread's future keeps it
            future.set_exception(error)
        else:
            future.set_result(result)
        return future

    def step(self):
        """Runs the callbacks that are ready and the timers that are due,
        without blocking. Returns 0 if more is ready, the seconds until the
        next timer, or -1 when nothing is scheduled at all."""
        if self.is_running():
            raise RuntimeError("the event loop is already running (inside asyncio.run?)")
        self._selector.blocking = False
        previous = events._get_running_loop()
        events._set_running_loop(self)
        try:
            self._run_once()
        finally:
            events._set_running_loop(previous)
            self._selector.blocking = True
        if self._ready:
            return 0.0
        if self._scheduled:
            return max(0.0, self._scheduled[0].when() - self.time())
        return -1.0


class HostLoopPolicy(events.BaseDefaultEventLoopPolicy):
    _loop_factory = HostLoop

    def get_event_loop(self):
        # The runtime always has a loop for the host to drive, even after
        # asyncio.run() closed and unset the previous one.
        loop = self._local._loop
        if loop is None or loop.is_closed():
            loop = self.new_event_loop()
            self.set_event_loop(loop)
        return loop


if not isinstance(asyncio.get_event_loop_policy(), HostLoopPolicy):
    asyncio.set_event_loop_policy(HostLoopPolicy())


def get_loop():
    """The runtime's loop (the current event loop of the main thread)."""
    return asyncio.get_event_loop()


def step():
    """One host-driven step of the runtime's loop (see HostLoop.step)."""
    return get_loop().step()


def abandon(future):
    """After a deadline or interrupt stopped waiting: cancel the awaited task so
    it does not go on running whenever the loop is next driven."""
    if future.done():
        return
    future.cancel()
    loop = get_loop()
    while loop.step() == 0.0 and not future.done():
        pass
    if not future.done() and isinstance(future, asyncio.Task):
        # The interrupt landed inside the loop itself, after the task's wake-up
        # was taken off the ready queue: it can never run again. Close its
        # coroutine and forget it rather than leave it pending forever.
        future.get_coro().close()
        asyncio.tasks._unregister_task(future)


def drive(future):
    """Steps the loop until ``future`` is done (returns LOOP_DONE) or nothing is
    ready: then returns the seconds until the next timer, or -1.0 when
    nothing is scheduled. One host call per wait instead of one per step."""
    loop = get_loop()
    while not future.done():
        wait = loop.step()
        if wait != 0.0 and not future.done():
            return wait
    return _pyodide_core.LOOP_DONE


def ensure_future(awaitable):
    return asyncio.ensure_future(awaitable, loop=get_loop())


def create_future():
    return get_loop().create_future()


def _close(*callbacks):
    """The host callbacks will not be called again: let the host finalize them."""
    for callback in callbacks:
        close = getattr(callback, "close", None)
        if close is not None:
            close()


def _settle(target, callback, value):
    try:
        result = callback(value) if callback is not None else value
    except BaseException as error:  # noqa: B902 - a callback's error rejects the chain
        target.set_exception(error)
    else:
        target.set_result(result)


def then(awaitable, on_fulfilled=None, on_rejected=None):
    """Pyodide's PyProxy.then/catch: a future settled with the callback's
    result, called with the awaitable's result (or exception)."""
    source = ensure_future(awaitable)
    target = create_future()

    def done(future):
        try:
            if target.done():
                return
            if future.cancelled():
                error = asyncio.CancelledError()
            else:
                error = future.exception()
            if error is None:
                _settle(target, on_fulfilled, future.result())
            elif on_rejected is not None:
                _settle(target, on_rejected, error)
            else:
                target.set_exception(error)
        finally:
            _close(on_fulfilled, on_rejected)

    source.add_done_callback(done)
    return target


def finally_(awaitable, on_finally):
    """Pyodide's PyProxy.finally: ``on_finally()`` runs when the awaitable
    settles; the resulting future settles as the awaitable did (or with the
    callback's exception)."""
    source = ensure_future(awaitable)
    target = create_future()

    def done(future):
        try:
            on_finally()
        except BaseException as error:  # noqa: B902
            target.set_exception(error)
            return
        finally:
            _close(on_finally)
        if future.cancelled():
            target.cancel()
        elif future.exception() is not None:
            target.set_exception(future.exception())
        else:
            target.set_result(future.result())

    source.add_done_callback(done)
    return target


def reject(future, type_name, message):
    """Fails ``future`` with the exception a host error of that type raises."""
    from ._host import error_class

    future.set_exception(error_class(type_name)(message))
