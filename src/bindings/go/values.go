package pyodide

// #include <stdlib.h>
// #include "pyodide.h"
// #include "helpers.h"
import "C"

import (
	"fmt"
	"math"
	"reflect"
	"unsafe"
)

// arena holds the C memory of a borrowed pyodide_value_t tree built from Go
// values. Everything the library reads lives in C memory (cgo's rule: no Go
// pointers inside memory passed to C); free releases it after the call.
type arena struct {
	ptrs []unsafe.Pointer
	// rt, when set, lets a HostObject become its Python object (a new
	// proxy handle, listed in copies).
	rt *Runtime
	// copyProxies: a *Proxy becomes a new handle (pyproxy_copy), for a
	// value the library takes over (a host function's result).
	copyProxies bool
	// copies are the handles the arena made: destroyed by free, unless
	// handed over to the library (then the caller clears the list).
	copies []*C.pyproxy_t
}

func (a *arena) alloc(n int) unsafe.Pointer {
	if n == 0 {
		n = 1
	}
	p := C.calloc(C.size_t(n), 1)
	if p == nil {
		panic("pyodide: out of C memory")
	}
	a.ptrs = append(a.ptrs, p)
	return p
}

func (a *arena) free() {
	a.destroyCopies()
	for _, p := range a.ptrs {
		C.free(p)
	}
	a.ptrs = nil
}

// destroyCopies destroys the handles the arena made (for a value the
// library did not take).
func (a *arena) destroyCopies() {
	for _, c := range a.copies {
		C.pyproxy_destroy(c)
	}
	a.copies = nil
}

func (a *arena) values(n int) *C.pyodide_value_t {
	return (*C.pyodide_value_t)(a.alloc(n * C.sizeof_pyodide_value_t))
}

// value converts v into a new C value owned by the arena.
func (a *arena) value(v any) (*C.pyodide_value_t, error) {
	dst := a.values(1)
	if err := a.fill(dst, v, 0); err != nil {
		return nil, err
	}
	return dst, nil
}

// args converts a list of Go values into a C array (NULL when empty).
func (a *arena) args(vs []any) (*C.pyodide_value_t, C.size_t, error) {
	if len(vs) == 0 {
		return nil, 0, nil
	}
	arr := a.values(len(vs))
	for i, v := range vs {
		if err := a.fill(C.pgo_at(arr, C.size_t(i)), v, 0); err != nil {
			return nil, 0, fmt.Errorf("argument %d: %w", i, err)
		}
	}
	return arr, C.size_t(len(vs)), nil
}

func (a *arena) str(dst *C.pyodide_value_t, kind C.pyodide_kind_t, b []byte) {
	p := a.alloc(len(b))
	if len(b) > 0 {
		copy(unsafe.Slice((*byte)(p), len(b)), b)
	}
	C.pgo_set_str(dst, kind, (*C.char)(p), C.size_t(len(b)))
}

func (a *arena) string(dst *C.pyodide_value_t, s string) {
	p := a.alloc(len(s))
	if len(s) > 0 {
		copy(unsafe.Slice((*byte)(p), len(s)), s)
	}
	C.pgo_set_str(dst, C.PYODIDE_STR, (*C.char)(p), C.size_t(len(s)))
}

const maxDepth = 1000

