using System.Runtime.CompilerServices;
using Pyodide.Guest;
using Pyodide.Operations;

namespace Pyodide;

/// <summary>What Python asks of a host object (the guest's <c>host_object</c> import;
/// the numbers of src/guest/bridge/hostobj.c). A class's flags have bit <c>1 &lt;&lt; op</c>
/// set for each operation it provides.</summary>
internal enum HostObjectOp : uint
{
    GetAttr, SetAttr, Call, GetItem, SetItem, Length, Dir, Iter, Next, CallMethod,
}

/// <summary>A host class as one runtime knows it: its Python name, the operations it
/// provides, its methods, and how to carry an operation out on one of its objects.
/// One adapter per API surface (a C <c>pyodide_host_class_t</c>, a .NET type).</summary>
internal abstract class HostClass(string name, uint flags, string[] methods)
{
    /// <summary>Bits above this in an operation number carry a method's index.</summary>
    public const int MethodShift = 8;

    public readonly string Name = name;
    public readonly uint Flags = flags;
    public readonly string[] Methods = methods;

    /// <summary>The class's id in the runtime's guest (0 until it is registered there).</summary>
    public uint GuestId;

    public static uint Flag(HostObjectOp op) => 1u << (int)op;

    /// <summary>Carries out <paramref name="op"/> on <paramref name="target"/> with
    /// <paramref name="count"/> argument slots at guest address <paramref name="args"/>,
    /// writes the result through <paramref name="answer"/> and returns the payload block
    /// it allocated (0 if none). Throws to raise in Python, as a host function does.</summary>
    public abstract uint Invoke(PyodideRuntime runtime, GuestInstance guest, in HostObjectRef target, HostObjectOp op, int method,
                                uint args, uint count, GuestInstance.AnswerWriter answer, ref bool done);

    /// <summary>Python let go of <paramref name="target"/> (or the runtime is gone).</summary>
    public abstract void Finalize(in HostObjectRef target);
}

/// <summary>One host object: its class and the host's object, a C pointer or a .NET
/// reference. Equal when the class and the object are the same (never by .NET's
/// <c>Equals</c>: two equal records are still two objects).</summary>
internal readonly struct HostObjectRef(HostClass cls, nint native, object? managed) : IEquatable<HostObjectRef>
{
    public readonly HostClass Class = cls;
    public readonly nint Native = native;
    public readonly object? Managed = managed;

    public bool Equals(HostObjectRef other) =>
        ReferenceEquals(Class, other.Class) && Native == other.Native && ReferenceEquals(Managed, other.Managed);

    public override bool Equals(object? obj) => obj is HostObjectRef other && Equals(other);

    public override int GetHashCode() =>
        HashCode.Combine(RuntimeHelpers.GetHashCode(Class), Native, Managed == null ? 0 : RuntimeHelpers.GetHashCode(Managed));
}

/// <summary>What a runtime caches a host class under: a C <c>pyodide_host_class_t*</c>
/// or a .NET type.</summary>
internal readonly record struct HostClassKey(nint Pointer, Type? Type);

/// <summary>The host objects of one runtime: each live one has a small id, reused once
/// Python drops it, which the guest's objects carry. While Python holds the object of a
/// <see cref="HostObjectRef"/>, passing it again finds the same id (so Python gets the same
/// object); when the guest frees that object its class finalizes the host's, once.</summary>
internal sealed class HostObjectRegistry
{
    private readonly Dictionary<HostObjectRef, uint> _ids = new();
    private HostObjectRef[] _live = new HostObjectRef[16];
    private readonly Stack<uint> _free = new();
    private uint _next = 1;
    private readonly Dictionary<HostClassKey, HostClass> _classes = new();

    /// <summary>Host objects Python holds (or was handed and has not dropped yet).</summary>
    public int Count => _ids.Count;

    /// <summary>The class cached under <paramref name="key"/>.</summary>
    public bool TryGetClass(HostClassKey key, out HostClass cls) => _classes.TryGetValue(key, out cls!);

    /// <summary>Registers <paramref name="cls"/> in the guest and caches it under
    /// <paramref name="key"/> for the runtime's life.</summary>
    public HostClass AddClass(PyodideRuntime runtime, HostClassKey key, HostClass cls)
    {
        cls.GuestId = GuestOps.HostClass(runtime, cls);
        _classes.Add(key, cls);
        return cls;
    }

    /// <summary>The id of <paramref name="target"/>: its live one, or a new one.</summary>
    public uint Id(in HostObjectRef target)
    {
        if (_ids.TryGetValue(target, out uint id)) return id;
        id = _free.Count > 0 ? _free.Pop() : _next++;
        if (id >= _live.Length) Array.Resize(ref _live, _live.Length * 2);
        _live[id] = target;
        _ids.Add(target, id);
        return id;
    }

    /// <summary>Whether <paramref name="target"/> has a Python object (or was just handed one).</summary>
    public bool Contains(in HostObjectRef target) => _ids.ContainsKey(target);

    /// <summary>The call that was to make <paramref name="target"/>'s Python object failed, so
    /// none exists: its id goes, without the finalizer (the caller keeps its object).</summary>
    public void Forget(in HostObjectRef target)
    {
        if (!_ids.Remove(target, out uint id)) return;
        _live[id] = default;
        _free.Push(id);
    }

    /// <summary>The live object of <paramref name="id"/>.</summary>
    public bool TryGet(uint id, out HostObjectRef target)
    {
        target = id < _live.Length ? _live[id] : default;
        return target.Class != null;
    }

    public uint Invoke(PyodideRuntime runtime, GuestInstance guest, uint id, uint op, uint args, uint count,
                       GuestInstance.AnswerWriter answer, out bool done)
    {
        done = false;
        if (!TryGet(id, out var target))
        {
            guest.ReleaseHandles(args, count);
            throw new InvalidOperationException($"host object {id} is not alive");
        }
        var operation = (HostObjectOp)(op & ((1u << HostClass.MethodShift) - 1));
        int method = (int)(op >> HostClass.MethodShift);
        return target.Class.Invoke(runtime, guest, target, operation, method, args, count, answer, ref done);
    }

    /// <summary>The guest freed the object of <paramref name="id"/>: its finalizer runs.</summary>
    public void Drop(uint id)
    {
        if (!TryGet(id, out var target)) return;
        _live[id] = default;
        _ids.Remove(target);
        _free.Push(id);
        target.Class.Finalize(target);
    }

    /// <summary>The runtime is gone: every object not yet finalized is, once.</summary>
    public void FinalizeAll()
    {
        var live = _ids.Keys.ToList();
        _ids.Clear();
        Array.Clear(_live);
        _free.Clear();
        foreach (var target in live)
        {
            try
            {
                target.Class.Finalize(target);
            }
            catch (Exception)
            {
                // One failing finalizer must not keep the others from running.
            }
        }
    }
}

/// <summary>A slot exactly as a codec wrote it, as one argument (the HOST slot of an
/// object being turned into a proxy).</summary>
internal readonly unsafe struct SlotArg(Slot slot) : IGuestInput
{
    public int Count => 1;
    public void Measure(PyodideRuntime runtime, ref InputSize size) { }
    public void Write(ref SlotWriter writer, PyodideRuntime runtime, Slot* top) => *top = slot;
}
