using System.Diagnostics;
using Wasmtime;

namespace Pyodide.Guest;

/// <summary>Deadlines and interrupts of one instance's calls. A call past its deadline, or
/// interrupted from any thread, is first asked to raise KeyboardInterrupt (by storing to
/// guest memory, see bridge/interrupt.c); one that ignores the request is stopped hard
/// by a trap from the epoch callback (guarded engine only). The <see cref="EpochTicker"/>
/// runs only while some call needs watching.</summary>
internal sealed unsafe class CallWatchdog
{
    /// <summary>How long code may leave a requested KeyboardInterrupt unraised (a C-level
    /// loop never reaching the interpreter's checks) before it is stopped hard.</summary>
    internal static readonly TimeSpan InterruptGrace = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a call may go on after Python raised the KeyboardInterrupt
    /// (unwinding, formatting the traceback, or code that catches it and carries on)
    /// before it is stopped hard: generous, since a loaded machine can make a first
    /// traceback take hundreds of milliseconds.</summary>
    internal static readonly TimeSpan RaisedGrace = TimeSpan.FromSeconds(2);

    /// <summary>How long start-up may take before it is stopped hard (guarded engine
    /// only). It takes ~20 ms and runs no user code, so this only ends a hang in CPython
    /// itself, such as 3.11's endless retry of an exception handler on MemoryError under
    /// a tight memory limit (since fixed by cpython-patches/oom-exception-unwind.patch).</summary>
    internal static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    private readonly bool _guarded;   // epoch checks compiled in: hard stops possible
    private readonly byte* _base;
    private long _startDeadline;      // Stopwatch timestamp while starting; 0 afterwards

    // Where an interrupt is written (bridge/interrupt.c): the thread state's
    // async_exc, the value to store there, the pending flag, the eval breaker.
    private uint _asyncExcAddress, _keyboardInterrupt, _asyncPendingAddress, _evalBreakerAddress;

    // The current call's state. _deadline, _hardStop and _raised are only touched by
    // the thread running the call (and its epoch callback); _interruptRequested,
    // _tickerHeld and _inCall also by Interrupt() from any thread.
    private long _deadline;           // Stopwatch timestamp; 0 = none
    private long _hardStop;           // when an ignored stop request becomes a trap
    private bool _raised;             // Python has taken the requested KeyboardInterrupt
    private volatile StopReason _stopReason; // the soft stop already requested, if any
    private int _interruptRequested;
    private int _tickerHeld;
    private volatile bool _inCall;    // an outermost call is running (for Interrupt)
    private volatile bool _dead;      // the instance trapped: its memory is not touched again

    /// <summary>The deadline of the current (or last) outermost call, in seconds.</summary>
    public double TimeoutSeconds { get; private set; }

    /// <summary>The soft stop requested of the current call, if any.</summary>
    public StopReason StopReason => _stopReason;

    /// <summary>Watches the start-up of an instance of <paramref name="store"/>, whose memory
    /// starts at <paramref name="memoryBase"/>.</summary>
    public CallWatchdog(Store store, Engine engine, bool guarded, byte* memoryBase)
    {
        _guarded = guarded;
        _base = memoryBase;
        if (!guarded) return;
        // The callback re-arms itself one epoch ahead, so it runs whenever the epoch
        // advances while wasm runs, and costs nothing otherwise.
        store.SetEpochDeadlineCallback(OnEpoch);
        store.SetEpochDeadline(1);
        // One epoch step at the start deadline reaches OnEpoch (StartWatch); the
        // ticker is not needed (and running it during start-up slowed every later
        // call by ~20 ns, measured with bench_abi).
        _startDeadline = Stopwatch.GetTimestamp() + (long)(StartTimeout.TotalSeconds * Stopwatch.Frequency);
        StartWatch.Begin(this, engine, _startDeadline);
    }

