namespace Pyodide.Tests;

/// <summary>Host modules (Pyodide's registerJsModule): RegisterModule, RegisterModuleMethods,
/// UnregisterModule and .NET functions called from Python. Fresh runtimes: registrations
/// are per runtime and several tests count finalizers or handles.</summary>
public sealed class HostModuleTests
{
    private static Dictionary<string, PyodideHostFunction> Functions(params (string Name, PyodideHostFunction Fn)[] fns) =>
        fns.ToDictionary(f => f.Name, f => f.Fn);

    private static object? Add(object?[] args) => (long)args[0]! + (long)args[1]!;

    [Fact]
    public void ImportAndCall()
    {
        using var py = Runtimes.LoadQuiet();
        py.RegisterModule("netmod", Functions(("add", Add), ("count", args => args.Length)));
        Expect.Long(5, py.RunPython("import netmod\nnetmod.add(2, 3)"));
        Expect.Long(42, py.RunPython("from netmod import add\nadd(40, 2)"));
        Expect.Long(0, py.RunPython("netmod.count()"));
        Expect.Long(20, py.RunPython("netmod.count(*range(20))"));
        Assert.Equal(true, py.RunPython("import sys, types\nisinstance(netmod, types.ModuleType) and sys.modules['netmod'] is netmod"));
        Expect.Long(7, py.RunPython("import importlib\nimportlib.import_module('netmod').add(3, 4)"));
    }

    [Fact]
    public void TypedFunctionsConvertWithoutBoxing()
    {
        using var py = Runtimes.LoadQuiet();
        py.RegisterModule("typed_long", new Dictionary<string, Func<long, long>> { ["twice"] = i => i * 2 });
        py.RegisterModule("typed_double", new Dictionary<string, Func<double, bool>> { ["positive"] = x => x > 0 });
        py.RegisterModule("typed_str", new Dictionary<string, Func<string, int>> { ["length"] = s => s.Length });
        Assert.Equal(42, py.RunPython<long>("import typed_long\ntyped_long.twice(21)"));
        Assert.Equal(-(1L << 62), py.RunPython<long>("typed_long.twice(-(1 << 61))"));
        Assert.True(py.RunPython<bool>("import typed_double\ntyped_double.positive(0.5) is True and typed_double.positive(-1) is False"));
        Assert.Equal(5, py.RunPython<long>("import typed_str\ntyped_str.length('héllo')"));
    }

    [Fact]
    public void TypedFunctionsRejectOtherArgumentsAsTypeError()
    {
        using var py = Runtimes.LoadQuiet();
        py.RegisterModule("typed_bad", new Dictionary<string, Func<long, long>> { ["twice"] = i => i * 2 });
        py.RunPython("import typed_bad");
        Assert.Equal("TypeError", Assert.Throws<PythonException>(() => py.RunPython("typed_bad.twice('x')")).PythonType);
        Assert.Equal("TypeError", Assert.Throws<PythonException>(() => py.RunPython("typed_bad.twice(1, 2)")).PythonType);
        Assert.Equal("TypeError", Assert.Throws<PythonException>(() => py.RunPython("typed_bad.twice()")).PythonType);
        Assert.Equal("TypeError", Assert.Throws<PythonException>(() => py.RunPython("typed_bad.twice(1 << 70)")).PythonType);
        Assert.Equal(8, py.RunPython<long>("typed_bad.twice(4)")); // still usable
    }

    [Fact]
    public void TypedFunctionCallsFromPythonAllocateNothingManaged()
    {
        using var py = Runtimes.LoadQuiet();
        py.RegisterModule("typed_alloc", new Dictionary<string, Func<long, long>> { ["inc"] = i => i + 1 });
        py.RunPython("import typed_alloc\ndef loop(n, f=typed_alloc.inc):\n    t = 0\n    for i in range(n): t += f(i)\n    return t");
        Assert.Equal(500500, py.RunPython<long>("loop(1000)")); // warm-up, and the sum of 1..1000
        long before = GC.GetAllocatedBytesForCurrentThread();
        long total = py.RunPython<long>("loop(10000)");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(50005000, total);
        // The object form allocates an argument array and boxes per call (>= 56 B);
        // a few bytes per call would mean something on the path allocates.
        Assert.True(allocated < 10000, $"{allocated} bytes for 10000 calls");
    }

