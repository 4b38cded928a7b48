// Package pyodide runs Python in a sandbox from Go: a CPython 3.11 compiled
// to WebAssembly, run by Wasmtime inside libpyodide.so (Pyodide.Native), over
// its C ABI (include/pyodide.h).
//
//	py, err := pyodide.Load(nil)
//	if err != nil { ... }
//	defer py.Close()
//	v, err := py.RunPython("6 * 7") // int64(42)
//
// Values crossing the boundary are nil, bool, int64, float64, string, []byte,
// []any, map[any]any and *Proxy (a handle to any other Python object); a
// HostObject (a Go value Python uses as an object) comes back as itself.
// Go functions become Python modules (RegisterModule). Errors are *Error
// values with a Kind, a Type and a Message.
//
// Proxies and buffers hold resources inside the runtime: Close them when done
// (a finalizer releases forgotten ones, eventually). A Runtime may be used
// from several goroutines; the library runs one call at a time.
//
// Linking: the cgo directives link ../../../out/lib/libpyodide.so (what
// ./build.sh produces) with an rpath to it. For a library elsewhere, set
// CGO_LDFLAGS="-L<dir> -Wl,-rpath,<dir>" (or LD_LIBRARY_PATH at run time).
// On Windows they link out\lib\pyodide.lib (cgo needs mingw-w64 gcc) and
// pyodide.dll must be on PATH.
package pyodide

// #cgo CFLAGS: -I${SRCDIR}/../../../include
// #cgo !windows LDFLAGS: -L${SRCDIR}/../../../out/lib -lpyodide -Wl,-rpath,${SRCDIR}/../../../out/lib
// #cgo windows LDFLAGS: -L${SRCDIR}/../../../out/lib -lpyodide
// #include <stdlib.h>
// #include "pyodide.h"
// #include "helpers.h"
import "C"

import (
	"errors"
	"io"
	"runtime"
	"runtime/cgo"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// Mount makes a host directory visible to Python.
type Mount struct {
	HostPath  string
	GuestPath string
	ReadOnly  bool
}

// Options configure Load; the zero value (or nil) means the defaults.
type Options struct {
	// AssetDir holds python.wasm and the stdlib ("" = the pyodide/ folder
	// beside libpyodide.so).
	AssetDir string
	// IndexURL is the package index: a directory or an http(s) URL.
	IndexURL string
	// MemoryLimit is the bytes the interpreter may use (0 = the default).
	MemoryLimit uint64
	// Timeout is the default deadline of every call (0 = none); a call past
	// it fails with a KindLimit error.
	Timeout time.Duration
	// Mounts are host directories Python can see; nothing else of the host is.
	Mounts []Mount
	// Stdout and Stderr receive what Python writes (nil = the process's own
	// streams). They are called while the call that wrote runs, possibly on
	// another thread, one write at a time; they must not call the runtime.
	// A write that returns an error fails Python's: it raises OSError with
	// the syscall.Errno the error wraps (BrokenPipeError for syscall.EPIPE,
	// a closed pipe's error), else EIO.
	Stdout, Stderr io.Writer
	// Stdin is Python's standard input (Pyodide's setStdin; nil = none:
	// input() raises EOFError). sys.stdin, input() and sys.stdin.buffer read
	// from it on the goroutine of the call that runs Python. Interrupt does
	// not wait for a blocked Read: its KeyboardInterrupt is raised as soon as
	// the Read returns. A Read error is an OSError in Python.
	Stdin io.Reader
	// StdinIsatty is what sys.stdin.isatty() says (with a Stdin).
	StdinIsatty bool
	// StdoutIsatty and StderrIsatty are what sys.stdout.isatty() and
	// sys.stderr.isatty() say with a Stdout or Stderr (true when the host
	// shows that output on a terminal); without one, Python writes to the
	// process's own stream and says whether that is a terminal.
	StdoutIsatty, StderrIsatty bool
	// TerminalSize says the size of the terminal the host shows a standard
	// stream (fd 0, 1 or 2) on, for os.get_terminal_size and
	// shutil.get_terminal_size; ok false: that stream is not a terminal
	// (Python raises OSError, ENOTTY). Called each time Python asks, on the
	// goroutine of the call; it must not call the runtime. nil: a stream
	// Python writes to the process's own fd answers with that terminal's
	// size, any other is not a terminal.
	TerminalSize func(fd int) (columns, lines int, ok bool)
	// Snapshot is a snapshot file to start from (see SaveSnapshot; "" = the
	// built-in one): everything the saving runtime had in Python, with a hash
	// secret and random state of its own, and these Options' mounts. A
	// damaged, truncated or foreign file is a KindIO error.
	Snapshot string
}

type ioSinks struct {
	stdout, stderr io.Writer
	stdin          io.Reader
	terminalSize   func(fd int) (columns, lines int, ok bool)
}

//export goPyodideTerminalSize
func goPyodideTerminalSize(env C.uintptr_t, fd C.int, columns, lines *C.int) C.bool {
	sinks, ok := cgo.Handle(env).Value().(*ioSinks)
	if !ok || sinks.terminalSize == nil {
		return false
	}
	c, l, ok := sinks.terminalSize(int(fd))
	if !ok {
		return false
	}
	*columns, *lines = C.int(c), C.int(l)
	return true
}

//export goPyodideRead
func goPyodideRead(env C.uintptr_t, buf *C.char, n C.size_t) C.ptrdiff_t {
	sinks, ok := cgo.Handle(env).Value().(*ioSinks)
	if !ok || sinks.stdin == nil || n == 0 {
		return 0
	}
	// Straight into the library's buffer. io.Reader may return 0 bytes and no
	// error now and then; only 0 with an error (io.EOF) is the end.
	dst := unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(n))
	for tries := 0; tries < 100; tries++ {
		got, err := sinks.stdin.Read(dst)
		if got > 0 {
			return C.ptrdiff_t(got)
		}
		if err == io.EOF {
			return 0
		}
		if err != nil {
			return -1
		}
	}
	return 0
}

