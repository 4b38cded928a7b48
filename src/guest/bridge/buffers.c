/* pyn_get_buffer: exports an object's buffer to the host without copying.
 * The export is held by a private memoryview stored under a new handle, so
 * Python's own rules apply while the host holds it (a bytearray cannot
 * resize) and releasing that handle ends the export. */
#include "bridge.h"

/* What the host reads: addresses are guest addresses. shape and strides are
 * arrays of `ndim` Py_ssize_t (4 bytes on wasm32); strides are in bytes. */
typedef struct {
  uint32_t buf;
  uint32_t len;
  uint32_t itemsize;
  uint32_t ndim;
  uint32_t readonly;
  uint32_t format;
  uint32_t shape;
  uint32_t strides;
} buffer_info_t;

/* Returns a handle owning the export and fills `out`, or 0 on error. */
PYN_EXPORT(pyn_get_buffer) uint32_t pyn_get_buffer(uint32_t h, buffer_info_t* out) {
  keep_clear();
  PyObject* obj = handle_get(h);
  if (!obj) {
    error_store();
    return 0;
  }
  if (!PyObject_CheckBuffer(obj)) {
    PyErr_Format(PyExc_TypeError, "a '%.100s' object does not support the buffer protocol",
                 Py_TYPE(obj)->tp_name);
    error_store();
    return 0;
  }
  PyObject* view = PyMemoryView_FromObject(obj);
  if (!view) {
    error_store();
    return 0;
  }
  Py_buffer* b = PyMemoryView_GET_BUFFER(view);
  if (b->suboffsets) {
    Py_DECREF(view);
    PyErr_SetString(PyExc_BufferError, "indirect (suboffset) buffers cannot be shared with the host");
    error_store();
    return 0;
  }
  out->buf = (uint32_t)(uintptr_t)b->buf;
  out->len = (uint32_t)b->len;
  out->itemsize = (uint32_t)b->itemsize;
  out->ndim = (uint32_t)b->ndim;
  out->readonly = (uint32_t)b->readonly;
  out->format = (uint32_t)(uintptr_t)(b->format ? b->format : "B");
  out->shape = (uint32_t)(uintptr_t)b->shape;
  out->strides = (uint32_t)(uintptr_t)b->strides;
  uint32_t handle = handle_new(view);
  if (!handle) error_store();
  return handle;
}
