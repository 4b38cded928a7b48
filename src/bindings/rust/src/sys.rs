//! Raw declarations of `include/pyodide.h`, one for one.
//!
//! Names, types and layouts follow the header exactly (the tests compare the
//! function list with the header and the struct layouts with a C compiler's).
//! Everything here is `unsafe` to call; the safe API is the rest of the crate.
#![allow(non_camel_case_types, missing_debug_implementations)]

use std::ffi::{c_char, c_int, c_void};
use std::marker::{PhantomData, PhantomPinned};

/// `PYODIDE_STRLEN`: the string is NUL-terminated, measure it.
pub const PYODIDE_STRLEN: usize = usize::MAX;

macro_rules! opaque {
    ($($name:ident),*) => {$(
        #[repr(C)]
        pub struct $name {
            _data: [u8; 0],
            _marker: PhantomData<(*mut u8, PhantomPinned)>,
        }
    )*};
}
opaque!(pyodide_error_t, pyproxy_t, pyodide_t);

// ---- errors ---------------------------------------------------------------------
/// `pyodide_error_kind_t` (a C enum: an `int`; read it as an integer, since a
/// future library may add kinds).
pub type pyodide_error_kind_t = c_int;
pub const PYODIDE_ERROR_PYTHON: pyodide_error_kind_t = 1;
pub const PYODIDE_ERROR_USAGE: pyodide_error_kind_t = 2;
pub const PYODIDE_ERROR_LIMIT: pyodide_error_kind_t = 3;
pub const PYODIDE_ERROR_IO: pyodide_error_kind_t = 4;
pub const PYODIDE_ERROR_FATAL: pyodide_error_kind_t = 5;

// ---- signals --------------------------------------------------------------------
/// `pyodide_signal_action_t` (a C enum: an `int`).
pub type pyodide_signal_action_t = c_int;
pub const PYODIDE_SIGNAL_DEFAULT: pyodide_signal_action_t = 0;
pub const PYODIDE_SIGNAL_IGNORED: pyodide_signal_action_t = 1;
pub const PYODIDE_SIGNAL_HANDLED: pyodide_signal_action_t = 2;

// ---- values ---------------------------------------------------------------------
/// `pyodide_kind_t`.
pub type pyodide_kind_t = c_int;
pub const PYODIDE_NONE: pyodide_kind_t = 0;
pub const PYODIDE_BOOL: pyodide_kind_t = 1;
pub const PYODIDE_INT: pyodide_kind_t = 2;
pub const PYODIDE_FLOAT: pyodide_kind_t = 3;
pub const PYODIDE_STR: pyodide_kind_t = 4;
pub const PYODIDE_BYTES: pyodide_kind_t = 5;
pub const PYODIDE_LIST: pyodide_kind_t = 6;
pub const PYODIDE_DICT: pyodide_kind_t = 7;
pub const PYODIDE_PROXY: pyodide_kind_t = 8;
pub const PYODIDE_HOST: pyodide_kind_t = 9;

/// `of.str` (STR and BYTES).
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct pyodide_value_str {
    pub ptr: *const c_char,
    pub len: usize,
}

/// `of.list`.
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct pyodide_value_list {
    pub items: *mut pyodide_value_t,
    pub len: usize,
}

/// `of.dict`.
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct pyodide_value_dict {
    pub keys: *mut pyodide_value_t,
    pub values: *mut pyodide_value_t,
    pub len: usize,
}

/// `of.host` (HOST): the class and object the host gave.
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct pyodide_value_host {
    pub cls: *const pyodide_host_class_t,
    pub obj: *mut c_void,
}

/// The anonymous union `of` of `pyodide_value_t`.
#[repr(C)]
#[derive(Copy, Clone)]
pub union pyodide_value_of {
    pub b: bool,
    pub i: i64,
    pub f: f64,
    pub str: pyodide_value_str,
    pub list: pyodide_value_list,
    pub dict: pyodide_value_dict,
    pub proxy: *mut pyproxy_t,
    pub host: pyodide_value_host,
}

/// `pyodide_value_t`: 32 bytes, the union at offset 8.
#[repr(C)]
#[derive(Copy, Clone)]
pub struct pyodide_value_t {
    pub kind: pyodide_kind_t,
    pub of: pyodide_value_of,
}

