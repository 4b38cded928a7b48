namespace Pyodide.Tests;

/// <summary>Linear memory grows for large allocations and stays usable after.</summary>
public sealed class MemoryTests
{
    [Fact]
    public void LargeAllocationAndFree()
    {
        using var py = Runtimes.LoadQuiet();
        Expect.Long(300L * 1024 * 1024, py.RunPython("big = bytearray(300 * 1024 * 1024)\nlen(big)"));
        Expect.Long(7, py.RunPython("big[-1] = 7\nbig[0] = 1\nbig[-1] + big[0] - 1"));
        Assert.Null(py.RunPython("del big\nimport gc\ngc.collect();"));
        Expect.Long(499500, py.RunPython("sum(range(1000))"));
        // The freed memory can be reused.
        Expect.Long(300L * 1024 * 1024, py.RunPython("again = bytearray(300 * 1024 * 1024)\nlen(again)"));
        py.RunPython("del again");
        using var d = Expect.Proxy(py.RunPython("{'still': 'usable'}"));
        Expect.Str("usable", d["still"]);
    }

    [Fact]
    public void LargeAllocationReturnedToHost()
    {
        using var py = Runtimes.LoadQuiet();
        var bytes = Assert.IsType<byte[]>(py.RunPython("bytes(range(256)) * (64 * 1024)"));
        Assert.Equal(16 * 1024 * 1024, bytes.Length);
        Assert.Equal(255, bytes[^1]);
        Assert.Equal(1, bytes[257]);
    }

    [Fact]
    public void MemoryLimitStopsAllocationWithoutKillingTheRuntime()
    {
        using var py = Runtimes.Load(new PyodideOptions { MemoryLimit = 256UL * 1024 * 1024, Stdout = _ => { }, Stderr = _ => { } });
        var e = Assert.Throws<PythonException>(() => py.RunPython("too_big = bytearray(512 * 1024 * 1024)"));
        Assert.Equal("MemoryError", e.PythonType);
        Expect.Long(2, py.RunPython("1 + 1"));
        Expect.Long(16L * 1024 * 1024, py.RunPython("ok = bytearray(16 * 1024 * 1024)\nlen(ok)"));
    }
}
