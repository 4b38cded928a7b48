/* The guest ABI's runtime exports (see ../README.md): interpreter start-up,
 * guest memory for the host, running code and the globals. Every export clears the
 * previous result's kept objects first and reports failure as -1 with the
 * error stored. */
#include "bridge.h"

#include <errno.h>

/* 0, or the WASI errno of the host's stream that failed (EPIPE: its reader has gone). */
__attribute__((import_module("pyodide"), import_name("write")))
extern int32_t host_write(int32_t fd, const char* data, uint32_t len);

__attribute__((import_module("pyodide"), import_name("read")))
extern int32_t host_read(char* data, uint32_t len);
__attribute__((import_module("pyodide"), import_name("isatty")))
extern int32_t host_isatty(int32_t fd);
/* The size of the terminal the host's stream for fd 0, 1 or 2 shows on, as
 * columns << 16 | lines; 0 when it is not a terminal (or the host cannot tell). */
__attribute__((import_module("pyodide"), import_name("terminal_size")))
extern int32_t host_terminal_size(int32_t fd);
__attribute__((import_module("pyodide"), import_name("read_stdlib")))
extern int32_t host_read_stdlib(uint32_t offset, char* data, uint32_t len);
__attribute__((import_module("pyodide"), import_name("list_dir")))
extern int32_t host_list_dir(const char* path, uint32_t len, char* data, uint32_t cap, int64_t* size);

PyObject* bridge_module;
static PyObject* main_dict;  /* __main__.__dict__ */
static PyObject* eval_code;  /* pyodide.eval_code */

/* The host side of sys.stdout.buffer and sys.stderr.buffer (under sys.stdout and
 * sys.stderr, which encode their text to UTF-8 with backslashreplace first): the
 * bytes of a bytes-like object, delivered to the host's `fd` as they are; their
 * count, or OSError when the host's stream failed (BrokenPipeError for a closed
 * pipe, as python3's writes raise). */
static PyObject* write_to(int32_t fd, PyObject* data) {
  Py_buffer view;
  if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) return NULL;
  /* A wasm32 object is smaller than 4 GiB. */
  int32_t err = host_write(fd, view.buf, (uint32_t)view.len);
  Py_ssize_t len = view.len;
  PyBuffer_Release(&view);
  if (err != 0) return raise_errno(PyExc_OSError, err);
  return PyLong_FromSsize_t(len);
}

/* _pyodide_core.write_stdout(data) and write_stderr(data): write_to for fds 1
 * and 2, each a function of one argument, so that sys.stdout.buffer.write can be
 * the function itself, with no Python frame on each write. */
static PyObject* core_write_stdout(PyObject* self, PyObject* data) {
  (void)self;
  return write_to(1, data);
}

static PyObject* core_write_stderr(PyObject* self, PyObject* data) {
  (void)self;
  return write_to(2, data);
}

/* What the read import returns when a signal delivered during its wait cut it
 * short (a handler of Python's own is to run first). */
#define HOST_READ_INTERRUPTED (-2)

int32_t stdin_read(char* data, uint32_t len) {
  int32_t n;
  for (;;) {
    n = len ? host_read(data, len) : 0;
    if (n != HOST_READ_INTERRUPTED) break;
    if (interrupt_raise_pending() < 0 || PyErr_CheckSignals() < 0) return -1;
  }
  if (interrupt_raise_pending() < 0) return -1;
  if (n < 0 || (uint32_t)n > len) {
    PyErr_SetString(PyExc_OSError, "the host's standard input reported an error");
    return -1;
  }
  return n;
}

