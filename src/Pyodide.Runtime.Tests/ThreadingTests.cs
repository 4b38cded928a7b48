namespace Pyodide.Tests;

/// <summary>Runtimes on several threads: separate runtimes in parallel, and one
/// runtime shared by several threads (calls serialized).</summary>
public sealed class ThreadingTests
{
    private const int Threads = 4;

    [Fact]
    public void OneRuntimePerThread()
    {
        Runtimes.RequireAssets();
        var results = new long[Threads];
        var errors = new List<Exception>();
        using var start = new Barrier(Threads);
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                using var py = Runtimes.LoadQuiet();
                start.SignalAndWait();
                py.RunPython($"me = {t}");
                using var work = Expect.Proxy(py.RunPython("""
                    def work(n):
                        total = 0
                        for i in range(n):
                            total += (i * me) % 7
                        return total
                    work
                    """));
                long total = 0;
                for (int round = 0; round < 20; round++)
                    total += (long)work.Call(20_000)!;
                // Each runtime still sees its own value.
                Expect.Long(t, py.RunPython("me"));
                results[t] = total;
            }
            catch (Exception e)
            {
                lock (errors) errors.Add(e);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Empty(errors);
        for (int t = 0; t < Threads; t++)
        {
            long expected = 20 * Enumerable.Range(0, 20_000).Sum(i => (long)(i * t % 7));
            Assert.Equal(expected, results[t]);
        }
    }

    [Fact]
    public void OneRuntimeSharedByThreads()
    {
        using var py = Runtimes.LoadQuiet();
        using var combine = Expect.Proxy(py.RunPython("lambda t, i: t * 100000 + i"));
        using var counts = Expect.Proxy(py.RunPython("{}"));
        py.Globals["counts"] = counts;
        uint baseline = py.LiveHandles;
        var errors = new List<Exception>();
        using var start = new Barrier(Threads);
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                for (int i = 0; i < 1000; i++)
                {
                    object? r = combine.Call(t, i);
                    if (r is not long v || v != t * 100000L + i)
                        throw new Xunit.Sdk.XunitException($"thread {t} call {i}: got {r ?? "null"}");
                    if (i % 50 == 0)
                    {
                        py.RunPython($"counts[{t}] = counts.get({t}, 0) + 1");
                        using var list = Expect.Proxy(py.RunPython($"[{t}] * {i % 7 + 1}"));
                        Assert.Equal(i % 7 + 1, list.Length);
                        Expect.Long(t, list[0]);
                    }
                }
            }
            catch (Exception e)
            {
                lock (errors) errors.Add(e);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Empty(errors);
        for (int t = 0; t < Threads; t++) Expect.Long(20, counts[t]);
        Assert.Equal(baseline, py.LiveHandles);
    }

    [Fact]
    public void DisposeWhileAnotherThreadUsesTheRuntime()
    {
        var py = Runtimes.LoadQuiet();
        using var f = Expect.Proxy(py.RunPython("lambda i: i + 1"));
        Exception? unexpected = null;
        var worker = new Thread(() =>
        {
            try
            {
                for (long i = 0; ; i++)
                {
                    if (f.Call(i) is not long v || v != i + 1) throw new Xunit.Sdk.XunitException("wrong result");
                }
            }
            catch (ObjectDisposedException)
            {
                // Expected once the runtime is gone.
            }
            catch (Exception e)
            {
                unexpected = e;
            }
        });
        worker.Start();
        Thread.Sleep(100);
        py.Dispose();
        Assert.True(worker.Join(TimeSpan.FromSeconds(30)), "the worker did not stop");
        Assert.Null(unexpected);
    }
}
