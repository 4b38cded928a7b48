/*
 * Attributes, keyword calls, iteration and pyodide_is_pyproxy:
 * pyproxy_get_attr/set_attr/has_attr/del_attr, pyproxy_call_kwargs,
 * pyproxy_iter, pyproxy_next, pyodide_is_pyproxy.
 */
#include <stdio.h>
#include <stdlib.h>

#include "support.h"

/* ---- attributes ---- */

TEST(attr_get_set_has_del) {
  pyodide_t* rt = LOAD();
  pyproxy_t* o = RUN_PROXY(rt,
                           "class Obj:\n"
                           "    cls_attr = 'on the class'\n"
                           "    def __init__(self): self.x = 1\n"
                           "    def method(self, k): return self.x + k\n"
                           "obj = Obj()\n"
                           "obj");
  pyodide_value_t v = sentinel_value();
  ASSERT_OK(pyproxy_get_attr(o, "x", PYODIDE_STRLEN, &v));
  EXPECT_KIND(&v, PYODIDE_INT);
  ASSERT_EQ_INT(v.of.i, 1);
  pyodide_value_release(&v);
  ASSERT_OK(pyproxy_get_attr(o, "cls_attr", PYODIDE_STRLEN, &v));
  EXPECT_KIND(&v, PYODIDE_STR);
  ASSERT_STREQ(v.of.str.ptr, "on the class");
  pyodide_value_release(&v);
  /* Explicit length: the name need not be NUL-terminated. */
  const char name[] = {'x', 'y', 'z'};
  ASSERT_OK(pyproxy_get_attr(o, name, 1, &v));
  EXPECT_KIND(&v, PYODIDE_INT);
  ASSERT_EQ_INT(v.of.i, 1);
  pyodide_value_release(&v);
  /* A bound method arrives as a proxy and can be called. */
  ASSERT_OK(pyproxy_get_attr(o, "method", PYODIDE_STRLEN, &v));
  EXPECT_KIND(&v, PYODIDE_PROXY);
  pyodide_value_t k = v_int(41);
  pyodide_value_t r = CALL(v.of.proxy, &k, 1);
  EXPECT_KIND(&r, PYODIDE_INT);
  ASSERT_EQ_INT(r.of.i, 42);
  pyodide_value_release(&r);
  pyodide_value_release(&v);

  pyodide_value_t nv = v_str("new value");
  ASSERT_OK(pyproxy_set_attr(o, "fresh", PYODIDE_STRLEN, &nv));
  ASSERT(RUN_BOOL(rt, "obj.fresh == 'new value'"));
  pyodide_value_t items[] = {v_int(1), v_int(2)};
  pyodide_value_t lst = v_list(items, 2);
  ASSERT_OK(pyproxy_set_attr(o, "caf\xc3\xa9", PYODIDE_STRLEN, &lst)); /* non-ASCII name */
  ASSERT(RUN_BOOL(rt, "getattr(obj, 'caf\\u00e9') == [1, 2]"));
  bool has = false;
  ASSERT_OK(pyproxy_has_attr(o, "fresh", PYODIDE_STRLEN, &has));
  ASSERT(has);
  ASSERT_OK(pyproxy_has_attr(o, "caf\xc3\xa9", 5, &has));
  ASSERT(has);
  ASSERT_OK(pyproxy_del_attr(o, "fresh", PYODIDE_STRLEN));
  ASSERT_OK(pyproxy_has_attr(o, "fresh", PYODIDE_STRLEN, &has));
  ASSERT(!has);
  ASSERT(RUN_BOOL(rt, "not hasattr(obj, 'fresh')"));

  /* Missing attributes. */
  v = sentinel_value();
  pyodide_error_t* e = pyproxy_get_attr(o, "missing", PYODIDE_STRLEN, &v);
  ASSERT(e != NULL);
  ASSERT_EQ_INT(pyodide_error_kind(e), PYODIDE_ERROR_PYTHON);
  ASSERT_STREQ(pyodide_error_type(e), "AttributeError");
  ASSERT_CONTAINS(pyodide_error_message(e), "missing");
  pyodide_error_delete(e);
  ASSERT(is_sentinel(&v));
  ASSERT_PYERR(pyproxy_del_attr(o, "missing", PYODIDE_STRLEN), "AttributeError");
  has = true;
  ASSERT_OK(pyproxy_has_attr(o, "missing", PYODIDE_STRLEN, &has));
  ASSERT(!has);
  pyproxy_destroy(o);
  pyodide_destroy(rt);
}

