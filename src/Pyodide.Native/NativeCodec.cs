using System.Runtime.InteropServices;
using Pyodide.Guest;

namespace Pyodide.Native;

/// <summary><c>pyodide_value_t</c> trees ↔ guest slots. Input is validated while it
/// is measured, before anything reaches the guest; output is copied into memory
/// the caller owns (released by <see cref="Release"/>).</summary>
internal static unsafe class NativeCodec
{
    public static readonly HandleTable<PyProxy> Proxies = new(0x5059, "pyproxy_t");

    private const int MaxDepth = 512;

    /// <summary>Validates <paramref name="count"/> values, makes room for them and writes
    /// them into adjacent slots starting at <paramref name="first"/>.</summary>
    public static void WriteArgs(GuestInstance guest, PyodideRuntime runtime, NativeValue* values, int count,
                                 string what, out uint first) =>
        WriteArgs(guest, runtime, values, count, what, out first, default, out _);

    /// <summary>Like <see cref="WriteArgs"/>, with <paramref name="extra"/> bytes (a name)
    /// copied after the values; <paramref name="extraAddress"/> is where they went.</summary>
    public static void WriteArgs(GuestInstance guest, PyodideRuntime runtime, NativeValue* values, int count,
                                 string what, out uint first, ReadOnlySpan<byte> extra, out uint extraAddress)
    {
        int slots = count, bytes = extra.Length;
        for (int i = 0; i < count; i++) Measure(runtime, &values[i], ref slots, ref bytes, 0, what);
        var writer = guest.BeginInput(slots, bytes);
        Slot* top = writer.ReserveSlots(count, out first);
        for (int i = 0; i < count; i++) Write(ref writer, runtime, &values[i], top + i);
        extra.CopyTo(writer.ReserveBytes(extra.Length, out extraAddress));
    }

    /// <summary>Writes a host function's result (validated like any input) through the
    /// guest's answer; returns the payload block (0 if none).</summary>
    public static uint WriteResult(GuestInstance.AnswerWriter answer, PyodideRuntime runtime, NativeValue* value)
    {
        int slots = 1, bytes = 0;
        Measure(runtime, value, ref slots, ref bytes, 0, "result");
        var writer = answer.Begin(slots, bytes, out uint block);
        Slot* top = writer.ReserveSlots(1, out _);
        Write(ref writer, runtime, value, top);
        return block;
    }

    /// <summary>Destroys the proxies in a value the library does not own (a host
    /// function's result), leaving its memory alone.</summary>
    public static void DestroyProxies(NativeValue* v, int depth = 0)
    {
        if (depth > MaxDepth) return;
        switch (v->Kind)
        {
            case NativeValue.Proxy:
                DestroyProxy(v->Ptr);
                break;
            case NativeValue.List when v->Ptr != 0:
                for (nuint i = 0; i < (nuint)v->Second; i++) DestroyProxies((NativeValue*)v->Ptr + i, depth + 1);
                break;
            case NativeValue.Dict when v->Ptr != 0 && v->Second != 0:
                for (nuint i = 0; i < v->Third; i++)
                {
                    DestroyProxies((NativeValue*)v->Ptr + i, depth + 1);
                    DestroyProxies((NativeValue*)v->Second + i, depth + 1);
                }
                break;
        }
    }

    /// <summary>How many container levels a value nests (0 for a scalar); input is
    /// validated separately by <see cref="WriteArgs"/>.</summary>
    public static int Nesting(NativeValue* v, int depth = 0)
    {
        if (depth > MaxDepth) return depth;
        int deepest = 0;
        switch (v->Kind)
        {
            case NativeValue.List when v->Ptr != 0:
                for (nuint i = 0; i < (nuint)v->Second; i++) deepest = Math.Max(deepest, Nesting((NativeValue*)v->Ptr + i, depth + 1));
                return 1 + deepest;
            case NativeValue.Dict when v->Ptr != 0 && v->Second != 0:
                for (nuint i = 0; i < v->Third; i++)
                    deepest = Math.Max(deepest, Math.Max(Nesting((NativeValue*)v->Ptr + i, depth + 1), Nesting((NativeValue*)v->Second + i, depth + 1)));
                return 1 + deepest;
            case NativeValue.List or NativeValue.Dict:
                return 1;
            default:
                return 0;
        }
    }

