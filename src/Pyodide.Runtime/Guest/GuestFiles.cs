namespace Pyodide.Guest;

/// <summary>What the host answers about a runtime's files itself, for the imports that skip
/// WASI (each WASI filesystem call goes through Wasmtime's blocking pool: tens of
/// microseconds, more when the pool's thread wakes on another processor): the standard
/// library's archive (<c>pyodide.read_stdlib</c>) and the metadata of the directories it
/// knows (<c>pyodide.stat_dir</c>), which importlib stats before every top-level import
/// when they are on sys.path: each preopened directory's root (sys.path[0] is one: the
/// working directory for <c>-c</c>, a script's directory), the standard library's
/// directories in /lib and the home's site-packages.</summary>
internal sealed class GuestFiles
{
    // Guest path of each directory known (no trailing slash) -> its host directory.
    private readonly Dictionary<string, string> _directories;

    /// <param name="stdlib">The archive the guest sees at /lib/python311.zip.</param>
    /// <param name="directories">The directories to answer for, each a preopened directory's
    /// root, a directory of the library's own read-only /lib or the home's site-packages: its
    /// guest path and its host path. One that is a symbolic link is never answered for (the
    /// guest may replace site-packages with a link to anywhere on the host; WASI resolves a
    /// link inside the sandbox, this would not).</param>
    public GuestFiles(StdlibArchive stdlib, IEnumerable<(string GuestPath, string HostPath)> directories)
    {
        Stdlib = stdlib;
        _directories = new Dictionary<string, string>(StringComparer.Ordinal);
        var twice = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (guestPath, hostPath) in directories)
        {
            string path = guestPath.TrimEnd('/');
            if (!_directories.TryAdd(path, hostPath)) twice.Add(path);
        }
        // Two directories at one guest path: WASI decides which the guest sees, not this.
        foreach (string path in twice) _directories.Remove(path);
    }

    public StdlibArchive Stdlib { get; }

    /// <summary>The metadata importlib reads of the known directory the guest sees at exactly
    /// <paramref name="guestPath"/> (no other spelling: nothing is resolved): its mode (the
    /// directory type, as WASI gives it) and modification time in nanoseconds since the epoch
    /// (to 100 ns). False for any other path, or where the host cannot tell (the guest then
    /// asks WASI).</summary>
    public bool TryStatDirectory(string guestPath, out long mode, out long modifiedNs)
    {
        mode = modifiedNs = 0;
        if (!_directories.TryGetValue(guestPath, out var hostPath)) return false;
        try
        {
            var info = new DirectoryInfo(hostPath);
            // The link test reads the status Exists fetched (LinkTarget would read the link again).
            if (!info.Exists || info.Attributes.HasFlag(FileAttributes.ReparsePoint)) return false;
            mode = 0x4000; // S_IFDIR: WASI gives the type and no permission bits
            modifiedNs = (info.LastWriteTimeUtc - DateTime.UnixEpoch).Ticks * 100;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
