using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Pyodide.Guest;
using Pyodide.Operations;
using Wasmtime;

namespace Pyodide;

/// <summary>One sandboxed Python interpreter. Usable from any thread, one call at a
/// time (calls are serialized); separate runtimes share nothing and run in parallel.</summary>
public sealed partial class PyodideRuntime : IDisposable
{
    /// <summary>The library's version (PYODIDE_VERSION of include/pyodide.h).</summary>
    public const string Version = HeaderVersion.Text;

    private readonly CallGate _gate = new();
    private readonly string _root; // the runtime's home on the host: its Python's /
    private readonly GuestFiles _files; // the host's answers to the guest's stats, reads and listings; owns fds
    private readonly ConcurrentQueue<uint> _orphans = new();
    // How many handles _orphans holds: read by every outermost call, which is cheaper
    // than asking the queue (perf of a C call loop: ~1 % of a call).
    private int _orphanCount;
    private GuestInstance? _guest;

    private PyProxy? _globals;

    private double _timeoutSeconds;

    private readonly HostModuleRegistry _hostModules;

    private PyodideRuntime(GuestInstance guest, string root, GuestFiles files, double timeoutSeconds, HostModuleRegistry hostModules,
                           byte[] wasmSha256, int mountCount)
    {
        _guest = guest;
        _root = root;
        _files = files;
        _timeoutSeconds = timeoutSeconds;
        _hostModules = hostModules;
        _wasmSha256 = wasmSha256;
        _mountCount = mountCount;
        StartedFromSnapshot = guest.Restored;
        StartedFromSnapshotFile = guest.RestoredFromFile;
    }

    /// <summary>Whether the interpreter was restored from a snapshot rather than started
    /// in full (for tests and benchmarks).</summary>
    internal bool StartedFromSnapshot { get; }

    /// <summary>The runtime's host objects; use inside a call (the lock held).</summary>
    internal HostObjectRegistry HostObjects => _hostModules.Objects;

    /// <summary>Inside a call: a FATAL error if the interpreter died, before a host object is
    /// given an id it could never be finalized for (a dead guest makes no Python object).</summary>
    internal void ThrowIfGuestDead() => _guest?.ThrowIfDead();

