/* Run Python code and read its results: the first program to copy.
 *
 *   cc run_code.c -I<repo>/include -L<repo>/out/lib -lpyodide -Wl,-rpath,<repo>/out/lib
 */
#include <pyodide.h>
#include <stdio.h>

/* Every fallible call returns NULL or an error the caller owns: report it, free it. */
static int failed(pyodide_error_t* err) {
  if (err == NULL) return 0;
  fprintf(stderr, "%s: %s\n", pyodide_error_type(err), pyodide_error_message(err));
  pyodide_error_delete(err);
  return 1;
}

int main(void) {
  pyodide_t* py;
  if (failed(pyodide_load(NULL, &py))) return 1; /* NULL config: every default */

  /* The value of a final expression is the result; plain values arrive by value. */
  pyodide_value_t v;
  if (failed(pyodide_run_python(py, "sum(i * i for i in range(10))", PYODIDE_STRLEN, NULL, &v))) return 1;
  if (v.kind == PYODIDE_INT) printf("sum of squares: %lld\n", (long long)v.of.i);
  pyodide_value_release(&v); /* a no-op for an int, but always pair them */

  /* State persists between calls. Strings are UTF-8 with a length (and a NUL). */
  if (failed(pyodide_run_python(py, "name = 'world'", PYODIDE_STRLEN, NULL, NULL))) return 1;
  if (failed(pyodide_run_python(py, "f'hello {name}'", PYODIDE_STRLEN, NULL, &v))) return 1;
  printf("%.*s\n", (int)v.of.str.len, v.of.str.ptr);
  pyodide_value_release(&v);

  /* Anything else arrives as a proxy, used through pyproxy_* and then destroyed. */
  if (failed(pyodide_run_python(py, "{'a': 1, 'b': 2}", PYODIDE_STRLEN, NULL, &v))) return 1;
  size_t n = 0;
  if (failed(pyproxy_length(v.of.proxy, &n))) return 1;
  printf("a dict of %zu items\n", n);
  pyodide_value_release(&v); /* destroys the proxy */

  /* A Python exception is an error of kind PYODIDE_ERROR_PYTHON. */
  pyodide_error_t* err = pyodide_run_python(py, "1 / 0", PYODIDE_STRLEN, NULL, NULL);
  if (err != NULL && pyodide_error_kind(err) == PYODIDE_ERROR_PYTHON)
    printf("raised %s\n", pyodide_error_type(err));
  pyodide_error_delete(err);

  pyodide_destroy(py);
  return 0;
}
