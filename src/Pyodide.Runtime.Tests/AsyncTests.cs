using System.Diagnostics;
using Xunit.Abstractions;

namespace Pyodide.Tests;

/// <summary>Async Python driven from .NET: RunPythonAsync, RunPythonAsyncBlocking, RunPending,
/// Await/AwaitAsync, <c>await proxy</c>, Then/Catch/Finally, and host-completed futures
/// (CreateFuture/ResolveFuture/RejectFuture). Fresh runtimes: each test owns its event loop.
/// Timing bounds are generous (the machine is shared).</summary>
public sealed class AsyncTests
{
    [Fact]
    public async Task FinishedTasksLeaveAsyncioTaskSet()
    {
        // asyncio keeps its tasks in a WeakSet, which finds a dead task's entry by the
        // weakref's cached hash: each finished call's task must leave it, silently.
        var errors = new List<string>();
        using var py = Runtimes.Load(new PyodideOptions
        {
            Stdout = _ => { },
            Stderr = utf8 => { lock (errors) errors.Add(System.Text.Encoding.UTF8.GetString(utf8)); },
        });
        for (int i = 0; i < 50; i++) Expect.Long(i, await py.RunPythonAsync($"import asyncio\nawait asyncio.sleep(0)\n{i}"));
        Assert.True(py.RunPython<long>("import gc; gc.collect(); len(asyncio.tasks._all_tasks)") <= 1);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task RunInExecutorCallsTheFunctionAtOnceAsPyodidesLoopDoes()
    {
        // The sandbox has one thread: loop.run_in_executor runs the function when called and
        // returns its settled future, whatever the executor (Pyodide's WebLoop does the same),
        // so asyncio.to_thread and asyncio's name lookups work, in a host-driven call and
        // inside asyncio.run alike; an exception is the future's, as a worker's would be.
        using var py = Runtimes.LoadQuiet();
        py.RunPython("""
            import asyncio, concurrent.futures, contextvars, socket
            where = contextvars.ContextVar('where', default='unset')
            def work(a, b=1):
                return f'{a * b} {where.get()}'
            def fail():
                raise KeyError('inside')
            async def main():
                where.set('copied')
                loop = asyncio.get_running_loop()
                order = []
                future = loop.run_in_executor(None, lambda: order.append('ran') or 'direct')
                order.append('returned')
                results = [await future, ''.join(order), await asyncio.to_thread(work, 6, b=7)]
                with concurrent.futures.ThreadPoolExecutor(2) as executor:
                    results.append(await loop.run_in_executor(executor, work, 3))
                try:
                    await asyncio.to_thread(fail)
                except KeyError as e:
                    results.append(f'KeyError {e}')
                try:
                    await loop.getaddrinfo('example.com', 80)
                except socket.gaierror as e:
                    results.append(type(e).__name__)
                return ' | '.join(results)
            """);
        const string expected = "direct | ranreturned | 42 copied | 3 copied | KeyError 'inside' | gaierror";
        Expect.Str(expected, await py.RunPythonAsync("await main()"));
        Expect.Str(expected, py.RunPython("asyncio.run(main())"));
    }

    [Fact]
    public async Task RunPythonAsyncReturnsFinalValue()
    {
        using var py = Runtimes.LoadQuiet();
        Expect.Long(42, await py.RunPythonAsync("import asyncio\nawait asyncio.sleep(0.01)\nx = 6\nx * 7"));
        Expect.Long(3, await py.RunPythonAsync("1 + 2"));
        Expect.Str("done", await py.RunPythonAsync("await asyncio.sleep(0)\n'done'"));
        Assert.Null(await py.RunPythonAsync("y = 5"));
        using (var list = Expect.Proxy(await py.RunPythonAsync("await asyncio.sleep(0)\n[1, 2]")))
            Assert.Equal(2, list.Length);
        using (var scope = Expect.Proxy(py.RunPython("{'base': 10, 'asyncio': asyncio}")))
            Expect.Long(11, await py.RunPythonAsync("await asyncio.sleep(0)\nbase + 1", scope));
        var e = await Assert.ThrowsAsync<PythonException>(() => py.RunPythonAsync("await asyncio.sleep(0)\n1 / 0"));
        Assert.Equal("ZeroDivisionError", e.PythonType);
        Assert.Equal("SyntaxError", (await Assert.ThrowsAsync<PythonException>(() => py.RunPythonAsync("await ("))).PythonType);
        Expect.Long(8, await py.RunPythonAsync("await asyncio.sleep(0)\n8"));
    }

    [Fact]
    public void RunPythonAsyncBlocking()
    {
        using var py = Runtimes.LoadQuiet();
        var clock = Stopwatch.StartNew();
        Expect.Long(5, py.RunPythonAsyncBlocking("import asyncio\nawait asyncio.sleep(0.05)\n5"));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(45), $"{clock.Elapsed.TotalMilliseconds} ms");
        // gather interleaves: every task starts its sleep before any ends (the
        // order shows it; a duration would depend on the machine's load).
        Expect.Str("s1 s2 s3 e1 e2 e3", py.RunPythonAsyncBlocking("""
            log = []
            async def t(i):
                log.append(f's{i}')
                await asyncio.sleep(0.05)
                log.append(f'e{i}')
                return i
            assert await asyncio.gather(t(1), t(2), t(3)) == [1, 2, 3]
            ' '.join(log)
            """));
        // A timeout: LIMIT, and the code is cancelled, with the future it awaited
        // (asyncio cancels what a cancelled task waits on), so nothing runs on later.
        var e = Assert.Throws<PyodideException>(() => py.RunPythonAsyncBlocking(
            "gate = asyncio.get_event_loop().create_future()\nawait gate", timeout: TimeSpan.FromMilliseconds(100)));
        Assert.Equal(PyodideErrorKind.Limit, e.Kind);
        Assert.Equal(true, py.RunPython("gate.cancelled()"));
    }

