using System.Diagnostics;
using Wasmtime;

namespace Pyodide.Guest;

/// <summary>The start deadlines of guarded instances: when a start-up runs past its
/// deadline, its engine's epoch is advanced once, so the starting instance reaches its
/// epoch callback, which stops it (<see cref="CallWatchdog"/>). One thread for the
/// process, made at the first guarded start and asleep between deadlines. (A
/// <see cref="Timer"/> per start did the same, but its first use set up .NET's timer
/// queues, ~0.4 ms of every process's first <c>pyodide_load</c>.)</summary>
internal static class StartWatch
{
    private static readonly object Gate = new(); // a Monitor: Run waits on it
    private static readonly Dictionary<CallWatchdog, (long Deadline, Engine Engine)> Starts = [];
    private static Thread? _thread;
    // When Run wakes next at the latest (a Stopwatch timestamp). Asleep with no starts it
    // wakes after CallWatchdog.StartTimeout, which no start's deadline comes before: a
    // start need not wake it, and a host that starts runtimes one after another does not
    // pay a thread switch for each.
    private static long _wake;

    /// <summary>Watches the start of <paramref name="watchdog"/>'s instance until
    /// <see cref="End"/>; <paramref name="deadline"/> is a <see cref="Stopwatch"/> timestamp.</summary>
    public static void Begin(CallWatchdog watchdog, Engine engine, long deadline)
    {
        lock (Gate)
        {
            Starts[watchdog] = (deadline, engine);
            if (_thread == null)
            {
                _thread = new Thread(Run) { IsBackground = true, Name = "pyodide start watch" };
                _thread.Start();
            }
            else if (deadline < _wake)
            {
                Monitor.Pulse(Gate);
            }
        }
    }

    public static void End(CallWatchdog watchdog)
    {
        lock (Gate) Starts.Remove(watchdog);
    }

    private static void Run()
    {
        lock (Gate)
        {
            while (true)
            {
                long now = Stopwatch.GetTimestamp();
                if (Starts.Count == 0)
                {
                    _wake = now + (long)(CallWatchdog.StartTimeout.TotalSeconds * Stopwatch.Frequency);
                    Monitor.Wait(Gate, CallWatchdog.StartTimeout);
                    continue;
                }
                var (first, (deadline, engine)) = Starts.MinBy(start => start.Value.Deadline);
                if (deadline > now)
                {
                    _wake = deadline;
                    Monitor.Wait(Gate, TimeSpan.FromSeconds((double)(deadline - now) / Stopwatch.Frequency + 0.001));
                    continue;
                }
                Starts.Remove(first);
                engine.IncrementEpoch();
            }
        }
    }
}
