using System.Collections;
using System.Runtime.CompilerServices;
using System.Text;
using Pyodide.Guest;

namespace Pyodide;

/// <summary>.NET objects ↔ guest slots. Input is measured first, then written into
/// the scratch buffer in one go (see <see cref="SlotWriter"/>).</summary>
internal static unsafe class ManagedCodec
{
    // Strict: a .NET string with a lone surrogate has no UTF-8 form; say so
    // instead of silently substituting U+FFFD.
    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    private const int MaxDepth = 512;

    public static int Utf8Length(string text)
    {
        try
        {
            return StrictUtf8.GetByteCount(text);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException("the string holds a lone surrogate and has no UTF-8 form", e);
        }
    }

    public static uint WriteUtf8(ref SlotWriter writer, string text, out uint length)
    {
        length = (uint)StrictUtf8.GetByteCount(text);
        var span = writer.ReserveBytes((int)length, out uint address);
        StrictUtf8.GetBytes(text, span);
        return address;
    }

    /// <summary>A string alone as input (source code, a name): its UTF-8 in the current
    /// input buffer, measured once. Returns the guest address.</summary>
    public static uint WriteText(GuestInstance guest, string text, out uint length)
    {
        int count = Utf8Length(text);
        var writer = guest.BeginInput(0, count);
        var span = writer.ReserveBytes(count, out uint address);
        StrictUtf8.GetBytes(text, span);
        length = (uint)count;
        return address;
    }

    /// <summary>Room for one argument slot and everything it refers to.</summary>
    public static SlotWriter BeginArgs(GuestInstance guest, object? a, out uint slotA)
    {
        int slots = 1, bytes = 0;
        Measure(a, ref slots, ref bytes, 0);
        var writer = guest.BeginInput(slots, bytes);
        writer.ReserveSlots(1, out slotA);
        return writer;
    }

    /// <summary>Room for a host function's result: its slot is the guest's answer slot,
    /// anything it refers to goes into a new block (0 if none is needed).</summary>
    public static SlotWriter BeginResult(GuestInstance.AnswerWriter answer, object? value, out uint block, out uint slot)
    {
        int slots = 1, bytes = 0;
        Measure(value, ref slots, ref bytes, 0);
        var writer = answer.Begin(slots, bytes, out block);
        writer.ReserveSlots(1, out slot);
        return writer;
    }

    /// <summary><see cref="BeginResult(GuestInstance.AnswerWriter, object?, out uint, out uint)"/>
    /// for a typed value: a scalar needs only the answer slot and is not boxed.</summary>
    public static SlotWriter BeginResult<T>(GuestInstance.AnswerWriter answer, T value, out uint block, out uint slot)
    {
        int slots = 1, bytes = 0;
        if (!IsScalar<T>()) Measure(value, ref slots, ref bytes, 0);
        var writer = answer.Begin(slots, bytes, out block);
        writer.ReserveSlots(1, out slot);
        return writer;
    }

    /// <summary>Room for two argument slots, adjacent.</summary>
    public static SlotWriter BeginArgs(GuestInstance guest, object? a, object? b, out uint slotA, out uint slotB)
    {
        int slots = 2, bytes = 0;
        Measure(a, ref slots, ref bytes, 0);
        Measure(b, ref slots, ref bytes, 0);
        var writer = guest.BeginInput(slots, bytes);
        writer.ReserveSlots(2, out slotA);
        slotB = slotA + Slot.Size;
        return writer;
    }

    /// <summary>Room for <c>args.Length</c> adjacent slots.</summary>
    public static SlotWriter BeginArgs(GuestInstance guest, object?[] args, out uint first)
    {
        int slots = args.Length, bytes = 0;
        foreach (var arg in args) Measure(arg, ref slots, ref bytes, 0);
        var writer = guest.BeginInput(slots, bytes);
        writer.ReserveSlots(args.Length, out first);
        return writer;
    }

