using System.Collections;
using System.Runtime.CompilerServices;
using System.Text;
using Pyodide.Guest;
using Pyodide.Operations;

namespace Pyodide;

/// <summary>.NET values ↔ guest slots: the managed API's codec (<see cref="ManagedArgs"/>,
/// <see cref="TypedArg{T}"/>, <see cref="ManagedResult"/>, ...). long, int, double and
/// bool cross without boxing when the type is known at compile time.</summary>
internal static unsafe class ManagedCodec
{
    // Strict: a .NET string with a lone surrogate has no UTF-8 form; say so
    // instead of silently substituting U+FFFD.
    internal static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

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

    /// <summary>Validates <paramref name="value"/> (at container depth <paramref name="depth"/>)
    /// and adds the slots and bytes it needs beyond its own slot.</summary>
    public static void Measure(PyodideRuntime runtime, object? value, ref InputSize size, int depth)
    {
        switch (value)
        {
            case null or bool or sbyte or byte or short or ushort or int or uint or long or float or double:
                return;
            case ulong u:
                if (u > long.MaxValue) throw new ArgumentException($"{u} does not fit in int64");
                return;
            case string s:
                size.Bytes = checked(size.Bytes + Utf8Length(s));
                return;
            case byte[] b:
                size.Bytes = checked(size.Bytes + b.Length);
                return;
            case PyProxy:
                return; // checked when written, with the runtime at hand
            case ByReference r:
                ManagedHostClass.For(runtime, r.Value.GetType()); // refuses what the sandbox forbids
                return;
            case IDictionary d:
                CheckNesting(ref size, depth);
                size.Slots = checked(size.Slots + 2 * d.Count);
                foreach (DictionaryEntry e in d)
                {
                    Measure(runtime, e.Key, ref size, depth + 1);
                    Measure(runtime, e.Value, ref size, depth + 1);
                }
                return;
            case IList l:
                CheckNesting(ref size, depth);
                size.Slots = checked(size.Slots + l.Count);
                foreach (var item in l) Measure(runtime, item, ref size, depth + 1);
                return;
            default:
                ManagedHostClass.For(runtime, value.GetType()); // refuses what the sandbox forbids
                return;
        }
    }

    /// <summary>A container at <paramref name="depth"/>: refused at the nesting limit, which
    /// also ends the walk of a value that contains itself.</summary>
    private static void CheckNesting(ref InputSize size, int depth)
    {
        if (depth < size.MaxNesting) return;
        throw new ArgumentException(size.MaxNesting == Limits.MaxNesting
            ? $"the value nests more than {size.MaxNesting} levels deep (or contains itself)"
            : $"the value nests more than {size.MaxNesting} levels deep");
    }

    /// <summary>Writes a measured value into <paramref name="slot"/>.</summary>
    public static void Write(ref SlotWriter writer, PyodideRuntime runtime, object? value, Slot* slot)
    {
        slot->Length = 0;
        slot->Raw = 0;
        switch (value)
        {
            case null: slot->Kind = SlotKind.None; break;
            case bool b: SetBool(slot, b); break;
            case sbyte v: SetInt(slot, v); break;
            case byte v: SetInt(slot, v); break;
            case short v: SetInt(slot, v); break;
            case ushort v: SetInt(slot, v); break;
            case int v: SetInt(slot, v); break;
            case uint v: SetInt(slot, v); break;
            case long v: SetInt(slot, v); break;
            case ulong v: SetInt(slot, (long)v); break;
            case float v: SetFloat(slot, v); break;
            case double v: SetFloat(slot, v); break;
            case string s:
            {
                int length = StrictUtf8.GetByteCount(s);
                StrictUtf8.GetBytes(s, writer.ReserveBytes(length, out uint address));
                slot->Kind = SlotKind.Str;
                slot->Length = (uint)length;
                slot->Address = address;
                break;
            }
            case byte[] b:
            {
                b.CopyTo(writer.ReserveBytes(b.Length, out uint address));
                slot->Kind = SlotKind.Bytes;
                slot->Length = (uint)b.Length;
                slot->Address = address;
                break;
            }
            case PyProxy p:
                slot->Kind = SlotKind.Handle;
                slot->Address = writer.HandleSlot(p.HandleFor(runtime));
                break;
            case ByReference r:
                WriteHost(runtime, r.Value, slot);
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
                // Any other object is the program's own: Python gets a host object of it.
                WriteHost(runtime, value, slot);
                break;
        }
    }

    /// <summary>A HOST slot for <paramref name="value"/>: the id it has while Python holds it,
    /// or a new one.</summary>
    private static void WriteHost(PyodideRuntime runtime, object value, Slot* slot)
    {
        var cls = ManagedHostClass.For(runtime, value.GetType());
        slot->Kind = SlotKind.Host;
        slot->Length = cls.GuestId;
        slot->Address = runtime.HostObjects.Id(new HostObjectRef(cls, 0, value));
    }

