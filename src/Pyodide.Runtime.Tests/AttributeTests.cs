namespace Pyodide.Tests;

/// <summary>GetAttr, SetAttr, HasAttr and DelAttr: Python's attribute protocol,
/// its errors, and names that are not plain ASCII.</summary>
public sealed class AttributeTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    private readonly PyodideRuntime _py = fixture.Runtime;

    private PyProxy NewObject() => Expect.Proxy(_py.RunPython("""
        class AttrTarget:
            cls_attr = 'from class'
            def __init__(self):
                self.x = 1
            def method(self, a):
                return a * 2
            @property
            def broken(self):
                raise ValueError('the property failed')
            @property
            def missing_inside(self):
                raise AttributeError('raised inside the property')
        AttrTarget()
        """));

    [Fact]
    public void GetAttrReadsInstanceClassAndModuleAttributes()
    {
        using var o = NewObject();
        Expect.Long(1, o.GetAttr("x"));
        Expect.Str("from class", o.GetAttr("cls_attr"));
        using var cls = Expect.Proxy(o.GetAttr("__class__"));
        Expect.Str("AttrTarget", cls.GetAttr("__name__"));

        using var math = Expect.Proxy(_py.RunPython("import math\nmath"));
        Expect.Double(Math.PI, math.GetAttr("pi"));
    }

    [Fact]
    public void GetAttrOfAMethodGivesACallableBoundMethod()
    {
        using var o = NewObject();
        using var method = Expect.Proxy(o.GetAttr("method"));
        Assert.Equal("method", method.TypeName);
        Expect.Long(42, method.Call(21));
    }

    [Fact]
    public void GetAttrMissingRaisesAttributeError()
    {
        using var o = NewObject();
        var e = Assert.Throws<PythonException>(() => o.GetAttr("nope"));
        Assert.Equal("AttributeError", e.PythonType);
        Assert.Contains("nope", e.Traceback);
        Assert.Equal(PyodideErrorKind.Python, e.Kind);
    }

    [Fact]
    public void GetAttrPropagatesAPropertysOwnException()
    {
        using var o = NewObject();
        var e = Assert.Throws<PythonException>(() => o.GetAttr("broken"));
        Assert.Equal("ValueError", e.PythonType);
        Assert.Contains("the property failed", e.Traceback);
    }

    [Fact]
    public void SetAttrIsVisibleToPython()
    {
        using var o = NewObject();
        _py.Globals["attr_obj"] = o;
        o.SetAttr("y", "why");
        o.SetAttr("x", 5.5);
        o.SetAttr("lst", new List<object?> { 1, "two", null });
        o.SetAttr("none", null);
        Assert.Equal(true, _py.RunPython("attr_obj.y == 'why' and attr_obj.x == 5.5 and attr_obj.lst == [1, 'two', None] and attr_obj.none is None"));
        Expect.Str("why", o.GetAttr("y"));
        _py.RunPython("del attr_obj");
    }

    [Fact]
    public void SetAttrWithAProxyStoresTheObjectItself()
    {
        using var o = NewObject();
        using var value = Expect.Proxy(_py.RunPython("object()"));
        o.SetAttr("ref", value);
        using var isSame = Expect.Proxy(_py.RunPython("lambda o, v: o.ref is v"));
        Assert.Equal(true, isSame.Call(o, value));
    }

    [Fact]
    public void SetAttrOnAnObjectWithoutADictRaisesAttributeError()
    {
        using var plain = Expect.Proxy(_py.RunPython("object()"));
        var e = Assert.Throws<PythonException>(() => plain.SetAttr("x", 1));
        Assert.Equal("AttributeError", e.PythonType);

        using var readOnlyProperty = NewObject();
        var p = Assert.Throws<PythonException>(() => readOnlyProperty.SetAttr("broken", 1));
        Assert.Equal("AttributeError", p.PythonType);
    }

    [Fact]
    public void HasAttr()
    {
        using var o = NewObject();
        Assert.True(o.HasAttr("x"));
        Assert.True(o.HasAttr("cls_attr"));
        Assert.True(o.HasAttr("method"));
        Assert.True(o.HasAttr("__class__"));
        Assert.False(o.HasAttr("nope"));
        Assert.False(o.HasAttr(""));
    }

    [Fact]
    public void HasAttrIsFalseOnlyForAttributeError()
    {
        using var o = NewObject();
        // hasattr() semantics: an AttributeError raised inside a property means "absent"...
        Assert.False(o.HasAttr("missing_inside"));
        // ...but any other exception propagates.
        var e = Assert.Throws<PythonException>(() => o.HasAttr("broken"));
        Assert.Equal("ValueError", e.PythonType);
        Assert.Contains("the property failed", e.Traceback);
        // The runtime carries on normally afterwards.
        Assert.True(o.HasAttr("x"));
    }

    [Fact]
    public void DelAttr()
    {
        using var o = NewObject();
        o.SetAttr("temp", 1);
        Assert.True(o.HasAttr("temp"));
        o.DelAttr("temp");
        Assert.False(o.HasAttr("temp"));
        var e = Assert.Throws<PythonException>(() => o.DelAttr("temp"));
        Assert.Equal("AttributeError", e.PythonType);
        var get = Assert.Throws<PythonException>(() => o.GetAttr("temp"));
        Assert.Equal("AttributeError", get.PythonType);
        // Class attributes cannot be deleted through an instance.
        Assert.Throws<PythonException>(() => o.DelAttr("cls_attr"));
        Expect.Str("from class", o.GetAttr("cls_attr"));
    }

    [Theory]
    [InlineData("größe")]
    [InlineData("变量")]
    [InlineData("ñandú")]
    [InlineData("𝔡𝔬𝔲𝔟𝔩𝔢")] // outside the BMP: a surrogate pair in .NET, 4 bytes each in UTF-8
    [InlineData("🐍")]
    public void NonAsciiAttributeNames(string name)
    {
        using var o = NewObject();
        o.SetAttr(name, 123);
        Assert.True(o.HasAttr(name));
        Expect.Long(123, o.GetAttr(name));
        // Python sees exactly that name (compared as code points, not normalised).
        using var names = Expect.Proxy(_py.RunPython("lambda o: [n for n in vars(o) if not n.isascii()]"));
        using var found = Expect.Proxy(names.Call(o));
        var list = Assert.IsType<List<object?>>(found.ToManaged());
        Assert.Equal(new object?[] { name }, list);
        using var get = Expect.Proxy(_py.RunPython("getattr"));
        Expect.Long(123, get.Call(o, name));
        o.DelAttr(name);
        Assert.False(o.HasAttr(name));
    }

    [Fact]
    public void AttributeSetInPythonWithNonAsciiNameIsReadable()
    {
        using var o = Expect.Proxy(_py.RunPython("""
            class Ünïcode:
                café = 'latte'
            Ünïcode
            """));
        Expect.Str("latte", o.GetAttr("café"));
        Expect.Str("Ünïcode", o.GetAttr("__name__"));
    }

    [Fact]
    public void AttributeNameWithAnEmbeddedNulIsPassedWhole()
    {
        using var o = NewObject();
        o.SetAttr("a\0b", 7);
        using var check = Expect.Proxy(_py.RunPython("lambda o: (getattr(o, 'a\\x00b', None), hasattr(o, 'a'))"));
        using var result = Expect.Proxy(check.Call(o));
        var pair = Assert.IsType<List<object?>>(result.ToManaged());
        Assert.Equal(new object?[] { 7L, false }, pair);
        Expect.Long(7, o.GetAttr("a\0b"));
        Assert.False(o.HasAttr("a"));
    }

    [Fact]
    public void LoneSurrogateNamesAreArgumentExceptions()
    {
        using var o = NewObject();
        uint before = _py.LiveHandles;
        foreach (string bad in new[] { "a\uD800", "\uDC00", "x\uDBFFy" })
        {
            Assert.Throws<ArgumentException>(() => o.GetAttr(bad));
            Assert.Throws<ArgumentException>(() => o.SetAttr(bad, 1));
            Assert.Throws<ArgumentException>(() => o.HasAttr(bad));
            Assert.Throws<ArgumentException>(() => o.DelAttr(bad));
        }
        // A lone surrogate in the value (not the name) is also refused.
        Assert.Throws<ArgumentException>(() => o.SetAttr("ok", "v\uD800"));
        Assert.False(o.HasAttr("ok"));
        Assert.Equal(before, _py.LiveHandles);
        // The proxy and the runtime still work.
        Expect.Long(1, o.GetAttr("x"));
    }

    [Fact]
    public void NullNameIsArgumentNullException()
    {
        using var o = NewObject();
        Assert.Throws<ArgumentNullException>(() => o.GetAttr(null!));
        Assert.Throws<ArgumentNullException>(() => o.HasAttr(null!));
        Assert.Throws<ArgumentNullException>(() => o.DelAttr(null!));
        Assert.Throws<ArgumentNullException>(() => o.SetAttr(null!, 1));
    }

    [Fact]
    public void AttributesOfADisposedProxyThrowObjectDisposed()
    {
        var o = NewObject();
        o.Dispose();
        Assert.Throws<ObjectDisposedException>(() => o.GetAttr("x"));
        Assert.Throws<ObjectDisposedException>(() => o.SetAttr("x", 1));
        Assert.Throws<ObjectDisposedException>(() => o.HasAttr("x"));
        Assert.Throws<ObjectDisposedException>(() => o.DelAttr("x"));
    }

    [Fact]
    public void AttributeCallsDoNotLeakHandles()
    {
        using var o = NewObject();
        uint before = _py.LiveHandles;
        for (int i = 0; i < 2000; i++)
        {
            o.SetAttr("n", i);
            Expect.Long(i, o.GetAttr("n"));
            Assert.True(o.HasAttr("n"));
            Assert.Throws<PythonException>(() => o.GetAttr("missing"));
            Assert.Throws<PythonException>(() => o.HasAttr("broken"));
            o.DelAttr("n");
        }
        Assert.Equal(before, _py.LiveHandles);
    }
}
