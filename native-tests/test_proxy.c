/*
 * Proxies: pyproxy_get/set/has/delete/length/type/call/copy/destroy, with
 * NULL arguments, destroyed proxies, proxies of another or a destroyed runtime.
 */
#include <stdio.h>
#include <stdlib.h>

#include "support.h"

TEST(proxy_get_set_has_delete_on_dict) {
  pyodide_t* rt = LOAD();
  pyproxy_t* d = RUN_PROXY(rt, "d = {'a': 1, 2: 'two', (1, 2): 'tuple'}\nd");
  pyodide_value_t k = v_str("a"), v = sentinel_value();
  ASSERT_OK(pyproxy_get(d, &k, &v));
  EXPECT_KIND(&v, PYODIDE_INT);
  ASSERT_EQ_INT(v.of.i, 1);
  pyodide_value_release(&v);
  pyodide_value_t k2 = v_int(2);
  ASSERT_OK(pyproxy_get(d, &k2, &v));
  EXPECT_KIND(&v, PYODIDE_STR);
  ASSERT_STREQ(v.of.str.ptr, "two");
  pyodide_value_release(&v);
  /* A proxy as key. */
  pyproxy_t* tup = RUN_PROXY(rt, "(1, 2)");
  pyodide_value_t kt = v_proxy(tup);
  ASSERT_OK(pyproxy_get(d, &kt, &v));
  EXPECT_KIND(&v, PYODIDE_STR);
  ASSERT_STREQ(v.of.str.ptr, "tuple");
  pyodide_value_release(&v);

  pyodide_value_t nk = v_str("new"), nv = v_list(NULL, 0);
  ASSERT_OK(pyproxy_set(d, &nk, &nv));
  ASSERT(RUN_BOOL(rt, "d['new'] == [] and type(d['new']) is list"));
  bool has = false;
  ASSERT_OK(pyproxy_has(d, &nk, &has));
  ASSERT(has);
  ASSERT_OK(pyproxy_has(d, &kt, &has));
  ASSERT(has);
  size_t len = 0;
  ASSERT_OK(pyproxy_length(d, &len));
  ASSERT_EQ_INT(len, 4);
  ASSERT_OK(pyproxy_delete(d, &nk));
  has = true;
  ASSERT_OK(pyproxy_has(d, &nk, &has));
  ASSERT(!has);
  ASSERT_OK(pyproxy_length(d, &len));
  ASSERT_EQ_INT(len, 3);

  /* Missing keys: Python errors, and the out-parameters are untouched. */
  pyodide_value_t missing = v_str("missing");
  v = sentinel_value();
  ASSERT_PYERR(pyproxy_get(d, &missing, &v), "KeyError");
  ASSERT(is_sentinel(&v));
  ASSERT_PYERR(pyproxy_delete(d, &missing), "KeyError");
  /* An unhashable key. */
  pyodide_value_t unhashable = v_list(NULL, 0);
  has = true;
  ASSERT_PYERR(pyproxy_has(d, &unhashable, &has), "TypeError");
  ASSERT(has == true);
  pyproxy_destroy(tup);
  pyproxy_destroy(d);
  pyodide_destroy(rt);
}

