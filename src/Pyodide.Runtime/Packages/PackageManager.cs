namespace Pyodide.Packages;

/// <summary>loadPackage for one runtime (Pyodide 0.17 semantics): resolves names
/// through the index's lock file (dependencies first, each once), fetches and
/// checks every file, unpacks each wheel into staging, then moves them into the
/// runtime's site-packages and tells Python's import system.
///
/// The phases keep failures clean: an unknown name, an unreachable file, a bad
/// checksum or a bad wheel stops the load before anything is installed. Only a
/// failure while moving files into place (a full disk) can leave the packages
/// moved before it installed; they are then recorded as loaded.</summary>
internal sealed class PackageManager
{
    private readonly PyodideRuntime _runtime;
    private readonly string _home;
    private readonly PackageIndex? _index;
    private readonly PackageCache _cache;
    private readonly Lock _loadGate = new();
    private readonly Lock _loadedGate = new();
    private readonly Dictionary<string, string> _loaded = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _loadedSha256 = new(StringComparer.Ordinal);

    public PackageManager(PyodideRuntime runtime, string home, PackageIndex? index, string? cacheDirectory)
    {
        _runtime = runtime;
        _home = home;
        _index = index;
        _cache = new PackageCache(cacheDirectory ?? PackageCache.DefaultDirectory);
    }

    /// <summary>Checks the package options before a runtime is made.</summary>
    /// <exception cref="ArgumentException">A bad index URL, micropip index URL, micropip timeout or cache directory.</exception>
    public static PackageIndex? CheckOptions(PyodideOptions options)
    {
        if (options.PackageCacheDir is { } cache && (cache.Length == 0 || cache.Contains('\0')))
            throw new ArgumentException($"PackageCacheDir '{cache}' is not a valid path");
        if (options.MicropipTimeout <= TimeSpan.Zero) throw new ArgumentException("MicropipTimeout must be positive");
        foreach (string url in options.MicropipIndexUrls ?? throw new ArgumentException("MicropipIndexUrls is null"))
            PackageLocation.Parse(url, "the micropip index URL");
        return options.IndexUrl == null ? null : PackageIndex.Parse(options.IndexUrl);
    }

    /// <summary>Where downloads are kept.</summary>
    public PackageCache Cache => _cache;

    /// <summary>The host directory Python sees as /home/pyodide/site-packages.</summary>
    public string SitePackages => RuntimeHomes.SitePackages(_home);

    public IReadOnlyDictionary<string, string> Loaded
    {
        get
        {
            lock (_loadedGate) return new Dictionary<string, string>(_loaded, StringComparer.Ordinal);
        }
    }

    /// <summary>Normalized name → (source, sha256 of the wheel) of each loaded package.</summary>
    public IReadOnlyDictionary<string, (string Source, string Sha256)> LoadedWithHashes
    {
        get
        {
            lock (_loadedGate) return _loaded.ToDictionary(p => p.Key, p => (p.Value, _loadedSha256[p.Key]), StringComparer.Ordinal);
        }
    }

    /// <summary>In a runtime started from a saved snapshot: the packages the saving runtime
    /// had loaded (their files came with the snapshot's home directory).</summary>
    public void RestoreLoaded(IEnumerable<(string Name, string Source, string Sha256)> packages)
    {
        lock (_loadedGate)
        {
            foreach (var (name, source, sha256) in packages)
            {
                _loaded[name] = source;
                _loadedSha256[name] = sha256;
            }
        }
    }

    /// <summary>Forgets that a package is loaded (micropip.uninstall removed its files).</summary>
    public void Forget(string name)
    {
        lock (_loadedGate)
        {
            _loaded.Remove(name);
            _loadedSha256.Remove(name);
        }
    }

    /// <summary>The lock-file index's entry for a normalized name, or null (also without an index).</summary>
    public LockEntry? LockEntry(string name) =>
        _index != null && _index.Read().Packages.TryGetValue(name, out var entry) ? entry : null;

    /// <summary>The lock-file index, if one is configured.</summary>
    public PackageIndex? Index => _index;

