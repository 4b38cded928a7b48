using System.Diagnostics;

namespace Pyodide.Tests;

/// <summary>fcntl's locks (bridge/fcntl.c, <c>OpenFiles.Lock</c>): the host's, so runtimes that
/// share a mounted directory exclude each other as processes do, a lock goes with its file and
/// its runtime, and a wait for one ends as a call's other waits end: when it is released, by
/// <see cref="PyodideRuntime.Interrupt"/> or by the call's deadline.</summary>
public sealed class FileLockTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("pyodide-locks-");

    public FileLockTests() => File.WriteAllText(Path.Combine(_dir.FullName, "shared"), "0123456789");

    public void Dispose() => _dir.Delete(recursive: true);

    private PyodideRuntime Load() => Runtimes.Load(new PyodideOptions
    {
        Mounts = [new PyodideMount(_dir.FullName, "/data", ReadOnly: false)],
        Stdout = _ => { }, Stderr = _ => { },
    });

    private const string Setup = """
        import errno, fcntl, os, struct
        f = open('/data/shared', 'r+')
        def outcome(call):
            try:
                call()
                return 'ok'
            except OSError as e:
                return errno.errorcode[e.errno]
        """;

    [Fact]
    public void RuntimesSharingADirectoryExcludeEachOther()
    {
        using var a = Load();
        using var b = Load();
        a.RunPython(Setup);
        b.RunPython(Setup);
        a.RunPython("fcntl.flock(f, fcntl.LOCK_EX)");
        Expect.Str("EAGAIN ok", b.RunPython("""
            f'{outcome(lambda: fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB))} {outcome(lambda: fcntl.flock(f, fcntl.LOCK_UN))}'
            """));
        a.RunPython("fcntl.flock(f, fcntl.LOCK_SH)");
        Expect.Str("ok", b.RunPython("outcome(lambda: fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB))"));
        a.RunPython("fcntl.flock(f, fcntl.LOCK_UN)");
        b.RunPython("fcntl.flock(f, fcntl.LOCK_UN)");

        // Record locks: bytes 2..5 held by one runtime are in the other's way, bytes
        // beyond them are not, and a query names the lock in the way.
        a.RunPython("fcntl.lockf(f, fcntl.LOCK_EX, 4, 2)");
        Expect.Str("EAGAIN ok (1, 0, 2, 4)", b.RunPython("""
            layout = 'hhxxxxqqixxxx'
            query = struct.pack(layout, fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
            in_the_way = struct.unpack(layout, fcntl.fcntl(f, fcntl.F_OFD_GETLK, query))[:4]
            f'{outcome(lambda: fcntl.lockf(f, fcntl.LOCK_SH | fcntl.LOCK_NB, 1, 5))} {outcome(lambda: fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB, 2, 6))} {in_the_way}'
            """));
        // Disposing the runtime closes its files and so releases their locks.
        a.Dispose();
        Expect.Str("ok ok", b.RunPython("""
            f'{outcome(lambda: fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB))} {outcome(lambda: fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB))}'
            """));
    }

    [Fact]
    public void AWaitForALockEndsWhenItIsReleasedInterruptedOrOutOfTime()
    {
        using var holder = Load();
        using var waiter = Load();
        holder.RunPython(Setup + "\nfcntl.flock(f, fcntl.LOCK_EX)");
        waiter.RunPython(Setup);

        var release = Task.Run(() =>
        {
            Thread.Sleep(300);
            holder.RunPython("fcntl.flock(f, fcntl.LOCK_UN)");
        });
        var watch = Stopwatch.StartNew();
        waiter.RunPython("fcntl.flock(f, fcntl.LOCK_EX)", timeout: Timing.Hang);
        Assert.InRange(watch.Elapsed.TotalSeconds, 0.25, Timing.Hang.TotalSeconds);
        release.Wait();
        waiter.RunPython("fcntl.flock(f, fcntl.LOCK_UN)");

        holder.RunPython("fcntl.lockf(f, fcntl.LOCK_EX)");
        var interrupt = Task.Run(() =>
        {
            Thread.Sleep(300);
            waiter.Interrupt();
        });
        var e = Assert.Throws<PythonException>(() => waiter.RunPython("fcntl.lockf(f, fcntl.LOCK_EX)", timeout: Timing.Hang));
        Assert.Equal("KeyboardInterrupt", e.PythonType);
        interrupt.Wait();

        watch.Restart();
        var limit = Assert.Throws<PyodideException>(() => waiter.RunPython("fcntl.lockf(f, fcntl.LOCK_SH)", timeout: TimeSpan.FromSeconds(0.3)));
        Assert.Equal(PyodideErrorKind.Limit, limit.Kind);
        Assert.InRange(watch.Elapsed.TotalSeconds, 0.25, Timing.Hang.TotalSeconds);
        // Both runtimes carry on; the holder's lock was never lost.
        Expect.Str("EAGAIN", waiter.RunPython("outcome(lambda: fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB))"));
        holder.RunPython("fcntl.lockf(f, fcntl.LOCK_UN)");
        Expect.Str("ok", waiter.RunPython("outcome(lambda: fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB))"));
    }

    [Fact]
    public void WhatHasNoLockSaysSo()
    {
        using var py = Load();
        py.RunPython(Setup);
        // The standard streams and what WASI opened itself (a directory) have no lock of
        // the host's (ENOLCK); a closed descriptor is EBADF; a shared lock needs a file
        // open for reading and an exclusive one for writing, as on Linux.
        Expect.Str("ENOLCK ENOLCK EBADF EBADF EBADF ok", py.RunPython("""
            directory = os.open('/data', os.O_RDONLY | os.O_DIRECTORY)
            reader = os.open('/data/shared', os.O_RDONLY)
            writer = os.open('/data/shared', os.O_WRONLY)
            closed = os.open('/data/shared', os.O_RDONLY)
            os.close(closed)
            ' '.join(outcome(call) for call in (
                lambda: fcntl.flock(1, fcntl.LOCK_EX), lambda: fcntl.flock(directory, fcntl.LOCK_EX),
                lambda: fcntl.flock(closed, fcntl.LOCK_EX), lambda: fcntl.lockf(reader, fcntl.LOCK_EX),
                lambda: fcntl.lockf(writer, fcntl.LOCK_SH), lambda: fcntl.lockf(writer, fcntl.LOCK_EX)))
            """));
    }
}
