using System.Diagnostics;

namespace Pyodide.Guest;

/// <summary>One instance's real-time interval timer (Python's <c>signal.setitimer</c> with
/// ITIMER_REAL, and <c>signal.alarm</c>; bridge/timers.c): when it expires, on a thread-pool
/// thread, <see cref="Expired"/> delivers SIGALRM. Disposing it waits out a delivery in
/// progress, so none touches the instance's memory afterwards.</summary>
internal sealed class GuestTimer(Action expired) : IDisposable
{
    /// <summary>SIGALRM, Linux's number.</summary>
    public const int AlarmSignal = 14;

    private readonly Lock _gate = new();
    private readonly Action _expired = expired;
    private Timer? _timer;
    private long _due;       // Stopwatch timestamp of the next expiry; 0 = not armed
    private long _interval;  // Stopwatch ticks between expiries; 0 = once
    private bool _disposed;

    /// <summary>Whether the timer is armed.</summary>
    public bool Armed
    {
        get { lock (_gate) return _due != 0; }
    }

    /// <summary>Arms the timer to expire in <paramref name="value"/> microseconds and then every
    /// <paramref name="interval"/> (0: once), or disarms it (a value of 0); a negative value
    /// only reads it. Returns what was left of it and its interval, in microseconds.</summary>
    public (long Value, long Interval) Set(long value, long interval)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            long now = Stopwatch.GetTimestamp();
            var old = (_due == 0 ? 0 : Math.Max(1, Microseconds(_due - now)), Microseconds(_interval));
            if (value < 0) return old;
            // As Linux's: a disarmed timer keeps no interval.
            _interval = value > 0 ? Ticks(interval) : 0;
            _due = value > 0 ? now + Ticks(value) : 0;
            Schedule(now);
            return old;
        }
    }

    private void Expired(object? state)
    {
        lock (_gate)
        {
            if (_disposed || _due == 0) return;
            long now = Stopwatch.GetTimestamp();
            if (now < _due)
            {
                Schedule(now); // the system timer woke a little early
                return;
            }
            // The next expiry keeps to the interval's beat; one missed whole is skipped.
            _due = _interval == 0 ? 0 : _due + _interval > now ? _due + _interval : now + _interval;
            Schedule(now);
            // Inside the lock: Dispose (before the instance's memory goes) waits for it.
            _expired();
        }
    }

    private void Schedule(long now)
    {
        if (_due == 0)
        {
            _timer?.Change(Timeout.Infinite, Timeout.Infinite);
            return;
        }
        _timer ??= new Timer(Expired);
        double milliseconds = Math.Ceiling((_due - now) * 1000.0 / Stopwatch.Frequency);
        _timer.Change((long)Math.Clamp(milliseconds, 0, uint.MaxValue - 2.0), Timeout.Infinite);
    }

    // Bounded so that a due time (now + ticks) cannot overflow: alarm's largest, 2^32 - 1 s, fits.
    private static long Ticks(long microseconds) =>
        (long)Math.Min(microseconds * (double)Stopwatch.Frequency / 1e6, long.MaxValue / 2.0);

    private static long Microseconds(long ticks) => (long)Math.Ceiling(ticks * 1e6 / Stopwatch.Frequency);

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _due = 0;
            _timer?.Dispose();
        }
    }
}