    [Fact]
    public void ArgumentsArriveConverted()
    {
        using var py = Runtimes.LoadQuiet();
        object?[]? seen = null;
        var types = new List<string>();
        py.RegisterModule("netargs", Functions(("check", args =>
        {
            seen = args;
            // Proxy arguments are usable during the call (a re-entrant call) and are the callee's to dispose.
            foreach (var a in args.OfType<PyProxy>()) types.Add(a.TypeName);
            return args.Length;
        })));
        Expect.Long(12, py.RunPython("""
            import netargs
            netargs.check(None, True, -7, 2**62, 1.5, 'h\u00e9llo \u2713', 'a\x00b', b'\x00\xff', [1, 2], {'k': 1}, 2**70, object())
            """));
        Assert.NotNull(seen);
        Assert.Null(seen![0]);
        Assert.Equal(true, seen[1]);
        Expect.Long(-7, seen[2]);
        Expect.Long(1L << 62, seen[3]);
        Expect.Double(1.5, seen[4]);
        Expect.Str("h\u00e9llo \u2713", seen[5]);
        Expect.Str("a\0b", seen[6]);
        Assert.Equal(new byte[] { 0, 0xff }, Assert.IsType<byte[]>(seen[7]));
        Assert.Equal(["list", "dict", "int", "object"], types);
        // A proxy argument outlives the call until disposed.
        using (var list = Expect.Proxy(seen[8]))
        {
            Assert.Equal(2, list.Length);
            Expect.Long(2, list[1]);
        }
        foreach (var p in seen.OfType<PyProxy>()) p.Dispose();
    }

    [Fact]
    public void ResultsConvertBack()
    {
        using var py = Runtimes.LoadQuiet();
        using var kept = Expect.Proxy(py.RunPython("class Thing:\n    pass\nthing = Thing()\nthing"));
        object?[] results =
        [
            null, true, 5, -9L, 7u, (short)-3, (byte)200, 0.25f, -0.5, "h\u00e9llo \u2713", new byte[] { 0, 97, 0, 255 },
            new List<object?> { 1, "two", new List<object?> { 3.0 } },
            new Dictionary<object, object?> { ["a"] = 1, [2L] = "b" },
            kept, ulong.MaxValue / 2, new object[] { 1, "x" },
        ];
        py.RegisterModule("netres", Functions(("make", args => results[(long)args[0]!]), ("identity", args => args[0])));
        py.RunPython("from netres import make, identity");
        Assert.Equal(true, py.RunPython("""
            (make(0) is None and make(1) is True and make(2) == 5 and make(3) == -9 and make(4) == 7
             and make(5) == -3 and make(6) == 200 and make(7) == 0.25 and type(make(7)) is float and make(8) == -0.5
             and make(9) == 'h\u00e9llo \u2713' and make(10) == b'\x00a\x00\xff' and type(make(10)) is bytes
             and make(11) == [1, 'two', [3.0]] and make(12) == {'a': 1, 2: 'b'} and make(13) is thing
             and make(14) == (2**64 - 1) // 2 and make(15) == [1, 'x'])
            """));
        // Both ways: values Python passes come back equal (proxies: the same object).
        Assert.Equal(true, py.RunPython("""
            o = object()
            all(identity(v) == v and type(identity(v)) is type(v) for v in
                [None, True, False, 0, -1, 2**63 - 1, -2**63, 0.5, '', 'abc', '\u2603\U0001f600', b'', b'\x00\x01'])
            """));
        Assert.Equal(true, py.RunPython("l = [1]\nbig = 2**80\nidentity(o) is o and identity(l) is l and identity(big) is big"));
        Assert.False(kept.IsDisposed); // a proxy result is borrowed, not taken
    }

