//! Rust objects Python uses as its own: the [`HostObject`] trait over the C
//! ABI's host classes (`pyodide_host_class_t`, `pyodide_host_object_new`).
//!
//! Each Rust type gets one C class, made on first use and kept for the
//! process (the library reads a class for as long as a runtime lives). The
//! `obj` pointer the library sees is a [`Cell`]: the runtime (for the
//! methods' `py`), the object, and the memory of the slots' last result. One
//! cell per (runtime, object) while Python holds the object, so the same
//! `Arc` gives Python the same object.
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::ffi::{c_char, c_void, CString};
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::{check, Error, Result};
use crate::host::{drop_boxed, guard, invoke};
use crate::proxy::Proxy;
use crate::runtime::Runtime;
use crate::sys;
use crate::value::{Detached, Value};

/// An operation Python may perform on a [`HostObject`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Slot {
    /// `obj.name` ([`HostObject::get_attr`]), after the methods.
    GetAttr,
    /// `obj.name = value`, `del obj.name` ([`HostObject::set_attr`]).
    SetAttr,
    /// `obj(*args)` ([`HostObject::call`]).
    Call,
    /// `obj[key]` ([`HostObject::get_item`]).
    GetItem,
    /// `obj[key] = value`, `del obj[key]` ([`HostObject::set_item`]).
    SetItem,
    /// `len(obj)` ([`HostObject::len`]).
    Len,
    /// `dir(obj)`: the names after the methods ([`HostObject::dir`]).
    Dir,
    /// `iter(obj)` ([`HostObject::iter`]).
    Iter,
    /// `next(obj)`: the object is its own iterator ([`HostObject::next`]).
    Next,
}

