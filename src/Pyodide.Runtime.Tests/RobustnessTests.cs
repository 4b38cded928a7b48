namespace Pyodide.Tests;

/// <summary>Python code must not be able to kill its runtime by ordinary means,
/// and a runtime that does die (a wasm trap) must say so and stay dead safely.
/// Fresh runtimes: these tests may kill theirs.</summary>
public sealed class RobustnessTests
{
    [Fact]
    public void PurePythonRecursionRaisesRecursionError()
    {
        using var py = Runtimes.LoadQuiet();
        var e = Assert.Throws<PythonException>(() => py.RunPython("def down(n):\n    return down(n + 1)\ndown(0)"));
        Assert.Equal("RecursionError", e.PythonType);
        Expect.Long(2, py.RunPython("1 + 1"));
    }

    // Recursion that passes through C code at the default recursion limit must end in
    // RecursionError, as in CPython and Pyodide, not in a trap that kills the runtime.
    // The C frames of each path differ in size; __getattr__'s slot and the getattr
    // builtin grew most when profile-guided inlining was unbounded.
    [Theory]
    [InlineData("map", "def down(n):\n    return list(map(down, [n + 1]))\ndown(0)")]
    [InlineData("getattr", "class Deep:\n    def __getattr__(self, name):\n        return getattr(Deep(), name)\nDeep().anything")]
    [InlineData("repr", "class Node:\n    def __init__(self, depth):\n        self.depth = depth\n    def __repr__(self):\n        return repr(Node(self.depth + 1))\nrepr(Node(0))")]
    public void RecursionThroughCRaisesRecursionError(string path, string code)
    {
        using var py = Runtimes.LoadQuiet();
        var e = Assert.Throws<PythonException>(() => py.RunPython(code));
        Assert.True(e.PythonType == "RecursionError", $"{path}: {e.PythonType}");
        Expect.Long(2, py.RunPython("1 + 1"));
    }

    [Fact]
    public void DeadRuntimeStaysDeadSafely()
    {
        var py = Runtimes.LoadQuiet();
        var proxy = Expect.Proxy(py.RunPython("[1, 2, 3]"));
        // Lifting the recursion limit lets C-level recursion exhaust the wasm stack.
        var error = Assert.ThrowsAny<PyodideException>(() => py.RunPython("""
            import sys
            sys.setrecursionlimit(10**6)
            def down(n):
                return list(map(down, [n + 1]))
            down(0)
            """));
        if (error is PythonException python)
        {
            // Also acceptable: the interpreter noticed in time.
            Assert.Equal("RecursionError", python.PythonType);
            Assert.Equal(3, proxy.Length);
            py.Dispose();
            return;
        }

        Assert.Equal(PyodideErrorKind.Fatal, error.Kind);
        Assert.Contains("call stack exhausted", error.Message); // the trap's cause, not just "error while executing"
        Assert.False(py.IsDisposed);

        var again = Assert.ThrowsAny<PyodideException>(() => py.RunPython("1"));
        Assert.Equal(PyodideErrorKind.Fatal, again.Kind);
        Assert.Contains("dead", again.Message);
        Assert.Equal(PyodideErrorKind.Fatal, Assert.ThrowsAny<PyodideException>(() => proxy.Length).Kind);
        Assert.Equal(PyodideErrorKind.Fatal, Assert.ThrowsAny<PyodideException>(() => proxy[0]).Kind);
        Assert.Equal(PyodideErrorKind.Fatal, Assert.ThrowsAny<PyodideException>(() => py.Globals).Kind);
        string snapshot = Path.Combine(Path.GetTempPath(), $"pyodide-dead-{Guid.NewGuid():N}.snapshot");
        Assert.Equal(PyodideErrorKind.Fatal, Assert.ThrowsAny<PyodideException>(() => py.SaveSnapshot(snapshot)).Kind);
        Assert.False(File.Exists(snapshot));
        proxy.Dispose(); // harmless
        py.Dispose();
        Assert.True(py.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => py.RunPython("1"));
    }

    [Fact]
    public void ARuntimeDyingInACallFromAHostFunctionSaysSoOnce()
    {
        using var py = Runtimes.LoadQuiet();
        py.RegisterModule("dies", new Dictionary<string, PyodideHostFunction>
        {
            ["inside"] = _ => py.RunPython("import os\nos.abort()"),
        });
        // The host function's exception may not be caught by Python: the runtime is dead.
        var error = Assert.ThrowsAny<PyodideException>(() => py.RunPython("""
            import dies
            try:
                dies.inside()
            except BaseException:
                pass
            """));
        Assert.Equal(PyodideErrorKind.Fatal, error.Kind);
        Assert.Contains("in a call a host function made", error.Message);
        Assert.Equal(1, CountOf(error.Message, "wasm trap"));
        var again = Assert.ThrowsAny<PyodideException>(() => py.RunPython("1"));
        Assert.Equal(PyodideErrorKind.Fatal, again.Kind);
    }

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "").Length) / part.Length;

    [Fact]
    public void StdinIsEmptyAndNeverBlocks()
    {
        using var py = Runtimes.LoadQuiet();
        var e = Assert.Throws<PythonException>(() => py.RunPython("input()"));
        Assert.Equal("EOFError", e.PythonType);
        Expect.Str("", py.RunPython("import sys\nsys.stdin.read()"));
    }

    [Fact]
    public void UnsupportedOsFeaturesAreExceptions()
    {
        using var py = Runtimes.LoadQuiet();
        Assert.Equal("OSError", Assert.Throws<PythonException>(() => py.RunPython("import subprocess\nsubprocess.run(['ls'])")).PythonType);
        Assert.Equal("RuntimeError", Assert.Throws<PythonException>(() => py.RunPython("import threading\nthreading.Thread(target=print).start()")).PythonType);
        Assert.Equal("OSError", Assert.Throws<PythonException>(() => py.RunPython("import socket\nsocket.socket()")).PythonType);
        Expect.Long(2, py.RunPython("1 + 1"));
    }

    [Fact]
    public void ClockAndRandomnessWork()
    {
        using var py = Runtimes.LoadQuiet();
        double now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        double guestNow = Assert.IsType<double>(py.RunPython("import time\ntime.time()"));
        Assert.InRange(guestNow, now - 60, now + 60);
        double slept = Assert.IsType<double>(py.RunPython("t = time.monotonic()\ntime.sleep(0.05)\ntime.monotonic() - t"));
        Assert.InRange(slept, 0.045, 5);
        var a = Assert.IsType<byte[]>(py.RunPython("import os\nos.urandom(32)"));
        var b = Assert.IsType<byte[]>(py.RunPython("os.urandom(32)"));
        Assert.Equal(32, a.Length);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void MemoryLimitTooSmallToStartIsALimitError()
    {
        Runtimes.RequireAssets();
        var e = Assert.ThrowsAny<PyodideException>(() => PyodideRuntime.Load(new PyodideOptions { MemoryLimit = 1 << 20 }));
        Assert.Equal(PyodideErrorKind.Limit, e.Kind);
    }
}
