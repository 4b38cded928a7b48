using Pyodide.Packages;

namespace Pyodide;

// Packages: Pyodide's loadPackage, loadPackagesFromImports and loadedPackages.
public sealed partial class PyodideRuntime
{
    private PackageManager _packages = null!; // set by Load
    private MicropipHost _micropip = null!; // set by Load

    /// <summary>The host directory Python sees as <c>/home/pyodide</c>.</summary>
    internal string HomeDirectory => RuntimeHomes.PythonHome(_root);

    /// <summary>The host directory Python sees as <c>/home/pyodide/site-packages</c>.</summary>
    internal string SitePackagesDirectory => _packages.SitePackages;

    /// <summary>Loads packages into this runtime, as Pyodide's <c>loadPackage</c>.
    ///
    /// Each name is a package of the index (<see cref="PyodideOptions.IndexUrl"/>:
    /// its <c>pyodide-lock.json</c>; names are compared normalized, so <c>Six</c> and
    /// <c>six</c> are the same), or the path or http(s) URL of a <c>.whl</c> file,
    /// optionally ending in <c>#sha256=&lt;hex&gt;</c> to have it checked. Dependencies
    /// from the lock file load first, each once. Files are downloaded once into the
    /// package cache (<see cref="PyodideOptions.PackageCacheDir"/>) and checked
    /// against the lock file's sha256; wheels are unpacked into the runtime's
    /// site-packages, after which Python imports them like any module. Only
    /// pure-Python wheels load.
    ///
    /// Nothing is installed when a name is unknown, a file cannot be fetched, a
    /// checksum does not match, or a wheel is unsafe (an absolute path, <c>..</c>, a
    /// symbolic link) or compiled; only a failure while moving the checked files
    /// into place (a full disk) can leave the packages moved before it installed.
    /// A package already loaded is reported through <paramref name="onMessage"/>,
    /// not as an error.</summary>
    /// <param name="names">Package names and wheel paths/URLs.</param>
    /// <param name="onMessage">Receives each step: "Loading six", "Loaded six from …".</param>
    /// <param name="onError">Receives the problem, before the exception is thrown.</param>
    /// <exception cref="PyodideException"><see cref="PyodideErrorKind.IO"/>: an unknown name,
    /// an unreachable file, a bad checksum, a malformed lock file, an unsafe or compiled wheel.</exception>
    /// <exception cref="ArgumentException">A null or empty name.</exception>
    /// <exception cref="InvalidOperationException">Called from one of this runtime's package-loading callbacks.</exception>
    public void LoadPackage(IEnumerable<string> names, Action<string>? onMessage = null, Action<string>? onError = null)
    {
        ArgumentNullException.ThrowIfNull(names);
        var list = names.ToList();
        for (int i = 0; i < list.Count; i++)
            if (string.IsNullOrWhiteSpace(list[i])) throw new ArgumentException($"names[{i}] is null or empty", nameof(names));
        _packages.Load(list, onMessage, onError);
    }

    /// <summary>Loads one package or wheel; see <see cref="LoadPackage(IEnumerable{string}, Action{string}?, Action{string}?)"/>.</summary>
    public void LoadPackage(string name, Action<string>? onMessage = null, Action<string>? onError = null) =>
        LoadPackage([name], onMessage, onError);

    /// <summary><see cref="LoadPackage(IEnumerable{string}, Action{string}?, Action{string}?)"/>
    /// on a thread-pool thread (downloads are the slow part). The callbacks run on that thread.</summary>
    public Task LoadPackageAsync(IEnumerable<string> names, Action<string>? onMessage = null, Action<string>? onError = null)
    {
        ArgumentNullException.ThrowIfNull(names);
        var list = names.ToList();
        return Task.Run(() => LoadPackage(list, onMessage, onError));
    }

    /// <summary>As Pyodide's <c>loadPackagesFromImports</c>: finds the top-level modules
    /// <paramref name="code"/> imports (<c>pyodide.find_imports</c>, in Python) and loads
    /// the index's packages that provide them (the lock file's <c>imports</c>). Imports
    /// no package provides are ignored, as are all of them when no index is configured.</summary>
    /// <exception cref="PythonException">The code has a syntax error.</exception>
    /// <exception cref="PyodideException">As <see cref="LoadPackage(IEnumerable{string}, Action{string}?, Action{string}?)"/>.</exception>
    public void LoadPackagesFromImports(string code, Action<string>? onMessage = null, Action<string>? onError = null)
    {
        ArgumentNullException.ThrowIfNull(code);
        _packages.LoadFromImports(code, onMessage, onError);
    }

