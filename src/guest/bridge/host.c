/* Host functions: Python callables that call into the host through the
 * `pyodide.call_host` import (and, for host objects, `pyodide.host_object`), the way Pyodide's JsProxy calls JavaScript.
 * Arguments travel as slots in a small array. The host answers in an
 * `answer_t` on our stack: the result slot, written directly for scalars, and
 * for results with a payload (or an error) a block it allocated with
 * pyn_alloc, which we free: the result's payload, or
 * {u32 type_len, u32 message_len, type, message} for an error. */
#include "bridge.h"

__attribute__((import_module("pyodide"), import_name("call_host")))
extern int32_t host_call(uint32_t id, const slot_t* args, uint32_t nargs, void* answer);

/* Python dropped the function: a callback's finalizer may run. */
__attribute__((import_module("pyodide"), import_name("drop_host")))
extern void host_drop(uint32_t id);

typedef struct {
  slot_t result;
  uint32_t block;
} answer_t;

/* Which host the functions made now belong to: a snapshot's copy starts a
 * new generation, so functions of the saving host are told apart. */
static uint32_t host_generation;

void host_functions_orphan(void) { host_generation++; }

typedef struct {
  PyObject_HEAD
  uint32_t id;
  uint32_t generation;
  int closed; /* close() told the host; calls now fail and dealloc stays quiet */
  PyObject* name;
  vectorcallfunc vectorcall;
} HostFunction;

/* pyodide._host.error_class, looked up on first use. */
static PyObject* error_class(void) {
  static PyObject* cached;
  if (!cached) {
    PyObject* host = PyImport_ImportModule("pyodide._host");
    if (host) cached = PyObject_GetAttrString(host, "error_class");
    Py_XDECREF(host);
  }
  return cached;
}

/* Raises the error the host described in `block`. */
static void raise_host_error(const uint32_t* block) {
  const char* type = (const char*)(block + 2);
  const char* message = type + block[0];
  PyObject* name = PyUnicode_DecodeUTF8(type, block[0], "replace");
  PyObject* lookup = name ? error_class() : NULL;
  PyObject* cls = lookup ? PyObject_CallOneArg(lookup, name) : NULL;
  Py_XDECREF(name);
  if (!cls) return; /* the lookup raised */
  PyObject* text = PyUnicode_DecodeUTF8(message, block[1], "replace");
  if (text) PyErr_SetObject(cls, text);
  Py_XDECREF(text);
  Py_DECREF(cls);
}

__attribute__((import_module("pyodide"), import_name("host_object")))
extern int32_t host_object_call(uint32_t id, uint32_t op, const slot_t* args, uint32_t nargs, void* answer);

PyObject* host_invoke(uint32_t id, int32_t op, PyObject* const* args, Py_ssize_t nargs, int* done) {
  slot_t small[PYN_SMALL_ARGS];
  slot_t* slots = nargs <= PYN_SMALL_ARGS ? small : PyMem_Malloc(nargs * sizeof(slot_t));
  if (!slots) return PyErr_NoMemory();
  PyObject* result = NULL;
  Py_ssize_t made = 0;
  for (; made < nargs; made++)
    if (slot_from_object(args[made], &slots[made]) < 0) break;
  if (made == nargs) {
    answer_t answer = {.result = {.kind = SLOT_NONE}, .block = 0};
    int32_t status = op < 0 ? host_call(id, slots, (uint32_t)nargs, &answer)
                            : host_object_call(id, (uint32_t)op, slots, (uint32_t)nargs, &answer);
    if (status >= 0) {
      if (done) *done = status == 1;
      result = slot_to_object(&answer.result);
      slot_release_handles(&answer.result); /* the answer's handles were ours */
    }
    else if (answer.block)
      raise_host_error((const uint32_t*)(uintptr_t)answer.block);
    else
      PyErr_SetString(PyExc_MemoryError, "the host failed without an error");
    free((void*)(uintptr_t)answer.block);
  }
  /* Objects passed as handles were the host's to release (it does, after
   * the call); the handles made for arguments are released here if the
   * host never saw them because conversion failed half-way. */
  if (made != nargs)
    for (Py_ssize_t i = 0; i < made; i++)
      if (slots[i].kind == SLOT_HANDLE) handle_release(slots[i].u.handle);
  if (slots != small) PyMem_Free(slots);
  return result;
}

static PyObject* host_function_call(PyObject* self, PyObject* const* args, size_t nargsf, PyObject* kwnames) {
  HostFunction* f = (HostFunction*)self;
  if (f->closed) {
    PyErr_Format(PyExc_RuntimeError, "host function %U was closed", f->name);
    return NULL;
  }
  if (f->generation != host_generation) {
    PyErr_Format(PyExc_RuntimeError,
                 "host function %U belongs to the program that saved this snapshot; "
                 "this runtime's host must register its module again",
                 f->name);
    return NULL;
  }
  if (kwnames && PyTuple_GET_SIZE(kwnames)) {
    PyErr_Format(PyExc_TypeError, "host function %U takes no keyword arguments", f->name);
    return NULL;
  }
  return host_invoke(f->id, -1, args, PyVectorcall_NARGS(nargsf), NULL);
}