    [Fact]
    public async Task AwaitProxy()
    {
        using var py = Runtimes.LoadQuiet();
        py.RunPython("import asyncio\nasync def f(x):\n    await asyncio.sleep(0.01)\n    return x * 2");
        using (var coro = Expect.Proxy(py.RunPython("f(21)")))
            Expect.Long(42, await coro);
        using (var task = Expect.Proxy(py.RunPython("asyncio.ensure_future(f(5))")))
        {
            Expect.Long(10, await task);
            Expect.Long(10, await task); // a done task again
        }
        using (var fut = Expect.Proxy(py.RunPython("""
                   loop = asyncio.get_event_loop()
                   fut = loop.create_future()
                   loop.call_later(0.02, fut.set_result, 'done')
                   fut
                   """)))
            Expect.Str("done", await fut);
        using (var bad = Expect.Proxy(py.RunPython("async def bad():\n    await asyncio.sleep(0)\n    raise KeyError('the-key')\nbad()")))
        {
            var e = await Assert.ThrowsAsync<PythonException>(async () => await bad);
            Assert.Equal("KeyError", e.PythonType);
            Assert.Contains("the-key", e.Traceback);
        }
        using (var obj = Expect.Proxy(py.RunPython("object()")))
            Assert.Equal("TypeError", (await Assert.ThrowsAsync<PythonException>(async () => await obj)).PythonType);
        using (var coro = Expect.Proxy(py.RunPython("f(4)")))
            Expect.Long(8, py.Await(coro));
        using (var obj = Expect.Proxy(py.RunPython("[1]")))
            Assert.Equal("TypeError", Assert.Throws<PythonException>(() => py.Await(obj)).PythonType);
    }

