namespace Pyodide;

/// <summary>The runtimes' own directories ("homes" on the host): a temporary directory each
/// (on Linux in <see cref="HomesDirectory"/>, elsewhere directly in the temporary
/// directory), which is the root of the file system the runtime's Python sees, preopened
/// writable as <c>/</c>; its <c>home/pyodide</c> is preopened as <c>/home/pyodide</c>
/// itself, and the standard library's directory and the runtime's mounts as theirs, over
/// the empty directories made for them here so that a listing of <c>/</c> shows them. A
/// runtime gives its home back when it is disposed (or fails to load): once the process
/// has made a second runtime, one that holds nothing but <see cref="Shape"/> is kept for
/// the process's next runtime; any other is removed.
/// Homes still in use or kept when the process exits normally (a process-wide default, or
/// any the host never disposed) are removed then, on .NET's ProcessExit in a .NET host and
/// from the C ABI's atexit handler in a native one, where ProcessExit does not run. A
/// process that ends otherwise leaves them free for the next process on Linux, and behind
/// elsewhere.</summary>
internal static class RuntimeHomes
{
    public const string Prefix = "pyodide-home-";

    private static readonly Lock Gate = new();
    // Homes taken and not given back, with their locks' descriptors (-1: none).
    private static readonly Dictionary<string, int> InUse = [];
    // Empty homes given back, for the next runtimes.
    private static readonly Stack<(string Home, int Lock)> Kept = new();
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

    /// <summary>What an unused home holds, each directory after its parent and nothing
    /// else: Python's home with its empty site-packages (made here: through WASI, in each
    /// restored runtime, it cost ~2.5 % of a further runtime's start), <c>/tmp</c>, and
    /// <c>/lib</c>'s place in a listing of <c>/</c>.</summary>
    public static readonly string[] Shape = ["home", "home/pyodide", "home/pyodide/site-packages", "lib", "tmp"];

    /// <summary>The host directory Python sees as /home/pyodide in the runtime whose home is
    /// <paramref name="root"/>.</summary>
    public static string PythonHome(string root) => Path.Combine(root, "home", "pyodide");

    /// <summary>The host directory Python sees as /home/pyodide/site-packages, given the
    /// one it sees as /home/pyodide.</summary>
    public static string SitePackages(string pythonHome) => Path.Combine(pythonHome, "site-packages");

    /// <summary>A home directory holding only <see cref="Shape"/>: a kept one, a free one
    /// another process left, or a new one.</summary>
    public static string Take()
    {
        (string Home, int Lock) taken;
        lock (Gate)
        {
            s_taken++;
            if (!Kept.TryPop(out taken)) taken = default;
        }
        if (taken.Home == null && HomesDirectory.Usable) taken = HomesDirectory.TakeFree() ?? HomesDirectory.Make() ?? default;
        if (taken.Home == null)
        {
            taken = (Directory.CreateTempSubdirectory(Prefix).FullName, -1);
            foreach (string directory in Shape) Directory.CreateDirectory(Path.Combine(taken.Home, directory));
        }
        lock (Gate)
        {
            InUse.Add(taken.Home, taken.Lock);
            if (!s_exitHooked)
            {
                s_exitHooked = true;
                AppDomain.CurrentDomain.ProcessExit += (_, _) => RemoveAll();
            }
        }
        return taken.Home;
    }

    /// <summary>Gives <paramref name="home"/> back once nothing writes to it any more (a
    /// second time does nothing): kept for the next runtime if it holds only
    /// <see cref="Shape"/> and the process has made more than one runtime, else removed with
    /// what it holds, as far as it can. Making and removing two directories cost a further
    /// runtime ~0.23 ms on an ext4 mounted with <c>discard</c> (each rmdir waits for the
    /// disk); checking that they are empty costs a few microseconds. A process
    /// that makes one runtime (<c>pyodide-run</c>) keeps none: one that ends by a signal
    /// after destroying it (as <c>pyodide-run</c> does on SIGTERM) leaves nothing.</summary>
    public static void GiveBack(string home)
    {
        int fd;
        bool mayKeep;
        lock (Gate)
        {
            if (!InUse.Remove(home, out fd)) return;
            mayKeep = s_taken > 1 && Kept.Count < MaxKept;
        }
        if (mayKeep && HomesDirectory.Usable && HomesDirectory.IsUnused(home))
        {
            lock (Gate)
            {
                if (Kept.Count < MaxKept)
                {
                    Kept.Push((home, fd));
                    return;
                }
            }
        }
        bool last;
        lock (Gate) last = InUse.Count == 0 && Kept.Count == 0;
        Release(home, fd, last);
    }

    /// <summary>Removes every home in use or kept, and the free ones other processes left:
    /// the process is exiting.</summary>
    public static void RemoveAll()
    {
        (string Home, int Lock)[] homes;
        lock (Gate)
        {
            homes = [.. InUse.Select(h => (h.Key, h.Value)), .. Kept];
            InUse.Clear();
            Kept.Clear();
        }
        foreach (var (home, fd) in homes) Release(home, fd, last: false);
        if (HomesDirectory.Usable) HomesDirectory.Sweep();
    }

    private static void Release(string home, int fd, bool last)
    {
        if (fd >= 0) HomesDirectory.Release(home, fd, last);
        else HomesDirectory.RemoveTree(home);
    }
}