TEST(proxy_get_set_on_list_and_object) {
  pyodide_t* rt = LOAD();
  pyproxy_t* l = RUN_PROXY(rt, "l = [10, 20, 30]\nl");
  pyodide_value_t i = v_int(-1), v = sentinel_value();
  ASSERT_OK(pyproxy_get(l, &i, &v));
  EXPECT_KIND(&v, PYODIDE_INT);
  ASSERT_EQ_INT(v.of.i, 30);
  pyodide_value_release(&v);
  pyodide_value_t i0 = v_int(0), nv = v_str("x");
  ASSERT_OK(pyproxy_set(l, &i0, &nv));
  ASSERT(RUN_BOOL(rt, "l == ['x', 20, 30]"));
  pyodide_value_t out_of_range = v_int(10);
  v = sentinel_value();
  ASSERT_PYERR(pyproxy_get(l, &out_of_range, &v), "IndexError");
  ASSERT(is_sentinel(&v));
  ASSERT_PYERR(pyproxy_set(l, &out_of_range, &nv), "IndexError");
  bool has = false;
  pyodide_value_t twenty = v_int(20);
  ASSERT_OK(pyproxy_has(l, &twenty, &has));
  ASSERT(has);
  ASSERT_OK(pyproxy_delete(l, &i0));
  ASSERT(RUN_BOOL(rt, "l == [20, 30]"));
  pyodide_value_t str_index = v_str("a");
  ASSERT_PYERR(pyproxy_get(l, &str_index, &v), "TypeError");

  /* Item access on a tuple: read-only. */
  pyproxy_t* t = RUN_PROXY(rt, "(1, 2)");
  ASSERT_PYERR(pyproxy_set(t, &i0, &nv), "TypeError");
  ASSERT_PYERR(pyproxy_delete(t, &i0), "TypeError");
  /* A class with __getitem__. */
  pyproxy_t* o = RUN_PROXY(rt,
                           "class Sq:\n"
                           "    def __getitem__(self, k): return k * k\n"
                           "    def __len__(self): return 7\n"
                           "    def __contains__(self, k): return k == 'yes'\n"
                           "Sq()");
  pyodide_value_t k = v_int(9);
  ASSERT_OK(pyproxy_get(o, &k, &v));
  EXPECT_KIND(&v, PYODIDE_INT);
  ASSERT_EQ_INT(v.of.i, 81);
  pyodide_value_release(&v);
  size_t len = 0;
  ASSERT_OK(pyproxy_length(o, &len));
  ASSERT_EQ_INT(len, 7);
  pyodide_value_t yes = v_str("yes");
  ASSERT_OK(pyproxy_has(o, &yes, &has));
  ASSERT(has);
  pyproxy_destroy(o);
  pyproxy_destroy(t);
  pyproxy_destroy(l);
  pyodide_destroy(rt);
}

TEST(proxy_length_various) {
  pyodide_t* rt = LOAD();
  static const struct {
    const char* code;
    size_t len;
  } cases[] = {{"[]", 0}, {"[1, 2, 3]", 3}, {"{'a': 1}", 1}, {"'\\ud800' * 5", 5},
               {"range(1000)", 1000}, {"set('abc')", 3}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    pyproxy_t* p = RUN_PROXY(rt, cases[i].code);
    size_t len = 12345;
    ASSERT_OK(pyproxy_length(p, &len));
    ASSERT_EQ_INT(len, cases[i].len);
    pyproxy_destroy(p);
  }
  pyodide_destroy(rt);
}

TEST(proxy_wrong_kinds_are_type_errors) {
  pyodide_t* rt = LOAD();
  pyproxy_t* f = RUN_PROXY(rt, "def f(): pass\nf");
  size_t len = 777;
  ASSERT_PYERR(pyproxy_length(f, &len), "TypeError");
  ASSERT_EQ_INT(len, 777);
  pyodide_value_t k = v_int(0), v = sentinel_value();
  ASSERT_PYERR(pyproxy_get(f, &k, &v), "TypeError");
  ASSERT(is_sentinel(&v));
  ASSERT_PYERR(pyproxy_set(f, &k, &k), "TypeError");
  ASSERT_PYERR(pyproxy_delete(f, &k), "TypeError");
  bool has = true;
  ASSERT_PYERR(pyproxy_has(f, &k, &has), "TypeError");
  ASSERT(has == true);
  pyproxy_t* d = RUN_PROXY(rt, "{}");
  ASSERT_PYERR(pyproxy_call(d, NULL, 0, &v), "TypeError");
  ASSERT(is_sentinel(&v));
  pyodide_error_t* e = pyproxy_call(d, NULL, 0, NULL);
  ASSERT(e != NULL);
  ASSERT_CONTAINS(pyodide_error_message(e), "not callable");
  pyodide_error_delete(e);
  pyproxy_destroy(d);
  pyproxy_destroy(f);
  pyodide_destroy(rt);
}