    [Fact]
    public async Task AwaitTimeoutAndCancellationLeaveTheFuturePending()
    {
        using var py = Runtimes.LoadQuiet();
        using var fut = py.CreateFuture();
        py.Globals["fut"] = fut;
        var clock = Stopwatch.StartNew();
        var limit = Assert.Throws<PyodideException>(() => py.Await(fut, TimeSpan.FromMilliseconds(100)));
        Assert.Equal(PyodideErrorKind.Limit, limit.Kind);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(90), $"{clock.Elapsed.TotalMilliseconds} ms");
        limit = await Assert.ThrowsAsync<PyodideException>(() => py.AwaitAsync(fut, TimeSpan.FromMilliseconds(50)));
        Assert.Equal(PyodideErrorKind.Limit, limit.Kind);
        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
        {
            clock.Restart();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => py.AwaitAsync(fut, cancel: cancel.Token));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"cancellation took {clock.Elapsed.TotalMilliseconds} ms");
        }
        Assert.Equal(true, py.RunPython("not fut.done() and not fut.cancelled()"));
        // Still awaitable: complete it, await again.
        py.ResolveFuture(fut, 5);
        Expect.Long(5, await py.AwaitAsync(fut, TimeSpan.FromSeconds(5)));
        Expect.Long(5, await fut);
        // Cancelling RunPythonAsync.
        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(
                () => py.RunPythonAsync("import asyncio\nawait asyncio.get_event_loop().create_future()", cancel: cancel.Token));
        Expect.Long(1, await py.RunPythonAsync("await asyncio.sleep(0)\n1"));
    }

    [Fact]
    public void RunPending()
    {
        using var py = Runtimes.LoadQuiet();
        Assert.True(py.RunPending(TimeSpan.Zero));
        py.RunPython("""
            import asyncio
            loop = asyncio.get_event_loop()
            log = []
            loop.call_soon(log.append, 'soon')
            loop.call_later(0.5, log.append, 'later')
            """);
        Assert.Equal(true, py.RunPython("log == []"));
        Assert.False(py.RunPending(TimeSpan.Zero));
        Assert.Equal(true, py.RunPython("log == ['soon']"));
        // A 20 ms budget returns before the 500 ms timer is due: false (work is
        // left) and the timer has not run. The bound only catches a hang.
        var clock = Stopwatch.StartNew();
        Assert.False(py.RunPending(TimeSpan.FromMilliseconds(20)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"{clock.Elapsed.TotalMilliseconds} ms");
        Assert.Equal(true, py.RunPython("log == ['soon']"));
        Assert.True(py.RunPending(TimeSpan.FromSeconds(10)));
        Assert.Equal(true, py.RunPython("log == ['soon', 'later']"));
        py.RunPython("""
            async def t():
                loop = asyncio.get_running_loop()
                loop.call_later(0.03, log.append, 'c')
                loop.call_later(0.01, log.append, 'a')
                loop.call_later(0.02, log.append, 'b')
                loop.call_soon(log.append, 's')
                await asyncio.sleep(0.04)
                log.append('done')
            task = asyncio.ensure_future(t())
            """);
        Assert.True(py.RunPending());
        Assert.Equal(true, py.RunPython("log[2:] == ['s', 'a', 'b', 'c', 'done'] and task.done()"));
    }

    [Fact]
    public async Task ThenCatchFinally()
    {
        using var py = Runtimes.LoadQuiet();
        // then chains.
        using var fut = py.CreateFuture();
        int thenCalls = 0;
        using var doubled = fut.Then(x => { thenCalls++; return (long)x! * 2; });
        using var plusOne = doubled.Then(x => (long)x! + 1);
        py.ResolveFuture(fut, 20);
        Assert.Equal(0, thenCalls); // runs when the loop runs
        Expect.Long(41, await plusOne);
        Expect.Long(40, await doubled);
        Assert.Equal(1, thenCalls);
        // catch receives the exception as a proxy.
        using var failing = py.CreateFuture();
        string? caughtType = null;
        using var caught = failing.Catch(e => { caughtType = e.TypeName; return 7; });
        py.RejectFuture(failing, "KeyError", "k");
        Expect.Long(7, await caught);
        Assert.Equal("KeyError", caughtType);
        // catch passes success through; then passes failure through.
        using var ok = py.CreateFuture();
        int catchCalls = 0;
        using var passed = ok.Catch(_ => { catchCalls++; return 0; });
        py.ResolveFuture(ok, 3);
        Expect.Long(3, await passed);
        Assert.Equal(0, catchCalls);
        using var failing2 = py.CreateFuture();
        using var notCalled = failing2.Then(_ => { thenCalls++; return 0; });
        py.RejectFuture(failing2, "OSError", "io");
        Assert.Equal("OSError", (await Assert.ThrowsAsync<PythonException>(async () => await notCalled)).PythonType);
        Assert.Equal(1, thenCalls);
        // finally runs on success and on failure; the outcome passes through.
        int finallyCalls = 0;
        using var good = py.CreateFuture();
        using var goodFinally = good.Finally(() => finallyCalls++);
        py.ResolveFuture(good, "v");
        Expect.Str("v", await goodFinally);
        using var bad = py.CreateFuture();
        using var badFinally = bad.Finally(() => finallyCalls++);
        py.RejectFuture(bad, "ValueError", "bad");
        Assert.Equal("ValueError", (await Assert.ThrowsAsync<PythonException>(async () => await badFinally)).PythonType);
        Assert.Equal(2, finallyCalls);
        // then on a coroutine, driven by RunPending.
        using var coro = Expect.Proxy(py.RunPython("import asyncio\nasync def f():\n    await asyncio.sleep(0.01)\n    return 21\nf()"));
        using var fromCoro = coro.Then(x => (long)x! * 2);
        Assert.True(py.RunPending());
        Expect.Long(42, py.Await(fromCoro, TimeSpan.Zero));
    }

    /// <summary>A callback's exception fails the chained future with that Python exception
    /// (as a host module function's does), in a runtime that registered no host module.</summary>
    [Fact]
    public async Task ThenCallbackExceptionFailsTheChain()
    {
        using var py = Runtimes.LoadQuiet();
        using var fut = py.CreateFuture();
        using var chained = fut.Then(_ => throw new PythonException("ValueError", "nope"));
        using var after = chained.Then(_ => 0);
        py.ResolveFuture(fut, 1);
        var e = await Assert.ThrowsAsync<PythonException>(async () => await chained);
        Assert.Equal("ValueError", e.PythonType);
        Assert.Contains("nope", e.Traceback);
        Assert.Equal("ValueError", (await Assert.ThrowsAsync<PythonException>(async () => await after)).PythonType);
        using var fut2 = py.CreateFuture();
        using var finallyFails = fut2.Finally(() => throw new InvalidOperationException("cleanup failed"));
        py.ResolveFuture(fut2, 1);
        e = await Assert.ThrowsAsync<PythonException>(async () => await finallyFails);
        Assert.Equal("RuntimeError", e.PythonType);
        Assert.Contains("cleanup failed", e.Traceback);
    }

    [Fact]
    public async Task FuturesCompletedFromAnotherThread()
    {
        using var py = Runtimes.LoadQuiet();
        // Resolved.
        using var fut = py.CreateFuture();
        var resolver = new Thread(() =>
        {
            Thread.Sleep(30);
            py.ResolveFuture(fut, "payload");
        });
        var clock = Stopwatch.StartNew();
        resolver.Start();
        Expect.Str("payload", await py.AwaitAsync(fut, TimeSpan.FromSeconds(10)));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(25));
        resolver.Join();
        // Rejected.
        using var fut2 = py.CreateFuture();
        var rejecter = new Thread(() =>
        {
            Thread.Sleep(30);
            py.RejectFuture(fut2, "KeyError", "x");
        });
        rejecter.Start();
        var e = Assert.Throws<PythonException>(() => py.Await(fut2, TimeSpan.FromSeconds(10)));
        Assert.Equal("KeyError", e.PythonType);
        rejecter.Join();
        // A host function returning a future that another thread completes: Python awaits host work.
        var threads = new List<Thread>();
        var futures = new List<PyProxy>();
        py.RegisterModule("netasync", new Dictionary<string, PyodideHostFunction>
        {
            ["fetch"] = args =>
            {
                var f = py.CreateFuture();
                futures.Add(f);
                bool reject = args.Length > 0 && (bool)args[0]!;
                var t = new Thread(() =>
                {
                    Thread.Sleep(30);
                    if (reject) py.RejectFuture(f, "KeyError", "x");
                    else py.ResolveFuture(f, new List<object?> { "payload", 30 });
                });
                threads.Add(t);
                t.Start();
                return f;
            },
        });
        Assert.Equal(true, await py.RunPythonAsync("import netasync\n(await netasync.fetch()) == ['payload', 30]"));
        Expect.Str("KeyError('x')", await py.RunPythonAsync("""
            try:
                await netasync.fetch(True)
                r = 'no exception'
            except KeyError as e:
                r = repr(e)
            r
            """));
        Assert.Equal("KeyError", (await Assert.ThrowsAsync<PythonException>(() => py.RunPythonAsync("await netasync.fetch(True)"))).PythonType);
        Assert.Equal("FetchFailed", (await Assert.ThrowsAsync<PythonException>(async () =>
        {
            using var f = py.CreateFuture();
            py.RejectFuture(f, "FetchFailed", "y");
            await f;
        })).PythonType);
        threads.ForEach(t => t.Join());
        futures.ForEach(f => f.Dispose());
        // Resolving a done future: InvalidStateError.
        Assert.Equal("InvalidStateError", Assert.Throws<PythonException>(() => py.ResolveFuture(fut, 1)).PythonType);
    }

    [Fact]
    public void AsyncioRunInsideRunPython()
    {
        using var py = Runtimes.LoadQuiet();
        Expect.Long(5, py.RunPython("""
            import asyncio
            async def main():
                await asyncio.sleep(0.02)
                return 5
            asyncio.run(main())
            """));
        Expect.Long(6, py.RunPythonAsyncBlocking("await asyncio.sleep(0)\n6"));
        Expect.Long(5, py.RunPython("asyncio.run(main())"));
    }

    [Fact]
    public async Task DeadlineStopsABusyLoop()
    {
        using var py = Runtimes.LoadQuiet();
        py.RunPython("import asyncio");
        py.Timeout = TimeSpan.FromSeconds(0.3);
        var clock = Stopwatch.StartNew();
        var e = Assert.ThrowsAny<PyodideException>(() => py.RunPythonAsyncBlocking("while True:\n    await asyncio.sleep(0)"));
        Assert.Equal(PyodideErrorKind.Limit, e.Kind);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));
        py.Timeout = null;
        Expect.Long(42, py.RunPython("6 * 7"));
        // Per step: a slow, idle await is not stopped by the deadline. (The event
        // loop is set up first, without a deadline: on a loaded machine setting it
        // up can itself take longer than 0.3 s.)
        using var fresh = Runtimes.LoadQuiet();
        fresh.RunPythonAsyncBlocking("import asyncio\nawait asyncio.sleep(0)");
        fresh.Timeout = TimeSpan.FromSeconds(0.3);
        Expect.Long(3, await fresh.RunPythonAsync("for _ in range(5):\n    await asyncio.sleep(0.1)\n3"));
    }
}

