using System.Security.Cryptography;
using Wasmtime;

namespace Pyodide.Guest;

/// <summary>The process-wide Wasmtime engines and the compiled python.wasm modules,
/// with compiled code cached on disk so only the first process ever compiles.
/// There are two engines: the guarded one compiles epoch checks into the code, so
/// deadlines and interrupts can stop anything (the default); the unguarded one
/// leaves them out, which makes Python ~20% faster but lets only Python-level code
/// be interrupted (<see cref="PyodideOptions.Unguarded"/>).</summary>
internal static class GuestModule
{
    private static readonly Lazy<Engine> GuardedEngine = new(() => CreateEngine(epochChecks: true));
    private static readonly Lazy<Engine> UnguardedEngine = new(() => CreateEngine(epochChecks: false));
    private static readonly Dictionary<(string, bool), Module> Loaded = new();
    private static readonly Lock LoadedGate = new();

    /// <summary>Linear memory is reserved whole (4 GiB, wasm32's maximum) and never
    /// moves, so buffer pointers handed to hosts survive memory.grow.</summary>
    internal const ulong MemoryReservation = 4UL << 30;

    /// <summary>Native stack wasm frames may use. Each C-level Python recursion (through
    /// map, repr, sorted keys...) costs ~1.8 KiB of it in the guarded engine's code and
    /// ~1.5 KiB in the unguarded one's (python.wasm built with LTO, whose inlining makes
    /// frames bigger): 1.25 MiB lets the guest's default recursion limit (600) end in
    /// RecursionError rather than a trap, with margin (measured: C-level recursion
    /// traps only past a limit of ~710 guarded, ~860 unguarded). It must also fit in the
    /// calling thread's stack with room for the host's own frames (.NET's secondary
    /// threads have 1.5 MiB, Rust's 2 MiB), because wasm runs on the caller's thread.</summary>
    internal const int WasmStackSize = 1280 << 10;

    // Part of the cache key: a compiled module is only valid for the engine
    // configuration it was compiled with.
    private static string EngineSignature(bool guarded) =>
        guarded ? "reserve4g-nomove-stack1280k-epoch-v1" : "reserve4g-nomove-stack1280k-unguarded-v1";

    /// <summary>The engine with epoch checks (deadlines, interrupts, hard stops).</summary>
    internal static Engine Guarded => GuardedEngine.Value;

    internal static Engine EngineFor(bool guarded) => guarded ? GuardedEngine.Value : UnguardedEngine.Value;

    private static Engine CreateEngine(bool epochChecks)
    {
        var config = new Config()
            .WithStaticMemoryMaximumSize(MemoryReservation)
            .WithMemoryMayMove(false)
            .WithMaximumStackSize(WasmStackSize)
            .WithEpochInterruption(epochChecks);
        return new Engine(config);
    }

    /// <summary>The compiled module of <paramref name="wasmPath"/> for the guarded or the
    /// unguarded engine, loaded once per process.</summary>
    internal static Module Get(string wasmPath, bool guarded)
    {
        lock (LoadedGate)
        {
            if (!Loaded.TryGetValue((wasmPath, guarded), out var module))
            {
                module = LoadOrCompile(wasmPath, guarded);
                Loaded.Add((wasmPath, guarded), module);
            }
            return module;
        }
    }

    private static Module LoadOrCompile(string wasmPath, bool guarded)
    {
        var engine = EngineFor(guarded);
        string cacheDir = CacheDirectory();
        string? hash = RecordedHash(wasmPath);
        if (hash != null)
        {
            // The common case: the build recorded the hash, so the 8 MB module
            // is neither read nor hashed when its compiled form is cached.
            var hit = TryDeserialize(engine, Path.Combine(cacheDir, CacheKey(hash, guarded) + ".cwasm"));
            if (hit != null) return hit;
        }

        byte[] wasm;
        try
        {
            wasm = File.ReadAllBytes(wasmPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PyodideException(PyodideErrorKind.IO, $"cannot read {wasmPath}: {e.Message}", e);
        }
        string actual = Convert.ToHexString(SHA256.HashData(wasm)).ToLowerInvariant();
        string cached = Path.Combine(cacheDir, CacheKey(actual, guarded) + ".cwasm");
        if (actual != hash && TryDeserialize(engine, cached) is { } existing) return existing;

        Module module;
        try
        {
            module = Module.FromBytes(engine, "python", wasm);
        }
        catch (WasmtimeException e)
        {
            throw new PyodideException(PyodideErrorKind.IO, $"{wasmPath} is not a valid module: {e.Message}", e);
        }
        TryStore(cacheDir, cached, module);
        return module;
    }

    /// <summary>Writes the compiled module beside its final name and renames it
    /// into place, so processes racing to fill the cache never see a partial file.</summary>
    private static void TryStore(string cacheDir, string cached, Module module)
    {
        string temp = $"{cached}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            Directory.CreateDirectory(cacheDir);
            File.WriteAllBytes(temp, module.Serialize());
            File.Move(temp, cached, overwrite: true);
            EvictOldEntries(cacheDir, "python-*.cwasm", CacheEntries, cached);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The cache is an optimisation: a read-only home still runs Python.
            try { File.Delete(temp); } catch (IOException) { }
        }
    }

