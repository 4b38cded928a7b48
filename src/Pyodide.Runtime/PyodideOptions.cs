namespace Pyodide;

/// <summary>Receives what Python wrote to stdout or stderr: sys.stdout's or sys.stderr's
/// text as UTF-8, and bytes written to their <c>buffer</c> or below them as they are. The
/// span is valid only during the call. The handler runs on the thread of the call that produced
/// the output, while it runs. For sys.stdout/sys.stderr it may call back into the runtime,
/// like a host function; for bytes written below them (os.write, C code), which can come
/// in the middle of the interpreter's own work, calls into the same runtime are refused
/// with an <see cref="InvalidOperationException"/> (other runtimes may be used). A handler
/// that throws an <see cref="IOException"/> fails the write: Python raises OSError, with the
/// errno the exception's <see cref="Exception.HResult"/> holds as .NET's streams report a
/// system error (a closed pipe, EPIPE, is a BrokenPipeError, as python3's writes raise when
/// <c>| head</c> has read enough); any other exception is dropped with the bytes, and Python
/// carries on.</summary>
public delegate void PyodideOutputHandler(ReadOnlySpan<byte> utf8);

/// <summary>A host directory visible to Python.</summary>
/// <param name="HostPath">The directory on the host.</param>
/// <param name="GuestPath">Where Python sees it (absolute).</param>
/// <param name="ReadOnly">Whether Python may only read it.</param>
public sealed record PyodideMount(string HostPath, string GuestPath, bool ReadOnly = true);

/// <summary>How to start a runtime; every property has a usable default.</summary>
public sealed class PyodideOptions
{
    /// <summary>The folder holding python.wasm and lib/. When not set, the value of the
    /// <c>PYODIDE_ASSET_DIR</c> environment variable (<see cref="AssetDirVariable"/>) if it is
    /// set and not empty, read when this property is read; otherwise null, which means
    /// <see cref="DefaultAssetDir"/>.</summary>
    public string? AssetDir
    {
        get => _assetDir ?? FromEnvironment(AssetDirVariable);
        init => _assetDir = value;
    }

    private readonly string? _assetDir;
    private readonly string? _indexUrl;

    /// <summary>Bytes of linear memory the interpreter may use; 0 = up to wasm32's 4 GiB.</summary>
    public ulong MemoryLimit { get; init; }

    /// <summary>The default deadline of every call; null = none. A call past it gets a
    /// KeyboardInterrupt inside Python; if that does not end it within 100 ms it is
    /// stopped hard and the runtime dies. Either way the call fails with a
    /// <see cref="PyodideErrorKind.Limit"/> error.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Leaves interruption checks out of the compiled interpreter: Python runs
    /// ~20% faster, but deadlines and <see cref="PyodideRuntime.Interrupt"/> can then only
    /// raise KeyboardInterrupt in Python code; code that ignores it or never returns to
    /// the interpreter (a long C-level loop) cannot be stopped. For trusted code; the
    /// default (false) keeps the hard stop.</summary>
    public bool Unguarded { get; init; }

    /// <summary>Host directories visible to Python.</summary>
    public IReadOnlyList<PyodideMount> Mounts { get; init; } = [];

    /// <summary>Receives sys.stdout; null = the process's own stdout.</summary>
    public PyodideOutputHandler? Stdout { get; init; }

    /// <summary>Receives sys.stderr; null = the process's own stderr.</summary>
    public PyodideOutputHandler? Stderr { get; init; }

    /// <summary>What <c>sys.stdout.isatty()</c> says when <see cref="Stdout"/> is set (a
    /// host showing the output on a terminal sets it, as python3's streams report their
    /// terminal); without a handler it says whether the process's own stdout is a
    /// terminal.</summary>
    public bool StdoutIsTerminal { get; init; }

    /// <summary>What <c>sys.stderr.isatty()</c> says when <see cref="Stderr"/> is set;
    /// without a handler, whether the process's own stderr is a terminal.</summary>
    public bool StderrIsTerminal { get; init; }

