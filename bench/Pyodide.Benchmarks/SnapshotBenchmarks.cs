using BenchmarkDotNet.Attributes;

namespace Pyodide.Benchmarks;

/// <summary>A runtime with <c>json, decimal, sqlite3, asyncio, email</c> imported: loaded
/// from a snapshot saved after those imports (<see cref="PyodideOptions.Snapshot"/>),
/// against the baseline of loading a plain runtime and importing them; each used once and
/// disposed, with another runtime alive.</summary>
[MemoryDiagnoser]
public class SnapshotBenchmarks
{
    private const string Libraries = "import json, decimal, sqlite3, asyncio, email";
    private PyodideRuntime _first = null!;
    private string _path = null!;
    private PyodideOptions _fromSnapshot = null!;

    [GlobalSetup]
    public void Setup()
    {
        _first = Assets.Load();
        _first.RunPython(Libraries);
        _path = Path.Combine(Path.GetTempPath(), $"pyodide-bench-{Environment.ProcessId}.snapshot");
        _first.SaveSnapshot(_path);
        _fromSnapshot = new PyodideOptions { AssetDir = Assets.Dir, Snapshot = _path };
    }

    [Benchmark(Baseline = true, Description = "Load()+import the libraries+Dispose")]
    public void LoadAndImport()
    {
        using var py = Assets.Load();
        py.RunPython(Libraries);
    }

    [Benchmark(Description = "Load(Snapshot = saved after the imports)+a call using them+Dispose")]
    public void LoadFromSnapshot()
    {
        using var py = PyodideRuntime.Load(_fromSnapshot);
        py.RunPython("json.dumps(str(decimal.Decimal(1)))");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _first.Dispose();
        File.Delete(_path);
    }
}
