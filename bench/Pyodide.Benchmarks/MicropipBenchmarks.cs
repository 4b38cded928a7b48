using System.Diagnostics;
using BenchmarkDotNet.Attributes;

namespace Pyodide.Benchmarks;

/// <summary>micropip: <see cref="PyodideRuntime.Install"/> of 5 requirements with their
/// dependencies (importlib-metadata → zipp → more-itertools, attrs, idna, six, and
/// pick-zipp, which backtracks: 7 wheels) into a fresh runtime, from the test index
/// (native-tests/packages/make-index.sh: Debian's projects repacked as wheels) served
/// as PEP 503 pages by <c>python3.11 -m http.server</c> on 127.0.0.1. Cold: an empty
/// package cache, so every wheel is downloaded and hashed; warm (the baseline): the
/// cache holds them, so only index pages are fetched.</summary>
[MemoryDiagnoser]
public class MicropipBenchmarks
{
    private static readonly string[] Requirements = ["importlib-metadata", "attrs", "idna", "six", "pick-zipp"];

    private Process _server = null!;
    private string _index = null!;
    private string _temp = null!;
    private string _warmCache = null!;
    private string _cache = null!;
    private PyodideRuntime _py = null!;

    [GlobalSetup]
    public void Setup()
    {
        string root = RepositoryRoot();
        string fixture = Path.Combine(root, "build", "fixtures", "micropip-index");
        Run("bash", Path.Combine(root, "native-tests", "packages", "make-index.sh"), fixture);
        var start = new ProcessStartInfo("/usr/bin/python3.11", ["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", fixture])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _server = Process.Start(start)!;
        _server.ErrorDataReceived += (_, _) => { }; // its request log
        _server.BeginErrorReadLine();
        // "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..."
        string line = _server.StandardOutput.ReadLine() ?? throw new InvalidOperationException("http.server did not start");
        string port = line.Split(" port ")[1].Split(' ')[0];
        _index = $"http://127.0.0.1:{port}/simple/";
        _temp = Directory.CreateTempSubdirectory("pyodide-micropip-bench-").FullName;
        _warmCache = Path.Combine(_temp, "warm");
        using var first = Load(_warmCache);
        first.Install(Requirements);
        if (first.LoadedPackages.Count != 7)
            throw new InvalidOperationException($"expected 7 packages, got {string.Join(", ", first.LoadedPackages.Keys)}");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _server.Kill();
        _server.WaitForExit();
        Directory.Delete(_temp, recursive: true);
    }

    private PyodideRuntime Load(string cache) => PyodideRuntime.Load(new PyodideOptions
    {
        AssetDir = Assets.Dir,
        MicropipIndexUrls = [_index],
        PackageCacheDir = cache,
    });

    [IterationSetup(Target = nameof(Cold))]
    public void NewRuntimeEmptyCache()
    {
        _cache = Path.Combine(_temp, Guid.NewGuid().ToString("N"));
        _py = Load(_cache);
    }

    [IterationSetup(Target = nameof(Warm))]
    public void NewRuntimeWarmCache() => _py = Load(_warmCache);

    [IterationCleanup]
    public void DisposeRuntime()
    {
        _py.Dispose();
        if (_cache != null && Directory.Exists(_cache)) Directory.Delete(_cache, recursive: true);
        _cache = null!;
    }

    [Benchmark(Baseline = true, Description = "micropip install, 5 requirements (7 wheels), warm cache")]
    public void Warm() => _py.Install(Requirements);

    [Benchmark(Description = "micropip install, 5 requirements (7 wheels), cold cache")]
    public void Cold() => _py.Install(Requirements);

    private static string RepositoryRoot()
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Assets.Dir })
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "native-tests", "packages", "make-index.sh"))) return dir.FullName;
        throw new DirectoryNotFoundException("no repository (native-tests/packages/make-index.sh) above the benchmark or its assets");
    }

    private static void Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { UseShellExecute = false })!;
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode})");
    }
}