/// A Rust type whose values Python uses as objects of its own: a game
/// entity, a database row, a document node. Give one to Python with
/// [`Runtime::host_object`]; its Python type is a subclass of
/// `pyodide.HostObject` named [`CLASS_NAME`](Self::CLASS_NAME).
///
/// Python sees only the operations listed in [`SLOTS`](Self::SLOTS) and the
/// methods named in [`METHODS`](Self::METHODS); for the others it raises
/// what it raises for any object without them (`callable(obj)` is false
/// without [`Slot::Call`]). Each operation's default raises the error Python
/// gives for a missing one, so list a slot and implement its method. A
/// method returns the result or the error Python raises ([`Error::python`]
/// for a given type: `AttributeError` for a missing attribute, `KeyError`,
/// `IndexError`, ...); a panic is caught and raises `RuntimeError`. `py` is
/// the runtime running the Python code, for calling back into it.
///
/// ```no_run
/// use std::sync::{Arc, Mutex};
/// use pyodide::{Error, HostObject, Runtime, Slot, Value};
///
/// struct Counter(Mutex<i64>);
///
/// impl HostObject for Counter {
///     const CLASS_NAME: &'static str = "Counter";
///     const SLOTS: &'static [Slot] = &[Slot::GetAttr];
///     const METHODS: &'static [&'static str] = &["add"];
///
///     fn get_attr<'r>(&self, _py: &'r Runtime, name: &str) -> pyodide::Result<Value<'r>> {
///         match name {
///             "value" => Ok(Value::Int(*self.0.lock().unwrap())),
///             _ => Err(Error::python("AttributeError", format!("a Counter has no {name}"))),
///         }
///     }
///
///     fn call_method<'r>(&self, _py: &'r Runtime, _method: usize, args: &[Value<'r>]) -> pyodide::Result<Value<'r>> {
///         let n = args.first().and_then(Value::as_i64).ok_or_else(|| Error::python("TypeError", "add(n: int)"))?;
///         *self.0.lock().unwrap() += n;
///         Ok(Value::None)
///     }
/// }
///
/// let py = Runtime::new()?;
/// let counter = Arc::new(Counter(Mutex::new(0)));
/// py.globals()?.set("counter", &py.host_object(Arc::clone(&counter))?)?;
/// assert_eq!(py.run("counter.add(2)\ncounter.add(40)\ncounter.value")?, Value::Int(42));
/// # Ok::<(), pyodide::Error>(())
/// ```
///
/// Python holds an `Arc` clone of the object while it holds the object; the
/// clone is dropped (inside the library: its `Drop` must not call the
/// runtime) once Python lets go, or when the runtime is dropped. A cycle
/// through the host (the object holding a proxy that refers back to it) is
/// invisible to Python's garbage collector. Methods may run on any thread
/// that runs Python in the runtime, hence `Send + Sync`.
pub trait HostObject: Send + Sync + 'static {
    /// The Python type's name.
    const CLASS_NAME: &'static str;
    /// The operations Python sees.
    const SLOTS: &'static [Slot];
    /// Names of methods (identifiers): `obj.name(*args)` calls
    /// [`call_method`](Self::call_method) with the name's index, in one step.
    const METHODS: &'static [&'static str] = &[];

    /// `obj.name`, for names that are not methods.
    fn get_attr<'r>(&self, _py: &'r Runtime, name: &str) -> Result<Value<'r>> {
        Err(Error::python("AttributeError", format!("'{}' object has no attribute '{name}'", Self::CLASS_NAME)))
    }
    /// `obj.name = value`; `value` is None for `del obj.name`.
    fn set_attr<'r>(&self, _py: &'r Runtime, name: &str, _value: Option<&Value<'r>>) -> Result<()> {
        Err(Error::python("AttributeError", format!("'{}' object attribute '{name}' is read-only", Self::CLASS_NAME)))
    }
    /// `obj(*args)`.
    fn call<'r>(&self, _py: &'r Runtime, _args: &[Value<'r>]) -> Result<Value<'r>> {
        Err(Error::python("TypeError", format!("'{}' object is not callable", Self::CLASS_NAME)))
    }
    /// `obj.METHODS[method](*args)`.
    fn call_method<'r>(&self, _py: &'r Runtime, method: usize, _args: &[Value<'r>]) -> Result<Value<'r>> {
        let name = Self::METHODS.get(method).copied().unwrap_or("?");
        Err(Error::python("NotImplementedError", format!("{}.{name} is not implemented", Self::CLASS_NAME)))
    }
    /// `obj[key]`.
    fn get_item<'r>(&self, _py: &'r Runtime, _key: &Value<'r>) -> Result<Value<'r>> {
        Err(Error::python("TypeError", format!("'{}' object is not subscriptable", Self::CLASS_NAME)))
    }
    /// `obj[key] = value`; `value` is None for `del obj[key]`.
    fn set_item<'r>(&self, _py: &'r Runtime, _key: &Value<'r>, _value: Option<&Value<'r>>) -> Result<()> {
        Err(Error::python("TypeError", format!("'{}' object does not support item assignment", Self::CLASS_NAME)))
    }
    /// `len(obj)`.
    fn len(&self, _py: &Runtime) -> Result<usize> {
        Err(Error::python("TypeError", format!("object of type '{}' has no len()", Self::CLASS_NAME)))
    }
    /// The names `dir(obj)` lists after the methods.
    fn dir(&self, _py: &Runtime) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
    /// `iter(obj)`: something Python iterates over instead (a `List`, a
    /// proxy, a host object with [`Slot::Next`]).
    fn iter<'r>(&self, _py: &'r Runtime) -> Result<Value<'r>> {
        Err(Error::python("TypeError", format!("'{}' object is not iterable", Self::CLASS_NAME)))
    }
    /// `next(obj)`: the next item, or None at the end.
    fn next<'r>(&self, _py: &'r Runtime) -> Result<Option<Value<'r>>> {
        Err(Error::python("TypeError", format!("'{}' object is not an iterator", Self::CLASS_NAME)))
    }
}

// ---- the C class of each type ---------------------------------------------------

/// A type's C class and the strings it points to; leaked, one per type.
#[repr(C)]
struct Class {
    raw: sys::pyodide_host_class_t,
    _name: CString,
    _methods: Vec<CString>,
    _method_pointers: Vec<*const c_char>,
}

/// Addresses of the leaked `Class`es, by type (raw pointers are not Send).
fn classes() -> std::sync::MutexGuard<'static, HashMap<TypeId, usize>> {
    static CLASSES: OnceLock<Mutex<HashMap<TypeId, usize>>> = OnceLock::new();
    CLASSES.get_or_init(Mutex::default).lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether `cls` is the class of one of this crate's types.
fn is_our_class(cls: *const sys::pyodide_host_class_t) -> bool {
    // `raw` is the first field of `Class`, so their addresses are equal.
    classes().values().any(|&class| class == cls as usize)
}

