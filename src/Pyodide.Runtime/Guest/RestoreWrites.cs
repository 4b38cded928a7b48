using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Pyodide.Guest;

/// <summary>Which of a file snapshot's pages a restore writes, learned on Linux, so that
/// restores copy those pages at once and leave the others shared with the page cache.
///
/// Why: a restore (the guest's rehash, the new hash secret, <c>random</c>'s seed) writes
/// to about half of the snapshot's pages, the same half each time (the interpreter's state
/// is the same; only the hash values differ). Copying every page up front made each
/// runtime own all of them; copying none made every written page a separate
/// copy-on-write fault, which costs more than the copy. Knowing the set gives the copy's
/// speed and shares the rest between runtimes.
///
/// Two sets are learned. Within a process, the second restore maps the pages without
/// copying any; once it has finished, <c>/proc/self/pagemap</c> tells which pages became
/// private (written) and which are still the file's, and later restores copy those. A
/// process's first restore cannot wait for that: it copies what an earlier process's first
/// runtime wrote over its whole life (the restore, and the code it then ran: for
/// <c>pyodide-run -c pass</c> 333 of 565 pages), kept with the file's stamp
/// (<see cref="SnapshotVerified"/>); a process that finds none maps the pages without
/// copying and leaves its own set there when that runtime is disposed. Either set only
/// decides what is copied early: a page it misses is copied when written, as any
/// copy-on-write page is, so a restore that writes elsewhere (another hash secret moving
/// a table) stays correct. Where the pagemap cannot be read every page is copied up
/// front.</summary>
internal sealed unsafe class RestoreWrites
{
    private const int PageSize = GuestSnapshot.PageSize;

    private readonly (uint First, uint Count)[] _runs;
    // What an earlier process's first runtime wrote (null: not known), and the stamp to
    // leave this process's set with when it is not (null: the file has no stamp).
    private readonly (uint First, uint Count)[]? _processWrites;
    private readonly SnapshotVerified.Stamp? _stamp;
    // null until learned; then page runs (in memory pages) to populate for writing.
    private (uint First, uint Count)[]? _written;
    // 0: no restore yet; 1: the next restore learns; 2: a restore is learning; 3: the
    // pagemap cannot be read.
    private int _state;

    /// <summary>For a snapshot of <paramref name="runs"/>: <paramref name="processWrites"/>
    /// as read from the stamp of <paramref name="stamp"/> (null if none, or if it does
    /// not lie within the runs); <paramref name="stamp"/> null if the file has none.</summary>
    public RestoreWrites((uint First, uint Count)[] runs, (uint First, uint Count)[]? processWrites,
                         SnapshotVerified.Stamp? stamp)
    {
        _runs = runs;
        _processWrites = processWrites != null && WithinRuns(processWrites, runs) ? processWrites : null;
        _stamp = stamp;
    }

    /// <summary>How the next restore maps the snapshot's pages.</summary>
    internal enum Plan
    {
        /// <summary>Copy every page up front (nothing learned yet).</summary>
        CopyAll,
        /// <summary>Copy nothing up front; the caller must call <see cref="EndLearning"/>.</summary>
        Learn,
        /// <summary>Copy the learned pages up front (<see cref="CopyLearned"/>), share the rest.</summary>
        CopyLearned,
        /// <summary>Copy what an earlier process's first runtime wrote (<see cref="CopyLearned"/>), share the rest.</summary>
        CopyProcessWrites,
        /// <summary>Copy nothing up front; the caller calls <see cref="EndProcess"/> when
        /// the runtime ends.</summary>
        LearnProcess,
    }

    /// <summary>The plan for the next restore. The process's first restore copies what an
    /// earlier process's first runtime wrote, or learns it; the second learns what a
    /// restore writes, for the later ones.</summary>
    internal Plan Next()
    {
        if (Volatile.Read(ref _written) != null) return Plan.CopyLearned;
        if (!OperatingSystem.IsLinux()) return Plan.CopyAll;
        if (Interlocked.CompareExchange(ref _state, 1, 0) == 0)
            return _processWrites != null ? Plan.CopyProcessWrites : _stamp != null ? Plan.LearnProcess : Plan.CopyAll;
        return Interlocked.CompareExchange(ref _state, 2, 1) == 1 ? Plan.Learn : Plan.CopyAll;
    }

