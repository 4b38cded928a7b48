namespace Pyodide.Tests;

/// <summary>PyodideRuntime.Signal: a signal reaches a handler Python set itself, as the
/// system's reach python3's; Python's defaults are left to the host.</summary>
public sealed class SignalTests
{
    private const int SIGHUP = 1, SIGINT = 2, SIGUSR1 = 10, SIGTERM = 15;

    [Fact]
    public void AHandlerOfPythonsOwnRunsInTheRunningCall()
    {
        using var py = Runtimes.LoadQuiet();
        py.RunPython("""
            import signal
            got = []
            signal.signal(signal.SIGTERM, lambda n, f: got.append(n))
            """);
        // The handler was set before the call: the signal may come at any point in it.
        var call = Task.Run(() => py.RunPython("while not got:\n    pass\ngot[0]", timeout: Timing.Hang));
        Thread.Sleep(300);
        Assert.Equal(PyodideSignalAction.Handled, py.Signal(SIGTERM));
        Assert.True(call.Wait(Timing.Hang), "the handler ended the loop");
        Assert.Equal(15L, call.Result);
    }

    [Fact]
    public void PythonsDefaultsAndIgnoredSignalsAreLeftToTheHost()
    {
        using var py = Runtimes.LoadQuiet();
        Assert.Equal(PyodideSignalAction.Default, py.Signal(SIGTERM));
        Assert.Equal(PyodideSignalAction.Default, py.Signal(SIGINT)); // signal.default_int_handler
        py.RunPython("import signal\nsignal.signal(signal.SIGHUP, signal.SIG_IGN)");
        Assert.Equal(PyodideSignalAction.Ignored, py.Signal(SIGHUP));
        // Nothing was delivered: the next call runs no handler and raises nothing.
        Assert.Equal(42L, py.RunPython("6 * 7"));
        // A handler set between calls is seen; its signal runs it at the next call.
        py.RunPython("got = []\nsignal.signal(signal.SIGUSR1, lambda n, f: got.append(n))");
        Assert.Equal(PyodideSignalAction.Handled, py.Signal(SIGUSR1));
        Assert.Equal(true, py.RunPython("got == [10]"));
    }

    [Fact]
    public void AnAlarmRunsItsHandlerAndAStoppedOneNothing()
    {
        using var py = Runtimes.LoadQuiet();
        Assert.Equal("alarm 14", py.RunPython("""
            import signal, time
            class Timeout(Exception): pass
            def on_alarm(n, f): raise Timeout(f'alarm {n}')
            signal.signal(signal.SIGALRM, on_alarm)
            signal.setitimer(signal.ITIMER_REAL, 0.2)
            try:
                time.sleep(30)
                r = 'slept'
            except Timeout as e:
                r = str(e)
            r
            """, timeout: Timing.Hang));
        // Stopped, it delivers nothing to a later call.
        py.RunPython("signal.setitimer(signal.ITIMER_REAL, 0.2)\nsignal.alarm(0)");
        Thread.Sleep(400);
        Assert.Equal(42L, py.RunPython("6 * 7"));
    }

    [Fact]
    public void DisposingARuntimeStopsItsTimer()
    {
        // A timer running every millisecond when the runtime goes: nothing is delivered
        // into its freed memory (the process would crash), and another runtime is untouched.
        for (int i = 0; i < 20; i++)
        {
            var py = Runtimes.LoadQuiet();
            py.RunPython("import signal\nsignal.signal(signal.SIGALRM, lambda n, f: None)\nsignal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)");
            py.Dispose();
        }
        Thread.Sleep(100);
        using var other = Runtimes.LoadQuiet();
        Assert.Equal(42L, other.RunPython("6 * 7"));
    }

    [Fact]
    public void SignalsRacingTheDisposalNeverReachFreedMemory()
    {
        // Another thread signals as fast as it can while the runtime is disposed: each
        // signal is delivered or refused as disposed, and the process lives on.
        for (int i = 0; i < 20; i++)
        {
            var py = Runtimes.LoadQuiet();
            py.RunPython("import signal\nsignal.signal(signal.SIGUSR1, lambda n, f: None)");
            using var go = new ManualResetEventSlim();
            int refused = 0;
            var signaller = new Thread(() =>
            {
                go.Set();
                while (true)
                {
                    try { py.Signal(SIGUSR1); }
                    catch (ObjectDisposedException) { refused++; return; }
                }
            });
            signaller.Start();
            go.Wait();
            py.Dispose();
            Assert.True(signaller.Join(Timing.Hang));
            Assert.Equal(1, refused);
        }
    }

    [Fact]
    public void BadSignalsAndDisposedOrDeadRuntimesAreRefused()
    {
        var py = Runtimes.LoadQuiet();
        Assert.Throws<ArgumentOutOfRangeException>(() => py.Signal(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => py.Signal(65));
        Assert.Throws<ArgumentOutOfRangeException>(() => py.Signal(-SIGINT));
        Assert.Equal(PyodideSignalAction.Default, py.Signal(64));
        Assert.Equal(PyodideErrorKind.Fatal, Assert.Throws<PyodideException>(() => py.RunPython("import os; os._exit(3)")).Kind);
        Assert.Equal(PyodideErrorKind.Fatal, Assert.Throws<PyodideException>(() => py.Signal(SIGTERM)).Kind);
        py.Dispose();
        Assert.Throws<ObjectDisposedException>(() => py.Signal(SIGTERM));
    }
}
