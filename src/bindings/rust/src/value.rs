//! [`Value`]: a value crossing the boundary, and the conversions to and from
//! `pyodide_value_t`.
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::host_object::{HostObject, HostRef};
use crate::proxy::Proxy;
use crate::runtime::Runtime;
use crate::sys;

/// A value crossing the boundary (`pyodide_value_t`).
///
/// Python → Rust: None, bool, int (within i64), float, str and bytes arrive
/// by value; a host object as [`Value::Host`]; anything else as
/// [`Value::Proxy`] (so do ints outside i64 and strs with lone surrogates). [`Proxy::to_value`] converts
/// containers deeply (list/tuple/set → `List`, dict → `Dict`).
/// Rust → Python: every variant becomes the matching Python object (`List` a
/// list, `Dict` a dict, `Proxy` the object itself).
///
/// The lifetime is the runtime's: a value holding a proxy cannot outlive it.
#[derive(Debug, PartialEq)]
pub enum Value<'rt> {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    List(Vec<Value<'rt>>),
    /// Key/value pairs in the dict's order (keys may be of any kind).
    Dict(Vec<(Value<'rt>, Value<'rt>)>),
    Proxy(Proxy<'rt>),
    /// A host object ([`HostObject`], or one made through the C ABI).
    Host(HostRef<'rt>),
}

impl<'rt> Value<'rt> {
    /// "None", "bool", "int", "float", "str", "bytes", "list", "dict", "proxy" or "host".
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::None => "None",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::List(_) => "list",
            Value::Dict(_) => "dict",
            Value::Proxy(_) => "proxy",
            Value::Host(_) => "host",
        }
    }

    pub fn is_none(&self) -> bool {
        matches!(self, Value::None)
    }
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }
    /// A float, or an int converted to f64.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Float(f) => Some(f),
            Value::Int(i) => Some(i as f64),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }
    pub fn as_list(&self) -> Option<&[Value<'rt>]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }
    pub fn as_dict(&self) -> Option<&[(Value<'rt>, Value<'rt>)]> {
        match self {
            Value::Dict(d) => Some(d),
            _ => None,
        }
    }
    pub fn as_proxy(&self) -> Option<&Proxy<'rt>> {
        match self {
            Value::Proxy(p) => Some(p),
            _ => None,
        }
    }
    pub fn as_host(&self) -> Option<&HostRef<'rt>> {
        match self {
            Value::Host(h) => Some(h),
            _ => None,
        }
    }
    /// The host object, if this is one of this runtime's `T`s.
    pub fn host<T: HostObject>(&self) -> Option<Arc<T>> {
        self.as_host()?.downcast()
    }
    /// The proxy, or a Usage error naming the value's kind.
    pub fn into_proxy(self) -> Result<Proxy<'rt>> {
        self.try_into()
    }
    /// Converts to `T` (`i64`, `f64`, `bool`, `String`, `Vec<u8>`, `Proxy`,
    /// `Vec<Value>`, `()`); a value of another kind is a Usage error.
    pub fn extract<T: TryFrom<Value<'rt>, Error = Error>>(self) -> Result<T> {
        T::try_from(self)
    }
    /// Looks a key up in a `Dict` value (by `==`).
    pub fn dict_get(&self, key: &Value<'_>) -> Option<&Value<'rt>> {
        self.as_dict()?.iter().find(|(k, _)| k.eq_ignoring_lifetime(key)).map(|(_, v)| v)
    }

    fn eq_ignoring_lifetime(&self, other: &Value<'_>) -> bool {
        match (self, other) {
            (Value::None, Value::None) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Bytes(a), Value::Bytes(b)) => a == b,
            (Value::List(a), Value::List(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignoring_lifetime(y))
            }
            (Value::Dict(a), Value::Dict(b)) => {
                a.len() == b.len()
                    && a.iter().zip(b).all(|((k1, v1), (k2, v2))| {
                        k1.eq_ignoring_lifetime(k2) && v1.eq_ignoring_lifetime(v2)
                    })
            }
            (Value::Proxy(a), Value::Proxy(b)) => a.as_ptr() == b.as_ptr(),
            (Value::Host(a), Value::Host(b)) => a.class_ptr() == b.class_ptr() && a.object_ptr() == b.object_ptr(),
            _ => false,
        }
    }
}

