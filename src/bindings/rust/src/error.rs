//! `Error`, `ErrorKind` and `Result`.
use std::ffi::CStr;
use std::fmt;

use crate::sys;

/// What kind of failure an [`Error`] is (`pyodide_error_kind_t`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A Python exception; [`Error::type_name`] is its class name.
    Python,
    /// API misuse: a destroyed proxy, a value of the wrong type, a bad argument.
    Usage,
    /// A memory or time limit was hit, or the call was interrupted.
    Limit,
    /// Assets, a package or a file could not be loaded.
    Io,
    /// The runtime trapped and is dead.
    Fatal,
}

impl ErrorKind {
    fn from_raw(kind: sys::pyodide_error_kind_t) -> ErrorKind {
        match kind {
            sys::PYODIDE_ERROR_PYTHON => ErrorKind::Python,
            sys::PYODIDE_ERROR_USAGE => ErrorKind::Usage,
            sys::PYODIDE_ERROR_LIMIT => ErrorKind::Limit,
            sys::PYODIDE_ERROR_IO => ErrorKind::Io,
            _ => ErrorKind::Fatal,
        }
    }

    /// The type name the C library gives errors of this kind that are not
    /// Python exceptions ("UsageError", ...).
    fn default_type_name(self) -> &'static str {
        match self {
            ErrorKind::Python => "Exception",
            ErrorKind::Usage => "UsageError",
            ErrorKind::Limit => "LimitError",
            ErrorKind::Io => "IOError",
            ErrorKind::Fatal => "FatalError",
        }
    }
}

/// An error from the library, or from this crate's own checks (those are
/// [`ErrorKind::Usage`], named "UsageError" like the library's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// The kind of failure.
    pub kind: ErrorKind,
    /// The Python exception's class name ("ZeroDivisionError") for
    /// [`ErrorKind::Python`]; otherwise "UsageError", "LimitError", "IOError"
    /// or "FatalError".
    pub type_name: String,
    /// For a Python exception the traceback as Python prints it; otherwise a
    /// sentence naming the problem.
    pub message: String,
    /// The status Python passed to `os._exit` when it ended the runtime that
    /// way (an [`ErrorKind::Fatal`] error: the runtime is dead, as a python3
    /// process that called it would be); `None` for any other error.
    pub exit_status: Option<i32>,
}

/// `std::result::Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error of `kind` with its default type name.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error { kind, type_name: kind.default_type_name().to_owned(), message: message.into(), exit_status: None }
    }

    /// A Python exception to raise from a host function, a `then` callback
    /// or [`FutureResolver::reject`](crate::FutureResolver::reject): Python
    /// raises the builtin exception `type_name` ("ValueError", "KeyError",
    /// ...) or, for another name, a subclass of `pyodide.HostError` of that
    /// name, with `message`.
    pub fn python(type_name: impl Into<String>, message: impl Into<String>) -> Error {
        Error { kind: ErrorKind::Python, type_name: type_name.into(), message: message.into(), exit_status: None }
    }

    /// The library error that raises this one in Python (`pyodide_error_new`),
    /// owned by the caller: a Python error raises its own type with its
    /// message; any other kind a `RuntimeError` naming it.
    pub(crate) fn to_raw(&self) -> *mut sys::pyodide_error_t {
        let (type_name, message) = if self.kind == ErrorKind::Python {
            (self.type_name.clone(), self.message.clone())
        } else {
            ("RuntimeError".to_owned(), self.to_string())
        };
        // Python's messages may hold NUL; C strings cannot.
        let c = |s: String| std::ffi::CString::new(s.replace('\0', "\\0")).unwrap_or_default();
        let (type_name, message) = (c(type_name), c(message));
        // SAFETY: both strings live for the call, which copies them.
        unsafe { sys::pyodide_error_new(type_name.as_ptr(), message.as_ptr()) }
    }

    /// A usage error raised by this crate (wrong value type, bad argument).
    pub(crate) fn usage(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Usage, message)
    }

    /// Takes ownership of a library error: copies it out and deletes it.
    ///
    /// # Safety
    /// `err` is NULL or an error returned by the library and not yet deleted.
    pub(crate) unsafe fn from_raw(err: *mut sys::pyodide_error_t) -> Error {
        let text = |p: *const std::ffi::c_char| {
            if p.is_null() {
                String::new()
            } else {
                CStr::from_ptr(p).to_string_lossy().into_owned()
            }
        };
        let kind = ErrorKind::from_raw(sys::pyodide_error_kind(err));
        let type_name = text(sys::pyodide_error_type(err));
        let message = text(sys::pyodide_error_message(err));
        let mut status = 0;
        let exit_status = sys::pyodide_error_exit_status(err, &mut status).then_some(status);
        sys::pyodide_error_delete(err);
        Error { kind, type_name, message, exit_status }
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The exception class name, e.g. "KeyError"; see the field.
    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    /// The message (for Python exceptions the traceback).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The status of the `os._exit` that ended the runtime; see the field.
    pub fn exit_status(&self) -> Option<i32> {
        self.exit_status
    }

    /// Whether this is a Python exception of class `type_name`.
    pub fn is_python(&self, type_name: &str) -> bool {
        self.kind == ErrorKind::Python && self.type_name == type_name
    }
}

/// Turns a library return value into a `Result`.
///
/// # Safety
/// `err` is NULL or a live error returned by the library.
pub(crate) unsafe fn check(err: *mut sys::pyodide_error_t) -> Result<()> {
    if err.is_null() {
        Ok(())
    } else {
        Err(Error::from_raw(err))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = self.message.trim_end();
        if self.kind == ErrorKind::Python {
            // A traceback already ends with "TypeName: message".
            if message.is_empty() {
                f.write_str(&self.type_name)
            } else {
                f.write_str(message)
            }
        } else {
            write!(f, "{}: {}", self.type_name, message)
        }
    }
}

impl std::error::Error for Error {}
