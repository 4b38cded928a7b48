using System.Runtime.CompilerServices;
using Wasmtime;

namespace Pyodide.Guest;

/// <summary>One function python.wasm exports: all its parameters are i32s, and it returns
/// one i32 or nothing.</summary>
internal readonly struct GuestExport(WasmtimeDirect.Func func, int parameters, bool hasResult)
{
    public readonly WasmtimeDirect.Func Func = func;
    /// <summary>How many values the call reads and writes: its parameters, or its result.</summary>
    public readonly int Values = Math.Max(parameters, hasResult ? 1 : 0);
}

/// <summary>The functions python.wasm exports (src/guest/README.md, "Exports"), bound once
/// per instance: the one table of their names and wasm signatures, and the one place
/// they are called (<see cref="Invoke"/>, through Wasmtime's C API directly). Raw: no
/// lock, no error handling; <see cref="GuestInstance"/> wraps each call.</summary>
internal sealed unsafe class GuestExports
{
    /// <summary>The most parameters an export takes.</summary>
    private const int MaxValues = 5;

    private readonly Store _store;
    private nint _context;

    public readonly GuestExport Initialize, Init, SnapshotRestore, SnapshotSeal, SnapshotForget, Alloc, Free,
        Run, Globals, GetItem, SetItem, DelItem, Contains, Length, TypeName, Call, Dup, Release, HandleCount,
        Error, GetAttr, SetAttr, HasAttr, DelAttr, CallKw, Iter, Next, ToPy, ToJs, GetBuffer, HostFunction,
        HostModule, HostUnregister, HostClass, InterruptSlots, InterruptClear, SignalSlots;

    /// <exception cref="PyodideException">An export is missing or has another signature
    /// (<see cref="PyodideErrorKind.IO"/>).</exception>
    public GuestExports(Store store, Instance instance)
    {
        _store = store;
        _context = WasmtimeDirect.ContextOf(store);
        var self = WasmtimeDirect.ReadInstance(instance);
        Initialize = Bind(self, "_initialize", 0, 0);
        Init = Bind(self, "pyn_init", 1, 1);
        SnapshotRestore = Bind(self, "pyn_snapshot_restore", 1, 1);
        SnapshotSeal = Bind(self, "pyn_snapshot_seal", 1, 1);
        SnapshotForget = Bind(self, "pyn_snapshot_forget", 0, 0);
        Alloc = Bind(self, "pyn_alloc", 1, 1);
        Free = Bind(self, "pyn_free", 1, 0);
        Run = Bind(self, "pyn_run", 4, 1);
        Globals = Bind(self, "pyn_globals", 0, 1);
        GetItem = Bind(self, "pyn_getitem", 3, 1);
        SetItem = Bind(self, "pyn_setitem", 3, 1);
        DelItem = Bind(self, "pyn_delitem", 2, 1);
        Contains = Bind(self, "pyn_contains", 2, 1);
        Length = Bind(self, "pyn_length", 2, 1);
        TypeName = Bind(self, "pyn_typename", 2, 1);
        Call = Bind(self, "pyn_call", 4, 1);
        Dup = Bind(self, "pyn_dup", 1, 1);
        Release = Bind(self, "pyn_release", 1, 1);
        HandleCount = Bind(self, "pyn_handle_count", 0, 1);
        Error = Bind(self, "pyn_error", 1, 1);
        GetAttr = Bind(self, "pyn_getattr", 4, 1);
        SetAttr = Bind(self, "pyn_setattr", 4, 1);
        HasAttr = Bind(self, "pyn_hasattr", 3, 1);
        DelAttr = Bind(self, "pyn_delattr", 3, 1);
        CallKw = Bind(self, "pyn_call_kw", 5, 1);
        Iter = Bind(self, "pyn_iter", 1, 1);
        Next = Bind(self, "pyn_next", 3, 1);
        ToPy = Bind(self, "pyn_to_py", 1, 1);
        ToJs = Bind(self, "pyn_to_js", 3, 1);
        GetBuffer = Bind(self, "pyn_get_buffer", 2, 1);
        HostFunction = Bind(self, "pyn_host_function", 3, 1);
        HostModule = Bind(self, "pyn_host_module", 2, 1);
        HostUnregister = Bind(self, "pyn_host_unregister", 2, 1);
        HostClass = Bind(self, "pyn_host_class", 5, 1);
        InterruptSlots = Bind(self, "pyn_interrupt_slots", 1, 1);
        InterruptClear = Bind(self, "pyn_interrupt_clear", 0, 1);
        SignalSlots = Bind(self, "pyn_signal_slots", 1, 1);
    }

    private GuestExport Bind(WasmtimeDirect.InstanceRef instance, string name, int parameters, int results)
    {
        // Invoke's buffer has MaxValues slots: a longer signature would be read past it.
        if (parameters > MaxValues) throw new InvalidOperationException($"{name} takes more than {MaxValues} parameters");
        return WasmtimeDirect.GetFunction(_context, instance, name, parameters, results) is { } func
            ? new GuestExport(func, parameters, results == 1)
            : throw Missing(name);
    }

    /// <summary>Calls <paramref name="export"/> with the first of <paramref name="a"/>..<paramref name="e"/>
    /// it takes; returns its result (for an export without one, a value of no meaning:
    /// the buffer's first slot is left as written).</summary>
    /// <exception cref="WasmtimeException">It trapped, or a host callback failed (see <see cref="WasmtimeDirect.Call"/>).</exception>
    /// <exception cref="ObjectDisposedException">The store was closed (<see cref="Close"/>).</exception>
    // SkipLocalsInit: zeroing the buffer, the JIT writes 256-bit AVX registers and
    // leaves their upper halves dirty, and Wasmtime's SSE code then stalls on its first
    // store (perf: 84 % of call_unchecked_raw's samples on one movaps; Globals.Length
    // from .NET 211 -> 64 ns). Every slot the call reads is written below.
    [MethodImpl(MethodImplOptions.AggressiveInlining), SkipLocalsInit]
    public int Invoke(in GuestExport export, int a = 0, int b = 0, int c = 0, int d = 0, int e = 0)
    {
        if (_context == 0) throw new ObjectDisposedException(nameof(GuestExports), "the instance's store was closed");
        var values = stackalloc WasmtimeDirect.RawValue[MaxValues];
        values[0].I32 = a;
        values[1].I32 = b;
        values[2].I32 = c;
        values[3].I32 = d;
        values[4].I32 = e;
        WasmtimeDirect.Call(_context, export.Func, values, export.Values);
        GC.KeepAlive(_store);
        return values[0].I32;
    }

    /// <summary>Forgets the store, which its owner is about to dispose: a later
    /// <see cref="Invoke"/> throws rather than using it.</summary>
    public void Close() => _context = 0;

    public static PyodideException Missing(string export) =>
        new(PyodideErrorKind.IO, $"python.wasm lacks the export '{export}' (a mismatched build?)");
}
