namespace Pyodide.Tests;

/// <summary>Loading and disposing runtimes.</summary>
public sealed class LifecycleTests
{
    [Fact]
    public void LoadsWithoutConfiguration()
    {
        // The fixture's assets were found through PyodideOptions.DefaultAssetDir.
        Runtimes.RequireAssets();
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "pyodide"), PyodideOptions.DefaultAssetDir);
        using var py = PyodideRuntime.Load();
        Assert.False(py.IsDisposed);
        Expect.Long(2, py.RunPython("1 + 1"));
    }

    [Fact]
    public void LoadsWithExplicitAssetDir()
    {
        Runtimes.RequireAssets();
        using var py = PyodideRuntime.Load(new PyodideOptions { AssetDir = Runtimes.AssetDir, Stdout = _ => { } });
        Expect.Long(2, py.RunPython("1 + 1"));
    }

    [Fact]
    public void DisposeIsIdempotent()
    {
        var py = Runtimes.LoadQuiet();
        py.Dispose();
        Assert.True(py.IsDisposed);
        py.Dispose();
        py.Dispose();
        Assert.True(py.IsDisposed);
    }

    [Fact]
    public void UseAfterDisposeThrows()
    {
        var py = Runtimes.LoadQuiet();
        py.Dispose();
        Assert.Throws<ObjectDisposedException>(() => py.RunPython("1"));
        Assert.Throws<ObjectDisposedException>(() => py.Globals);
        Assert.Throws<ObjectDisposedException>(() => py.LiveHandles);
    }

    [Fact]
    public void ProxiesOfADisposedRuntime()
    {
        var py = Runtimes.LoadQuiet();
        var globals = py.Globals;
        var list = Expect.Proxy(py.RunPython("[1, 2, 3]"));
        var copy = list.Copy();
        py.Dispose();

        Assert.True(list.IsDisposed);
        Assert.True(globals.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => list[0]);
        Assert.Throws<ObjectDisposedException>(() => list[0] = 1);
        Assert.Throws<ObjectDisposedException>(() => list.Length);
        Assert.Throws<ObjectDisposedException>(() => list.TypeName);
        Assert.Throws<ObjectDisposedException>(() => list.Contains(1));
        Assert.Throws<ObjectDisposedException>(() => list.Remove(0));
        Assert.Throws<ObjectDisposedException>(() => list.TryGet(0, out _));
        Assert.Throws<ObjectDisposedException>(() => list.Call());
        Assert.Throws<ObjectDisposedException>(() => list.Copy());
        Assert.Throws<ObjectDisposedException>(() => globals["x"]);

        // Disposing them afterwards is harmless.
        list.Dispose();
        list.Dispose();
        copy.Dispose();
        globals.Dispose();
    }

    [Fact]
    public void FinalizingProxiesOfADisposedRuntimeIsHarmless()
    {
        var py = Runtimes.LoadQuiet();
        WeakReference[] proxies = MakeGarbage(py);
        py.Dispose();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        // Every proxy was finalized after its runtime was gone (a long weak
        // reference dies only once the finalizer has run)...
        Assert.All(proxies, p => Assert.False(p.IsAlive));
        // ...and that harmed nothing: the runtime still refuses calls, and a
        // new one works.
        Assert.Throws<ObjectDisposedException>(() => py.RunPython("1"));
        using var fresh = Runtimes.LoadQuiet();
        Expect.Long(2, fresh.RunPython("1 + 1"));
    }

    /// <summary>100 proxies nobody holds, tracked through their finalization.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference[] MakeGarbage(PyodideRuntime py)
    {
        var proxies = new WeakReference[100];
        for (int i = 0; i < proxies.Length; i++)
            proxies[i] = new WeakReference(Assert.IsType<PyProxy>(py.RunPython("object()")), trackResurrection: true);
        return proxies;
    }

    [Fact]
    public void MissingAssetDirIsAnIOError()
    {
        string missing = Path.Combine(Path.GetTempPath(), "pyodide-tests-missing-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<PyodideException>(() => PyodideRuntime.Load(new PyodideOptions { AssetDir = missing }));
        Assert.Equal(PyodideErrorKind.IO, e.Kind);
        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public void EmptyAssetDirIsAnIOError()
    {
        var dir = Directory.CreateTempSubdirectory("pyodide-tests-empty-");
        try
        {
            var e = Assert.Throws<PyodideException>(() => PyodideRuntime.Load(new PyodideOptions { AssetDir = dir.FullName }));
            Assert.Equal(PyodideErrorKind.IO, e.Kind);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void CorruptWasmIsAnIOError()
    {
        var dir = Directory.CreateTempSubdirectory("pyodide-tests-corrupt-");
        try
        {
            File.WriteAllBytes(Path.Combine(dir.FullName, "python.wasm"), "\0asm not really a module"u8.ToArray());
            Directory.CreateDirectory(Path.Combine(dir.FullName, "lib"));
            var e = Assert.Throws<PyodideException>(() => PyodideRuntime.Load(new PyodideOptions { AssetDir = dir.FullName }));
            Assert.Equal(PyodideErrorKind.IO, e.Kind);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void InvalidMountsAreRejected()
    {
        Runtimes.RequireAssets();
        var dir = Directory.CreateTempSubdirectory("pyodide-tests-mount-");
        try
        {
            Assert.Throws<ArgumentException>(() => PyodideRuntime.Load(new PyodideOptions { Mounts = [new PyodideMount("relative/path", "/data")] }));
            Assert.Throws<ArgumentException>(() => PyodideRuntime.Load(new PyodideOptions { Mounts = [new PyodideMount(dir.FullName + "/does-not-exist", "/data")] }));
            Assert.Throws<ArgumentException>(() => PyodideRuntime.Load(new PyodideOptions { Mounts = [new PyodideMount(dir.FullName, "data")] }));
            Assert.Throws<ArgumentException>(() => PyodideRuntime.Load(new PyodideOptions { Mounts = [new PyodideMount(dir.FullName, "/")] }));
            Assert.Throws<ArgumentException>(() => PyodideRuntime.Load(new PyodideOptions { Mounts = [new PyodideMount(dir.FullName, "/lib")] }));
            Assert.Throws<ArgumentException>(() => PyodideRuntime.Load(new PyodideOptions { Mounts = [new PyodideMount(dir.FullName, "/home/pyodide/")] }));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void HomeDirectoryIsDeletedWithTheRuntime()
    {
        var py = Runtimes.LoadQuiet();
        string marker = "marker-" + Guid.NewGuid().ToString("N");
        py.RunPython($"open('/home/pyodide/{marker}', 'w').write('x')");
        string home = py.HomeDirectory;
        Assert.True(File.Exists(Path.Combine(home, marker)));
        Assert.StartsWith(Path.GetTempPath(), home);
        py.Dispose();
        Assert.False(Directory.Exists(home), $"{home} survived the runtime");
    }

    [Fact]
    public void ManyRuntimesInSequence()
    {
        for (int i = 0; i < 20; i++)
        {
            using var py = Runtimes.LoadQuiet();
            using var twice = Expect.Proxy(py.RunPython("lambda n: n * 2"));
            Expect.Long(i * 2, twice.Call(i));
        }
    }
}
