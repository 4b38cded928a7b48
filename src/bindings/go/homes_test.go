package pyodide

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Set in the environment of a copy of this test binary that only makes runtimes
// and ends, as every Go program does, without C exit handlers.
const homesHelper = "PYODIDE_GO_HOMES_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(homesHelper) != "" {
		os.Exit(makeAndCloseRuntimes(6))
	}
	os.Exit(m.Run())
}

// makeAndCloseRuntimes loads n runtimes at once and closes them: the process's
// exit status.
func makeAndCloseRuntimes(n int) int {
	var runtimes []*Runtime
	for i := 0; i < n; i++ {
		py, err := Load(nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, "Load:", err)
			return 1
		}
		runtimes = append(runtimes, py)
	}
	for _, py := range runtimes {
		py.Close()
	}
	return 0
}

// homesIn counts the runtime homes beside dir's homes directory and in it
// (dir/pyodide-homes-UID).
func homesIn(t *testing.T, dir string) (beside, in int) {
	t.Helper()
	count := func(d string) int {
		entries, err := os.ReadDir(d)
		if os.IsNotExist(err) {
			return 0
		}
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "pyodide-home-") {
				n++
			}
		}
		return n
	}
	return count(dir), count(filepath.Join(dir, fmt.Sprintf("pyodide-homes-%d", os.Getuid())))
}

// A Go program never runs the library's exit handler (Go ends a process with
// the exit_group system call), so the homes it kept for later runtimes outlive
// it: free once it is gone, never more than four, and the next process takes
// them instead of leaving more.
func TestProgramsEndingWithoutExitHandlersLeaveAtMostFourHomes(t *testing.T) {
	dir := t.TempDir()
	for run := 1; run <= 3; run++ {
		helper := exec.Command(os.Args[0], "-test.run=^$")
		helper.Env = append(os.Environ(), homesHelper+"=1", "TMPDIR="+dir)
		if out, err := helper.CombinedOutput(); err != nil {
			t.Fatalf("run %d: %v\n%s", run, err, out)
		}
		beside, in := homesIn(t, dir)
		if beside != 0 || in != 4 {
			t.Fatalf("after run %d: %d homes beside the homes directory and %d in it; want 0 and 4", run, beside, in)
		}
	}
}
