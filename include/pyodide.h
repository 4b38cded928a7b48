/*
 * pyodide.h — the C ABI of Pyodide.Native (libpyodide.so).
 *
 * A sandboxed CPython 3.11 compiled to WebAssembly, run by Wasmtime. One
 * pyodide_t is one interpreter; Python objects stay inside it and are reached
 * through pyproxy_t handles; plain values cross as pyodide_value_t.
 *
 * Conventions, for every function below:
 *  - A fallible function returns pyodide_error_t*: NULL on success, otherwise
 *    an error owned by the caller, freed with pyodide_error_delete.
 *    Out-parameters come last and are left untouched on error.
 *  - Inputs are borrowed for the duration of the call. Outputs are owned by
 *    the caller: values are freed with pyodide_value_release, proxies with
 *    pyproxy_destroy.
 *  - Strings entering the library are UTF-8 with an explicit length
 *    (PYODIDE_STRLEN: the string is NUL-terminated, measure it). Strings
 *    leaving it are NUL-terminated and also carry their length.
 *  - Bad input never crashes the process: NULL pointers, destroyed or stale
 *    proxies, proxies of another runtime, invalid UTF-8 and a destroyed
 *    runtime each give a PYODIDE_ERROR_USAGE error naming the problem.
 *    Handles (pyodide_t*, pyproxy_t*, pyodide_error_t*) are checked tokens,
 *    not pointers the library dereferences.
 *  - A runtime may be used from any thread, one call at a time: calls on one
 *    runtime are serialized internally; different runtimes run in parallel.
 *    Python runs on the calling thread's stack and may use up to 1.25 MiB of
 *    it (deep recursion then raises RecursionError): call from a thread with
 *    at least 1.5 MiB of stack (glibc's default is 8 MiB).
 */
#ifndef PYODIDE_H
#define PYODIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && !defined(PYODIDE_STATIC)
#define PYODIDE_API __declspec(dllimport)
#else
#define PYODIDE_API
#endif

/** Pass as a length to say "the string is NUL-terminated". */
#define PYODIDE_STRLEN ((size_t)-1)

/*
 * The version this header describes: the one place it is written (the build
 * of libpyodide.so and of the .NET package read it from here). Compare
 * PYODIDE_VERSION_NUMBER with pyodide_version_number() to check that the
 * library loaded at run time is the one compiled against, as sqlite3.h does.
 */
#define PYODIDE_VERSION_MAJOR 0
#define PYODIDE_VERSION_MINOR 1
#define PYODIDE_VERSION_PATCH 0
#define PYODIDE_VERSION_STR_(x) #x
#define PYODIDE_VERSION_STR(x) PYODIDE_VERSION_STR_(x)
/** "MAJOR.MINOR.PATCH", the string pyodide_version() returns. */
#define PYODIDE_VERSION                        \
  PYODIDE_VERSION_STR(PYODIDE_VERSION_MAJOR)   \
  "." PYODIDE_VERSION_STR(PYODIDE_VERSION_MINOR) \
  "." PYODIDE_VERSION_STR(PYODIDE_VERSION_PATCH)
/** MAJOR * 1000000 + MINOR * 1000 + PATCH, what pyodide_version_number() returns. */
#define PYODIDE_VERSION_NUMBER \
  (PYODIDE_VERSION_MAJOR * 1000000 + PYODIDE_VERSION_MINOR * 1000 + PYODIDE_VERSION_PATCH)

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/** An error returned by a fallible call; owned by the caller. */
typedef struct pyodide_error pyodide_error_t;

typedef enum {
  PYODIDE_ERROR_PYTHON = 1, /* a Python exception: type + traceback message   */
  PYODIDE_ERROR_USAGE,      /* API misuse: NULL, destroyed proxy, bad argument */
  PYODIDE_ERROR_LIMIT,      /* memory/time limit hit or interrupted            */
  PYODIDE_ERROR_IO,         /* package or file could not be loaded             */
  PYODIDE_ERROR_FATAL       /* the runtime trapped and is dead                 */
} pyodide_error_kind_t;

/**
 * The kind of an error. An invalid error handle (NULL, deleted) reads as
 * PYODIDE_ERROR_USAGE.
 */
PYODIDE_API pyodide_error_kind_t pyodide_error_kind(const pyodide_error_t* error);

/**
 * The error's type name: the Python exception's class name for
 * PYODIDE_ERROR_PYTHON ("ZeroDivisionError"), otherwise "UsageError",
 * "LimitError", "IOError" or "FatalError". Owned by the error; valid until
 * pyodide_error_delete. Never NULL.
 */
PYODIDE_API const char* pyodide_error_type(const pyodide_error_t* error);

/**
 * The full message: for a Python exception the traceback exactly as Python
 * prints it (without the library's internal frames); otherwise a sentence
 * naming the problem. Owned by the error; valid until pyodide_error_delete.
 * Never NULL.
 */
PYODIDE_API const char* pyodide_error_message(const pyodide_error_t* error);

/**
 * Whether the error is Python ending its runtime with os._exit(status): a
 * PYODIDE_ERROR_FATAL error (the runtime is dead, as a python3 process that
 * called os._exit would have ended), from the call that ran the os._exit and
 * from every later call on that runtime. When true and `status` is not NULL,
 * writes the status there (a host running scripts as python3 would exits
 * with it). False for any other error and for an invalid handle.
 */
PYODIDE_API bool pyodide_error_exit_status(const pyodide_error_t* error, int* status);

/** Frees an error. NULL and already-deleted errors are ignored. */
PYODIDE_API void pyodide_error_delete(pyodide_error_t* error);

/* ------------------------------------------------------------------------ */
/* Values                                                                   */
/* ------------------------------------------------------------------------ */

/** A handle to a Python object living inside a runtime. */
typedef struct pyproxy pyproxy_t;

/* The class of a host object: pyodide_host_class_t, under "Host objects" below. */
struct pyodide_host_class;

typedef enum {
  PYODIDE_NONE, PYODIDE_BOOL, PYODIDE_INT, PYODIDE_FLOAT, PYODIDE_STR,
  PYODIDE_BYTES, PYODIDE_LIST, PYODIDE_DICT, PYODIDE_PROXY,
  PYODIDE_HOST /* a host object: of.host, the class and object the host gave */
} pyodide_kind_t;

/**
 * A value crossing the boundary.
 *
 * Python → host: None, bool, int (within int64), float, str and bytes arrive
 * by value; anything else arrives as PYODIDE_PROXY, including ints outside
 * int64 and strs holding lone surrogates (they have no exact host form),
 * except a host object (pyodide.HostObject), which arrives as PYODIDE_HOST
 * with the very class and object pointers the host gave. A PYODIDE_HOST value
 * holds no reference: the object stays the host's, whose class's finalize
 * still says when Python lets go of it.
 * Host → Python: every kind converts to the matching Python object; STR must
 * be valid UTF-8; LIST becomes a list and DICT a dict.
 *
 * A value filled in by the library owns its memory (strings, arrays,
 * proxies): release it with pyodide_value_release. A value built by the
 * caller is the caller's to manage and is only borrowed by the library.
 */
