namespace Pyodide.Tests;

/// <summary>Runtime homes (RuntimeHomes.cs): an empty one goes to the next runtime, any
/// other is removed, and nothing a runtime's package load writes reaches another runtime.
/// Alone (no other test's runtime takes a home given back here).</summary>
[Collection(SerialCollection.Name)]
public sealed class RuntimeHomeTests : PackageTestBase
{
    private const string HomeIsEmpty = """
        import os
        (os.listdir('/home/pyodide') == ['site-packages'] and os.listdir('/home/pyodide/site-packages') == []
         and sorted(os.listdir('/')) == ['home', 'lib', 'tmp'] and os.listdir('/home') == ['pyodide']
         and os.listdir('/tmp') == [])
        """;

    [Fact]
    public void AnEmptyHomeGoesToTheNextRuntime()
    {
        string home;
        using (var first = Runtimes.LoadQuiet())
        {
            home = first.HomeDirectory;
            Assert.True(first.RunPython<bool>(HomeIsEmpty));
        }
        Assert.True(Directory.Exists(home));
        using var next = Runtimes.LoadQuiet();
        Assert.Equal(home, next.HomeDirectory);
        Assert.True(next.RunPython<bool>(HomeIsEmpty));
    }

    [Fact]
    public void AHomeGivenBackTwiceGoesToOneRuntime()
    {
        // A runtime that fails while starting is disposed and its load gives its home back too.
        string home = RuntimeHomes.Take();
        RuntimeHomes.GiveBack(home);
        RuntimeHomes.GiveBack(home);
        string a = RuntimeHomes.Take(), b = RuntimeHomes.Take();
        Assert.NotEqual(a, b);
        Assert.Contains(home, new[] { a, b });
        RuntimeHomes.GiveBack(a);
        RuntimeHomes.GiveBack(b);
    }

    [Theory]
    [InlineData("open('/home/pyodide/notes.txt', 'w').close()")]
    [InlineData("open('/home/pyodide/site-packages/mod.py', 'w').close()")]
    [InlineData("import os\nos.makedirs('/home/pyodide/site-packages/pkg/sub')")]
    [InlineData("import os\nos.rmdir('/home/pyodide/site-packages')\nopen('/home/pyodide/site-packages', 'w').close()")]
    [InlineData("import os\nos.symlink('site-packages', '/home/pyodide/link')")]
    [InlineData("open('/tmp/scratch.txt', 'w').close()")]
    [InlineData("import os\nos.makedirs('/tmp/a/b')")]
    [InlineData("open('/top.txt', 'w').close()")]
    [InlineData("import os\nos.rmdir('/tmp')")]
    [InlineData("import os\nos.rename('/tmp', '/temp')")]
    public void AHomeWithAnythingLeftInItIsRemoved(string leave)
    {
        string home;
        using (var first = Runtimes.LoadQuiet())
        {
            home = first.HomeDirectory;
            first.RunPython(leave);
        }
        Assert.False(Directory.Exists(home));
        using var next = Runtimes.LoadQuiet();
        Assert.True(next.RunPython<bool>(HomeIsEmpty));
    }

    [Fact]
    public void EachRuntimeHasATmpOfItsOwn()
    {
        using var a = Runtimes.LoadQuiet();
        using var b = Runtimes.LoadQuiet();
        a.RunPython("open('/tmp/mine.txt', 'w').write('a')");
        Assert.Equal("[] False", b.RunPython<string>("import os\nf'{os.listdir(\"/tmp\")} {os.path.exists(\"/tmp/mine.txt\")}'"));
        Assert.Equal("a", a.RunPython<string>("open('/tmp/mine.txt').read()"));
        // The host's /tmp is not the runtime's.
        Assert.False(File.Exists("/tmp/mine.txt"));
    }

    [Fact]
    public void AMountsPlaceIsListedInItsParent()
    {
        var dir = Directory.CreateTempSubdirectory("pyodide-mount-point-");
        try
        {
            using var py = Runtimes.Load(new PyodideOptions { Stdout = _ => { }, Stderr = _ => { }, Mounts = [new PyodideMount(dir.FullName, "/data/in")] });
            Assert.Equal("home,lib,tmp ['in'] True", py.RunPython<string>(
                "import os\n','.join(sorted(n for n in os.listdir('/') if n != 'data')) + f' {os.listdir(\"/data\")} {\"data\" in os.listdir(\"/\")}'"));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void AReadOnlyMountOverTmpLeavesTempfileTheRuntimesVarTmp()
    {
        var dir = Directory.CreateTempSubdirectory("pyodide-mount-tmp-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "host.txt"), "the host's");
            const string Probe = "import os, tempfile\n"
                + "with tempfile.NamedTemporaryFile('w') as t: t.write('x'); where = os.path.dirname(t.name)\n"
                + "f'{tempfile.gettempdir()} {where} {os.path.isdir(\"/var/tmp\")} {sorted(os.listdir(\"/tmp\"))}'";
            using (var ro = Runtimes.Load(new PyodideOptions { Stdout = _ => { }, Stderr = _ => { }, Mounts = [new PyodideMount(dir.FullName, "/tmp", ReadOnly: true)] }))
                Assert.Equal("/var/tmp /var/tmp True ['host.txt']", ro.RunPython<string>(Probe));
            // A writable one is the temporary directory itself: nothing else is made.
            using (var rw = Runtimes.Load(new PyodideOptions { Stdout = _ => { }, Stderr = _ => { }, Mounts = [new PyodideMount(dir.FullName, "/tmp", ReadOnly: false)] }))
                Assert.Equal("/tmp /tmp False ['host.txt']", rw.RunPython<string>(Probe));
            Assert.Equal(["host.txt"], dir.GetFileSystemInfos().Select(f => f.Name));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void ARuntimeDisposedDuringAPackageLoadLeavesNothingToTheNext()
    {
        var index = NewIndex();
        index.Add("pn-late", "pn_late", "VALUE = 1\n");
        var py = Load(index.Directory);
        string home = py.HomeDirectory;
        // Disposed on another thread once the load has begun (the callback runs before
        // the wheel is fetched and unpacked): the load must not write into the home.
        Assert.Throws<ObjectDisposedException>(() => py.LoadPackage(["pn-late"], message =>
        {
            if (message == "Loading pn-late")
                Assert.True(Task.Run(py.Dispose).Wait(TimeSpan.FromSeconds(30)), "the disposal waited for the load");
        }));
        using var next = Runtimes.LoadQuiet();
        Assert.Equal(home, next.HomeDirectory); // it was empty when given back
        Assert.True(next.RunPython<bool>(HomeIsEmpty));
    }
}
