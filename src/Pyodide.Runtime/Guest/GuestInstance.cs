using System.Diagnostics;
using System.Text;
using Wasmtime;

namespace Pyodide.Guest;

/// <summary>One instance of python.wasm in its own Wasmtime store, and the guest ABI
/// (src/guest/README.md) as typed methods. Not thread-safe: the owning runtime
/// serializes calls. A Python exception surfaces as <see cref="PythonException"/>;
/// a trap kills the instance and surfaces as a Fatal <see cref="PyodideException"/>.</summary>
internal sealed unsafe class GuestInstance : IDisposable
{
    // Each call depth has its own input buffer in guest memory (a host
    // function may call back in; a nested call must not move the buffer its
    // caller will still receive its result in). A buffer starts with the
    // result slot and an auxiliary area (error pointers, lengths, buffer
    // info); host input follows.
    private const uint OutOffset = 0;
    private const uint AuxOffset = 16;
    private const uint InputOffset = 80; // aux: 16 bytes + a 32-byte buffer_info_t

    private readonly Store _store;
    private readonly Linker _linker;
    private readonly Memory _memory;
    private readonly byte* _base;
    private long _length;
    private readonly List<(uint Address, uint Capacity)> _buffers = [];
    private int _depth; // calls in progress on this thread: 1 = outermost
    private readonly PyodideOutputHandler _stdout;
    private readonly PyodideOutputHandler _stderr;
    private readonly PyodideInput? _stdin;

    private readonly Func<int, int> _alloc;
    private readonly Action<int> _free;
    private readonly IHostCallHandler _host;
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
    private readonly Func<int, int, int, int, int> _getAttr;
    private readonly Func<int, int, int, int, int> _setAttr;
    private readonly Func<int, int, int, int> _hasAttr;
    private readonly Func<int, int, int, int> _delAttr;
    private readonly Func<int, int, int, int, int, int> _callKw;
    private readonly Func<int, int> _iter;
    private readonly Func<int, int, int, int> _next;
    private readonly Func<int, int> _toPy;
    private readonly Func<int, int, int, int> _toJs;
    private readonly Func<int, int, int> _getBuffer;
    private readonly Func<int, int, int, int> _hostFunction;
    private readonly Func<int, int, int> _hostModule;
    private readonly Func<int, int, int> _hostUnregister;

    private readonly Func<int> _interruptClear;
    // Where an interrupt is written (bridge/interrupt.c): the thread state's
    // async_exc, the value to store there, the pending flag, the eval breaker.
    private readonly uint _asyncExcAddress, _keyboardInterrupt, _asyncPendingAddress, _evalBreakerAddress;

    /// <summary>How long code may leave a requested KeyboardInterrupt unraised (a C-level
    /// loop never reaching the interpreter's checks) before it is stopped hard.</summary>
    internal static readonly TimeSpan InterruptGrace = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a call may go on after Python raised the KeyboardInterrupt
    /// (unwinding, formatting the traceback, or code that catches it and carries on)
    /// before it is stopped hard: generous, since a loaded machine can make a first
    /// traceback take hundreds of milliseconds.</summary>
    internal static readonly TimeSpan RaisedGrace = TimeSpan.FromSeconds(2);

