using System.Runtime.InteropServices;

namespace Pyodide.Guest;

/// <summary>The regular files a runtime's guest opened beneath its preopens that the host keeps
/// open and reads and writes for it (bridge/files.c: WASI's calls on them answered without
/// Wasmtime's blocking pool), and the directories WASI opened there that the host lists for it
/// (bridge/readdir.c), by the number the guest knows each by. Every call answers as Wasmtime's
/// WASI answers for a file it opened the same way, with a WASI errno (0: success). Closed
/// with the runtime.</summary>
internal sealed unsafe partial class OpenFiles : IDisposable
{
    // The host's fd by number; -1: free; FirstStream - n: the runtime's standard stream n
    // (/dev/stdin, /dev/stdout, /dev/stderr: SandboxDevices), which GuestImports reads and
    // writes as it does sys.stdin and sys.stdout, and which has no fd of the host's.
    private readonly List<int> _fds = [];
    private const int FirstStream = -2;

    /// <summary>Keeps <paramref name="fd"/> (now this table's to close) and returns its number.</summary>
    public int Add(int fd)
    {
        int number = _fds.IndexOf(-1);
        if (number < 0)
        {
            _fds.Add(fd);
            return _fds.Count - 1;
        }
        _fds[number] = fd;
        return number;
    }

    /// <summary>Keeps the runtime's standard stream <paramref name="stream"/> (0, 1 or 2) and
    /// returns its number.</summary>
    public int AddStream(int stream) => Add(FirstStream - stream);

    /// <summary>The standard stream file <paramref name="file"/> is (0, 1 or 2), or -1 when it
    /// is none: the caller reads and writes a stream itself; every other call here answers
    /// for it as Linux does for a terminal or a pipe.</summary>
    public int StreamOf(int file) => (uint)file < (uint)_fds.Count && _fds[file] <= FirstStream ? FirstStream - _fds[file] : -1;

    /// <summary>Reads into <paramref name="into"/> at the file's offset (advancing it), or at
    /// <paramref name="offset"/> if it is not null (leaving it).</summary>
    public int Read(int file, Span<byte> into, ulong? offset, out int read)
    {
        read = 0;
        if (Fd(file) is not (>= 0 and var fd)) return Badf;
        if (offset > long.MaxValue) return Inval;
        fixed (byte* start = into)
        {
            while (true)
            {
                nint n = offset is ulong at ? pread(fd, start, (nuint)into.Length, (long)at) : ReadOn(fd, start, (nuint)into.Length);
                if (n >= 0)
                {
                    read = (int)n;
                    return 0;
                }
                int error = Marshal.GetLastPInvokeError();
                if (error != Eintr) return Wasi(error);
            }
        }
    }

    /// <summary>Writes <paramref name="from"/> at the file's offset (advancing it), or at
    /// <paramref name="offset"/> if it is not null (leaving it); if <paramref name="append"/>, at
    /// the end whatever the offset (as Linux's <c>pwrite</c> on <c>O_APPEND</c>), a write at the
    /// offset then leaving the offset at the end.</summary>
    public int Write(int file, ReadOnlySpan<byte> from, ulong? offset, bool append, out int written)
    {
        written = 0;
        if (Fd(file) is not (>= 0 and var fd)) return Badf;
        if (offset > long.MaxValue) return Inval;
        long keep = -1;
        if (append)
        {
            if (offset != null && (keep = lseek(fd, 0, SeekCur)) < 0) return Wasi(Marshal.GetLastPInvokeError());
            if (lseek(fd, 0, SeekEnd) < 0) return Wasi(Marshal.GetLastPInvokeError());
            offset = null;
        }
        try
        {
            fixed (byte* start = from)
            {
                while (true)
                {
                    nint n = offset is ulong at ? pwrite(fd, start, (nuint)from.Length, (long)at) : WriteOn(fd, start, (nuint)from.Length);
                    if (n >= 0)
                    {
                        written = (int)n;
                        return 0;
                    }
                    int error = Marshal.GetLastPInvokeError();
                    if (error != Eintr) return Wasi(error);
                }
            }
        }
        finally
        {
            if (keep >= 0) lseek(fd, keep, SeekSet);
        }
    }

    /// <summary><c>ftruncate</c> to <paramref name="size"/>.</summary>
    public int SetSize(int file, ulong size)
    {
        if (StreamOf(file) >= 0) return Inval;
        if (Fd(file) is not (>= 0 and var fd)) return Badf;
        if (size > long.MaxValue) return Inval;
        return ftruncate(fd, (long)size) == 0 ? 0 : Wasi(Marshal.GetLastPInvokeError());
    }

