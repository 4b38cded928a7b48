namespace Pyodide;

/// <summary>The lock of one runtime's calls: re-entrant (host functions and output
/// handlers call back in on the thread that holds it), taken and let go by every call.
///
/// Why not <see cref="Lock"/>: it reads the thread's id on entering and again on
/// leaving (a <c>__tls_get_addr</c> call each, in a shared library) and leaving is an
/// atomic operation even when nobody waits. Here entering reads the id once and makes
/// one compare-and-swap; leaving is one atomic exchange, plus a wake-up only when a
/// thread waits. Waiting threads spin briefly, then sleep on a monitor.</summary>
internal sealed class CallGate
{
    private int _owner;     // managed thread id of the holder; 0 when free
    private int _reentries; // how many more times the holder entered (only it touches this)
    private int _sleepers;  // threads asleep or going to sleep in EnterContended
    private readonly object _wakeUp = new();

    /// <summary>Whether the current thread holds the gate.</summary>
    public bool IsHeldByCurrentThread => Volatile.Read(ref _owner) == Environment.CurrentManagedThreadId;

    /// <summary>Takes the gate, waiting while another thread holds it.</summary>
    public void Enter()
    {
        int me = Environment.CurrentManagedThreadId;
        if (!TryEnter(me)) EnterContended(me);
    }

    /// <summary>Takes the gate if no other thread holds it.</summary>
    public bool TryEnter() => TryEnter(Environment.CurrentManagedThreadId);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private bool TryEnter(int me)
    {
        int owner = Interlocked.CompareExchange(ref _owner, me, 0);
        if (owner == 0) return true;
        if (owner != me) return false;
        _reentries++;
        return true;
    }

    /// <summary>Lets the gate go once; the caller must hold it.</summary>
    public void Exit()
    {
        if (_reentries > 0)
        {
            _reentries--;
            return;
        }
        // A full fence: a sleeper counted itself before its last attempt to enter, so
        // either that attempt saw the gate free or this read sees the sleeper.
        Interlocked.Exchange(ref _owner, 0);
        if (Volatile.Read(ref _sleepers) != 0)
        {
            lock (_wakeUp) Monitor.Pulse(_wakeUp);
        }
    }

    private void EnterContended(int me)
    {
        var spin = new SpinWait();
        while (!spin.NextSpinWillYield)
        {
            spin.SpinOnce();
            if (Volatile.Read(ref _owner) == 0 && Interlocked.CompareExchange(ref _owner, me, 0) == 0) return;
        }
        lock (_wakeUp)
        {
            Interlocked.Increment(ref _sleepers);
            try
            {
                // The holder's Exit pulses under this monitor, so it cannot pulse between
                // a failed attempt here and the wait that follows it.
                while (Interlocked.CompareExchange(ref _owner, me, 0) != 0) Monitor.Wait(_wakeUp);
            }
            finally
            {
                Interlocked.Decrement(ref _sleepers);
            }
        }
    }
}