    /// <summary>How long start-up may take before it is stopped hard (guarded engine
    /// only). It takes ~20 ms and runs no user code, so this only ends a hang in CPython
    /// itself, such as 3.11's endless retry of an exception handler on MemoryError under
    /// a tight memory limit (since fixed by cpython-patches/oom-exception-unwind.patch).</summary>
    internal static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);
    private long _startDeadline; // Stopwatch timestamp while starting; 0 afterwards
    private Timer? _startTimer;   // advances the epoch once, at the start deadline

    /// <summary>Deadlines beyond this many seconds (~30 years) mean none at all.</summary>
    internal const double MaxTimeoutSeconds = 1e9;

    // The current call's deadline state. _deadline and _stopReason are only
    // touched by the thread running the call (and its epoch callback);
    // _interruptRequested and _tickerHeld also by Interrupt() from any thread.
    private long _deadline;           // Stopwatch timestamp; 0 = none
    private double _timeoutSeconds;
    private long _hardStop;           // when an ignored stop request becomes a trap
    private bool _raised;             // Python has taken the requested KeyboardInterrupt
    private volatile StopReason _stopReason; // the soft stop already requested, if any
    private readonly bool _guarded;   // epoch checks compiled in: hard stops possible
    private int _interruptRequested;
    private int _tickerHeld;
    private volatile bool _inCall; // an outermost call is running (for Interrupt)

    /// <summary>Why the instance died, once it has.</summary>
    public string? DeathReason { get; private set; }

    /// <summary>How the interpreter starts: in full (<c>Py_Initialize</c>), in full and
    /// then sealed and copied into <see cref="Captured"/>, or from a snapshot.</summary>
    internal readonly record struct Start(GuestSnapshot? RestoreFrom = null, bool Record = false);

    /// <summary>With <see cref="Start.Record"/>: the snapshot taken right after start-up,
    /// or null if the guest refused one.</summary>
    internal GuestSnapshot? Captured { get; }

    /// <summary>Whether the interpreter was restored from a snapshot.</summary>
    internal bool Restored { get; }

    public GuestInstance(Module module, bool guarded, WasiConfiguration wasi, ulong memoryLimit,
                         PyodideOutputHandler stdout, PyodideOutputHandler stderr, PyodideInput? stdin,
                         IHostCallHandler host, Start start = default)
    {
        _guarded = guarded;
        _stdout = stdout;
        _stderr = stderr;
        _stdin = stdin;
        _host = host;
        var engine = GuestModule.EngineFor(guarded);
        _store = new Store(engine);
        _linker = new Linker(engine);
        try
        {
            _store.SetWasiConfiguration(wasi);
            if (memoryLimit > 0) _store.SetLimits(memorySize: (long)Math.Min(memoryLimit, long.MaxValue));
            DefineImports(_linker, Write, Read, () => _stdin?.IsTerminal == true ? 1 : 0, CallHost, DropHost);
            Instance instance = _linker.Instantiate(_store, module);
            _memory = instance.GetMemory("memory") ?? throw Invalid("memory");
            _base = (byte*)_memory.GetPointer();
            _length = _memory.GetLength();

            var init = instance.GetFunction<int, int>("pyn_init") ?? throw Invalid("pyn_init");
            var restore = instance.GetFunction<int>("pyn_snapshot_restore") ?? throw Invalid("pyn_snapshot_restore");
            _alloc = instance.GetFunction<int, int>("pyn_alloc") ?? throw Invalid("pyn_alloc");
            _free = instance.GetAction<int>("pyn_free") ?? throw Invalid("pyn_free");
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
            _getAttr = instance.GetFunction<int, int, int, int, int>("pyn_getattr") ?? throw Invalid("pyn_getattr");
            _setAttr = instance.GetFunction<int, int, int, int, int>("pyn_setattr") ?? throw Invalid("pyn_setattr");
            _hasAttr = instance.GetFunction<int, int, int, int>("pyn_hasattr") ?? throw Invalid("pyn_hasattr");
            _delAttr = instance.GetFunction<int, int, int, int>("pyn_delattr") ?? throw Invalid("pyn_delattr");
            _callKw = instance.GetFunction<int, int, int, int, int, int>("pyn_call_kw") ?? throw Invalid("pyn_call_kw");
            _iter = instance.GetFunction<int, int>("pyn_iter") ?? throw Invalid("pyn_iter");
            _next = instance.GetFunction<int, int, int, int>("pyn_next") ?? throw Invalid("pyn_next");
            _toPy = instance.GetFunction<int, int>("pyn_to_py") ?? throw Invalid("pyn_to_py");
            _toJs = instance.GetFunction<int, int, int, int>("pyn_to_js") ?? throw Invalid("pyn_to_js");
            _getBuffer = instance.GetFunction<int, int, int>("pyn_get_buffer") ?? throw Invalid("pyn_get_buffer");
            _hostFunction = instance.GetFunction<int, int, int, int>("pyn_host_function") ?? throw Invalid("pyn_host_function");
            _hostModule = instance.GetFunction<int, int, int>("pyn_host_module") ?? throw Invalid("pyn_host_module");
            _hostUnregister = instance.GetFunction<int, int, int>("pyn_host_unregister") ?? throw Invalid("pyn_host_unregister");
            var interruptSlots = instance.GetFunction<int, int>("pyn_interrupt_slots") ?? throw Invalid("pyn_interrupt_slots");
            _interruptClear = instance.GetFunction<int>("pyn_interrupt_clear") ?? throw Invalid("pyn_interrupt_clear");
            Action initialize = instance.GetAction("_initialize") ?? throw Invalid("_initialize");
            if (guarded)
            {
                // The callback re-arms itself one epoch ahead, so it runs whenever
                // the epoch advances while wasm runs, and costs nothing otherwise.
                _store.SetEpochDeadlineCallback(OnEpoch);
                _store.SetEpochDeadline(1);
            }

            if (guarded)
            {
                // One epoch step at the deadline reaches OnEpoch; the ticker is not
                // needed (and running it during start-up slowed every later call
                // by ~20 ns, measured with bench_abi).
                _startDeadline = Stopwatch.GetTimestamp() + (long)(StartTimeout.TotalSeconds * Stopwatch.Frequency);
                _startTimer = new Timer(_ => engine.IncrementEpoch(), null, StartTimeout, Timeout.InfiniteTimeSpan);
            }
            if (start.RestoreFrom is { } snapshot)
            {
                RestoreMemory(snapshot);
                _depth = 1; // the restore runs as a call of its own
                if (restore() != 0)
                {
                    var (type, message) = ReadError();
                    throw new PyodideException(PyodideErrorKind.IO, $"Python could not be restored from its snapshot ({type}): {message}");
                }
                Restored = true;
            }
            else
            {
                initialize();
                _depth = 1; // start-up runs as a call of its own
                EnsureScratch(256);
                if (init(start.Record ? 1 : 0) != 0)
                {
                    var (type, message) = ReadError();
                    // Under a memory limit a failed start is the limit's doing (CPython
                    // reports running out during start-up in several ways).
                    if (type == "MemoryError" || memoryLimit > 0)
                        throw new PyodideException(PyodideErrorKind.Limit, $"Python could not start within the memory limit of {memoryLimit} bytes ({type}): {message}");
                    throw new PyodideException(PyodideErrorKind.IO, $"Python failed to start ({type}): {message}");
                }
                if (start.Record) Captured = TakeSnapshot(instance, module);
            }
            if (interruptSlots((int)AuxAddress) != 0) throw Invalid("pyn_interrupt_slots");
            uint* slots = (uint*)Checked(AuxAddress, 16);
            (_asyncExcAddress, _keyboardInterrupt, _asyncPendingAddress, _evalBreakerAddress) = (slots[0], slots[1], slots[2], slots[3]);
            Checked(_asyncExcAddress, 4);
            Checked(_asyncPendingAddress, 4);
            Checked(_evalBreakerAddress, 4);
            _depth = 0;
            EndStart();
        }
        catch (WasmtimeException e) when (e.InnerException is HardStopException)
        {
            EndStart();
            Dispose();
            string what = $"Python was still starting after {StartTimeout.TotalSeconds:0} s and was stopped";
            throw memoryLimit > 0
                ? new PyodideException(PyodideErrorKind.Limit, $"{what}: it could not start within the memory limit of {memoryLimit} bytes", e)
                : new PyodideException(PyodideErrorKind.IO, what, e);
        }
        catch (WasmtimeException e)
        {
            EndStart();
            Dispose();
            // The memory limit is checked when the module's initial memory is
            // created: a limit below what Python needs to start is a LIMIT error,
            // and so is a trap while starting under a limit (CPython aborts when
            // memory runs out before its MemoryError exists).
            var kind = memoryLimit > 0 || e.Message.Contains("memory limit", StringComparison.OrdinalIgnoreCase)
                ? PyodideErrorKind.Limit : PyodideErrorKind.IO;
            throw new PyodideException(kind, $"cannot start python.wasm: {TrapReason(e)}", e);
        }
        catch
        {
            EndStart();
            Dispose();
            throw;
        }
    }

    /// <summary>Defines what python.wasm imports (src/guest/README.md, "Imports"): WASI
    /// and the <c>pyodide</c> module's functions.</summary>
    internal static void DefineImports(Linker linker, Func<int, int, int, int> write, Func<int, int, int> read,
                                       Func<int> stdinIsatty, Func<int, int, int, int, int> callHost, Action<int> dropHost)
    {
        linker.DefineWasi();
        linker.DefineFunction("pyodide", "write", write);
        linker.DefineFunction("pyodide", "read", read);
        linker.DefineFunction("pyodide", "stdin_isatty", stdinIsatty);
        linker.DefineFunction("pyodide", "call_host", callHost);
        linker.DefineFunction("pyodide", "drop_host", dropHost);
    }

    private void EndStart()
    {
        _startDeadline = 0;
        _startTimer?.Dispose();
        _startTimer = null;
    }

    /// <summary>Grows this fresh instance's memory to the snapshot's and writes its pages;
    /// the host's input buffers are the snapshot's.</summary>
    private void RestoreMemory(GuestSnapshot snapshot)
    {
        long missing = snapshot.MemoryLength - _memory.GetLength();
        if (missing > 0) _memory.Grow((missing + Memory.PageSize - 1) / Memory.PageSize);
        if (_memory.GetLength() != snapshot.MemoryLength)
            throw new PyodideException(PyodideErrorKind.IO, "the snapshot does not fit this instance's memory");
        _length = _memory.GetLength();
        snapshot.CopyInto(_base);
        _buffers.AddRange(snapshot.Buffers);
    }

    /// <summary>Seals the interpreter that just started recording and copies its memory;
    /// null if the guest refuses (its reason is of no use to the caller, which then
    /// starts every interpreter in full).</summary>
    private GuestSnapshot? TakeSnapshot(Instance instance, Module module)
    {
        var seal = instance.GetFunction<int, int>("pyn_snapshot_seal") ?? throw Invalid("pyn_snapshot_seal");
        var forget = instance.GetAction("pyn_snapshot_forget") ?? throw Invalid("pyn_snapshot_forget");
        if (seal(GuestSnapshot.PreopenCount) != 0) return null;
        try
        {
            return GuestSnapshot.Capture(module, _guarded, _base, _memory.GetLength(), _buffers);
        }
        finally
        {
            forget();
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
        uint input = Scratch + InputOffset;
        return new SlotWriter(_base + input, input, slotCount, byteCount);
    }

    /// <summary>Where a host function's result goes: the guest's answer slot, and for a
    /// result with a payload a new block the guest frees once it has read it.</summary>
    internal readonly struct AnswerWriter(GuestInstance guest, uint slot)
    {
        /// <summary>A writer whose first reserved slot is the answer slot; its other
        /// slots and bytes (if any) go into a new block, returned in <paramref name="block"/>.</summary>
        public SlotWriter Begin(int slotCount, int byteCount, out uint block)
        {
            long size = (long)(slotCount - 1) * Slot.Size + byteCount;
            if (size > int.MaxValue) throw new ArgumentException("the value is too large");
            block = size > 0 ? guest.Allocate((uint)size) : 0;
            return new SlotWriter(guest._base + slot, slot, guest._base + block, block, slotCount - 1, byteCount, guest);
        }
    }

    internal uint Allocate(uint size)
    {
        uint address;
        try
        {
            address = (uint)_alloc((int)size);
        }
        catch (WasmtimeException e)
        {
            throw Die(e);
        }
        if (address == 0) throw new PyodideException(PyodideErrorKind.Limit, $"the interpreter has no memory for {size} bytes");
        Checked(address, size);
        return address;
    }

    /// <summary>Makes the current depth's input buffer at least <paramref name="size"/> bytes.</summary>
    private void EnsureScratch(uint size)
    {
        if (_depth == 0) throw new InvalidOperationException("guest call outside BeginCall/EndCall");
        while (_buffers.Count < _depth) _buffers.Add((0, 0));
        var (address, capacity) = _buffers[_depth - 1];
        if (size <= capacity) return;
        uint want = Math.Max(size, capacity * 2);
        uint grown = Allocate(want);
        if (address != 0)
        {
            try { _free((int)address); } catch (WasmtimeException e) { throw Die(e); }
        }
        _buffers[_depth - 1] = (grown, want);
    }

    private uint Scratch => _buffers[_depth - 1].Address;
    private Slot* OutSlot => (Slot*)(_base + Scratch + OutOffset);
    private uint OutAddress => Scratch + OutOffset;
    private uint AuxAddress => Scratch + AuxOffset;

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

    /// <summary>Bytes of linear memory, for leak checks and limits.</summary>
    public ulong MemorySize => (ulong)_memory.GetLength();

    /// <summary>The host address of guest address 0; linear memory never moves.</summary>
    public byte* MemoryBase => _base;

    public Slot* GetAttr(uint handle, uint name, uint length) =>
        Result(Enter(_getAttr, (int)handle, (int)name, (int)length, (int)OutAddress));

    public void SetAttr(uint handle, uint name, uint length, uint value) =>
        Check(Enter(_setAttr, (int)handle, (int)name, (int)length, (int)value));

    public bool HasAttr(uint handle, uint name, uint length)
    {
        int rc = Enter(_hasAttr, (int)handle, (int)name, (int)length);
        if (rc < 0) throw PythonError();
        return rc != 0;
    }

    public void DelAttr(uint handle, uint name, uint length) => Check(Enter(_delAttr, (int)handle, (int)name, (int)length));

    /// <summary><c>obj(*args, **kwargs)</c>; <paramref name="kwargs"/> is a DICT slot.</summary>
    public Slot* CallKw(uint handle, uint args, uint count, uint kwargs) =>
        Result(Enter(_callKw, (int)handle, (int)args, (int)count, (int)kwargs, (int)OutAddress));

    /// <summary>A new handle to <c>iter(obj)</c>.</summary>
    public uint Iter(uint handle)
    {
        uint it = (uint)Enter(_iter, (int)handle);
        if (it == 0) throw PythonError();
        return it;
    }

    /// <summary>One step of an iterator or generator; <paramref name="sent"/> = 0 sends None.
    /// Returns the result slot and whether the iterator is done (then the slot holds the
    /// generator's return value).</summary>
    public Slot* Next(uint handle, uint sent, out bool done)
    {
        int rc = Enter(_next, (int)handle, (int)sent, (int)OutAddress);
        if (rc < 0) throw PythonError();
        done = rc == 1;
        return OutSlot;
    }

    /// <summary>A new handle to the Python object built from the slot at <paramref name="value"/>.</summary>
    public uint ToPy(uint value)
    {
        uint handle = (uint)Enter(_toPy, (int)value);
        if (handle == 0) throw PythonError();
        return handle;
    }

    /// <summary>The deep conversion of an object: a slot tree that stays valid until the next call.</summary>
    public Slot* ToJs(uint handle, int depth) => Result(Enter(_toJs, (int)handle, depth, (int)OutAddress));

    /// <summary>Exports an object's buffer; returns the handle that holds the export.</summary>
    public uint GetBuffer(uint handle, out GuestBufferInfo info)
    {
        uint export = (uint)Enter(_getBuffer, (int)handle, (int)AuxAddress + 16);
        if (export == 0) throw PythonError();
        info = *(GuestBufferInfo*)Checked(AuxAddress + 16, (ulong)sizeof(GuestBufferInfo));
        return export;
    }

    /// <summary>A new Python callable (as a handle) that calls host function <paramref name="id"/>.</summary>
    public uint HostFunction(uint name, uint length, uint id)
    {
        uint handle = (uint)Enter(_hostFunction, (int)name, (int)length, (int)id);
        if (handle == 0) throw PythonError();
        return handle;
    }

    /// <summary>Registers an empty module importable as the UTF-8 name; returns a handle to it.</summary>
    public uint HostModule(uint name, uint length)
    {
        uint handle = (uint)Enter(_hostModule, (int)name, (int)length);
        if (handle == 0) throw PythonError();
        return handle;
    }

    public void HostUnregister(uint name, uint length) => Check(Enter(_hostUnregister, (int)name, (int)length));

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

    private PyodideException PythonError()
    {
        var (type, message) = ReadError();
        if (_stopReason == StopReason.Timeout && type == "KeyboardInterrupt")
            return new PyodideException(PyodideErrorKind.Limit,
                $"the call exceeded its deadline of {_timeoutSeconds:0.###} s and was interrupted");
        return new PythonException(type, message);
    }

    private (string Type, string Message) ReadError()
    {
        uint aux = _depth > 0 && _buffers.Count >= _depth && Scratch != 0 ? AuxAddress : 0;
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

    private int Enter(Func<int, int, int, int, int, int> f, int a, int b, int c, int d, int e)
    {
        ThrowIfDead();
        try { return f(a, b, c, d, e); } catch (WasmtimeException x) { throw Die(x); }
    }

    private void ThrowIfDead()
    {
        if (DeathReason != null) throw new PyodideException(PyodideErrorKind.Fatal, $"the runtime is dead: {DeathReason}");
    }

    private PyodideException Die(WasmtimeException e)
    {
        if (e.InnerException is HardStopException stop)
        {
            string what = stop.Reason == StopReason.Timeout
                ? $"the call exceeded its deadline of {_timeoutSeconds:0.###} s"
                : "the call was interrupted";
            string grace = _raised ? $"{RaisedGrace.TotalSeconds:0} s after the KeyboardInterrupt was raised" : $"{InterruptGrace.TotalMilliseconds:0} ms";
            DeathReason ??= $"{what} and did not stop within {grace}; it was stopped mid-instruction";
            return new PyodideException(PyodideErrorKind.Limit,
                $"{what} and ignored the KeyboardInterrupt, so it was stopped hard; the runtime is now dead", e);
        }
        return Die(TrapReason(e), e);
    }

    private PyodideException Die(string reason, Exception? inner = null)
    {
        DeathReason ??= reason;
        return new PyodideException(PyodideErrorKind.Fatal, $"the interpreter trapped and the runtime is dead: {reason}", inner);
    }

    /// <summary>The line of a Wasmtime error that names the cause ("wasm trap: call stack
    /// exhausted"), rather than its first line, which only says a backtrace follows.</summary>
    internal static string TrapReason(WasmtimeException e)
    {
        string[] lines = e.Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return lines.FirstOrDefault(l => l.StartsWith("wasm trap:", StringComparison.Ordinal))
            ?? lines.LastOrDefault() ?? e.GetType().Name;
    }

    // ---- deadlines and interrupts -----------------------------------------

    /// <summary>Starts watching a call: with a timeout the epoch ticker runs for it.</summary>
    public void BeginCall(double timeoutSeconds)
    {
        if (++_depth > 1)
        {
            // A nested call: the outermost one owns the deadline.
            try { EnsureScratch(256); } catch { _depth--; throw; }
            return;
        }
        _stopReason = StopReason.None;
        _hardStop = 0;
        _raised = false;
        Volatile.Write(ref _interruptRequested, 0);
        _timeoutSeconds = timeoutSeconds;
        _deadline = timeoutSeconds > 0 && timeoutSeconds < MaxTimeoutSeconds
            ? Stopwatch.GetTimestamp() + (long)(timeoutSeconds * Stopwatch.Frequency)
            : 0;
        _inCall = true;
        if (_deadline != 0) Watch();
        try { EnsureScratch(256); } catch { EndCall(); throw; }
    }

    /// <summary>Stops watching; an interrupt that arrived too late is dropped.</summary>
    public void EndCall()
    {
        if (--_depth > 0) return;
        if (!_guarded) SoftStops.Remove(this); // after this the ticker no longer writes to us
        _inCall = false;
        _deadline = 0;
        if (Interlocked.Exchange(ref _tickerHeld, 0) != 0) EpochTicker.Release();
        if (_stopReason != StopReason.None && !IsDead)
        {
            try { _interruptClear(); } catch (WasmtimeException e) { Die(e); }
        }
        _stopReason = StopReason.None;
    }

    /// <summary>From any thread: asks the running call to raise KeyboardInterrupt, and
    /// to be stopped hard if it does not within <see cref="InterruptGrace"/>.
    /// Does nothing when no call is running.</summary>
    public void Interrupt()
    {
        if (!_inCall) return;
        Volatile.Write(ref _interruptRequested, 1);
        Watch();
        if (_guarded) EpochTicker.Kick();
        else SoftStops.ServiceNow(this);
    }

    /// <summary>Keeps the ticker running for this call; an unguarded instance is also
    /// served by it (<see cref="ServiceSoftStop"/>), having no epoch callback.</summary>
    private void Watch()
    {
        HoldTicker();
        if (!_guarded) SoftStops.Add(this);
    }

    /// <summary>For an unguarded instance, on the ticker's thread (under the
    /// <see cref="SoftStops"/> lock, so never after <see cref="EndCall"/>): requests the
    /// KeyboardInterrupt when the deadline passes or an interrupt is pending, by storing
    /// to guest memory, and re-asserts the eval breaker until Python takes it (the
    /// interpreter may have recomputed the breaker from flags it read just before).</summary>
    internal void ServiceSoftStop()
    {
        if (!_inCall || IsDead) return;
        if (_stopReason == StopReason.None)
        {
            var reason = Volatile.Read(ref _interruptRequested) != 0 ? StopReason.Interrupt
                : _deadline != 0 && Stopwatch.GetTimestamp() >= _deadline ? StopReason.Timeout
                : StopReason.None;
            if (reason == StopReason.None) return;
            _stopReason = reason;
            RequestKeyboardInterrupt();
        }
        else if (Volatile.Read(ref *(uint*)(_base + _asyncExcAddress)) != 0)
        {
            Volatile.Write(ref *(int*)(_base + _evalBreakerAddress), 1);
        }
    }

    /// <summary>Stores a pending KeyboardInterrupt as PyThreadState_SetAsyncExc would
    /// (see bridge/interrupt.c); no guest code runs.</summary>
    private void RequestKeyboardInterrupt()
    {
        Volatile.Write(ref *(uint*)(_base + _asyncExcAddress), _keyboardInterrupt);
        Volatile.Write(ref *(int*)(_base + _asyncPendingAddress), 1);
        Volatile.Write(ref *(int*)(_base + _evalBreakerAddress), 1);
    }

    private void HoldTicker()
    {
        if (Interlocked.CompareExchange(ref _tickerHeld, 1, 0) == 0) EpochTicker.Acquire();
    }

    /// <summary>Runs on the executing thread whenever the epoch advances during wasm code.</summary>
    private ulong OnEpoch(Store store)
    {
        long now = Stopwatch.GetTimestamp();
        if (_startDeadline != 0)
        {
            // Starting: the interrupt addresses are not known yet, so only a hard stop.
            if (now >= _startDeadline) throw new HardStopException(StopReason.Timeout);
            return 1;
        }
        if (_stopReason == StopReason.None)
        {
            RequestStopIfDue(now);
        }
        else
        {
            if (!_raised && *(uint*)(_base + _asyncExcAddress) == 0)
            {
                // Python took the interrupt: give unwinding and reporting time.
                _raised = true;
                _hardStop = now + (long)(RaisedGrace.TotalSeconds * Stopwatch.Frequency);
            }
            if (now >= _hardStop) throw new HardStopException(_stopReason);
        }
        return 1;
    }

    /// <summary>On the executing thread of a guarded instance: when an interrupt is
    /// pending or the deadline has passed, first asks nicely (Python raises
    /// KeyboardInterrupt at its next check) and starts the grace before a hard stop.</summary>
    private void RequestStopIfDue(long now)
    {
        var reason = Volatile.Read(ref _interruptRequested) != 0 ? StopReason.Interrupt
            : _deadline != 0 && now >= _deadline ? StopReason.Timeout
            : StopReason.None;
        if (reason == StopReason.None) return;
        _stopReason = reason;
        _hardStop = now + (long)(InterruptGrace.TotalSeconds * Stopwatch.Frequency);
        // No guest code may run here (see bridge/interrupt.c).
        RequestKeyboardInterrupt();
    }

    /// <summary>The <c>pyodide.call_host</c> import: a Python call of a host function.
    /// Whatever happens, the guest gets an answer (a result or an error to raise);
    /// only a dead runtime unwinds the guest, by trapping.</summary>
    private int CallHost(int id, int args, int count, int answer)
    {
        var result = (Slot*)Checked((uint)answer, Slot.Size + 4);
        uint* blockOut = (uint*)((byte*)result + Slot.Size);
        uint block;
        int status;
        try
        {
            block = _host.Call(this, (uint)id, (uint)args, (uint)count, new AnswerWriter(this, (uint)answer));
            status = 0;
        }
        catch (Exception e) when (!IsDead)
        {
            var (type, message) = e switch
            {
                PythonException p => (p.PythonType, p.Message),
                ArgumentException => ("TypeError", e.Message),
                _ => ("RuntimeError", e.Message),
            };
            block = ErrorBlock(type, message);
            status = -1;
        }
        // A nested call trapped: the frames below us must not carry on.
        if (IsDead) throw new PyodideException(PyodideErrorKind.Fatal, $"the runtime died inside a host function: {DeathReason}");
        *blockOut = block;
        return status;
    }

    /// <summary>The <c>pyodide.drop_host</c> import: a host function's callable was freed.</summary>
    private void DropHost(int id)
    {
        try
        {
            _host.Drop((uint)id);
        }
        catch (Exception)
        {
            // A finalizer that throws must not unwind through wasm frames.
        }
    }

    /// <summary>Releases the handles among <paramref name="count"/> argument slots a host
    /// function was handed but will not read.</summary>
    public void ReleaseHandles(uint args, uint count)
    {
        var slots = (Slot*)Checked(args, (ulong)count * Slot.Size);
        for (int i = 0; i < count; i++)
            if (slots[i].Kind == SlotKind.Handle) Release(slots[i].Address);
    }

    /// <summary>{type_len, message_len, type, message}, as <c>call_host</c> reports an error.</summary>
    private uint ErrorBlock(string type, string message)
    {
        int typeLength = Encoding.UTF8.GetByteCount(type), messageLength = Encoding.UTF8.GetByteCount(message);
        uint block = Allocate((uint)(8 + typeLength + messageLength));
        var header = (uint*)(_base + block);
        header[0] = (uint)typeLength;
        header[1] = (uint)messageLength;
        Encoding.UTF8.GetBytes(type, new Span<byte>(_base + block + 8, typeLength));
        Encoding.UTF8.GetBytes(message, new Span<byte>(_base + block + 8 + typeLength, messageLength));
        return block;
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

    /// <summary>The <c>pyodide.read</c> import: sys.stdin's bytes, read by the host's
    /// input straight into guest memory. An interrupt or deadline that came while it
    /// blocked is stored before returning, so the guest raises it rather than what the
    /// read returned (an unguarded instance's ticker has stored it already).</summary>
    private int Read(int address, int length)
    {
        if (_stdin is null || length <= 0) return 0;
        int n;
        try
        {
            n = _stdin.Read(new Span<byte>(Checked((uint)address, (uint)length), length));
        }
        catch (Exception) when (!IsDead)
        {
            n = -1; // OSError in Python; an exception must not unwind through wasm frames
        }
        if (_guarded && _inCall && _stopReason == StopReason.None) RequestStopIfDue(Stopwatch.GetTimestamp());
        return n;
    }

    public void Dispose()
    {
        _store?.Dispose();
        _linker?.Dispose();
    }
}
