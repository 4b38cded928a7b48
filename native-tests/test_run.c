/* pyodide_run_python, pyodide_globals and Python errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

TEST(run_last_expression_is_result) {
  pyodide_t* rt = LOAD();
  ASSERT_EQ_INT(RUN_INT(rt, "x = 1\nx + 1"), 2);
  pyodide_value_t v = RUN(rt, "y = 5");
  EXPECT_KIND(&v, PYODIDE_NONE);
  pyodide_value_release(&v);
  v = RUN(rt, "def f():\n    return 3\n");
  EXPECT_KIND(&v, PYODIDE_NONE);
  pyodide_value_release(&v);
  v = RUN(rt, "");
  EXPECT_KIND(&v, PYODIDE_NONE);
  pyodide_value_release(&v);
  /* State persists in __main__ between calls. */
  ASSERT_EQ_INT(RUN_INT(rt, "x + y + f()"), 9);
  ASSERT(RUN_BOOL(rt, "__name__ == '__main__'"));
  pyodide_destroy(rt);
}

TEST(run_explicit_length) {
  pyodide_t* rt = LOAD();
  const char code[] = {'4', '0', '+', '2', '#', 'X', ')', '('}; /* not NUL-terminated */
  pyodide_value_t v = sentinel_value();
  ASSERT_OK(pyodide_run_python(rt, code, 4, NULL, &v));
  EXPECT_KIND(&v, PYODIDE_INT);
  ASSERT_EQ_INT(v.of.i, 42);
  pyodide_value_release(&v);
  /* An embedded NUL inside the given length reaches Python, which rejects it as
     compile() does (ValueError in 3.11), reported without the library's frames. */
  const char with_nul[] = "len('a\0b')";
  v = sentinel_value(); /* release zeroed it; the failing call must leave this */
  pyodide_error_t* e = pyodide_run_python(rt, with_nul, sizeof with_nul - 1, NULL, &v);
  ASSERT(e != NULL);
  ASSERT_EQ_INT(pyodide_error_kind(e), PYODIDE_ERROR_PYTHON);
  ASSERT_STREQ(pyodide_error_type(e), "ValueError");
  ASSERT_CONTAINS(pyodide_error_message(e), "null bytes");
  ASSERT_NOT_CONTAINS(pyodide_error_message(e), "/lib/python3.11/pyodide/");
  ASSERT_NOT_CONTAINS(pyodide_error_message(e), "/lib/python3.11/ast.py");
  pyodide_error_delete(e);
  ASSERT(is_sentinel(&v));
  ASSERT_OK(pyodide_run_python(rt, "2 * 3", PYODIDE_STRLEN, NULL, &v));
  EXPECT_KIND(&v, PYODIDE_INT);
  ASSERT_EQ_INT(v.of.i, 6);
  pyodide_value_release(&v);
  ASSERT_OK(pyodide_run_python(rt, "", 0, NULL, &v));
  EXPECT_KIND(&v, PYODIDE_NONE);
  pyodide_value_release(&v);
  pyodide_destroy(rt);
}

TEST(run_non_ascii_source) {
  pyodide_t* rt = LOAD();
  char* s = RUN_STR(rt, "s\xc3\xa9 = '\xe2\x82\xac\xf0\x9d\x84\x9e'\ns\xc3\xa9 + '!'");
  ASSERT_STREQ(s, "\xe2\x82\xac\xf0\x9d\x84\x9e!");
  free(s);
  pyodide_destroy(rt);
}

TEST(run_result_null_discards) {
  pyodide_t* rt = LOAD();
  ASSERT_OK(pyodide_run_python(rt, "z = [1, 2, 3]\nz", PYODIDE_STRLEN, NULL, NULL));
  ASSERT_EQ_INT(RUN_INT(rt, "len(z)"), 3);
  pyodide_destroy(rt);
}

TEST(run_null_arguments_are_usage) {
  pyodide_t* rt = LOAD();
  pyodide_value_t v = sentinel_value();
  ASSERT_USAGE(pyodide_run_python(NULL, "1", PYODIDE_STRLEN, NULL, &v));
  ASSERT_USAGE(pyodide_run_python(rt, NULL, PYODIDE_STRLEN, NULL, &v));
  ASSERT_USAGE(pyodide_run_python(rt, NULL, 5, NULL, &v));
  ASSERT(is_sentinel(&v));
  pyodide_destroy(rt);
}

