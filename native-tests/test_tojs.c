/* Deep conversions and counters: pyproxy_to_js, pyodide_to_py, pyodide_stats. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "support.h"

static pyodide_value_t to_js(pyproxy_t* p, int32_t depth) {
  pyodide_value_t v = sentinel_value();
  ASSERT_OK(pyproxy_to_js(p, depth, &v));
  return v;
}

static pyodide_stats_t stats_of(pyodide_t* rt) {
  pyodide_stats_t s;
  memset(&s, 0, sizeof s);
  s.size = sizeof s;
  ASSERT_OK(pyodide_stats(rt, &s));
  return s;
}

TEST(to_js_nested_containers) {
  pyodide_t* rt = LOAD();
  pyproxy_t* p = RUN_PROXY(rt, "[1, 'two', None, [3.5, (True, b'\\x00b')], {'k': [7], 8: 'eight'}]");
  pyodide_value_t v = to_js(p, -1);
  EXPECT_KIND(&v, PYODIDE_LIST);
  ASSERT_EQ_INT(v.of.list.len, 5);
  pyodide_value_t* it = v.of.list.items;
  EXPECT_KIND(&it[0], PYODIDE_INT);
  ASSERT_EQ_INT(it[0].of.i, 1);
  EXPECT_KIND(&it[1], PYODIDE_STR);
  ASSERT_STREQ(it[1].of.str.ptr, "two");
  EXPECT_KIND(&it[2], PYODIDE_NONE);
  EXPECT_KIND(&it[3], PYODIDE_LIST);
  ASSERT_EQ_INT(it[3].of.list.len, 2);
  EXPECT_KIND(&it[3].of.list.items[0], PYODIDE_FLOAT);
  ASSERT(it[3].of.list.items[0].of.f == 3.5);
  pyodide_value_t* tup = &it[3].of.list.items[1]; /* a tuple is a LIST too */
  EXPECT_KIND(tup, PYODIDE_LIST);
  ASSERT_EQ_INT(tup->of.list.len, 2);
  EXPECT_KIND(&tup->of.list.items[0], PYODIDE_BOOL);
  ASSERT(tup->of.list.items[0].of.b);
  EXPECT_KIND(&tup->of.list.items[1], PYODIDE_BYTES);
  ASSERT_EQ_INT(tup->of.list.items[1].of.str.len, 2);
  ASSERT_MEMEQ(tup->of.list.items[1].of.str.ptr, "\0b", 2);
  pyodide_value_t* d = &it[4];
  EXPECT_KIND(d, PYODIDE_DICT);
  ASSERT_EQ_INT(d->of.dict.len, 2);
  EXPECT_KIND(&d->of.dict.keys[0], PYODIDE_STR);
  ASSERT_STREQ(d->of.dict.keys[0].of.str.ptr, "k");
  EXPECT_KIND(&d->of.dict.values[0], PYODIDE_LIST);
  ASSERT_EQ_INT(d->of.dict.values[0].of.list.items[0].of.i, 7);
  EXPECT_KIND(&d->of.dict.keys[1], PYODIDE_INT); /* any key type */
  ASSERT_EQ_INT(d->of.dict.keys[1].of.i, 8);
  ASSERT_STREQ(d->of.dict.values[1].of.str.ptr, "eight");
  pyodide_value_release(&v);
  EXPECT_KIND(&v, PYODIDE_NONE);
  pyodide_value_release(&v);
  pyproxy_destroy(p);
  pyodide_destroy(rt);
}

/* Ints at the edges of one 30-bit digit (converted on a fast path) and beyond, bools
 * and an int subclass: each with its exact value and kind. */
