namespace Pyodide.Guest;

/// <summary>Advances the engine's epoch every millisecond while at least one call
/// needs watching (it has a deadline, or an interrupt is escalating), so running
/// wasm reaches its store's epoch callback; idle otherwise. Calls without a
/// deadline never wake it.</summary>
internal static class EpochTicker
{
    private static readonly object Gate = new(); // a Monitor: Run waits on it
    private static int _users;
    private static Thread? _thread;

    /// <summary>One more call to watch.</summary>
    public static void Acquire()
    {
        lock (Gate)
        {
            _users++;
            if (_thread == null)
            {
                _thread = new Thread(Run) { IsBackground = true, Name = "pyodide epoch ticker" };
                _thread.Start();
            }
            else if (_users == 1)
            {
                Monitor.PulseAll(Gate);
            }
        }
    }

    public static void Release()
    {
        lock (Gate) _users--;
    }

    /// <summary>Makes running wasm check its epoch callback now rather than at the next tick.</summary>
    public static void Kick() => GuestModule.Guarded.IncrementEpoch();

    private static void Run()
    {
        while (true)
        {
            lock (Gate)
            {
                while (_users == 0) Monitor.Wait(Gate);
            }
            Thread.Sleep(1);
            GuestModule.Guarded.IncrementEpoch();
            SoftStops.Service();
        }
    }
}

/// <summary>The watchdogs of unguarded instances (no epoch checks) with a call to watch: the ticker
/// serves their deadlines and interrupts by writing to guest memory.</summary>
internal static class SoftStops
{
    private static readonly Lock Gate = new();
    private static readonly HashSet<CallWatchdog> Watched = [];

    public static void Add(CallWatchdog instance)
    {
        lock (Gate) Watched.Add(instance);
    }

    /// <summary>Once this returns, the ticker no longer touches <paramref name="instance"/>.</summary>
    public static void Remove(CallWatchdog instance)
    {
        lock (Gate) Watched.Remove(instance);
    }

    /// <summary>Serves one instance at once (an interrupt from another thread).</summary>
    public static void ServiceNow(CallWatchdog instance)
    {
        lock (Gate)
        {
            if (Watched.Contains(instance)) instance.ServiceSoftStop();
        }
    }

    public static void Service()
    {
        lock (Gate)
        {
            foreach (var instance in Watched) instance.ServiceSoftStop();
        }
    }
}

/// <summary>Why a call was asked to stop.</summary>
internal enum StopReason
{
    None,
    Timeout,
    Interrupt,
}

/// <summary>Thrown from the epoch callback to trap code that did not stop when asked.</summary>
internal sealed class HardStopException(StopReason reason) : Exception($"hard stop ({reason})")
{
    public StopReason Reason { get; } = reason;
}
