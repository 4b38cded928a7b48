namespace Pyodide.Tests;

/// <summary>The runtime's globals and RunPython in a dict of the caller's choosing.</summary>
public sealed class GlobalsTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    private readonly PyodideRuntime _py = fixture.Runtime;

    [Fact]
    public void SetThroughIndexerVisibleInRunPython()
    {
        _py.Globals["from_host"] = 42;
        _py.Globals["host_list"] = new List<object?> { "a", "b" };
        Expect.Long(43, _py.RunPython("from_host + 1"));
        Expect.Str("a-b", _py.RunPython("'-'.join(host_list)"));
    }

    [Fact]
    public void SetInRunPythonVisibleThroughIndexer()
    {
        _py.RunPython("from_python = 'x' * 3");
        Expect.Str("xxx", _py.Globals["from_python"]);
        Assert.True(_py.Globals.Contains("from_python"));
        _py.Globals.Remove("from_python");
        Assert.False(_py.Globals.Contains("from_python"));
        Assert.Equal(false, _py.RunPython("'from_python' in globals()"));
    }

    [Fact]
    public void GlobalsIsMainsNamespace()
    {
        Assert.Equal("dict", _py.Globals.TypeName);
        Expect.Str("__main__", _py.Globals["__name__"]);
        Assert.Same(_py.Globals, _py.Globals);
    }

    [Fact]
    public void DisposingGlobalsIsANoOp()
    {
        var globals = _py.Globals;
        globals.Dispose();
        globals.Dispose();
        Assert.False(globals.IsDisposed);
        globals["still_there"] = 1;
        Expect.Long(1, _py.RunPython("still_there"));
    }

    [Fact]
    public void CustomGlobalsIsolateNames()
    {
        using var scope = Expect.Proxy(_py.RunPython("{}"));
        Assert.Null(_py.RunPython("isolated_name = 5\ndef read_it():\n    return isolated_name", scope));
        Expect.Long(5, _py.RunPython("isolated_name", scope));
        Expect.Long(5, _py.RunPython("read_it()", scope));
        Expect.Long(5, scope["isolated_name"]);
        Assert.False(_py.Globals.Contains("isolated_name"));
        Assert.Equal(false, _py.RunPython("'isolated_name' in globals()"));
        var e = Assert.Throws<PythonException>(() => _py.RunPython("isolated_name"));
        Assert.Equal("NameError", e.PythonType);

        // Builtins work in a fresh dict, and main's names are not visible in it.
        _py.RunPython("only_in_main = 1");
        Expect.Long(3, _py.RunPython("len([1, 2, 3])", scope));
        Assert.Equal("NameError", Assert.Throws<PythonException>(() => _py.RunPython("only_in_main", scope)).PythonType);
    }

    [Fact]
    public void CustomGlobalsCanBeHostBuilt()
    {
        using var make = Expect.Proxy(_py.RunPython("dict"));
        using var scope = Expect.Proxy(make.Call(new Dictionary<string, object?> { ["a"] = 2, ["b"] = 3 }));
        Expect.Long(6, _py.RunPython("a * b", scope));
    }

    [Fact]
    public void ProxyFromAnotherRuntimeAsGlobalsIsRejected()
    {
        using var other = Runtimes.LoadQuiet();
        using var foreign = Expect.Proxy(other.RunPython("{}"));
        Assert.Throws<ArgumentException>(() => _py.RunPython("1", foreign));
        Assert.Throws<ArgumentException>(() => _py.RunPython("1", other.Globals));
        Expect.Long(1, _py.RunPython("1"));
    }

    [Fact]
    public void NonDictGlobalsIsATypeError()
    {
        using var list = Expect.Proxy(_py.RunPython("[]"));
        var e = Assert.Throws<PythonException>(() => _py.RunPython("1", list));
        Assert.Equal("TypeError", e.PythonType);
        Expect.Long(1, _py.RunPython("1"));
    }
}
