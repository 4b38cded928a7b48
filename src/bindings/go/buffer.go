package pyodide

// #include <stdlib.h>
// #include "pyodide.h"
// #include "helpers.h"
import "C"

import (
	"runtime"
	"strings"
	"sync"
	"unsafe"
)

// Buffer is a Python buffer seen in place (pybuffer_t): its memory is the
// interpreter's, so writes through the slices below are visible to Python
// and Python's writes to Go. Close it when done (a finalizer releases a
// forgotten one eventually).
//
// The slices from Bytes, Float64s, ... and Slice point straight into the
// interpreter's memory: they do not keep the Buffer alive and must not be
// used after Buffer.Close or Runtime.Close (the memory is then reused or
// unmapped). Keep the Buffer reachable while you use them, e.g. with
// `defer buf.Close()`. The memory stays put while the buffer is held, even
// when Python grows its heap.
type Buffer struct {
	rt *Runtime
	mu sync.Mutex
	c  C.pybuffer_t
	ok bool
}

// Buffer exports the object's buffer without copying. typ reinterprets the
// elements with Pyodide's names ("u8", "i32", "f64", ...); "" keeps the
// buffer's own format. An object without the buffer protocol is a Python
// TypeError.
func (p *Proxy) Buffer(typ string) (*Buffer, error) {
	b := &Buffer{rt: p.rt}
	err := p.do(func(h *C.pyproxy_t, a *arena) (*C.pyodide_error_t, error) {
		var t *C.char
		if typ != "" {
			t = (*C.char)(a.alloc(len(typ) + 1))
			copy(unsafe.Slice((*byte)(unsafe.Pointer(t)), len(typ)), typ)
		}
		cerr := C.pyproxy_get_buffer(h, t, &b.c)
		b.ok = cerr == nil
		return cerr, nil
	})
	if err != nil {
		return nil, err
	}
	runtime.SetFinalizer(b, (*Buffer).Close)
	return b, nil
}

// Close ends the export (pybuffer_release). Closing twice is harmless.
func (b *Buffer) Close() error {
	b.rt.release(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.ok {
			b.ok = false
			// Also after the runtime's Close: the library then only frees its
			// record of the export.
			C.pybuffer_release(&b.c)
			b.c = C.pybuffer_t{}
		}
	})
	runtime.SetFinalizer(b, nil)
	return nil
}

func (b *Buffer) dims(p *C.ptrdiff_t) []int {
	n := int(b.c.ndim)
	out := make([]int, n)
	for i := range out {
		out[i] = int(C.pgo_dim(p, C.size_t(i)))
	}
	return out
}

// NDim is the number of dimensions (0 for a scalar view).
func (b *Buffer) NDim() int { return int(b.c.ndim) }

// Shape is the size of each dimension.
func (b *Buffer) Shape() []int { return b.dims(b.c.shape) }

// Strides are in elements, as Pyodide's PyBuffer; they may be negative.
func (b *Buffer) Strides() []int { return b.dims(b.c.strides) }

// ByteStrides are in bytes, as Python's Py_buffer.
func (b *Buffer) ByteStrides() []int { return b.dims(b.c.byte_strides) }

// Format is the struct-module format: "B", "d", "<i", ...
func (b *Buffer) Format() string {
	if b.c.format == nil {
		return ""
	}
	return C.GoString(b.c.format)
}

// ItemSize is the bytes per element.
func (b *Buffer) ItemSize() int { return int(b.c.itemsize) }

// NBytes is the size of the segment the elements span.
func (b *Buffer) NBytes() int { return int(b.c.nbytes) }

// Len is the number of elements (the product of the shape).
func (b *Buffer) Len() int {
	n := 1
	for _, d := range b.Shape() {
		n *= d
	}
	return n
}

// ReadOnly reports whether Python exported the buffer read-only (bytes).
// Writing through a slice of a read-only buffer is not prevented by Go;
// don't.
func (b *Buffer) ReadOnly() bool { return bool(b.c.readonly) }

// CContiguous reports whether the elements are contiguous in C order.
func (b *Buffer) CContiguous() bool { return bool(b.c.c_contiguous) }

// FContiguous reports whether the elements are contiguous in Fortran order.
func (b *Buffer) FContiguous() bool { return bool(b.c.f_contiguous) }

// Number is the element types of typed views.
type Number interface {
	~int8 | ~uint8 | ~int16 | ~uint16 | ~int32 | ~uint32 | ~int64 | ~uint64 | ~float32 | ~float64
}

