using System.Runtime.CompilerServices;
using System.Text;

namespace Pyodide.Guest;

/// <summary>The imports through which the host answers the guest's file-system calls itself
/// (<see cref="GuestFiles"/>; src/guest/bridge/stat.c, files.c, readdir.c, paths.c): stats,
/// whole-file reads and listings, the files the guest opens, the directories WASI opens, paths
/// made, removed, renamed and touched.</summary>
internal sealed unsafe partial class GuestImports
{
    /// <summary>The <c>pyodide.read_file</c> and <c>pyodide.list_dir</c> imports: for the UTF-8
    /// guest path at <paramref name="path"/>, the regular file's bytes (<see cref="GuestFiles.ReadFile"/>)
    /// or, <paramref name="listing"/>, the directory's names, each followed by a NUL
    /// (<see cref="GuestFiles.List"/>), written into the <paramref name="capacity"/> bytes at
    /// <paramref name="address"/>: the byte count; -2 if they did not fit, the size needed
    /// written as an i64 at <paramref name="answer"/> for the guest to ask again with room for
    /// it; -3 if nothing is there; -1 where the host does not answer (the guest asks WASI).</summary>
    private int Fetch(bool listing, int path, int length, int address, int capacity, int answer)
    {
        var guest = _guest;
        if (guest == null || _files == null || length < 0 || capacity < 0) return -1;
        try
        {
            var into = new Span<byte>(guest.Checked((uint)address, (uint)capacity), capacity);
            string guestPath = GuestPath(guest, path, length);
            long size;
            int n = listing ? _files.List(guestPath, into, out size) : _files.ReadFile(guestPath, into, out size);
            if (n == SandboxDirectory.TooLarge) Unsafe.WriteUnaligned(guest.Checked((uint)answer, 8), size);
            return n;
        }
        catch (Exception) when (!guest.IsDead)
        {
            return -1; // an exception must not unwind through wasm frames (a bad address has killed the runtime)
        }
    }

    /// <summary>The <c>pyodide.stat_at</c> import: WASI's <c>path_filestat_get</c> answered by the
    /// host for the UTF-8 path at <paramref name="path"/> relative to the preopened directory
    /// WASI numbers <c>3 + <paramref name="preopen"/></c>, following a final link if
    /// <paramref name="follow"/> (<see cref="GuestFiles.StatWasi"/>): 0 with WASI's 64-byte
    /// filestat written at <paramref name="answer"/>; -3 if nothing is there; -1 where the host
    /// does not answer (the guest asks WASI).</summary>
    private int StatAt(int preopen, int follow, int path, int length, int answer)
    {
        var guest = _guest;
        if (guest == null || _files == null || length < 0) return -1;
        try
        {
            int found = _files.StatWasi(preopen, GuestPath(guest, path, length), follow != 0, out var filestat);
            if (found != 0) return found;
            Unsafe.WriteUnaligned(guest.Checked((uint)answer, (ulong)sizeof(WasiFilestat)), filestat);
            return 0;
        }
        catch (Exception) when (!guest.IsDead)
        {
            return -1; // an exception must not unwind through wasm frames (a bad address has killed the runtime)
        }
    }

    /// <summary>The <c>pyodide.file_open</c> import: the regular file at the UTF-8 path at
    /// <paramref name="path"/> relative to the preopened directory WASI numbers
    /// <c>3 + <paramref name="preopen"/></c>, opened by the host as <paramref name="how"/> says
    /// (<see cref="GuestFiles.OpenFile"/>): its number (0 on) for the other <c>file_*</c>
    /// imports, with 1 written as an i32 at <paramref name="inWritable"/> if the directory is
    /// writable (else 0); -3 if nothing is there; -1 where the host does not answer (the guest
    /// asks WASI).</summary>
    private int FileOpen(int preopen, int follow, int path, int length, int how, int inWritable)
    {
        var guest = _guest;
        if (guest == null || _files == null || length < 0) return -1;
        try
        {
            var writableAt = guest.Checked((uint)inWritable, 4);
            int file = _files.OpenFile(preopen, GuestPath(guest, path, length), (SandboxDirectory.How)how, follow != 0, out bool writable);
            Unsafe.WriteUnaligned(writableAt, writable ? 1 : 0);
            return file;
        }
        catch (Exception) when (!guest.IsDead)
        {
            return -1; // an exception must not unwind through wasm frames (a bad address has killed the runtime)
        }
    }

