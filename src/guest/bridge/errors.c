/* The error store: the last exception's type name and formatted traceback,
 * kept as Python strs whose UTF-8 the host reads through pyn_error. */
#include "bridge.h"

#include <errno.h>

static PyObject* error_type;    /* str */
static PyObject* error_message; /* str */
static PyObject* formatter;     /* pyodide._bridge.format_exception */

void errors_set_formatter(PyObject* format_exception) {
  Py_INCREF(format_exception);
  Py_XSETREF(formatter, format_exception);
}

int error_store_c(const char* type, const char* message) {
  Py_XSETREF(error_type, PyUnicode_FromString(type));
  Py_XSETREF(error_message, PyUnicode_FromString(message));
  return -1;
}

/* Records the exception as the interactive interpreter does, so a host can
 * inspect it afterwards (pyodide-run reads sys.last_value.code on SystemExit). */
static void record_last(PyObject* exc) {
  PyObject* tb = PyException_GetTraceback(exc);
  if (PySys_SetObject("last_type", (PyObject*)Py_TYPE(exc)) < 0 ||
      PySys_SetObject("last_value", exc) < 0 ||
      PySys_SetObject("last_traceback", tb ? tb : Py_None) < 0)
    PyErr_Clear();
  Py_XDECREF(tb);
}

int error_store(void) {
  PyObject *type, *value, *tb;
  PyErr_Fetch(&type, &value, &tb);
  if (!type) return error_store_c("SystemError", "error reported without an exception");
  PyErr_NormalizeException(&type, &value, &tb);
  if (tb) PyException_SetTraceback(value, tb);
  record_last(value);

  Py_XSETREF(error_type, PyUnicode_FromString(((PyTypeObject*)type)->tp_name));
  if (error_type) {
    /* tp_name of a heap type is its __name__; of a static one "module.Name". */
    const char* name = PyUnicode_AsUTF8(error_type);
    const char* dot = name ? strrchr(name, '.') : NULL;
    if (dot) Py_XSETREF(error_type, PyUnicode_FromString(dot + 1));
  }
  PyObject* message = formatter ? PyObject_CallOneArg(formatter, value) : NULL;
  if (!message || !PyUnicode_Check(message)) {
    /* Formatting failed (e.g. out of memory): fall back to str(exc). */
    PyErr_Clear();
    Py_XDECREF(message);
    PyObject* text = PyObject_Str(value);
    message = text ? PyUnicode_FromFormat("%U: %U\n", error_type, text)
                   : PyUnicode_FromString("<exception could not be formatted>\n");
    Py_XDECREF(text);
    PyErr_Clear();
  }
  Py_XSETREF(error_message, message);
  Py_XDECREF(type);
  Py_XDECREF(value);
  Py_XDECREF(tb);
  if (!error_type || !error_message) {
    PyErr_Clear();
    return error_store_c("MemoryError", "out of memory while reporting an exception\n");
  }
  return -1;
}

/* Writes {type, type_len, message, message_len} of the last error. */
PYN_EXPORT(pyn_error) int32_t pyn_error(uint32_t* out) {
  if (!error_type || !error_message) return -1;
  Py_ssize_t tlen, mlen;
  const char* t = PyUnicode_AsUTF8AndSize(error_type, &tlen);
  const char* m = PyUnicode_AsUTF8AndSize(error_message, &mlen);
  if (!t || !m) {
    PyErr_Clear();
    return -1;
  }
  out[0] = (uint32_t)(uintptr_t)t;
  out[1] = (uint32_t)tlen;
  out[2] = (uint32_t)(uintptr_t)m;
  out[3] = (uint32_t)mlen;
  return 0;
}

PyObject* raise_errno(PyObject* type, int err) {
  errno = err; /* wasi-libc's errno values are WASI's */
  return PyErr_SetFromErrno(type);
}

PyObject* raise_os_error(PyObject* type, int err, const char* words) {
  PyObject* error = PyObject_CallFunction(type, "is", _PyPyn_ErrnoToLinux(err), words);
  if (error != NULL) {
    PyErr_SetObject((PyObject*)Py_TYPE(error), error);
    Py_DECREF(error);
  }
  return NULL;
}
