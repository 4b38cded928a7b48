using System.Reflection;

namespace Pyodide.Benchmarks;

/// <summary>Where the Python assets are, and runtimes created from them.</summary>
internal static class Assets
{
    /// <summary>$PYODIDE_ASSET_DIR; else pyodide/ beside the assembly when it is complete
    /// (with its empty lib-dynload folder); else the out/lib/pyodide this project was
    /// built against.</summary>
    public static string Dir { get; } = Find();

    private static string Find()
    {
        string? env = Environment.GetEnvironmentVariable("PYODIDE_ASSET_DIR");
        if (!string.IsNullOrEmpty(env)) return env;
        string beside = Path.Combine(AppContext.BaseDirectory, "pyodide");
        if (IsComplete(beside)) return beside;
        string? baked = typeof(Assets).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "PyodideAssets")?.Value;
        if (baked != null && IsComplete(baked)) return baked;
        throw new DirectoryNotFoundException(
            $"no Python assets: looked in {beside} and {baked}; run ./build.sh or set PYODIDE_ASSET_DIR");
    }

    private static bool IsComplete(string dir) =>
        File.Exists(Path.Combine(dir, "python.wasm")) &&
        Directory.Exists(Path.Combine(dir, "lib", "python3.11", "lib-dynload"));

    public static PyodideOptions Options { get; } = new() { AssetDir = Dir };

    public static PyodideRuntime Load() => PyodideRuntime.Load(Options);

    /// <summary>The local package index holding six that ./build.sh made
    /// (build/fixtures/packages), or $PYODIDE_PACKAGE_FIXTURE.</summary>
    public static string PackageFixture()
    {
        string? dir = Environment.GetEnvironmentVariable("PYODIDE_PACKAGE_FIXTURE");
        if (string.IsNullOrEmpty(dir))
            dir = typeof(Assets).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "PyodidePackageFixture")?.Value;
        if (dir == null || !File.Exists(Path.Combine(dir, "pyodide-lock.json")))
            throw new DirectoryNotFoundException($"no package fixture in {dir}; run ./build.sh or set PYODIDE_PACKAGE_FIXTURE");
        return dir;
    }
}
