/* test_ndarray_buffers.c — pyproxy_get_buffer on the buffers numpy-like
 * libraries export, made by CPython's _testbuffer.ndarray (only the test build
 * of the guest has it): n-dimensional, strided with negative steps,
 * Fortran-order, read-only, and suboffset (PIL-style) buffers, which the
 * library refuses with a Python BufferError rather than hand out pointers
 * the host could not follow.
 *
 *   test_ndarray_buffers ASSET_DIR      (the test build's out/lib/pyodide)
 *
 * Prints "ok - CASE" / "not ok - CASE" per case, then "N passed, N failed". */
#include <pyodide.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int failed_checks;
#define CHECK(expr)                                                            \
  do {                                                                         \
    if (!(expr)) {                                                             \
      printf("  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #expr);        \
      failed_checks++;                                                         \
    }                                                                          \
  } while (0)
#define CHECK_EQ(a, b)                                                         \
  do {                                                                         \
    long long a_ = (long long)(a), b_ = (long long)(b);                        \
    if (a_ != b_) {                                                            \
      printf("  %s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, a_, b_); \
      failed_checks++;                                                         \
    }                                                                          \
  } while (0)

static pyodide_t* py;

/* The proxy of the value of `code`, or NULL (the error printed, counted). */
static pyproxy_t* run_proxy(const char* code) {
  pyodide_value_t v;
  pyodide_error_t* err = pyodide_run_python(py, code, PYODIDE_STRLEN, NULL, &v);
  if (err) {
    printf("  %s: %s\n", pyodide_error_type(err), pyodide_error_message(err));
    pyodide_error_delete(err);
    failed_checks++;
    return NULL;
  }
  if (v.kind != PYODIDE_PROXY) {
    printf("  expected a proxy from: %s\n", code);
    pyodide_value_release(&v);
    failed_checks++;
    return NULL;
  }
  return v.of.proxy;
}

/* The buffer of the value of `code` into `*b` (its proxy in `*p`), or false
   with the error printed and counted. */
static bool buffer_of(const char* code, pyproxy_t** p, pybuffer_t* b) {
  *p = run_proxy(code);
  if (!*p) return false;
  pyodide_error_t* err = pyproxy_get_buffer(*p, NULL, b);
  if (!err) return true;
  printf("  %s: %s\n", pyodide_error_type(err), pyodide_error_message(err));
  pyodide_error_delete(err);
  failed_checks++;
  pyproxy_destroy(*p);
  return false;
}

/* Element at `index` (ndim entries) of a buffer, through its byte strides. */
static const char* element(const pybuffer_t* b, const ptrdiff_t* index) {
  const char* p = b->first;
  for (size_t d = 0; d < b->ndim; d++) p += index[d] * b->byte_strides[d];
  return p;
}

static void three_dimensional_c_order(void) {
  pyproxy_t* p;
  pybuffer_t b;
  if (!buffer_of(
      "from _testbuffer import ndarray, ND_WRITABLE\n"
      "nd = ndarray(list(range(24)), shape=[2, 3, 4], format='i', flags=ND_WRITABLE)\nnd",
      &p, &b))
    return;
  CHECK_EQ(b.ndim, 3);
  CHECK_EQ(b.shape[0], 2);
  CHECK_EQ(b.shape[1], 3);
  CHECK_EQ(b.shape[2], 4);
  CHECK_EQ(b.strides[0], 12);
  CHECK_EQ(b.strides[1], 4);
  CHECK_EQ(b.strides[2], 1);
  CHECK_EQ(b.byte_strides[0], 48);
  CHECK_EQ(b.itemsize, 4);
  CHECK_EQ(b.nbytes, 96);
  CHECK(strcmp(b.format, "i") == 0);
  CHECK(b.c_contiguous && !b.f_contiguous && !b.readonly);
  ptrdiff_t at[3] = {1, 2, 3};
  CHECK_EQ(*(const int32_t*)element(&b, at), 23);
  /* Written in place: Python sees it. */
  *(int32_t*)element(&b, at) = -5;
  pybuffer_release(&b);
  pyodide_value_t v;
  CHECK(pyodide_run_python(py, "nd[1][2][3]", PYODIDE_STRLEN, NULL, &v) == NULL);
  CHECK(v.kind == PYODIDE_INT && v.of.i == -5);
  pyproxy_destroy(p);
}

static void fortran_order(void) {
  /* Items are laid out column by column: [i][j] is item i + 3 * j. */
  pyproxy_t* p;
  pybuffer_t b;
  if (!buffer_of(
      "from _testbuffer import ndarray, ND_FORTRAN\n"
      "ndarray([float(i) for i in range(12)], shape=[3, 4], format='d', flags=ND_FORTRAN)",
      &p, &b))
    return;
  CHECK_EQ(b.ndim, 2);
  CHECK_EQ(b.strides[0], 1);
  CHECK_EQ(b.strides[1], 3);
  CHECK_EQ(b.byte_strides[1], 24);
  CHECK(b.f_contiguous && !b.c_contiguous);
  CHECK(b.readonly); /* ndarray without ND_WRITABLE */
  ptrdiff_t at[2] = {2, 1};
  CHECK(*(const double*)element(&b, at) == 5.0);
  pybuffer_release(&b);
  pyproxy_destroy(p);
}

static void strided_negative_steps(void) {
  /* Rows 0 and 2, columns 4, 2, 0 of a 4x5 int16 array: [0][0] is item 4. */
  pyproxy_t* p;
  pybuffer_t b;
  if (!buffer_of(
      "from _testbuffer import ndarray\n"
      "ndarray(list(range(20)), shape=[4, 5], format='h')[::2, ::-2]",
      &p, &b))
    return;
  CHECK_EQ(b.ndim, 2);
  CHECK_EQ(b.shape[0], 2);
  CHECK_EQ(b.shape[1], 3);
  CHECK_EQ(b.strides[0], 10);
  CHECK_EQ(b.strides[1], -2);
  CHECK_EQ(b.byte_strides[1], -4);
  CHECK(!b.c_contiguous && !b.f_contiguous);
  CHECK_EQ(*(const int16_t*)b.first, 4);
  ptrdiff_t at[2] = {1, 2};
  CHECK_EQ(*(const int16_t*)element(&b, at), 10);
  /* data is the lowest address the buffer touches; first lies offset items after it. */
  CHECK((const char*)b.first == (const char*)b.data + b.offset * (ptrdiff_t)b.itemsize);
  CHECK_EQ(*(const int16_t*)b.data, 0);
  pybuffer_release(&b);
  pyproxy_destroy(p);
}

static void suboffsets_refused(void) {
  pyproxy_t* p = run_proxy(
      "from _testbuffer import ndarray, ND_PIL\n"
      "ndarray(list(range(12)), shape=[3, 4], format='B', flags=ND_PIL)");
  if (!p) return;
  pybuffer_t b;
  memset(&b, 0x5A, sizeof b);
  pyodide_error_t* err = pyproxy_get_buffer(p, NULL, &b);
  CHECK(err != NULL);
  if (err) {
    CHECK(pyodide_error_kind(err) == PYODIDE_ERROR_PYTHON);
    CHECK(strcmp(pyodide_error_type(err), "BufferError") == 0);
    CHECK(strstr(pyodide_error_message(err), "suboffset") != NULL);
    pyodide_error_delete(err);
  }
  pyproxy_destroy(p);
  /* The runtime is still fine. */
  pyodide_value_t v;
  CHECK(pyodide_run_python(py, "6 * 7", PYODIDE_STRLEN, NULL, &v) == NULL);
  CHECK(v.kind == PYODIDE_INT && v.of.i == 42);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s ASSET_DIR\n", argv[0]);
    return 2;
  }
  pyodide_config_t config;
  pyodide_config_init(&config);
  config.asset_dir = argv[1];
  pyodide_error_t* err = pyodide_load(&config, &py);
  if (err) {
    printf("not ok - load the test build: %s\n0 passed, 1 failed\n", pyodide_error_message(err));
    pyodide_error_delete(err);
    return 1;
  }
  static const struct {
    const char* name;
    void (*fn)(void);
  } cases[] = {
    {"ndarray_3d_c_order", three_dimensional_c_order},
    {"ndarray_fortran_order", fortran_order},
    {"ndarray_strided_negative_steps", strided_negative_steps},
    {"ndarray_suboffsets_refused", suboffsets_refused},
  };
  int passed = 0, failed = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int before = failed_checks;
    cases[i].fn();
    if (failed_checks == before) {
      printf("ok - %s\n", cases[i].name);
      passed++;
    } else {
      printf("not ok - %s\n", cases[i].name);
      failed++;
    }
  }
  pyodide_destroy(py);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