    private static void Measure(object? value, ref int slots, ref int bytes, int depth)
    {
        if (depth > MaxDepth) throw new ArgumentException("the value nests too deeply");
        switch (value)
        {
            case null or bool or sbyte or byte or short or ushort or int or uint or long or float or double:
                return;
            case ulong u:
                if (u > long.MaxValue) throw new ArgumentException($"{u} does not fit in int64");
                return;
            case string s:
                bytes = checked(bytes + Utf8Length(s));
                return;
            case byte[] b:
                bytes = checked(bytes + b.Length);
                return;
            case PyProxy:
                return; // checked when written, with the runtime at hand
            case IDictionary d:
                slots = checked(slots + 2 * d.Count);
                foreach (DictionaryEntry e in d)
                {
                    Measure(e.Key, ref slots, ref bytes, depth + 1);
                    Measure(e.Value, ref slots, ref bytes, depth + 1);
                }
                return;
            case IList l:
                slots = checked(slots + l.Count);
                foreach (var item in l) Measure(item, ref slots, ref bytes, depth + 1);
                return;
            default:
                throw new ArgumentException($"cannot convert {value.GetType()} to Python");
        }
    }

    /// <summary>Writes <paramref name="value"/> into the slot at guest address <paramref name="slotAddress"/>.</summary>
    public static void Write(ref SlotWriter writer, PyodideRuntime runtime, object? value, uint slotAddress)
    {
        Write(ref writer, runtime, value, writer.HostSlot(slotAddress));
    }

    private static void Write(ref SlotWriter writer, PyodideRuntime runtime, object? value, Slot* slot)
    {
        slot->Length = 0;
        slot->Raw = 0;
        switch (value)
        {
            case null: slot->Kind = SlotKind.None; break;
            case bool b: slot->Kind = SlotKind.Bool; slot->Raw = b ? 1UL : 0UL; break;
            case sbyte v: SetInt(slot, v); break;
            case byte v: SetInt(slot, v); break;
            case short v: SetInt(slot, v); break;
            case ushort v: SetInt(slot, v); break;
            case int v: SetInt(slot, v); break;
            case uint v: SetInt(slot, v); break;
            case long v: SetInt(slot, v); break;
            case ulong v: SetInt(slot, (long)v); break;
            case float v: slot->Kind = SlotKind.Float; slot->Float = v; break;
            case double v: slot->Kind = SlotKind.Float; slot->Float = v; break;
            case string s:
                slot->Kind = SlotKind.Str;
                slot->Address = WriteUtf8(ref writer, s, out slot->Length);
                break;
            case byte[] b:
            {
                slot->Kind = SlotKind.Bytes;
                slot->Length = (uint)b.Length;
                b.CopyTo(writer.ReserveBytes(b.Length, out uint address));
                slot->Address = address;
                break;
            }
            case PyProxy p:
                slot->Kind = SlotKind.Handle;
                slot->Address = writer.HandleSlot(p.HandleFor(runtime));
                break;
            case IDictionary d:
            {
                Slot* pairs = writer.ReserveSlots(2 * d.Count, out uint address);
                int i = 0;
                foreach (DictionaryEntry e in d)
                {
                    Write(ref writer, runtime, e.Key, pairs + 2 * i);
                    Write(ref writer, runtime, e.Value, pairs + 2 * i + 1);
                    i++;
                }
                slot->Kind = SlotKind.Dict;
                slot->Length = (uint)d.Count;
                slot->Address = address;
                break;
            }
            case IList l:
            {
                Slot* items = writer.ReserveSlots(l.Count, out uint address);
                for (int i = 0; i < l.Count; i++) Write(ref writer, runtime, l[i], items + i);
                slot->Kind = SlotKind.List;
                slot->Length = (uint)l.Count;
                slot->Address = address;
                break;
            }
            default:
                throw new ArgumentException($"cannot convert {value.GetType()} to Python");
        }
    }

    private static void SetInt(Slot* slot, long value)
    {
        slot->Kind = SlotKind.Int;
        slot->Int = value;
    }

