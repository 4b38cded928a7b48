package pyodide

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRegisterModuleFunctionsAndConstants(t *testing.T) {
	py := load(t, nil)
	err := py.RegisterModule("hostmod", map[string]any{
		"add": Func(func(args ...any) (any, error) {
			if len(args) != 2 {
				return nil, PythonError("TypeError", "add(a: int, b: int)")
			}
			a, ok1 := args[0].(int64)
			b, ok2 := args[1].(int64)
			if !ok1 || !ok2 {
				return nil, PythonError("TypeError", "add(a: int, b: int)")
			}
			return a + b, nil
		}),
		"greet":   func(args ...any) (any, error) { return fmt.Sprintf("hello %v", args[0]), nil },
		"version": "1.2",
		"limits":  []any{int64(1), 2.5},
	})
	if err != nil {
		t.Fatal(err)
	}
	if v := run(t, py, "import hostmod\nhostmod.add(40, 2)"); v != int64(42) {
		t.Fatalf("got %#v", v)
	}
	if v := run(t, py, "hostmod.greet('world')"); v != "hello world" {
		t.Fatalf("got %#v", v)
	}
	if v := run(t, py, "hostmod.version == '1.2' and hostmod.limits == [1, 2.5]"); v != true {
		t.Fatalf("got %#v", v)
	}
	_, err = py.RunPython("hostmod.add('a', 1)")
	expectPython(t, err, "TypeError")
	if !strings.Contains(err.Error(), "add(a: int, b: int)") {
		t.Fatalf("message: %v", err)
	}
}