// ---- C → Rust -------------------------------------------------------------------

/// Converts a library-filled value into a [`Value`] and releases the C value.
/// Proxies are taken over (their handles move into the `Proxy`s), everything
/// else is copied.
///
/// # Safety
/// `raw` was filled by the library and is released exactly once, here.
pub(crate) unsafe fn take_raw<'rt>(rt: &'rt Runtime, raw: &mut sys::pyodide_value_t) -> Value<'rt> {
    let value = convert(rt, raw);
    sys::pyodide_value_release(raw);
    value
}

unsafe fn raw_slice<'a, T>(ptr: *const T, len: usize) -> &'a [T] {
    if len == 0 || ptr.is_null() {
        &[]
    } else {
        std::slice::from_raw_parts(ptr, len)
    }
}

unsafe fn raw_slice_mut<'a, T>(ptr: *mut T, len: usize) -> &'a mut [T] {
    if len == 0 || ptr.is_null() {
        &mut []
    } else {
        std::slice::from_raw_parts_mut(ptr, len)
    }
}

unsafe fn convert<'rt>(rt: &'rt Runtime, raw: &mut sys::pyodide_value_t) -> Value<'rt> {
    if raw.kind == sys::PYODIDE_PROXY {
        // Take the handle over: the node becomes NONE, so the release of
        // the whole tree (which walks it) leaves this proxy alone.
        let handle = raw.of.proxy;
        *raw = sys::pyodide_value_t::none();
        return Value::Proxy(Proxy::from_raw(rt, handle));
    }
    if raw.kind == sys::PYODIDE_HOST {
        return Value::Host(HostRef::from_raw(rt, raw));
    }
    let mut take_proxy = |item: &mut sys::pyodide_value_t| convert(rt, item);
    convert_with(raw, &mut take_proxy)
}

/// The conversion of one node; containers recurse through `item`, which
/// decides what happens to proxies.
unsafe fn convert_with<'rt>(
    raw: &mut sys::pyodide_value_t,
    item: &mut dyn FnMut(&mut sys::pyodide_value_t) -> Value<'rt>,
) -> Value<'rt> {
    match raw.kind {
        sys::PYODIDE_NONE => Value::None,
        sys::PYODIDE_BOOL => Value::Bool(raw.of.b),
        sys::PYODIDE_INT => Value::Int(raw.of.i),
        sys::PYODIDE_FLOAT => Value::Float(raw.of.f),
        sys::PYODIDE_STR => {
            let bytes = raw_slice(raw.of.str.ptr as *const u8, raw.of.str.len);
            // The library hands out valid UTF-8 (strs that have none arrive
            // as proxies); be lenient anyway.
            Value::Str(String::from_utf8_lossy(bytes).into_owned())
        }
        sys::PYODIDE_BYTES => Value::Bytes(raw_slice(raw.of.str.ptr as *const u8, raw.of.str.len).to_vec()),
        sys::PYODIDE_LIST => {
            let items = raw_slice_mut(raw.of.list.items, raw.of.list.len);
            Value::List(items.iter_mut().map(item).collect())
        }
        sys::PYODIDE_DICT => {
            let d = raw.of.dict;
            let keys = raw_slice_mut(d.keys, d.len);
            let values = raw_slice_mut(d.values, d.len);
            Value::Dict(keys.iter_mut().zip(values.iter_mut()).map(|(k, v)| (item(k), item(v))).collect())
        }
        // PYODIDE_PROXY and PYODIDE_HOST are the caller's (see convert and
        // BorrowedValues::new).
        _ => Value::None,
    }
}