//export goPyodideWrite
func goPyodideWrite(env C.uintptr_t, stream C.int, data *C.char, n C.size_t) C.int {
	sinks, ok := cgo.Handle(env).Value().(*ioSinks)
	if !ok {
		return 0
	}
	w := sinks.stdout
	if stream == 2 {
		w = sinks.stderr
	}
	if w == nil || n == 0 {
		return 0
	}
	// A copy: the writer may keep the slice.
	_, err := w.Write(C.GoBytes(unsafe.Pointer(data), C.int(n)))
	return writeStatus(err)
}

// writeStatus is what a writer's error makes Python's write raise (see
// pyodide_write_status_fn): the errno it wraps (syscall.EPIPE: a
// BrokenPipeError), else EIO; 0 for none.
func writeStatus(err error) C.int {
	if err == nil {
		return 0
	}
	var errno syscall.Errno
	if errors.As(err, &errno) && errno != 0 {
		return C.int(errno)
	}
	return C.int(syscall.EIO)
}

// Runtime is one sandboxed interpreter (pyodide_t).
type Runtime struct {
	// pyodide_destroy must not overlap another call on the runtime (a
	// proxy's finalizer, another goroutine): every call counts itself in
	// calls, and Close waits for none to be left. Not a RWMutex: a host
	// function calls back into the runtime inside a call, and a nested
	// RLock would deadlock against a waiting Close; here the nested call is
	// refused instead.
	mu      sync.Mutex
	idle    sync.Cond // signalled when calls drops to 0 and when c becomes nil
	calls   int
	closing bool // Close has begun: new calls are refused
	// pyodide_destroy is running, without mu: the finalizers it calls may
	// call back (refused, as closing) or release handles (the library
	// serialises those with the destroy).
	destroying bool
	c          *C.pyodide_t // nil once destroyed
	io         cgo.Handle
	hasIO      bool
	// permanent: the process default (Default), which the library keeps
	// until the process exits; Close does nothing.
	permanent bool
	hosts     hostRegistry
}

