using System.Runtime.CompilerServices;
using System.Text;
using Wasmtime;

namespace Pyodide.Guest;

/// <summary>What python.wasm imports (src/guest/README.md, "Imports"): WASI and the
/// <c>pyodide</c> module's functions, answered for one instance. To add an import, add
/// its handler here, its line to <see cref="Table"/> and its case to <see cref="Dispatch"/>. A handler never lets an
/// exception unwind through wasm frames, except to kill a dead runtime's call.</summary>
internal sealed unsafe partial class GuestImports
{
    private readonly GuestInstance? _guest;
    private readonly GuestStreams? _streams;
    private readonly IHostCallHandler? _host;
    private readonly GuestFiles? _files;

    public GuestImports(GuestInstance guest, GuestStreams streams, IHostCallHandler host, GuestFiles files)
    {
        _guest = guest;
        _streams = streams;
        _host = host;
        _files = files;
    }

    private GuestImports()
    {
    }

    /// <summary>Imports for an instance that never runs (one made only to read the module's
    /// initial memory): every handler refuses.</summary>
    public static readonly GuestImports Inert = new();

    /// <summary>The <c>pyodide</c> module's functions: name, i32 parameters, i32 results.</summary>
    private enum Import { Write, WriteFd, Read, Isatty, TerminalSize, CallHost, DropHost, HostObject, DropObject, HostModuleWanted, ReadStdlib, ReadFile, ListDir, StatAt,
                         FileOpen, FileRead, FileWrite, FileSetSize, FileSeek, FileStat, FileSync, FileSetTimes, FileSetMode, FileLock, FileClose,
                         DirOpen, DirRead, PathMakeDirectory, PathRemove, PathRename, PathSetTimes, PathSetMode, PreopenReadOnly, FileSystem, ProcessUmask, SetTimer, CpuTime, MemoryLimit, Terminal }

    private static readonly (Import Import, string Name, int Parameters, int Results)[] Table =
    [
        (Import.Write, "write", 3, 1),
        (Import.WriteFd, "write_fd", 3, 1),
        (Import.Read, "read", 2, 1),
        (Import.Isatty, "isatty", 1, 1),
        (Import.TerminalSize, "terminal_size", 1, 1),
        (Import.CallHost, "call_host", 4, 1),
        (Import.DropHost, "drop_host", 1, 0),
        (Import.HostObject, "host_object", 5, 1),
        (Import.DropObject, "drop_object", 1, 0),
        (Import.HostModuleWanted, "host_module_wanted", 2, 1),
        (Import.ReadStdlib, "read_stdlib", 3, 1),
        (Import.ReadFile, "read_file", 5, 1),
        (Import.ListDir, "list_dir", 5, 1),
        (Import.StatAt, "stat_at", 5, 1),
        (Import.FileOpen, "file_open", 6, 1),
        (Import.FileRead, "file_read", 5, 1),
        (Import.FileWrite, "file_write", 6, 1),
        (Import.FileSetSize, "file_set_size", 2, 1),
        (Import.FileSeek, "file_seek", 3, 1),
        (Import.FileStat, "file_stat", 2, 1),
        (Import.FileSync, "file_sync", 2, 1),
        (Import.FileSetTimes, "file_set_times", 3, 1),
        (Import.FileSetMode, "file_set_mode", 2, 1),
        (Import.FileLock, "file_lock", 3, 1),
        (Import.FileClose, "file_close", 1, 0),
        (Import.DirOpen, "dir_open", 4, 1),
        (Import.DirRead, "dir_read", 4, 1),
        (Import.PathMakeDirectory, "path_make_directory", 4, 1),
        (Import.PathRemove, "path_remove", 4, 1),
        (Import.PathRename, "path_rename", 6, 1),
        (Import.PathSetTimes, "path_set_times", 6, 1),
        (Import.PathSetMode, "path_set_mode", 5, 1),
        (Import.PreopenReadOnly, "preopen_read_only", 1, 1),
        (Import.FileSystem, "file_system", 2, 1),
        (Import.SetTimer, "set_timer", 1, 1),
        (Import.CpuTime, "cpu_time", 2, 1),
        (Import.MemoryLimit, "memory_limit", 1, 1),
        (Import.ProcessUmask, "process_umask", 0, 1),
        (Import.Terminal, "terminal", 3, 1),
    ];