typedef struct pyodide_value {
  pyodide_kind_t kind;
  union {
    bool b; int64_t i; double f;
    struct { const char* ptr; size_t len; } str;      /* STR (UTF-8), BYTES */
    struct { struct pyodide_value* items; size_t len; } list;
    struct { struct pyodide_value* keys; struct pyodide_value* values; size_t len; } dict;
    pyproxy_t* proxy;
    struct { const struct pyodide_host_class* cls; void* obj; } host; /* HOST */
  } of;
} pyodide_value_t;

/**
 * Frees the memory a library-filled value owns and destroys the proxies it
 * holds, recursively; then sets it to PYODIDE_NONE, so a second release is
 * harmless. NULL is ignored.
 */
PYODIDE_API void pyodide_value_release(pyodide_value_t* value);

/* ------------------------------------------------------------------------ */
/* Runtime                                                                  */
/* ------------------------------------------------------------------------ */

/** One sandboxed interpreter. */
typedef struct pyodide pyodide_t;

/**
 * Receives `len` bytes written by Python: sys.stdout's or sys.stderr's text as
 * UTF-8, and bytes written to their `buffer` or below them (os.write, C code)
 * as they are.
 */
typedef void (*pyodide_write_fn)(void* env, const char* data, size_t len);

/**
 * Receives `len` bytes written by Python, as pyodide_write_fn does, and says
 * whether they were delivered: 0 when they were, else an errno value saying
 * why not. EPIPE (the stream's reader has gone: `| head` read what it
 * wanted) makes the write in Python raise BrokenPipeError, as python3's
 * writes do; another makes it raise OSError with that errno when a write can
 * fail with it (ENOSPC, EIO, EBADF, ...), else with EIO. The bytes of a
 * failed write are not written again.
 */
typedef int (*pyodide_write_status_fn)(void* env, const char* data, size_t len);

/**
 * Says the size of the terminal the host shows a standard stream on, for
 * os.get_terminal_size(fd) and so shutil.get_terminal_size(): `fd` is 0, 1 or
 * 2; writes the columns and lines and returns true, or returns false when
 * that stream is not a terminal (Python raises OSError, ENOTTY, as python3
 * does for a pipe). Called on the thread of the call asking, each time Python
 * asks (a terminal can be resized). It must not call into the runtime.
 */
typedef bool (*pyodide_terminal_size_fn)(void* env, int fd, int* columns, int* lines);

/**
 * Supplies Python's standard input: writes up to `len` bytes at `buf` and
 * returns how many, 0 at the end of input, or -1 for an error (Python gets
 * OSError). Called on the thread of the call that is running Python (the one
 * reading sys.stdin), whenever sys.stdin's buffer runs dry; it may block.
 * While it blocks, the runtime's interrupt does not wait for it:
 * pyodide_interrupt from another thread returns at once, and the
 * KeyboardInterrupt is raised in Python as soon as the callback returns,
 * whatever it returned; so a callback that can be woken (a pipe, a queue)
 * should return when its host interrupts, and a read(2) cut short by a
 * signal (EINTR) may simply return -1. A call's deadline acts the same way.
 * The callback must not call into the runtime.
 */
typedef ptrdiff_t (*pyodide_read_fn)(void* env, char* buf, size_t len);

/** A host directory made visible to Python at `guest_path`. */
typedef struct pyodide_mount {
  const char* host_path;  const char* guest_path;  bool read_only;
} pyodide_mount_t;

typedef struct pyodide_config {
  size_t      size;          /* sizeof(pyodide_config_t): lets the struct grow compatibly */
  const char* asset_dir;     /* NULL = $PYODIDE_ASSET_DIR, else the pyodide/ folder beside libpyodide.so */
  const char* index_url;     /* package index: directory or http(s) URL; NULL = $PYODIDE_INDEX_URL, else none */
  uint64_t    memory_limit;  /* bytes the interpreter may use; 0 = the default           */
  double      timeout_s;     /* default deadline per call; 0 = none                      */
  const pyodide_mount_t* mounts; size_t nmounts; /* host dirs visible to Python          */
  pyodide_write_fn stdout_fn, stderr_fn; void* io_env; /* NULL = the process's own       */
  /* true: no interruption checks in the compiled interpreter, so Python runs ~20%
     faster, but deadlines and pyodide_interrupt can then only raise KeyboardInterrupt
     in Python code; code that ignores it or never returns to the interpreter cannot
     be stopped. For trusted code; false (the default) keeps the hard stop. Appended
     to the first layout: a caller passing the older, smaller size gets false. */
  bool        unguarded;
  /* Python's standard input (called with io_env, like the write callbacks); NULL =
     none: input() raises EOFError at once. The process's own stdin is never read
     unless the host passes it. stdin_isatty: what sys.stdin.isatty() says (with a
     stdin_fn). Appended to the second layout: a caller passing an older size gets
     NULL and false. */
  pyodide_read_fn stdin_fn;
  bool        stdin_isatty;
  /* A snapshot file to start from (UTF-8 path; see pyodide_snapshot_save); NULL = the
     built-in one, of an interpreter that has just started. Appended to the third
     layout: a caller passing an older size gets NULL. */
  const char* snapshot;
  /* What sys.stdout.isatty() and sys.stderr.isatty() say when stdout_fn and
     stderr_fn are set (a host that writes to a terminal sets them, as python3's
     streams report their terminal); without a callback Python writes to the
     process's own stream, and says whether that is a terminal. Appended to the
     fourth layout: a caller passing an older size gets false. */
  bool        stdout_isatty;
  bool        stderr_isatty;
  /* Take sys.stdout's and sys.stderr's bytes instead of stdout_fn and stderr_fn
     (with io_env, at the same moments, with the same rules), for a host whose
     stream can fail: a write they report failed raises OSError in Python
     (BrokenPipeError for EPIPE). stdout_isatty and stderr_isatty apply to them.
     NULL = stdout_fn (or stderr_fn). Without any callback the library writes to
     the process's own stream and reports its failures the same way. Appended
     to the fifth layout: a caller passing an older size gets NULL. */
  pyodide_write_status_fn stdout_status_fn, stderr_status_fn;
  /* The size of the terminal a standard stream shows on (called with io_env).
     NULL = a stream the library writes to the process's own fd answers with
     that terminal's size; any other is not a terminal. Appended to the sixth
     layout: a caller passing an older size gets NULL. */
  pyodide_terminal_size_fn terminal_size_fn;
} pyodide_config_t;