    /// <summary>Moves the file's offset by <paramref name="offset"/> from <paramref name="whence"/>
    /// (WASI's: 0 the start, 1 the offset, 2 the end) and writes the new one to it.</summary>
    public int Seek(int file, ref long offset, int whence)
    {
        if (StreamOf(file) >= 0) return Spipe;
        if (Fd(file) is not (>= 0 and var fd)) return Badf;
        if ((uint)whence > 2) return Inval;
        long at = lseek(fd, offset, whence); // SEEK_SET, SEEK_CUR, SEEK_END are WASI's numbers
        if (at < 0) return Wasi(Marshal.GetLastPInvokeError());
        offset = at;
        return 0;
    }

    /// <summary>The directory's whole WASI listing (<see cref="SandboxDirectory.ListWasi"/>).</summary>
    public int ReadDirectory(int directory, Span<byte> into, out long size)
    {
        size = 0;
        return Fd(directory) is >= 0 and var fd ? SandboxDirectory.ListWasi(fd, into, out size) : SandboxDirectory.Unknown;
    }

    /// <summary>WASI's filestat of the file (<see cref="SandboxDirectory.Filestat"/>): a regular
    /// file, or one of the sandbox's devices (<see cref="SandboxDevices"/>).</summary>
    public int Stat(int file, out WasiFilestat filestat)
    {
        filestat = default;
        if (StreamOf(file) is >= 0 and var stream)
        {
            filestat = SandboxDevices.StreamFilestat(stream);
            return 0;
        }
        if (Fd(file) is not (>= 0 and var fd)) return Badf;
        return SandboxDirectory.Filestat(fd, out filestat, device: true) ? 0 : Io;
    }

    /// <summary><c>fsync</c>, or <c>fdatasync</c> if <paramref name="dataOnly"/>.</summary>
    public int Sync(int file, bool dataOnly)
    {
        if (StreamOf(file) >= 0) return Inval;
        if (Fd(file) is not (>= 0 and var fd)) return Badf;
        return (dataOnly ? fdatasync(fd) : fsync(fd)) == 0 ? 0 : Wasi(Marshal.GetLastPInvokeError());
    }

    /// <summary><c>futimens</c>: each of the access and modification times set to the one
    /// given (<paramref name="flags"/> ATIM 1, MTIM 4), to now (ATIM_NOW 2, MTIM_NOW 8) or left.</summary>
    /// <summary>Sets the permission bits of <paramref name="file"/> to <paramref name="mode"/>
    /// (those <see cref="SandboxDirectory.Settable"/>), as <c>fchmod</c> does: 0 or a WASI
    /// errno (EPERM for a stream).</summary>
    public int SetMode(int file, uint mode)
    {
        if (StreamOf(file) >= 0) return Perm;
        if (Fd(file) is not (>= 0 and var fd)) return Badf;
        return fchmod(fd, mode & SandboxDirectory.Settable) == 0 ? 0 : Wasi(Marshal.GetLastPInvokeError());
    }

    public int SetTimes(int file, ulong atim, ulong mtim, int flags)
    {
        if (StreamOf(file) >= 0) return Perm;
        if (Fd(file) is not (>= 0 and var fd)) return Badf;
        var times = Timespecs(atim, mtim, flags);
        fixed (long* at = times)
            return futimens(fd, at) == 0 ? 0 : Wasi(Marshal.GetLastPInvokeError());
    }

    /// <summary>The two <c>struct timespec</c> of <c>futimens</c> and <c>utimensat</c> for WASI's
    /// times and <c>fstflags</c>: each set (ATIM 1, MTIM 4), now (ATIM_NOW 2, MTIM_NOW 8) or left.</summary>
    internal static long[] Timespecs(ulong atim, ulong mtim, int flags)
    {
        const long Now = (1L << 30) - 1, Omit = (1L << 30) - 2; // UTIME_NOW, UTIME_OMIT
        static (long, long) Time(ulong ns, bool set, bool now) =>
            set ? ((long)(ns / 1_000_000_000), (long)(ns % 1_000_000_000)) : (0, now ? Now : Omit);
        var (atimSeconds, atimNanoseconds) = Time(atim, (flags & 1) != 0, (flags & 2) != 0);
        var (mtimSeconds, mtimNanoseconds) = Time(mtim, (flags & 4) != 0, (flags & 8) != 0);
        return [atimSeconds, atimNanoseconds, mtimSeconds, mtimNanoseconds];
    }

    /// <summary>A lock as <c>pyodide.file_lock</c> passes it (bridge/fcntl.c): for
    /// <see cref="LockCommand.Flock"/> <see cref="Type"/> is <c>flock</c>'s operation (LOCK_SH 1,
    /// LOCK_EX 2, LOCK_UN 8); for the record locks Linux's <c>struct flock</c> fields (F_RDLCK 0,
    /// F_WRLCK 1, F_UNLCK 2), which <see cref="LockCommand.Get"/> replaces with the lock in the way.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct LockRequest
    {
        public int Type, Whence;
        public long Start, Length;
        public int Pid, Padding;
    }

