namespace Pyodide.Tests;

/// <summary>The newer API returns everything it takes: buffers, proxies made by
/// calls, by iteration and by ToManaged. Fresh runtimes, so nothing else moves
/// the counts.</summary>
public sealed class ApiLeakTests
{
    [Fact]
    public void HundredThousandBufferCyclesLeakNeitherHandlesNorMemory()
    {
        using var py = Runtimes.LoadQuiet();
        using var ba = Expect.Proxy(py.RunPython("bytearray(range(256))"));
        using var arr = Expect.Proxy(py.RunPython("import array\narray.array('d', range(64))"));
        using var view = Expect.Proxy(py.RunPython("memoryview(bytearray(24)).cast('B', (2, 3, 4))[::-1]"));

        void Round(int count)
        {
            for (int i = 0; i < count; i++)
            {
                using (var b = ba.GetBuffer()) b.AsSpan<byte>()[i & 255] = (byte)i;
                using (var d = arr.GetBuffer(i % 2 == 0 ? null : "u8")) _ = d.ByteCount;
                using (var v = view.GetBuffer()) _ = v.Get<byte>(1, 2, 3);
            }
        }

        Round(2000); // warm-up: the scratch area, the allocator's pools
        uint handles = py.LiveHandles;
        ulong memory = py.MemorySize;
        Round(100_000 / 3 + 1);
        Assert.Equal(handles, py.LiveHandles);
        Assert.Equal(memory, py.MemorySize);
        // Every export ended: the bytearray resizes.
        py.Globals["leak_ba"] = ba;
        py.RunPython("leak_ba.append(1)");
    }

    [Fact]
    public void HundredThousandGetBufferDisposeCyclesOnOneObject()
    {
        using var py = Runtimes.LoadQuiet();
        using var ba = Expect.Proxy(py.RunPython("bytearray(4096)"));
        for (int i = 0; i < 1000; i++) ba.GetBuffer().Dispose();
        uint handles = py.LiveHandles;
        ulong memory = py.MemorySize;
        for (int i = 0; i < 100_000; i++) ba.GetBuffer().Dispose();
        Assert.Equal(handles, py.LiveHandles);
        Assert.Equal(memory, py.MemorySize);
    }

    [Fact]
    public void HundredThousandProxiesFromCallsComeBack()
    {
        using var py = Runtimes.LoadQuiet();
        using var make = Expect.Proxy(py.RunPython("class LeakThing:\n    def __init__(self, i): self.i = i\nLeakThing"));
        using var kw = Expect.Proxy(py.RunPython("lambda *, i: [i]"));
        for (int i = 0; i < 1000; i++) Expect.Proxy(make.Call(i)).Dispose();
        uint baseline = py.LiveHandles;
        for (int i = 0; i < 100_000; i++)
        {
            using var thing = Expect.Proxy(make.Call(i));
            if (i % 10_000 == 0) Expect.Long(i, thing.GetAttr("i"));
        }
        Assert.Equal(baseline, py.LiveHandles);
        for (int i = 0; i < 20_000; i++)
        {
            using var list = Expect.Proxy(kw.CallKwargs([], new Dictionary<string, object?> { ["i"] = i }));
        }
        Assert.Equal(baseline, py.LiveHandles);
    }

    [Fact]
    public void ToManagedOfListsWithObjectsComesBackAfterDisposal()
    {
        using var py = Runtimes.LoadQuiet();
        using var l = Expect.Proxy(py.RunPython("[object() for _ in range(50)] + [1, 'two', [object(), {'k': object()}]]"));
        uint baseline = py.LiveHandles;
        for (int round = 0; round < 2000; round++)
        {
            var m = Assert.IsType<List<object?>>(l.ToManaged());
            Assert.Equal(baseline + 52, py.LiveHandles);
            DisposeAll(m);
            Assert.Equal(baseline, py.LiveHandles);
        }
        // Depth-limited conversions hand out proxies for the inner containers.
        for (int round = 0; round < 2000; round++) DisposeAll(l.ToManaged(1));
        Assert.Equal(baseline, py.LiveHandles);
    }

    private static void DisposeAll(object? value)
    {
        switch (value)
        {
            case PyProxy p: p.Dispose(); break;
            case List<object?> l: l.ForEach(DisposeAll); break;
            case Dictionary<object, object?> d:
                foreach (var (k, v) in d)
                {
                    DisposeAll(k);
                    DisposeAll(v);
                }
                break;
        }
    }

    [Fact]
    public void IterationAttributesAndToPyLeakNothing()
    {
        using var py = Runtimes.LoadQuiet();
        using var objects = Expect.Proxy(py.RunPython("[object() for _ in range(100)]"));
        using var target = Expect.Proxy(py.RunPython("class LeakAttr: pass\nLeakAttr()"));
        using var gen = Expect.Proxy(py.RunPython("def leak_gen(n):\n    for i in range(n):\n        x = yield object()\n    return object()\nleak_gen"));
        uint baseline = py.LiveHandles;
        for (int round = 0; round < 200; round++)
        {
            foreach (var o in objects) Expect.Proxy(o).Dispose();
            using (var g = Expect.Proxy(gen.Call(5)))
            {
                object? sent = null; // a just-started generator only accepts None
                while (true)
                {
                    using var v = Expect.Proxy(g.Next(out bool done, sent));
                    if (done) break;
                    sent = round;
                }
            }
            target.SetAttr("value", objects);
            using (var back = Expect.Proxy(target.GetAttr("value"))) Assert.True(target.HasAttr("value"));
            target.DelAttr("value");
            using (var p = py.ToPy(new List<object?> { objects, new Dictionary<string, object?> { ["o"] = objects } })) { }
        }
        Assert.Equal(baseline, py.LiveHandles);
    }
}