    /// <summary>The size of the terminal the host shows a stream on, for
    /// <c>os.get_terminal_size(fd)</c> (and so <c>shutil.get_terminal_size()</c>): given
    /// the fd (0, 1 or 2), its columns and lines, or null when that stream is not a
    /// terminal (Python raises OSError, ENOTTY, as python3 does for a pipe). Called on the
    /// thread of the call asking, each time Python asks (a terminal can be resized). When
    /// not set, a stream with no handler (the process's own stdout or stderr) answers
    /// with its terminal's size; any other, null.</summary>
    public Func<int, (int Columns, int Lines)?>? TerminalSize { get; init; }

    /// <summary>Python's standard input (a <see cref="Stream"/>, a <see cref="TextReader"/>
    /// or a read function); null = none: <c>input()</c> gets EOFError at once. The
    /// process's own stdin is never read unless given here.</summary>
    public PyodideInput? Stdin { get; init; }

    /// <summary>The package index of <see cref="PyodideRuntime.LoadPackage(IEnumerable{string}, Action{string}?, Action{string}?)"/>:
    /// a local directory or an http(s) URL holding <c>pyodide-lock.json</c> and the wheels
    /// it names (or the URL of the lock file itself, ending in <c>.json</c>); null = none
    /// (only wheels named by path or URL can be loaded). A lock file fetched over http(s)
    /// is read once per process; a local one again whenever it changes. When not set, the
    /// value of the <c>PYODIDE_INDEX_URL</c> environment variable (<see cref="IndexUrlVariable"/>)
    /// if it is set and not empty, read when this property is read.</summary>
    public string? IndexUrl
    {
        get => _indexUrl ?? FromEnvironment(IndexUrlVariable);
        init => _indexUrl = value;
    }

    /// <summary>Where downloaded packages are kept, as <c>&lt;sha256&gt;.whl</c>, shared by
    /// runtimes and processes; null = <c>$PYODIDE_CACHE/packages</c>, or
    /// <c>~/.cache/pyodide-native/packages</c>.</summary>
    public string? PackageCacheDir { get; init; }

    /// <summary>The package indexes the guest's <c>micropip</c> may use, in order: PEP 691
    /// (JSON) or PEP 503 (HTML) simple indexes, or plain directories of wheels, as http(s)
    /// URLs or local directories. Python may choose among them (<c>set_index_urls</c>,
    /// <c>index_urls=</c>) and URLs under them, never others; the host fetches only from
    /// their hosts. Empty (the default): micropip installs only what <see cref="IndexUrl"/>'s
    /// lock file has. See <see cref="PyodideRuntime.SetIndexUrls"/>.</summary>
    public IReadOnlyList<string> MicropipIndexUrls { get; init; } = [];

    /// <summary>A snapshot file (<see cref="PyodideRuntime.SaveSnapshot"/>) to start from:
    /// the runtime has everything the saving runtime had in Python, with a hash secret,
    /// <c>random</c> state and file system of its own (a copy of the saving runtime's files),
    /// and this runtime's mounts and
    /// host. Null = the built-in snapshot of an interpreter that has just started. A file
    /// that is damaged, truncated, or from another library or python.wasm is an
    /// <see cref="PyodideErrorKind.IO"/> error.</summary>
    public string? Snapshot { get; init; }

    /// <summary>How long one request of micropip's (an index page or a wheel) may take.</summary>
    public TimeSpan MicropipTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The <c>pyodide/</c> folder beside this library (or beside the
    /// native library that embeds it, when compiled ahead of time).</summary>
    public static string DefaultAssetDir => Path.Combine(AppContext.BaseDirectory, "pyodide");

    /// <summary><c>PYODIDE_ASSET_DIR</c>: the asset folder of runtimes whose
    /// <see cref="AssetDir"/> is not set. Deprecated, as Pyodide 0.17's process-wide defaults
    /// (<c>languagePluginUrl</c>) are: prefer setting <see cref="AssetDir"/>.</summary>
    public const string AssetDirVariable = "PYODIDE_ASSET_DIR";

    /// <summary><c>PYODIDE_INDEX_URL</c>: the package index of runtimes whose
    /// <see cref="IndexUrl"/> is not set (Pyodide 0.17's <c>languagePluginUrl</c>). Deprecated, as
    /// in Pyodide 0.17: prefer setting <see cref="IndexUrl"/>.</summary>
    public const string IndexUrlVariable = "PYODIDE_INDEX_URL";

    /// <summary>An environment variable's value; null when it is unset or empty.</summary>
    internal static string? FromEnvironment(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
