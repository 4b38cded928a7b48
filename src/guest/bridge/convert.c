/* Conversions between slots and Python objects (rules in ../README.md). */
#include "bridge.h"

int make_room(void** items, uint32_t len, uint32_t* capacity, size_t size) {
  if (len < *capacity) return 0;
  uint32_t more = *capacity ? *capacity * 2 : 32;
  void* grown = PyMem_RawRealloc(*items, more * size);
  if (!grown) {
    PyErr_NoMemory();
    return -1;
  }
  *items = grown;
  *capacity = more;
  return 0;
}

/* Objects whose UTF-8 or bytes the last result points into. One slot covers
 * the common single-value result; an array (not a list: appending to one was
 * a tenth of converting a list of strs) the results that need several. */
static PyObject* kept_one;
static PyObject** kept_more;
static uint32_t kept_more_len;
static uint32_t kept_more_capacity;

int slot_keep(PyObject* obj) {
  if (!kept_one) {
    kept_one = Py_NewRef(obj);
    return 0;
  }
  if (make_room((void**)&kept_more, kept_more_len, &kept_more_capacity, sizeof *kept_more) < 0) return -1;
  kept_more[kept_more_len++] = Py_NewRef(obj);
  return 0;
}

void keep_clear(void) {
  Py_CLEAR(kept_one);
  /* One at a time, the count first: a release can run code (__del__) that
   * calls into the host and back, and so keeps and clears in turn. */
  while (kept_more_len > 0) {
    PyObject* obj = kept_more[--kept_more_len];
    Py_DECREF(obj);
  }
}

int slot_as_handle(PyObject* obj, slot_t* out) {
  Py_INCREF(obj);
  uint32_t h = handle_new(obj);
  if (!h) return -1;
  out->kind = SLOT_HANDLE;
  out->len = 0;
  out->u.raw = 0;
  out->u.handle = h;
  return 0;
}

int slot_from_object(PyObject* obj, slot_t* out) {
  out->len = 0;
  if (obj == Py_None) {
    out->kind = SLOT_NONE;
    out->u.raw = 0;
  } else if (PyBool_Check(obj)) {
    out->kind = SLOT_BOOL;
    out->u.raw = obj == Py_True;
  } else if (PyLong_Check(obj)) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(obj, &overflow);
    if (overflow) return slot_as_handle(obj, out); /* no exact int64 form */
    if (v == -1 && PyErr_Occurred()) return -1;
    out->kind = SLOT_INT;
    out->u.i = v;
  } else if (PyFloat_Check(obj)) {
    out->kind = SLOT_FLOAT;
    out->u.f = PyFloat_AS_DOUBLE(obj);
  } else if (PyUnicode_Check(obj)) {
    Py_ssize_t len;
    const char* utf8 = PyUnicode_AsUTF8AndSize(obj, &len);
    if (!utf8) {
      /* Lone surrogates have no UTF-8 form: hand the str over as a proxy. */
      if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) return -1;
      PyErr_Clear();
      return slot_as_handle(obj, out);
    }
    if (slot_keep(obj) < 0) return -1;
    out->kind = SLOT_STR;
    out->len = (uint32_t)len;
    out->u.raw = 0;
    out->u.ptr = (uint32_t)(uintptr_t)utf8;
  } else if (PyBytes_Check(obj)) {
    if (slot_keep(obj) < 0) return -1;
    out->kind = SLOT_BYTES;
    out->len = (uint32_t)PyBytes_GET_SIZE(obj);
    out->u.raw = 0;
    out->u.ptr = (uint32_t)(uintptr_t)PyBytes_AS_STRING(obj);
  } else {
    int host = host_object_to_slot(obj, out);
    if (host != 0) return host < 0 ? -1 : 0;
    return slot_as_handle(obj, out);
  }
  return 0;
}

static PyObject* to_object(const slot_t* s, int depth);

static PyObject* list_to_object(const slot_t* items, uint32_t n, int depth) {
  PyObject* list = PyList_New(n);
  if (!list) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    PyObject* item = to_object(&items[i], depth + 1);
    if (!item) {
      Py_DECREF(list);
      return NULL;
    }
    PyList_SET_ITEM(list, i, item);
  }
  return list;
}

static PyObject* dict_to_object(const slot_t* pairs, uint32_t n, int depth) {
  PyObject* dict = PyDict_New();
  if (!dict) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    PyObject* key = to_object(&pairs[2 * i], depth + 1);
    PyObject* value = key ? to_object(&pairs[2 * i + 1], depth + 1) : NULL;
    int rc = value ? PyDict_SetItem(dict, key, value) : -1;
    Py_XDECREF(key);
    Py_XDECREF(value);
    if (rc < 0) {
      Py_DECREF(dict);
      return NULL;
    }
  }
  return dict;
}

static PyObject* to_object(const slot_t* s, int depth) {
  /* Host trees can nest (the host refuses deeper ones first); never overflow the stack. */
  if (depth > PYN_MAX_NESTING) {
    PyErr_SetString(PyExc_RecursionError, "host value nests too deeply");
    return NULL;
  }
  const char* ptr = (const char*)(uintptr_t)s->u.ptr;
  switch (s->kind) {
    case SLOT_NONE: Py_RETURN_NONE;
    case SLOT_BOOL: return PyBool_FromLong(s->u.raw != 0);
    case SLOT_INT: return PyLong_FromLongLong(s->u.i);
    case SLOT_FLOAT: return PyFloat_FromDouble(s->u.f);
    case SLOT_STR: return PyUnicode_DecodeUTF8(ptr, s->len, "strict");
    case SLOT_BYTES: return PyBytes_FromStringAndSize(ptr, s->len);
    case SLOT_LIST: return list_to_object((const slot_t*)ptr, s->len, depth);
    case SLOT_DICT: return dict_to_object((const slot_t*)ptr, s->len, depth);
    case SLOT_HANDLE: {
      PyObject* obj = handle_get(s->u.handle);
      Py_XINCREF(obj);
      return obj;
    }
    case SLOT_HOST: return host_object_from_slot(s);
    default:
      PyErr_Format(PyExc_ValueError, "unknown value kind %u", (unsigned)s->kind);
      return NULL;
  }
}

PyObject* slot_to_object(const slot_t* slot) { return to_object(slot, 0); }

static void release_handles(const slot_t* s, int depth) {
  if (depth > PYN_MAX_NESTING) return;
  const slot_t* items = (const slot_t*)(uintptr_t)s->u.ptr;
  switch (s->kind) {
    case SLOT_HANDLE:
      if (handle_release(s->u.handle) < 0) PyErr_Clear();
      break;
    case SLOT_LIST:
      for (uint32_t i = 0; i < s->len; i++) release_handles(&items[i], depth + 1);
      break;
    case SLOT_DICT:
      for (uint32_t i = 0; i < 2 * s->len; i++) release_handles(&items[i], depth + 1);
      break;
  }
}

void slot_release_handles(const slot_t* slot) { release_handles(slot, 0); }

int32_t slot_result(PyObject* result, slot_t* out) {
  if (!result) return error_store();
  int rc = slot_from_object(result, out);
  Py_DECREF(result);
  return rc < 0 ? error_store() : 0;
}