    /// <summary>Defines every import in <paramref name="linker"/>.</summary>
    public void Define(Linker linker)
    {
        linker.DefineWasi();
        var handle = WasmtimeDirect.HandleOf(linker);
        foreach (var (import, name, parameters, results) in Table)
            WasmtimeDirect.DefineFunction(handle, "pyodide", name, parameters, results, new Binding(this, import));
    }

    /// <summary>One import of this instance, as Wasmtime calls it.</summary>
    private sealed class Binding(GuestImports imports, Import import) : WasmtimeDirect.IImport
    {
        public void Invoke(WasmtimeDirect.RawValue* v) => imports.Dispatch(import, v);
    }

    /// <summary>Carries out <paramref name="import"/> with its arguments in <paramref name="v"/>,
    /// its result (if any) written to the first.</summary>
    private void Dispatch(Import import, WasmtimeDirect.RawValue* v)
    {
        switch (import)
        {
            case Import.Write: v[0].I32 = Write(v[0].I32, v[1].I32, v[2].I32); break;
            case Import.WriteFd: v[0].I32 = WriteFd(v[0].I32, v[1].I32, v[2].I32); break;
            case Import.Read: v[0].I32 = Read(v[0].I32, v[1].I32); break;
            case Import.Isatty: v[0].I32 = _streams?.IsTerminal(v[0].I32) == true ? 1 : 0; break;
            case Import.TerminalSize: v[0].I32 = TerminalSize(v[0].I32); break;
            case Import.CallHost: v[0].I32 = CallHost(v[0].I32, v[1].I32, v[2].I32, v[3].I32); break;
            case Import.DropHost: DropHost(v[0].I32); break;
            case Import.HostObject: v[0].I32 = HostObject(v[0].I32, v[1].I32, v[2].I32, v[3].I32, v[4].I32); break;
            case Import.DropObject: DropObject(v[0].I32); break;
            case Import.HostModuleWanted: v[0].I32 = HostModuleWanted(v[0].I32, v[1].I32); break;
            case Import.ReadStdlib: v[0].I32 = ReadStdlib((uint)v[0].I32, v[1].I32, v[2].I32); break;
            case Import.ReadFile: v[0].I32 = Fetch(listing: false, v[0].I32, v[1].I32, v[2].I32, v[3].I32, v[4].I32); break;
            case Import.ListDir: v[0].I32 = Fetch(listing: true, v[0].I32, v[1].I32, v[2].I32, v[3].I32, v[4].I32); break;
            case Import.StatAt: v[0].I32 = StatAt(v[0].I32, v[1].I32, v[2].I32, v[3].I32, v[4].I32); break;
            case Import.FileOpen: v[0].I32 = FileOpen(v[0].I32, v[1].I32, v[2].I32, v[3].I32, v[4].I32, v[5].I32); break;
            case Import.FileRead: v[0].I32 = FileRead(v[0].I32, v[1].I32, v[2].I32, v[3].I32, v[4].I32); break;
            case Import.FileWrite: v[0].I32 = FileWrite(v[0].I32, v[1].I32, v[2].I32, v[3].I32, v[4].I32, v[5].I32); break;
            case Import.FileSetSize: v[0].I32 = FileSetSize(v[0].I32, v[1].I32); break;
            case Import.FileSeek: v[0].I32 = FileSeek(v[0].I32, v[1].I32, v[2].I32); break;
            case Import.FileStat: v[0].I32 = FileStat(v[0].I32, v[1].I32); break;
            case Import.FileSync: v[0].I32 = _files?.Open.Sync(v[0].I32, v[1].I32 != 0) ?? Badf; break;
            case Import.FileSetTimes: v[0].I32 = FileSetTimes(v[0].I32, v[1].I32, v[2].I32); break;
            case Import.FileSetMode: v[0].I32 = _files?.Open.SetMode(v[0].I32, (uint)v[1].I32) ?? Badf; break;
            case Import.FileLock: v[0].I32 = FileLock(v[0].I32, v[1].I32, v[2].I32); break;
            case Import.FileClose: _files?.Open.Close(v[0].I32); break;
            case Import.DirOpen: v[0].I32 = DirOpen(v[0].I32, v[1].I32, v[2].I32, v[3].I32); break;
            case Import.DirRead: v[0].I32 = DirRead(v[0].I32, v[1].I32, v[2].I32, v[3].I32); break;
            case Import.PathMakeDirectory:
                v[0].I32 = Change(v[0].I32, v[1].I32, v[2].I32, static (directory, path, mode) => directory.MakeDirectory(path, mode), v[3].I32);
                break;
            case Import.PathRemove:
                v[0].I32 = Change(v[0].I32, v[1].I32, v[2].I32, static (directory, path, isDirectory) => directory.Remove(path, isDirectory != 0), v[3].I32);
                break;
            case Import.PathRename: v[0].I32 = PathRename(v[0].I32, v[1].I32, v[2].I32, v[3].I32, v[4].I32, v[5].I32); break;
            case Import.PathSetTimes: v[0].I32 = PathSetTimes(v[0].I32, v[1].I32, v[2].I32, v[3].I32, v[4].I32, v[5].I32); break;
            case Import.PathSetMode: v[0].I32 = PathSetMode(v[0].I32, v[1].I32, v[2].I32, v[3].I32, v[4].I32); break;
            case Import.PreopenReadOnly: v[0].I32 = _files?.IsReadOnly(v[0].I32) == true ? 1 : 0; break;
            case Import.FileSystem: v[0].I32 = FileSystem(v[0].I32, v[1].I32); break;
            case Import.SetTimer: v[0].I32 = SetTimer(v[0].I32); break;
            case Import.CpuTime: v[0].I32 = CpuTime(v[0].I32, v[1].I32); break;
            case Import.MemoryLimit: v[0].I32 = MemoryLimit(v[0].I32); break;
            case Import.ProcessUmask: v[0].I32 = SandboxDirectory.ProcessUmask(); break;
            case Import.Terminal: v[0].I32 = Terminal(v[0].I32, v[1].I32, v[2].I32); break;
        }
    }