    /// <summary>Start-up is over (or failed): no start deadline any more.</summary>
    public void EndStart()
    {
        if (_startDeadline == 0) return;
        _startDeadline = 0;
        StartWatch.End(this);
    }

    /// <summary>Where to write an interrupt, as <c>pyn_interrupt_slots</c> reported them
    /// (already checked to lie in guest memory).</summary>
    public void SetInterruptSlots(uint asyncExc, uint keyboardInterrupt, uint asyncPending, uint evalBreaker) =>
        (_asyncExcAddress, _keyboardInterrupt, _asyncPendingAddress, _evalBreakerAddress) =
        (asyncExc, keyboardInterrupt, asyncPending, evalBreaker);

    /// <summary>The instance trapped: no soft stop is written to its memory any more.</summary>
    public void InstanceDied() => _dead = true;

    /// <summary>Starts watching an outermost call: with a timeout the epoch ticker runs for it.</summary>
    public void BeginCall(double timeoutSeconds)
    {
        _stopReason = StopReason.None;
        _hardStop = 0;
        _raised = false;
        Volatile.Write(ref _interruptRequested, 0);
        TimeoutSeconds = timeoutSeconds;
        _deadline = timeoutSeconds > 0 && timeoutSeconds < Limits.MaxTimeoutSeconds
            ? Stopwatch.GetTimestamp() + (long)(timeoutSeconds * Stopwatch.Frequency)
            : 0;
        _inCall = true;
        if (_deadline != 0) Watch();
    }

    /// <summary>Stops watching the outermost call. True if a stop was requested: the
    /// caller must then clear an interrupt that was not raised (<c>pyn_interrupt_clear</c>),
    /// so it cannot surface in the next call.</summary>
    public bool EndCall()
    {
        if (!_guarded) SoftStops.Remove(this); // after this the ticker no longer writes to us
        _inCall = false;
        _deadline = 0;
        // Read first: the exchange, an atomic operation, is only needed when a deadline
        // or an interrupt took the ticker (one taken after the read is let go at the
        // end of the next call, as one taken after the exchange would be).
        if (Volatile.Read(ref _tickerHeld) != 0 && Interlocked.Exchange(ref _tickerHeld, 0) != 0) EpochTicker.Release();
        bool stopped = _stopReason != StopReason.None;
        _stopReason = StopReason.None;
        return stopped;
    }

    /// <summary>From any thread: asks the running call to raise KeyboardInterrupt, and
    /// to be stopped hard if it does not within <see cref="InterruptGrace"/>.
    /// Does nothing when no call is running.</summary>
    public void Interrupt()
    {
        if (!_inCall) return;
        Volatile.Write(ref _interruptRequested, 1);
        Watch();
        if (_guarded) EpochTicker.Kick();
        else SoftStops.ServiceNow(this);
    }

    /// <summary>Why the call must stop now, if it must and has not been asked yet.</summary>
    private StopReason Due(long now) =>
        Volatile.Read(ref _interruptRequested) != 0 ? StopReason.Interrupt
        : _deadline != 0 && now >= _deadline ? StopReason.Timeout
        : StopReason.None;

    /// <summary>Keeps the ticker running for this call; an unguarded instance is also
    /// served by it (<see cref="ServiceSoftStop"/>), having no epoch callback.</summary>
    private void Watch()
    {
        if (Interlocked.CompareExchange(ref _tickerHeld, 1, 0) == 0) EpochTicker.Acquire();
        if (!_guarded) SoftStops.Add(this);
    }

