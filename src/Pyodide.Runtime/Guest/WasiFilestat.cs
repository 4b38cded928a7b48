using System.Runtime.InteropServices;

namespace Pyodide.Guest;

/// <summary>WASI preview 1's <c>filestat</c> (64 bytes, as <c>path_filestat_get</c> writes it
/// in guest memory), made from a host stat the way Wasmtime (50) makes it, so that an
/// answer of the host's cannot be told from WASI's: <c>dev</c> is 1; <c>ino</c> is the
/// 64-bit SipHash-1-3 with zero keys of the host's device and inode numbers (two
/// little-endian u64: Rust's <c>DefaultHasher</c>, which Wasmtime's preview-1 layer hashes
/// them with, preview 2 having no inode number); <c>ctim</c> is the birth time, not the
/// status-change time. <c>HostFilesTests</c> compares both field by field, so a Wasmtime
/// that makes them otherwise fails there.</summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
internal struct WasiFilestat
{
    public const byte Unknown = 0, BlockDevice = 1, CharacterDevice = 2, Directory = 3, RegularFile = 4, SymbolicLink = 7;

    [FieldOffset(0)] public ulong Dev;
    [FieldOffset(8)] public ulong Ino;
    [FieldOffset(16)] public byte Filetype;
    /// <summary>The permission bits (<c>st_mode &amp; 07777</c>) with <see cref="HasMode"/> set,
    /// where WASI leaves padding: the host's answers carry them for the guest's stat
    /// (src/guest/bridge/stat.c), as WASI's carry none; 0 in WASI's own.</summary>
    [FieldOffset(18)] public ushort Mode;

    public const ushort HasMode = 0x8000;
    [FieldOffset(24)] public ulong Nlink;
    [FieldOffset(32)] public ulong Size;
    [FieldOffset(40)] public ulong Atim;
    [FieldOffset(48)] public ulong Mtim;
    [FieldOffset(56)] public ulong Ctim;

    public static WasiFilestat Of(ulong hostDev, ulong hostIno, byte filetype, ulong nlink, ulong size,
                                  ulong atim, ulong mtim, ulong birth) =>
        new()
        {
            Dev = 1, Ino = InodeOf(hostDev, hostIno), Filetype = filetype, Nlink = nlink, Size = size,
            Atim = atim, Mtim = mtim, Ctim = birth,
        };

    /// <summary>The inode number WASI gives a file with the host's device and inode numbers.</summary>
    public static ulong InodeOf(ulong hostDev, ulong hostIno) => SipHash13(hostDev, hostIno);

    /// <summary>SipHash-1-3 (one compression round, three finalisation rounds), keys zero,
    /// of the 16 bytes <paramref name="a"/>, <paramref name="b"/> (little-endian).</summary>
    private static ulong SipHash13(ulong a, ulong b)
    {
        ulong v0 = 0x736f6d6570736575, v1 = 0x646f72616e646f6d, v2 = 0x6c7967656e657261, v3 = 0x7465646279746573;
        void Round()
        {
            v0 += v1; v1 = ulong.RotateLeft(v1, 13); v1 ^= v0; v0 = ulong.RotateLeft(v0, 32);
            v2 += v3; v3 = ulong.RotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = ulong.RotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = ulong.RotateLeft(v1, 17); v1 ^= v2; v2 = ulong.RotateLeft(v2, 32);
        }
        // The message's two words, then the last block: its length (16) in the top byte.
        foreach (ulong word in (ReadOnlySpan<ulong>)[a, b, 16UL << 56])
        {
            v3 ^= word;
            Round();
            v0 ^= word;
        }
        v2 ^= 0xff;
        Round();
        Round();
        Round();
        return v0 ^ v1 ^ v2 ^ v3;
    }
}
