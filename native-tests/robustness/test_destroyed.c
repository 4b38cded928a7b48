/* Destroying a runtime that still has live proxies and buffers. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>

#include "rb_util.h"

TEST(destroyed_runtime_proxies_and_buffers) {
  pyodide_t* monitor = RB_LOAD_QUIET();
  pyodide_stats_t base = RB_STATS(monitor);

  pyodide_t* rt = RB_LOAD_QUIET();
  pyproxy_t* dict = RUN_PROXY(rt, "{'a': 1, 'b': [1, 2]}");
  pyproxy_t* fn = RUN_PROXY(rt, "lambda x: x + 1");
  pyproxy_t* gen = RUN_PROXY(rt, "(i for i in range(10))");
  pyproxy_t* arr = RUN_PROXY(rt, "bytearray(b'hello world')");
  pyproxy_t* copy = NULL;
  ASSERT_OK(pyproxy_copy(dict, &copy));
  pyproxy_t* globals = NULL;
  ASSERT_OK(pyodide_globals(rt, &globals));
  pybuffer_t buf, buf2;
  memset(&buf, 0, sizeof buf);
  memset(&buf2, 0, sizeof buf2);
  ASSERT_OK(pyproxy_get_buffer(arr, NULL, &buf));
  ASSERT_OK(pyproxy_get_buffer(arr, "u8", &buf2));
  ASSERT(buf.first != NULL && buf.nbytes == 11);
  ASSERT_MEMEQ(buf.first, "hello world", 11);
  ((char*)buf.first)[0] = 'J'; /* a live buffer writes into Python's object */
  char* s = RUN_STR(rt, "globals().get('x', None) or 'ok'");
  free(s);

  pyodide_stats_t during = RB_STATS(monitor);
  ASSERT_EQ_INT(during.process_proxies, base.process_proxies + 6);
  ASSERT_EQ_INT(during.process_buffers, base.process_buffers + 2);

  pyodide_destroy(rt);

  /* Every use of the runtime: USAGE. */
  pyodide_value_t out = sentinel_value();
  pyodide_value_t k = v_str("a"), one = v_int(1);
  pyproxy_t* p = NULL;
  ASSERT_USAGE(pyodide_run_python(rt, "1", PYODIDE_STRLEN, NULL, &out));
  ASSERT_USAGE(pyodide_globals(rt, &p));
  ASSERT_USAGE(pyodide_to_py(rt, &one, -1, &p));
  ASSERT_USAGE(pyodide_set_timeout(rt, 1));
  ASSERT_USAGE(pyodide_snapshot_save(rt, "/tmp/never-written.snapshot"));
  ASSERT_USAGE(pyodide_interrupt(rt));
  pyodide_signal_action_t action = PYODIDE_SIGNAL_HANDLED;
  ASSERT_USAGE(pyodide_signal(rt, 15, &action));
  ASSERT_EQ_INT(action, PYODIDE_SIGNAL_HANDLED);
  pyodide_stats_t st;
  memset(&st, 0, sizeof st);
  st.size = sizeof st;
  ASSERT_USAGE(pyodide_stats(rt, &st));
  /* Every use of its proxies: USAGE, out-parameters untouched. */
  bool b = false;
  size_t n = 0;
  ASSERT_USAGE(pyproxy_get(dict, &k, &out));
  ASSERT_USAGE(pyproxy_set(dict, &k, &one));
  ASSERT_USAGE(pyproxy_has(dict, &k, &b));
  ASSERT_USAGE(pyproxy_delete(dict, &k));
  ASSERT_USAGE(pyproxy_length(copy, &n));
  ASSERT_USAGE(pyproxy_type(dict, &out));
  ASSERT_USAGE(pyproxy_call(fn, &one, 1, &out));
  ASSERT_USAGE(pyproxy_call_kwargs(fn, &one, 1, NULL, &out));
  ASSERT_USAGE(pyproxy_copy(dict, &p));
  ASSERT_USAGE(pyproxy_get_attr(dict, "keys", PYODIDE_STRLEN, &out));
  ASSERT_USAGE(pyproxy_set_attr(fn, "x", PYODIDE_STRLEN, &one));
  ASSERT_USAGE(pyproxy_has_attr(dict, "keys", PYODIDE_STRLEN, &b));
  ASSERT_USAGE(pyproxy_del_attr(fn, "x", PYODIDE_STRLEN));
  ASSERT_USAGE(pyproxy_iter(dict, &p));
  ASSERT_USAGE(pyproxy_next(gen, NULL, &out, &b));
  ASSERT_USAGE(pyproxy_to_js(globals, -1, &out));
  pybuffer_t nb;
  memset(&nb, 0x5a, sizeof nb);
  ASSERT_USAGE(pyproxy_get_buffer(arr, NULL, &nb));
  /* A live proxy of the dead runtime passed to another runtime is USAGE too. */
  pyodide_value_t pv = v_proxy(dict);
  ASSERT_USAGE(pyodide_to_py(monitor, &pv, -1, &p));
  ASSERT(is_sentinel(&out) && p == NULL && n == 0 && !b);
  ASSERT_EQ_INT(((unsigned char*)&nb)[0], 0x5a);

  /* They are still proxies, and still counted, until destroyed. */
  ASSERT(pyodide_is_pyproxy(dict) && pyodide_is_pyproxy(globals));
  pyodide_stats_t after = RB_STATS(monitor);
  ASSERT_EQ_INT(after.process_proxies, base.process_proxies + 6);
  ASSERT_EQ_INT(after.process_buffers, base.process_buffers + 2);

  /* Destroy/release free their handles, one by one. */
  pyproxy_destroy(dict);
  ASSERT(!pyodide_is_pyproxy(dict));
  ASSERT_EQ_INT(RB_STATS(monitor).process_proxies, base.process_proxies + 5);
  pyproxy_destroy(fn);
  pyproxy_destroy(gen);
  pyproxy_destroy(arr);
  pyproxy_destroy(copy);
  pyproxy_destroy(globals);
  ASSERT_EQ_INT(RB_STATS(monitor).process_proxies, base.process_proxies);
  pybuffer_release(&buf);
  ASSERT(buf.first == NULL && buf.data == NULL && buf.reserved == NULL && buf.shape == NULL);
  ASSERT_EQ_INT(RB_STATS(monitor).process_buffers, base.process_buffers + 1);
  pybuffer_release(&buf2);
  ASSERT_EQ_INT(RB_STATS(monitor).process_buffers, base.process_buffers);
  /* Twice is harmless, and so is everything else on the dead handles. */
  pybuffer_release(&buf);
  pyproxy_destroy(dict);
  pyodide_destroy(rt);
  ASSERT_USAGE(pyproxy_type(dict, &out));
  ASSERT_EQ_INT(RB_STATS(monitor).process_proxies, base.process_proxies);
  ASSERT_EQ_INT(RB_STATS(monitor).process_buffers, base.process_buffers);
  ASSERT_EQ_INT(RB_STATS(monitor).guest_objects, base.guest_objects);
  RB_ALIVE(monitor);
  pyodide_destroy(monitor);
}

