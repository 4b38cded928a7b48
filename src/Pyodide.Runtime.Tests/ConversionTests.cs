using System.Collections;

namespace Pyodide.Tests;

/// <summary>.NET → Python → .NET through an identity function, and the values
/// that have no exact .NET form coming back as proxies.</summary>
public sealed class ConversionTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    private readonly PyodideRuntime _py = fixture.Runtime;
    private readonly PyProxy _identity = fixture.Identity;
    private readonly PyProxy _describe = fixture.Describe;
    private readonly PyProxy _typeOf = fixture.TypeOf;

    private object? RoundTrip(object? value) => _identity.Call(value);

    [Fact]
    public void Null()
    {
        Assert.Null(RoundTrip(null));
        Expect.Str("NoneType", _typeOf.Call((object?)null));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Bool(bool value)
    {
        Assert.Equal(value, Assert.IsType<bool>(RoundTrip(value)));
        Expect.Str("bool", _typeOf.Call(value));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(-1L)]
    [InlineData(long.MinValue)]
    [InlineData(long.MaxValue)]
    [InlineData((long)int.MaxValue + 1)]
    public void Int64(long value)
    {
        Expect.Long(value, RoundTrip(value));
        Expect.Str("int", _typeOf.Call(value));
    }

    [Fact]
    public void LongExtremesHaveTheirPythonValue()
    {
        using var check = Expect.Proxy(_py.RunPython("lambda a, b: (a == -2**63, b == 2**63 - 1)"));
        using var both = Expect.Proxy(check.Call(long.MinValue, long.MaxValue));
        Assert.Equal(true, both[0]);
        Assert.Equal(true, both[1]);
    }

    [Fact]
    public void SmallerIntegerTypesBecomePythonInts()
    {
        Expect.Long(int.MinValue, RoundTrip(int.MinValue));
        Expect.Long(uint.MaxValue, RoundTrip(uint.MaxValue));
        Expect.Long(-5, RoundTrip((short)-5));
        Expect.Long(65535, RoundTrip(ushort.MaxValue));
        Expect.Long(-128, RoundTrip(sbyte.MinValue));
        Expect.Long(255, RoundTrip(byte.MaxValue));
        Expect.Long(long.MaxValue, RoundTrip((ulong)long.MaxValue));
        Expect.Str("int", _typeOf.Call(7));
    }

    [Fact]
    public void UlongBeyondInt64IsRejected()
    {
        Assert.Throws<ArgumentException>(() => RoundTrip(ulong.MaxValue));
        Expect.Long(1, _py.RunPython("1")); // still usable
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.5)]
    [InlineData(-2.25e-300)]
    [InlineData(double.MaxValue)]
    [InlineData(double.Epsilon)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Double(double value)
    {
        Expect.Double(value, RoundTrip(value));
        Expect.Str("float", _typeOf.Call(value));
    }

    [Fact]
    public void DoubleNaN()
    {
        Assert.True(double.IsNaN(Assert.IsType<double>(RoundTrip(double.NaN))));
        using var isnan = Expect.Proxy(_py.RunPython("import math\nmath.isnan"));
        Assert.Equal(true, isnan.Call(double.NaN));
    }

    [Fact]
    public void DoubleNegativeZeroKeepsItsSign()
    {
        double back = Assert.IsType<double>(RoundTrip(-0.0));
        Assert.Equal(0.0, back);
        Assert.True(double.IsNegative(back), "-0.0 lost its sign");
        Expect.Str("-0.0", _py.RunPython("repr(-0.0)"));
        using var repr = Expect.Proxy(_py.RunPython("repr"));
        Expect.Str("-0.0", repr.Call(-0.0));
        Expect.Str("inf", repr.Call(double.PositiveInfinity));
    }

    [Fact]
    public void Float32BecomesPythonFloat() => Expect.Double(0.5, RoundTrip(0.5f));

    [Fact]
    public void String()
    {
        // A Fact rather than InlineData, so the values reach the test unaltered.
        string[] values =
        [
            "", "plain ascii", "héllo wörld – ß ñ 中文 русский", "emoji 🐍🎉 and a flag 🇫🇷",
            "embedded\0NUL\0", "\0", "\uffff and \U0010FFFF", "\ufeffBOM first",
        ];
        using var len = Expect.Proxy(_py.RunPython("len"));
        foreach (string value in values)
        {
            Expect.Str(value, RoundTrip(value));
            Expect.Str("str", _typeOf.Call(value));
            Expect.Long(value.EnumerateRunes().Count(), len.Call(value));
        }
    }

    [Fact]
    public void StringLengthIsCountedInCodePoints()
    {
        using var len = Expect.Proxy(_py.RunPython("len"));
        Expect.Long(1, len.Call("🐍"));
        Expect.Long(3, len.Call("a\0b"));
        Expect.Long(2, len.Call("é€"));
    }

    [Fact]
    public void LargeStringAndBytes()
    {
        string text = new string('é', 5_000_000) + "🐍";
        Expect.Str(text, RoundTrip(text));
        var bytes = new byte[10_000_000];
        new Random(42).NextBytes(bytes);
        Assert.Equal(bytes, Assert.IsType<byte[]>(RoundTrip(bytes)));
    }

    [Fact]
    public void Bytes()
    {
        var value = new byte[] { 0, 1, 0, 255, 0, 0 };
        Assert.Equal(value, Assert.IsType<byte[]>(RoundTrip(value)));
        Expect.Str("bytes:6:b'\\x00\\x01\\x00\\xff\\x00\\x00'", _describe.Call(value));
        Assert.Equal(Array.Empty<byte>(), Assert.IsType<byte[]>(RoundTrip(Array.Empty<byte>())));
    }

    [Fact]
    public void ListBecomesPythonList()
    {
        var list = new List<object?> { 1, "a", null, true, 2.5, new byte[] { 0 }, new List<object?> { 1 }, new Dictionary<string, object?> { ["k"] = 1 } };
        Expect.Str("list:8:[1, 'a', None, True, 2.5, b'\\x00', [1], {'k': 1}]", _describe.Call(list));
        Expect.Str("list:0:[]", _describe.Call(new List<object?>()));
        // A typed array is an IList too (int[] is not object[], so it is one argument).
        Expect.Str("list:3:[1, 2, 3]", _describe.Call(new int[] { 1, 2, 3 }));
    }

    [Fact]
    public void ListComesBackAsProxy()
    {
        using var back = Expect.Proxy(RoundTrip(new List<object?> { 10, "x" }));
        Assert.Equal("list", back.TypeName);
        Assert.Equal(2, back.Length);
        Expect.Long(10, back[0]);
        Expect.Str("x", back[1]);
    }

    [Fact]
    public void DictionaryBecomesPythonDict()
    {
        var dict = new Dictionary<string, object?> { ["a"] = 1, ["b"] = new List<object?> { 1, 2 }, ["c"] = null };
        Expect.Str("dict:3:{'a': 1, 'b': [1, 2], 'c': None}", _describe.Call(dict));
        var mixedKeys = new Dictionary<object, object?> { [1] = "one", [2L] = "two", ["3"] = 3.0, [false] = true };
        Expect.Str("dict:4:{1: 'one', 2: 'two', '3': 3.0, False: True}", _describe.Call(mixedKeys));
        Expect.Str("dict:1:{'k': 'v'}", _describe.Call(new Hashtable { ["k"] = "v" }));
        Expect.Str("dict:0:{}", _describe.Call(new Dictionary<string, object?>()));
    }

    [Fact]
    public void DictionaryComesBackAsProxy()
    {
        using var back = Expect.Proxy(RoundTrip(new Dictionary<string, object?> { ["x"] = 1 }));
        Assert.Equal("dict", back.TypeName);
        Expect.Long(1, back["x"]);
    }

    [Fact]
    public void UnhashableDictionaryKeyIsAPythonError()
    {
        var dict = new Dictionary<object, object?> { [new List<object?> { 1 }] = 1 };
        var e = Assert.Throws<PythonException>(() => _describe.Call(dict));
        Assert.Equal("TypeError", e.PythonType);
        Expect.Long(1, _py.RunPython("1"));
    }

    [Fact]
    public void ProxyArgumentIsTheSameObject()
    {
        using var obj = Expect.Proxy(_py.RunPython("object()"));
        using var isSame = Expect.Proxy(_py.RunPython("lambda a, b: a is b"));
        Assert.Equal(true, isSame.Call(obj, obj));
        using var back = Expect.Proxy(RoundTrip(obj));
        Assert.Equal(true, isSame.Call(obj, back));
        // Inside containers too.
        using var first = Expect.Proxy(_py.RunPython("lambda xs: xs[0]"));
        using var inner = Expect.Proxy(first.Call(new List<object?> { obj }));
        Assert.Equal(true, isSame.Call(obj, inner));
    }

    [Theory]
    [InlineData("2**63")]
    [InlineData("-2**63 - 1")]
    [InlineData("10**100")]
    public void IntBeyondInt64ComesBackAsProxy(string expression)
    {
        using var big = Expect.Proxy(_py.RunPython(expression));
        Assert.Equal("int", big.TypeName);
        using var str = Expect.Proxy(_py.RunPython("str"));
        Expect.Str(_py.RunPython($"str({expression})") as string ?? "?", str.Call(big));
    }

    [Fact]
    public void IntAtInt64EdgesComesBackByValue()
    {
        Expect.Long(long.MaxValue, _py.RunPython("2**63 - 1"));
        Expect.Long(long.MinValue, _py.RunPython("-2**63"));
    }

    [Fact]
    public void StrWithLoneSurrogateComesBackAsProxy()
    {
        using var s = Expect.Proxy(_py.RunPython("'\\ud800'"));
        Assert.Equal("str", s.TypeName);
        Assert.Equal(1, s.Length);
        using var ord = Expect.Proxy(_py.RunPython("ord"));
        Expect.Long(0xD800, ord.Call(s));
    }

    // Not InlineData: xunit serializes theory data as UTF-8, which would replace
    // the lone surrogates with U+FFFD before the test sees them.
    [Fact]
    public void DotNetStringWithLoneSurrogateIsRejected()
    {
        string[] values = ["\ud800", "abc\udfffdef", "\ude00\ud83d" /* halves in the wrong order */, "ok🐍\ud83d"];
        foreach (string value in values)
        {
            Assert.Throws<ArgumentException>(() => RoundTrip(value));
            Assert.Throws<ArgumentException>(() => RoundTrip(new List<object?> { "ok", value }));
            Assert.Throws<ArgumentException>(() => RoundTrip(new Dictionary<string, object?> { [value] = 1 }));
            Assert.Throws<ArgumentException>(() => _py.RunPython($"'{value}'"));
            using var d = Expect.Proxy(_py.RunPython("{}"));
            Assert.Throws<ArgumentException>(() => d[value] = 1);
            Assert.Throws<ArgumentException>(() => d["k"] = value);
            Assert.Throws<ArgumentException>(() => d.Contains(value));
        }
        Expect.Long(1, _py.RunPython("1")); // still usable
    }

    /// <summary>Other objects become host objects; these the sandbox never gives to Python.</summary>
    public static TheoryData<object> UnsupportedValues() => new()
    {
        typeof(string),
        typeof(object).GetMethod(nameof(ToString))!,
        typeof(object).Assembly,
        new FileInfo("/tmp/pyodide-never-read"),
        System.Diagnostics.Process.GetCurrentProcess(),
        (nint)1,
    };

    [Theory]
    [MemberData(nameof(UnsupportedValues))]
    public void UnsupportedTypeIsRejected(object value)
    {
        var e = Assert.Throws<ArgumentException>(() => RoundTrip(value));
        Assert.Contains(value.GetType().ToString(), e.Message);
        Assert.Throws<ArgumentException>(() => RoundTrip(new List<object?> { 1, value }));
        Assert.Throws<ArgumentException>(() => RoundTrip(new Dictionary<string, object?> { ["k"] = value }));
        Expect.Long(1, _py.RunPython("1"));
    }

    [Fact]
    public void TooDeepNestingIsRejected()
    {
        object? nested = 1;
        for (int i = 0; i < 1000; i++) nested = new List<object?> { nested };
        Assert.Throws<ArgumentException>(() => RoundTrip(nested));
        Expect.Long(1, _py.RunPython("1"));
    }

    [Fact]
    public void ManyArguments()
    {
        using var count = Expect.Proxy(_py.RunPython("lambda *a: (len(a), sum(a))"));
        var args = Enumerable.Range(1, 300).Select(i => (object?)i).ToArray();
        using var result = Expect.Proxy(count.Call(args));
        Expect.Long(300, result[0]);
        Expect.Long(45150, result[1]);
    }
}