/**
 * Fills every field of `config` with its default: size = sizeof(*config),
 * everything else zero/NULL. NULL is ignored.
 */
PYODIDE_API void pyodide_config_init(pyodide_config_t* config);

/**
 * Starts a new interpreter.
 *
 * `config` is borrowed (NULL = all defaults); its strings are copied. A
 * NULL asset_dir or index_url (or a NULL config) takes the value of the
 * environment variable PYODIDE_ASSET_DIR or PYODIDE_INDEX_URL when it is set
 * and not empty, read at each call (deprecated, see pyodide_default).
 * Python sees the bundled standard library (/lib, read-only), a private
 * writable file system of its own, / (a temporary directory of the host's, on
 * Linux in $TMPDIR/pyodide-homes-UID, holding only the empty directories
 * /home/pyodide with its site-packages, /tmp, and where /lib and the mounts
 * are, when the runtime starts; pyodide_destroy deletes it with what it holds,
 * or keeps it for the process's next runtime if nothing was left in it; those
 * left are deleted when the process exits normally, and on Linux those of a
 * process that ended otherwise (a Go program, _exit, a signal) are taken or
 * deleted by the next process that starts a runtime), the configured mounts
 * and nothing else of the host; its environment is empty but for
 * HOME=/home/pyodide (tempfile's files go to /tmp, the runtime's own). Python's stdout and stderr go to `stdout_fn`/`stderr_fn` (called
 * with `io_env`), or to the process's own streams when NULL. The callbacks
 * run on the thread of the call that produced the output, while it runs.
 * For sys.stdout/sys.stderr they may call back into the runtime, like a
 * host function; for bytes written below them (os.write, C code), which
 * can come in the middle of the interpreter's own work, calls into the
 * same runtime are refused with a USAGE error (other runtimes may be used).
 *
 * On success `*out` receives a runtime owned by the caller (free with
 * pyodide_destroy). Errors: USAGE for a NULL `out`, a bad `size` or
 * mount; IO when the assets cannot be read; PYTHON if start-up fails.
 */
PYODIDE_API pyodide_error_t* pyodide_load(const pyodide_config_t* config, pyodide_t** out);

/**
 * Destroys a runtime and frees all it holds. Proxies of it stay valid
 * handles that report USAGE errors until destroyed. NULL and already
 * destroyed runtimes are ignored, and so is the runtime of pyodide_default
 * (it lives until the process exits). Must not be called while another
 * thread is inside a call on the same runtime.
 */
PYODIDE_API void pyodide_destroy(pyodide_t* runtime);

/**
 * Writes the runtime's whole Python state to a snapshot file at `path` (UTF-8;
 * replaced whole if it exists), for pyodide_config_t.snapshot: imported modules,
 * loaded packages, __main__'s globals and the files Python wrote in its own
 * file system (/home/pyodide, /tmp, anywhere but /lib and the mounts).
 *
 * A runtime loaded from the file has all of that, with a hash secret of its own
 * (every dict, set and str hash redone), `random` reseeded and fresh os.urandom,
 * plus the mounts and host of its own config: proxies and buffers held by this
 * host are released in it, and host modules must be registered again under the
 * same names before use (this host's functions raise RuntimeError there).
 *
 * `runtime` and `path` are borrowed. Errors: USAGE for a NULL or destroyed
 * runtime, a NULL, empty or invalid UTF-8 path, a runtime with mounts (mount in
 * the loading config instead), host objects Python still holds (they stand for
 * this process's objects), an interval timer running (signal.alarm or
 * signal.setitimer: the timer is this host's), a symbolic link among those
 * files, or a call from inside one of the runtime's own callbacks; PYTHON for state a copy
 * could not carry (files open beyond the preopened directories, asyncio tasks
 * still running, a set iteration in progress), the message naming it; IO when
 * the file cannot be written. A load from a truncated, damaged, foreign or
 * other-version file fails with IO; one whose memory exceeds the config's
 * memory_limit with LIMIT.
 */
PYODIDE_API pyodide_error_t* pyodide_snapshot_save(pyodide_t* runtime, const char* path);

/** The library's version, e.g. "0.1.0" (PYODIDE_VERSION of the header it was
 * built with). A static string. */
PYODIDE_API const char* pyodide_version(void);

/** The library's version as a number, PYODIDE_VERSION_NUMBER of the header it
 * was built with: compare with the PYODIDE_VERSION_NUMBER a program was
 * compiled against. */
PYODIDE_API uint32_t pyodide_version_number(void);

/**
 * Runs Python source like Pyodide's runPython: the statements run in
 * `globals` (a proxy of a dict; NULL = the runtime's pyodide.globals, i.e.
 * __main__'s namespace), and if the code ends in an expression its value is
 * the result, else None.
 *
 * `code` is `len` bytes of UTF-8 (or NUL-terminated with PYODIDE_STRLEN).
 * `result` may be NULL to discard the value; otherwise it receives an owned
 * value. Errors: PYTHON for an exception (including SyntaxError), USAGE for
 * bad arguments.
 */
PYODIDE_API pyodide_error_t* pyodide_run_python(pyodide_t* runtime, const char* code, size_t len,
                                                pyproxy_t* globals, pyodide_value_t* result);

/**
 * From any thread, while another thread is inside a call on `runtime`: makes
 * Python raise KeyboardInterrupt at its next check (within about a
 * millisecond for Python code). Code that ignores it or never returns to the
 * interpreter (a long C-level loop) is stopped hard after 100 ms: that call
 * fails with PYODIDE_ERROR_LIMIT and the runtime is dead (FATAL) from then
 * on. Does nothing when no call is running.
 */
PYODIDE_API pyodide_error_t* pyodide_interrupt(pyodide_t* runtime);

/** What Python does with a signal: pyodide_signal's answer. */
typedef enum pyodide_signal_action {
  PYODIDE_SIGNAL_DEFAULT = 0, /* Python's default (signal.SIG_DFL, or SIGINT's own
                                 handler): nothing was delivered */
  PYODIDE_SIGNAL_IGNORED = 1, /* Python ignores it (signal.SIG_IGN): nothing was delivered */
  PYODIDE_SIGNAL_HANDLED = 2, /* Python has a handler of its own: it was delivered */
} pyodide_signal_action_t;

/**
 * From any thread: delivers signal `signum` (Linux's numbers: SIGINT 2,
 * SIGHUP 1, SIGTERM 15, ...) to Python as the system delivers one to python3,
 * when Python has set a handler of its own for it with signal.signal: the
 * handler runs at the interpreter's next check (within about a millisecond for
 * Python code) in the call running on another thread, or else at the start of
 * the next call; nothing is stopped hard, so the handler may carry on. A read
 * of sys.stdin whose stdin_fn returns -1 after a signal was delivered during it
 * runs the handler and reads again, as python3's read does after EINTR.
 * Otherwise nothing is done, and the host does what Python would: for SIGINT's
 * default (signal.default_int_handler), pyodide_interrupt raises its
 * KeyboardInterrupt. `*action` (may be NULL) receives which it was.
 * USAGE for a NULL or destroyed runtime or a number that is no signal (below 1
 * or above 64); FATAL for a dead runtime.
 */