TEST(to_js_ints_of_every_size) {
  pyodide_t* rt = LOAD();
  pyproxy_t* p = RUN_PROXY(rt,
      "import enum\n"
      "class Level(enum.IntEnum):\n"
      "    HIGH = 3\n"
      "[0, 1, -1, 2**30 - 1, -(2**30 - 1), 2**30, -2**30, 2**63 - 1, -2**63, True, False, Level.HIGH, 2**64]");
  pyodide_value_t v = to_js(p, -1);
  EXPECT_KIND(&v, PYODIDE_LIST);
  ASSERT_EQ_INT(v.of.list.len, 13);
  const int64_t ints[] = {0, 1, -1, (1 << 30) - 1, -((1 << 30) - 1), 1 << 30, -(1 << 30), INT64_MAX, INT64_MIN};
  for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
    EXPECT_KIND(&v.of.list.items[i], PYODIDE_INT);
    ASSERT(v.of.list.items[i].of.i == ints[i]);
  }
  EXPECT_KIND(&v.of.list.items[9], PYODIDE_BOOL);
  ASSERT(v.of.list.items[9].of.b);
  EXPECT_KIND(&v.of.list.items[10], PYODIDE_BOOL);
  ASSERT(!v.of.list.items[10].of.b);
  EXPECT_KIND(&v.of.list.items[11], PYODIDE_INT); /* an int subclass: its int value */
  ASSERT_EQ_INT(v.of.list.items[11].of.i, 3);
  EXPECT_KIND(&v.of.list.items[12], PYODIDE_PROXY); /* no int64 form */
  pyodide_value_release(&v);
  pyproxy_destroy(p);
  pyodide_destroy(rt);
}

TEST(to_js_sets_bytes_like_and_others) {
  pyodide_t* rt = LOAD();
  pyproxy_t* p = RUN_PROXY(rt, "{3, 1, 2}");
  pyodide_value_t v = to_js(p, -1);
  EXPECT_KIND(&v, PYODIDE_LIST);
  ASSERT_EQ_INT(v.of.list.len, 3);
  int64_t sum = 0;
  for (size_t i = 0; i < 3; i++) sum += v.of.list.items[i].of.i;
  ASSERT_EQ_INT(sum, 6);
  pyodide_value_release(&v);
  pyproxy_destroy(p);
  p = RUN_PROXY(rt, "frozenset(['x'])");
  v = to_js(p, -1);
  EXPECT_KIND(&v, PYODIDE_LIST);
  ASSERT_STREQ(v.of.list.items[0].of.str.ptr, "x");
  pyodide_value_release(&v);
  pyproxy_destroy(p);

  /* bytearray and memoryview are copied into BYTES. */
  pyproxy_t* ba = RUN_PROXY(rt, "ba = bytearray(b'ab\\x00c')\nba");
  v = to_js(ba, -1);
  EXPECT_KIND(&v, PYODIDE_BYTES);
  ASSERT_EQ_INT(v.of.str.len, 4);
  ASSERT_MEMEQ(v.of.str.ptr, "ab\0c", 4);
  EXEC(rt, "ba[0] = ord('Z')");
  ASSERT(v.of.str.ptr[0] == 'a'); /* a copy */
  pyodide_value_release(&v);
  pyproxy_t* mv = RUN_PROXY(rt, "memoryview(b'0123456789')[2:5]");
  v = to_js(mv, -1);
  EXPECT_KIND(&v, PYODIDE_BYTES);
  ASSERT_EQ_INT(v.of.str.len, 3);
  ASSERT_MEMEQ(v.of.str.ptr, "234", 3);
  pyodide_value_release(&v);

  /* Anything else stays a proxy; scalars come by value. */
  pyproxy_t* obj = RUN_PROXY(rt, "class K: pass\n[K(), 2**70, 1.5]");
  v = to_js(obj, -1);
  EXPECT_KIND(&v, PYODIDE_LIST);
  EXPECT_KIND(&v.of.list.items[0], PYODIDE_PROXY);
  char* t = TYPE_OF(v.of.list.items[0].of.proxy);
  ASSERT_STREQ(t, "K");
  free(t);
  EXPECT_KIND(&v.of.list.items[1], PYODIDE_PROXY);
  EXPECT_KIND(&v.of.list.items[2], PYODIDE_FLOAT);
  pyodide_value_release(&v);
  pyproxy_t* k = RUN_PROXY(rt, "K()");
  v = to_js(k, -1);
  EXPECT_KIND(&v, PYODIDE_PROXY);
  pyodide_value_release(&v);
  pyproxy_destroy(k);
  pyproxy_destroy(obj);
  pyproxy_destroy(mv);
  pyproxy_destroy(ba);
  pyodide_destroy(rt);
}

