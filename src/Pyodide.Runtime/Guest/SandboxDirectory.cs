using System.Runtime.InteropServices;
using System.Text.Unicode;

namespace Pyodide.Guest;

/// <summary>One directory a runtime preopens (its guest path and host directory), for the
/// host to open files beneath it as WASI would: the kernel resolves each path relative to
/// the directory with <c>openat2</c>'s <c>RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS</c>, the
/// flags Wasmtime's WASI (cap-std) resolves with, so a symbolic link is followed exactly
/// when WASI follows it and nothing outside the directory is reached. Linux only (5.6+):
/// elsewhere, or where the kernel lacks <c>openat2</c>, every open is refused and the guest
/// asks WASI. The directory is opened at its first use and kept until the runtime ends.</summary>
internal sealed unsafe partial class SandboxDirectory(string guestPath, string hostPath, bool writable) : IDisposable
{
    // OPath, ONoctty and OCloexec: SandboxDevices opens the host's devices with them too.
    internal const int OPath = 0x200000, ONoctty = 0x100, OCloexec = 0x80000;
    private const int ORdonly = 0, OWronly = 1, ORdwr = 2, OCreat = 0x40, OExcl = 0x80, OTrunc = 0x200, ONonblock = 0x800;
    // The two flags used here whose values differ between Linux's architectures.
    private static readonly bool Arm = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm;
    private static readonly int ODirectory = Arm ? 0x4000 : 0x10000, ONofollow = Arm ? 0x8000 : 0x20000;
    private const ulong ResolveNoMagiclinks = 0x02, ResolveBeneath = 0x08;
    private const int AtSymlinkNofollow = Statx.AtSymlinkNofollow, AtRemovedir = 0x200;
    private const int Enoent = 2, Enosys = 38, Eintr = 4, Eagain = 11, Erofs = 30, Eopnotsupp = 95;

