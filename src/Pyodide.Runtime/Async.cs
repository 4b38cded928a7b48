using Pyodide.Operations;
using System.Diagnostics;

namespace Pyodide;

/// <summary>Async Python, driven by the host (Pyodide's runPythonAsync and PyProxy's
/// then/catch/finally). The event loop lives in the guest (pyodide._loop); the host
/// runs it a step at a time and waits between steps outside the runtime's lock, so
/// other threads may call in meanwhile (e.g. to complete a host future) and waiting
/// burns no CPU.</summary>
public sealed partial class PyodideRuntime
{
    /// <summary>How often an await with nothing scheduled looks again (something only
    /// the host or another thread can complete).</summary>
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(5);

    private sealed class LoopFunctions(PyProxy step, PyProxy drive, PyProxy abandon, PyProxy ensureFuture, PyProxy then,
                                       PyProxy @finally, PyProxy createFuture, PyProxy reject, PyProxy evalAsync)
    {
        public readonly PyProxy Step = step, Drive = drive, Abandon = abandon, EnsureFuture = ensureFuture, Then = then,
            Finally = @finally, CreateFuture = createFuture, Reject = reject, EvalAsync = evalAsync;
    }

    private LoopFunctions? _loop;

    // An Interrupt() that finds no call running but a host-side wait in Await: the
    // wait wakes at once and ends with KeyboardInterrupt.
    private int _awaitInterrupted;
    private readonly SemaphoreSlim _awaitWake = new(0);

    /// <summary>Wakes a host-side wait in <see cref="Await(PyProxy, TimeSpan?)"/>, which then fails with
    /// KeyboardInterrupt (a running call is interrupted by the guest instead).</summary>
    private void InterruptWait()
    {
        Volatile.Write(ref _awaitInterrupted, 1);
        _awaitWake.Release();
    }

    private void ThrowIfWaitInterrupted(PyProxy future)
    {
        if (Interlocked.Exchange(ref _awaitInterrupted, 0) == 0) return;
        Abandon(future);
        throw new PythonException("KeyboardInterrupt", "KeyboardInterrupt: interrupted while waiting for an awaitable\n");
    }

    private void Abandon(PyProxy future)
    {
        try { Loop.Abandon.Call(future); } catch (PyodideException) { }
    }

    private LoopFunctions Loop
    {
        get
        {
            if (_loop != null) return _loop;
            using var module = (PyProxy)RunPython("import pyodide._loop\npyodide._loop")!;
            using var pyodide = (PyProxy)RunPython("import pyodide\npyodide")!;
            PyProxy Get(PyProxy m, string name)
            {
                using var function = (PyProxy)m.GetAttr(name)!;
                return Own(function);
            }
            return _loop = new LoopFunctions(Get(module, "step"), Get(module, "drive"), Get(module, "abandon"), Get(module, "ensure_future"),
                Get(module, "then"), Get(module, "finally_"), Get(module, "create_future"), Get(module, "reject"),
                Get(pyodide, "eval_code_async"));
        }
    }

    /// <summary>Runs the callbacks that are ready and the timers that are due; 0 if more is
    /// ready, else the time until the next timer, or null when nothing is scheduled.</summary>
    private TimeSpan? Step()
    {
        double next = (double)Loop.Step.Call()!;
        return next < 0 ? null : TimeSpan.FromSeconds(next);
    }