impl pyodide_value_t {
    /// A NONE value (all zero), e.g. for out-parameters.
    pub const fn none() -> Self {
        pyodide_value_t { kind: PYODIDE_NONE, of: pyodide_value_of { i: 0 } }
    }
}

// ---- runtime --------------------------------------------------------------------
/// `pyodide_write_fn`.
pub type pyodide_write_fn = Option<unsafe extern "C" fn(env: *mut c_void, data: *const c_char, len: usize)>;

/// `pyodide_terminal_size_fn`.
pub type pyodide_terminal_size_fn =
    Option<unsafe extern "C" fn(env: *mut c_void, fd: c_int, columns: *mut c_int, lines: *mut c_int) -> bool>;

/// `pyodide_write_status_fn`.
pub type pyodide_write_status_fn = Option<unsafe extern "C" fn(env: *mut c_void, data: *const c_char, len: usize) -> c_int>;

/// `pyodide_mount_t`.
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct pyodide_mount_t {
    pub host_path: *const c_char,
    pub guest_path: *const c_char,
    pub read_only: bool,
}

/// `pyodide_read_fn`.
pub type pyodide_read_fn = Option<unsafe extern "C" fn(env: *mut c_void, buf: *mut c_char, len: usize) -> isize>;

/// `pyodide_config_t`: 144 bytes on 64-bit hosts (earlier versions were 80, 88,
/// 104, 112, 120 and 136 bytes, and the library still accepts those `size`s).
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct pyodide_config_t {
    pub size: usize,
    pub asset_dir: *const c_char,
    pub index_url: *const c_char,
    pub memory_limit: u64,
    pub timeout_s: f64,
    pub mounts: *const pyodide_mount_t,
    pub nmounts: usize,
    pub stdout_fn: pyodide_write_fn,
    pub stderr_fn: pyodide_write_fn,
    pub io_env: *mut c_void,
    pub unguarded: bool,
    pub stdin_fn: pyodide_read_fn,
    pub stdin_isatty: bool,
    pub snapshot: *const c_char,
    pub stdout_isatty: bool,
    pub stderr_isatty: bool,
    pub stdout_status_fn: pyodide_write_status_fn,
    pub stderr_status_fn: pyodide_write_status_fn,
    pub terminal_size_fn: pyodide_terminal_size_fn,
}

// ---- buffers --------------------------------------------------------------------
/// `pybuffer_t`: 96 bytes.
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct pybuffer_t {
    pub data: *mut c_void,
    pub offset: isize,
    pub first: *mut c_void,
    pub nbytes: usize,
    pub itemsize: usize,
    pub ndim: usize,
    pub shape: *const isize,
    pub strides: *const isize,
    pub byte_strides: *const isize,
    pub format: *const c_char,
    pub readonly: bool,
    pub c_contiguous: bool,
    pub f_contiguous: bool,
    pub reserved: *mut c_void,
}

impl pybuffer_t {
    /// An all-zero buffer (what pybuffer_release leaves).
    pub const fn zeroed() -> Self {
        pybuffer_t {
            data: std::ptr::null_mut(),
            offset: 0,
            first: std::ptr::null_mut(),
            nbytes: 0,
            itemsize: 0,
            ndim: 0,
            shape: std::ptr::null(),
            strides: std::ptr::null(),
            byte_strides: std::ptr::null(),
            format: std::ptr::null(),
            readonly: false,
            c_contiguous: false,
            f_contiguous: false,
            reserved: std::ptr::null_mut(),
        }
    }
}

// ---- host modules ---------------------------------------------------------------
/// `pyodide_host_fn`: a host function Python can call.
pub type pyodide_host_fn = Option<
    unsafe extern "C" fn(
        env: *mut c_void,
        args: *const pyodide_value_t,
        nargs: usize,
        result: *mut pyodide_value_t,
    ) -> *mut pyodide_error_t,
>;

/// `pyodide_host_member_t`: 24 bytes.
#[repr(C)]
#[derive(Copy, Clone)]
pub struct pyodide_host_member_t {
    pub name: *const c_char,
    pub fn_: pyodide_host_fn,
    pub value: *const pyodide_value_t,
}