    /// <summary>The <c>pyodide.set_timer</c> import (bridge/timers.c): sets or reads the
    /// instance's interval timer from the two microsecond counts at <paramref name="address"/>
    /// (value, interval; a negative value only reads) and writes the old ones there. 0, or
    /// EFAULT for a bad address.</summary>
    private int SetTimer(int address)
    {
        if (_guest == null) return Fault;
        try
        {
            var times = new Span<long>(_guest.Checked((uint)address, 16), 2);
            (times[0], times[1]) = _guest.Timer.Set(times[0], times[1]);
            return 0;
        }
        catch (Exception) when (!_guest.IsDead)
        {
            return Fault; // a bad address (it has killed the runtime if outside memory)
        }
    }

    /// <summary>The <c>pyodide.cpu_time</c> import (bridge/clocks.c): writes the user and
    /// the system CPU time in nanoseconds, two i64, at <paramref name="address"/>: the
    /// host process's (<paramref name="which"/> 0) or the calling thread's (1;
    /// <see cref="HostCpuTime"/>). 0, ENOTSUP when the host cannot tell, EINVAL for
    /// another <paramref name="which"/>, EFAULT for a bad address.</summary>
    private int CpuTime(int which, int address)
    {
        if (_guest == null) return Fault;
        if (which is not (0 or 1)) return Inval;
        if (!HostCpuTime.TryGet(thread: which == 1, out long user, out long system)) return NotSupported;
        try
        {
            var times = new Span<long>(_guest.Checked((uint)address, 16), 2);
            (times[0], times[1]) = (user, system);
            return 0;
        }
        catch (Exception) when (!_guest.IsDead)
        {
            return Fault;
        }
    }

    /// <summary>The <c>pyodide.memory_limit</c> import (bridge/resource.c): writes the
    /// runtime's memory limit in bytes, an i64, at <paramref name="address"/>; 0 when it
    /// has none. 0, or EFAULT for a bad address.</summary>
    private int MemoryLimit(int address)
    {
        if (_guest == null) return Fault;
        try
        {
            new Span<long>(_guest.Checked((uint)address, 8), 1)[0] = (long)Math.Min(_guest.MemoryLimit, long.MaxValue);
            return 0;
        }
        catch (Exception) when (!_guest.IsDead)
        {
            return Fault;
        }
    }

    /// <summary>The <c>pyodide.terminal</c> import (bridge/termios.c): <see cref="HostTerminal.Control"/>
    /// of the terminal behind guest fd <paramref name="fd"/> with <paramref name="command"/> and
    /// the <see cref="HostTerminal.Request"/> at <paramref name="request"/>, which a get fills.
    /// 0 or a WASI errno.</summary>
    private int Terminal(int fd, int command, int request)
    {
        if (_streams == null) return Fault;
        if ((uint)command > (uint)HostTerminal.Command.SetWindowSize) return Inval;
        return Updated(request, (ref HostTerminal.Request terminalRequest) =>
            _streams.Terminal.Control(fd, (HostTerminal.Command)command, ref terminalRequest));
    }