    internal sealed record Planned(string Name, PackageLocation Source, string? Sha256, string FileName);

    /// <summary>The wheel of a lock-file entry, checked to be pure Python.</summary>
    internal Planned FromLock(LockEntry entry)
    {
        if (entry.InstallDir == "dynlib")
            throw WheelInstaller.PureOnly(entry.Name, $"{entry.FileName} is a shared library (install_dir \"dynlib\")");
        var source = _index!.Directory.Resolve(entry.FileName, $"package {entry.Name}: file_name");
        var wheel = new Planned(entry.Name, source, entry.Sha256, source.FileName);
        CheckTags(wheel);
        return wheel;
    }

    /// <summary>Installs wheels a resolver chose (micropip), as one load: fetched and
    /// checked first, then unpacked and moved into place.</summary>
    internal void InstallResolved(IReadOnlyList<Planned> plan, Action<string> message, PackageHttp.Policy policy)
    {
        foreach (var wheel in plan) CheckTags(wheel);
        var gate = EnterLoad();
        try
        {
            Install(plan.ToList(), message, policy);
        }
        finally
        {
            gate.Exit();
        }
    }

    /// <summary>loadPackage: <paramref name="names"/> are package names or wheel paths/URLs.</summary>
    public void Load(IReadOnlyList<string> names, Action<string>? onMessage, Action<string>? onError)
    {
        Action<string> message = onMessage ?? (_ => { });
        var gate = EnterLoad();
        try
        {
            var plan = Resolve(names, message);
            if (plan.Count == 0)
            {
                message("No new packages to load");
                return;
            }
            Install(plan, message, PackageHttp.Default);
        }
        catch (PyodideException e) when (e.Kind == PyodideErrorKind.IO)
        {
            onError?.Invoke(e.Message);
            throw;
        }
        finally
        {
            gate.Exit();
        }
    }

    /// <summary>loadPackagesFromImports: the packages of the index whose <c>imports</c>
    /// hold the top-level modules <paramref name="code"/> imports; others are ignored.</summary>
    public void LoadFromImports(string code, Action<string>? onMessage, Action<string>? onError)
    {
        var imports = FindImports(code);
        if (imports.Count == 0 || _index == null) return;
        LockFile lockFile;
        try
        {
            lockFile = _index.Read();
        }
        catch (PyodideException e) when (e.Kind == PyodideErrorKind.IO)
        {
            onError?.Invoke(e.Message);
            throw;
        }
        var packages = new List<string>();
        foreach (string import in imports)
            if (lockFile.ImportToPackage.TryGetValue(import, out var package) && !packages.Contains(package))
                packages.Add(package);
        if (packages.Count > 0) Load(packages, onMessage, onError);
    }

    /// <summary><c>pyodide.find_imports(code)</c> in the guest.</summary>
    private List<string> FindImports(string code)
    {
        using var scope = _runtime.ToPy(new Dictionary<string, object?>()); // not the user's globals
        using var find = (PyProxy)_runtime.RunPython("import pyodide\npyodide.find_imports", scope)!;
        var result = find.Call(code);
        using var list = result as PyProxy;
        if (list?.ToManaged() is not List<object?> items)
            throw new PyodideException(PyodideErrorKind.Fatal, "pyodide.find_imports did not return a list");
        return items.OfType<string>().ToList();
    }

    /// <summary>Takes the load lock (the caller exits it), after refusing a load from a
    /// package-loading callback and checking the runtime could be called now (not
    /// disposed, not dead, not from a thread that may not call in), so it is not found
    /// out after installing. A load takes the runtime's lock after the load lock (to write
    /// into the home, <see cref="Install"/>), while a thread inside a call on the runtime
    /// (micropip's install, run from Python) holds the runtime's lock already: such a
    /// thread does not wait for a load on another thread, which would wait for it; it
    /// fails instead.</summary>
    private Lock EnterLoad()
    {
        if (_loadGate.IsHeldByCurrentThread)
            throw new InvalidOperationException("the runtime is busy: a package-loading callback may not load packages");
        using (_runtime.Enter()) { }
        if (!_runtime.IsLockedByCurrentThread)
            _loadGate.Enter();
        else if (!_loadGate.TryEnter())
            throw new InvalidOperationException("the runtime is busy: another thread is loading packages into it, and a call into the runtime cannot wait for that load");
        return _loadGate;
    }

