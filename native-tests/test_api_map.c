/*
 * docs/pyodide-api-map.md: the functions of Pyodide 0.17's JavaScript API no other file covers
 * (pyodide_pyimport, pyodide_pyodide_py) and the idioms the map gives for
 * the Pyodide items without a function of their own (PyProxy.toString,
 * supportsGet and friends, isCallable and friends), and rows no other test
 * covers (config->unguarded).
 */
#include <stdlib.h>

#include "support.h"

/* getattr(p, name) as a proxy (the map's idioms read attributes, then call them). */
static pyproxy_t* attr_proxy(pyproxy_t* p, const char* name) {
  pyodide_value_t v;
  ASSERT_OK(pyproxy_get_attr(p, name, PYODIDE_STRLEN, &v));
  EXPECT_KIND(&v, PYODIDE_PROXY);
  return v.of.proxy;
}

static bool has_attr(pyproxy_t* p, const char* name) {
  bool has = false;
  ASSERT_OK(pyproxy_has_attr(p, name, PYODIDE_STRLEN, &has));
  return has;
}

TEST(deprecated_pyimport_reads_main_globals) {
  pyodide_t* rt = LOAD();
  EXEC(rt, "answer = 42\nlabel = 'é'");
  pyodide_value_t v;
  ASSERT_OK(pyodide_pyimport(rt, "answer", &v));
  EXPECT_KIND(&v, PYODIDE_INT);
  ASSERT_EQ_INT(v.of.i, 42);
  ASSERT_OK(pyodide_pyimport(rt, "label", &v));
  EXPECT_KIND(&v, PYODIDE_STR);
  ASSERT_STREQ(v.of.str.ptr, "é");
  pyodide_value_release(&v);
  /* The same as pyodide_globals + pyproxy_get, which Pyodide 0.17 says to use instead. */
  pyproxy_t* globals = NULL;
  ASSERT_OK(pyodide_globals(rt, &globals));
  pyodide_value_t key = v_str("answer");
  ASSERT_OK(pyproxy_get(globals, &key, &v));
  ASSERT_EQ_INT(v.of.i, 42);
  pyproxy_destroy(globals);
  v = sentinel_value();
  ASSERT_PYERR(pyodide_pyimport(rt, "no_such_global", &v), "KeyError");
  ASSERT(is_sentinel(&v));
  ASSERT_USAGE(pyodide_pyimport(rt, NULL, &v));
  ASSERT_USAGE(pyodide_pyimport(rt, "answer", NULL));
  ASSERT_USAGE(pyodide_pyimport(NULL, "answer", &v));
  pyodide_destroy(rt);
}

TEST(pyodide_py_has_eval_code_and_find_imports) {
  pyodide_t* rt = LOAD();
  pyproxy_t* pkg = NULL;
  ASSERT_OK(pyodide_pyodide_py(rt, &pkg));
  char* type = TYPE_OF(pkg);
  ASSERT_STREQ(type, "module");
  free(type);
  pyproxy_t* eval_code = attr_proxy(pkg, "eval_code");
  pyodide_value_t arg = v_str("x = 20\nx + 1");
  pyodide_value_t r = CALL(eval_code, &arg, 1);
  ASSERT_EQ_INT(r.of.i, 21);
  pyproxy_t* find_imports = attr_proxy(pkg, "find_imports");
  arg = v_str("import json\nfrom os import path\n");
  r = CALL(find_imports, &arg, 1);
  EXPECT_KIND(&r, PYODIDE_PROXY);
  pyodide_value_t list;
  ASSERT_OK(pyproxy_to_js(r.of.proxy, -1, &list));
  EXPECT_KIND(&list, PYODIDE_LIST);
  ASSERT_EQ_INT(list.of.list.len, 2);
  ASSERT_STREQ(list.of.list.items[0].of.str.ptr, "json");
  ASSERT_STREQ(list.of.list.items[1].of.str.ptr, "os");
  pyodide_value_release(&list);
  pyodide_value_release(&r);
  ASSERT(has_attr(pkg, "eval_code_async") && has_attr(pkg, "HostError"));
  pyproxy_t* again = NULL;
  ASSERT_OK(pyodide_pyodide_py(rt, &again));
  ASSERT(again != pkg); /* a new proxy each call */
  ASSERT_USAGE(pyodide_pyodide_py(rt, NULL));
  pyproxy_destroy(again);
  pyproxy_destroy(find_imports);
  pyproxy_destroy(eval_code);
  pyproxy_destroy(pkg);
  pyodide_destroy(rt);
}

