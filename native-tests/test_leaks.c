/* The handle tables and guest memory return to their starting size after a
 * million proxies and a hundred thousand buffers are created and released. */
#include "harness.h"
#include "support.h"

/* A failed pyodide_stats fails the case: comparing two unfilled structs would
 * prove nothing. */
static pyodide_stats_t stats_of(pyodide_t* rt) {
  pyodide_stats_t s = {.size = sizeof s};
  ASSERT_OK(pyodide_stats(rt, &s));
  return s;
}

/* One round: `n` proxies, half copies of an existing one and half new objects
 * returned by a call, and `n / 10` buffers, each released at once. */
static void churn(pyodide_t* rt, pyproxy_t* make, pyproxy_t* data, int n) {
  for (int i = 0; i < n / 2; i++) {
    pyproxy_t* copy = NULL;
    ASSERT_OK(pyproxy_copy(make, &copy));
    pyproxy_destroy(copy);
    pyodide_value_t v;
    ASSERT_OK(pyproxy_call(make, NULL, 0, &v));
    ASSERT_EQ_INT(v.kind, PYODIDE_PROXY);
    pyodide_value_release(&v);
  }
  for (int i = 0; i < n / 10; i++) {
    pybuffer_t b;
    ASSERT_OK(pyproxy_get_buffer(data, NULL, &b));
    pybuffer_release(&b);
  }
  (void)rt;
}

TEST(million_proxies_and_100k_buffers_leave_no_trace) {
  pyodide_t* rt = LOAD();
  pyproxy_t* make = RUN_PROXY(rt, "lambda: [1]");
  pyproxy_t* data = RUN_PROXY(rt, "bytearray(4096)");
  churn(rt, make, data, 10000); /* warm-up: lets the tables and the heap reach their working size */
  pyodide_stats_t before = stats_of(rt);
  /* The counters are live: `make` and `data` are held, and memory is in use. */
  ASSERT(before.guest_objects >= 2);
  ASSERT(before.process_proxies >= 2);
  ASSERT(before.memory_bytes > 0);
  churn(rt, make, data, 1000000);
  pyodide_stats_t after = stats_of(rt);
  harness_note("after 10^6 proxies and 10^5 buffers: guest objects %llu -> %llu, memory %llu -> %llu bytes, "
               "process proxies %llu -> %llu, buffers %llu -> %llu",
               (unsigned long long)before.guest_objects, (unsigned long long)after.guest_objects,
               (unsigned long long)before.memory_bytes, (unsigned long long)after.memory_bytes,
               (unsigned long long)before.process_proxies, (unsigned long long)after.process_proxies,
               (unsigned long long)before.process_buffers, (unsigned long long)after.process_buffers);
  ASSERT_EQ_INT(after.guest_objects, before.guest_objects);
  ASSERT_EQ_INT(after.memory_bytes, before.memory_bytes);
  ASSERT_EQ_INT(after.process_proxies, before.process_proxies);
  ASSERT_EQ_INT(after.process_buffers, before.process_buffers);
  pyproxy_destroy(make);
  pyproxy_destroy(data);
  pyodide_destroy(rt);
}
