/* Read (and write) a 2-D Python buffer in place, without copying: any layout,
 * through `first` and the byte strides.
 *
 *   cc buffer_2d.c -I<repo>/include -L<repo>/out/lib -lpyodide -Wl,-rpath,<repo>/out/lib
 */
#include <pyodide.h>
#include <stdio.h>

static int failed(pyodide_error_t* err) {
  if (err == NULL) return 0;
  fprintf(stderr, "%s: %s\n", pyodide_error_type(err), pyodide_error_message(err));
  pyodide_error_delete(err);
  return 1;
}

/* Element [i][j]: first + i*byte_strides[0] + j*byte_strides[1], whatever the layout. */
static double* at(const pybuffer_t* b, ptrdiff_t i, ptrdiff_t j) {
  return (double*)((char*)b->first + i * b->byte_strides[0] + j * b->byte_strides[1]);
}

int main(void) {
  pyodide_t* py;
  if (failed(pyodide_load(NULL, &py))) return 1;
  pyodide_value_t grid; /* a 3 x 4 matrix of doubles, as NumPy would export it */
  const char* code = "import array\n"
                     "data = array.array('d', [10 * r + c for r in range(3) for c in range(4)])\n"
                     "memoryview(data).cast('B').cast('d', (3, 4))";
  if (failed(pyodide_run_python(py, code, PYODIDE_STRLEN, NULL, &grid))) return 1;

  pybuffer_t buf; /* points into the interpreter's memory: nothing is copied */
  if (failed(pyproxy_get_buffer(grid.of.proxy, NULL, &buf))) return 1;
  printf("format '%s', %zu dims, shape %td x %td\n", buf.format, buf.ndim, buf.shape[0], buf.shape[1]);
  for (ptrdiff_t i = 0; i < buf.shape[0]; i++) {
    for (ptrdiff_t j = 0; j < buf.shape[1]; j++) printf("%4.0f", *at(&buf, i, j));
    printf("\n");
  }
  if (!buf.readonly) *at(&buf, 2, 3) = -1; /* Python sees the write at once */
  pybuffer_release(&buf);                  /* before the proxy and the runtime go */
  pyodide_value_release(&grid);

  pyodide_value_t last;
  if (failed(pyodide_run_python(py, "data[-1]", PYODIDE_STRLEN, NULL, &last))) return 1;
  printf("Python now sees data[-1] == %g\n", last.of.f);
  pyodide_destroy(py);
  return 0;
}
