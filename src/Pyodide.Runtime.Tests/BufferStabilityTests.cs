namespace Pyodide.Tests;

/// <summary>Linear memory never moves (Guest/GuestModule.cs reserves it whole), so a
/// held buffer's address stays valid while Python grows memory by hundreds of megabytes.</summary>
[Collection(SerialCollection.Name)]
public sealed class BufferStabilityTests
{
    [Fact]
    public void AHeldBufferSurvivesFourHundredMegabytesOfGrowth()
    {
        using var py = Runtimes.LoadQuiet();
        py.RunPython("stab = bytearray(range(256)) * 4096"); // 1 MiB: 0, 1, ..., 255, 0, ...
        using var ba = Expect.Proxy(py.RunPython("stab"));
        using var buf = ba.GetBuffer();
        nint first = buf.First;
        nint data = buf.Data;
        ulong before = py.MemorySize;
        Assert.Equal(1 << 20, buf.ByteCount);

        // ~400 MB more, every page touched (bytearray(n) zero-fills; the loop writes too).
        py.RunPython("""
            blobs = []
            for i in range(400):
                b = bytearray(1 << 20)
                b[::4096] = bytes([i & 255]) * 256
                blobs.append(b)
            """);
        ulong grown = py.MemorySize;
        Assert.True(grown >= before + 400UL * 1024 * 1024, $"memory grew from {before} to {grown} bytes only");
        Expect.Long(400L * (1 << 20), py.RunPython("sum(len(b) for b in blobs)"));
        Expect.Long(Enumerable.Range(0, 400).Sum(i => (long)(i & 255)) * 256, py.RunPython("sum(sum(b[::4096]) for b in blobs)"));

        // The same addresses, the same bytes.
        Assert.Equal(first, buf.First);
        Assert.Equal(data, buf.Data);
        Span<byte> span = buf.AsSpan<byte>();
        for (int i = 0; i < span.Length; i++)
            if (span[i] != (byte)i) Assert.Fail($"byte {i} is {span[i]}, expected {(byte)i}");

        // Still writable from both sides.
        span[5] = 0xAA;
        span[^1] = 0x11;
        Assert.Equal(true, py.RunPython("stab[5] == 0xAA and stab[-1] == 0x11 and stab[6] == 6"));
        py.RunPython("stab[7] = 0x55; stab[1 << 19] = 0x66");
        Assert.Equal(0x55, span[7]);
        Assert.Equal(0x66, buf.Get<byte>(1 << 19));

        // Free the growth; the buffer is unaffected.
        py.RunPython("del blobs, b\nimport gc; gc.collect()");
        Assert.Equal(first, buf.First);
        Assert.Equal(0xAA, buf.AsReadOnlySpan<byte>()[5]);
        Assert.Equal(true, py.RunPython("stab[5] == 0xAA"));
    }
}

/// <summary>Tests that measure time or use a lot of memory run alone, after the
/// parallel ones, so other tests do not disturb them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Serial (timing and memory)";
}