    public enum LockCommand { Flock = 0, Set = 1, Get = 2 }

    /// <summary>Takes, changes or releases a lock on the file without waiting, or asks which lock
    /// would stand in the way (<see cref="LockCommand.Get"/>): <c>flock</c>, or Linux's
    /// open-file-description record locks, which belong to the open file as <c>flock</c>'s do, so
    /// that runtimes of one host process exclude each other as processes do and a runtime's
    /// locks go with its files. EAGAIN when another open file holds a lock in the way (the guest
    /// waits in slices: a blocking call here would hold the runtime where no deadline or
    /// interrupt reaches it); ENOLCK for a stream, and off Linux.</summary>
    public int Lock(int file, LockCommand command, ref LockRequest request)
    {
        if (StreamOf(file) >= 0) return Nolck;
        if (Fd(file) is not (>= 0 and var fd)) return Badf;
        if (!OperatingSystem.IsLinux()) return Nolck; // Wasi() reads Linux's errnos
        var linux = new LinuxFlock
        {
            Type = (short)request.Type, Whence = (short)request.Whence, Start = request.Start, Length = request.Length,
        };
        while ((command switch
               {
                   LockCommand.Flock => flock(fd, request.Type | LockNonblocking),
                   LockCommand.Get => fcntl(fd, OfdGetLock, &linux),
                   _ => fcntl(fd, OfdSetLock, &linux),
               }) != 0)
        {
            int error = Marshal.GetLastPInvokeError();
            if (error != Eintr) return Wasi(error);
        }
        if (command == LockCommand.Get)
            request = new LockRequest { Type = linux.Type, Whence = linux.Whence, Start = linux.Start, Length = linux.Length, Pid = linux.Pid };
        return 0;
    }

    /// <summary>Linux's <c>struct flock</c> (x86-64 and arm64 alike).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct LinuxFlock
    {
        public short Type, Whence;
        public long Start, Length;
        public int Pid;
    }

    public void Close(int file)
    {
        if (Fd(file) == -1) return; // not open (a stream has no fd of the host's to close)
        if (_fds[file] >= 0) SandboxDirectory.close(_fds[file]);
        _fds[file] = -1;
    }

    public void Dispose()
    {
        for (int i = 0; i < _fds.Count; i++) Close(i);
    }

    private int Fd(int file) => (uint)file < (uint)_fds.Count ? _fds[file] : -1;

    // WASI's errnos for what reading, writing, seeking, truncating and syncing a regular file
    // (or a stream) can fail with.
    private const int Badf = 8, Inval = 28, Io = 29, Nolck = 46, Perm = 63, Spipe = 70;
    private const int Eintr = 4;
    private const int LockNonblocking = 4, OfdGetLock = 36, OfdSetLock = 37; // LOCK_NB, F_OFD_GETLK, F_OFD_SETLK
    public const int Epipe = 32;
    private const int SeekSet = 0, SeekCur = 1, SeekEnd = 2;

    /// <summary>The WASI errno of a system error (Linux's numbers, which macOS shares up to
    /// ERANGE) that reading, writing or locking a file or stream, or setting a terminal, can fail with; EIO for the rest.</summary>
    public static int Wasi(int linuxErrno) => linuxErrno switch
    {
        Epipe => 64,    // EPIPE
        9 => Badf,      // EBADF
        22 => Inval,    // EINVAL
        75 => 61,       // EOVERFLOW
        12 => 48,       // ENOMEM
        28 => 51,       // ENOSPC
        122 => 19,      // EDQUOT
        27 => 22,       // EFBIG
        13 => 2,        // EACCES
        1 => 63,        // EPERM
        11 => 6,        // EAGAIN (EWOULDBLOCK): a lock in the way
        37 => Nolck,    // ENOLCK
        35 => 16,       // EDEADLK
        25 => 59,       // ENOTTY
        2 => 44,        // ENOENT
        30 => 69,       // EROFS
        95 => 58,       // EOPNOTSUPP
        40 => 32,       // ELOOP
        20 => 54,       // ENOTDIR
        _ => Io,        // EIO and anything else
    };

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint ReadOn(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint pread(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint WriteOn(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint pwrite(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int ftruncate(int fd, long length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial long lseek(int fd, long offset, int whence);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int futimens(int fd, long* times);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fchmod(int fd, uint mode);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fdatasync(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int flock(int fd, int operation);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fcntl(int fd, int command, LinuxFlock* flock);
}