/// The class of `T`, made on first use.
fn class_of<T: HostObject>() -> Result<&'static sys::pyodide_host_class_t> {
    let mut classes = classes();
    if let Some(&class) = classes.get(&TypeId::of::<T>()) {
        // SAFETY: leaked below, never freed.
        return Ok(unsafe { &(*(class as *const Class)).raw });
    }
    let nul = |what: &str| Error::usage(format!("the {what} of host class {} contains a NUL character", T::CLASS_NAME));
    let name = CString::new(T::CLASS_NAME).map_err(|_| nul("name"))?;
    let methods = T::METHODS.iter().map(|m| CString::new(*m).map_err(|_| nul("method names"))).collect::<Result<Vec<_>>>()?;
    let method_pointers: Vec<*const c_char> = methods.iter().map(|m| m.as_ptr()).collect();
    let has = |slot| T::SLOTS.contains(&slot);
    let raw = sys::pyodide_host_class_t {
        size: std::mem::size_of::<sys::pyodide_host_class_t>(),
        name: name.as_ptr(),
        get_attr: has(Slot::GetAttr).then_some(slot_get_attr::<T> as _),
        set_attr: has(Slot::SetAttr).then_some(slot_set_attr::<T> as _),
        call: has(Slot::Call).then_some(slot_call::<T> as _),
        get_item: has(Slot::GetItem).then_some(slot_get_item::<T> as _),
        length: has(Slot::Len).then_some(slot_length::<T> as _),
        finalize: Some(slot_finalize::<T>),
        dir: has(Slot::Dir).then_some(slot_dir::<T> as _),
        set_item: has(Slot::SetItem).then_some(slot_set_item::<T> as _),
        iter: has(Slot::Iter).then_some(slot_iter::<T> as _),
        next: has(Slot::Next).then_some(slot_next::<T> as _),
        methods: if method_pointers.is_empty() { std::ptr::null() } else { method_pointers.as_ptr() },
        nmethods: method_pointers.len(),
        call_method: (!method_pointers.is_empty()).then_some(slot_call_method::<T> as _),
    };
    let class = Box::leak(Box::new(Class { raw, _name: name, _methods: methods, _method_pointers: method_pointers }));
    classes.insert(TypeId::of::<T>(), class as *const Class as usize);
    Ok(&class.raw)
}

// ---- cells and the runtime's registry ---------------------------------------------

/// The `obj` of a host object: what its slots need.
struct Cell<T> {
    view: Runtime,
    kept: Mutex<Detached>,
    object: Arc<T>,
}

/// A cell known to a runtime. `python_object`: Python holds the object
/// (until finalize); `pending`: calls of pyodide_host_object_new on it in
/// progress. The cell is freed when both are over, so a call racing with
/// the object's finalization (on another thread) never sees it freed.
struct CellEntry {
    key: (usize, usize),
    /// The cell's object, type-erased (read under the registry's lock, while
    /// the cell is known to be allocated).
    object: unsafe fn(usize) -> Arc<dyn Any + Send + Sync>,
    python_object: bool,
    pending: usize,
    free: unsafe extern "C" fn(*mut c_void),
}

/// A runtime's host objects: cells by address, and by (class, object).
/// Never locked across a call into the library (finalize takes it, on
/// whichever thread Python lets go).
#[derive(Default)]
pub(crate) struct HostRegistry {
    by_object: HashMap<(usize, usize), usize>,
    cells: HashMap<usize, CellEntry>,
}

impl fmt::Debug for HostRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostRegistry").field("cells", &self.cells.len()).finish()
    }
}

impl HostRegistry {
    /// Removes a cell nobody uses any more; the caller frees it (after
    /// unlocking: dropping the object runs user code).
    fn take_if_unused(&mut self, cell: usize) -> Option<unsafe extern "C" fn(*mut c_void)> {
        let entry = self.cells.get(&cell)?;
        if entry.python_object || entry.pending > 0 {
            return None;
        }
        let entry = self.cells.remove(&cell)?;
        self.by_object.remove(&entry.key);
        Some(entry.free)
    }
}

/// `CellEntry::object` of a `Cell<T>`.
unsafe fn erased_object<T: HostObject>(cell: usize) -> Arc<dyn Any + Send + Sync> {
    Arc::clone(&(*(cell as *const Cell<T>)).object) as Arc<dyn Any + Send + Sync>
}

