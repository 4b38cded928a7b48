package main

import (
	"strings"
	"testing"
)

// The example builds (go vet/go build ./...) and prints what it should.
func TestHelloExample(t *testing.T) {
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	want := "6 * 7 = 42\nhello world\nZeroDivisionError Python\n"
	if out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
}
