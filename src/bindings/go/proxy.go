package pyodide

// #include <stdlib.h>
// #include "pyodide.h"
// #include "helpers.h"
import "C"

import (
	"runtime"
	"sync"
	"unsafe"
)

// Proxy is a handle to a Python object living in a runtime (pyproxy_t).
// Close it when done; a finalizer closes forgotten ones eventually. Methods
// on a closed proxy, or a proxy of a closed runtime, return KindUsage errors.
// A Proxy may be used from several goroutines.
type Proxy struct {
	rt *Runtime
	mu sync.Mutex // guards c
	c  *C.pyproxy_t
	// borrowed: the handle is the library's, lent to a host function for
	// the call (an argument); it is forgotten, never destroyed, by Close and
	// when the call returns.
	borrowed bool
}

// newProxy wraps an owned handle of r.
func (r *Runtime) newProxy(c *C.pyproxy_t) *Proxy {
	p := &Proxy{rt: r, c: c}
	runtime.SetFinalizer(p, (*Proxy).Close)
	return p
}

// Runtime is the runtime the proxy belongs to.
func (p *Proxy) Runtime() *Runtime { return p.rt }

func (p *Proxy) handle() (*C.pyproxy_t, error) {
	if p == nil {
		return nil, usageError("nil *Proxy")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.c == nil {
		return nil, usageError("the proxy is closed")
	}
	return p.c, nil
}

// Close releases the proxy's reference to its object (pyproxy_destroy).
// Closing twice is harmless.
func (p *Proxy) Close() error {
	p.rt.release(p.closeLocked)
	return nil
}

// closeLocked destroys the handle, within a call on the runtime or after
// its destruction (see Runtime.release).
func (p *Proxy) closeLocked() {
	p.mu.Lock()
	c := p.c
	p.c = nil
	p.mu.Unlock()
	if c != nil && !p.borrowed {
		C.pyproxy_destroy(c)
	}
	runtime.SetFinalizer(p, nil)
}

// forget ends a borrowed proxy's use: later calls on it are KindUsage errors.
func (p *Proxy) forget() {
	p.mu.Lock()
	p.c = nil
	p.mu.Unlock()
}

// do runs one library call on the proxy with the runtime's shared lock held
// and a scratch arena for C values.
func (p *Proxy) do(fn func(h *C.pyproxy_t, a *arena) (*C.pyodide_error_t, error)) error {
	if p == nil {
		return usageError("nil *Proxy")
	}
	if err := p.rt.enter(); err != nil {
		return err
	}
	defer p.rt.leave()
	h, err := p.handle()
	if err != nil {
		return err
	}
	a := arena{rt: p.rt}
	defer a.free()
	cerr, err := fn(h, &a)
	runtime.KeepAlive(p)
	if err != nil {
		return err
	}
	return takeError(cerr)
}

// doValue is do for calls that fill a value.
func (p *Proxy) doValue(fn func(h *C.pyproxy_t, a *arena, out *C.pyodide_value_t) (*C.pyodide_error_t, error)) (any, error) {
	var result any
	err := p.do(func(h *C.pyproxy_t, a *arena) (*C.pyodide_error_t, error) {
		out := a.values(1)
		cerr, err := fn(h, a, out)
		if err != nil || cerr != nil {
			return cerr, err
		}
		result, err = p.rt.takeValue(out)
		return nil, err
	})
	return result, err
}

func (p *Proxy) doBool(fn func(h *C.pyproxy_t, a *arena, out *C.bool) (*C.pyodide_error_t, error)) (bool, error) {
	var result bool
	err := p.do(func(h *C.pyproxy_t, a *arena) (*C.pyodide_error_t, error) {
		out := (*C.bool)(a.alloc(int(unsafe.Sizeof(C.bool(false)))))
		cerr, err := fn(h, a, out)
		result = bool(*out)
		return cerr, err
	})
	return result, err
}

func (p *Proxy) doProxy(fn func(h *C.pyproxy_t, out **C.pyproxy_t) *C.pyodide_error_t) (*Proxy, error) {
	var result *Proxy
	err := p.do(func(h *C.pyproxy_t, a *arena) (*C.pyodide_error_t, error) {
		var out *C.pyproxy_t
		cerr := fn(h, &out)
		if cerr == nil {
			result = p.rt.newProxy(out)
		}
		return cerr, nil
	})
	return result, err
}

// Get is obj[key]; a missing key is a Python KeyError or IndexError.
func (p *Proxy) Get(key any) (any, error) {
	defer runtime.KeepAlive(key)
	return p.doValue(func(h *C.pyproxy_t, a *arena, out *C.pyodide_value_t) (*C.pyodide_error_t, error) {
		k, err := a.value(key)
		if err != nil {
			return nil, err
		}
		return C.pyproxy_get(h, k, out), nil
	})
}

// Set is obj[key] = value.
func (p *Proxy) Set(key, value any) error {
	defer runtime.KeepAlive(key)
	defer runtime.KeepAlive(value)
	return p.do(func(h *C.pyproxy_t, a *arena) (*C.pyodide_error_t, error) {
		k, err := a.value(key)
		if err != nil {
			return nil, err
		}
		v, err := a.value(value)
		if err != nil {
			return nil, err
		}
		return C.pyproxy_set(h, k, v), nil
	})
}

// Has is `key in obj`.
func (p *Proxy) Has(key any) (bool, error) {
	defer runtime.KeepAlive(key)
	return p.doBool(func(h *C.pyproxy_t, a *arena, out *C.bool) (*C.pyodide_error_t, error) {
		k, err := a.value(key)
		if err != nil {
			return nil, err
		}
		return C.pyproxy_has(h, k, out), nil
	})
}

// Delete is `del obj[key]`.
func (p *Proxy) Delete(key any) error {
	defer runtime.KeepAlive(key)
	return p.do(func(h *C.pyproxy_t, a *arena) (*C.pyodide_error_t, error) {
		k, err := a.value(key)
		if err != nil {
			return nil, err
		}
		return C.pyproxy_delete(h, k), nil
	})
}

// Len is len(obj).
func (p *Proxy) Len() (int, error) {
	var n C.size_t
	err := p.do(func(h *C.pyproxy_t, a *arena) (*C.pyodide_error_t, error) {
		out := (*C.size_t)(a.alloc(C.sizeof_size_t))
		cerr := C.pyproxy_length(h, out)
		n = *out
		return cerr, nil
	})
	return int(n), err
}

// Type is the object's type name, as Pyodide's PyProxy.type: "dict",
// "collections.OrderedDict", ...
func (p *Proxy) Type() (string, error) {
	v, err := p.doValue(func(h *C.pyproxy_t, a *arena, out *C.pyodide_value_t) (*C.pyodide_error_t, error) {
		return C.pyproxy_type(h, out), nil
	})
	if err != nil {
		return "", err
	}
	s, _ := v.(string)
	return s, nil
}

// cname copies an attribute name into the arena.
func (a *arena) cname(name string) (*C.char, C.size_t) {
	p := a.alloc(len(name))
	if len(name) > 0 {
		copy(unsafe.Slice((*byte)(p), len(name)), name)
	}
	return (*C.char)(p), C.size_t(len(name))
}

// Attr is getattr(obj, name); a missing attribute is a Python AttributeError.
func (p *Proxy) Attr(name string) (any, error) {
	return p.doValue(func(h *C.pyproxy_t, a *arena, out *C.pyodide_value_t) (*C.pyodide_error_t, error) {
		n, l := a.cname(name)
		return C.pyproxy_get_attr(h, n, l, out), nil
	})
}

// SetAttr is setattr(obj, name, value).
func (p *Proxy) SetAttr(name string, value any) error {
	defer runtime.KeepAlive(value)
	return p.do(func(h *C.pyproxy_t, a *arena) (*C.pyodide_error_t, error) {
		v, err := a.value(value)
		if err != nil {
			return nil, err
		}
		n, l := a.cname(name)
		return C.pyproxy_set_attr(h, n, l, v), nil
	})
}

// HasAttr is hasattr(obj, name).
func (p *Proxy) HasAttr(name string) (bool, error) {
	return p.doBool(func(h *C.pyproxy_t, a *arena, out *C.bool) (*C.pyodide_error_t, error) {
		n, l := a.cname(name)
		return C.pyproxy_has_attr(h, n, l, out), nil
	})
}

// DelAttr is delattr(obj, name).
func (p *Proxy) DelAttr(name string) error {
	return p.do(func(h *C.pyproxy_t, a *arena) (*C.pyodide_error_t, error) {
		n, l := a.cname(name)
		return C.pyproxy_del_attr(h, n, l), nil
	})
}

// Call is obj(*args).
func (p *Proxy) Call(args ...any) (any, error) {
	defer runtime.KeepAlive(args)
	return p.doValue(func(h *C.pyproxy_t, a *arena, out *C.pyodide_value_t) (*C.pyodide_error_t, error) {
		arr, n, err := a.args(args)
		if err != nil {
			return nil, err
		}
		return C.pyproxy_call(h, arr, n, out), nil
	})
}

// CallKwargs is obj(*args, **kwargs).
func (p *Proxy) CallKwargs(args []any, kwargs map[string]any) (any, error) {
	defer runtime.KeepAlive(args)
	defer runtime.KeepAlive(kwargs)
	return p.doValue(func(h *C.pyproxy_t, a *arena, out *C.pyodide_value_t) (*C.pyodide_error_t, error) {
		arr, n, err := a.args(args)
		if err != nil {
			return nil, err
		}
		var kw *C.pyodide_value_t
		if len(kwargs) > 0 {
			if kw, err = a.value(kwargs); err != nil {
				return nil, err
			}
		}
		return C.pyproxy_call_kwargs(h, arr, n, kw, out), nil
	})
}

// CallMethod is getattr(obj, name)(*args).
func (p *Proxy) CallMethod(name string, args ...any) (any, error) {
	m, err := p.Attr(name)
	if err != nil {
		return nil, err
	}
	mp, ok := m.(*Proxy)
	if !ok {
		return nil, usageError("the attribute %q is a %T, not a callable object", name, m)
	}
	defer mp.Close()
	return mp.Call(args...)
}

// Copy is a second, independent proxy of the same object.
func (p *Proxy) Copy() (*Proxy, error) {
	return p.doProxy(func(h *C.pyproxy_t, out **C.pyproxy_t) *C.pyodide_error_t {
		return C.pyproxy_copy(h, out)
	})
}

// ToGo converts the object deeply into Go values, as Pyodide's toJs: list,
// tuple, set → []any, dict → map[any]any, bytes-likes → []byte. depth is how
// many container levels to convert (-1 = all; 0 leaves the object a
// *Proxy); deeper containers and cycles stay proxies. A dict key with no
// comparable Go form (a tuple or bytes key) is a KindUsage error.
func (p *Proxy) ToGo(depth int) (any, error) {
	return p.doValue(func(h *C.pyproxy_t, a *arena, out *C.pyodide_value_t) (*C.pyodide_error_t, error) {
		return C.pyproxy_to_js(h, C.int32_t(depth), out), nil
	})
}

// Next is one step of an iterator or generator (Pyodide's next(value)):
// sent is sent into a generator's yield (nil = None). When done is false,
// value is the yielded value; when true, the generator's return value.
func (p *Proxy) Next(sent any) (value any, done bool, err error) {
	defer runtime.KeepAlive(sent)
	value, err = p.doValue(func(h *C.pyproxy_t, a *arena, out *C.pyodide_value_t) (*C.pyodide_error_t, error) {
		var s *C.pyodide_value_t
		if sent != nil {
			var err error
			if s, err = a.value(sent); err != nil {
				return nil, err
			}
		}
		d := (*C.bool)(a.alloc(int(unsafe.Sizeof(C.bool(false)))))
		cerr := C.pyproxy_next(h, s, out, d)
		done = bool(*d)
		return cerr, nil
	})
	return value, done, err
}

// Iterator walks a Python iterator, bufio.Scanner style:
//
//	it, err := p.Iter()
//	for it.Next() { use(it.Value()) }
//	if err := it.Err(); err != nil { ... }
type Iterator struct {
	it    *Proxy
	value any
	err   error
	done  bool
}

// Iter starts iterating over iter(obj).
func (p *Proxy) Iter() (*Iterator, error) {
	it, err := p.doProxy(func(h *C.pyproxy_t, out **C.pyproxy_t) *C.pyodide_error_t {
		return C.pyproxy_iter(h, out)
	})
	if err != nil {
		return nil, err
	}
	return &Iterator{it: it}, nil
}

// Next advances to the next item: false at the end or on an error (see Err).
func (it *Iterator) Next() bool {
	if it.done {
		return false
	}
	v, done, err := it.it.Next(nil)
	if err != nil || done {
		if done {
			if p, ok := v.(*Proxy); ok {
				p.Close()
			}
		}
		it.value, it.err, it.done = nil, err, true
		it.it.Close()
		return false
	}
	it.value = v
	return true
}

// Value is the current item.
func (it *Iterator) Value() any { return it.value }

// Err is the exception that ended the iteration, if any.
func (it *Iterator) Err() error { return it.err }

// Close releases the iterator early.
func (it *Iterator) Close() error {
	it.done = true
	return it.it.Close()
}
