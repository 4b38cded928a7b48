using System.Runtime.InteropServices;
using System.Text;
using Pyodide.Guest;
using Pyodide.Operations;

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

    private const string GetBufferName = "pyproxy_get_buffer";
    [UnmanagedCallersOnly(EntryPoint = GetBufferName)]
    public static nint GetBuffer(nint token, byte* type, NativeBuffer* result)
    {
        try
        {
            var proxy = NativeCodec.Proxy(token);
            Require.NotNull(result);
            string? typeName = type == null ? null : NativeStrings.InputString(type, "type");
            var sink = new NativeBufferResult(result);
            GuestOps.GetBuffer(proxy, typeName, ref sink);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, GetBufferName);
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
            GuestOps.Release(export.Runtime, export.Handle);
        }
        catch (Exception)
        {
            // Void: nothing to report.
        }
    }
}

/// <summary>An exported buffer as the caller's <c>pybuffer_t</c>: its shape, strides and
/// format in one native block, owned by the buffer's table entry.</summary>
internal unsafe struct NativeBufferResult(NativeBuffer* destination) : IGuestBuffer
{
    public void Take(PyodideRuntime runtime, GuestInstance guest, uint handle, BufferGeometry g)
    {
        int ndim = g.NDim;
        int formatLength = Encoding.ASCII.GetByteCount(g.Format);
        void* block = NativeMemory.Alloc((nuint)(3 * ndim * sizeof(nint) + formatLength + 1));
        try
        {
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

            byte* memory = guest.MemoryBase;
            *destination = new NativeBuffer
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
                Reserved = BufferExports.Buffers.Add(new NativeBufferExport(runtime, handle, block)),
            };
        }
        catch
        {
            NativeMemory.Free(block);
            throw;
        }
    }
}
