package pyodide

// #include <stdlib.h>
// #include "pyodide.h"
// #include "helpers.h"
import "C"

import (
	"runtime"
	"runtime/cgo"
	"time"
	"unsafe"
)

// seconds is a duration for the C ABI, where a negative one means no limit.
func seconds(d time.Duration) C.double {
	if d < 0 {
		return -1
	}
	return C.double(d.Seconds())
}

func (r *Runtime) runAsync(code string, globals *Proxy) (any, error) {
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer r.leave()
	var g *C.pyproxy_t
	if globals != nil {
		var err error
		if g, err = globals.handle(); err != nil {
			return nil, err
		}
	}
	var a arena
	defer a.free()
	ccode, n := a.cname(code)
	out := a.values(1)
	err := takeError(C.pyodide_run_python_async(r.c, ccode, n, g, out))
	runtime.KeepAlive(globals)
	if err != nil {
		return nil, err
	}
	return r.takeValue(out)
}

// RunPythonAsync runs Python source with top-level await, as Pyodide's
// runPythonAsync, driving the event loop until it and everything it awaits
// has completed: the final expression's value. It blocks; the runtime's
// deadline bounds the whole call, and Interrupt ends it with a Python
// KeyboardInterrupt, also while it waits.
func (r *Runtime) RunPythonAsync(code string) (any, error) {
	return r.runAsync(code, nil)
}

// RunPythonAsyncIn is RunPythonAsync with globals (a proxy of a dict).
func (r *Runtime) RunPythonAsyncIn(code string, globals *Proxy) (any, error) {
	if globals == nil {
		return nil, usageError("RunPythonAsyncIn: globals is nil")
	}
	return r.runAsync(code, globals)
}

// RunPending drives the event loop (pyodide_run_pending): it runs ready
// callbacks and due timers, waiting for timers up to timeout (0: only what
// is ready now; negative: until nothing is scheduled). idle tells whether
// the loop went idle rather than running out of time.
func (r *Runtime) RunPending(timeout time.Duration) (idle bool, err error) {
	if err := r.enter(); err != nil {
		return false, err
	}
	defer r.leave()
	out := (*C.bool)(C.malloc(C.size_t(unsafe.Sizeof(C.bool(false)))))
	defer C.free(unsafe.Pointer(out))
	err = takeError(C.pyodide_run_pending(r.c, seconds(timeout), out))
	return bool(*out), err
}

// Await waits for the awaitable (a coroutine, task or future) while driving
// the event loop (pyodide_await), for up to timeout (negative: no limit):
// its result, or its exception as a Python error. Past the timeout a
// KindLimit error, and the awaitable stays pending.
func (p *Proxy) Await(timeout time.Duration) (any, error) {
	return p.doValue(func(h *C.pyproxy_t, a *arena, out *C.pyodide_value_t) (*C.pyodide_error_t, error) {
		return C.pyodide_await(p.rt.c, h, seconds(timeout), out), nil
	})
}

func (p *Proxy) chain(which C.int, fn Func) (*Proxy, error) {
	cb := &hostCallback{hostCall: hostCall{rt: p.rt}, fn: fn}
	return p.doProxy(func(h *C.pyproxy_t, out **C.pyproxy_t) *C.pyodide_error_t {
		handle := cgo.NewHandle(cb)
		cerr := C.pgo_chain(which, h, C.uintptr_t(handle), out)
		if cerr != nil {
			// A failed call never calls the finalizer.
			handle.Delete()
		}
		return cerr
	})
}

// Then is Pyodide's PyProxy.then (pyproxy_then): a new future that settles
// with fn's result, fn being called with the awaitable's result when the
// event loop runs. If the awaitable fails, the new future fails the same
// way and fn is not called; an error fn returns (or a panic) fails the new
// future. See Func for arguments, results and errors.
func (p *Proxy) Then(fn func(value any) (any, error)) (*Proxy, error) {
	if fn == nil {
		return nil, usageError("Then: fn is nil")
	}
	return p.chain(C.PGO_THEN, func(args ...any) (any, error) { return fn(firstArg(args)) })
}

// Catch is Pyodide's PyProxy.catch (pyproxy_catch): as Then, but fn
// receives the exception (a *Proxy) if the awaitable fails; a result passes
// through.
func (p *Proxy) Catch(fn func(exception any) (any, error)) (*Proxy, error) {
	if fn == nil {
		return nil, usageError("Catch: fn is nil")
	}
	return p.chain(C.PGO_CATCH, func(args ...any) (any, error) { return fn(firstArg(args)) })
}

// Finally is Pyodide's PyProxy.finally (pyproxy_finally): fn runs when the
// awaitable settles; the new future settles as the awaitable did, or fails
// with fn's error.
func (p *Proxy) Finally(fn func() error) (*Proxy, error) {
	if fn == nil {
		return nil, usageError("Finally: fn is nil")
	}
	return p.chain(C.PGO_FINALLY, func(...any) (any, error) { return nil, fn() })
}

func firstArg(args []any) any {
	if len(args) == 0 {
		return nil
	}
	return args[0]
}

// NewFuture is a new asyncio future for the host to complete later
// (pyodide_future_new): return it from a Func and Python can await host
// work; complete it with Resolve or Reject, from any goroutine, even after
// the Func returned. Close the proxy when done with it.
func (r *Runtime) NewFuture() (*Proxy, error) {
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer r.leave()
	var out *C.pyproxy_t
	if err := takeError(C.pyodide_future_new(r.c, &out)); err != nil {
		return nil, err
	}
	return r.newProxy(out), nil
}

// Resolve completes a future of NewFuture with value
// (pyodide_future_resolve); Python resumes the next time the event loop
// runs. A future already done is a Python InvalidStateError.
func (p *Proxy) Resolve(value any) error {
	defer runtime.KeepAlive(value)
	return p.do(func(h *C.pyproxy_t, a *arena) (*C.pyodide_error_t, error) {
		v, err := a.value(value)
		if err != nil {
			return nil, err
		}
		return C.pyodide_future_resolve(h, v), nil
	})
}

// Reject fails a future of NewFuture with err, raised in Python as a
// Func's error would be (see PythonError).
func (p *Proxy) Reject(err error) error {
	if err == nil {
		return usageError("Reject: err is nil")
	}
	return p.do(func(h *C.pyproxy_t, a *arena) (*C.pyodide_error_t, error) {
		cerr := cError(err)
		defer C.pyodide_error_delete(cerr)
		return C.pyodide_future_reject(h, cerr), nil
	})
}
