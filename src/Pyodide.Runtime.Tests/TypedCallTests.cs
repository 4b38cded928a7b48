namespace Pyodide.Tests;

/// <summary>The typed forms RunPython&lt;T&gt; and Call&lt;TArg, TResult&gt;: scalars cross
/// without boxing, other types as the untyped API gives them, and a result of the
/// wrong kind is an InvalidCastException that leaks nothing.</summary>
public sealed class TypedCallTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    private readonly PyodideRuntime _py = fixture.Runtime;

    [Fact]
    public void ScalarResults()
    {
        Assert.Equal(2L, _py.RunPython<long>("1 + 1"));
        Assert.Equal(7, _py.RunPython<int>("3 + 4"));
        Assert.Equal(0.25, _py.RunPython<double>("1 / 4"));
        Assert.Equal(3.0, _py.RunPython<double>("3"));          // an int widens to double
        Assert.True(_py.RunPython<bool>("3 > 2"));
        Assert.Equal("sss", _py.RunPython<string>("'s' * 3"));
        Assert.Null(_py.RunPython<string?>("None"));
        Assert.Equal(new byte[] { 1, 2 }, _py.RunPython<byte[]>("bytes([1, 2])"));
        using var proxy = _py.RunPython<PyProxy>("[1, 2]");
        Assert.Equal(2, proxy.Length);
    }

    [Fact]
    public void TypedCalls()
    {
        using var inc = _py.RunPython<PyProxy>("lambda x: x + 1");
        Assert.Equal(42L, inc.Call<long, long>(41));
        Assert.Equal(1.5, inc.Call<double, double>(0.5));
        Assert.Equal(6, inc.Call<int, int>(5));
        using var neg = _py.RunPython<PyProxy>("lambda b: not b");
        Assert.False(neg.Call<bool, bool>(true));
        using var shout = _py.RunPython<PyProxy>("lambda s: s.upper()");
        Assert.Equal("HÉ", shout.Call<string, string>("hé"));
        using var seven = _py.RunPython<PyProxy>("lambda: 7");
        Assert.Equal(7L, seven.Call<long>());
    }

    [Fact]
    public void WrongKindsAreInvalidCastAndLeakNothing()
    {
        uint before = _py.LiveHandles;
        Assert.Throws<InvalidCastException>(() => _py.RunPython<long>("'x'"));
        Assert.Throws<InvalidCastException>(() => _py.RunPython<long>("2 ** 70"));      // a proxy, released
        Assert.Throws<InvalidCastException>(() => _py.RunPython<int>("2 ** 40"));       // outside int
        Assert.Throws<InvalidCastException>(() => _py.RunPython<string>("[1]"));        // a proxy, released
        Assert.Throws<InvalidCastException>(() => _py.RunPython<bool>("None"));
        Assert.Equal(before, _py.LiveHandles);
    }

    [Fact]
    public void ScalarPathsAllocateNothing()
    {
        using var inc = _py.RunPython<PyProxy>("lambda x: x + 1");
        for (int i = 0; i < 1000; i++)
        {
            inc.Call<long, long>(i);
            _py.RunPython<long>("1 + 1");
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (long i = 0; i < 10_000; i++)
        {
            inc.Call<long, long>(i);
            _py.RunPython<long>("1 + 1");
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
