using System.Diagnostics;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;

namespace Pyodide.Benchmarks;

// Each class measures one thing against a baseline in the same class (and the
// same process), so bench/report.py can give ratios that noise from other work
// on the machine mostly cancels out of. Descriptions are the row names
// bench/report.py looks for: keep them in step.

/// <summary><c>PyProxy.Call(i)</c> on <c>lambda i: i + 1</c> against a .NET delegate doing the same.</summary>
[MemoryDiagnoser]
public class CallBenchmarks
{
    private PyodideRuntime _py = null!;
    private PyProxy _inc = null!;
    private Func<long, long> _delegate = null!;
    private object?[] _args = null!;
    private long _i = 41;

    [GlobalSetup]
    public void Setup()
    {
        _py = Assets.Load();
        _inc = (PyProxy)_py.RunPython("lambda i: i + 1")!;
        _delegate = Increment;
        _args = [41L];
        if (_inc.Call(41L) is not 42L) throw new InvalidOperationException("lambda i: i + 1 did not return 42");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long Increment(long i) => i + 1;

    /// <summary>A delegate call (to a non-inlined method) is ~1 ns, below what one
    /// invocation can resolve: 16 dependent calls per invocation, reported per call.</summary>
    [Benchmark(Baseline = true, Description = "delegate call", OperationsPerInvoke = 16)]
    public long Delegate()
    {
        var f = _delegate;
        long x = _i;
        x = f(x); x = f(x); x = f(x); x = f(x);
        x = f(x); x = f(x); x = f(x); x = f(x);
        x = f(x); x = f(x); x = f(x); x = f(x);
        x = f(x); x = f(x); x = f(x); x = f(x);
        return x;
    }

    /// <summary>As a caller writes it: a params array and a boxed argument per call.</summary>
    [Benchmark(Description = "PyProxy.Call(i)")]
    public object? Call() => _inc.Call(_i);

    /// <summary>The same with the argument array built once: what is left is the library's own.</summary>
    [Benchmark(Description = "PyProxy.Call(args) reused array")]
    public object? CallReusedArgs() => _inc.Call(_args);

    /// <summary>The typed form: no array, no boxes.</summary>
    [Benchmark(Description = "PyProxy.Call<long, long>(i)")]
    public long CallTyped() => _inc.Call<long, long>(_i);

    [GlobalCleanup]
    public void Cleanup()
    {
        _inc.Dispose();
        _py.Dispose();
    }
}

/// <summary><c>RunPython("1+1")</c> against one bare guest round trip (<c>len(globals)</c>).</summary>
[MemoryDiagnoser]
public class RunPythonBenchmarks
{
    private PyodideRuntime _py = null!;
    private PyProxy _globals = null!;

    [GlobalSetup]
    public void Setup()
    {
        _py = Assets.Load();
        _globals = _py.Globals;
        if (_py.RunPython("1+1") is not 2L) throw new InvalidOperationException("1+1 is not 2");
    }

    [Benchmark(Baseline = true, Description = "len(globals) round trip")]
    public long GlobalsLength() => _globals.Length;

    [Benchmark(Description = "RunPython(\"1+1\")")]
    public object? RunPython() => _py.RunPython("1+1");

    /// <summary>A result that needs no box: what RunPython allocates itself.</summary>
    [Benchmark(Description = "RunPython(\"None\")")]
    public object? RunPythonNone() => _py.RunPython("None");

    /// <summary>The typed form: the result is not boxed.</summary>
    [Benchmark(Description = "RunPython<long>(\"1+1\")")]
    public long RunPythonTyped() => _py.RunPython<long>("1+1");

    [GlobalCleanup]
    public void Cleanup() => _py.Dispose();
}

/// <summary>.NET host functions called from a Python loop, against the same loop calling
/// a Python <c>lambda i: i</c>; reported per call (the loop's own cost included).</summary>
[MemoryDiagnoser]
public class HostFunctionBenchmarks
{
    private const int Calls = 1000;
    private PyodideRuntime _py = null!;
    private PyProxy _pyLoop = null!, _typedLoop = null!, _objectLoop = null!;