    private static void Measure(PyodideRuntime runtime, NativeValue* v, ref int slots, ref int bytes, int depth, string what)
    {
        if (depth > MaxDepth) throw new ArgumentException($"{what} nests more than {MaxDepth} levels deep");
        switch (v->Kind)
        {
            case NativeValue.None or NativeValue.Bool or NativeValue.Int or NativeValue.Float:
                return;
            case NativeValue.Str:
                bytes = checked(bytes + Payload(v, what + " (STR)", utf8: true).Length);
                return;
            case NativeValue.Bytes:
                bytes = checked(bytes + Payload(v, what + " (BYTES)", utf8: false).Length);
                return;
            case NativeValue.List:
            {
                int n = Count((nuint)v->Second, what);
                if (n > 0 && v->Ptr == 0) throw new ArgumentException($"{what} is a LIST with NULL items");
                slots = checked(slots + n);
                var items = (NativeValue*)v->Ptr;
                for (int i = 0; i < n; i++) Measure(runtime, &items[i], ref slots, ref bytes, depth + 1, what);
                return;
            }
            case NativeValue.Dict:
            {
                int n = Count(v->Third, what);
                if (n > 0 && (v->Ptr == 0 || v->Second == 0)) throw new ArgumentException($"{what} is a DICT with NULL keys or values");
                slots = checked(slots + 2 * n);
                var keys = (NativeValue*)v->Ptr;
                var values = (NativeValue*)v->Second;
                for (int i = 0; i < n; i++)
                {
                    Measure(runtime, &keys[i], ref slots, ref bytes, depth + 1, what);
                    Measure(runtime, &values[i], ref slots, ref bytes, depth + 1, what);
                }
                return;
            }
            case NativeValue.Proxy:
                Proxies.Get(v->Ptr, what + " (PROXY)").HandleFor(runtime);
                return;
            default:
                throw new ArgumentException($"{what} has an unknown kind {v->Kind}");
        }
    }

    private static int Count(nuint n, string what) =>
        n > int.MaxValue / 2 ? throw new ArgumentException($"{what} has too many items ({n})") : (int)n;

