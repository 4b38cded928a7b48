/* Conversions in both directions, and pyodide_value_release. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "support.h"

/* Calls identity(arg) and returns the owned result. */
static pyodide_value_t round_trip(pyproxy_t* identity, pyodide_value_t arg) {
  return CALL(identity, &arg, 1);
}

TEST(convert_none_bool) {
  pyodide_t* rt = LOAD();
  pyproxy_t* id = RUN_PROXY(rt, "lambda x: x");
  pyproxy_t* check = RUN_PROXY(rt, "lambda x, name: x is {'True': True, 'False': False, 'None': None}[name]");
  pyodide_value_t v = round_trip(id, v_none());
  EXPECT_KIND(&v, PYODIDE_NONE);
  pyodide_value_release(&v);
  v = round_trip(id, v_bool(true));
  EXPECT_KIND(&v, PYODIDE_BOOL);
  ASSERT(v.of.b == true);
  pyodide_value_release(&v);
  v = round_trip(id, v_bool(false));
  EXPECT_KIND(&v, PYODIDE_BOOL);
  ASSERT(v.of.b == false);
  pyodide_value_release(&v);
  /* They are Python's singletons on the other side. */
  pyodide_value_t args[2] = {v_bool(true), v_str("True")};
  ASSERT(CALL_BOOL(check, args, 2));
  args[0] = v_bool(false);
  args[1] = v_str("False");
  ASSERT(CALL_BOOL(check, args, 2));
  args[0] = v_none();
  args[1] = v_str("None");
  ASSERT(CALL_BOOL(check, args, 2));
  /* Python → host directly. */
  v = RUN(rt, "None");
  EXPECT_KIND(&v, PYODIDE_NONE);
  pyodide_value_release(&v);
  ASSERT(RUN_BOOL(rt, "1 == 1") == true);
  ASSERT(RUN_BOOL(rt, "1 == 2") == false);
  pyproxy_destroy(check);
  pyproxy_destroy(id);
  pyodide_destroy(rt);
}

TEST(convert_int64_limits) {
  pyodide_t* rt = LOAD();
  pyproxy_t* id = RUN_PROXY(rt, "lambda x: x");
  pyproxy_t* is_int = RUN_PROXY(rt, "lambda x, s: type(x) is int and x == int(s)");
  const int64_t values[] = {0, 1, -1, 42, INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1};
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
    pyodide_value_t v = round_trip(id, v_int(values[i]));
    EXPECT_KIND(&v, PYODIDE_INT);
    ASSERT_EQ_INT(v.of.i, values[i]);
    pyodide_value_release(&v);
    char text[32];
    snprintf(text, sizeof text, "%lld", (long long)values[i]);
    pyodide_value_t args[2] = {v_int(values[i]), v_str(text)};
    ASSERT(CALL_BOOL(is_int, args, 2));
  }
  ASSERT_EQ_INT(RUN_INT(rt, "2**63 - 1"), INT64_MAX);
  ASSERT(RUN_INT(rt, "-2**63") == INT64_MIN);
  pyproxy_destroy(is_int);
  pyproxy_destroy(id);
  pyodide_destroy(rt);
}

TEST(convert_int_beyond_int64_is_proxy) {
  pyodide_t* rt = LOAD();
  const char* codes[] = {"2**63", "-2**63 - 1", "10**100"};
  for (size_t i = 0; i < 3; i++) {
    pyodide_value_t v = RUN(rt, codes[i]);
    EXPECT_KIND(&v, PYODIDE_PROXY);
    char* t = TYPE_OF(v.of.proxy);
    ASSERT_STREQ(t, "int");
    free(t);
    pyodide_value_release(&v);
  }
  /* The proxy still holds the exact value. */
  pyproxy_t* big = RUN_PROXY(rt, "2**64 + 5");
  pyproxy_t* check = RUN_PROXY(rt, "lambda x: x == 2**64 + 5");
  pyodide_value_t arg = v_proxy(big);
  ASSERT(CALL_BOOL(check, &arg, 1));
  pyproxy_destroy(check);
  pyproxy_destroy(big);
  pyodide_destroy(rt);
}