    /// <summary>The <c>pyodide.file_read</c> import: up to <paramref name="length"/> bytes of file
    /// <paramref name="file"/> read into guest memory at <paramref name="address"/>, at its
    /// offset, or at the u64 at <paramref name="offset"/> if that is not 0; the count written as
    /// a u32 at <paramref name="read"/>. Returns 0 or a WASI errno.</summary>
    private int FileRead(int file, int address, int length, int offset, int read)
    {
        var guest = _guest;
        if (guest == null || _files == null) return Badf;
        if (_files.Open.StreamOf(file) >= 0) return ReadStream(offset, length, address, read);
        try
        {
            var into = new Span<byte>(guest.Checked((uint)address, (uint)length), (int)Math.Min((uint)length, int.MaxValue));
            ulong? at = offset == 0 ? null : Unsafe.ReadUnaligned<ulong>(guest.Checked((uint)offset, 8));
            int error = _files.Open.Read(file, into, at, out int count);
            if (error == 0) Unsafe.WriteUnaligned(guest.Checked((uint)read, 4), (uint)count);
            return error;
        }
        catch (Exception) when (!guest.IsDead)
        {
            return Fault;
        }
    }

    /// <summary>The <c>pyodide.file_write</c> import: <paramref name="length"/> bytes at
    /// <paramref name="address"/> written to file <paramref name="file"/> at its offset
    /// (advancing it), or at the u64 at <paramref name="offset"/> if that is not 0, or at its end
    /// if <paramref name="append"/> (<see cref="OpenFiles.Write"/>); the count written as a u32 at
    /// <paramref name="written"/>. Returns 0 or a WASI errno.</summary>
    private int FileWrite(int file, int address, int length, int offset, int append, int written)
    {
        var guest = _guest;
        if (guest == null || _files == null) return Badf;
        if (_files.Open.StreamOf(file) is >= 0 and var stream) return WriteStream(stream, offset, address, length, written);
        try
        {
            var from = new ReadOnlySpan<byte>(guest.Checked((uint)address, (uint)length), (int)Math.Min((uint)length, int.MaxValue));
            ulong? at = offset == 0 ? null : Unsafe.ReadUnaligned<ulong>(guest.Checked((uint)offset, 8));
            int error = _files.Open.Write(file, from, at, append != 0, out int count);
            if (error == 0) Unsafe.WriteUnaligned(guest.Checked((uint)written, 4), (uint)count);
            return error;
        }
        catch (Exception) when (!guest.IsDead)
        {
            return Fault;
        }
    }

    /// <summary><see cref="FileRead"/> of <c>/dev/stdin</c> (<see cref="OpenFiles.StreamOf"/>):
    /// what <c>sys.stdin</c> reads (<see cref="Read"/>); not at an offset (ESPIPE).</summary>
    private int ReadStream(int offset, int length, int address, int read)
    {
        if (offset != 0) return Spipe;
        int n = Read(address, length);
        if (n < 0) return n == ReadInterrupted ? Intr : Io;
        return WriteCount(read, n);
    }

    /// <summary><see cref="FileWrite"/> of <c>/dev/stdout</c> or <c>/dev/stderr</c>: where
    /// <c>os.write</c> to fd 1 or 2 goes (<see cref="WriteFd"/>); not at an offset (ESPIPE).</summary>
    private int WriteStream(int stream, int offset, int address, int length, int written)
    {
        if (offset != 0) return Spipe;
        int error = WriteFd(stream, address, length);
        return error != 0 ? error : WriteCount(written, length);
    }