TEST(attr_on_modules_and_builtins) {
  pyodide_t* rt = LOAD();
  pyproxy_t* json = RUN_PROXY(rt, "import json\njson");
  pyodide_value_t dumps = sentinel_value();
  ASSERT_OK(pyproxy_get_attr(json, "dumps", PYODIDE_STRLEN, &dumps));
  EXPECT_KIND(&dumps, PYODIDE_PROXY);
  pyodide_value_t keys[] = {v_str("b")}, vals[] = {v_int(1)};
  pyodide_value_t arg = v_dict(keys, vals, 1);
  pyodide_value_t s = CALL(dumps.of.proxy, &arg, 1);
  EXPECT_KIND(&s, PYODIDE_STR);
  ASSERT_STREQ(s.of.str.ptr, "{\"b\": 1}");
  pyodide_value_release(&s);
  pyodide_value_release(&dumps);
  /* Setting an attribute on a module changes the module. */
  pyodide_value_t one = v_int(1);
  ASSERT_OK(pyproxy_set_attr(json, "marker", PYODIDE_STRLEN, &one));
  ASSERT(RUN_BOOL(rt, "import json; json.marker == 1"));
  /* Objects that refuse attributes. */
  pyproxy_t* plain = RUN_PROXY(rt, "object()");
  ASSERT_PYERR(pyproxy_set_attr(plain, "x", PYODIDE_STRLEN, &one), "AttributeError");
  pyproxy_t* lst = RUN_PROXY(rt, "[3, 1, 2]");
  pyodide_value_t sort = sentinel_value();
  ASSERT_OK(pyproxy_get_attr(lst, "sort", PYODIDE_STRLEN, &sort));
  ASSERT_OK(pyproxy_call(sort.of.proxy, NULL, 0, NULL));
  pyodide_value_release(&sort);
  pyodide_value_t i0 = v_int(0), v = sentinel_value();
  ASSERT_OK(pyproxy_get(lst, &i0, &v));
  ASSERT_EQ_INT(v.of.i, 1);
  pyodide_value_release(&v);
  pyproxy_destroy(lst);
  pyproxy_destroy(plain);
  pyproxy_destroy(json);
  pyodide_destroy(rt);
}

TEST(attr_has_attr_propagates_other_errors) {
  pyodide_t* rt = LOAD();
  pyproxy_t* o = RUN_PROXY(rt,
                           "class P:\n"
                           "    @property\n"
                           "    def bad(self): raise ValueError('computing bad')\n"
                           "    @property\n"
                           "    def absent(self): raise AttributeError('absent')\n"
                           "P()");
  bool has = true;
  ASSERT_PYERR(pyproxy_has_attr(o, "bad", PYODIDE_STRLEN, &has), "ValueError");
  ASSERT(has == true); /* untouched */
  ASSERT_OK(pyproxy_has_attr(o, "absent", PYODIDE_STRLEN, &has));
  ASSERT(!has);
  pyodide_value_t v = sentinel_value();
  ASSERT_PYERR(pyproxy_get_attr(o, "bad", PYODIDE_STRLEN, &v), "ValueError");
  ASSERT(is_sentinel(&v));
  pyproxy_destroy(o);
  pyodide_destroy(rt);
}

