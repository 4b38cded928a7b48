/* The interpreter's flags that python3's command line sets (-O, -b, -v, -s,
 * -d, -i, -q, -E, -I, -P, -X dev, -X warn_default_encoding,
 * -X int_max_str_digits), set after a
 * runtime starts: a runtime starts from a snapshot, taken with the flags of
 * the embedded configuration, so pyodide-run (runner.py) sets its run's.
 * Each is set where CPython reads it as it runs (the configuration: compile's
 * optimisation level, the bytes comparison warning, the import system's
 * verbosity, io's encoding warning, int's string conversion limit) and in
 * sys.flags, which code reads. */
#define Py_BUILD_CORE 1
#include "bridge.h"

#include <stddef.h>
#include <string.h>

#include "internal/pycore_interp.h"
#include "internal/pycore_pystate.h"

/* Each settable flag: its name in sys.flags and place there (sysmodule.c's
 * flags_fields), the int field behind it in the configuration (or, `interp`,
 * in the interpreter's state; `inverted`: the field says the opposite, as
 * site_import for no_site), and whether sys.flags shows it as a bool. */
static const struct {
  const char* name;
  Py_ssize_t index;
  size_t field;
  int inverted, boolean, interp;
} FLAGS[] = {
  {"debug", 0, offsetof(PyConfig, parser_debug), 0, 0},
  {"inspect", 1, offsetof(PyConfig, inspect), 0, 0},
  {"interactive", 2, offsetof(PyConfig, interactive), 0, 0},
  {"optimize", 3, offsetof(PyConfig, optimization_level), 0, 0},
  {"no_user_site", 5, offsetof(PyConfig, user_site_directory), 1, 0},
  {"no_site", 6, offsetof(PyConfig, site_import), 1, 0},
  {"ignore_environment", 7, offsetof(PyConfig, use_environment), 1, 0},
  {"verbose", 8, offsetof(PyConfig, verbose), 0, 0},
  {"bytes_warning", 9, offsetof(PyConfig, bytes_warning), 0, 0},
  {"quiet", 10, offsetof(PyConfig, quiet), 0, 0},
  {"isolated", 12, offsetof(PyConfig, isolated), 0, 0},
  {"dev_mode", 13, offsetof(PyConfig, dev_mode), 0, 1},
  {"warn_default_encoding", 15, offsetof(PyConfig, warn_default_encoding), 0, 0},
  {"safe_path", 16, offsetof(PyConfig, safe_path), 0, 1},
  /* What sys.set_int_max_str_digits sets; 3.11's configuration has no field for it. */
  {"int_max_str_digits", 17, offsetof(PyInterpreterState, int_max_str_digits), 0, 0, 1},
};
enum { FLAG_FIELDS = 18 }; /* sys.flags' length in 3.11 */

/* Sets the flag `name` to `value` (>= 0); 0, or -1 with an error set. */
static int set_flag(PyInterpreterState* interp, PyObject* flags, PyObject* name, PyObject* value) {
  const char* wanted = PyUnicode_AsUTF8(name);
  if (wanted == NULL) return -1;
  for (size_t k = 0; k < sizeof FLAGS / sizeof *FLAGS; k++) {
    if (strcmp(FLAGS[k].name, wanted) != 0) continue;
    int n = _PyLong_AsInt(value);
    if (n == -1 && PyErr_Occurred()) return -1;
    if (n < 0) {
      PyErr_Format(PyExc_ValueError, "set_flags: %s must not be negative", wanted);
      return -1;
    }
    PyObject* shown = FLAGS[k].boolean ? PyBool_FromLong(n) : PyLong_FromLong(n);
    if (shown == NULL) return -1;
    char* holder = FLAGS[k].interp ? (char*)interp : (char*)&interp->config;
    *(int*)(holder + FLAGS[k].field) = FLAGS[k].inverted ? !n : FLAGS[k].boolean ? n != 0 : n;
    Py_XSETREF(PyStructSequence_GET_ITEM(flags, FLAGS[k].index), shown);
    return 0;
  }
  PyErr_Format(PyExc_TypeError, "set_flags: no flag '%s'", wanted);
  return -1;
}

/* set_flags(**flags): each flag given (a name of sys.flags above) set to its
 * number. Flags before a bad one are set. */
static PyObject* flags_set(PyObject* self, PyObject* args, PyObject* kwargs) {
  (void)self;
  if (PyTuple_GET_SIZE(args) != 0) {
    PyErr_SetString(PyExc_TypeError, "set_flags takes keyword arguments only");
    return NULL;
  }
  PyObject* flags = PySys_GetObject("flags"); /* borrowed */
  if (flags == NULL || !PyTuple_Check(flags) || PyTuple_GET_SIZE(flags) != FLAG_FIELDS) {
    PyErr_SetString(PyExc_RuntimeError, "sys.flags is not the interpreter's");
    return NULL;
  }
  PyInterpreterState* interp = _PyInterpreterState_GET();
  PyObject *name, *value;
  Py_ssize_t pos = 0;
  while (kwargs != NULL && PyDict_Next(kwargs, &pos, &name, &value))
    if (set_flag(interp, flags, name, value) < 0) return NULL;
  Py_RETURN_NONE;
}

static PyMethodDef flag_methods[] = {
  {"set_flags", (PyCFunction)(void (*)(void))flags_set, METH_VARARGS | METH_KEYWORDS,
   "set_flags(**flags): the interpreter's configuration and sys.flags as python3's command line sets them."},
  {NULL, NULL, 0, NULL},
};

int flags_add_to(PyObject* module) { return PyModule_AddFunctions(module, flag_methods); }
