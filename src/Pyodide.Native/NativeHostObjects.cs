using System.Runtime.InteropServices;
using Pyodide.Guest;
using Pyodide.Operations;

namespace Pyodide.Native;

/// <summary>One call of a C callback from Python: the arguments as
/// <c>pyodide_value_t</c>s in, the result out (see <see cref="NativeCallFrame"/>).</summary>
internal unsafe interface INativeCall
{
    /// <summary>Calls the callback; returns its <c>pyodide_error_t*</c> (0 on success).</summary>
    nint Invoke(NativeValue* args, int count, NativeValue* result);
}

/// <summary>How every C callback Python calls (host functions, host object slots) runs:
/// argument slots read into <c>pyodide_value_t</c>s (on the stack for a few), the
/// callback, its result answered to the guest, then everything released.</summary>
internal static unsafe class NativeCallFrame
{
    public static uint Run<TCall>(PyodideRuntime runtime, GuestInstance guest, uint args, uint count,
                                  GuestInstance.AnswerWriter answer, ref TCall call) where TCall : struct, INativeCall
    {
        var slots = (Slot*)guest.Checked(args, (ulong)count * Slot.Size);
        int n = (int)count;
        NativeValue* onStack = stackalloc NativeValue[Limits.SmallArgs];
        NativeValue* values = n <= Limits.SmallArgs ? onStack : (NativeValue*)NativeMemory.AllocZeroed((nuint)n, (nuint)sizeof(NativeValue));
        int read = 0;
        try
        {
            for (; read < n; read++) NativeCodec.Read(runtime, guest, slots[read], &values[read]);
            NativeValue result = default;
            nint error = call.Invoke(values, n, &result);
            if (error != 0) throw Raised(error);
            try
            {
                return GuestOps.Answer(answer, runtime, new NativeArgs(&result, 1, "result"));
            }
            finally
            {
                NativeCodec.DestroyProxies(&result);
            }
        }
        finally
        {
            for (int i = 0; i < read; i++) NativeCodec.Release(&values[i]);
            // Handles the guest made for arguments never read are still ours to drop.
            if (read < n) guest.ReleaseHandles(args + (uint)(read * Slot.Size), (uint)(n - read));
            if (values != onStack) NativeMemory.Free(values);
        }
    }

    /// <summary>The Python exception for an error a callback returned (taken over).</summary>
    private static PythonException Raised(nint error)
    {
        var e = NativeErrors.Table.Remove(error);
        if (e == null) return new PythonException("RuntimeError", "a host callback returned an invalid pyodide_error_t");
        try
        {
            string type = Marshal.PtrToStringUTF8((nint)e.Type) ?? "RuntimeError";
            string message = Marshal.PtrToStringUTF8((nint)e.Message) ?? "";
            return e.Kind == PyodideErrorKind.Python ? new PythonException(type, message) : new PythonException("RuntimeError", message);
        }
        finally
        {
            e.Free();
        }
    }
}

/// <summary>A C <c>pyodide_host_class_t</c> in one runtime: a copy of its slots, read
/// once (the class must stay unchanged while the runtime lives).</summary>
internal sealed unsafe class NativeHostClass : HostClass
{
    /// <summary>Method indices travel above <see cref="HostClass.MethodShift"/> in an i32.</summary>
    private const int MaxMethods = 1 << 22;

    public readonly NativeHostClassLayout* Pointer;
    private readonly NativeHostClassLayout _slots;

    private NativeHostClass(NativeHostClassLayout* pointer, NativeHostClassLayout slots, string name, string[] methods)
        : base(name, FlagsOf(slots), methods)
    {
        Pointer = pointer;
        _slots = slots;
    }

    /// <summary>The class behind <paramref name="cls"/> in <paramref name="runtime"/>, checked and
    /// registered with its guest the first time. Inside a call (the lock held).</summary>
    public static NativeHostClass For(PyodideRuntime runtime, NativeHostClassLayout* cls, string what = "cls")
    {
        if (cls == null) throw new ArgumentException($"{what} is NULL");
        runtime.ThrowIfGuestDead();
        var key = new HostClassKey((nint)cls, null);
        var registry = runtime.HostObjects;
        if (registry.TryGetClass(key, out var known)) return (NativeHostClass)known;
        nuint size = cls->Size;
        if (size < (nuint)NativeHostClassLayout.FirstLayoutSize)
            throw new ArgumentException($"{what}->size is {size}; at least {NativeHostClassLayout.FirstLayoutSize} (sizeof(pyodide_host_class_t) through finalize) expected");
        NativeHostClassLayout slots = default;
        Buffer.MemoryCopy(cls, &slots, sizeof(NativeHostClassLayout), Math.Min((long)size, sizeof(NativeHostClassLayout)));
        string name = NativeStrings.InputString(slots.Name, $"{what}->name");
        if (name.Length == 0) throw new ArgumentException($"{what}->name is empty");
        if (slots.MethodCount > MaxMethods) throw new ArgumentException($"{what}->nmethods is {slots.MethodCount}; at most {MaxMethods}");
        if (slots.MethodCount > 0 && slots.Methods == null) throw new ArgumentException($"{what}->methods is NULL but nmethods is {slots.MethodCount}");
        if (slots.MethodCount > 0 && slots.CallMethod == null) throw new ArgumentException($"{what} has methods but no call_method");
        var methods = new string[(int)slots.MethodCount];
        var seen = new HashSet<string>();
        for (int i = 0; i < methods.Length; i++)
        {
            string method = NativeStrings.InputString(slots.Methods[i], $"{what}->methods[{i}]");
            if (!HostModuleRegistry.IsIdentifier(method) || method.StartsWith("__"))
                throw new ArgumentException($"{what}->methods[{i}] ('{method}') is not an identifier (or is a dunder name)");
            if (!seen.Add(method)) throw new ArgumentException($"{what}->methods[{i}] ('{method}') is listed twice");
            methods[i] = method;
        }
        return (NativeHostClass)registry.AddClass(runtime, key, new NativeHostClass(cls, slots, name, methods));
    }

