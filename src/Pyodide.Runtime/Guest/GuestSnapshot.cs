using Microsoft.Win32.SafeHandles;
using Wasmtime;

namespace Pyodide.Guest;

/// <summary>The linear memory of an interpreter that was sealed (src/guest/README.md,
/// "Snapshots"), kept as runs of the 4 KiB pages that differ from the module's initial
/// memory: a new instance of the same module becomes that interpreter by receiving
/// those pages, without running <c>_initialize</c> or <c>Py_Initialize</c>. The pages
/// live in memory (a snapshot captured in this process) or in a snapshot file
/// (<see cref="SnapshotFile"/>), whose pages are mapped copy-on-write into each new
/// instance where the host allows it. Immutable once made, so runtimes on any thread
/// may restore from it at once.</summary>
internal sealed unsafe class GuestSnapshot
{
    internal const int PageSize = 4096;

    /// <summary>Runs of unchanged pages at most this long between two changed ones are
    /// kept too, so a file snapshot maps in fewer, longer pieces.</summary>
    private const int MergeGap = 16;

    /// <summary>Files a sealed interpreter may have open beyond stdio: the three preopened
    /// directories every runtime has first (<c>/lib</c> = fd 3, <c>/home/pyodide</c> = fd
    /// 4, <c>/</c> = fd 5). A copy's own mounts follow them and are registered when it is
    /// restored.</summary>
    internal const int PreopenCount = 3;

    /// <summary>The first file descriptor of a runtime's mounts.</summary>
    internal const int FirstMountFd = 3 + PreopenCount;

    private readonly (uint First, uint Count)[] _runs;
    // In memory: on the pinned-object heap (in the large-object heap, a 2 MB array made
    // an allocation-heavy host's full collections dearer, and native memory would be a
    // leak to LeakSanitizer, which cannot see references held by managed objects).
    private readonly byte[]? _data;
    // In a file: the open file, where the runs' pages start in it, and what is known of
    // the pages restores write.
    private readonly SafeFileHandle? _file;
    private readonly long _fileOffset;
    private readonly RestoreWrites? _writes;

    /// <summary>Bytes of linear memory the interpreter had.</summary>
    public long MemoryLength { get; }

    /// <summary>The host's per-depth input buffers (guest allocations the interpreter
    /// had), which a restored instance takes over as they are.</summary>
    public IReadOnlyList<(uint Address, uint Capacity)> Buffers { get; }

    /// <summary>The page runs, in address order.</summary>
    public IReadOnlyList<(uint First, uint Count)> Runs => _runs;

    /// <summary>Bytes of page data.</summary>
    public long DataLength { get; }

    /// <summary>Whether the snapshot was read from a file.</summary>
    public bool FromFile { get; private init; }

    private GuestSnapshot(long memoryLength, (uint, uint)[] runs, byte[]? data, SafeFileHandle? file, long fileOffset,
                          (uint, uint)[] buffers, RestoreWrites? writes = null)
    {
        MemoryLength = memoryLength;
        _runs = runs;
        _data = data;
        _file = file;
        _fileOffset = fileOffset;
        _writes = writes;
        Buffers = buffers;
        foreach (var (_, count) in runs) DataLength += (long)count * PageSize;
    }

    // Per module (a python.wasm compiled for one engine): absent = none yet, so the
    // next eligible runtime records one; null = being recorded, or the guest refused.
    private static readonly Dictionary<Module, GuestSnapshot?> ByModule = new();
    private static readonly Lock ByModuleGate = new();

    /// <summary>The in-process snapshot of <paramref name="module"/>, if one exists. If none
    /// does, none is being recorded and the caller <paramref name="mayRecord"/> (its
    /// interpreter could be sealed: it has no mounts), <paramref name="record"/> is true: the
    /// caller seals its interpreter after start-up and must then call <see cref="Publish"/>.</summary>
    internal static GuestSnapshot? For(Module module, bool mayRecord, out bool record)
    {
        lock (ByModuleGate)
        {
            record = mayRecord && ByModule.TryAdd(module, null);
            return record ? null : ByModule.GetValueOrDefault(module);
        }
    }

    /// <summary>Ends a recording <see cref="For"/> asked for: the captured snapshot, or null
    /// if the guest refused one (no runtime of the module records again). With
    /// <paramref name="failed"/> the recording runtime did not start; the next one records.</summary>
    internal static void Publish(Module module, GuestSnapshot? snapshot, bool failed = false)
    {
        lock (ByModuleGate)
        {
            if (failed) ByModule.Remove(module);
            else ByModule[module] = snapshot;
        }
    }

    /// <summary>Copies the pages of <paramref name="memory"/> (<paramref name="length"/>
    /// bytes, of an instance of <paramref name="module"/>) that differ from the module's
    /// initial memory, read from a fresh instance that never runs.</summary>
    internal static GuestSnapshot Capture(Module module, bool guarded, byte* memory, long length,
                                          IEnumerable<(uint, uint)> buffers)
    {
        var engine = GuestModule.EngineFor(guarded);
        using var store = new Store(engine);
        using var linker = new Linker(engine);
        store.SetWasiConfiguration(new WasiConfiguration());
        GuestImports.Inert.Define(linker);
        var initial = linker.Instantiate(store, module).GetMemory("memory")
                      ?? throw new PyodideException(PyodideErrorKind.IO, "python.wasm lacks the export 'memory'");
        byte* fresh = (byte*)initial.GetPointer();
        long freshLength = initial.GetLength();

        var runs = new List<(uint First, uint Count)>();
        long pages = length / PageSize;
        for (long page = 0; page < pages; page++)
        {
            long offset = page * PageSize;
            var bytes = new ReadOnlySpan<byte>(memory + offset, PageSize);
            bool same = offset + PageSize <= freshLength
                ? bytes.SequenceEqual(new ReadOnlySpan<byte>(fresh + offset, PageSize))
                : !bytes.ContainsAnyExcept((byte)0); // memory the module grew starts zeroed
            if (same) continue;
            if (runs.Count > 0 && runs[^1].First + runs[^1].Count + MergeGap >= page)
                runs[^1] = (runs[^1].First, (uint)(page + 1 - runs[^1].First));
            else
                runs.Add(((uint)page, 1));
        }
        var data = GC.AllocateUninitializedArray<byte>(checked((int)runs.Sum(r => (long)r.Count * PageSize)), pinned: true);
        long at = 0;
        foreach (var (first, count) in runs)
        {
            long size = (long)count * PageSize;
            new ReadOnlySpan<byte>(memory + (long)first * PageSize, (int)size).CopyTo(data.AsSpan((int)at));
            at += size;
        }
        return new GuestSnapshot(length, [.. runs], data, null, 0, [.. buffers]);
    }