TEST(run_invalid_utf8_is_usage) {
  pyodide_t* rt = LOAD();
  pyodide_value_t v = sentinel_value();
  ASSERT_USAGE(pyodide_run_python(rt, "\xff\xfe", 2, NULL, &v));
  ASSERT_USAGE(pyodide_run_python(rt, "'\xff\xfe'", PYODIDE_STRLEN, NULL, &v));
  ASSERT_USAGE(pyodide_run_python(rt, "x = '\xc0\xaf'", PYODIDE_STRLEN, NULL, &v)); /* overlong */
  ASSERT_USAGE(pyodide_run_python(rt, "x = '\xed\xa0\x80'", PYODIDE_STRLEN, NULL, &v)); /* surrogate */
  ASSERT_USAGE(pyodide_run_python(rt, "x = '\xe2\x82'", PYODIDE_STRLEN, NULL, &v)); /* truncated */
  ASSERT(is_sentinel(&v));
  /* The runtime is still fine afterwards. */
  ASSERT_EQ_INT(RUN_INT(rt, "7"), 7);
  pyodide_destroy(rt);
}

TEST(run_syntax_error) {
  pyodide_t* rt = LOAD();
  pyodide_value_t v = sentinel_value();
  pyodide_error_t* e = pyodide_run_python(rt, "x = 1\n1 +\n", PYODIDE_STRLEN, NULL, &v);
  ASSERT(e != NULL);
  ASSERT_EQ_INT(pyodide_error_kind(e), PYODIDE_ERROR_PYTHON);
  ASSERT_STREQ(pyodide_error_type(e), "SyntaxError");
  const char* m = pyodide_error_message(e);
  ASSERT_CONTAINS(m, "SyntaxError: invalid syntax");
  ASSERT_CONTAINS(m, "line 2");
  ASSERT_NOT_CONTAINS(m, "/lib/python3.11/pyodide/");
  ASSERT_NOT_CONTAINS(m, "/lib/python311.zip/ast.py");
  pyodide_error_delete(e);
  ASSERT(is_sentinel(&v));
  /* Nothing of the failed source ran. */
  ASSERT(RUN_BOOL(rt, "'x' not in globals()"));
  ASSERT_PYERR(pyodide_run_python(rt, "def f(:\n  pass", PYODIDE_STRLEN, NULL, NULL),
               "SyntaxError");
  ASSERT_PYERR(pyodide_run_python(rt, "if 1:\nx = 2", PYODIDE_STRLEN, NULL, NULL),
               "IndentationError");
  pyodide_destroy(rt);
}

TEST(run_zero_division_traceback) {
  pyodide_t* rt = LOAD();
  pyodide_value_t v = sentinel_value();
  pyodide_error_t* e = pyodide_run_python(rt, "a = 1\n1/0", PYODIDE_STRLEN, NULL, &v);
  ASSERT(e != NULL);
  ASSERT_EQ_INT(pyodide_error_kind(e), PYODIDE_ERROR_PYTHON);
  ASSERT_STREQ(pyodide_error_type(e), "ZeroDivisionError");
  const char* m = pyodide_error_message(e);
  ASSERT(strncmp(m, "Traceback (most recent call last):", 34) == 0);
  ASSERT_CONTAINS(m, "ZeroDivisionError: division by zero");
  ASSERT_CONTAINS(m, "line 2");
  ASSERT_NOT_CONTAINS(m, "/lib/python3.11/pyodide/");
  ASSERT_NOT_CONTAINS(m, "_base.py");
  ASSERT_NOT_CONTAINS(m, "eval_code");
  pyodide_error_delete(e);
  ASSERT(is_sentinel(&v));
  ASSERT_EQ_INT(RUN_INT(rt, "a"), 1); /* statements before the error ran */
  pyodide_destroy(rt);
}

TEST(run_traceback_shows_user_frames) {
  pyodide_t* rt = LOAD();
  EXEC(rt, "def inner():\n    raise ValueError('bad value')\ndef outer():\n    inner()\n");
  pyodide_error_t* e = pyodide_run_python(rt, "outer()", PYODIDE_STRLEN, NULL, NULL);
  ASSERT(e != NULL);
  ASSERT_STREQ(pyodide_error_type(e), "ValueError");
  const char* m = pyodide_error_message(e);
  ASSERT(strncmp(m, "Traceback (most recent call last):", 34) == 0);
  ASSERT_CONTAINS(m, "in outer");
  ASSERT_CONTAINS(m, "in inner");
  ASSERT_CONTAINS(m, "ValueError: bad value");
  ASSERT_NOT_CONTAINS(m, "/lib/python3.11/pyodide/");
  pyodide_error_delete(e);
  pyodide_destroy(rt);
}

