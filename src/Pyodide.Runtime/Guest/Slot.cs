using System.Runtime.InteropServices;

namespace Pyodide.Guest;

/// <summary>Kinds of a value slot; the order of the C ABI's <c>pyodide_kind_t</c>,
/// with <see cref="Handle"/> where the C ABI has a proxy.</summary>
internal enum SlotKind : uint
{
    None, Bool, Int, Float, Str, Bytes, List, Dict, Handle,
    /// <summary>A host object: <see cref="Slot.Length"/> is its class's guest id,
    /// <see cref="Slot.Address"/> its object id (src/Pyodide.Runtime/HostObjects.cs).</summary>
    Host,
}

/// <summary>One value in the guest's linear memory (src/guest/README.md, "Value slots").</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal struct Slot
{
    [FieldOffset(0)] public SlotKind Kind;
    [FieldOffset(4)] public uint Length;
    [FieldOffset(8)] public long Int;
    [FieldOffset(8)] public double Float;
    [FieldOffset(8)] public ulong Raw;
    /// <summary>Guest address of a STR/BYTES payload or of LIST/DICT slots; or a handle.</summary>
    [FieldOffset(8)] public uint Address;

    public const int Size = 16;
}