// Version is the library's version, e.g. "0.1.0".
func Version() string {
	return C.GoString(C.pyodide_version())
}

// Load starts an interpreter. opts may be nil.
func Load(opts *Options) (*Runtime, error) {
	if opts == nil {
		opts = &Options{}
	}
	var cfg C.pyodide_config_t
	C.pyodide_config_init(&cfg)
	var toFree []unsafe.Pointer
	defer func() {
		for _, p := range toFree {
			C.free(p)
		}
	}()
	cstr := func(s string) *C.char {
		p := C.CString(s)
		toFree = append(toFree, unsafe.Pointer(p))
		return p
	}
	if opts.AssetDir != "" {
		cfg.asset_dir = cstr(opts.AssetDir)
	}
	if opts.IndexURL != "" {
		cfg.index_url = cstr(opts.IndexURL)
	}
	if opts.Snapshot != "" {
		cfg.snapshot = cstr(opts.Snapshot)
	}
	cfg.memory_limit = C.uint64_t(opts.MemoryLimit)
	cfg.timeout_s = C.double(opts.Timeout.Seconds())
	if n := len(opts.Mounts); n > 0 {
		mounts := (*C.pyodide_mount_t)(C.calloc(C.size_t(n), C.sizeof_pyodide_mount_t))
		toFree = append(toFree, unsafe.Pointer(mounts))
		ms := unsafe.Slice(mounts, n)
		for i, m := range opts.Mounts {
			ms[i].host_path = cstr(m.HostPath)
			ms[i].guest_path = cstr(m.GuestPath)
			ms[i].read_only = C.bool(m.ReadOnly)
		}
		cfg.mounts = mounts
		cfg.nmounts = C.size_t(n)
	}
	r := &Runtime{}
	r.idle.L = &r.mu
	if opts.Stdout != nil || opts.Stderr != nil || opts.Stdin != nil || opts.TerminalSize != nil {
		r.io = cgo.NewHandle(&ioSinks{stdout: opts.Stdout, stderr: opts.Stderr, stdin: opts.Stdin,
			terminalSize: opts.TerminalSize})
		r.hasIO = true
		C.pgo_config_set_io(&cfg, boolInt(opts.Stdout != nil), boolInt(opts.Stderr != nil),
			boolInt(opts.Stdin != nil), boolInt(opts.StdinIsatty), boolInt(opts.TerminalSize != nil),
			C.uintptr_t(r.io))
		cfg.stdout_isatty = C.bool(opts.Stdout != nil && opts.StdoutIsatty)
		cfg.stderr_isatty = C.bool(opts.Stderr != nil && opts.StderrIsatty)
	}
	var out *C.pyodide_t
	if err := takeError(C.pyodide_load(&cfg, &out)); err != nil {
		if r.hasIO {
			r.io.Delete()
		}
		return nil, err
	}
	r.c = out
	runtime.SetFinalizer(r, (*Runtime).Close)
	return r, nil
}

func boolInt(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// Close destroys the interpreter. Proxies of it report KindUsage errors from
// then on, and the memory of its buffers is gone: slices from Buffer.Bytes
// and friends must not be touched after Close. Close waits for calls in
// progress on other goroutines (interrupt them first). Closing twice is
// harmless.
//
// A host function that calls back into the runtime while Close waits gets
// a KindUsage error ("the runtime is closed") rather than a deadlock.
func (r *Runtime) Close() error {
	if r.permanent {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		for r.c != nil { // another goroutine is closing it
			r.idle.Wait()
		}
		return nil
	}
	r.closing = true
	for r.calls > 0 {
		r.idle.Wait()
	}
	// Not under r.mu: a host object's finalizer may use the runtime, and
	// gets a usage error rather than a deadlock.
	c := r.c
	r.destroying = true
	r.mu.Unlock()
	C.pyodide_destroy(c)
	r.mu.Lock()
	r.destroying = false
	r.c = nil
	r.idle.Broadcast()
	if r.hasIO {
		r.io.Delete()
	}
	runtime.SetFinalizer(r, nil)
	return nil
}

// enter counts one call into the library; the caller must r.leave().
func (r *Runtime) enter() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		return usageError("the runtime is closed")
	}
	r.calls++
	return nil
}

