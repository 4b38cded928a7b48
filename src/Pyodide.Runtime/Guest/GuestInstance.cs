using System.Runtime.CompilerServices;
using System.Text;
using Wasmtime;

namespace Pyodide.Guest;

/// <summary>One instance of python.wasm in its own Wasmtime store: its start-up, its
/// linear memory with the host's per-depth input buffers, and the guest ABI as typed
/// methods (GuestInstance.Abi.cs). Its exports are bound in <see cref="GuestExports"/>,
/// its imports answered by <see cref="GuestImports"/>, its calls watched by
/// <see cref="CallWatchdog"/>. Not thread-safe: the owning runtime serializes calls.
/// A Python exception surfaces as <see cref="PythonException"/>; a trap kills the
/// instance and surfaces as a Fatal <see cref="PyodideException"/>.</summary>
internal sealed unsafe partial class GuestInstance : IDisposable
{
    // Each call depth has its own input buffer in guest memory (a host
    // function may call back in; a nested call must not move the buffer its
    // caller will still receive its result in). A buffer starts with the
    // result slot and an auxiliary area (error pointers, lengths, buffer
    // info); host input follows.
    private const uint OutOffset = 0;
    private const uint AuxOffset = 16;
    private const uint InputOffset = 80; // aux: 16 bytes + a 32-byte buffer_info_t
    private const uint MinimumScratch = 256;

    private readonly Store _store;
    private readonly Linker _linker;
    private readonly Memory _memory;
    private readonly byte* _base;
    private long _length;
    private readonly List<(uint Address, uint Capacity)> _buffers = [];
    // _buffers[CallDepth - 1] while a call runs (else 0): each call reads it several
    // times, so it is kept in fields, loaded whenever the depth changes.
    private uint _scratch, _scratchCapacity;
    private readonly GuestExports _exports;
    private readonly CallWatchdog _watchdog;
    private GuestSignals? _signals;
    private readonly GuestTimer _timer;
    private readonly bool _guarded;

    /// <summary>Calls in progress on this instance: 1 = the outermost one; nested ones come
    /// from host functions and output handlers calling back in. The only count of them.</summary>
    public int CallDepth { get; private set; }

    /// <summary>Set while an output handler receives bytes written below sys.stdout
    /// (os.write, C code): they can come in the middle of the interpreter's own work,
    /// so no call may enter the runtime then (it holds the lock; read under it).</summary>
    public bool InLowLevelOutput { get; set; }

    /// <summary>Why the instance died, once it has.</summary>
    public string? DeathReason { get; private set; }

    public bool IsDead => DeathReason != null;

    /// <summary>The status of the <c>os._exit</c> that ended the instance, if one did.</summary>
    private int? _exitStatus;

    /// <summary>How the interpreter starts: in full (<c>Py_Initialize</c>), in full and
    /// then sealed and copied into <see cref="Captured"/>, or from a snapshot. Either way
    /// it records (bridge/snapshot.c) for its whole life, so it can be saved at any time.</summary>
    internal readonly record struct Start(GuestSnapshot? RestoreFrom = null, bool Capture = false);

    /// <summary>With <see cref="Start.Capture"/>: the snapshot taken right after start-up,
    /// or null if the guest refused one.</summary>
    internal GuestSnapshot? Captured { get; }

    /// <summary>Whether the interpreter was restored from a snapshot, and from a file.</summary>
    internal bool Restored { get; }
    internal bool RestoredFromFile { get; }

    private readonly Module _module;

    // Its standard streams' terminal, whose modes termios changed are put back at the end.
    private readonly HostTerminal _terminal;

    // The snapshot this runtime was the process's first restore of, when no earlier
    // process left what such a runtime writes (RestoreWrites.Plan.LearnProcess).
    private GuestSnapshot? _learnsForProcess;

