using System.Runtime.InteropServices;

namespace Pyodide.Guest;

/// <summary>The CPU time the host has spent, for the guest's CPU clocks (bridge/clocks.c:
/// <c>time.process_time</c>, <c>time.thread_time</c>, <c>os.times</c>,
/// <c>resource.getrusage</c>). The sandbox keeps no CPU time of its own: a runtime runs on
/// the threads of the host calling it, so its "process" is the host's process (what
/// python3 reports for its own) and its "thread" is the host thread making the call.</summary>
internal static unsafe partial class HostCpuTime
{
    /// <summary>User and system CPU time in nanoseconds of the whole process
    /// (<paramref name="thread"/> false) or of the calling thread; false when the host
    /// cannot tell (a thread's time off Linux).</summary>
    public static bool TryGet(bool thread, out long userNs, out long systemNs)
    {
        userNs = systemNs = 0;
        if (OperatingSystem.IsLinux())
        {
            Rusage usage;
            if (getrusage(thread ? RusageThread : RusageSelf, &usage) != 0) return false;
            userNs = Nanoseconds(usage.UserSeconds, usage.UserMicroseconds);
            systemNs = Nanoseconds(usage.SystemSeconds, usage.SystemMicroseconds);
            return true;
        }
        if (thread) return false;
        var cpu = Environment.CpuUsage;
        userNs = cpu.UserTime.Ticks * 100;
        systemNs = cpu.PrivilegedTime.Ticks * 100;
        return true;
    }

    private static long Nanoseconds(nint seconds, nint microseconds) => seconds * 1_000_000_000L + microseconds * 1000L;

    private const int RusageSelf = 0, RusageThread = 1; // Linux's RUSAGE_THREAD

    /// <summary>The head of struct rusage on 64-bit Linux (two timevals, each two machine
    /// words); the rest is room for the fields not read.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public nint UserSeconds, UserMicroseconds, SystemSeconds, SystemMicroseconds;
        private fixed long _rest[32];
    }

    [LibraryImport("libc")]
    private static partial int getrusage(int who, Rusage* usage);
}