fn lock(registry: &Mutex<HostRegistry>) -> std::sync::MutexGuard<'_, HostRegistry> {
    registry.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Runtime {
    /// Gives `object` to Python (`pyodide_host_object_new`): a proxy of the
    /// Python object standing for it, to put anywhere (a global, an
    /// argument, a host function's result). While Python holds it, the same
    /// object (the same `Arc` allocation) gives the same Python object.
    /// Usage error for a class or method name with a NUL, or a method name
    /// that is not an identifier.
    pub fn host_object<T: HostObject>(&self, object: Arc<T>) -> Result<Proxy<'_>> {
        let cls = class_of::<T>()?;
        let key = (cls as *const _ as usize, Arc::as_ptr(&object) as *const () as usize);
        let cell = {
            let mut registry = lock(&self.shared().hosts);
            let cell = match registry.by_object.get(&key) {
                Some(&cell) => cell,
                None => {
                    let cell = Box::into_raw(Box::new(Cell { view: self.view(), kept: Mutex::default(), object })) as usize;
                    registry.by_object.insert(key, cell);
                    let entry =
                        CellEntry { key, object: erased_object::<T>, python_object: false, pending: 0, free: drop_boxed::<Cell<T>> };
                    registry.cells.insert(cell, entry);
                    cell
                }
            };
            // Counted in the same critical section as the lookup: a
            // finalize between the two would free the cell.
            registry.cells.get_mut(&cell).expect("just found or inserted").pending += 1;
            cell
        };
        self.host_proxy(cls, cell)
    }

    /// The Python object of a registered cell (made, or found while Python
    /// holds it); the caller counted this call in the cell's `pending`.
    fn host_proxy(&self, cls: *const sys::pyodide_host_class_t, cell: usize) -> Result<Proxy<'_>> {
        let hosts = &self.shared().hosts;
        let mut out = std::ptr::null_mut();
        // SAFETY: the cell stays allocated while `pending` counts this call.
        let err = unsafe { sys::pyodide_host_object_new(self.as_ptr(), cls, cell as *mut c_void, &mut out) };
        let free = {
            let mut registry = lock(hosts);
            let entry = registry.cells.get_mut(&cell).expect("a pending cell stays registered");
            entry.pending -= 1;
            if err.is_null() {
                entry.python_object = true;
            }
            registry.take_if_unused(cell)
        };
        if let Some(free) = free {
            // SAFETY: removed from the registry: nothing else refers to it.
            unsafe { free(cell as *mut c_void) };
        }
        // SAFETY: on success `out` is an owned proxy.
        unsafe {
            check(err)?;
            Ok(Proxy::from_raw(self, out))
        }
    }
}

// ---- host objects coming back ------------------------------------------------------

/// A host object that came back from Python (a `PYODIDE_HOST` value): an
/// argument, an attribute, a result of [`Runtime::run`]. For one of this
/// runtime's [`HostObject`]s, [`downcast`](Self::downcast) gives the very
/// object back and [`proxy`](Self::proxy) its Python object; a host object
/// of another class (made through the C ABI) keeps only its raw pointers.
pub struct HostRef<'rt> {
    cls: *const sys::pyodide_host_class_t,
    obj: *mut c_void,
    /// A class of this crate: `obj` is a cell, which only the registry
    /// says is still allocated.
    ours: bool,
    object: Option<Arc<dyn Any + Send + Sync>>,
    proxy: Option<Proxy<'rt>>,
}

// SAFETY: the pointers are tokens only dereferenced through the runtime's
// registry (classes are immutable and live for the process); the object is
// Send + Sync and the proxy is.
unsafe impl Send for HostRef<'_> {}
// SAFETY: as above; nothing is mutated through `&HostRef`.
unsafe impl Sync for HostRef<'_> {}

