using System.Diagnostics;

namespace Pyodide.Tests;

/// <summary>Deadlines (PyodideOptions.Timeout, RunPython's timeout, the Timeout
/// property) and Interrupt() from another thread. Run alone: they measure time.</summary>
[Collection(SerialCollection.Name)]
public sealed class TimeoutTests
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(0.3);

    /// <summary>A runtime whose error path is warm: the first exception of a fresh
    /// runtime imports and runs the traceback formatter, which under CPU load can
    /// take longer than the 100 ms grace and get the runtime killed (see
    /// <see cref="AFreshRuntimesFirstTimeoutLeavesItAlive"/>). Tests about other
    /// things start warm so they do not depend on that.</summary>
    private static PyodideRuntime Load(TimeSpan? timeout)
    {
        var py = LoadCold(timeout);
        Assert.Throws<PythonException>(() => py.RunPython("1 / 0"));
        return py;
    }

    private static PyodideRuntime LoadCold(TimeSpan? timeout) =>
        Runtimes.Load(new PyodideOptions { Timeout = timeout, Stdout = _ => { }, Stderr = _ => { } });

    /// <summary>Python that spins for <paramref name="seconds"/> then returns 'done'.</summary>
    private static string BusyFor(double seconds) => $"""
        import time
        _t0 = time.monotonic()
        while time.monotonic() - _t0 < {seconds}:
            pass
        'done'
        """;

    private static (PyodideException Error, TimeSpan Elapsed) Timed(Action action)
    {
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<PyodideException>(action);
        return (e, watch.Elapsed);
    }

    private static void AssertAlive(PyodideRuntime py)
    {
        Expect.Long(42, py.RunPython("6 * 7"));
        using var l = Expect.Proxy(py.RunPython("[1, 2]"));
        Expect.Long(2, l.Length);
    }

    [Fact]
    public void AFreshRuntimesFirstTimeoutLeavesItAlive()
    {
        // The first exception in a fresh runtime: KeyboardInterrupt is raised at
        // once, but reporting it (importing traceback, formatting) is the runtime's
        // own work and must not count as ignoring the interrupt.
        using var py = LoadCold(Short);
        var (e, elapsed) = Timed(() => py.RunPython("while True: pass"));
        Assert.Equal(PyodideErrorKind.Limit, e.Kind);
        Assert.InRange(elapsed.TotalSeconds, 0.29, Timing.Hang.TotalSeconds);
        AssertAlive(py);
    }

    [Fact]
    public void APythonLoopPastTheDeadlineIsALimitErrorAndTheRuntimeLives()
    {
        using var py = Load(Short);
        Assert.Equal(Short, py.Timeout);
        uint handles = py.LiveHandles;
        var (e, elapsed) = Timed(() => py.RunPython("while True: pass"));
        Assert.Equal(PyodideErrorKind.Limit, e.Kind);
        Assert.IsNotType<PythonException>(e);
        Assert.InRange(elapsed.TotalSeconds, 0.29, Timing.Hang.TotalSeconds);
        AssertAlive(py);
        Assert.Equal(handles, py.LiveHandles);
        // And again: each call gets a fresh deadline.
        (e, elapsed) = Timed(() => py.RunPython("x = 0\nwhile True: x += 1"));
        Assert.Equal(PyodideErrorKind.Limit, e.Kind);
        Assert.InRange(elapsed.TotalSeconds, 0.29, Timing.Hang.TotalSeconds);
        AssertAlive(py);
    }

    [Fact]
    public void ADeepStackStoppedByTheDeadlineLeavesTheRuntimeAlive()
    {
        // Nothing here catches the KeyboardInterrupt: unwinding 400 frames and
        // formatting the traceback is the runtime's own work, not code ignoring
        // the interrupt, so the runtime must survive it.
        using var py = Load(Short);
        var (e, elapsed) = Timed(() => py.RunPython("""
            def deep(n):
                if n == 0:
                    while True: pass
                return deep(n - 1)
            deep(400)
            """));
        Assert.Equal(PyodideErrorKind.Limit, e.Kind);
        Assert.InRange(elapsed.TotalSeconds, 0.29, Timing.Hang.TotalSeconds);
        AssertAlive(py);
    }

    [Fact]
    public void TheDeadlineAppliesToProxyCallsToo()
    {
        using var py = Load(Short);
        using var loop = Expect.Proxy(py.RunPython("def spin():\n    while True: pass\nspin"));
        var (e, elapsed) = Timed(() => loop.Call());
        Assert.Equal(PyodideErrorKind.Limit, e.Kind);
        Assert.InRange(elapsed.TotalSeconds, 0.29, Timing.Hang.TotalSeconds);
        using var gen = Expect.Proxy(py.RunPython("def spin_gen():\n    while True: pass\n    yield\nspin_gen()"));
        Assert.Equal(PyodideErrorKind.Limit, Assert.Throws<PyodideException>(() => gen.Next(out _)).Kind);
        AssertAlive(py);
    }

    [Fact]
    public void TheDeadlineIsPerCallNotCumulative()
    {
        var timeout = TimeSpan.FromSeconds(1);
        using var py = Load(timeout);
        using var busy = Expect.Proxy(py.RunPython("""
            import time
            def busy(s):
                t0 = time.monotonic()
                while time.monotonic() - t0 < s: pass
                return 'ok'
            busy
            """));
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < 30; i++) Expect.Str("ok", busy.Call(0.05));
        Assert.True(watch.Elapsed > timeout * 1.4);
    }

    [Fact]
    public void ACLevelLoopIsStoppedHardAndTheRuntimeIsThenDead()
    {
        using var py = Load(Short);
        using var proxy = Expect.Proxy(py.RunPython("[1, 2, 3]"));
        var (e, elapsed) = Timed(() => py.RunPython("sum(range(10**13))"));
        Assert.Equal(PyodideErrorKind.Limit, e.Kind);
        Assert.InRange(elapsed.TotalSeconds, 0.29, Timing.Hang.TotalSeconds);
        // Every later call is Fatal.
        Assert.Equal(PyodideErrorKind.Fatal, Assert.Throws<PyodideException>(() => py.RunPython("1")).Kind);
        Assert.Equal(PyodideErrorKind.Fatal, Assert.Throws<PyodideException>(() => py.RunPython("1")).Kind);
        Assert.Equal(PyodideErrorKind.Fatal, Assert.Throws<PyodideException>(() => proxy.Length).Kind);
        Assert.Equal(PyodideErrorKind.Fatal, Assert.Throws<PyodideException>(() => proxy.ToManaged()).Kind);
        Assert.Equal(PyodideErrorKind.Fatal, Assert.Throws<PyodideException>(() => proxy.GetAttr("append")).Kind);
        Assert.Equal(PyodideErrorKind.Fatal, Assert.Throws<PyodideException>(() => py.ToPy(1)).Kind);
        Assert.Equal(PyodideErrorKind.Fatal, Assert.Throws<PyodideException>(() => proxy.Iter()).Kind);
        // Disposing things on a dead runtime is still fine.
        proxy.Dispose();
    }

    [Fact]
    public void CodeThatSwallowsTheInterruptIsStoppedHard()
    {
        using var py = Load(Short);
        var (e, elapsed) = Timed(() => py.RunPython("""
            def f(): pass
            while True:
                try:
                    n = 0  # see InterruptIsCaughtByPythonAndTheCallReturnsNormally
                    while True: f()
                except KeyboardInterrupt:
                    pass
            """));
        Assert.Equal(PyodideErrorKind.Limit, e.Kind);
        // The deadline, then the grace a raised KeyboardInterrupt gets before the hard stop.
        double expected = Short.TotalSeconds + Pyodide.Guest.CallWatchdog.RaisedGrace.TotalSeconds;
        Assert.InRange(elapsed.TotalSeconds, expected - 0.05, Timing.Hang.TotalSeconds);
        Assert.Equal(PyodideErrorKind.Fatal, Assert.Throws<PyodideException>(() => py.RunPython("1")).Kind);
    }

    [Fact]
    public void PerCallTimeoutOverridesTheDefault()
    {
        // No default: a per-call deadline applies to that call only.
        using (var py = Load(null))
        {
            Assert.Null(py.Timeout);
            var (e, elapsed) = Timed(() => py.RunPython("while True: pass", timeout: Short));
            Assert.Equal(PyodideErrorKind.Limit, e.Kind);
            Assert.InRange(elapsed.TotalSeconds, 0.29, Timing.Hang.TotalSeconds);
            Expect.Str("done", py.RunPython(BusyFor(0.5)));
        }
        // A short default, lengthened for one call.
        using (var py = Load(TimeSpan.FromSeconds(0.2)))
        {
            Expect.Str("done", py.RunPython(BusyFor(0.5), timeout: TimeSpan.FromSeconds(10)));
            Assert.Equal(PyodideErrorKind.Limit, Assert.Throws<PyodideException>(() => py.RunPython(BusyFor(0.5))).Kind);
            // A longer default, shortened for one call.
            py.Timeout = TimeSpan.FromSeconds(10);
            var (e, elapsed) = Timed(() => py.RunPython("while True: pass", timeout: Short));
            Assert.Equal(PyodideErrorKind.Limit, e.Kind);
            Assert.InRange(elapsed.TotalSeconds, 0.29, Timing.Hang.TotalSeconds);
            AssertAlive(py);
        }
    }

    [Fact]
    public void InvalidTimeoutsAreRejected()
    {
        using var py = Load(null);
        Assert.Throws<ArgumentOutOfRangeException>(() => py.RunPython("1", timeout: TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => py.RunPython("1", timeout: TimeSpan.FromSeconds(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => py.Timeout = TimeSpan.Zero);
        Assert.Throws<ArgumentOutOfRangeException>(() => py.Timeout = TimeSpan.FromMilliseconds(-5));
        Assert.Null(py.Timeout);
        Assert.ThrowsAny<ArgumentException>(() => Load(TimeSpan.FromSeconds(-1)).Dispose());
        AssertAlive(py);
    }

    [Fact]
    public void TheTimeoutPropertySetter()
    {
        using var py = Load(null);
        Expect.Str("done", py.RunPython(BusyFor(0.4)));
        py.Timeout = Short;
        Assert.Equal(Short, py.Timeout);
        var (e, elapsed) = Timed(() => py.RunPython("while True: pass"));
        Assert.Equal(PyodideErrorKind.Limit, e.Kind);
        Assert.InRange(elapsed.TotalSeconds, 0.29, Timing.Hang.TotalSeconds);
        Assert.Equal(PyodideErrorKind.Limit, Assert.Throws<PyodideException>(() => py.RunPython(BusyFor(0.6))).Kind);
        py.Timeout = null;
        Assert.Null(py.Timeout);
        Expect.Str("done", py.RunPython(BusyFor(0.6)));
    }

    /// <summary>Runs <paramref name="code"/> while another thread calls Interrupt()
    /// once, <paramref name="after"/> the call started.</summary>
    private static object? RunInterrupted(PyodideRuntime py, string code, TimeSpan after, TimeSpan? safety = null)
    {
        using var started = new ManualResetEventSlim();
        var interrupter = new Thread(() =>
        {
            started.Wait();
            Thread.Sleep(after);
            py.Interrupt();
        });
        interrupter.Start();
        try
        {
            started.Set();
            // The safety deadline keeps a lost interrupt from hanging the test run.
            return py.RunPython(code, timeout: safety ?? TimeSpan.FromSeconds(20));
        }
        finally
        {
            interrupter.Join();
        }
    }

    [Fact]
    public void InterruptIsCaughtByPythonAndTheCallReturnsNormally()
    {
        using var py = Load(null);
        var watch = Stopwatch.StartNew();
        // CPython 3.11 quirk: an interrupt raised at a loop's back-jump is reported at
        // the instruction before the jump target; when the loop is the first statement
        // of a try body that instruction lies outside the try, so the exception escapes
        // it (about 4 times in 10, even with a call in the body). A statement before
        // the loop keeps the target's predecessor inside the try.
        var result = RunInterrupted(py, """
            def f(): pass
            try:
                n = 0
                while True:
                    f()
            except KeyboardInterrupt:
                caught = 'caught'
            caught
            """, TimeSpan.FromMilliseconds(200));
        Expect.Str("caught", result);
        Assert.InRange(watch.Elapsed.TotalSeconds, 0.19, Timing.Hang.TotalSeconds);
        AssertAlive(py);
    }

    [Fact]
    public void AnUncaughtInterruptIsAKeyboardInterruptAndTheRuntimeLives()
    {
        using var py = Load(null);
        var e = Assert.Throws<PythonException>(() => RunInterrupted(py, "def f(): pass\nwhile True: f()", TimeSpan.FromMilliseconds(150)));
        Assert.Equal("KeyboardInterrupt", e.PythonType);
        AssertAlive(py);
    }

    [Fact]
    public void InterruptingACLevelLoopStopsItHard()
    {
        using var py = Load(null);
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<PyodideException>(() => RunInterrupted(py, "sum(range(10**13))", TimeSpan.FromMilliseconds(150)));
        Assert.Equal(PyodideErrorKind.Limit, e.Kind);
        Assert.InRange(watch.Elapsed.TotalSeconds, 0.14, Timing.Hang.TotalSeconds);
        Assert.Equal(PyodideErrorKind.Fatal, Assert.Throws<PyodideException>(() => py.RunPython("1")).Kind);
    }

    [Fact]
    public void InterruptWithNoCallRunningDoesNothing()
    {
        using var py = Load(null);
        py.Interrupt();
        py.Interrupt();
        // The next call runs normally: no KeyboardInterrupt surfaces in it, even in a
        // loop that checks for pending interrupts all the time.
        Expect.Str("no interrupt", py.RunPython("""
            import time
            def f(): pass
            t0 = time.monotonic()
            try:
                while time.monotonic() - t0 < 0.3:
                    f()
                r = 'no interrupt'
            except KeyboardInterrupt:
                r = 'interrupted'
            r
            """));
        AssertAlive(py);
    }

    [Fact]
    public void AnInterruptArrivingAsACallEndsDoesNotLeakIntoTheNextCall()
    {
        using var py = Load(null);
        using var quick = Expect.Proxy(py.RunPython("lambda x: x + 1"));
        using var stop = new ManualResetEventSlim();
        var interrupter = new Thread(() =>
        {
            while (!stop.IsSet) py.Interrupt();
        });
        interrupter.Start();
        int interrupted = 0;
        try
        {
            for (int i = 0; i < 2000; i++)
            {
                try
                {
                    Expect.Long(i + 1, quick.Call(i));
                }
                catch (PythonException e) when (e.PythonType == "KeyboardInterrupt")
                {
                    interrupted++;
                }
            }
        }
        finally
        {
            stop.Set();
            interrupter.Join();
        }
        // Once the interrupter stops, nothing is left pending.
        Expect.Str("clean", py.RunPython("""
            def f(): pass
            try:
                for _ in range(200_000): f()
                r = 'clean'
            except KeyboardInterrupt:
                r = 'stale interrupt'
            r
            """));
        AssertAlive(py);
    }

    [Fact]
    public void InterruptOnADisposedRuntimeDoesNotThrow()
    {
        var py = Load(Short);
        py.Dispose();
        py.Interrupt();
        py.Interrupt();
        Assert.True(py.IsDisposed);
    }
}