TEST(attr_bad_arguments_are_usage) {
  pyodide_t* rt = LOAD();
  pyproxy_t* o = RUN_PROXY(rt, "class O: pass\nO()");
  pyodide_value_t v = sentinel_value(), one = v_int(1);
  bool has = true;
  ASSERT_USAGE(pyproxy_get_attr(NULL, "x", PYODIDE_STRLEN, &v));
  ASSERT_USAGE(pyproxy_get_attr(o, NULL, PYODIDE_STRLEN, &v));
  ASSERT_USAGE(pyproxy_get_attr(o, NULL, 3, &v));
  ASSERT_USAGE(pyproxy_get_attr(o, "x", PYODIDE_STRLEN, NULL));
  ASSERT_USAGE(pyproxy_get_attr(o, "\xff\xfe", PYODIDE_STRLEN, &v));
  ASSERT_USAGE(pyproxy_set_attr(NULL, "x", PYODIDE_STRLEN, &one));
  ASSERT_USAGE(pyproxy_set_attr(o, NULL, PYODIDE_STRLEN, &one));
  ASSERT_USAGE(pyproxy_set_attr(o, "x", PYODIDE_STRLEN, NULL));
  ASSERT_USAGE(pyproxy_set_attr(o, "\xed\xa0\x80", PYODIDE_STRLEN, &one));
  pyodide_value_t bad = v_str("\xc0\xaf");
  ASSERT_USAGE(pyproxy_set_attr(o, "x", PYODIDE_STRLEN, &bad));
  ASSERT_USAGE(pyproxy_has_attr(NULL, "x", PYODIDE_STRLEN, &has));
  ASSERT_USAGE(pyproxy_has_attr(o, NULL, PYODIDE_STRLEN, &has));
  ASSERT_USAGE(pyproxy_has_attr(o, "x", PYODIDE_STRLEN, NULL));
  ASSERT_USAGE(pyproxy_has_attr(o, "\x80", PYODIDE_STRLEN, &has));
  ASSERT_USAGE(pyproxy_del_attr(NULL, "x", PYODIDE_STRLEN));
  ASSERT_USAGE(pyproxy_del_attr(o, NULL, PYODIDE_STRLEN));
  ASSERT_USAGE(pyproxy_del_attr(o, "\xff", 1));
  ASSERT(is_sentinel(&v));
  ASSERT(has == true);
  ASSERT(RUN_BOOL(rt, "True"));
  pyproxy_destroy(o);
  pyodide_destroy(rt);
}

/* ---- call_kwargs ---- */