/* PyProxy.toString(): getattr(obj, "__str__")(). */
TEST(idiom_to_string_through_dunder_str) {
  pyodide_t* rt = LOAD();
  pyproxy_t* p = RUN_PROXY(rt, "class Point:\n    def __str__(self): return 'Point(1, 2)'\nPoint()");
  pyproxy_t* str = attr_proxy(p, "__str__");
  pyodide_value_t s = CALL(str, NULL, 0);
  EXPECT_KIND(&s, PYODIDE_STR);
  ASSERT_STREQ(s.of.str.ptr, "Point(1, 2)");
  pyodide_value_release(&s);
  pyproxy_destroy(str);
  pyproxy_destroy(p);
  pyproxy_t* list = RUN_PROXY(rt, "[1, 'a']");
  str = attr_proxy(list, "__str__");
  s = CALL(str, NULL, 0);
  ASSERT_STREQ(s.of.str.ptr, "[1, 'a']");
  pyodide_value_release(&s);
  pyproxy_destroy(str);
  pyproxy_destroy(list);
  pyodide_destroy(rt);
}

/* supportsLength/Get/Set/Has and isCallable/Iterable/Iterator/Awaitable: ask
 * Python with hasattr; isBuffer: try pyproxy_get_buffer. */
TEST(idiom_supports_and_is_through_has_attr) {
  pyodide_t* rt = LOAD();
  pyproxy_t* dict = RUN_PROXY(rt, "{'a': 1}");
  pyproxy_t* tuple = RUN_PROXY(rt, "(1, 2)");
  pyproxy_t* func = RUN_PROXY(rt, "def f(): pass\nf");
  pyproxy_t* gen = RUN_PROXY(rt, "(i for i in range(3))");
  pyproxy_t* coro = RUN_PROXY(rt, "async def c(): pass\nco = c()\nco");
  ASSERT(has_attr(dict, "__len__") && has_attr(dict, "__getitem__") && has_attr(dict, "__setitem__") &&
         has_attr(dict, "__contains__"));
  ASSERT(has_attr(tuple, "__getitem__") && !has_attr(tuple, "__setitem__"));
  ASSERT(!has_attr(func, "__len__") && !has_attr(func, "__getitem__") && has_attr(func, "__call__"));
  ASSERT(!has_attr(dict, "__call__"));
  ASSERT(has_attr(dict, "__iter__") && !has_attr(dict, "__next__"));
  ASSERT(has_attr(gen, "__iter__") && has_attr(gen, "__next__") && !has_attr(gen, "__await__"));
  ASSERT(has_attr(coro, "__await__") && !has_attr(dict, "__await__"));
  EXEC(rt, "co.close()");
  /* What the check protects against: the operation itself is a TypeError. */
  size_t n;
  ASSERT_PYERR(pyproxy_length(func, &n), "TypeError");
  /* isBuffer: try it. */
  pyproxy_t* bytes = RUN_PROXY(rt, "bytearray(b'xyz')");
  pybuffer_t buf;
  ASSERT_OK(pyproxy_get_buffer(bytes, NULL, &buf));
  ASSERT_EQ_INT(buf.nbytes, 3);
  pybuffer_release(&buf);
  ASSERT_PYERR(pyproxy_get_buffer(dict, NULL, &buf), "TypeError");
  pyproxy_t* all[] = {dict, tuple, func, gen, coro, bytes};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) pyproxy_destroy(all[i]);
  pyodide_destroy(rt);
}

/* A map row of its own: config->unguarded (pyodide-run's mode). Python runs, and a
 * deadline still interrupts Python code; the runtime lives on. */
TEST(unguarded_runtime_runs_and_meets_deadlines_in_python_code) {
  pyodide_config_t config;
  pyodide_config_init(&config);
  config.unguarded = true;
  pyodide_t* rt = LOAD_WITH(&config);
  ASSERT_EQ_INT(RUN_INT(rt, "sum(range(100))"), 4950);
  ASSERT_OK(pyodide_set_timeout(rt, 0.2));
  ASSERT_ERROR(pyodide_run_python(rt, "while True: pass", PYODIDE_STRLEN, NULL, NULL), PYODIDE_ERROR_LIMIT, NULL);
  ASSERT_OK(pyodide_set_timeout(rt, 0));
  ASSERT_EQ_INT(RUN_INT(rt, "6 * 7"), 42);
  pyodide_destroy(rt);
}