    /// <summary>The snapshot whose pages are <paramref name="dataLength"/> bytes of
    /// <paramref name="file"/> at <paramref name="dataOffset"/> (checked against
    /// <paramref name="checksum"/> here, unless this user checked the same unchanged
    /// file before: <see cref="SnapshotVerified"/>). Where pages cannot be mapped, they are read
    /// into memory. Takes ownership of <paramref name="file"/>.</summary>
    internal static GuestSnapshot Read(string path, SafeFileHandle file, long dataOffset, long dataLength, uint checksum,
                                           long memoryLength, (uint, uint)[] runs, (uint, uint)[] buffers)
    {
        byte[]? data = null;
        var stamp = SnapshotVerified.StampOf(file, checksum);
        bool check = !SnapshotVerified.IsChecked(stamp, out var processWrites);
        uint actual = checksum;
        if (check || !SnapshotFile.CanMap)
        {
            SnapshotFile.WithView(file, dataOffset, dataLength, (view, length) =>
            {
                var pages = new ReadOnlySpan<byte>((void*)view, checked((int)length));
                if (check) actual = SnapshotChecksum.Compute(pages);
                if (!SnapshotFile.CanMap)
                {
                    data = GC.AllocateUninitializedArray<byte>(pages.Length, pinned: true);
                    pages.CopyTo(data);
                }
            });
        }
        if (actual != checksum) throw SnapshotFile.Bad(path, "has damaged memory pages (checksum mismatch)");
        bool stamped = !check || SnapshotVerified.Remember(stamp);
        if (data != null)
        {
            file.Dispose();
            return new GuestSnapshot(memoryLength, runs, data, null, 0, buffers) { FromFile = true };
        }
        var writes = new RestoreWrites(runs, processWrites, stamped ? stamp : null);
        return new GuestSnapshot(memoryLength, runs, null, file, dataOffset, buffers, writes) { FromFile = true };
    }

    /// <summary>The checksum of the page data, as <see cref="SnapshotFile"/> records it.</summary>
    internal uint DataChecksum() => _data != null ? SnapshotChecksum.Compute(_data) : throw new InvalidOperationException("a file snapshot is not written again");

    /// <summary>Writes the page data to <paramref name="stream"/>.</summary>
    internal void WriteData(Stream stream) => stream.Write(_data ?? throw new InvalidOperationException("a file snapshot is not written again"));

    /// <summary>Puts the snapshot's pages into <paramref name="memory"/>, the memory of a new
    /// instance of the same module, already grown to <see cref="MemoryLength"/>: mapped from
    /// the file (copy-on-write) or copied. Returns how: after
    /// <see cref="RestoreWrites.Plan.Learn"/> the caller calls <see cref="EndRestore"/> once
    /// the guest's part of the restore has ended, and after
    /// <see cref="RestoreWrites.Plan.LearnProcess"/> it calls <see cref="EndProcess"/> when
    /// the runtime ends.</summary>
    internal RestoreWrites.Plan RestoreInto(byte* memory)
    {
        if (_file != null)
        {
            var plan = _writes!.Next();
            try
            {
                long offset = _fileOffset;
                foreach (var (first, count) in _runs)
                {
                    long size = (long)count * PageSize;
                    SnapshotFile.MapInto(memory + (long)first * PageSize, size, _file, offset, plan == RestoreWrites.Plan.CopyAll);
                    offset += size;
                }
            }
            catch when (plan == RestoreWrites.Plan.Learn)
            {
                _writes.EndLearning(memory, restored: false);
                throw;
            }
            if (plan is RestoreWrites.Plan.CopyLearned or RestoreWrites.Plan.CopyProcessWrites) _writes.CopyLearned(memory, plan);
            return plan;
        }
        fixed (byte* data = _data) // pinned already: this only takes the address
        {
            long at = 0;
            foreach (var (first, count) in _runs)
            {
                long size = (long)count * PageSize;
                Buffer.MemoryCopy(data + at, memory + (long)first * PageSize, size, size);
                at += size;
            }
        }
        return RestoreWrites.Plan.CopyAll;
    }

    /// <summary>Ends a restore for which <see cref="RestoreInto"/> returned
    /// <see cref="RestoreWrites.Plan.Learn"/>; <paramref name="restored"/> says whether the
    /// guest's part succeeded.</summary>
    internal void EndRestore(byte* memory, bool restored) => _writes!.EndLearning(memory, restored);

    /// <summary>Ends a runtime restored by <see cref="RestoreWrites.Plan.LearnProcess"/>,
    /// while <paramref name="memory"/> is still mapped.</summary>
    internal void EndProcess(byte* memory) => _writes!.EndProcess(memory);
}
