//! Rust functions Python can call: host modules (Pyodide's
//! `registerJsModule`) and the callbacks of `then`/`catch`/`finally`.
//!
//! Every callback runs inside `catch_unwind`: a panic never unwinds into the
//! library, it raises `RuntimeError` in Python instead.
use std::any::Any;
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;

use crate::error::{check, Error, Result};
use crate::runtime::{c_string, Runtime};
use crate::sys;
use crate::value::{BorrowedValues, Detached, Marshal, ToValue, Value};

/// A host function: called with the runtime that runs it and the arguments
/// (borrowed: a proxy among them is valid for the call; `try_clone` keeps
/// one), it returns the result or the error to raise in Python.
pub(crate) type HostFn = Box<dyn for<'r> Fn(&'r Runtime, &[Value<'r>]) -> Result<Value<'r>> + Send + Sync>;

/// Boxes a closure as a [`HostFn`]; a function rather than a cast so that the
/// closure's signature is inferred from the bound (higher-ranked lifetimes).
pub(crate) fn host_fn<F>(f: F) -> HostFn
where
    F: for<'r> Fn(&'r Runtime, &[Value<'r>]) -> Result<Value<'r>> + Send + Sync + 'static,
{
    Box::new(f)
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s
    } else {
        "(no message)"
    }
}

/// Runs `f` for the library, catching a panic: its value, or the error to
/// return to the library (which raises it in Python).
pub(crate) fn guard<R>(f: impl FnOnce() -> Result<R>) -> std::result::Result<R, *mut sys::pyodide_error_t> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(error.to_raw()),
        Err(panic) => {
            let message = format!("a Rust host function panicked: {}", panic_message(&*panic));
            // Dropping the payload could panic again: forget it.
            std::mem::forget(panic);
            Err(Error::python("RuntimeError", message).to_raw())
        }
    }
}