TEST(to_js_depth_and_cycles) {
  pyodide_t* rt = LOAD();
  pyproxy_t* p = RUN_PROXY(rt, "nested = [[1, [2]], {'a': [3]}]\nnested");
  /* depth 0: the container stays a proxy (of the same object). */
  pyodide_value_t v = to_js(p, 0);
  EXPECT_KIND(&v, PYODIDE_PROXY);
  pyproxy_t* same = RUN_PROXY(rt, "lambda x: x is nested");
  pyodide_value_t arg = v;
  ASSERT(CALL_BOOL(same, &arg, 1));
  pyodide_value_release(&v);
  /* depth 1: the outer list converts, its items stay proxies. */
  v = to_js(p, 1);
  EXPECT_KIND(&v, PYODIDE_LIST);
  EXPECT_KIND(&v.of.list.items[0], PYODIDE_PROXY);
  EXPECT_KIND(&v.of.list.items[1], PYODIDE_PROXY);
  pyodide_value_release(&v);
  /* depth 2. */
  v = to_js(p, 2);
  EXPECT_KIND(&v.of.list.items[0], PYODIDE_LIST);
  EXPECT_KIND(&v.of.list.items[0].of.list.items[1], PYODIDE_PROXY);
  EXPECT_KIND(&v.of.list.items[1], PYODIDE_DICT);
  EXPECT_KIND(&v.of.list.items[1].of.dict.values[0], PYODIDE_PROXY);
  pyodide_value_release(&v);
  /* A cycle: the list met again inside itself stays a proxy. */
  pyproxy_t* cyc = RUN_PROXY(rt, "cyc = [1]\ncyc.append(cyc)\ncyc");
  v = to_js(cyc, -1);
  EXPECT_KIND(&v, PYODIDE_LIST);
  ASSERT_EQ_INT(v.of.list.len, 2);
  EXPECT_KIND(&v.of.list.items[1], PYODIDE_PROXY);
  pyproxy_t* is_cyc = RUN_PROXY(rt, "lambda x: x is cyc");
  ASSERT(CALL_BOOL(is_cyc, &v.of.list.items[1], 1));
  pyodide_value_release(&v);
  /* A scalar through to_js. */
  pyproxy_t* big = RUN_PROXY(rt, "2**64");
  v = to_js(big, -1);
  EXPECT_KIND(&v, PYODIDE_PROXY);
  pyodide_value_release(&v);
  pyproxy_destroy(big);
  pyproxy_destroy(is_cyc);
  pyproxy_destroy(cyc);
  pyproxy_destroy(same);
  pyproxy_destroy(p);
  pyodide_destroy(rt);
}

TEST(to_js_release_destroys_inner_proxies) {
  pyodide_t* rt = LOAD();
  pyodide_stats_t before = stats_of(rt);
  pyproxy_t* p = RUN_PROXY(rt, "class K: pass\n[K(), [K(), {'k': K()}], 2**99]");
  pyodide_value_t v = to_js(p, -1);
  pyodide_stats_t during = stats_of(rt);
  ASSERT_EQ_INT(during.process_proxies, before.process_proxies + 5);
  ASSERT(during.guest_objects >= before.guest_objects + 5);
  pyodide_value_release(&v);
  pyproxy_destroy(p);
  pyodide_stats_t after = stats_of(rt);
  ASSERT_EQ_INT(after.process_proxies, before.process_proxies);
  ASSERT_EQ_INT(after.guest_objects, before.guest_objects);
  pyodide_destroy(rt);
}