/// Values the library lends a callback (a host function's arguments, a
/// `then` callback's argument): proxies wrap the library's own handles,
/// which it releases after the callback returns, so on drop (also after a
/// panic) they are forgotten rather than destroyed. The callback sees them
/// as `&[Value]` and cannot move them out; `Proxy::try_clone` keeps one.
pub(crate) struct BorrowedValues<'rt>(std::mem::ManuallyDrop<Vec<Value<'rt>>>);

impl<'rt> BorrowedValues<'rt> {
    /// # Safety
    /// `raw` holds `len` values filled by the library, valid while the
    /// result is alive; their proxies belong to `rt`.
    pub(crate) unsafe fn new(rt: &'rt Runtime, raw: *const sys::pyodide_value_t, len: usize) -> BorrowedValues<'rt> {
        unsafe fn lend<'rt>(rt: &'rt Runtime, raw: &sys::pyodide_value_t) -> Value<'rt> {
            if raw.kind == sys::PYODIDE_PROXY {
                return Value::Proxy(Proxy::from_raw(rt, raw.of.proxy));
            }
            if raw.kind == sys::PYODIDE_HOST {
                return Value::Host(HostRef::from_raw(rt, raw));
            }
            // convert_with only reads the node (no PROXY reaches it here).
            let mut copy = *raw;
            let mut item = |i: &mut sys::pyodide_value_t| lend(rt, i);
            convert_with(&mut copy, &mut item)
        }
        let values = raw_slice(raw, len).iter().map(|v| lend(rt, v)).collect();
        BorrowedValues(std::mem::ManuallyDrop::new(values))
    }
}

impl<'rt> std::ops::Deref for BorrowedValues<'rt> {
    type Target = [Value<'rt>];
    fn deref(&self) -> &[Value<'rt>] {
        &self.0
    }
}

impl Drop for BorrowedValues<'_> {
    fn drop(&mut self) {
        fn forget_proxies(value: Value<'_>) {
            match value {
                Value::Proxy(p) => {
                    p.into_raw();
                }
                Value::List(items) => items.into_iter().for_each(forget_proxies),
                Value::Dict(pairs) => pairs.into_iter().for_each(|(k, v)| {
                    forget_proxies(k);
                    forget_proxies(v)
                }),
                _ => {}
            }
        }
        // SAFETY: taken once, here.
        let values = unsafe { std::mem::ManuallyDrop::take(&mut self.0) };
        values.into_iter().for_each(forget_proxies);
    }
}

/// A callback's result in C form, for the library to read after the
/// callback returned: it owns the strings and arrays (kept until the next
/// result replaces them), while its proxies pass to the library.
#[derive(Default)]
pub(crate) struct Detached {
    arrays: Vec<Box<[sys::pyodide_value_t]>>,
    bytes: Vec<Box<[u8]>>,
}

// SAFETY: the raw pointers in `arrays` point into `bytes` and `arrays`
// themselves, or are proxy handles (tokens of a Sync runtime).
unsafe impl Send for Detached {}

impl Detached {
    pub(crate) fn value(&mut self, value: Value<'_>) -> sys::pyodide_value_t {
        match value {
            Value::Str(s) => self.bytes_value(sys::PYODIDE_STR, s.into_bytes()),
            Value::Bytes(b) => self.bytes_value(sys::PYODIDE_BYTES, b),
            Value::List(items) => {
                let raw: Box<[_]> = items.into_iter().map(|item| self.value(item)).collect();
                let len = raw.len();
                let items = self.keep(raw);
                sys::pyodide_value_t { kind: sys::PYODIDE_LIST, of: sys::pyodide_value_of { list: sys::pyodide_value_list { items, len } } }
            }
            Value::Dict(pairs) => {
                let (keys, values): (Vec<_>, Vec<_>) = pairs.into_iter().map(|(k, v)| (self.value(k), self.value(v))).unzip();
                let len = keys.len();
                let keys = self.keep(keys.into_boxed_slice());
                let values = self.keep(values.into_boxed_slice());
                sys::pyodide_value_t {
                    kind: sys::PYODIDE_DICT,
                    of: sys::pyodide_value_of { dict: sys::pyodide_value_dict { keys, values, len } },
                }
            }
            Value::Proxy(p) => sys::pyodide_value_t { kind: sys::PYODIDE_PROXY, of: sys::pyodide_value_of { proxy: p.into_raw() } },
            Value::Host(h) => h.into_raw(),
            scalar => scalar.to_raw(&mut Marshal::default()),
        }
    }