    /// <summary>Writes <paramref name="count"/> as the u32 at <paramref name="address"/>: 0, or
    /// EFAULT for a bad address.</summary>
    private int WriteCount(int address, int count)
    {
        var guest = _guest!;
        try
        {
            Unsafe.WriteUnaligned(guest.Checked((uint)address, 4), (uint)count);
            return 0;
        }
        catch (Exception) when (!guest.IsDead)
        {
            return Fault;
        }
    }

    /// <summary>The <c>pyodide.file_set_size</c> import: file <paramref name="file"/> truncated or
    /// extended to the u64 at <paramref name="size"/>. Returns 0 or a WASI errno.</summary>
    private int FileSetSize(int file, int size)
    {
        var guest = _guest;
        if (guest == null || _files == null) return Badf;
        try
        {
            return _files.Open.SetSize(file, Unsafe.ReadUnaligned<ulong>(guest.Checked((uint)size, 8)));
        }
        catch (Exception) when (!guest.IsDead)
        {
            return Fault;
        }
    }

    /// <summary>The <c>pyodide.file_seek</c> import: file <paramref name="file"/>'s offset moved
    /// by the i64 at <paramref name="offset"/> from <paramref name="whence"/> (WASI's), the new
    /// offset written over it. Returns 0 or a WASI errno.</summary>
    private int FileSeek(int file, int offset, int whence)
    {
        var guest = _guest;
        if (guest == null || _files == null) return Badf;
        try
        {
            var at = guest.Checked((uint)offset, 8);
            long position = Unsafe.ReadUnaligned<long>(at);
            int error = _files.Open.Seek(file, ref position, whence);
            if (error == 0) Unsafe.WriteUnaligned(at, position);
            return error;
        }
        catch (Exception) when (!guest.IsDead)
        {
            return Fault;
        }
    }

    /// <summary>The <c>pyodide.file_stat</c> import: WASI's 64-byte filestat of file
    /// <paramref name="file"/> written at <paramref name="answer"/>. Returns 0 or a WASI errno.</summary>
    private int FileStat(int file, int answer)
    {
        var guest = _guest;
        if (guest == null || _files == null) return Badf;
        try
        {
            int error = _files.Open.Stat(file, out var filestat);
            if (error == 0) Unsafe.WriteUnaligned(guest.Checked((uint)answer, (ulong)sizeof(WasiFilestat)), filestat);
            return error;
        }
        catch (Exception) when (!guest.IsDead)
        {
            return Fault;
        }
    }

    /// <summary>The <c>pyodide.file_set_times</c> import: file <paramref name="file"/>'s access
    /// and modification times set from the two u64 (ns) at <paramref name="times"/> as WASI's
    /// <c>fstflags</c> <paramref name="flags"/> say. Returns 0 or a WASI errno.</summary>
    private int FileSetTimes(int file, int times, int flags)
    {
        var guest = _guest;
        if (guest == null || _files == null) return Badf;
        try
        {
            var at = guest.Checked((uint)times, 16);
            return _files.Open.SetTimes(file, Unsafe.ReadUnaligned<ulong>(at), Unsafe.ReadUnaligned<ulong>(at + 8), flags);
        }
        catch (Exception) when (!guest.IsDead)
        {
            return Fault;
        }
    }

    /// <summary>The <c>pyodide.file_lock</c> import (bridge/fcntl.c): <see cref="OpenFiles.Lock"/>
    /// of file <paramref name="file"/> with <paramref name="command"/> (0 <c>flock</c>, 1 set a
    /// record lock, 2 get the one in the way) and the <see cref="OpenFiles.LockRequest"/> at
    /// <paramref name="request"/>, which a get replaces. Returns 0 or a WASI errno.</summary>
    private int FileLock(int file, int command, int request)
    {
        if (_files == null) return Badf;
        if ((uint)command > (uint)OpenFiles.LockCommand.Get) return Inval;
        return Updated(request, (ref OpenFiles.LockRequest lockRequest) =>
            _files.Open.Lock(file, (OpenFiles.LockCommand)command, ref lockRequest));
    }

