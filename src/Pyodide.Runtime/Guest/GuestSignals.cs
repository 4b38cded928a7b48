namespace Pyodide.Guest;

/// <summary>Signals delivered to one instance's Python from any thread, as the system
/// delivers them to python3: only to a handler Python set itself (signal.signal), which
/// runs at the interpreter's next check. No guest code may run for it (a call may be
/// running on another thread), so this stores what CPython's <c>trip_signal</c> stores,
/// at the addresses <c>pyn_signal_slots</c> reported (bridge/interrupt.c), after reading
/// what Python does with the signal there (cpython-patches/wasi-signal-slots.patch).</summary>
internal sealed unsafe class GuestSignals
{
    // Pointers into guest memory, whose base never moves (the watchdog keeps it too).
    private readonly byte* _actions;     // a byte per signal: 0 default, 1 ignored, 2 handled
    private readonly byte* _tripped;     // signal 0's tripped flag
    private readonly uint _stride;       // from one signal's tripped flag to the next's
    private readonly int* _isTripped, _signalsPending, _evalBreaker;
    private int _delivered;
    // Held while storing: Close (before the memory goes) waits out a delivery from
    // another thread (the host's, the timer's) and stops later ones.
    private readonly Lock _gate = new();
    private bool _closed;

    /// <summary>The number of signals Python knows (numbers 1 to one less than this).</summary>
    public int Count { get; }

    /// <summary>How many signals have been delivered so far: a read that failed while this
    /// changed was cut short by one (<see cref="GuestImports"/>' read).</summary>
    public int Delivered => Volatile.Read(ref _delivered);

    /// <summary>Keeps the slots <c>pyn_signal_slots</c> wrote at <paramref name="slots"/>,
    /// and the eval breaker's address from the interrupt slots, each checked to lie in
    /// <paramref name="guest"/>'s memory.</summary>
    public GuestSignals(GuestInstance guest, uint* slots, uint evalBreaker)
    {
        Count = (int)slots[4];
        _stride = slots[2];
        if (Count is < 2 or > 1024 || _stride is < 4 or > 64)
            throw new InvalidOperationException($"pyn_signal_slots reported {Count} signals {_stride} bytes apart");
        _actions = guest.Checked(slots[0], (ulong)Count);
        _tripped = guest.Checked(slots[1], (ulong)Count * _stride);
        _isTripped = (int*)guest.Checked(slots[3], 4);
        _signalsPending = (int*)guest.Checked(slots[5], 4);
        _evalBreaker = (int*)guest.Checked(evalBreaker, 4);
    }

    /// <summary>Delivers <paramref name="signum"/> if Python has a handler of its own for
    /// it, and says what Python does with it.</summary>
    public PyodideSignalAction Deliver(int signum)
    {
        if (signum < 1 || signum >= Count)
            throw new ArgumentOutOfRangeException(nameof(signum), signum, $"a signal number is from 1 to {Count - 1}");
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            var action = (PyodideSignalAction)Volatile.Read(ref _actions[signum]);
            if (action != PyodideSignalAction.Handled) return action == PyodideSignalAction.Ignored ? action : PyodideSignalAction.Default;
            // trip_signal's order: the signal's flag, then the summary flag the check
            // clears before the signals' own, then the interpreter's.
            Volatile.Write(ref *(int*)(_tripped + (uint)signum * _stride), 1);
            Volatile.Write(ref *_isTripped, 1);
            Volatile.Write(ref *_signalsPending, 1);
            Volatile.Write(ref *_evalBreaker, 1);
            Interlocked.Increment(ref _delivered);
            return action;
        }
    }

    /// <summary>The instance's memory is about to go: no delivery stores to it from now on
    /// (one in progress is waited for); <see cref="Deliver"/> throws ObjectDisposedException.</summary>
    public void Close()
    {
        lock (_gate) _closed = true;
    }
}
