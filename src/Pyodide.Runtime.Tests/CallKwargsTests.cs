namespace Pyodide.Tests;

/// <summary>CallKwargs: <c>obj(*args, **kwargs)</c> with positional and keyword
/// arguments of every type the host can convert.</summary>
public sealed class CallKwargsTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    private readonly PyodideRuntime _py = fixture.Runtime;

    private PyProxy Function() => Expect.Proxy(_py.RunPython("""
        def kw_target(a, b=20, *rest, c, d=40, **extra):
            return [a, b, list(rest), c, d, sorted(extra.items())]
        kw_target
        """));

    private static List<object?> Managed(object? result)
    {
        using var proxy = Expect.Proxy(result);
        return Assert.IsType<List<object?>>(proxy.ToManaged());
    }

    private static Dictionary<string, object?> Kw(params (string Key, object? Value)[] pairs) =>
        pairs.ToDictionary(p => p.Key, p => p.Value);

    [Fact]
    public void PositionalAndKeywordMixed()
    {
        using var f = Function();
        var r = Managed(f.CallKwargs([1], Kw(("c", 3))));
        Assert.Equal(new object?[] { 1L, 20L, new List<object?>(), 3L, 40L, new List<object?>() }, r);

        r = Managed(f.CallKwargs([1, 2, 5, 6], Kw(("c", 3), ("d", 4), ("zz", "extra"))));
        Assert.Equal(1L, r[0]);
        Assert.Equal(2L, r[1]);
        Assert.Equal(new List<object?> { 5L, 6L }, r[2]);
        Assert.Equal(3L, r[3]);
        Assert.Equal(4L, r[4]);
        Assert.Equal(new List<object?> { new List<object?> { "zz", "extra" } }, r[5]);
    }

    [Fact]
    public void KeywordsOnly()
    {
        using var f = Function();
        var r = Managed(f.CallKwargs([], Kw(("a", "A"), ("b", "B"), ("c", "C"))));
        Assert.Equal(new object?[] { "A", "B", new List<object?>(), "C", 40L, new List<object?>() }, r);
    }

    [Fact]
    public void EmptyKwargsIsAPlainCall()
    {
        using var f = Expect.Proxy(_py.RunPython("lambda *a, **k: (len(a), len(k))"));
        Assert.Equal(new object?[] { 2L, 0L }, Managed(f.CallKwargs([1, 2], new Dictionary<string, object?>())));
        Assert.Equal(new object?[] { 0L, 0L }, Managed(f.CallKwargs([], new Dictionary<string, object?>())));
    }

    [Fact]
    public void BuiltinsTakeKeywords()
    {
        using var sorted = Expect.Proxy(_py.RunPython("sorted"));
        var r = Managed(sorted.CallKwargs([new List<object?> { 3, 1, 2 }], Kw(("reverse", true))));
        Assert.Equal(new object?[] { 3L, 2L, 1L }, r);

        using var dict = Expect.Proxy(_py.RunPython("dict"));
        using var d = Expect.Proxy(dict.CallKwargs([], Kw(("x", 1), ("y", "why"))));
        var m = Assert.IsType<Dictionary<object, object?>>(d.ToManaged());
        Assert.Equal(2, m.Count);
        Assert.Equal(1L, m["x"]);
        Assert.Equal("why", m["y"]);
    }

    [Fact]
    public void UnknownKeywordIsTypeError()
    {
        using var f = Expect.Proxy(_py.RunPython("def kw_strict(a, *, b): return a + b\nkw_strict"));
        var e = Assert.Throws<PythonException>(() => f.CallKwargs([1], Kw(("b", 2), ("nope", 3))));
        Assert.Equal("TypeError", e.PythonType);
        Assert.Contains("nope", e.Traceback);
        // A missing required keyword, and a value given twice, are TypeErrors too.
        Assert.Equal("TypeError", Assert.Throws<PythonException>(() => f.CallKwargs([1], Kw())).PythonType);
        var twice = Assert.Throws<PythonException>(() => f.CallKwargs([1], Kw(("a", 1), ("b", 2))));
        Assert.Equal("TypeError", twice.PythonType);
        Assert.Contains("multiple values", twice.Traceback);
        Expect.Long(3, f.CallKwargs([1], Kw(("b", 2))));
    }

    [Fact]
    public void KwargsValuesOfEveryConvertibleType()
    {
        using var describe = Expect.Proxy(_py.RunPython(
            "lambda **kw: {k: type(v).__name__ + ':' + repr(v) for k, v in kw.items()}"));
        using var obj = Expect.Proxy(_py.RunPython("import fractions\nfractions.Fraction(1, 3)"));
        var kwargs = Kw(
            ("none", null),
            ("t", true),
            ("f", false),
            ("sb", (sbyte)-8),
            ("ub", (byte)200),
            ("sh", (short)-300),
            ("us", (ushort)60000),
            ("i", -70000),
            ("ui", uint.MaxValue),
            ("l", long.MinValue),
            ("ul", (ulong)long.MaxValue),
            ("fl", 1.5f),
            ("d", -2.25),
            ("inf", double.PositiveInfinity),
            ("s", "héllo 🐍"),
            ("empty", ""),
            ("bytes", new byte[] { 0, 1, 255 }),
            ("list", new List<object?> { 1, "x", null }),
            ("arr", new object?[] { 2.5, false }),
            ("dict", new Dictionary<string, object?> { ["k"] = 1 }),
            ("proxy", obj));
        using var result = Expect.Proxy(describe.CallKwargs([], kwargs));
        var d = Assert.IsType<Dictionary<object, object?>>(result.ToManaged());
        var expected = new Dictionary<object, object?>
        {
            ["none"] = "NoneType:None",
            ["t"] = "bool:True",
            ["f"] = "bool:False",
            ["sb"] = "int:-8",
            ["ub"] = "int:200",
            ["sh"] = "int:-300",
            ["us"] = "int:60000",
            ["i"] = "int:-70000",
            ["ui"] = "int:4294967295",
            ["l"] = "int:-9223372036854775808",
            ["ul"] = "int:9223372036854775807",
            ["fl"] = "float:1.5",
            ["d"] = "float:-2.25",
            ["inf"] = "float:inf",
            ["s"] = "str:'héllo 🐍'",
            ["empty"] = "str:''",
            ["bytes"] = "bytes:b'\\x00\\x01\\xff'",
            ["list"] = "list:[1, 'x', None]",
            ["arr"] = "list:[2.5, False]",
            ["dict"] = "dict:{'k': 1}",
            ["proxy"] = "Fraction:Fraction(1, 3)",
        };
        Assert.Equal(expected, d);
    }

    [Fact]
    public void AProxyKeywordValueIsTheObjectItself()
    {
        using var obj = Expect.Proxy(_py.RunPython("object()"));
        using var isIt = Expect.Proxy(_py.RunPython("lambda o, *, same: o is same"));
        Assert.Equal(true, isIt.CallKwargs([obj], Kw(("same", obj))));
    }

    [Fact]
    public void NonAsciiKeywordNames()
    {
        using var f = Expect.Proxy(_py.RunPython("def kw_unicode(*, größe, 名前='x'): return f'{größe}/{名前}'\nkw_unicode"));
        Expect.Str("1/x", f.CallKwargs([], Kw(("größe", 1))));
        Expect.Str("2/y", f.CallKwargs([], Kw(("größe", 2), ("名前", "y"))));
    }

    [Fact]
    public void InvalidHostArgumentsAreArgumentExceptionsAndLeakNothing()
    {
        using var f = Expect.Proxy(_py.RunPython("lambda *a, **k: None"));
        uint before = _py.LiveHandles;
        Assert.Throws<ArgumentException>(() => f.CallKwargs([], Kw(("bad", typeof(string)))));
        Assert.Throws<ArgumentException>(() => f.CallKwargs([typeof(string)], Kw()));
        Assert.Throws<ArgumentException>(() => f.CallKwargs([], Kw(("big", ulong.MaxValue))));
        Assert.Throws<ArgumentException>(() => f.CallKwargs([], Kw(("k\uD800", 1))));
        Assert.Throws<ArgumentException>(() => f.CallKwargs([], Kw(("k", "v\uDC00"))));
        Assert.Throws<ArgumentNullException>(() => f.CallKwargs(null!, Kw()));
        Assert.Throws<ArgumentNullException>(() => f.CallKwargs([], null!));
        Assert.Equal(before, _py.LiveHandles);
        Assert.Null(f.CallKwargs([1], Kw(("x", 2))));
    }

    [Fact]
    public void CallKwargsOnADisposedProxyThrowsObjectDisposed()
    {
        var f = Expect.Proxy(_py.RunPython("lambda **k: k"));
        f.Dispose();
        Assert.Throws<ObjectDisposedException>(() => f.CallKwargs([], Kw(("a", 1))));
    }

    [Fact]
    public void ExceptionsRaisedByTheCalleePropagate()
    {
        using var f = Expect.Proxy(_py.RunPython("def kw_raises(*, v): raise ValueError(f'bad {v}')\nkw_raises"));
        var e = Assert.Throws<PythonException>(() => f.CallKwargs([], Kw(("v", 9))));
        Assert.Equal("ValueError", e.PythonType);
        Assert.Contains("bad 9", e.Traceback);
    }
}
