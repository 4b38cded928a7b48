/* The handle table: the only way the host names a Python object.
 * Slot 0 is never used, so 0 can mean "no object". Free slots form a list
 * threaded through `next_free`, so allocation and release are O(1). */
#include "bridge.h"

static PyObject** objects;     /* objects[h]: strong reference, or NULL if free */
static uint32_t* next_free;    /* for free slots: the next free slot, 0 = none  */
static uint32_t capacity;      /* slots allocated, including slot 0             */
static uint32_t first_free;
static uint32_t live;

static int grow(void) {
  uint32_t new_capacity = capacity ? capacity * 2 : 256;
  PyObject** o = PyMem_RawRealloc(objects, new_capacity * sizeof *o);
  if (!o) return -1;
  objects = o;
  uint32_t* n = PyMem_RawRealloc(next_free, new_capacity * sizeof *n);
  if (!n) return -1;
  next_free = n;
  /* Thread the new slots onto the free list, lowest first; skip slot 0. */
  for (uint32_t i = new_capacity - 1; i >= (capacity ? capacity : 1); i--) {
    objects[i] = NULL;
    next_free[i] = first_free;
    first_free = i;
  }
  capacity = new_capacity;
  return 0;
}

uint32_t handle_new(PyObject* obj) {
  if (!first_free && grow() < 0) {
    Py_DECREF(obj);
    PyErr_NoMemory();
    return 0;
  }
  uint32_t h = first_free;
  first_free = next_free[h];
  objects[h] = obj;
  live++;
  return h;
}

PyObject* handle_get(uint32_t handle) {
  if (handle == 0 || handle >= capacity || objects[handle] == NULL) {
    PyErr_Format(PyExc_ValueError, "invalid object handle %u", (unsigned)handle);
    return NULL;
  }
  return objects[handle];
}

int handle_release(uint32_t handle) {
  PyObject* obj = handle_get(handle);
  if (!obj) return -1;
  objects[handle] = NULL;
  next_free[handle] = first_free;
  first_free = handle;
  live--;
  Py_DECREF(obj);
  return 0;
}

uint32_t handle_count(void) { return live; }

void handle_release_all(void) {
  for (uint32_t h = 1; h < capacity; h++)
    if (objects[h]) handle_release(h);
}
