namespace Pyodide.Tests;

/// <summary>The sandbox of .NET host objects, attacked from Python: through objects a
/// program may well expose (its own classes, collections, delegates, exceptions, tasks,
/// enumerators), Python tries to reach reflection, the file system and processes. Every
/// attempt must fail, and the host must see nothing happen.</summary>
public sealed class HostObjectEscapeTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    private readonly PyodideRuntime _py = fixture.Runtime;

    private static readonly string Marker = Path.Combine(Path.GetTempPath(), $"pyodide-escape-{Guid.NewGuid():N}");

    public class Exposed
    {
        public string Name { get; set; } = "exposed";
        public object Anything { get; set; } = typeof(File);
        public object[] Mixed { get; } = [1, typeof(Environment), "x"];
        public Type Kind => typeof(File);
        public Func<string, string> Echo { get; } = s => s;
        public Action<string> Writer { get; } = path => File.WriteAllText(path, "escaped");
        public Exception Error { get; } = new InvalidOperationException("boom");
        public Task<int> Pending { get; } = Task.FromResult(1);
        public List<int> Numbers { get; } = [1, 2, 3];
        public FileInfo File1 => new(Marker);
        public System.Reflection.Assembly Assembly => typeof(Exposed).Assembly;
        public object Reflect(string typeName) => Type.GetType(typeName)!;
        public object Process() => System.Diagnostics.Process.GetCurrentProcess();
        public object Self() => this;
        public static void WriteFile(string path) => File.WriteAllText(path, "escaped");
        public T Generic<T>(T value) => value;
    }

    /// <summary>Exposes a new <see cref="Exposed"/> as <c>x</c>; the result runs one attempt
    /// and gives the exception's type name, or "reached".</summary>
    private PyProxy Expose()
    {
        _py.Globals["x"] = new Exposed();
        return (PyProxy)_py.RunPython("""
            def attempt(code):
                try:
                    eval(code, globals())
                except Exception as e:
                    return type(e).__name__
                return 'reached'
            attempt
            """)!;
    }

    public static TheoryData<string> Attempts() => new()
    {
        // Reflection straight from the object.
        "x.GetType()", "x.GetType", "x.Kind", "x.Anything", "x.Mixed[1]", "x.Assembly", "x.Reflect('System.IO.File')",
        "x.Self().GetType()", "x.Generic(1)", "x.ToString()", "x.Equals(x)", "x.GetHashCode()", "x.MemberwiseClone()",
        // Delegates: call them, nothing more.
        "x.Echo.Method", "x.Echo.Target", "x.Echo.DynamicInvoke('a')", "x.Echo.GetInvocationList()",
        "x.Echo.Invoke('a')", "x.Echo.BeginInvoke", "x.Echo.GetType()", "x.Writer.Method.DeclaringType",
        // Exceptions and tasks lead to methods and types.
        "x.Error.TargetSite", "x.Error.GetType()", "x.Error.GetBaseException().TargetSite",
        "x.Pending.GetType()", "x.Pending.AsyncState.GetType()", "x.Pending.Factory",
        // The file system and processes.
        "x.File1", "x.Process()", "x.WriteFile('/tmp/escaped')", "type(x).WriteFile",
        // Enumerators and collections.
        "iter(x.Numbers).Enumerator", "iter(x.Numbers).MoveNext()", "iter(x.Numbers).Current",
        "x.Numbers.GetType()", "x.Numbers.ToArray().GetType()",
        // Python's side of the object.
        "type(x).__dict__['Name']",
        "setattr(type(x), 'Name', 1)", "x.__dict__", "object.__getattribute__(x, 'GetType')",
    };

    [Theory]
    [MemberData(nameof(Attempts))]
    public void EveryEscapeFails(string code)
    {
        using var attempt = Expose();
        string outcome = (string)attempt.Call(code)!;
        Assert.NotEqual("reached", outcome);
        Assert.Contains(outcome, new[] { "AttributeError", "TypeError", "KeyError", "IndexError" });
    }

    [Fact]
    public void AllowedUseStillWorks()
    {
        using var attempt = Expose();
        // The same objects serve their purpose: a delegate is callable, a task's result readable.
        Expect.Str("hi", _py.RunPython("x.Echo('hi')"));
        Expect.Str("boom", _py.RunPython("x.Error.Message"));
        Expect.Long(1, _py.RunPythonAsyncBlocking("await x.Pending"));
        Assert.Equal(true, _py.RunPython("list(x.Numbers) == [1, 2, 3] and x.Mixed[0] == 1"));
    }

    [Fact]
    public void WritingThroughAnExposedDelegateOnlyDoesWhatItWasMadeFor()
    {
        using var attempt = Expose();
        // The delegate is the program's choice to expose: it can be called, but Python
        // cannot change what it does or reach anything beside it.
        Assert.Equal("AttributeError", attempt.Call("x.Writer.Method"));
        Assert.Equal("AttributeError", attempt.Call("x.Writer.Target"));
        Assert.False(File.Exists("/tmp/escaped"));
    }

    [Fact]
    public void TheHostSeesNothingHappen()
    {
        using var attempt = Expose();
        foreach (string code in Attempts()) attempt.Call(code);
        Assert.False(File.Exists(Marker));
        Assert.False(File.Exists("/tmp/escaped"));
        Expect.Str("exposed", _py.RunPython("x.Name"));
    }
}
