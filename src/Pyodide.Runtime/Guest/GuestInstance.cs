using System.Text;
using Wasmtime;

namespace Pyodide.Guest;

/// <summary>One instance of python.wasm in its own Wasmtime store, and the guest ABI
/// (src/guest/README.md) as typed methods. Not thread-safe: the owning runtime
/// serializes calls. A Python exception surfaces as <see cref="PythonException"/>;
/// a trap kills the instance and surfaces as a Fatal <see cref="PyodideException"/>.</summary>
internal sealed unsafe class GuestInstance : IDisposable
{
    // The scratch buffer starts with the result slot and an auxiliary area
    // (error pointers, lengths); host input follows.
    private const uint OutOffset = 0;
    private const uint AuxOffset = 16;
    private const uint InputOffset = 32;

    private readonly Store _store;
    private readonly Linker _linker;
    private readonly Memory _memory;
    private readonly byte* _base;
    private long _length;
    private uint _scratch;
    private uint _scratchCapacity;
    private readonly PyodideOutputHandler _stdout;
    private readonly PyodideOutputHandler _stderr;

    private readonly Func<int> _init;
    private readonly Func<int, int> _scratchFn;
    private readonly Func<int, int, int, int, int> _run;
    private readonly Func<int> _globals;
    private readonly Func<int, int, int, int> _getItem;
    private readonly Func<int, int, int, int> _setItem;
    private readonly Func<int, int, int> _delItem;
    private readonly Func<int, int, int> _contains;
    private readonly Func<int, int, int> _lengthFn;
    private readonly Func<int, int, int> _typeName;
    private readonly Func<int, int, int, int, int> _call;
    private readonly Func<int, int> _dup;
    private readonly Func<int, int> _release;
    private readonly Func<int> _handleCount;
    private readonly Func<int, int> _error;

    /// <summary>Why the instance died, once it has.</summary>
    public string? DeathReason { get; private set; }