    [Fact]
    public void UnconvertibleResultRaisesTypeError()
    {
        using var py = Runtimes.LoadQuiet();
        py.RegisterModule("netbad", Functions(
            ("obj", _ => typeof(string)),
            ("date", _ => typeof(object).Assembly),
            ("huge", _ => ulong.MaxValue),
            ("nested", _ => new List<object?> { 1, typeof(string) })));
        foreach (var name in new[] { "obj", "date", "huge", "nested" })
        {
            Expect.Str("TypeError", py.RunPython($"""
                import netbad
                try:
                    netbad.{name}()
                    r = 'no exception'
                except Exception as e:
                    r = type(e).__name__
                r
                """));
        }
        Expect.Long(45, py.RunPython("sum(range(10))"));
    }

    [Fact]
    public void Constants()
    {
        using var py = Runtimes.LoadQuiet();
        using var thing = Expect.Proxy(py.RunPython("class Thing:\n    pass\nthing = Thing()\nthing"));
        var items = new List<object?> { 1, 2, 3 };
        py.RegisterModule("netconst", Functions(("add", Add)), new Dictionary<string, object?>
        {
            ["ANSWER"] = 42, ["NAME"] = "hello", ["RATIO"] = 2.5, ["FLAG"] = true, ["NOTHING"] = null,
            ["RAW"] = new byte[] { 0, 1 }, ["ITEMS"] = items, ["TABLE"] = new Dictionary<string, object?> { ["k"] = 0.5 },
            ["THING"] = thing,
        });
        items[0] = 100; // converted at registration
        Assert.Equal(true, py.RunPython("""
            import netconst as c
            ((c.ANSWER, c.NAME, c.RATIO, c.FLAG, c.NOTHING, c.RAW, c.ITEMS, c.TABLE) ==
                (42, 'hello', 2.5, True, None, b'\x00\x01', [1, 2, 3], {'k': 0.5})) and c.THING is thing
            """));
        Expect.Long(43, py.RunPython("from netconst import ANSWER, add\nadd(ANSWER, 1)"));
    }

    [Fact]
    public void ErrorsRaisePythonExceptions()
    {
        using var py = Runtimes.LoadQuiet();
        py.RegisterModule("neterr", Functions(
            ("raise_", args => throw new PythonException((string)args[0]!, (string)args[1]!)),
            ("invalid", _ => throw new InvalidOperationException("state is wrong")),
            ("argument", _ => throw new ArgumentException("argument is wrong"))));
        py.RunPython("""
            import neterr, pyodide
            def catch(f, *args):
                try:
                    f(*args)
                except BaseException as e:
                    return e
                raise AssertionError('nothing raised')
            """);
        Assert.Equal(true, py.RunPython("e = catch(neterr.raise_, 'ValueError', 'bad value')\ntype(e) is ValueError and str(e) == 'bad value'"));
        Assert.Equal(true, py.RunPython("e = catch(neterr.raise_, 'KeyError', 'k')\ntype(e) is KeyError and e.args == ('k',)"));
        Assert.Equal(true, py.RunPython("""
            e = catch(neterr.raise_, 'NetworkDown', 'no route')
            isinstance(e, pyodide.HostError) and type(e).__name__ == 'NetworkDown' and str(e) == 'no route'
            """));
        Assert.Equal(true, py.RunPython("e = catch(neterr.invalid)\ntype(e) is RuntimeError and 'state is wrong' in str(e)"));
        Assert.Equal(true, py.RunPython("e = catch(neterr.argument)\ntype(e) is TypeError and 'argument is wrong' in str(e)"));
        // Uncaught, it reaches .NET as that Python exception.
        var error = Assert.Throws<PythonException>(() => py.RunPython("neterr.raise_('ValueError', 'unique-msg-123')"));
        Assert.Equal("ValueError", error.PythonType);
        Assert.Contains("unique-msg-123", error.Traceback);
        error = Assert.Throws<PythonException>(() => py.RunPython("neterr.raise_('NetworkDown', 'unique-msg-456')"));
        Assert.Equal("NetworkDown", error.PythonType);
        Expect.Long(2, py.RunPython("1 + 1"));
    }