TEST(run_error_type_names) {
  pyodide_t* rt = LOAD();
  ASSERT_PYERR(pyodide_run_python(rt, "{}['missing']", PYODIDE_STRLEN, NULL, NULL), "KeyError");
  ASSERT_PYERR(pyodide_run_python(rt, "undefined_name", PYODIDE_STRLEN, NULL, NULL),
               "NameError");
  ASSERT_PYERR(pyodide_run_python(rt, "import no_such_module_xyz", PYODIDE_STRLEN, NULL, NULL),
               "ModuleNotFoundError");
  /* A class defined in __main__, and one defined in a module: the class name. */
  pyodide_error_t* e = pyodide_run_python(
      rt, "class MyError(Exception): pass\nraise MyError('boom')", PYODIDE_STRLEN, NULL, NULL);
  ASSERT(e != NULL);
  ASSERT_STREQ(pyodide_error_type(e), "MyError");
  ASSERT_CONTAINS(pyodide_error_message(e), "MyError: boom");
  pyodide_error_delete(e);
  e = pyodide_run_python(rt, "import json; json.loads('{')", PYODIDE_STRLEN, NULL, NULL);
  ASSERT(e != NULL);
  ASSERT_EQ_INT(pyodide_error_kind(e), PYODIDE_ERROR_PYTHON);
  ASSERT_STREQ(pyodide_error_type(e), "JSONDecodeError");
  ASSERT_CONTAINS(pyodide_error_message(e), "json.decoder.JSONDecodeError: ");
  pyodide_error_delete(e);
  pyodide_destroy(rt);
}

TEST(run_system_exit_is_python_error) {
  pyodide_t* rt = LOAD();
  ASSERT_PYERR(pyodide_run_python(rt, "import sys; sys.exit(3)", PYODIDE_STRLEN, NULL, NULL),
               "SystemExit");
  /* The runtime survives it, and records the exception as sys.last_value. */
  ASSERT_EQ_INT(RUN_INT(rt, "import sys; sys.last_value.code"), 3);
  ASSERT_PYERR(pyodide_run_python(rt, "raise KeyboardInterrupt", PYODIDE_STRLEN, NULL, NULL),
               "KeyboardInterrupt");
  ASSERT_EQ_INT(RUN_INT(rt, "1 + 2"), 3);
  pyodide_destroy(rt);
}

TEST(run_custom_globals) {
  pyodide_t* rt = LOAD();
  pyproxy_t* d = RUN_PROXY(rt, "{'base': 40}");
  pyodide_value_t v = RUN_IN(rt, "y = base + 2\ny", d);
  EXPECT_KIND(&v, PYODIDE_INT);
  ASSERT_EQ_INT(v.of.i, 42);
  pyodide_value_release(&v);
  /* The name landed in the dict, not in __main__. */
  pyodide_value_t key = v_str("y");
  ASSERT_OK(pyproxy_get(d, &key, &v));
  EXPECT_KIND(&v, PYODIDE_INT);
  ASSERT_EQ_INT(v.of.i, 42);
  pyodide_value_release(&v);
  ASSERT(RUN_BOOL(rt, "'y' not in globals() and 'base' not in globals()"));
  /* Builtins are available in a plain dict. */
  v = RUN_IN(rt, "len([1, 2, 3])", d);
  EXPECT_KIND(&v, PYODIDE_INT);
  ASSERT_EQ_INT(v.of.i, 3);
  pyodide_value_release(&v);
  /* Functions defined there see the dict as their globals. */
  v = RUN_IN(rt, "def g():\n    return base\ng()", d);
  EXPECT_KIND(&v, PYODIDE_INT);
  ASSERT_EQ_INT(v.of.i, 40);
  pyodide_value_release(&v);
  /* Errors there are Python errors too. */
  ASSERT_PYERR(pyodide_run_python(rt, "main_only", PYODIDE_STRLEN, d, NULL), "NameError");
  pyproxy_destroy(d);
  pyodide_destroy(rt);
}