    fn bytes_value(&mut self, kind: sys::pyodide_kind_t, bytes: Vec<u8>) -> sys::pyodide_value_t {
        let bytes = bytes.into_boxed_slice();
        let raw = raw_str(kind, &bytes);
        self.bytes.push(bytes); // moving the Box does not move its contents
        raw
    }

    fn keep(&mut self, mut array: Box<[sys::pyodide_value_t]>) -> *mut sys::pyodide_value_t {
        let ptr = array.as_mut_ptr();
        self.arrays.push(array);
        ptr
    }
}

// ---- Rust → C -------------------------------------------------------------------

/// Temporary storage for the arrays of a borrowed `pyodide_value_t` tree.
/// Strings and proxies in the tree point into the Rust values themselves,
/// which outlive the call.
#[doc(hidden)]
#[derive(Default)]
#[allow(missing_debug_implementations)]
pub struct Marshal {
    arrays: Vec<Box<[sys::pyodide_value_t]>>,
}

impl Marshal {
    fn array(&mut self, items: Vec<sys::pyodide_value_t>) -> *mut sys::pyodide_value_t {
        let mut boxed = items.into_boxed_slice();
        let ptr = boxed.as_mut_ptr();
        self.arrays.push(boxed); // moving the Box does not move its contents
        ptr
    }

    fn list<'a, T: ToValue + ?Sized + 'a>(&mut self, items: impl ExactSizeIterator<Item = &'a T>) -> sys::pyodide_value_t {
        let len = items.len();
        let raw: Vec<_> = items.map(|item| item.to_raw(self)).collect();
        let items = self.array(raw);
        sys::pyodide_value_t { kind: sys::PYODIDE_LIST, of: sys::pyodide_value_of { list: sys::pyodide_value_list { items, len } } }
    }

    fn dict<'a, K, V>(&mut self, pairs: impl ExactSizeIterator<Item = (&'a K, &'a V)>) -> sys::pyodide_value_t
    where
        K: ToValue + ?Sized + 'a,
        V: ToValue + ?Sized + 'a,
    {
        let len = pairs.len();
        let mut keys = Vec::with_capacity(len);
        let mut values = Vec::with_capacity(len);
        for (k, v) in pairs {
            keys.push(k.to_raw(self));
            values.push(v.to_raw(self));
        }
        let keys = self.array(keys);
        let values = self.array(values);
        sys::pyodide_value_t {
            kind: sys::PYODIDE_DICT,
            of: sys::pyodide_value_of { dict: sys::pyodide_value_dict { keys, values, len } },
        }
    }
}

fn raw_str(kind: sys::pyodide_kind_t, bytes: &[u8]) -> sys::pyodide_value_t {
    sys::pyodide_value_t {
        kind,
        of: sys::pyodide_value_of { str: sys::pyodide_value_str { ptr: bytes.as_ptr().cast(), len: bytes.len() } },
    }
}

/// Runs `f` with a borrowed C form of `value`.
pub(crate) fn with_raw<T: ToValue + ?Sized, R>(value: &T, f: impl FnOnce(&sys::pyodide_value_t) -> R) -> R {
    let mut m = Marshal::default();
    let raw = value.to_raw(&mut m);
    f(&raw)
}

