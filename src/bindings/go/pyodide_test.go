package pyodide

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func load(t *testing.T, opts *Options) *Runtime {
	t.Helper()
	py, err := Load(opts)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	t.Cleanup(func() { py.Close() })
	return py
}

func run(t *testing.T, py *Runtime, code string) any {
	t.Helper()
	v, err := py.RunPython(code)
	if err != nil {
		t.Fatalf("RunPython(%q): %v", code, err)
	}
	return v
}

func proxy(t *testing.T, py *Runtime, code string) *Proxy {
	t.Helper()
	v := run(t, py, code)
	p, ok := v.(*Proxy)
	if !ok {
		t.Fatalf("RunPython(%q) = %#v, not a *Proxy", code, v)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// must panics on an error, which fails the test with its stack.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func expectPython(t *testing.T, err error, typ string) {
	t.Helper()
	if !IsPython(err, typ) {
		t.Fatalf("expected a Python %s, got %#v", typ, err)
	}
}

func expectKind(t *testing.T, err error, kind ErrorKind) {
	t.Helper()
	if KindOf(err) != kind {
		t.Fatalf("expected a %v error, got %#v", kind, err)
	}
}

func TestRunPythonReturnsTheLastExpression(t *testing.T) {
	py := load(t, nil)
	if v := run(t, py, "x = 6\nx * 7"); v != int64(42) {
		t.Fatalf("got %#v", v)
	}
	if v := run(t, py, "y = 1"); v != nil {
		t.Fatalf("got %#v", v)
	}
	if err := py.Exec("z = x + y"); err != nil {
		t.Fatal(err)
	}
	if v := run(t, py, "z"); v != int64(7) {
		t.Fatalf("got %#v", v)
	}
	if Version() == "" {
		t.Fatal("empty version")
	}
}

func TestScalarConversions(t *testing.T) {
	py := load(t, nil)
	cases := map[string]any{
		"None": nil, "True": true, "-2**63": int64(-1 << 63), "1.5": 1.5,
		"'héllo ✓'": "héllo ✓", "'a\\0b'": "a\x00b", "b'\\x00\\xff'": []byte{0, 255},
	}
	for code, want := range cases {
		if got := run(t, py, code); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %#v, want %#v", code, got, want)
		}
	}
	big := proxy(t, py, "2**64")
	if typ := must(big.Type()); typ != "int" {
		t.Fatalf("type %q", typ)
	}
	proxy(t, py, "'\\ud800'") // no exact Go form: a proxy
	proxy(t, py, "[1, 2]")
}

func TestGoValuesRoundTrip(t *testing.T) {
	py := load(t, nil)
	g := must(py.Globals())
	defer g.Close()
	v := []any{nil, false, int64(-7), 0.25, "ü", []byte("\x00b"), map[any]any{int64(1): "one", "k": []any{}}}
	if err := g.Set("v", v); err != nil {
		t.Fatal(err)
	}
	if ok := run(t, py, "v == [None, False, -7, 0.25, 'ü', b'\\x00b', {1: 'one', 'k': []}]"); ok != true {
		t.Fatal("v differs in Python")
	}
	back := must(must(g.Get("v")).(*Proxy).ToGo(-1))
	if !reflect.DeepEqual(back, v) {
		t.Fatalf("back: %#v", back)
	}
	// Other Go types, through reflection.
	type myInt int
	for name, val := range map[string]any{
		"a": []int{1, 2, 3}, "b": map[string]float64{"x": 1.5}, "c": [2]string{"p", "q"},
		"d": myInt(5), "e": uint32(7), "f": float32(0.5), "g": [3]byte{1, 2, 3},
	} {
		if err := g.Set(name, val); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	want := "(a, b, c, d, e, f, g) == ([1, 2, 3], {'x': 1.5}, ['p', 'q'], 5, 7, 0.5, b'\\x01\\x02\\x03')"
	if ok := run(t, py, want); ok != true {
		t.Fatalf("%v is false", want)
	}
}

func TestErrorsCarryKindTypeAndMessage(t *testing.T) {
	py := load(t, nil)
	_, err := py.RunPython("1 / 0")
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("not an *Error: %#v", err)
	}
	if e.Kind != KindPython || e.Type != "ZeroDivisionError" {
		t.Fatalf("%#v", e)
	}
	if !strings.Contains(e.Message, "Traceback") || !strings.HasSuffix(e.Error(), "ZeroDivisionError: division by zero") {
		t.Fatalf("message %q / %q", e.Message, e.Error())
	}
	_, err = py.RunPython("def f(:\n  pass")
	expectPython(t, err, "SyntaxError")
	_, err = py.RunPython("class MyError(Exception): pass\nraise MyError('mine')")
	expectPython(t, err, "MyError")
	if v := run(t, py, "1 + 1"); v != int64(2) {
		t.Fatal("runtime unusable after errors")
	}
}