PYODIDE_API pyodide_error_t* pyodide_signal(pyodide_t* runtime, int signum, pyodide_signal_action_t* action);

/**
 * Sets the deadline of every later call on `runtime`, in seconds (0 = none),
 * replacing config->timeout_s; set it around one call to give that call its
 * own deadline. A call past its deadline is interrupted as by
 * pyodide_interrupt and fails with PYODIDE_ERROR_LIMIT; if the code ignores
 * the interrupt it is stopped hard and the runtime dies. Negative, NaN and
 * infinite values are USAGE errors.
 */
PYODIDE_API pyodide_error_t* pyodide_set_timeout(pyodide_t* runtime, double timeout_s);

/**
 * Deprecated, as in Pyodide 0.17 (use pyodide_globals and pyproxy_get): the
 * value of the global `name` (NUL-terminated UTF-8) of __main__ into `*out`
 * (owned). A missing name is a PYTHON KeyError.
 */
PYODIDE_API pyodide_error_t* pyodide_pyimport(pyodide_t* runtime, const char* name, pyodide_value_t* out);

/** A new proxy of the guest's `pyodide` package (Pyodide 0.17's pyodide.pyodide_py):
 *  eval_code, eval_code_async, find_imports, HostError. */
PYODIDE_API pyodide_error_t* pyodide_pyodide_py(pyodide_t* runtime, pyproxy_t** out);

/** A new proxy of the runtime's globals dict (__main__'s namespace). */
PYODIDE_API pyodide_error_t* pyodide_globals(pyodide_t* runtime, pyproxy_t** out);

/* ------------------------------------------------------------------------ */
/* Proxies                                                                  */
/* ------------------------------------------------------------------------ */

/**
 * `obj[key]` into `*out` (owned). A missing key is a PYTHON error
 * (KeyError/IndexError), not a NONE value.
 */
PYODIDE_API pyodide_error_t* pyproxy_get(pyproxy_t* proxy, const pyodide_value_t* key,
                                         pyodide_value_t* out);

/** `obj[key] = value`. */
PYODIDE_API pyodide_error_t* pyproxy_set(pyproxy_t* proxy, const pyodide_value_t* key,
                                         const pyodide_value_t* value);

/** `key in obj` into `*out`. */
PYODIDE_API pyodide_error_t* pyproxy_has(pyproxy_t* proxy, const pyodide_value_t* key, bool* out);

/** `del obj[key]`. */
PYODIDE_API pyodide_error_t* pyproxy_delete(pyproxy_t* proxy, const pyodide_value_t* key);

/** `len(obj)` into `*out`. */
PYODIDE_API pyodide_error_t* pyproxy_length(pyproxy_t* proxy, size_t* out);

/**
 * The object's type name into `*out` (an owned STR), as Pyodide's
 * PyProxy.type: "module.QualName", or just "QualName" for builtins and
 * classes defined in __main__ ("dict", "collections.OrderedDict").
 */
PYODIDE_API pyodide_error_t* pyproxy_type(pyproxy_t* proxy, pyodide_value_t* out);

/**
 * `obj(*args)`: `nargs` borrowed values (`args` may be NULL when `nargs` is
 * 0). `out` may be NULL to discard the result.
 */
PYODIDE_API pyodide_error_t* pyproxy_call(pyproxy_t* proxy, const pyodide_value_t* args,
                                          size_t nargs, pyodide_value_t* out);

/** A second, independent proxy of the same object, owned by the caller. */
PYODIDE_API pyodide_error_t* pyproxy_copy(pyproxy_t* proxy, pyproxy_t** out);

/**
 * `getattr(obj, name)` into `*out` (owned). `name` is `len` bytes of UTF-8
 * (or NUL-terminated with PYODIDE_STRLEN). A missing attribute is a PYTHON
 * error (AttributeError).
 */
PYODIDE_API pyodide_error_t* pyproxy_get_attr(pyproxy_t* proxy, const char* name, size_t len,
                                              pyodide_value_t* out);

/** `setattr(obj, name, value)`. */
PYODIDE_API pyodide_error_t* pyproxy_set_attr(pyproxy_t* proxy, const char* name, size_t len,
                                              const pyodide_value_t* value);

/**
 * `hasattr(obj, name)` into `*out`: only AttributeError means false; any
 * other exception raised while looking is a PYTHON error.
 */
PYODIDE_API pyodide_error_t* pyproxy_has_attr(pyproxy_t* proxy, const char* name, size_t len,
                                              bool* out);

/** `delattr(obj, name)`. */
PYODIDE_API pyodide_error_t* pyproxy_del_attr(pyproxy_t* proxy, const char* name, size_t len);

/**
 * `obj(*args, **kwargs)`, as Pyodide's callKwargs: `kwargs` is a borrowed
 * PYODIDE_DICT whose keys are STR (NULL = no keyword arguments). `out` may be
 * NULL to discard the result.
 */
PYODIDE_API pyodide_error_t* pyproxy_call_kwargs(pyproxy_t* proxy, const pyodide_value_t* args,
                                                 size_t nargs, const pyodide_value_t* kwargs,
                                                 pyodide_value_t* out);

/**
 * Whether `ptr` is a live pyproxy_t (not destroyed). A proxy whose runtime
 * was destroyed is still a proxy (using it is a USAGE error). Never fails.
 */
PYODIDE_API bool pyodide_is_pyproxy(const void* ptr);

/** A new proxy of `iter(obj)` (Pyodide 0.17's `[Symbol.iterator]`). */
PYODIDE_API pyodide_error_t* pyproxy_iter(pyproxy_t* proxy, pyproxy_t** out);

/**
 * One step of an iterator or generator (Pyodide 0.17's `next(value)`):
 * `sent` (borrowed; NULL = None) is sent into a generator's `yield`
 * expression. On success `*out_done` tells whether it finished: if false,
 * `*out_value` is the yielded value; if true, it is the generator's return
 * value (None for other iterators). `*out_value` is owned. Calling next on
 * something that is not an iterator is a PYTHON TypeError.
 */
PYODIDE_API pyodide_error_t* pyproxy_next(pyproxy_t* proxy, const pyodide_value_t* sent,
                                          pyodide_value_t* out_value, bool* out_done);

