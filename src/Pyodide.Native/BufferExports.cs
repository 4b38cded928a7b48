using System.Runtime.InteropServices;
using System.Text;

namespace Pyodide.Native;

/// <summary>What a live <c>pybuffer_t</c> holds: the guest export and the native block
/// with its shape, strides and format.</summary>
internal sealed unsafe class NativeBufferExport(PyodideRuntime runtime, uint handle, void* block)
{
    public readonly PyodideRuntime Runtime = runtime;
    public readonly uint Handle = handle;
    public readonly void* Block = block;
}

/// <summary><c>pyproxy_get_buffer</c> and <c>pybuffer_release</c>.</summary>
internal static unsafe class BufferExports
{
    public static readonly HandleTable<NativeBufferExport> Buffers = new(0x5042, "pybuffer_t");

    [UnmanagedCallersOnly(EntryPoint = "pyproxy_get_buffer")]
    public static nint GetBuffer(nint token, byte* type, NativeBuffer* result)
    {
        try
        {
            var proxy = NativeCodec.Proxies.Get(token, "proxy");
            if (result == null) throw new ArgumentException("out is NULL");
            string? typeName = type == null ? null : NativeStrings.InputString(type, "type");
            using var call = proxy.Runtime.Enter();
            uint export = call.Guest.GetBuffer(proxy.HandleFor(proxy.Runtime), out var info);
            void* block = null;
            try
            {
                var g = BufferGeometry.From(call.Guest, info, typeName);
                // One allocation: shape, strides, byte strides, then the format.
                int ndim = g.NDim;
                int formatLength = Encoding.ASCII.GetByteCount(g.Format);
                block = NativeMemory.Alloc((nuint)(3 * ndim * sizeof(nint) + formatLength + 1));
                var shape = (nint*)block;
                var strides = shape + ndim;
                var byteStrides = strides + ndim;
                var format = (byte*)(byteStrides + ndim);
                for (int d = 0; d < ndim; d++)
                {
                    shape[d] = (nint)g.Shape[d];
                    strides[d] = (nint)g.Strides[d];
                    byteStrides[d] = (nint)g.ByteStrides[d];
                }
                Encoding.ASCII.GetBytes(g.Format, new Span<byte>(format, formatLength));
                format[formatLength] = 0;

                byte* memory = call.Guest.MemoryBase;
                *result = new NativeBuffer
                {
                    Data = memory + g.DataAddress,
                    Offset = (nint)g.Offset,
                    First = memory + g.FirstAddress,
                    NBytes = (nuint)g.ByteCount,
                    ItemSize = (nuint)g.ItemSize,
                    NDim = (nuint)ndim,
                    Shape = shape,
                    Strides = strides,
                    ByteStrides = byteStrides,
                    Format = format,
                    ReadOnly = g.ReadOnly ? (byte)1 : (byte)0,
                    CContiguous = g.CContiguous ? (byte)1 : (byte)0,
                    FContiguous = g.FContiguous ? (byte)1 : (byte)0,
                    Reserved = Buffers.Add(new NativeBufferExport(proxy.Runtime, export, block)),
                };
                return 0;
            }
            catch
            {
                NativeMemory.Free(block);
                call.Guest.Release(export);
                throw;
            }
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyproxy_get_buffer");
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pybuffer_release")]
    public static void Release(NativeBuffer* buffer)
    {
        try
        {
            if (buffer == null) return;
            var export = Buffers.Remove(buffer->Reserved);
            if (export == null) return; // zeroed, released, or not ours: nothing to free
            *buffer = default;
            NativeMemory.Free(export.Block);
            if (export.Runtime.IsDisposed) return;
            try
            {
                using var call = export.Runtime.Enter();
                if (!call.Guest.IsDead) call.Guest.Release(export.Handle);
            }
            catch (InvalidOperationException)
            {
                export.Runtime.Orphan(export.Handle); // released from inside a call: later
            }
        }
        catch (Exception)
        {
            // Void: nothing to report.
        }
    }
}