TEST(convert_float) {
  pyodide_t* rt = LOAD();
  pyproxy_t* id = RUN_PROXY(rt, "lambda x: x");
  const double values[] = {0.0, -0.0, 0.1, -2.5, 1e308, DBL_MIN, 5e-324, INFINITY, -INFINITY};
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
    pyodide_value_t v = round_trip(id, v_float(values[i]));
    EXPECT_KIND(&v, PYODIDE_FLOAT);
    ASSERT_MEMEQ(&v.of.f, &values[i], sizeof(double)); /* bit-exact, keeps -0.0 */
    pyodide_value_release(&v);
  }
  pyodide_value_t v = round_trip(id, v_float(NAN));
  EXPECT_KIND(&v, PYODIDE_FLOAT);
  ASSERT(isnan(v.of.f));
  pyodide_value_release(&v);
  v = RUN(rt, "0.1 + 0.2");
  EXPECT_KIND(&v, PYODIDE_FLOAT);
  ASSERT(v.of.f == 0.1 + 0.2);
  pyodide_value_release(&v);
  pyproxy_t* is_float = RUN_PROXY(rt, "lambda x: type(x) is float and x == 0.1");
  pyodide_value_t arg = v_float(0.1);
  ASSERT(CALL_BOOL(is_float, &arg, 1));
  pyproxy_destroy(is_float);
  pyproxy_destroy(id);
  pyodide_destroy(rt);
}

TEST(convert_str_non_ascii) {
  pyodide_t* rt = LOAD();
  pyproxy_t* id = RUN_PROXY(rt, "lambda x: x");
  /* é (2 bytes), € (3 bytes), 𝄞 (4 bytes), CJK, and an embedded NUL. */
  const char s[] = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e \xe4\xb8\xad\0tail";
  const size_t n = sizeof s - 1;
  pyodide_value_t v = round_trip(id, v_strn(s, n));
  EXPECT_KIND(&v, PYODIDE_STR);
  ASSERT_EQ_INT(v.of.str.len, n);
  ASSERT_MEMEQ(v.of.str.ptr, s, n);
  ASSERT(v.of.str.ptr[n] == '\0');
  pyodide_value_release(&v);
  /* On the Python side it is the right str (code points, not bytes). */
  pyproxy_t* check = RUN_PROXY(
      rt, "lambda x: type(x) is str and x == 'caf\\u00e9 \\u20ac \\U0001d11e \\u4e2d\\x00tail'");
  pyodide_value_t arg = v_strn(s, n);
  ASSERT(CALL_BOOL(check, &arg, 1));
  /* Python → host. */
  v = RUN(rt, "'caf\\u00e9 \\u20ac \\U0001d11e \\u4e2d\\x00tail'");
  EXPECT_KIND(&v, PYODIDE_STR);
  ASSERT_EQ_INT(v.of.str.len, n);
  ASSERT_MEMEQ(v.of.str.ptr, s, n);
  ASSERT(v.of.str.ptr[n] == '\0');
  pyodide_value_release(&v);
  /* Empty. */
  v = round_trip(id, v_strn("", 0));
  EXPECT_KIND(&v, PYODIDE_STR);
  ASSERT_EQ_INT(v.of.str.len, 0);
  ASSERT(v.of.str.ptr != NULL && v.of.str.ptr[0] == '\0');
  pyodide_value_release(&v);
  pyproxy_destroy(check);
  pyproxy_destroy(id);
  pyodide_destroy(rt);
}

TEST(convert_str_strlen_sentinel) {
  /* "Strings entering the library ... (PYODIDE_STRLEN: the string is NUL-terminated)". */
  pyodide_t* rt = LOAD();
  pyproxy_t* check = RUN_PROXY(rt, "lambda x: x == 'abc\\u00e9'");
  pyodide_value_t arg = v_strn("abc\xc3\xa9", PYODIDE_STRLEN);
  ASSERT(CALL_BOOL(check, &arg, 1));
  pyproxy_destroy(check);
  pyodide_destroy(rt);
}

