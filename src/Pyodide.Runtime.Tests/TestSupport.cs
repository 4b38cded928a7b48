using System.Runtime.InteropServices;
using System.Text;

namespace Pyodide.Tests;

/// <summary>Starting runtimes from the assets the project copies beside the test
/// assembly (out/lib/pyodide → bin/.../pyodide), with a clear failure when they
/// were never built.</summary>
internal static class Runtimes
{
    public static string AssetDir => PyodideOptions.DefaultAssetDir;

    /// <summary>Fails (never skips) when the assets are missing.</summary>
    public static void RequireAssets()
    {
        string wasm = Path.Combine(AssetDir, "python.wasm");
        string lib = Path.Combine(AssetDir, "lib");
        if (!File.Exists(wasm) || !Directory.Exists(lib))
            throw new InvalidOperationException(
                $"The Python assets are missing: expected {wasm} and {lib}/. " +
                "Run ./build.sh at the repository root to produce out/lib/pyodide, then rebuild " +
                "the test project, which copies those assets beside the test assembly.");
    }

    /// <summary>A runtime with the default asset directory (no configuration).</summary>
    public static PyodideRuntime Load(PyodideOptions? options = null)
    {
        RequireAssets();
        return PyodideRuntime.Load(options);
    }

    /// <summary>A runtime whose output is discarded.</summary>
    public static PyodideRuntime LoadQuiet() => Load(new PyodideOptions { Stdout = _ => { }, Stderr = _ => { } });
}

/// <summary>One runtime shared by the tests of a class (the tests there do not
/// depend on a pristine interpreter), with a few helper functions defined.</summary>
public sealed class RuntimeFixture : IDisposable
{
    public RuntimeFixture()
    {
        Runtime = Runtimes.LoadQuiet();
        Identity = (PyProxy)Runtime.RunPython("lambda x: x")!;
        Describe = (PyProxy)Runtime.RunPython("lambda x: f'{type(x).__name__}:{len(x)}:{x!r}'")!;
        TypeOf = (PyProxy)Runtime.RunPython("lambda x: type(x).__name__")!;
    }

    public PyodideRuntime Runtime { get; }

    /// <summary><c>lambda x: x</c></summary>
    public PyProxy Identity { get; }

    /// <summary><c>"type:len:repr"</c> of a sized value.</summary>
    public PyProxy Describe { get; }

    /// <summary><c>type(x).__name__</c></summary>
    public PyProxy TypeOf { get; }

    public void Dispose() => Runtime.Dispose();
}

/// <summary>Collects what an output handler receives.</summary>
internal sealed class OutputCapture
{
    private readonly MemoryStream _bytes = new();
    private readonly Lock _gate = new();

    public int Calls { get; private set; }

    public void Write(ReadOnlySpan<byte> utf8)
    {
        lock (_gate)
        {
            _bytes.Write(utf8);
            Calls++;
        }
    }

    public byte[] Bytes
    {
        get { lock (_gate) return _bytes.ToArray(); }
    }

    public string Text => Encoding.UTF8.GetString(Bytes);

    public void Clear()
    {
        lock (_gate)
        {
            _bytes.SetLength(0);
            Calls = 0;
        }
    }
}

internal static class Expect
{
    /// <summary>The value is a boxed long equal to <paramref name="expected"/>.</summary>
    public static void Long(long expected, object? actual) => Assert.Equal(expected, Assert.IsType<long>(actual));

    public static void Double(double expected, object? actual) => Assert.Equal(expected, Assert.IsType<double>(actual));

    public static void Str(string expected, object? actual) => Assert.Equal(expected, Assert.IsType<string>(actual));

    /// <summary>The value is a proxy; the caller disposes it.</summary>
    public static PyProxy Proxy(object? actual) => Assert.IsType<PyProxy>(actual);
}

/// <summary>The CPU time of the calling thread, so that other threads of the test
/// process do not count.</summary>
internal static class ThreadCpu
{
    private const int ClockThreadCpuTimeId = 3; // CLOCK_THREAD_CPUTIME_ID (Linux)

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec time);

    [DllImport("kernel32")]
    private static extern IntPtr GetCurrentThread();

    [DllImport("kernel32")]
    private static extern bool GetThreadTimes(IntPtr thread, out long creation, out long exit, out long kernel, out long user);

    public static TimeSpan Now()
    {
        if (OperatingSystem.IsWindows())
        {
            if (!GetThreadTimes(GetCurrentThread(), out _, out _, out long kernel, out long user))
                throw new InvalidOperationException("GetThreadTimes failed");
            return TimeSpan.FromTicks(kernel + user); // both in 100 ns units, as ticks
        }
        if (ClockGetTime(ClockThreadCpuTimeId, out var t) != 0)
            throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        return TimeSpan.FromTicks(t.Seconds * TimeSpan.TicksPerSecond + t.Nanoseconds / 100);
    }
}

/// <summary>Bounds for timed checks.</summary>
internal static class Timing
{
    /// <summary>The upper bound of a stop that should come within a fraction of a
    /// second: it only tells a hang (or a stop that never fires) from a slow stop on
    /// a loaded machine. The latencies themselves are measured by the benchmarks.</summary>
    public static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);
}