/**
 * A deep conversion into host values, as Pyodide's toJs: list and tuple →
 * LIST, dict → DICT (any key type), set and frozenset → LIST, bytes,
 * bytearray and memoryview → BYTES (copied), scalars by value, anything else
 * → PROXY. `depth` is how many container levels are converted (-1 = all; 0
 * leaves a container as a PROXY); deeper containers stay proxies, and so
 * does a container met again inside itself (a cycle). `*out` is owned
 * (release with pyodide_value_release, which also destroys inner proxies).
 */
PYODIDE_API pyodide_error_t* pyproxy_to_js(pyproxy_t* proxy, int32_t depth, pyodide_value_t* out);

/**
 * The reverse of pyproxy_to_js, as Pyodide's toPy: builds a Python object
 * from a borrowed host value tree (LIST → list, DICT → dict, PROXY → the
 * object itself) and returns a new proxy of it. `depth` limits how many
 * container levels the value may have (-1 = any); a deeper value is a USAGE
 * error, since host values cannot stay unconverted.
 */
PYODIDE_API pyodide_error_t* pyodide_to_py(pyodide_t* runtime, const pyodide_value_t* value,
                                           int32_t depth, pyproxy_t** out);

/**
 * Releases the proxy's reference to its object. NULL and already destroyed
 * proxies are ignored; so are proxies whose runtime was destroyed (their
 * handle is freed).
 */
PYODIDE_API void pyproxy_destroy(pyproxy_t* proxy);

/* ------------------------------------------------------------------------ */
/* Host modules                                                             */
/* ------------------------------------------------------------------------ */

/**
 * A host function Python can call (Pyodide 0.17's registerJsModule functions).
 *
 * `args` are the call's `nargs` arguments, converted as pyodide_run_python
 * results are; they belong to the library and are released when the
 * function returns (copy a proxy with pyproxy_copy to keep it). `*result`
 * starts as PYODIDE_NONE; set it to the return value. The library reads it
 * after the function returns: its strings and arrays stay the function's
 * (point them at memory that outlives the call, e.g. static data or data
 * owned by `env`), while proxies in it pass to the library, which destroys
 * them. Return NULL on success, or an error to raise in Python: one made with
 * pyodide_error_new raises that exception type, as does a PYTHON error from a
 * nested call (with its traceback as the message); any other error raises
 * RuntimeError with its message. The library takes the
 * returned error over.
 *
 * The function runs on the thread of the call that ran the Python code, and
 * may call back into the same runtime (pyodide_run_python, proxies, ...).
 */
typedef pyodide_error_t* (*pyodide_host_fn)(void* env, const pyodide_value_t* args, size_t nargs,
                                             pyodide_value_t* result);

/**
 * One attribute of a host module: a function when `fn` is not NULL, else the
 * constant `*value` (borrowed, converted once at registration).
 */
typedef struct pyodide_host_member {
  const char*            name;   /* NUL-terminated UTF-8 */
  pyodide_host_fn        fn;
  const pyodide_value_t* value;
} pyodide_host_member_t;

/**
 * Makes `import name` give Python a module of the `n` members (Pyodide's
 * registerJsModule); modules of the standard library take precedence.
 * `name` is NUL-terminated UTF-8, a dotted Python identifier. Every function
 * is called with `env`. `finalizer` (may be NULL) is called with `env`
 * exactly once: when the module is unregistered (after any call into it
 * still running returns) or when the runtime is destroyed; if registration
 * fails it is not called. Errors: USAGE for an invalid or already
 * registered name, a member without a name or without both fn and value.
 */
PYODIDE_API pyodide_error_t* pyodide_register_module(pyodide_t* runtime, const char* name,
                                                     const pyodide_host_member_t* members, size_t n,
                                                     void* env, void (*finalizer)(void* env));

/**
 * Makes later `import name` fail, as Pyodide 0.17's unregisterJsModule: a module
 * already imported stays in sys.modules (delete it there to drop it), and
 * calling its functions raises RuntimeError from now on. USAGE if no module
 * of that name is registered.
 */
PYODIDE_API pyodide_error_t* pyodide_unregister_module(pyodide_t* runtime, const char* name);

/**
 * An error for a host function to return: Python raises the builtin
 * exception named `type` ("ValueError", "KeyError", ...) or, for another
 * name, a subclass of pyodide.HostError of that name, with `message`. Both
 * are NUL-terminated UTF-8 and copied. Owned by the caller until returned
 * from a host function. A NULL or invalid argument gives a USAGE error
 * saying so instead.
 */
PYODIDE_API pyodide_error_t* pyodide_error_new(const char* type, const char* message);

/* ------------------------------------------------------------------------ */
/* Host objects                                                             */
/* ------------------------------------------------------------------------ */

/*
 * A host object is a Python object standing for a host's own `void* obj`
 * (Pyodide's JsProxy the other way round; Lua's userdata with a metatable):
 * Python's attribute access, calls, indexing, len(), dir() and iteration on it
 * call the slots of its class. Its Python type is a subclass of
 * pyodide.HostObject named after the class.
 *
 * Slots receive `obj` and values converted as host function arguments are
 * (borrowed, released when the slot returns; a host object among them arrives
 * as PYODIDE_HOST); a value a slot writes to `*out` (which starts as
 * PYODIDE_NONE) is read as a host function's result: its strings and arrays
 * stay the slot's, its proxies pass to the library, and a PYODIDE_HOST in it
 * becomes (or finds) that host object, so an attribute may be a nested
 * namespace or a callable. A slot returns NULL, or an error to raise in
 * Python exactly as a host function's (pyodide_error_new("AttributeError",
 * ...) for a missing attribute, "KeyError", "IndexError", ...). Each slot may
 * be NULL: Python then raises what it would for an object without that
 * operation (AttributeError for an unknown attribute, TypeError "... is not
 * callable", "... has no len()"). Slots run on the thread of the call that runs
 * the Python code and may call back into the runtime; `finalize` must not.
 *
 * Identity: while Python holds the host object of (cls, obj), passing the same
 * pair again (pyodide_host_object_new, a PYODIDE_HOST value) gives the same
 * Python object. Once Python's last reference is gone, `finalize(obj)` runs,
 * exactly once for each Python object made (also when the runtime is destroyed
 * first), and a later pass makes a new one.
 *
 * A cycle through the host is invisible to Python's garbage collector: if
 * `obj` holds a proxy of a Python object that refers back to the host object,
 * neither is freed until the host destroys its proxy (or the runtime).
 *
 * A class is read when a runtime first uses it and must stay valid and
 * unchanged while that runtime lives (a static table, as a vtable). `size`
 * lets it grow: members past `size` count as NULL.
 */