/// Runs `f` with a borrowed C array of `values`.
pub(crate) fn with_raw_args<T: ToValue, R>(
    values: &[T],
    f: impl FnOnce(*const sys::pyodide_value_t, usize) -> R,
) -> R {
    let mut m = Marshal::default();
    let raw: Vec<_> = values.iter().map(|v| v.to_raw(&mut m)).collect();
    f(if raw.is_empty() { std::ptr::null() } else { raw.as_ptr() }, raw.len())
}

/// Runs `f` with a borrowed PYODIDE_DICT of keyword arguments.
pub(crate) fn with_raw_kwargs<R>(kwargs: &[(&str, Value<'_>)], f: impl FnOnce(&sys::pyodide_value_t) -> R) -> R {
    let mut m = Marshal::default();
    let raw = m.dict(kwargs.iter().map(|(k, v)| (*k, v)));
    f(&raw)
}

mod private {
    pub trait Sealed {}
}

/// Things that can be passed to Python as arguments, keys and values without
/// being moved: [`Value`], `&Proxy`, `&str`/`String`, integers (`i8`..`i64`,
/// `u16`, `u32`), `f32`/`f64`, `bool`, `()` and `Option<T>` (None),
/// `&[u8]`/`Vec<u8>`/`[u8; N]` (bytes), slices, arrays and `Vec`s of other
/// `ToValue`s (list), `HashMap`/`BTreeMap` (dict). Sealed: convert your own
/// types into a [`Value`].
pub trait ToValue: private::Sealed {
    #[doc(hidden)]
    fn to_raw(&self, m: &mut Marshal) -> sys::pyodide_value_t;
}

impl<T: ToValue + ?Sized> private::Sealed for &T {}
impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_raw(&self, m: &mut Marshal) -> sys::pyodide_value_t {
        (**self).to_raw(m)
    }
}
impl<T: ToValue + ?Sized> private::Sealed for &mut T {}
impl<T: ToValue + ?Sized> ToValue for &mut T {
    fn to_raw(&self, m: &mut Marshal) -> sys::pyodide_value_t {
        (**self).to_raw(m)
    }
}

impl private::Sealed for Value<'_> {}
impl ToValue for Value<'_> {
    fn to_raw(&self, m: &mut Marshal) -> sys::pyodide_value_t {
        match self {
            Value::None => sys::pyodide_value_t::none(),
            Value::Bool(b) => b.to_raw(m),
            Value::Int(i) => i.to_raw(m),
            Value::Float(f) => f.to_raw(m),
            Value::Str(s) => raw_str(sys::PYODIDE_STR, s.as_bytes()),
            Value::Bytes(b) => raw_str(sys::PYODIDE_BYTES, b),
            Value::List(items) => m.list(items.iter()),
            Value::Dict(pairs) => m.dict(pairs.iter().map(|(k, v)| (k, v))),
            Value::Proxy(p) => p.to_raw(m),
            Value::Host(h) => h.to_raw(),
        }
    }
}

impl private::Sealed for Proxy<'_> {}
impl ToValue for Proxy<'_> {
    fn to_raw(&self, _: &mut Marshal) -> sys::pyodide_value_t {
        sys::pyodide_value_t { kind: sys::PYODIDE_PROXY, of: sys::pyodide_value_of { proxy: self.as_ptr() } }
    }
}

impl private::Sealed for str {}
impl ToValue for str {
    fn to_raw(&self, _: &mut Marshal) -> sys::pyodide_value_t {
        raw_str(sys::PYODIDE_STR, self.as_bytes())
    }
}
impl private::Sealed for String {}
impl ToValue for String {
    fn to_raw(&self, m: &mut Marshal) -> sys::pyodide_value_t {
        self.as_str().to_raw(m)
    }
}