TEST(proxy_type_names) {
  pyodide_t* rt = LOAD();
  pyproxy_t* p = RUN_PROXY(rt, "import collections\ncollections.OrderedDict(a=1)");
  char* t = TYPE_OF(p);
  ASSERT_STREQ(t, "collections.OrderedDict");
  free(t);
  pyproxy_destroy(p);
  p = RUN_PROXY(rt, "class Mine: pass\nMine()");
  t = TYPE_OF(p);
  ASSERT_STREQ(t, "Mine");
  free(t);
  pyproxy_destroy(p);
  p = RUN_PROXY(rt, "{}");
  t = TYPE_OF(p);
  ASSERT_STREQ(t, "dict");
  free(t);
  pyodide_value_t v = sentinel_value();
  ASSERT_USAGE(pyproxy_type(p, NULL));
  ASSERT_USAGE(pyproxy_type(NULL, &v));
  ASSERT(is_sentinel(&v));
  pyproxy_destroy(p);
  pyodide_destroy(rt);
}

TEST(proxy_call) {
  pyodide_t* rt = LOAD();
  pyproxy_t* f = RUN_PROXY(rt, "def f(a, b=10, *rest):\n    return a + b + sum(rest)\nf");
  pyodide_value_t args[4] = {v_int(1), v_int(2), v_int(3), v_int(4)};
  pyodide_value_t v = CALL(f, args, 1);
  EXPECT_KIND(&v, PYODIDE_INT);
  ASSERT_EQ_INT(v.of.i, 11);
  pyodide_value_release(&v);
  v = CALL(f, args, 4);
  EXPECT_KIND(&v, PYODIDE_INT);
  ASSERT_EQ_INT(v.of.i, 10);
  pyodide_value_release(&v);
  /* Missing argument: TypeError; out untouched. */
  v = sentinel_value();
  ASSERT_PYERR(pyproxy_call(f, NULL, 0, &v), "TypeError");
  ASSERT(is_sentinel(&v));
  /* An exception raised by the callee, with its traceback. */
  pyproxy_t* boom = RUN_PROXY(rt, "def boom(x):\n    raise ValueError(f'bad {x}')\nboom");
  pyodide_value_t arg = v_str("arg");
  pyodide_error_t* e = pyproxy_call(boom, &arg, 1, &v);
  ASSERT(e != NULL);
  ASSERT_EQ_INT(pyodide_error_kind(e), PYODIDE_ERROR_PYTHON);
  ASSERT_STREQ(pyodide_error_type(e), "ValueError");
  ASSERT(strncmp(pyodide_error_message(e), "Traceback (most recent call last):", 34) == 0);
  ASSERT_CONTAINS(pyodide_error_message(e), "in boom");
  ASSERT_CONTAINS(pyodide_error_message(e), "ValueError: bad arg");
  ASSERT_NOT_CONTAINS(pyodide_error_message(e), "/lib/python3.11/pyodide/");
  pyodide_error_delete(e);
  ASSERT(is_sentinel(&v));
  /* No args with args == NULL; result discarded with out == NULL. */
  pyproxy_t* counter = RUN_PROXY(rt, "calls = 0\ndef bump():\n    global calls\n    calls += 1\n    return [calls]\nbump");
  ASSERT_OK(pyproxy_call(counter, NULL, 0, NULL));
  ASSERT_OK(pyproxy_call(counter, NULL, 0, NULL));
  ASSERT_EQ_INT(RUN_INT(rt, "calls"), 2);
  /* Returned objects come back as proxies that work. */
  v = CALL(counter, NULL, 0);
  EXPECT_KIND(&v, PYODIDE_PROXY);
  size_t len = 0;
  ASSERT_OK(pyproxy_length(v.of.proxy, &len));
  ASSERT_EQ_INT(len, 1);
  pyodide_value_release(&v);
  /* Calling a class and a bound method. */
  pyproxy_t* cls = RUN_PROXY(rt, "class Acc:\n    def __init__(self, n): self.n = n\n    def add(self, k):\n        self.n += k\n        return self.n\nAcc");
  pyodide_value_t five = v_int(5);
  v = CALL(cls, &five, 1);
  EXPECT_KIND(&v, PYODIDE_PROXY);
  char* t = TYPE_OF(v.of.proxy);
  ASSERT_STREQ(t, "Acc");
  free(t);
  pyodide_value_release(&v);
  pyproxy_t* method = RUN_PROXY(rt, "Acc(100).add");
  v = CALL(method, &five, 1);
  EXPECT_KIND(&v, PYODIDE_INT);
  ASSERT_EQ_INT(v.of.i, 105);
  pyodide_value_release(&v);
  pyproxy_destroy(method);
  pyproxy_destroy(cls);
  pyproxy_destroy(counter);
  pyproxy_destroy(boom);
  pyproxy_destroy(f);
  pyodide_destroy(rt);
}

