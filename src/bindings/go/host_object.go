package pyodide

// #include <stdlib.h>
// #include "pyodide.h"
// #include "helpers.h"
import "C"

import (
	"fmt"
	"reflect"
	"runtime/cgo"
	"strings"
	"sync"
	"unsafe"
)

// HostObject is a Go value Python uses as an object of its own (a game
// entity, a database row, a request): give it to Python with
// Runtime.NewHostObject, or return it from a Func or another host object's
// method. Its Python type is a subclass of pyodide.HostObject named
// PythonClass(), the same for every value of a Go type.
//
// What Python can do with it is what it implements among AttrGetter,
// AttrSetter, AttrDeleter, Caller, ItemGetter, ItemSetter, ItemDeleter,
// Lener, Direr, Iterable, Nexter and MethodCaller; for the rest Python
// raises what it raises for any object without that operation
// (callable(obj) is False without Caller). Methods get and return values as
// a Func does, and their errors raise in Python the same way (PythonError
// for a given type: "AttributeError" for a missing attribute, "KeyError",
// "IndexError", ...); a panic is recovered and raises RuntimeError. They run
// on the goroutine that runs the Python code and may call back into the
// runtime. HostFinalizer, if implemented, says when Python lets go.
//
// Identity: while Python holds the object, the same Go value (the same
// pointer) gives the same Python object. A cycle through the host (the Go
// value holding a *Proxy that refers back to it) is invisible to Python's
// garbage collector.
type HostObject interface {
	PythonClass() string
}

// AttrGetter is obj.name, for names that are not methods.
type AttrGetter interface {
	GetAttr(name string) (any, error)
}

// AttrSetter is obj.name = value.
type AttrSetter interface {
	SetAttr(name string, value any) error
}

// AttrDeleter is del obj.name.
type AttrDeleter interface {
	DelAttr(name string) error
}

// Caller is obj(*args).
type Caller interface {
	Call(args ...any) (any, error)
}

// ItemGetter is obj[key].
type ItemGetter interface {
	GetItem(key any) (any, error)
}

// ItemSetter is obj[key] = value.
type ItemSetter interface {
	SetItem(key, value any) error
}

// ItemDeleter is del obj[key].
type ItemDeleter interface {
	DelItem(key any) error
}

// Lener is len(obj).
type Lener interface {
	Len() (int, error)
}

// Direr lists the names dir(obj) shows after the methods.
type Direr interface {
	Dir() ([]string, error)
}

// Iterable is iter(obj): something Python iterates over instead (a slice,
// a *Proxy, a HostObject that is a Nexter).
type Iterable interface {
	Iter() (any, error)
}

// Nexter is next(obj): the object is its own iterator; done ends it.
type Nexter interface {
	Next() (value any, done bool, err error)
}

// MethodCaller gives the type methods: obj.name(*args) for the names of
// Methods (identifiers; the same list for every value of the type) calls
// CallMethod with the name's index, in one step.
type MethodCaller interface {
	Methods() []string
	CallMethod(method int, args ...any) (any, error)
}

// HostFinalizer is told when Python lets go of the object (its last
// reference is gone, or the runtime is closed), once per Python object
// made. It should not need the runtime: while Close runs, every call is
// refused with a usage error.
type HostFinalizer interface {
	FinalizeHost()
}

// HostRef is a host object of a class made through the C ABI (not a Go
// HostObject), as it comes back from Python: its class and object pointers.
type HostRef struct {
	Class  unsafe.Pointer // const pyodide_host_class_t*
	Object unsafe.Pointer
}

// ---- classes ----------------------------------------------------------------------

// hostClasses are the C classes of the Go types, made on first use and kept
// for the process (the library reads a class while a runtime lives).
var hostClasses struct {
	sync.Mutex
	byType  map[reflect.Type]*C.pyodide_host_class_t
	classes map[*C.pyodide_host_class_t]bool
}

func hasNUL(s string) bool { return strings.IndexByte(s, 0) >= 0 }