typedef struct pyodide_host_class {
  size_t      size;   /* sizeof(pyodide_host_class_t): later members may be added */
  const char* name;   /* the Python type's name (NUL-terminated UTF-8) */
  /* Each slot may be NULL: Python then gets the error it would for an object without that operation. */
  /* `obj.name` (name: `len` bytes of UTF-8), tried after the class's methods. */
  pyodide_error_t* (*get_attr)(void* obj, const char* name, size_t len, pyodide_value_t* out);
  /* `obj.name = *value`; `value` is NULL for `del obj.name`. */
  pyodide_error_t* (*set_attr)(void* obj, const char* name, size_t len, const pyodide_value_t* value);
  /* `obj(*args)`. */
  pyodide_error_t* (*call)(void* obj, const pyodide_value_t* args, size_t nargs, pyodide_value_t* out);
  /* `obj[*key]`. */
  pyodide_error_t* (*get_item)(void* obj, const pyodide_value_t* key, pyodide_value_t* out);
  /* `len(obj)`. */
  pyodide_error_t* (*length)(void* obj, size_t* out);
  void (*finalize)(void* obj);    /* exactly once: Python's last reference is gone, or the runtime is destroyed */
  /* Added after the first layout: read only when `size` covers them. */
  /* `dir(obj)`: a LIST of STR names, listed after the methods. */
  pyodide_error_t* (*dir)(void* obj, pyodide_value_t* out);
  /* `obj[*key] = *value`; `value` is NULL for `del obj[*key]`. */
  pyodide_error_t* (*set_item)(void* obj, const pyodide_value_t* key, const pyodide_value_t* value);
  /* `iter(obj)`: `*out` is something Python iterates over instead (a LIST, a proxy,
     a PYODIDE_HOST object whose class has `next`). */
  pyodide_error_t* (*iter)(void* obj, pyodide_value_t* out);
  /* `next(obj)`: the object is its own iterator; set `*done` (it starts false) to end. */
  pyodide_error_t* (*next)(void* obj, pyodide_value_t* out, bool* done);
  /* Methods: `obj.methods[i](*args)` calls `call_method(obj, i, args, nargs, out)`
     in one step (no attribute lookup, no bound object); they are real methods of
     the Python type, listed by dir(). `nmethods` NUL-terminated UTF-8 identifiers. */
  const char* const* methods;
  size_t nmethods;
  pyodide_error_t* (*call_method)(void* obj, size_t method, const pyodide_value_t* args, size_t nargs,
                                  pyodide_value_t* out);
} pyodide_host_class_t;

/**
 * A Python object standing for `obj` (see above); `*out` is a proxy of it, to
 * put anywhere (pyproxy_set, an argument, a host function's result), owned by
 * the caller. `cls` is borrowed for the runtime's life; `obj` is the host's
 * (NULL is a valid object). The same (cls, obj) while its Python object lives
 * gives that object again. If this call fails, `finalize` is not called for it.
 * Errors: USAGE for a NULL or destroyed runtime, NULL `cls` or `out`, a `size`
 * smaller than the first layout (through `finalize`), a NULL, empty or invalid
 * UTF-8 name, or methods that are not identifiers (or without call_method).
 */
PYODIDE_API pyodide_error_t* pyodide_host_object_new(pyodide_t* runtime, const pyodide_host_class_t* cls,
                                                     void* obj, pyproxy_t** out);

/* ------------------------------------------------------------------------ */
/* Async                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * Each runtime has an asyncio event loop in the guest, driven by the host (as
 * Pyodide's is driven by JavaScript): callbacks, timers and tasks advance only
 * inside pyodide_run_pending, pyodide_await and pyodide_run_python_async.
 * Between steps these wait outside the runtime's lock (sleeping until the
 * next timer: no CPU is burnt), so other threads may call in meanwhile, e.g.
 * to complete a future with pyodide_future_resolve. asyncio.run() inside
 * Python also works and blocks that call until it is done.
 */

/**
 * Pyodide's runPythonAsync: runs `code` with top-level `await` allowed and
 * waits, driving the event loop, until it and everything it awaits has
 * completed; `*result` (may be NULL) receives the final expression's value.
 * Blocks the calling thread. The runtime's deadline bounds the whole call
 * (each step, and the waiting between them): past it the code is cancelled
 * and the call fails with LIMIT. pyodide_interrupt ends it with a PYTHON
 * KeyboardInterrupt, also while it waits. Errors as pyodide_run_python.
 */
PYODIDE_API pyodide_error_t* pyodide_run_python_async(pyodide_t* runtime, const char* code, size_t len,
                                                      pyproxy_t* globals, pyodide_value_t* result);

/**
 * Drives the event loop: runs ready callbacks and due timers, waiting for
 * timers, for up to `timeout_s` seconds (0: only what is ready now; < 0:
 * until nothing is scheduled). `*out_idle` (may be NULL) tells whether the
 * loop went idle (nothing scheduled) rather than running out of time.
 */
PYODIDE_API pyodide_error_t* pyodide_run_pending(pyodide_t* runtime, double timeout_s, bool* out_idle);

/**
 * Waits for `awaitable` (a coroutine, task or future; anything
 * asyncio.ensure_future accepts, else a PYTHON TypeError), driving the event
 * loop, for up to `timeout_s` seconds (< 0: no limit). `*out` (may be NULL)
 * receives its result; if it failed, its exception is returned as a PYTHON
 * error. Past the timeout: a LIMIT error, and the awaitable stays pending.
 */
PYODIDE_API pyodide_error_t* pyodide_await(pyodide_t* runtime, pyproxy_t* awaitable, double timeout_s,
                                           pyodide_value_t* out);

/**
 * Pyodide's PyProxy.then: `*out` receives a proxy of a new future that
 * settles with `fn`'s result, `fn` being called with the awaitable's result
 * as its one argument when the event loop runs; if the awaitable fails, the
 * new future fails the same way and `fn` is not called. `fn` is a host
 * function (see pyodide_host_fn); an error it returns fails the new future.
 * `finalizer` (may be NULL) is called with `env` once the callback can no
 * longer be called (after the awaitable settled, or when the runtime is
 * destroyed); if this call fails it is not called.
 */
PYODIDE_API pyodide_error_t* pyproxy_then(pyproxy_t* awaitable, pyodide_host_fn fn, void* env,
                                          void (*finalizer)(void* env), pyproxy_t** out);

/** Pyodide's PyProxy.catch: as pyproxy_then, but `fn` receives the exception
 *  (a PROXY) if the awaitable fails; a successful result passes through. */
PYODIDE_API pyodide_error_t* pyproxy_catch(pyproxy_t* awaitable, pyodide_host_fn fn, void* env,
                                           void (*finalizer)(void* env), pyproxy_t** out);

/** Pyodide's PyProxy.finally: `fn` is called with no arguments when the
 *  awaitable settles; the new future settles as the awaitable did (or fails
 *  with `fn`'s error). */
PYODIDE_API pyodide_error_t* pyproxy_finally(pyproxy_t* awaitable, pyodide_host_fn fn, void* env,
                                             void (*finalizer)(void* env), pyproxy_t** out);