    [GlobalSetup]
    public void Setup()
    {
        _py = Assets.Load();
        _py.RegisterModule("bench_typed", new Dictionary<string, Func<long, long>> { ["identity"] = i => i });
        _py.RegisterModule("bench_object", new Dictionary<string, PyodideHostFunction> { ["identity"] = args => args[0] });
        const string loop = "def loop(f):\n    def run(n):\n        for i in range(n): f(i)\n        return n\n    return run\n";
        _pyLoop = (PyProxy)_py.RunPython(loop + "loop(lambda i: i)")!;
        _typedLoop = (PyProxy)_py.RunPython("import bench_typed\n" + loop + "loop(bench_typed.identity)")!;
        _objectLoop = (PyProxy)_py.RunPython("import bench_object\n" + loop + "loop(bench_object.identity)")!;
        foreach (var run in new[] { _pyLoop, _typedLoop, _objectLoop })
            if (run.Call<long, long>(Calls) != Calls) throw new InvalidOperationException("the loop did not run");
    }

    [Benchmark(Baseline = true, Description = "Python loop calling lambda i: i", OperationsPerInvoke = Calls)]
    public long PythonFunction() => _pyLoop.Call<long, long>(Calls);

    /// <summary>A <c>Func&lt;long, long&gt;</c> module function: nothing boxed, no array.</summary>
    [Benchmark(Description = "Python loop calling a Func<long, long> host function", OperationsPerInvoke = Calls)]
    public long TypedHostFunction() => _typedLoop.Call<long, long>(Calls);

    /// <summary>A <see cref="PyodideHostFunction"/>: an argument array and boxes per call.</summary>
    [Benchmark(Description = "Python loop calling a PyodideHostFunction", OperationsPerInvoke = Calls)]
    public long ObjectHostFunction() => _objectLoop.Call<long, long>(Calls);

    [GlobalCleanup]
    public void Cleanup()
    {
        _pyLoop.Dispose();
        _typedLoop.Dispose();
        _objectLoop.Dispose();
        _py.Dispose();
    }
}

/// <summary>A method of a .NET object Python holds (a host object: a typed method, called
/// through a delegate built once for its type), from a Python loop, against the same loop
/// calling a Python object's method; reported per call (the loop's own cost included).</summary>
[MemoryDiagnoser]
public class HostObjectBenchmarks
{
    private const int Calls = 1000;
    private PyodideRuntime _py = null!;
    private PyProxy _pyLoop = null!, _hostLoop = null!;

    /// <summary>The object Python calls: one typed method.</summary>
    public sealed class Counter
    {
        public long M(long i) => i;
    }

    [GlobalSetup]
    public void Setup()
    {
        _py = Assets.Load();
        _py.Globals["counter"] = new Counter();
        const string loop = "def loop(o):\n    def run(n):\n        for i in range(n): o.M(i)\n        return n\n    return run\n";
        _pyLoop = (PyProxy)_py.RunPython(loop + "class PyCounter:\n    def M(self, i): return i\nloop(PyCounter())")!;
        _hostLoop = (PyProxy)_py.RunPython(loop + "loop(counter)")!;
        foreach (var run in new[] { _pyLoop, _hostLoop })
            if (run.Call<long, long>(Calls) != Calls) throw new InvalidOperationException("the loop did not run");
    }

    [Benchmark(Baseline = true, Description = "Python loop calling a Python object's method", OperationsPerInvoke = Calls)]
    public long PythonMethod() => _pyLoop.Call<long, long>(Calls);

    /// <summary><c>counter.M(i)</c> on a .NET <see cref="Counter"/>: nothing boxed, no array.</summary>
    [Benchmark(Description = "Python loop calling a .NET object's method", OperationsPerInvoke = Calls)]
    public long HostMethod() => _hostLoop.Call<long, long>(Calls);