    /// <summary>This process's file mode creation mask now, from <c>/proc/self/status</c> (which
    /// reads it without setting it, as <c>umask(2)</c> must; a resident pyodide-run sets each
    /// run's); 022 where that cannot tell. A runtime's starts as this, asked when it first
    /// makes a file, as python3's is its shell's (src/guest/bridge/chmod.c).</summary>
    internal static int ProcessUmask()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("Umask:", StringComparison.Ordinal))
                    return Convert.ToInt32(line["Umask:".Length..].Trim(), 8) & 0x1ff;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return 0x12; // 022
    }

    /// <summary>The permission bits the sandbox sets on the host's files: not set-user-ID or
    /// set-group-ID, with which a file it wrote would run with the rights of the host's user
    /// (root, maybe); the sticky bit and the nine others.</summary>
    internal const int Settable = 0x3ff; // 01777
    private const int SysOpenat2 = 437; // the same number on every Linux architecture since 5.6

    private static bool s_noOpenat2;
    private readonly Lock _gate = new();
    private int _fd = -1; // -2: could not be opened
    private bool _disposed;

    /// <summary>Where the guest sees the directory (no trailing slash).</summary>
    public string GuestPath { get; } = guestPath;

    /// <summary>Whether the guest may write in it (as WASI was told).</summary>
    public bool Writable { get; } = writable;

    /// <summary>What <see cref="StatWasi"/>, <see cref="ReadFile"/> and <see cref="List"/> return besides an answer:
    /// no answer (the guest then asks WASI, which answers or raises as it always did: a path
    /// that leaves the directory, a type other than a regular file or a directory, any error
    /// but a missing path); a missing path (nothing there, as WASI would find: the same
    /// resolution); a file larger than the span given.</summary>
    public const int Unknown = -1, TooLarge = -2, Missing = -3;

    /// <summary>An open's answer that is WASI's <paramref name="wasiErrno"/> (bridge/files.c
    /// gives it to the guest as it is).</summary>
    public static int Error(int wasiErrno) => -256 - wasiErrno;

    /// <summary>Reads the whole regular file at <paramref name="relative"/> into
    /// <paramref name="into"/> if it fits: the byte count (the end of the file was seen before
    /// the span filled); <see cref="TooLarge"/> with the size the file has now in
    /// <paramref name="size"/> if it did not fit; <see cref="Missing"/> or <see cref="Unknown"/>.</summary>
    public int ReadFile(string relative, Span<byte> into, out long size)
    {
        size = 0;
        // Non-blocking: a FIFO the guest made must not hang the host's thread (it is
        // refused below, and WASI opens it as the guest asked).
        int fd = Open(relative, ORdonly | ONonblock | ONoctty);
        if (fd < 0) return fd;
        try
        {
            if (!IsRegularFile(fd, out ulong fileSize)) return Unknown;
            int total = 0;
            fixed (byte* start = into)
            {
                while (total < into.Length)
                {
                    nint n = read(fd, start + total, (nuint)(into.Length - total));
                    if (n < 0 && Marshal.GetLastPInvokeError() == Eintr) continue;
                    if (n < 0) return Unknown;
                    if (n == 0) return total;
                    total += (int)n;
                }
            }
            // Full: the file is at least this long (it may have grown since the stat).
            size = Math.Max((long)fileSize, (long)into.Length + 1);
            return TooLarge;
        }
        finally
        {
            close(fd);
        }
    }

    /// <summary>The names in the directory at <paramref name="relative"/> (no "." or ".."), each
    /// as UTF-8 followed by a NUL, in the order the file system gives them, written to
    /// <paramref name="into"/>: the byte count; <see cref="TooLarge"/> with the bytes needed in
    /// <paramref name="size"/> if they did not fit; <see cref="Missing"/>; <see cref="Unknown"/>
    /// as for <see cref="StatWasi"/>, and for a directory with a name that is not UTF-8 (WASI
    /// decides what such a name gives).</summary>
    public int List(string relative, Span<byte> into, out long size)
    {
        size = 0;
        if (IntPtr.Size != 8) return Unknown; // the struct dirent read below is 64-bit Linux's
        int fd = Open(relative, ORdonly | ODirectory | ONonblock);
        if (fd < 0) return fd;
        nint dir = Stream(fd);
        if (dir == 0) return Unknown;
        try
        {
            int used = 0;
            long needed = 0;
            var names = new Names(dir);
            while (names.MoveNext())
            {
                var name = names.Current;
                needed += name.Length + 1;
                if (needed > into.Length) continue; // counted, for the size asked again with
                name.CopyTo(into[used..]);
                into[used + name.Length] = 0;
                used += name.Length + 1;
            }
            if (names.Failed) return Unknown;
            if (needed > into.Length)
            {
                size = needed;
                return TooLarge;
            }
            return used;
        }
        finally
        {
            closedir(dir); // closes fd
        }
    }

    /// <summary>WASI's own answer to <c>path_filestat_get</c> for <paramref name="relative"/>,
    /// following a final link if <paramref name="follow"/> (<see cref="WasiFilestat"/>): 0,
    /// <see cref="Missing"/>, or <see cref="Unknown"/> also for types other than a regular
    /// file, a directory or (not following) a link, and where the file system keeps no birth
    /// time (what WASI gives then is not reproduced).</summary>
    public int StatWasi(string relative, bool follow, out WasiFilestat filestat)
    {
        filestat = default;
        int fd = Open(relative, OPath | (follow ? 0 : ONofollow));
        if (fd < 0) return fd;
        try
        {
            return Filestat(fd, out filestat) ? 0 : Unknown;
        }
        finally
        {
            close(fd);
        }
    }

    /// <summary>Makes the directory <paramref name="relative"/> with the permission bits
    /// <paramref name="mode"/> (the program's mode less its umask), or, given -1, 0777 less
    /// the host's umask, as WASI makes it: true if it did (<see cref="InParent"/>).</summary>
    public bool MakeDirectory(string relative, int mode)
    {
        if (!InParent(relative, (parent, name) => mkdirat(parent, name, mode < 0 ? 0x1ff : mode & Settable) == 0)) return false;
        // Exactly the program's bits, as under its own umask (the host process's may take more away).
        if (mode >= 0) SetMode(relative, follow: false, (uint)mode);
        return true;
    }

    /// <summary>Removes <paramref name="relative"/>: a directory if <paramref name="directory"/>,
    /// else anything but one (a link itself). True if it did.</summary>
    public bool Remove(string relative, bool directory) =>
        InParent(relative, (parent, name) => unlinkat(parent, name, directory ? AtRemovedir : 0) == 0);

    /// <summary>Renames <paramref name="relative"/> to <paramref name="toRelative"/> beneath
    /// <paramref name="to"/> (this directory or another). True if it did.</summary>
    public bool Rename(string relative, SandboxDirectory to, string toRelative) =>
        InParent(relative, (parent, name) => to.InParent(toRelative, (toParent, toName) => renameat(parent, name, toParent, toName) == 0));

    /// <summary>Sets the access and modification times of <paramref name="relative"/> (of a
    /// final link itself unless <paramref name="follow"/>) as <see cref="OpenFiles.SetTimes"/>
    /// does. True if it did.</summary>
    public bool SetTimes(string relative, bool follow, ulong atim, ulong mtim, int flags) =>
        InParent(relative, (parent, name) =>
        {
            var times = OpenFiles.Timespecs(atim, mtim, flags);
            fixed (long* at = times)
                return utimensat(parent, name, at, follow ? 0 : AtSymlinkNofollow) == 0;
        });

    /// <summary>Sets the permission bits of <paramref name="relative"/> to <paramref name="mode"/>
    /// (of the file a final link leads to if <paramref name="follow"/>; a link itself has none:
    /// EOPNOTSUPP, as Linux says), as chmod does: 0 or Linux's errno, or <see cref="Missing"/>
    /// or <see cref="Unknown"/>. The file is opened beneath the directory as WASI resolves
    /// paths and changed through its <c>/proc/self/fd</c> link, which leads to that file and
    /// nowhere else.</summary>
    public int SetMode(string relative, bool follow, uint mode)
    {
        int fd = Open(relative, OPath | (follow ? 0 : ONofollow));
        if (fd < 0) return fd;
        try
        {
            Statx st;
            if (!follow && Statx.Of(fd, "", Statx.AtEmptyPath, Statx.TypeField, &st) == 0 && (st.Mode & Statx.TypeMask) == 0xA000)
                return Eopnotsupp;
            if (!Writable) return Erofs;
            return chmod($"/proc/self/fd/{fd}", mode & Settable) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
        finally
        {
            close(fd);
        }
    }

    /// <summary>Calls <paramref name="act"/> with the parent directory of <paramref name="relative"/>
    /// (a plain relative path, not "."), opened beneath this directory as WASI resolves it, and
    /// the last name, which the system calls it makes do not follow as a link; false if the
    /// parent cannot be opened.</summary>
    private bool InParent(string relative, Func<int, string, bool> act)
    {
        int slash = relative.LastIndexOf('/');
        int parent = Open(slash < 0 ? "." : relative[..slash], OPath | ODirectory);
        if (parent < 0) return false;
        try
        {
            return act(parent, relative[(slash + 1)..]);
        }
        finally
        {
            close(parent);
        }
    }

    /// <summary>How <see cref="OpenFile"/> opens a file (bridge/files.c's <c>how</c>).</summary>
    [Flags]
    public enum How { Read = 1, Write = 2, Create = 4, Exclusive = 8, Truncate = 16, Mode = 32 }

    /// <summary>With <see cref="How.Mode"/>, the permission bits a file made by the open gets
    /// (the program's mode less its umask), in these bits of the <see cref="How"/>.</summary>
    private const int ModeShift = 16;

    /// <summary>The regular file at <paramref name="relative"/> opened as <paramref name="how"/>
    /// says, following a final link if <paramref name="follow"/> (never when creating: WASI's
    /// answer for a link there is WASI's to give), for the guest to use through the host
    /// (<see cref="OpenFiles"/>): its fd (the caller's to close), <see cref="Missing"/>, or
    /// <see cref="Unknown"/> also for any other type and where the file system keeps no birth
    /// time (the guest's stats of it could not be WASI's; an exclusive create is not tried
    /// there, as it could not be handed to WASI after).</summary>
    public int OpenFile(string relative, How how, bool follow)
    {
        int flags = Access(how) | (how.HasFlag(How.Create) ? OCreat : 0) | (how.HasFlag(How.Exclusive) ? OExcl : 0) |
                    (how.HasFlag(How.Truncate) ? OTrunc : 0) | (follow && !how.HasFlag(How.Create) ? 0 : ONofollow);
        // A file made there is on its parent's file system.
        if (how.HasFlag(How.Exclusive) && !InParent(relative, (parent, name) => Filestat(parent, out _))) return Unknown;
        // A file made with the program's mode gets exactly those bits, as under the program's
        // own umask (the host process's may take more away): set again if this open made it,
        // which it knows by trying to make it exclusively first (the second try opens what was
        // there, or fails as the first did).
        bool moded = how.HasFlag(How.Create) && how.HasFlag(How.Mode);
        int mode = moded ? ((int)how >> ModeShift) & Settable : 0x1b6; // else 0666 less the umask, as WASI creates
        // Non-blocking: opening a FIFO must not hang (it is refused below, and WASI opens it
        // as the guest asked); no controlling terminal taken from a device.
        int opening = flags | ONonblock | ONoctty, creating = how.HasFlag(How.Create) ? mode : 0;
        int fd = moded ? Open(relative, opening | OExcl, creating) : -1;
        bool made = fd >= 0;
        if (!made) fd = Open(relative, opening, creating);
        if (fd < 0) return fd;
        if (Filestat(fd, out var filestat) && filestat.Filetype == WasiFilestat.RegularFile)
        {
            if (made) fchmod(fd, (uint)mode);
            return fd;
        }
        close(fd);
        return Unknown;
    }

    /// <summary>O_RDONLY, O_WRONLY or O_RDWR, as <paramref name="how"/> reads and writes.</summary>
    internal static int Access(How how) =>
        (how & (How.Read | How.Write)) switch { How.Write => OWronly, How.Read | How.Write => ORdwr, _ => ORdonly };

    /// <summary>The directory at <paramref name="relative"/> (following a final link if
    /// <paramref name="follow"/>) opened for <see cref="ListWasi"/>: its fd (the caller's to
    /// close), or <see cref="Unknown"/> (also for a missing path: the guest opened it through
    /// WASI just before, so it is a race lost, not an answer).</summary>
    public int OpenDirectory(string relative, bool follow)
    {
        int fd = Open(relative, ORdonly | ODirectory | ONonblock | (follow ? 0 : ONofollow));
        return fd >= 0 ? fd : Unknown;
    }

    /// <summary>WASI's <c>fd_readdir</c> stream for the whole directory <paramref name="dirFd"/>
    /// is open on, as Wasmtime (50) writes it: "." and ".." (cookies 1 and 2, both with the
    /// directory's inode number), then each entry in the host's order (cookies from 3), with the
    /// inode number of <see cref="WasiFilestat"/> and WASI's type of the entry itself (a link
    /// not followed; a FIFO is WASI's unknown type). Each entry is a 24-byte dirent and the name.
    /// Written to <paramref name="into"/>: the byte count; <see cref="TooLarge"/> with the bytes
    /// needed in <paramref name="size"/>; <see cref="Unknown"/> where WASI's answer is not
    /// reproduced (a name that is not UTF-8, a socket, an entry gone before its stat).</summary>
    internal static int ListWasi(int dirFd, Span<byte> into, out long size)
    {
        size = 0;
        if (IntPtr.Size != 8 || !Filestat(dirFd, out var self)) return Unknown;
        // A description of its own: its offset is not the kept fd's.
        int fd = openat(dirFd, ".", ORdonly | ODirectory | OCloexec);
        if (fd < 0) return Unknown;
        nint dir = Stream(fd);
        if (dir == 0) return Unknown;
        try
        {
            long needed = 0;
            void Add(Span<byte> into, ulong next, ulong ino, byte type, ReadOnlySpan<byte> name)
            {
                long at = needed;
                needed += 24 + name.Length;
                if (needed > into.Length) return;
                var entry = into.Slice((int)at, 24);
                entry.Clear();
                MemoryMarshal.Write(entry, next);
                MemoryMarshal.Write(entry[8..], ino);
                MemoryMarshal.Write(entry[16..], (uint)name.Length);
                entry[20] = type;
                name.CopyTo(into[((int)at + 24)..]);
            }
            Add(into, 1, self.Ino, WasiFilestat.Directory, "."u8);
            Add(into, 2, self.Ino, WasiFilestat.Directory, ".."u8);
            ulong cookie = 3;
            var names = new Names(dir);
            while (names.MoveNext())
            {
                var name = names.Current;
                Statx st;
                fixed (byte* path = name)
                {
                    if (Statx.Of(fd, path, AtSymlinkNofollow, Statx.TypeField | Statx.InoField, &st) != 0 || !st.Has(Statx.TypeField | Statx.InoField))
                        return Unknown;
                }
                byte type;
                switch (st.Mode & 0xF000)
                {
                    case 0x8000: type = WasiFilestat.RegularFile; break;
                    case 0x4000: type = WasiFilestat.Directory; break;
                    case 0xA000: type = WasiFilestat.SymbolicLink; break;
                    case 0x6000: type = WasiFilestat.BlockDevice; break;
                    case 0x2000: type = WasiFilestat.CharacterDevice; break;
                    case 0x1000: type = WasiFilestat.Unknown; break; // a FIFO: preview 1 has no type for it
                    default: return Unknown; // a socket: Wasmtime does not list it
                }
                Add(into, cookie++, WasiFilestat.InodeOf(Makedev(st.DevMajor, st.DevMinor), st.Ino), type, name);
            }
            if (names.Failed) return Unknown;
            if (needed > into.Length)
            {
                size = needed;
                return TooLarge;
            }
            return (int)needed;
        }
        finally
        {
            closedir(dir); // closes fd
        }
    }

    /// <summary>WASI's filestat of the file <paramref name="fd"/> is open on (see
    /// <see cref="StatWasi"/>); false for other types and without a birth time. With
    /// <paramref name="device"/>, also of a character device, whose file system may keep no
    /// birth time (0 then): the devices of the sandbox's /dev (<see cref="SandboxDevices"/>),
    /// which WASI cannot see, so no answer of WASI's is to be matched.</summary>
    internal static bool Filestat(int fd, out WasiFilestat filestat, bool device = false)
    {
        filestat = default;
        Statx st;
        const uint wanted = Statx.TypeField | Statx.ModeField | Statx.NlinkField | Statx.AtimeField | Statx.MtimeField | Statx.InoField | Statx.SizeField;
        if (Statx.Of(fd, "", Statx.AtEmptyPath, wanted | Statx.BtimeField, &st) != 0 || !st.Has(wanted)) return false;
        byte type = (st.Mode & 0xF000) switch
        {
            0x8000 => WasiFilestat.RegularFile, 0x4000 => WasiFilestat.Directory, 0xA000 => WasiFilestat.SymbolicLink,
            0x2000 when device => WasiFilestat.CharacterDevice, _ => 0,
        };
        bool born = st.Has(Statx.BtimeField) && st.BtimeSeconds >= 0;
        if (type == 0 || st.AtimeSeconds < 0 || st.MtimeSeconds < 0 || !(born || type == WasiFilestat.CharacterDevice)) return false;
        filestat = WasiFilestat.Of(Makedev(st.DevMajor, st.DevMinor), st.Ino, type, st.Nlink, st.Size,
                                   Nanoseconds(st.AtimeSeconds, st.AtimeNanoseconds), Nanoseconds(st.MtimeSeconds, st.MtimeNanoseconds),
                                   born ? Nanoseconds(st.BtimeSeconds, st.BtimeNanoseconds) : 0);
        filestat.Mode = (ushort)(WasiFilestat.HasMode | (st.Mode & 0xfff));
        return true;
    }

    /// <summary>The file system the directory is on, as <c>statvfs</c> describes it: the first
    /// eleven fields of 64-bit Linux's <c>struct statvfs</c> (sizes, counts, id, flags, the
    /// longest name), with <c>ST_RDONLY</c> added for a read-only directory. False where the
    /// host cannot tell (not Linux, the directory not open).</summary>
    public bool FileSystem(out FileSystemStat answer)
    {
        answer = default;
        int fd = Root();
        FileSystemStat st;
        if (fd < 0 || IntPtr.Size != 8 || fstatvfs(fd, &st) != 0) return false;
        answer = st;
        if (!Writable) answer.Flag |= FileSystemStat.ReadOnly;
        return true;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct FileSystemStat
    {
        public const ulong ReadOnly = 1; // ST_RDONLY
        public ulong BlockSize, FragmentSize, Blocks, BlocksFree, BlocksAvailable, Files, FilesFree, FilesAvailable,
                     Fsid, Flag, NameMax;
        private fixed int _spare[6]; // glibc's f_type and padding: unread
    }

    private static ulong Nanoseconds(long seconds, uint nanoseconds) => (ulong)seconds * 1_000_000_000 + nanoseconds;

    /// <summary>glibc's <c>makedev</c>: the <c>st_dev</c> a host stat gives.</summary>
    private static ulong Makedev(uint major, uint minor) =>
        ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);

    public void Dispose()
    {
        lock (_gate)
        {
            if (_fd >= 0) close(_fd);
            _fd = -1;
            _disposed = true;
        }
    }

    private static bool IsRegularFile(int fd, out ulong size)
    {
        Statx st;
        size = 0;
        if (Statx.Of(fd, "", Statx.AtEmptyPath, Statx.TypeField | Statx.SizeField, &st) != 0 || (st.Mode & Statx.TypeMask) != Statx.RegularFile) return false;
        size = st.Size;
        return true;
    }

    /// <summary>An fd of <paramref name="relative"/> opened beneath the directory, or
    /// <see cref="Missing"/> or <see cref="Unknown"/>.</summary>
    private int Open(string relative, int flags, int mode = 0)
    {
        int root = Root();
        if (root < 0) return Unknown;
        var how = new OpenHow { Flags = (ulong)(flags | OCloexec), Mode = (ulong)mode, Resolve = ResolveBeneath | ResolveNoMagiclinks };
        while (true)
        {
            long fd = syscall(SysOpenat2, root, relative, &how, (nuint)sizeof(OpenHow));
            if (fd >= 0) return (int)fd;
            int error = Marshal.GetLastPInvokeError();
            if (error == Enoent) return Missing;
            if (error == Enosys) Volatile.Write(ref s_noOpenat2, true);
            // EAGAIN: a rename raced the resolution (the kernel asks to retry).
            if (error != Eintr && error != Eagain) return Unknown;
        }
    }

    private int Root()
    {
        if (Volatile.Read(ref _fd) is var fd and not -1) return fd;
        if (!OperatingSystem.IsLinux() || Volatile.Read(ref s_noOpenat2)) return -1;
        lock (_gate)
        {
            if (_fd == -1 && !_disposed)
            {
                int opened = open(hostPath, OPath | ODirectory | OCloexec);
                _fd = opened >= 0 ? opened : -2;
            }
            return _fd;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags, Mode, Resolve;
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial long syscall(long number, int dirfd, string path, OpenHow* how, nuint size);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int open(string path, int flags);

    [LibraryImport("libc")]
    private static partial int fstatvfs(int fd, FileSystemStat* answer);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int openat(int dirfd, string path, int flags);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mkdirat(int dirfd, string path, int mode);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int unlinkat(int dirfd, string path, int flags);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int renameat(int dirfd, string path, int toDirfd, string toPath);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int utimensat(int dirfd, string path, long* times, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int chmod(string path, uint mode);

    [LibraryImport("libc")]
    private static partial int fchmod(int fd, uint mode);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint read(int fd, byte* buffer, nuint count);

    [LibraryImport("libc")]
    internal static partial int close(int fd);

    /// <summary>A directory stream over <paramref name="fd"/> (closed with it), or 0 with
    /// <paramref name="fd"/> closed.</summary>
    private static nint Stream(int fd)
    {
        nint dir = fdopendir(fd);
        if (dir == 0) close(fd);
        return dir;
    }

    /// <summary>The names in an open directory stream but "." and "..", each UTF-8: the
    /// enumeration stops early, <see cref="Failed"/>, at a read error or a name that is not.</summary>
    private ref struct Names(nint dir)
    {
        public ReadOnlySpan<byte> Current;
        public bool Failed;

        public bool MoveNext()
        {
            while (true)
            {
                byte* entry = readdir(dir);
                if (entry == null)
                {
                    Failed = Marshal.GetLastPInvokeError() != 0;
                    return false;
                }
                Current = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(entry + DirentName);
                if (Current.SequenceEqual("."u8) || Current.SequenceEqual(".."u8)) continue;
                if (Utf8.IsValid(Current)) return true;
                Failed = true;
                return false;
            }
        }
    }

    // struct dirent of 64-bit Linux (glibc and musl): d_ino, d_off, d_reclen, d_type, d_name.
    private const int DirentName = 19;

    [LibraryImport("libc")]
    private static partial nint fdopendir(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial byte* readdir(nint dir);

    [LibraryImport("libc")]
    private static partial int closedir(nint dir);
}
