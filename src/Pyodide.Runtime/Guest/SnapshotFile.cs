using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Pyodide.Guest;

/// <summary>A snapshot on disk: a <see cref="GuestSnapshot"/> plus what the runtime keeps
/// outside linear memory (<see cref="Contents.Extra"/>: its files and loaded packages,
/// <see cref="SnapshotState"/>).
/// The layout (little endian), which <see cref="Open"/> checks field by field:
/// <code>
///   0  8  magic "PYNSNAP\0"
///   8  4  format version (<see cref="FormatVersion"/>)
///  12  4  library version (PYODIDE_VERSION_NUMBER)
///  16 32  sha256 of the python.wasm it was taken from
///  48  8  bytes of linear memory
///  56  8  bytes of the whole file
///  64  4  page runs      68  4  input buffers
///  72  8  data offset    80  8  data length     (page aligned; the runs' pages, in order)
///  88  8  extra offset   96  8  extra length
/// 104  4  checksum of the runs and buffers     108  4  of the data   112  4  of the extra
/// 116  4  checksum of bytes 0..116
/// 120     runs: {u32 first page, u32 pages} each; then buffers: {u32 address, u32 bytes} each
/// </code>
/// Checksums are <see cref="SnapshotChecksum"/>. The data is page aligned so it can be
/// mapped straight into a new instance's memory (copy-on-write: restoring touches only
/// the pages Python then uses, and runtimes share the file's pages).</summary>
internal static unsafe class SnapshotFile
{
    private static ReadOnlySpan<byte> Magic => "PYNSNAP\0"u8;
    internal const uint FormatVersion = 2;
    private const int FixedHeader = 120;
    private const int PageSize = GuestSnapshot.PageSize;

    /// <summary>The most runs and buffers a file may declare (far above any real snapshot:
    /// the check keeps a damaged count from asking for gigabytes).</summary>
    private const int MaxRuns = 1 << 20;
    private const int MaxBuffers = 1024;

    /// <summary>What a snapshot file carries besides memory: a UTF-8 JSON document the
    /// runtime writes and reads (<see cref="PyodideRuntime"/>'s snapshot code).</summary>
    internal sealed record Contents(GuestSnapshot Memory, byte[] Extra, byte[] WasmSha256);