// leave ends a call counted by enter (or release).
func (r *Runtime) leave() {
	r.mu.Lock()
	r.calls--
	if r.calls == 0 {
		r.idle.Broadcast()
	}
	r.mu.Unlock()
}

// isClosed reports whether Close has begun.
func (r *Runtime) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closing
}

// release runs free (which frees a handle of this runtime) without
// overlapping pyodide_destroy: as a call while the interpreter exists, even
// while Close waits; during the destroy or after it, straight away (the
// library serialises it with the destroy, and afterwards only frees its
// record of the handle).
func (r *Runtime) release(free func()) {
	r.mu.Lock()
	if r.c == nil || r.destroying {
		r.mu.Unlock()
		free()
		return
	}
	r.calls++
	r.mu.Unlock()
	defer r.leave()
	free()
}

func (r *Runtime) run(code string, globals *Proxy, keep bool) (any, error) {
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
	ccode := C.CString(code)
	defer C.free(unsafe.Pointer(ccode))
	out := (*C.pyodide_value_t)(C.calloc(1, C.sizeof_pyodide_value_t))
	defer C.free(unsafe.Pointer(out))
	var outArg *C.pyodide_value_t
	if keep {
		outArg = out
	}
	err := takeError(C.pyodide_run_python(r.c, ccode, C.size_t(len(code)), g, outArg))
	runtime.KeepAlive(globals)
	if err != nil {
		return nil, err
	}
	return r.takeValue(out)
}

// RunPython runs Python source like Pyodide's runPython, in the globals
// (__main__'s namespace): the value of a final expression, else nil.
func (r *Runtime) RunPython(code string) (any, error) {
	return r.run(code, nil, true)
}

// RunPythonIn runs Python source with globals (a proxy of a dict).
func (r *Runtime) RunPythonIn(code string, globals *Proxy) (any, error) {
	if globals == nil {
		return nil, usageError("RunPythonIn: globals is nil")
	}
	return r.run(code, globals, true)
}

// Exec runs Python source and discards its value.
func (r *Runtime) Exec(code string) error {
	_, err := r.run(code, nil, false)
	return err
}

// Globals is a new proxy of the globals dict (__main__'s namespace).
func (r *Runtime) Globals() (*Proxy, error) {
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer r.leave()
	var out *C.pyproxy_t
	if err := takeError(C.pyodide_globals(r.c, &out)); err != nil {
		return nil, err
	}
	return r.newProxy(out), nil
}

// ToPy builds a Python object from a Go value (Pyodide's toPy) and returns
// a proxy of it: slices become lists, maps dicts, a *Proxy its object.
func (r *Runtime) ToPy(v any) (*Proxy, error) {
	return r.ToPyDepth(v, -1)
}

// ToPyDepth is ToPy with a limit on container depth (-1 = any); a deeper
// value is a KindUsage error.
func (r *Runtime) ToPyDepth(v any, depth int) (*Proxy, error) {
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer r.leave()
	a := arena{rt: r}
	defer a.free()
	cv, err := a.value(v)
	if err != nil {
		return nil, err
	}
	var out *C.pyproxy_t
	err = takeError(C.pyodide_to_py(r.c, cv, C.int32_t(depth), &out))
	runtime.KeepAlive(v)
	if err != nil {
		return nil, err
	}
	return r.newProxy(out), nil
}

// SaveSnapshot writes the runtime's whole Python state to a snapshot file at
// path, for Options.Snapshot: imported modules, loaded packages, __main__'s
// globals and the files Python wrote (/home/pyodide, /tmp, anywhere but /lib
// and the mounts). Proxies and buffers held here are
// released in a runtime loaded from it, and host modules must be registered
// there again. State a copy could not carry (an open file, a running asyncio
// task) is a KindPython error naming it; a runtime with mounts or a running
// interval timer (signal.alarm: the timer is this host's) is KindUsage.
func (r *Runtime) SaveSnapshot(path string) error {
	if err := r.enter(); err != nil {
		return err
	}
	defer r.leave()
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	return takeError(C.pyodide_snapshot_save(r.c, cpath))
}

