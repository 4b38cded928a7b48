namespace Pyodide.Guest;

/// <summary>What the host answers about a runtime's files itself, for importlib's calls
/// that skip WASI (each WASI filesystem call goes through Wasmtime's blocking pool: tens of
/// microseconds, more when the pool's thread wakes on another processor): the standard
/// library's archive (<c>pyodide.read_stdlib</c>), and the stats (<c>pyodide.stat_path</c>),
/// whole-file reads (<c>pyodide.read_file</c>) and listings (<c>pyodide.list_dir</c>) of paths
/// beneath the directories the runtime preopens — /lib, the home and the mounts, so
/// sys.path[0], the stdlib's directories, site-packages and every package and module in
/// them.</summary>
internal sealed class GuestFiles : IDisposable
{
    private readonly SandboxDirectory[] _directories;

    /// <param name="stdlib">The archive the guest sees at /lib/python311.zip.</param>
    /// <param name="preopens">Each directory the runtime preopens: its guest path and host
    /// path.</param>
    public GuestFiles(StdlibArchive stdlib, IEnumerable<(string GuestPath, string HostPath)> preopens)
    {
        Stdlib = stdlib;
        var byPath = new Dictionary<string, string>(StringComparer.Ordinal);
        var twice = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (guestPath, hostPath) in preopens)
        {
            string path = guestPath.TrimEnd('/');
            if (!byPath.TryAdd(path, hostPath)) twice.Add(path);
        }
        // Two directories at one guest path: WASI decides which the guest sees, not this.
        foreach (string path in twice) byPath.Remove(path);
        // Longest first: a path belongs to the deepest directory it is in, as in WASI's
        // libc, which picks the preopen with the longest matching prefix. (A loop, not LINQ:
        // this runs in every pyodide_load, the first of a process included.)
        _directories = new SandboxDirectory[byPath.Count];
        int count = 0;
        foreach (var (path, hostPath) in byPath)
        {
            int at = count++;
            for (; at > 0 && _directories[at - 1].GuestPath.Length < path.Length; at--) _directories[at] = _directories[at - 1];
            _directories[at] = new SandboxDirectory(path, hostPath);
        }
    }

    public StdlibArchive Stdlib { get; }

    /// <summary>What the host knows of the guest path <paramref name="guestPath"/>: see
    /// <see cref="SandboxDirectory.Stat"/>.</summary>
    public int Stat(string guestPath, out SandboxDirectory.Entry entry)
    {
        entry = default;
        return Find(guestPath, out var directory, out string relative) ? directory.Stat(relative, out entry) : SandboxDirectory.Unknown;
    }

    /// <summary>The regular file at <paramref name="guestPath"/> read whole into
    /// <paramref name="into"/>: see <see cref="SandboxDirectory.ReadFile"/>.</summary>
    public int ReadFile(string guestPath, Span<byte> into, out long size)
    {
        size = 0;
        return Find(guestPath, out var directory, out string relative) ? directory.ReadFile(relative, into, out size) : SandboxDirectory.Unknown;
    }

    /// <summary>The names in the directory at <paramref name="guestPath"/>: see
    /// <see cref="SandboxDirectory.List"/>.</summary>
    public int List(string guestPath, Span<byte> into, out long size)
    {
        size = 0;
        return Find(guestPath, out var directory, out string relative) ? directory.List(relative, into, out size) : SandboxDirectory.Unknown;
    }

    public void Dispose()
    {
        foreach (var directory in _directories) directory.Dispose();
    }

    /// <summary>The preopened directory <paramref name="guestPath"/> is in, and the path
    /// relative to it. Only a plain absolute path is taken: no empty, "." or ".." component
    /// and no trailing slash (the guest resolves any other spelling through WASI), so the
    /// relative path never names its way out; the kernel's resolution keeps links in.</summary>
    private bool Find(string guestPath, out SandboxDirectory directory, out string relative)
    {
        directory = null!;
        relative = "";
        if (!IsPlainAbsolute(guestPath)) return false;
        foreach (var candidate in _directories)
        {
            string root = candidate.GuestPath;
            if (!guestPath.StartsWith(root, StringComparison.Ordinal)) continue;
            if (guestPath.Length == root.Length) relative = ".";
            else if (guestPath[root.Length] == '/') relative = guestPath[(root.Length + 1)..];
            else continue;
            directory = candidate;
            return true;
        }
        return false;
    }

    private static bool IsPlainAbsolute(string path)
    {
        if (path.Length < 2 || path[0] != '/' || path[^1] == '/' || path.Contains('\0')) return false;
        foreach (var part in path.AsSpan(1).Split('/'))
        {
            var name = path.AsSpan(1)[part];
            if (name.IsEmpty || name is "." or "..") return false;
        }
        return true;
    }
}