    public GuestInstance(Module module, bool guarded, WasiConfiguration wasi, ulong memoryLimit,
                         GuestStreams streams, IHostCallHandler host, GuestFiles files, Start start = default)
    {
        _guarded = guarded;
        _terminal = streams.Terminal;
        _module = module;
        MemoryLimit = memoryLimit;
        var engine = GuestModule.EngineFor(guarded);
        _store = new Store(engine);
        _linker = new Linker(engine);
        try
        {
            _timer = new GuestTimer(DeliverAlarm);
            _store.SetWasiConfiguration(wasi);
            if (memoryLimit > 0) _store.SetLimits(memorySize: (long)Math.Min(memoryLimit, long.MaxValue));
            new GuestImports(this, streams, host, files).Define(_linker);
            Instance instance = _linker.Instantiate(_store, module);
            _memory = instance.GetMemory("memory") ?? throw GuestExports.Missing("memory");
            _base = (byte*)_memory.GetPointer();
            _length = _memory.GetLength();
            _exports = new GuestExports(_store, instance);
            _watchdog = new CallWatchdog(_store, engine, guarded, _base);

            CallDepth = 1; // start-up runs as a call of its own
            if (start.RestoreFrom is { } snapshot)
            {
                var plan = RestoreMemory(snapshot);
                bool restored = false;
                try
                {
                    if (_exports.Invoke(_exports.SnapshotRestore, GuestSnapshot.FirstMountFd) != 0)
                    {
                        var (type, message) = ReadError();
                        throw new PyodideException(PyodideErrorKind.IO, $"Python could not be restored from its snapshot ({type}): {message}");
                    }
                    restored = true;
                }
                finally
                {
                    if (plan == RestoreWrites.Plan.Learn) snapshot.EndRestore(_base, restored);
                }
                if (plan == RestoreWrites.Plan.LearnProcess) _learnsForProcess = snapshot;
                Restored = true;
                RestoredFromFile = snapshot.FromFile;
            }
            else
            {
                _exports.Invoke(_exports.Initialize);
                EnsureScratch(MinimumScratch);
                if (_exports.Invoke(_exports.Init, 1) != 0)
                {
                    var (type, message) = ReadError();
                    // Under a memory limit a failed start is the limit's doing (CPython
                    // reports running out during start-up in several ways).
                    if (type == "MemoryError" || memoryLimit > 0)
                        throw new PyodideException(PyodideErrorKind.Limit, $"Python could not start within the memory limit of {memoryLimit} bytes ({type}): {message}");
                    throw new PyodideException(PyodideErrorKind.IO, $"Python failed to start ({type}): {message}");
                }
                if (start.Capture) Captured = TakeSnapshot();
            }
            if (_exports.Invoke(_exports.InterruptSlots, (int)AuxAddress) != 0) throw GuestExports.Missing("pyn_interrupt_slots");
            uint* slots = (uint*)Checked(AuxAddress, 16);
            Checked(slots[0], 4);
            Checked(slots[2], 4);
            Checked(slots[3], 4);
            _watchdog.SetInterruptSlots(slots[0], slots[1], slots[2], slots[3]);
            uint evalBreaker = slots[3];
            if (_exports.Invoke(_exports.SignalSlots, (int)AuxAddress) != 0) throw GuestExports.Missing("pyn_signal_slots");
            _signals = new GuestSignals(this, (uint*)Checked(AuxAddress, 24), evalBreaker);
            LoadScratch(CallDepth = 0);
            _watchdog.EndStart();
        }
        catch (WasmtimeException e) when (e.InnerException is HardStopException)
        {
            _watchdog?.EndStart();
            Dispose();
            string what = $"Python was still starting after {CallWatchdog.StartTimeout.TotalSeconds:0} s and was stopped";
            throw memoryLimit > 0
                ? new PyodideException(PyodideErrorKind.Limit, $"{what}: it could not start within the memory limit of {memoryLimit} bytes", e)
                : new PyodideException(PyodideErrorKind.IO, what, e);
        }
        catch (WasmtimeException e)
        {
            _watchdog?.EndStart();
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
            _watchdog?.EndStart();
            Dispose();
            throw;
        }
    }

    /// <summary>Grows this fresh instance's memory to the snapshot's and puts its pages
    /// there; the host's input buffers are the snapshot's. Returns
    /// <see cref="GuestSnapshot.RestoreInto"/>'s answer.</summary>
    private RestoreWrites.Plan RestoreMemory(GuestSnapshot snapshot)
    {
        long missing = snapshot.MemoryLength - _memory.GetLength();
        if (missing > 0) _memory.Grow((missing + Memory.PageSize - 1) / Memory.PageSize);
        if (_memory.GetLength() != snapshot.MemoryLength)
            throw new PyodideException(PyodideErrorKind.IO, "the snapshot does not fit this instance's memory");
        _length = _memory.GetLength();
        var plan = snapshot.RestoreInto(_base);
        _buffers.AddRange(snapshot.Buffers);
        LoadScratch();
        return plan;
    }