    private delegate int Update<T>(ref T value) where T : unmanaged;

    /// <summary>Reads the <typeparamref name="T"/> at guest <paramref name="address"/>, lets
    /// <paramref name="update"/> act on it, and writes it back when that returns 0. Returns
    /// what <paramref name="update"/> does, or EFAULT for a bad address.</summary>
    private int Updated<T>(int address, Update<T> update) where T : unmanaged
    {
        var guest = _guest;
        if (guest == null) return Fault;
        try
        {
            var at = guest.Checked((uint)address, (ulong)sizeof(T));
            var value = Unsafe.ReadUnaligned<T>(at);
            int error = update(ref value);
            if (error == 0) Unsafe.WriteUnaligned(at, value);
            return error;
        }
        catch (Exception) when (!guest.IsDead)
        {
            return Fault;
        }
    }

    /// <summary>The <c>pyodide.terminal_size</c> import: columns &lt;&lt; 16 | lines of the
    /// terminal the stream on <paramref name="fd"/> shows on, 0 when it is not one (or the
    /// host's answer failed).</summary>
    private int TerminalSize(int fd)
    {
        try
        {
            return _streams?.TerminalSize(fd) ?? 0;
        }
        catch (Exception)
        {
            return 0; // a host callback's exception must not unwind through wasm frames
        }
    }

    /// <summary>The <c>pyodide.write</c> import: Python's sys.stdout/sys.stderr, delivered
    /// to the output handler on the thread making the call. Returns 0, or the WASI errno
    /// of a stream that failed.</summary>
    private int Write(int fd, int address, int length)
    {
        if (_guest == null || _streams == null) return 0;
        try
        {
            var text = _guest.Bytes((uint)address, (uint)length);
            (fd == 2 ? _streams.Stderr : _streams.Stdout)(text);
            return 0;
        }
        catch (IOException e)
        {
            return GuestStreams.WriteError(e); // the stream failed: Python's write raises OSError
        }
        catch (Exception)
        {
            // A throwing output handler must not unwind through wasm frames;
            // the text is dropped and Python carries on.
            return 0;
        }
    }

    /// <summary>The <c>pyodide.write_fd</c> import: bytes written below sys.stdout and
    /// sys.stderr (os.write, C code) on fds 1 and 2, delivered on the thread making the
    /// call; they may come in the middle of the interpreter's own work, so the handler
    /// may not call back into this runtime (<see cref="GuestInstance.InLowLevelOutput"/>).
    /// Returns what <see cref="Write"/> returns.</summary>
    private int WriteFd(int fd, int address, int length)
    {
        if (_guest == null) return 0;
        _guest.InLowLevelOutput = true;
        try
        {
            return Write(fd, address, length);
        }
        finally
        {
            _guest.InLowLevelOutput = false;
        }
    }

    /// <summary>The <c>pyodide.host_module_wanted</c> import: 1 if the host registered the
    /// module just now (it had deferred it), 0 if it has no such module, -1 if registering
    /// it failed (Python raises ImportError).</summary>
    private int HostModuleWanted(int address, int length)
    {
        var guest = _guest;
        if (guest == null || _host == null) return 0;
        try
        {
            return _host.RegisterDeferred(Encoding.UTF8.GetString(guest.Bytes((uint)address, (uint)length))) ? 1 : 0;
        }
        catch (Exception) when (!guest.IsDead)
        {
            return -1;
        }
    }

    /// <summary>What the <c>pyodide.read</c> import returns when the input failed while a
    /// signal was delivered (bridge/runtime.c: Python runs the handler and reads again).</summary>
    private const int ReadInterrupted = -2;

    /// <summary>The <c>pyodide.read</c> import: sys.stdin's bytes, read by the host's
    /// input straight into guest memory. An interrupt or deadline that came while it
    /// blocked is stored before returning, so the guest raises it rather than what the
    /// read returned (an unguarded instance's ticker has stored it already).</summary>
    private int Read(int address, int length)
    {
        if (_guest == null || _streams?.Stdin is not { } stdin || length <= 0) return 0;
        int n;
        int signals = _guest.SignalsDelivered;
        try
        {
            n = stdin.Read(new Span<byte>(_guest.Checked((uint)address, (uint)length), length));
        }
        catch (Exception) when (!_guest.IsDead)
        {
            // OSError in Python; an exception must not unwind through wasm frames
            n = _guest.SignalsDelivered != signals ? ReadInterrupted : -1;
        }
        _guest.AfterBlockingImport();
        return n;
    }