    /// <summary>Drives the event loop (pyodide_run_pending): runs ready callbacks and
    /// waits for timers, for up to <paramref name="timeout"/> (null: until nothing is
    /// scheduled; <see cref="TimeSpan.Zero"/>: only what is ready now).</summary>
    /// <returns>True if the loop went idle (nothing scheduled), false if time ran out first.</returns>
    public bool RunPending(TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (Step() is not { } next) return true;
            TimeSpan? left = timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero) return false;
            if (next > TimeSpan.Zero) Thread.Sleep(left is { } l && l < next ? l : next);
        }
    }

    /// <summary>Waits for an awaitable (coroutine, task, future) while driving the event
    /// loop, and returns its result (pyodide_await).</summary>
    /// <param name="awaitable">Anything <c>asyncio.ensure_future</c> accepts; otherwise a
    /// <see cref="PythonException"/> (TypeError).</param>
    /// <param name="timeout">How long to wait (null: no limit). Past it a
    /// <see cref="PyodideErrorKind.Limit"/> error is thrown and the awaitable stays pending.</param>
    /// <exception cref="PythonException">The awaitable failed.</exception>
    public object? Await(PyProxy awaitable, TimeSpan? timeout = null) => Await(awaitable, timeout, abandonOnTimeout: false);

    private object? Await(PyProxy awaitable, TimeSpan? timeout, bool abandonOnTimeout)
    {
        ArgumentNullException.ThrowIfNull(awaitable);
        using var future = (PyProxy)Loop.EnsureFuture.Call(awaitable)!;
        var clock = Stopwatch.StartNew();
        Volatile.Write(ref _awaitInterrupted, 0);
        while (_awaitWake.Wait(0)) { } // a stale wake-up from before this wait
        while (Drive(future) is { } wait)
        {
            ThrowIfWaitInterrupted(future);
            TimeSpan? left = timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                if (abandonOnTimeout) Abandon(future);
                throw NotDone(timeout!.Value);
            }
            _awaitWake.Wait(left is { } l && l < wait ? l : wait);
            ThrowIfWaitInterrupted(future);
        }
        return Result(future);
    }

    /// <summary>Like <see cref="Await(PyProxy, TimeSpan?)"/>, without blocking a thread while waiting.</summary>
    public async Task<object?> AwaitAsync(PyProxy awaitable, TimeSpan? timeout = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(awaitable);
        using var future = (PyProxy)Loop.EnsureFuture.Call(awaitable)!;
        var clock = Stopwatch.StartNew();
        while (Drive(future) is { } wait)
        {
            TimeSpan? left = timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero) throw NotDone(timeout!.Value);
            await Task.Delay(left is { } l && l < wait ? l : wait, cancel).ConfigureAwait(false);
        }
        return Result(future);
    }

    /// <summary>Pyodide's runPythonAsync: runs code in which top-level <c>await</c> is
    /// allowed and returns the value of its final expression once everything it awaits
    /// has completed, driving the event loop meanwhile. Blocks the calling thread, for at
    /// most <paramref name="timeout"/> (default: the runtime's <see cref="Timeout"/>): past
    /// it the code is cancelled and a <see cref="PyodideErrorKind.Limit"/> error thrown.
    /// <see cref="Interrupt"/> ends the wait with KeyboardInterrupt.</summary>
    public object? RunPythonAsyncBlocking(string code, PyProxy? globals = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(code);
        using var coroutine = (PyProxy)Loop.EvalAsync.Call(code, globals)!;
        return Await(coroutine, timeout ?? Timeout, abandonOnTimeout: true);
    }

    /// <summary>Pyodide's runPythonAsync as a <see cref="Task"/>: runs code in which
    /// top-level <c>await</c> is allowed; completes with the final expression's value.</summary>
    public Task<object?> RunPythonAsync(string code, PyProxy? globals = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(code);
        var coroutine = (PyProxy)Loop.EvalAsync.Call(code, globals)!;
        return AwaitThenDispose(coroutine, cancel);
    }

    private async Task<object?> AwaitThenDispose(PyProxy coroutine, CancellationToken cancel)
    {
        using (coroutine) return await AwaitAsync(coroutine, null, cancel).ConfigureAwait(false);
    }

    /// <summary>A new asyncio future for the host to complete later (with
    /// <see cref="ResolveFuture"/>/<see cref="RejectFuture"/>): return it from a host
    /// function and Python can await host work.</summary>
    public PyProxy CreateFuture() => (PyProxy)Loop.CreateFuture.Call()!;

    /// <summary>Completes a future with a value; Python code awaiting it resumes the next
    /// time the loop runs.</summary>
    public void ResolveFuture(PyProxy future, object? value) => ResolveFuture(future, new ManagedArgs(value));

    /// <summary><see cref="ResolveFuture(PyProxy, object?)"/> with the value in any codec.</summary>
    internal static void ResolveFuture<TValue>(PyProxy future, in TValue value) where TValue : struct, IGuestInput
    {
        ArgumentNullException.ThrowIfNull(future);
        using var setResult = (PyProxy)future.GetAttr("set_result")!;
        var discard = new DiscardResult();
        GuestOps.Call(setResult, value, ref discard);
    }

    /// <summary>Fails a future with the exception a host error of <paramref name="type"/> raises
    /// (a builtin exception of that name, else a pyodide.HostError subclass).</summary>
    public void RejectFuture(PyProxy future, string type, string message)
    {
        ArgumentNullException.ThrowIfNull(future);
        Loop.Reject.Call(future, type, message);
    }

    /// <summary>Steps the loop until <paramref name="future"/> is done (null) or nothing is
    /// ready; then how long to wait before stepping again. If stepping fails (a deadline
    /// or an interrupt), the awaited task is cancelled so it does not go on running
    /// whenever the loop is next driven.</summary>
    private TimeSpan? Drive(PyProxy future)
    {
        double wait;
        try
        {
            wait = (double)Loop.Drive.Call(future)!;
        }
        catch (PyodideException e) when (e.Kind is PyodideErrorKind.Limit or PyodideErrorKind.Python)
        {
            try { Loop.Abandon.Call(future); } catch (PyodideException) { }
            throw;
        }
        return wait == Limits.LoopDone ? null : wait < 0 ? IdlePoll : TimeSpan.FromSeconds(Math.Max(wait, 0.0001));
    }

    private static object? Result(PyProxy future)
    {
        using var result = (PyProxy)future.GetAttr("result")!;
        return result.Call();
    }

    private static PyodideException NotDone(TimeSpan timeout) =>
        new(PyodideErrorKind.Limit, $"the awaitable did not complete within {timeout.TotalSeconds:0.###} s (it is still pending)");

    /// <summary>For the C ABI and <see cref="PyProxy.Then"/>: Pyodide's then/catch/finally on
    /// an awaitable with a host callback; returns a proxy of the chained future.</summary>
    internal PyProxy Chain(PyProxy awaitable, IHostFunction callback, Action? finalizer, ChainKind kind)
    {
        ArgumentNullException.ThrowIfNull(awaitable);
        var loop = Loop;
        PyProxy fn;
        uint id;
        using (var call = Enter())
        {
            fn = new PyProxy(this, _hostModules.Callback(call.Guest, callback, finalizer, out id));
        }
        using (fn)
        {
            try
            {
                return (PyProxy)(kind switch
                {
                    ChainKind.Then => loop.Then.Call(awaitable, fn, null),
                    ChainKind.Catch => loop.Then.Call(awaitable, null, fn),
                    _ => loop.Finally.Call(awaitable, fn),
                })!;
            }
            catch
            {
                // Like a failed registration: the environment stays the caller's.
                using (Enter()) _hostModules.Forget(id);
                throw;
            }
        }
    }

    internal enum ChainKind
    {
        Then,
        Catch,
        Finally,
    }
}