static void host_function_dealloc(PyObject* self) {
  HostFunction* f = (HostFunction*)self;
  if (!f->closed && f->generation == host_generation) host_drop(f->id);
  Py_XDECREF(f->name);
  Py_TYPE(self)->tp_free(self);
}

static PyObject* host_function_repr(PyObject* self) {
  return PyUnicode_FromFormat("<host function %U>", ((HostFunction*)self)->name);
}

/* close(): the function will not be called again (a settled then-callback);
 * the host may finalize it now rather than when Python frees it, which a
 * traceback in sys.last_traceback can put off indefinitely. */
static PyObject* host_function_close(PyObject* self, PyObject* unused) {
  (void)unused;
  HostFunction* f = (HostFunction*)self;
  if (!f->closed) {
    f->closed = 1;
    if (f->generation == host_generation) host_drop(f->id);
  }
  Py_RETURN_NONE;
}

static PyMethodDef host_function_methods[] = {
  {"close", host_function_close, METH_NOARGS, "Tell the host this function will not be called again."},
  {NULL, NULL, 0, NULL},
};

static PyTypeObject HostFunctionType = {
  PyVarObject_HEAD_INIT(NULL, 0)
  .tp_name = "pyodide.HostFunction",
  .tp_doc = "A function of the host program, callable from Python.",
  .tp_basicsize = sizeof(HostFunction),
  .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
  .tp_vectorcall_offset = offsetof(HostFunction, vectorcall),
  .tp_call = PyVectorcall_Call,
  .tp_dealloc = host_function_dealloc,
  .tp_repr = host_function_repr,
  .tp_methods = host_function_methods,
};

/* A new HostFunction calling host function `id`, as a handle (0 on error). */
PYN_EXPORT(pyn_host_function) uint32_t pyn_host_function(const char* name, uint32_t len, uint32_t id) {
  keep_clear();
  if (PyType_Ready(&HostFunctionType) < 0) return error_store(), 0;
  HostFunction* f = PyObject_New(HostFunction, &HostFunctionType);
  if (!f) return error_store(), 0;
  f->id = id;
  f->generation = host_generation;
  f->closed = 0;
  f->vectorcall = host_function_call;
  f->name = PyUnicode_DecodeUTF8(name, len, "strict");
  if (!f->name) {
    Py_DECREF(f);
    return error_store(), 0;
  }
  uint32_t handle = handle_new((PyObject*)f);
  if (!handle) error_store();
  return handle;
}

__attribute__((import_module("pyodide"), import_name("host_module_wanted")))
extern int32_t host_module_wanted(const char* name, uint32_t len);

/* _pyodide_core.host_module_wanted(name): asks the host to register `name` if it
 * registers that module at its first import; True if it did (pyodide._host's finder). */
PyObject* core_host_module_wanted(PyObject* self, PyObject* name) {
  (void)self;
  Py_ssize_t len;
  const char* utf8 = PyUnicode_Check(name) ? PyUnicode_AsUTF8AndSize(name, &len) : NULL;
  if (!utf8) {
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "host_module_wanted(name): name must be a str");
    return NULL;
  }
  int32_t status = host_module_wanted(utf8, (uint32_t)len);
  if (status < 0) return PyErr_Format(PyExc_ImportError, "the host could not register its module %R", name);
  return PyBool_FromLong(status);
}

/* pyodide._host, imported at the first registration and kept: every runtime
 * registers micropip's host module as it loads, and importing the module again
 * each time (PyImport_Import of a module already imported) was 5 % of a further
 * runtime. Snapshots carry it like any other state. */
static PyObject* host_module;

/* Calls pyodide._host.<function>(name); returns the result or NULL. */
static PyObject* call_host_module(const char* function, const char* name, uint32_t len) {
  if (!host_module && !(host_module = PyImport_ImportModule("pyodide._host"))) return NULL;
  PyObject* text = PyUnicode_DecodeUTF8(name, len, "strict");
  if (!text) return NULL;
  PyObject* result = PyObject_CallMethod(host_module, function, "O", text);
  Py_DECREF(text);
  return result;
}

/* Registers an empty module `name` for import; returns a handle to it. */
PYN_EXPORT(pyn_host_module) uint32_t pyn_host_module(const char* name, uint32_t len) {
  keep_clear();
  PyObject* module = call_host_module("register", name, len);
  uint32_t handle = module ? handle_new(module) : 0;
  if (!handle) error_store();
  return handle;
}

/* Makes `import name` fail from now on (modules already imported stay). */
PYN_EXPORT(pyn_host_unregister) int32_t pyn_host_unregister(const char* name, uint32_t len) {
  keep_clear();
  PyObject* none = call_host_module("unregister", name, len);
  if (!none) return error_store();
  Py_DECREF(none);
  return 0;
}
