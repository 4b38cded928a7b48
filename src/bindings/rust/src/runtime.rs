//! [`Runtime`] and its [`RuntimeBuilder`].
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::io::{self, Read, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::ptr;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use crate::error::{check, Error, Result};
use crate::host_object::HostRegistry;
use crate::proxy::Proxy;
use crate::sys;
use crate::value::{take_raw, with_raw, ToValue, Value};

/// A sink for Python's stdout or stderr: receives the bytes Python writes
/// (UTF-8 text for `print`; whatever `sys.stdout.buffer.write` or `os.write`
/// writes); an error fails Python's write.
type WriteFn = Box<dyn FnMut(&[u8]) -> io::Result<()> + Send>;
type Sink = Mutex<WriteFn>;

/// Python's standard input: any reader (a file, a pipe, `std::io::stdin()`,
/// a `Cursor` over bytes).
type ReadSource = Mutex<Box<dyn Read + Send>>;

/// The callbacks' state; `io_env` points at it. Boxed so it does not move,
/// and freed only after `pyodide_destroy` (no callback can run after that).
struct Io {
    stdout: Option<Sink>,
    stderr: Option<Sink>,
    stdin: Option<ReadSource>,
    terminal_size: Option<TerminalSizeFn>,
}

/// The size of the terminal a standard stream (fd 0, 1 or 2) shows on:
/// `Some((columns, lines))`, or `None` when it is not a terminal.
type TerminalSizeFn = Box<dyn Fn(i32) -> Option<(u16, u16)> + Send + Sync>;

/// `terminal_size_fn`: a panic (caught) says "not a terminal".
unsafe extern "C" fn terminal_size(env: *mut c_void, fd: c_int, columns: *mut c_int, lines: *mut c_int) -> bool {
    let Some(size) = (*(env as *const Io)).terminal_size.as_ref() else { return false };
    match catch_unwind(AssertUnwindSafe(|| size(fd))) {
        Ok(Some((c, l))) => {
            *columns = c.into();
            *lines = l.into();
            true
        }
        _ => false,
    }
}

/// `stdout_status_fn`/`stderr_status_fn`: 0, or the errno Python's write
/// raises as `OSError` (see [`RuntimeBuilder::stdout_writer`]).
unsafe fn deliver(sink: Option<&Sink>, data: *const c_char, len: usize) -> c_int {
    let Some(sink) = sink else { return 0 };
    let bytes = if len == 0 || data.is_null() { &[][..] } else { std::slice::from_raw_parts(data.cast::<u8>(), len) };
    // A panic must not unwind into the library: it is caught and dropped
    // (the output is lost, the call goes on).
    let written = catch_unwind(AssertUnwindSafe(|| {
        let mut f = sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(bytes)
    }));
    match written {
        Ok(Err(e)) => write_errno(&e),
        _ => 0,
    }
}

/// The errno an I/O error carries (a closed pipe's is EPIPE); EIO for one
/// that carries none (a `BrokenPipe` kind made by hand is EPIPE).
fn write_errno(e: &io::Error) -> c_int {
    const EPIPE: c_int = 32;
    const EIO: c_int = 5;
    match e.raw_os_error() {
        Some(errno) if errno > 0 => errno,
        _ if e.kind() == io::ErrorKind::BrokenPipe => EPIPE,
        _ => EIO,
    }
}

unsafe extern "C" fn write_stdout(env: *mut c_void, data: *const c_char, len: usize) -> c_int {
    deliver((*(env as *const Io)).stdout.as_ref(), data, len)
}

unsafe extern "C" fn write_stderr(env: *mut c_void, data: *const c_char, len: usize) -> c_int {
    deliver((*(env as *const Io)).stderr.as_ref(), data, len)
}

/// `stdin_fn`: a read error (or a panic, caught) is -1, an `OSError` in Python.
/// `Interrupted` is -1 too: a read cut short by a signal lets the runtime's
/// interrupt take effect.
unsafe extern "C" fn read_stdin(env: *mut c_void, buf: *mut c_char, len: usize) -> isize {
    let Some(source) = (*(env as *const Io)).stdin.as_ref() else { return 0 };
    let buf = std::slice::from_raw_parts_mut(buf.cast::<u8>(), len);
    catch_unwind(AssertUnwindSafe(|| {
        let mut reader = source.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        reader.read(buf).map_or(-1, |n| n.min(len) as isize)
    }))
    .unwrap_or(-1)
}

/// A host directory made visible to Python.
#[derive(Clone, Debug)]
struct Mount {
    host: PathBuf,
    guest: String,
    read_only: bool,
}

/// Options for [`Runtime::builder`]; every one is optional.
#[derive(Default)]
pub struct RuntimeBuilder {
    asset_dir: Option<PathBuf>,
    index_url: Option<String>,
    memory_limit: u64,
    timeout: Option<Duration>,
    mounts: Vec<Mount>,
    stdout: Option<WriteFn>,
    stderr: Option<WriteFn>,
    stdin: Option<Box<dyn Read + Send>>,
    stdin_isatty: bool,
    stdout_isatty: bool,
    stderr_isatty: bool,
    terminal_size: Option<TerminalSizeFn>,
    snapshot: Option<PathBuf>,
}

pub(crate) fn c_string(what: &str, bytes: Vec<u8>) -> Result<CString> {
    CString::new(bytes).map_err(|_| Error::usage(format!("the {what} contains a NUL character")))
}

/// Calls `f` with a C array of the strings (NUL-terminated copies) and its length.
pub(crate) fn with_c_strings<T>(what: &str, items: &[&str], f: impl FnOnce(*const *const c_char, usize) -> T) -> Result<T> {
    let owned = items.iter().map(|s| c_string(what, s.as_bytes().to_vec())).collect::<Result<Vec<_>>>()?;
    let pointers: Vec<*const c_char> = owned.iter().map(|s| s.as_ptr()).collect();
    Ok(f(pointers.as_ptr(), pointers.len()))
}

fn path_bytes(path: &Path) -> Result<Vec<u8>> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Ok(path.as_os_str().as_bytes().to_vec())
    }
    #[cfg(not(unix))]
    {
        path.to_str()
            .map(|s| s.as_bytes().to_vec())
            .ok_or_else(|| Error::usage(format!("the path {} is not valid Unicode", path.display())))
    }
}