/**
 * A new asyncio future for the host to complete later: return it from a host
 * function and Python can `await` host work (I/O, timers, another thread's
 * result). Complete it with pyodide_future_resolve or pyodide_future_reject,
 * from any thread; Python resumes the next time the loop runs.
 */
PYODIDE_API pyodide_error_t* pyodide_future_new(pyodide_t* runtime, pyproxy_t** out);

/** Completes a future with `value` (borrowed). A future already done is a
 *  PYTHON InvalidStateError. */
PYODIDE_API pyodide_error_t* pyodide_future_resolve(pyproxy_t* future, const pyodide_value_t* value);

/** Fails a future with the exception that `error` (borrowed; e.g. from
 *  pyodide_error_new) raises in a host function. */
PYODIDE_API pyodide_error_t* pyodide_future_reject(pyproxy_t* future, const pyodide_error_t* error);

/* ------------------------------------------------------------------------ */
/* Buffers                                                                  */
/* ------------------------------------------------------------------------ */

/**
 * A Python buffer seen in place, as Pyodide's PyBuffer: `first` points into
 * the interpreter's memory, so host writes are visible to Python and
 * Python's to the host. The memory does not move while the buffer is held,
 * even when Python grows its heap. Filled by pyproxy_get_buffer; every
 * pointer in it is owned by the library and valid until pybuffer_release
 * (or the runtime's destruction, after which `data`/`first` must not be
 * touched).
 *
 * Element [i0, ..., in] lives at `(char*)first + i0*byte_strides[0] + ...`,
 * or equivalently at element index `offset + i0*strides[0] + ...` from
 * `data`. Strides may be negative (reversed views).
 */
typedef struct pybuffer {
  void*            data;          /* start of the memory segment the buffer spans   */
  ptrdiff_t        offset;        /* element index of [0,...,0] within data       */
  void*            first;         /* address of element [0,...,0]                   */
  size_t           nbytes, itemsize, ndim;
  const ptrdiff_t* shape;
  const ptrdiff_t* strides;       /* in elements, as Pyodide's PyBuffer             */
  const ptrdiff_t* byte_strides;  /* in bytes, as Python's Py_buffer                */
  const char*      format;        /* struct-module format, e.g. "d", "<i", "B"      */
  bool readonly, c_contiguous, f_contiguous;
  void* reserved;                 /* owned by the library                           */
} pybuffer_t;

/**
 * Exports the object's buffer into `*out` without copying.
 *
 * `nbytes` is the size of the segment [data, data + nbytes) the elements
 * span (0 for an empty buffer). `format` is the struct-module format;
 * native-size codes whose size differs in the 32-bit interpreter ("l",
 * "L", "n", "N", "P") are given in their explicit little-endian spelling
 * ("<i", "<I"). `type` (NULL = keep the buffer's format) reinterprets the
 * elements, with Pyodide's names: "i8" "u8" "u8clamped" "i16" "u16" "i32"
 * "u32" "i64" "u64" "f32" "f64" "dataview". With the same item size only
 * the format changes; with another the buffer must be C-contiguous and a
 * whole, aligned number of new elements, and becomes one-dimensional;
 * otherwise a USAGE error says why.
 *
 * While the buffer is held Python's own rules apply (resizing a bytearray
 * raises BufferError). A type without the buffer protocol is a PYTHON
 * TypeError.
 */
PYODIDE_API pyodide_error_t* pyproxy_get_buffer(pyproxy_t* proxy, const char* type, pybuffer_t* out);

/**
 * Ends the export and zeroes `*buffer`. NULL, zeroed and already released
 * buffers are ignored.
 */
PYODIDE_API void pybuffer_release(pybuffer_t* buffer);

/* ------------------------------------------------------------------------ */
/* Packages                                                                 */
/* ------------------------------------------------------------------------ */

/*
 * Packages load as with Pyodide's loadPackage: by name from the package index
 * (config->index_url: a local directory or an http(s) URL holding
 * pyodide-lock.json, Pyodide's lock-file format, and the wheels it names; or
 * the URL of the lock file itself, ending in ".json"), or as a wheel named by
 * path or URL. Names are compared normalized ("Six", "six" and "SIX" are one
 * package). Dependencies listed in the lock file load first, each once.
 *
 * Downloads are kept in an on-disk cache shared by runtimes and processes,
 * $PYODIDE_CACHE/packages or ~/.cache/pyodide-native/packages, as
 * <sha256>.whl, and every file is checked against the lock file's sha256. A
 * lock file read over http(s) is read once per process. Wheels are unpacked
 * into the runtime's private site-packages (/home/pyodide/site-packages,
 * deleted with the runtime), after which Python imports them like any module.
 * Only pure-Python wheels load (a "-none-any.whl" tag and no .so files).
 *
 * Failures are PYODIDE_ERROR_IO errors naming the problem: an unknown name,
 * an unreachable file, a checksum mismatch (the bad download is not kept), a
 * malformed lock file, a wheel with an entry that would land outside
 * site-packages (an absolute path, "..", a symbolic link) or with compiled
 * code. Such a failure installs nothing: every file is fetched, checked and
 * unpacked into a staging directory before anything moves into
 * site-packages. Only a failure while moving files into place (a full disk)
 * can leave the packages moved before it installed; they then count as
 * loaded, and the error message names them.
 *
 * The callbacks run on the calling thread while the call runs; `on_message`
 * receives each step ("Loading six", "Downloading six from <url>", "Loaded six
 * from <url>", "six already loaded from <url>", "No new packages to load"),
 * `on_error` receives the text of an IO error once, before the call returns
 * that error. Either may be NULL. They must not load packages into the same runtime (that
 * is refused with a USAGE error).
 */

/** Receives one line of progress or error text (UTF-8, `len` bytes, NUL-terminated). */
typedef void (*pyodide_message_fn)(void* env, const char* message, size_t len);

/**
 * Loads packages, as Pyodide's loadPackage. `names` holds `n` NUL-terminated
 * UTF-8 strings (`names` may be NULL when `n` is 0): package names of the
 * index, or paths or http(s)/file URLs of ".whl" files (no dependencies; a
 * "#sha256=<64 hex digits>" suffix has the file checked). A package already
 * loaded is reported through `on_message`, not as an error; one already loaded
 * from another wheel is an IO error ("URI mismatch"). Names without an index
 * configured are IO errors.
 *
 * Errors: USAGE for a NULL or destroyed runtime, NULL `names` with n > 0, a
 * NULL, empty or invalid UTF-8 name; IO as described above; PYTHON or LIMIT if
 * telling Python about the new files fails.
 */
PYODIDE_API pyodide_error_t* pyodide_load_package(pyodide_t* runtime, const char* const* names, size_t n,
                                                  pyodide_message_fn on_message, pyodide_message_fn on_error,
                                                  void* env);