impl private::Sealed for bool {}
impl ToValue for bool {
    fn to_raw(&self, _: &mut Marshal) -> sys::pyodide_value_t {
        sys::pyodide_value_t { kind: sys::PYODIDE_BOOL, of: sys::pyodide_value_of { b: *self } }
    }
}

macro_rules! int_to_value {
    ($($t:ty),*) => {$(
        impl private::Sealed for $t {}
        impl ToValue for $t {
            fn to_raw(&self, _: &mut Marshal) -> sys::pyodide_value_t {
                sys::pyodide_value_t { kind: sys::PYODIDE_INT, of: sys::pyodide_value_of { i: i64::from(*self) } }
            }
        }
    )*};
}
int_to_value!(i8, i16, i32, i64, u16, u32);

macro_rules! float_to_value {
    ($($t:ty),*) => {$(
        impl private::Sealed for $t {}
        impl ToValue for $t {
            fn to_raw(&self, _: &mut Marshal) -> sys::pyodide_value_t {
                sys::pyodide_value_t { kind: sys::PYODIDE_FLOAT, of: sys::pyodide_value_of { f: f64::from(*self) } }
            }
        }
    )*};
}
float_to_value!(f32, f64);

impl private::Sealed for () {}
impl ToValue for () {
    fn to_raw(&self, _: &mut Marshal) -> sys::pyodide_value_t {
        sys::pyodide_value_t::none()
    }
}

impl<T: ToValue> private::Sealed for Option<T> {}
impl<T: ToValue> ToValue for Option<T> {
    fn to_raw(&self, m: &mut Marshal) -> sys::pyodide_value_t {
        match self {
            Some(v) => v.to_raw(m),
            None => sys::pyodide_value_t::none(),
        }
    }
}

// Bytes: u8 is deliberately not a ToValue itself, so [u8] and Vec<u8> can
// mean bytes while other slices mean lists.
impl private::Sealed for [u8] {}
impl ToValue for [u8] {
    fn to_raw(&self, _: &mut Marshal) -> sys::pyodide_value_t {
        raw_str(sys::PYODIDE_BYTES, self)
    }
}
impl private::Sealed for Vec<u8> {}
impl ToValue for Vec<u8> {
    fn to_raw(&self, _: &mut Marshal) -> sys::pyodide_value_t {
        raw_str(sys::PYODIDE_BYTES, self)
    }
}
impl<const N: usize> private::Sealed for [u8; N] {}
impl<const N: usize> ToValue for [u8; N] {
    fn to_raw(&self, _: &mut Marshal) -> sys::pyodide_value_t {
        raw_str(sys::PYODIDE_BYTES, self)
    }
}

impl<T: ToValue> private::Sealed for [T] {}
impl<T: ToValue> ToValue for [T] {
    fn to_raw(&self, m: &mut Marshal) -> sys::pyodide_value_t {
        m.list(self.iter())
    }
}
impl<T: ToValue> private::Sealed for Vec<T> {}
impl<T: ToValue> ToValue for Vec<T> {
    fn to_raw(&self, m: &mut Marshal) -> sys::pyodide_value_t {
        m.list(self.iter())
    }
}
impl<T: ToValue, const N: usize> private::Sealed for [T; N] {}
impl<T: ToValue, const N: usize> ToValue for [T; N] {
    fn to_raw(&self, m: &mut Marshal) -> sys::pyodide_value_t {
        m.list(self.iter())
    }
}

impl<K: ToValue, V: ToValue, S: BuildHasher> private::Sealed for HashMap<K, V, S> {}
impl<K: ToValue, V: ToValue, S: BuildHasher> ToValue for HashMap<K, V, S> {
    fn to_raw(&self, m: &mut Marshal) -> sys::pyodide_value_t {
        m.dict(self.iter())
    }
}
impl<K: ToValue, V: ToValue> private::Sealed for BTreeMap<K, V> {}
impl<K: ToValue, V: ToValue> ToValue for BTreeMap<K, V> {
    fn to_raw(&self, m: &mut Marshal) -> sys::pyodide_value_t {
        m.dict(self.iter())
    }
}