impl std::fmt::Debug for RuntimeBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeBuilder")
            .field("asset_dir", &self.asset_dir)
            .field("index_url", &self.index_url)
            .field("memory_limit", &self.memory_limit)
            .field("timeout", &self.timeout)
            .field("mounts", &self.mounts)
            .field("stdout", &self.stdout.is_some())
            .field("stderr", &self.stderr.is_some())
            .field("stdin", &self.stdin.is_some())
            .field("stdin_isatty", &self.stdin_isatty)
            .field("stdout_isatty", &self.stdout_isatty)
            .field("stderr_isatty", &self.stderr_isatty)
            .field("terminal_size", &self.terminal_size.is_some())
            .field("snapshot", &self.snapshot)
            .finish()
    }
}

impl RuntimeBuilder {
    /// The folder with python.wasm and the stdlib (default: `pyodide/` beside
    /// libpyodide.so).
    pub fn asset_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.asset_dir = Some(dir.into());
        self
    }

    /// The package index: a directory or an http(s) URL (default: none).
    pub fn index_url(mut self, url: impl Into<String>) -> Self {
        self.index_url = Some(url.into());
        self
    }

    /// The bytes the interpreter may use (0 = the library's default).
    pub fn memory_limit(mut self, bytes: u64) -> Self {
        self.memory_limit = bytes;
        self
    }

    /// The default deadline of every call; a call past it fails with
    /// [`ErrorKind::Limit`](crate::ErrorKind::Limit). Zero means none.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Makes the host directory `host` visible to Python at `guest`.
    pub fn mount(mut self, host: impl Into<PathBuf>, guest: impl Into<String>, read_only: bool) -> Self {
        self.mounts.push(Mount { host: host.into(), guest: guest.into(), read_only });
        self
    }

    /// Receives Python's stdout (default: the process's own stdout). Called
    /// while the call that printed runs, on its thread;
    /// it cannot reach the runtime (it must be `'static`). A panic in it is
    /// caught and the output dropped.
    pub fn stdout(mut self, mut f: impl FnMut(&[u8]) + Send + 'static) -> Self {
        self.stdout = Some(Box::new(move |bytes| {
            f(bytes);
            Ok(())
        }));
        self
    }

    /// Receives Python's stderr; see [`stdout`](Self::stdout).
    pub fn stderr(mut self, mut f: impl FnMut(&[u8]) + Send + 'static) -> Self {
        self.stderr = Some(Box::new(move |bytes| {
            f(bytes);
            Ok(())
        }));
        self
    }

    /// Python's stdout goes to `writer` (a pipe, a file, `std::io::stdout()`),
    /// each write whole (`write_all`), as [`stdout`](Self::stdout) delivers it.
    /// A write that fails fails Python's: it raises `OSError` with the error's
    /// errno, so a closed pipe (EPIPE) is a `BrokenPipeError`, as python3's
    /// writes raise when `| head` has read enough; an error without an errno
    /// is EIO.
    pub fn stdout_writer(mut self, mut writer: impl Write + Send + 'static) -> Self {
        self.stdout = Some(Box::new(move |bytes| writer.write_all(bytes)));
        self
    }

    /// Python's stderr goes to `writer`; see [`stdout_writer`](Self::stdout_writer).
    pub fn stderr_writer(mut self, mut writer: impl Write + Send + 'static) -> Self {
        self.stderr = Some(Box::new(move |bytes| writer.write_all(bytes)));
        self
    }

    /// Python's standard input (Pyodide's `setStdin`; default: none, so
    /// `input()` raises `EOFError`): `sys.stdin`, `input()` and
    /// `sys.stdin.buffer` read from `reader`, on the thread of the call that
    /// runs Python. [`Runtime::interrupt`] does not wait for a blocked read:
    /// its `KeyboardInterrupt` is raised as soon as the read returns.
    pub fn stdin(mut self, reader: impl Read + Send + 'static) -> Self {
        self.stdin = Some(Box::new(reader));
        self
    }

    /// What `sys.stdin.isatty()` says (default false); with [`stdin`](Self::stdin).
    pub fn stdin_isatty(mut self, isatty: bool) -> Self {
        self.stdin_isatty = isatty;
        self
    }

    /// What `sys.stdout.isatty()` says (default false) when [`stdout`](Self::stdout)
    /// is set: true when the host shows the output on a terminal. Without a
    /// handler, Python writes to the process's own stdout and says whether that
    /// is a terminal.
    pub fn stdout_isatty(mut self, isatty: bool) -> Self {
        self.stdout_isatty = isatty;
        self
    }

    /// What `sys.stderr.isatty()` says (default false) when [`stderr`](Self::stderr)
    /// is set; without a handler, whether the process's own stderr is a terminal.
    pub fn stderr_isatty(mut self, isatty: bool) -> Self {
        self.stderr_isatty = isatty;
        self
    }

    /// The size of the terminal the host shows a standard stream on, for
    /// `os.get_terminal_size(fd)` and `shutil.get_terminal_size()`: `f(fd)`
    /// for fd 0, 1 or 2 gives `Some((columns, lines))`, or `None` when that
    /// stream is not a terminal (Python raises `OSError`, ENOTTY, as python3
    /// does for a pipe). Called each time Python asks (a terminal can be
    /// resized), on the thread of the call. Default: a stream Python writes
    /// to the process's own fd answers with that terminal's size; any other
    /// is not a terminal.
    pub fn terminal_size(mut self, f: impl Fn(i32) -> Option<(u16, u16)> + Send + Sync + 'static) -> Self {
        self.terminal_size = Some(Box::new(f));
        self
    }

    /// A snapshot file to start from ([`Runtime::save_snapshot`]; default: the
    /// built-in one): everything the saving runtime had in Python, with a hash
    /// secret and `random` state of its own, and this builder's mounts. A
    /// damaged, truncated or foreign file fails [`load`](Self::load) with
    /// [`ErrorKind::Io`](crate::ErrorKind::Io).
    pub fn snapshot(mut self, path: impl Into<PathBuf>) -> Self {
        self.snapshot = Some(path.into());
        self
    }

    /// Starts the interpreter (`pyodide_load`).
    pub fn load(self) -> Result<Runtime> {
        let asset_dir = self.asset_dir.as_deref().map(|p| c_string("asset directory", path_bytes(p)?)).transpose()?;
        let snapshot = self.snapshot.as_deref().map(|p| c_string("snapshot path", path_bytes(p)?)).transpose()?;
        let index_url = self.index_url.map(|u| c_string("index URL", u.into_bytes())).transpose()?;
        let mut mount_strings = Vec::with_capacity(self.mounts.len());
        for m in &self.mounts {
            mount_strings.push((
                c_string("mount's host path", path_bytes(&m.host)?)?,
                c_string("mount's guest path", m.guest.clone().into_bytes())?,
                m.read_only,
            ));
        }
        let mounts: Vec<sys::pyodide_mount_t> = mount_strings
            .iter()
            .map(|(h, g, ro)| sys::pyodide_mount_t { host_path: h.as_ptr(), guest_path: g.as_ptr(), read_only: *ro })
            .collect();

        let mut config = std::mem::MaybeUninit::<sys::pyodide_config_t>::uninit();
        // SAFETY: pyodide_config_init fills every field.
        let mut config = unsafe {
            sys::pyodide_config_init(config.as_mut_ptr());
            config.assume_init()
        };
        config.asset_dir = asset_dir.as_ref().map_or(ptr::null(), |s| s.as_ptr());
        config.index_url = index_url.as_ref().map_or(ptr::null(), |s| s.as_ptr());
        config.snapshot = snapshot.as_ref().map_or(ptr::null(), |s| s.as_ptr());
        config.memory_limit = self.memory_limit;
        config.timeout_s = self.timeout.map_or(0.0, |t| t.as_secs_f64());
        if !mounts.is_empty() {
            config.mounts = mounts.as_ptr();
            config.nmounts = mounts.len();
        }
        let io = if self.stdout.is_some() || self.stderr.is_some() || self.stdin.is_some() || self.terminal_size.is_some() {
            let io = Box::new(Io {
                stdout: self.stdout.map(Mutex::new),
                stderr: self.stderr.map(Mutex::new),
                stdin: self.stdin.map(Mutex::new),
                terminal_size: self.terminal_size,
            });
            if io.terminal_size.is_some() {
                config.terminal_size_fn = Some(terminal_size);
            }
            if io.stdout.is_some() {
                config.stdout_status_fn = Some(write_stdout);
                config.stdout_isatty = self.stdout_isatty;
            }
            if io.stderr.is_some() {
                config.stderr_status_fn = Some(write_stderr);
                config.stderr_isatty = self.stderr_isatty;
            }
            if io.stdin.is_some() {
                config.stdin_fn = Some(read_stdin);
                config.stdin_isatty = self.stdin_isatty;
            }
            config.io_env = &*io as *const Io as *mut c_void;
            Some(io)
        } else {
            None
        };
        let mut raw = ptr::null_mut();
        // SAFETY: the config and everything it points to outlive the call
        // (the library copies the strings); io_env outlives the runtime.
        unsafe { check(sys::pyodide_load(&config, &mut raw))? };
        Ok(Runtime { raw, _io: io, shared: Arc::default(), owned: true })
    }
}