    private static uint FlagsOf(in NativeHostClassLayout s)
    {
        uint flags = 0;
        if (s.GetAttr != null) flags |= Flag(HostObjectOp.GetAttr);
        if (s.SetAttr != null) flags |= Flag(HostObjectOp.SetAttr);
        if (s.Call != null) flags |= Flag(HostObjectOp.Call);
        if (s.GetItem != null) flags |= Flag(HostObjectOp.GetItem);
        if (s.SetItem != null) flags |= Flag(HostObjectOp.SetItem);
        if (s.Length != null) flags |= Flag(HostObjectOp.Length);
        if (s.Dir != null) flags |= Flag(HostObjectOp.Dir);
        if (s.Iter != null) flags |= Flag(HostObjectOp.Iter);
        if (s.Next != null) flags |= Flag(HostObjectOp.Next);
        return flags;
    }

    public override uint Invoke(PyodideRuntime runtime, GuestInstance guest, in HostObjectRef target, HostObjectOp op, int method,
                                uint args, uint count, GuestInstance.AnswerWriter answer, ref bool done)
    {
        var call = new SlotCall(this, (void*)target.Native, op, method);
        uint block = NativeCallFrame.Run(runtime, guest, args, count, answer, ref call);
        done = call.Done;
        return block;
    }

    public override void Finalize(in HostObjectRef target)
    {
        if (_slots.Finalize != null) _slots.Finalize((void*)target.Native);
    }

    /// <summary>One operation as a call of the class's slot.</summary>
    private struct SlotCall(NativeHostClass cls, void* obj, HostObjectOp op, int method) : INativeCall
    {
        public bool Done;

        public nint Invoke(NativeValue* args, int count, NativeValue* result)
        {
            ref readonly var s = ref cls._slots;
            switch (op)
            {
                case HostObjectOp.GetAttr when s.GetAttr != null && count == 1 && args[0].Kind == NativeValue.Str:
                    return s.GetAttr(obj, args[0].StrData, args[0].StrLen, result);
                case HostObjectOp.SetAttr when s.SetAttr != null && count is 1 or 2 && args[0].Kind == NativeValue.Str:
                    return s.SetAttr(obj, args[0].StrData, args[0].StrLen, count == 2 ? &args[1] : null);
                case HostObjectOp.Call when s.Call != null:
                    return s.Call(obj, args, (nuint)count, result);
                case HostObjectOp.GetItem when s.GetItem != null && count == 1:
                    return s.GetItem(obj, args, result);
                case HostObjectOp.SetItem when s.SetItem != null && count is 1 or 2:
                    return s.SetItem(obj, args, count == 2 ? &args[1] : null);
                case HostObjectOp.Length when s.Length != null:
                {
                    nuint length = 0;
                    nint error = s.Length(obj, &length);
                    if (error == 0)
                    {
                        if (length > long.MaxValue) throw new PythonException("OverflowError", $"{cls.Name}'s length {length} is too large");
                        result->Kind = NativeValue.Int;
                        result->IntValue = (long)length;
                    }
                    return error;
                }
                case HostObjectOp.Dir when s.Dir != null:
                    return s.Dir(obj, result);
                case HostObjectOp.Iter when s.Iter != null:
                    return s.Iter(obj, result);
                case HostObjectOp.Next when s.Next != null:
                {
                    byte done = 0;
                    nint error = s.Next(obj, result, &done);
                    Done = done != 0;
                    return error;
                }
                case HostObjectOp.CallMethod when s.CallMethod != null && (uint)method < (uint)cls.Methods.Length:
                    return s.CallMethod(obj, (nuint)method, args, (nuint)count, result);
                default:
                    throw new InvalidOperationException($"the guest asked {cls.Name} for an operation it lacks ({op})");
            }
        }
    }
}

/// <summary><c>pyodide_host_object_new</c>.</summary>
internal static unsafe class HostObjectExports
{
    private const string NewName = "pyodide_host_object_new";
    [UnmanagedCallersOnly(EntryPoint = NewName)]
    public static nint New(nint token, NativeHostClassLayout* cls, nint obj, nint* result)
    {
        try
        {
            var runtime = RuntimeExports.Runtime(token);
            Require.NotNull(cls, "cls");
            Require.NotNull(result);
            NativeValue value = default;
            value.Kind = NativeValue.Host;
            value.HostClass = cls;
            value.HostObject = obj;
            HostObjectRef target;
            bool existed;
            using (runtime.Enter())
            {
                target = new HostObjectRef(NativeHostClass.For(runtime, cls), obj, null);
                existed = runtime.HostObjects.Contains(target);
            }
            PyProxy proxy;
            try
            {
                proxy = GuestOps.ToPy(runtime, new NativeArgs(&value, 1, "the host object"), -1);
            }
            catch when (!existed)
            {
                // No Python object was made: no finalizer for it either.
                try
                {
                    using (runtime.Enter()) runtime.HostObjects.Forget(target);
                }
                catch (Exception)
                {
                    // The runtime went away meanwhile: its objects went with it.
                }
                throw;
            }
            *result = NativeCodec.Proxies.Add(proxy);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, NewName);
        }
    }
}