func (a *arena) fill(dst *C.pyodide_value_t, v any, depth int) error {
	if depth > maxDepth {
		return usageError("the value is nested more than %d levels deep (a cycle?)", maxDepth)
	}
	switch x := v.(type) {
	case nil:
		C.pgo_set_none(dst)
	case bool:
		C.pgo_set_bool(dst, C.bool(x))
	case int:
		C.pgo_set_int(dst, C.int64_t(x))
	case int8:
		C.pgo_set_int(dst, C.int64_t(x))
	case int16:
		C.pgo_set_int(dst, C.int64_t(x))
	case int32:
		C.pgo_set_int(dst, C.int64_t(x))
	case int64:
		C.pgo_set_int(dst, C.int64_t(x))
	case uint8:
		C.pgo_set_int(dst, C.int64_t(x))
	case uint16:
		C.pgo_set_int(dst, C.int64_t(x))
	case uint32:
		C.pgo_set_int(dst, C.int64_t(x))
	case uint:
		if uint64(x) > math.MaxInt64 {
			return usageError("the integer %d does not fit in an int64", x)
		}
		C.pgo_set_int(dst, C.int64_t(x))
	case uint64:
		if x > math.MaxInt64 {
			return usageError("the integer %d does not fit in an int64", x)
		}
		C.pgo_set_int(dst, C.int64_t(x))
	case float32:
		C.pgo_set_float(dst, C.double(x))
	case float64:
		C.pgo_set_float(dst, C.double(x))
	case string:
		a.string(dst, x)
	case []byte:
		a.str(dst, C.PYODIDE_BYTES, x)
	case *Proxy:
		h, err := x.handle()
		if err != nil {
			return err
		}
		if a.copyProxies {
			var copied *C.pyproxy_t
			if err := takeError(C.pyproxy_copy(h, &copied)); err != nil {
				return err
			}
			a.copies = append(a.copies, copied)
			h = copied
		}
		C.pgo_set_proxy(dst, h)
	case HostObject:
		if a.rt == nil {
			return usageError("a %T (a HostObject) has no Python form here: pass Runtime.NewHostObject's proxy", x)
		}
		h, err := a.rt.hostObjectHandle(x)
		if err != nil {
			return err
		}
		a.copies = append(a.copies, h)
		C.pgo_set_proxy(dst, h)
	case HostRef:
		C.pgo_set_host(dst, (*C.pyodide_host_class_t)(x.Class), x.Object)
	case []any:
		arr := a.values(len(x))
		for i, item := range x {
			if err := a.fill(C.pgo_at(arr, C.size_t(i)), item, depth+1); err != nil {
				return err
			}
		}
		C.pgo_set_list(dst, arr, C.size_t(len(x)))
	case map[any]any:
		keys, values := a.values(len(x)), a.values(len(x))
		i := 0
		for k, item := range x {
			if err := a.fill(C.pgo_at(keys, C.size_t(i)), k, depth+1); err != nil {
				return err
			}
			if err := a.fill(C.pgo_at(values, C.size_t(i)), item, depth+1); err != nil {
				return err
			}
			i++
		}
		C.pgo_set_dict(dst, keys, values, C.size_t(len(x)))
	default:
		return a.fillReflect(dst, reflect.ValueOf(v), depth)
	}
	return nil
}

// fillReflect handles the other slices, arrays, maps and named types.
func (a *arena) fillReflect(dst *C.pyodide_value_t, rv reflect.Value, depth int) error {
	switch rv.Kind() {
	case reflect.Bool:
		return a.fill(dst, rv.Bool(), depth)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.fill(dst, rv.Int(), depth)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return a.fill(dst, rv.Uint(), depth)
	case reflect.Float32, reflect.Float64:
		return a.fill(dst, rv.Float(), depth)
	case reflect.String:
		a.string(dst, rv.String())
		return nil
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			C.pgo_set_none(dst)
			return nil
		}
		return a.fill(dst, rv.Elem().Interface(), depth+1)
	case reflect.Slice, reflect.Array:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			b := make([]byte, rv.Len())
			reflect.Copy(reflect.ValueOf(b), rv)
			a.str(dst, C.PYODIDE_BYTES, b)
			return nil
		}
		n := rv.Len()
		arr := a.values(n)
		for i := 0; i < n; i++ {
			if err := a.fill(C.pgo_at(arr, C.size_t(i)), rv.Index(i).Interface(), depth+1); err != nil {
				return err
			}
		}
		C.pgo_set_list(dst, arr, C.size_t(n))
		return nil
	case reflect.Map:
		n := rv.Len()
		keys, values := a.values(n), a.values(n)
		it := rv.MapRange()
		for i := 0; it.Next(); i++ {
			if err := a.fill(C.pgo_at(keys, C.size_t(i)), it.Key().Interface(), depth+1); err != nil {
				return err
			}
			if err := a.fill(C.pgo_at(values, C.size_t(i)), it.Value().Interface(), depth+1); err != nil {
				return err
			}
		}
		C.pgo_set_dict(dst, keys, values, C.size_t(n))
		return nil
	}
	return usageError("a Go value of type %s has no Python form", rv.Type())
}

