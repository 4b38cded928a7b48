//! Rust bindings for Pyodide.Native: a sandboxed CPython 3.11, compiled to
//! WebAssembly and run by Wasmtime, behind the C ABI of `libpyodide.so`
//! (`include/pyodide.h`).
//!
//! ```no_run
//! use pyodide::{Runtime, Value};
//!
//! let py = Runtime::new()?;
//! assert_eq!(py.run("6 * 7")?, Value::Int(42));
//! let greet = py.run("lambda who: f'hello {who}'")?.into_proxy()?;
//! assert_eq!(greet.call(&["world".into()])?.as_str(), Some("hello world"));
//! # Ok::<(), pyodide::Error>(())
//! ```
//!
//! - [`Runtime`]: one interpreter; `Send + Sync` (the library serializes
//!   calls on a runtime). Dropping it destroys the interpreter.
//! - [`Proxy`]: a Python object; `Drop` destroys the handle. Proxies,
//!   [`Value`]s holding them and [`Buffer`]s borrow their runtime, so the
//!   compiler rejects using them after the runtime is gone.
//! - [`Value`]: a value crossing the boundary. Arguments take any
//!   [`ToValue`] (`Value`, `&Proxy`, `&str`, integers, slices, maps...).
//! - [`Buffer`]: a Python buffer in place, as typed slices.
//! - [`HostModule`] and [`HostObject`]: Rust functions and objects Python
//!   uses (Pyodide's `registerJsModule`, the other side of its `JsProxy`).
//! - [`Error`]: `kind` ([`ErrorKind`]), `type_name`, `message`.
//!
//! Linking: `build.rs` links `libpyodide.so` from `$PYODIDE_LIB_DIR`, else
//! `<repo>/out/lib`, and gives this crate's tests and examples an rpath to it.
//!
//! The borrow rules at work — a proxy cannot outlive its runtime:
//! ```compile_fail,E0597
//! let proxy = {
//!     let py = pyodide::Runtime::new().unwrap();
//!     py.globals().unwrap()
//! }; // error: `py` does not live long enough
//! ```
//! nor can a buffer:
//! ```compile_fail,E0505
//! let py = pyodide::Runtime::new().unwrap();
//! let b = py.run("bytearray(3)").unwrap().into_proxy().unwrap().get_buffer(None).unwrap();
//! drop(py); // error: cannot move out of `py` because it is borrowed
//! b.len();
//! ```
#![warn(missing_debug_implementations)]

mod buffer;
mod error;
mod future;
mod host;
mod host_object;
mod packages;
mod proxy;
mod runtime;
pub mod sys;
mod value;

pub use buffer::{Buffer, Element};
pub use error::{Error, ErrorKind, Result};
pub use future::FutureResolver;
pub use host::{HostModule, MAX_MODULE_FUNCTIONS};
pub use host_object::{HostObject, HostRef, Slot};
pub use proxy::{Next, Proxy, PyIter};
pub use runtime::{Runtime, RuntimeBuilder, SignalAction, Stats};
pub use value::{ToValue, Value};
