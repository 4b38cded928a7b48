using System.Collections;

namespace Pyodide.Tests;

/// <summary>PyodideRuntime.ToPy(value, depth): Pyodide's toPy, and round trips
/// through ToManaged.</summary>
public sealed class ToPyTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    private readonly PyodideRuntime _py = fixture.Runtime;

    /// <summary>Structural equality after ToManaged: integers come back as long,
    /// floats as double, lists as List, dictionaries as Dictionary&lt;object, object?&gt;.</summary>
    private static void AssertRoundTripped(object? expected, object? actual, string path = "$")
    {
        switch (expected)
        {
            case null:
                Assert.True(actual is null, $"{path}: expected null, got {actual}");
                return;
            case sbyte or byte or short or ushort or int or uint or long:
                Assert.True(actual is long, $"{path}: expected a long, got {actual?.GetType()}");
                Assert.Equal(System.Convert.ToInt64(expected), (long)actual!);
                return;
            case float f:
                Assert.Equal((double)f, Assert.IsType<double>(actual));
                return;
            case string or bool or double or byte[]:
                Assert.Equal(expected, actual);
                return;
            case IDictionary d:
            {
                var m = Assert.IsType<Dictionary<object, object?>>(actual);
                Assert.Equal(d.Count, m.Count);
                foreach (DictionaryEntry e in d)
                {
                    object key = e.Key is int or short or sbyte or byte or ushort or uint ? System.Convert.ToInt64(e.Key) : e.Key;
                    Assert.True(m.ContainsKey(key), $"{path}: key {e.Key} is missing");
                    AssertRoundTripped(e.Value, m[key], $"{path}[{e.Key}]");
                }
                return;
            }
            case IList l:
            {
                var list = Assert.IsType<List<object?>>(actual);
                Assert.Equal(l.Count, list.Count);
                for (int i = 0; i < l.Count; i++) AssertRoundTripped(l[i], list[i], $"{path}[{i}]");
                return;
            }
            default:
                throw new InvalidOperationException($"no comparison for {expected.GetType()}");
        }
    }

    public static TheoryData<string, object?> RoundTripValues() => new()
    {
        { "empty list", new List<object?>() },
        { "empty dict", new Dictionary<string, object?>() },
        { "scalars", new List<object?> { null, true, false, 0L, -1L, long.MaxValue, long.MinValue, 1.5, -0.0, "", "text", "ünï 🐍", new byte[] { 0, 255 } } },
        { "nested", new Dictionary<string, object?>
            {
                ["list"] = new List<object?> { 1L, new List<object?> { 2L, new List<object?> { 3L } } },
                ["dict"] = new Dictionary<string, object?> { ["a"] = new Dictionary<string, object?> { ["b"] = null } },
                ["mixed"] = new List<object?> { new Dictionary<string, object?> { ["x"] = new List<object?> { "y" } } },
            } },
        { "int keys", new Dictionary<object, object?> { [1L] = "one", [2.5] = "two and a half", [false] = "no", ["s"] = new List<object?> { 1L } } },
        { "other .NET numeric types", new List<object?> { (sbyte)-1, (byte)2, (short)-3, (ushort)4, 5, 6u, 7.5f } },
        { "arrays are lists", new object?[] { 1L, new object?[] { "a" } } },
    };

    [Theory]
    [MemberData(nameof(RoundTripValues))]
    public void RoundTrips(string name, object? value)
    {
        Assert.NotNull(name);
        using var p = _py.ToPy(value);
        AssertRoundTripped(value, p.ToManaged());
    }

    [Fact]
    public void ALargeNestedStructureRoundTrips()
    {
        var value = Enumerable.Range(0, 2000).Select(i => (object?)new Dictionary<string, object?>
        {
            ["i"] = (long)i,
            ["s"] = $"item {i}",
            ["l"] = Enumerable.Range(0, i % 7).Select(j => (object?)(j / 2.0)).ToList(),
        }).ToList();
        using var p = _py.ToPy(value);
        Expect.Long(2000, p.Length);
        AssertRoundTripped(value, p.ToManaged());
    }

    [Fact]
    public void ToPyMakesTheMatchingPythonTypes()
    {
        using var describe = Expect.Proxy(_py.RunPython("lambda x: type(x).__name__ + ':' + repr(x)"));
        string Describe(object? v)
        {
            using var p = _py.ToPy(v);
            return Assert.IsType<string>(describe.Call(p));
        }
        Assert.Equal("NoneType:None", Describe(null));
        Assert.Equal("int:5", Describe(5));
        Assert.Equal("bool:True", Describe(true));
        Assert.Equal("float:0.25", Describe(0.25));
        Assert.Equal("str:'s'", Describe("s"));
        Assert.Equal("bytes:b'ab'", Describe("ab"u8.ToArray()));
        Assert.Equal("list:[1, [2]]", Describe(new List<object?> { 1, new List<object?> { 2 } }));
        Assert.Equal("dict:{'a': {1: None}}", Describe(new Dictionary<string, object?> { ["a"] = new Dictionary<int, object?> { [1] = null } }));
        Assert.Equal("list:[1, 2, 3]", Describe(new[] { 1, 2, 3 }));
    }

    [Fact]
    public void DepthLimit()
    {
        var nested = new List<object?> { 1, new List<object?> { 2, new Dictionary<string, object?> { ["k"] = new List<object?>() } } };
        // Three container levels: the outer list, the inner list, the dict; plus the empty list = 4.
        Assert.Throws<ArgumentException>(() => _py.ToPy(nested, 0));
        Assert.Throws<ArgumentException>(() => _py.ToPy(nested, 1));
        Assert.Throws<ArgumentException>(() => _py.ToPy(nested, 3));
        using (var ok = _py.ToPy(nested, 4)) AssertRoundTripped(nested, ok.ToManaged());
        using (var unlimited = _py.ToPy(nested, -1)) AssertRoundTripped(nested, unlimited.ToManaged());
        // Scalars fit any depth.
        using (var s = _py.ToPy("x", 0)) Assert.Equal("str", s.TypeName);
        using (var e = _py.ToPy(new List<object?>(), 1)) Assert.Equal("list", e.TypeName);
        Assert.Throws<ArgumentException>(() => _py.ToPy(new List<object?>(), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _py.ToPy(nested, -2));
    }

    [Fact]
    public void AProxyInsideAListPassesTheObjectItself()
    {
        using var obj = Expect.Proxy(_py.RunPython("object()"));
        using var lst = _py.ToPy(new List<object?> { obj, new Dictionary<string, object?> { ["o"] = obj } });
        using var check = Expect.Proxy(_py.RunPython("lambda l, o: l[0] is o and l[1]['o'] is o"));
        Assert.Equal(true, check.Call(lst, obj));
        // A proxy of a mutable object: mutations are shared.
        using var inner = Expect.Proxy(_py.RunPython("[]"));
        using var outer = _py.ToPy(new List<object?> { inner });
        using var append = Expect.Proxy(_py.RunPython("lambda l: l[0].append('via outer')"));
        append.Call(outer);
        Expect.Long(1, inner.Length);
        // A top-level proxy passes through as well.
        using var itself = _py.ToPy(obj);
        using var same = Expect.Proxy(_py.RunPython("lambda a, b: a is b"));
        Assert.Equal(true, same.Call(itself, obj));
    }

    [Fact]
    public void AProxyOfAnotherRuntimeIsAnArgumentException()
    {
        using var other = Runtimes.LoadQuiet();
        using var foreign = Expect.Proxy(other.RunPython("object()"));
        uint before = _py.LiveHandles;
        Assert.Throws<ArgumentException>(() => _py.ToPy(new List<object?> { 1, foreign }));
        Assert.Throws<ArgumentException>(() => _py.ToPy(new Dictionary<string, object?> { ["x"] = new List<object?> { foreign } }));
        Assert.Throws<ArgumentException>(() => _py.ToPy(foreign));
        Assert.Equal(before, _py.LiveHandles);
        // Both runtimes are fine afterwards.
        Assert.Equal("object", foreign.TypeName);
        using var ok = _py.ToPy(new List<object?> { 1 });
        Expect.Long(1, ok.Length);
    }

    [Fact]
    public void ADisposedProxyInsideIsObjectDisposed()
    {
        var obj = Expect.Proxy(_py.RunPython("object()"));
        obj.Dispose();
        Assert.Throws<ObjectDisposedException>(() => _py.ToPy(new List<object?> { obj }));
    }

    [Fact]
    public void ACyclicHostListIsAnArgumentException()
    {
        var cyclic = new List<object?> { 1 };
        cyclic.Add(cyclic);
        Assert.Throws<ArgumentException>(() => _py.ToPy(cyclic));
        var viaDict = new Dictionary<string, object?>();
        viaDict["self"] = new List<object?> { viaDict };
        Assert.Throws<ArgumentException>(() => _py.ToPy(viaDict));
        using var ok = _py.ToPy(new List<object?> { 1 });
        Expect.Long(1, ok.Length);
    }

    [Fact]
    public void ACyclicHostListWithADepthIsAnArgumentException()
    {
        var cyclic = new List<object?>();
        cyclic.Add(cyclic);
        Assert.Throws<ArgumentException>(() => _py.ToPy(cyclic, 3));
        // Two ways back into itself per level: the walk still ends at the first deep path.
        var twice = new List<object?>();
        twice.Add(twice);
        twice.Add(twice);
        Assert.Throws<ArgumentException>(() => _py.ToPy(twice, 3));
        Assert.Throws<ArgumentException>(() => _py.ToPy(twice));
        var viaDict = new Dictionary<string, object?>();
        viaDict["a"] = viaDict;
        viaDict["b"] = new List<object?> { viaDict };
        Assert.Throws<ArgumentException>(() => _py.ToPy(viaDict, 10));
        using var ok = _py.ToPy(new List<object?> { 1 }, 1);
        Expect.Long(1, ok.Length);
    }

    [Fact]
    public void UnconvertibleValuesAreArgumentExceptions()
    {
        Assert.Throws<ArgumentException>(() => _py.ToPy(typeof(string))); // the sandbox refuses reflection
        Assert.Throws<ArgumentException>(() => _py.ToPy(new List<object?> { 1, typeof(string) }));
        Assert.Throws<ArgumentException>(() => _py.ToPy(ulong.MaxValue));
        Assert.Throws<ArgumentException>(() => _py.ToPy(new List<object?> { "bad \uD800" }));
    }

    [Fact]
    public void ToPyResultsAreReleasedOnDispose()
    {
        using var py = Runtimes.LoadQuiet();
        using var obj = Expect.Proxy(py.RunPython("object()"));
        uint baseline = py.LiveHandles;
        for (int i = 0; i < 5000; i++)
        {
            using var p = py.ToPy(new List<object?> { i, "s", obj, new Dictionary<string, object?> { ["k"] = i } });
            if (i % 1000 == 0) Expect.Long(4, p.Length);
        }
        Assert.Equal(baseline, py.LiveHandles);
    }
}