    public GuestInstance(Module module, WasiConfiguration wasi, ulong memoryLimit,
                         PyodideOutputHandler stdout, PyodideOutputHandler stderr)
    {
        _stdout = stdout;
        _stderr = stderr;
        _store = new Store(GuestModule.Engine);
        _linker = new Linker(GuestModule.Engine);
        try
        {
            _store.SetWasiConfiguration(wasi);
            if (memoryLimit > 0) _store.SetLimits(memorySize: (long)Math.Min(memoryLimit, long.MaxValue));
            _linker.DefineWasi();
            _linker.DefineFunction("pyodide", "write", (Func<int, int, int, int>)Write);
            Instance instance = _linker.Instantiate(_store, module);
            _memory = instance.GetMemory("memory") ?? throw Invalid("memory");
            _base = (byte*)_memory.GetPointer();
            _length = _memory.GetLength();

            _init = instance.GetFunction<int>("pyn_init") ?? throw Invalid("pyn_init");
            _scratchFn = instance.GetFunction<int, int>("pyn_scratch") ?? throw Invalid("pyn_scratch");
            _run = instance.GetFunction<int, int, int, int, int>("pyn_run") ?? throw Invalid("pyn_run");
            _globals = instance.GetFunction<int>("pyn_globals") ?? throw Invalid("pyn_globals");
            _getItem = instance.GetFunction<int, int, int, int>("pyn_getitem") ?? throw Invalid("pyn_getitem");
            _setItem = instance.GetFunction<int, int, int, int>("pyn_setitem") ?? throw Invalid("pyn_setitem");
            _delItem = instance.GetFunction<int, int, int>("pyn_delitem") ?? throw Invalid("pyn_delitem");
            _contains = instance.GetFunction<int, int, int>("pyn_contains") ?? throw Invalid("pyn_contains");
            _lengthFn = instance.GetFunction<int, int, int>("pyn_length") ?? throw Invalid("pyn_length");
            _typeName = instance.GetFunction<int, int, int>("pyn_typename") ?? throw Invalid("pyn_typename");
            _call = instance.GetFunction<int, int, int, int, int>("pyn_call") ?? throw Invalid("pyn_call");
            _dup = instance.GetFunction<int, int>("pyn_dup") ?? throw Invalid("pyn_dup");
            _release = instance.GetFunction<int, int>("pyn_release") ?? throw Invalid("pyn_release");
            _handleCount = instance.GetFunction<int>("pyn_handle_count") ?? throw Invalid("pyn_handle_count");
            _error = instance.GetFunction<int, int>("pyn_error") ?? throw Invalid("pyn_error");
            Action initialize = instance.GetAction("_initialize") ?? throw Invalid("_initialize");

            initialize();
            if (_init() != 0)
            {
                var (type, message) = ReadError();
                throw new PyodideException(PyodideErrorKind.IO, $"Python failed to start ({type}): {message}");
            }
            EnsureScratch(256);
        }
        catch (WasmtimeException e)
        {
            Dispose();
            throw new PyodideException(PyodideErrorKind.IO, $"cannot instantiate python.wasm: {e.Message}", e);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private static PyodideException Invalid(string export) =>
        new(PyodideErrorKind.IO, $"python.wasm lacks the export '{export}' (a mismatched build?)");

    public bool IsDead => DeathReason != null;

    // ---- memory -------------------------------------------------------------

    /// <summary>The host address of guest memory [address, address+length),
    /// after checking it lies inside linear memory: the guest is not trusted.</summary>
    public byte* Checked(uint address, ulong length)
    {
        if ((ulong)address + length > (ulong)_length)
        {
            _length = _memory.GetLength(); // memory may have grown since we looked
            if ((ulong)address + length > (ulong)_length)
                throw Die($"the guest returned an out-of-range address 0x{address:x}+{length}");
        }
        return _base + address;
    }

    public ReadOnlySpan<byte> Bytes(uint address, uint length) => new(Checked(address, length), (int)length);

    /// <summary>Room for <paramref name="slotCount"/> slots and <paramref name="byteCount"/> bytes of input.</summary>
    public SlotWriter BeginInput(int slotCount, int byteCount)
    {
        long size = (long)slotCount * Slot.Size + byteCount;
        if (size > int.MaxValue - InputOffset) throw new ArgumentException("input is too large");
        EnsureScratch((uint)size + InputOffset);
        return new SlotWriter(_base + _scratch + InputOffset, _scratch + InputOffset, slotCount, byteCount);
    }

    private void EnsureScratch(uint size)
    {
        if (size <= _scratchCapacity) return;
        uint want = Math.Max(size, _scratchCapacity * 2);
        uint address;
        try
        {
            address = (uint)_scratchFn((int)want);
        }
        catch (WasmtimeException e)
        {
            throw Die(e);
        }
        if (address == 0) throw new PyodideException(PyodideErrorKind.Limit, $"the interpreter has no memory for {want} bytes of input");
        Checked(address, want);
        _scratch = address;
        _scratchCapacity = want;
    }

    private Slot* OutSlot => (Slot*)(_base + _scratch + OutOffset);
    private uint OutAddress => _scratch + OutOffset;
    private uint AuxAddress => _scratch + AuxOffset;

    // ---- the guest ABI --------------------------------------------------------

    /// <summary><c>pyodide.eval_code</c> of UTF-8 source already in guest memory.</summary>
    public Slot* Run(uint code, uint length, uint globals) =>
        Result(Enter(_run, (int)code, (int)length, (int)globals, (int)OutAddress));

    public uint Globals()
    {
        uint handle = (uint)Enter(_globals);
        if (handle == 0) throw PythonError();
        return handle;
    }

    public Slot* GetItem(uint handle, uint key) => Result(Enter(_getItem, (int)handle, (int)key, (int)OutAddress));

    public void SetItem(uint handle, uint key, uint value) => Check(Enter(_setItem, (int)handle, (int)key, (int)value));

    public void DelItem(uint handle, uint key) => Check(Enter(_delItem, (int)handle, (int)key));

    public bool Contains(uint handle, uint key)
    {
        int rc = Enter(_contains, (int)handle, (int)key);
        if (rc < 0) throw PythonError();
        return rc != 0;
    }

    public ulong Length(uint handle)
    {
        Check(Enter(_lengthFn, (int)handle, (int)AuxAddress));
        return *(ulong*)Checked(AuxAddress, 8);
    }

    public Slot* TypeName(uint handle) => Result(Enter(_typeName, (int)handle, (int)OutAddress));

    public Slot* Call(uint handle, uint args, uint count) =>
        Result(Enter(_call, (int)handle, (int)args, (int)count, (int)OutAddress));

    public uint Dup(uint handle)
    {
        uint copy = (uint)Enter(_dup, (int)handle);
        if (copy == 0) throw PythonError();
        return copy;
    }

    public void Release(uint handle) => Check(Enter(_release, (int)handle));

    public uint HandleCount() => (uint)Enter(_handleCount);

    /// <summary>A UTF-8 string the guest returned in a STR slot, decoded.</summary>
    public string ReadString(in Slot slot) => Encoding.UTF8.GetString(Bytes(slot.Address, slot.Length));

    // ---- plumbing -------------------------------------------------------------

    private Slot* Result(int status)
    {
        Check(status);
        return OutSlot;
    }

    private void Check(int status)
    {
        if (status != 0) throw PythonError();
    }

    private PythonException PythonError()
    {
        var (type, message) = ReadError();
        return new PythonException(type, message);
    }

    private (string Type, string Message) ReadError()
    {
        uint aux = _scratch != 0 ? AuxAddress : 0;
        if (aux == 0 || Enter(_error, (int)aux) != 0) return ("SystemError", "the interpreter reported an error it cannot describe");
        uint* info = (uint*)Checked(aux, 16);
        string type = Encoding.UTF8.GetString(Bytes(info[0], info[1]));
        string message = Encoding.UTF8.GetString(Bytes(info[2], info[3]));
        return (type, message);
    }

    // Each guest entry point goes through one of these, so a trap is turned
    // into a dead runtime in exactly one place.
    private int Enter(Func<int> f)
    {
        ThrowIfDead();
        try { return f(); } catch (WasmtimeException e) { throw Die(e); }
    }

    private int Enter(Func<int, int> f, int a)
    {
        ThrowIfDead();
        try { return f(a); } catch (WasmtimeException e) { throw Die(e); }
    }

    private int Enter(Func<int, int, int> f, int a, int b)
    {
        ThrowIfDead();
        try { return f(a, b); } catch (WasmtimeException e) { throw Die(e); }
    }

    private int Enter(Func<int, int, int, int> f, int a, int b, int c)
    {
        ThrowIfDead();
        try { return f(a, b, c); } catch (WasmtimeException e) { throw Die(e); }
    }

    private int Enter(Func<int, int, int, int, int> f, int a, int b, int c, int d)
    {
        ThrowIfDead();
        try { return f(a, b, c, d); } catch (WasmtimeException e) { throw Die(e); }
    }

    private void ThrowIfDead()
    {
        if (DeathReason != null) throw new PyodideException(PyodideErrorKind.Fatal, $"the runtime is dead: {DeathReason}");
    }

    private PyodideException Die(WasmtimeException e) => Die(e.Message.Split('\n')[0]);

    private PyodideException Die(string reason)
    {
        DeathReason ??= reason;
        return new PyodideException(PyodideErrorKind.Fatal, $"the interpreter trapped and the runtime is dead: {reason}");
    }

    /// <summary>The <c>pyodide.write</c> import: Python's sys.stdout/sys.stderr.</summary>
    private int Write(int fd, int address, int length)
    {
        try
        {
            var text = Bytes((uint)address, (uint)length);
            (fd == 2 ? _stderr : _stdout)(text);
        }
        catch (Exception)
        {
            // A throwing output handler must not unwind through wasm frames;
            // the text is dropped and Python carries on.
        }
        return 0;
    }

    public void Dispose()
    {
        _store?.Dispose();
        _linker?.Dispose();
    }
}
