package pyodide

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunPythonAsyncAwaitsAtTopLevel(t *testing.T) {
	py := load(t, nil)
	t0 := time.Now()
	v, err := py.RunPythonAsync("import asyncio\nawait asyncio.sleep(0.02)\n6 * 7")
	if err != nil || v != int64(42) {
		t.Fatalf("got %#v, %v", v, err)
	}
	if time.Since(t0) < 18*time.Millisecond {
		t.Fatal("did not wait for the sleep")
	}
	g := proxy(t, py, "{}")
	if _, err := py.RunPythonAsyncIn("import asyncio\nx = await asyncio.sleep(0, 'in globals')", g); err != nil {
		t.Fatal(err)
	}
	if v := must(g.Get("x")); v != "in globals" {
		t.Fatalf("got %#v", v)
	}
	_, err = py.RunPythonAsync("await missing()")
	expectPython(t, err, "NameError")
	_, err = py.RunPythonAsyncIn("1", nil)
	expectKind(t, err, KindUsage)
}

func TestRunPendingDrivesTasks(t *testing.T) {
	py := load(t, nil)
	run(t, py, "import asyncio\nlog = []\nasync def step():\n    log.append(1)\n    await asyncio.sleep(0.01)\n    log.append(2)\nt = asyncio.ensure_future(step())")
	idle, err := py.RunPending(0)
	if err != nil || idle {
		t.Fatalf("idle %v, %v", idle, err)
	}
	if v := run(t, py, "log == [1]"); v != true {
		t.Fatal("the ready half did not run")
	}
	idle, err = py.RunPending(-1)
	if err != nil || !idle {
		t.Fatalf("idle %v, %v", idle, err)
	}
	if v := run(t, py, "log == [1, 2] and t.done()"); v != true {
		t.Fatal("the task did not finish")
	}
}

func TestAwaitResultsErrorsAndTimeout(t *testing.T) {
	py := load(t, nil)
	coro := proxy(t, py, "import asyncio\nasync def f(x):\n    await asyncio.sleep(0)\n    return x * 2\nf(21)")
	if v, err := coro.Await(-1); err != nil || v != int64(42) {
		t.Fatalf("got %#v, %v", v, err)
	}
	failing := proxy(t, py, "async def g():\n    raise KeyError('k')\ng()")
	_, err := failing.Await(-1)
	expectPython(t, err, "KeyError")
	slow := proxy(t, py, "asyncio.ensure_future(asyncio.sleep(5))")
	_, err = slow.Await(20 * time.Millisecond)
	expectKind(t, err, KindLimit)
	notAwaitable := proxy(t, py, "[1]")
	_, err = notAwaitable.Await(-1)
	expectPython(t, err, "TypeError")
}

func TestThenCatchFinally(t *testing.T) {
	py := load(t, nil)
	run(t, py, "import asyncio\nasync def f():\n    return 20\nasync def g():\n    raise KeyError('k')")
	doubled := must(proxy(t, py, "f()").Then(func(v any) (any, error) { return v.(int64) * 2, nil }))
	defer doubled.Close()
	// The callback may call back into the runtime.
	plus := must(doubled.Then(func(v any) (any, error) { return py.RunPython(fmt.Sprintf("%d + 2", v)) }))
	defer plus.Close()
	if v, err := plus.Await(-1); err != nil || v != int64(42) {
		t.Fatalf("got %#v, %v", v, err)
	}
	// An error or a panic in the callback fails the chain.
	bad := must(proxy(t, py, "f()").Then(func(any) (any, error) { return nil, PythonError("ValueError", "nope") }))
	defer bad.Close()
	_, err := bad.Await(-1)
	expectPython(t, err, "ValueError")
	boom := must(proxy(t, py, "f()").Then(func(any) (any, error) { panic("then bug") }))
	defer boom.Close()
	_, err = boom.Await(-1)
	expectPython(t, err, "RuntimeError")
	if !strings.Contains(err.Error(), "then bug") {
		t.Fatal(err)
	}
	// A failure skips Then and reaches Catch, with the exception.
	called := false
	skipped := must(proxy(t, py, "g()").Then(func(any) (any, error) { called = true; return nil, nil }))
	defer skipped.Close()
	caught := must(skipped.Catch(func(e any) (any, error) { return e.(*Proxy).Type() }))
	defer caught.Close()
	if v, err := caught.Await(-1); err != nil || v != "KeyError" {
		t.Fatalf("got %#v, %v", v, err)
	}
	if called {
		t.Fatal("Then ran on a failure")
	}
	// Finally runs either way and passes the outcome on.
	ran := 0
	fin := must(proxy(t, py, "f()").Finally(func() error { ran++; return nil }))
	defer fin.Close()
	if v, err := fin.Await(-1); err != nil || v != int64(20) || ran != 1 {
		t.Fatalf("got %#v, %v, ran %d", v, err, ran)
	}
	finErr := must(proxy(t, py, "f()").Finally(func() error { return PythonError("OSError", "cleanup failed") }))
	defer finErr.Close()
	_, err = finErr.Await(-1)
	expectPython(t, err, "OSError")
	// Bad input.
	_, err = proxy(t, py, "f()").Then(nil)
	expectKind(t, err, KindUsage)
	_, err = proxy(t, py, "[1]").Then(func(any) (any, error) { return nil, nil })
	if k := KindOf(err); k != KindPython && k != KindUsage {
		t.Fatalf("Then on a list: %#v", err)
	}
}