impl<'rt> HostRef<'rt> {
    /// Converts a `PYODIDE_HOST` value of `rt`.
    ///
    /// # Safety
    /// `raw` is a HOST value the library filled for `rt`.
    pub(crate) unsafe fn from_raw(rt: &'rt Runtime, raw: &sys::pyodide_value_t) -> HostRef<'rt> {
        let (cls, obj) = (raw.of.host.cls, raw.of.host.obj);
        let object = lock(&rt.shared().hosts).cells.get_mut(&(obj as usize)).map(|entry| {
            entry.pending += 1;
            // SAFETY: a registered cell is allocated while the lock is held.
            (entry.object)(obj as usize)
        });
        // One of ours: its Python object, so that passing it back to Python
        // is passing that object (also once Python dropped its other
        // references); found by identity while it lives.
        let proxy = object.as_ref().and_then(|_| rt.host_proxy(cls, obj as usize).ok());
        let ours = object.is_some() || is_our_class(cls);
        HostRef { cls, obj, ours, object, proxy }
    }

    /// The object, if it is one of this runtime's `T`s.
    pub fn downcast<T: HostObject>(&self) -> Option<Arc<T>> {
        Arc::clone(self.object.as_ref()?).downcast::<T>().ok()
    }

    /// Whether it is one of this runtime's `T`s.
    pub fn is<T: HostObject>(&self) -> bool {
        self.object.as_ref().is_some_and(|o| o.is::<T>())
    }

    /// Its Python object (None for a host object of another class).
    pub fn proxy(&self) -> Option<&Proxy<'rt>> {
        self.proxy.as_ref()
    }

    /// The class pointer, as the library gave it (`of.host.cls`).
    pub fn class_ptr(&self) -> *const sys::pyodide_host_class_t {
        self.cls
    }

    /// The object pointer, as the library gave it (`of.host.obj`); for this
    /// crate's objects an internal cell.
    pub fn object_ptr(&self) -> *mut c_void {
        self.obj
    }

    /// The value to pass it back to Python: its Python object, or for a
    /// foreign class the HOST value (the C host manages those). One of ours
    /// without a proxy (Python let go of it while it came back, on another
    /// thread) is None: its cell is gone.
    pub(crate) fn to_raw(&self) -> sys::pyodide_value_t {
        match &self.proxy {
            Some(p) => sys::pyodide_value_t { kind: sys::PYODIDE_PROXY, of: sys::pyodide_value_of { proxy: p.as_ptr() } },
            None if self.ours => sys::pyodide_value_t::none(),
            None => sys::pyodide_value_t {
                kind: sys::PYODIDE_HOST,
                of: sys::pyodide_value_of { host: sys::pyodide_value_host { cls: self.cls, obj: self.obj } },
            },
        }
    }

    /// As [`to_raw`](Self::to_raw), giving the proxy up (for a value the
    /// library takes over).
    pub(crate) fn into_raw(self) -> sys::pyodide_value_t {
        match self.proxy {
            Some(p) => sys::pyodide_value_t { kind: sys::PYODIDE_PROXY, of: sys::pyodide_value_of { proxy: p.into_raw() } },
            None => HostRef { proxy: None, ..self }.to_raw(),
        }
    }
}

impl fmt::Debug for HostRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostRef").field("cls", &self.cls).field("obj", &self.obj).field("ours", &self.ours).finish()
    }
}

/// The same host object (class and object pointers).
impl PartialEq for HostRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cls == other.cls && self.obj == other.obj
    }
}

// ---- slots ---------------------------------------------------------------------

unsafe fn cell<'a, T>(obj: *mut c_void) -> &'a Cell<T> {
    &*(obj as *const Cell<T>)
}

unsafe fn name_str<'a>(name: *const c_char, len: usize) -> std::borrow::Cow<'a, str> {
    let bytes = if len == 0 { &[][..] } else { std::slice::from_raw_parts(name.cast::<u8>(), len) };
    String::from_utf8_lossy(bytes)
}

/// A one- or two-element array of (copies of) borrowed values; a NULL
/// `second` is left out.
unsafe fn pair(first: *const sys::pyodide_value_t, second: *const sys::pyodide_value_t) -> ([sys::pyodide_value_t; 2], usize) {
    let a = *first;
    if second.is_null() {
        ([a, sys::pyodide_value_t::none()], 1)
    } else {
        ([a, *second], 2)
    }
}

unsafe extern "C" fn slot_get_attr<T: HostObject>(
    obj: *mut c_void,
    name: *const c_char,
    len: usize,
    out: *mut sys::pyodide_value_t,
) -> *mut sys::pyodide_error_t {
    let c = cell::<T>(obj);
    let name = name_str(name, len);
    invoke(&c.view, &c.kept, std::ptr::null(), 0, out, |py, _| c.object.get_attr(py, &name))
}

