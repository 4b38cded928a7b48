/* _pyn_pgo: lets the training run of the instrumented build write its counts
 * (profile_runtime.c) from Python. Only the instrumented build has it. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

int pyn_profile_write(const char* path);

static PyObject* pgo_write(PyObject* module, PyObject* arg)
{
  const char* path = PyUnicode_AsUTF8(arg);
  if (!path) return NULL;
  if (pyn_profile_write(path) != 0) return PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, arg);
  Py_RETURN_NONE;
}

static PyMethodDef pgo_methods[] = {
  {"write", pgo_write, METH_O, "write(path): the counts so far, as an LLVM raw profile"},
  {NULL, NULL, 0, NULL},
};

static struct PyModuleDef pgo_module = {PyModuleDef_HEAD_INIT, "_pyn_pgo", NULL, 0, pgo_methods};

static PyObject* pgo_init(void)
{
  return PyModule_Create(&pgo_module);
}

/* Runs in _initialize, before the bridge starts the interpreter. */
__attribute__((constructor)) static void pgo_register(void)
{
  PyImport_AppendInittab("_pyn_pgo", pgo_init);
}
