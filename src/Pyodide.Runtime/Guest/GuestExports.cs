using Wasmtime;

namespace Pyodide.Guest;

/// <summary>The functions python.wasm exports (src/guest/README.md, "Exports"), bound once
/// per instance: the one table of their names and wasm signatures. Raw: no lock, no
/// error handling; <see cref="GuestInstance"/> wraps each call.</summary>
internal sealed class GuestExports
{
    public readonly Action Initialize;
    public readonly Func<int, int> Init;
    public readonly Func<int, int> SnapshotRestore;
    public readonly Func<int, int> SnapshotSeal;
    public readonly Action SnapshotForget;
    public readonly Func<int, int> Alloc;
    public readonly Action<int> Free;
    public readonly Func<int, int, int, int, int> Run;
    public readonly Func<int> Globals;
    public readonly Func<int, int, int, int> GetItem;
    public readonly Func<int, int, int, int> SetItem;
    public readonly Func<int, int, int> DelItem;
    public readonly Func<int, int, int> Contains;
    public readonly Func<int, int, int> Length;
    public readonly Func<int, int, int> TypeName;
    public readonly Func<int, int, int, int, int> Call;
    public readonly Func<int, int> Dup;
    public readonly Func<int, int> Release;
    public readonly Func<int> HandleCount;
    public readonly Func<int, int> Error;
    public readonly Func<int, int, int, int, int> GetAttr;
    public readonly Func<int, int, int, int, int> SetAttr;
    public readonly Func<int, int, int, int> HasAttr;
    public readonly Func<int, int, int, int> DelAttr;
    public readonly Func<int, int, int, int, int, int> CallKw;
    public readonly Func<int, int> Iter;
    public readonly Func<int, int, int, int> Next;
    public readonly Func<int, int> ToPy;
    public readonly Func<int, int, int, int> ToJs;
    public readonly Func<int, int, int> GetBuffer;
    public readonly Func<int, int, int, int> HostFunction;
    public readonly Func<int, int, int> HostModule;
    public readonly Func<int, int, int> HostUnregister;
    public readonly Func<int, int, int, int, int, int> HostClass;
    public readonly Func<int, int> InterruptSlots;
    public readonly Func<int> InterruptClear;

    /// <exception cref="PyodideException">An export is missing (<see cref="PyodideErrorKind.IO"/>).</exception>
    public GuestExports(Instance instance)
    {
        Initialize = instance.GetAction("_initialize") ?? throw Missing("_initialize");
        Init = F(instance.GetFunction<int, int>, "pyn_init");
        SnapshotRestore = F(instance.GetFunction<int, int>, "pyn_snapshot_restore");
        SnapshotSeal = F(instance.GetFunction<int, int>, "pyn_snapshot_seal");
        SnapshotForget = instance.GetAction("pyn_snapshot_forget") ?? throw Missing("pyn_snapshot_forget");
        Alloc = F(instance.GetFunction<int, int>, "pyn_alloc");
        Free = instance.GetAction<int>("pyn_free") ?? throw Missing("pyn_free");
        Run = F(instance.GetFunction<int, int, int, int, int>, "pyn_run");
        Globals = F(instance.GetFunction<int>, "pyn_globals");
        GetItem = F(instance.GetFunction<int, int, int, int>, "pyn_getitem");
        SetItem = F(instance.GetFunction<int, int, int, int>, "pyn_setitem");
        DelItem = F(instance.GetFunction<int, int, int>, "pyn_delitem");
        Contains = F(instance.GetFunction<int, int, int>, "pyn_contains");
        Length = F(instance.GetFunction<int, int, int>, "pyn_length");
        TypeName = F(instance.GetFunction<int, int, int>, "pyn_typename");
        Call = F(instance.GetFunction<int, int, int, int, int>, "pyn_call");
        Dup = F(instance.GetFunction<int, int>, "pyn_dup");
        Release = F(instance.GetFunction<int, int>, "pyn_release");
        HandleCount = F(instance.GetFunction<int>, "pyn_handle_count");
        Error = F(instance.GetFunction<int, int>, "pyn_error");
        GetAttr = F(instance.GetFunction<int, int, int, int, int>, "pyn_getattr");
        SetAttr = F(instance.GetFunction<int, int, int, int, int>, "pyn_setattr");
        HasAttr = F(instance.GetFunction<int, int, int, int>, "pyn_hasattr");
        DelAttr = F(instance.GetFunction<int, int, int, int>, "pyn_delattr");
        CallKw = F(instance.GetFunction<int, int, int, int, int, int>, "pyn_call_kw");
        Iter = F(instance.GetFunction<int, int>, "pyn_iter");
        Next = F(instance.GetFunction<int, int, int, int>, "pyn_next");
        ToPy = F(instance.GetFunction<int, int>, "pyn_to_py");
        ToJs = F(instance.GetFunction<int, int, int, int>, "pyn_to_js");
        GetBuffer = F(instance.GetFunction<int, int, int>, "pyn_get_buffer");
        HostFunction = F(instance.GetFunction<int, int, int, int>, "pyn_host_function");
        HostModule = F(instance.GetFunction<int, int, int>, "pyn_host_module");
        HostUnregister = F(instance.GetFunction<int, int, int>, "pyn_host_unregister");
        HostClass = F(instance.GetFunction<int, int, int, int, int, int>, "pyn_host_class");
        InterruptSlots = F(instance.GetFunction<int, int>, "pyn_interrupt_slots");
        InterruptClear = F(instance.GetFunction<int>, "pyn_interrupt_clear");
    }

    /// <summary>Binds one export through Wasmtime's typed lookup for its signature.</summary>
    private static T F<T>(Func<string, T?> lookup, string name) where T : class => lookup(name) ?? throw Missing(name);

    public static PyodideException Missing(string export) =>
        new(PyodideErrorKind.IO, $"python.wasm lacks the export '{export}' (a mismatched build?)");
}
