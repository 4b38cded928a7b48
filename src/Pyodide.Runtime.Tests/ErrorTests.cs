namespace Pyodide.Tests;

/// <summary>Python exceptions reach .NET as <see cref="PythonException"/> with the
/// exception's type and the traceback Python would print, minus the runner's frames.</summary>
public sealed class ErrorTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    private readonly PyodideRuntime _py = fixture.Runtime;

    private const string InternalFrames = "/lib/python3.11/pyodide/";

    [Fact]
    public void ZeroDivision()
    {
        var e = Assert.Throws<PythonException>(() => _py.RunPython("1/0"));
        Assert.Equal("ZeroDivisionError", e.PythonType);
        Assert.Equal(PyodideErrorKind.Python, e.Kind);
        Assert.IsAssignableFrom<PyodideException>(e);
        Assert.StartsWith("Traceback (most recent call last):", e.Traceback);
        Assert.Contains("ZeroDivisionError: division by zero", e.Traceback);
        Assert.Contains("File \"<exec>\", line 1", e.Traceback);
        Assert.DoesNotContain(InternalFrames, e.Traceback);
        Assert.Equal(e.Message, e.Traceback);
    }

    [Fact]
    public void OsExitEndsItsRuntimeWithTheStatus()
    {
        var output = new OutputCapture();
        using var py = Runtimes.Load(new PyodideOptions { Stdout = output.Write });
        output.Clear();
        var exit = Assert.Throws<PythonException>(() => py.RunPython("import sys\nsys.exit(3)"));
        Assert.Null(exit.ExitStatus);
        var e = Assert.Throws<PyodideException>(() => py.RunPython("import atexit, os\natexit.register(print, 'atexit')\n"
                                                                   + "try:\n    os._exit(7)\nfinally:\n    print('finally')"));
        Assert.Equal(PyodideErrorKind.Fatal, e.Kind);
        Assert.Equal(7, e.ExitStatus);
        Assert.Contains("os._exit(7)", e.Message);
        Assert.Equal(7, Assert.Throws<PyodideException>(() => py.RunPython("1")).ExitStatus);
        Assert.Equal("", output.Text);
    }

    [Fact]
    public void PathsOutOfTheSandboxArePermissionErrorsNumberedAsOnLinux()
    {
        // Wasmtime refuses a link that leads out of the preopened directory it is in with
        // EPERM; WASI's ENOTCAPABLE is EACCES's number to Python.
        Expect.Str("PermissionError 1 EPERM True", _py.RunPython(
            "import errno, os\nos.symlink('../..', '/home/pyodide/up')\ntry:\n    os.listdir('/home/pyodide/up')\nexcept OSError as e:\n"
            + "    r = f'{type(e).__name__} {e.errno} {errno.errorcode[e.errno]} {errno.ENOTCAPABLE == errno.EACCES}'\nr"));
    }

    [Fact]
    public void LineNumbersOfMultiLineSource()
    {
        var e = Assert.Throws<PythonException>(() => _py.RunPython("a = 1\nb = 2\nraise RuntimeError('third line')"));
        Assert.Equal("RuntimeError", e.PythonType);
        Assert.Contains("File \"<exec>\", line 3", e.Traceback);
        Assert.EndsWith("RuntimeError: third line\n", e.Traceback);
        Assert.DoesNotContain(InternalFrames, e.Traceback);
    }

    [Fact]
    public void ErrorInFinalExpression()
    {
        var e = Assert.Throws<PythonException>(() => _py.RunPython("x = 5\nx + undefined_name_xyz"));
        Assert.Equal("NameError", e.PythonType);
        Assert.Contains("File \"<exec>\", line 2", e.Traceback);
        Assert.Contains("name 'undefined_name_xyz' is not defined", e.Traceback);
        Assert.DoesNotContain(InternalFrames, e.Traceback);
    }

    [Theory]
    [InlineData("def (")]
    [InlineData("x = = 1")]
    [InlineData("print('unclosed")]
    public void SyntaxErrorHasNoTraceback(string code)
    {
        var e = Assert.Throws<PythonException>(() => _py.RunPython(code));
        Assert.Equal("SyntaxError", e.PythonType);
        Assert.DoesNotContain("Traceback", e.Traceback);
        Assert.Contains("SyntaxError: ", e.Traceback);
        Assert.Contains("File \"<exec>\", line 1", e.Traceback);
        Assert.DoesNotContain(InternalFrames, e.Traceback);
    }

    [Theory]
    [InlineData("x = 1\nreturn x\nx", "'return' outside function")]
    [InlineData("x = 1\nawait x", "'await' outside function")]
    public void CompileErrorOnTheSecondLineHasNoTraceback(string code, string message)
    {
        // The statements and the final expression are compiled apart: an
        // error in either keeps its line and is reported as a script's.
        var e = Assert.Throws<PythonException>(() => _py.RunPython(code));
        Assert.Equal("SyntaxError", e.PythonType);
        Assert.DoesNotContain("Traceback", e.Traceback);
        Assert.Contains("File \"<exec>\", line 2", e.Traceback);
        Assert.Contains(message, e.Traceback);
    }

    [Fact]
    public void IndentationErrorIsASyntaxErrorSubclass()
    {
        var e = Assert.Throws<PythonException>(() => _py.RunPython("if True:\npass"));
        Assert.Equal("IndentationError", e.PythonType);
        Assert.DoesNotContain("Traceback", e.Traceback);
    }

    [Fact]
    public void KeyErrorFromIndexer()
    {
        using var d = Expect.Proxy(_py.RunPython("{}"));
        var e = Assert.Throws<PythonException>(() => d["nope"]);
        Assert.Equal("KeyError", e.PythonType);
        Assert.Contains("KeyError: 'nope'", e.Traceback);
        Assert.DoesNotContain(InternalFrames, e.Traceback);
    }

    [Fact]
    public void ExceptionInsideCalledFunction()
    {
        using var f = Expect.Proxy(_py.RunPython("""
            def outer(n):
                return inner(n)

            def inner(n):
                raise ValueError(f"boom {n} – ünïcode")

            outer
            """));
        var e = Assert.Throws<PythonException>(() => f.Call(7));
        Assert.Equal("ValueError", e.PythonType);
        Assert.StartsWith("Traceback (most recent call last):", e.Traceback);
        Assert.Contains("ValueError: boom 7 – ünïcode", e.Traceback);
        Assert.Contains("in outer", e.Traceback);
        Assert.Contains("in inner", e.Traceback);
        Assert.Contains("File \"<exec>\", line 5", e.Traceback);
        Assert.DoesNotContain(InternalFrames, e.Traceback);
    }

    [Fact]
    public void CustomExceptionClass()
    {
        _py.RunPython("class AppError(Exception):\n    pass");
        var e = Assert.Throws<PythonException>(() => _py.RunPython("raise AppError('custom')"));
        Assert.Equal("AppError", e.PythonType);
        Assert.Contains("AppError: custom", e.Traceback);
    }

    [Fact]
    public void ChainedExceptionsArePrintedAsPythonDoes()
    {
        var e = Assert.Throws<PythonException>(() => _py.RunPython("try:\n    1/0\nexcept ZeroDivisionError as z:\n    raise KeyError('k') from z"));
        Assert.Equal("KeyError", e.PythonType);
        Assert.Contains("ZeroDivisionError: division by zero", e.Traceback);
        Assert.Contains("The above exception was the direct cause of the following exception:", e.Traceback);
        Assert.DoesNotContain(InternalFrames, e.Traceback);
    }

    [Fact]
    public void SystemExitIsAnExceptionNotAnExit()
    {
        var e = Assert.Throws<PythonException>(() => _py.RunPython("import sys\nsys.exit(3)"));
        Assert.Equal("SystemExit", e.PythonType);
        Expect.Long(1, _py.RunPython("1"));
    }

    [Fact]
    public void RuntimeIsUsableAfterErrors()
    {
        for (int i = 0; i < 100; i++)
            Assert.Throws<PythonException>(() => _py.RunPython("raise ValueError()"));
        Expect.Long(42, _py.RunPython("6 * 7"));
    }

    [Fact]
    public void ExceptionWithUnencodableMessageStillArrives()
    {
        var e = Assert.Throws<PythonException>(() => _py.RunPython("raise ValueError('\\ud800 lone')"));
        Assert.Equal("ValueError", e.PythonType);
        Assert.Contains("lone", e.Traceback);
    }
}