unsafe extern "C" fn slot_set_attr<T: HostObject>(
    obj: *mut c_void,
    name: *const c_char,
    len: usize,
    value: *const sys::pyodide_value_t,
) -> *mut sys::pyodide_error_t {
    let c = cell::<T>(obj);
    let name = name_str(name, len);
    let nargs = usize::from(!value.is_null());
    invoke(&c.view, &c.kept, value, nargs, std::ptr::null_mut(), |py, args| {
        c.object.set_attr(py, &name, args.first()).map(|()| Value::None)
    })
}

unsafe extern "C" fn slot_call<T: HostObject>(
    obj: *mut c_void,
    args: *const sys::pyodide_value_t,
    nargs: usize,
    out: *mut sys::pyodide_value_t,
) -> *mut sys::pyodide_error_t {
    let c = cell::<T>(obj);
    invoke(&c.view, &c.kept, args, nargs, out, |py, args| c.object.call(py, args))
}

unsafe extern "C" fn slot_call_method<T: HostObject>(
    obj: *mut c_void,
    method: usize,
    args: *const sys::pyodide_value_t,
    nargs: usize,
    out: *mut sys::pyodide_value_t,
) -> *mut sys::pyodide_error_t {
    let c = cell::<T>(obj);
    invoke(&c.view, &c.kept, args, nargs, out, |py, args| c.object.call_method(py, method, args))
}

unsafe extern "C" fn slot_get_item<T: HostObject>(
    obj: *mut c_void,
    key: *const sys::pyodide_value_t,
    out: *mut sys::pyodide_value_t,
) -> *mut sys::pyodide_error_t {
    let c = cell::<T>(obj);
    invoke(&c.view, &c.kept, key, 1, out, |py, args| c.object.get_item(py, &args[0]))
}

unsafe extern "C" fn slot_set_item<T: HostObject>(
    obj: *mut c_void,
    key: *const sys::pyodide_value_t,
    value: *const sys::pyodide_value_t,
) -> *mut sys::pyodide_error_t {
    let c = cell::<T>(obj);
    let (args, nargs) = pair(key, value);
    invoke(&c.view, &c.kept, args.as_ptr(), nargs, std::ptr::null_mut(), |py, args| {
        c.object.set_item(py, &args[0], args.get(1)).map(|()| Value::None)
    })
}

unsafe extern "C" fn slot_length<T: HostObject>(obj: *mut c_void, out: *mut usize) -> *mut sys::pyodide_error_t {
    let c = cell::<T>(obj);
    match guard(|| c.object.len(&c.view)) {
        Ok(n) => {
            *out = n;
            std::ptr::null_mut()
        }
        Err(error) => error,
    }
}

unsafe extern "C" fn slot_dir<T: HostObject>(obj: *mut c_void, out: *mut sys::pyodide_value_t) -> *mut sys::pyodide_error_t {
    let c = cell::<T>(obj);
    invoke(&c.view, &c.kept, std::ptr::null(), 0, out, |py, _| {
        Ok(Value::List(c.object.dir(py)?.into_iter().map(Value::Str).collect()))
    })
}

unsafe extern "C" fn slot_iter<T: HostObject>(obj: *mut c_void, out: *mut sys::pyodide_value_t) -> *mut sys::pyodide_error_t {
    let c = cell::<T>(obj);
    invoke(&c.view, &c.kept, std::ptr::null(), 0, out, |py, _| c.object.iter(py))
}

unsafe extern "C" fn slot_next<T: HostObject>(
    obj: *mut c_void,
    out: *mut sys::pyodide_value_t,
    done: *mut bool,
) -> *mut sys::pyodide_error_t {
    let c = cell::<T>(obj);
    let mut finished = false;
    let err = invoke(&c.view, &c.kept, std::ptr::null(), 0, out, |py, _| match c.object.next(py)? {
        Some(value) => Ok(value),
        None => {
            finished = true;
            Ok(Value::None)
        }
    });
    if err.is_null() && !done.is_null() {
        *done = finished;
    }
    err
}

/// Python's last reference is gone (or the runtime is being destroyed):
/// the cell goes unless a pyodide_host_object_new on it is in progress.
unsafe extern "C" fn slot_finalize<T: HostObject>(obj: *mut c_void) {
    let shared = Arc::clone(cell::<T>(obj).view.shared());
    let free = {
        let mut registry = lock(&shared.hosts);
        match registry.cells.get_mut(&(obj as usize)) {
            Some(entry) => {
                entry.python_object = false;
                registry.take_if_unused(obj as usize)
            }
            None => None,
        }
    };
    if let Some(free) = free {
        free(obj);
    }
}
