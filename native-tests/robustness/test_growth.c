/* Leaks as growth: memory must not grow with the number of runtimes loaded and
 * destroyed, or with the number of calls. Independent of any leak checker: the
 * process's malloc heap (glibc mallinfo2: Wasmtime's and the library's native
 * allocations) and its resident set are measured after a warm-up. */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#include "rb_util.h"

static long long heap_bytes(void) {
  struct mallinfo2 mi = mallinfo2();
  return (long long)(mi.uordblks + mi.hblkhd);
}

static long long rss_bytes(void) {
  FILE* f = fopen("/proc/self/status", "r");
  if (f == NULL) return 0;
  char line[256];
  long long kb = 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %lld kB", &kb) == 1) break;
  fclose(f);
  return kb * 1024;
}

static void cycle(void) {
  pyodide_t* rt = RB_LOAD_QUIET();
  pyproxy_t* p = RUN_PROXY(rt, "[1, 2, 3]");
  pyodide_value_t v = RUN(rt, "'x' * 100");
  pyodide_value_release(&v);
  ASSERT_ERROR(pyodide_run_python(rt, "1/0", PYODIDE_STRLEN, NULL, NULL), PYODIDE_ERROR_PYTHON,
               "ZeroDivisionError");
  pyproxy_t* arr = RUN_PROXY(rt, "bytearray(64)");
  pybuffer_t b;
  ASSERT_OK(pyproxy_get_buffer(arr, NULL, &b));
  pybuffer_release(&b);
  pyproxy_destroy(arr);
  pyproxy_destroy(p);
  pyodide_destroy(rt);
}

TEST(leak_growth_load_destroy_cycles) {
  enum { WARM = 5, N = 40 };
  for (int i = 0; i < WARM; i++) cycle();
  long long heap0 = heap_bytes(), rss0 = rss_bytes();
  for (int i = 0; i < N; i++) cycle();
  long long heap = heap_bytes() - heap0, rss = rss_bytes() - rss0;
  printf("load/destroy x%d: malloc heap %+lld bytes (%+lld per cycle), RSS %+lld KiB\n", N, heap,
         heap / N, rss / 1024);
  /* A leaked store, instance or linear memory would be megabytes per cycle. */
  ASSERT(heap / N < 16 * 1024);
  ASSERT(rss < 64ll * 1024 * 1024);
}

TEST(leak_growth_many_calls) {
  pyodide_t* rt = RB_LOAD_QUIET();
  pyproxy_t* f = RUN_PROXY(rt, "lambda i: [i, str(i), {'k': b'v' * (i % 7)}]");
  pyproxy_t* arr = RUN_PROXY(rt, "bytearray(256)");
  pyodide_stats_t base = RB_STATS(rt);
  long long heap0 = 0, rss0 = 0;
  enum { WARM = 2000 };
  int N = 40000;
  if (getenv("RB_GROWTH_CALLS")) N = atoi(getenv("RB_GROWTH_CALLS"));
  for (int i = 0; i < WARM + N; i++) {
    if (i == WARM) {
      heap0 = heap_bytes();
      rss0 = rss_bytes();
    }
    pyodide_value_t arg = v_int(i), out = sentinel_value();
    switch (i % 5) {
      case 0:
        ASSERT_OK(pyproxy_call(f, &arg, 1, &out));
        pyodide_value_release(&out);
        break;
      case 1: {
        pyproxy_t* c = NULL;
        ASSERT_OK(pyproxy_copy(f, &c));
        ASSERT_OK(pyproxy_to_js(arr, -1, &out));
        pyodide_value_release(&out);
        pyproxy_destroy(c);
        break;
      }
      case 2:
        ASSERT_ERROR(pyproxy_get_attr(f, "missing", PYODIDE_STRLEN, &out), PYODIDE_ERROR_PYTHON,
                     "AttributeError");
        ASSERT_USAGE(pyproxy_call(NULL, &arg, 1, &out));
        break;
      case 3: {
        pybuffer_t b;
        ASSERT_OK(pyproxy_get_buffer(arr, "u32", &b));
        pybuffer_release(&b);
        break;
      }
      default:
        ASSERT_OK(pyodide_run_python(rt, "[str(x) for x in range(20)]", PYODIDE_STRLEN, NULL, &out));
        pyodide_value_release(&out);
        break;
    }
  }
  long long heap = heap_bytes() - heap0, rss = rss_bytes() - rss0;
  printf("%d calls: malloc heap %+lld bytes, RSS %+lld KiB\n", N, heap, rss / 1024);
  pyodide_stats_t after = RB_STATS(rt);
  ASSERT_EQ_INT(after.guest_objects, base.guest_objects);
  ASSERT_EQ_INT(after.process_proxies, base.process_proxies);
  ASSERT_EQ_INT(after.process_buffers, base.process_buffers);
  /* Python's own heap may settle a little; the host side must not grow per call. */
  ASSERT(after.memory_bytes <= base.memory_bytes + 8 * 1024 * 1024);
  ASSERT(heap < 1024 * 1024);
  ASSERT(rss < 48ll * 1024 * 1024); /* the GC heap settles at ~16 MiB more */
  pyproxy_destroy(arr);
  pyproxy_destroy(f);
  pyodide_destroy(rt);
}
