using Microsoft.Win32.SafeHandles;

namespace Pyodide.Guest;

/// <summary>Which snapshot files this user has already checked whole, so that loading an
/// unchanged one again need not read its pages through to check them (the built-in
/// snapshot's 2.3 MB: ~4 % of <c>pyodide-run -c pass</c>, most of it reading memory
/// the load would not otherwise touch). A file counts as checked when a stamp
/// file names its identity beside the compiled modules (<see cref="GuestModule.CacheDirectory"/>):
/// device, inode, size, modification and change times to the nanosecond, and the pages'
/// checksum its header records. Any write to the file changes its change time, which
/// no program can set (short of setting the system's clock back), so a file damaged,
/// truncated or replaced since is checked again and refused. The kernel takes that time from a clock that ticks every few
/// milliseconds (some file systems keep whole seconds), so two writes close together
/// can leave the same one: a file changed less than <see cref="Settle"/> before its
/// check gets no stamp, as git treats index entries written in the same second as
/// their file. Linux only (the identity comes from <c>statx</c>); elsewhere every load
/// checks. A stamp also carries, once a process has learned it, which of the file's pages
/// a process's first runtime wrote (<see cref="RestoreWrites"/>).</summary>
internal static unsafe class SnapshotVerified
{
    /// <summary>How many stamps the cache keeps (each new build's built-in snapshot and
    /// each saved file adds one).</summary>
    private const int MaxStamps = 16;

    /// <summary>How long a file must have been unchanged before its check earns a stamp.</summary>
    internal static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);

    /// <summary>A file's identity as a stamp's name, and when it last changed.</summary>
    internal readonly record struct Stamp(string Name, DateTimeOffset Changed);

    private const string Prefix = "snapshot-";
    private const string Suffix = ".checked";

    /// <summary>The stamp that names <paramref name="file"/> as it is now, with the pages'
    /// recorded <paramref name="checksum"/>, or null when its identity cannot be read.</summary>
    public static Stamp? StampOf(SafeFileHandle file, uint checksum)
    {
        if (!OperatingSystem.IsLinux()) return null;
        const uint needed = Statx.InoField | Statx.SizeField | Statx.MtimeField | Statx.CtimeField;
        Statx st;
        try
        {
            if (Statx.Of((int)file.DangerousGetHandle(), "", Statx.AtEmptyPath, needed, &st) != 0) return null;
        }
        catch (EntryPointNotFoundException)
        {
            return null; // a C library older than statx (glibc 2.28, musl 1.2.5): check every load
        }
        if (!st.Has(needed)) return null;
        string name = $"{Prefix}{st.DevMajor:x}.{st.DevMinor:x}-{st.Ino:x}-{st.Size:x}-{st.MtimeSeconds:x}.{st.MtimeNanoseconds:x}-" +
                      $"{st.CtimeSeconds:x}.{st.CtimeNanoseconds:x}-{checksum:x8}{Suffix}";
        return new Stamp(name, DateTimeOffset.FromUnixTimeSeconds(st.CtimeSeconds).AddTicks(st.CtimeNanoseconds / 100));
    }

    /// <summary>Whether <paramref name="stamp"/> was written by an earlier check, and what
    /// it holds: the pages an earlier process's first runtime wrote
    /// (<see cref="RememberWrites"/>), or null if none are known or the stamp's bytes
    /// cannot be pages.</summary>
    public static bool IsChecked(Stamp? stamp, out (uint First, uint Count)[]? processWrites)
    {
        processWrites = null;
        if (stamp is not { } known) return false;
        var info = new FileInfo(Path.Combine(GuestModule.CacheDirectory(), known.Name));
        if (!info.Exists) return false;
        if (!CanHoldRuns(info.Length)) return true; // not read: an empty stamp, or not runs
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(info.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // gone since: check again
        }
        if (CanHoldRuns(bytes.Length)) processWrites = SnapshotFile.ReadPairs(bytes); // it may have changed since
        return true;
    }

    /// <summary>Whether a stamp of <paramref name="length"/> bytes can hold page runs.</summary>
    private static bool CanHoldRuns(long length) =>
        length > 0 && length % SnapshotFile.PairSize == 0 && length <= MaxWriteRuns * SnapshotFile.PairSize;

    /// <summary>Writes <paramref name="stamp"/> after a check passed, unless its file changed
    /// too recently (<see cref="Settle"/>), and removes all but the newest
    /// <see cref="MaxStamps"/>; says whether it did. Best effort: a cache that cannot be
    /// written only means the next load checks again.</summary>
    public static bool Remember(Stamp? stamp)
    {
        if (stamp is not { } known || DateTimeOffset.UtcNow - known.Changed < Settle) return false;
        try
        {
            string dir = GuestModule.CacheDirectory();
            string path = Path.Combine(dir, known.Name);
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(path, []);
            GuestModule.EvictOldEntries(dir, Prefix + "*" + Suffix, MaxStamps, path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Keeps <paramref name="writes"/> (page runs, in order) in
    /// <paramref name="stamp"/>, if the stamp is still there: written beside it and renamed
    /// over it, so a process reading it sees the old bytes or the new ones. Best effort, as
    /// <see cref="Remember"/>.</summary>
    public static void RememberWrites(Stamp stamp, (uint First, uint Count)[] writes)
    {
        if (writes.Length == 0 || writes.Length > MaxWriteRuns) return;
        string path = Path.Combine(GuestModule.CacheDirectory(), stamp.Name);
        string temp = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            if (!File.Exists(path)) return;
            var bytes = new byte[writes.Length * SnapshotFile.PairSize];
            SnapshotFile.WritePairs(bytes, writes);
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temp); } catch (Exception f) when (f is IOException or UnauthorizedAccessException) { }
        }
    }

    /// <summary>The most page runs a stamp keeps (a real set has tens).</summary>
    private const int MaxWriteRuns = 1 << 16;
}