// SetTimeout sets the deadline of every later call (0 = none).
func (r *Runtime) SetTimeout(d time.Duration) error {
	if err := r.enter(); err != nil {
		return err
	}
	defer r.leave()
	return takeError(C.pyodide_set_timeout(r.c, C.double(d.Seconds())))
}

// SignalAction is what Python does with a signal: Signal's answer.
type SignalAction int

const (
	// SignalDefault: Python's default (signal.SIG_DFL, or SIGINT's own
	// handler); nothing was delivered.
	SignalDefault SignalAction = C.PYODIDE_SIGNAL_DEFAULT
	// SignalIgnored: Python ignores it (signal.SIG_IGN); nothing was delivered.
	SignalIgnored SignalAction = C.PYODIDE_SIGNAL_IGNORED
	// SignalHandled: Python has a handler of its own; it was delivered, and
	// the handler runs.
	SignalHandled SignalAction = C.PYODIDE_SIGNAL_HANDLED
)

// Signal, from any goroutine, delivers signal signum (Linux's numbers:
// syscall.SIGTERM and friends) to Python as the system delivers one to
// python3, when Python set a handler of its own for it with signal.signal:
// the handler runs at the interpreter's next check, in the running call or
// else the next one, and nothing is stopped hard. Otherwise nothing is done
// and the answer says what Python would do, for the host to do it: SIGINT's
// own handler is SignalDefault, for which Interrupt raises its
// KeyboardInterrupt. A KindUsage error for a number that is no signal (1 to
// 64) or a closed runtime.
func (r *Runtime) Signal(signum syscall.Signal) (SignalAction, error) {
	var err error
	action := C.pyodide_signal_action_t(C.PYODIDE_SIGNAL_DEFAULT)
	open := false
	r.release(func() {
		if r.c != nil {
			open = true
			err = takeError(C.pyodide_signal(r.c, C.int(signum), &action))
		}
	})
	if !open {
		return SignalDefault, usageError("the runtime is closed")
	}
	return SignalAction(action), err
}

// Interrupt, from another goroutine while a call runs, makes Python raise
// KeyboardInterrupt: the call fails with that Python error or a KindLimit
// error. Code that ignores it is stopped hard after 100 ms and the runtime
// is dead (KindFatal) from then on. Does nothing when no call is running.
func (r *Runtime) Interrupt() error {
	var err error
	interrupted := false
	// Also while Close waits for the running call: it helps that call end.
	r.release(func() {
		if r.c != nil {
			interrupted = true
			err = takeError(C.pyodide_interrupt(r.c))
		}
	})
	if !interrupted {
		return usageError("the runtime is closed")
	}
	return err
}

// Stats are counters for leak checks and monitoring.
type Stats struct {
	MemoryBytes    uint64 // the runtime's linear memory (it never shrinks)
	GuestObjects   uint64 // objects the runtime holds for the host: proxies, buffers
	ProcessProxies uint64 // live proxies in the whole process
	ProcessBuffers uint64 // live buffers in the whole process
}

// Stats reads the runtime's counters.
func (r *Runtime) Stats() (Stats, error) {
	if err := r.enter(); err != nil {
		return Stats{}, err
	}
	defer r.leave()
	var s C.pyodide_stats_t
	s.size = C.sizeof_pyodide_stats_t
	if err := takeError(C.pyodide_stats(r.c, &s)); err != nil {
		return Stats{}, err
	}
	return Stats{
		MemoryBytes:    uint64(s.memory_bytes),
		GuestObjects:   uint64(s.guest_objects),
		ProcessProxies: uint64(s.process_proxies),
		ProcessBuffers: uint64(s.process_buffers),
	}, nil
}
