using System.Reflection;
using System.Text.RegularExpressions;

namespace Pyodide.Tests;

/// <summary>docs/pyodide-api-map.md cannot rot: every .NET member its .NET column names
/// exists in Pyodide.Runtime, every xunit test its Tests column names exists, and every
/// public member of the main types has a row. (native-tests/apimap/check_api_map.py does
/// the same for the C column.) Also the idioms the map gives for Pyodide items that have
/// no member of their own, and the members of Pyodide 0.17's JavaScript API no other test covers.</summary>
public sealed partial class ApiMapTests : IClassFixture<RuntimeFixture>
{
    private readonly PyodideRuntime _py;

    public ApiMapTests(RuntimeFixture fixture) => _py = fixture.Runtime;

    // ---- the map ------------------------------------------------------------------

    private static readonly Assembly Library = typeof(PyodideRuntime).Assembly;

    /// <summary><c>Type</c>, <c>Type.Member</c>, <c>Type.Member&lt;T&gt;(args)</c> or <c>Type[key]</c>.</summary>
    [GeneratedRegex(@"^(?<type>[A-Z]\w*)(?:\.(?<member>\w+)(?:<[^>]*>)?|(?<indexer>\[[^\]]*\]))?(?:\(.*\))?$")]
    private static partial Regex DotNetName();

    [GeneratedRegex(@"^(?<class>\w+Tests)\.(?<method>\w+)$")]
    private static partial Regex TestName();

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Ticks();

    private sealed record Row(int Line, string Item, string DotNet, string Tests);