int32_t stream_write(int32_t fd, const char* data, size_t len) {
  return host_write(fd, data, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
}

/* _pyodide_core.readinto(buffer): the host side of sys.stdin. Fills the
 * writable buffer straight from the host's input (no copy in between) and
 * returns the number of bytes, 0 at the end of input. */
static PyObject* core_readinto(PyObject* self, PyObject* arg) {
  (void)self;
  Py_buffer view;
  if (PyObject_GetBuffer(arg, &view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0) return NULL;
  int32_t n = stdin_read(view.buf, view.len > INT32_MAX ? INT32_MAX : (uint32_t)view.len);
  PyBuffer_Release(&view);
  return n < 0 ? NULL : PyLong_FromLong(n);
}

/* C's isatty of a standard stream's descriptor is what the host says of the
 * stream (WASI's own fds 0-2 are never a terminal), so that os.isatty and
 * FileIO.isatty agree with sys.stdout.isatty(), and input() edits the line
 * (readline.c) where python3's would: when stdin and stdout are terminals. */
int __real_isatty(int fd);
int __wrap_isatty(int fd) {
  __wasi_fdstat_t stat;
  /* A file renumbered onto the descriptor (os.dup2) is what it is. */
  if (fd < 0 || fd > 2 || __wasi_fd_fdstat_get((__wasi_fd_t)fd, &stat) != __WASI_ERRNO_SUCCESS ||
      stat.fs_filetype == __WASI_FILETYPE_REGULAR_FILE || stat.fs_filetype == __WASI_FILETYPE_DIRECTORY)
    return __real_isatty(fd);
  if (host_isatty(fd)) return 1;
  errno = ENOTTY;
  return 0;
}

/* _pyodide_core.read_stdlib(offset, size): up to size bytes of the standard
 * library's archive (/lib/python311.zip) from offset on, fewer at its end, read
 * by the host in one call: a WASI read goes through Wasmtime's blocking pool,
 * tens of microseconds a call. None if the host cannot read it. */
static PyObject* core_read_stdlib(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  (void)self;
  if (nargs != 2) {
    PyErr_SetString(PyExc_TypeError, "read_stdlib(offset, size)");
    return NULL;
  }
  Py_ssize_t offset = PyLong_AsSsize_t(args[0]);
  if (offset == -1 && PyErr_Occurred()) return NULL;
  Py_ssize_t size = PyLong_AsSsize_t(args[1]);
  if (size == -1 && PyErr_Occurred()) return NULL;
  if (offset < 0 || size < 0) {
    PyErr_SetString(PyExc_ValueError, "read_stdlib: a negative offset or size");
    return NULL;
  }
  PyObject* data = PyBytes_FromStringAndSize(NULL, size);
  if (!data) return NULL;
  int32_t n = size ? host_read_stdlib((uint32_t)offset, PyBytes_AS_STRING(data), (uint32_t)size) : 0;
  if (n < 0 || n > size) {
    Py_DECREF(data);
    Py_RETURN_NONE;
  }
  if (n < size && _PyBytes_Resize(&data, n) < 0) return NULL;
  return data;
}

/* The UTF-8 of a str path for the host; NULL with no error set for a path the
 * host is not asked about (not valid UTF-8, e.g. a lone surrogate). */
static const char* host_path(PyObject* arg, const char* what, Py_ssize_t* len) {
  if (!PyUnicode_Check(arg)) {
    PyErr_Format(PyExc_TypeError, "%s(path): path must be a str", what);
    return NULL;
  }
  const char* utf8 = PyUnicode_AsUTF8AndSize(arg, len);
  if (!utf8) PyErr_Clear();
  return utf8;
}

/* The bytes the host's `fetch` (read_file or list_dir) gives for a str path:
 * the bytes (one call, or two when they are more than a first guess), the errno
 * ENOENT as Python numbers it (errno.ENOENT) if nothing is there, None where
 * the host does not answer. */
static PyObject* host_fetch(int32_t (*fetch)(const char*, uint32_t, char*, uint32_t, int64_t*),
                            PyObject* arg, const char* what) {
  Py_ssize_t len;
  const char* utf8 = host_path(arg, what, &len);
  if (!utf8) {
    if (PyErr_Occurred()) return NULL;
    Py_RETURN_NONE;
  }
  Py_ssize_t cap = 16 * 1024; /* most modules' .pyc and most directories' names fit */
  for (int attempt = 0; attempt < 4; attempt++) {
    PyObject* data = PyBytes_FromStringAndSize(NULL, cap);
    if (!data) return NULL;
    int64_t size = 0;
    int32_t n = fetch(utf8, (uint32_t)len, PyBytes_AS_STRING(data), (uint32_t)cap, &size);
    if (n >= 0 && n <= cap) {
      if (n < cap && _PyBytes_Resize(&data, n) < 0) return NULL;
      return data;
    }
    Py_DECREF(data);
    if (n == HOST_MISSING) return PyLong_FromLong(_PyPyn_ErrnoToLinux(ENOENT));
    /* -2: they did not fit; room for the size the host saw and some growth. */
    if (n != -2 || size <= 0 || size > INT32_MAX - 4096) Py_RETURN_NONE;
    cap = (Py_ssize_t)size + 4096;
  }
  Py_RETURN_NONE; /* a file or directory that keeps growing: WASI reads it */
}

/* _pyodide_core.read_file(path): the bytes of the regular file the guest sees at
 * `path`, a plain absolute path beneath a directory the runtime preopens,
 * read whole by the host; ENOENT; None (host_fetch). */
static PyObject* core_read_file(PyObject* self, PyObject* arg) {
  (void)self;
  return host_fetch(host_read_file, arg, "read_file");
}

/* _pyodide_core.list_dir(path): the names in the directory the guest sees at
 * `path` (as for read_file), no "." or "..", each UTF-8 and followed by a NUL, in
 * the file system's order, listed by the host; ENOENT; None (host_fetch). */
static PyObject* core_list_dir(PyObject* self, PyObject* arg) {
  (void)self;
  return host_fetch(host_list_dir, arg, "list_dir");
}

/* _pyodide_core.isatty(fd): whether the host says its stream for fd 0, 1 or 2 is a
 * terminal. */
static PyObject* core_isatty(PyObject* self, PyObject* arg) {
  (void)self;
  long fd = PyLong_AsLong(arg);
  if (fd == -1 && PyErr_Occurred()) return NULL;
  return PyBool_FromLong(fd >= 0 && fd <= 2 && host_isatty((int32_t)fd));
}

/* os.get_terminal_size(fd=1, /), which WASI lacks (so shutil.get_terminal_size
 * said 80 columns on any terminal, and code calling it directly failed with
 * AttributeError): an os.terminal_size of the terminal the host's stream for fd
 * 0, 1 or 2 shows on, asked each time (a terminal can be resized); OSError ENOTTY
 * otherwise, in python3's words for a pipe. A C function, as python3's is, so a
 * traceback shows no frame of ours. */
static PyObject* core_get_terminal_size(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  (void)self;
  if (!_PyArg_CheckPositional("get_terminal_size", nargs, 0, 1)) return NULL;
  long fd = 1;
  if (nargs == 1 && (fd = PyLong_AsLong(args[0])) == -1 && PyErr_Occurred()) return NULL;
  uint32_t size = fd >= 0 && fd <= 2 ? (uint32_t)host_terminal_size((int32_t)fd) : 0;
  if (size == 0) return raise_errno(PyExc_OSError, ENOTTY);
  PyObject* os = PyImport_ImportModule("os");
  if (os == NULL) return NULL;
  PyObject* result = PyObject_CallMethod(os, "terminal_size", "((II))", (unsigned int)(size >> 16),
                                         (unsigned int)(size & 0xffff));
  Py_DECREF(os);
  return result;
}

/* _pyodide_core.run_top_level(prepare, report, *args): runs code in __main__ as
 * python3 runs a program or a prompt's statement, from C, so that no Python
 * frame lies beneath it: traceback.print_stack and inspect.stack show the
 * program's frames only, sys._getframe(1) at its top level fails, and a
 * warning whose stacklevel reaches past it names sys:1, as in python3.
 * prepare(*args) gives the code object to run, or anything else to return at
 * once (a status); an exception the code raises is given to report(exc), whose
 * result is returned. None when the code ran to its end. */
static PyObject* core_run_top_level(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  (void)self;
  if (!_PyArg_CheckPositional("run_top_level", nargs, 2, PY_SSIZE_T_MAX)) return NULL;
  PyObject* code = PyObject_Vectorcall(args[0], args + 2, (size_t)(nargs - 2), NULL);
  if (code == NULL || !PyCode_Check(code)) return code;
  PyObject* main = PyImport_AddModule("__main__"); /* borrowed */
  PyObject* globals = main ? PyModule_GetDict(main) : NULL;
  PyObject* result = globals ? PyEval_EvalCode(code, globals, globals) : NULL;
  Py_DECREF(code);
  if (result != NULL) {
    Py_DECREF(result);
    Py_RETURN_NONE;
  }
  PyObject *type, *exc, *traceback;
  PyErr_Fetch(&type, &exc, &traceback);
  PyErr_NormalizeException(&type, &exc, &traceback);
  if (traceback != NULL) PyException_SetTraceback(exc, traceback);
  Py_XDECREF(type);
  Py_XDECREF(traceback);
  result = PyObject_CallOneArg(args[1], exc);
  Py_DECREF(exc);
  return result;
}

static PyMethodDef core_methods[] = {
  {"run_top_level", (PyCFunction)(void (*)(void))core_run_top_level, METH_FASTCALL,
   "run_top_level(prepare, report, *args): run prepare(*args)'s code in __main__ with no frame beneath it;\n"
   "None, what prepare gave if not code, or report(exception)."},
  {"compile", (PyCFunction)(void (*)(void))core_compile, METH_FASTCALL,
   "compile(source, filename, flags, split_last): (statements, final expression or None)."},
  {"snapshot_rehash", snapshot_rehash, METH_O,
   "snapshot_rehash(obj): in a snapshot's copy, rehash an lru_cache wrapper or an OrderedDict."},
  {"read_stdlib", (PyCFunction)(void (*)(void))core_read_stdlib, METH_FASTCALL,
   "read_stdlib(offset, size): bytes of the stdlib's archive read by the host, or None."},
  {"read_file", core_read_file, METH_O,
   "read_file(path): the bytes of a regular file beneath a preopened directory, read by the host; ENOENT if missing; else None."},
  {"list_dir", core_list_dir, METH_O,
   "list_dir(path): the NUL-terminated names in a directory beneath a preopened one, listed by the host; ENOENT if missing; else None."},
  {"isatty", core_isatty, METH_O,
   "isatty(fd): whether the host's stream for fd 0, 1 or 2 is a terminal."},
  {"get_terminal_size", (PyCFunction)(void (*)(void))core_get_terminal_size, METH_FASTCALL,
   "Return the size of the terminal window as (columns, lines)."},
  {"readinto", core_readinto, METH_O,
   "readinto(buffer): fill buffer from the host's stdin; the byte count, 0 at its end."},
  {"host_module_wanted", core_host_module_wanted, METH_O,
   "host_module_wanted(name): ask the host to register a module it registers at first import."},
  {"write_stdout", core_write_stdout, METH_O,
   "write_stdout(data): write the bytes-like data to the host's stdout; its length."},
  {"write_stderr", core_write_stderr, METH_O,
   "write_stderr(data): write the bytes-like data to the host's stderr; its length."},
  {NULL, NULL, 0, NULL},
};

static struct PyModuleDef core_module = {
  PyModuleDef_HEAD_INIT, "_pyodide_core", "The host side of the guest bridge.", -1, core_methods,
};

/* The module, with the limits guest Python shares with the host (pyn_limits.h)
 * and the base type of host objects. */
static PyObject* core_init(void) {
  PyObject* module = PyModule_Create(&core_module);
  PyObject* loop_done = module ? PyFloat_FromDouble(PYN_LOOP_DONE) : NULL;
  PyObject* host_object = loop_done ? host_object_type() : NULL;
  if (!host_object || PyModule_AddObjectRef(module, "LOOP_DONE", loop_done) < 0 ||
      PyModule_AddObjectRef(module, "HostObject", host_object) < 0 || timers_add_to(module) < 0 ||
      clocks_add_to(module) < 0 || flags_add_to(module) < 0 || timezone_add_to(module) < 0)
    Py_CLEAR(module);
  Py_XDECREF(loop_done);
  Py_XDECREF(host_object);
  return module;
}

int path_argument(PyObject* arg, const char* function, PyObject** bytes) {
  *bytes = NULL;
  if (PyUnicode_Check(arg) || PyBytes_Check(arg) || PyObject_HasAttrString(arg, "__fspath__"))
    return PyUnicode_FSConverter(arg, bytes) ? 0 : -1;
  if (PyObject_CheckBuffer(arg)) {
    if (PyErr_WarnFormat(PyExc_DeprecationWarning, 1, "%s: path should be string, bytes or os.PathLike, not %.200s",
                         function, Py_TYPE(arg)->tp_name) < 0)
      return -1;
    *bytes = PyBytes_FromObject(arg);
    return *bytes != NULL ? 0 : -1;
  }
  PyErr_Format(PyExc_TypeError, "%s: path should be string, bytes or os.PathLike, not %.200s", function,
               Py_TYPE(arg)->tp_name);
  return -1;
}

int os_publish(const char* name) {
  PyObject* posix = PyImport_ImportModule("posix");
  PyObject* os = posix != NULL ? PyImport_ImportModule("os") : NULL;
  PyObject* os_all = os != NULL ? PyObject_GetAttrString(os, "__all__") : NULL;
  PyObject* value = os_all != NULL ? PyObject_GetAttrString(posix, name) : NULL;
  PyObject* key = value != NULL ? PyUnicode_FromString(name) : NULL;
  int listed = key != NULL ? PySequence_Contains(os_all, key) : -1;
  int ok = listed >= 0 && PyObject_SetAttr(os, key, value) == 0 && (listed || PyList_Append(os_all, key) == 0);
  Py_XDECREF(key);
  Py_XDECREF(value);
  Py_XDECREF(os_all);
  Py_XDECREF(os);
  Py_XDECREF(posix);
  return ok ? 0 : -1;
}

static int status_error(PyStatus status) {
  return error_store_c("FatalError", status.err_msg ? status.err_msg : "Python failed to start");
}

/* Starts Python. With `for_snapshot`, recording (snapshot.c) starts first and
 * lasts the interpreter's life, so it may be sealed and copied at any time. */
PYN_EXPORT(pyn_init) int32_t pyn_init(int32_t for_snapshot) {
  if (main_dict) return error_store_c("RuntimeError", "the interpreter is already initialized");
  if (for_snapshot && snapshot_start_recording() < 0) return -1;
  static const struct { const char* name; PyObject* (*init)(void); } builtins[] = {
    {"_pyodide_core", core_init}, {"resource", PyInit_resource}, {"pwd", PyInit_pwd}, {"grp", PyInit_grp},
    {"fcntl", PyInit_fcntl}, {"termios", PyInit_termios}, {"readline", PyInit_readline},
  };
  for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
    if (PyImport_AppendInittab(builtins[i].name, builtins[i].init) < 0)
      return error_store_c("FatalError", "cannot register the bridge's modules");

  /* UTF-8 mode: file names, open() and the standard streams are UTF-8, as
   * hosts expect, whatever locale WASI reports. */
  PyPreConfig preconfig;
  PyPreConfig_InitIsolatedConfig(&preconfig);
  preconfig.utf8_mode = 1;
  PyStatus pre = Py_PreInitialize(&preconfig);
  if (PyStatus_Exception(pre)) return status_error(pre);

  PyConfig config;
  PyConfig_InitIsolatedConfig(&config);
  config.site_import = 0;          /* no site-packages until packages are loaded */
  config.write_bytecode = 0;       /* the stdlib is read-only */
  config.install_signal_handlers = 0;
  config.pathconfig_warnings = 0;
  config.parse_argv = 0;
  PyStatus status = PyConfig_SetString(&config, &config.home, L"/");
  if (!PyStatus_Exception(status))
    status = PyConfig_SetString(&config, &config.program_name, L"python");
  if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  if (PyStatus_Exception(status)) return status_error(status);
  readline_install();
  if (statvfs_install() < 0 || chmod_install() < 0) return error_store();

  bridge_module = PyImport_ImportModule("pyodide._bridge");
  PyObject* setup = bridge_module ? PyObject_CallMethod(bridge_module, "setup", NULL) : NULL;
  PyObject* format = bridge_module ? PyObject_GetAttrString(bridge_module, "format_exception") : NULL;
  PyObject* pyodide = PyImport_ImportModule("pyodide");
  eval_code = pyodide ? PyObject_GetAttrString(pyodide, "eval_code") : NULL;
  PyObject* main = PyImport_AddModule("__main__"); /* borrowed */
  int ok = setup && format && eval_code && main;
  if (format) errors_set_formatter(format);
  Py_XDECREF(setup);
  Py_XDECREF(format);
  Py_XDECREF(pyodide);
  if (!ok) return error_store();
  main_dict = PyModule_GetDict(main);
  Py_INCREF(main_dict);
  return 0;
}

/* Guest memory for the host: input buffers (one per call depth, so a
 * nested call never moves the buffer an outer call still uses) and the
 * results of host functions. 0 if out of memory. */
PYN_EXPORT(pyn_alloc) uint32_t pyn_alloc(uint32_t size) {
  return (uint32_t)(uintptr_t)malloc(size ? size : 1);
}

PYN_EXPORT(pyn_free) void pyn_free(uint32_t address) { free((void*)(uintptr_t)address); }

PYN_EXPORT(pyn_run) int32_t pyn_run(const char* code, uint32_t len, uint32_t globals_h,
                                    slot_t* out) {
  keep_clear();
  PyObject* globals = globals_h ? handle_get(globals_h) : main_dict;
  if (!globals) return error_store();
  if (!PyDict_Check(globals)) {
    PyErr_Format(PyExc_TypeError, "globals must be a dict, not %.100s", Py_TYPE(globals)->tp_name);
    return error_store();
  }
  PyObject* source = PyUnicode_DecodeUTF8(code, len, "strict");
  if (!source) return error_store();
  PyObject* result = PyObject_CallFunctionObjArgs(eval_code, source, globals, NULL);
  Py_DECREF(source);
  return slot_result(result, out);
}

PYN_EXPORT(pyn_globals) uint32_t pyn_globals(void) {
  keep_clear();
  Py_INCREF(main_dict);
  uint32_t h = handle_new(main_dict);
  if (!h) error_store();
  return h;
}