// ---- host objects ---------------------------------------------------------------
/// `pyodide_host_class_t`: 120 bytes (the first layout, through `finalize`, 64).
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct pyodide_host_class_t {
    pub size: usize,
    pub name: *const c_char,
    pub get_attr: Option<unsafe extern "C" fn(obj: *mut c_void, name: *const c_char, len: usize, out: *mut pyodide_value_t) -> *mut pyodide_error_t>,
    pub set_attr: Option<unsafe extern "C" fn(obj: *mut c_void, name: *const c_char, len: usize, value: *const pyodide_value_t) -> *mut pyodide_error_t>,
    pub call: Option<unsafe extern "C" fn(obj: *mut c_void, args: *const pyodide_value_t, nargs: usize, out: *mut pyodide_value_t) -> *mut pyodide_error_t>,
    pub get_item: Option<unsafe extern "C" fn(obj: *mut c_void, key: *const pyodide_value_t, out: *mut pyodide_value_t) -> *mut pyodide_error_t>,
    pub length: Option<unsafe extern "C" fn(obj: *mut c_void, out: *mut usize) -> *mut pyodide_error_t>,
    pub finalize: Option<unsafe extern "C" fn(obj: *mut c_void)>,
    pub dir: Option<unsafe extern "C" fn(obj: *mut c_void, out: *mut pyodide_value_t) -> *mut pyodide_error_t>,
    pub set_item: Option<unsafe extern "C" fn(obj: *mut c_void, key: *const pyodide_value_t, value: *const pyodide_value_t) -> *mut pyodide_error_t>,
    pub iter: Option<unsafe extern "C" fn(obj: *mut c_void, out: *mut pyodide_value_t) -> *mut pyodide_error_t>,
    pub next: Option<unsafe extern "C" fn(obj: *mut c_void, out: *mut pyodide_value_t, done: *mut bool) -> *mut pyodide_error_t>,
    pub methods: *const *const c_char,
    pub nmethods: usize,
    pub call_method: Option<
        unsafe extern "C" fn(obj: *mut c_void, method: usize, args: *const pyodide_value_t, nargs: usize, out: *mut pyodide_value_t) -> *mut pyodide_error_t,
    >,
}

// ---- packages -------------------------------------------------------------------
/// `pyodide_message_fn`.
pub type pyodide_message_fn = Option<unsafe extern "C" fn(env: *mut c_void, message: *const c_char, len: usize)>;

// ---- diagnostics ----------------------------------------------------------------
/// `pyodide_stats_t`: 40 bytes.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct pyodide_stats_t {
    pub size: usize,
    pub memory_bytes: u64,
    pub guest_objects: u64,
    pub process_proxies: u64,
    pub process_buffers: u64,
}