TEST(call_kwargs) {
  pyodide_t* rt = LOAD();
  pyproxy_t* f = RUN_PROXY(rt,
                           "def f(a, b=2, *rest, c=3, **kw):\n"
                           "    return repr((a, b, rest, c, sorted(kw.items())))\n"
                           "f");
  pyodide_value_t args[3] = {v_int(1), v_int(20), v_int(30)};
  pyodide_value_t keys[3] = {v_str("c"), v_str("z\xc3\xa9"), v_str("y")};
  pyodide_value_t vals[3] = {v_str("C"), v_none(), v_bytes("\0", 1)};
  pyodide_value_t kwargs = v_dict(keys, vals, 3);
  pyodide_value_t v = sentinel_value();
  ASSERT_OK(pyproxy_call_kwargs(f, args, 3, &kwargs, &v));
  EXPECT_KIND(&v, PYODIDE_STR);
  ASSERT_STREQ(v.of.str.ptr, "(1, 20, (30,), 'C', [('y', b'\\x00'), ('z\xc3\xa9', None)])");
  pyodide_value_release(&v);
  /* kwargs NULL: positional only; args NULL with nargs 0. */
  ASSERT_OK(pyproxy_call_kwargs(f, args, 1, NULL, &v));
  EXPECT_KIND(&v, PYODIDE_STR);
  ASSERT_STREQ(v.of.str.ptr, "(1, 2, (), 3, [])");
  pyodide_value_release(&v);
  pyodide_value_t akey[1] = {v_str("a")}, aval[1] = {v_int(5)};
  pyodide_value_t only_a = v_dict(akey, aval, 1);
  ASSERT_OK(pyproxy_call_kwargs(f, NULL, 0, &only_a, &v));
  EXPECT_KIND(&v, PYODIDE_STR);
  ASSERT_STREQ(v.of.str.ptr, "(5, 2, (), 3, [])");
  pyodide_value_release(&v);
  pyodide_value_t empty = v_dict(NULL, NULL, 0);
  ASSERT_OK(pyproxy_call_kwargs(f, args, 2, &empty, &v));
  EXPECT_KIND(&v, PYODIDE_STR);
  ASSERT_STREQ(v.of.str.ptr, "(1, 20, (), 3, [])");
  pyodide_value_release(&v);
  /* out NULL discards. */
  ASSERT_OK(pyproxy_call_kwargs(f, args, 1, &kwargs, NULL));
  /* Python's own argument errors. */
  v = sentinel_value();
  ASSERT_PYERR(pyproxy_call_kwargs(f, args, 1, &only_a, &v), "TypeError"); /* a twice */
  ASSERT_PYERR(pyproxy_call_kwargs(f, NULL, 0, NULL, &v), "TypeError");    /* no a */
  pyproxy_t* no_kw = RUN_PROXY(rt, "len");
  ASSERT_PYERR(pyproxy_call_kwargs(no_kw, args, 0, &only_a, &v), "TypeError");
  ASSERT(is_sentinel(&v));
  /* Keyword values may be proxies. */
  pyproxy_t* obj = RUN_PROXY(rt, "sentinel_obj = object()\nsentinel_obj");
  pyproxy_t* same = RUN_PROXY(rt, "lambda *, o: o is sentinel_obj");
  pyodide_value_t okey[1] = {v_str("o")}, oval[1] = {v_proxy(obj)};
  pyodide_value_t okw = v_dict(okey, oval, 1);
  ASSERT_OK(pyproxy_call_kwargs(same, NULL, 0, &okw, &v));
  EXPECT_KIND(&v, PYODIDE_BOOL);
  ASSERT(v.of.b);
  pyproxy_destroy(same);
  pyproxy_destroy(obj);
  pyproxy_destroy(no_kw);
  pyproxy_destroy(f);
  pyodide_destroy(rt);
}

TEST(call_kwargs_bad_arguments_are_usage) {
  pyodide_t* rt = LOAD();
  pyproxy_t* f = RUN_PROXY(rt, "lambda *a, **k: (a, k)");
  pyodide_value_t v = sentinel_value();
  pyodide_value_t keys[1] = {v_str("k")}, vals[1] = {v_int(1)};
  pyodide_value_t kw = v_dict(keys, vals, 1);
  ASSERT_USAGE(pyproxy_call_kwargs(NULL, NULL, 0, &kw, &v));
  ASSERT_USAGE(pyproxy_call_kwargs(f, NULL, 1, &kw, &v));
  /* kwargs must be a DICT with STR keys. */
  pyodide_value_t not_dict = v_list(vals, 1);
  ASSERT_USAGE(pyproxy_call_kwargs(f, NULL, 0, &not_dict, &v));
  /* A non-STR key breaks the documented precondition; the header does not say
     which kind of error that is: USAGE, or Python's own TypeError
     ("keywords must be strings"). Either, but an error. */
  pyodide_value_t int_keys[1] = {v_int(1)};
  pyodide_value_t int_keyed = v_dict(int_keys, vals, 1);
  pyodide_error_t* e = pyproxy_call_kwargs(f, NULL, 0, &int_keyed, &v);
  ASSERT(e != NULL);
  ASSERT(pyodide_error_kind(e) == PYODIDE_ERROR_USAGE ||
         (pyodide_error_kind(e) == PYODIDE_ERROR_PYTHON &&
          strcmp(pyodide_error_type(e), "TypeError") == 0));
  pyodide_error_delete(e);
  pyodide_value_t bad_keys[1] = {v_str("\xff")};
  pyodide_value_t bad_keyed = v_dict(bad_keys, vals, 1);
  ASSERT_USAGE(pyproxy_call_kwargs(f, NULL, 0, &bad_keyed, &v));
  pyodide_value_t null_dict = v_dict(NULL, NULL, 1);
  ASSERT_USAGE(pyproxy_call_kwargs(f, NULL, 0, &null_dict, &v));
  ASSERT(is_sentinel(&v));
  pyproxy_destroy(f);
  pyodide_destroy(rt);
}