TEST(convert_large_str) {
  pyodide_t* rt = LOAD();
  pyproxy_t* id = RUN_PROXY(rt, "lambda x: x");
  size_t n = 4u << 20;
  char* big = malloc(n);
  for (size_t i = 0; i < n; i++) big[i] = (char)('A' + i % 23);
  pyodide_value_t v = round_trip(id, v_strn(big, n));
  EXPECT_KIND(&v, PYODIDE_STR);
  ASSERT_EQ_INT(v.of.str.len, n);
  ASSERT_MEMEQ(v.of.str.ptr, big, n);
  pyodide_value_release(&v);
  free(big);
  pyproxy_destroy(id);
  pyodide_destroy(rt);
}

TEST(convert_lone_surrogate_is_proxy) {
  pyodide_t* rt = LOAD();
  pyodide_value_t v = RUN(rt, "'a\\ud800b'");
  EXPECT_KIND(&v, PYODIDE_PROXY);
  char* t = TYPE_OF(v.of.proxy);
  ASSERT_STREQ(t, "str");
  free(t);
  size_t len = 0;
  ASSERT_OK(pyproxy_length(v.of.proxy, &len));
  ASSERT_EQ_INT(len, 3);
  pyodide_value_release(&v);
  pyodide_destroy(rt);
}

TEST(convert_bytes_with_nuls) {
  pyodide_t* rt = LOAD();
  pyproxy_t* id = RUN_PROXY(rt, "lambda x: x");
  const unsigned char b[] = {0, 'a', 0, 0xff, 0xfe, 0x80, 0, 'z', 0};
  pyodide_value_t v = round_trip(id, v_bytes(b, sizeof b));
  EXPECT_KIND(&v, PYODIDE_BYTES);
  ASSERT_EQ_INT(v.of.str.len, sizeof b);
  ASSERT_MEMEQ(v.of.str.ptr, b, sizeof b);
  pyodide_value_release(&v);
  pyproxy_t* check =
      RUN_PROXY(rt, "lambda x: type(x) is bytes and x == b'\\x00a\\x00\\xff\\xfe\\x80\\x00z\\x00'");
  pyodide_value_t arg = v_bytes(b, sizeof b);
  ASSERT(CALL_BOOL(check, &arg, 1));
  v = RUN(rt, "b'\\x00a\\x00\\xff\\xfe\\x80\\x00z\\x00'");
  EXPECT_KIND(&v, PYODIDE_BYTES);
  ASSERT_EQ_INT(v.of.str.len, sizeof b);
  ASSERT_MEMEQ(v.of.str.ptr, b, sizeof b);
  pyodide_value_release(&v);
  v = RUN(rt, "b''");
  EXPECT_KIND(&v, PYODIDE_BYTES);
  ASSERT_EQ_INT(v.of.str.len, 0);
  pyodide_value_release(&v);
  /* bytearray and memoryview are objects, not BYTES. */
  v = RUN(rt, "bytearray(b'ab')");
  EXPECT_KIND(&v, PYODIDE_PROXY);
  pyodide_value_release(&v);
  pyproxy_destroy(check);
  pyproxy_destroy(id);
  pyodide_destroy(rt);
}