    private static string MapPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "docs", "pyodide-api-map.md");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"docs/pyodide-api-map.md not found above {AppContext.BaseDirectory}");
    }

    /// <summary>The body rows of the map's tables (columns Pyodide, C, .NET, Differences, Tests).</summary>
    private static List<Row> Rows()
    {
        var rows = new List<Row>();
        string[]? header = null;
        string[] lines = File.ReadAllLines(MapPath());
        for (int i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith('|'))
            {
                header = null;
                continue;
            }
            string[] cells = lines[i].Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            if (header == null)
            {
                header = cells;
                continue;
            }
            if (cells.All(c => Regex.IsMatch(c, "^:?-+:?$"))) continue;
            int dotNet = Array.IndexOf(header, ".NET"), tests = Array.IndexOf(header, "Tests");
            if (dotNet < 0 || tests < 0 || cells.Length != header.Length)
                throw new InvalidDataException($"pyodide-api-map.md line {i + 1}: a table row without .NET and Tests columns");
            rows.Add(new Row(i + 1, cells[0], cells[dotNet], cells[tests]));
        }
        return rows;
    }

    public static TheoryData<int, string> MapRows()
    {
        var data = new TheoryData<int, string>();
        foreach (var row in Rows()) data.Add(row.Line, row.Item);
        return data;
    }

    private static IEnumerable<string> TickedNames(string cell) => Ticks().Matches(cell).Select(m => m.Groups[1].Value);

    [Theory]
    [MemberData(nameof(MapRows))]
    public void MapRowNamesExist(int line, string item)
    {
        var row = Rows().Single(r => r.Line == line);
        Assert.Equal(item, row.Item);
        var problems = new List<string>();
        int checkedNames = 0;
        foreach (string name in TickedNames(row.DotNet))
        {
            var m = DotNetName().Match(name);
            if (!m.Success) continue; // prose in code font: `value is PyProxy`
            checkedNames++;
            var type = Library.GetType("Pyodide." + m.Groups["type"].Value);
            if (type == null || !type.IsPublic)
            {
                problems.Add($"{name}: Pyodide.{m.Groups["type"].Value} is not a public type of {Library.GetName().Name}");
                continue;
            }
            if (m.Groups["member"].Success &&
                type.GetMember(m.Groups["member"].Value, BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static).Length == 0)
                problems.Add($"{name}: {type.Name} has no public member {m.Groups["member"].Value}");
            if (m.Groups["indexer"].Success && !type.GetProperties().Any(p => p.GetIndexParameters().Length > 0))
                problems.Add($"{name}: {type.Name} has no indexer");
        }
        if (checkedNames == 0 && !row.DotNet.StartsWith('—'))
            problems.Add("the .NET cell names no member and does not start with '—' (not provided)");
        foreach (string name in TickedNames(row.Tests))
        {
            var m = TestName().Match(name);
            if (!m.Success) continue; // a native test or an example: check_api_map.py
            var testClass = typeof(ApiMapTests).Assembly.GetType("Pyodide.Tests." + m.Groups["class"].Value);
            var method = testClass?.GetMethod(m.Groups["method"].Value);
            if (method == null || !method.GetCustomAttributes<FactAttribute>().Any())
                problems.Add($"{name}: no such xunit test");
        }
        Assert.True(problems.Count == 0, $"pyodide-api-map.md line {line} ({item}):\n  " + string.Join("\n  ", problems));
    }

    /// <summary>A new public member of the main types needs a row.</summary>
    [Theory]
    [InlineData(typeof(PyodideRuntime))]
    [InlineData(typeof(PyProxy))]
    [InlineData(typeof(PyBuffer))]
    [InlineData(typeof(PyodideOptions))]
    public void EveryPublicMemberHasARow(Type type)
    {
        var named = Rows().SelectMany(r => TickedNames(r.DotNet)).Select(n => DotNetName().Match(n))
            .Where(m => m.Success && m.Groups["type"].Value == type.Name)
            .Select(m => m.Groups["indexer"].Success ? "Item" : m.Groups["member"].Value)
            .ToHashSet();
        var members = type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => m is not MethodBase { IsSpecialName: true } and not ConstructorInfo)
            .Where(m => m.Name is not ("Equals" or "GetHashCode" or "ToString" or "GetType"))
            .Select(m => m.Name)
            .Distinct()
            .Where(name => !named.Contains(name))
            .Order()
            .ToList();
        Assert.True(members.Count == 0, $"members of {type.Name} missing from docs/pyodide-api-map.md: {string.Join(", ", members)}");
    }

    // ---- the map's idioms and Pyodide 0.17's members ---------------------------------------

    [Fact]
    public void PyodidePyHasEvalCodeAndFindImports()
    {
        using var pkg = _py.PyodidePy();
        Assert.Equal("module", pkg.TypeName);
        using (var evalCode = (PyProxy)pkg.GetAttr("eval_code")!)
            Assert.Equal(21L, evalCode.Call("x = 20\nx + 1"));
        using (var findImports = (PyProxy)pkg.GetAttr("find_imports")!)
        using (var names = (PyProxy)findImports.Call("import json\nfrom os import path\n")!)
            Assert.Equal(new List<object?> { "json", "os" }, names.ToManaged());
        Assert.True(pkg.HasAttr("eval_code_async") && pkg.HasAttr("HostError"));
    }

    [Fact]
    public void VersionIsTheLibrarys()
    {
        Assert.Equal(PyodideRuntime.Version, Library.GetName().Version!.ToString(3));
        Assert.StartsWith("3.11.", (string)_py.RunPython("import sys\nsys.version")!);
    }

    [Fact]
    public void IsPyProxyIsATypeTest()
    {
        object? list = _py.RunPython("[1, 2]");
        Assert.True(list is PyProxy);
        ((PyProxy)list!).Dispose();
        Assert.False(_py.RunPython("1") is PyProxy);
        Assert.False(_py.RunPython("'text'") is PyProxy);
    }

    [Fact]
    public void PyImportReadsMainGlobals()
    {
        _py.RunPython("api_map_answer = 42");
#pragma warning disable CS0618 // the deprecated member of Pyodide 0.17's API under test
        Assert.Equal(42L, _py.PyImport("api_map_answer"));
        var e = Assert.Throws<PythonException>(() => _py.PyImport("api_map_no_such_global"));
#pragma warning restore CS0618
        Assert.Equal("KeyError", e.PythonType);
        Assert.Equal(42L, _py.Globals["api_map_answer"]);
    }

    [Fact]
    public void ToStringThroughDunderStr()
    {
        using var point = (PyProxy)_py.RunPython("class Point:\n    def __str__(self): return 'Point(1, 2)'\nPoint()")!;
        using var str = (PyProxy)point.GetAttr("__str__")!;
        Assert.Equal("Point(1, 2)", str.Call());
    }

    [Fact]
    public void SupportsAndIsThroughHasAttr()
    {
        using var dict = (PyProxy)_py.RunPython("{'a': 1}")!;
        using var tuple = (PyProxy)_py.RunPython("(1, 2)")!;
        using var func = (PyProxy)_py.RunPython("def f(): pass\nf")!;
        using var gen = (PyProxy)_py.RunPython("(i for i in range(3))")!;
        using var coro = (PyProxy)_py.RunPython("async def c(): pass\napi_map_co = c()\napi_map_co")!;
        Assert.True(dict.HasAttr("__len__") && dict.HasAttr("__getitem__") && dict.HasAttr("__setitem__") && dict.HasAttr("__contains__"));
        Assert.True(tuple.HasAttr("__getitem__") && !tuple.HasAttr("__setitem__"));
        Assert.True(func.HasAttr("__call__") && !func.HasAttr("__len__") && !dict.HasAttr("__call__"));
        Assert.True(dict.HasAttr("__iter__") && !dict.HasAttr("__next__"));
        Assert.True(gen.HasAttr("__next__") && !gen.HasAttr("__await__"));
        Assert.True(coro.HasAttr("__await__"));
        _py.RunPython("api_map_co.close()");
        Assert.Equal("TypeError", Assert.Throws<PythonException>(() => func.Length).PythonType);
        using (var bytes = (PyProxy)_py.RunPython("bytearray(b'xyz')")!)
        using (var buffer = bytes.GetBuffer())
            Assert.Equal(3, buffer.ByteCount);
        Assert.Equal("TypeError", Assert.Throws<PythonException>(() => dict.GetBuffer()).PythonType);
    }

    /// <summary>A map row no other test covers: <see cref="PyodideOptions.Unguarded"/>.</summary>
    [Fact]
    public void UnguardedRuntimeRunsAndMeetsDeadlinesInPythonCode()
    {
        using var py = Runtimes.Load(new PyodideOptions { Unguarded = true, Stdout = _ => { }, Stderr = _ => { } });
        Assert.Equal(4950L, py.RunPython("sum(range(100))"));
        var e = Assert.Throws<PyodideException>(() => py.RunPython("while True: pass", timeout: TimeSpan.FromSeconds(0.2)));
        Assert.Equal(PyodideErrorKind.Limit, e.Kind);
        Assert.Equal(42L, py.RunPython("6 * 7"));
    }
}