    private static void SetInt(Slot* slot, long value)
    {
        slot->Kind = SlotKind.Int;
        slot->Int = value;
    }

    private static void SetFloat(Slot* slot, double value)
    {
        slot->Kind = SlotKind.Float;
        slot->Float = value;
    }

    private static void SetBool(Slot* slot, bool value)
    {
        slot->Kind = SlotKind.Bool;
        slot->Raw = value ? 1UL : 0UL;
    }

    /// <summary>Whether <typeparamref name="T"/> is written and read without boxing.</summary>
    public static bool IsScalar<T>() =>
        typeof(T) == typeof(long) || typeof(T) == typeof(int) || typeof(T) == typeof(double) || typeof(T) == typeof(bool);

    /// <summary><see cref="Write"/> for a typed value: the scalar types are written without
    /// boxing (the type tests fold away when the code is specialised for <typeparamref name="T"/>).</summary>
    public static void Write<T>(ref SlotWriter writer, PyodideRuntime runtime, T value, Slot* slot)
    {
        slot->Length = 0;
        slot->Raw = 0;
        if (typeof(T) == typeof(long)) SetInt(slot, Unsafe.As<T, long>(ref value));
        else if (typeof(T) == typeof(int)) SetInt(slot, Unsafe.As<T, int>(ref value));
        else if (typeof(T) == typeof(double)) SetFloat(slot, Unsafe.As<T, double>(ref value));
        else if (typeof(T) == typeof(bool)) SetBool(slot, Unsafe.As<T, bool>(ref value));
        else Write(ref writer, runtime, (object?)value, slot);
    }

    /// <summary>The .NET form of a result slot: null, bool, long, double, string,
    /// byte[], or a new <see cref="PyProxy"/> for a handle.</summary>
    public static object? Read(PyodideRuntime runtime, GuestInstance guest, in Slot slot) =>
        TryReadScalar(slot, out object? scalar) ? scalar : slot.Kind switch
        {
            SlotKind.Str => guest.ReadString(slot),
            SlotKind.Bytes => guest.Bytes(slot.Address, slot.Length).ToArray(),
            SlotKind.Handle => new PyProxy(runtime, slot.Address),
            SlotKind.Host => HostObject(runtime, slot),
            _ => throw new PyodideException(PyodideErrorKind.Fatal, $"the guest returned a value of unknown kind {slot.Kind}"),
        };

    /// <summary>A host object coming back: the .NET object itself, or a proxy for another
    /// API's (a C one).</summary>
    private static object HostObject(PyodideRuntime runtime, in Slot slot)
    {
        if (!runtime.HostObjects.TryGet(slot.Address, out var target))
            throw new PyodideException(PyodideErrorKind.Fatal, $"the guest returned host object {slot.Address}, which is not alive");
        return target.Managed ?? GuestOps.ProxyOf(runtime, slot);
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

    /// <summary>Throws if a slot tree has no .NET form (a dict with a None key), before
    /// <see cref="ReadTree"/> wraps any of its handles.</summary>
    private static void CheckTree(GuestInstance guest, in Slot slot)
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
    private static void ReleaseHandles(GuestInstance guest, in Slot slot)
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

    /// <summary>The .NET form of a slot tree from <c>pyn_to_js</c> (LIST → List, DICT →
    /// Dictionary); nothing is wrapped unless the whole tree has a .NET form.</summary>
    public static object? TakeTree(PyodideRuntime runtime, GuestInstance guest, in Slot tree)
    {
        try
        {
            CheckTree(guest, tree);
        }
        catch
        {
            ReleaseHandles(guest, tree);
            throw;
        }
        return ReadTree(runtime, guest, tree);
    }

    private static object? ReadTree(PyodideRuntime runtime, GuestInstance guest, in Slot slot)
    {
        switch (slot.Kind)
        {
            case SlotKind.List:
            {
                var items = (Slot*)guest.Checked(slot.Address, (ulong)slot.Length * Slot.Size);
                var list = new List<object?>((int)slot.Length);
                for (int i = 0; i < slot.Length; i++) list.Add(ReadItem(runtime, guest, items[i]));
                return list;
            }
            case SlotKind.Dict:
            {
                var pairs = (Slot*)guest.Checked(slot.Address, (ulong)slot.Length * 2 * Slot.Size);
                var dict = new Dictionary<object, object?>((int)slot.Length);
                for (int i = 0; i < slot.Length; i++)
                {
                    object key = ReadItem(runtime, guest, pairs[2 * i])!; // CheckTree rejected None keys
                    dict[key] = ReadItem(runtime, guest, pairs[2 * i + 1]);
                }
                return dict;
            }
            default:
                return Read(runtime, guest, slot);
        }
    }

    private static readonly object BoxedTrue = true, BoxedFalse = false;

