namespace Pyodide;

/// <summary>The process-wide default runtime: Pyodide 0.17's deprecated global <c>pyodide</c>
/// (and <c>languagePluginLoader</c>, the promise of loading it).</summary>
public sealed partial class PyodideRuntime
{
    // ExecutionAndPublication: exactly one Load, however many threads race for it; a
    // failed Load is cached and rethrown to every caller, as Pyodide 0.17's rejected
    // languagePluginLoader promise stays rejected (no retry).
    private static readonly Lazy<PyodideRuntime> s_default =
        new(() => AsProcessDefault(Load()), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>One runtime for the whole process, loaded on first use with the default
    /// options (so <c>PYODIDE_ASSET_DIR</c> and <c>PYODIDE_INDEX_URL</c> apply, see
    /// <see cref="PyodideOptions"/>), as Pyodide 0.17's global <c>pyodide</c>. Every thread gets
    /// the same instance; if loading failed, every access throws that failure again.
    /// It is owned by the library and lives until the process exits: <see cref="Dispose"/>
    /// on it does nothing.</summary>
    [Obsolete("Deprecated, as in Pyodide 0.17 (the global pyodide / languagePluginLoader): prefer PyodideRuntime.Load(options) and owning the runtime.")]
    public static PyodideRuntime Default => s_default.Value;

    /// <summary>Whether this is a process-wide default (.NET's <see cref="Default"/> or the C
    /// ABI's <c>pyodide_default</c>): then <see cref="Dispose"/> is ignored.</summary>
    internal bool IsProcessDefault { get; private set; }

    /// <summary>Makes <paramref name="runtime"/> a process-wide default: never disposed; its
    /// home directory is removed when the process exits normally (<see cref="RuntimeHomes"/>).</summary>
    internal static PyodideRuntime AsProcessDefault(PyodideRuntime runtime)
    {
        runtime.IsProcessDefault = true;
        return runtime;
    }
}