TEST(convert_objects_are_proxies_with_type) {
  pyodide_t* rt = LOAD();
  EXEC(rt,
       "import collections, json\n"
       "class Point:\n"
       "    class Inner: pass\n");
  static const struct {
    const char* code;
    const char* type;
  } cases[] = {
      {"{}", "dict"},
      {"[1, 2]", "list"},
      {"(1, 2)", "tuple"},
      {"{1}", "set"},
      {"collections.OrderedDict()", "collections.OrderedDict"},
      {"Point()", "Point"},
      {"Point.Inner()", "Point.Inner"},
      {"Point", "type"},
      {"json", "module"},
      {"json.JSONDecoder()", "json.decoder.JSONDecoder"},
      {"lambda: 0", "function"},
      {"len", "builtin_function_or_method"},
      {"1j", "complex"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    pyodide_value_t v = RUN(rt, cases[i].code);
    if (v.kind != PYODIDE_PROXY) harness_note("code: %s", cases[i].code);
    EXPECT_KIND(&v, PYODIDE_PROXY);
    char* t = TYPE_OF(v.of.proxy);
    if (strcmp(t, cases[i].type) != 0) harness_note("code: %s", cases[i].code);
    ASSERT_STREQ(t, cases[i].type);
    free(t);
    pyodide_value_release(&v);
  }
  pyodide_destroy(rt);
}

TEST(convert_list_argument) {
  pyodide_t* rt = LOAD();
  pyodide_value_t inner[] = {v_float(2.5), v_bytes("\0x", 2)};
  pyodide_value_t items[] = {v_int(1), v_str("a\xc3\xa9"), v_none(), v_bool(true),
                             v_list(inner, 2), v_list(NULL, 0)};
  pyproxy_t* check = RUN_PROXY(
      rt,
      "lambda x: type(x) is list and x == [1, 'a\\u00e9', None, True, [2.5, b'\\x00x'], []]"
      " and type(x[4]) is list and x[3] is True");
  pyodide_value_t arg = v_list(items, 6);
  ASSERT(CALL_BOOL(check, &arg, 1));
  /* A host LIST comes back as a proxy of a Python list (lists are objects). */
  pyproxy_t* id = RUN_PROXY(rt, "lambda x: x");
  pyodide_value_t v = CALL(id, &arg, 1);
  EXPECT_KIND(&v, PYODIDE_PROXY);
  char* t = TYPE_OF(v.of.proxy);
  ASSERT_STREQ(t, "list");
  free(t);
  size_t len = 0;
  ASSERT_OK(pyproxy_length(v.of.proxy, &len));
  ASSERT_EQ_INT(len, 6);
  pyodide_value_release(&v);
  pyproxy_destroy(id);
  pyproxy_destroy(check);
  pyodide_destroy(rt);
}

TEST(convert_large_list_argument) {
  pyodide_t* rt = LOAD();
  enum { N = 100000 };
  pyodide_value_t* items = malloc(N * sizeof *items);
  for (int i = 0; i < N; i++) items[i] = v_int(i);
  pyproxy_t* check = RUN_PROXY(rt, "lambda x: x == list(range(100000))");
  pyodide_value_t arg = v_list(items, N);
  ASSERT(CALL_BOOL(check, &arg, 1));
  free(items);
  pyproxy_destroy(check);
  pyodide_destroy(rt);
}

TEST(convert_dict_argument) {
  pyodide_t* rt = LOAD();
  pyodide_value_t inner_items[] = {v_int(1), v_int(2)};
  pyodide_value_t keys[] = {v_str("a"), v_int(2), v_bytes("k", 1), v_none()};
  pyodide_value_t values[] = {v_int(1), v_bytes("x\0y", 3), v_list(inner_items, 2),
                              v_str("none")};
  pyproxy_t* check = RUN_PROXY(
      rt,
      "lambda x: type(x) is dict and x == {'a': 1, 2: b'x\\x00y', b'k': [1, 2], None: 'none'}"
      " and list(x) == ['a', 2, b'k', None]");
  pyodide_value_t arg = v_dict(keys, values, 4);
  ASSERT(CALL_BOOL(check, &arg, 1));
  pyodide_value_t nested_keys[] = {v_str("d")};
  pyodide_value_t nested_values[] = {arg};
  pyodide_value_t nested = v_dict(nested_keys, nested_values, 1);
  pyproxy_t* check2 = RUN_PROXY(rt, "lambda x: type(x['d']) is dict and x['d']['a'] == 1");
  ASSERT(CALL_BOOL(check2, &nested, 1));
  pyodide_value_t empty = v_dict(NULL, NULL, 0);
  pyproxy_t* check3 = RUN_PROXY(rt, "lambda x: x == {} and type(x) is dict");
  ASSERT(CALL_BOOL(check3, &empty, 1));
  /* An unhashable key is a Python error. */
  pyodide_value_t bad_keys[] = {v_list(inner_items, 2)};
  pyodide_value_t bad_values[] = {v_int(0)};
  pyodide_value_t bad = v_dict(bad_keys, bad_values, 1);
  pyodide_value_t out = sentinel_value();
  ASSERT_PYERR(pyproxy_call(check3, &bad, 1, &out), "TypeError");
  ASSERT(is_sentinel(&out));
  pyproxy_destroy(check3);
  pyproxy_destroy(check2);
  pyproxy_destroy(check);
  pyodide_destroy(rt);
}

TEST(convert_proxy_argument_is_same_object) {
  pyodide_t* rt = LOAD();
  pyproxy_t* obj = RUN_PROXY(rt, "obj = object()\nobj");
  pyproxy_t* copy = NULL;
  ASSERT_OK(pyproxy_copy(obj, &copy));
  pyproxy_t* same = RUN_PROXY(rt, "lambda a, b: a is b is obj");
  pyodide_value_t args[2] = {v_proxy(obj), v_proxy(copy)};
  ASSERT(CALL_BOOL(same, args, 2));
  /* Inside a LIST and a DICT too. */
  pyodide_value_t items[] = {v_proxy(obj)};
  pyodide_value_t keys[] = {v_str("k")};
  pyodide_value_t lst = v_list(items, 1);
  pyodide_value_t dct = v_dict(keys, items, 1);
  pyproxy_t* in_containers = RUN_PROXY(rt, "lambda l, d: l[0] is obj and d['k'] is obj");
  pyodide_value_t args2[2] = {lst, dct};
  ASSERT(CALL_BOOL(in_containers, args2, 2));
  pyproxy_destroy(in_containers);
  pyproxy_destroy(same);
  pyproxy_destroy(copy);
  pyproxy_destroy(obj);
  pyodide_destroy(rt);
}

TEST(convert_invalid_utf8_str_is_usage) {
  pyodide_t* rt = LOAD();
  pyproxy_t* id = RUN_PROXY(rt, "lambda *a: a");
  pyodide_value_t out = sentinel_value();
  const char* bad[] = {"\xff\xfe", "a\xc0\xaf", "\xed\xa0\x80", "\xe2\x82", "\x80"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    pyodide_value_t arg = v_str(bad[i]);
    ASSERT_USAGE(pyproxy_call(id, &arg, 1, &out));
    /* Nested in a LIST and as a DICT key. */
    pyodide_value_t lst = v_list(&arg, 1);
    ASSERT_USAGE(pyproxy_call(id, &lst, 1, &out));
    pyodide_value_t val = v_int(1);
    pyodide_value_t dct = v_dict(&arg, &val, 1);
    ASSERT_USAGE(pyproxy_call(id, &dct, 1, &out));
  }
  ASSERT(is_sentinel(&out));
  /* The same bytes are fine as BYTES. */
  pyodide_value_t ok = v_bytes("\xff\xfe", 2);
  ASSERT_OK(pyproxy_call(id, &ok, 1, NULL));
  pyproxy_destroy(id);
  pyodide_destroy(rt);
}

TEST(convert_bad_values_are_usage) {
  pyodide_t* rt = LOAD();
  pyproxy_t* id = RUN_PROXY(rt, "lambda *a: a");
  pyodide_value_t out = sentinel_value();
  pyodide_value_t bad_kind = v_none();
  bad_kind.kind = (pyodide_kind_t)99;
  ASSERT_USAGE(pyproxy_call(id, &bad_kind, 1, &out));
  pyodide_value_t null_str = v_strn(NULL, 3);
  ASSERT_USAGE(pyproxy_call(id, &null_str, 1, &out));
  pyodide_value_t null_bytes = v_bytes(NULL, 3);
  ASSERT_USAGE(pyproxy_call(id, &null_bytes, 1, &out));
  pyodide_value_t null_list = v_list(NULL, 2);
  ASSERT_USAGE(pyproxy_call(id, &null_list, 1, &out));
  pyodide_value_t null_dict = v_dict(NULL, NULL, 2);
  ASSERT_USAGE(pyproxy_call(id, &null_dict, 1, &out));
  pyodide_value_t null_proxy = v_proxy(NULL);
  ASSERT_USAGE(pyproxy_call(id, &null_proxy, 1, &out));
  pyodide_value_t in_list[] = {v_int(1), bad_kind};
  pyodide_value_t lst = v_list(in_list, 2);
  ASSERT_USAGE(pyproxy_call(id, &lst, 1, &out));
  ASSERT(is_sentinel(&out));
  pyproxy_destroy(id);
  pyodide_destroy(rt);
}

TEST(convert_deep_nesting_does_not_crash) {
  /* Bad input never crashes the process: a very deep LIST either converts or fails. */
  pyodide_t* rt = LOAD();
  pyproxy_t* depth = RUN_PROXY(rt,
                               "def depth(x):\n"
                               "    n = 0\n"
                               "    while type(x) is list and x:\n"
                               "        x = x[0]\n"
                               "        n += 1\n"
                               "    return n\n"
                               "depth");
  enum { SHALLOW = 200, DEEP = 200000 };
  pyodide_value_t* nodes = malloc(DEEP * sizeof *nodes);
  for (int i = 0; i < DEEP - 1; i++) nodes[i] = v_list(&nodes[i + 1], 1);
  nodes[DEEP - 1] = v_int(0);
  /* 200 levels must work. */
  pyodide_value_t shallow = nodes[DEEP - 1 - SHALLOW];
  pyodide_value_t v = CALL(depth, &shallow, 1);
  EXPECT_KIND(&v, PYODIDE_INT);
  ASSERT_EQ_INT(v.of.i, SHALLOW);
  pyodide_value_release(&v);
  /* 200000 levels: success or an error, but no crash. */
  pyodide_error_t* e = pyproxy_call(depth, &nodes[0], 1, &v);
  if (e == NULL) {
    EXPECT_KIND(&v, PYODIDE_INT);
    ASSERT_EQ_INT(v.of.i, DEEP - 1);
    pyodide_value_release(&v);
  } else {
    harness_note("deep LIST gave kind %d: %s", (int)pyodide_error_kind(e),
                 pyodide_error_message(e));
    pyodide_error_delete(e);
  }
  free(nodes);
  ASSERT_EQ_INT(RUN_INT(rt, "1"), 1);
  pyproxy_destroy(depth);
  pyodide_destroy(rt);
}

/* ---- pyodide_value_release ---- */

TEST(value_release_null_twice_and_proxy) {
  pyodide_value_release(NULL);
  pyodide_t* rt = LOAD();
  pyodide_value_t v = RUN(rt, "'some text'");
  EXPECT_KIND(&v, PYODIDE_STR);
  pyodide_value_release(&v);
  EXPECT_KIND(&v, PYODIDE_NONE);
  pyodide_value_release(&v); /* harmless */
  v = RUN(rt, "b'bytes'");
  pyodide_value_release(&v);
  EXPECT_KIND(&v, PYODIDE_NONE);
  /* Releasing a PROXY value destroys its proxy. */
  v = RUN(rt, "{'a': 1}");
  EXPECT_KIND(&v, PYODIDE_PROXY);
  pyproxy_t* p = v.of.proxy;
  pyodide_value_release(&v);
  EXPECT_KIND(&v, PYODIDE_NONE);
  pyodide_value_release(&v);
  size_t len = 99;
  ASSERT_USAGE(pyproxy_length(p, &len));
  ASSERT_EQ_INT(len, 99);
  pyproxy_destroy(p); /* already destroyed: ignored */
  /* Scalars. */
  v = RUN(rt, "12");
  pyodide_value_release(&v);
  EXPECT_KIND(&v, PYODIDE_NONE);
  pyodide_destroy(rt);
}