    /// <summary>A None, bool, int or float as a .NET value (bools share two boxes); false
    /// for any other kind. Inlined into <see cref="Read"/> and into the loops over a list's
    /// or dict's items, most of which are such scalars.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryReadScalar(in Slot slot, out object? value)
    {
        switch (slot.Kind)
        {
            case SlotKind.Int: value = slot.Int; return true;
            case SlotKind.Float: value = slot.Float; return true;
            case SlotKind.Bool: value = slot.Raw != 0 ? BoxedTrue : BoxedFalse; return true;
            case SlotKind.None: value = null; return true;
            default: value = null; return false;
        }
    }

    /// <summary>An item of a list or dict: a scalar read in the loop, the rest through
    /// <see cref="ReadTree"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static object? ReadItem(PyodideRuntime runtime, GuestInstance guest, in Slot slot) =>
        TryReadScalar(slot, out object? scalar) ? scalar : ReadTree(runtime, guest, slot);
}

/// <summary>One, two or an array of .NET values as adjacent argument slots.</summary>
internal readonly unsafe struct ManagedArgs : IGuestInput
{
    private readonly object? _first, _second;
    private readonly object?[]? _all;

    public int Count { get; }

    public ManagedArgs(object? value) => (_first, Count) = (value, 1);
    public ManagedArgs(object? first, object? second) => (_first, _second, Count) = (first, second, 2);
    public ManagedArgs(object?[] all) => (_all, Count) = (all, all.Length);

    /// <summary>No value when <paramref name="value"/> is null (Python's default applies).</summary>
    public static ManagedArgs Optional(object? value) => value == null ? new ManagedArgs([]) : new ManagedArgs(value);

    private object? this[int i] => _all != null ? _all[i] : i == 0 ? _first : _second;

    public void Measure(PyodideRuntime runtime, ref InputSize size)
    {
        for (int i = 0; i < Count; i++) ManagedCodec.Measure(runtime, this[i], ref size, 0);
    }

    public void Write(ref SlotWriter writer, PyodideRuntime runtime, Slot* top)
    {
        for (int i = 0; i < Count; i++) ManagedCodec.Write(ref writer, runtime, this[i], top + i);
    }
}

/// <summary>One value of a type known at compile time: a scalar is not boxed.</summary>
internal readonly unsafe struct TypedArg<T>(T value) : IGuestInput
{
    public int Count => 1;

    public void Measure(PyodideRuntime runtime, ref InputSize size)
    {
        if (ManagedCodec.IsScalar<T>()) return;
        if (value is string s) size.Bytes = checked(size.Bytes + ManagedCodec.Utf8Length(s));
        else ManagedCodec.Measure(runtime, value, ref size, 0);
    }

    public void Write(ref SlotWriter writer, PyodideRuntime runtime, Slot* top) =>
        ManagedCodec.Write(ref writer, runtime, value, top);
}

/// <summary>A .NET string as UTF-8 text, measured (and checked for lone surrogates) once.</summary>
internal readonly struct ManagedText : IGuestText
{
    private readonly string _text;

    public ManagedText(string text, [CallerArgumentExpression(nameof(text))] string? name = null)
    {
        ArgumentNullException.ThrowIfNull(text, name);
        _text = text;
        ByteCount = ManagedCodec.Utf8Length(text);
    }

    public int ByteCount { get; }

    public void Write(Span<byte> destination) => ManagedCodec.StrictUtf8.GetBytes(_text, destination);
}

/// <summary>A result as <see cref="ManagedCodec.Read"/> gives it.</summary>
internal struct ManagedResult : IGuestResult
{
    public object? Value;

    public void Take(PyodideRuntime runtime, GuestInstance guest, in Slot slot) => Value = ManagedCodec.Read(runtime, guest, slot);
}

/// <summary>A result as <typeparamref name="T"/> (<see cref="ManagedCodec.ReadAs{T}"/>).</summary>
internal struct TypedResult<T> : IGuestResult
{
    public T Value;

    public void Take(PyodideRuntime runtime, GuestInstance guest, in Slot slot) => Value = ManagedCodec.ReadAs<T>(runtime, guest, slot);
}

/// <summary>A deep conversion as .NET lists and dictionaries.</summary>
internal struct ManagedTree : IGuestTree
{
    public object? Value;

    public void TakeTree(PyodideRuntime runtime, GuestInstance guest, in Slot tree) => Value = ManagedCodec.TakeTree(runtime, guest, tree);
}

/// <summary>An exported buffer as a <see cref="PyBuffer"/>.</summary>
internal struct ManagedBuffer : IGuestBuffer
{
    public PyBuffer? Value;

    public unsafe void Take(PyodideRuntime runtime, GuestInstance guest, uint handle, BufferGeometry geometry) =>
        Value = new PyBuffer(runtime, handle, geometry, guest.MemoryBase);
}

/// <summary>A .NET collection (or any object) given to Python by reference, as a host
/// object, where it would otherwise be copied (see <see cref="PyodideRuntime.ByReference"/>).</summary>
internal sealed class ByReference(object value)
{
    public readonly object Value = value;
}