    /// <summary>For an unguarded instance, on the ticker's thread (under the
    /// <see cref="SoftStops"/> lock, so never after <see cref="EndCall"/>): requests the
    /// KeyboardInterrupt when the deadline passes or an interrupt is pending, and
    /// re-asserts the eval breaker until Python takes it (the interpreter may have
    /// recomputed the breaker from flags it read just before).</summary>
    internal void ServiceSoftStop()
    {
        if (!_inCall || _dead) return;
        if (_stopReason == StopReason.None)
        {
            var reason = Due(Stopwatch.GetTimestamp());
            if (reason == StopReason.None) return;
            _stopReason = reason;
            RequestKeyboardInterrupt();
        }
        else if (Volatile.Read(ref *(uint*)(_base + _asyncExcAddress)) != 0)
        {
            Volatile.Write(ref *(int*)(_base + _evalBreakerAddress), 1);
        }
    }

    /// <summary>Stores a pending KeyboardInterrupt as PyThreadState_SetAsyncExc would
    /// (see bridge/interrupt.c); no guest code runs.</summary>
    private void RequestKeyboardInterrupt()
    {
        Volatile.Write(ref *(uint*)(_base + _asyncExcAddress), _keyboardInterrupt);
        Volatile.Write(ref *(int*)(_base + _asyncPendingAddress), 1);
        Volatile.Write(ref *(int*)(_base + _evalBreakerAddress), 1);
    }

    /// <summary>Runs on the executing thread whenever the epoch advances during wasm code.</summary>
    private ulong OnEpoch(Store store)
    {
        long now = Stopwatch.GetTimestamp();
        if (_startDeadline != 0)
        {
            // Starting: the interrupt addresses are not known yet, so only a hard stop.
            if (now >= _startDeadline) throw new HardStopException(StopReason.Timeout);
            return 1;
        }
        if (_stopReason == StopReason.None)
        {
            RequestStopIfDue(now);
        }
        else
        {
            if (!_raised && *(uint*)(_base + _asyncExcAddress) == 0)
            {
                // Python took the interrupt: give unwinding and reporting time.
                _raised = true;
                _hardStop = now + (long)(RaisedGrace.TotalSeconds * Stopwatch.Frequency);
            }
            if (now >= _hardStop) throw new HardStopException(_stopReason);
        }
        return 1;
    }

    /// <summary>On the executing thread of a guarded instance: when an interrupt is
    /// pending or the deadline has passed, first asks nicely (Python raises
    /// KeyboardInterrupt at its next check) and starts the grace before a hard stop.</summary>
    private void RequestStopIfDue(long now)
    {
        // Only inside a watched call: EndCall has already reset the stop reason when
        // pyn_interrupt_clear runs, and a KeyboardInterrupt stored during that call
        // would outlive it with no reference held for it (CPython would then free the
        // exception type once Python raised it twice).
        if (!_inCall) return;
        var reason = Due(now);
        if (reason == StopReason.None) return;
        _stopReason = reason;
        _hardStop = now + (long)(InterruptGrace.TotalSeconds * Stopwatch.Frequency);
        // No guest code may run here (see bridge/interrupt.c).
        RequestKeyboardInterrupt();
    }

    /// <summary>After an import that may have blocked (no epoch passes in host code): a
    /// stop that became due meanwhile is requested now, so Python raises it at once. An
    /// unguarded instance's ticker has requested it already.</summary>
    public void AfterBlockingImport()
    {
        if (_guarded && _stopReason == StopReason.None) RequestStopIfDue(Stopwatch.GetTimestamp());
    }

    /// <summary>Why a hard stop killed the runtime, for its death reason.</summary>
    public string HardStopReason(HardStopException stop)
    {
        string grace = _raised ? $"{RaisedGrace.TotalSeconds:0} s after the KeyboardInterrupt was raised" : $"{InterruptGrace.TotalMilliseconds:0} ms";
        return $"{HardStopWhat(stop)} and did not stop within {grace}; it was stopped mid-instruction";
    }

    /// <summary>What the call that was stopped hard did wrong.</summary>
    public string HardStopWhat(HardStopException stop) => stop.Reason == StopReason.Timeout
        ? $"the call exceeded its deadline of {TimeoutSeconds:0.###} s"
        : "the call was interrupted";
}
