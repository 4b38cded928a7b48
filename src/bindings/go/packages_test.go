package pyodide

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// packageIndex is <repo>/build/fixtures/packages, made (or found up to date:
// a no-op) by native-tests/packages/make-fixture.sh: Debian's python3-six
// as a wheel, with its pyodide-lock.json.
func packageIndex(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "build", "fixtures", "packages")
	make := exec.Command("bash", filepath.Join(root, "native-tests", "packages", "make-fixture.sh"), dir)
	make.Stderr = os.Stderr
	if err := make.Run(); err != nil {
		t.Fatalf("make-fixture.sh: %v", err)
	}
	return dir
}

func TestLoadPackageReportsProgressAndLoadedPackages(t *testing.T) {
	py := load(t, &Options{IndexURL: packageIndex(t)})
	if got := must(py.LoadedPackages()); len(got) != 0 {
		t.Fatalf("loaded before: %v", got)
	}
	var messages, errs []string
	err := py.LoadPackage([]string{"six"}, func(m string) { messages = append(messages, m) }, func(e string) { errs = append(errs, e) })
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(messages, "\n")
	if !strings.Contains(text, "Loading six") || !strings.Contains(text, "Loaded six from ") || len(errs) != 0 {
		t.Fatalf("messages %q, errors %q", messages, errs)
	}
	if v := run(t, py, "import six\nsix.ensure_str(b'x')"); v != "x" {
		t.Fatalf("got %#v", v)
	}
	loaded := must(py.LoadedPackages())
	if len(loaded) != 1 || loaded[0].Name != "six" || !strings.HasSuffix(loaded[0].Source, ".whl") {
		t.Fatalf("loaded %#v", loaded)
	}
	// Again, by another spelling: a message, not an error; nil callbacks are fine.
	messages = nil
	if err := py.LoadPackage([]string{"SIX"}, func(m string) { messages = append(messages, m) }, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(messages, "\n"), "six already loaded from ") {
		t.Fatalf("messages %q", messages)
	}
	if err := py.LoadPackage(nil, nil, nil); err != nil {
		t.Fatal(err)
	}
}

func TestLoadPackagesFromImports(t *testing.T) {
	py := load(t, &Options{IndexURL: packageIndex(t)})
	var messages []string
	if err := py.LoadPackagesFromImports("import six\nimport json, not_in_the_index", func(m string) { messages = append(messages, m) }, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(messages, "\n"), "Loaded six from ") {
		t.Fatalf("messages %q", messages)
	}
	if v := run(t, py, "import six\nsix.PY3"); v != true {
		t.Fatalf("got %#v", v)
	}
	expectPython(t, py.LoadPackagesFromImports("import (", nil, nil), "SyntaxError")
}

func TestPackageFailures(t *testing.T) {
	py := load(t, &Options{IndexURL: packageIndex(t)})
	var errs []string
	err := py.LoadPackage([]string{"no-such-package-xyz"}, nil, func(e string) { errs = append(errs, e) })
	expectKind(t, err, KindIO)
	if len(errs) != 1 || !strings.Contains(errs[0], "no-such-package-xyz") || !strings.Contains(err.Error(), "no-such-package-xyz") {
		t.Fatalf("errors %q, %v", errs, err)
	}
	expectKind(t, py.LoadPackage([]string{""}, nil, nil), KindUsage)
	expectKind(t, py.LoadPackage([]string{"si\x00x"}, nil, nil), KindUsage)
	expectKind(t, py.LoadPackage([]string{"\xff"}, nil, nil), KindUsage)
	expectKind(t, py.LoadPackagesFromImports("\xff", nil, nil), KindUsage)
	// A panicking callback loses its message; the load goes on.
	if err := py.LoadPackage([]string{"six"}, func(string) { panic("progress bug") }, nil); err != nil {
		t.Fatal(err)
	}
	bare := load(t, nil)
	expectKind(t, bare.LoadPackage([]string{"six"}, nil, nil), KindIO)
	bare.Close()
	expectKind(t, bare.LoadPackage([]string{"six"}, nil, nil), KindUsage)
	expectKind(t, bare.LoadPackagesFromImports("import six", nil, nil), KindUsage)
	_, err = bare.LoadedPackages()
	expectKind(t, err, KindUsage)
}

func TestPyImportPyodidePyAndDefault(t *testing.T) {
	py := load(t, nil)
	run(t, py, "answer = 42")
	if v := must(py.PyImport("answer")); v != int64(42) {
		t.Fatalf("got %#v", v)
	}
	_, err := py.PyImport("missing")
	expectPython(t, err, "KeyError")
	_, err = py.PyImport("a\x00b")
	expectKind(t, err, KindUsage)
	pyodidePy := must(py.PyodidePy())
	defer pyodidePy.Close()
	imports := must(pyodidePy.CallMethod("find_imports", "import six, json")).(*Proxy)
	defer imports.Close()
	if got := must(imports.ToGo(-1)); !reflect.DeepEqual(got, []any{"six", "json"}) {
		t.Fatalf("find_imports: %#v", got)
	}
	first := must(Default())
	second := must(Default())
	if first != second {
		t.Fatal("Default gave two runtimes")
	}
	first.Close() // does nothing
	if _, err := first.RunPython("shared = 'yes'"); err != nil {
		t.Fatal(err)
	}
	if v := must(second.RunPython("shared")); v != "yes" {
		t.Fatalf("got %#v", v)
	}
	py.Close()
	_, err = py.PyImport("answer")
	expectKind(t, err, KindUsage)
	_, err = py.PyodidePy()
	expectKind(t, err, KindUsage)
}
