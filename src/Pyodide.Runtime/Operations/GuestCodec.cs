using Pyodide.Guest;

namespace Pyodide.Operations;

/// <summary>How much guest memory an input needs, and how deep its containers may nest.
/// A codec adds to it while it checks its values, before anything reaches the guest.</summary>
internal struct InputSize(int slots, int bytes, int maxNesting)
{
    public int Slots = slots;
    public int Bytes = bytes;
    /// <summary>The container level no value may reach: a container at this depth (the
    /// top-level values are at depth 0) is refused.</summary>
    public readonly int MaxNesting = maxNesting;
}

/// <summary>Values going into the guest, in one codec's representation (.NET objects,
/// typed scalars, <c>pyodide_value_t</c>): <see cref="Count"/> adjacent argument slots
/// and everything they point at. Implemented by readonly structs, so the operations in
/// <see cref="GuestOps"/> are compiled once per codec and nothing is boxed.</summary>
internal unsafe interface IGuestInput
{
    /// <summary>How many top-level slots the values take (0 = no input).</summary>
    int Count { get; }

    /// <summary>Validates the values (a bad one is an <see cref="ArgumentException"/>)
    /// and adds what they need to <paramref name="size"/>; the top-level slots are
    /// already counted.</summary>
    void Measure(PyodideRuntime runtime, ref InputSize size);

    /// <summary>Writes the values into the <see cref="Count"/> slots at <paramref name="top"/>,
    /// taking the room for what they point at from <paramref name="writer"/>.</summary>
    void Write(ref SlotWriter writer, PyodideRuntime runtime, Slot* top);
}

/// <summary>UTF-8 text going into the guest beside an input (source code, an attribute
/// or module name).</summary>
internal interface IGuestText
{
    /// <summary>Bytes of UTF-8 (the text is validated here).</summary>
    int ByteCount { get; }

    /// <summary>Writes exactly <see cref="ByteCount"/> bytes.</summary>
    void Write(Span<byte> destination);
}

/// <summary>Where a result slot goes, in one codec's representation. A mutable struct
/// passed by reference: the operation fills it, the caller reads it.</summary>
internal interface IGuestResult
{
    /// <summary>Takes over the value of <paramref name="slot"/> (a handle in it becomes
    /// the result's); valid until the next guest call.</summary>
    void Take(PyodideRuntime runtime, GuestInstance guest, in Slot slot);
}

/// <summary>Where the slot tree of a deep conversion (<c>pyn_to_js</c>) goes.</summary>
internal interface IGuestTree
{
    /// <summary>Takes over a tree: on failure every handle in it is released.</summary>
    void TakeTree(PyodideRuntime runtime, GuestInstance guest, in Slot tree);
}

/// <summary>What an exported buffer becomes (a <see cref="PyBuffer"/>, a <c>pybuffer_t</c>).</summary>
internal interface IGuestBuffer
{
    /// <summary>Takes over the export <paramref name="handle"/> with its geometry; if this
    /// throws, the operation releases the export.</summary>
    void Take(PyodideRuntime runtime, GuestInstance guest, uint handle, BufferGeometry geometry);
}

/// <summary>No input: an operation without argument slots.</summary>
internal readonly unsafe struct NoInput : IGuestInput
{
    public int Count => 0;
    public void Measure(PyodideRuntime runtime, ref InputSize size) { }
    public void Write(ref SlotWriter writer, PyodideRuntime runtime, Slot* top) { }
}

/// <summary>No text beside the input.</summary>
internal readonly struct NoText : IGuestText
{
    public int ByteCount => 0;
    public void Write(Span<byte> destination) { }
}

/// <summary>A result nobody reads: a handle in it is released at once.</summary>
internal struct DiscardResult : IGuestResult
{
    public void Take(PyodideRuntime runtime, GuestInstance guest, in Slot slot)
    {
        if (slot.Kind == SlotKind.Handle) guest.Release(slot.Address);
    }
}

/// <summary>An object the caller holds a handle to, as one argument the guest borrows.</summary>
internal readonly unsafe struct HandleArg(uint handle) : IGuestInput
{
    public int Count => 1;
    public void Measure(PyodideRuntime runtime, ref InputSize size) { }
    public void Write(ref SlotWriter writer, PyodideRuntime runtime, Slot* top) => *top = new Slot { Kind = SlotKind.Handle, Address = handle };
}
