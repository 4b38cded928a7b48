// Command hello runs Python from Go: go run ./examples/hello
package main

import (
	"fmt"
	"io"
	"os"

	"pyodide.native/pyodide"
)

func run(w io.Writer) error {
	py, err := pyodide.Load(nil)
	if err != nil {
		return err
	}
	defer py.Close()
	answer, err := py.RunPython("x = 6\nx * 7") // the last expression's value
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "6 * 7 =", answer.(int64))
	greet, _ := py.RunPython("lambda who: f'hello {who}'")
	defer greet.(*pyodide.Proxy).Close()
	hello, _ := greet.(*pyodide.Proxy).Call("world")
	fmt.Fprintln(w, hello)
	_, err = py.RunPython("1 / 0") // Python exceptions are *pyodide.Error
	fmt.Fprintln(w, err.(*pyodide.Error).Type, err.(*pyodide.Error).Kind)
	return nil
}

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
