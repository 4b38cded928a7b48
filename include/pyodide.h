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

/** Frees an error. NULL and already-deleted errors are ignored. */
PYODIDE_API void pyodide_error_delete(pyodide_error_t* error);

/* ------------------------------------------------------------------------ */
/* Values                                                                   */
/* ------------------------------------------------------------------------ */

/** A handle to a Python object living inside a runtime. */
typedef struct pyproxy pyproxy_t;

typedef enum {
  PYODIDE_NONE, PYODIDE_BOOL, PYODIDE_INT, PYODIDE_FLOAT, PYODIDE_STR,
  PYODIDE_BYTES, PYODIDE_LIST, PYODIDE_DICT, PYODIDE_PROXY
} pyodide_kind_t;

/**
 * A value crossing the boundary.
 *
 * Python → host: None, bool, int (within int64), float, str and bytes arrive
 * by value; anything else arrives as PYODIDE_PROXY, including ints outside
 * int64 and strs holding lone surrogates (they have no exact host form).
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

/** Receives `len` bytes of UTF-8 text written by Python. */
typedef void (*pyodide_write_fn)(void* env, const char* data, size_t len);

/** A host directory made visible to Python at `guest_path`. */
typedef struct pyodide_mount {
  const char* host_path;  const char* guest_path;  bool read_only;
} pyodide_mount_t;

typedef struct pyodide_config {
  size_t      size;          /* sizeof(pyodide_config_t): lets the struct grow compatibly */
  const char* asset_dir;     /* NULL = the pyodide/ folder beside libpyodide.so          */
  const char* index_url;     /* package index: directory or http(s) URL; NULL = none     */
  uint64_t    memory_limit;  /* bytes the interpreter may use; 0 = the default           */
  double      timeout_s;     /* default deadline per call; 0 = none                      */
  const pyodide_mount_t* mounts; size_t nmounts; /* host dirs visible to Python          */
  pyodide_write_fn stdout_fn, stderr_fn; void* io_env; /* NULL = the process's own       */
} pyodide_config_t;

/**
 * Fills every field of `config` with its default: size = sizeof(*config),
 * everything else zero/NULL. NULL is ignored.
 */
PYODIDE_API void pyodide_config_init(pyodide_config_t* config);

/**
 * Starts a new interpreter.
 *
 * `config` is borrowed (NULL = all defaults); its strings are copied.
 * Python sees the bundled standard library (read-only), a private writable
 * home directory /home/pyodide (deleted by pyodide_destroy), the configured
 * mounts and nothing else of the host; its environment is empty but for
 * HOME. Python's stdout and stderr go to `stdout_fn`/`stderr_fn` (called
 * with `io_env`), or to the process's own streams when NULL; the callbacks
 * run on the thread that made the call, while it runs.
 *
 * On success `*out` receives a runtime owned by the caller (free with
 * pyodide_destroy). Errors: USAGE for a NULL `out`, a bad `size` or
 * mount; IO when the assets cannot be read; PYTHON if start-up fails.
 */
PYODIDE_API pyodide_error_t* pyodide_load(const pyodide_config_t* config, pyodide_t** out);

/**
 * Destroys a runtime and frees all it holds. Proxies of it stay valid
 * handles that report USAGE errors until destroyed. NULL and already
 * destroyed runtimes are ignored. Must not be called while another thread
 * is inside a call on the same runtime.
 */
PYODIDE_API void pyodide_destroy(pyodide_t* runtime);

/** The library's version, e.g. "0.1.0". A static string. */
PYODIDE_API const char* pyodide_version(void);

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
 * Releases the proxy's reference to its object. NULL and already destroyed
 * proxies are ignored; so are proxies whose runtime was destroyed (their
 * handle is freed).
 */
PYODIDE_API void pyproxy_destroy(pyproxy_t* proxy);

#ifdef __cplusplus
}
#endif

#endif /* PYODIDE_H */
