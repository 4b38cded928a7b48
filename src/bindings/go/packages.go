package pyodide

// #include <stdlib.h>
// #include "pyodide.h"
// #include "helpers.h"
import "C"

import (
	"strings"
	"sync"
	"unsafe"
)

// LoadPackage loads packages, as Pyodide's loadPackage
// (pyodide_load_package): names of the package index (Options.IndexURL),
// or paths or http(s)/file URLs of .whl files, with their dependencies.
// onMessage receives each step ("Loading six", "Loaded six from ..."),
// onError the text of an IO error before it is returned; either may be
// nil, and both run on the calling goroutine. Failures are KindIO errors
// and install nothing.
func (r *Runtime) LoadPackage(names []string, onMessage, onError func(string)) error {
	return withMessages(onMessage, onError, func(handle C.uintptr_t, wantMessages, wantErrors C.int) error {
		return r.callWithStrings("names", names, func(array **C.char, n C.size_t) *C.pyodide_error_t {
			return C.pgo_load_package(r.c, array, n, wantMessages, wantErrors, handle)
		})
	})
}

// LoadPackagesFromImports loads the packages code imports, as Pyodide's
// loadPackagesFromImports: imports no package of the index provides are
// ignored. A SyntaxError in code is a Python error; otherwise as LoadPackage.
func (r *Runtime) LoadPackagesFromImports(code string, onMessage, onError func(string)) error {
	if err := r.enter(); err != nil {
		return err
	}
	defer r.leave()
	var a arena
	defer a.free()
	ccode, n := a.cname(code)
	return withMessages(onMessage, onError, func(handle C.uintptr_t, wantMessages, wantErrors C.int) error {
		return takeError(C.pgo_load_packages_from_imports(r.c, ccode, n, wantMessages, wantErrors, handle))
	})
}

// LoadedPackage is one entry of LoadedPackages.
type LoadedPackage struct {
	Name   string // normalized: "six"
	Source string // the wheel's URL or absolute path
}

// LoadedPackages are the packages loaded so far, as Pyodide's
// loadedPackages, in load order.
func (r *Runtime) LoadedPackages() ([]LoadedPackage, error) {
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer r.leave()
	out := (*C.pyodide_value_t)(C.calloc(1, C.sizeof_pyodide_value_t))
	defer C.free(unsafe.Pointer(out))
	if err := takeError(C.pyodide_loaded_packages(r.c, out)); err != nil {
		return nil, err
	}
	defer C.pyodide_value_release(out)
	if out.kind != C.PYODIDE_DICT {
		return nil, usageError("pyodide_loaded_packages returned a value of kind %d, not a dict", int(out.kind))
	}
	n := int(C.pgo_dict_len(out))
	keys, values := C.pgo_dict_keys(out), C.pgo_dict_values(out)
	packages := make([]LoadedPackage, n)
	for i := range packages {
		k, v := C.pgo_at(keys, C.size_t(i)), C.pgo_at(values, C.size_t(i))
		if k.kind != C.PYODIDE_STR || v.kind != C.PYODIDE_STR {
			return nil, usageError("pyodide_loaded_packages returned a non-string entry")
		}
		packages[i] = LoadedPackage{
			Name:   C.GoStringN(C.pgo_str_ptr(k), C.int(C.pgo_str_len(k))),
			Source: C.GoStringN(C.pgo_str_ptr(v), C.int(C.pgo_str_len(v))),
		}
	}
	return packages, nil
}

// PyImport is the value of the global name of __main__ (pyodide_pyimport);
// a missing name is a Python KeyError.
//
// Deprecated: as in Pyodide 0.17; use Globals and Proxy.Get.
func (r *Runtime) PyImport(name string) (any, error) {
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer r.leave()
	if strings.IndexByte(name, 0) >= 0 {
		return nil, usageError("the name %q contains a NUL character", name)
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	out := (*C.pyodide_value_t)(C.calloc(1, C.sizeof_pyodide_value_t))
	defer C.free(unsafe.Pointer(out))
	if err := takeError(C.pyodide_pyimport(r.c, cname, out)); err != nil {
		return nil, err
	}
	return r.takeValue(out)
}

// PyodidePy is a new proxy of the guest's pyodide package
// (pyodide_pyodide_py, Pyodide 0.17's pyodide.pyodide_py): eval_code,
// eval_code_async, find_imports, HostError.
func (r *Runtime) PyodidePy() (*Proxy, error) {
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer r.leave()
	var out *C.pyproxy_t
	if err := takeError(C.pyodide_pyodide_py(r.c, &out)); err != nil {
		return nil, err
	}
	return r.newProxy(out), nil
}

var processDefault struct {
	sync.Mutex
	rt *Runtime
}

// Default is the process-wide default runtime (pyodide_default), loaded by
// the first call with the default options (PYODIDE_ASSET_DIR and
// PYODIDE_INDEX_URL apply) and the same *Runtime for every later call. It
// lives until the process exits: Close on it does nothing. A failed load is
// never retried: every call returns the same error.
//
// Deprecated: as in Pyodide 0.17; use Load and own the runtime.
func Default() (*Runtime, error) {
	processDefault.Lock()
	defer processDefault.Unlock()
	if processDefault.rt != nil {
		return processDefault.rt, nil
	}
	var out *C.pyodide_t
	if err := takeError(C.pyodide_default(&out)); err != nil {
		return nil, err
	}
	r := &Runtime{c: out, permanent: true}
	r.idle.L = &r.mu
	processDefault.rt = r
	return r, nil
}
