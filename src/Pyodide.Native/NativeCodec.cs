using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Pyodide.Guest;
using Pyodide.Operations;

namespace Pyodide.Native;

/// <summary><c>pyodide_value_t</c> trees ↔ guest slots: the C ABI's codec
/// (<see cref="NativeArgs"/>, <see cref="NativeResult"/>, <see cref="NativeTree"/>,
/// <see cref="Utf8Text"/>). Input is validated while it is measured, before anything
/// reaches the guest; output is copied into memory the caller owns (released by
/// <see cref="Release"/>).</summary>
internal static unsafe class NativeCodec
{
    public static readonly HandleTable<PyProxy> Proxies = new(0x5059, "pyproxy_t");

    /// <summary>The proxy behind a <c>pyproxy_t*</c> argument.</summary>
    public static PyProxy Proxy(nint token, string what = "proxy") => Proxies.Get(token, what);

    /// <summary>Validates one value (at container depth <paramref name="depth"/>) and adds
    /// the slots and bytes it needs beyond its own slot.</summary>
    public static void Measure(PyodideRuntime runtime, NativeValue* v, ref InputSize size, int depth, string what)
    {
        switch (v->Kind)
        {
            case NativeValue.None or NativeValue.Bool or NativeValue.Int or NativeValue.Float:
                return;
            case NativeValue.Str:
                size.Bytes = checked(size.Bytes + Payload(v, what + " (STR)", utf8: true).Length);
                return;
            case NativeValue.Bytes:
                size.Bytes = checked(size.Bytes + Payload(v, what + " (BYTES)", utf8: false).Length);
                return;
            case NativeValue.List:
            {
                CheckNesting(ref size, depth, what);
                int n = Count(v->ListLen, what);
                if (n > 0 && v->ListItems == null) throw new ArgumentException($"{what} is a LIST with NULL items");
                size.Slots = checked(size.Slots + n);
                for (int i = 0; i < n; i++) Measure(runtime, &v->ListItems[i], ref size, depth + 1, what);
                return;
            }
            case NativeValue.Dict:
            {
                CheckNesting(ref size, depth, what);
                int n = Count(v->DictLen, what);
                if (n > 0 && (v->DictKeys == null || v->DictValues == null)) throw new ArgumentException($"{what} is a DICT with NULL keys or values");
                size.Slots = checked(size.Slots + 2 * n);
                for (int i = 0; i < n; i++)
                {
                    Measure(runtime, &v->DictKeys[i], ref size, depth + 1, what);
                    Measure(runtime, &v->DictValues[i], ref size, depth + 1, what);
                }
                return;
            }
            case NativeValue.Proxy:
                Proxy(v->ProxyToken, what + " (PROXY)").HandleFor(runtime);
                return;
            case NativeValue.Host:
                NativeHostClass.For(runtime, v->HostClass, what + " (HOST) of.host.cls");
                return;
            default:
                throw new ArgumentException($"{what} has an unknown kind {v->Kind}");
        }
    }

    /// <summary>A container at <paramref name="depth"/>: refused at the nesting limit, which
    /// also ends the walk of a value that contains itself.</summary>
    private static void CheckNesting(ref InputSize size, int depth, string what)
    {
        if (depth < size.MaxNesting) return;
        throw new ArgumentException(size.MaxNesting == Limits.MaxNesting
            ? $"{what} nests more than {size.MaxNesting} levels deep (or contains itself)"
            : $"{what} nests more than {size.MaxNesting} levels deep");
    }

    private static int Count(nuint n, string what) =>
        n > int.MaxValue / 2 ? throw new ArgumentException($"{what} has too many items ({n})") : (int)n;

    /// <summary>The bytes of a STR/BYTES value (a STR may say PYODIDE_STRLEN), checked for
    /// UTF-8 when <paramref name="validate"/> (once, while measuring).</summary>
    private static ReadOnlySpan<byte> Payload(NativeValue* v, string what, bool utf8, bool validate = true)
    {
        nuint length = v->StrLen;
        if (length == 0) return default;
        if (v->StrData == null) throw new ArgumentException($"{what} has a NULL pointer and length {length}");
        if (utf8 && length == nuint.MaxValue)
        {
            // PYODIDE_STRLEN: NUL-terminated, as the header allows for every string.
            var terminated = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(v->StrData);
            if (validate && !System.Text.Unicode.Utf8.IsValid(terminated)) throw new ArgumentException($"{what} is not valid UTF-8");
            return terminated;
        }
        if (length > int.MaxValue) throw new ArgumentException($"{what} is longer than 2 GiB");
        var span = new ReadOnlySpan<byte>(v->StrData, (int)length);
        if (validate && utf8 && !System.Text.Unicode.Utf8.IsValid(span)) throw new ArgumentException($"{what} is not valid UTF-8");
        return span;
    }