func (b *Buffer) open() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.ok {
		return usageError("the buffer is closed")
	}
	if b.rt.isClosed() {
		return usageError("the runtime is closed")
	}
	return nil
}

// Slice is the buffer's elements as a []T, in place, for a C-contiguous
// buffer whose item size is T's; otherwise a KindUsage error. See the
// Buffer doc for how long the slice may be used.
func Slice[T Number](b *Buffer) ([]T, error) {
	if err := b.open(); err != nil {
		return nil, err
	}
	var zero T
	size := int(unsafe.Sizeof(zero))
	if !b.CContiguous() {
		return nil, usageError("the buffer is not C-contiguous: use At")
	}
	if b.ItemSize() != size {
		return nil, usageError("the buffer's items are %d bytes (format %q), not %d (%T)", b.ItemSize(), b.Format(), size, zero)
	}
	n := b.NBytes() / size
	if n == 0 {
		return []T{}, nil
	}
	if uintptr(b.c.first)%unsafe.Alignof(zero) != 0 {
		return nil, usageError("the buffer's memory is not aligned for %T", zero)
	}
	return unsafe.Slice((*T)(b.c.first), n), nil
}

// Bytes is the raw bytes of a C-contiguous buffer of any item type, in place.
func (b *Buffer) Bytes() ([]byte, error) {
	if err := b.open(); err != nil {
		return nil, err
	}
	if !b.CContiguous() {
		return nil, usageError("the buffer is not C-contiguous: use At")
	}
	if b.NBytes() == 0 {
		return []byte{}, nil
	}
	return unsafe.Slice((*byte)(b.c.first), b.NBytes()), nil
}

func (b *Buffer) checkFormat(code string) error {
	f := strings.TrimLeft(b.Format(), "@=<")
	if f != code {
		return usageError("the buffer's format is %q, not %q", b.Format(), code)
	}
	return nil
}

// Float64s is a buffer of doubles (format "d") as a []float64, in place.
func (b *Buffer) Float64s() ([]float64, error) {
	if err := b.checkFormat("d"); err != nil {
		return nil, err
	}
	return Slice[float64](b)
}

// Float32s is a buffer of floats (format "f") as a []float32, in place.
func (b *Buffer) Float32s() ([]float32, error) {
	if err := b.checkFormat("f"); err != nil {
		return nil, err
	}
	return Slice[float32](b)
}

// Int32s is a buffer of 32-bit ints (format "i", or "<i" for 'l') as an
// []int32, in place.
func (b *Buffer) Int32s() ([]int32, error) {
	if err := b.checkFormat("i"); err != nil {
		return nil, err
	}
	return Slice[int32](b)
}

// Int64s is a buffer of 64-bit ints (format "q") as an []int64, in place.
func (b *Buffer) Int64s() ([]int64, error) {
	if err := b.checkFormat("q"); err != nil {
		return nil, err
	}
	return Slice[int64](b)
}

func (b *Buffer) element(size int, index []int) (unsafe.Pointer, error) {
	if err := b.open(); err != nil {
		return nil, err
	}
	if b.ItemSize() != size {
		return nil, usageError("the buffer's items are %d bytes (format %q), not %d", b.ItemSize(), b.Format(), size)
	}
	shape, strides := b.Shape(), b.ByteStrides()
	if len(index) != len(shape) {
		return nil, usageError("the buffer has %d dimensions, the index %d", len(shape), len(index))
	}
	off := 0
	for d, i := range index {
		if i < 0 || i >= shape[d] {
			return nil, usageError("index %d is out of range for dimension %d of size %d", i, d, shape[d])
		}
		off += i * strides[d]
	}
	return unsafe.Add(b.c.first, off), nil
}

// At reads element [i0, i1, ...] of any layout (strides may be negative).
func At[T Number](b *Buffer, index ...int) (T, error) {
	var zero T
	p, err := b.element(int(unsafe.Sizeof(zero)), index)
	if err != nil {
		return zero, err
	}
	return *(*T)(p), nil
}

// SetAt writes element [i0, i1, ...]; Python sees it.
func SetAt[T Number](b *Buffer, value T, index ...int) error {
	if b.ReadOnly() {
		return usageError("the buffer is read-only")
	}
	p, err := b.element(int(unsafe.Sizeof(value)), index)
	if err != nil {
		return err
	}
	*(*T)(p) = value
	return nil
}
