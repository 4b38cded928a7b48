using System.Runtime.InteropServices;

namespace Pyodide;

/// <summary>Linux's <c>struct statx</c> (linux/stat.h), the one stat structure with the same
/// layout on every architecture (<c>struct stat</c>'s differs between x64 and arm64), and the
/// call that fills it (glibc 2.28, musl 1.2.5).</summary>
[StructLayout(LayoutKind.Explicit, Size = 256)]
internal unsafe partial struct Statx
{
    public const int AtEmptyPath = 0x1000, AtSymlinkNofollow = 0x100;
    public const uint TypeField = 0x1, ModeField = 0x2, NlinkField = 0x4, UidField = 0x8, AtimeField = 0x20,
                      MtimeField = 0x40, CtimeField = 0x80, InoField = 0x100, SizeField = 0x200, BtimeField = 0x800;
    public const ushort TypeMask = 0xF000, RegularFile = 0x8000, Directory = 0x4000;

    [FieldOffset(0)] public uint Mask;
    [FieldOffset(16)] public uint Nlink;
    [FieldOffset(20)] public uint Uid;
    [FieldOffset(28)] public ushort Mode;
    [FieldOffset(32)] public ulong Ino;
    [FieldOffset(40)] public ulong Size;
    [FieldOffset(64)] public long AtimeSeconds;
    [FieldOffset(72)] public uint AtimeNanoseconds;
    [FieldOffset(80)] public long BtimeSeconds;
    [FieldOffset(88)] public uint BtimeNanoseconds;
    [FieldOffset(96)] public long CtimeSeconds;
    [FieldOffset(104)] public uint CtimeNanoseconds;
    [FieldOffset(112)] public long MtimeSeconds;
    [FieldOffset(120)] public uint MtimeNanoseconds;
    [FieldOffset(136)] public uint DevMajor;
    [FieldOffset(140)] public uint DevMinor;

    /// <summary>Whether the call filled every field <paramref name="wanted"/> names.</summary>
    public readonly bool Has(uint wanted) => (Mask & wanted) == wanted;

    /// <summary><c>statx(dirfd, path, flags, mask, buffer)</c>: 0, or -1 with errno set.
    /// Throws <see cref="EntryPointNotFoundException"/> with a C library older than statx.</summary>
    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Of(int dirfd, string path, int flags, uint mask, Statx* buffer);

    /// <summary>The same, with a NUL-terminated path.</summary>
    [LibraryImport("libc", EntryPoint = "statx")]
    public static partial int Of(int dirfd, byte* path, int flags, uint mask, Statx* buffer);
}