func TestWrongTypesAreErrors(t *testing.T) {
	py := load(t, nil)
	g := must(py.Globals())
	defer g.Close()
	expectKind(t, g.Set("x", struct{ A int }{1}), KindUsage)
	expectKind(t, g.Set("x", make(chan int)), KindUsage)
	expectKind(t, g.Set("x", uint64(1<<63)), KindUsage)
	expectKind(t, g.Set("x", "\xff invalid utf-8"), KindUsage)
	var nilProxy *Proxy
	expectKind(t, g.Set("x", nilProxy), KindUsage)
	f := proxy(t, py, "import fractions\nfractions.Fraction(1, 3)")
	_, err := f.Len()
	expectPython(t, err, "TypeError")
	_, err = f.Get(0)
	expectPython(t, err, "TypeError")
	_, err = f.Call()
	expectPython(t, err, "TypeError")
	// A dict whose keys have no comparable Go form.
	tk := proxy(t, py, "{(1, 2): 'tuple key'}")
	_, err = tk.ToGo(-1)
	expectKind(t, err, KindUsage)
	if v := must(tk.ToGo(0)); reflect.TypeOf(v) != reflect.TypeOf(&Proxy{}) {
		t.Fatalf("depth 0: %#v", v)
	}
}

func TestItemsAndAttributes(t *testing.T) {
	py := load(t, nil)
	d := proxy(t, py, "d = {'a': 1}\nd")
	if typ := must(d.Type()); typ != "dict" {
		t.Fatal(typ)
	}
	if v := must(d.Get("a")); v != int64(1) {
		t.Fatal(v)
	}
	if err := d.Set("b", []any{int64(2)}); err != nil {
		t.Fatal(err)
	}
	if !must(d.Has("b")) || must(d.Has("zz")) {
		t.Fatal("Has")
	}
	if n := must(d.Len()); n != 2 {
		t.Fatal(n)
	}
	if err := d.Delete("a"); err != nil {
		t.Fatal(err)
	}
	_, err := d.Get("a")
	expectPython(t, err, "KeyError")
	l := proxy(t, py, "[10, 20, 30]")
	if v := must(l.Get(-1)); v != int64(30) {
		t.Fatal(v)
	}
	_, err = l.Get(5)
	expectPython(t, err, "IndexError")

	o := proxy(t, py, "class C:\n  x = 1\nC()")
	if typ := must(o.Type()); typ != "C" {
		t.Fatal(typ)
	}
	if v := must(o.Attr("x")); v != int64(1) {
		t.Fatal(v)
	}
	if err := o.SetAttr("y", "why"); err != nil {
		t.Fatal(err)
	}
	if !must(o.HasAttr("y")) {
		t.Fatal("HasAttr")
	}
	if err := o.DelAttr("y"); err != nil {
		t.Fatal(err)
	}
	_, err = o.Attr("y")
	expectPython(t, err, "AttributeError")
	expectPython(t, o.DelAttr("nope"), "AttributeError")
}

func TestCalls(t *testing.T) {
	py := load(t, nil)
	f := proxy(t, py, "def f(a, b=2, *, c=3):\n  return [a, b, c]\nf")
	r := must(f.Call(1)).(*Proxy)
	defer r.Close()
	if v := must(r.ToGo(-1)); !reflect.DeepEqual(v, []any{int64(1), int64(2), int64(3)}) {
		t.Fatalf("%#v", v)
	}
	r2 := must(f.CallKwargs([]any{"a"}, map[string]any{"c": 0.5, "b": nil})).(*Proxy)
	defer r2.Close()
	if v := must(r2.ToGo(-1)); !reflect.DeepEqual(v, []any{"a", nil, 0.5}) {
		t.Fatalf("%#v", v)
	}
	_, err := f.Call()
	expectPython(t, err, "TypeError")
	_, err = f.CallKwargs([]any{1}, map[string]any{"nope": 1})
	expectPython(t, err, "TypeError")
	// A proxy as an argument.
	typ := proxy(t, py, "lambda o: type(o).__name__")
	if v := must(typ.Call(f)); v != "function" {
		t.Fatal(v)
	}
	s := must(py.ToPy("a,b"))
	defer s.Close()
	parts := must(s.CallMethod("split", ",")).(*Proxy)
	defer parts.Close()
	if v := must(parts.ToGo(-1)); !reflect.DeepEqual(v, []any{"a", "b"}) {
		t.Fatalf("%#v", v)
	}
}

