/* A minimal consumer of an installed Pyodide.Native: prints 6*7 computed by
   Python. Built by src/bindings/c/install-test.sh with pkg-config and with
   CMake's find_package(Pyodide). */
#include <pyodide.h>
#include <stdio.h>

int main(void) {
  pyodide_t* py = NULL;
  pyodide_error_t* err = pyodide_load(NULL, &py); /* assets beside libpyodide */
  if (err) {
    fprintf(stderr, "%s: %s\n", pyodide_error_type(err), pyodide_error_message(err));
    pyodide_error_delete(err);
    return 1;
  }
  pyodide_value_t v;
  err = pyodide_run_python(py, "6*7", PYODIDE_STRLEN, NULL, &v);
  if (err) {
    fprintf(stderr, "%s: %s\n", pyodide_error_type(err), pyodide_error_message(err));
    pyodide_error_delete(err);
    pyodide_destroy(py);
    return 1;
  }
  printf("%lld\n", (long long)v.of.i);
  pyodide_value_release(&v);
  pyodide_destroy(py);
  return 0;
}
