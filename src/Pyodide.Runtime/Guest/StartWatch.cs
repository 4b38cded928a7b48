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
            else
            {
                Monitor.Pulse(Gate); // the new deadline may come first
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
                if (Starts.Count == 0)
                {
                    Monitor.Wait(Gate);
                    continue;
                }
                var (first, (deadline, engine)) = Starts.MinBy(start => start.Value.Deadline);
                long wait = deadline - Stopwatch.GetTimestamp();
                if (wait > 0)
                {
                    Monitor.Wait(Gate, TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency + 0.001));
                    continue;
                }
                Starts.Remove(first);
                engine.IncrementEpoch();
            }
        }
    }
}