    /// <summary>Seals the interpreter that just started and copies its memory; null if the
    /// guest refuses (its reason is of no use to the caller, which then starts every
    /// interpreter in full).</summary>
    private GuestSnapshot? TakeSnapshot()
    {
        if (_exports.Invoke(_exports.SnapshotSeal, GuestSnapshot.PreopenCount) != 0) return null;
        try
        {
            return GuestSnapshot.Capture(_module, _guarded, _base, _memory.GetLength(), _buffers);
        }
        finally
        {
            _exports.Invoke(_exports.SnapshotForget);
        }
    }

    /// <summary>Inside the outermost call: seals the interpreter and copies its memory,
    /// for a snapshot file. A <see cref="PythonException"/> if the guest refuses (its
    /// message names what a copy could not carry).</summary>
    public GuestSnapshot Save()
    {
        if (CallDepth != 1) throw new InvalidOperationException("a runtime cannot be saved from inside one of its own calls");
        Check(Enter(_exports.SnapshotSeal, GuestSnapshot.PreopenCount));
        try
        {
            // This call's input buffer is the copy's too, as it is ours.
            return GuestSnapshot.Capture(_module, _guarded, _base, _memory.GetLength(), _buffers);
        }
        finally
        {
            try { _exports.Invoke(_exports.SnapshotForget); } catch (WasmtimeException e) { throw Die(e); }
        }
    }

    // ---- calls ----------------------------------------------------------------

    /// <summary>Starts a call (nested calls share the outermost one's deadline).</summary>
    public void BeginCall(double timeoutSeconds)
    {
        if (++CallDepth == 1) _watchdog.BeginCall(timeoutSeconds);
        LoadScratch();
        try
        {
            EnsureScratch(MinimumScratch);
        }
        catch
        {
            EndCall();
            throw;
        }
    }

    /// <summary>Ends a call; after the outermost one an interrupt that arrived too late is dropped.</summary>
    public void EndCall()
    {
        LoadScratch(--CallDepth);
        if (CallDepth > 0) return;
        if (_watchdog.EndCall() && !IsDead)
        {
            try { _exports.Invoke(_exports.InterruptClear); } catch (WasmtimeException e) { Die(e); }
        }
    }

    /// <summary>After an import that may block (a read): see <see cref="CallWatchdog.AfterBlockingImport"/>.</summary>
    public void AfterBlockingImport() => _watchdog.AfterBlockingImport();

    /// <summary>From any thread: see <see cref="CallWatchdog.Interrupt"/>.</summary>
    public void Interrupt() => _watchdog.Interrupt();

    /// <summary>From any thread: see <see cref="GuestSignals.Deliver"/>. A dead instance's
    /// memory is not touched.</summary>
    public PyodideSignalAction Signal(int signum)
    {
        ThrowIfDead();
        return _signals!.Deliver(signum);
    }

    /// <summary>The instance's interval timer (signal.setitimer, signal.alarm).</summary>
    public GuestTimer Timer => _timer;

    /// <summary>The timer expired: SIGALRM for Python's handler, if it has one.</summary>
    private void DeliverAlarm()
    {
        if (!IsDead) _signals?.Deliver(GuestTimer.AlarmSignal); // the timer is stopped before Close
    }

    /// <summary>How many signals have been delivered: see <see cref="GuestSignals.Delivered"/>.</summary>
    public int SignalsDelivered => _signals?.Delivered ?? 0;

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

    /// <summary>A UTF-8 string the guest returned in a STR slot, decoded.</summary>
    public string ReadString(in Slot slot) => Encoding.UTF8.GetString(Bytes(slot.Address, slot.Length));

    /// <summary>The bytes of linear memory the runtime may have; 0 = no limit but wasm32's.</summary>
    public ulong MemoryLimit { get; }

    /// <summary>Bytes of linear memory, for leak checks and limits.</summary>
    public ulong MemorySize => (ulong)_memory.GetLength();

    /// <summary>The host address of guest address 0; linear memory never moves.</summary>
    public byte* MemoryBase => _base;

