/* The guest ABI's exports on handles (see ../README.md): items, attributes,
 * calls, iteration, type names and the handles themselves. */
#include "bridge.h"

PYN_EXPORT(pyn_getitem) int32_t pyn_getitem(uint32_t h, const slot_t* key, slot_t* out) {
  keep_clear();
  PyObject* obj = handle_get(h);
  PyObject* k = obj ? slot_to_object(key) : NULL;
  if (!k) return error_store();
  PyObject* result = PyObject_GetItem(obj, k);
  Py_DECREF(k);
  return slot_result(result, out);
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
  return slot_result(name, out);
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
  return slot_result(result, out);
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

/* An attribute name from the host: UTF-8 bytes, decoded strictly. */
static PyObject* attr_name(const char* name, uint32_t len) {
  return PyUnicode_DecodeUTF8(name, len, "strict");
}

PYN_EXPORT(pyn_getattr) int32_t pyn_getattr(uint32_t h, const char* name, uint32_t len, slot_t* out) {
  keep_clear();
  PyObject* obj = handle_get(h);
  PyObject* n = obj ? attr_name(name, len) : NULL;
  if (!n) return error_store();
  PyObject* result = PyObject_GetAttr(obj, n);
  Py_DECREF(n);
  return slot_result(result, out);
}

PYN_EXPORT(pyn_setattr) int32_t pyn_setattr(uint32_t h, const char* name, uint32_t len, const slot_t* value) {
  keep_clear();
  PyObject* obj = handle_get(h);
  PyObject* n = obj ? attr_name(name, len) : NULL;
  PyObject* v = n ? slot_to_object(value) : NULL;
  int rc = v ? PyObject_SetAttr(obj, n, v) : -1;
  Py_XDECREF(n);
  Py_XDECREF(v);
  return rc < 0 ? error_store() : 0;
}

PYN_EXPORT(pyn_hasattr) int32_t pyn_hasattr(uint32_t h, const char* name, uint32_t len) {
  keep_clear();
  PyObject* obj = handle_get(h);
  PyObject* n = obj ? attr_name(name, len) : NULL;
  if (!n) return error_store();
  /* Like hasattr(): only AttributeError means "no"; other errors propagate. */
  PyObject* value = PyObject_GetAttr(obj, n);
  Py_DECREF(n);
  if (value) {
    Py_DECREF(value);
    return 1;
  }
  if (!PyErr_ExceptionMatches(PyExc_AttributeError)) return error_store();
  PyErr_Clear();
  return 0;
}

PYN_EXPORT(pyn_delattr) int32_t pyn_delattr(uint32_t h, const char* name, uint32_t len) {
  keep_clear();
  PyObject* obj = handle_get(h);
  PyObject* n = obj ? attr_name(name, len) : NULL;
  int rc = n ? PyObject_DelAttr(obj, n) : -1;
  Py_XDECREF(n);
  return rc < 0 ? error_store() : 0;
}

PYN_EXPORT(pyn_call_kw) int32_t pyn_call_kw(uint32_t h, const slot_t* args, uint32_t nargs,
                                            const slot_t* kwargs, slot_t* out) {
  keep_clear();
  PyObject* callable = handle_get(h);
  if (!callable) return error_store();
  PyObject* tuple = PyTuple_New(nargs);
  if (!tuple) return error_store();
  for (uint32_t i = 0; i < nargs; i++) {
    PyObject* arg = slot_to_object(&args[i]);
    if (!arg) {
      Py_DECREF(tuple);
      return error_store();
    }
    PyTuple_SET_ITEM(tuple, i, arg);
  }
  PyObject* kw = slot_to_object(kwargs);
  PyObject* result = NULL;
  if (kw && !PyDict_Check(kw))
    PyErr_Format(PyExc_TypeError, "keyword arguments must be a dict, not %.100s", Py_TYPE(kw)->tp_name);
  else if (kw)
    result = PyObject_Call(callable, tuple, kw);
  Py_DECREF(tuple);
  Py_XDECREF(kw);
  return slot_result(result, out);
}

PYN_EXPORT(pyn_iter) uint32_t pyn_iter(uint32_t h) {
  keep_clear();
  PyObject* obj = handle_get(h);
  PyObject* it = obj ? PyObject_GetIter(obj) : NULL;
  uint32_t handle = it ? handle_new(it) : 0;
  if (!handle) error_store();
  return handle;
}

/* One step of an iterator or generator: 0 with the yielded value in `out`,
 * 1 when it is done (`out` holds a generator's return value, else None), -1
 * on error. `sent` (0 = None) reaches the generator's yield expression. */
PYN_EXPORT(pyn_next) int32_t pyn_next(uint32_t h, const slot_t* sent, slot_t* out) {
  keep_clear();
  PyObject* it = handle_get(h);
  if (!it) return error_store();
  PyObject* arg = sent ? slot_to_object(sent) : Py_NewRef(Py_None);
  if (!arg) return error_store();
  if (arg == Py_None && !PyIter_Check(it) && !PyGen_Check(it)) {
    Py_DECREF(arg);
    PyErr_Format(PyExc_TypeError, "'%.100s' object is not an iterator", Py_TYPE(it)->tp_name);
    return error_store();
  }
  PyObject* result = NULL;
  PySendResult status = PyIter_Send(it, arg, &result);
  Py_DECREF(arg);
  if (status == PYGEN_ERROR) return error_store();
  int32_t rc = slot_result(result, out);
  return rc < 0 ? rc : (status == PYGEN_RETURN ? 1 : 0);
}

/* A Python object built from a host value tree, as a new handle (0 on error). */
PYN_EXPORT(pyn_to_py) uint32_t pyn_to_py(const slot_t* value) {
  keep_clear();
  PyObject* obj = slot_to_object(value);
  uint32_t handle = obj ? handle_new(obj) : 0;
  if (!handle) error_store();
  return handle;
}
