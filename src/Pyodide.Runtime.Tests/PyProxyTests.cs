namespace Pyodide.Tests;

/// <summary>Item access, calls, type names, copies and disposal of proxies.</summary>
public sealed class PyProxyTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    private readonly PyodideRuntime _py = fixture.Runtime;

    [Fact]
    public void DictIndexerGetAndSet()
    {
        _py.RunPython("proxy_dict = {'a': 1, 2: 'two'}");
        using var d = Expect.Proxy(_py.RunPython("proxy_dict"));
        Expect.Long(1, d["a"]);
        Expect.Str("two", d[2]);
        d["b"] = "bee";
        d["a"] = new List<object?> { 1, 2 };
        d[3.5] = null;
        Expect.Str("bee", _py.RunPython("proxy_dict['b']"));
        Expect.Str("[1, 2]", _py.RunPython("repr(proxy_dict['a'])"));
        Assert.Equal(true, _py.RunPython("proxy_dict[3.5] is None"));
        Expect.Long(4, d.Length);
    }

    [Fact]
    public void DictMissingKeyRaisesKeyError()
    {
        using var d = Expect.Proxy(_py.RunPython("{'a': 1}"));
        var e = Assert.Throws<PythonException>(() => d["missing"]);
        Assert.Equal("KeyError", e.PythonType);
        Assert.Contains("KeyError: 'missing'", e.Traceback);
    }

    [Fact]
    public void ProxyAsKey()
    {
        using var d = Expect.Proxy(_py.RunPython("{(1, 2): 'pair'}"));
        using var key = Expect.Proxy(_py.RunPython("(1, 2)"));
        Expect.Str("pair", d[key]);
        Assert.True(d.Contains(key));
    }

    [Fact]
    public void ListIndexerGetAndSet()
    {
        using var l = Expect.Proxy(_py.RunPython("[10, 20, 30]"));
        Expect.Long(20, l[1]);
        Expect.Long(30, l[-1]);
        l[1] = "twenty";
        Expect.Str("twenty", l[1]);
        var e = Assert.Throws<PythonException>(() => l[5]);
        Assert.Equal("IndexError", e.PythonType);
        var t = Assert.Throws<PythonException>(() => l["x"]);
        Assert.Equal("TypeError", t.PythonType);
        Assert.Throws<PythonException>(() => l[7] = 1);
        Expect.Long(3, l.Length);
    }

    [Fact]
    public void TryGet()
    {
        using var d = Expect.Proxy(_py.RunPython("{'a': None, 'b': 2}"));
        Assert.False(d.TryGet("missing", out var missing));
        Assert.Null(missing);
        Assert.True(d.TryGet("a", out var a));
        Assert.Null(a);
        Assert.True(d.TryGet("b", out var b));
        Expect.Long(2, b);

        using var l = Expect.Proxy(_py.RunPython("[1]"));
        Assert.False(l.TryGet(1, out _));
        Assert.True(l.TryGet(0, out var first));
        Expect.Long(1, first);

        // Other errors are not swallowed.
        Assert.Throws<PythonException>(() => l.TryGet("x", out _));
    }

    [Fact]
    public void Contains()
    {
        using var d = Expect.Proxy(_py.RunPython("{'a': 1, None: 2}"));
        Assert.True(d.Contains("a"));
        Assert.True(d.Contains(null));
        Assert.False(d.Contains("z"));
        Assert.False(d.Contains(1));
        using var l = Expect.Proxy(_py.RunPython("[1, 'x', b'\\x00']"));
        Assert.True(l.Contains("x"));
        Assert.True(l.Contains(new byte[] { 0 }));
        Assert.False(l.Contains(2));
        using var s = Expect.Proxy(_py.RunPython("object()"));
        var e = Assert.Throws<PythonException>(() => s.Contains(1));
        Assert.Equal("TypeError", e.PythonType);
    }

    [Fact]
    public void Remove()
    {
        using var d = Expect.Proxy(_py.RunPython("{'a': 1, 'b': 2}"));
        d.Remove("a");
        Assert.False(d.Contains("a"));
        Expect.Long(1, d.Length);
        var e = Assert.Throws<PythonException>(() => d.Remove("a"));
        Assert.Equal("KeyError", e.PythonType);

        using var l = Expect.Proxy(_py.RunPython("[1, 2, 3]"));
        l.Remove(0);
        Expect.Long(2, l[0]);
        Expect.Long(2, l.Length);
    }

    [Fact]
    public void Length()
    {
        using var d = Expect.Proxy(_py.RunPython("{i: i for i in range(1000)}"));
        Assert.Equal(1000, d.Length);
        using var s = Expect.Proxy(_py.RunPython("set('abcab')"));
        Assert.Equal(3, s.Length);
        using var f = Expect.Proxy(_py.RunPython("lambda: 0"));
        var e = Assert.Throws<PythonException>(() => f.Length);
        Assert.Equal("TypeError", e.PythonType);
    }

    [Fact]
    public void TypeNames()
    {
        using var d = Expect.Proxy(_py.RunPython("{}"));
        Assert.Equal("dict", d.TypeName);
        using var od = Expect.Proxy(_py.RunPython("import collections\ncollections.OrderedDict()"));
        Assert.Equal("collections.OrderedDict", od.TypeName);
        using var mine = Expect.Proxy(_py.RunPython("class Mine:\n    pass\nMine()"));
        Assert.Equal("Mine", mine.TypeName);
        using var f = Expect.Proxy(_py.RunPython("def some_function():\n    pass\nsome_function"));
        Assert.Equal("function", f.TypeName);
        using var lambda = Expect.Proxy(_py.RunPython("lambda: 0"));
        Assert.Equal("function", lambda.TypeName);
        using var fraction = Expect.Proxy(_py.RunPython("import fractions\nfractions.Fraction(1, 2)"));
        Assert.Equal("fractions.Fraction", fraction.TypeName);
        using var inner = Expect.Proxy(_py.RunPython("class Outer:\n    class Inner:\n        pass\nOuter.Inner()"));
        Assert.Equal("Outer.Inner", inner.TypeName);
        using var type = Expect.Proxy(_py.RunPython("int"));
        Assert.Equal("type", type.TypeName);
        using var module = Expect.Proxy(_py.RunPython("import json\njson"));
        Assert.Equal("module", module.TypeName);
    }

    [Fact]
    public void CallWithArguments()
    {
        using var f = Expect.Proxy(_py.RunPython("def mul(a, b=10):\n    return a * b\nmul"));
        Expect.Long(42, f.Call(6, 7));
        Expect.Long(50, f.Call(5));
        Expect.Str("ababab", f.Call("ab", 3));
        using var noArgs = Expect.Proxy(_py.RunPython("lambda: 'called'"));
        Expect.Str("called", noArgs.Call());
        var e = Assert.Throws<PythonException>(() => f.Call());
        Assert.Equal("TypeError", e.PythonType);
        using var notCallable = Expect.Proxy(_py.RunPython("[1]"));
        Assert.Equal("TypeError", Assert.Throws<PythonException>(() => notCallable.Call()).PythonType);
        // A lone null is one None argument, not a missing argument array.
        Assert.Equal("TypeError", Assert.Throws<PythonException>(() => f.Call(null)).PythonType);
        using var identity = Expect.Proxy(_py.RunPython("lambda x: x is None"));
        Assert.Equal(true, identity.Call(null));
    }

    [Fact]
    public void CallMutatesArgumentsPassedAsProxies()
    {
        using var append = Expect.Proxy(_py.RunPython("lambda xs, x: xs.append(x)"));
        using var list = Expect.Proxy(_py.RunPython("[]"));
        Assert.Null(append.Call(list, 1));
        Assert.Null(append.Call(list, "two"));
        Expect.Long(2, list.Length);
        Expect.Str("two", list[1]);
    }

    [Fact]
    public void CopyIsIndependent()
    {
        using var original = Expect.Proxy(_py.RunPython("{'k': 'v'}"));
        var copy = original.Copy();
        Assert.NotSame(original, copy);
        Expect.Str("v", copy["k"]);
        copy["k2"] = 2;
        Expect.Long(2, original["k2"]); // the same object
        copy.Dispose();
        Assert.True(copy.IsDisposed);
        Assert.False(original.IsDisposed);
        Expect.Str("v", original["k"]);
        Assert.Equal(2, original.Length);
        Assert.Throws<ObjectDisposedException>(() => copy["k"]);

        // And the other way round.
        var second = original.Copy();
        original.Dispose();
        Expect.Str("v", second["k"]);
        second.Dispose();
    }

    [Fact]
    public void DisposeIsIdempotent()
    {
        var p = Expect.Proxy(_py.RunPython("object()"));
        Assert.False(p.IsDisposed);
        p.Dispose();
        p.Dispose();
        p.Dispose();
        Assert.True(p.IsDisposed);
        Expect.Long(1, _py.RunPython("1"));
    }

    [Fact]
    public void UseAfterDisposeThrows()
    {
        var p = Expect.Proxy(_py.RunPython("{'a': [1]}"));
        Assert.Same(_py, p.Runtime);
        p.Dispose();
        Assert.Throws<ObjectDisposedException>(() => p["a"]);
        Assert.Throws<ObjectDisposedException>(() => p["a"] = 1);
        Assert.Throws<ObjectDisposedException>(() => p.TryGet("a", out _));
        Assert.Throws<ObjectDisposedException>(() => p.Contains("a"));
        Assert.Throws<ObjectDisposedException>(() => p.Remove("a"));
        Assert.Throws<ObjectDisposedException>(() => p.Length);
        Assert.Throws<ObjectDisposedException>(() => p.TypeName);
        Assert.Throws<ObjectDisposedException>(() => p.Call());
        Assert.Throws<ObjectDisposedException>(() => p.Copy());
        // As an argument or as globals.
        Assert.Throws<ObjectDisposedException>(() => fixture.Identity.Call(p));
        Assert.Throws<ObjectDisposedException>(() => fixture.Identity.Call(new List<object?> { p }));
        Assert.Throws<ObjectDisposedException>(() => _py.RunPython("1", p));
        Expect.Long(1, _py.RunPython("1"));
    }

    [Fact]
    public void ProxyFromAnotherRuntimeIsRejectedAsArgument()
    {
        using var other = Runtimes.LoadQuiet();
        using var foreign = Expect.Proxy(other.RunPython("[1, 2]"));
        Assert.Throws<ArgumentException>(() => fixture.Identity.Call(foreign));
        Assert.Throws<ArgumentException>(() => fixture.Identity.Call(new List<object?> { foreign }));
        using var d = Expect.Proxy(_py.RunPython("{}"));
        Assert.Throws<ArgumentException>(() => d[foreign] = 1);
        Assert.Throws<ArgumentException>(() => d["k"] = foreign);
        Expect.Long(2, foreign.Length);
    }
}
