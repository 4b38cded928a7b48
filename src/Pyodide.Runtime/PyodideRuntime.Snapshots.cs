using Pyodide.Guest;

namespace Pyodide;

/// <summary>Snapshot files: <see cref="SaveSnapshot"/> writes one, <see cref="PyodideOptions.Snapshot"/>
/// starts a runtime from one, and the built-in one (baked by the build) starts every
/// other runtime.</summary>
public sealed partial class PyodideRuntime
{
    /// <summary>The built-in snapshot's file name, beside python.wasm.</summary>
    internal const string BuiltInSnapshotName = "python.snapshot";

    private readonly byte[] _wasmSha256;
    private readonly int _mountCount;

    /// <summary>Writes the runtime's whole Python state to a snapshot file at
    /// <paramref name="path"/> (replaced whole if it exists), for
    /// <see cref="PyodideOptions.Snapshot"/>: imported modules, <c>__main__</c>'s globals,
    /// loaded packages and the files Python wrote (in /home/pyodide, /tmp and anywhere else
    /// in its own directories; not those of mounts). A runtime started from it gets a
    /// hash secret of its own (every dict, set and str hash redone), <c>random</c>
    /// reseeded, and the host state of its own host: proxies and buffers this host holds
    /// are released in it, and host modules must be registered again under the same
    /// names before they are used (functions of this host's raise RuntimeError there).</summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="InvalidOperationException">The runtime has mounts (mount them in the
    /// runtime that loads the snapshot instead), Python holds host objects or has an interval timer running
    /// (signal.alarm, signal.setitimer), its files include a symbolic link, or it is
    /// called from inside one of the runtime's own calls.</exception>
    /// <exception cref="PythonException">Python state a copy could not carry: files open
    /// beyond the preopened directories, asyncio tasks still running, a set iteration in
    /// progress; the message names it.</exception>
    /// <exception cref="PyodideException">The file cannot be written (<see cref="PyodideErrorKind.IO"/>).</exception>
    public void SaveSnapshot(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0) throw new ArgumentException("the snapshot path is empty", nameof(path));
        if (_mountCount > 0)
            throw new InvalidOperationException("a runtime with mounts cannot be saved: mount the directories in the runtime that loads the snapshot");
        using var call = Enter();
        // A host object stands for something of this process: the loading one has no such
        // object behind the id the guest's object carries.
        int hostObjects = HostObjects.Count;
        if (hostObjects > 0)
            throw new InvalidOperationException($"Python holds {hostObjects} host object(s), which a snapshot cannot carry: drop them first (del, gc.collect())");
        // The timer is the host's: the loading runtime would have none running.
        if (call.Guest.Timer.Armed)
            throw new InvalidOperationException("an interval timer is running (signal.alarm or signal.setitimer), which a snapshot cannot carry: stop it first (signal.alarm(0))");
        var memory = call.Guest.Save();
        byte[] state = SnapshotState.Write(_packages.LoadedWithHashes, _root);
        SnapshotFile.Write(path, memory, _wasmSha256, state);
    }

    /// <summary>The built-in snapshot, if the build baked one for this python.wasm; null if
    /// there is none or it is unusable (the process then captures its own).</summary>
    private static GuestSnapshot? BuiltInSnapshot(string path, byte[] wasmSha256)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return SnapshotFile.OpenCached(path, wasmSha256).Memory;
        }
        catch (PyodideException)
        {
            return null;
        }
    }

    /// <summary>Whether the interpreter was restored from a snapshot file (for tests).</summary>
    internal bool StartedFromSnapshotFile { get; }
}