    private List<Planned> Resolve(IReadOnlyList<string> names, Action<string> message)
    {
        var plan = new List<Planned>();
        var planned = new Dictionary<string, Planned>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var loaded = Loaded;

        // Wheels named directly come first: they override the index's package of that name.
        foreach (string raw in names)
        {
            if (!PackageNames.IsWheelReference(raw)) continue;
            var wheel = DirectWheel(raw);
            if (planned.TryGetValue(wheel.Name, out var other))
            {
                if (other.Source.ToString() != wheel.Source.ToString())
                    throw new PyodideException(PyodideErrorKind.IO,
                        $"loading the same package {wheel.Name} from {wheel.Source} and {other.Source}");
                continue;
            }
            seen.Add(wheel.Name);
            if (loaded.TryGetValue(wheel.Name, out var from))
            {
                if (from != wheel.Source.ToString())
                    throw new PyodideException(PyodideErrorKind.IO,
                        $"URI mismatch: package {wheel.Name} is already loaded from {from}, cannot load it from {wheel.Source}; " +
                        "to override a dependency, load the custom package first");
                message($"{wheel.Name} already loaded from {from}");
                continue;
            }
            planned[wheel.Name] = wheel;
            plan.Add(wheel);
        }

        LockFile? lockFile = null;
        foreach (string raw in names)
        {
            if (PackageNames.IsWheelReference(raw)) continue;
            string name = PackageNames.Normalize(raw);
            if (name.Length == 0) throw new ArgumentException($"'{raw}' is not a package name");
            if (_index == null)
                throw new PyodideException(PyodideErrorKind.IO,
                    $"cannot load package '{raw}': no package index is configured (index_url / PyodideOptions.IndexUrl)");
            lockFile ??= _index.Read();
            if (!lockFile.Packages.ContainsKey(name))
                throw new PyodideException(PyodideErrorKind.IO, $"no package named '{raw}' in the package index {_index.Url}");
            Visit(name);
        }
        return plan;

        void Visit(string name)
        {
            if (!seen.Add(name)) return;
            if (loaded.TryGetValue(name, out var from))
            {
                // As in Pyodide 0.17: a loaded package's dependencies are not looked at again.
                message($"{name} already loaded from {from}");
                return;
            }
            var entry = lockFile!.Packages[name];
            foreach (string dependency in entry.Depends) Visit(dependency);
            var wheel = FromLock(entry);
            planned[name] = wheel;
            plan.Add(wheel);
        }
    }

    private static Planned DirectWheel(string raw)
    {
        string text = raw.Trim();
        string? sha = null;
        int hash = text.IndexOf("#sha256=", StringComparison.OrdinalIgnoreCase);
        if (hash >= 0)
        {
            sha = text[(hash + 8)..].ToLowerInvariant();
            if (!PackageNames.IsSha256(sha)) throw new ArgumentException($"'{raw}': the #sha256= fragment is not 64 hexadecimal digits");
            text = text[..hash];
        }
        var source = PackageLocation.Parse(text, "the wheel");
        string fileName = source.FileName;
        var tags = PackageNames.ParseWheel(fileName)
                   ?? throw new PyodideException(PyodideErrorKind.IO,
                       $"'{raw}' is not a wheel file name (name-version-python-abi-platform.whl)");
        var wheel = new Planned(PackageNames.Normalize(tags.Name), source, sha, fileName);
        CheckTags(wheel);
        return wheel;
    }

    private static void CheckTags(Planned wheel)
    {
        if (PackageNames.ParseWheel(wheel.FileName) is { IsPure: false } tags)
            throw WheelInstaller.PureOnly(wheel.Name, $"{wheel.FileName} is built for {tags.Tag}");
    }

