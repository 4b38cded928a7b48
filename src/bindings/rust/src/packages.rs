//! Packages: Pyodide's `loadPackage`, `loadPackagesFromImports` and
//! `loadedPackages`, and micropip's indexes and `install`.
use std::ffi::{c_char, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{check, Result};
use crate::runtime::{with_c_strings, Runtime};
use crate::sys;
use crate::value::{take_raw, Value};

/// The two progress callbacks of a call; `env` points at one of these.
struct Messages<M, E> {
    on_message: M,
    on_error: E,
}

fn text<'a>(message: *const c_char, len: usize) -> std::borrow::Cow<'a, str> {
    if message.is_null() || len == 0 {
        return "".into();
    }
    // SAFETY: the library passes `len` bytes at `message`, valid for the call.
    String::from_utf8_lossy(unsafe { std::slice::from_raw_parts(message.cast::<u8>(), len) })
}

// A panic in a callback is caught: the message is lost, the call goes on.
unsafe extern "C" fn deliver_message<M: FnMut(&str), E>(env: *mut c_void, message: *const c_char, len: usize) {
    let messages = &mut *(env as *mut Messages<M, E>);
    let _ = catch_unwind(AssertUnwindSafe(|| (messages.on_message)(&text(message, len))));
}

unsafe extern "C" fn deliver_error<M, E: FnMut(&str)>(env: *mut c_void, message: *const c_char, len: usize) {
    let messages = &mut *(env as *mut Messages<M, E>);
    let _ = catch_unwind(AssertUnwindSafe(|| (messages.on_error)(&text(message, len))));
}

impl Runtime {
    /// Loads packages, as Pyodide's `loadPackage` (`pyodide_load_package`):
    /// names of the package index (the builder's
    /// [`index_url`](crate::RuntimeBuilder::index_url)), or paths or
    /// http(s)/file URLs of `.whl` files, with their dependencies.
    /// `on_message` receives each step ("Loading six", "Loaded six from
    /// ..."), `on_error` the text of an IO error before it is returned; both
    /// run on this thread during the call. Failures are
    /// [`ErrorKind::Io`](crate::ErrorKind::Io) errors and install nothing.
    pub fn load_package<M: FnMut(&str), E: FnMut(&str)>(&self, names: &[&str], on_message: M, on_error: E) -> Result<()> {
        let mut messages = Messages { on_message, on_error };
        let env = &mut messages as *mut Messages<M, E> as *mut c_void;
        with_c_strings("package name", names, |ptr, n| {
            // SAFETY: the names and the callbacks live for the call, which
            // calls back only on this thread before returning.
            unsafe {
                check(sys::pyodide_load_package(
                    self.as_ptr(),
                    ptr,
                    n,
                    Some(deliver_message::<M, E>),
                    Some(deliver_error::<M, E>),
                    env,
                ))
            }
        })?
    }

    /// Loads the packages `code` imports, as Pyodide's
    /// `loadPackagesFromImports` (`pyodide_load_packages_from_imports`):
    /// imports no package of the index provides are ignored. A `SyntaxError`
    /// in `code` is a Python error; otherwise as [`load_package`](Self::load_package).
    pub fn load_packages_from_imports<M: FnMut(&str), E: FnMut(&str)>(
        &self,
        code: &str,
        on_message: M,
        on_error: E,
    ) -> Result<()> {
        let mut messages = Messages { on_message, on_error };
        let env = &mut messages as *mut Messages<M, E> as *mut c_void;
        // SAFETY: as in load_package; the code is passed with its length.
        unsafe {
            check(sys::pyodide_load_packages_from_imports(
                self.as_ptr(),
                code.as_ptr().cast(),
                code.len(),
                Some(deliver_message::<M, E>),
                Some(deliver_error::<M, E>),
                env,
            ))
        }
    }

    /// The packages loaded so far, as Pyodide's `loadedPackages`
    /// (`pyodide_loaded_packages`): (normalized name, the wheel's URL or
    /// absolute path), in load order.
    pub fn loaded_packages(&self) -> Result<Vec<(String, String)>> {
        let mut out = sys::pyodide_value_t::none();
        // SAFETY: out receives an owned DICT of STR to STR.
        let dict = unsafe {
            check(sys::pyodide_loaded_packages(self.as_ptr(), &mut out))?;
            take_raw(self, &mut out)
        };
        let pairs: Vec<(Value<'_>, Value<'_>)> = dict.extract()?;
        pairs.into_iter().map(|(name, source)| Ok((name.extract()?, source.extract()?))).collect()
    }

    /// Sets the package indexes the guest's `micropip` may use, in order
    /// (`pyodide_set_index_urls`): PEP 691/503 simple indexes or plain
    /// directories of wheels, as http(s)/file URLs or local paths. Python may
    /// choose among them and URLs under them, never others.
    pub fn set_index_urls(&self, urls: &[&str]) -> Result<()> {
        // SAFETY: the strings live for the call.
        with_c_strings("index URL", urls, |ptr, n| unsafe { check(sys::pyodide_set_index_urls(self.as_ptr(), ptr, n)) })?
    }

    /// Installs packages as Python's `await micropip.install(requirements)`
    /// (`pyodide_install`): resolves the PEP 508 requirements and their
    /// dependencies against the lock-file index and the micropip indexes, then
    /// downloads, checks and installs the pure-Python wheels chosen.
    /// `on_message` receives each step. A requirement that cannot be met is a
    /// Python `ValueError` naming the conflict; a file that cannot be fetched
    /// or checked an `OSError`.
    pub fn install<F: FnMut(&str)>(&self, requirements: &[&str], on_message: F) -> Result<()> {
        let mut messages = Messages { on_message, on_error: () };
        let env = &mut messages as *mut Messages<F, ()> as *mut c_void;
        with_c_strings("requirement", requirements, |ptr, n| {
            // SAFETY: the strings and the closure live for the call, which invokes
            // the callback only on this thread before returning.
            unsafe { check(sys::pyodide_install(self.as_ptr(), ptr, n, Some(deliver_message::<F, ()>), env)) }
        })?
    }
}
