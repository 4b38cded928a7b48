using Wasmtime;

namespace Pyodide.Guest;

/// <summary>What the host answers about a runtime's files itself, for the guest's calls
/// that skip WASI (each WASI filesystem call goes through Wasmtime's blocking pool: tens of
/// microseconds, more when the pool's thread wakes on another processor): the standard
/// library's archive (<c>pyodide.read_stdlib</c>); every stat of a path beneath the
/// directories the runtime preopens — /lib, the runtime's own / and its home, and the
/// mounts, so sys.path[0], the stdlib's directories, site-packages and every package and
/// module in them —
/// (<c>pyodide.stat_at</c>, as WASI would answer it), the files the guest opens only to read
/// there (<c>pyodide.file_*</c>, kept in <see cref="Open"/>), and importlib's whole-file reads
/// (<c>pyodide.read_file</c>) and listings (<c>pyodide.list_dir</c>) there.</summary>
internal sealed class GuestFiles : IDisposable
{
    private readonly SandboxDirectory[] _preopens;    // in the order WASI numbers them, from fd 3
    private readonly SandboxDirectory[] _directories; // those with a guest path of their own, deepest first

    /// <param name="stdlib">The archive the guest sees at /lib/python311.zip.</param>
    /// <param name="wasi">The runtime's WASI configuration: each directory is preopened in it
    /// here, in the order given, so the numbering kept here (from fd 3) is WASI's by
    /// construction.</param>
    /// <param name="preopens">Each directory the runtime preopens: its guest path, host path
    /// and whether the guest may write in it.</param>
    public GuestFiles(StdlibArchive stdlib, WasiConfiguration wasi,
                      IReadOnlyList<(string GuestPath, string HostPath, bool Writable)> preopens)
    {
        Stdlib = stdlib;
        _preopens = new SandboxDirectory[preopens.Count];
        var count = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < preopens.Count; i++)
        {
            var (guestPath, hostPath, writable) = preopens[i];
            wasi.WithPreopenedDirectory(hostPath, guestPath, writable);
            _preopens[i] = new SandboxDirectory(guestPath.TrimEnd('/'), hostPath, writable);
            count[_preopens[i].GuestPath] = count.GetValueOrDefault(_preopens[i].GuestPath) + 1;
        }
        // By path: not two directories at one guest path (WASI's libc decides which the guest
        // sees, not this); longest first, as a path belongs to the deepest directory it is in
        // (WASI's libc picks the preopen with the longest matching prefix). A loop, not LINQ:
        // this runs in every pyodide_load, the first of a process included.
        _directories = new SandboxDirectory[_preopens.Length];
        int n = 0;
        foreach (var directory in _preopens)
        {
            if (count[directory.GuestPath] > 1) continue;
            int at = n++;
            for (; at > 0 && _directories[at - 1].GuestPath.Length < directory.GuestPath.Length; at--) _directories[at] = _directories[at - 1];
            _directories[at] = directory;
        }
        Array.Resize(ref _directories, n);
    }

    public StdlibArchive Stdlib { get; }

    /// <summary>The files the guest opened through <see cref="OpenFile"/>.</summary>
    public OpenFiles Open { get; } = new();

    /// <summary>The regular file at <paramref name="relative"/> (a plain relative path, as
    /// <see cref="StatWasi"/> takes) beneath the preopened directory WASI numbers
    /// <c>3 + <paramref name="preopen"/></c>, opened as <paramref name="how"/> says (writing
    /// only in a writable directory) and kept in <see cref="Open"/>:
    /// its number there, and whether the directory is writable (WASI then treats the file
    /// otherwise: bridge/files.c); <see cref="SandboxDirectory.Missing"/>;
    /// <see cref="SandboxDirectory.Unknown"/> (see <see cref="SandboxDirectory.OpenFile"/>).
    /// A device of the root's /dev is the host's (<see cref="SandboxDevices.Open"/>) or one of
    /// the runtime's standard streams (<see cref="OpenFiles.AddStream"/>), or a WASI errno
    /// (<see cref="SandboxDirectory.Error"/>).</summary>
    public int OpenFile(int preopen, string relative, SandboxDirectory.How how, bool follow, out bool inWritable)
    {
        inWritable = false;
        if (relative == "." || !Beneath(preopen, relative, out var directory)) return SandboxDirectory.Unknown;
        inWritable = directory.Writable;
        if (IsDevice(directory, relative))
        {
            if (SandboxDevices.StreamOf(relative) is >= 0 and var stream)
            {
                int refused = SandboxDevices.CheckStream(stream, how);
                return refused < 0 ? refused : Open.AddStream(stream);
            }
            int device = SandboxDevices.Open(relative, how);
            return device < 0 ? device : Open.Add(device);
        }
        // Writing in a read-only directory: WASI's refusal is WASI's to give.
        if (how.HasFlag(SandboxDirectory.How.Write) && !inWritable) return SandboxDirectory.Unknown;
        int fd = directory.OpenFile(relative, how, follow);
        return fd < 0 ? fd : Open.Add(fd);
    }

    /// <summary>The regular file at <paramref name="guestPath"/> read whole into
    /// <paramref name="into"/>: see <see cref="SandboxDirectory.ReadFile"/>.</summary>
    public int ReadFile(string guestPath, Span<byte> into, out long size)
    {
        size = 0;
        // A device is read as the guest reads any file it opens (WASI's path, which opens it here).
        return Find(guestPath, out var directory, out string relative) && !IsDevice(directory, relative)
            ? directory.ReadFile(relative, into, out size) : SandboxDirectory.Unknown;
    }

    /// <summary>The names in the directory at <paramref name="guestPath"/>: see
    /// <see cref="SandboxDirectory.List"/>.</summary>
    public int List(string guestPath, Span<byte> into, out long size)
    {
        size = 0;
        return Find(guestPath, out var directory, out string relative) ? directory.List(relative, into, out size) : SandboxDirectory.Unknown;
    }

    /// <summary>WASI's answer to <c>path_filestat_get</c> on the preopened directory WASI
    /// numbers <c>3 + <paramref name="preopen"/></c> (the guest asks only while that fd is still
    /// the preopen) for <paramref name="relative"/>, a plain relative path ("." for the directory
    /// itself; nothing else with "." or "..", no empty component): see
    /// <see cref="SandboxDirectory.StatWasi"/>.</summary>
    public int StatWasi(int preopen, string relative, bool follow, out WasiFilestat filestat)
    {
        filestat = default;
        if (!Beneath(preopen, relative, out var directory)) return SandboxDirectory.Unknown;
        return IsDevice(directory, relative) ? SandboxDevices.Stat(relative, out filestat) : directory.StatWasi(relative, follow, out filestat);
    }

    /// <summary>Whether <paramref name="relative"/> beneath <paramref name="directory"/> is one of
    /// the devices of the runtime's root's /dev (<see cref="SandboxDevices"/>).</summary>
    private static bool IsDevice(SandboxDirectory directory, string relative) =>
        directory.GuestPath.Length == 0 && SandboxDevices.Is(relative);

    /// <summary>The directory at <paramref name="relative"/> beneath the preopened directory WASI
    /// numbers <c>3 + <paramref name="preopen"/></c>, which WASI has just opened for the guest,
    /// opened by the host too and kept in <see cref="Open"/> to list it: its number there, or
    /// <see cref="SandboxDirectory.Unknown"/>.</summary>
    public int OpenDirectory(int preopen, string relative, bool follow)
    {
        if (!Beneath(preopen, relative, out var directory)) return SandboxDirectory.Unknown;
        int fd = directory.OpenDirectory(relative, follow);
        return fd < 0 ? fd : Open.Add(fd);
    }

    /// <summary>Makes a directory, removes, renames or sets times (<paramref name="change"/>) of
    /// <paramref name="relative"/> beneath the preopened directory WASI numbers
    /// <c>3 + <paramref name="preopen"/></c>, if that is writable (<see cref="SandboxDirectory.MakeDirectory"/>
    /// and the others): true if the host did it; false where it did not (an error included: the
    /// guest then asks WASI, for which nothing has changed).</summary>
    public bool Change(int preopen, string relative, Func<SandboxDirectory, string, bool> change) =>
        relative != "." && Beneath(preopen, relative, out var directory) && directory.Writable && change(directory, relative);

    /// <summary>Sets the permission bits of <paramref name="relative"/> beneath the preopened
    /// directory WASI numbers <c>3 + <paramref name="preopen"/></c> (<see cref="SandboxDirectory.SetMode"/>):
    /// 0, a WASI errno (EROFS in a read-only directory, as a read-only mount says), or
    /// <see cref="SandboxDirectory.Unknown"/> where the host cannot.</summary>
    public int SetMode(int preopen, string relative, bool follow, uint mode)
    {
        if (!Beneath(preopen, relative, out var directory)) return SandboxDirectory.Unknown;
        int result = directory.SetMode(relative, follow, mode);
        return result == SandboxDirectory.Missing ? OpenFiles.Wasi(2) : result > 0 ? OpenFiles.Wasi(result) : result;
    }

    /// <summary>The file system of the preopened directory WASI numbers <c>3 + <paramref name="preopen"/></c>
    /// (<see cref="SandboxDirectory.FileSystem"/>); false for a number that is none.</summary>
    public bool FileSystem(int preopen, out SandboxDirectory.FileSystemStat answer)
    {
        answer = default;
        return (uint)preopen < (uint)_preopens.Length && _preopens[preopen].FileSystem(out answer);
    }

    /// <summary>Whether the preopened directory WASI numbers <c>3 + <paramref name="preopen"/></c>
    /// is read-only (false for a number that is none).</summary>
    public bool IsReadOnly(int preopen) => (uint)preopen < (uint)_preopens.Length && !_preopens[preopen].Writable;

    /// <summary>The preopened directory WASI numbers <c>3 + <paramref name="preopen"/></c>, if
    /// there is one and <paramref name="relative"/> is a plain relative path beneath it ("." for
    /// the directory itself; nothing else with "." or "..", no empty component).</summary>
    private bool Beneath(int preopen, string relative, out SandboxDirectory directory)
    {
        directory = (uint)preopen < (uint)_preopens.Length ? _preopens[preopen] : null!;
        return directory != null && IsPlainRelative(relative);
    }

    public void Dispose()
    {
        Open.Dispose();
        foreach (var directory in _preopens) directory.Dispose();
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

    private static bool IsPlainRelative(string path)
    {
        if (path == ".") return true;
        if (path.Length == 0 || path[0] == '/' || path[^1] == '/' || path.Contains('\0')) return false;
        foreach (var part in path.AsSpan().Split('/'))
        {
            var name = path.AsSpan()[part];
            if (name.IsEmpty || name is "." or "..") return false;
        }
        return true;
    }

    /// <summary>Whether <paramref name="path"/> is absolute with no empty, "." or ".."
    /// component and no trailing slash.</summary>
    public static bool IsPlainAbsolute(string path) =>
        path.Length >= 2 && path[0] == '/' && path != "/." && IsPlainRelative(path[1..]);
}