/// <summary>CPU use while asleep: alone (no parallel test adds CPU to the process)
/// and measured on the thread that drives the wait.</summary>
[Collection(SerialCollection.Name)]
public sealed class AsyncSleepTests(ITestOutputHelper output)
{
    [Fact]
    public void SleepBurnsNoCpu()
    {
        using var py = Runtimes.LoadQuiet();
        py.RunPythonAsyncBlocking("import asyncio\nawait asyncio.sleep(0.001)");
        // RunPythonAsyncBlocking drives the loop and waits on the calling thread.
        var cpu0 = ThreadCpu.Now();
        var clock = Stopwatch.StartNew();
        py.RunPythonAsyncBlocking("await asyncio.sleep(0.3)");
        var wall = clock.Elapsed;
        var cpu = ThreadCpu.Now() - cpu0;
        output.WriteLine($"sleep(0.3): {wall.TotalMilliseconds:0.0} ms wall, {cpu.TotalMilliseconds:0.0} ms CPU (this thread)");
        Assert.True(wall >= TimeSpan.FromMilliseconds(290));
        // As native-tests' async_sleep_waits_without_burning_cpu: a busy wait
        // would use about as much CPU as wall time.
        Assert.True(cpu < wall * 0.25, $"{cpu.TotalMilliseconds} ms CPU in {wall.TotalMilliseconds} ms");
    }
}
