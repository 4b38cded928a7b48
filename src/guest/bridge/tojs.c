/* pyn_to_js: deep conversion of a Python object into a tree of slots, as
 * Pyodide's PyProxy.toJs. list/tuple/set/frozenset → LIST, dict → DICT,
 * bytes-likes → BYTES (a copy), scalars by value, anything else → HANDLE.
 * `depth` counts the container levels converted (-1: all); deeper containers
 * and containers already being converted higher up (cycles) stay handles.
 *
 * The tree is built in one arena reused across calls. Children are placed by
 * index because the arena may move while it grows; the containers' addresses
 * are fixed up once the tree is complete.
 *
 * Reserved slots are not cleared: every slot is written whole by whatever
 * fills it, and a conversion that fails marks the slots it reserved and did
 * not fill as NONE, so the failure path can tell the handles it made apart.
 * (Clearing them first wrote the arena twice: 1.6 MB more for a list of 10^5
 * ints, a tenth of converting it; bench/README.md.) */
#include "bridge.h"

static slot_t* arena;
static uint32_t arena_used;
static uint32_t arena_capacity;

/* The containers on the path from the root to the object being converted. */
static PyObject** path;
static uint32_t path_len;
static uint32_t path_capacity;

/* The slots that are containers, whose index is fixed up to an address at the
 * end (fewer than the slots: scanning every slot for them was 7 % of
 * converting a list of ints). */
static uint32_t* containers;
static uint32_t containers_len;
static uint32_t containers_capacity;

/* Reserves `n` adjacent slots; returns the index of the first or -1. */
static int64_t reserve(uint32_t n) {
  if ((uint64_t)arena_used + n > UINT32_MAX / sizeof(slot_t)) {
    PyErr_NoMemory();
    return -1;
  }
  if (arena_used + n > arena_capacity) {
    uint32_t capacity = arena_capacity ? arena_capacity : 256;
    while (capacity < arena_used + n) capacity *= 2;
    slot_t* grown = PyMem_RawRealloc(arena, (size_t)capacity * sizeof(slot_t));
    if (!grown) {
      PyErr_NoMemory();
      return -1;
    }
    arena = grown;
    arena_capacity = capacity;
  }
  int64_t first = arena_used;
  arena_used += n;
  return first;
}

/* Marks `n` reserved slots from `first` as NONE: those a failed conversion
 * did not fill (or, for the one that failed, may have filled in part). */
static void mark_unfilled(int64_t first, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    arena[first + i].kind = SLOT_NONE;
    arena[first + i].len = 0;
    arena[first + i].u.raw = 0;
  }
}

/* Makes the slot `at` a container of `n` slots from index `first`. */
static int set_container(uint32_t at, uint32_t kind, uint32_t n, int64_t first) {
  if (make_room((void**)&containers, containers_len, &containers_capacity, sizeof *containers) < 0) return -1;
  containers[containers_len++] = at;
  arena[at].kind = kind;
  arena[at].len = n;
  arena[at].u.raw = (uint64_t)first; /* index; fixed up to an address at the end */
  return 0;
}

static int on_path(PyObject* obj) {
  for (uint32_t i = 0; i < path_len; i++)
    if (path[i] == obj) return 1;
  return 0;
}

static int push_path(PyObject* obj) {
  if (make_room((void**)&path, path_len, &path_capacity, sizeof *path) < 0) return -1;
  path[path_len++] = obj;
  return 0;
}

/* Out of line, so that the loops over items, which call it for anything but
 * numbers, keep a small frame. */
static __attribute__((noinline)) int convert(PyObject* obj, int32_t depth, uint32_t at);

/* Ints of one digit (below 2**30 in magnitude) and floats, the commonest items,
 * read here rather than through slot_from_object's checks and
 * PyLong_AsLongLong (a third of converting a list of ints), and in the loops
 * over items (convert_item) rather than through a call of convert(), whose
 * frame (it holds every container's case) cost more than the item. Returns 1
 * if `obj` was one. */
static inline int convert_number(PyObject* obj, uint32_t at) {
  PyTypeObject* type = Py_TYPE(obj);
  if (type == &PyLong_Type && Py_SIZE(obj) >= -1 && Py_SIZE(obj) <= 1) {
    arena[at].kind = SLOT_INT;
    arena[at].len = 0;
    arena[at].u.i = (int64_t)Py_SIZE(obj) * (int64_t)((PyLongObject*)obj)->ob_digit[0];
    return 1;
  }
  if (type == &PyFloat_Type) {
    arena[at].kind = SLOT_FLOAT;
    arena[at].len = 0;
    arena[at].u.f = PyFloat_AS_DOUBLE(obj);
    return 1;
  }
  return 0;
}

/* Converts one object (the root, or an item of a container) into the slot `at`. */
static inline int convert_item(PyObject* obj, int32_t depth, uint32_t at) {
  return convert_number(obj, at) ? 0 : convert(obj, depth, at);
}