    /// <summary>The <c>pyodide.read_stdlib</c> import: up to <paramref name="length"/> bytes of
    /// the standard library's archive from <paramref name="offset"/> on, written at
    /// <paramref name="address"/>; how many (fewer at the end of the file), or -1 if the host
    /// cannot read it (the guest then reads through WASI).</summary>
    private int ReadStdlib(uint offset, int address, int length)
    {
        var guest = _guest;
        if (guest == null || _files == null || length < 0) return -1;
        try
        {
            return _files.Stdlib.Read(offset, new Span<byte>(guest.Checked((uint)address, (uint)length), length));
        }
        catch (Exception) when (!guest.IsDead)
        {
            return -1; // an exception must not unwind through wasm frames (a bad address has killed the runtime)
        }
    }

    /// <summary>The <c>pyodide.call_host</c> import: a Python call of a host function.
    /// Whatever happens, the guest gets an answer (a result or an error to raise);
    /// only a dead runtime unwinds the guest, by trapping.</summary>
    private int CallHost(int id, int args, int count, int answer) => Answer(id, -1, args, count, answer);

    /// <summary>The <c>pyodide.host_object</c> import: an operation on a host object,
    /// answered as <c>call_host</c> is; status 1 when an iteration is done.</summary>
    private int HostObject(int id, int op, int args, int count, int answer) => Answer(id, op, args, count, answer);

    /// <summary>Calls host function <paramref name="id"/> (<paramref name="op"/> &lt; 0) or
    /// carries out operation <paramref name="op"/> on host object <paramref name="id"/>, and
    /// answers the guest.</summary>
    private int Answer(int id, int op, int args, int count, int answer)
    {
        var guest = _guest;
        if (guest == null) return -1;
        var result = (Slot*)guest.Checked((uint)answer, Slot.Size + 4);
        uint* blockOut = (uint*)((byte*)result + Slot.Size);
        uint block;
        int status;
        try
        {
            var writer = new GuestInstance.AnswerWriter(guest, (uint)answer);
            bool done = false;
            block = op < 0
                ? _host!.Call(guest, (uint)id, (uint)args, (uint)count, writer)
                : _host!.CallObject(guest, (uint)id, (uint)op, (uint)args, (uint)count, writer, out done);
            status = done ? 1 : 0;
        }
        catch (Exception e) when (!guest.IsDead)
        {
            var (type, message) = e switch
            {
                PythonException p => (p.PythonType, p.Message),
                ArgumentException => ("TypeError", e.Message),
                _ => ("RuntimeError", e.Message),
            };
            block = ErrorBlock(guest, type, message);
            status = -1;
        }
        // A nested call trapped: the frames below us must not carry on.
        if (guest.IsDead) throw new PyodideException(PyodideErrorKind.Fatal, $"the runtime died inside a host function: {guest.DeathReason}");
        *blockOut = block;
        return status;
    }

    /// <summary>{type_len, message_len, type, message}, as <c>call_host</c> reports an error.</summary>
    private static uint ErrorBlock(GuestInstance guest, string type, string message)
    {
        int typeLength = Encoding.UTF8.GetByteCount(type), messageLength = Encoding.UTF8.GetByteCount(message);
        uint block = guest.Allocate((uint)(8 + typeLength + messageLength));
        var header = (uint*)guest.Checked(block, 8);
        header[0] = (uint)typeLength;
        header[1] = (uint)messageLength;
        Encoding.UTF8.GetBytes(type, new Span<byte>(guest.MemoryBase + block + 8, typeLength));
        Encoding.UTF8.GetBytes(message, new Span<byte>(guest.MemoryBase + block + 8 + typeLength, messageLength));
        return block;
    }

    /// <summary>The <c>pyodide.drop_object</c> import: a host object was freed.</summary>
    private void DropObject(int id)
    {
        try
        {
            _host?.DropObject((uint)id);
        }
        catch (Exception)
        {
            // A finalizer that throws must not unwind through wasm frames.
        }
    }

    /// <summary>The <c>pyodide.drop_host</c> import: a host function's callable was freed.</summary>
    private void DropHost(int id)
    {
        try
        {
            _host?.Drop((uint)id);
        }
        catch (Exception)
        {
            // A finalizer that throws must not unwind through wasm frames.
        }
    }
}
