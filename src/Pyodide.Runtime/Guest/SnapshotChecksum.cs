using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Pyodide.Guest;

/// <summary>The checksum of snapshot files: CRC-32C (Castagnoli) in four lanes. Each
/// lane takes every fourth 8-byte word, so the processor's CRC32 instructions of the
/// four run in parallel (several GB/s: loading a 20 MB snapshot checks it in a few
/// milliseconds); the lanes and the length are then folded into one CRC. Any change of
/// up to 32 consecutive bits in a lane is always caught, as CRC-32C guarantees.</summary>
internal static class SnapshotChecksum
{
    private const int Lanes = 4;
    private const int Stride = Lanes * 8;

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint a = 0, b = 0, c = 0, d = 0;
        int blocks = data.Length / Stride;
        ref byte block = ref MemoryMarshal.GetReference(data);
        if (Sse42.X64.IsSupported)
        {
            // The same as the loop below, with the processor's instruction named: NativeAOT
            // compiles for processors without it, so BitOperations.Crc32C tests for it at
            // each call (with the span's bounds checks, ~0.15 ms of a first load).
            for (int k = 0; k < blocks; k++, block = ref Unsafe.Add(ref block, Stride))
            {
                a = (uint)Sse42.X64.Crc32(a, Word(ref block, 0));
                b = (uint)Sse42.X64.Crc32(b, Word(ref block, 8));
                c = (uint)Sse42.X64.Crc32(c, Word(ref block, 16));
                d = (uint)Sse42.X64.Crc32(d, Word(ref block, 24));
            }
        }
        else
        {
            for (int k = 0; k < blocks; k++, block = ref Unsafe.Add(ref block, Stride))
            {
                a = BitOperations.Crc32C(a, Word(ref block, 0));
                b = BitOperations.Crc32C(b, Word(ref block, 8));
                c = BitOperations.Crc32C(c, Word(ref block, 16));
                d = BitOperations.Crc32C(d, Word(ref block, 24));
            }
        }
        for (int i = blocks * Stride; i < data.Length; i++) a = BitOperations.Crc32C(a, data[i]);
        uint sum = BitOperations.Crc32C(0u, (ulong)data.Length);
        sum = BitOperations.Crc32C(sum, ((ulong)b << 32) | a);
        return BitOperations.Crc32C(sum, ((ulong)d << 32) | c);
    }

    /// <summary>The little-endian 8-byte word at <paramref name="offset"/> from <paramref name="at"/>.</summary>
    private static ulong Word(ref byte at, int offset)
    {
        ulong word = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref at, offset));
        return BitConverter.IsLittleEndian ? word : BinaryPrimitives.ReverseEndianness(word);
    }
}
