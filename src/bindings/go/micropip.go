package pyodide

// #include <stdlib.h>
// #include "pyodide.h"
// #include "helpers.h"
import "C"

import (
	"runtime/cgo"
	"strconv"
	"strings"
	"unsafe"
)

// messageSinks are the progress callbacks of one package call.
type messageSinks struct {
	onMessage, onError func(string)
}

//export goPyodideMessage
func goPyodideMessage(env C.uintptr_t, which C.int, message *C.char, n C.size_t) {
	sinks, ok := cgo.Handle(env).Value().(*messageSinks)
	if !ok {
		return
	}
	f := sinks.onMessage
	if which == 1 {
		f = sinks.onError
	}
	if f == nil {
		return
	}
	// A panic must not cross the C frames: it is dropped with the message.
	defer func() { _ = recover() }()
	f(C.GoStringN(message, C.int(n)))
}

// withMessages calls call with a handle of the callbacks (0 when both are
// nil) and whether each is set.
func withMessages(onMessage, onError func(string), call func(handle C.uintptr_t, wantMessages, wantErrors C.int) error) error {
	if onMessage == nil && onError == nil {
		return call(0, 0, 0)
	}
	handle := cgo.NewHandle(&messageSinks{onMessage: onMessage, onError: onError})
	defer handle.Delete()
	return call(C.uintptr_t(handle), boolInt(onMessage != nil), boolInt(onError != nil))
}

// cStrings copies items into a C array of C strings; free releases both.
func cStrings(what string, items []string) (array **C.char, free func(), err error) {
	for i, s := range items {
		if strings.IndexByte(s, 0) >= 0 {
			return nil, nil, usageError(what + "[" + strconv.Itoa(i) + "] contains a NUL character")
		}
	}
	if len(items) == 0 {
		return nil, func() {}, nil
	}
	size := C.size_t(len(items)) * C.size_t(unsafe.Sizeof((*C.char)(nil)))
	array = (**C.char)(C.malloc(size))
	slots := unsafe.Slice(array, len(items))
	for i, s := range items {
		slots[i] = C.CString(s)
	}
	return array, func() {
		for _, p := range slots {
			C.free(unsafe.Pointer(p))
		}
		C.free(unsafe.Pointer(array))
	}, nil
}

// SetIndexURLs sets the package indexes the guest's micropip may use, in
// order (pyodide_set_index_urls): PEP 691/503 simple indexes or plain
// directories of wheels, as http(s)/file URLs or local paths. Python may
// choose among them and URLs under them, never others.
func (r *Runtime) SetIndexURLs(urls ...string) error {
	return r.callWithStrings("urls", urls, func(array **C.char, n C.size_t) *C.pyodide_error_t {
		return C.pyodide_set_index_urls(r.c, array, n)
	})
}

// Install installs packages as Python's await micropip.install(requirements)
// (pyodide_install): the PEP 508 requirements and their dependencies are
// resolved against the lock-file index and the micropip indexes, and the
// pure-Python wheels chosen are downloaded, checked and installed. onMessage
// (may be nil) receives each step on the calling goroutine. A requirement
// that cannot be met is a Python ValueError naming the conflict; a file that
// cannot be fetched or checked an OSError.
func (r *Runtime) Install(requirements []string, onMessage func(string)) error {
	return withMessages(onMessage, nil, func(handle C.uintptr_t, wantMessages, _ C.int) error {
		return r.callWithStrings("requirements", requirements, func(array **C.char, n C.size_t) *C.pyodide_error_t {
			return C.pgo_install(r.c, array, n, wantMessages, handle)
		})
	})
}

// callWithStrings makes one library call with items as a C string array,
// holding the runtime for it.
func (r *Runtime) callWithStrings(what string, items []string, call func(**C.char, C.size_t) *C.pyodide_error_t) error {
	if err := r.enter(); err != nil {
		return err
	}
	defer r.leave()
	array, free, err := cStrings(what, items)
	if err != nil {
		return err
	}
	defer free()
	return takeError(call(array, C.size_t(len(items))))
}