    /// <summary><see cref="LoadPackagesFromImports"/> on a thread-pool thread.</summary>
    public Task LoadPackagesFromImportsAsync(string code, Action<string>? onMessage = null, Action<string>? onError = null)
    {
        ArgumentNullException.ThrowIfNull(code);
        return Task.Run(() => LoadPackagesFromImports(code, onMessage, onError));
    }

    /// <summary>The packages loaded so far, as Pyodide's <c>loadedPackages</c>: normalized
    /// name → where it came from (the wheel's URL or path). A snapshot.</summary>
    public IReadOnlyDictionary<string, string> LoadedPackages => _packages.Loaded;

    /// <summary>Registers the host half of the guest's <c>micropip</c> (at load; the options
    /// were checked by <see cref="PackageManager.CheckOptions"/>): when Python first imports
    /// it, as most runtimes never do (registering it at once was an eighth of a further
    /// runtime's load); at once in a runtime restored from a saved snapshot, whose Python
    /// may hold the module already. On failure the runtime is disposed; no memory for the
    /// module means the memory limit is too small to start.</summary>
    private void StartMicropip(PyodideOptions options)
    {
        _micropip = new MicropipHost(_packages, options.MicropipTimeout);
        _micropip.SetIndexUrls(options.MicropipIndexUrls);
        var functions = ManagedHostFunction.ListOf(_micropip.Functions);
        if (options.Snapshot == null)
        {
            _hostModules.Defer(MicropipHost.ModuleName, functions, null);
            return;
        }
        try
        {
            RegisterModule(MicropipHost.ModuleName, functions, null, null);
        }
        catch (Exception e)
        {
            Dispose();
            if (e is PythonException { PythonType: "MemoryError" })
                throw new PyodideException(PyodideErrorKind.Limit,
                    $"Python could not start within the memory limit of {options.MemoryLimit} bytes (no memory for micropip's host module)", e);
            throw;
        }
    }

    /// <summary>Sets the package indexes the guest's <c>micropip</c> may use, in order
    /// (see <see cref="PyodideOptions.MicropipIndexUrls"/>); replaces the previous ones.</summary>
    /// <exception cref="ArgumentException">A URL that is not an http(s)/file URL or a path.</exception>
    public void SetIndexUrls(IEnumerable<string> urls)
    {
        ArgumentNullException.ThrowIfNull(urls);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        _micropip.SetIndexUrls(urls.ToList());
    }

    /// <summary>The package indexes micropip may use, as directories.</summary>
    public IReadOnlyList<string> IndexUrls => _micropip.IndexUrls;

    /// <summary>As Python's <c>await micropip.install(requirements)</c>: resolves the
    /// requirements (PEP 508 strings such as <c>"attrs&gt;=22"</c>) and their dependencies
    /// against the lock-file index (<see cref="PyodideOptions.IndexUrl"/>, which keeps
    /// priority for the names it has) and the micropip indexes
    /// (<see cref="PyodideOptions.MicropipIndexUrls"/>), then downloads, checks and installs
    /// the pure-Python wheels chosen, atomically as <see cref="LoadPackage(IEnumerable{string}, Action{string}?, Action{string}?)"/>.</summary>
    /// <param name="requirements">Requirement strings.</param>
    /// <param name="onMessage">Receives each step ("Downloading attrs from …", "Loaded attrs from …").</param>
    /// <exception cref="PythonException">ValueError: a requirement cannot be met (the message names
    /// the conflict, or why each file was refused); OSError: a file could not be fetched, did not
    /// match its hash, or is not a safe pure-Python wheel. Nothing is installed then.</exception>
    /// <exception cref="ArgumentException">A null or empty requirement.</exception>
    public void Install(IEnumerable<string> requirements, Action<string>? onMessage = null)
    {
        ArgumentNullException.ThrowIfNull(requirements);
        var list = requirements.ToList();
        for (int i = 0; i < list.Count; i++)
            if (string.IsNullOrWhiteSpace(list[i])) throw new ArgumentException($"requirements[{i}] is null or empty", nameof(requirements));
        using var scope = ToPy(new Dictionary<string, object?>()); // not the user's globals
        using var install = (PyProxy)RunPython("import micropip._install\nmicropip._install._install_now", scope)!;
        var previous = _micropip.Messages;
        _micropip.Messages = onMessage;
        try
        {
            install.Call(list);
        }
        finally
        {
            _micropip.Messages = previous;
        }
    }

    /// <summary><see cref="Install"/> on a thread-pool thread. The callback runs on that thread.</summary>
    public Task InstallAsync(IEnumerable<string> requirements, Action<string>? onMessage = null)
    {
        ArgumentNullException.ThrowIfNull(requirements);
        var list = requirements.ToList();
        return Task.Run(() => Install(list, onMessage));
    }
}
