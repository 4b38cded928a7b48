//! Async: Pyodide's `runPythonAsync`, the host-driven event loop, awaiting
//! from the host, `then`/`catch`/`finally`, and futures the host completes.
use std::ptr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::{check, Error, Result};
use crate::host::{call_callback, drop_boxed, host_fn, Callback, HostFn};
use crate::proxy::Proxy;
use crate::runtime::{Shared, Runtime};
use crate::sys;
use crate::value::{take_raw, with_raw, ToValue, Value};

/// A timeout for the C ABI: None is "no limit" (-1).
fn seconds(timeout: Option<Duration>) -> f64 {
    timeout.map_or(-1.0, |t| t.as_secs_f64())
}

impl Runtime {
    fn run_async_raw(&self, code: &str, globals: *mut sys::pyproxy_t) -> Result<Value<'_>> {
        let mut out = sys::pyodide_value_t::none();
        // SAFETY: code is borrowed with its length; out receives an owned value.
        unsafe {
            check(sys::pyodide_run_python_async(self.as_ptr(), code.as_ptr().cast(), code.len(), globals, &mut out))?;
            Ok(take_raw(self, &mut out))
        }
    }

    /// Runs Python source with top-level `await`, as Pyodide's
    /// `runPythonAsync` (`pyodide_run_python_async`), driving the event loop
    /// until it and everything it awaits completes: the final expression's
    /// value. Blocks this thread; the runtime's deadline bounds the whole call.
    pub fn run_async(&self, code: &str) -> Result<Value<'_>> {
        self.run_async_raw(code, ptr::null_mut())
    }

    /// [`run_async`](Self::run_async) in `globals` (a proxy of a dict).
    pub fn run_async_in(&self, code: &str, globals: &Proxy<'_>) -> Result<Value<'_>> {
        self.run_async_raw(code, globals.as_ptr())
    }

    /// Drives the event loop (`pyodide_run_pending`): runs ready callbacks
    /// and due timers, waiting for timers up to `timeout` (zero: only what is
    /// ready now; None: until nothing is scheduled). True when the loop went
    /// idle, false when the time ran out first.
    pub fn run_pending(&self, timeout: Option<Duration>) -> Result<bool> {
        let mut idle = false;
        // SAFETY: a plain out-parameter.
        unsafe { check(sys::pyodide_run_pending(self.as_ptr(), seconds(timeout), &mut idle))? };
        Ok(idle)
    }

    /// A new asyncio future for the host to complete later
    /// (`pyodide_future_new`): give the proxy to Python (return it from a
    /// host function) and Python can `await` host work; complete it with the
    /// resolver, from any thread, even after the host function returned.
    pub fn new_future(&self) -> Result<(Proxy<'_>, FutureResolver)> {
        let mut future = ptr::null_mut();
        // SAFETY: out-parameters receiving owned proxies.
        unsafe {
            check(sys::pyodide_future_new(self.as_ptr(), &mut future))?;
            let future = Proxy::from_raw(self, future);
            let mut copy = ptr::null_mut();
            check(sys::pyproxy_copy(future.as_ptr(), &mut copy))?;
            Ok((future, FutureResolver { raw: copy, shared: Arc::clone(self.shared()) }))
        }
    }
}