/// One sandboxed interpreter (`pyodide_t`); dropping it destroys it.
///
/// Proxies, values holding proxies and buffers borrow the runtime
/// (`Proxy<'rt>`, `Value<'rt>`, `Buffer<'rt>`), so it cannot be dropped while
/// any of them exists.
pub struct Runtime {
    raw: *mut sys::pyodide_t,
    _io: Option<Box<Io>>,
    shared: Arc<Shared>,
    /// false for the views handed to callbacks and for the process default:
    /// dropping those destroys nothing.
    owned: bool,
}

/// What a runtime shares with the views callbacks receive and the handles
/// that may outlive it.
///
/// `state` is where the interpreter is in its life, for those handles
/// ([`FutureResolver`](crate::FutureResolver)): they hold the read lock while
/// calling the library, and Drop takes the write lock to change the state, so
/// no such call overlaps `pyodide_destroy`. `hosts` are the runtime's live
/// host objects.
#[derive(Debug)]
pub(crate) struct Shared {
    state: RwLock<Life>,
    pub(crate) hosts: Mutex<HostRegistry>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Life {
    Alive,
    /// Inside `pyodide_destroy`, whose finalizers may drop resolvers: they
    /// must not call the library then (the lock is not held meanwhile).
    Destroying,
    Destroyed,
}

impl Default for Shared {
    fn default() -> Self {
        Shared { state: RwLock::new(Life::Alive), hosts: Mutex::default() }
    }
}

impl Shared {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Life> {
        self.state.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn set(&self, life: Life) {
        *self.state.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = life;
    }