func classOf(obj HostObject) (*C.pyodide_host_class_t, error) {
	t := reflect.TypeOf(obj)
	hostClasses.Lock()
	defer hostClasses.Unlock()
	if cls := hostClasses.byType[t]; cls != nil {
		return cls, nil
	}
	name := obj.PythonClass()
	if hasNUL(name) {
		return nil, usageError("the host class name %q contains a NUL character", name)
	}
	var slots C.uint
	set := func(implemented bool, slot C.uint) {
		if implemented {
			slots |= slot
		}
	}
	_, getAttr := obj.(AttrGetter)
	_, setAttr := obj.(AttrSetter)
	_, delAttr := obj.(AttrDeleter)
	_, call := obj.(Caller)
	_, getItem := obj.(ItemGetter)
	_, setItem := obj.(ItemSetter)
	_, delItem := obj.(ItemDeleter)
	_, length := obj.(Lener)
	_, dir := obj.(Direr)
	_, iter := obj.(Iterable)
	_, next := obj.(Nexter)
	set(getAttr, C.PGO_SLOT_GET_ATTR)
	set(setAttr || delAttr, C.PGO_SLOT_SET_ATTR)
	set(call, C.PGO_SLOT_CALL)
	set(getItem, C.PGO_SLOT_GET_ITEM)
	set(setItem || delItem, C.PGO_SLOT_SET_ITEM)
	set(length, C.PGO_SLOT_LEN)
	set(dir, C.PGO_SLOT_DIR)
	set(iter, C.PGO_SLOT_ITER)
	set(next, C.PGO_SLOT_NEXT)
	var methods []string
	if m, ok := obj.(MethodCaller); ok {
		methods = m.Methods()
	}
	for _, m := range methods {
		if hasNUL(m) {
			return nil, usageError("the method name %q of host class %s contains a NUL character", m, name)
		}
	}
	var cmethods **C.char
	if len(methods) > 0 {
		cmethods = (**C.char)(C.calloc(C.size_t(len(methods)), C.size_t(unsafe.Sizeof((*C.char)(nil)))))
		for i, m := range methods {
			unsafe.Slice(cmethods, len(methods))[i] = C.CString(m)
		}
	}
	cls := C.pgo_host_class_new(C.CString(name), slots, cmethods, C.size_t(len(methods)))
	if cls == nil {
		panic("pyodide: out of C memory")
	}
	if hostClasses.byType == nil {
		hostClasses.byType = map[reflect.Type]*C.pyodide_host_class_t{}
		hostClasses.classes = map[*C.pyodide_host_class_t]bool{}
	}
	hostClasses.byType[t] = cls
	hostClasses.classes[cls] = true
	return cls, nil
}

func isOurClass(cls *C.pyodide_host_class_t) bool {
	hostClasses.Lock()
	defer hostClasses.Unlock()
	return hostClasses.classes[cls]
}

// ---- cells and the runtime's registry ---------------------------------------------

// hostCell is the obj the library sees (as its cgo handle): the Go value and
// the memory of its slots' last result.
type hostCell struct {
	hostCall
	value HostObject
}

// hostEntry is a cell a runtime knows. pythonObject: Python holds the
// object (until finalize); pending: calls of pyodide_host_object_new on it in
// progress. The cell goes when both are over, so a call racing with the
// object's finalization (on another goroutine) never passes a deleted handle.
type hostEntry struct {
	cell         *hostCell
	key          hostKey
	keyed        bool
	pythonObject bool
	pending      int
}

// hostRegistry is a runtime's host objects. Its lock is never held across a
// call into the library (finalize takes it, on whichever goroutine Python
// lets go, also inside Close).
type hostRegistry struct {
	mu     sync.Mutex
	byKey  map[hostKey]cgo.Handle
	byCell map[cgo.Handle]*hostEntry
}

type hostKey struct {
	cls   *C.pyodide_host_class_t
	value any
}

// identityKey is obj itself when Go can compare it (a pointer, typically);
// ok is false otherwise (each pass then makes a new Python object).
func identityKey(obj HostObject) (key any, ok bool) {
	if !reflect.TypeOf(obj).Comparable() {
		return nil, false
	}
	defer func() {
		// A struct holding an uncomparable value in an interface field.
		if recover() != nil {
			key, ok = nil, false
		}
	}()
	_ = map[any]bool{obj: true}
	return obj, true
}

// takeIfUnused removes an entry nobody uses any more; the caller releases it
// (after unlocking).
func (reg *hostRegistry) takeIfUnused(handle cgo.Handle) *hostEntry {
	e := reg.byCell[handle]
	if e == nil || e.pythonObject || e.pending > 0 {
		return nil
	}
	delete(reg.byCell, handle)
	if e.keyed {
		delete(reg.byKey, e.key)
	}
	return e
}

// release frees what a removed entry holds.
func (e *hostEntry) release(handle cgo.Handle) {
	e.cell.release()
	handle.Delete()
}

// NewHostObject gives obj to Python (pyodide_host_object_new): a proxy of
// the Python object standing for it, to put anywhere (a global, an argument,
// a Func's result). While Python holds it, the same obj gives the same
// Python object. KindUsage for a class or method name with a NUL, or one the
// library refuses (empty, not an identifier).
func (r *Runtime) NewHostObject(obj HostObject) (*Proxy, error) {
	if obj == nil {
		return nil, usageError("NewHostObject: obj is nil")
	}
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer r.leave()
	c, err := r.hostObjectHandle(obj)
	if err != nil {
		return nil, err
	}
	return r.newProxy(c), nil
}

