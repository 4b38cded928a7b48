/* The resource module, which CPython does not build for WASI (wasi-libc has
 * neither getrlimit nor setrlimit). It says what is true of a runtime, with
 * python3's names, numbers (Linux's) and errors:
 *  - getrusage: CPU time from the host (clocks.c: the host process's, or its
 *    thread's for RUSAGE_THREAD), ru_maxrss the linear memory in KiB (it only
 *    grows, so it is the peak), no children, the other counts 0.
 *  - RLIMIT_AS and RLIMIT_DATA: the runtime's memory. The host's memory limit
 *    (PyodideOptions.MemoryLimit; the memory_limit import) caps both; Python
 *    may lower them as a process may, and they are enforced here: the heap
 *    (wasi-libc's malloc grows it with sbrk, wrapped at the link by
 *    build-guest.sh) does not grow past the lower soft limit, so allocations
 *    beyond it raise MemoryError. Kept in linear memory, so a snapshot
 *    carries them, as a child process inherits its parent's.
 *  - RLIMIT_STACK: the wasm stack, fixed at the link; RLIMIT_CPU,
 *    RLIMIT_FSIZE, RLIMIT_NOFILE: nothing limits them in the sandbox
 *    (a call's deadline is the host's, in wall time). These cannot be
 *    lowered (ValueError): that would promise a limit nothing enforces.
 *  - The rest concern what no runtime can do (dump core, make processes,
 *    lock memory, queue messages, change priority): any valid value is kept
 *    and trivially honoured, as RLIMIT_RSS is by Linux itself. */
#include "bridge.h"

#include <errno.h>
#include <unistd.h>

#define LIMIT_INFINITY UINT64_MAX /* RLIM_INFINITY, -1 in Python as in python3 */

enum {
  LIMIT_CPU, LIMIT_FSIZE, LIMIT_DATA, LIMIT_STACK, LIMIT_CORE, LIMIT_RSS, LIMIT_NPROC, LIMIT_NOFILE,
  LIMIT_MEMLOCK, LIMIT_AS, LIMIT_LOCKS, LIMIT_SIGPENDING, LIMIT_MSGQUEUE, LIMIT_NICE, LIMIT_RTPRIO,
  LIMIT_RTTIME, LIMITS
};
enum { USAGE_CHILDREN = -1, USAGE_SELF = 0, USAGE_THREAD = 1 };

typedef struct { uint64_t cur, max; } limit_t;

/* What getrlimit says of each resource, before the host's memory limit. */
static limit_t limits[LIMITS] = {
  [LIMIT_CPU] = {LIMIT_INFINITY, LIMIT_INFINITY},     [LIMIT_FSIZE] = {LIMIT_INFINITY, LIMIT_INFINITY},
  [LIMIT_DATA] = {LIMIT_INFINITY, LIMIT_INFINITY},    [LIMIT_STACK] = {0, 0} /* the stack's size, at first use */,
  [LIMIT_CORE] = {0, LIMIT_INFINITY},                 [LIMIT_RSS] = {LIMIT_INFINITY, LIMIT_INFINITY},
  [LIMIT_NPROC] = {LIMIT_INFINITY, LIMIT_INFINITY},   [LIMIT_NOFILE] = {LIMIT_INFINITY, LIMIT_INFINITY},
  [LIMIT_MEMLOCK] = {LIMIT_INFINITY, LIMIT_INFINITY}, [LIMIT_AS] = {LIMIT_INFINITY, LIMIT_INFINITY},
  [LIMIT_LOCKS] = {LIMIT_INFINITY, LIMIT_INFINITY},   [LIMIT_SIGPENDING] = {LIMIT_INFINITY, LIMIT_INFINITY},
  [LIMIT_MSGQUEUE] = {LIMIT_INFINITY, LIMIT_INFINITY}, [LIMIT_NICE] = {0, 0},
  [LIMIT_RTPRIO] = {0, 0},                            [LIMIT_RTTIME] = {LIMIT_INFINITY, LIMIT_INFINITY},
};

/* bytes = the host's memory limit; 0 when it has none. 0 or a WASI errno. */
__attribute__((import_module("pyodide"), import_name("memory_limit")))
extern int32_t host_memory_limit(int64_t* bytes);