func TestIteration(t *testing.T) {
	py := load(t, nil)
	r := proxy(t, py, "range(5)")
	it := must(r.Iter())
	var got []any
	for it.Next() {
		got = append(got, it.Value())
	}
	if it.Err() != nil || !reflect.DeepEqual(got, []any{int64(0), int64(1), int64(2), int64(3), int64(4)}) {
		t.Fatalf("%v %v", got, it.Err())
	}
	g := proxy(t, py, "def g():\n  yield 1\n  raise ValueError('bad')\ng()")
	it = must(g.Iter())
	if !it.Next() || it.Value() != int64(1) {
		t.Fatal("first item")
	}
	if it.Next() {
		t.Fatal("expected the end")
	}
	expectPython(t, it.Err(), "ValueError")

	acc := proxy(t, py, "def acc():\n  total = 0\n  while True:\n    x = yield total\n    if x is None: return total\n    total += x\nacc()")
	steps := []struct {
		send any
		want any
		done bool
	}{{nil, int64(0), false}, {5, int64(5), false}, {7, int64(12), false}, {nil, int64(12), true}}
	for _, s := range steps {
		v, done, err := acc.Next(s.send)
		if err != nil || v != s.want || done != s.done {
			t.Fatalf("send %v: %v %v %v", s.send, v, done, err)
		}
	}
	f := proxy(t, py, "import fractions\nfractions.Fraction(1)")
	_, err := f.Iter()
	expectPython(t, err, "TypeError")
}

func TestToGoDepthAndCycles(t *testing.T) {
	py := load(t, nil)
	p := proxy(t, py, "import fractions\nx = [1, (2, [3]), {'k': {4}}, fractions.Fraction(1, 2)]\nx")
	all := must(p.ToGo(-1)).([]any)
	if !reflect.DeepEqual(all[:3], []any{int64(1), []any{int64(2), []any{int64(3)}}, map[any]any{"k": []any{int64(4)}}}) {
		t.Fatalf("%#v", all)
	}
	frac := all[3].(*Proxy)
	defer frac.Close()
	if d := must(frac.Attr("denominator")); d != int64(2) {
		t.Fatal(d)
	}
	shallow := must(p.ToGo(1)).([]any)
	inner := shallow[1].(*Proxy)
	if typ := must(inner.Type()); typ != "tuple" {
		t.Fatal(typ)
	}
	c := proxy(t, py, "c = []\nc.append(c)\nc")
	cv := must(c.ToGo(-1)).([]any)
	if _, ok := cv[0].(*Proxy); !ok {
		t.Fatalf("cycle: %#v", cv)
	}
}

func TestToPySelfContainingValues(t *testing.T) {
	py := load(t, nil)
	once := make([]any, 1)
	once[0] = once
	twice := make([]any, 2)
	twice[0], twice[1] = twice, twice
	dict := map[any]any{}
	dict["self"] = dict
	for _, v := range []any{once, twice, dict} {
		for _, depth := range []int{3, -1} {
			p, err := py.ToPyDepth(v, depth)
			if p != nil {
				t.Fatalf("depth %d: a proxy for a value that contains itself", depth)
			}
			expectKind(t, err, KindUsage)
		}
	}
	// The runtime is unharmed.
	p := must(py.ToPyDepth([]any{int64(1)}, 1))
	defer p.Close()
	if n := must(p.Len()); n != 1 {
		t.Fatal(n)
	}
}

func guestObjects(t *testing.T, py *Runtime) uint64 {
	return must(py.Stats()).GuestObjects
}

