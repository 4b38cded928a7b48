package pyodide

// #include <stdlib.h>
// #include "pyodide.h"
// #include "helpers.h"
import "C"

import (
	"errors"
	"fmt"
	"runtime/cgo"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Func is a Go function Python can call (Pyodide's registerJsModule
// functions): a member of a host module, or a callback of Then and Catch.
//
// Arguments arrive as RunPython results do. A *Proxy among them is lent
// for the call: it works until the function returns, after which it reports
// KindUsage errors; Copy it to keep the object. The result is converted as
// any argument to Python is (a *Proxy stands for its object; the caller
// keeps its own proxy). A returned error raises in Python: an *Error of
// KindPython (see PythonError) raises that exception type with its message,
// any other error a RuntimeError with its text. A panic is recovered and
// raises RuntimeError. The function runs on the goroutine that is running
// Python in the runtime and may call back into the runtime.
type Func func(args ...any) (any, error)

// PythonError is an error for a Func to return so that Python raises the
// builtin exception typ ("ValueError", "KeyError", ...) or, for another
// name, a subclass of pyodide.HostError of that name, with message.
func PythonError(typ, message string) *Error {
	return &Error{Kind: KindPython, Type: typ, Message: message}
}

// MaxModuleFunctions is the most functions one host module may hold: a
// module's functions share one env in the C ABI, so each needs a C
// trampoline that knows its index, and there are this many. Constants do
// not count; nest modules ("app.io", "app.math") for more.
const MaxModuleFunctions = C.PGO_MAX_MODULE_FUNCTIONS

// newCError is pyodide_error_new with Go strings (a NUL cannot be passed
// and is spelled \0).
func newCError(typ, message string) *C.pyodide_error_t {
	ctyp := C.CString(strings.ReplaceAll(typ, "\x00", `\0`))
	defer C.free(unsafe.Pointer(ctyp))
	cmsg := C.CString(strings.ReplaceAll(message, "\x00", `\0`))
	defer C.free(unsafe.Pointer(cmsg))
	return C.pyodide_error_new(ctyp, cmsg)
}

// cError is the library error that raises err in Python.
func cError(err error) *C.pyodide_error_t {
	var e *Error
	if errors.As(err, &e) && e.Kind == KindPython {
		return newCError(e.Type, e.Message)
	}
	return newCError("RuntimeError", err.Error())
}

// hostCall is what every Go callback shares: its runtime, and the C memory
// of its last result, which the library reads after the function returned
// (it is replaced by the next result: a runtime runs one call at a time,
// and nested calls finish first).
type hostCall struct {
	rt   *Runtime
	mu   sync.Mutex
	kept arena
}

// invoke runs f for the library.
func (h *hostCall) invoke(f Func, args *C.pyodide_value_t, nargs C.size_t, result *C.pyodide_value_t) (cerr *C.pyodide_error_t) {
	var lent []*Proxy
	defer func() {
		for _, p := range lent {
			p.forget()
		}
		if panicked := recover(); panicked != nil {
			cerr = newCError("RuntimeError", fmt.Sprintf("a Go host function panicked: %v", panicked))
		}
	}()
	goArgs, lent, err := h.rt.lendValues(args, nargs)
	if err != nil {
		return cError(err)
	}
	value, err := f(goArgs...)
	if err != nil {
		return cError(err)
	}
	if result == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.kept.free()
	h.kept.rt = h.rt
	h.kept.copyProxies = true
	if err := h.kept.fill(result, value, 0); err != nil {
		h.kept.destroyCopies()
		C.pgo_set_none(result)
		return newCError("TypeError", "the host function's result has no Python form: "+err.Error())
	}
	h.kept.copies = nil // the library takes the result's proxies over
	return nil
}

func (h *hostCall) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.kept.free()
}

// hostModule is the env of a registered module.
type hostModule struct {
	hostCall
	funcs []Func
}

// hostCallback is the env of a Then, Catch or Finally callback.
type hostCallback struct {
	hostCall
	fn Func
}

// releaser is an env with C memory to free when the library is done with it.
type releaser interface{ release() }

//export goPyodideModuleCall
func goPyodideModuleCall(env C.uintptr_t, index C.int, args *C.pyodide_value_t, nargs C.size_t, result *C.pyodide_value_t) *C.pyodide_error_t {
	m, ok := cgo.Handle(env).Value().(*hostModule)
	if !ok || int(index) >= len(m.funcs) {
		return newCError("RuntimeError", "a host module's state is missing")
	}
	return m.invoke(m.funcs[index], args, nargs, result)
}

//export goPyodideCallback
func goPyodideCallback(env C.uintptr_t, args *C.pyodide_value_t, nargs C.size_t, result *C.pyodide_value_t) *C.pyodide_error_t {
	cb, ok := cgo.Handle(env).Value().(*hostCallback)
	if !ok {
		return newCError("RuntimeError", "a callback's state is missing")
	}
	return cb.invoke(cb.fn, args, nargs, result)
}

// handlesReleased counts goPyodideRelease calls, so that tests can see
// each env released exactly once.
var handlesReleased atomic.Int64

// goPyodideRelease is every env's finalizer: the library calls it exactly
// once, when it no longer calls the functions.
//
//export goPyodideRelease
func goPyodideRelease(env C.uintptr_t) {
	handle := cgo.Handle(env)
	if r, ok := handle.Value().(releaser); ok {
		r.release()
	}
	handle.Delete()
	handlesReleased.Add(1)
}

// asFunc is member's function, if it is one.
func asFunc(member any) (Func, bool) {
	switch f := member.(type) {
	case Func:
		return f, f != nil
	case func(...any) (any, error):
		return f, f != nil
	}
	return nil, false
}

// RegisterModule makes `import name` give Python a module of members
// (Pyodide's registerJsModule): a Func (or func(...any) (any, error)) is a
// function, anything else a constant converted once, now. name is a dotted
// Python identifier; modules of the standard library take precedence. The
// functions are released once the module is unregistered or the runtime
// closed. Errors: KindUsage for an invalid or already registered name, an
// empty member name, a constant with no Python form or more than
// MaxModuleFunctions functions.
func (r *Runtime) RegisterModule(name string, members map[string]any) error {
	if err := r.enter(); err != nil {
		return err
	}
	defer r.leave()
	if strings.IndexByte(name, 0) >= 0 {
		return usageError("the module name %q contains a NUL character", name)
	}
	names := make([]string, 0, len(members))
	for member := range members {
		names = append(names, member)
	}
	sort.Strings(names) // a stable order, for stable errors
	module := &hostModule{hostCall: hostCall{rt: r}}
	a := arena{rt: r}
	defer a.free()
	cmembers := (*C.pyodide_host_member_t)(a.alloc(len(names) * C.sizeof_pyodide_host_member_t))
	for i, member := range names {
		if strings.IndexByte(member, 0) >= 0 {
			return usageError("the member name %q contains a NUL character", member)
		}
		cname := (*C.char)(a.alloc(len(member) + 1))
		copy(unsafe.Slice((*byte)(unsafe.Pointer(cname)), len(member)), member)
		if f, ok := asFunc(members[member]); ok {
			if len(module.funcs) == MaxModuleFunctions {
				return usageError("a module holds at most %d functions: split %s into submodules", MaxModuleFunctions, name)
			}
			C.pgo_set_member(cmembers, C.size_t(i), cname, C.int(len(module.funcs)), nil)
			module.funcs = append(module.funcs, f)
			continue
		}
		value, err := a.value(members[member])
		if err != nil {
			return fmt.Errorf("member %s: %w", member, err)
		}
		C.pgo_set_member(cmembers, C.size_t(i), cname, -1, value)
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	handle := cgo.NewHandle(module)
	err := takeError(C.pgo_register_module(r.c, cname, cmembers, C.size_t(len(names)), C.uintptr_t(handle)))
	if err != nil {
		// A failed registration never calls the finalizer.
		handle.Delete()
	}
	return err
}

// UnregisterModule makes later `import name` fail, as Pyodide 0.17's
// unregisterJsModule: a module already imported stays, and calling its
// functions raises RuntimeError. KindUsage if no module of that name is
// registered.
func (r *Runtime) UnregisterModule(name string) error {
	if err := r.enter(); err != nil {
		return err
	}
	defer r.leave()
	if strings.IndexByte(name, 0) >= 0 {
		return usageError("the module name %q contains a NUL character", name)
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	return takeError(C.pyodide_unregister_module(r.c, cname))
}
