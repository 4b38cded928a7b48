using System.Runtime.InteropServices;

namespace Pyodide;

/// <summary>The runtimes' home directories: a temporary directory each, preopened as
/// /home/pyodide. A home is removed when its runtime is disposed (or fails to load);
/// those of runtimes still alive when the process exits normally (a process-wide
/// default, or any the host never disposed) are removed then, on .NET's ProcessExit in
/// a .NET host and from the C ABI's atexit handler in a native one, where ProcessExit
/// does not run. A process that is killed leaves them.</summary>
internal static partial class RuntimeHomes
{
    private static readonly Lock Gate = new();
    private static readonly HashSet<string> Live = [];
    private static bool s_exitHooked;

    /// <summary>Said by a native host's layer (the C ABI), which removes the homes at exit
    /// itself: .NET's ProcessExit would never run there, and subscribing to it costs the
    /// process's first load ~0.1 ms.</summary>
    public static void RemovedAtExitByHost()
    {
        lock (Gate) s_exitHooked = true;
    }

    /// <summary>The host directory Python sees as /home/pyodide/site-packages.</summary>
    public static string SitePackages(string home) => Path.Combine(home, "site-packages");

    /// <summary>A new home directory, holding an empty site-packages (made here: through
    /// WASI, in each restored runtime, it cost ~2.5 % of a further runtime's start).</summary>
    public static string Create()
    {
        string home = Directory.CreateTempSubdirectory("pyodide-home-").FullName;
        Directory.CreateDirectory(SitePackages(home));
        lock (Gate)
        {
            Live.Add(home);
            if (!s_exitHooked)
            {
                s_exitHooked = true;
                AppDomain.CurrentDomain.ProcessExit += (_, _) => RemoveAll();
            }
        }
        return home;
    }

    /// <summary>Removes <paramref name="home"/> and what it holds, as far as it can.
    /// It usually holds only the empty site-packages: then two rmdir calls do. A
    /// recursive Directory.Delete lists each directory first, and the first listing in
    /// a process set up .NET's pooled buffers (~0.25 ms of <c>pyodide-run -c pass</c>).</summary>
    public static void Remove(string home)
    {
        lock (Gate) Live.Remove(home);
        if ((OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
            && rmdir(SitePackages(home)) == 0 && rmdir(home) == 0)
            return;
        try { Directory.Delete(home, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Removes every home still in use: the process is exiting.</summary>
    public static void RemoveAll()
    {
        string[] homes;
        lock (Gate) homes = [.. Live];
        foreach (string home in homes) Remove(home);
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rmdir(string path);
}