// takeValue converts a library-filled value into Go and releases it.
// Proxies inside are taken over as *Proxy. The caller holds r.mu shared.
func (r *Runtime) takeValue(v *C.pyodide_value_t) (any, error) {
	var made []*Proxy
	out, err := r.goValue(v, &made, false)
	C.pyodide_value_release(v)
	if err != nil {
		for _, p := range made {
			p.closeLocked()
		}
		return nil, err
	}
	return out, nil
}

// lendValues converts values the library lends a callback: their proxies
// are borrowed (see Proxy.borrowed) and listed in lent, for the caller to
// invalidate once the callback returns.
func (r *Runtime) lendValues(v *C.pyodide_value_t, n C.size_t) (values []any, lent []*Proxy, err error) {
	values = make([]any, int(n))
	for i := range values {
		if values[i], err = r.goValue(C.pgo_at(v, C.size_t(i)), &lent, true); err != nil {
			return nil, lent, err
		}
	}
	return values, lent, nil
}

// goValue converts one value; a proxy in it is taken over (the value's node
// becomes NONE), or borrowed when lend is set. Every proxy made is listed
// in made.
func (r *Runtime) goValue(v *C.pyodide_value_t, made *[]*Proxy, lend bool) (any, error) {
	switch v.kind {
	case C.PYODIDE_NONE:
		return nil, nil
	case C.PYODIDE_BOOL:
		return bool(C.pgo_bool(v)), nil
	case C.PYODIDE_INT:
		return int64(C.pgo_int(v)), nil
	case C.PYODIDE_FLOAT:
		return float64(C.pgo_float(v)), nil
	case C.PYODIDE_STR:
		return C.GoStringN(C.pgo_str_ptr(v), C.int(C.pgo_str_len(v))), nil
	case C.PYODIDE_BYTES:
		return C.GoBytes(unsafe.Pointer(C.pgo_str_ptr(v)), C.int(C.pgo_str_len(v))), nil
	case C.PYODIDE_LIST:
		n := int(C.pgo_list_len(v))
		items := C.pgo_list_items(v)
		list := make([]any, n)
		for i := range list {
			item, err := r.goValue(C.pgo_at(items, C.size_t(i)), made, lend)
			if err != nil {
				return nil, err
			}
			list[i] = item
		}
		return list, nil
	case C.PYODIDE_DICT:
		n := int(C.pgo_dict_len(v))
		keys, values := C.pgo_dict_keys(v), C.pgo_dict_values(v)
		m := make(map[any]any, n)
		for i := 0; i < n; i++ {
			k, err := r.goValue(C.pgo_at(keys, C.size_t(i)), made, lend)
			if err != nil {
				return nil, err
			}
			if k != nil && !reflect.TypeOf(k).Comparable() {
				return nil, usageError("a dict key of Go type %T cannot be a map key; convert with a smaller depth and use the proxy", k)
			}
			item, err := r.goValue(C.pgo_at(values, C.size_t(i)), made, lend)
			if err != nil {
				return nil, err
			}
			m[k] = item
		}
		return m, nil
	case C.PYODIDE_HOST:
		return r.hostValue(v), nil
	case C.PYODIDE_PROXY:
		var p *Proxy
		if lend {
			p = &Proxy{rt: r, c: C.pgo_proxy(v), borrowed: true}
		} else {
			p = r.newProxy(C.pgo_take_proxy(v))
		}
		*made = append(*made, p)
		return p, nil
	}
	return nil, usageError("the library returned a value of unknown kind %d", int(v.kind))
}
