using Wasmtime;

namespace Pyodide.Guest;

/// <summary>The linear memory of an interpreter that started and was sealed
/// (src/guest/README.md, "Snapshots"), kept as the 4 KiB pages that differ from the
/// module's initial memory: a new instance of the same module becomes that
/// interpreter by receiving those pages, without running <c>_initialize</c> or
/// <c>Py_Initialize</c>. Immutable once captured, so runtimes on any thread may
/// restore from it at once.</summary>
internal sealed unsafe class GuestSnapshot
{
    private const int PageSize = 4096;

    /// <summary>Files a snapshot's interpreter has open beyond stdio: the two
    /// preopened directories (<c>/lib</c>, <c>/home/pyodide</c>) of a runtime without
    /// mounts. A runtime with mounts has other preopens and always starts in full.</summary>
    internal const int PreopenCount = 2;

    private readonly int[] _pages;
    // On the pinned-object heap: in the large-object heap, a 2 MB array made an
    // allocation-heavy host's full collections dearer (a 100k List<object> took
    // 1.9 ms instead of 1.1), and native memory would be a leak to LeakSanitizer,
    // which cannot see references held by managed objects.
    private readonly byte[] _data;

    /// <summary>Bytes of linear memory the interpreter had.</summary>
    public long MemoryLength { get; }

    /// <summary>The host's per-depth input buffers (guest allocations made while the
    /// interpreter started), which a restored instance takes over as they are.</summary>
    public IReadOnlyList<(uint Address, uint Capacity)> Buffers { get; }

    private GuestSnapshot(long memoryLength, int[] pages, byte[] data, (uint, uint)[] buffers)
    {
        MemoryLength = memoryLength;
        _pages = pages;
        _data = data;
        Buffers = buffers;
    }

    // Per module (a python.wasm compiled for one engine): absent = none yet, so the
    // next eligible runtime records one; null = being recorded, or the guest refused.
    private static readonly Dictionary<Module, GuestSnapshot?> ByModule = new();
    private static readonly Lock ByModuleGate = new();

    /// <summary>The snapshot of <paramref name="module"/>, if one exists. If none does and
    /// none is being recorded, <paramref name="record"/> is true: the caller starts its
    /// interpreter recording and must then call <see cref="Publish"/>.</summary>
    internal static GuestSnapshot? For(Module module, out bool record)
    {
        lock (ByModuleGate)
        {
            record = ByModule.TryAdd(module, null);
            return record ? null : ByModule[module];
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
        GuestInstance.DefineImports(linker, (_, _, _) => 0, (_, _) => 0, () => 0, (_, _, _, _) => -1, _ => { });
        var initial = linker.Instantiate(store, module).GetMemory("memory")
                      ?? throw new PyodideException(PyodideErrorKind.IO, "python.wasm lacks the export 'memory'");
        byte* fresh = (byte*)initial.GetPointer();
        long freshLength = initial.GetLength();

        var pages = new List<int>();
        for (long offset = 0; offset < length; offset += PageSize)
        {
            var page = new ReadOnlySpan<byte>(memory + offset, PageSize);
            bool same = offset + PageSize <= freshLength
                ? page.SequenceEqual(new ReadOnlySpan<byte>(fresh + offset, PageSize))
                : !page.ContainsAnyExcept((byte)0); // memory the module grew starts zeroed
            if (!same) pages.Add((int)(offset / PageSize));
        }
        var data = GC.AllocateUninitializedArray<byte>(pages.Count * PageSize, pinned: true);
        for (int i = 0; i < pages.Count; i++)
            new ReadOnlySpan<byte>(memory + (long)pages[i] * PageSize, PageSize).CopyTo(data.AsSpan(i * PageSize, PageSize));
        return new GuestSnapshot(length, [.. pages], data, [.. buffers]);
    }

    /// <summary>Writes the snapshot's pages into <paramref name="memory"/>, the memory of
    /// a new instance of the same module, already grown to <see cref="MemoryLength"/>.</summary>
    internal void CopyInto(byte* memory)
    {
        fixed (byte* data = _data) // pinned already: this only takes the address
        {
            for (int i = 0; i < _pages.Length; i++)
                Buffer.MemoryCopy(data + (long)i * PageSize, memory + (long)_pages[i] * PageSize, PageSize, PageSize);
        }
    }
}
