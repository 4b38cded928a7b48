using System.Runtime.InteropServices;

namespace Pyodide.Guest;

/// <summary>What <c>pyn_get_buffer</c> reports (bridge/buffers.c): guest addresses,
/// and <c>ndim</c> 4-byte shape and byte-stride entries.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GuestBufferInfo
{
    public uint Buf;
    public uint Length;
    public uint ItemSize;
    public uint NDim;
    public uint ReadOnly;
    public uint Format;
    public uint Shape;
    public uint Strides;
}