impl<'rt> Proxy<'rt> {
    /// Waits for this awaitable (a coroutine, task or future) while driving
    /// the event loop (`pyodide_await`), for up to `timeout` (None: no
    /// limit): its result, or its exception as a Python error. Past the
    /// timeout a Limit error, and the awaitable stays pending.
    #[doc(alias = "await")]
    pub fn wait(&self, timeout: Option<Duration>) -> Result<Value<'rt>> {
        let rt = self.runtime();
        let mut out = sys::pyodide_value_t::none();
        // SAFETY: out receives an owned value.
        unsafe {
            check(sys::pyodide_await(rt.as_ptr(), self.as_ptr(), seconds(timeout), &mut out))?;
            Ok(take_raw(rt, &mut out))
        }
    }

    fn chain(
        &self,
        register: unsafe extern "C" fn(
            *mut sys::pyproxy_t,
            sys::pyodide_host_fn,
            *mut std::ffi::c_void,
            Option<unsafe extern "C" fn(*mut std::ffi::c_void)>,
            *mut *mut sys::pyproxy_t,
        ) -> *mut sys::pyodide_error_t,
        f: HostFn,
    ) -> Result<Proxy<'rt>> {
        let env = Box::into_raw(Callback::new(self.runtime(), f));
        let mut out = ptr::null_mut();
        // SAFETY: env is the library's from here on, freed by the finalizer
        // exactly once, or here if the call fails (then it never is).
        unsafe {
            let err = register(self.as_ptr(), Some(call_callback), env.cast(), Some(drop_boxed::<Callback>), &mut out);
            if !err.is_null() {
                drop_boxed::<Callback>(env.cast());
            }
            check(err)?;
            Ok(Proxy::from_raw(self.runtime(), out))
        }
    }

    /// Pyodide's `PyProxy.then` (`pyproxy_then`): a new future that settles
    /// with `f`'s result, `f` being called with this awaitable's result when
    /// the event loop runs. If the awaitable fails, the new future fails the
    /// same way and `f` is not called; an error `f` returns (or a panic in
    /// it) fails the new future. `f` is dropped once it can no longer be
    /// called.
    pub fn then<F>(&self, f: F) -> Result<Proxy<'rt>>
    where
        F: for<'r> FnOnce(&'r Runtime, &Value<'r>) -> Result<Value<'r>> + Send + 'static,
    {
        self.chain(sys::pyproxy_then, once_with_value(f))
    }

    /// Pyodide's `PyProxy.catch` (`pyproxy_catch`): as [`then`](Self::then),
    /// but `f` receives the exception (a proxy) if the awaitable fails; a
    /// result passes through.
    pub fn catch<F>(&self, f: F) -> Result<Proxy<'rt>>
    where
        F: for<'r> FnOnce(&'r Runtime, &Value<'r>) -> Result<Value<'r>> + Send + 'static,
    {
        self.chain(sys::pyproxy_catch, once_with_value(f))
    }

    /// Pyodide's `PyProxy.finally` (`pyproxy_finally`): `f` runs when the
    /// awaitable settles; the new future settles as the awaitable did, or
    /// fails with `f`'s error.
    pub fn finally<F>(&self, f: F) -> Result<Proxy<'rt>>
    where
        F: for<'r> FnOnce(&'r Runtime) -> Result<()> + Send + 'static,
    {
        let slot = Mutex::new(Some(f));
        self.chain(
            sys::pyproxy_finally,
            host_fn(move |py, _args| {
                let f = take_once(&slot)?;
                f(py).map(|()| Value::None)
            }),
        )
    }
}

/// The closure out of its slot: the library calls a callback at most once,
/// so a second call is a bug reported as such rather than a panic.
fn take_once<F>(slot: &Mutex<Option<F>>) -> Result<F> {
    slot.lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take()
        .ok_or_else(|| Error::python("RuntimeError", "a then/catch/finally callback was called twice"))
}

fn once_with_value<F>(f: F) -> HostFn
where
    F: for<'r> FnOnce(&'r Runtime, &Value<'r>) -> Result<Value<'r>> + Send + 'static,
{
    let slot = Mutex::new(Some(f));
    host_fn(move |py, args| {
        let f = take_once(&slot)?;
        f(py, args.first().unwrap_or(&Value::None))
    })
}

/// Completes a future of [`Runtime::new_future`], from any thread and at any
/// time: `Send + Sync + 'static`, so it can go to a worker thread while
/// Python awaits. Once the runtime is destroyed its methods return Usage
/// errors. (One dropped while the runtime is being destroyed, by a
/// finalizer of that runtime, leaves its handle's small entry unfreed.)
#[derive(Debug)]
pub struct FutureResolver {
    raw: *mut sys::pyproxy_t,
    shared: Arc<Shared>,
}

// SAFETY: the handle is a checked token that the library lets any thread use
// (pyodide_future_resolve/reject are made for other threads); calls run
// under the shared lock, so none overlaps the runtime's destruction.
unsafe impl Send for FutureResolver {}
// SAFETY: as above; the methods take `&self` and the library serializes them.
unsafe impl Sync for FutureResolver {}

impl FutureResolver {
    fn call(&self, f: impl FnOnce() -> Result<()>) -> Result<()> {
        self.shared.while_alive(f).unwrap_or_else(|| Err(Error::usage("the future's runtime is destroyed")))
    }

    /// Completes the future with `value` (`pyodide_future_resolve`); Python
    /// resumes the next time the event loop runs. A future already done is a
    /// Python `InvalidStateError`.
    pub fn resolve<T: ToValue + ?Sized>(&self, value: &T) -> Result<()> {
        // SAFETY: the value is borrowed for the call.
        self.call(|| with_raw(value, |v| unsafe { check(sys::pyodide_future_resolve(self.raw, v)) }))
    }

    /// Fails the future with `error`, raised in Python as a host function's
    /// error would be (see [`Error::python`]).
    pub fn reject(&self, error: &Error) -> Result<()> {
        self.call(|| {
            let raw = error.to_raw();
            // SAFETY: raw is ours until deleted; the library only borrows it.
            unsafe {
                let result = check(sys::pyodide_future_reject(self.raw, raw));
                sys::pyodide_error_delete(raw);
                result
            }
        })
    }
}

impl Drop for FutureResolver {
    fn drop(&mut self) {
        // SAFETY: we own the handle.
        self.shared.unless_destroying(|| unsafe { sys::pyproxy_destroy(self.raw) });
    }
}