    [GlobalCleanup]
    public void Cleanup()
    {
        _pyLoop.Dispose();
        _hostLoop.Dispose();
        _py.Dispose();
    }
}

/// <summary><c>GetBuffer()</c> + <c>Dispose</c>: 64 MiB against 1 KiB shows whether the cost depends on size.</summary>
[MemoryDiagnoser]
public class GetBufferBenchmarks
{
    private PyodideRuntime _py = null!;
    private PyProxy _small = null!;
    private PyProxy _big = null!;

    [GlobalSetup]
    public void Setup()
    {
        _py = Assets.Load();
        _small = (PyProxy)_py.RunPython("bytearray(1 << 10)")!;
        _big = (PyProxy)_py.RunPython("bytearray(64 << 20)")!;
    }

    [Benchmark(Baseline = true, Description = "GetBuffer+Dispose 1 KiB")]
    public long Small()
    {
        using var buffer = _small.GetBuffer();
        return buffer.ByteCount;
    }

    [Benchmark(Description = "GetBuffer+Dispose 64 MiB")]
    public long Big()
    {
        using var buffer = _big.GetBuffer();
        return buffer.ByteCount;
    }

    [GlobalCleanup]
    public void Cleanup() => _py.Dispose();
}

/// <summary>Summing 64 MiB of float64 in place through <c>AsReadOnlySpan&lt;double&gt;()</c>
/// against the same values in a managed <c>double[]</c>; the same summing code for both.</summary>
[MemoryDiagnoser]
public class BufferSumBenchmarks
{
    private const int Count = (64 << 20) / sizeof(double);
    private PyodideRuntime _py = null!;
    private PyProxy _array = null!;
    private PyBuffer _buffer = null!;
    private double[] _managed = null!;

    [GlobalSetup]
    public void Setup()
    {
        _py = Assets.Load();
        _array = (PyProxy)_py.RunPython("import array\narray.array('d', bytes(64 << 20))")!;
        _buffer = _array.GetBuffer();
        if (_buffer.Format != "d" || _buffer.ByteCount != 64 << 20) throw new InvalidOperationException("unexpected buffer");
        _managed = new double[Count];
        var span = _buffer.AsSpan<double>();
        for (int i = 0; i < Count; i++) span[i] = _managed[i] = (i % 1000) * 0.5;
        // Python sees the host's writes; both hold the same values (halves: every sum is exact).
        _py.Globals["_a"] = _array;
        if (_py.RunPython("_a[123457]") is not 228.5) throw new InvalidOperationException("Python does not see the values");
        if (Sum(_buffer.AsReadOnlySpan<double>()) != Sum(_managed)) throw new InvalidOperationException("sums differ");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double Sum(ReadOnlySpan<double> values)
    {
        double a = 0, b = 0, c = 0, d = 0;
        int i = 0;
        for (; i + 4 <= values.Length; i += 4)
        {
            a += values[i];
            b += values[i + 1];
            c += values[i + 2];
            d += values[i + 3];
        }
        for (; i < values.Length; i++) a += values[i];
        return a + b + c + d;
    }

    [Benchmark(Baseline = true, Description = "sum double[] 64 MiB")]
    public double Managed() => Sum(_managed);

    [Benchmark(Description = "sum PyBuffer.AsReadOnlySpan<double> 64 MiB")]
    public double PyBufferSpan() => Sum(_buffer.AsReadOnlySpan<double>());

    [GlobalCleanup]
    public void Cleanup()
    {
        _buffer.Dispose();
        _py.Dispose();
    }
}

/// <summary><c>ToManaged()</c> of a 100k-int list against building the same
/// <c>List&lt;object?&gt;</c> of boxed longs in .NET.</summary>
[MemoryDiagnoser]
public class ToManagedBenchmarks
{
    private const int Count = 100_000;
    private PyodideRuntime _py = null!;
    private PyProxy _list = null!;
    private long[] _values = null!;