    /// <summary>How many compiled modules the cache keeps: each is ~13 MB, and every
    /// new build or Wasmtime version adds one.</summary>
    private const int CacheEntries = 4;

    /// <summary>Deletes all but the newest <paramref name="count"/> files of
    /// <paramref name="cacheDir"/> that match <paramref name="pattern"/>, never
    /// <paramref name="keep"/> (the one just written). A process still using a deleted
    /// compiled module keeps its mapping; on systems that refuse to delete files in use
    /// the entry simply stays.</summary>
    internal static void EvictOldEntries(string cacheDir, string pattern, int count, string keep)
    {
        var stale = new DirectoryInfo(cacheDir).GetFiles(pattern)
            .Where(f => f.FullName != keep)
            .OrderByDescending(f => f.LastWriteTimeUtc)
            .Skip(count - 1);
        foreach (var file in stale)
        {
            try { file.Delete(); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    private static Module? TryDeserialize(Engine engine, string cached)
    {
        if (!File.Exists(cached)) return null;
        try
        {
            return Module.DeserializeFile(engine, "python", cached);
        }
        catch (WasmtimeException)
        {
            // A cache file from an incompatible build or a damaged disk:
            // the caller compiles and replaces it.
            return null;
        }
    }

    private static readonly Dictionary<string, byte[]> Hashes = new();

    /// <summary>The sha256 of <paramref name="wasmPath"/>: the one the build recorded when it
    /// still matches the file's size, else computed; once per process and path.</summary>
    internal static byte[] Sha256(string wasmPath)
    {
        lock (LoadedGate)
        {
            if (Hashes.TryGetValue(wasmPath, out var known)) return known;
        }
        byte[] hash;
        if (RecordedHash(wasmPath) is { } recorded)
        {
            hash = Convert.FromHexString(recorded);
        }
        else
        {
            try
            {
                using var file = File.OpenRead(wasmPath);
                hash = SHA256.HashData(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new PyodideException(PyodideErrorKind.IO, $"cannot read {wasmPath}: {e.Message}", e);
            }
        }
        lock (LoadedGate) Hashes[wasmPath] = hash;
        return hash;
    }

    /// <summary>The hash <c>build-guest.sh</c> wrote to <c>python.wasm.sha256</c>
    /// ("hash size"), if that file exists and the size still matches.</summary>
    private static string? RecordedHash(string wasmPath)
    {
        try
        {
            string[] fields = File.ReadAllText(wasmPath + ".sha256").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return fields.Length == 2 && fields[0].Length == 64 && long.TryParse(fields[1], out long size)
                   && size == new FileInfo(wasmPath).Length
                ? fields[0].ToLowerInvariant()
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string CacheKey(string hash, bool guarded) =>
        $"python-{hash[..32]}-wasmtime{WasmtimePackage.Version}-{EngineSignature(guarded)}";

    /// <summary><c>$PYODIDE_MODULE_CACHE</c>, else <c>$XDG_CACHE_HOME/pyodide-native/modules</c>,
    /// else <c>~/.cache/pyodide-native/modules</c>.</summary>
    internal static string CacheDirectory()
    {
        string? explicitDir = Environment.GetEnvironmentVariable("PYODIDE_MODULE_CACHE");
        if (!string.IsNullOrEmpty(explicitDir)) return explicitDir;
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrEmpty(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "pyodide-native", "modules");
    }
}
