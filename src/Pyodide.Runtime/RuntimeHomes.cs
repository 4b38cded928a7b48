using System.Runtime.InteropServices;

namespace Pyodide;

/// <summary>The runtimes' home directories: a temporary directory each, preopened as
/// /home/pyodide. A runtime gives its home back when it is disposed (or fails to load):
/// on Linux, once the process has made a second runtime, one that holds nothing but its
/// empty site-packages is kept for the next runtime; any other is removed. Homes still in
/// use or kept when the process exits normally (a process-wide default, or any the host
/// never disposed) are removed then, on .NET's ProcessExit in a .NET host and from the C
/// ABI's atexit handler in a native one, where ProcessExit does not run. A process that is
/// killed leaves them.</summary>
internal static unsafe partial class RuntimeHomes
{
    private static readonly Lock Gate = new();
    // Homes taken and not given back.
    private static readonly HashSet<string> InUse = [];
    // Empty homes given back, for the next runtimes.
    private static readonly Stack<string> Kept = new();
    private static int s_taken;
    private static bool s_exitHooked;

    /// <summary>The most empty homes kept at once (a host that ran many runtimes at once
    /// and then disposed them keeps a few, not all).</summary>
    private const int MaxKept = 4;

    /// <summary>Said by a native host's layer (the C ABI), which removes the homes at exit
    /// itself: .NET's ProcessExit would never run there, and subscribing to it costs the
    /// process's first load ~0.1 ms.</summary>
    public static void RemovedAtExitByHost()
    {
        lock (Gate) s_exitHooked = true;
    }

    /// <summary>The host directory Python sees as /home/pyodide/site-packages.</summary>
    public static string SitePackages(string home) => Path.Combine(home, "site-packages");

    /// <summary>A home directory holding only an empty site-packages: a kept one, or a new
    /// one (site-packages made here: through WASI, in each restored runtime, it cost
    /// ~2.5 % of a further runtime's start).</summary>
    public static string Take()
    {
        lock (Gate)
        {
            s_taken++;
            if (Kept.TryPop(out var kept))
            {
                InUse.Add(kept);
                return kept;
            }
        }
        string home = Directory.CreateTempSubdirectory("pyodide-home-").FullName;
        Directory.CreateDirectory(SitePackages(home));
        lock (Gate)
        {
            InUse.Add(home);
            if (!s_exitHooked)
            {
                s_exitHooked = true;
                AppDomain.CurrentDomain.ProcessExit += (_, _) => RemoveAll();
            }
        }
        return home;
    }

    /// <summary>Gives <paramref name="home"/> back once nothing writes to it any more (a
    /// second time does nothing): kept for the next runtime if it holds only an empty
    /// site-packages and the process has made more than one runtime, else removed with
    /// what it holds, as far as it can. Making and removing the two directories cost a
    /// further runtime ~0.23 ms on an ext4 mounted with <c>discard</c> (each rmdir waits
    /// for the disk); checking that they are empty costs a few microseconds. A process
    /// that makes one runtime (<c>pyodide-run</c>) keeps none: one that ends by a signal
    /// after destroying it (as <c>pyodide-run</c> does on SIGTERM) leaves nothing.</summary>
    public static void GiveBack(string home)
    {
        bool mayKeep;
        lock (Gate)
        {
            if (!InUse.Contains(home)) return;
            mayKeep = s_taken > 1 && Kept.Count < MaxKept;
        }
        bool keep = mayKeep && CanCheck && HoldsOnly(home, "site-packages"u8) && HoldsOnly(SitePackages(home), default);
        lock (Gate)
        {
            if (!InUse.Remove(home)) return;
            if (keep && Kept.Count < MaxKept)
            {
                Kept.Push(home);
                return;
            }
        }
        Remove(home);
    }

    /// <summary>Removes every home in use or kept: the process is exiting.</summary>
    public static void RemoveAll()
    {
        string[] homes;
        lock (Gate)
        {
            homes = [.. InUse, .. Kept];
            InUse.Clear();
            Kept.Clear();
        }
        foreach (string home in homes) Remove(home);
    }

    /// <summary>Removes <paramref name="home"/> and what it holds. It usually holds only the
    /// empty site-packages: then two rmdir calls do. A recursive Directory.Delete lists
    /// each directory first, and the first listing in a process set up .NET's pooled
    /// buffers (~0.25 ms of <c>pyodide-run -c pass</c>).</summary>
    private static void Remove(string home)
    {
        if ((OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
            && rmdir(SitePackages(home)) == 0 && rmdir(home) == 0)
            return;
        try { Directory.Delete(home, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    // struct dirent of 64-bit Linux (glibc and musl): d_ino, d_off, d_reclen, d_type, d_name.
    private static bool CanCheck => OperatingSystem.IsLinux() && IntPtr.Size == 8;
    private const int DirentType = 18, DirentName = 19;
    private const byte DirectoryType = 4; // DT_DIR

    /// <summary>Whether directory <paramref name="path"/> holds nothing but the directory
    /// <paramref name="only"/> (empty: nothing at all). Not sure (it cannot be read, or the
    /// file system does not give entry types) is no.</summary>
    private static bool HoldsOnly(string path, ReadOnlySpan<byte> only)
    {
        nint dir = opendir(path);
        if (dir == 0) return false;
        try
        {
            bool seen = false;
            for (byte* entry; (entry = readdir(dir)) != null;)
            {
                var name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(entry + DirentName);
                if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8)) continue;
                if (!seen && !only.IsEmpty && name.SequenceEqual(only) && entry[DirentType] == DirectoryType)
                {
                    seen = true;
                    continue;
                }
                return false;
            }
            return seen || only.IsEmpty;
        }
        finally
        {
            closedir(dir);
        }
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rmdir(string path);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint opendir(string path);

    [LibraryImport("libc")]
    private static partial byte* readdir(nint dir);

    [LibraryImport("libc")]
    private static partial int closedir(nint dir);
}