    [Fact]
    public void ReentrantCalls()
    {
        using var py = Runtimes.LoadQuiet();
        int deepest = 0;
        py.RegisterModule("netre", Functions(
            ("apply", args =>
            {
                using var f = Expect.Proxy(args[0]);
                return f.Call(args[1]);
            }),
            ("depth", args =>
            {
                long n = (long)args[0]!;
                deepest = Math.Max(deepest, (int)n);
                return n == 0 ? 0L : (long)py.RunPython($"netre.depth({n} - 1) + 1")!;
            })));
        py.RunPython("import netre");
        Expect.Long(21, py.RunPython("netre.apply(lambda x: x * 3, 7)"));
        Expect.Long(41, py.RunPython("netre.apply(lambda x: netre.apply(lambda y: y + 1, x * 10), 4)"));
        Expect.Long(2, py.RunPython("netre.depth(2)"));
        Expect.Long(12, py.RunPython("netre.depth(12)"));
        Assert.Equal(12, deepest);
        // An exception in the nested Python code passes back out through the host function.
        Assert.Equal(true, py.RunPython("""
            def boom(x):
                raise KeyError(x)
            try:
                netre.apply(boom, 1)
                r = False
            except KeyError:
                r = True
            r
            """));
        Expect.Long(3, py.RunPython("netre.depth(3)"));
    }

    [Fact]
    public void Unregister()
    {
        using var py = Runtimes.LoadQuiet();
        int finA = 0, finB = 0, finC = 0;
        py.RegisterModule("unreg_a", Functions(("add", Add)), finalizer: () => finA++);
        py.RegisterModule("unreg_b", Functions(("add", Add)), finalizer: () => finB++);
        Expect.Long(3, py.RunPython("import unreg_a\nf = unreg_a.add\nf(1, 2)"));
        py.UnregisterModule("unreg_a");
        py.UnregisterModule("unreg_b");
        Assert.Equal(1, finA);
        Assert.Equal(1, finB);
        Assert.Equal("ModuleNotFoundError", Assert.Throws<PythonException>(() => py.RunPython("import unreg_b")).PythonType);
        Assert.Equal(true, py.RunPython("import sys\nsys.modules['unreg_a'] is unreg_a"));
        Assert.Equal("RuntimeError", Assert.Throws<PythonException>(() => py.RunPython("unreg_a.add(1, 2)")).PythonType);
        Assert.Equal("RuntimeError", Assert.Throws<PythonException>(() => py.RunPython("f(1, 2)")).PythonType);
        Assert.Equal("ModuleNotFoundError",
            Assert.Throws<PythonException>(() => py.RunPython("del sys.modules['unreg_a']\nimport unreg_a")).PythonType);
        Assert.Throws<ArgumentException>(() => py.UnregisterModule("unreg_a"));
        Assert.Throws<ArgumentException>(() => py.UnregisterModule("never_registered"));
        Assert.Throws<ArgumentNullException>(() => py.UnregisterModule(null!));
        // The name can be registered anew; the old function stays dead.
        py.RegisterModule("unreg_a", Functions(("add", Add)), finalizer: () => finC++);
        Expect.Long(10, py.RunPython("import unreg_a\nunreg_a.add(5, 5)"));
        Assert.Equal("RuntimeError", Assert.Throws<PythonException>(() => py.RunPython("f(1, 2)")).PythonType);
        py.Dispose();
        Assert.Equal((1, 1, 1), (finA, finB, finC));
    }

