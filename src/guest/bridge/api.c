/* The guest ABI's exports (see ../README.md): interpreter start-up, running
 * code and operations on handles. Every export clears the previous result's
 * kept objects first and reports failure as -1 with the error stored. */
#include "bridge.h"

__attribute__((import_module("pyodide"), import_name("write")))
extern int32_t host_write(int32_t fd, const char* data, uint32_t len);

static PyObject* main_dict;  /* __main__.__dict__ */
static PyObject* eval_code;  /* pyodide.eval_code */
static void* scratch;
static uint32_t scratch_size;

/* _pyodide_core.write(fd, text): the host side of sys.stdout/sys.stderr. */
static PyObject* core_write(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  (void)self;
  int fd;
  if (nargs != 2 || (fd = PyLong_AsLong(args[0])) == -1 || !PyUnicode_Check(args[1])) {
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "write(fd, str)");
    return NULL;
  }
  Py_ssize_t len;
  const char* utf8 = PyUnicode_AsUTF8AndSize(args[1], &len);
  PyObject* encoded = NULL;
  if (!utf8) {
    /* Lone surrogates: the host only ever receives valid UTF-8. */
    PyErr_Clear();
    encoded = PyUnicode_AsEncodedString(args[1], "utf-8", "backslashreplace");
    if (!encoded) return NULL;
    utf8 = PyBytes_AS_STRING(encoded);
    len = PyBytes_GET_SIZE(encoded);
  }
  host_write(fd, utf8, (uint32_t)len);
  Py_XDECREF(encoded);
  return PyLong_FromSsize_t(len);
}

static PyMethodDef core_methods[] = {
  {"write", (PyCFunction)(void (*)(void))core_write, METH_FASTCALL,
   "write(fd, text): send text to the host's stdout (1) or stderr (2)."},
  {NULL, NULL, 0, NULL},
};

static struct PyModuleDef core_module = {
  PyModuleDef_HEAD_INIT, "_pyodide_core", "The host side of the guest bridge.", -1, core_methods,
};

static PyObject* core_init(void) { return PyModule_Create(&core_module); }

static int status_error(PyStatus status) {
  return error_store_c("FatalError", status.err_msg ? status.err_msg : "Python failed to start");
}

PYN_EXPORT(pyn_init) int32_t pyn_init(void) {
  if (main_dict) return error_store_c("RuntimeError", "the interpreter is already initialized");
  if (PyImport_AppendInittab("_pyodide_core", core_init) < 0)
    return error_store_c("FatalError", "cannot register _pyodide_core");

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

  PyObject* bridge = PyImport_ImportModule("pyodide._bridge");
  PyObject* setup = bridge ? PyObject_CallMethod(bridge, "setup", NULL) : NULL;
  PyObject* format = bridge ? PyObject_GetAttrString(bridge, "format_exception") : NULL;
  PyObject* pyodide = PyImport_ImportModule("pyodide");
  eval_code = pyodide ? PyObject_GetAttrString(pyodide, "eval_code") : NULL;
  PyObject* main = PyImport_AddModule("__main__"); /* borrowed */
  int ok = setup && format && eval_code && main;
  if (format) errors_set_formatter(format);
  Py_XDECREF(bridge);
  Py_XDECREF(setup);
  Py_XDECREF(format);
  Py_XDECREF(pyodide);
  if (!ok) return error_store();
  main_dict = PyModule_GetDict(main);
  Py_INCREF(main_dict);
  return 0;
}

PYN_EXPORT(pyn_scratch) uint32_t pyn_scratch(uint32_t size) {
  if (size > scratch_size) {
    void* grown = realloc(scratch, size);
    if (!grown) return 0;
    scratch = grown;
    scratch_size = size;
  }
  return (uint32_t)(uintptr_t)scratch;
}

/* Writes a call's result to `out` and drops the caller's reference to it. */
static int32_t finish(PyObject* result, slot_t* out) {
  if (!result) return error_store();
  int rc = slot_from_object(result, out);
  Py_DECREF(result);
  return rc < 0 ? error_store() : 0;
}

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
  return finish(result, out);
}

PYN_EXPORT(pyn_globals) uint32_t pyn_globals(void) {
  keep_clear();
  Py_INCREF(main_dict);
  uint32_t h = handle_new(main_dict);
  if (!h) error_store();
  return h;
}