    /// <summary>Writes one measured value into <paramref name="s"/>.</summary>
    public static void Write(ref SlotWriter writer, PyodideRuntime runtime, NativeValue* v, Slot* s)
    {
        s->Length = 0;
        s->Raw = 0;
        switch (v->Kind)
        {
            case NativeValue.None: s->Kind = SlotKind.None; break;
            case NativeValue.Bool: s->Kind = SlotKind.Bool; s->Raw = v->BoolValue != 0 ? 1UL : 0UL; break;
            case NativeValue.Int: s->Kind = SlotKind.Int; s->Int = v->IntValue; break;
            case NativeValue.Float: s->Kind = SlotKind.Float; s->Float = v->FloatValue; break;
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
                int n = (int)v->ListLen;
                Slot* items = writer.ReserveSlots(n, out uint address);
                for (int i = 0; i < n; i++) Write(ref writer, runtime, &v->ListItems[i], items + i);
                s->Kind = SlotKind.List;
                s->Length = (uint)n;
                s->Address = address;
                break;
            }
            case NativeValue.Dict:
            {
                int n = (int)v->DictLen;
                Slot* pairs = writer.ReserveSlots(2 * n, out uint address);
                for (int i = 0; i < n; i++)
                {
                    Write(ref writer, runtime, &v->DictKeys[i], pairs + 2 * i);
                    Write(ref writer, runtime, &v->DictValues[i], pairs + 2 * i + 1);
                }
                s->Kind = SlotKind.Dict;
                s->Length = (uint)n;
                s->Address = address;
                break;
            }
            case NativeValue.Proxy:
                s->Kind = SlotKind.Handle;
                s->Address = writer.HandleSlot(Proxy(v->ProxyToken).HandleFor(runtime));
                break;
            case NativeValue.Host:
            {
                var cls = NativeHostClass.For(runtime, v->HostClass);
                s->Kind = SlotKind.Host;
                s->Length = cls.GuestId;
                s->Address = runtime.HostObjects.Id(new HostObjectRef(cls, v->HostObject, null));
                break;
            }
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
        // A scalar is written in place: built in a local and copied, its 16-byte loads
        // stall on the smaller stores just made (perf: ~6 % of a host function's call).
        *result = default;
        if (FillScalar(slot, result)) return;
        NativeValue v = default;
        switch (slot.Kind)
        {
            case SlotKind.Str or SlotKind.Bytes:
                v.Kind = slot.Kind == SlotKind.Str ? NativeValue.Str : NativeValue.Bytes;
                v.StrData = NativeStrings.Copy(guest.Bytes(slot.Address, slot.Length));
                v.StrLen = slot.Length;
                break;
            case SlotKind.Handle:
                v.Kind = NativeValue.Proxy;
                v.ProxyToken = Proxies.Add(new PyProxy(runtime, slot.Address));
                break;
            case SlotKind.Host when runtime.HostObjects.TryGet(slot.Address, out var target):
                if (target.Class is NativeHostClass cls)
                {
                    v.Kind = NativeValue.Host;
                    v.HostClass = cls.Pointer;
                    v.HostObject = target.Native;
                }
                else
                {
                    // Another API's host object (a .NET one): C sees it as a proxy.
                    v.Kind = NativeValue.Proxy;
                    v.ProxyToken = Proxies.Add(GuestOps.ProxyOf(runtime, slot));
                }
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

    /// <summary>Writes a None, bool, int or float to <paramref name="v"/> (the whole
    /// value); false for any other kind. Inlined into the loops over a list's or dict's
    /// items, most of which are such scalars: through <see cref="Read"/> each cost ~10 ns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool FillScalar(in Slot slot, NativeValue* v)
    {
        switch (slot.Kind)
        {
            case SlotKind.Int: WriteScalar(v, NativeValue.Int, slot.Int); return true;
            case SlotKind.Float: WriteScalar(v, NativeValue.Float, BitConverter.DoubleToInt64Bits(slot.Float)); return true;
            case SlotKind.None: WriteScalar(v, NativeValue.None, 0); return true;
            case SlotKind.Bool: WriteScalar(v, NativeValue.Bool, slot.Raw != 0 ? 1 : 0); return true;
            default: return false;
        }
    }

    /// <summary>Writes a scalar <paramref name="v"/> word by word: the kind (and the padding
    /// after it), the 8-byte payload (<c>of.b</c>, <c>of.i</c> or <c>of.f</c>), zeros for
    /// the rest of the 32-byte value. An initialiser built the value on the stack and
    /// copied it, whose 16-byte reads of the just-written fields could not be forwarded
    /// from the stores: ~5 ns per item (<c>pyproxy_to_js</c> of 100k ints 0.48 → 1.0 ms).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WriteScalar(NativeValue* v, int kind, long payload)
    {
        var words = (long*)v;
        words[0] = (uint)kind;
        words[1] = payload;
        words[2] = 0;
        words[3] = 0;
    }

    /// <summary>Writes the item <paramref name="slot"/> to <paramref name="v"/>, an element
    /// of a <see cref="NewArray"/>: NONE first if it is not a scalar, so that a failure
    /// part-way leaves a value <see cref="Release"/> can free.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FillItem(PyodideRuntime runtime, GuestInstance guest, in Slot slot, NativeValue* v)
    {
        if (FillScalar(slot, v)) return;
        *v = default;
        FillTree(runtime, guest, slot, v);
    }

    private static void FillTree(PyodideRuntime runtime, GuestInstance guest, in Slot slot, NativeValue* v)
    {
        switch (slot.Kind)
        {
            case SlotKind.List:
            {
                var items = (Slot*)guest.Checked(slot.Address, (ulong)slot.Length * Slot.Size);
                v->Kind = NativeValue.List;
                v->ListItems = NewArray(slot.Length);
                for (uint i = 0; i < slot.Length; i++)
                {
                    v->ListLen = i + 1; // released up to here if a later item fails
                    FillItem(runtime, guest, items[i], &v->ListItems[i]);
                }
                v->ListLen = slot.Length;
                return;
            }
            case SlotKind.Dict:
            {
                var pairs = (Slot*)guest.Checked(slot.Address, (ulong)slot.Length * 2 * Slot.Size);
                v->Kind = NativeValue.Dict;
                v->DictKeys = NewArray(slot.Length);
                v->DictValues = NewArray(slot.Length);
                for (uint i = 0; i < slot.Length; i++)
                {
                    v->DictValues[i] = default; // released with the key if the key fails
                    v->DictLen = i + 1;
                    FillItem(runtime, guest, pairs[2 * i], &v->DictKeys[i]);
                    FillItem(runtime, guest, pairs[2 * i + 1], &v->DictValues[i]);
                }
                v->DictLen = slot.Length;
                return;
            }
            default:
                Read(runtime, guest, slot, v);
                return;
        }
    }

    /// <summary>An array of <paramref name="count"/> values (never NULL, even for 0), freed
    /// by <see cref="Release"/>, which reads only the first length of them: its elements
    /// are not initialised, and the caller writes each whole before counting it (zeroing
    /// them first wrote a 100k-item list's 3.2 MB twice).</summary>
    public static NativeValue* NewArray(nuint count) =>
        (NativeValue*)NativeMemory.Alloc(Math.Max(count, 1), (nuint)sizeof(NativeValue));

    /// <summary><c>pyodide_value_release</c>: frees what the library allocated, destroys
    /// proxies, and leaves the value NONE.</summary>
    public static void Release(NativeValue* v)
    {
        switch (v->Kind)
        {
            case NativeValue.Str or NativeValue.Bytes:
                NativeMemory.Free(v->StrData);
                break;
            case NativeValue.List:
                for (nuint i = 0; i < v->ListLen; i++) ReleaseItem(&v->ListItems[i]);
                NativeMemory.Free(v->ListItems);
                break;
            case NativeValue.Dict:
                for (nuint i = 0; i < v->DictLen; i++)
                {
                    ReleaseItem(&v->DictKeys[i]);
                    ReleaseItem(&v->DictValues[i]);
                }
                NativeMemory.Free(v->DictKeys);
                NativeMemory.Free(v->DictValues);
                break;
            case NativeValue.Proxy:
                DestroyProxy(v->ProxyToken);
                break;
        }
        *v = default;
    }

    /// <summary>Releases an item of an array about to be freed: scalars own nothing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ReleaseItem(NativeValue* item)
    {
        if (item->Kind > NativeValue.Float) Release(item);
    }

    /// <summary>Destroys the proxies in a value the library does not own (a host
    /// function's result), leaving its memory alone. Each container is visited once, so
    /// a value that contains itself ends the walk too.</summary>
    public static void DestroyProxies(NativeValue* v)
    {
        HashSet<nint>? seen = null;
        DestroyProxies(v, ref seen);
    }

    private static void DestroyProxies(NativeValue* v, ref HashSet<nint>? seen)
    {
        switch (v->Kind)
        {
            case NativeValue.Proxy:
                DestroyProxy(v->ProxyToken);
                break;
            case NativeValue.List when v->ListItems != null && (seen ??= []).Add((nint)v->ListItems):
                for (nuint i = 0; i < v->ListLen; i++) DestroyProxies(&v->ListItems[i], ref seen);
                break;
            case NativeValue.Dict when v->DictKeys != null && v->DictValues != null && (seen ??= []).Add((nint)v->DictKeys):
                for (nuint i = 0; i < v->DictLen; i++)
                {
                    DestroyProxies(&v->DictKeys[i], ref seen);
                    DestroyProxies(&v->DictValues[i], ref seen);
                }
                break;
        }
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
            case bool b: v.Kind = NativeValue.Bool; v.BoolValue = b ? (byte)1 : (byte)0; break;
            case long i: v.Kind = NativeValue.Int; v.IntValue = i; break;
            case double f: v.Kind = NativeValue.Float; v.FloatValue = f; break;
            case string s: v = Str(s); break;
            case byte[] bytes:
                v.Kind = NativeValue.Bytes;
                v.StrData = NativeStrings.Copy(bytes);
                v.StrLen = (nuint)bytes.Length;
                break;
            case PyProxy p:
                v.Kind = NativeValue.Proxy;
                v.ProxyToken = Proxies.Add(p);
                break;
            default:
                throw new InvalidOperationException($"unexpected result type {value.GetType()}");
        }
        *result = v;
    }

    /// <summary>An owned STR value.</summary>
    public static NativeValue Str(string text)
    {
        NativeValue v = default;
        v.Kind = NativeValue.Str;
        v.StrData = NativeStrings.Copy(text, out int length);
        v.StrLen = (nuint)length;
        return v;
    }
}

/// <summary><c>pyodide_value_t</c>s as adjacent argument slots: <c>count</c> of them at
/// <c>values</c>, then optionally one more at <c>last</c> (a kwargs dict, a set value),
/// so no array need be copied to make them adjacent.</summary>
internal readonly unsafe struct NativeArgs(NativeValue* values, int count, string what, NativeValue* last = null) : IGuestInput
{
    public int Count => last == null ? count : count + 1;

    private NativeValue* this[int i] => i < count ? values + i : last;

    public void Measure(PyodideRuntime runtime, ref InputSize size)
    {
        for (int i = 0; i < Count; i++) NativeCodec.Measure(runtime, this[i], ref size, 0, what);
    }

    public void Write(ref SlotWriter writer, PyodideRuntime runtime, Slot* top)
    {
        for (int i = 0; i < Count; i++) NativeCodec.Write(ref writer, runtime, this[i], top + i);
    }
}

/// <summary>A result copied into the caller's <c>pyodide_value_t</c>; NULL discards it.</summary>
internal unsafe struct NativeResult(NativeValue* destination) : IGuestResult
{
    public void Take(PyodideRuntime runtime, GuestInstance guest, in Slot slot) => NativeCodec.Read(runtime, guest, slot, destination);
}

/// <summary>A deep conversion copied into the caller's <c>pyodide_value_t</c>.</summary>
internal unsafe struct NativeTree(NativeValue* destination) : IGuestTree
{
    public void TakeTree(PyodideRuntime runtime, GuestInstance guest, in Slot tree) => NativeCodec.ReadTree(runtime, guest, tree, destination);
}

/// <summary>Validated UTF-8 in the caller's memory (see <see cref="NativeStrings.Text"/>).</summary>
internal readonly unsafe struct Utf8Text(byte* bytes, int length) : IGuestText
{
    public int ByteCount => length;

    public void Write(Span<byte> destination) => new ReadOnlySpan<byte>(bytes, length).CopyTo(destination);
}
