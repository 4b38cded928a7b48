using System.Runtime.CompilerServices;

namespace Pyodide.Tests;

/// <summary>Guest handles come back: disposed proxies, finalized proxies, failed calls.
/// Fresh runtimes, so nothing else moves the count.</summary>
public sealed class LeakTests
{
    [Fact]
    public void DisposedProxiesReleaseTheirHandles()
    {
        using var py = Runtimes.LoadQuiet();
        using var make = Expect.Proxy(py.RunPython("lambda i: [i]"));
        uint baseline = py.LiveHandles;
        for (int i = 0; i < 10_000; i++)
        {
            using var p = Expect.Proxy(make.Call(i));
            if (i % 1000 == 0) Expect.Long(i, p[0]);
        }
        Assert.Equal(baseline, py.LiveHandles);
    }

    [Fact]
    public void RunPythonProxiesReleaseTheirHandles()
    {
        using var py = Runtimes.LoadQuiet();
        uint baseline = py.LiveHandles;
        for (int i = 0; i < 10_000; i++)
        {
            using var p = Expect.Proxy(py.RunPython("{'a': object()}"));
        }
        Assert.Equal(baseline, py.LiveHandles);
    }

    [Fact]
    public void CopiesReleaseTheirHandles()
    {
        using var py = Runtimes.LoadQuiet();
        using var original = Expect.Proxy(py.RunPython("object()"));
        uint baseline = py.LiveHandles;
        var copies = Enumerable.Range(0, 1000).Select(_ => original.Copy()).ToList();
        Assert.Equal(baseline + 1000, py.LiveHandles);
        copies.ForEach(c => c.Dispose());
        Assert.Equal(baseline, py.LiveHandles);
    }

    [Fact]
    public void ValuesAndErrorsDoNotLeak()
    {
        using var py = Runtimes.LoadQuiet();
        using var identity = Expect.Proxy(py.RunPython("lambda x: x"));
        using var d = Expect.Proxy(py.RunPython("{}"));
        using var obj = Expect.Proxy(py.RunPython("object()"));
        uint baseline = py.LiveHandles;
        for (int i = 0; i < 2000; i++)
        {
            Assert.Throws<PythonException>(() => py.RunPython("raise ValueError('x')"));
            Assert.Throws<PythonException>(() => d["missing"]);
            Assert.False(d.TryGet("missing", out _));
            Assert.Throws<ArgumentException>(() => identity.Call(typeof(string)));
            Expect.Str("s", identity.Call("s"));
            Assert.IsType<byte[]>(identity.Call(new byte[] { 1 }));
            d["k"] = new List<object?> { obj, i };
            d.Remove("k");
            Assert.Equal("dict", d.TypeName);
            Assert.False(d.Contains(obj));
        }
        Assert.Equal(baseline, py.LiveHandles);
    }

    [Fact]
    public void FinalizedProxyIsReleasedOnTheNextCall()
    {
        using var py = Runtimes.LoadQuiet();
        uint baseline = py.LiveHandles;
        CreateAndDropProxies(py, 100, baseline);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        py.RunPython("None");
        Assert.Equal(baseline, py.LiveHandles);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CreateAndDropProxies(PyodideRuntime py, int count, uint baseline)
    {
        var proxies = new List<PyProxy>();
        for (int i = 0; i < count; i++) proxies.Add(Expect.Proxy(py.RunPython("object()")));
        Assert.Equal(baseline + (uint)count, py.LiveHandles);
    }
}
