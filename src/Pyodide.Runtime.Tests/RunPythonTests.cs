namespace Pyodide.Tests;

/// <summary>RunPython follows Pyodide's eval_code: the value of a final
/// expression is the result; a final statement or a trailing ';' gives null.</summary>
public sealed class RunPythonTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    private readonly PyodideRuntime _py = fixture.Runtime;

    [Fact]
    public void FinalExpressionIsTheResult() => Expect.Long(2, _py.RunPython("x = 1\nx + 1"));

    [Fact]
    public void FinalStatementGivesNull()
    {
        Assert.Null(_py.RunPython("x = 1"));
        Assert.Null(_py.RunPython("import math"));
        Assert.Null(_py.RunPython("if True:\n    5"));
    }

    [Fact]
    public void TrailingSemicolonGivesNull()
    {
        Assert.Null(_py.RunPython("1 + 1;"));
        Assert.Null(_py.RunPython("1 + 1;  \n\n"));
        Expect.Long(2, _py.RunPython("1 + 1  "));
    }

    [Fact]
    public void MultiLineDefinitionAndCall()
    {
        const string code = """
            def fib(n):
                a, b = 0, 1
                for _ in range(n):
                    a, b = b, a + b
                return a

            fib(50)
            """;
        Expect.Long(12586269025, _py.RunPython(code));
    }

    [Fact]
    public void EmptyAndCommentOnlySourceGiveNull()
    {
        Assert.Null(_py.RunPython(""));
        Assert.Null(_py.RunPython("# nothing here"));
        Expect.Long(3, _py.RunPython("3 # a trailing comment"));
    }

    [Fact]
    public void StateCarriesOverBetweenCalls()
    {
        _py.RunPython("carried_over = [1, 2]");
        _py.RunPython("carried_over.append(3)");
        Expect.Long(6, _py.RunPython("sum(carried_over)"));
    }

    [Fact]
    public void ResultKinds()
    {
        Assert.Null(_py.RunPython("None"));
        Assert.True(Assert.IsType<bool>(_py.RunPython("1 == 1")));
        Assert.False(Assert.IsType<bool>(_py.RunPython("False")));
        Expect.Long(-7, _py.RunPython("-7"));
        Expect.Double(1.5, _py.RunPython("3 / 2"));
        Expect.Str("héllo🎉", _py.RunPython("'h\\xe9llo' + '\\U0001F389'"));
        Assert.Equal(new byte[] { 0, 120, 0 }, Assert.IsType<byte[]>(_py.RunPython("b'\\x00x\\x00'")));
        using var list = Expect.Proxy(_py.RunPython("[1, 2, 3]"));
        Assert.Equal("list", list.TypeName);
        using var tuple = Expect.Proxy(_py.RunPython("(1, 2)"));
        Assert.Equal("tuple", tuple.TypeName);
        using var bytearray = Expect.Proxy(_py.RunPython("bytearray(b'ab')"));
        Assert.Equal("bytearray", bytearray.TypeName);
    }

    [Fact]
    public void NonAsciiSource()
    {
        Expect.Str("ünïcødé 🐍", _py.RunPython("ünï = 'ünïcødé 🐍'\nünï"));
    }

    [Fact]
    public void FutureImportAppliesToTheStatements()
    {
        const string code = """
            from __future__ import annotations
            def annotated(a: undefined_name_xyz): pass
            annotated.__annotations__["a"]
            """;
        Expect.Str("undefined_name_xyz", _py.RunPython(code));
    }

    [Fact]
    public void NulCharacterIsAValueError()
    {
        var e = Assert.Throws<PythonException>(() => _py.RunPython("x = 1\0"));
        Assert.Equal("ValueError", e.PythonType);
        Assert.Contains("null bytes", e.Message);
    }

    [Fact]
    public void TheCompilerEntryRefusesWhatItIsNotFor()
    {
        // pyodide._base's compile step is reachable from Python: wrong
        // arguments are Python errors, never a crash of the runtime.
        Expect.Str("ValueError TypeError TypeError", _py.RunPython("""
            import _pyodide_core
            def error(*args):
                try:
                    _pyodide_core.compile(*args)
                except Exception as e:
                    return type(e).__name__
            " ".join([error("1", "<x>", 0x400, True), error(b"1", "<x>", 0, True), error("1", None, 0, True)])
            """));
        Expect.Long(3, _py.RunPython("1 + 2"));
    }

    [Fact]
    public void NullCodeIsRejected() => Assert.Throws<ArgumentNullException>(() => _py.RunPython(null!));

    [Fact]
    public void LargeSource()
    {
        // ~1 MB of source: exercises the growth of the input buffer.
        var code = string.Join("\n", Enumerable.Range(0, 50_000).Select(i => $"v{i} = {i}")) + "\nv49999 - v0";
        Expect.Long(49999, _py.RunPython(code));
        Expect.Long(1, _py.RunPython("1"));
    }
}