/* ---- iteration ---- */

/* pyproxy_next expecting a value (not done); returns it (owned). */
static pyodide_value_t next_value(pyproxy_t* it, const pyodide_value_t* sent) {
  pyodide_value_t v = sentinel_value();
  bool done = true;
  ASSERT_OK(pyproxy_next(it, sent, &v, &done));
  ASSERT(!done);
  return v;
}

TEST(iter_next_over_list_and_dict) {
  pyodide_t* rt = LOAD();
  pyproxy_t* l = RUN_PROXY(rt, "[10, 'b', None]");
  pyproxy_t* it = NULL;
  ASSERT_OK(pyproxy_iter(l, &it));
  ASSERT(it != NULL);
  char* t = TYPE_OF(it);
  ASSERT_STREQ(t, "list_iterator");
  free(t);
  pyodide_value_t v = next_value(it, NULL);
  EXPECT_KIND(&v, PYODIDE_INT);
  ASSERT_EQ_INT(v.of.i, 10);
  pyodide_value_release(&v);
  v = next_value(it, NULL);
  EXPECT_KIND(&v, PYODIDE_STR);
  ASSERT_STREQ(v.of.str.ptr, "b");
  pyodide_value_release(&v);
  v = next_value(it, NULL);
  EXPECT_KIND(&v, PYODIDE_NONE);
  pyodide_value_release(&v);
  bool done = false;
  v = sentinel_value();
  ASSERT_OK(pyproxy_next(it, NULL, &v, &done));
  ASSERT(done);
  EXPECT_KIND(&v, PYODIDE_NONE);
  pyodide_value_release(&v);
  /* Exhausted stays exhausted. */
  done = false;
  ASSERT_OK(pyproxy_next(it, NULL, &v, &done));
  ASSERT(done);
  pyodide_value_release(&v);
  pyproxy_destroy(it);

  /* A dict iterates over its keys, in insertion order. */
  pyproxy_t* d = RUN_PROXY(rt, "{'z': 1, 'a': 2}");
  ASSERT_OK(pyproxy_iter(d, &it));
  v = next_value(it, NULL);
  ASSERT_STREQ(v.of.str.ptr, "z");
  pyodide_value_release(&v);
  v = next_value(it, NULL);
  ASSERT_STREQ(v.of.str.ptr, "a");
  pyodide_value_release(&v);
  pyproxy_destroy(it);
  /* iter() of an iterator is itself, as in Python. */
  pyproxy_t* gen = RUN_PROXY(rt, "(i * i for i in range(3))");
  ASSERT_OK(pyproxy_iter(gen, &it));
  v = next_value(it, NULL);
  ASSERT_EQ_INT(v.of.i, 0);
  pyodide_value_release(&v);
  v = next_value(gen, NULL);
  ASSERT_EQ_INT(v.of.i, 1);
  pyodide_value_release(&v);
  pyproxy_destroy(it);
  pyproxy_destroy(gen);
  pyproxy_destroy(d);
  pyproxy_destroy(l);
  pyodide_destroy(rt);
}