func TestHostFunctionArgumentsAndResults(t *testing.T) {
	py := load(t, nil)
	var kinds []string
	var lent *Proxy
	err := py.RegisterModule("kindmod", map[string]any{
		"kinds": Func(func(args ...any) (any, error) {
			for _, a := range args {
				kinds = append(kinds, fmt.Sprintf("%T", a))
			}
			return nil, nil
		}),
		"echo_type": Func(func(args ...any) (any, error) {
			p := args[0].(*Proxy)
			lent = p // kept on purpose: it must stop working after the call
			return p.Type()
		}),
		"make": Func(func(args ...any) (any, error) {
			return map[any]any{"s": "ü", "b": []byte{0, 255}, "l": []any{nil, true, 0.5}, int64(7): int64(-7)}, nil
		}),
		"keep": Func(func(args ...any) (any, error) {
			// Returning a lent proxy: the library gets its own copy.
			return args[0], nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	run(t, py, "import kindmod\nkindmod.kinds(None, True, 3, 1.5, 'x', b'y', [1], object())")
	want := []string{"<nil>", "bool", "int64", "float64", "string", "[]uint8", "*pyodide.Proxy", "*pyodide.Proxy"}
	if !reflect.DeepEqual(kinds, want) {
		t.Fatalf("kinds %v", kinds)
	}
	if v := run(t, py, "kindmod.echo_type({})"); v != "dict" {
		t.Fatalf("got %#v", v)
	}
	_, err = lent.Type()
	expectKind(t, err, KindUsage)
	lent.Close() // harmless: it is the library's handle, forgotten already
	if v := run(t, py, "kindmod.make() == {'s': 'ü', 'b': b'\\x00\\xff', 'l': [None, True, 0.5], 7: -7}"); v != true {
		t.Fatalf("got %#v", v)
	}
	if v := run(t, py, "x = [9]\nkindmod.keep(x) is x"); v != true {
		t.Fatalf("got %#v", v)
	}
	// Lent and returned handles neither leak nor die twice.
	before := must(py.Stats()).GuestObjects
	run(t, py, "for _ in range(200): kindmod.echo_type([]); kindmod.keep([])")
	if after := must(py.Stats()).GuestObjects; after != before {
		t.Fatalf("guest objects %d -> %d", before, after)
	}
}

func TestHostFunctionReentersAndReturnsNewProxies(t *testing.T) {
	py := load(t, nil)
	err := py.RegisterModule("proxymod", map[string]any{
		"pair": Func(func(args ...any) (any, error) {
			f, err := py.RunPython("lambda a, b: (a, b)")
			if err != nil {
				return nil, err
			}
			defer f.(*Proxy).Close()
			return f.(*Proxy).Call(int64(1), args[0])
		}),
		"nested": Func(func(args ...any) (any, error) { return py.RunPython("1 / 0") }),
	})
	if err != nil {
		t.Fatal(err)
	}
	if v := run(t, py, "import proxymod\nx = [9]\nproxymod.pair(x) == (1, [9]) and proxymod.pair(x)[1] is x"); v != true {
		t.Fatalf("got %#v", v)
	}
	_, err = py.RunPython("proxymod.nested()")
	expectPython(t, err, "ZeroDivisionError")
}

func TestHostFunctionErrorsAndPanics(t *testing.T) {
	py := load(t, nil)
	err := py.RegisterModule("errmod", map[string]any{
		"key_error": Func(func(...any) (any, error) { return nil, PythonError("KeyError", "missing") }),
		"custom":    Func(func(...any) (any, error) { return nil, PythonError("QuotaExceeded", "too many") }),
		"plain":     Func(func(...any) (any, error) { return nil, errors.New("disk on fire") }),
		"boom":      Func(func(...any) (any, error) { panic("host bug 42") }),
		"bad":       Func(func(...any) (any, error) { return make(chan int), nil }),
		"not_utf8":  Func(func(...any) (any, error) { return "\xff", nil }),
		"fine":      Func(func(...any) (any, error) { return int64(1), nil }),
	})
	if err != nil {
		t.Fatal(err)
	}
	run(t, py, "import errmod, pyodide")
	if v := run(t, py, "try:\n errmod.key_error()\nexcept KeyError as e:\n r = repr(e)\nr"); v != "KeyError('missing')" {
		t.Fatalf("got %#v", v)
	}
	if v := run(t, py, "try:\n errmod.custom()\nexcept pyodide.HostError as e:\n r = type(e).__name__ + ': ' + str(e)\nr"); v != "QuotaExceeded: too many" {
		t.Fatalf("got %#v", v)
	}
	_, err = py.RunPython("errmod.plain()")
	expectPython(t, err, "RuntimeError")
	if !strings.Contains(err.Error(), "disk on fire") {
		t.Fatal(err)
	}
	_, err = py.RunPython("errmod.boom()")
	expectPython(t, err, "RuntimeError")
	if !strings.Contains(err.Error(), "panicked: host bug 42") {
		t.Fatal(err)
	}
	_, err = py.RunPython("errmod.bad()")
	expectPython(t, err, "TypeError")
	_, err = py.RunPython("errmod.not_utf8()")
	expectPython(t, err, "TypeError")
	if v := run(t, py, "errmod.fine()"); v != int64(1) {
		t.Fatalf("the runtime did not go on: %#v", v)
	}
}

func TestModulesAreReleasedExactlyOnce(t *testing.T) {
	py := load(t, nil)
	released := func() int { return int(handlesReleased.Load()) }
	start := released()
	fn := Func(func(...any) (any, error) { return int64(1), nil })
	if err := py.RegisterModule("oncemod", map[string]any{"f": fn}); err != nil {
		t.Fatal(err)
	}
	run(t, py, "import oncemod\noncemod.f()")
	if err := py.UnregisterModule("oncemod"); err != nil {
		t.Fatal(err)
	}
	if got := released() - start; got != 1 {
		t.Fatalf("released %d times after unregister", got)
	}
	_, err := py.RunPython("oncemod.f()")
	expectPython(t, err, "RuntimeError")
	expectKind(t, py.UnregisterModule("oncemod"), KindUsage)
	// A failed registration releases nothing through the library (its
	// handle is deleted at once).
	if err := py.RegisterModule("oncemod", map[string]any{"f": fn}); err != nil {
		t.Fatal(err)
	}
	expectKind(t, py.RegisterModule("oncemod", map[string]any{"f": fn}), KindUsage)
	if got := released() - start; got != 1 {
		t.Fatalf("released %d times after a failed registration", got)
	}
	py.Close()
	if got := released() - start; got != 2 {
		t.Fatalf("released %d times after Close", got)
	}
}

func TestRegisterModuleBadInput(t *testing.T) {
	py := load(t, nil)
	ok := Func(func(...any) (any, error) { return nil, nil })
	for _, name := range []string{"", "not a name", "1abc", "nul\x00inside"} {
		expectKind(t, py.RegisterModule(name, map[string]any{"f": ok}), KindUsage)
	}
	expectKind(t, py.RegisterModule("m", map[string]any{"": ok}), KindUsage)
	expectKind(t, py.RegisterModule("m", map[string]any{"x\x00y": ok}), KindUsage)
	expectKind(t, py.RegisterModule("m", map[string]any{"c": make(chan int)}), KindUsage)
	expectKind(t, py.RegisterModule("m", map[string]any{"s": "\xff"}), KindUsage)
	var nilFunc Func
	expectKind(t, py.RegisterModule("m", map[string]any{"f": nilFunc}), KindUsage)
	big := map[string]any{}
	for i := 0; i <= MaxModuleFunctions; i++ {
		big[fmt.Sprintf("f%d", i)] = ok
	}
	err := py.RegisterModule("big", big)
	expectKind(t, err, KindUsage)
	if !strings.Contains(err.Error(), "at most 256") {
		t.Fatal(err)
	}
	expectKind(t, py.UnregisterModule("never"), KindUsage)
	// None of those became importable.
	_, err = py.RunPython("import m")
	expectPython(t, err, "ModuleNotFoundError")
	py.Close()
	expectKind(t, py.RegisterModule("late", map[string]any{"f": ok}), KindUsage)
	expectKind(t, py.UnregisterModule("late"), KindUsage)
}

func TestEveryTrampolineCallsItsOwnFunction(t *testing.T) {
	py := load(t, nil)
	members := map[string]any{}
	for i := 0; i < MaxModuleFunctions; i++ {
		i := int64(i)
		members[fmt.Sprintf("f%d", i)] = Func(func(...any) (any, error) { return i, nil })
	}
	if err := py.RegisterModule("wide", members); err != nil {
		t.Fatal(err)
	}
	if v := run(t, py, "import wide\nall(getattr(wide, f'f{i}')() == i for i in range(256))"); v != true {
		t.Fatalf("got %#v", v)
	}
}

// A host function calling back while another goroutine closes the runtime
// gets a usage error instead of deadlocking, and Close then finishes.
func TestCloseWhileAHostFunctionCallsBack(t *testing.T) {
	py := load(t, nil)
	entered := make(chan struct{})
	proceed := make(chan struct{})
	var nestedErr atomic.Value
	err := py.RegisterModule("slow", map[string]any{
		"f": Func(func(...any) (any, error) {
			close(entered)
			<-proceed
			_, err := py.RunPython("1")
			nestedErr.Store(err)
			return nil, err
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		py.RunPython("import slow\nslow.f()")
	}()
	<-entered
	closed := make(chan struct{})
	go func() {
		py.Close()
		close(closed)
	}()
	// Close is waiting for the running call now (give it the moment to start).
	for !py.isClosed() {
		time.Sleep(time.Millisecond)
	}
	close(proceed)
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Fatal("Close did not finish: deadlock")
	}
	wg.Wait()
	expectKind(t, nestedErr.Load().(error), KindUsage)
}
