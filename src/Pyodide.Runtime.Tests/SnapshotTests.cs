namespace Pyodide.Tests;

/// <summary>Runtimes restored from a snapshot of an initialised interpreter
/// (Guest/GuestSnapshot.cs): each gets its own hash secret and random state, and
/// behaves as one started in full.</summary>
public sealed class SnapshotTests
{
    /// <summary>Makes sure the process has a snapshot: the first runtime that can use
    /// one records it while it starts.</summary>
    private static void EnsureSnapshot()
    {
        using (Runtimes.LoadQuiet()) { }
    }

    /// <summary>A runtime restored from the snapshot.</summary>
    private static PyodideRuntime LoadRestored()
    {
        EnsureSnapshot();
        var py = Runtimes.LoadQuiet();
        Assert.True(py.StartedFromSnapshot, "a second runtime without mounts starts from the snapshot");
        return py;
    }

    [Theory]
    [InlineData("hash('abc')")]                                  // str hashes
    [InlineData("hash(b'abc')")]                                 // bytes hashes
    [InlineData("import random; random.getrandbits(62)")]        // random state
    [InlineData("import os; int.from_bytes(os.urandom(7), 'little')")]
    public void RestoredRuntimesDiffer(string expression)
    {
        // Each of these is equal in two runtimes by chance with a probability of
        // at most 2^-32.
        using var a = LoadRestored();
        using var b = LoadRestored();
        Assert.NotEqual(a.RunPython<long>(expression), b.RunPython<long>(expression));
    }

    [Fact]
    public void HashesAgreeWithinARestoredRuntime()
    {
        using var py = LoadRestored();
        Assert.True(py.RunPython<bool>("""
            s = "".join(["sn", "apshot"])
            hash(s) == hash("snapshot") and hash(frozenset({s})) == hash(frozenset({"snapshot"}))
            """));
    }

    [Fact]
    public void TablesBuiltBeforeTheSnapshotFindKeysMadeAfterIt()
    {
        using var py = LoadRestored();
        // Keys built at run time (not the interned objects of the snapshot) must find
        // entries of dicts, sets and frozensets laid out before it.
        Assert.True(py.RunPython<bool>("""
            import sys, os, builtins
            checks = [
                sys.modules["o" + "s"] is os,
                getattr(builtins, "le" + "n") is len,
                os.environ["HO" + "ME"] == "/home/pyodide",
                "".join(["__na", "me__"]) in globals(),
                type(sys.flags).__name__ in {"flags"},
                hash("".join(["a", "bc"])) == hash("abc"),
                b"".join([b"a", b"bc"]) in {b"abc": 1},
                frozenset({"".join(["x", "y"])}) in {frozenset({"xy"}): 1},
                sys.intern("".join(["p", "ath"])) is sys.intern("path"),
            ]
            all(checks)
            """));
    }

    [Fact]
    public void ARestoredRuntimeRunsTheStandardLibrary()
    {
        using var py = LoadRestored();
        Assert.Equal("""{"a": [1, 2]}|cbt|Color.RED|ok|3""", py.RunPython<string>("""
            import asyncio, dataclasses, enum, json, re
            class Color(enum.Enum):
                RED = 1
            @dataclasses.dataclass
            class P:
                x: int
                y: int
            "|".join([json.dumps({"a": [1, 2]}), re.sub("a+", "b", "caaat"), str(Color(1)),
                      asyncio.run(asyncio.sleep(0, "ok")), str(P(1, 2).x + P(1, 2).y)])
            """));
    }

    [Fact]
    public void RestoredRuntimesShareNothing()
    {
        using var a = LoadRestored();
        using var b = LoadRestored();
        a.RunPython("import sys, json\nshared = 1\nsys.path.append('/nowhere')");
        Assert.False(b.RunPython<bool>("'shared' in globals()"));
        Assert.False(b.RunPython<bool>("import sys\n'json' in sys.modules or '/nowhere' in sys.path"));
        // Each has its own home, prepared as a full start prepares it.
        Assert.True(b.RunPython<bool>("import os\nos.getcwd() == '/home/pyodide' and os.path.isdir('/home/pyodide/site-packages')"));
        a.RunPython("open('/home/pyodide/mine.txt', 'w').write('a')");
        Assert.False(b.RunPython<bool>("import os\nos.path.exists('/home/pyodide/mine.txt')"));
    }

    [Fact]
    public void RuntimesWithMountsStartFromTheSnapshotToo()
    {
        var dir = Directory.CreateTempSubdirectory("pyodide-snapshot-mount-");
        try
        {
            EnsureSnapshot();
            using var py = Runtimes.Load(new PyodideOptions
            {
                Stdout = _ => { },
                Mounts = [new PyodideMount(dir.FullName, "/data", ReadOnly: false)],
            });
            // The snapshot's interpreter had no mounts: the restore registers them.
            Assert.True(py.StartedFromSnapshot);
            py.RunPython("open('/data/f.txt', 'w').write('x')");
            Assert.Equal("x", File.ReadAllText(Path.Combine(dir.FullName, "f.txt")));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void AMemoryLimitTheSnapshotFitsIn()
    {
        EnsureSnapshot();
        using var py = Runtimes.Load(new PyodideOptions { Stdout = _ => { }, MemoryLimit = 64UL << 20 });
        Assert.True(py.StartedFromSnapshot);
        var error = Assert.Throws<PythonException>(() => py.RunPython("b'x' * (100 << 20)"));
        Assert.Equal("MemoryError", error.PythonType);
        Assert.Equal(2, py.RunPython<long>("1 + 1"));
    }
}
