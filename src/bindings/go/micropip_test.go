package pyodide

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// serveIndex serves native-tests/packages/make-index.sh's index with
// python3.11 -m http.server on 127.0.0.1; it stops with the test.
func serveIndex(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	index := filepath.Join(root, "build", "fixtures", "micropip-index")
	make := exec.Command("bash", filepath.Join(root, "native-tests", "packages", "make-index.sh"), index)
	make.Stderr = os.Stderr
	if err := make.Run(); err != nil {
		t.Fatalf("make-index.sh: %v", err)
	}
	server := exec.Command("/usr/bin/python3.11", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", index)
	out, err := server.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Process.Kill(); server.Wait() })
	// "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..."
	line, err := bufio.NewReader(out).ReadString('\n')
	parts := strings.SplitN(line, " port ", 2)
	if err != nil || len(parts) != 2 {
		t.Fatalf("http.server did not start: %q %v", line, err)
	}
	return "http://127.0.0.1:" + strings.Fields(parts[1])[0] + "/simple/"
}

func TestInstallResolvesAndReportsConflicts(t *testing.T) {
	url := serveIndex(t)
	py := load(t, nil)
	if err := py.SetIndexURLs(url); err != nil {
		t.Fatal(err)
	}
	var messages []string
	if err := py.Install([]string{"pick-zipp", "attrs"}, func(m string) { messages = append(messages, m) }); err != nil {
		t.Fatal(err)
	}
	if got := run(t, py, "import pick_zipp, zipp, attr\npick_zipp.VERSION + ' ' + attr.__version__"); got != "1.0 22.2.0" {
		t.Fatalf("installed %v; messages %q", got, messages)
	}
	if !strings.Contains(strings.Join(messages, "\n"), "Loaded zipp from http://127.0.0.1:") {
		t.Fatalf("messages: %q", messages)
	}
	err := py.Install([]string{"needs-old-six"}, nil)
	var perr *Error
	if !errors.As(err, &perr) || perr.Type != "ValueError" || !strings.Contains(perr.Message, "six<1.0 (required by needs-old-six 1.0)") {
		t.Fatalf("Install(needs-old-six) = %v", err)
	}
}

func TestInstallBadArgumentsAreUsageErrors(t *testing.T) {
	py := load(t, nil)
	for _, err := range []error{
		py.Install([]string{"six\x00"}, nil),
		py.Install([]string{""}, nil),
		py.SetIndexURLs("ftp://example.com/"),
	} {
		var perr *Error
		if !errors.As(err, &perr) || perr.Kind != KindUsage {
			t.Fatalf("got %v, want a KindUsage error", err)
		}
	}
	py.Close()
	var perr *Error
	if err := py.Install([]string{"six"}, nil); !errors.As(err, &perr) || perr.Kind != KindUsage {
		t.Fatalf("after Close: %v", err)
	}
}