TEST(to_js_bad_arguments_are_usage) {
  pyodide_t* rt = LOAD();
  pyproxy_t* p = RUN_PROXY(rt, "[1]");
  pyodide_value_t v = sentinel_value();
  ASSERT_USAGE(pyproxy_to_js(NULL, -1, &v));
  ASSERT_USAGE(pyproxy_to_js(p, -1, NULL));
  pyproxy_t* gone = RUN_PROXY(rt, "[2]");
  pyproxy_destroy(gone);
  ASSERT_USAGE(pyproxy_to_js(gone, -1, &v));
  ASSERT(is_sentinel(&v));
  pyproxy_destroy(p);
  pyodide_destroy(rt);
}

/* ---- to_py ---- */

TEST(to_py_builds_python_objects) {
  pyodide_t* rt = LOAD();
  pyproxy_t* obj = RUN_PROXY(rt, "marker = object()\nmarker");
  pyodide_value_t inner[] = {v_float(0.5), v_proxy(obj)};
  pyodide_value_t keys[] = {v_str("k"), v_int(3)};
  pyodide_value_t vals[] = {v_list(inner, 2), v_bytes("\0", 1)};
  pyodide_value_t items[] = {v_int(1), v_str("s\xc3\xa9"), v_none(), v_dict(keys, vals, 2)};
  pyodide_value_t value = v_list(items, 4);
  pyproxy_t* out = (pyproxy_t*)(uintptr_t)0x1234;
  ASSERT_OK(pyodide_to_py(rt, &value, -1, &out));
  ASSERT(out != NULL && out != (pyproxy_t*)(uintptr_t)0x1234);
  char* t = TYPE_OF(out);
  ASSERT_STREQ(t, "list");
  free(t);
  pyproxy_t* check = RUN_PROXY(rt,
                               "lambda x: x == [1, 's\\u00e9', None, {'k': [0.5, marker], 3: b'\\x00'}]"
                               " and x[3]['k'][1] is marker and type(x[3]) is dict");
  pyodide_value_t arg = v_proxy(out);
  ASSERT(CALL_BOOL(check, &arg, 1));
  pyproxy_destroy(out);
  /* A scalar gives a proxy too. */
  pyodide_value_t seven = v_int(7);
  ASSERT_OK(pyodide_to_py(rt, &seven, -1, &out));
  t = TYPE_OF(out);
  ASSERT_STREQ(t, "int");
  free(t);
  pyproxy_destroy(out);
  /* PROXY gives the object itself. */
  pyodide_value_t pv = v_proxy(obj);
  ASSERT_OK(pyodide_to_py(rt, &pv, -1, &out));
  pyproxy_t* is_marker = RUN_PROXY(rt, "lambda x: x is marker");
  arg = v_proxy(out);
  ASSERT(CALL_BOOL(is_marker, &arg, 1));
  pyproxy_destroy(out);
  pyproxy_destroy(is_marker);
  pyproxy_destroy(check);
  pyproxy_destroy(obj);
  pyodide_destroy(rt);
}

TEST(to_py_depth_limit) {
  pyodide_t* rt = LOAD();
  pyodide_value_t one = v_int(1);
  pyodide_value_t inner = v_list(&one, 1);
  pyodide_value_t outer = v_list(&inner, 1); /* [[1]]: two container levels */
  pyproxy_t* out = NULL;
  ASSERT_OK(pyodide_to_py(rt, &outer, 2, &out));
  pyproxy_destroy(out);
  ASSERT_OK(pyodide_to_py(rt, &outer, -1, &out));
  pyproxy_destroy(out);
  out = (pyproxy_t*)(uintptr_t)0x1234;
  ASSERT_USAGE(pyodide_to_py(rt, &outer, 1, &out));
  ASSERT(out == (pyproxy_t*)(uintptr_t)0x1234);
  pyodide_destroy(rt);
}

