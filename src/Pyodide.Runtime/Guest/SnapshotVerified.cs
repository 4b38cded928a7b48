using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Pyodide.Guest;

/// <summary>Which snapshot files this user has already checked whole, so that loading an
/// unchanged one again need not read its pages through to check them (the built-in
/// snapshot's 2.3 MB: ~4 % of <c>pyodide-run -c pass</c>, most of it reading memory
/// the load would not otherwise touch). A file counts as checked when an empty stamp
/// file names its identity beside the compiled modules (<see cref="GuestModule.CacheDirectory"/>):
/// device, inode, size, modification and change times to the nanosecond, and the pages'
/// checksum its header records. Any write to the file changes its change time, which
/// no program can set (short of setting the system's clock back), so a file damaged,
/// truncated or replaced since is checked again and refused. The kernel takes that time from a clock that ticks every few
/// milliseconds (some file systems keep whole seconds), so two writes close together
/// can leave the same one: a file changed less than <see cref="Settle"/> before its
/// check gets no stamp, as git treats index entries written in the same second as
/// their file. Linux only (the identity comes from <c>statx</c>); elsewhere every load
/// checks.</summary>
internal static unsafe partial class SnapshotVerified
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
        var buffer = stackalloc byte[StatxBufferSize];
        try
        {
            if (statx((int)file.DangerousGetHandle(), "", AtEmptyPath, StatxBasicStats, buffer) != 0) return null;
        }
        catch (EntryPointNotFoundException)
        {
            return null; // a C library older than statx (glibc 2.28, musl 1.2.5): check every load
        }
        uint mask = *(uint*)buffer;
        const uint needed = StatxIno | StatxSizeField | StatxMtime | StatxCtime;
        if ((mask & needed) != needed) return null;
        ulong inode = *(ulong*)(buffer + 32), size = *(ulong*)(buffer + 40);
        long ctimeSeconds = *(long*)(buffer + 96), mtimeSeconds = *(long*)(buffer + 112);
        uint ctimeNanos = *(uint*)(buffer + 104), mtimeNanos = *(uint*)(buffer + 120);
        uint deviceMajor = *(uint*)(buffer + 136), deviceMinor = *(uint*)(buffer + 140);
        string name = $"{Prefix}{deviceMajor:x}.{deviceMinor:x}-{inode:x}-{size:x}-{mtimeSeconds:x}.{mtimeNanos:x}-" +
                      $"{ctimeSeconds:x}.{ctimeNanos:x}-{checksum:x8}{Suffix}";
        return new Stamp(name, DateTimeOffset.FromUnixTimeSeconds(ctimeSeconds).AddTicks(ctimeNanos / 100));
    }

    /// <summary>Whether <paramref name="stamp"/> was written by an earlier check.</summary>
    public static bool IsChecked(Stamp? stamp) =>
        stamp is { } known && File.Exists(Path.Combine(GuestModule.CacheDirectory(), known.Name));

    /// <summary>Writes <paramref name="stamp"/> after a check passed, unless its file changed
    /// too recently (<see cref="Settle"/>), and removes all but the newest
    /// <see cref="MaxStamps"/>. Best effort: a cache that cannot be written only means the
    /// next load checks again.</summary>
    public static void Remember(Stamp? stamp)
    {
        if (stamp is not { } known || DateTimeOffset.UtcNow - known.Changed < Settle) return;
        try
        {
            string dir = GuestModule.CacheDirectory();
            string path = Path.Combine(dir, known.Name);
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(path, []);
            GuestModule.EvictOldEntries(dir, Prefix + "*" + Suffix, MaxStamps, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    // struct statx (linux/stat.h): the same layout on every architecture.
    private const int StatxBufferSize = 256;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxMtime = 0x40, StatxCtime = 0x80, StatxIno = 0x100, StatxSizeField = 0x200;
    private const uint StatxBasicStats = 0x7ff;

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);
}