    /// Runs `f` while the runtime exists and cannot be destroyed; None once
    /// its destruction has begun.
    pub(crate) fn while_alive<T>(&self, f: impl FnOnce() -> T) -> Option<T> {
        let life = self.read();
        (*life == Life::Alive).then(f)
    }

    /// Runs `f` (which frees a handle) unless the runtime is being
    /// destroyed right now; a handle of a destroyed runtime may still be
    /// freed. Whether it ran.
    pub(crate) fn unless_destroying(&self, f: impl FnOnce()) -> bool {
        let life = self.read();
        (*life != Life::Destroying).then(f).is_some()
    }
}

// SAFETY: the C ABI lets a runtime be used from any thread, one call at a
// time, and serializes concurrent calls on one runtime internally; its
// handles are checked tokens, never dereferenced by us. The one call that
// must not overlap others, pyodide_destroy, runs only in Drop, which needs
// the Runtime by value: no `&Runtime`, hence no `Proxy<'rt>` or `Buffer<'rt>`
// and no call in progress, can exist then. The output callbacks are `Send`
// and sit behind a Mutex, so the engine may call them from any thread.
unsafe impl Send for Runtime {}
// SAFETY: as above: every method takes `&self` and the library serializes them.
unsafe impl Sync for Runtime {}

impl Runtime {
    /// Starts an interpreter with the default configuration.
    pub fn new() -> Result<Runtime> {
        RuntimeBuilder::default().load()
    }