    /// <summary>Throws if a slot tree has no .NET form (a dict with a None key), before
    /// <see cref="ReadTree"/> wraps any of its handles.</summary>
    public static void CheckTree(GuestInstance guest, in Slot slot)
    {
        if (slot.Kind is not (SlotKind.List or SlotKind.Dict)) return;
        bool dict = slot.Kind == SlotKind.Dict;
        var items = (Slot*)guest.Checked(slot.Address, (ulong)slot.Length * (dict ? 2u : 1u) * Slot.Size);
        for (int i = 0; i < slot.Length * (dict ? 2 : 1); i++)
        {
            if (dict && i % 2 == 0 && items[i].Kind == SlotKind.None)
                throw new NotSupportedException("a dict with a None key has no Dictionary form; use the proxy");
            CheckTree(guest, items[i]);
        }
    }

    /// <summary>Releases every handle in a slot tree that will not be read.</summary>
    public static void ReleaseHandles(GuestInstance guest, in Slot slot)
    {
        switch (slot.Kind)
        {
            case SlotKind.Handle:
                guest.Release(slot.Address);
                break;
            case SlotKind.List or SlotKind.Dict:
                uint n = slot.Length * (slot.Kind == SlotKind.Dict ? 2u : 1u);
                var items = (Slot*)guest.Checked(slot.Address, (ulong)n * Slot.Size);
                for (int i = 0; i < n; i++) ReleaseHandles(guest, items[i]);
                break;
        }
    }

    /// <summary>The .NET form of a slot tree from <c>pyn_to_js</c>: LIST → List, DICT → Dictionary.</summary>
    public static object? ReadTree(PyodideRuntime runtime, GuestInstance guest, in Slot slot)
    {
        switch (slot.Kind)
        {
            case SlotKind.List:
            {
                var items = (Slot*)guest.Checked(slot.Address, (ulong)slot.Length * Slot.Size);
                var list = new List<object?>((int)slot.Length);
                for (int i = 0; i < slot.Length; i++) list.Add(ReadTree(runtime, guest, items[i]));
                return list;
            }
            case SlotKind.Dict:
            {
                var pairs = (Slot*)guest.Checked(slot.Address, (ulong)slot.Length * 2 * Slot.Size);
                var dict = new Dictionary<object, object?>((int)slot.Length);
                for (int i = 0; i < slot.Length; i++)
                {
                    object key = ReadTree(runtime, guest, pairs[2 * i])!; // CheckTree rejected None keys
                    dict[key] = ReadTree(runtime, guest, pairs[2 * i + 1]);
                }
                return dict;
            }
            default:
                return Read(runtime, guest, slot);
        }
    }

    /// <summary>How many container levels a .NET value nests (0 for a scalar); a value
    /// nesting past the conversion limit (a cycle, say) is an <see cref="ArgumentException"/>.</summary>
    public static int Nesting(object? value, int depth = 0)
    {
        if (depth > MaxDepth) throw new ArgumentException("the value nests too deeply (or contains itself)");
        return value switch
        {
            string or byte[] or PyProxy or null => 0,
            IDictionary d => 1 + d.Values.Cast<object?>().Concat(d.Keys.Cast<object?>()).Select(v => Nesting(v, depth + 1)).DefaultIfEmpty(0).Max(),
            IList l => 1 + l.Cast<object?>().Select(v => Nesting(v, depth + 1)).DefaultIfEmpty(0).Max(),
            _ => 0,
        };
    }

    /// <summary>Room for one argument of a typed call, adjacent slots first.</summary>
    public static SlotWriter BeginArgs<T>(GuestInstance guest, T value, out uint slot)
    {
        int slots = 1, bytes = 0;
        if (!IsScalar<T>())
        {
            if (value is string s) bytes = Utf8Length(s);
            else Measure(value, ref slots, ref bytes, 0);
        }
        var writer = guest.BeginInput(slots, bytes);
        writer.ReserveSlots(1, out slot);
        return writer;
    }

    /// <summary>Whether <typeparamref name="T"/> is written and read without boxing.</summary>
    private static bool IsScalar<T>() =>
        typeof(T) == typeof(long) || typeof(T) == typeof(int) || typeof(T) == typeof(double) || typeof(T) == typeof(bool);