TEST(next_sends_into_generator_and_returns_value) {
  pyodide_t* rt = LOAD();
  pyproxy_t* g = RUN_PROXY(rt,
                           "def gen():\n"
                           "    x = yield 1\n"
                           "    y = yield x * 2\n"
                           "    return x + y\n"
                           "gen()");
  pyodide_value_t v = next_value(g, NULL);
  EXPECT_KIND(&v, PYODIDE_INT);
  ASSERT_EQ_INT(v.of.i, 1);
  pyodide_value_release(&v);
  pyodide_value_t ten = v_int(10);
  v = next_value(g, &ten);
  EXPECT_KIND(&v, PYODIDE_INT);
  ASSERT_EQ_INT(v.of.i, 20);
  pyodide_value_release(&v);
  pyodide_value_t five = v_int(5);
  bool done = false;
  v = sentinel_value();
  ASSERT_OK(pyproxy_next(g, &five, &v, &done));
  ASSERT(done);
  EXPECT_KIND(&v, PYODIDE_INT);
  ASSERT_EQ_INT(v.of.i, 15);
  pyodide_value_release(&v);
  pyproxy_destroy(g);

  /* An exception inside the generator is a Python error; out-parameters untouched. */
  g = RUN_PROXY(rt, "def bad():\n    yield 1\n    raise KeyError('inside')\nbad()");
  v = next_value(g, NULL);
  pyodide_value_release(&v);
  v = sentinel_value();
  done = true;
  ASSERT_PYERR(pyproxy_next(g, NULL, &v, &done), "KeyError");
  ASSERT(is_sentinel(&v));
  ASSERT(done == true);
  pyproxy_destroy(g);
  pyodide_destroy(rt);
}

TEST(iter_next_wrong_kinds_and_bad_arguments) {
  pyodide_t* rt = LOAD();
  pyproxy_t* f = RUN_PROXY(rt, "lambda: 0");
  pyproxy_t* l = RUN_PROXY(rt, "[1]");
  pyproxy_t* it = (pyproxy_t*)(uintptr_t)0x1234;
  ASSERT_PYERR(pyproxy_iter(f, &it), "TypeError");
  ASSERT(it == (pyproxy_t*)(uintptr_t)0x1234);
  pyodide_value_t v = sentinel_value();
  bool done = true;
  ASSERT_PYERR(pyproxy_next(l, NULL, &v, &done), "TypeError"); /* a list is not an iterator */
  ASSERT(is_sentinel(&v));
  ASSERT(done == true);
  ASSERT_USAGE(pyproxy_iter(NULL, &it));
  ASSERT_USAGE(pyproxy_iter(l, NULL));
  ASSERT_USAGE(pyproxy_next(NULL, NULL, &v, &done));
  ASSERT_OK(pyproxy_iter(l, &it));
  ASSERT_USAGE(pyproxy_next(it, NULL, NULL, &done));
  ASSERT_USAGE(pyproxy_next(it, NULL, &v, NULL));
  pyodide_value_t bad = v_str("\xff");
  ASSERT_USAGE(pyproxy_next(it, &bad, &v, &done));
  ASSERT(is_sentinel(&v));
  ASSERT(done == true);
  /* The failed calls did not advance the iterator. */
  v = next_value(it, NULL);
  ASSERT_EQ_INT(v.of.i, 1);
  pyodide_value_release(&v);
  pyproxy_destroy(it);
  pyproxy_destroy(l);
  pyproxy_destroy(f);
  pyodide_destroy(rt);
}

/* ---- pyodide_is_pyproxy ---- */

TEST(is_pyproxy) {
  ASSERT(!pyodide_is_pyproxy(NULL));
  int local = 0;
  ASSERT(!pyodide_is_pyproxy(&local));
  ASSERT(!pyodide_is_pyproxy((const void*)(uintptr_t)0x1));
  pyodide_t* rt = LOAD();
  ASSERT(!pyodide_is_pyproxy(rt));
  pyodide_error_t* e = pyodide_load(NULL, NULL);
  ASSERT(!pyodide_is_pyproxy(e));
  pyodide_error_delete(e);
  pyproxy_t* p = RUN_PROXY(rt, "object()");
  ASSERT(pyodide_is_pyproxy(p));
  pyproxy_t* c = NULL;
  ASSERT_OK(pyproxy_copy(p, &c));
  ASSERT(pyodide_is_pyproxy(c));
  pyproxy_destroy(p);
  ASSERT(!pyodide_is_pyproxy(p));
  ASSERT(pyodide_is_pyproxy(c));
  pyodide_destroy(rt);
  /* A proxy of a destroyed runtime is still a proxy. */
  ASSERT(pyodide_is_pyproxy(c));
  pyproxy_destroy(c);
  ASSERT(!pyodide_is_pyproxy(c));
}