func TestCallbacksAreReleasedOnceSettledOrWithTheRuntime(t *testing.T) {
	py := load(t, nil)
	start := handlesReleased.Load()
	next := must(proxy(t, py, "import asyncio\nasync def f():\n    return 1\nf()").Then(func(v any) (any, error) { return v, nil }))
	defer next.Close()
	if _, err := next.Await(-1); err != nil {
		t.Fatal(err)
	}
	if got := handlesReleased.Load() - start; got != 1 {
		t.Fatalf("released %d after settling", got)
	}
	// Never settled, and Python keeps the future: released by Close.
	never := must(proxy(t, py, "kept = asyncio.get_event_loop().create_future()\nkept").Then(func(any) (any, error) { return nil, nil }))
	never.Close()
	if got := handlesReleased.Load() - start; got != 1 {
		t.Fatalf("released %d before Close", got)
	}
	py.Close()
	if got := handlesReleased.Load() - start; got != 2 {
		t.Fatalf("released %d after Close", got)
	}
}

func TestHostFutureResolvedFromAnotherGoroutine(t *testing.T) {
	py := load(t, nil)
	var wg sync.WaitGroup
	var secondResolve atomic.Value
	err := py.RegisterModule("hostasync", map[string]any{
		"fetch": Func(func(args ...any) (any, error) {
			fut, err := py.NewFuture()
			if err != nil {
				return nil, err
			}
			fail := len(args) > 0 && args[0] == true
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer fut.Close()
				time.Sleep(20 * time.Millisecond)
				if fail {
					fut.Reject(PythonError("KeyError", "gone"))
				} else {
					fut.Resolve([]any{"payload", 30})
				}
				secondResolve.Store(fut.Resolve(1))
			}()
			return fut, nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	v, err := py.RunPythonAsync("import hostasync\nv = await hostasync.fetch()\nv == ['payload', 30]")
	if err != nil || v != true {
		t.Fatalf("got %#v, %v", v, err)
	}
	if time.Since(t0) < 18*time.Millisecond {
		t.Fatal("did not wait for the future")
	}
	v, err = py.RunPythonAsync("try:\n    await hostasync.fetch(True)\nexcept KeyError as e:\n    r = repr(e)\nr")
	if err != nil || v != "KeyError('gone')" {
		t.Fatalf("got %#v, %v", v, err)
	}
	wg.Wait()
	expectPython(t, secondResolve.Load().(error), "InvalidStateError")
}

func TestAsyncOnAClosedRuntime(t *testing.T) {
	py := load(t, nil)
	fut := must(py.NewFuture())
	py.Close()
	_, err := py.RunPythonAsync("1")
	expectKind(t, err, KindUsage)
	_, err = py.RunPending(0)
	expectKind(t, err, KindUsage)
	_, err = py.NewFuture()
	expectKind(t, err, KindUsage)
	expectKind(t, fut.Resolve(1), KindUsage)
	expectKind(t, fut.Reject(PythonError("ValueError", "x")), KindUsage)
	_, err = fut.Await(-1)
	expectKind(t, err, KindUsage)
	_, err = fut.Then(func(any) (any, error) { return nil, nil })
	expectKind(t, err, KindUsage)
	fut.Close()
	expectKind(t, fut.Resolve(1), KindUsage)
	expectKind(t, fut.Reject(nil), KindUsage)
}