TEST(proxy_copy_is_independent) {
  pyodide_t* rt = LOAD();
  pyproxy_t* p = RUN_PROXY(rt, "[1, 2, 3]");
  pyproxy_t* c = (pyproxy_t*)(uintptr_t)0x1234;
  ASSERT_OK(pyproxy_copy(p, &c));
  ASSERT(c != NULL && c != (pyproxy_t*)(uintptr_t)0x1234);
  ASSERT(c != p);
  pyproxy_destroy(p);
  size_t len = 0;
  ASSERT_OK(pyproxy_length(c, &len));
  ASSERT_EQ_INT(len, 3);
  pyproxy_t* c2 = NULL;
  ASSERT_OK(pyproxy_copy(c, &c2));
  pyproxy_destroy(c);
  ASSERT_OK(pyproxy_length(c2, &len));
  ASSERT_EQ_INT(len, 3);
  pyproxy_destroy(c2);
  pyodide_destroy(rt);
}

TEST(proxy_null_arguments_are_usage) {
  pyodide_t* rt = LOAD();
  pyproxy_t* d = RUN_PROXY(rt, "{'a': 1}");
  pyodide_value_t k = v_str("a"), v = sentinel_value();
  bool has = true;
  size_t len = 55;
  pyproxy_t* c = (pyproxy_t*)(uintptr_t)0x1234;

  /* NULL proxy. */
  ASSERT_USAGE(pyproxy_get(NULL, &k, &v));
  ASSERT_USAGE(pyproxy_set(NULL, &k, &k));
  ASSERT_USAGE(pyproxy_has(NULL, &k, &has));
  ASSERT_USAGE(pyproxy_delete(NULL, &k));
  ASSERT_USAGE(pyproxy_length(NULL, &len));
  ASSERT_USAGE(pyproxy_type(NULL, &v));
  ASSERT_USAGE(pyproxy_call(NULL, NULL, 0, &v));
  ASSERT_USAGE(pyproxy_copy(NULL, &c));
  pyproxy_destroy(NULL);
  /* NULL key / value. */
  ASSERT_USAGE(pyproxy_get(d, NULL, &v));
  ASSERT_USAGE(pyproxy_set(d, NULL, &k));
  ASSERT_USAGE(pyproxy_set(d, &k, NULL));
  ASSERT_USAGE(pyproxy_has(d, NULL, &has));
  ASSERT_USAGE(pyproxy_delete(d, NULL));
  /* NULL out. */
  ASSERT_USAGE(pyproxy_get(d, &k, NULL));
  ASSERT_USAGE(pyproxy_has(d, &k, NULL));
  ASSERT_USAGE(pyproxy_length(d, NULL));
  ASSERT_USAGE(pyproxy_type(d, NULL));
  ASSERT_USAGE(pyproxy_copy(d, NULL));
  /* NULL args with nargs > 0. */
  pyproxy_t* f = RUN_PROXY(rt, "lambda *a: len(a)");
  ASSERT_USAGE(pyproxy_call(f, NULL, 2, &v));

  ASSERT(is_sentinel(&v));
  ASSERT(has == true);
  ASSERT_EQ_INT(len, 55);
  ASSERT(c == (pyproxy_t*)(uintptr_t)0x1234);
  /* Nothing changed. */
  ASSERT(RUN_BOOL(rt, "True"));
  ASSERT_OK(pyproxy_length(d, &len));
  ASSERT_EQ_INT(len, 1);
  pyproxy_destroy(f);
  pyproxy_destroy(d);
  pyodide_destroy(rt);
}