    // pyodide._packages.invalidate_caches (in the guest): importlib's, minus
    // re-reading the read-only stdlib zip's directory, half the time of a load.
    private const string InvalidateSource = "import pyodide._packages\npyodide._packages.invalidate_caches";

    private PyProxy? _invalidate; // the function above, made once per runtime (under the load lock)

    /// <summary>Makes Python's import system see what was just installed.</summary>
    private void InvalidateImportCaches()
    {
        if (_invalidate == null)
        {
            // In a namespace of its own: nothing appears in the user's globals.
            using var scope = _runtime.ToPy(new Dictionary<string, object?>());
            _invalidate = (PyProxy)_runtime.RunPython(InvalidateSource, scope)!;
        }
        _invalidate.Call();
    }

    private void Install(List<Planned> plan, Action<string> message, PackageHttp.Policy policy)
    {
        // 1. Fetch and check every file.
        var files = new List<string>(plan.Count);
        foreach (var package in plan)
        {
            message($"Loading {package.Name}");
            files.Add(_cache.Fetch(package.Name, package.Source, package.Sha256, url => message($"Downloading {package.Name} from {url}"), policy));
        }
        // The rest writes into the runtime's home: under its lock, so a runtime disposed
        // meanwhile is found out before anything is written, and a disposal (which may
        // give the home to another runtime: RuntimeHomes) waits for the writes.
        var home = _runtime.LockHome();
        try
        {
            Unpack(plan, files);
        }
        finally
        {
            home.Exit();
        }
        for (int i = 0; i < plan.Count; i++) message($"Loaded {plan[i].Name} from {plan[i].Source}");
    }

    /// <summary>Steps 2 to 4 of <see cref="Install"/>: <paramref name="files"/> are the
    /// checked wheels of <paramref name="plan"/>.</summary>
    private void Unpack(List<Planned> plan, List<string> files)
    {
        string site = SitePackages;
        string staging = Path.Combine(_home, $".pyodide-unpack-{Guid.NewGuid():N}");
        var installed = new List<string>();
        bool completed = false;
        try
        {
            // 2. Unpack each into staging; check nothing would land on a symbolic link.
            try
            {
                if (new DirectoryInfo(site).LinkTarget != null)
                    throw new PyodideException(PyodideErrorKind.IO, "/home/pyodide/site-packages is a symbolic link; refusing to install through it");
                Directory.CreateDirectory(site);
                Directory.CreateDirectory(staging);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new PyodideException(PyodideErrorKind.IO, $"cannot prepare {site}: {e.Message}", e);
            }
            var stages = new List<string>(plan.Count);
            for (int i = 0; i < plan.Count; i++)
            {
                string stage = Path.Combine(staging, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                Directory.CreateDirectory(stage);
                WheelInstaller.Unpack(plan[i].Name, files[i], stage);
                WheelInstaller.CheckTargets(plan[i].Name, stage, site);
                stages.Add(stage);
            }

            // 3. Move into place, package by package.
            for (int i = 0; i < plan.Count; i++)
            {
                try
                {
                    WheelInstaller.MoveInto(stages[i], site);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    string kept = installed.Count == 0 ? "nothing was installed" : $"installed before it and kept: {string.Join(", ", installed)}";
                    throw new PyodideException(PyodideErrorKind.IO, $"package {plan[i].Name}: moving it into site-packages failed ({kept}): {e.Message}", e);
                }
                string source = plan[i].Source.ToString();
                string sha256 = plan[i].Sha256 ?? PackageCache.HashFile(files[i], plan[i].Name);
                lock (_loadedGate)
                {
                    _loaded[plan[i].Name] = source;
                    _loadedSha256[plan[i].Name] = sha256;
                }
                installed.Add(plan[i].Name);
            }
            completed = true;
        }
        finally
        {
            try { if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            // 4. Let Python find what was installed (even when a later package failed;
            // then the failure is what the caller hears about).
            if (installed.Count > 0)
            {
                try
                {
                    InvalidateImportCaches();
                }
                catch (Exception) when (!completed)
                {
                }
            }
        }
    }
}
