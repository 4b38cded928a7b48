//! [`Proxy`]: a handle to a Python object, and [`PyIter`].
use std::fmt;
use std::ptr;

use crate::buffer::Buffer;
use crate::error::{check, Error, Result};
use crate::runtime::Runtime;
use crate::sys;
use crate::value::{take_raw, with_raw, with_raw_args, with_raw_kwargs, ToValue, Value};

/// A handle to a Python object living in a runtime (`pyproxy_t`); dropping it
/// destroys the handle (`pyproxy_destroy`). It borrows its [`Runtime`].
pub struct Proxy<'rt> {
    raw: *mut sys::pyproxy_t,
    rt: &'rt Runtime,
}

// SAFETY: a proxy is a checked token of a runtime, which is Sync (see
// Runtime): the library serializes every call on it, from any thread.
unsafe impl Send for Proxy<'_> {}
// SAFETY: every method takes `&self`; only Drop destroys the handle.
unsafe impl Sync for Proxy<'_> {}

/// One step of [`Proxy::next`].
#[derive(Debug, PartialEq)]
pub enum Next<'rt> {
    /// The iterator or generator yielded a value.
    Yield(Value<'rt>),
    /// It finished; a generator's return value (None for other iterators).
    Return(Value<'rt>),
}

impl<'rt> Proxy<'rt> {
    /// Takes ownership of a proxy handle of `rt`.
    ///
    /// # Safety
    /// `raw` is a handle the caller owns (it will be destroyed by Drop).
    pub unsafe fn from_raw(rt: &'rt Runtime, raw: *mut sys::pyproxy_t) -> Proxy<'rt> {
        Proxy { raw, rt }
    }

    /// The raw handle (still owned by this `Proxy`).
    pub fn as_ptr(&self) -> *mut sys::pyproxy_t {
        self.raw
    }

    /// Gives up ownership of the handle (destroy it with `pyproxy_destroy`).
    pub fn into_raw(self) -> *mut sys::pyproxy_t {
        let raw = self.raw;
        std::mem::forget(self);
        raw
    }

    /// The runtime this proxy belongs to.
    pub fn runtime(&self) -> &'rt Runtime {
        self.rt
    }

    fn value_out(&self, f: impl FnOnce(*mut sys::pyodide_value_t) -> *mut sys::pyodide_error_t) -> Result<Value<'rt>> {
        let mut out = sys::pyodide_value_t::none();
        // SAFETY: on success `out` holds an owned value, taken over here.
        unsafe {
            check(f(&mut out))?;
            Ok(take_raw(self.rt, &mut out))
        }
    }

    fn proxy_out(&self, f: impl FnOnce(*mut *mut sys::pyproxy_t) -> *mut sys::pyodide_error_t) -> Result<Proxy<'rt>> {
        let mut out = ptr::null_mut();
        // SAFETY: on success `out` is an owned proxy.
        unsafe {
            check(f(&mut out))?;
            Ok(Proxy::from_raw(self.rt, out))
        }
    }

    fn bool_out(&self, f: impl FnOnce(*mut bool) -> *mut sys::pyodide_error_t) -> Result<bool> {
        let mut out = false;
        // SAFETY: a plain out-parameter.
        unsafe { check(f(&mut out))? };
        Ok(out)
    }

    /// `obj[key]`; a missing key is a Python KeyError/IndexError.
    pub fn get<K: ToValue + ?Sized>(&self, key: &K) -> Result<Value<'rt>> {
        with_raw(key, |k| self.value_out(|out| unsafe { sys::pyproxy_get(self.raw, k, out) }))
    }

    /// `obj[key] = value`.
    pub fn set<K: ToValue + ?Sized, V: ToValue + ?Sized>(&self, key: &K, value: &V) -> Result<()> {
        with_raw(key, |k| with_raw(value, |v| unsafe { check(sys::pyproxy_set(self.raw, k, v)) }))
    }

    /// `key in obj`.
    pub fn has<K: ToValue + ?Sized>(&self, key: &K) -> Result<bool> {
        with_raw(key, |k| self.bool_out(|out| unsafe { sys::pyproxy_has(self.raw, k, out) }))
    }

    /// `del obj[key]`.
    pub fn delete<K: ToValue + ?Sized>(&self, key: &K) -> Result<()> {
        with_raw(key, |k| unsafe { check(sys::pyproxy_delete(self.raw, k)) })
    }

    /// `len(obj)`.
    pub fn len(&self) -> Result<usize> {
        let mut out = 0usize;
        // SAFETY: a plain out-parameter.
        unsafe { check(sys::pyproxy_length(self.raw, &mut out))? };
        Ok(out)
    }

    /// Whether `len(obj) == 0`.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// The object's type name, as Pyodide's `PyProxy.type`: "dict",
    /// "collections.OrderedDict", ...
    pub fn type_name(&self) -> Result<String> {
        self.value_out(|out| unsafe { sys::pyproxy_type(self.raw, out) })?.extract()
    }

    /// `getattr(obj, name)`; a missing attribute is a Python AttributeError.
    pub fn get_attr(&self, name: &str) -> Result<Value<'rt>> {
        self.value_out(|out| unsafe { sys::pyproxy_get_attr(self.raw, name.as_ptr().cast(), name.len(), out) })
    }

    /// `setattr(obj, name, value)`.
    pub fn set_attr<V: ToValue + ?Sized>(&self, name: &str, value: &V) -> Result<()> {
        with_raw(value, |v| unsafe { check(sys::pyproxy_set_attr(self.raw, name.as_ptr().cast(), name.len(), v)) })
    }

    /// `hasattr(obj, name)`.
    pub fn has_attr(&self, name: &str) -> Result<bool> {
        self.bool_out(|out| unsafe { sys::pyproxy_has_attr(self.raw, name.as_ptr().cast(), name.len(), out) })
    }

    /// `delattr(obj, name)`.
    pub fn del_attr(&self, name: &str) -> Result<()> {
        // SAFETY: name is borrowed with its length.
        unsafe { check(sys::pyproxy_del_attr(self.raw, name.as_ptr().cast(), name.len())) }
    }

    /// `obj(*args)`.
    pub fn call(&self, args: &[Value<'_>]) -> Result<Value<'rt>> {
        self.call_with(args)
    }

    /// `obj(*args)` with borrowed arguments of any [`ToValue`] type, e.g.
    /// `f.call_with(&[&proxy as &dyn ToValue, &1, &"x"])` or `f.call_with(&[1, 2])`.
    pub fn call_with<T: ToValue>(&self, args: &[T]) -> Result<Value<'rt>> {
        with_raw_args(args, |ptr, n| self.value_out(|out| unsafe { sys::pyproxy_call(self.raw, ptr, n, out) }))
    }

    /// `obj(*args, **kwargs)`.
    pub fn call_kwargs(&self, args: &[Value<'_>], kwargs: &[(&str, Value<'_>)]) -> Result<Value<'rt>> {
        with_raw_args(args, |ptr, n| {
            with_raw_kwargs(kwargs, |kw| {
                self.value_out(|out| unsafe { sys::pyproxy_call_kwargs(self.raw, ptr, n, kw, out) })
            })
        })
    }

    /// `getattr(obj, name)(*args)`.
    pub fn call_method(&self, name: &str, args: &[Value<'_>]) -> Result<Value<'rt>> {
        self.get_attr(name)?.into_proxy()?.call(args)
    }

    /// A second, independent proxy of the same object.
    pub fn try_clone(&self) -> Result<Proxy<'rt>> {
        self.proxy_out(|out| unsafe { sys::pyproxy_copy(self.raw, out) })
    }

    /// Iterates over `iter(obj)`: each item is `Ok(value)`, or one `Err` (an
    /// exception raised by the iterator) after which iteration ends.
    pub fn iter(&self) -> Result<PyIter<'rt>> {
        let it = self.proxy_out(|out| unsafe { sys::pyproxy_iter(self.raw, out) })?;
        Ok(PyIter { it, done: false })
    }

    /// One step of an iterator or generator (Pyodide's `next(value)`):
    /// `sent` is sent into a generator's `yield` (None = Python None).
    pub fn next(&self, sent: Option<&Value<'_>>) -> Result<Next<'rt>> {
        let step = |sent_ptr: *const sys::pyodide_value_t| unsafe {
            let mut out = sys::pyodide_value_t::none();
            let mut done = false;
            check(sys::pyproxy_next(self.raw, sent_ptr, &mut out, &mut done))?;
            let value = take_raw(self.rt, &mut out);
            Ok(if done { Next::Return(value) } else { Next::Yield(value) })
        };
        match sent {
            Some(v) => with_raw(v, |raw| step(raw)),
            None => step(ptr::null()),
        }
    }

    /// A deep conversion into Rust values, as Pyodide's `toJs`: list, tuple,
    /// set → `List`, dict → `Dict`, bytes-likes → `Bytes`. `depth` is how
    /// many container levels to convert (-1 = all; 0 leaves this object a
    /// proxy); deeper containers and cycles stay proxies.
    pub fn to_value(&self, depth: i32) -> Result<Value<'rt>> {
        self.value_out(|out| unsafe { sys::pyproxy_to_js(self.raw, depth, out) })
    }

    /// The object's buffer, seen in place without copying
    /// (`pyproxy_get_buffer`). `ty` reinterprets the elements with Pyodide's
    /// names ("u8", "i32", "f64", ...); None keeps the buffer's format.
    pub fn get_buffer(&self, ty: Option<&str>) -> Result<Buffer<'rt>> {
        let ty = ty
            .map(|t| std::ffi::CString::new(t).map_err(|_| Error::usage("the buffer type contains a NUL character")))
            .transpose()?;
        let mut raw = sys::pybuffer_t::zeroed();
        // SAFETY: raw receives a buffer owned by the new Buffer.
        unsafe {
            check(sys::pyproxy_get_buffer(self.raw, ty.as_ref().map_or(ptr::null(), |t| t.as_ptr()), &mut raw))?;
            Ok(Buffer::from_raw(self.rt, raw))
        }
    }

    /// Whether this is a live proxy (not destroyed). A proxy whose runtime
    /// was destroyed still counts.
    pub fn is_live(&self) -> bool {
        // SAFETY: the library treats the pointer as a token.
        unsafe { sys::pyodide_is_pyproxy(self.raw as *const _) }
    }
}

impl Drop for Proxy<'_> {
    fn drop(&mut self) {
        // SAFETY: we own the handle; NULL and destroyed handles are ignored.
        unsafe { sys::pyproxy_destroy(self.raw) }
    }
}

impl fmt::Debug for Proxy<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Proxy({:p})", self.raw)
    }
}

/// `obj == other` for proxies means the same handle (not Python's `==`).
impl PartialEq for Proxy<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

/// An iterator over a Python iterator (from [`Proxy::iter`]).
#[derive(Debug)]
pub struct PyIter<'rt> {
    it: Proxy<'rt>,
    done: bool,
}

impl<'rt> PyIter<'rt> {
    /// The underlying iterator proxy.
    pub fn proxy(&self) -> &Proxy<'rt> {
        &self.it
    }
}

impl<'rt> Iterator for PyIter<'rt> {
    type Item = Result<Value<'rt>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.it.next(None) {
            Ok(Next::Yield(v)) => Some(Ok(v)),
            Ok(Next::Return(_)) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl std::iter::FusedIterator for PyIter<'_> {}