/* Every proxy function on `p` gives USAGE and leaves its out-parameters alone. */
static void expect_all_usage(pyproxy_t* p) {
  pyodide_value_t k = v_str("a"), v = sentinel_value();
  bool has = true;
  size_t len = 55;
  pyproxy_t* c = (pyproxy_t*)(uintptr_t)0x1234;
  ASSERT_USAGE(pyproxy_get(p, &k, &v));
  ASSERT_USAGE(pyproxy_set(p, &k, &k));
  ASSERT_USAGE(pyproxy_has(p, &k, &has));
  ASSERT_USAGE(pyproxy_delete(p, &k));
  ASSERT_USAGE(pyproxy_length(p, &len));
  ASSERT_USAGE(pyproxy_type(p, &v));
  ASSERT_USAGE(pyproxy_call(p, NULL, 0, &v));
  ASSERT_USAGE(pyproxy_call(p, &k, 1, NULL));
  ASSERT_USAGE(pyproxy_copy(p, &c));
  ASSERT_USAGE(pyproxy_get_attr(p, "a", PYODIDE_STRLEN, &v));
  ASSERT_USAGE(pyproxy_set_attr(p, "a", PYODIDE_STRLEN, &k));
  ASSERT_USAGE(pyproxy_has_attr(p, "a", PYODIDE_STRLEN, &has));
  ASSERT_USAGE(pyproxy_del_attr(p, "a", PYODIDE_STRLEN));
  ASSERT_USAGE(pyproxy_call_kwargs(p, NULL, 0, NULL, &v));
  ASSERT_USAGE(pyproxy_iter(p, &c));
  bool done = true;
  ASSERT_USAGE(pyproxy_next(p, NULL, &v, &done));
  ASSERT_USAGE(pyproxy_to_js(p, -1, &v));
  pybuffer_t b;
  memset(&b, 0, sizeof b);
  b.data = b.first = (void*)(uintptr_t)0x5A01;
  b.nbytes = 0x5A02;
  ASSERT_USAGE(pyproxy_get_buffer(p, NULL, &b));
  ASSERT(b.data == (void*)(uintptr_t)0x5A01 && b.nbytes == 0x5A02 && b.format == NULL);
  ASSERT(done == true);
  ASSERT(is_sentinel(&v));
  ASSERT(has == true);
  ASSERT_EQ_INT(len, 55);
  ASSERT(c == (pyproxy_t*)(uintptr_t)0x1234);
}

TEST(proxy_destroyed_is_usage) {
  pyodide_t* rt = LOAD();
  pyproxy_t* d = RUN_PROXY(rt, "{'a': 1}");
  pyproxy_t* keep = NULL;
  ASSERT_OK(pyproxy_copy(d, &keep));
  pyproxy_destroy(d);
  expect_all_usage(d);
  pyproxy_destroy(d); /* double destroy: harmless */
  /* The slot is not confused with a newer proxy created after it. */
  pyproxy_t* fresh = RUN_PROXY(rt, "[1]");
  expect_all_usage(d);
  size_t len = 0;
  ASSERT_OK(pyproxy_length(fresh, &len));
  ASSERT_EQ_INT(len, 1);
  ASSERT_OK(pyproxy_length(keep, &len));
  ASSERT_EQ_INT(len, 1);
  /* A destroyed proxy as an argument value. */
  pyproxy_t* f = RUN_PROXY(rt, "lambda x: x");
  pyodide_value_t arg = v_proxy(d), v = sentinel_value();
  ASSERT_USAGE(pyproxy_call(f, &arg, 1, &v));
  ASSERT_USAGE(pyproxy_get(keep, &arg, &v));
  ASSERT(is_sentinel(&v));
  pyproxy_destroy(f);
  pyproxy_destroy(fresh);
  pyproxy_destroy(keep);
  pyodide_destroy(rt);
}