    /// A builder for a configured interpreter.
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder::default()
    }

    /// The library's version, e.g. "0.1.0".
    pub fn version() -> &'static str {
        // SAFETY: a static NUL-terminated string.
        unsafe { CStr::from_ptr(sys::pyodide_version()) }.to_str().unwrap_or("")
    }

    /// The raw handle (still owned by this `Runtime`).
    pub fn as_ptr(&self) -> *mut sys::pyodide_t {
        self.raw
    }

    /// A `Runtime` for the same interpreter that destroys nothing when
    /// dropped: what callbacks receive, kept in their state, which the
    /// library frees before (or while) the interpreter is destroyed.
    pub(crate) fn view(&self) -> Runtime {
        Runtime { raw: self.raw, _io: None, shared: Arc::clone(&self.shared), owned: false }
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Deprecated, as in Pyodide 0.17 (prefer [`Runtime::new`] and owning
    /// the runtime): the process-wide default runtime (`pyodide_default`),
    /// loaded by the first call with the default configuration (so
    /// `PYODIDE_ASSET_DIR` and `PYODIDE_INDEX_URL` apply) and the same one
    /// for every later call. It lives until the process exits. A failed
    /// load is never retried: every call returns the same error.
    #[deprecated(note = "as in Pyodide 0.17: prefer Runtime::new and owning the runtime")]
    pub fn process_default() -> Result<&'static Runtime> {
        static DEFAULT: OnceLock<Runtime> = OnceLock::new();
        if let Some(rt) = DEFAULT.get() {
            return Ok(rt);
        }
        let mut raw = ptr::null_mut();
        // SAFETY: a plain out-parameter; the runtime belongs to the library.
        unsafe { check(sys::pyodide_default(&mut raw))? };
        Ok(DEFAULT.get_or_init(|| Runtime { raw, _io: None, shared: Arc::default(), owned: false }))
    }

    fn run_raw(&self, code: &str, globals: *mut sys::pyproxy_t, keep: bool) -> Result<Value<'_>> {
        let mut out = sys::pyodide_value_t::none();
        let out_ptr = if keep { &mut out as *mut _ } else { ptr::null_mut() };
        // SAFETY: code is borrowed for the call with its length; out is ours.
        unsafe {
            check(sys::pyodide_run_python(self.raw, code.as_ptr().cast(), code.len(), globals, out_ptr))?;
            Ok(take_raw(self, &mut out))
        }
    }

