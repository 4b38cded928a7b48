package pyodide

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// entity implements every host object interface.
type entity struct {
	mu        sync.Mutex
	name      string
	stats     map[string]int64
	finalized atomic.Int32
}

func newEntity(name string) *entity {
	return &entity{name: name, stats: map[string]int64{"hp": 10, "mp": 3}}
}

func (e *entity) PythonClass() string { return "Entity" }

func (e *entity) GetAttr(name string) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if name == "name" {
		return e.name, nil
	}
	if v, ok := e.stats[name]; ok {
		return v, nil
	}
	return nil, PythonError("AttributeError", "an Entity has no "+name)
}

func (e *entity) SetAttr(name string, value any) error {
	v, ok := value.(int64)
	if !ok {
		return PythonError("TypeError", "stats are ints")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stats[name] = v
	return nil
}

func (e *entity) DelAttr(name string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.stats[name]; !ok {
		return PythonError("AttributeError", name)
	}
	delete(e.stats, name)
	return nil
}

func (e *entity) Call(args ...any) (any, error) {
	return fmt.Sprintf("%s called with %d args", e.name, len(args)), nil
}

func (e *entity) GetItem(key any) (any, error) {
	k, ok := key.(string)
	if !ok {
		return nil, PythonError("TypeError", "keys are str")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if v, ok := e.stats[k]; ok {
		return v, nil
	}
	return nil, PythonError("KeyError", k)
}

func (e *entity) SetItem(key, value any) error {
	k, ok := key.(string)
	if !ok {
		return PythonError("TypeError", "keys are str")
	}
	return e.SetAttr(k, value)
}

func (e *entity) DelItem(key any) error {
	k, _ := key.(string)
	return e.DelAttr(k)
}

func (e *entity) Len() (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.stats), nil
}

func (e *entity) Dir() ([]string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	names := []string{"name"}
	for k := range e.stats {
		names = append(names, k)
	}
	sort.Strings(names)
	return names, nil
}

func (e *entity) Methods() []string { return []string{"heal", "twin"} }

func (e *entity) CallMethod(method int, args ...any) (any, error) {
	switch method {
	case 0:
		by, ok := firstArg(args).(int64)
		if !ok {
			return nil, PythonError("TypeError", "heal(by: int)")
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		e.stats["hp"] += by
		return e.stats["hp"], nil
	default:
		// A host object as a result: the same Python object each time.
		return e, nil
	}
}

func (e *entity) FinalizeHost() { e.finalized.Add(1) }

func setGlobal(t *testing.T, py *Runtime, name string, value any) {
	t.Helper()
	g := must(py.Globals())
	defer g.Close()
	if err := g.Set(name, value); err != nil {
		t.Fatal(err)
	}
}

func TestHostObjectAttributesCallsItemsLenMethods(t *testing.T) {
	py := load(t, nil)
	hero := newEntity("hero")
	p := must(py.NewHostObject(hero))
	defer p.Close()
	setGlobal(t, py, "hero", p)
	if v := run(t, py, "(hero.name, hero.hp) == ('hero', 10)"); v != true {
		t.Fatalf("got %#v", v)
	}
	run(t, py, "hero.hp = 25\nhero['xp'] = 7")
	if hero.stats["hp"] != 25 || hero.stats["xp"] != 7 {
		t.Fatalf("stats %v", hero.stats)
	}
	if v := run(t, py, "hero['xp'] + len(hero)"); v != int64(10) {
		t.Fatalf("got %#v", v)
	}
	run(t, py, "del hero.mp\ndel hero['xp']")
	if v := run(t, py, "len(hero)"); v != int64(1) {
		t.Fatalf("got %#v", v)
	}
	if v := run(t, py, "hero(1, 2)"); v != "hero called with 2 args" {
		t.Fatalf("got %#v", v)
	}
	if v := run(t, py, "hero.heal(5)"); v != int64(30) {
		t.Fatalf("got %#v", v)
	}
	if v := run(t, py, "hero.twin() is hero"); v != true {
		t.Fatalf("got %#v", v)
	}
	if v := run(t, py, "all(n in dir(hero) for n in ('heal', 'twin', 'hp', 'name'))"); v != true {
		t.Fatalf("got %#v", v)
	}
	if v := run(t, py, "import pyodide\nisinstance(hero, pyodide.HostObject) and type(hero).__name__"); v != "Entity" {
		t.Fatalf("got %#v", v)
	}
}

// plain implements only attributes, and panics in them.
type plain struct{}

func (plain) PythonClass() string              { return "Plain" }
func (plain) GetAttr(name string) (any, error) { panic("attribute bug") }

func TestHostObjectErrorsAndMissingOperations(t *testing.T) {
	py := load(t, nil)
	setGlobal(t, py, "e", newEntity("e")) // converted through the arena
	for code, typ := range map[string]string{
		"e.nothing":     "AttributeError",
		"e['nothing']":  "KeyError",
		"e.hp = 'x'":    "TypeError",
		"e.heal('x')":   "TypeError",
		"del e.nothing": "AttributeError",
	} {
		_, err := py.RunPython(code)
		expectPython(t, err, typ)
	}
	if v := run(t, py, "try:\n e.nothing\nexcept AttributeError as x:\n r = str(x)\nr"); v != "an Entity has no nothing" {
		t.Fatalf("got %#v", v)
	}
	setGlobal(t, py, "p", plain{})
	if v := run(t, py, "callable(p)"); v != false {
		t.Fatalf("callable(p) = %#v", v)
	}
	for _, code := range []string{"p()", "len(p)", "iter(p)", "p[0]", "p.x = 1"} {
		_, err := py.RunPython(code)
		if !IsPython(err, "TypeError") && !IsPython(err, "AttributeError") {
			t.Fatalf("%s: %#v", code, err)
		}
	}
	_, err := py.RunPython("p.x")
	expectPython(t, err, "RuntimeError")
	if !strings.Contains(err.Error(), "attribute bug") {
		t.Fatal(err)
	}
	if v := run(t, py, "1 + 1"); v != int64(2) {
		t.Fatal("the runtime did not go on")
	}
}

func TestHostObjectIdentityAndComingBack(t *testing.T) {
	py := load(t, nil)
	hero := newEntity("hero")
	a := must(py.NewHostObject(hero))
	defer a.Close()
	b := must(py.NewHostObject(hero))
	defer b.Close()
	setGlobal(t, py, "a", a)
	setGlobal(t, py, "b", b)
	setGlobal(t, py, "c", newEntity("other"))
	if v := run(t, py, "a is b and a is not c"); v != true {
		t.Fatalf("got %#v", v)
	}
	// Back in Go: the very value.
	if v := run(t, py, "a"); v != hero {
		t.Fatalf("got %#v", v)
	}
	same := proxy(t, py, "lambda x: x is a")
	if v := must(same.Call(hero)); v != true {
		t.Fatalf("got %#v", v)
	}
	err := py.RegisterModule("game", map[string]any{
		"name_of": Func(func(args ...any) (any, error) {
			e, ok := firstArg(args).(*entity)
			if !ok {
				return nil, PythonError("TypeError", "want an Entity")
			}
			return e.name, nil
		}),
		"boss": newEntity("boss"), // a host object as a module member: a namespace
	})
	if err != nil {
		t.Fatal(err)
	}
	if v := run(t, py, "import game\ngame.name_of(c) + game.boss.name + str(game.boss.heal(1))"); v != "otherboss11" {
		t.Fatalf("got %#v", v)
	}
	_, err = py.RunPython("game.name_of(1)")
	expectPython(t, err, "TypeError")
}

func TestHostObjectFinalizedExactlyOnce(t *testing.T) {
	py := load(t, nil)
	temp := newEntity("temp")
	setGlobal(t, py, "t", temp)
	run(t, py, "t2 = [t, t]")
	if n := temp.finalized.Load(); n != 0 {
		t.Fatalf("finalized %d times too early", n)
	}
	run(t, py, "del t\ndel t2\nimport gc\ngc.collect()")
	if n := temp.finalized.Load(); n != 1 {
		t.Fatalf("finalized %d times", n)
	}
	// A later pass makes a new Python object, finalized on its own.
	setGlobal(t, py, "t", temp)
	run(t, py, "del t")
	if n := temp.finalized.Load(); n != 2 {
		t.Fatalf("finalized %d times", n)
	}
	held := newEntity("held")
	setGlobal(t, py, "h", held)
	py.Close()
	if n := held.finalized.Load(); n != 1 {
		t.Fatalf("finalized %d times at Close", n)
	}
	if n := temp.finalized.Load(); n != 2 {
		t.Fatalf("finalized again at Close: %d", n)
	}
	_, err := py.NewHostObject(held)
	expectKind(t, err, KindUsage)
	// Every cell's handle is gone with them.
	if len(py.hosts.byCell) != 0 {
		t.Fatalf("%d cells left", len(py.hosts.byCell))
	}
}

// countdown: Iter gives a fresh iterator, which is a Nexter.
type countdown int64
type countdownIter struct{ n int64 }

func (countdown) PythonClass() string      { return "Countdown" }
func (c countdown) Iter() (any, error)     { return &countdownIter{int64(c)}, nil }
func (*countdownIter) PythonClass() string { return "CountdownIter" }
func (it *countdownIter) Next() (any, bool, error) {
	if it.n == 0 {
		return nil, true, nil
	}
	it.n--
	return it.n + 1, false, nil
}

type pairOf struct{ a, b string }

func (pairOf) PythonClass() string  { return "Pair" }
func (p pairOf) Iter() (any, error) { return []any{p.a, p.b}, nil }
func (p pairOf) Len() (int, error)  { return -1, nil }

func TestHostObjectIteration(t *testing.T) {
	py := load(t, nil)
	setGlobal(t, py, "c", countdown(3))
	if v := run(t, py, "list(c) + list(c) == [3, 2, 1, 3, 2, 1]"); v != true {
		t.Fatalf("got %#v", v)
	}
	setGlobal(t, py, "p", pairOf{"a", "b"})
	if v := run(t, py, "'-'.join(p)"); v != "a-b" {
		t.Fatalf("got %#v", v)
	}
	_, err := py.RunPython("len(p)")
	expectPython(t, err, "ValueError")
}

// badClass has a name Python refuses.
type badClass struct{ name string }

func (b badClass) PythonClass() string { return b.name }

// badUTF answers every attribute with a string that is not UTF-8.
type badUTF struct{}

func (badUTF) PythonClass() string              { return "BadUTF" }
func (badUTF) GetAttr(name string) (any, error) { return "\xff", nil }

type badMethods struct{}

func (badMethods) PythonClass() string                 { return "BadMethods" }
func (badMethods) Methods() []string                   { return []string{"not an identifier"} }
func (badMethods) CallMethod(int, ...any) (any, error) { return nil, errors.New("unreachable") }

func TestHostObjectBadInput(t *testing.T) {
	py := load(t, nil)
	_, err := py.NewHostObject(nil)
	expectKind(t, err, KindUsage)
	_, err = py.NewHostObject(badClass{"Bad\x00Name"})
	expectKind(t, err, KindUsage)
	_, err = py.NewHostObject(badMethods{})
	expectKind(t, err, KindUsage)
	_, err = py.NewHostObject(badClass{"\xff"})
	expectKind(t, err, KindUsage)
	// A result that is not UTF-8 raises TypeError in Python.
	setGlobal(t, py, "u", badUTF{})
	_, err = py.RunPython("u.x")
	expectPython(t, err, "TypeError")
	// Not a Python identifier: refused by the library, and the class cache
	// does not make later uses of the type succeed.
	type emptyName = badClass
	_, err = py.NewHostObject(emptyName{""})
	expectKind(t, err, KindUsage)
	// A host object where no runtime is at hand.
	var a arena
	defer a.free()
	_, err = a.value(newEntity("x"))
	expectKind(t, err, KindUsage)
	if v := run(t, py, "2 + 2"); v != int64(4) {
		t.Fatal("the runtime did not go on")
	}
	py.Close()
	_, err = py.NewHostObject(newEntity("late"))
	expectKind(t, err, KindUsage)
}

func TestHostObjectRacesWithFinalization(t *testing.T) {
	py := load(t, nil)
	shared := newEntity("raced")
	var wg sync.WaitGroup
	wg.Add(2)
	// Errors are reported with t.Error: FailNow belongs to the test's goroutine.
	go func() {
		defer wg.Done()
		g := must(py.Globals())
		defer g.Close()
		for i := 0; i < 2000; i++ {
			p, err := py.NewHostObject(shared)
			if err == nil {
				err = g.Set("r", p)
				p.Close()
			}
			if err != nil {
				t.Error(err)
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < 2000; i++ {
			if err := py.Exec("r = None"); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	wg.Wait()
	run(t, py, "r = None")
	py.hosts.mu.Lock()
	left := len(py.hosts.byCell)
	py.hosts.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d cells left after Python let go", left)
	}
}

// A host object of a class this package did not make (one made through the
// C ABI) comes back as a HostRef, which passes back into Python as the same
// object. Simulated by hiding the class of a Go type from the package.
func TestHostRefOfAForeignClass(t *testing.T) {
	py := load(t, nil)
	hero := newEntity("hero")
	setGlobal(t, py, "hero", hero)
	cls := must(classOf(hero))
	hostClasses.Lock()
	delete(hostClasses.classes, cls)
	hostClasses.Unlock()
	back, err := py.RunPython("hero")
	hostClasses.Lock()
	hostClasses.classes[cls] = true
	hostClasses.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	ref, ok := back.(HostRef)
	if !ok || ref.Class == nil || ref.Object == nil {
		t.Fatalf("got %#v", back)
	}
	same := proxy(t, py, "lambda x: x is hero")
	if v := must(same.Call(ref)); v != true {
		t.Fatalf("got %#v", v)
	}
}

// callsBack's finalizer calls the runtime; while Close runs, that is refused.
type callsBack struct {
	py  *Runtime
	err error
}

func (c *callsBack) PythonClass() string { return "CallsBack" }

func (c *callsBack) FinalizeHost() { _, c.err = c.py.RunPython("1") }

// A finalizer that calls the runtime during Close gets a usage error, and
// Close finishes (it used to wait for itself).
func TestFinalizerCallingTheRuntimeDuringClose(t *testing.T) {
	py, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	obj := &callsBack{py: py}
	p := must(py.NewHostObject(obj))
	setGlobal(t, py, "obj", p)
	p.Close() // Python holds it now, until Close
	closed := make(chan error)
	go func() { closed <- py.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Close did not finish: deadlock")
	}
	expectKind(t, obj.err, KindUsage)
}