TEST(proxy_of_other_runtime_as_argument_is_usage) {
  pyodide_t* a = LOAD();
  pyodide_t* b = LOAD();
  pyproxy_t* obj_a = RUN_PROXY(a, "object()");
  pyproxy_t* f_b = RUN_PROXY(b, "lambda x: x");
  pyproxy_t* d_b = RUN_PROXY(b, "{}");
  pyodide_value_t arg = v_proxy(obj_a), v = sentinel_value();
  ASSERT_USAGE(pyproxy_call(f_b, &arg, 1, &v));
  ASSERT_USAGE(pyproxy_set(d_b, &arg, &arg));
  pyodide_value_t k = v_str("k");
  ASSERT_USAGE(pyproxy_set(d_b, &k, &arg));
  pyodide_value_t items[] = {arg};
  pyodide_value_t lst = v_list(items, 1);
  ASSERT_USAGE(pyproxy_call(f_b, &lst, 1, &v));
  ASSERT(is_sentinel(&v));
  size_t len = 9;
  ASSERT_OK(pyproxy_length(d_b, &len));
  ASSERT_EQ_INT(len, 0);
  pyproxy_destroy(d_b);
  pyproxy_destroy(f_b);
  pyproxy_destroy(obj_a);
  pyodide_destroy(b);
  pyodide_destroy(a);
}

TEST(destroyed_runtime_is_usage) {
  pyodide_t* rt = LOAD();
  pyproxy_t* d = RUN_PROXY(rt, "{'a': 1}");
  pyproxy_t* g = NULL;
  ASSERT_OK(pyodide_globals(rt, &g));
  pyodide_destroy(rt);

  pyodide_value_t v = sentinel_value();
  ASSERT_USAGE(pyodide_run_python(rt, "1", PYODIDE_STRLEN, NULL, &v));
  ASSERT_USAGE(pyodide_run_python(rt, "1", PYODIDE_STRLEN, d, &v));
  ASSERT(is_sentinel(&v));
  pyproxy_t* g2 = (pyproxy_t*)(uintptr_t)0x1234;
  ASSERT_USAGE(pyodide_globals(rt, &g2));
  ASSERT(g2 == (pyproxy_t*)(uintptr_t)0x1234);
  expect_all_usage(d);
  expect_all_usage(g);
  ASSERT(pyodide_is_pyproxy(d));
  pyodide_stats_t st;
  memset(&st, 0, sizeof st);
  st.size = sizeof st;
  ASSERT_USAGE(pyodide_stats(rt, &st));
  pyodide_value_t one = v_int(1);
  pyproxy_t* np = (pyproxy_t*)(uintptr_t)0x1234;
  ASSERT_USAGE(pyodide_to_py(rt, &one, -1, &np));
  ASSERT(np == (pyproxy_t*)(uintptr_t)0x1234);
  /* A proxy of a dead runtime passed to a live one. */
  pyodide_t* live = LOAD();
  ASSERT_USAGE(pyodide_run_python(live, "1", PYODIDE_STRLEN, d, &v));
  pyproxy_t* f = RUN_PROXY(live, "lambda x: x");
  pyodide_value_t arg = v_proxy(d);
  ASSERT_USAGE(pyproxy_call(f, &arg, 1, &v));
  ASSERT(is_sentinel(&v));
  pyproxy_destroy(f);
  pyodide_destroy(live);

  pyproxy_destroy(d); /* frees the handle */
  pyproxy_destroy(d); /* harmless */
  pyproxy_destroy(g);
  pyodide_destroy(rt); /* harmless */
}

TEST(many_proxies_are_released) {
  pyodide_t* rt = LOAD();
  EXEC(rt, "import gc, weakref\nclass T: pass\nrefs = []");
  pyproxy_t* make = RUN_PROXY(rt, "def make():\n    t = T()\n    refs.append(weakref.ref(t))\n    return t\nmake");
  for (int i = 0; i < 2000; i++) {
    pyodide_value_t v = CALL(make, NULL, 0);
    EXPECT_KIND(&v, PYODIDE_PROXY);
    pyodide_value_release(&v);
  }
  /* Once every proxy is gone, Python frees the objects. */
  ASSERT_EQ_INT(RUN_INT(rt, "gc.collect(); sum(r() is not None for r in refs)"), 0);
  pyproxy_destroy(make);
  pyodide_destroy(rt);
}
