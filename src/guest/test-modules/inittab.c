/* The test build of the guest (build-guest.sh --test-modules) links CPython's
 * test extension modules into python.wasm; WASI has no dynamic loading, so
 * they become built-in modules. CPython's own build would list them in its
 * static inittab (and ship them in every python.wasm); here they are appended
 * by this constructor, which the reactor's _initialize runs before pyn_init
 * starts the interpreter, so only this build has them. */
#include <Python.h>

PyMODINIT_FUNC PyInit__testcapi(void);
PyMODINIT_FUNC PyInit__testinternalcapi(void);
PyMODINIT_FUNC PyInit__testbuffer(void);
PyMODINIT_FUNC PyInit__testmultiphase(void);
PyMODINIT_FUNC PyInit__testimportmultiple(void);
PyMODINIT_FUNC PyInit__testimportmultiple_foo(void);
PyMODINIT_FUNC PyInit__testimportmultiple_bar(void);
PyMODINIT_FUNC PyInit__testclinic(void);
PyMODINIT_FUNC PyInit__xxtestfuzz(void);

static struct _inittab test_modules[] = {
  {"_testcapi", PyInit__testcapi},
  {"_testinternalcapi", PyInit__testinternalcapi},
  {"_testbuffer", PyInit__testbuffer},
  {"_testmultiphase", PyInit__testmultiphase},
  {"_testimportmultiple", PyInit__testimportmultiple},
  {"_testimportmultiple_foo", PyInit__testimportmultiple_foo},
  {"_testimportmultiple_bar", PyInit__testimportmultiple_bar},
  {"_testclinic", PyInit__testclinic},
  {"_xxtestfuzz", PyInit__xxtestfuzz},
  {NULL, NULL},
};

__attribute__((constructor)) static void add_test_modules(void) {
  if (PyImport_ExtendInittab(test_modules) != 0) {
    /* Only fails without memory at start-up: the test build is then unusable. */
    abort();
  }
}