// ---- From / TryFrom -------------------------------------------------------------

macro_rules! value_from {
    ($($t:ty => |$v:ident| $e:expr),* $(,)?) => {$(
        impl<'rt> From<$t> for Value<'rt> {
            fn from($v: $t) -> Self { $e }
        }
    )*};
}
value_from! {
    bool => |v| Value::Bool(v),
    i8 => |v| Value::Int(v.into()),
    i16 => |v| Value::Int(v.into()),
    i32 => |v| Value::Int(v.into()),
    i64 => |v| Value::Int(v),
    u16 => |v| Value::Int(v.into()),
    u32 => |v| Value::Int(v.into()),
    f32 => |v| Value::Float(v.into()),
    f64 => |v| Value::Float(v),
    &str => |v| Value::Str(v.to_owned()),
    String => |v| Value::Str(v),
    &String => |v| Value::Str(v.clone()),
    &[u8] => |v| Value::Bytes(v.to_vec()),
    Vec<u8> => |v| Value::Bytes(v),
    () => |_v| Value::None,
}
impl<'rt> From<Proxy<'rt>> for Value<'rt> {
    fn from(p: Proxy<'rt>) -> Self {
        Value::Proxy(p)
    }
}
impl<'rt> From<Vec<Value<'rt>>> for Value<'rt> {
    fn from(items: Vec<Value<'rt>>) -> Self {
        Value::List(items)
    }
}
impl<'rt> From<Vec<(Value<'rt>, Value<'rt>)>> for Value<'rt> {
    fn from(pairs: Vec<(Value<'rt>, Value<'rt>)>) -> Self {
        Value::Dict(pairs)
    }
}
impl<'rt, T: Into<Value<'rt>>> From<Option<T>> for Value<'rt> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::None, Into::into)
    }
}

fn wrong_kind(expected: &str, got: &Value<'_>) -> Error {
    Error::usage(format!("expected a value of kind {expected}, got {}", got.kind_name()))
}

macro_rules! value_try_into {
    ($($t:ty, $expected:literal => |$v:ident| $pat:pat => $e:expr),* $(,)?) => {$(
        impl<'rt> TryFrom<Value<'rt>> for $t {
            type Error = Error;
            fn try_from($v: Value<'rt>) -> Result<$t> {
                match $v {
                    $pat => Ok($e),
                    other => Err(wrong_kind($expected, &other)),
                }
            }
        }
    )*};
}
value_try_into! {
    bool, "bool" => |v| Value::Bool(b) => b,
    i64, "int" => |v| Value::Int(i) => i,
    String, "str" => |v| Value::Str(s) => s,
    Vec<u8>, "bytes" => |v| Value::Bytes(b) => b,
    (), "None" => |v| Value::None => (),
    Proxy<'rt>, "proxy" => |v| Value::Proxy(p) => p,
    Vec<Value<'rt>>, "list" => |v| Value::List(l) => l,
    Vec<(Value<'rt>, Value<'rt>)>, "dict" => |v| Value::Dict(d) => d,
}

impl<'rt> TryFrom<Value<'rt>> for f64 {
    type Error = Error;
    /// A float, or an int (converted).
    fn try_from(v: Value<'rt>) -> Result<f64> {
        match v {
            Value::Float(f) => Ok(f),
            Value::Int(i) => Ok(i as f64),
            other => Err(wrong_kind("float", &other)),
        }
    }
}

impl<'rt> TryFrom<Value<'rt>> for i32 {
    type Error = Error;
    fn try_from(v: Value<'rt>) -> Result<i32> {
        let i = i64::try_from(v)?;
        i32::try_from(i).map_err(|_| Error::usage(format!("{i} does not fit in an i32")))
    }
}