func TestClosedProxiesAndFinalizers(t *testing.T) {
	py := load(t, nil)
	base := guestObjects(t, py)
	l := proxy(t, py, "[object(), object()]")
	deep := must(l.ToGo(-1)).([]any)
	cp := must(l.Copy())
	if guestObjects(t, py) < base+4 {
		t.Fatal("proxies not counted")
	}
	for _, x := range deep {
		x.(*Proxy).Close()
	}
	cp.Close()
	l.Close()
	l.Close() // twice: harmless
	if n := guestObjects(t, py); n != base {
		t.Fatalf("%d objects held, want %d", n, base)
	}
	_, err := l.Len()
	expectKind(t, err, KindUsage)
	// Forgotten proxies are released by their finalizers.
	for i := 0; i < 50; i++ {
		if _, err := py.RunPython("object()"); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for guestObjects(t, py) != base && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if n := guestObjects(t, py); n != base {
		t.Fatalf("finalizers left %d objects, want %d", n, base)
	}
}

func TestClosedRuntime(t *testing.T) {
	py, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	g := must(py.Globals())
	ba := must(py.RunPython("bytearray(4)")).(*Proxy)
	buf := must(ba.Buffer(""))
	if err := py.Close(); err != nil {
		t.Fatal(err)
	}
	py.Close() // twice: harmless
	_, err = py.RunPython("1")
	expectKind(t, err, KindUsage)
	_, err = g.Get("x")
	expectKind(t, err, KindUsage)
	_, err = buf.Bytes()
	expectKind(t, err, KindUsage)
	expectKind(t, py.Interrupt(), KindUsage)
	_, err = py.Signal(syscall.SIGTERM)
	expectKind(t, err, KindUsage)
	// Closing what is left is harmless.
	buf.Close()
	g.Close()
	ba.Close()
}

func TestBuffersAreSharedMemory(t *testing.T) {
	py := load(t, nil)
	ba := proxy(t, py, "ba = bytearray(b'hello')\nba")
	buf := must(ba.Buffer(""))
	if buf.Format() != "B" || buf.NDim() != 1 || buf.ItemSize() != 1 || buf.Len() != 5 || buf.ReadOnly() || !buf.CContiguous() {
		t.Fatalf("%s %d %d %d", buf.Format(), buf.NDim(), buf.ItemSize(), buf.Len())
	}
	b := must(buf.Bytes())
	b[0] = 'J'
	if v := run(t, py, "bytes(ba)"); !reflect.DeepEqual(v, []byte("Jello")) {
		t.Fatalf("%q", v)
	}
	if err := py.Exec("ba[4] = ord('y')"); err != nil {
		t.Fatal(err)
	}
	if string(b) != "Jelly" {
		t.Fatalf("%q", b)
	}
	expectPython(t, py.Exec("ba.append(33)"), "BufferError")
	buf.Close()
	_, err := buf.Bytes()
	expectKind(t, err, KindUsage)
	if err := py.Exec("ba.append(33)"); err != nil {
		t.Fatal(err)
	}

	a := proxy(t, py, "import array\na = array.array('d', [1.5, 2.5, 3.5])\na")
	ab := must(a.Buffer(""))
	defer ab.Close()
	fs := must(ab.Float64s())
	fs[2] = 9.25
	if v := run(t, py, "a[2]"); v != 9.25 {
		t.Fatal(v)
	}
	if v := must(At[float64](ab, 1)); v != 2.5 {
		t.Fatal(v)
	}
	if err := SetAt(ab, -1.0, 0); err != nil {
		t.Fatal(err)
	}
	if v := run(t, py, "a[0]"); v != -1.0 {
		t.Fatal(v)
	}
	_, err = ab.Int64s() // right size, wrong format
	expectKind(t, err, KindUsage)
	_, err = Slice[float32](ab)
	expectKind(t, err, KindUsage)
	_, err = At[float64](ab, 3)
	expectKind(t, err, KindUsage)

	l := proxy(t, py, "array.array('l', [7, -8])")
	lb := must(l.Buffer(""))
	defer lb.Close()
	if is := must(lb.Int32s()); !reflect.DeepEqual(is, []int32{7, -8}) || lb.Format() != "<i" {
		t.Fatalf("%v %q", is, lb.Format())
	}
	u := must(a.Buffer("u8"))
	defer u.Close()
	if n := len(must(u.Bytes())); n != 24 {
		t.Fatal(n)
	}
}

func TestStridedBuffersAndErrors(t *testing.T) {
	py := load(t, nil)
	m := proxy(t, py, "m = memoryview(bytearray(range(12))).cast('B', (3, 4))\nm")
	mb := must(m.Buffer(""))
	defer mb.Close()
	if !reflect.DeepEqual(mb.Shape(), []int{3, 4}) || !reflect.DeepEqual(mb.Strides(), []int{4, 1}) {
		t.Fatal(mb.Shape(), mb.Strides())
	}
	if v := must(At[uint8](mb, 2, 3)); v != 11 {
		t.Fatal(v)
	}
	if err := SetAt[uint8](mb, 99, 1, 1); err != nil {
		t.Fatal(err)
	}
	if v := run(t, py, "m[1, 1]"); v != int64(99) {
		t.Fatal(v)
	}
	_, err := At[uint8](mb, 1)
	expectKind(t, err, KindUsage)

	r := proxy(t, py, "memoryview(bytearray(range(10)))[::-1]")
	rb := must(r.Buffer(""))
	defer rb.Close()
	if rb.CContiguous() || rb.Strides()[0] != -1 {
		t.Fatal("reversed view")
	}
	_, err = rb.Bytes()
	expectKind(t, err, KindUsage)
	var rev []uint8
	for i := 0; i < 10; i++ {
		rev = append(rev, must(At[uint8](rb, i)))
	}
	if !reflect.DeepEqual(rev, []uint8{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}) {
		t.Fatal(rev)
	}
	by := must(py.ToPy([]byte("abc")))
	defer by.Close()
	bb := must(by.Buffer(""))
	defer bb.Close()
	if !bb.ReadOnly() {
		t.Fatal("bytes should be read-only")
	}
	expectKind(t, SetAt[uint8](bb, 1, 0), KindUsage)
	lst := proxy(t, py, "[1]")
	_, err = lst.Buffer("")
	expectPython(t, err, "TypeError")
	_, err = m.Buffer("complex")
	expectKind(t, err, KindUsage)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestStdoutAndStderrWriters(t *testing.T) {
	var out, errOut syncBuffer
	py := load(t, &Options{Stdout: &out, Stderr: &errOut})
	if err := py.Exec("import sys\nprint('to out', 1)\nprint('to err', file=sys.stderr)\nsys.stdout.flush(); sys.stderr.flush()"); err != nil {
		t.Fatal(err)
	}
	if out.String() != "to out 1\n" || errOut.String() != "to err\n" {
		t.Fatalf("%q %q", out.String(), errOut.String())
	}
}

func TestStdinReader(t *testing.T) {
	var out syncBuffer
	py := load(t, &Options{Stdout: &out, Stdin: strings.NewReader("Ada\nLovelace\n")})
	if v := run(t, py, "input('name? ') + ' ' + input()"); v != "Ada Lovelace" {
		t.Fatalf("%#v", v)
	}
	if out.String() != "name? " {
		t.Fatalf("prompt %q", out.String())
	}
	_, err := py.RunPython("input()")
	expectPython(t, err, "EOFError")
	if v := run(t, py, "import sys\nsys.stdin.isatty()"); v != false {
		t.Fatalf("%#v", v)
	}
	raw := load(t, &Options{Stdin: bytes.NewReader([]byte{0xff, 0, 'x'}), StdinIsatty: true})
	if v := run(t, raw, "import sys\nsys.stdin.buffer.read().hex() + ' ' + str(sys.stdin.isatty())"); v != "ff0078 True" {
		t.Fatalf("%#v", v)
	}
}

func TestStdoutAndStderrIsattyAreWhatOptionsSay(t *testing.T) {
	const ttys = "import sys\nf'{sys.stdout.isatty()} {sys.stderr.isatty()}'"
	var out, errs bytes.Buffer
	tty := load(t, &Options{Stdout: &out, StdoutIsatty: true, Stderr: &errs})
	if v := run(t, tty, ttys); v != "True False" {
		t.Fatalf("%#v", v)
	}
	errTty := load(t, &Options{Stdout: &out, Stderr: &errs, StderrIsatty: true})
	if v := run(t, errTty, ttys); v != "False True" {
		t.Fatalf("%#v", v)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

// A writer's error fails Python's write: OSError with the syscall.Errno it
// wraps (a closed pipe's EPIPE is a BrokenPipeError), else EIO.
func TestAWriterThatFailsFailsPythonsWrite(t *testing.T) {
	const outcomes = "import os, sys\n" +
		"def outcome(write):\n    try:\n        write()\n    except OSError as e:\n        return f'{type(e).__name__} {e.errno}'\n    return 'written'\n" +
		"', '.join(outcome(w) for w in (lambda: print('x'), lambda: os.write(1, b'x'), lambda: print('x', file=sys.stderr)))"
	cases := []struct {
		err  error
		want string
	}{
		{&os.PathError{Op: "write", Path: "|1", Err: syscall.EPIPE}, "BrokenPipeError 32, BrokenPipeError 32, written"},
		{syscall.ENOSPC, "OSError 28, OSError 28, written"},
		{errors.New("gone"), "OSError 5, OSError 5, written"},
	}
	for _, c := range cases {
		py := load(t, &Options{Stdout: failingWriter{c.err}, Stderr: io.Discard})
		if v := run(t, py, outcomes); v != c.want {
			t.Fatalf("%v: %#v, want %q", c.err, v, c.want)
		}
		if v := run(t, py, "1 + 1"); v != int64(2) {
			t.Fatalf("%#v", v)
		}
	}
}

func TestOsExitEndsTheRuntimeWithItsStatus(t *testing.T) {
	py := load(t, nil)
	var e *Error
	if _, err := py.RunPython("import sys\nsys.exit(3)"); !errors.As(err, &e) || e.Type != "SystemExit" || e.Exited {
		t.Fatalf("sys.exit: %#v", err)
	}
	for _, code := range []string{"import os\nos._exit(7)", "1"} {
		if _, err := py.RunPython(code); !errors.As(err, &e) || e.Kind != KindFatal || !e.Exited || e.ExitStatus != 7 {
			t.Fatalf("%q: %#v", code, err)
		}
	}
	if !strings.Contains(e.Message, "os._exit(7)") {
		t.Fatalf("%q", e.Message)
	}
}

func TestTerminalSizeIsWhatOptionsSay(t *testing.T) {
	asked := 0
	py := load(t, &Options{Stdout: io.Discard, TerminalSize: func(fd int) (int, int, bool) {
		asked++
		return 77, 22, fd == 1
	}})
	const sizes = "import os, shutil\n" +
		"def size(fd):\n    try:\n        return tuple(os.get_terminal_size(fd))\n    except OSError as e:\n        return e.errno\n" +
		"f'{size(0)} {size(1)} {tuple(shutil.get_terminal_size())}'"
	if v := run(t, py, sizes); v != "25 (77, 22) (77, 22)" || asked != 3 {
		t.Fatalf("%#v, asked %d times", v, asked)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestStdinReadErrorIsOSError(t *testing.T) {
	py := load(t, &Options{Stdin: failingReader{}})
	_, err := py.RunPython("input()")
	expectPython(t, err, "OSError")
	if v := run(t, py, "1 + 1"); v != int64(2) {
		t.Fatal("runtime unusable after a read error")
	}
}

func TestMountsAndConfiguration(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte("from the host"), 0o644); err != nil {
		t.Fatal(err)
	}
	py := load(t, &Options{Mounts: []Mount{{HostPath: dir, GuestPath: "/data"}}})
	if v := run(t, py, "open('/data/in.txt').read()"); v != "from the host" {
		t.Fatal(v)
	}
	if err := py.Exec("open('/data/out.txt', 'w').write('from python')"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "out.txt")); string(b) != "from python" {
		t.Fatalf("%q", b)
	}
	ro := load(t, &Options{Mounts: []Mount{{HostPath: dir, GuestPath: "/ro", ReadOnly: true}}})
	// A write under a read-only mount is refused by the file system: an OSError
	// raised inside Python (not any Python error, such as a typo's NameError).
	if v := run(t, ro, "try:\n    open('/ro/x.txt', 'w')\n    r = 'written'\nexcept OSError as e:\n    r = 'refused'\nr"); v != "refused" {
		t.Fatal(v)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.txt")); !os.IsNotExist(err) {
		t.Fatalf("x.txt exists on the host: %v", err)
	}
	_, err := Load(&Options{AssetDir: "/nonexistent/assets"})
	expectKind(t, err, KindIO)
}

func TestTimeoutAndLimits(t *testing.T) {
	py := load(t, &Options{Timeout: 200 * time.Millisecond})
	// The configured deadline can be lifted and set again.
	if err := py.SetTimeout(0); err != nil {
		t.Fatal(err)
	}
	if v := run(t, py, "import time\nt = time.monotonic()\nwhile time.monotonic() - t < 0.4: pass\n1"); v != int64(1) {
		t.Fatal(v)
	}
	expectKind(t, py.SetTimeout(-time.Second), KindUsage)
	if err := py.SetTimeout(200 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := py.RunPython("while True: pass")
	expectKind(t, err, KindLimit)
	if time.Since(start) > 10*time.Second {
		t.Fatal("too slow")
	}
	// Python honoured the interrupt (a pure-Python loop): the runtime lives on.
	if v := run(t, py, "1"); v != int64(1) {
		t.Fatal(v)
	}
}

func TestGoroutinesShareARuntime(t *testing.T) {
	py := load(t, nil)
	lst := proxy(t, py, "items = []\nitems")
	app := must(lst.Attr("append")).(*Proxy)
	defer app.Close()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				if _, err := app.Call(g*100 + i); err != nil {
					t.Error(err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	if n := must(lst.Len()); n != 100 {
		t.Fatal(n)
	}
}

// interruptibleLoop ends by itself after a minute, so a lost interrupt fails
// the test ("not interrupted") instead of hanging it; `n += 1` gives the loop
// a body inside the `try` (an empty `while True: pass` is outside the
// handler's range in CPython 3.11).
const interruptibleLoop = "import time\nr = 'not interrupted'\nend = time.monotonic() + 60\nn = 0\n" +
	"try:\n    while time.monotonic() < end:\n        n += 1\nexcept KeyboardInterrupt:\n    r = 'interrupted'\nr"

func TestASignalReachesPythonsOwnHandlerFromAnotherGoroutine(t *testing.T) {
	py := load(t, nil)
	must(py.RunPython("import signal\ngot = []\nsignal.signal(signal.SIGTERM, lambda n, f: got.append(n))"))
	done := make(chan any)
	go func() {
		v, err := py.RunPython("while not got:\n    pass\ngot[0]")
		if err != nil {
			done <- err
		}
		done <- v
	}()
	time.Sleep(300 * time.Millisecond)
	if a, err := py.Signal(syscall.SIGTERM); err != nil || a != SignalHandled {
		t.Fatal(a, err)
	}
	select {
	case v := <-done:
		if v != int64(15) {
			t.Fatal(v)
		}
	case <-time.After(90 * time.Second):
		t.Fatal("the handler did not end the loop")
	}
	// Python's defaults are left to the host; a number that is no signal is refused.
	if a, err := py.Signal(syscall.SIGINT); err != nil || a != SignalDefault {
		t.Fatal(a, err)
	}
	must(py.RunPython("signal.signal(signal.SIGHUP, signal.SIG_IGN)"))
	if a, err := py.Signal(syscall.SIGHUP); err != nil || a != SignalIgnored {
		t.Fatal(a, err)
	}
	_, err := py.Signal(0)
	expectKind(t, err, KindUsage)
}

func TestInterruptFromAnotherGoroutine(t *testing.T) {
	py := load(t, nil)
	done := make(chan struct{})
	var v any
	var err error
	go func() {
		defer close(done)
		v, err = py.RunPython(interruptibleLoop)
	}()
	// An interrupt sent before the call starts is dropped, and the goroutine
	// may start late on a loaded machine: interrupt again until it returns.
	giveUp := time.After(90 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		if e := py.Interrupt(); e != nil {
			t.Fatal(e)
		}
		select {
		case <-done:
			break wait
		case <-tick.C:
		case <-giveUp:
			t.Fatal("the call did not return within 90 s of repeated interrupts")
		}
	}
	// The KeyboardInterrupt is caught in Python, or (a second interrupt
	// landing after the handler) escapes it, or the call is stopped hard.
	if err != nil && KindOf(err) != KindLimit && !IsPython(err, "KeyboardInterrupt") {
		t.Fatal(err)
	}
	if err == nil && v != "interrupted" {
		t.Fatal(v)
	}
}