extern "C" {
    // errors
    pub fn pyodide_error_kind(error: *const pyodide_error_t) -> pyodide_error_kind_t;
    pub fn pyodide_error_type(error: *const pyodide_error_t) -> *const c_char;
    pub fn pyodide_error_message(error: *const pyodide_error_t) -> *const c_char;
    pub fn pyodide_error_exit_status(error: *const pyodide_error_t, status: *mut c_int) -> bool;
    pub fn pyodide_error_delete(error: *mut pyodide_error_t);

    // values
    pub fn pyodide_value_release(value: *mut pyodide_value_t);

    // runtime
    pub fn pyodide_config_init(config: *mut pyodide_config_t);
    pub fn pyodide_load(config: *const pyodide_config_t, out: *mut *mut pyodide_t) -> *mut pyodide_error_t;
    pub fn pyodide_destroy(runtime: *mut pyodide_t);
    pub fn pyodide_version() -> *const c_char;
    pub fn pyodide_version_number() -> u32;
    pub fn pyodide_run_python(
        runtime: *mut pyodide_t,
        code: *const c_char,
        len: usize,
        globals: *mut pyproxy_t,
        result: *mut pyodide_value_t,
    ) -> *mut pyodide_error_t;
    pub fn pyodide_interrupt(runtime: *mut pyodide_t) -> *mut pyodide_error_t;
    pub fn pyodide_signal(
        runtime: *mut pyodide_t,
        signum: c_int,
        action: *mut pyodide_signal_action_t,
    ) -> *mut pyodide_error_t;
    pub fn pyodide_set_timeout(runtime: *mut pyodide_t, timeout_s: f64) -> *mut pyodide_error_t;
    pub fn pyodide_snapshot_save(runtime: *mut pyodide_t, path: *const c_char) -> *mut pyodide_error_t;
    pub fn pyodide_globals(runtime: *mut pyodide_t, out: *mut *mut pyproxy_t) -> *mut pyodide_error_t;
    pub fn pyodide_pyimport(runtime: *mut pyodide_t, name: *const c_char, out: *mut pyodide_value_t) -> *mut pyodide_error_t;
    pub fn pyodide_pyodide_py(runtime: *mut pyodide_t, out: *mut *mut pyproxy_t) -> *mut pyodide_error_t;
    pub fn pyodide_default(out: *mut *mut pyodide_t) -> *mut pyodide_error_t;

    // proxies
    pub fn pyproxy_get(proxy: *mut pyproxy_t, key: *const pyodide_value_t, out: *mut pyodide_value_t) -> *mut pyodide_error_t;
    pub fn pyproxy_set(proxy: *mut pyproxy_t, key: *const pyodide_value_t, value: *const pyodide_value_t) -> *mut pyodide_error_t;
    pub fn pyproxy_has(proxy: *mut pyproxy_t, key: *const pyodide_value_t, out: *mut bool) -> *mut pyodide_error_t;
    pub fn pyproxy_delete(proxy: *mut pyproxy_t, key: *const pyodide_value_t) -> *mut pyodide_error_t;
    pub fn pyproxy_length(proxy: *mut pyproxy_t, out: *mut usize) -> *mut pyodide_error_t;
    pub fn pyproxy_type(proxy: *mut pyproxy_t, out: *mut pyodide_value_t) -> *mut pyodide_error_t;
    pub fn pyproxy_call(
        proxy: *mut pyproxy_t,
        args: *const pyodide_value_t,
        nargs: usize,
        out: *mut pyodide_value_t,
    ) -> *mut pyodide_error_t;
    pub fn pyproxy_copy(proxy: *mut pyproxy_t, out: *mut *mut pyproxy_t) -> *mut pyodide_error_t;
    pub fn pyproxy_get_attr(proxy: *mut pyproxy_t, name: *const c_char, len: usize, out: *mut pyodide_value_t) -> *mut pyodide_error_t;
    pub fn pyproxy_set_attr(
        proxy: *mut pyproxy_t,
        name: *const c_char,
        len: usize,
        value: *const pyodide_value_t,
    ) -> *mut pyodide_error_t;
    pub fn pyproxy_has_attr(proxy: *mut pyproxy_t, name: *const c_char, len: usize, out: *mut bool) -> *mut pyodide_error_t;
    pub fn pyproxy_del_attr(proxy: *mut pyproxy_t, name: *const c_char, len: usize) -> *mut pyodide_error_t;
    pub fn pyproxy_call_kwargs(
        proxy: *mut pyproxy_t,
        args: *const pyodide_value_t,
        nargs: usize,
        kwargs: *const pyodide_value_t,
        out: *mut pyodide_value_t,
    ) -> *mut pyodide_error_t;
    pub fn pyodide_is_pyproxy(ptr: *const c_void) -> bool;
    pub fn pyproxy_iter(proxy: *mut pyproxy_t, out: *mut *mut pyproxy_t) -> *mut pyodide_error_t;
    pub fn pyproxy_next(
        proxy: *mut pyproxy_t,
        sent: *const pyodide_value_t,
        out_value: *mut pyodide_value_t,
        out_done: *mut bool,
    ) -> *mut pyodide_error_t;
    pub fn pyproxy_to_js(proxy: *mut pyproxy_t, depth: i32, out: *mut pyodide_value_t) -> *mut pyodide_error_t;
    pub fn pyodide_to_py(
        runtime: *mut pyodide_t,
        value: *const pyodide_value_t,
        depth: i32,
        out: *mut *mut pyproxy_t,
    ) -> *mut pyodide_error_t;
    pub fn pyproxy_destroy(proxy: *mut pyproxy_t);

    // buffers
    pub fn pyproxy_get_buffer(proxy: *mut pyproxy_t, type_: *const c_char, out: *mut pybuffer_t) -> *mut pyodide_error_t;
    pub fn pybuffer_release(buffer: *mut pybuffer_t);

    // host modules
    pub fn pyodide_register_module(
        runtime: *mut pyodide_t,
        name: *const c_char,
        members: *const pyodide_host_member_t,
        n: usize,
        env: *mut c_void,
        finalizer: Option<unsafe extern "C" fn(env: *mut c_void)>,
    ) -> *mut pyodide_error_t;
    pub fn pyodide_unregister_module(runtime: *mut pyodide_t, name: *const c_char) -> *mut pyodide_error_t;
    pub fn pyodide_error_new(type_: *const c_char, message: *const c_char) -> *mut pyodide_error_t;

    // host objects
    pub fn pyodide_host_object_new(
        runtime: *mut pyodide_t,
        cls: *const pyodide_host_class_t,
        obj: *mut c_void,
        out: *mut *mut pyproxy_t,
    ) -> *mut pyodide_error_t;

    // async
    pub fn pyodide_run_python_async(
        runtime: *mut pyodide_t,
        code: *const c_char,
        len: usize,
        globals: *mut pyproxy_t,
        result: *mut pyodide_value_t,
    ) -> *mut pyodide_error_t;
    pub fn pyodide_run_pending(runtime: *mut pyodide_t, timeout_s: f64, out_idle: *mut bool) -> *mut pyodide_error_t;
    pub fn pyodide_await(
        runtime: *mut pyodide_t,
        awaitable: *mut pyproxy_t,
        timeout_s: f64,
        out: *mut pyodide_value_t,
    ) -> *mut pyodide_error_t;
    pub fn pyproxy_then(
        awaitable: *mut pyproxy_t,
        fn_: pyodide_host_fn,
        env: *mut c_void,
        finalizer: Option<unsafe extern "C" fn(env: *mut c_void)>,
        out: *mut *mut pyproxy_t,
    ) -> *mut pyodide_error_t;
    pub fn pyproxy_catch(
        awaitable: *mut pyproxy_t,
        fn_: pyodide_host_fn,
        env: *mut c_void,
        finalizer: Option<unsafe extern "C" fn(env: *mut c_void)>,
        out: *mut *mut pyproxy_t,
    ) -> *mut pyodide_error_t;
    pub fn pyproxy_finally(
        awaitable: *mut pyproxy_t,
        fn_: pyodide_host_fn,
        env: *mut c_void,
        finalizer: Option<unsafe extern "C" fn(env: *mut c_void)>,
        out: *mut *mut pyproxy_t,
    ) -> *mut pyodide_error_t;
    pub fn pyodide_future_new(runtime: *mut pyodide_t, out: *mut *mut pyproxy_t) -> *mut pyodide_error_t;
    pub fn pyodide_future_resolve(future: *mut pyproxy_t, value: *const pyodide_value_t) -> *mut pyodide_error_t;
    pub fn pyodide_future_reject(future: *mut pyproxy_t, error: *const pyodide_error_t) -> *mut pyodide_error_t;

    // packages
    pub fn pyodide_load_package(
        runtime: *mut pyodide_t,
        names: *const *const c_char,
        n: usize,
        on_message: pyodide_message_fn,
        on_error: pyodide_message_fn,
        env: *mut c_void,
    ) -> *mut pyodide_error_t;
    pub fn pyodide_load_packages_from_imports(
        runtime: *mut pyodide_t,
        code: *const c_char,
        len: usize,
        on_message: pyodide_message_fn,
        on_error: pyodide_message_fn,
        env: *mut c_void,
    ) -> *mut pyodide_error_t;
    pub fn pyodide_loaded_packages(runtime: *mut pyodide_t, out: *mut pyodide_value_t) -> *mut pyodide_error_t;
    pub fn pyodide_set_index_urls(runtime: *mut pyodide_t, urls: *const *const c_char, n: usize) -> *mut pyodide_error_t;
    pub fn pyodide_install(
        runtime: *mut pyodide_t,
        requirements: *const *const c_char,
        n: usize,
        on_message: pyodide_message_fn,
        env: *mut c_void,
    ) -> *mut pyodide_error_t;

    // diagnostics
    pub fn pyodide_stats(runtime: *mut pyodide_t, out: *mut pyodide_stats_t) -> *mut pyodide_error_t;
}