/* A value that contains itself, with and without a depth: a USAGE error that
 * names the problem, reached at once (two ways back per level would make any
 * walk without a limit exponential), and the runtime stays usable. */
TEST(to_py_self_containing_values_are_usage) {
  pyodide_t* rt = LOAD();
  pyodide_value_t once;
  once = v_list(&once, 1);
  pyodide_value_t twice_items[2];
  pyodide_value_t twice = v_list(twice_items, 2);
  twice_items[0] = twice_items[1] = twice;
  pyodide_value_t keys[] = {v_str("self")};
  pyodide_value_t vals[1];
  pyodide_value_t dict = v_dict(keys, vals, 1);
  vals[0] = dict;
  const pyodide_value_t* shapes[] = {&once, &twice, &dict};
  const int32_t depths[] = {3, 0, -1};
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    for (size_t d = 0; d < sizeof depths / sizeof depths[0]; d++) {
      pyproxy_t* out = (pyproxy_t*)(uintptr_t)0x1234;
      pyodide_error_t* e = pyodide_to_py(rt, shapes[s], depths[d], &out);
      ASSERT(e != NULL);
      ASSERT_EQ_INT(pyodide_error_kind(e), PYODIDE_ERROR_USAGE);
      ASSERT_CONTAINS(pyodide_error_message(e), "nests more than");
      pyodide_error_delete(e);
      ASSERT(out == (pyproxy_t*)(uintptr_t)0x1234);
    }
  }
  pyodide_value_t one = v_int(1);
  pyodide_value_t fine = v_list(&one, 1);
  pyproxy_t* out = NULL;
  ASSERT_OK(pyodide_to_py(rt, &fine, 1, &out));
  pyproxy_destroy(out);
  pyodide_destroy(rt);
}

TEST(to_py_bad_arguments_are_usage) {
  pyodide_t* rt = LOAD();
  pyodide_t* other = LOAD();
  pyodide_value_t one = v_int(1);
  pyproxy_t* out = (pyproxy_t*)(uintptr_t)0x1234;
  ASSERT_USAGE(pyodide_to_py(NULL, &one, -1, &out));
  ASSERT_USAGE(pyodide_to_py(rt, NULL, -1, &out));
  ASSERT_USAGE(pyodide_to_py(rt, &one, -1, NULL));
  pyodide_value_t bad = v_str("\xff\xfe");
  ASSERT_USAGE(pyodide_to_py(rt, &bad, -1, &out));
  pyodide_value_t in_list[] = {v_int(1), bad};
  pyodide_value_t lst = v_list(in_list, 2);
  ASSERT_USAGE(pyodide_to_py(rt, &lst, -1, &out));
  pyproxy_t* foreign = RUN_PROXY(other, "object()");
  pyodide_value_t fv = v_proxy(foreign);
  ASSERT_USAGE(pyodide_to_py(rt, &fv, -1, &out));
  pyodide_value_t unhashable_keys[] = {v_list(NULL, 0)};
  pyodide_value_t d = v_dict(unhashable_keys, &one, 1);
  pyodide_error_t* e = pyodide_to_py(rt, &d, -1, &out);
  ASSERT(e != NULL); /* a Python TypeError */
  pyodide_error_delete(e);
  ASSERT(out == (pyproxy_t*)(uintptr_t)0x1234);
  pyproxy_destroy(foreign);
  pyodide_destroy(other);
  pyodide_destroy(rt);
  ASSERT_USAGE(pyodide_to_py(rt, &one, -1, &out));
}

/* ---- stats ---- */

