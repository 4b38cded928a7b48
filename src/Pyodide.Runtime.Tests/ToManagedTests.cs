namespace Pyodide.Tests;

/// <summary>PyProxy.ToManaged(depth): Pyodide's toJs as .NET values.</summary>
public sealed class ToManagedTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    private readonly PyodideRuntime _py = fixture.Runtime;

    private object? Convert(string expression, int depth = -1)
    {
        using var p = Expect.Proxy(_py.RunPython(expression));
        return p.ToManaged(depth);
    }

    [Fact]
    public void ListAndTupleBecomeLists()
    {
        var l = Assert.IsType<List<object?>>(Convert("[1, 'a', None, 2.5, True, b'x']"));
        Assert.Equal(new object?[] { 1L, "a", null, 2.5, true, new byte[] { (byte)'x' } }, l);
        var t = Assert.IsType<List<object?>>(Convert("(1, (2, 3), [])"));
        Assert.Equal(3, t.Count);
        Assert.Equal(1L, t[0]);
        Assert.Equal(new List<object?> { 2L, 3L }, Assert.IsType<List<object?>>(t[1]));
        Assert.Empty(Assert.IsType<List<object?>>(t[2]));
        Assert.Empty(Assert.IsType<List<object?>>(Convert("()")));
    }

    [Fact]
    public void DictBecomesADictionaryWithScalarKeys()
    {
        var d = Assert.IsType<Dictionary<object, object?>>(Convert("{1: 'int', 'k': 'str', 2.5: 'float', False: 'bool', -7: None}"));
        Assert.Equal(5, d.Count);
        Assert.Equal("int", d[1L]);
        Assert.Equal("str", d["k"]);
        Assert.Equal("float", d[2.5]);
        Assert.Equal("bool", d[false]);
        Assert.True(d.ContainsKey(-7L));
        Assert.Null(d[-7L]);
        Assert.IsType<long>(d.Keys.First());
        // Insertion order is kept.
        Assert.Equal(new object[] { 1L, "k", 2.5, false, -7L }, d.Keys);
        Assert.Empty(Assert.IsType<Dictionary<object, object?>>(Convert("{}")));
    }

    [Fact]
    public void SetAndFrozensetBecomeLists()
    {
        var s = Assert.IsType<List<object?>>(Convert("{3, 1, 2}"));
        Assert.Equal(new[] { 1L, 2L, 3L }, s.Cast<long>().Order());
        var f = Assert.IsType<List<object?>>(Convert("frozenset(['a', 'b'])"));
        Assert.Equal(new[] { "a", "b" }, f.Cast<string>().Order());
        Assert.Empty(Assert.IsType<List<object?>>(Convert("set()")));
        // Nested inside other containers too.
        var nested = Assert.IsType<List<object?>>(Convert("[{5}, frozenset()]"));
        Assert.Equal(new object?[] { 5L }, Assert.IsType<List<object?>>(nested[0]));
        Assert.Empty(Assert.IsType<List<object?>>(nested[1]));
    }

    [Fact]
    public void BytesLikesBecomeByteArrayCopies()
    {
        _py.RunPython("tm_ba = bytearray(b'\\x01\\x02\\x03'); tm_mv = memoryview(b'mv!')");
        var all = Assert.IsType<List<object?>>(Convert("[b'ab', tm_ba, tm_mv, memoryview(tm_ba)[1:], b'']"));
        Assert.Equal(new byte[] { (byte)'a', (byte)'b' }, Assert.IsType<byte[]>(all[0]));
        Assert.Equal(new byte[] { 1, 2, 3 }, Assert.IsType<byte[]>(all[1]));
        Assert.Equal("mv!"u8.ToArray(), Assert.IsType<byte[]>(all[2]));
        Assert.Equal(new byte[] { 2, 3 }, Assert.IsType<byte[]>(all[3]));
        Assert.Empty(Assert.IsType<byte[]>(all[4]));

        // A top-level bytearray proxy converts too, to a copy.
        using var ba = Expect.Proxy(_py.RunPython("tm_ba"));
        var copy = Assert.IsType<byte[]>(ba.ToManaged());
        Assert.Equal(new byte[] { 1, 2, 3 }, copy);
        _py.RunPython("tm_ba[0] = 99; tm_ba.append(4)");
        Assert.Equal(new byte[] { 1, 2, 3 }, copy);
        Assert.Equal(new byte[] { 1, 2, 3 }, Assert.IsType<byte[]>(all[1]));
        // ...and the host's copy does not write through either.
        copy[1] = 77;
        Assert.Equal(true, _py.RunPython("tm_ba == bytearray(b'\\x63\\x02\\x03\\x04')"));

        // A memoryview of a 2-D shape flattens to its bytes in C order.
        Assert.Equal(Enumerable.Range(0, 6).Select(i => (byte)i).ToArray(),
            Assert.IsType<byte[]>(Convert("memoryview(bytes(range(6))).cast('B', (2, 3))")));
        _py.RunPython("del tm_ba, tm_mv");
    }

    [Fact]
    public void NestedStructures()
    {
        var d = Assert.IsType<Dictionary<object, object?>>(Convert(
            "{'a': [1, {'b': (2, [3, {'c': None}])}], 'e': {'f': {'g': {'h': 'deep'}}}}"));
        var a = Assert.IsType<List<object?>>(d["a"]);
        Assert.Equal(1L, a[0]);
        var b = Assert.IsType<Dictionary<object, object?>>(a[1]);
        var tuple = Assert.IsType<List<object?>>(b["b"]);
        Assert.Equal(2L, tuple[0]);
        var inner = Assert.IsType<List<object?>>(tuple[1]);
        Assert.Equal(3L, inner[0]);
        Assert.Null(Assert.IsType<Dictionary<object, object?>>(inner[1])["c"]);
        var e = Assert.IsType<Dictionary<object, object?>>(d["e"]);
        var f = Assert.IsType<Dictionary<object, object?>>(e["f"]);
        var g = Assert.IsType<Dictionary<object, object?>>(f["g"]);
        Assert.Equal("deep", g["h"]);
    }

    [Fact]
    public void DepthZeroKeepsTheContainerAsAProxy()
    {
        using var l = Expect.Proxy(_py.RunPython("[1, [2]]"));
        using var same = Expect.Proxy(_py.RunPython("lambda a, b: a is b"));
        using var p = Expect.Proxy(l.ToManaged(0));
        Assert.Equal(true, same.Call(l, p));
        // Scalars need no levels.
        using var n = Expect.Proxy(_py.RunPython("2**100"));
        using var stillBig = Expect.Proxy(n.ToManaged(0));
        Assert.Equal("int", stillBig.TypeName);
        // Bytes-likes are not containers: they convert at any depth.
        using var ba = Expect.Proxy(_py.RunPython("bytearray(b'z')"));
        Assert.Equal("z"u8.ToArray(), Assert.IsType<byte[]>(ba.ToManaged(0)));
    }

    [Fact]
    public void DepthOneKeepsInnerContainersAsProxies()
    {
        using var l = Expect.Proxy(_py.RunPython("[1, [2, [3]], {'k': 'v'}, (4,), 'str', b'b']"));
        var top = Assert.IsType<List<object?>>(l.ToManaged(1));
        Assert.Equal(6, top.Count);
        Assert.Equal(1L, top[0]);
        using (var inner = Expect.Proxy(top[1])) Assert.Equal("list", inner.TypeName);
        using (var dict = Expect.Proxy(top[2])) Assert.Equal("dict", dict.TypeName);
        using (var tuple = Expect.Proxy(top[3])) Assert.Equal("tuple", tuple.TypeName);
        Assert.Equal("str", top[4]);
        Assert.Equal("b"u8.ToArray(), top[5]);

        var two = Assert.IsType<List<object?>>(l.ToManaged(2));
        var mid = Assert.IsType<List<object?>>(two[1]);
        Assert.Equal(2L, mid[0]);
        using (var deepest = Expect.Proxy(mid[1])) Assert.Equal("list", deepest.TypeName);
        Assert.Equal("v", Assert.IsType<Dictionary<object, object?>>(two[2])["k"]);
    }

    [Fact]
    public void DepthMinusOneConvertsEverything()
    {
        string deep = string.Concat(Enumerable.Repeat("[", 50)) + "'bottom'" + string.Concat(Enumerable.Repeat("]", 50));
        object? v = Convert(deep, -1);
        for (int i = 0; i < 50; i++) v = Assert.Single(Assert.IsType<List<object?>>(v));
        Assert.Equal("bottom", v);
        // The default is -1.
        using var p = Expect.Proxy(_py.RunPython(deep));
        v = p.ToManaged();
        for (int i = 0; i < 50; i++) v = Assert.Single(Assert.IsType<List<object?>>(v));
        Assert.Equal("bottom", v);
    }

    [Theory]
    [InlineData(-2)]
    [InlineData(int.MinValue)]
    public void DepthBelowMinusOneIsArgumentOutOfRange(int depth)
    {
        using var l = Expect.Proxy(_py.RunPython("[1]"));
        Assert.Throws<ArgumentOutOfRangeException>(() => l.ToManaged(depth));
    }

    [Fact]
    public void ACyclicListTerminatesWithTheInnerReferenceAsAProxy()
    {
        _py.RunPython("tm_cycle = []; tm_cycle.append(tm_cycle); tm_cycle.append(1)");
        using var a = Expect.Proxy(_py.RunPython("tm_cycle"));
        var l = Assert.IsType<List<object?>>(a.ToManaged());
        Assert.Equal(2, l.Count);
        using var inner = Expect.Proxy(l[0]);
        Assert.Equal(1L, l[1]);
        using var same = Expect.Proxy(_py.RunPython("lambda x: x is tm_cycle"));
        Assert.Equal(true, same.Call(inner));

        // A cycle through a dict.
        _py.RunPython("tm_d = {'self': None}; tm_d['self'] = [tm_d]");
        using var d = Expect.Proxy(_py.RunPython("tm_d"));
        var m = Assert.IsType<Dictionary<object, object?>>(d.ToManaged());
        using var back = Expect.Proxy(Assert.Single(Assert.IsType<List<object?>>(m["self"])));
        using var isD = Expect.Proxy(_py.RunPython("lambda x: x is tm_d"));
        Assert.Equal(true, isD.Call(back));
        _py.RunPython("del tm_cycle, tm_d");
    }

    [Fact]
    public void ASharedSublistAppearsTwiceAsEqualLists()
    {
        var l = Assert.IsType<List<object?>>(Convert("(lambda s: [s, s, {'again': s}])([1, [2, 3]])"));
        var first = Assert.IsType<List<object?>>(l[0]);
        var second = Assert.IsType<List<object?>>(l[1]);
        var third = Assert.IsType<List<object?>>(Assert.IsType<Dictionary<object, object?>>(l[2])["again"]);
        var expected = new List<object?> { 1L, new List<object?> { 2L, 3L } };
        Assert.Equal(expected, first);
        Assert.Equal(expected, second);
        Assert.Equal(expected, third);
    }

    [Fact]
    public void ADictWithANoneKeyIsNotSupported()
    {
        using var d = Expect.Proxy(_py.RunPython("{None: 1, 'a': 2}"));
        Assert.Throws<NotSupportedException>(() => d.ToManaged());
        using var nested = Expect.Proxy(_py.RunPython("[1, {'x': {None: 'n'}}]"));
        Assert.Throws<NotSupportedException>(() => nested.ToManaged());
        // At a depth where that dict is not converted, it is fine.
        var top = Assert.IsType<List<object?>>(nested.ToManaged(1));
        Expect.Proxy(top[1]).Dispose();
    }

    [Fact]
    public void ADictWithANoneKeyLeaksNoHandles()
    {
        using var py = Runtimes.LoadQuiet();
        using var before = Expect.Proxy(py.RunPython("[object(), {None: object()}, object()]"));
        using var after = Expect.Proxy(py.RunPython("[{'k': object(), None: 1}, object()]"));
        py.RunPython("None");
        uint baseline = py.LiveHandles;
        for (int i = 0; i < 50; i++)
        {
            Assert.Throws<NotSupportedException>(() => before.ToManaged());
            Assert.Throws<NotSupportedException>(() => after.ToManaged());
        }
        // Proxies made before the failure may wait for the finalizer; give them that chance.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        py.RunPython("None");
        Assert.Equal(baseline, py.LiveHandles);
    }

    [Fact]
    public void IntsBeyondInt64AndOtherObjectsStayProxies()
    {
        var l = Assert.IsType<List<object?>>(Convert(
            "[2**63 - 1, -2**63, 2**63, -2**63 - 1, 10**30, 'ok', '\\ud800', object(), 1.5, float('nan')]"));
        Assert.Equal(long.MaxValue, l[0]);
        Assert.Equal(long.MinValue, l[1]);
        using var check = Expect.Proxy(_py.RunPython("lambda a, b, c: (a == 2**63, b == -2**63 - 1, c == 10**30)"));
        using var big1 = Expect.Proxy(l[2]);
        using var big2 = Expect.Proxy(l[3]);
        using var big3 = Expect.Proxy(l[4]);
        using (var r = Expect.Proxy(check.Call(big1, big2, big3)))
            Assert.Equal(new object?[] { true, true, true }, Assert.IsType<List<object?>>(r.ToManaged()));
        Assert.Equal("int", big1.TypeName);
        Assert.Equal("ok", l[5]);
        using (var surrogate = Expect.Proxy(l[6])) Assert.Equal("str", surrogate.TypeName);
        using (var obj = Expect.Proxy(l[7])) Assert.Equal("object", obj.TypeName);
        Assert.Equal(1.5, l[8]);
        Assert.True(double.IsNaN(Assert.IsType<double>(l[9])));
    }

    [Fact]
    public void AHundredThousandElementListConverts()
    {
        var l = Assert.IsType<List<object?>>(Convert("[i * 3 - 7 for i in range(100_000)]"));
        Assert.Equal(100_000, l.Count);
        for (int i = 0; i < l.Count; i++) Assert.Equal(i * 3L - 7, l[i]);

        var strs = Assert.IsType<List<object?>>(Convert("[str(i) for i in range(100_000)]"));
        Assert.Equal(100_000, strs.Count);
        Assert.Equal("99999", strs[^1]);
        Assert.Equal("12345", strs[12345]);

        var d = Assert.IsType<Dictionary<object, object?>>(Convert("{i: [i] for i in range(100_000)}"));
        Assert.Equal(100_000, d.Count);
        Assert.Equal(new List<object?> { 77_777L }, d[77_777L]);

        var floats = Assert.IsType<List<object?>>(Convert("[i / 4 - 1 for i in range(100_000)] + [-0.0, 1e308 * 10]"));
        Assert.Equal(100_002, floats.Count);
        for (int i = 0; i < 100_000; i += 97) Assert.Equal(i / 4.0 - 1, floats[i]);
        Assert.True(double.IsNegative(Assert.IsType<double>(floats[100_000])));
        Assert.Equal(double.PositiveInfinity, floats[100_001]);
    }

    [Fact]
    public void StrsKeptForAResultMayCallBackWhenReleased()
    {
        // The guest keeps the strs a converted tree points into alive until the next
        // call (convert.c, keep_clear). Here they are the only references to strs
        // made by a set subclass's __iter__, so their release at the next call runs
        // their __del__, which calls a host function that converts more strs in a
        // nested call of the same runtime: kept and released inside the outer release.
        using var py = Runtimes.LoadQuiet();
        int released = 0;
        var nested = new List<object?>();
        py.RegisterModule("keepcb", new Dictionary<string, Func<long, long>>
        {
            ["released"] = n =>
            {
                released++;
                using var inner = Expect.Proxy(py.RunPython("['p' * 2, 'q' * 3]"));
                nested.Add(inner.ToManaged());
                return n;
            },
        });
        py.RunPython("""
            import keepcb
            class S(str):
                def __del__(self):
                    keepcb.released(len(self))
            class Fresh(set):
                def __iter__(self):
                    return iter([S('s%d' % i) for i in range(40)])
            fresh = Fresh()
            """);
        using var fresh = Expect.Proxy(py.RunPython("fresh"));
        var strs = Assert.IsType<List<object?>>(fresh.ToManaged());
        Assert.Equal(Enumerable.Range(0, 40).Select(i => (object?)$"s{i}"), strs);
        Assert.Equal(0, released);
        Expect.Long(2, py.RunPython("1 + 1")); // releases the 40 strs
        Assert.Equal(40, released);
        Assert.All(nested, l => Assert.Equal(new object?[] { "pp", "qqq" }, Assert.IsType<List<object?>>(l)));
        Assert.Equal("abcabc", py.RunPython<string>("'abc' * 2"));
    }

    [Theory]
    [InlineData("[object(), 2.5, 7, deep_list, object()]")] // an item of a list
    [InlineData("{1: object(), 2: deep_list, 3: object()}")] // a value of a dict
    [InlineData("{1: object(), deep_tuple: 1, 3: object()}")] // a key of a dict
    [InlineData("[[object(), 1.5], {'k': object(), 'v': [deep_list]}]")] // inside a converted container
    public void AConversionThatFailsInTheGuestLeaksNoHandles(string expression)
    {
        // Items nested deeper than the recursion limit end the guest's conversion with
        // RecursionError after it made handles for the objects before them and left the
        // slots after them unfilled (tojs.c): every handle made is released, no other,
        // and the next conversion is whole.
        using var py = Runtimes.LoadQuiet();
        py.RunPython("""
            deep_list = x = []
            for _ in range(5000):
                x.append([]); x = x[0]
            deep_tuple = ()
            for _ in range(5000):
                deep_tuple = (deep_tuple,)
            """);
        using var value = Expect.Proxy(py.RunPython(expression));
        // Converted before each failure, so that the slots the failure leaves unfilled
        // held handles (since released) in the conversion before.
        using var objects = Expect.Proxy(py.RunPython("[object() for _ in range(64)]"));
        py.RunPython("None");
        uint baseline = py.LiveHandles;
        for (int i = 0; i < 20; i++)
        {
            foreach (var item in Assert.IsType<List<object?>>(objects.ToManaged())) Expect.Proxy(item).Dispose();
            var error = Assert.Throws<PythonException>(() => value.ToManaged());
            Assert.Equal("RecursionError", error.PythonType);
            py.RunPython("None");
            Assert.Equal(baseline, py.LiveHandles);
        }
        using var whole = Expect.Proxy(py.RunPython("[1, 2.5, 'three', [4], {5: None}]"));
        Assert.Equal(new object?[] { 1L, 2.5, "three", new List<object?> { 4L }, new Dictionary<object, object?> { [5L] = null } },
                     Assert.IsType<List<object?>>(whole.ToManaged()));
    }

    [Fact]
    public void ToManagedOfAScalarOrOtherObject()
    {
        using var o = Expect.Proxy(_py.RunPython("object()"));
        using var same = Expect.Proxy(_py.RunPython("lambda a, b: a is b"));
        using var back = Expect.Proxy(o.ToManaged());
        Assert.Equal(true, same.Call(o, back));
        using var big = Expect.Proxy(_py.RunPython("2**64"));
        using var bigBack = Expect.Proxy(big.ToManaged());
        Assert.Equal("int", bigBack.TypeName);
    }

    [Fact]
    public void ObjectsInsideAreProxiesThatReturnTheirHandlesOnDispose()
    {
        using var py = Runtimes.LoadQuiet();
        using var l = Expect.Proxy(py.RunPython("[object(), [object(), {'k': object()}], (object(),)]"));
        uint baseline = py.LiveHandles;
        for (int round = 0; round < 500; round++)
        {
            var m = Assert.IsType<List<object?>>(l.ToManaged());
            Assert.Equal(baseline + 4, py.LiveHandles);
            Expect.Proxy(m[0]).Dispose();
            var inner = Assert.IsType<List<object?>>(m[1]);
            Expect.Proxy(inner[0]).Dispose();
            Expect.Proxy(Assert.IsType<Dictionary<object, object?>>(inner[1])["k"]).Dispose();
            Expect.Proxy(Assert.Single(Assert.IsType<List<object?>>(m[2]))).Dispose();
            Assert.Equal(baseline, py.LiveHandles);
        }
    }

    [Fact]
    public void ToManagedOfADisposedProxyThrowsObjectDisposed()
    {
        var l = Expect.Proxy(_py.RunPython("[1]"));
        l.Dispose();
        Assert.Throws<ObjectDisposedException>(() => l.ToManaged());
    }
}