/* Host objects of a runtime destroyed while Python held them: each finalized once, at
 * the destruction; nothing of them is usable afterwards, and nothing more runs. */
static int host_finalized[3];
static void count_finalize(void* obj) { (*(int*)obj)++; }
static pyodide_error_t* answer_self(void* obj, const char* name, size_t len, pyodide_value_t* out) {
  (void)name, (void)len;
  out->kind = PYODIDE_HOST;
  out->of.host.cls = NULL; /* refused: a HOST value needs its class */
  out->of.host.obj = obj;
  return NULL;
}
static const pyodide_host_class_t counted = {
  .size = sizeof(pyodide_host_class_t), .name = "Counted", .get_attr = answer_self, .finalize = count_finalize,
};

TEST(destroyed_runtime_host_objects) {
  pyodide_t* monitor = RB_LOAD_QUIET();
  pyodide_stats_t base = RB_STATS(monitor);
  pyodide_t* rt = RB_LOAD_QUIET();
  pyproxy_t *held = NULL, *in_python = NULL, *dropped = NULL, *globals = NULL;
  ASSERT_OK(pyodide_host_object_new(rt, &counted, &host_finalized[0], &held));
  ASSERT_OK(pyodide_host_object_new(rt, &counted, &host_finalized[1], &in_python));
  ASSERT_OK(pyodide_host_object_new(rt, &counted, &host_finalized[2], &dropped));
  ASSERT_OK(pyodide_globals(rt, &globals));
  pyodide_value_t key = v_str("kept"), value = v_proxy(in_python);
  ASSERT_OK(pyproxy_set(globals, &key, &value));
  /* A slot answering with a class-less HOST value: a Python error, not a crash. */
  ASSERT_ERROR(pyodide_run_python(rt, "kept.anything", PYODIDE_STRLEN, NULL, NULL), PYODIDE_ERROR_PYTHON, NULL);
  pyproxy_destroy(in_python);
  pyproxy_destroy(globals);
  pyproxy_destroy(dropped);
  ASSERT_EQ_INT(host_finalized[2], 1); /* Python's last reference went */
  ASSERT_EQ_INT(host_finalized[0] + host_finalized[1], 0);
  pyodide_destroy(rt);
  ASSERT_EQ_INT(host_finalized[0], 1);
  ASSERT_EQ_INT(host_finalized[1], 1);
  /* The proxy outlives its runtime as a handle; using it is USAGE, destroying it runs nothing. */
  pyodide_value_t out = sentinel_value();
  ASSERT_USAGE(pyproxy_get_attr(held, "x", PYODIDE_STRLEN, &out));
  pyproxy_t* p = NULL;
  ASSERT_USAGE(pyodide_host_object_new(rt, &counted, &host_finalized[0], &p));
  pyodide_value_t host = {.kind = PYODIDE_HOST, .of.host = {&counted, &host_finalized[0]}};
  ASSERT_USAGE(pyodide_to_py(rt, &host, -1, &p));
  ASSERT(p == NULL && is_sentinel(&out));
  pyproxy_destroy(held);
  ASSERT_EQ_INT(host_finalized[0], 1);
  ASSERT_EQ_INT(host_finalized[1], 1);
  ASSERT_EQ_INT(host_finalized[2], 1);
  ASSERT_EQ_INT(RB_STATS(monitor).process_proxies, base.process_proxies);
  RB_ALIVE(monitor);
  pyodide_destroy(monitor);
}