    /// <summary>Copies the pages <paramref name="plan"/> (<see cref="Plan.CopyLearned"/> or
    /// <see cref="Plan.CopyProcessWrites"/>) names of <paramref name="memory"/> (mapped from
    /// the file just now) into the process. A kernel without <c>MADV_POPULATE_WRITE</c>
    /// (before Linux 5.14) refuses; the pages are then copied as they are written.</summary>
    internal void CopyLearned(byte* memory, Plan plan)
    {
        foreach (var (first, count) in plan == Plan.CopyProcessWrites ? _processWrites! : _written!)
            madvise(memory + (long)first * PageSize, (nuint)count * PageSize, MadvPopulateWrite);
    }

    /// <summary>After the learning restore: reads which pages it wrote, if
    /// <paramref name="restored"/> (a restore that failed teaches nothing, and the next
    /// one learns instead).</summary>
    internal void EndLearning(byte* memory, bool restored)
    {
        var written = restored ? ReadWritten(memory) : null;
        if (written != null) Volatile.Write(ref _written, written);
        else Volatile.Write(ref _state, restored ? 3 : 1);
    }

    /// <summary>When the runtime restored by <see cref="Plan.LearnProcess"/> ends, its
    /// memory still mapped: leaves the pages it wrote with the file's stamp, for the
    /// next process's first restore. Where the pagemap cannot be read it leaves every
    /// page, so later processes copy them all up front, as without a set, rather than
    /// each map them lazily to learn nothing.</summary>
    internal void EndProcess(byte* memory)
    {
        if (_stamp is { } stamp) SnapshotVerified.RememberWrites(stamp, ReadWritten(memory) ?? _runs);
    }

    /// <summary>Whether <paramref name="pages"/> are in order, without overlaps, and each
    /// inside one of <paramref name="runs"/>: a stamp's set from another process is
    /// trusted no further than that.</summary>
    private static bool WithinRuns((uint First, uint Count)[] pages, (uint First, uint Count)[] runs)
    {
        int run = 0;
        ulong next = 0;
        foreach (var (first, count) in pages)
        {
            if (count == 0 || first < next) return false;
            ulong end = (ulong)first + count;
            while (run < runs.Length && (ulong)runs[run].First + runs[run].Count < end) run++;
            if (run == runs.Length || first < runs[run].First) return false;
            next = end;
        }
        return true;
    }

    private (uint First, uint Count)[]? ReadWritten(byte* memory)
    {
        const ulong Present = 1UL << 63, Swapped = 1UL << 62, FileOrShared = 1UL << 61;
        SafeFileHandle pagemap;
        try
        {
            pagemap = File.OpenHandle("/proc/self/pagemap");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        using (pagemap)
        {
            var written = new List<(uint First, uint Count)>();
            var entries = new ulong[_runs.Max(r => r.Count)];
            foreach (var (first, count) in _runs)
            {
                var span = MemoryMarshal.AsBytes(entries.AsSpan(0, (int)count));
                long at = (long)((nuint)(memory + (long)first * PageSize) / PageSize) * sizeof(ulong);
                try
                {
                    if (RandomAccess.Read(pagemap, span, at) != span.Length) return null;
                }
                catch (IOException)
                {
                    return null;
                }
                for (uint i = 0; i < count; i++)
                {
                    ulong e = entries[i];
                    if ((e & Swapped) == 0 && ((e & Present) == 0 || (e & FileOrShared) != 0)) continue;
                    uint page = first + i;
                    if (written.Count > 0 && written[^1].First + written[^1].Count == page)
                        written[^1] = (written[^1].First, page + 1 - written[^1].First);
                    else
                        written.Add((page, 1));
                }
            }
            return [.. written];
        }
    }

    private const int MadvPopulateWrite = 23;

    [DllImport("libc")]
    private static extern int madvise(void* address, nuint length, int advice);
}