    [Fact]
    public void UnregisterDuringOwnCall()
    {
        using var py = Runtimes.LoadQuiet();
        int fin = 0, finSeenDuringCall = -1;
        py.RegisterModule("selfmod", Functions(("go", _ =>
        {
            py.UnregisterModule("selfmod");
            finSeenDuringCall = fin;
            return 7;
        })), finalizer: () => fin++);
        Expect.Long(7, py.RunPython("import selfmod\nselfmod.go()"));
        Assert.Equal(0, finSeenDuringCall);
        Assert.Equal(1, fin);
        Assert.Equal("RuntimeError", Assert.Throws<PythonException>(() => py.RunPython("selfmod.go()")).PythonType);
        py.Dispose();
        Assert.Equal(1, fin);
    }

    [Fact]
    public void FinalizersRunOnceOnDispose()
    {
        var fins = new int[3];
        var py = Runtimes.LoadQuiet();
        py.RegisterModule("fin_a", Functions(("add", Add)), finalizer: () => fins[0]++);
        py.RegisterModule("fin_b", Functions(("add", Add)), finalizer: () => fins[1]++);
        py.RegisterModule("fin_c", Functions(("add", Add)), finalizer: () => fins[2]++);
        py.RunPython("import fin_a, fin_b\nfin_a.add(1, 1)");
        Assert.Equal([0, 0, 0], fins);
        py.UnregisterModule("fin_a");
        Assert.Equal([1, 0, 0], fins);
        py.Dispose();
        Assert.Equal([1, 1, 1], fins);
        py.Dispose();
        Assert.Equal([1, 1, 1], fins);
    }

    [Fact]
    public void RegistrationErrors()
    {
        using var py = Runtimes.LoadQuiet();
        int fin = 0, firstFin = 0;
        py.RegisterModule("dup", Functions(("add", Add)), finalizer: () => firstFin++);
        Assert.Throws<ArgumentException>(() => py.RegisterModule("dup", Functions(("add", Add)), finalizer: () => fin++));
        foreach (var name in new[] { "1abc", "", "a..b", ".a", "a.", "a b", "a-b", "a.1b" })
            Assert.Throws<ArgumentException>(() => py.RegisterModule(name, Functions(("add", Add)), finalizer: () => fin++));
        Assert.ThrowsAny<ArgumentException>(() => py.RegisterModule(null!, Functions(("add", Add)), finalizer: () => fin++));
        Assert.Throws<ArgumentNullException>(() => py.RegisterModule("nofunctions", null!, finalizer: () => fin++));
        Assert.ThrowsAny<ArgumentException>(() => py.RegisterModule("emptyfn", Functions(("", Add)), finalizer: () => fin++));
        Assert.ThrowsAny<ArgumentException>(() => py.RegisterModule("badconst", Functions(("add", Add)),
            new Dictionary<string, object?> { ["C"] = typeof(string) }, finalizer: () => fin++));
        Assert.ThrowsAny<ArgumentException>(() => py.RegisterModule("emptyconst", Functions(("add", Add)),
            new Dictionary<string, object?> { [""] = 1L }, finalizer: () => fin++));
        Assert.Equal(0, fin);
        foreach (var name in new[] { "nofunctions", "emptyfn", "badconst", "emptyconst" })
            Assert.Equal("ModuleNotFoundError", Assert.Throws<PythonException>(() => py.RunPython($"import {name}")).PythonType);
        py.RegisterModule("badconst", Functions(("add", Add)), finalizer: () => fin++);
        Expect.Long(4, py.RunPython("import dup, badconst\ndup.add(2, 2)"));
        py.RegisterModule("emptymod", new Dictionary<string, PyodideHostFunction>());
        Assert.Equal(true, py.RunPython("import emptymod\nemptymod.__name__ == 'emptymod'"));
        py.Dispose();
        Assert.Equal(1, firstFin);
        Assert.Equal(1, fin);
    }