    /// <summary>The <c>pyodide.dir_open</c> import: the directory at the UTF-8 path at
    /// <paramref name="path"/> relative to the preopened directory WASI numbers
    /// <c>3 + <paramref name="preopen"/></c>, which WASI has just opened for the guest, opened by
    /// the host too (<see cref="GuestFiles.OpenDirectory"/>): its number for <c>dir_read</c> and
    /// <c>file_close</c>, or -1 where the host does not answer.</summary>
    private int DirOpen(int preopen, int follow, int path, int length)
    {
        var guest = _guest;
        if (guest == null || _files == null || length < 0) return -1;
        try
        {
            return _files.OpenDirectory(preopen, GuestPath(guest, path, length), follow != 0);
        }
        catch (Exception) when (!guest.IsDead)
        {
            return -1; // an exception must not unwind through wasm frames (a bad address has killed the runtime)
        }
    }

    /// <summary>The <c>pyodide.dir_read</c> import: directory <paramref name="directory"/>'s whole
    /// listing as WASI's <c>fd_readdir</c> writes it (<see cref="OpenFiles.ReadDirectory"/>) into the
    /// <paramref name="capacity"/> bytes at <paramref name="address"/>: the byte count; -2 if it
    /// did not fit, the size needed written as an i64 at <paramref name="answer"/>; -1 where the
    /// host does not answer (the guest asks WASI).</summary>
    private int DirRead(int directory, int address, int capacity, int answer)
    {
        var guest = _guest;
        if (guest == null || _files == null || capacity < 0) return -1;
        try
        {
            var into = new Span<byte>(guest.Checked((uint)address, (uint)capacity), capacity);
            int n = _files.Open.ReadDirectory(directory, into, out long size);
            if (n == SandboxDirectory.TooLarge) Unsafe.WriteUnaligned(guest.Checked((uint)answer, 8), size);
            return n;
        }
        catch (Exception) when (!guest.IsDead)
        {
            return -1; // an exception must not unwind through wasm frames (a bad address has killed the runtime)
        }
    }

    /// <summary>The <c>pyodide.path_make_directory</c> and <c>pyodide.path_remove</c> imports:
    /// <paramref name="change"/> (given <paramref name="argument"/>) of the UTF-8 path at
    /// <paramref name="path"/> beneath the preopened directory WASI numbers
    /// <c>3 + <paramref name="preopen"/></c> (<see cref="GuestFiles.Change"/>): 0 if the host did
    /// it, -1 if not (the guest asks WASI).</summary>
    private int Change(int preopen, int path, int length, Func<SandboxDirectory, string, int, bool> change, int argument)
    {
        var guest = _guest;
        if (guest == null || _files == null || length < 0) return -1;
        try
        {
            return _files.Change(preopen, GuestPath(guest, path, length), (directory, relative) => change(directory, relative, argument)) ? 0 : -1;
        }
        catch (Exception) when (!guest.IsDead)
        {
            return -1; // an exception must not unwind through wasm frames (a bad address has killed the runtime)
        }
    }

    /// <summary>The <c>pyodide.path_rename</c> import: the UTF-8 path at <paramref name="path"/>
    /// beneath preopen <paramref name="preopen"/> renamed to the one at <paramref name="toPath"/>
    /// beneath <paramref name="toPreopen"/> (both writable): 0 if the host did it, -1 if not.</summary>
    private int PathRename(int preopen, int path, int length, int toPreopen, int toPath, int toLength)
    {
        var guest = _guest;
        if (guest == null || _files == null || toLength < 0) return -1;
        try
        {
            string target = GuestPath(guest, toPath, toLength);
            return _files.Change(preopen, GuestPath(guest, path, length),
                                 (from, relative) => _files.Change(toPreopen, target, (to, toRelative) => from.Rename(relative, to, toRelative)))
                ? 0 : -1;
        }
        catch (Exception) when (!guest.IsDead)
        {
            return -1;
        }
    }