    /// Runs Python source like Pyodide's `runPython`, in the globals
    /// (`__main__`): the value of a final expression, else `Value::None`.
    pub fn run(&self, code: &str) -> Result<Value<'_>> {
        self.run_raw(code, ptr::null_mut(), true)
    }

    /// Runs Python source in `globals` (a proxy of a dict).
    pub fn run_in(&self, code: &str, globals: &Proxy<'_>) -> Result<Value<'_>> {
        self.run_raw(code, globals.as_ptr(), true)
    }

    /// Runs Python source and discards its value.
    pub fn exec(&self, code: &str) -> Result<()> {
        self.run_raw(code, ptr::null_mut(), false).map(drop)
    }

    /// A proxy of the globals dict (`__main__`'s namespace).
    pub fn globals(&self) -> Result<Proxy<'_>> {
        let mut out = ptr::null_mut();
        // SAFETY: out receives an owned proxy.
        unsafe {
            check(sys::pyodide_globals(self.raw, &mut out))?;
            Ok(Proxy::from_raw(self, out))
        }
    }

    /// Builds a Python object from a Rust value (Pyodide's `toPy`): lists
    /// become lists, dicts dicts, a proxy stays the object itself.
    pub fn to_py<T: ToValue + ?Sized>(&self, value: &T) -> Result<Proxy<'_>> {
        self.to_py_depth(value, -1)
    }

    /// [`to_py`](Self::to_py) with a limit on container depth (-1 = any);
    /// a deeper value is a Usage error.
    pub fn to_py_depth<T: ToValue + ?Sized>(&self, value: &T, depth: i32) -> Result<Proxy<'_>> {
        let mut out = ptr::null_mut();
        with_raw(value, |raw| unsafe {
            check(sys::pyodide_to_py(self.raw, raw, depth, &mut out))?;
            Ok(Proxy::from_raw(self, out))
        })
    }

    /// Deprecated, as in Pyodide 0.17 (use [`globals`](Self::globals) and
    /// [`Proxy::get`]): the value of the global `name` of `__main__`
    /// (`pyodide_pyimport`); a missing name is a Python `KeyError`.
    #[deprecated(note = "as in Pyodide 0.17: use globals() and Proxy::get")]
    pub fn pyimport(&self, name: &str) -> Result<Value<'_>> {
        let name = c_string("global's name", name.as_bytes().to_vec())?;
        let mut out = sys::pyodide_value_t::none();
        // SAFETY: name lives for the call; out receives an owned value.
        unsafe {
            check(sys::pyodide_pyimport(self.raw, name.as_ptr(), &mut out))?;
            Ok(take_raw(self, &mut out))
        }
    }

    /// A proxy of the guest's `pyodide` package (`pyodide_pyodide_py`,
    /// Pyodide 0.17's `pyodide.pyodide_py`): `eval_code`, `eval_code_async`,
    /// `find_imports`, `HostError`.
    pub fn pyodide_py(&self) -> Result<Proxy<'_>> {
        let mut out = ptr::null_mut();
        // SAFETY: out receives an owned proxy.
        unsafe {
            check(sys::pyodide_pyodide_py(self.raw, &mut out))?;
            Ok(Proxy::from_raw(self, out))
        }
    }

    /// Writes the runtime's whole Python state to a snapshot file at `path`
    /// (`pyodide_snapshot_save`), for [`RuntimeBuilder::snapshot`]: imported
    /// modules, loaded packages, `__main__`'s globals and the files Python wrote
    /// (`/home/pyodide`, `/tmp`, anywhere but `/lib` and the mounts). Proxies and buffers held here are released in a runtime loaded from
    /// it, and host modules must be registered there again. Fails with
    /// [`ErrorKind::Python`](crate::ErrorKind::Python) naming state a copy could
    /// not carry (an open file, a running asyncio task), with
    /// [`ErrorKind::Usage`](crate::ErrorKind::Usage) for a runtime with mounts
    /// or a running interval timer (`signal.alarm`: the timer is this host's).
    pub fn save_snapshot(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = c_string("snapshot path", path_bytes(path.as_ref())?)?;
        // SAFETY: a live runtime and a NUL-terminated path the call borrows.
        unsafe { check(sys::pyodide_snapshot_save(self.raw, path.as_ptr())) }
    }

    /// Sets the deadline of every later call (None = no deadline).
    pub fn set_timeout(&self, timeout: Option<Duration>) -> Result<()> {
        let secs = timeout.map_or(0.0, |t| t.as_secs_f64());
        // SAFETY: a plain call.
        unsafe { check(sys::pyodide_set_timeout(self.raw, secs)) }
    }

    /// From another thread while a call runs (share `&Runtime` with
    /// `std::thread::scope`): makes Python raise KeyboardInterrupt, so the
    /// running call fails with that Python error (or a
    /// [`ErrorKind::Limit`](crate::ErrorKind::Limit) error). Code that ignores
    /// it is stopped hard after 100 ms and the runtime is dead from then on.
    /// Does nothing when no call is running.
    pub fn interrupt(&self) -> Result<()> {
        // SAFETY: designed to be called concurrently with another call.
        unsafe { check(sys::pyodide_interrupt(self.raw)) }
    }

    /// From any thread (share `&Runtime`): delivers signal `signum` (Linux's
    /// numbers: `libc::SIGTERM` and friends) to Python as the system delivers
    /// one to python3, when Python set a handler of its own for it with
    /// `signal.signal`: the handler runs at the interpreter's next check, in the
    /// running call or else the next one, and nothing is stopped hard.
    /// Otherwise nothing is done and the answer says what Python would do, for
    /// the host to do it: SIGINT's own handler is [`SignalAction::Default`],
    /// for which [`Runtime::interrupt`] raises its KeyboardInterrupt.
    /// A [`ErrorKind::Usage`](crate::ErrorKind::Usage) error for a number that
    /// is no signal (1 to 64).
    pub fn signal(&self, signum: i32) -> Result<SignalAction> {
        let mut action: sys::pyodide_signal_action_t = sys::PYODIDE_SIGNAL_DEFAULT;
        // SAFETY: designed to be called concurrently with another call; action outlives it.
        unsafe { check(sys::pyodide_signal(self.raw, signum, &mut action))? };
        Ok(match action {
            sys::PYODIDE_SIGNAL_HANDLED => SignalAction::Handled,
            sys::PYODIDE_SIGNAL_IGNORED => SignalAction::Ignored,
            _ => SignalAction::Default,
        })
    }

    /// Counters for leak checks and monitoring.
    pub fn stats(&self) -> Result<Stats> {
        let mut s = sys::pyodide_stats_t { size: std::mem::size_of::<sys::pyodide_stats_t>(), ..Default::default() };
        // SAFETY: s is sized as the library expects.
        unsafe { check(sys::pyodide_stats(self.raw, &mut s))? };
        Ok(Stats {
            memory_bytes: s.memory_bytes,
            guest_objects: s.guest_objects,
            process_proxies: s.process_proxies,
            process_buffers: s.process_buffers,
        })
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if !self.owned {
            return;
        }
        // Waits for resolvers inside a call, and turns later ones away.
        self.shared.set(Life::Destroying);
        // SAFETY: nothing borrows the runtime any more (see the Send impl).
        unsafe { sys::pyodide_destroy(self.raw) };
        self.shared.set(Life::Destroyed);
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").field("raw", &self.raw).finish()
    }
}

/// What Python does with a signal: [`Runtime::signal`]'s answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalAction {
    /// Python's default (`signal.SIG_DFL`, or SIGINT's own handler): nothing was delivered.
    Default,
    /// Python ignores it (`signal.SIG_IGN`): nothing was delivered.
    Ignored,
    /// Python has a handler of its own: it was delivered, and the handler runs.
    Handled,
}

/// `pyodide_stats_t`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// The runtime's linear memory (it never shrinks).
    pub memory_bytes: u64,
    /// Objects the runtime holds for the host: proxies, buffers.
    pub guest_objects: u64,
    /// Live proxies in the whole process.
    pub process_proxies: u64,
    /// Live buffers in the whole process.
    pub process_buffers: u64,
}