    [Fact]
    public void DottedNames()
    {
        using var py = Runtimes.LoadQuiet();
        py.RegisterModule("netpkg", Functions(("add", Add)));
        py.RegisterModule("netpkg.sub", Functions(("add", Add)));
        Expect.Long(3, py.RunPython("import netpkg.sub\nnetpkg.sub.add(1, 2)"));
    }

    [Fact]
    public void StdlibTakesPrecedence()
    {
        using var py = Runtimes.LoadQuiet();
        py.RegisterModule("json", Functions(("dumps", _ => "host"), ("add", Add)));
        Expect.Str("[1, 2]", py.RunPython("import json\njson.dumps([1, 2])"));
        Assert.Equal(false, py.RunPython("hasattr(json, 'add')"));
    }

    public sealed class Calculator
    {
        public int Calls;

        public long Add(int a, int b) { Calls++; return a + b; }
        public string Greet(string name) => $"hello {name}";
        public double Half(double x) => x / 2;
        public bool Not(bool b) => !b;
        public void Nothing() { }
        public string Describe(object? o, PyProxy p) => $"{o?.GetType().Name ?? "null"}/{p.TypeName}";
        public int Fail(string type) => throw new PythonException(type, "from a method");
    }

    [Fact]
    public void RegisterModuleMethods()
    {
        using var py = Runtimes.LoadQuiet();
        var calc = new Calculator();
        py.RegisterModuleMethods("calc", calc);
        py.RunPython("import calc");
        Expect.Long(5, py.RunPython("calc.Add(2, 3)"));
        Assert.Equal(1, calc.Calls);
        Expect.Str("hello you", py.RunPython("calc.Greet('you')"));
        Expect.Double(1.5, py.RunPython("calc.Half(3.0)"));
        Expect.Double(1.5, py.RunPython("calc.Half(3)")); // int → double
        Assert.Equal(false, py.RunPython("calc.Not(True)"));
        Assert.Null(py.RunPython("calc.Nothing()"));
        Expect.Str("Int64/list", py.RunPython("calc.Describe(5, [1])"));
        Assert.Equal("KeyError", Assert.Throws<PythonException>(() => py.RunPython("calc.Fail('KeyError')")).PythonType);
        // Wrong types and counts: TypeError.
        foreach (var call in new[] { "calc.Add('abc', 1)", "calc.Add([1], 2)", "calc.Add(2**40, 1)", "calc.Not('yes')",
                     "calc.Half('x')", "calc.Add(1)", "calc.Add(1, 2, 3)", "calc.Describe(1, 2)" })
        {
            Expect.Str("TypeError", py.RunPython($"""
                try:
                    {call}
                    r = 'no exception'
                except Exception as e:
                    r = type(e).__name__
                r
                """));
        }
        Assert.Equal(1, calc.Calls);
        Assert.Equal(false, py.RunPython("hasattr(calc, 'get_Calls') or hasattr(calc, 'GetType')"));
    }

    [Fact]
    public void ManyCallsLeakNoHandles()
    {
        using var py = Runtimes.LoadQuiet();
        using var kept = Expect.Proxy(py.RunPython("[7]"));
        py.RegisterModule("netleak", Functions(
            ("inc", args => (long)args[0]! + 1),
            ("length", args =>
            {
                using var p = Expect.Proxy(args[1]);
                return ((string)args[0]!).Length + p.Length;
            }),
            ("kept", _ => kept),
            ("fail", _ => throw new PythonException("ValueError", "x"))));
        py.RunPython("""
            from netleak import inc, length, kept, fail
            def loop(n):
                t = 0
                o = [1]
                for i in range(n):
                    t += inc(i) + length('abc', o) + kept()[0]
                    if i % 5 == 0:
                        try:
                            fail()
                        except ValueError:
                            pass
                return t
            loop(1000)
            """);
        uint baseline = py.LiveHandles;
        Expect.Long(100_000L * 100_001 / 2 + 11 * 100_000L, py.RunPython("loop(100000)"));
        Assert.Equal(baseline, py.LiveHandles);
        Assert.False(kept.IsDisposed);
    }
}
