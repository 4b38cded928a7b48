using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Pyodide.Guest;

/// <summary>The few calls of Wasmtime's C API (wasmtime.h, of the Wasmtime package's
/// version) made without wasmtime-dotnet's wrappers: calling a guest export, and
/// defining an import. Its typed function wrappers spend ~15 % of a short call on a
/// delegate, a store-context lookup and a converter per argument (perf of a C loop of
/// pyproxy_call), its callbacks a delegate thunk, a <see cref="Caller"/> and a store
/// lookup per call; and binding an export creates a <see cref="Function"/> with its
/// type per export per runtime. Errors are still turned into exceptions (and a
/// callback's exception into a trap) by wasmtime-dotnet's own code, so they look
/// exactly as they do through <see cref="Function"/>. Tied to the pinned Wasmtime
/// package (Pyodide.Runtime.csproj): the C structs' layouts are its wasmtime.h's, and
/// the store's context, the instance and linker handles and those conversions are
/// reached by name in wasmtime-dotnet, so a changed name fails loudly at its first use
/// (a runtime's start; a trap; an import's exception), each of which the tests make.</summary>
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

    [UnsafeAccessor(UnsafeAccessorKind.StaticMethod, Name = "HandleCallbackException")]
    private static extern nint HandleCallbackException(Function? _, Exception exception);

    // wasmtime-dotnet keeps a linker's wasmtime_linker_t* in a SafeHandle of its own type.
    private static readonly FieldInfo LinkerField =
        typeof(Linker).GetField("handle", BindingFlags.NonPublic | BindingFlags.Instance)
        ?? throw new PlatformNotSupportedException("this Wasmtime package does not keep Linker.handle");

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

    /// <summary>What an import does when the guest calls it.</summary>
    public interface IImport
    {
        /// <summary>Reads the arguments from <paramref name="values"/> and writes the result
        /// (if any) to the first. May throw: the exception traps the guest and comes out of
        /// the call that entered it, inside a <see cref="WasmtimeException"/>.</summary>
        void Invoke(RawValue* values);
    }

    /// <summary>The handle of <paramref name="linker"/>'s <c>wasmtime_linker_t</c>, for
    /// <see cref="DefineFunction"/> (read by reflection: once per linker).</summary>
    public static SafeHandle HandleOf(Linker linker) => (SafeHandle)LinkerField.GetValue(linker)!;

    /// <summary>Defines <paramref name="module"/>.<paramref name="name"/> in the linker of
    /// <paramref name="handle"/> (<see cref="HandleOf"/>) as a function of
    /// <paramref name="parameters"/> i32s returning <paramref name="results"/> (0 or 1)
    /// i32s, answered by <paramref name="import"/> (kept alive until Wasmtime drops the
    /// definition).</summary>
    public static void DefineFunction(SafeHandle handle, string module, string name, int parameters, int results, IImport import)
    {
        nint type = NewFunctionType(parameters, results);
        var env = GCHandle.Alloc(import);
        nint error;
        try
        {
            Span<byte> utf8 = stackalloc byte[(module.Length + name.Length) * 3];
            int moduleLength = System.Text.Encoding.UTF8.GetBytes(module, utf8);
            int nameLength = System.Text.Encoding.UTF8.GetBytes(name, utf8[moduleLength..]);
            fixed (byte* bytes = utf8)
                error = wasmtime_linker_define_func_unchecked(handle.DangerousGetHandle(), bytes, (nuint)moduleLength,
                    bytes + moduleLength, (nuint)nameLength, type, &Dispatch, GCHandle.ToIntPtr(env), &Release);
            GC.KeepAlive(handle);
        }
        finally
        {
            wasm_functype_delete(type);
        }
        if (error != 0)
        {
            env.Free();
            throw FromOwnedError(null, error);
        }
    }

    private static nint NewFunctionType(int parameters, int results)
    {
        ValTypeVec parameterTypes, resultTypes;
        wasm_valtype_vec_new_uninitialized(&parameterTypes, (nuint)parameters);
        for (int i = 0; i < parameters; i++) parameterTypes.Data[i] = wasm_valtype_new(ValKindI32);
        wasm_valtype_vec_new_uninitialized(&resultTypes, (nuint)results);
        for (int i = 0; i < results; i++) resultTypes.Data[i] = wasm_valtype_new(ValKindI32);
        return wasm_functype_new(&parameterTypes, &resultTypes); // takes both vectors
    }

    [UnmanagedCallersOnly]
    private static nint Dispatch(nint env, nint caller, RawValue* values, nuint count)
    {
        try
        {
            ((IImport)GCHandle.FromIntPtr(env).Target!).Invoke(values);
            return 0;
        }
        catch (Exception e)
        {
            return HandleCallbackException(null, e);
        }
    }

    [UnmanagedCallersOnly]
    private static void Release(nint env) => GCHandle.FromIntPtr(env).Free();

    [DllImport(Library)]
    private static extern nint wasmtime_linker_define_func_unchecked(nint linker, byte* module, nuint moduleLength,
        byte* name, nuint nameLength, nint type, delegate* unmanaged<nint, nint, RawValue*, nuint, nint> callback,
        nint env, delegate* unmanaged<nint, void> finalizer);

    [DllImport(Library)]
    private static extern void wasm_valtype_vec_new_uninitialized(ValTypeVec* vector, nuint size);

    [DllImport(Library)]
    private static extern nint wasm_valtype_new(byte kind);

    [DllImport(Library)]
    private static extern nint wasm_functype_new(ValTypeVec* parameters, ValTypeVec* results);

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
