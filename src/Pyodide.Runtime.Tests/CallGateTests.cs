namespace Pyodide.Tests;

/// <summary>The runtime's lock (CallGate.cs): exclusive, re-entrant, and no waiter is
/// left asleep when it is let go.</summary>
public sealed class CallGateTests
{
    [Fact]
    public void ThreadsTakeTurnsAndReenter()
    {
        var gate = new CallGate();
        long counter = 0; // a plain field: lost updates would show a missing exclusion
        int inside = 0, overlaps = 0;
        const int Threads = 6, Rounds = 20_000;
        var threads = Enumerable.Range(0, Threads).Select(_ => new Thread(() =>
        {
            for (int i = 0; i < Rounds; i++)
            {
                gate.Enter();
                if (Interlocked.Increment(ref inside) != 1) Interlocked.Increment(ref overlaps);
                gate.Enter(); // re-entry, as a host function calling back in
                Assert.True(gate.IsHeldByCurrentThread);
                counter++;
                gate.Exit();
                Assert.True(gate.IsHeldByCurrentThread);
                // Now and then hold it long enough for the others to fall asleep.
                if (i % 2_000 == 0) Thread.Sleep(1);
                Interlocked.Decrement(ref inside);
                gate.Exit();
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        foreach (var t in threads) Assert.True(t.Join(TimeSpan.FromSeconds(60)), "a thread never got the gate");
        Assert.Equal(0, overlaps);
        Assert.Equal((long)Threads * Rounds, counter);
        Assert.False(gate.IsHeldByCurrentThread);
    }

    [Fact]
    public void TryEnterFailsOnlyWhileAnotherThreadHoldsIt()
    {
        var gate = new CallGate();
        Assert.True(gate.TryEnter());
        Assert.True(gate.TryEnter()); // the holder may re-enter
        bool other = true;
        var t = new Thread(() => other = gate.TryEnter());
        t.Start();
        t.Join();
        Assert.False(other);
        gate.Exit();
        gate.Exit();
        t = new Thread(() => { other = gate.TryEnter(); if (other) gate.Exit(); });
        t.Start();
        t.Join();
        Assert.True(other);
    }
}