TEST(run_globals_not_a_dict_is_error) {
  pyodide_t* rt = LOAD();
  pyproxy_t* l = RUN_PROXY(rt, "[1, 2]");
  pyodide_error_t* e = pyodide_run_python(rt, "1", PYODIDE_STRLEN, l, NULL);
  ASSERT(e != NULL);
  ASSERT(pyodide_error_kind(e) == PYODIDE_ERROR_USAGE ||
         pyodide_error_kind(e) == PYODIDE_ERROR_PYTHON);
  ASSERT(strlen(pyodide_error_message(e)) > 0);
  pyodide_error_delete(e);
  pyproxy_destroy(l);
  pyodide_destroy(rt);
}

TEST(run_destroyed_globals_is_usage) {
  pyodide_t* rt = LOAD();
  pyproxy_t* d = RUN_PROXY(rt, "{}");
  pyproxy_destroy(d);
  pyodide_value_t v = sentinel_value();
  ASSERT_USAGE(pyodide_run_python(rt, "1", PYODIDE_STRLEN, d, &v));
  ASSERT(is_sentinel(&v));
  pyodide_destroy(rt);
}

TEST(run_foreign_globals_is_usage) {
  pyodide_t* a = LOAD();
  pyodide_t* b = LOAD();
  pyproxy_t* ga = NULL;
  ASSERT_OK(pyodide_globals(a, &ga));
  pyproxy_t* da = RUN_PROXY(a, "{}");
  pyodide_value_t v = sentinel_value();
  ASSERT_USAGE(pyodide_run_python(b, "1", PYODIDE_STRLEN, ga, &v));
  ASSERT_USAGE(pyodide_run_python(b, "1", PYODIDE_STRLEN, da, &v));
  ASSERT(is_sentinel(&v));
  /* Both still work with their own. */
  ASSERT_OK(pyodide_run_python(a, "q = 1", PYODIDE_STRLEN, da, NULL));
  ASSERT_EQ_INT(RUN_INT(b, "5"), 5);
  pyproxy_destroy(ga);
  pyproxy_destroy(da);
  pyodide_destroy(b);
  pyodide_destroy(a);
}

/* ---- pyodide_globals ---- */

TEST(globals_get_set_has_delete_length) {
  pyodide_t* rt = LOAD();
  pyproxy_t* g = NULL;
  ASSERT_OK(pyodide_globals(rt, &g));
  ASSERT(g != NULL);
  char* t = TYPE_OF(g);
  ASSERT_STREQ(t, "dict");
  free(t);

  EXEC(rt, "from_python = 'py'");
  pyodide_value_t key = v_str("from_python"), v = sentinel_value();
  ASSERT_OK(pyproxy_get(g, &key, &v));
  EXPECT_KIND(&v, PYODIDE_STR);
  ASSERT_STREQ(v.of.str.ptr, "py");
  ASSERT_EQ_INT(v.of.str.len, 2);
  pyodide_value_release(&v);

  size_t n0 = 0, n1 = 0;
  ASSERT_OK(pyproxy_length(g, &n0));
  ASSERT(n0 > 0);
  ASSERT_EQ_INT(RUN_INT(rt, "len(globals())"), (int64_t)n0);

  pyodide_value_t hk = v_str("from_host"), hv = v_int(21);
  bool has = true;
  ASSERT_OK(pyproxy_has(g, &hk, &has));
  ASSERT(!has);
  ASSERT_OK(pyproxy_set(g, &hk, &hv));
  ASSERT_OK(pyproxy_has(g, &hk, &has));
  ASSERT(has);
  ASSERT_OK(pyproxy_length(g, &n1));
  ASSERT_EQ_INT(n1, n0 + 1);
  ASSERT_EQ_INT(RUN_INT(rt, "from_host * 2"), 42);

  ASSERT_OK(pyproxy_delete(g, &hk));
  ASSERT_OK(pyproxy_has(g, &hk, &has));
  ASSERT(!has);
  ASSERT_OK(pyproxy_length(g, &n1));
  ASSERT_EQ_INT(n1, n0);
  ASSERT(RUN_BOOL(rt, "'from_host' not in globals()"));
  ASSERT_PYERR(pyproxy_delete(g, &hk), "KeyError");
  v = sentinel_value();
  ASSERT_PYERR(pyproxy_get(g, &hk, &v), "KeyError");
  ASSERT(is_sentinel(&v));

  /* Two proxies of the globals see the same dict. */
  pyproxy_t* g2 = NULL;
  ASSERT_OK(pyodide_globals(rt, &g2));
  ASSERT(g2 != NULL);
  ASSERT_OK(pyproxy_set(g2, &hk, &hv));
  ASSERT_OK(pyproxy_has(g, &hk, &has));
  ASSERT(has);
  pyproxy_destroy(g2);
  /* ...and the globals proxy is a valid `globals` for run_python. */
  ASSERT_EQ_INT(RUN_INT(rt, "from_host"), 21);
  v = RUN_IN(rt, "from_host + 1", g);
  EXPECT_KIND(&v, PYODIDE_INT);
  ASSERT_EQ_INT(v.of.i, 22);
  pyodide_value_release(&v);
  pyproxy_destroy(g);
  pyodide_destroy(rt);
}

