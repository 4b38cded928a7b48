namespace Pyodide.Tests;

/// <summary>Tests that change the process's environment, or need it unchanged (the
/// default runtime is loaded once per process): they run alone, after the others.</summary>
[CollectionDefinition(nameof(ProcessEnvironment), DisableParallelization = true)]
public sealed class ProcessEnvironment
{
}

/// <summary>Pyodide 0.17's deprecated globals: <see cref="PyodideRuntime.Default"/> (the global
/// <c>pyodide</c> and <c>languagePluginLoader</c>) and the environment variables
/// (<c>languagePluginUrl</c>) that <see cref="PyodideOptions"/> falls back on.</summary>
[Collection(nameof(ProcessEnvironment))]
public sealed class DefaultsTests
{
#pragma warning disable CS0618 // the deprecated members under test

    [Fact]
    public void DefaultIsOneRuntimeForRacingThreads()
    {
        Runtimes.RequireAssets();
        const int threads = 8;
        using var start = new Barrier(threads);
        var seen = new PyodideRuntime[threads];
        var workers = Enumerable.Range(0, threads).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            seen[i] = PyodideRuntime.Default;
        })).ToList();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());
        Assert.All(seen, runtime => Assert.Same(seen[0], runtime));
        Assert.Equal(42L, seen[0].RunPython("6 * 7"));
        seen[3].RunPython("shared = 'yes'");
        Assert.Equal("yes", seen[5].RunPython("shared"));
    }

    [Fact]
    public void DisposingTheDefaultIsIgnored()
    {
        Runtimes.RequireAssets();
        var py = PyodideRuntime.Default;
        py.RunPython("kept = [1, 2, 3]");
        py.Dispose();
        using (py) { }
        Assert.False(py.IsDisposed);
        Assert.Same(py, PyodideRuntime.Default);
        Assert.Equal(3L, py.RunPython("len(kept)"));
    }

#pragma warning restore CS0618

    [Fact]
    public void EnvironmentVariablesFillUnsetOptions()
    {
        Runtimes.RequireAssets();
        Assert.Equal("PYODIDE_ASSET_DIR", PyodideOptions.AssetDirVariable);
        Assert.Equal("PYODIDE_INDEX_URL", PyodideOptions.IndexUrlVariable);
        string missing = Path.Combine(Path.GetTempPath(), "pyodide-no-such-assets-" + Guid.NewGuid().ToString("N"));
        WithEnvironment(missing, "https://example.invalid/index/", () =>
        {
            var options = new PyodideOptions();
            Assert.Equal(missing, options.AssetDir);
            Assert.Equal("https://example.invalid/index/", options.IndexUrl);
            // Read when the runtime loads: the missing directory is an IO error naming it.
            var e = Assert.Throws<PyodideException>(() => PyodideRuntime.Load());
            Assert.Equal(PyodideErrorKind.IO, e.Kind);
            Assert.Contains(missing, e.Message);
        });
        WithEnvironment("", "", () =>
        {
            var options = new PyodideOptions(); // empty counts as unset
            Assert.Null(options.AssetDir);
            Assert.Null(options.IndexUrl);
            using var py = Runtimes.LoadQuiet();
            Assert.Equal(2L, py.RunPython("1 + 1"));
        });
    }

    [Fact]
    public void AnExplicitOptionWinsOverTheEnvironment()
    {
        Runtimes.RequireAssets();
        WithEnvironment("/nonexistent/assets-from-env", "/nonexistent/index-from-env", () =>
        {
            var options = new PyodideOptions { AssetDir = Runtimes.AssetDir, IndexUrl = "https://example.invalid/explicit/" };
            Assert.Equal(Runtimes.AssetDir, options.AssetDir);
            Assert.Equal("https://example.invalid/explicit/", options.IndexUrl);
            using var py = PyodideRuntime.Load(new PyodideOptions { AssetDir = Runtimes.AssetDir, Stdout = _ => { }, Stderr = _ => { } });
            Assert.Equal(42L, py.RunPython("6 * 7"));
        });
    }

    /// <summary>Runs <paramref name="body"/> with the two variables set, then restores them.</summary>
    private static void WithEnvironment(string assetDir, string indexUrl, Action body)
    {
        string? oldAssets = Environment.GetEnvironmentVariable(PyodideOptions.AssetDirVariable);
        string? oldIndex = Environment.GetEnvironmentVariable(PyodideOptions.IndexUrlVariable);
        try
        {
            Environment.SetEnvironmentVariable(PyodideOptions.AssetDirVariable, assetDir);
            Environment.SetEnvironmentVariable(PyodideOptions.IndexUrlVariable, indexUrl);
            body();
        }
        finally
        {
            Environment.SetEnvironmentVariable(PyodideOptions.AssetDirVariable, oldAssets);
            Environment.SetEnvironmentVariable(PyodideOptions.IndexUrlVariable, oldIndex);
        }
    }
}