// hostObjectHandle is a new proxy handle of obj's Python object; the caller
// is inside a call on the runtime.
func (r *Runtime) hostObjectHandle(obj HostObject) (*C.pyproxy_t, error) {
	cls, err := classOf(obj)
	if err != nil {
		return nil, err
	}
	reg := &r.hosts
	reg.mu.Lock()
	if reg.byCell == nil {
		reg.byKey = map[hostKey]cgo.Handle{}
		reg.byCell = map[cgo.Handle]*hostEntry{}
	}
	value, keyed := identityKey(obj)
	key := hostKey{cls, value}
	handle, found := cgo.Handle(0), false
	if keyed {
		handle, found = reg.byKey[key]
	}
	if !found {
		cell := &hostCell{hostCall: hostCall{rt: r}, value: obj}
		handle = cgo.NewHandle(cell)
		reg.byCell[handle] = &hostEntry{cell: cell, key: key, keyed: keyed}
		if keyed {
			reg.byKey[key] = handle
		}
	}
	// Counted in the same critical section as the lookup: a finalize
	// between the two would free the cell.
	e := reg.byCell[handle]
	e.pending++
	reg.mu.Unlock()

	var out *C.pyproxy_t
	err = takeError(C.pgo_host_object_new(r.c, cls, C.uintptr_t(handle), &out))

	reg.mu.Lock()
	e.pending--
	if err == nil {
		e.pythonObject = true
	}
	unused := reg.takeIfUnused(handle)
	reg.mu.Unlock()
	if unused != nil {
		unused.release(handle)
	}
	return out, err
}

// hostValue converts a PYODIDE_HOST value: a Go HostObject of this runtime
// is itself; another host object a HostRef.
func (r *Runtime) hostValue(v *C.pyodide_value_t) any {
	cls, obj := C.pgo_host_cls(v), C.pgo_host_obj(v)
	if isOurClass((*C.pyodide_host_class_t)(unsafe.Pointer(cls))) {
		reg := &r.hosts
		reg.mu.Lock()
		defer reg.mu.Unlock()
		if e := reg.byCell[cgo.Handle(uintptr(obj))]; e != nil {
			return e.cell.value
		}
	}
	return HostRef{Class: unsafe.Pointer(cls), Object: obj}
}

// ---- slots -----------------------------------------------------------------------

func cellOf(obj C.uintptr_t) (*hostCell, *C.pyodide_error_t) {
	cell, ok := cgo.Handle(obj).Value().(*hostCell)
	if !ok {
		return nil, newCError("RuntimeError", "a host object's state is missing")
	}
	return cell, nil
}

// guarded runs f for a slot that returns no value, recovering a panic.
func guarded(f func() error) (cerr *C.pyodide_error_t) {
	defer func() {
		if panicked := recover(); panicked != nil {
			cerr = newCError("RuntimeError", fmt.Sprintf("a Go host object panicked: %v", panicked))
		}
	}()
	if err := f(); err != nil {
		return cError(err)
	}
	return nil
}

//export goHostGetAttr
func goHostGetAttr(obj C.uintptr_t, name *C.char, n C.size_t, out *C.pyodide_value_t) *C.pyodide_error_t {
	cell, cerr := cellOf(obj)
	if cerr != nil {
		return cerr
	}
	attr := C.GoStringN(name, C.int(n))
	return cell.invoke(func(...any) (any, error) { return cell.value.(AttrGetter).GetAttr(attr) }, nil, 0, out)
}

//export goHostSetAttr
func goHostSetAttr(obj C.uintptr_t, name *C.char, n C.size_t, value *C.pyodide_value_t) *C.pyodide_error_t {
	cell, cerr := cellOf(obj)
	if cerr != nil {
		return cerr
	}
	attr := C.GoStringN(name, C.int(n))
	if value == nil {
		return guarded(func() error {
			d, ok := cell.value.(AttrDeleter)
			if !ok {
				return PythonError("AttributeError", fmt.Sprintf("cannot delete attribute '%s' of %s", attr, cell.value.PythonClass()))
			}
			return d.DelAttr(attr)
		})
	}
	return cell.invoke(func(args ...any) (any, error) {
		s, ok := cell.value.(AttrSetter)
		if !ok {
			return nil, PythonError("AttributeError", fmt.Sprintf("attribute '%s' of %s is read-only", attr, cell.value.PythonClass()))
		}
		return nil, s.SetAttr(attr, args[0])
	}, value, 1, nil)
}

//export goHostCall
func goHostCall(obj C.uintptr_t, args *C.pyodide_value_t, nargs C.size_t, out *C.pyodide_value_t) *C.pyodide_error_t {
	cell, cerr := cellOf(obj)
	if cerr != nil {
		return cerr
	}
	return cell.invoke(cell.value.(Caller).Call, args, nargs, out)
}

