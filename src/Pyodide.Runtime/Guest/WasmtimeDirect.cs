using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Pyodide.Guest;

/// <summary>The few calls of Wasmtime's C API (wasmtime.h, of the Wasmtime package's
/// version) made without wasmtime-dotnet's wrappers: calling a guest export. Its typed
/// function wrappers spend ~15 % of a short call on a delegate, a store-context lookup
/// and a converter per argument (perf of a C loop of pyproxy_call), and binding one
/// creates a <see cref="Function"/> with its type per export per runtime. Errors are
/// still turned into exceptions by wasmtime-dotnet, so a trap or a host callback's
/// exception looks exactly as it does through <see cref="Function"/>.</summary>
internal static unsafe class WasmtimeDirect
{
    private const string Library = "wasmtime"; // as wasmtime-dotnet names it

    /// <summary><c>wasmtime_func_t</c>: a function of one store.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal readonly struct Func
    {
        public readonly ulong StoreId;
        public readonly nint Private;
    }

    /// <summary><c>wasmtime_instance_t</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal readonly struct InstanceRef
    {
        public readonly ulong StoreId;
        public readonly nuint Private;
    }

    /// <summary><c>wasmtime_extern_t</c>: a kind byte, then a 24-byte union at offset 8.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 32)]
    private struct Extern
    {
        [FieldOffset(0)] public byte Kind;
        [FieldOffset(8)] public Func Func;
    }

    /// <summary><c>wasm_valtype_vec_t</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct ValTypeVec
    {
        public readonly nuint Size;
        public readonly nint* Data;
    }

    /// <summary><c>wasmtime_val_raw_t</c>: each argument and result of an unchecked call.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 16)]
    internal struct RawValue
    {
        [FieldOffset(0)] public int I32;
    }

    private const byte ExternFunc = 0; // WASMTIME_EXTERN_FUNC
    private const byte ValKindI32 = 0; // WASM_I32

    /// <summary>The <c>wasmtime_context_t*</c> of <paramref name="store"/>, valid while it
    /// lives (wasmtime-dotnet keeps it in a field).</summary>
    public static nint ContextOf(Store store) => ContextHandle(store);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "contextHandle")]
    private static extern ref nint ContextHandle(Store store);

    [UnsafeAccessor(UnsafeAccessorKind.StaticMethod, Name = "FromOwnedTrap")]
    private static extern TrapException FromOwnedTrap(TrapException? _, nint trap, bool delete);

    [UnsafeAccessor(UnsafeAccessorKind.StaticMethod, Name = "FromOwnedError")]
    private static extern WasmtimeException FromOwnedError(WasmtimeException? _, nint error);

    // wasmtime-dotnet keeps an instance's wasmtime_instance_t in a field of a type of its
    // own; read once per instance.
    private static readonly FieldInfo InstanceField =
        typeof(Instance).GetField("instance", BindingFlags.NonPublic | BindingFlags.Instance)
        ?? throw new PlatformNotSupportedException("this Wasmtime package does not keep Instance.instance");

    /// <summary>The export <paramref name="name"/> of <paramref name="instance"/> if it is a
    /// function taking <paramref name="parameters"/> i32s and returning
    /// <paramref name="results"/> (0 or 1) i32s; null otherwise.</summary>
    public static Func? GetFunction(nint context, InstanceRef instance, string name, int parameters, int results)
    {
        Span<byte> utf8 = stackalloc byte[name.Length * 3];
        int length = System.Text.Encoding.UTF8.GetBytes(name, utf8);
        Extern item;
        bool found;
        fixed (byte* bytes = utf8)
            found = wasmtime_instance_export_get(context, &instance, bytes, (nuint)length, &item) != 0;
        if (!found || item.Kind != ExternFunc) return null;
        nint type = wasmtime_func_type(context, &item.Func);
        try
        {
            return AllI32(wasm_functype_params(type), parameters) && AllI32(wasm_functype_results(type), results)
                ? item.Func : null;
        }
        finally
        {
            wasm_functype_delete(type);
        }
    }

    private static bool AllI32(ValTypeVec* types, int count)
    {
        if (types->Size != (nuint)count) return false;
        for (int i = 0; i < count; i++)
            if (wasm_valtype_kind(types->Data[i]) != ValKindI32) return false;
        return true;
    }

    /// <summary>The <c>wasmtime_instance_t</c> behind <paramref name="instance"/>.</summary>
    public static InstanceRef ReadInstance(Instance instance)
    {
        object boxed = InstanceField.GetValue(instance)!;
        var pin = GCHandle.Alloc(boxed, GCHandleType.Pinned);
        try
        {
            return *(InstanceRef*)pin.AddrOfPinnedObject();
        }
        finally
        {
            pin.Free();
        }
    }

    /// <summary>Calls <paramref name="func"/> with <paramref name="count"/> arguments in
    /// <paramref name="values"/>, where its results are written. Throws what
    /// wasmtime-dotnet would: a <see cref="TrapException"/> for a trap, a
    /// <see cref="WasmtimeException"/> (with a host callback's exception inside) for an error.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Call(nint context, Func func, RawValue* values, int count)
    {
        nint trap;
        nint error = wasmtime_func_call_unchecked(context, &func, values, (nuint)count, &trap);
        if (error != 0) throw FromOwnedError(null, error);
        if (trap != 0) throw FromOwnedTrap(null, trap, true);
    }

    [DllImport(Library)]
    private static extern nint wasmtime_func_call_unchecked(nint context, Func* func, RawValue* argsAndResults, nuint count, nint* trap);

    [DllImport(Library)]
    private static extern byte wasmtime_instance_export_get(nint context, InstanceRef* instance, byte* name, nuint length, Extern* item);

    [DllImport(Library)]
    private static extern nint wasmtime_func_type(nint context, Func* func);

    [DllImport(Library)]
    private static extern ValTypeVec* wasm_functype_params(nint type);

    [DllImport(Library)]
    private static extern ValTypeVec* wasm_functype_results(nint type);

    [DllImport(Library)]
    private static extern void wasm_functype_delete(nint type);

    [DllImport(Library)]
    private static extern byte wasm_valtype_kind(nint type);
}