    private static double Seconds(TimeSpan? timeout)
    {
        if (timeout is not { } t) return 0;
        if (t <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), "a timeout must be positive");
        return t.TotalSeconds;
    }

    /// <summary>For the C ABI: the default deadline in seconds (0, or anything past
    /// ~30 years, = none).</summary>
    internal double TimeoutSeconds
    {
        set
        {
            if (!double.IsFinite(value) || value < 0) throw new ArgumentException($"timeout_s is {value}; it must be a finite number >= 0");
            Volatile.Write(ref _timeoutSeconds, value);
        }
    }

    /// <summary>The default deadline of each call (null = none); see <see cref="PyodideOptions.Timeout"/>.</summary>
    public TimeSpan? Timeout
    {
        get => _timeoutSeconds > 0 ? TimeSpan.FromSeconds(_timeoutSeconds) : null;
        set => Volatile.Write(ref _timeoutSeconds, Seconds(value));
    }

    /// <summary>From any thread: makes the call running on this runtime raise
    /// KeyboardInterrupt (within about a millisecond for Python code), and stops it
    /// hard if it ignores that for 100 ms (a LIMIT error; the runtime dies). Does
    /// nothing when no call is running or the runtime is disposed.</summary>
    public void Interrupt()
    {
        Volatile.Read(ref _guest)?.Interrupt();
        InterruptWait(); // or a host-side wait for an awaitable, between calls
    }

    /// <summary>From any thread: delivers signal <paramref name="signum"/> (Linux's numbers:
    /// SIGINT 2, SIGTERM 15, ...) to Python as the system delivers one to python3, when
    /// Python set a handler of its own for it with <c>signal.signal</c>: the handler runs at
    /// the interpreter's next check (within about a millisecond for Python code) in the
    /// call running, or else in the next call, and nothing is stopped hard. A read of
    /// sys.stdin whose input fails while a signal is delivered runs the handler and reads
    /// again, as python3's read does after EINTR. Otherwise nothing is done, and the answer
    /// says what Python would do, for the host to do it: SIGINT's own handler
    /// (<c>signal.default_int_handler</c>) is <see cref="PyodideSignalAction.Default"/>, for
    /// which <see cref="Interrupt"/> raises its KeyboardInterrupt.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="signum"/> is not a signal Python knows.</exception>
    /// <exception cref="ObjectDisposedException">The runtime is disposed.</exception>
    /// <exception cref="PyodideException">The runtime is dead (<see cref="PyodideErrorKind.Fatal"/>).</exception>
    public PyodideSignalAction Signal(int signum)
    {
        var guest = Volatile.Read(ref _guest) ?? throw new ObjectDisposedException(nameof(PyodideRuntime));
        return guest.Signal(signum);
    }

    /// <summary>Starts an interpreter.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="PyodideException">The assets cannot be loaded (<see cref="PyodideErrorKind.IO"/>).</exception>
    public static PyodideRuntime Load(PyodideOptions? options = null)
    {
        options ??= new PyodideOptions();
        var packageIndex = Packages.PackageManager.CheckOptions(options);
        string assets = Path.GetFullPath(options.AssetDir ?? PyodideOptions.DefaultAssetDir);
        string wasm = Path.Combine(assets, "python.wasm");
        string lib = Path.Combine(assets, "lib");
        if (!File.Exists(wasm) || !Directory.Exists(lib))
            throw new PyodideException(PyodideErrorKind.IO, $"no Python assets in {assets} (python.wasm and lib/ expected)");

        var streams = new GuestStreams(options);
        // No WASI stdout or stderr: sys.stdout/sys.stderr reach the handlers through
        // the bridge's write import, and what C code or os.write puts on fds 1 and 2
        // through its write_fd import (src/guest/bridge/stdio.c).
        var wasi = new WasiConfiguration()
            .WithArg("python")
            // The sandbox's one user (getpass.getuser(); cpython-patches/wasi-user-ids.patch
            // gives its ids), and nothing of the host's environment.
            .WithEnvironmentVariable("HOME", "/home/pyodide")
            .WithEnvironmentVariable("LOGNAME", "pyodide")
            .WithEnvironmentVariable("USER", "pyodide");
        foreach (var mount in options.Mounts)
        {
            if (!Path.IsPathFullyQualified(mount.HostPath) || !Directory.Exists(mount.HostPath))
                throw new ArgumentException($"mount host path '{mount.HostPath}' is not an existing absolute directory");
            if (!mount.GuestPath.StartsWith('/') || mount.GuestPath.TrimEnd('/') is "" or "/lib" or "/home/pyodide")
                throw new ArgumentException($"mount guest path '{mount.GuestPath}' must be absolute and not /, /lib or /home/pyodide");
        }
        if (options.Snapshot is { Length: 0 }) throw new ArgumentException("the snapshot path is empty");

        bool guarded = !options.Unguarded;
        Module module = GuestModule.Get(wasm, guarded);
        byte[] wasmSha256 = GuestModule.Sha256(wasm);
        var saved = options.Snapshot != null ? SnapshotFile.OpenCached(options.Snapshot, wasmSha256) : null;
        string root = RuntimeHomes.Take();
        string home = RuntimeHomes.PythonHome(root);
        GuestFiles? files = null;
        try
        {
            // The preopens every snapshot knows come first (GuestSnapshot.PreopenCount),
            // then this runtime's mounts; GuestFiles preopens them in WASI and keeps their
            // numbering.
            files = new GuestFiles(StdlibArchive.In(lib), wasi,
                [("/lib", lib, false), ("/home/pyodide", home, true), ("/", root, true),
                 .. options.Mounts.Select(m => (m.GuestPath, m.HostPath, !m.ReadOnly))]);
            var savedPackages = saved != null ? SnapshotState.Read(saved.Extra, root, options.Snapshot!) : null;
            MakeMountPoints(root, options.Mounts);
            double timeout = Seconds(options.Timeout);
            var hostModules = new HostModuleRegistry();
            var guest = StartGuest(module, guarded, wasi, options, saved?.Memory, Path.Combine(assets, BuiltInSnapshotName),
                                   wasmSha256, streams, hostModules, files);
            var runtime = new PyodideRuntime(guest, root, files, timeout, hostModules, wasmSha256, options.Mounts.Count);
            runtime._packages = new Packages.PackageManager(runtime, home, packageIndex, options.PackageCacheDir);
            if (savedPackages != null) runtime._packages.RestoreLoaded(savedPackages);
            hostModules.Runtime = runtime;
            runtime.StartMicropip(options);
            return runtime;
        }
        catch
        {
            files?.Dispose();
            RuntimeHomes.GiveBack(root);
            throw;
        }
    }

    /// <summary>Makes an empty directory in the runtime's root (<paramref name="root"/>) where
    /// each mount is, so that a listing of its parent in Python shows it, as on Linux. The
    /// mount works without it: one that cannot be made (a file of a snapshot's there), or
    /// whose path is not plain, is left out.
    /// A read-only mount at <c>/tmp</c> (pyodide-run mounts a script's own directory, and
    /// scripts are often kept in the host's /tmp) hides the runtime's own; then
    /// <c>/var/tmp</c> is made too, the next place <c>tempfile</c> tries.</summary>
    private static void MakeMountPoints(string root, IReadOnlyList<PyodideMount> mounts)
    {
        foreach (var mount in mounts)
        {
            string guestPath = mount.GuestPath.TrimEnd('/');
            if (!GuestFiles.IsPlainAbsolute(guestPath)) continue;
            MakeDirectory(guestPath);
            if (guestPath == "/tmp" && mount.ReadOnly) MakeDirectory("/var/tmp");
        }

        void MakeDirectory(string guestPath)
        {
            try { Directory.CreateDirectory(Path.Combine(root, guestPath[1..])); } catch (IOException) { }
        }
    }

    /// <summary>Starts the interpreter: from <paramref name="saved"/> (a snapshot file the
    /// options name) if given; else from the built-in snapshot baked beside python.wasm
    /// (<paramref name="builtIn"/>) or, if that is missing or stale, from one this process
    /// captures from its first runtime; in full when snapshots are off or the memory limit
    /// is smaller than the snapshot.</summary>
    private static GuestInstance StartGuest(Module module, bool guarded, WasiConfiguration wasi, PyodideOptions options,
                                            GuestSnapshot? saved, string builtIn, byte[] wasmSha256,
                                            GuestStreams streams, HostModuleRegistry hostModules,
                                            GuestFiles files)
    {
        ulong limit = options.MemoryLimit;
        GuestInstance Start(GuestInstance.Start how = default) =>
            new(module, guarded, wasi, limit, streams, hostModules, files, how);
        bool Fits(GuestSnapshot snapshot) => limit == 0 || (ulong)snapshot.MemoryLength <= limit;
        if (saved != null)
        {
            if (!Fits(saved))
                throw new PyodideException(PyodideErrorKind.Limit,
                    $"the snapshot {options.Snapshot} needs {saved.MemoryLength} bytes of memory, more than the memory limit of {limit} bytes");
            return Start(new(RestoreFrom: saved));
        }
        if (!UseSnapshots) return Start();
        if (BuiltInSnapshot(builtIn, wasmSha256) is { } baked)
            return Fits(baked) ? Start(new(RestoreFrom: baked)) : Start();

        var snapshot = GuestSnapshot.For(module, mayRecord: options.Mounts.Count == 0, out bool record);
        if (snapshot != null && Fits(snapshot))
            return Start(new(RestoreFrom: snapshot));
        if (!record) return Start();

        GuestInstance guest;
        try
        {
            guest = Start(new(Capture: true));
        }
        catch
        {
            GuestSnapshot.Publish(module, null, failed: true);
            throw;
        }
        GuestSnapshot.Publish(module, guest.Captured);
        return guest;
    }

    /// <summary><c>PYODIDE_NO_SNAPSHOT=1</c> starts every interpreter in full: to compare,
    /// or to rule snapshots out when chasing a problem.</summary>
    private static bool UseSnapshots => Environment.GetEnvironmentVariable("PYODIDE_NO_SNAPSHOT") is not ("1" or "true");

    /// <summary>Whether <see cref="Dispose"/> ran.</summary>
    public bool IsDisposed => Volatile.Read(ref _guest) == null;

    /// <summary>The runtime's globals (<c>__main__</c>'s namespace). Owned by the runtime.</summary>
    public PyProxy Globals
    {
        get
        {
            using var call = Enter(); // once disposed this throws; the lock makes one proxy
            return _globals ??= GuestOps.Globals(this, ownedByRuntime: true);
        }
    }

    /// <summary><see cref="RunPython(string, PyProxy?, TimeSpan?)"/> with a typed result: a
    /// long, int, double or bool result is returned without allocating.</summary>
    /// <exception cref="InvalidCastException">The result is not a <typeparamref name="T"/>.</exception>
    public T RunPython<T>(string code, PyProxy? globals = null, TimeSpan? timeout = null)
    {
        var result = new TypedResult<T>();
        GuestOps.Run(this, new ManagedText(code), globals, timeout is null ? null : Seconds(timeout), ref result);
        return result.Value;
    }

    /// <summary>Pyodide 0.17's deprecated <c>pyimport</c>: the global <paramref name="name"/> of
    /// <c>__main__</c> (a <see cref="PythonException"/> KeyError if missing).</summary>
    [Obsolete("As in Pyodide: use Globals[name].")]
    public object? PyImport(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Globals[name];
    }

    /// <summary>A new proxy of the guest's <c>pyodide</c> package (Pyodide 0.17's <c>pyodide_py</c>).</summary>
    public PyProxy PyodidePy() => (PyProxy)RunPython("import pyodide\npyodide")!;

    /// <summary>Runs Python source as Pyodide's runPython does: the value of a final
    /// expression is the result, otherwise null.</summary>
    /// <param name="code">Python source.</param>
    /// <param name="globals">A dict to run in; null = <see cref="Globals"/>.</param>
    /// <returns>null, bool, long, double, string, byte[] or a <see cref="PyProxy"/> (the caller's to dispose).</returns>
    /// <param name="timeout">This call's deadline, instead of <see cref="Timeout"/>.</param>
    public object? RunPython(string code, PyProxy? globals = null, TimeSpan? timeout = null)
    {
        var result = new ManagedResult();
        GuestOps.Run(this, new ManagedText(code), globals, timeout is null ? null : Seconds(timeout), ref result);
        return result.Value;
    }

    /// <summary>A Python object built from a .NET value, as Pyodide's <c>toPy</c>:
    /// lists become lists, dictionaries dicts, scalars their Python equivalents.</summary>
    /// <param name="value">The value; a <see cref="PyProxy"/> of this runtime passes through.</param>
    /// <param name="depth">How many container levels may be converted (-1: no limit); a
    /// deeper value is an <see cref="ArgumentException"/>, since host data has no proxy form.</param>
    public PyProxy ToPy(object? value, int depth = -1)
    {
        if (depth < -1) throw new ArgumentOutOfRangeException(nameof(depth), "depth must be -1 (unlimited) or >= 0");
        return GuestOps.ToPy(this, new ManagedArgs(value), depth);
    }

    /// <summary>Bytes of linear memory the interpreter has grown to.</summary>
    public ulong MemorySize
    {
        get
        {
            using var call = Enter();
            return call.Guest.MemorySize;
        }
    }

    private int _internalObjects;

    /// <summary>Called for each proxy the runtime keeps for itself (globals, the event
    /// loop's functions): they are not held for the host.</summary>
    internal void CountInternalObject() => Interlocked.Increment(ref _internalObjects);

    /// <summary>A runtime-owned second proxy of <paramref name="proxy"/>'s object.</summary>
    internal PyProxy Own(PyProxy proxy) => GuestOps.Copy(proxy, ownedByRuntime: true);

    /// <summary>Guest objects held for the host (proxies, buffers), not counting the
    /// runtime's own: what pyodide_stats reports.</summary>
    internal uint HostHeldObjects
    {
        get
        {
            using var call = Enter();
            return call.Guest.HandleCount() - (uint)Volatile.Read(ref _internalObjects);
        }
    }

    /// <summary>Live guest handles: for leak checks.</summary>
    internal uint LiveHandles
    {
        get
        {
            using var call = Enter();
            return call.Guest.HandleCount();
        }
    }

    /// <summary>Whether the current thread is inside a call on this runtime (or holds its
    /// lock for another reason).</summary>
    internal bool IsLockedByCurrentThread => _gate.IsHeldByCurrentThread;

    /// <summary>Takes the runtime's lock while host code writes into its home (a package
    /// install; the caller exits it): a disposal, which may give the home to another
    /// runtime (<see cref="RuntimeHomes"/>), waits for the writes, and none begins after it.</summary>
    /// <exception cref="ObjectDisposedException">The runtime was disposed.</exception>
    internal CallGate LockHome()
    {
        EnterGate();
        return _gate;
    }

    /// <summary>Takes the runtime's lock (re-entrant: host functions and output handlers
    /// may call back in) and returns the live guest; if the runtime was disposed, lets the
    /// lock go and throws.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private GuestInstance EnterGate()
    {
        _gate.Enter();
        var guest = _guest;
        if (guest != null) return guest;
        _gate.Exit();
        throw new ObjectDisposedException(nameof(PyodideRuntime), "the runtime was destroyed");
    }

    /// <summary>Takes the runtime's lock for one call into the guest.</summary>
    /// <exception cref="ObjectDisposedException">The runtime was disposed.</exception>
    /// <exception cref="InvalidOperationException">Called from inside a call on the same runtime (an output handler).</exception>
    /// <param name="timeoutSeconds">This call's deadline in seconds; null = the runtime's default.</param>
    internal CallScope Enter(double? timeoutSeconds = null)
    {
        var guest = EnterGate();
        try
        {
            if (guest.InLowLevelOutput)
                throw new InvalidOperationException("a handler of output written below sys.stdout (os.write, C code) may not call into its runtime: that output can come in the middle of the interpreter's own work");
            guest.BeginCall(timeoutSeconds ?? Volatile.Read(ref _timeoutSeconds));
        }
        catch
        {
            _gate.Exit();
            throw;
        }
        if (guest.CallDepth == 1 && Volatile.Read(ref _orphanCount) != 0) ReleaseOrphans(guest);
        return new CallScope(this, guest);
    }

    private void ReleaseOrphans(GuestInstance guest)
    {
        while (!guest.IsDead && _orphans.TryDequeue(out uint handle))
        {
            Interlocked.Decrement(ref _orphanCount);
            try { guest.Release(handle); } catch (PyodideException) { }
        }
    }

    internal ref struct CallScope
    {
        private readonly PyodideRuntime _owner;
        public readonly GuestInstance Guest;

        internal CallScope(PyodideRuntime owner, GuestInstance guest)
        {
            _owner = owner;
            Guest = guest;
        }

        public void Dispose()
        {
            Guest.EndCall();
            _owner._gate.Exit();
        }
    }

    /// <summary>A proxy was finalized without being disposed: its handle is released
    /// at the start of the next call, on a thread that holds the lock.</summary>
    internal void Orphan(uint handle)
    {
        _orphans.Enqueue(handle);
        Interlocked.Increment(ref _orphanCount);
    }

    /// <summary>Frees the interpreter and its home directory. Proxies of this runtime
    /// then throw <see cref="ObjectDisposedException"/>. Idempotent. Ignored on the
    /// process-wide default runtime, which lives until the process exits.</summary>
    public void Dispose()
    {
        if (IsProcessDefault) return;
        _gate.Enter();
        try
        {
            var guest = _guest;
            if (guest == null) return;
            if (guest.CallDepth > 0) throw new InvalidOperationException("cannot destroy a runtime from inside one of its calls");
            Volatile.Write(ref _guest, null);
            guest.Dispose();
            _files.Dispose();
            _hostModules.FinalizeAll();
        }
        finally
        {
            _gate.Exit();
        }
        RuntimeHomes.GiveBack(_root);
    }
}