    /// <summary>Room for <paramref name="slotCount"/> slots and <paramref name="byteCount"/> bytes of input.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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
            address = (uint)_exports.Invoke(_exports.Alloc, (int)size);
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
        if (size <= _scratchCapacity) return;
        if (CallDepth == 0) throw new InvalidOperationException("guest call outside BeginCall/EndCall");
        while (_buffers.Count < CallDepth) _buffers.Add((0, 0));
        uint want = Math.Max(size, _scratchCapacity * 2);
        uint grown = Allocate(want);
        if (_scratch != 0)
        {
            try { _exports.Invoke(_exports.Free, (int)_scratch); } catch (WasmtimeException e) { throw Die(e); }
        }
        _buffers[CallDepth - 1] = (grown, want);
        (_scratch, _scratchCapacity) = (grown, want);
    }

    /// <summary>Loads the fields of the buffer of call depth <paramref name="depth"/>.</summary>
    private void LoadScratch(int depth) =>
        (_scratch, _scratchCapacity) = depth > 0 && _buffers.Count >= depth ? _buffers[depth - 1] : (0, 0);

    private void LoadScratch() => LoadScratch(CallDepth);

    private uint Scratch => _scratch;
    private Slot* OutSlot => (Slot*)(_base + Scratch + OutOffset);
    private uint OutAddress => Scratch + OutOffset;
    private uint AuxAddress => Scratch + AuxOffset;

    // ---- errors and death -------------------------------------------------------

    private PyodideException PythonError()
    {
        var (type, message) = ReadError();
        if (_watchdog.StopReason == StopReason.Timeout && type == "KeyboardInterrupt")
            return new PyodideException(PyodideErrorKind.Limit,
                $"the call exceeded its deadline of {_watchdog.TimeoutSeconds:0.###} s and was interrupted");
        return new PythonException(type, message);
    }

    private (string Type, string Message) ReadError()
    {
        uint aux = CallDepth > 0 && Scratch != 0 ? AuxAddress : 0;
        if (aux == 0 || Enter(_exports.Error, (int)aux) != 0) return ("SystemError", "the interpreter reported an error it cannot describe");
        uint* info = (uint*)Checked(aux, 16);
        string type = Encoding.UTF8.GetString(Bytes(info[0], info[1]));
        string message = Encoding.UTF8.GetString(Bytes(info[2], info[3]));
        return (type, message);
    }

    internal void ThrowIfDead()
    {
        if (DeathReason != null) throw Dead($"the runtime is dead: {DeathReason}");
    }

    private PyodideException Die(WasmtimeException e)
    {
        if (e.InnerException is HardStopException stop)
        {
            MarkDead(_watchdog.HardStopReason(stop));
            return new PyodideException(PyodideErrorKind.Limit,
                $"{_watchdog.HardStopWhat(stop)} and ignored the KeyboardInterrupt, so it was stopped hard; the runtime is now dead", e);
        }
        // A host function called back in and that call trapped: the trap that unwinds
        // this call carries the nested call's error again, so say what happened once.
        if (IsDead) return Dead($"the runtime died in a call a host function made: {DeathReason}", e);
        // WASI's proc_exit (os._exit) ends the instance as it would a python3 process.
        if (e.ExitCode is int status)
        {
            _exitStatus = status;
            MarkDead($"Python called os._exit({status})");
            return Dead($"the runtime has ended: {DeathReason}", e);
        }
        return Die(TrapReason(e), e);
    }

    private PyodideException Die(string reason, Exception? inner = null)
    {
        MarkDead(reason);
        return Dead($"the interpreter trapped and the runtime is dead: {reason}", inner);
    }

    /// <summary>The error of a call on this dead instance.</summary>
    private PyodideException Dead(string message, Exception? inner = null) =>
        new(PyodideErrorKind.Fatal, message, inner) { ExitStatus = _exitStatus };

    private void MarkDead(string reason)
    {
        DeathReason ??= reason;
        _watchdog?.InstanceDied();
    }

    /// <summary>The line of a Wasmtime error that names the cause ("wasm trap: call stack
    /// exhausted"), rather than its first line, which only says a backtrace follows.</summary>
    internal static string TrapReason(WasmtimeException e)
    {
        string[] lines = e.Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return lines.FirstOrDefault(l => l.StartsWith("wasm trap:", StringComparison.Ordinal))
            ?? lines.LastOrDefault() ?? e.GetType().Name;
    }

    public void Dispose()
    {
        // What this runtime wrote, for the next process's first restore: read while the
        // memory is still mapped; a runtime that trapped part-way teaches nothing.
        if (_learnsForProcess != null && DeathReason == null) _learnsForProcess.EndProcess(_base);
        _learnsForProcess = null;
        _timer?.Dispose(); // before the memory it delivers to goes
        _signals?.Close(); // and a delivery from another thread
        _terminal.Restore();
        _exports?.Close();
        _store?.Dispose();
        _linker?.Dispose();
    }
}