TEST(stats_counts_proxies) {
  pyodide_t* rt = LOAD();
  pyodide_stats_t s0 = stats_of(rt);
  ASSERT(s0.memory_bytes > 0);
  ASSERT_EQ_INT(s0.memory_bytes % 65536, 0); /* whole wasm pages */
  pyproxy_t* p = RUN_PROXY(rt, "object()");
  pyodide_stats_t s1 = stats_of(rt);
  ASSERT_EQ_INT(s1.process_proxies, s0.process_proxies + 1);
  ASSERT_EQ_INT(s1.guest_objects, s0.guest_objects + 1);
  pyproxy_t* c = NULL;
  ASSERT_OK(pyproxy_copy(p, &c));
  pyodide_stats_t s2 = stats_of(rt);
  ASSERT_EQ_INT(s2.process_proxies, s0.process_proxies + 2);
  pyproxy_destroy(p);
  pyproxy_destroy(c);
  pyodide_stats_t s3 = stats_of(rt);
  ASSERT_EQ_INT(s3.process_proxies, s0.process_proxies);
  ASSERT_EQ_INT(s3.guest_objects, s0.guest_objects);
  /* Memory grows with Python's heap and never shrinks. */
  EXEC(rt, "big = bytearray(64 * 1024 * 1024)");
  pyodide_stats_t s4 = stats_of(rt);
  ASSERT(s4.memory_bytes > s0.memory_bytes);
  ASSERT(s4.memory_bytes >= 64u * 1024 * 1024);
  EXEC(rt, "del big");
  pyodide_stats_t s5 = stats_of(rt);
  ASSERT(s5.memory_bytes >= s4.memory_bytes);
  pyodide_destroy(rt);
}

TEST(stats_no_leaks_after_many_operations) {
  pyodide_t* rt = LOAD();
  pyodide_stats_t s0 = stats_of(rt);
  pyproxy_t* f = RUN_PROXY(rt, "class K: pass\ndef f(x):\n    return [K(), x, {'k': K()}]\nf");
  for (int i = 0; i < 200; i++) {
    pyodide_value_t arg = v_int(i);
    pyodide_value_t v = CALL(f, &arg, 1);
    pyodide_value_t deep = to_js(v.of.proxy, -1);
    pyodide_value_release(&deep);
    pyproxy_t* it = NULL;
    ASSERT_OK(pyproxy_iter(v.of.proxy, &it));
    pyodide_value_t item = sentinel_value();
    bool done = false;
    while (!done) {
      ASSERT_OK(pyproxy_next(it, NULL, &item, &done));
      pyodide_value_release(&item);
    }
    pyproxy_destroy(it);
    pyodide_value_release(&v);
    pyodide_error_delete(pyodide_run_python(rt, "1/0", PYODIDE_STRLEN, NULL, NULL));
  }
  pyproxy_destroy(f);
  pyodide_stats_t s1 = stats_of(rt);
  ASSERT_EQ_INT(s1.process_proxies, s0.process_proxies);
  ASSERT_EQ_INT(s1.guest_objects, s0.guest_objects);
  ASSERT_EQ_INT(s1.process_buffers, s0.process_buffers);
  pyodide_destroy(rt);
}

TEST(stats_bad_arguments_are_usage) {
  pyodide_t* rt = LOAD();
  pyodide_stats_t s;
  memset(&s, 0x5A, sizeof s);
  s.size = 0;
  ASSERT_USAGE(pyodide_stats(rt, &s));
  s.size = sizeof s - 8;
  ASSERT_USAGE(pyodide_stats(rt, &s));
  ASSERT_EQ_INT(s.memory_bytes, 0x5A5A5A5A5A5A5A5Aull);
  s.size = sizeof s;
  ASSERT_USAGE(pyodide_stats(NULL, &s));
  ASSERT_USAGE(pyodide_stats(rt, NULL));
  pyodide_destroy(rt);
  ASSERT_USAGE(pyodide_stats(rt, &s));
}