TEST(globals_null_arguments_are_usage) {
  pyodide_t* rt = LOAD();
  pyproxy_t* g = (pyproxy_t*)(uintptr_t)0x1234;
  ASSERT_USAGE(pyodide_globals(NULL, &g));
  ASSERT(g == (pyproxy_t*)(uintptr_t)0x1234);
  ASSERT_USAGE(pyodide_globals(rt, NULL));
  pyodide_destroy(rt);
}

/* os._exit(n) ends the runtime as it would a python3 process: no finally block or
 * atexit handler runs; the call and every later one on the runtime fail FATAL, and
 * pyodide_error_exit_status gives n. Other errors, and invalid handles, have none;
 * sys.exit is an exception (SystemExit), not an exit of the runtime. */
static char exit_output[4096];
static size_t exit_output_len;

static void keep_exit_output(void* env, const char* data, size_t len) {
  (void)env;
  if (len > sizeof exit_output - 1 - exit_output_len) len = sizeof exit_output - 1 - exit_output_len;
  memcpy(exit_output + exit_output_len, data, len);
  exit_output_len += len;
  exit_output[exit_output_len] = '\0';
}

TEST(os_exit_ends_the_runtime_with_its_status) {
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.stdout_fn = keep_exit_output;
  pyodide_t* rt = LOAD_WITH(&c);
  int status = -1;
  pyodide_error_t* e = pyodide_run_python(rt, "sys_exit", PYODIDE_STRLEN, NULL, NULL);
  ASSERT(e != NULL && !pyodide_error_exit_status(e, &status) && status == -1); /* a NameError */
  pyodide_error_delete(e);
  e = pyodide_run_python(rt, "import sys\nsys.exit(3)", PYODIDE_STRLEN, NULL, NULL);
  ASSERT(e != NULL);
  ASSERT_STREQ(pyodide_error_type(e), "SystemExit");
  ASSERT(!pyodide_error_exit_status(e, &status));
  pyodide_error_delete(e);
  ASSERT(!pyodide_error_exit_status(NULL, &status));
  ASSERT(!pyodide_error_exit_status(e, &status)); /* deleted */
  ASSERT(status == -1);

  exit_output_len = 0;
  e = pyodide_run_python(rt, "import atexit, os\natexit.register(print, 'atexit ran')\n"
                             "print('before')\ntry:\n    os._exit(7)\nfinally:\n    print('finally ran')",
                         PYODIDE_STRLEN, NULL, NULL);
  ASSERT_STREQ(exit_output, "before\n");
  ASSERT(e != NULL);
  ASSERT_EQ_INT(pyodide_error_kind(e), PYODIDE_ERROR_FATAL);
  ASSERT(pyodide_error_exit_status(e, &status));
  ASSERT_EQ_INT(status, 7);
  ASSERT(pyodide_error_exit_status(e, NULL));
  ASSERT(strstr(pyodide_error_message(e), "os._exit(7)") != NULL);
  pyodide_error_delete(e);
  status = -1;
  e = pyodide_run_python(rt, "1 + 1", PYODIDE_STRLEN, NULL, NULL);
  ASSERT(e != NULL);
  ASSERT_EQ_INT(pyodide_error_kind(e), PYODIDE_ERROR_FATAL);
  ASSERT(pyodide_error_exit_status(e, &status) && status == 7);
  pyodide_error_delete(e);
  pyodide_destroy(rt);
  ASSERT_STREQ(exit_output, "before\n"); /* no atexit handler at the end either */

  /* Another runtime's errors are its own. */
  pyodide_t* other = LOAD();
  e = pyodide_run_python(other, "1/0", PYODIDE_STRLEN, NULL, NULL);
  ASSERT(e != NULL && !pyodide_error_exit_status(e, &status));
  pyodide_error_delete(e);
  ASSERT_EQ_INT(RUN_INT(other, "2 + 2"), 4);
  pyodide_destroy(other);
}