PYN_EXPORT(pyn_getitem) int32_t pyn_getitem(uint32_t h, const slot_t* key, slot_t* out) {
  keep_clear();
  PyObject* obj = handle_get(h);
  PyObject* k = obj ? slot_to_object(key) : NULL;
  if (!k) return error_store();
  PyObject* result = PyObject_GetItem(obj, k);
  Py_DECREF(k);
  return finish(result, out);
}

PYN_EXPORT(pyn_setitem) int32_t pyn_setitem(uint32_t h, const slot_t* key, const slot_t* value) {
  keep_clear();
  PyObject* obj = handle_get(h);
  PyObject* k = obj ? slot_to_object(key) : NULL;
  PyObject* v = k ? slot_to_object(value) : NULL;
  int rc = v ? PyObject_SetItem(obj, k, v) : -1;
  Py_XDECREF(k);
  Py_XDECREF(v);
  return rc < 0 ? error_store() : 0;
}

PYN_EXPORT(pyn_delitem) int32_t pyn_delitem(uint32_t h, const slot_t* key) {
  keep_clear();
  PyObject* obj = handle_get(h);
  PyObject* k = obj ? slot_to_object(key) : NULL;
  int rc = k ? PyObject_DelItem(obj, k) : -1;
  Py_XDECREF(k);
  return rc < 0 ? error_store() : 0;
}

PYN_EXPORT(pyn_contains) int32_t pyn_contains(uint32_t h, const slot_t* key) {
  keep_clear();
  PyObject* obj = handle_get(h);
  PyObject* k = obj ? slot_to_object(key) : NULL;
  int rc = k ? PySequence_Contains(obj, k) : -1;
  Py_XDECREF(k);
  return rc < 0 ? error_store() : rc;
}

PYN_EXPORT(pyn_length) int32_t pyn_length(uint32_t h, uint64_t* out) {
  keep_clear();
  PyObject* obj = handle_get(h);
  Py_ssize_t n = obj ? PyObject_Length(obj) : -1;
  if (n < 0) return error_store();
  *out = (uint64_t)n;
  return 0;
}

PYN_EXPORT(pyn_typename) int32_t pyn_typename(uint32_t h, slot_t* out) {
  keep_clear();
  PyObject* obj = handle_get(h);
  if (!obj) return error_store();
  PyObject* type = (PyObject*)Py_TYPE(obj);
  PyObject* module = PyObject_GetAttrString(type, "__module__");
  PyObject* qualname = module ? PyObject_GetAttrString(type, "__qualname__") : NULL;
  PyObject* name = NULL;
  if (qualname) {
    int bare = !PyUnicode_Check(module) ||
               PyUnicode_CompareWithASCIIString(module, "builtins") == 0 ||
               PyUnicode_CompareWithASCIIString(module, "__main__") == 0;
    name = bare ? Py_NewRef(qualname) : PyUnicode_FromFormat("%U.%U", module, qualname);
  }
  Py_XDECREF(module);
  Py_XDECREF(qualname);
  return finish(name, out);
}

/* Calls without a tuple for the common small argument counts. */
#define SMALL_ARGS 8

PYN_EXPORT(pyn_call) int32_t pyn_call(uint32_t h, const slot_t* args, uint32_t nargs,
                                      slot_t* out) {
  keep_clear();
  PyObject* callable = handle_get(h);
  if (!callable) return error_store();
  PyObject* small[SMALL_ARGS];
  PyObject** argv = nargs <= SMALL_ARGS ? small : PyMem_Malloc(nargs * sizeof(PyObject*));
  if (!argv) {
    PyErr_NoMemory();
    return error_store();
  }
  uint32_t built = 0;
  for (; built < nargs; built++)
    if (!(argv[built] = slot_to_object(&args[built]))) break;
  PyObject* result = built == nargs ? PyObject_Vectorcall(callable, argv, nargs, NULL) : NULL;
  for (uint32_t i = 0; i < built; i++) Py_DECREF(argv[i]);
  if (argv != small) PyMem_Free(argv);
  return finish(result, out);
}

PYN_EXPORT(pyn_dup) uint32_t pyn_dup(uint32_t h) {
  keep_clear();
  PyObject* obj = handle_get(h);
  if (!obj) {
    error_store();
    return 0;
  }
  Py_INCREF(obj);
  uint32_t copy = handle_new(obj);
  if (!copy) error_store();
  return copy;
}

PYN_EXPORT(pyn_release) int32_t pyn_release(uint32_t h) {
  keep_clear();
  return handle_release(h) < 0 ? error_store() : 0;
}

PYN_EXPORT(pyn_handle_count) uint32_t pyn_handle_count(void) { return handle_count(); }
