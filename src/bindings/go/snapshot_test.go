package pyodide

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSavedSnapshotsLoadWithTheirStateAndANewHashSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.snapshot")
	saver := load(t, nil)
	run(t, saver, "import json\nbig = {f'k{i}': i for i in range(10_000)}\nsaved_hash = hash('abc')")
	if err := saver.SaveSnapshot(path); err != nil {
		t.Fatalf("SaveSnapshot: %v", err)
	}
	a := load(t, &Options{Snapshot: path})
	b := load(t, &Options{Snapshot: path})
	if v := run(t, a, "big['k' + str(9999)]"); v != int64(9999) {
		t.Fatalf("big['k9999'] = %#v", v)
	}
	if v := run(t, a, "json.dumps([1])"); v != "[1]" {
		t.Fatalf("json.dumps = %#v", v)
	}
	// Equal by chance with a probability of at most 2^-32.
	if run(t, a, "hash('abc')") == run(t, b, "hash('abc')") || run(t, a, "hash('abc')") == run(t, a, "saved_hash") {
		t.Fatal("restored runtimes share a hash secret")
	}
}

func TestDamagedSnapshotsAndUnsaveableStateAreErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "damaged.snapshot")
	if err := os.WriteFile(path, []byte("not a snapshot at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(&Options{Snapshot: path})
	expectKind(t, err, KindIO)

	py := load(t, nil)
	run(t, py, "f = open('/home/pyodide/x', 'w')")
	err = py.SaveSnapshot(filepath.Join(t.TempDir(), "never.snapshot"))
	expectKind(t, err, KindPython)
	if !strings.Contains(err.Error(), "open") {
		t.Fatalf("the error does not say a file is open: %v", err)
	}
	py.Close()
	expectKind(t, py.SaveSnapshot(path), KindUsage)
}