/* Converts `n` items (from a sequence's fast array) into new slots. */
static int convert_items(PyObject** items, Py_ssize_t n, int32_t depth, uint32_t at) {
  int64_t first = reserve((uint32_t)n);
  if (first < 0) return -1;
  for (Py_ssize_t i = 0; i < n; i++) {
    if (convert_item(items[i], depth, (uint32_t)(first + i)) < 0) {
      mark_unfilled(first + i, (uint32_t)(n - i));
      return -1;
    }
  }
  return set_container(at, SLOT_LIST, (uint32_t)n, first);
}

static int convert_dict(PyObject* dict, int32_t depth, uint32_t at) {
  Py_ssize_t n = PyDict_GET_SIZE(dict);
  int64_t first = reserve((uint32_t)(2 * n));
  if (first < 0) return -1;
  Py_ssize_t pos = 0, i = 0;
  PyObject *key, *value;
  while (PyDict_Next(dict, &pos, &key, &value)) {
    if (i == n) {
      PyErr_SetString(PyExc_RuntimeError, "dictionary changed size during conversion");
      return -1;
    }
    /* Borrowed references: hold them while converting, which may run code. */
    Py_INCREF(key);
    Py_INCREF(value);
    int rc = convert_item(key, depth, (uint32_t)(first + 2 * i));
    if (rc < 0) {
      mark_unfilled(first + 2 * i, (uint32_t)(2 * (n - i)));
    } else if ((rc = convert_item(value, depth, (uint32_t)(first + 2 * i + 1))) < 0) {
      mark_unfilled(first + 2 * i + 1, (uint32_t)(2 * (n - i) - 1));
    }
    Py_DECREF(key);
    Py_DECREF(value);
    if (rc < 0) return -1;
    i++;
  }
  /* A dict that shrank while its items ran code: the missing pairs read as None. */
  mark_unfilled(first + 2 * i, (uint32_t)(2 * (n - i)));
  return set_container(at, SLOT_DICT, (uint32_t)n, first);
}

static int convert_bytes_copy(PyObject* obj, uint32_t at) {
  PyObject* copy = PyBytes_FromObject(obj);
  if (!copy) return -1;
  int rc = slot_from_object(copy, &arena[at]);
  Py_DECREF(copy); /* slot_from_object kept it alive */
  return rc;
}

/* Converts anything convert_number() does not. */
static int convert(PyObject* obj, int32_t depth, uint32_t at) {
  PyTypeObject* type = Py_TYPE(obj);
  /* Other plain scalars: settled before the subtype checks below, each of
   * which walks the type's bases. */
  if (type == &PyLong_Type || type == &PyUnicode_Type ||
      type == &PyBool_Type || obj == Py_None || type == &PyBytes_Type)
    return slot_from_object(obj, &arena[at]);
  int is_sequence = PyList_Check(obj) || PyTuple_Check(obj);
  int is_set = PyAnySet_Check(obj);
  int is_dict = PyDict_Check(obj);
  if (PyByteArray_Check(obj) || PyMemoryView_Check(obj)) return convert_bytes_copy(obj, at);
  if (!(is_sequence || is_set || is_dict)) return slot_from_object(obj, &arena[at]);
  if (depth == 0 || on_path(obj)) return slot_as_handle(obj, &arena[at]);

  if (Py_EnterRecursiveCall(" while converting to a host value")) return -1;
  int rc = push_path(obj);
  if (rc == 0) {
    int32_t next = depth < 0 ? depth : depth - 1;
    if (is_dict) {
      rc = convert_dict(obj, next, at);
    } else {
      /* A fast sequence of the items: the list/tuple itself, or a tuple of the set. */
      PyObject* seq = PySequence_Fast(obj, "expected a sequence");
      rc = seq ? convert_items(PySequence_Fast_ITEMS(seq), PySequence_Fast_GET_SIZE(seq), next, at) : -1;
      Py_XDECREF(seq);
    }
    path_len--;
  }
  Py_LeaveRecursiveCall();
  return rc;
}

PYN_EXPORT(pyn_to_js) int32_t pyn_to_js(uint32_t h, int32_t depth, slot_t* out) {
  keep_clear();
  PyObject* obj = handle_get(h);
  if (!obj) return error_store();
  if (depth < -1) {
    PyErr_Format(PyExc_ValueError, "depth must be -1 (unlimited) or >= 0, not %d", (int)depth);
    return error_store();
  }
  arena_used = 0;
  path_len = 0;
  containers_len = 0;
  if (reserve(1) < 0) return error_store();
  if (convert_item(obj, depth, 0) < 0) {
    mark_unfilled(0, 1);
    /* Handles already made for the partial tree must not leak. */
    for (uint32_t i = 0; i < arena_used; i++)
      if (arena[i].kind == SLOT_HANDLE) handle_release(arena[i].u.handle);
    return error_store();
  }
  for (uint32_t i = 0; i < containers_len; i++) {
    slot_t* container = &arena[containers[i]];
    container->u.raw = (uint32_t)(uintptr_t)&arena[container->u.raw];
  }
  *out = arena[0];
  return 0;
}