    /// <summary>The <c>pyodide.path_set_times</c> import: the access and modification times of the
    /// UTF-8 path at <paramref name="path"/> beneath preopen <paramref name="preopen"/> (of a final
    /// link itself unless <paramref name="follow"/>) set from the two u64 at <paramref name="times"/>
    /// as WASI's <c>fstflags</c> <paramref name="flags"/> say: 0 if the host did it, -1 if not.</summary>
    private int PathSetTimes(int preopen, int follow, int path, int length, int times, int flags)
    {
        var guest = _guest;
        if (guest == null || _files == null || length < 0) return -1;
        try
        {
            var at = guest.Checked((uint)times, 16);
            ulong atim = Unsafe.ReadUnaligned<ulong>(at), mtim = Unsafe.ReadUnaligned<ulong>(at + 8);
            return _files.Change(preopen, GuestPath(guest, path, length),
                                 (directory, relative) => directory.SetTimes(relative, follow != 0, atim, mtim, flags))
                ? 0 : -1;
        }
        catch (Exception) when (!guest.IsDead)
        {
            return -1;
        }
    }

    /// <summary>The <c>pyodide.path_set_mode</c> import: the permission bits of the UTF-8 path at
    /// <paramref name="path"/> beneath preopen <paramref name="preopen"/> (of the file a final
    /// link leads to if <paramref name="follow"/>) set to <paramref name="mode"/>
    /// (<see cref="GuestFiles.SetMode"/>): 0, a WASI errno, or -1 where the host cannot.</summary>
    private int PathSetMode(int preopen, int follow, int path, int length, int mode)
    {
        var guest = _guest;
        if (guest == null || _files == null || length < 0) return -1;
        try
        {
            return _files.SetMode(preopen, GuestPath(guest, path, length), follow != 0, (uint)mode);
        }
        catch (Exception) when (!guest.IsDead)
        {
            return -1;
        }
    }

    /// <summary>The <c>pyodide.file_system</c> import: the first eleven u64 fields of Linux's
    /// <c>struct statvfs</c> for the file system of preopen <paramref name="preopen"/>, written at
    /// <paramref name="address"/> (<see cref="SandboxDirectory.FileSystem"/>). 0, ENOTSUP where the
    /// host cannot tell, or EFAULT.</summary>
    private int FileSystem(int preopen, int address)
    {
        var guest = _guest;
        if (guest == null || _files == null) return Badf;
        try
        {
            var into = guest.Checked((uint)address, 88);
            if (!_files.FileSystem(preopen, out var answer)) return NotSupported;
            new ReadOnlySpan<byte>(&answer, 88).CopyTo(new Span<byte>(into, 88));
            return 0;
        }
        catch (Exception) when (!guest.IsDead)
        {
            return Fault;
        }
    }

    // WASI's errnos: a descriptor that is not open, an address outside the guest's memory,
    // a read interrupted, an argument out of range, a failed read, something the host cannot
    // do, a seek on a stream.
    private const int Badf = 8, Fault = 21, Intr = 27, Inval = 28, Io = 29, NotSupported = 58, Spipe = 70;

    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    /// <summary>A guest path the guest passed as UTF-8 (one that is not valid UTF-8 throws: no
    /// answer, rather than an answer for the path its replacement characters would spell).</summary>
    private static string GuestPath(GuestInstance guest, int path, int length) =>
        StrictUtf8.GetString(guest.Bytes((uint)path, (uint)length));
}
