using System.Buffers.Binary;
using System.Numerics;

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
        int i = 0;
        for (; i + Stride <= data.Length; i += Stride)
        {
            a = BitOperations.Crc32C(a, BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
            b = BitOperations.Crc32C(b, BinaryPrimitives.ReadUInt64LittleEndian(data[(i + 8)..]));
            c = BitOperations.Crc32C(c, BinaryPrimitives.ReadUInt64LittleEndian(data[(i + 16)..]));
            d = BitOperations.Crc32C(d, BinaryPrimitives.ReadUInt64LittleEndian(data[(i + 24)..]));
        }
        for (; i < data.Length; i++) a = BitOperations.Crc32C(a, data[i]);
        uint sum = BitOperations.Crc32C(0u, (ulong)data.Length);
        sum = BitOperations.Crc32C(sum, ((ulong)b << 32) | a);
        return BitOperations.Crc32C(sum, ((ulong)d << 32) | c);
    }
}