/* A copy of a pybuffer_t struct shares its handle: releasing either ends the export,
 * the other becomes a released buffer (ignored). */
TEST(destroyed_buffer_struct_copies) {
  pyodide_t* rt = RB_LOAD_QUIET();
  pyodide_stats_t base = RB_STATS(rt);
  pyproxy_t* arr = RUN_PROXY(rt, "bytearray(100)");
  pybuffer_t a;
  ASSERT_OK(pyproxy_get_buffer(arr, NULL, &a));
  pybuffer_t b = a;
  pybuffer_release(&b);
  ASSERT_EQ_INT(RB_STATS(rt).process_buffers, base.process_buffers);
  pybuffer_release(&a); /* already released through the copy: ignored */
  /* Python can resize the bytearray again: the export really ended. */
  pyproxy_t* g = NULL;
  ASSERT_OK(pyodide_globals(rt, &g));
  pyodide_value_t key = v_str("arr"), val = v_proxy(arr);
  ASSERT_OK(pyproxy_set(g, &key, &val));
  ASSERT_EQ_INT(RUN_INT(rt, "arr.extend(b'xyz'); len(arr)"), 103);
  pyproxy_destroy(g);
  pyproxy_destroy(arr);
  EXEC(rt, "del arr");
  ASSERT_EQ_INT(RB_STATS(rt).guest_objects, base.guest_objects);
  pyodide_destroy(rt);
}