/// Runs `f` for the library with the arguments converted, and writes its
/// result (kept alive in `kept`; none when `result` is NULL) or returns the
/// error to raise.
///
/// # Safety
/// `args`/`nargs` and `result` are as the library passes them to a
/// `pyodide_host_fn`, and `view` is the runtime running the call.
pub(crate) unsafe fn invoke<F>(
    view: &Runtime,
    kept: &Mutex<Detached>,
    args: *const sys::pyodide_value_t,
    nargs: usize,
    result: *mut sys::pyodide_value_t,
    f: F,
) -> *mut sys::pyodide_error_t
where
    F: for<'r> FnOnce(&'r Runtime, &[Value<'r>]) -> Result<Value<'r>>,
{
    let value = match guard(|| {
        let args = BorrowedValues::new(view, args, nargs);
        f(view, &args)
    }) {
        Ok(value) => value,
        Err(error) => return error,
    };
    if !result.is_null() {
        // The previous result was read when its call returned: this
        // runtime runs one call at a time, and nested calls finish first.
        let mut kept = kept.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *kept = Detached::default();
        *result = kept.value(value);
    }
    std::ptr::null_mut()
}

/// The finalizer of every callback state: drops the box, and with it the
/// user's closures (a panic in their Drop is caught and lost).
pub(crate) unsafe extern "C" fn drop_boxed<T>(env: *mut c_void) {
    let boxed = Box::from_raw(env as *mut T);
    if let Err(panic) = catch_unwind(AssertUnwindSafe(move || drop(boxed))) {
        std::mem::forget(panic);
    }
}

/// The state of one callback (`then`, `catch`, `finally`).
pub(crate) struct Callback {
    view: Runtime,
    kept: Mutex<Detached>,
    f: HostFn,
}

impl Callback {
    pub(crate) fn new(rt: &Runtime, f: HostFn) -> Box<Callback> {
        Box::new(Callback { view: rt.view(), kept: Mutex::default(), f })
    }
}

/// `pyodide_host_fn` for a [`Callback`] passed as `env`.
pub(crate) unsafe extern "C" fn call_callback(
    env: *mut c_void,
    args: *const sys::pyodide_value_t,
    nargs: usize,
    result: *mut sys::pyodide_value_t,
) -> *mut sys::pyodide_error_t {
    let callback = &*(env as *const Callback);
    invoke(&callback.view, &callback.kept, args, nargs, result, |py, args| (callback.f)(py, args))
}

// ---- host modules ---------------------------------------------------------------

/// The most functions one [`HostModule`] may hold (a module's functions
/// share one `env` in the C ABI, so each needs a trampoline of its own that
/// knows its index; there are this many). Constants are not counted; nest
/// modules (`"app.io"`, `"app.math"`) for more.
pub const MAX_MODULE_FUNCTIONS: usize = 256;

enum Member<'v> {
    Function(HostFn),
    Constant(Value<'v>),
}

/// A module for Python to import, made of Rust functions and constants
/// (Pyodide's `registerJsModule`); register it with
/// [`Runtime::register_module`].
///
/// ```no_run
/// use pyodide::{Error, HostModule, Runtime, Value};
///
/// let py = Runtime::new()?;
/// let module = HostModule::new()
///     .constant("unit", "mm")
///     .function("scale", |_py, args| match args {
///         [Value::Int(n)] => Ok(Value::Int(n * 10)),
///         _ => Err(Error::python("TypeError", "scale(n: int)")),
///     });
/// py.register_module("units", module)?;
/// assert_eq!(py.run("import units\nunits.scale(4)")?, Value::Int(40));
/// # Ok::<(), pyodide::Error>(())
/// ```
///
/// A function receives the runtime running it (to call back into Python)
/// and the arguments; it returns the result, or an error Python raises:
/// [`Error::python`] for a given exception type, a Python error from a
/// nested call as itself, other errors as `RuntimeError`. A panic is caught
/// and raises `RuntimeError`. Functions may be called from any thread that
/// runs Python in the runtime, hence `Send + Sync`; they are dropped exactly
/// once, when the module is unregistered or the runtime destroyed.
#[derive(Default)]
pub struct HostModule<'v> {
    members: Vec<(String, Member<'v>)>,
}

impl std::fmt::Debug for HostModule<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.members.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("HostModule").field("members", &names).finish()
    }
}

impl<'v> HostModule<'v> {
    pub fn new() -> Self {
        HostModule::default()
    }