    /// <summary><see cref="Write(ref SlotWriter, PyodideRuntime, object?, uint)"/> for a typed
    /// value: the scalar types are written without boxing (the type tests fold away).</summary>
    public static void Write<T>(ref SlotWriter writer, PyodideRuntime runtime, T value, uint slotAddress)
    {
        Slot* slot = writer.HostSlot(slotAddress);
        slot->Length = 0;
        slot->Raw = 0;
        if (typeof(T) == typeof(long)) SetInt(slot, Unsafe.As<T, long>(ref value));
        else if (typeof(T) == typeof(int)) SetInt(slot, Unsafe.As<T, int>(ref value));
        else if (typeof(T) == typeof(double)) { slot->Kind = SlotKind.Float; slot->Float = Unsafe.As<T, double>(ref value); }
        else if (typeof(T) == typeof(bool)) { slot->Kind = SlotKind.Bool; slot->Raw = Unsafe.As<T, bool>(ref value) ? 1UL : 0UL; }
        else Write(ref writer, runtime, (object?)value, slot);
    }

    /// <summary>A result slot as <typeparamref name="T"/>: long, int, double and bool without
    /// boxing; string, byte[], <see cref="PyProxy"/> and object as <see cref="Read"/> gives
    /// them. A value of another kind is an <see cref="InvalidCastException"/> (a proxy made
    /// for it is released first, so nothing leaks).</summary>
    public static T ReadAs<T>(PyodideRuntime runtime, GuestInstance guest, in Slot slot)
    {
        if (typeof(T) == typeof(long) && slot.Kind == SlotKind.Int)
        {
            long v = slot.Int;
            return Unsafe.As<long, T>(ref v);
        }
        if (typeof(T) == typeof(int) && slot.Kind == SlotKind.Int && slot.Int is >= int.MinValue and <= int.MaxValue)
        {
            int v = (int)slot.Int;
            return Unsafe.As<int, T>(ref v);
        }
        if (typeof(T) == typeof(double) && slot.Kind is SlotKind.Float or SlotKind.Int)
        {
            double v = slot.Kind == SlotKind.Float ? slot.Float : slot.Int;
            return Unsafe.As<double, T>(ref v);
        }
        if (typeof(T) == typeof(bool) && slot.Kind == SlotKind.Bool)
        {
            bool v = slot.Raw != 0;
            return Unsafe.As<bool, T>(ref v);
        }
        if (!IsScalar<T>())
        {
            object? value = Read(runtime, guest, slot);
            if (value is T typed) return typed;
            if (value == null && default(T) == null) return default!;
            (value as PyProxy)?.Dispose();
        }
        else if (slot.Kind == SlotKind.Handle)
        {
            guest.Release(slot.Address);
        }
        string kind = slot.Kind switch
        {
            SlotKind.None => "None", SlotKind.Bool => "bool", SlotKind.Int => "int (outside the target's range)",
            SlotKind.Float => "float", SlotKind.Str => "str", SlotKind.Bytes => "bytes",
            _ => "object with no exact .NET form",
        };
        throw new InvalidCastException($"the result is a Python {kind}, not a {typeof(T).Name}");
    }

    /// <summary>The .NET form of a result slot: null, bool, long, double, string,
    /// byte[], or a new <see cref="PyProxy"/> for a handle.</summary>
    public static object? Read(PyodideRuntime runtime, GuestInstance guest, in Slot slot) => slot.Kind switch
    {
        SlotKind.None => null,
        SlotKind.Bool => slot.Raw != 0,
        SlotKind.Int => slot.Int,
        SlotKind.Float => slot.Float,
        SlotKind.Str => guest.ReadString(slot),
        SlotKind.Bytes => guest.Bytes(slot.Address, slot.Length).ToArray(),
        SlotKind.Handle => new PyProxy(runtime, slot.Address),
        _ => throw new PyodideException(PyodideErrorKind.Fatal, $"the guest returned a value of unknown kind {slot.Kind}"),
    };
}