/* The wasm stack's bounds (--stack-first: it lies below the data and the heap). */
extern unsigned char __stack_low, __stack_high;

static uint64_t min_limit(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* Resource `resource`'s limits as a process in the sandbox has them; -1 with errno set. */
static int get_limit(int resource, limit_t* out) {
  if (resource == LIMIT_STACK && limits[LIMIT_STACK].max == 0) {
    uint64_t size = (uint64_t)(&__stack_high - &__stack_low);
    limits[LIMIT_STACK] = (limit_t){size, size};
  }
  *out = limits[resource];
  if (resource == LIMIT_AS || resource == LIMIT_DATA) {
    int64_t host = 0;
    int32_t err = host_memory_limit(&host);
    if (err != 0) {
      errno = err;
      return -1;
    }
    if (host > 0) *out = (limit_t){min_limit(out->cur, (uint64_t)host), min_limit(out->max, (uint64_t)host)};
  }
  return 0;
}

static const char* const limit_names[LIMITS] = {
  "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS",
  "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS",
  "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
};

/* Sets resource `resource`'s limits, with setrlimit's errors as python3 raises
 * them; `old` (if not NULL) receives what they were. 0, or -1 with an error set.
 * A limit the sandbox cannot change is a ValueError, as python3's "not allowed
 * to raise maximum limit" is (CPython's test_resource expects ValueError of a
 * platform whose RLIMIT_FSIZE cannot be changed). */
static int set_limit(int resource, limit_t want, limit_t* old) {
  limit_t now;
  if (get_limit(resource, &now) < 0) {
    PyErr_SetFromErrno(PyExc_OSError);
    return -1;
  }
  const char* refused = NULL;
  if (want.cur > want.max) refused = "current limit exceeds maximum limit";
  else if (want.max > now.max) refused = "not allowed to raise maximum limit";
  if (refused != NULL) {
    PyErr_SetString(PyExc_ValueError, refused);
    return -1;
  }
  int unenforced = resource == LIMIT_CPU || resource == LIMIT_FSIZE || resource == LIMIT_STACK ||
                   resource == LIMIT_NOFILE;
  if (unenforced && (want.cur != now.cur || want.max != now.max)) {
    PyErr_Format(PyExc_ValueError,
                 "not allowed to change %s: the sandbox does not enforce it "
                 "(only RLIMIT_AS and RLIMIT_DATA can be lowered)", limit_names[resource]);
    return -1;
  }
  if (old != NULL) *old = now;
  limits[resource] = want;
  return 0;
}

/* The heap grows no further than the lower of RLIMIT_AS's and RLIMIT_DATA's soft limits. */
void* __real_sbrk(intptr_t increment);
void* __wrap_sbrk(intptr_t increment) {
  uint64_t ceiling = min_limit(limits[LIMIT_AS].cur, limits[LIMIT_DATA].cur);
  if (increment > 0 && ceiling != LIMIT_INFINITY &&
      (uint64_t)(uintptr_t)__real_sbrk(0) + (uint64_t)increment > ceiling) {
    errno = ENOMEM;
    return (void*)-1;
  }
  return __real_sbrk(increment);
}

/* --- the module ------------------------------------------------------------- */

static PyTypeObject* rusage_type;

static PyStructSequence_Field rusage_fields[] = {
  {"ru_utime", "user time used"},
  {"ru_stime", "system time used"},
  {"ru_maxrss", "max. resident set size"},
  {"ru_ixrss", "shared memory size"},
  {"ru_idrss", "unshared data size"},
  {"ru_isrss", "unshared stack size"},
  {"ru_minflt", "page faults not requiring I/O"},
  {"ru_majflt", "page faults requiring I/O"},
  {"ru_nswap", "number of swap outs"},
  {"ru_inblock", "block input operations"},
  {"ru_oublock", "block output operations"},
  {"ru_msgsnd", "IPC messages sent"},
  {"ru_msgrcv", "IPC messages received"},
  {"ru_nsignals", "signals received"},
  {"ru_nvcsw", "voluntary context switches"},
  {"ru_nivcsw", "involuntary context switches"},
  {0},
};

static PyStructSequence_Desc rusage_desc = {
  "resource.struct_rusage",
  "What getrusage returns: a 16-tuple of the usage counts (user and system CPU time,\n"
  "the peak resident size in KiB, faults, I/O and message counts, context switches),\n"
  "whose items are also the attributes ru_utime, ru_stime, ru_maxrss, ... ru_nivcsw.",
  rusage_fields, 16,
};

static PyObject* resource_getrusage(PyObject* self, PyObject* arg) {
  (void)self;
  int who = _PyLong_AsInt(arg);
  if (who == -1 && PyErr_Occurred()) return NULL;
  if (who != USAGE_SELF && who != USAGE_THREAD && who != USAGE_CHILDREN) {
    PyErr_SetString(PyExc_ValueError, "invalid who parameter");
    return NULL;
  }
  int64_t cpu[2] = {0, 0};
  long maxrss = 0;
  if (who != USAGE_CHILDREN) { /* the sandbox has no child processes */
    if (cpu_times(who == USAGE_THREAD, cpu) < 0) return PyErr_SetFromErrno(PyExc_OSError);
    maxrss = (long)(__builtin_wasm_memory_size(0) * (65536 / 1024));
  }
  PyObject* result = PyStructSequence_New(rusage_type);
  if (result == NULL) return NULL;
  PyStructSequence_SET_ITEM(result, 0, PyFloat_FromDouble((double)cpu[0] * 1e-9));
  PyStructSequence_SET_ITEM(result, 1, PyFloat_FromDouble((double)cpu[1] * 1e-9));
  PyStructSequence_SET_ITEM(result, 2, PyLong_FromLong(maxrss));
  for (Py_ssize_t i = 3; i < 16; i++) PyStructSequence_SET_ITEM(result, i, PyLong_FromLong(0));
  if (PyErr_Occurred()) Py_CLEAR(result);
  return result;
}

/* A resource number from Python; -1 with an error set. */
static int resource_number(PyObject* obj) {
  int resource = _PyLong_AsInt(obj);
  if (resource == -1 && PyErr_Occurred()) return -1;
  if (resource < 0 || resource >= LIMITS) {
    PyErr_SetString(PyExc_ValueError, "invalid resource specified");
    return -1;
  }
  return resource;
}

/* (soft, hard) as python3 gives them: RLIM_INFINITY as -1. */
static PyObject* limit_to_python(limit_t limit) {
  return Py_BuildValue("LL", (long long)limit.cur, (long long)limit.max);
}

/* A (soft, hard) sequence of two ints, as python3 reads it (-1, or any value
 * past 2**63, as RLIM_INFINITY); -1 with an error set. */
static int limit_from_python(PyObject* obj, limit_t* out) {
  PyObject* pair = PySequence_Tuple(obj);
  if (pair == NULL) return -1;
  int ok = 0;
  if (PyTuple_GET_SIZE(pair) != 2) {
    PyErr_SetString(PyExc_ValueError, "expected a tuple of 2 integers");
  } else {
    long long cur = PyLong_AsLongLong(PyTuple_GET_ITEM(pair, 0));
    long long max = cur == -1 && PyErr_Occurred() ? -1 : PyLong_AsLongLong(PyTuple_GET_ITEM(pair, 1));
    if (!PyErr_Occurred()) {
      *out = (limit_t){(uint64_t)cur, (uint64_t)max};
      ok = 1;
    }
  }
  Py_DECREF(pair);
  return ok ? 0 : -1;
}

static PyObject* resource_getrlimit(PyObject* self, PyObject* arg) {
  (void)self;
  int resource = resource_number(arg);
  if (resource < 0) return NULL;
  limit_t limit;
  if (get_limit(resource, &limit) < 0) return PyErr_SetFromErrno(PyExc_OSError);
  return limit_to_python(limit);
}

static PyObject* resource_setrlimit(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  (void)self;
  if (!_PyArg_CheckPositional("setrlimit", nargs, 2, 2)) return NULL;
  int resource = resource_number(args[0]);
  if (resource < 0 || PySys_Audit("resource.setrlimit", "iO", resource, args[1]) < 0) return NULL;
  limit_t want;
  if (limit_from_python(args[1], &want) < 0 || set_limit(resource, want, NULL) < 0) return NULL;
  Py_RETURN_NONE;
}

/* prlimit(pid, resource[, limits]): only of this process (pid 0 or its own). */
static PyObject* resource_prlimit(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  (void)self;
  if (!_PyArg_CheckPositional("prlimit", nargs, 2, 3)) return NULL;
  int pid = _PyLong_AsInt(args[0]);
  if (pid == -1 && PyErr_Occurred()) return NULL;
  int resource = resource_number(args[1]);
  if (resource < 0 || PySys_Audit("resource.prlimit", "iiO", pid, resource, nargs == 3 ? args[2] : Py_None) < 0)
    return NULL;
  limit_t want, old;
  if (nargs == 3 && limit_from_python(args[2], &want) < 0) return NULL;
  if (pid != 0 && pid != getpid()) {
    errno = ESRCH; /* the sandbox sees no other process */
    return PyErr_SetFromErrno(PyExc_OSError);
  }
  if (nargs == 3) {
    if (set_limit(resource, want, &old) < 0) return NULL;
  } else if (get_limit(resource, &old) < 0) {
    return PyErr_SetFromErrno(PyExc_OSError);
  }
  return limit_to_python(old);
}

static PyObject* resource_getpagesize(PyObject* self, PyObject* unused) {
  (void)self, (void)unused;
  return PyLong_FromLong(sysconf(_SC_PAGESIZE));
}

static PyMethodDef resource_methods[] = {
  {"getrusage", resource_getrusage, METH_O, "getrusage($module, who, /)\n--\n\n"},
  {"getrlimit", resource_getrlimit, METH_O, "getrlimit($module, resource, /)\n--\n\n"},
  {"setrlimit", (PyCFunction)(void (*)(void))resource_setrlimit, METH_FASTCALL,
   "setrlimit($module, resource, limits, /)\n--\n\n"},
  {"prlimit", (PyCFunction)(void (*)(void))resource_prlimit, METH_FASTCALL,
   "prlimit(pid, resource, [limits])"},
  {"getpagesize", resource_getpagesize, METH_NOARGS, "getpagesize($module, /)\n--\n\n"},
  {NULL, NULL, 0, NULL},
};

static struct PyModuleDef resource_module = {
  PyModuleDef_HEAD_INIT, "resource", NULL, -1, resource_methods,
};

PyObject* PyInit_resource(void) {
  if (rusage_type == NULL) {
    rusage_type = PyStructSequence_NewType(&rusage_desc);
    if (rusage_type == NULL) return NULL;
  }
  PyObject* module = PyModule_Create(&resource_module);
  if (module == NULL) return NULL;
  static const struct { const char* name; long long value; } constants[] = {
    {"RLIMIT_CPU", LIMIT_CPU},         {"RLIMIT_FSIZE", LIMIT_FSIZE},     {"RLIMIT_DATA", LIMIT_DATA},
    {"RLIMIT_STACK", LIMIT_STACK},     {"RLIMIT_CORE", LIMIT_CORE},       {"RLIMIT_NOFILE", LIMIT_NOFILE},
    {"RLIMIT_OFILE", LIMIT_NOFILE},    {"RLIMIT_AS", LIMIT_AS},           {"RLIMIT_RSS", LIMIT_RSS},
    {"RLIMIT_NPROC", LIMIT_NPROC},     {"RLIMIT_MEMLOCK", LIMIT_MEMLOCK}, {"RLIMIT_SIGPENDING", LIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", LIMIT_MSGQUEUE}, {"RLIMIT_NICE", LIMIT_NICE},     {"RLIMIT_RTPRIO", LIMIT_RTPRIO},
    {"RLIMIT_RTTIME", LIMIT_RTTIME},   {"RUSAGE_SELF", USAGE_SELF},       {"RUSAGE_CHILDREN", USAGE_CHILDREN},
    {"RUSAGE_THREAD", USAGE_THREAD},   {"RLIM_INFINITY", -1},
  };
  for (size_t i = 0; i < sizeof constants / sizeof constants[0]; i++) {
    PyObject* value = PyLong_FromLongLong(constants[i].value);
    int added = PyModule_AddObjectRef(module, constants[i].name, value);
    Py_XDECREF(value);
    if (added < 0) goto fail;
  }
  if (PyModule_AddObjectRef(module, "error", PyExc_OSError) < 0 ||
      PyModule_AddObjectRef(module, "struct_rusage", (PyObject*)rusage_type) < 0)
    goto fail;
  return module;
fail:
  Py_DECREF(module);
  return NULL;
}