    /// <summary>Writes <paramref name="snapshot"/> to <paramref name="path"/>: to a temporary
    /// file beside it, renamed into place, so a reader never sees half a file.</summary>
    internal static void Write(string path, GuestSnapshot snapshot, byte[] wasmSha256, ReadOnlySpan<byte> extra)
    {
        var runs = snapshot.Runs;
        var buffers = snapshot.Buffers;
        int tableLength = FixedHeader + 8 * (runs.Count + buffers.Count);
        long dataOffset = Align(tableLength);
        long dataLength = snapshot.DataLength;
        long extraOffset = dataOffset + dataLength;
        long fileLength = extraOffset + extra.Length;

        var header = new byte[dataOffset];
        var table = header.AsSpan(FixedHeader, tableLength - FixedHeader);
        WritePairs(table, runs);
        WritePairs(table[(PairSize * runs.Count)..], buffers);
        var h = header.AsSpan();
        Magic.CopyTo(h);
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], HeaderVersion.Number);
        wasmSha256.CopyTo(h[16..48]);
        BinaryPrimitives.WriteInt64LittleEndian(h[48..], snapshot.MemoryLength);
        BinaryPrimitives.WriteInt64LittleEndian(h[56..], fileLength);
        BinaryPrimitives.WriteInt32LittleEndian(h[64..], runs.Count);
        BinaryPrimitives.WriteInt32LittleEndian(h[68..], buffers.Count);
        BinaryPrimitives.WriteInt64LittleEndian(h[72..], dataOffset);
        BinaryPrimitives.WriteInt64LittleEndian(h[80..], dataLength);
        BinaryPrimitives.WriteInt64LittleEndian(h[88..], extraOffset);
        BinaryPrimitives.WriteInt64LittleEndian(h[96..], extra.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(h[104..], SnapshotChecksum.Compute(table));
        BinaryPrimitives.WriteUInt32LittleEndian(h[108..], snapshot.DataChecksum());
        BinaryPrimitives.WriteUInt32LittleEndian(h[112..], SnapshotChecksum.Compute(extra));
        BinaryPrimitives.WriteUInt32LittleEndian(h[116..], SnapshotChecksum.Compute(h[..116]));

        string full = Path.GetFullPath(path);
        string temp = $"{full}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                file.Write(header);
                snapshot.WriteData(file);
                file.Write(extra);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new PyodideException(PyodideErrorKind.IO, $"cannot write the snapshot {path}: {e.Message}", e);
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>Bytes of one pair in <see cref="WritePairs"/>' encoding.</summary>
    internal const int PairSize = 8;

    /// <summary>Writes <paramref name="pairs"/> at the start of <paramref name="into"/> as
    /// little-endian u32 pairs: the file's page runs and input buffers, and a stamp's page
    /// runs (<see cref="SnapshotVerified"/>).</summary>
    internal static void WritePairs(Span<byte> into, IReadOnlyList<(uint, uint)> pairs)
    {
        for (int i = 0; i < pairs.Count; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(into[(PairSize * i)..], pairs[i].Item1);
            BinaryPrimitives.WriteUInt32LittleEndian(into[(PairSize * i + 4)..], pairs[i].Item2);
        }
    }

    /// <summary>The pairs <see cref="WritePairs"/> wrote, as many as <paramref name="from"/> holds whole.</summary>
    internal static (uint, uint)[] ReadPairs(ReadOnlySpan<byte> from)
    {
        var pairs = new (uint, uint)[from.Length / PairSize];
        for (int i = 0; i < pairs.Length; i++)
            pairs[i] = (BinaryPrimitives.ReadUInt32LittleEndian(from[(PairSize * i)..]),
                        BinaryPrimitives.ReadUInt32LittleEndian(from[(PairSize * i + 4)..]));
        return pairs;
    }

    private static long Align(long n) => (n + PageSize - 1) / PageSize * PageSize;

    // Files already read and checked by this process, by full path, with the length and
    // time of last write they had and when they were last used (OpenedClock): runtimes
    // restored from one file share its pages and what was learned of them (RestoreWrites).
    private static readonly Dictionary<string, (long Length, DateTime Written, Contents Contents, long Used)> Opened = new();
    private static readonly Lock OpenedGate = new();
    private static long s_openedClock;
    private const int OpenedLimit = 8;

    /// <summary><see cref="Open"/>, once per process for a file that has not changed since.</summary>
    internal static Contents OpenCached(string path, ReadOnlySpan<byte> wasmSha256)
    {
        string full = Path.GetFullPath(path);
        var info = new FileInfo(full);
        if (!info.Exists) throw Bad(path, "does not exist");
        lock (OpenedGate)
        {
            if (Opened.TryGetValue(full, out var known) && known.Length == info.Length && known.Written == info.LastWriteTimeUtc
                && known.Contents.WasmSha256.AsSpan().SequenceEqual(wasmSha256))
            {
                Opened[full] = known with { Used = ++s_openedClock };
                return known.Contents;
            }
        }
        var contents = Open(full, wasmSha256);
        lock (OpenedGate)
        {
            // The least recently used file leaves; it stays open (and mapped) as long as
            // runtimes use it.
            if (Opened.Count >= OpenedLimit && !Opened.ContainsKey(full))
                Opened.Remove(Opened.MinBy(entry => entry.Value.Used).Key);
            Opened[full] = (info.Length, info.LastWriteTimeUtc, contents, ++s_openedClock);
        }
        return contents;
    }

    /// <summary>Reads and checks the snapshot at <paramref name="path"/>, which must have been
    /// taken from the python.wasm whose sha256 is <paramref name="wasmSha256"/>. Every check
    /// that fails is an IO error naming the file and what is wrong with it.</summary>
    internal static Contents Open(string path, ReadOnlySpan<byte> wasmSha256)
    {
        SafeFileHandle handle;
        long length;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
            length = RandomAccess.GetLength(handle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw Bad(path, $"cannot be opened: {e.Message}", e);
        }
        try
        {
            return Read(path, handle, length, wasmSha256);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static Contents Read(string path, SafeFileHandle handle, long length, ReadOnlySpan<byte> wasmSha256)
    {
        if (length < FixedHeader) throw Bad(path, $"is {length} bytes long, too short for a snapshot");
        var fixedPart = new byte[FixedHeader];
        ReadExactly(path, handle, fixedPart, 0);
        var h = fixedPart.AsSpan();
        if (!h[..8].SequenceEqual(Magic)) throw Bad(path, "is not a Pyodide.Native snapshot (wrong magic)");
        uint format = BinaryPrimitives.ReadUInt32LittleEndian(h[8..]);
        if (format != FormatVersion) throw Bad(path, $"has snapshot format {format}; this library reads format {FormatVersion}");
        if (SnapshotChecksum.Compute(h[..116]) != BinaryPrimitives.ReadUInt32LittleEndian(h[116..]))
            throw Bad(path, "has a damaged header (checksum mismatch)");
        uint library = BinaryPrimitives.ReadUInt32LittleEndian(h[12..]);
        if (library != HeaderVersion.Number)
            throw Bad(path, $"was saved by library version {VersionText(library)}; this is {PyodideRuntime.Version}");
        if (!h[16..48].SequenceEqual(wasmSha256))
            throw Bad(path, $"was taken from another python.wasm (sha256 {Convert.ToHexStringLower(h[16..48])}, this one is {Convert.ToHexStringLower(wasmSha256)})");

        long memoryLength = BinaryPrimitives.ReadInt64LittleEndian(h[48..]);
        long fileLength = BinaryPrimitives.ReadInt64LittleEndian(h[56..]);
        int runCount = BinaryPrimitives.ReadInt32LittleEndian(h[64..]);
        int bufferCount = BinaryPrimitives.ReadInt32LittleEndian(h[68..]);
        long dataOffset = BinaryPrimitives.ReadInt64LittleEndian(h[72..]);
        long dataLength = BinaryPrimitives.ReadInt64LittleEndian(h[80..]);
        long extraOffset = BinaryPrimitives.ReadInt64LittleEndian(h[88..]);
        long extraLength = BinaryPrimitives.ReadInt64LittleEndian(h[96..]);
        if (fileLength != length) throw Bad(path, $"is {length} bytes long but its header says {fileLength} (truncated or extended)");
        if (memoryLength <= 0 || memoryLength > (long)GuestModule.MemoryReservation || memoryLength % Wasmtime.Memory.PageSize != 0)
            throw Bad(path, $"declares {memoryLength} bytes of memory");
        if (runCount is < 0 or > MaxRuns || bufferCount is < 1 or > MaxBuffers)
            throw Bad(path, $"declares {runCount} page runs and {bufferCount} buffers");
        long tableEnd = FixedHeader + 8L * (runCount + bufferCount);
        if (dataOffset != Align(tableEnd) || dataLength < 0 || dataLength % PageSize != 0
            || extraOffset != dataOffset + dataLength || extraLength < 0 || extraLength > int.MaxValue
            || extraOffset + extraLength != fileLength)
            throw Bad(path, "has inconsistent section offsets");

        // The table, and the padding up to the data, which must be zeros.
        var tableAndPadding = new byte[dataOffset - FixedHeader];
        ReadExactly(path, handle, tableAndPadding, FixedHeader);
        var table = tableAndPadding.AsSpan(0, (int)(tableEnd - FixedHeader));
        if (SnapshotChecksum.Compute(table) != BinaryPrimitives.ReadUInt32LittleEndian(h[104..])
            || tableAndPadding.AsSpan(table.Length).ContainsAnyExcept((byte)0))
            throw Bad(path, "has a damaged page table (checksum mismatch)");
        var runs = ReadPairs(table[..(PairSize * runCount)]);
        long memoryPages = memoryLength / PageSize, nextFree = 0, pages = 0;
        for (int i = 0; i < runCount; i++)
        {
            var (first, count) = runs[i];
            if (count == 0 || first < nextFree || first + (long)count > memoryPages)
                throw Bad(path, $"has an invalid page run {i} ({first}+{count} of {memoryPages} pages)");
            nextFree = first + (long)count;
            pages += count;
        }
        if (pages * PageSize != dataLength) throw Bad(path, "has page runs that do not match its data length");
        var buffers = ReadPairs(table[(PairSize * runCount)..]);
        for (int i = 0; i < bufferCount; i++)
        {
            var (address, capacity) = buffers[i];
            // The first is the outermost call's, which every snapshot was taken in.
            if ((address == 0) != (capacity == 0) || (i == 0 && address == 0) || address + (long)capacity > memoryLength)
                throw Bad(path, $"has an invalid input buffer {i}");
        }

        var extra = new byte[extraLength];
        ReadExactly(path, handle, extra, extraOffset);
        if (SnapshotChecksum.Compute(extra) != BinaryPrimitives.ReadUInt32LittleEndian(h[112..]))
            throw Bad(path, "has damaged runtime state (checksum mismatch)");

        uint dataChecksum = BinaryPrimitives.ReadUInt32LittleEndian(h[108..]);
        var memory = GuestSnapshot.Read(path, handle, dataOffset, dataLength, dataChecksum, memoryLength, runs, buffers);
        return new Contents(memory, extra, wasmSha256.ToArray());
    }

    private static void ReadExactly(string path, SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        try
        {
            while (buffer.Length > 0)
            {
                int n = RandomAccess.Read(handle, buffer, offset);
                if (n <= 0) throw Bad(path, "ended early");
                buffer = buffer[n..];
                offset += n;
            }
        }
        catch (IOException e)
        {
            throw Bad(path, $"cannot be read: {e.Message}", e);
        }
    }

    private static string VersionText(uint number) => $"{number / 1000000}.{number / 1000 % 1000}.{number % 1000}";

    internal static PyodideException Bad(string path, string what, Exception? inner = null) =>
        new(PyodideErrorKind.IO, $"the snapshot {path} {what}", inner);

    /// <summary>Maps [offset, offset+length) of <paramref name="handle"/> read-only for
    /// <paramref name="use"/> (which must not keep the pointer).</summary>
    internal static void WithView(SafeFileHandle handle, long offset, long length, Action<IntPtr, long> use)
    {
        if (length == 0)
        {
            use(IntPtr.Zero, 0);
            return;
        }
        using var map = MemoryMappedFile.CreateFromFile(handle, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
        using var view = map.CreateViewAccessor(offset, length, MemoryMappedFileAccess.Read);
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        try
        {
            use((IntPtr)(p + view.PointerOffset), length);
        }
        finally
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }

    /// <summary>Whether the host can map file pages straight into linear memory.</summary>
    internal static bool CanMap => (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) && Environment.SystemPageSize == PageSize;

    private const int ProtRead = 1, ProtWrite = 2, MapPrivate = 2, MapFixed = 0x10, MapPopulateLinux = 0x8000;

    /// <summary>Maps <paramref name="length"/> bytes of the file at <paramref name="offset"/>
    /// over <paramref name="address"/>, private and copy-on-write. With
    /// <paramref name="copyAll"/> (Linux) every page is copied at once (MAP_POPULATE on a
    /// writable private mapping): when which pages a restore writes is not known
    /// (<see cref="RestoreWrites"/>), a fault per written page cost more than copying them
    /// all.</summary>
    internal static void MapInto(byte* address, long length, SafeFileHandle handle, long offset, bool copyAll)
    {
        int flags = MapPrivate | MapFixed | (copyAll && OperatingSystem.IsLinux() ? MapPopulateLinux : 0);
        void* result = mmap(address, (nuint)length, ProtRead | ProtWrite, flags, (int)handle.DangerousGetHandle(), offset);
        if (result != address)
            throw new PyodideException(PyodideErrorKind.IO, $"cannot map the snapshot into memory (errno {Marshal.GetLastPInvokeError()})");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern void* mmap(void* address, nuint length, int protection, int flags, int fd, long offset);
}