/**
 * Loads the packages `code` needs, as Pyodide's loadPackagesFromImports: the
 * top-level modules it imports (pyodide.find_imports, run in the runtime)
 * are looked up in the lock file's "imports" lists and the packages providing
 * them load as by pyodide_load_package. Imports that no package provides are
 * ignored (all of them when no index is configured); when none remain,
 * nothing happens. `code` is `len` bytes of UTF-8 (or NUL-terminated with
 * PYODIDE_STRLEN). Errors: PYTHON (SyntaxError) when the code does not parse;
 * otherwise as pyodide_load_package.
 */
PYODIDE_API pyodide_error_t* pyodide_load_packages_from_imports(pyodide_t* runtime, const char* code, size_t len,
                                                                pyodide_message_fn on_message,
                                                                pyodide_message_fn on_error, void* env);

/**
 * The packages loaded into `runtime`, as Pyodide's loadedPackages: `*out`
 * receives an owned PYODIDE_DICT mapping each normalized package name (STR) to
 * where it came from (STR: the wheel's URL or absolute path), in load order.
 * Release it with pyodide_value_release.
 */
PYODIDE_API pyodide_error_t* pyodide_loaded_packages(pyodide_t* runtime, pyodide_value_t* out);

/**
 * Sets the package indexes the guest's `micropip` may use, in order of
 * preference, replacing earlier ones: `urls` holds `n` NUL-terminated UTF-8
 * strings (`urls` may be NULL when `n` is 0), each a PEP 691 (JSON) or PEP 503
 * (HTML) simple index, or a plain directory of wheels, as an http(s) or file
 * URL or a local directory path. None is configured by default (micropip then
 * installs only what the lock-file index, config->index_url, has). Python may
 * choose among these URLs and URLs under them (micropip.set_index_urls,
 * install(index_urls=...)), never others; the library fetches index pages
 * only from them and files only from their hosts (a local index: from inside
 * its directory), following no redirect elsewhere.
 *
 * Errors: USAGE for a NULL or destroyed runtime, NULL `urls` with n > 0, a
 * NULL, empty or invalid UTF-8 URL, or one that is not an http(s)/file URL or
 * a path (then the earlier indexes stay).
 */
PYODIDE_API pyodide_error_t* pyodide_set_index_urls(pyodide_t* runtime, const char* const* urls, size_t n);

/**
 * Installs packages as Python's `await micropip.install(requirements)`:
 * `requirements` holds `n` NUL-terminated UTF-8 PEP 508 strings ("attrs>=22",
 * "importlib-metadata[perf]", "six; python_version >= '3'"). They and their
 * dependencies are resolved (with backtracking) against the lock-file index
 * (config->index_url), which keeps priority for the names it has, then the
 * indexes of pyodide_set_index_urls; yanked files, files whose Requires-Python
 * excludes this interpreter and wheels that are not pure Python are skipped.
 * The chosen wheels are downloaded into the package cache (checked against the
 * index's sha256), checked and installed as by pyodide_load_package. Packages
 * already installed in a version that fits are kept.
 *
 * `on_message` (may be NULL) receives each step ("Downloading six from <url>",
 * "Loaded six from <url>", "No new packages to install") on the calling
 * thread; it must not install into the same runtime.
 *
 * Errors: USAGE for a NULL or destroyed runtime, NULL `requirements` with
 * n > 0, a NULL, empty or invalid UTF-8 requirement; PYTHON with type
 * ValueError when the requirements cannot be met (the message names the
 * conflicting requirements and why each file was set aside) and OSError when a
 * file cannot be fetched, does not match its hash, or is not a safe
 * pure-Python wheel (nothing is installed then); LIMIT for the runtime's
 * deadline.
 */
PYODIDE_API pyodide_error_t* pyodide_install(pyodide_t* runtime, const char* const* requirements, size_t n,
                                             pyodide_message_fn on_message, void* env);

/* ------------------------------------------------------------------------ */
/* Process-wide defaults (deprecated, as in Pyodide 0.17)                   */
/* ------------------------------------------------------------------------ */

/*
 * Deprecated (as in Pyodide 0.17): prefer pyodide_load with a config, and owning
 * the runtime. They stay, and keep working, for code written against the
 * Pyodide 0.17's globals:
 *
 *  - languagePluginUrl (the index URL set before loading) is the environment
 *    variable PYODIDE_INDEX_URL; PYODIDE_ASSET_DIR likewise names the asset
 *    directory. pyodide_load reads both for a NULL config or a NULL
 *    config->index_url / config->asset_dir (see pyodide_load); an empty
 *    value counts as unset. pyodide_config_init leaves the fields NULL.
 *  - languagePluginLoader (the promise of the automatic load) and the global
 *    `pyodide` (the runtime it loaded) are pyodide_default.
 */

/**
 * Deprecated (as in Pyodide 0.17): prefer pyodide_load with a config.
 *
 * The process-wide default runtime into `*out`: loaded on the first call,
 * exactly as pyodide_load(NULL, ...) loads (so PYODIDE_ASSET_DIR and
 * PYODIDE_INDEX_URL apply), and the same pyodide_t* for every later call.
 * Threads racing for it wait for one load. If that load failed, this call and
 * every later one return the same failure (a new error each, with the same
 * kind, type and message): like Pyodide 0.17's rejected loader promise it is
 * never retried, and setting the environment afterwards changes nothing.
 *
 * The runtime belongs to the library and lives until the process exits:
 * pyodide_destroy on it is ignored (it stays usable). Its proxies, buffers
 * and host modules work as with any runtime. Errors: USAGE for a NULL `out`;
 * otherwise those of pyodide_load.
 */
PYODIDE_API pyodide_error_t* pyodide_default(pyodide_t** out);

/* ------------------------------------------------------------------------ */
/* Diagnostics                                                              */
/* ------------------------------------------------------------------------ */

/** Counters for leak checks and monitoring. */
typedef struct pyodide_stats {
  size_t   size;            /* sizeof(pyodide_stats_t), set by the caller              */
  uint64_t memory_bytes;    /* the runtime's linear memory (it never shrinks)          */
  uint64_t guest_objects;   /* objects the runtime holds for the host: proxies, buffers */
  uint64_t process_proxies; /* live pyproxy_t in the whole process                     */
  uint64_t process_buffers; /* live pybuffer_t in the whole process                    */
} pyodide_stats_t;

/**
 * Fills `*out` (whose `size` the caller sets to sizeof(pyodide_stats_t); a
 * smaller size is a USAGE error).
 */
PYODIDE_API pyodide_error_t* pyodide_stats(pyodide_t* runtime, pyodide_stats_t* out);

#ifdef __cplusplus
}
#endif

#endif /* PYODIDE_H */
