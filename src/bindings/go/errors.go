package pyodide

// #include "pyodide.h"
import "C"

import (
	"errors"
	"fmt"
	"strings"
)

// ErrorKind says what kind of failure an *Error is (pyodide_error_kind_t).
type ErrorKind int

const (
	// KindPython is a Python exception; Error.Type is its class name.
	KindPython ErrorKind = 1
	// KindUsage is API misuse: a closed proxy or runtime, a Go value with no
	// Python form, a bad argument.
	KindUsage ErrorKind = 2
	// KindLimit is a memory or time limit, or an interrupt.
	KindLimit ErrorKind = 3
	// KindIO means assets, a package or a file could not be loaded.
	KindIO ErrorKind = 4
	// KindFatal means the runtime trapped and is dead.
	KindFatal ErrorKind = 5
)

func (k ErrorKind) String() string {
	switch k {
	case KindPython:
		return "Python"
	case KindUsage:
		return "Usage"
	case KindLimit:
		return "Limit"
	case KindIO:
		return "IO"
	case KindFatal:
		return "Fatal"
	}
	return fmt.Sprintf("ErrorKind(%d)", int(k))
}

// Error is every error this package returns.
type Error struct {
	Kind ErrorKind
	// Type is the Python exception's class name ("ZeroDivisionError") for
	// KindPython; otherwise "UsageError", "LimitError", "IOError" or
	// "FatalError".
	Type string
	// Message is the traceback as Python prints it for a Python exception;
	// otherwise a sentence naming the problem.
	Message string
	// Exited says that Python ended the runtime with os._exit(ExitStatus): a
	// KindFatal error (the runtime is dead, as a python3 process that called
	// it would be).
	Exited     bool
	ExitStatus int
}

func (e *Error) Error() string {
	msg := strings.TrimRight(e.Message, "\n")
	if e.Kind == KindPython && msg != "" {
		return msg // a traceback ends with "Type: message"
	}
	return e.Type + ": " + msg
}

// IsPython reports whether err is a Python exception of class typeName.
func IsPython(err error, typeName string) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == KindPython && e.Type == typeName
}

// KindOf is err's ErrorKind, or 0 when err is not an *Error.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

func usageError(format string, args ...any) *Error {
	return &Error{Kind: KindUsage, Type: "UsageError", Message: fmt.Sprintf(format, args...)}
}

// takeError converts a library error into an *Error and deletes it; nil for NULL.
func takeError(err *C.pyodide_error_t) error {
	if err == nil {
		return nil
	}
	e := &Error{
		Kind:    ErrorKind(C.pyodide_error_kind(err)),
		Type:    C.GoString(C.pyodide_error_type(err)),
		Message: C.GoString(C.pyodide_error_message(err)),
	}
	var status C.int
	if C.pyodide_error_exit_status(err, &status) {
		e.Exited, e.ExitStatus = true, int(status)
	}
	C.pyodide_error_delete(err)
	return e
}
