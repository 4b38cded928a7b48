using System.Collections;

namespace Pyodide.Tests;

/// <summary>.NET objects in Python: any object that is not a plain value becomes a host
/// object (pyodide.HostObject), reached through its public members, indexers, collections
/// and delegates; it comes back as itself, and Python holds it only while it uses it.</summary>
public sealed class HostObjectTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    private readonly PyodideRuntime _py = fixture.Runtime;

    public class Entity
    {
        public string Name { get; set; } = "orc";
        public int Health { get; set; } = 10;
        public double Speed = 1.5;
        public readonly long Id = 42;
        public Entity? Target { get; set; }
        public List<string> Tags { get; } = ["green"];
        public int Calls;

        public int Damage(int amount) => Health -= amount;
        public string Describe() => $"{Name}:{Health}";
        public string Describe(string prefix) => $"{prefix} {Name}";
        public double Scale(double factor) => Speed * factor;
        public long Add(long a, long b) => a + b;
        public void Touch() => Calls++;
        public Entity Spawn(string name) => new() { Name = name };
        public bool Is(Entity other) => ReferenceEquals(this, other);
        public int Fail() => throw new InvalidOperationException("the orc refuses");
        public static string Static() => "never seen";

        public async Task<int> DoubleLater(int x)
        {
            await Task.Delay(10);
            return 2 * x;
        }

        public async Task FailLater()
        {
            await Task.Yield();
            throw new PythonException("ValueError", "failed later");
        }
    }

    private PyProxy Set(string name, object value)
    {
        var globals = _py.Globals;
        globals[name] = value;
        return globals;
    }

    [Fact]
    public void PropertiesFieldsAndMethods()
    {
        var e = new Entity();
        Set("e", e);
        Expect.Str("orc", _py.RunPython("e.Name"));
        Expect.Long(10, _py.RunPython("e.Health"));
        Expect.Double(1.5, _py.RunPython("e.Speed"));
        Expect.Long(42, _py.RunPython("e.Id"));
        _py.RunPython("e.Name = 'goblin'; e.Health = 7; e.Speed = 2");
        Assert.Equal(("goblin", 7, 2.0), (e.Name, e.Health, e.Speed));
        Expect.Long(4, _py.RunPython("e.Damage(3)"));
        Expect.Str("goblin:4", _py.RunPython("e.Describe()"));
        Expect.Str("the goblin", _py.RunPython("e.Describe('the')"));
        Expect.Double(5.0, _py.RunPython("e.Scale(2.5)"));
        Expect.Long(5, _py.RunPython("e.Add(2, 3)"));
        Assert.Null(_py.RunPython("e.Touch()"));
        Assert.Equal(1, e.Calls);
        Assert.Equal(true, _py.RunPython("import pyodide; isinstance(e, pyodide.HostObject) and type(e).__name__ == 'Entity'"));
        Assert.Equal(true, _py.RunPython("all(n in dir(e) for n in ('Name', 'Health', 'Speed', 'Damage', 'Describe'))"));
    }

    [Fact]
    public void WrongUseRaisesPythonErrors()
    {
        Set("e", new Entity());
        foreach (var (code, type) in new[]
                 {
                     ("e.Missing", "AttributeError"), ("e.Id = 1", "AttributeError"), ("e.Tags = []", "AttributeError"),
                     ("e.Health = 'x'", "TypeError"), ("e.Damage('x')", "TypeError"), ("e.Damage()", "TypeError"),
                     ("e.Add(1, 2, 3)", "TypeError"), ("e.Damage(2**40)", "TypeError"), ("del e.Name", "TypeError"),
                     ("e.Fail()", "RuntimeError"), ("e.Static()", "AttributeError"), ("e()", "TypeError"), ("len(e)", "TypeError"),
                 })
            Expect.Str(type, _py.RunPython($"""
                try:
                    {code}
                    r = 'no exception'
                except Exception as x:
                    r = type(x).__name__
                r
                """));
        Expect.Str("the orc refuses", _py.RunPython("""
            try:
                e.Fail()
            except RuntimeError as x:
                m = str(x)
            m
            """));
    }

    [Fact]
    public void IdentityAndComingBack()
    {
        var e = new Entity();
        var other = new Entity();
        var globals = Set("a", e);
        globals["b"] = e;
        globals["c"] = other;
        Assert.Equal(true, _py.RunPython("a is b and a is not c and a.Is(b) and not a.Is(c)"));
        Assert.Same(e, _py.RunPython("a"));
        Assert.Same(e, globals["b"]);
        _py.RunPython("a.Target = c");
        Assert.Same(other, e.Target);
        Assert.Equal(true, _py.RunPython("a.Target is c"));
        var spawned = Assert.IsType<Entity>(_py.RunPython("s = a.Spawn('imp'); s"));
        Assert.Equal("imp", spawned.Name);
        Assert.Equal(true, _py.RunPython("a.Spawn('x') is not a.Spawn('x')"));
    }

    [Fact]
    public void PythonLetsGoOfObjects()
    {
        using var py = Runtimes.LoadQuiet();
        int before = HostObjectCount(py);
        var globals = py.Globals;
        globals["e"] = new Entity();
        py.RunPython("x = [e.Spawn(str(i)) for i in range(50)]");
        Assert.Equal(before + 51, HostObjectCount(py));
        py.RunPython("del x, e");
        Assert.Equal(before, HostObjectCount(py));
    }

    internal static int HostObjectCount(PyodideRuntime py)
    {
        using var call = py.Enter();
        return py.HostObjects.Count;
    }

    [Fact]
    public void ListsAndDictionariesAsSequenceAndMapping()
    {
        var e = new Entity();
        Set("e", e);
        Expect.Str("green", _py.RunPython("e.Tags[0]"));
        Expect.Str("green", _py.RunPython("e.Tags[-1]"));
        _py.RunPython("e.Tags.Add('big'); e.Tags[0] = 'red'");
        Assert.Equal(["red", "big"], e.Tags);
        Expect.Long(2, _py.RunPython("len(e.Tags)"));
        Assert.Equal(true, _py.RunPython("list(e.Tags) == ['red', 'big'] and 'big' in e.Tags"));
        Expect.Str("IndexError", _py.RunPython("""
            try:
                e.Tags[5]
            except Exception as x:
                r = type(x).__name__
            r
            """));
        _py.RunPython("del e.Tags[0]");
        Assert.Equal(["big"], e.Tags);

        var scores = new Dictionary<string, int> { ["ann"] = 3 };
        Set("copied", scores);
        Assert.Equal(true, _py.RunPython("type(copied) is dict")); // converted unless given by reference
        Set("scores", PyodideRuntime.ByReference(scores));
        Expect.Long(3, _py.RunPython("scores['ann']"));
        _py.RunPython("scores['bob'] = 5; del scores['ann']");
        Assert.Equal(new Dictionary<string, int> { ["bob"] = 5 }, scores);
        Assert.Equal(true, _py.RunPython("sorted(scores) == ['bob'] and len(scores) == 1"));
        Expect.Str("KeyError", _py.RunPython("""
            try:
                scores['zed']
            except Exception as x:
                r = type(x).__name__
            r
            """));
    }

    public class Grid
    {
        private readonly int[] _cells = new int[4];
        public int this[int i] { get => _cells[i]; set => _cells[i] = value; }
    }

    private sealed class Countdown(int from) : IEnumerable<int>
    {
        public IEnumerator<int> GetEnumerator()
        {
            for (int i = from; i > 0; i--) yield return i;
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    [Fact]
    public void IndexersEnumerablesAndDelegates()
    {
        var grid = new Grid();
        Set("grid", grid);
        _py.RunPython("grid[2] = 9");
        Assert.Equal(9, grid[2]);
        Expect.Long(9, _py.RunPython("grid[2]"));

        Set("countdown", new Countdown(3));
        Assert.Equal(true, _py.RunPython("list(countdown) == [3, 2, 1] and sum(countdown) == 6"));

        Func<long, long, long> add = (a, b) => a + b;
        Set("add", add);
        Expect.Long(7, _py.RunPython("add(3, 4)"));
        Set("shout", (Func<string, string>)(s => s.ToUpperInvariant()));
        Expect.Str("HI", _py.RunPython("shout('hi')"));
        Expect.Str("TypeError", _py.RunPython("""
            try:
                add(1)
            except Exception as x:
                r = type(x).__name__
            r
            """));
    }

    [PyodideVisible]
    public class Narrow
    {
        [PyodideVisible] public int Shown { get; set; } = 1;
        public int NotListed { get; set; } = 2;
        [PyodideVisible] public int Visible() => 3;
        public int Invisible() => 4;
    }

    public class WithHidden
    {
        public int Open { get; set; } = 1;
        [PyodideHidden] public int Secret { get; set; } = 2;
        [PyodideHidden] public void Wipe() { }
    }

    [Fact]
    public void AttributesNarrowWhatPythonSees()
    {
        Set("n", new Narrow());
        Set("h", new WithHidden());
        Assert.Equal(true, _py.RunPython("n.Shown == 1 and n.Visible() == 3 and h.Open == 1"));
        foreach (var code in new[] { "n.NotListed", "n.Invisible", "h.Secret", "h.Wipe" })
            Assert.Equal(false, _py.RunPython($"hasattr({code.Split('.')[0]}, '{code.Split('.')[1]}')"));
    }

    [Fact]
    public void HostModulesHoldObjects()
    {
        using var py = Runtimes.LoadQuiet();
        var world = new Entity { Name = "world" };
        py.RegisterModule("game", new Dictionary<string, PyodideHostFunction>
        {
            ["spawn"] = args => new Entity { Name = (string)args[0]! },
            ["name_of"] = args => ((Entity)args[0]!).Name,
        }, new Dictionary<string, object?> { ["world"] = world });
        Expect.Str("world", py.RunPython("import game; game.world.Name"));
        Expect.Str("elf", py.RunPython("game.name_of(game.spawn('elf'))"));
        Assert.Equal(true, py.RunPython("game.world is game.world"));
    }

    [Fact]
    public void TypedMethodCallsAllocateNothing()
    {
        var e = new Entity();
        Set("e", e);
        _py.RunPython("def loop(n):\n    f = e.Add\n    for i in range(n):\n        f(i, 1)\n");
        _py.RunPython("loop(1000)"); // warm: the accessor, the guest's caches
        long before = GC.GetAllocatedBytesForCurrentThread();
        _py.RunPython("loop(10000)");
        long perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / 10000;
        Assert.True(perCall == 0, $"{perCall} bytes allocated per call");
    }

    public record Point(int X, int Y)
    {
        public int Sum() => X + Y;
    }

    [Fact]
    public void RecordsAndStructsToo()
    {
        Set("p", new Point(2, 3));
        Expect.Long(5, _py.RunPython("p.Sum() if p.X == 2 else 0"));
        Assert.Equal(true, _py.RunPython("'<Clone>$' not in dir(p) and 'Sum' in dir(p) and not hasattr(p, 'Deconstruct')"));  // out parameters: hidden
        Set("when", new DateTime(2026, 12, 4, 10, 0, 0, DateTimeKind.Utc));
        Expect.Long(2026, _py.RunPython("when.Year"));
        Expect.Long(11, _py.RunPython("when.AddHours(1).Hour"));
    }

    [Fact]
    public void TasksAreAwaitable()
    {
        Set("e", new Entity());
        Expect.Long(42, _py.RunPythonAsyncBlocking("await e.DoubleLater(21)"));
        Expect.Str("failed later", _py.RunPythonAsyncBlocking("""
            try:
                await e.FailLater()
            except ValueError as x:
                r = str(x)
            r
            """));
        Assert.Equal(true, _py.RunPythonAsyncBlocking("import asyncio\nisinstance(e.DoubleLater(1), asyncio.Future)"));
    }
}
