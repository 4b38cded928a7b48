namespace Pyodide.Tests;

/// <summary>foreach over proxies, and Iter()/Next() as Pyodide's iterator and
/// generator protocol: yielded values, sent values, return values, errors.</summary>
public sealed class IterationTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    private readonly PyodideRuntime _py = fixture.Runtime;

    [Fact]
    public void ForeachOverAList()
    {
        using var l = Expect.Proxy(_py.RunPython("[1, 'two', None, 4.5, True, b'\\x01']"));
        var items = new List<object?>();
        foreach (var item in l) items.Add(item);
        Assert.Equal(new object?[] { 1L, "two", null, 4.5, true, new byte[] { 1 } }, items);
        // Enumerating twice restarts (a fresh iter() each time).
        Assert.Equal(6, l.Count());
    }

    [Fact]
    public void ForeachOverADictGivesItsKeysInOrder()
    {
        using var d = Expect.Proxy(_py.RunPython("{'b': 1, 'a': 2, 3: 'c'}"));
        var keys = new List<object?>();
        foreach (var key in d) keys.Add(key);
        Assert.Equal(new object?[] { "b", "a", 3L }, keys);
    }

    [Fact]
    public void ForeachOverAGenerator()
    {
        using var gen = Expect.Proxy(_py.RunPython("(i * i for i in range(5))"));
        var items = new List<object?>();
        foreach (var item in gen) items.Add(item);
        Assert.Equal(new object?[] { 0L, 1L, 4L, 9L, 16L }, items);
        // A generator is its own iterator: a second pass finds it exhausted.
        Assert.Empty(gen);
    }

    [Fact]
    public void LinqOverAProxy()
    {
        using var r = Expect.Proxy(_py.RunPython("range(1, 101)"));
        Assert.Equal(5050L, r.Cast<long>().Sum());
        Assert.Equal(new[] { 1L, 2L, 3L }, r.Cast<long>().Take(3));
    }

    [Fact]
    public void GeneratorYieldsReceivesSentValuesAndReturns()
    {
        using var gen = Expect.Proxy(_py.RunPython("""
            def it_gen():
                x = yield 1
                y = yield x * 2
                return f'done:{y}'
            it_gen()
            """));
        using var it = gen.Iter();
        Expect.Long(1, it.Next(out bool done));
        Assert.False(done);
        Expect.Long(10, it.Next(out done, 5));
        Assert.False(done);
        Expect.Str("done:7", it.Next(out done, 7));
        Assert.True(done);
    }

    [Fact]
    public void SentValuesOfSeveralTypesReachYield()
    {
        using var gen = Expect.Proxy(_py.RunPython("""
            def it_echo():
                got = None
                while True:
                    got = yield (type(got).__name__, got)
            it_echo()
            """));
        Assert.False(IsDone(gen, null, out var first));
        using (var p = Expect.Proxy(first)) Assert.Equal(new object?[] { "NoneType", null }, p.ToManaged() as List<object?>);
        foreach (var (sent, type) in new (object? Value, string Type)[]
                 { ("s", "str"), (3, "int"), (2.5, "float"), (true, "bool"), (new byte[] { 7 }, "bytes"), (new List<object?> { 1 }, "list") })
        {
            Assert.False(IsDone(gen, sent, out var value));
            using var pair = Expect.Proxy(value);
            var managed = Assert.IsType<List<object?>>(pair.ToManaged());
            Assert.Equal(type, managed[0]);
            Assert.Equal(sent is List<object?> ? new List<object?> { 1L } : sent is int i ? (long)i : sent, managed[1]);
        }
    }

    private static bool IsDone(PyProxy gen, object? sent, out object? value)
    {
        value = gen.Next(out bool done, sent);
        return done;
    }

    [Fact]
    public void SendingToAJustStartedGeneratorIsTypeError()
    {
        using var gen = Expect.Proxy(_py.RunPython("(x for x in [1])"));
        var e = Assert.Throws<PythonException>(() => gen.Next(out _, 1));
        Assert.Equal("TypeError", e.PythonType);
        Expect.Long(1, gen.Next(out bool done));
        Assert.False(done);
    }

    [Fact]
    public void NextOnAListIsTypeError()
    {
        using var l = Expect.Proxy(_py.RunPython("[1, 2, 3]"));
        var e = Assert.Throws<PythonException>(() => l.Next(out _));
        Assert.Equal("TypeError", e.PythonType);
        // The list is untouched and can still be iterated properly.
        using var it = l.Iter();
        Expect.Long(1, it.Next(out bool done));
        Assert.False(done);
    }

    [Fact]
    public void IterOfANonIterableIsTypeError()
    {
        using var n = Expect.Proxy(_py.RunPython("object()"));
        var e = Assert.Throws<PythonException>(() => n.Iter());
        Assert.Equal("TypeError", e.PythonType);
        Assert.Throws<PythonException>(() => n.Count());
    }

    [Fact]
    public void IterOfAnIteratorIsTheSameObject()
    {
        using var gen = Expect.Proxy(_py.RunPython("(x for x in [1])"));
        using var it = gen.Iter();
        using var same = Expect.Proxy(_py.RunPython("lambda a, b: a is b"));
        Assert.Equal(true, same.Call(gen, it));
    }

    [Fact]
    public void ExhaustingThenCallingAgain()
    {
        using var l = Expect.Proxy(_py.RunPython("[10, 20]"));
        using var it = l.Iter();
        Expect.Long(10, it.Next(out bool done));
        Assert.False(done);
        Expect.Long(20, it.Next(out done));
        Assert.False(done);
        Assert.Null(it.Next(out done));
        Assert.True(done);
        // An exhausted iterator stays exhausted.
        for (int i = 0; i < 3; i++)
        {
            Assert.Null(it.Next(out done));
            Assert.True(done);
        }

        using var gen = Expect.Proxy(_py.RunPython("def it_ret():\n    yield 1\n    return 'r'\nit_ret()"));
        Expect.Long(1, gen.Next(out done));
        Expect.Str("r", gen.Next(out done));
        Assert.True(done);
        // After returning, a generator raises a bare StopIteration: done, no value.
        Assert.Null(gen.Next(out done));
        Assert.True(done);
    }

    [Fact]
    public void AnExceptionInsideAGeneratorPropagatesThenItIsFinished()
    {
        using var gen = Expect.Proxy(_py.RunPython("def it_raise():\n    yield 1\n    raise KeyError('inside')\nit_raise()"));
        Expect.Long(1, gen.Next(out bool done));
        var e = Assert.Throws<PythonException>(() => gen.Next(out _));
        Assert.Equal("KeyError", e.PythonType);
        Assert.Contains("inside", e.Traceback);
        Assert.Null(gen.Next(out done));
        Assert.True(done);
    }

    [Fact]
    public void ForeachPropagatesAnExceptionRaisedMidway()
    {
        using var gen = Expect.Proxy(_py.RunPython("def it_mid():\n    yield 1\n    1/0\nit_mid()"));
        var seen = new List<object?>();
        var e = Assert.Throws<PythonException>(() => { foreach (var x in gen) seen.Add(x); });
        Assert.Equal("ZeroDivisionError", e.PythonType);
        Assert.Equal(new object?[] { 1L }, seen);
    }

    [Fact]
    public void ProxiesYieldedByIterationAreDisposableAndDoNotLeak()
    {
        using var py = Runtimes.LoadQuiet();
        using var objects = Expect.Proxy(py.RunPython("[object() for _ in range(1000)]"));
        uint baseline = py.LiveHandles;
        int count = 0;
        foreach (var item in objects)
        {
            using var p = Expect.Proxy(item);
            Assert.Equal("object", p.TypeName);
            count++;
        }
        Assert.Equal(1000, count);
        Assert.Equal(baseline, py.LiveHandles);

        // The same through Iter()/Next().
        using (var it = objects.Iter())
        {
            while (true)
            {
                object? v = it.Next(out bool done);
                if (done)
                {
                    Assert.Null(v);
                    break;
                }
                Expect.Proxy(v).Dispose();
            }
        }
        Assert.Equal(baseline, py.LiveHandles);
    }

    [Fact]
    public void LeavingForeachEarlyReleasesTheIterator()
    {
        using var py = Runtimes.LoadQuiet();
        using var l = Expect.Proxy(py.RunPython("list(range(100))"));
        uint baseline = py.LiveHandles;
        for (int round = 0; round < 100; round++)
        {
            foreach (var item in l)
                if ((long)item! == 3) break;
            Assert.Throws<InvalidOperationException>(() =>
            {
                foreach (var _ in l) throw new InvalidOperationException("host error in the loop body");
            });
        }
        Assert.Equal(baseline, py.LiveHandles);
    }

    [Fact]
    public void AGeneratorsProxyReturnValueIsReleasedByForeach()
    {
        using var py = Runtimes.LoadQuiet();
        using var gen = Expect.Proxy(py.RunPython("def it_obj():\n    yield 1\n    return object()\nit_obj"));
        uint baseline = py.LiveHandles;
        for (int i = 0; i < 200; i++)
        {
            using var g = Expect.Proxy(gen.Call());
            Assert.Equal(new object?[] { 1L }, g.ToList());
        }
        Assert.Equal(baseline, py.LiveHandles);

        using var g2 = Expect.Proxy(gen.Call());
        Expect.Long(1, g2.Next(out bool done));
        using var returned = Expect.Proxy(g2.Next(out done));
        Assert.True(done);
        Assert.Equal("object", returned.TypeName);
    }

    [Fact]
    public void IterationOfADisposedProxyThrowsObjectDisposed()
    {
        var l = Expect.Proxy(_py.RunPython("[1]"));
        var it = l.Iter();
        l.Dispose();
        // The iterator holds its own reference to the list.
        Expect.Long(1, it.Next(out _));
        it.Dispose();
        Assert.Throws<ObjectDisposedException>(() => l.Iter());
        Assert.Throws<ObjectDisposedException>(() => it.Next(out _));
        Assert.Throws<ObjectDisposedException>(() => l.ToList());
    }
}