    /// <summary>The bytes of a STR/BYTES value (a STR may say PYODIDE_STRLEN), checked for
    /// UTF-8 when <paramref name="validate"/> (once, while measuring).</summary>
    private static ReadOnlySpan<byte> Payload(NativeValue* v, string what, bool utf8, bool validate = true)
    {
        nuint length = (nuint)v->Second;
        if (length == 0) return default;
        if (v->Ptr == 0) throw new ArgumentException($"{what} has a NULL pointer and length {length}");
        if (utf8 && length == nuint.MaxValue)
        {
            // PYODIDE_STRLEN: NUL-terminated, as the header allows for every string.
            var terminated = MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)v->Ptr);
            if (validate && !System.Text.Unicode.Utf8.IsValid(terminated)) throw new ArgumentException($"{what} is not valid UTF-8");
            return terminated;
        }
        if (length > int.MaxValue) throw new ArgumentException($"{what} is longer than 2 GiB");
        var span = new ReadOnlySpan<byte>((byte*)v->Ptr, (int)length);
        if (validate && utf8 && !System.Text.Unicode.Utf8.IsValid(span)) throw new ArgumentException($"{what} is not valid UTF-8");
        return span;
    }

    private static void Write(ref SlotWriter writer, PyodideRuntime runtime, NativeValue* v, Slot* s)
    {
        s->Length = 0;
        s->Raw = 0;
        switch (v->Kind)
        {
            case NativeValue.None: s->Kind = SlotKind.None; break;
            case NativeValue.Bool: s->Kind = SlotKind.Bool; s->Raw = v->B != 0 ? 1UL : 0UL; break;
            case NativeValue.Int: s->Kind = SlotKind.Int; s->Int = v->I; break;
            case NativeValue.Float: s->Kind = SlotKind.Float; s->Float = v->F; break;
            case NativeValue.Str or NativeValue.Bytes:
            {
                var payload = Payload(v, "value", utf8: v->Kind == NativeValue.Str, validate: false);
                payload.CopyTo(writer.ReserveBytes(payload.Length, out uint address));
                s->Kind = v->Kind == NativeValue.Str ? SlotKind.Str : SlotKind.Bytes;
                s->Length = (uint)payload.Length;
                s->Address = address;
                break;
            }
            case NativeValue.List:
            {
                int n = (int)v->Second;
                Slot* items = writer.ReserveSlots(n, out uint address);
                for (int i = 0; i < n; i++) Write(ref writer, runtime, (NativeValue*)v->Ptr + i, items + i);
                s->Kind = SlotKind.List;
                s->Length = (uint)n;
                s->Address = address;
                break;
            }
            case NativeValue.Dict:
            {
                int n = (int)v->Third;
                Slot* pairs = writer.ReserveSlots(2 * n, out uint address);
                for (int i = 0; i < n; i++)
                {
                    Write(ref writer, runtime, (NativeValue*)v->Ptr + i, pairs + 2 * i);
                    Write(ref writer, runtime, (NativeValue*)v->Second + i, pairs + 2 * i + 1);
                }
                s->Kind = SlotKind.Dict;
                s->Length = (uint)n;
                s->Address = address;
                break;
            }
            case NativeValue.Proxy:
                s->Kind = SlotKind.Handle;
                s->Address = writer.HandleSlot(Proxies.Get(v->Ptr, "proxy").HandleFor(runtime));
                break;
        }
    }

    /// <summary>Fills <paramref name="result"/> with an owned copy of a result slot.
    /// A NULL <paramref name="result"/> discards it (releasing a handle it carries).</summary>
    public static void Read(PyodideRuntime runtime, GuestInstance guest, in Slot slot, NativeValue* result)
    {
        if (result == null)
        {
            if (slot.Kind == SlotKind.Handle) guest.Release(slot.Address);
            return;
        }
        NativeValue v = default;
        switch (slot.Kind)
        {
            case SlotKind.None: v.Kind = NativeValue.None; break;
            case SlotKind.Bool: v.Kind = NativeValue.Bool; v.B = slot.Raw != 0 ? (byte)1 : (byte)0; break;
            case SlotKind.Int: v.Kind = NativeValue.Int; v.I = slot.Int; break;
            case SlotKind.Float: v.Kind = NativeValue.Float; v.F = slot.Float; break;
            case SlotKind.Str or SlotKind.Bytes:
                v.Kind = slot.Kind == SlotKind.Str ? NativeValue.Str : NativeValue.Bytes;
                v.Ptr = (nint)NativeStrings.Copy(guest.Bytes(slot.Address, slot.Length));
                v.Second = (nint)slot.Length;
                break;
            case SlotKind.Handle:
                v.Kind = NativeValue.Proxy;
                v.Ptr = Proxies.Add(new PyProxy(runtime, slot.Address));
                break;
            default:
                throw new PyodideException(PyodideErrorKind.Fatal, $"the guest returned a value of kind {slot.Kind} here");
        }
        *result = v;
    }

    /// <summary>Fills <paramref name="result"/> with an owned copy of a slot tree from
    /// <c>pyn_to_js</c>. On failure everything built so far is released.</summary>
    public static void ReadTree(PyodideRuntime runtime, GuestInstance guest, in Slot slot, NativeValue* result)
    {
        NativeValue v = default;
        try
        {
            FillTree(runtime, guest, slot, &v);
        }
        catch
        {
            Release(&v);
            throw;
        }
        *result = v;
    }

    private static void FillTree(PyodideRuntime runtime, GuestInstance guest, in Slot slot, NativeValue* v)
    {
        switch (slot.Kind)
        {
            case SlotKind.List:
            {
                var items = (Slot*)guest.Checked(slot.Address, (ulong)slot.Length * Slot.Size);
                var array = (NativeValue*)NativeMemory.AllocZeroed(Math.Max(slot.Length, 1u), (nuint)sizeof(NativeValue));
                v->Kind = NativeValue.List;
                v->Ptr = (nint)array;
                for (uint i = 0; i < slot.Length; i++)
                {
                    v->Second = (nint)(i + 1); // released up to here if a later item fails
                    FillTree(runtime, guest, items[i], &array[i]);
                }
                v->Second = (nint)slot.Length;
                return;
            }
            case SlotKind.Dict:
            {
                var pairs = (Slot*)guest.Checked(slot.Address, (ulong)slot.Length * 2 * Slot.Size);
                nuint n = Math.Max(slot.Length, 1u);
                var keys = (NativeValue*)NativeMemory.AllocZeroed(n, (nuint)sizeof(NativeValue));
                var values = (NativeValue*)NativeMemory.AllocZeroed(n, (nuint)sizeof(NativeValue));
                v->Kind = NativeValue.Dict;
                v->Ptr = (nint)keys;
                v->Second = (nint)values;
                for (uint i = 0; i < slot.Length; i++)
                {
                    v->Third = i + 1;
                    FillTree(runtime, guest, pairs[2 * i], &keys[i]);
                    FillTree(runtime, guest, pairs[2 * i + 1], &values[i]);
                }
                v->Third = slot.Length;
                return;
            }
            default:
                Read(runtime, guest, slot, v);
                return;
        }
    }

    /// <summary><c>pyodide_value_release</c>: frees what the library allocated, destroys
    /// proxies, and leaves the value NONE.</summary>
    public static void Release(NativeValue* v)
    {
        switch (v->Kind)
        {
            case NativeValue.Str or NativeValue.Bytes:
                NativeMemory.Free((void*)v->Ptr);
                break;
            case NativeValue.List:
                for (nuint i = 0; i < (nuint)v->Second; i++) Release((NativeValue*)v->Ptr + i);
                NativeMemory.Free((void*)v->Ptr);
                break;
            case NativeValue.Dict:
                for (nuint i = 0; i < v->Third; i++)
                {
                    Release((NativeValue*)v->Ptr + i);
                    Release((NativeValue*)v->Second + i);
                }
                NativeMemory.Free((void*)v->Ptr);
                NativeMemory.Free((void*)v->Second);
                break;
            case NativeValue.Proxy:
                DestroyProxy(v->Ptr);
                break;
        }
        *v = default;
    }

    /// <summary><c>pyproxy_destroy</c>: frees the token, then the object if its runtime lives.</summary>
    public static void DestroyProxy(nint token)
    {
        Proxies.Remove(token)?.Dispose();
    }

    /// <summary>Writes a value as the managed API returns it (null, bool, long, double,
    /// string, byte[] or a <see cref="PyProxy"/>, which the result takes over) into an owned
    /// <c>pyodide_value_t</c>; NULL discards it (disposing a proxy).</summary>
    public static void FromManaged(object? value, NativeValue* result)
    {
        if (result == null)
        {
            (value as PyProxy)?.Dispose();
            return;
        }
        NativeValue v = default;
        switch (value)
        {
            case null: break;
            case bool b: v.Kind = NativeValue.Bool; v.B = b ? (byte)1 : (byte)0; break;
            case long i: v.Kind = NativeValue.Int; v.I = i; break;
            case double f: v.Kind = NativeValue.Float; v.F = f; break;
            case string s:
            {
                var utf8 = System.Text.Encoding.UTF8.GetBytes(s);
                v.Kind = NativeValue.Str;
                v.Ptr = (nint)NativeStrings.Copy(utf8);
                v.Second = utf8.Length;
                break;
            }
            case byte[] bytes:
                v.Kind = NativeValue.Bytes;
                v.Ptr = (nint)NativeStrings.Copy(bytes);
                v.Second = bytes.Length;
                break;
            case PyProxy p:
                v.Kind = NativeValue.Proxy;
                v.Ptr = Proxies.Add(p);
                break;
            default:
                throw new InvalidOperationException($"unexpected result type {value.GetType()}");
        }
        *result = v;
    }
}
