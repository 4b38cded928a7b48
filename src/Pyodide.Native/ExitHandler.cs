using System.Runtime.InteropServices;

namespace Pyodide.Native;

/// <summary>Removes the home directories of runtimes still alive when a native host exits
/// normally (<see cref="RuntimeHomes"/>): .NET's ProcessExit does not run in a native
/// host, so glibc's atexit calls in. Registered once, before the first runtime's load.</summary>
internal static unsafe class ExitHandler
{
    private static int s_registered;

    public static void Register()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref s_registered, 1) != 0) return;
        try
        {
            __cxa_atexit(&AtExit, null, null); // glibc's atexit(), which libc.so.6 does not export
            RuntimeHomes.RemovedAtExitByHost();
        }
        catch (Exception)
        {
            // Not glibc: the directories stay behind, as after a crash.
        }
    }

    [UnmanagedCallersOnly]
    private static void AtExit(void* unused)
    {
        try
        {
            RuntimeHomes.RemoveAll();
        }
        catch (Exception)
        {
            // Exiting anyway: a temporary directory left behind is the worst outcome.
        }
    }

    [DllImport("libc.so.6")]
    private static extern int __cxa_atexit(delegate* unmanaged<void*, void> function, void* argument, void* dso);
}