    [GlobalSetup]
    public void Setup()
    {
        _py = Assets.Load();
        _list = (PyProxy)_py.RunPython($"list(range({Count}))")!;
        _values = new long[Count];
        for (int i = 0; i < Count; i++) _values[i] = i;
        if (_list.ToManaged() is not List<object?> { Count: Count }) throw new InvalidOperationException("unexpected ToManaged result");
    }

    [Benchmark(Baseline = true, Description = "build List<object> of 100k longs")]
    public List<object?> Managed()
    {
        var list = new List<object?>(_values.Length);
        foreach (long v in _values) list.Add(v);
        return list;
    }

    [Benchmark(Description = "ToManaged() 100k-int list")]
    public object? ToManaged() => _list.ToManaged();

    [GlobalCleanup]
    public void Cleanup()
    {
        _list.Dispose();
        _py.Dispose();
    }
}

/// <summary><c>PyodideRuntime.Load()</c> + <c>Dispose</c> of another runtime in a process
/// that already has one (warm module cache), against starting a process (<c>/bin/true</c>).</summary>
[MemoryDiagnoser]
public class LoadBenchmarks
{
    private PyodideRuntime _first = null!;

    [GlobalSetup]
    public void Setup()
    {
        _first = Assets.Load();
        _first.RunPython("1+1");
    }

    private static readonly ProcessStartInfo TrueCommand = OperatingSystem.IsWindows()
        ? new("cmd.exe", "/c rem") { UseShellExecute = false }
        : new("/bin/true") { UseShellExecute = false };

    /// <summary>Starting the cheapest process (on Windows <c>cmd /c rem</c>) and waiting for it.</summary>
    [Benchmark(Baseline = true, Description = "Process.Start(/bin/true)+wait")]
    public int StartProcess()
    {
        using var p = Process.Start(TrueCommand)!;
        p.WaitForExit();
        return p.ExitCode;
    }

    [Benchmark(Description = "PyodideRuntime.Load()+Dispose")]
    public void LoadDispose()
    {
        using var py = Assets.Load();
    }

    [GlobalCleanup]
    public void Cleanup() => _first.Dispose();
}

/// <summary>One pass of the event loop through RunPythonAsyncBlocking, against a
/// plain RunPython of the same size (moved here from the unit tests).</summary>
[MemoryDiagnoser]
public class AsyncBenchmarks
{
    private PyodideRuntime _py = null!;

    [GlobalSetup]
    public void Setup()
    {
        _py = Assets.Load();
        _py.RunPythonAsyncBlocking("import asyncio\nawait asyncio.sleep(0)");
    }

    [Benchmark(Baseline = true, Description = "RunPython(\"None\")")]
    public object? RunPython() => _py.RunPython("None");

    [Benchmark(Description = "RunPythonAsyncBlocking(\"await asyncio.sleep(0)\")")]
    public object? RunPythonAsyncBlocking() => _py.RunPythonAsyncBlocking("await asyncio.sleep(0)");

    [GlobalCleanup]
    public void Cleanup() => _py.Dispose();
}

/// <summary>LoadPackage("six") from the local index into a fresh runtime (moved here
/// from the unit tests); each invocation gets a new runtime and package cache, so
/// an iteration is one invocation.</summary>
[MemoryDiagnoser]
[InvocationCount(1)]
public class PackageLoadBenchmarks
{
    private string _index = null!;
    private string _cache = null!;
    private PyodideRuntime _py = null!;

    [GlobalSetup]
    public void Setup() => _index = Assets.PackageFixture();

    [IterationSetup]
    public void NewRuntime()
    {
        _cache = Directory.CreateTempSubdirectory("pyodide-bench-cache-").FullName;
        _py = PyodideRuntime.Load(new PyodideOptions { AssetDir = Assets.Dir, IndexUrl = _index, PackageCacheDir = _cache });
    }

    [Benchmark(Description = "LoadPackage(\"six\") into a fresh runtime")]
    public void LoadSix() => _py.LoadPackage("six");

    [IterationCleanup]
    public void DisposeRuntime()
    {
        _py.Dispose();
        Directory.Delete(_cache, recursive: true);
    }
}