//export goHostCallMethod
func goHostCallMethod(obj C.uintptr_t, method C.size_t, args *C.pyodide_value_t, nargs C.size_t, out *C.pyodide_value_t) *C.pyodide_error_t {
	cell, cerr := cellOf(obj)
	if cerr != nil {
		return cerr
	}
	return cell.invoke(func(args ...any) (any, error) {
		return cell.value.(MethodCaller).CallMethod(int(method), args...)
	}, args, nargs, out)
}

//export goHostGetItem
func goHostGetItem(obj C.uintptr_t, key *C.pyodide_value_t, out *C.pyodide_value_t) *C.pyodide_error_t {
	cell, cerr := cellOf(obj)
	if cerr != nil {
		return cerr
	}
	return cell.invoke(func(args ...any) (any, error) { return cell.value.(ItemGetter).GetItem(args[0]) }, key, 1, out)
}

//export goHostSetItem
func goHostSetItem(obj C.uintptr_t, key *C.pyodide_value_t, value *C.pyodide_value_t) *C.pyodide_error_t {
	cell, cerr := cellOf(obj)
	if cerr != nil {
		return cerr
	}
	// Key and value side by side, as invoke lends arguments.
	pair := (*C.pyodide_value_t)(C.calloc(2, C.sizeof_pyodide_value_t))
	defer C.free(unsafe.Pointer(pair))
	C.pgo_copy_value(pair, 0, key)
	nargs := C.size_t(1)
	if value != nil {
		C.pgo_copy_value(pair, 1, value)
		nargs = 2
	}
	class := cell.value.PythonClass()
	return cell.invoke(func(args ...any) (any, error) {
		if len(args) == 1 {
			d, ok := cell.value.(ItemDeleter)
			if !ok {
				return nil, PythonError("TypeError", fmt.Sprintf("'%s' object does not support item deletion", class))
			}
			return nil, d.DelItem(args[0])
		}
		s, ok := cell.value.(ItemSetter)
		if !ok {
			return nil, PythonError("TypeError", fmt.Sprintf("'%s' object does not support item assignment", class))
		}
		return nil, s.SetItem(args[0], args[1])
	}, pair, nargs, nil)
}

//export goHostLength
func goHostLength(obj C.uintptr_t, out *C.size_t) *C.pyodide_error_t {
	cell, cerr := cellOf(obj)
	if cerr != nil {
		return cerr
	}
	return guarded(func() error {
		n, err := cell.value.(Lener).Len()
		if err != nil {
			return err
		}
		if n < 0 {
			return PythonError("ValueError", "__len__() should return >= 0")
		}
		*out = C.size_t(n)
		return nil
	})
}

//export goHostDir
func goHostDir(obj C.uintptr_t, out *C.pyodide_value_t) *C.pyodide_error_t {
	cell, cerr := cellOf(obj)
	if cerr != nil {
		return cerr
	}
	return cell.invoke(func(...any) (any, error) {
		names, err := cell.value.(Direr).Dir()
		return names, err
	}, nil, 0, out)
}

//export goHostIter
func goHostIter(obj C.uintptr_t, out *C.pyodide_value_t) *C.pyodide_error_t {
	cell, cerr := cellOf(obj)
	if cerr != nil {
		return cerr
	}
	return cell.invoke(func(...any) (any, error) { return cell.value.(Iterable).Iter() }, nil, 0, out)
}

//export goHostNext
func goHostNext(obj C.uintptr_t, out *C.pyodide_value_t, done *C.bool) *C.pyodide_error_t {
	cell, cerr := cellOf(obj)
	if cerr != nil {
		return cerr
	}
	finished := false
	cerr = cell.invoke(func(...any) (any, error) {
		v, end, err := cell.value.(Nexter).Next()
		finished = end
		return v, err
	}, nil, 0, out)
	if cerr == nil && done != nil {
		*done = C.bool(finished)
	}
	return cerr
}

// goHostFinalize: Python's last reference is gone (or the runtime is being
// closed). The cell goes unless a NewHostObject on it is in progress.
//
//export goHostFinalize
func goHostFinalize(obj C.uintptr_t) {
	handle := cgo.Handle(obj)
	cell, ok := handle.Value().(*hostCell)
	if !ok {
		return
	}
	reg := &cell.rt.hosts
	reg.mu.Lock()
	var unused *hostEntry
	if e := reg.byCell[handle]; e != nil {
		e.pythonObject = false
		unused = reg.takeIfUnused(handle)
	}
	reg.mu.Unlock()
	if f, ok := cell.value.(HostFinalizer); ok {
		// A panic must not cross the C frames.
		func() {
			defer func() { _ = recover() }()
			f.FinalizeHost()
		}()
	}
	if unused != nil {
		unused.release(handle)
	}
}