    /// Adds a function `name`.
    pub fn function<F>(mut self, name: &str, f: F) -> Self
    where
        F: for<'r> Fn(&'r Runtime, &[Value<'r>]) -> Result<Value<'r>> + Send + Sync + 'static,
    {
        self.members.push((name.to_owned(), Member::Function(host_fn(f))));
        self
    }

    /// Adds a constant `name`, converted into a Python object once, at
    /// registration (a proxy stands for its object).
    pub fn constant(mut self, name: &str, value: impl Into<Value<'v>>) -> Self {
        self.members.push((name.to_owned(), Member::Constant(value.into())));
        self
    }
}

/// The `env` of a registered module: its functions, by index.
struct ModuleState {
    view: Runtime,
    kept: Mutex<Detached>,
    functions: Vec<HostFn>,
}

/// `pyodide_host_fn` for function `I` of the [`ModuleState`] passed as `env`.
unsafe extern "C" fn call_module_function<const I: usize>(
    env: *mut c_void,
    args: *const sys::pyodide_value_t,
    nargs: usize,
    result: *mut sys::pyodide_value_t,
) -> *mut sys::pyodide_error_t {
    let module = &*(env as *const ModuleState);
    invoke(&module.view, &module.kept, args, nargs, result, |py, args| (module.functions[I])(py, args))
}

type RawHostFn = unsafe extern "C" fn(*mut c_void, *const sys::pyodide_value_t, usize, *mut sys::pyodide_value_t) -> *mut sys::pyodide_error_t;

macro_rules! trampoline_row {
    ($high:literal [$($low:literal)*]) => {
        [$(call_module_function::<{ $high * 16 + $low }> as RawHostFn),*]
    };
}
macro_rules! trampoline_rows {
    ($lows:tt $($high:literal)*) => {
        [$(trampoline_row!($high $lows)),*]
    };
}
/// `TRAMPOLINES[i / 16][i % 16]` calls function `i`.
static TRAMPOLINES: [[RawHostFn; 16]; MAX_MODULE_FUNCTIONS / 16] =
    trampoline_rows!([0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15] 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);

impl Runtime {
    /// Makes `import name` give Python the module (`pyodide_register_module`).
    /// `name` is a dotted Python identifier; modules of the standard library
    /// take precedence. Errors: Usage for an invalid or already registered
    /// name, a member without a name, more than [`MAX_MODULE_FUNCTIONS`]
    /// functions.
    pub fn register_module(&self, name: &str, module: HostModule<'_>) -> Result<()> {
        let c_name = c_string("module name", name.as_bytes().to_vec())?;
        let functions = module.members.iter().filter(|(_, m)| matches!(m, Member::Function(_))).count();
        if functions > MAX_MODULE_FUNCTIONS {
            return Err(Error::usage(format!(
                "a module holds at most {MAX_MODULE_FUNCTIONS} functions, {name} has {functions}: split it into submodules"
            )));
        }
        let mut state = Box::new(ModuleState { view: self.view(), kept: Mutex::default(), functions: Vec::with_capacity(functions) });
        let mut names = Vec::with_capacity(module.members.len());
        let mut constants = Vec::new();
        let mut marshal = Marshal::default();
        for (member_name, member) in &module.members {
            names.push(c_string("member name", member_name.as_bytes().to_vec())?);
            if let Member::Constant(value) = member {
                constants.push(value.to_raw(&mut marshal));
            }
        }
        // Built only now that `constants` no longer grows (members point into it).
        let mut members = Vec::with_capacity(module.members.len());
        let mut held_constants = Vec::with_capacity(constants.len());
        let mut next_constant = constants.iter();
        for ((_, member), c_member_name) in module.members.into_iter().zip(&names) {
            let (fn_, value) = match member {
                Member::Function(f) => {
                    let i = state.functions.len();
                    state.functions.push(f);
                    (Some(TRAMPOLINES[i / 16][i % 16]), std::ptr::null())
                }
                Member::Constant(value) => {
                    // Moving a Value leaves what `constants` points to in place.
                    held_constants.push(value);
                    (None, next_constant.next().map_or(std::ptr::null(), |v| v as *const _))
                }
            };
            members.push(sys::pyodide_host_member_t { name: c_member_name.as_ptr(), fn_, value });
        }
        let env = Box::into_raw(state);
        // SAFETY: the names and constants live for the call (the library
        // converts constants at once); env is the library's from here on,
        // freed by the finalizer exactly once, or below if registration fails.
        unsafe {
            let err = sys::pyodide_register_module(
                self.as_ptr(),
                c_name.as_ptr(),
                members.as_ptr(),
                members.len(),
                env.cast(),
                Some(drop_boxed::<ModuleState>),
            );
            if !err.is_null() {
                drop_boxed::<ModuleState>(env.cast());
            }
            drop(held_constants);
            check(err)
        }
    }

    /// Makes later `import name` fail, as Pyodide 0.17's
    /// `unregisterJsModule` (`pyodide_unregister_module`): a module already
    /// imported stays, and calling its functions raises `RuntimeError`. Its
    /// functions are dropped once no call into them runs. Usage error if no
    /// module of that name is registered.
    pub fn unregister_module(&self, name: &str) -> Result<()> {
        let name = c_string("module name", name.as_bytes().to_vec())?;
        // SAFETY: name lives for the call.
        unsafe { check(sys::pyodide_unregister_module(self.as_ptr(), name.as_ptr())) }
    }
}
