/*
 * Host modules: pyodide_register_module, pyodide_unregister_module,
 * pyodide_error_new, and host functions called from Python.
 *
 * A failed ASSERT ends the case by jumping out of it, which must never happen
 * inside a host function (the jump would cross the library's frames): checks
 * made there are recorded with HCHECK and asserted once the call returned.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "support.h"

/* ---- checks inside host functions ---- */

static char host_problem[1024];
static int host_problems;

static void host_note(int line, const char* what) {
  if (host_problems++ == 0) snprintf(host_problem, sizeof host_problem, "line %d: %s", line, what);
}
static void host_reset(void) {
  host_problems = 0;
  host_problem[0] = '\0';
}
#define HCHECK(cond)                                  \
  do {                                                \
    if (!(cond)) host_note(__LINE__, #cond);          \
  } while (0)
#define ASSERT_HOST_OK()                                                                     \
  do {                                                                                       \
    if (host_problems != 0)                                                                  \
      harness_fail(__FILE__, __LINE__, "%d check(s) failed inside host functions; first: %s", \
                   host_problems, host_problem);                                             \
  } while (0)

/* Deletes `e` and records whether it was NULL (for calls made inside host functions). */
static bool host_ok(pyodide_error_t* e, int line) {
  if (e == NULL) return true;
  char what[512];
  snprintf(what, sizeof what, "a call failed: %s: %s", pyodide_error_type(e), pyodide_error_message(e));
  host_note(line, what);
  pyodide_error_delete(e);
  return false;
}
#define HOST_OK(call) host_ok((call), __LINE__)

static pyodide_host_member_t fn_member(const char* name, pyodide_host_fn fn) {
  pyodide_host_member_t m = {name, fn, NULL};
  return m;
}

static pyodide_host_member_t value_member(const char* name, const pyodide_value_t* value) {
  pyodide_host_member_t m = {name, NULL, value};
  return m;
}

static pyodide_stats_t stats_of(pyodide_t* rt) {
  pyodide_stats_t s;
  memset(&s, 0, sizeof s);
  s.size = sizeof s;
  ASSERT_OK(pyodide_stats(rt, &s));
  return s;
}

/* ---- finalizer counters ---- */

static int fin_counts[8];
static void fin0(void* env) { (void)env; fin_counts[0]++; }
static void fin_env(void* env) { (*(int*)env)++; }

/* ---- host functions ---- */

/* The runtime, for host functions that call back into it. */
typedef struct {
  pyodide_t* rt;
  char text[128];   /* STR results point here (env-owned memory) */
  int calls;
  pyproxy_t* kept;  /* a proxy argument kept past its call (pyproxy_copy) */
} host_env;

/* add(a, b): two ints → their sum. */
static pyodide_error_t* h_add(void* env, const pyodide_value_t* args, size_t nargs,
                              pyodide_value_t* result) {
  (void)env;
  if (nargs != 2 || args[0].kind != PYODIDE_INT || args[1].kind != PYODIDE_INT)
    return pyodide_error_new("TypeError", "add() takes two ints");
  result->kind = PYODIDE_INT;
  result->of.i = args[0].of.i + args[1].of.i;
  return NULL;
}

/* inc(x) → x + 1 (for the leak loop). */
static pyodide_error_t* h_inc(void* env, const pyodide_value_t* args, size_t nargs,
                              pyodide_value_t* result) {
  (void)env;
  if (nargs != 1 || args[0].kind != PYODIDE_INT) return pyodide_error_new("TypeError", "inc() takes an int");
  result->kind = PYODIDE_INT;
  result->of.i = args[0].of.i + 1;
  return NULL;
}

/* nargs(*args) → how many arguments arrived. */
static pyodide_error_t* h_nargs(void* env, const pyodide_value_t* args, size_t nargs,
                                pyodide_value_t* result) {
  (void)env;
  (void)args;
  result->kind = PYODIDE_INT;
  result->of.i = (int64_t)nargs;
  return NULL;
}

static bool str_is(const pyodide_value_t* v, const char* s, size_t len) {
  return v->kind == PYODIDE_STR && v->of.str.ptr != NULL && v->of.str.len == len &&
         memcmp(v->of.str.ptr, s, len) == 0 && v->of.str.ptr[len] == '\0';
}

static bool proxy_type_is(const pyodide_value_t* v, const char* type) {
  if (v->kind != PYODIDE_PROXY || v->of.proxy == NULL) return false;
  pyodide_value_t t = v_none();
  if (!HOST_OK(pyproxy_type(v->of.proxy, &t))) return false;
  bool same = t.kind == PYODIDE_STR && strcmp(t.of.str.ptr, type) == 0;
  pyodide_value_release(&t);
  return same;
}

/* check_args(None, True, False, -7, 2**62, 1.5, "h\u00e9llo \u2713", "a\0b", b"\0\xff",
 *            [1, 2], {"k": 1}, (1,), 2**70, "\ud800", object()): every kind as it arrives. */
static pyodide_error_t* h_check_args(void* env, const pyodide_value_t* args, size_t nargs,
                                     pyodide_value_t* result) {
  host_env* h = env;
  HCHECK(nargs == 15);
  if (nargs != 15) return pyodide_error_new("TypeError", "check_args() takes 15 arguments");
  HCHECK(args[0].kind == PYODIDE_NONE);
  HCHECK(args[1].kind == PYODIDE_BOOL && args[1].of.b == true);
  HCHECK(args[2].kind == PYODIDE_BOOL && args[2].of.b == false);
  HCHECK(args[3].kind == PYODIDE_INT && args[3].of.i == -7);
  HCHECK(args[4].kind == PYODIDE_INT && args[4].of.i == ((int64_t)1 << 62));
  HCHECK(args[5].kind == PYODIDE_FLOAT && args[5].of.f == 1.5);
  HCHECK(str_is(&args[6], "h\xc3\xa9llo \xe2\x9c\x93", 10));
  HCHECK(str_is(&args[7], "a\0b", 3));
  HCHECK(args[8].kind == PYODIDE_BYTES && args[8].of.str.len == 2 &&
         memcmp(args[8].of.str.ptr, "\0\xff", 2) == 0);
  HCHECK(proxy_type_is(&args[9], "list"));
  HCHECK(proxy_type_is(&args[10], "dict"));
  HCHECK(proxy_type_is(&args[11], "tuple"));
  HCHECK(proxy_type_is(&args[12], "int"));   /* outside int64 */
  HCHECK(proxy_type_is(&args[13], "str"));   /* a lone surrogate */
  HCHECK(proxy_type_is(&args[14], "object"));
  /* A proxy argument is usable during the call... */
  if (args[9].kind == PYODIDE_PROXY) {
    size_t n = 0;
    HCHECK(HOST_OK(pyproxy_length(args[9].of.proxy, &n)) && n == 2);
    /* ...and a copy outlives it. */
    if (h->kept == NULL) HCHECK(HOST_OK(pyproxy_copy(args[9].of.proxy, &h->kept)));
  }
  h->calls++;
  result->kind = PYODIDE_INT;
  result->of.i = (int64_t)nargs;
  return NULL;
}

/* identity(x) → x: scalars by value, strings through env memory, proxies copied. */
static pyodide_error_t* h_identity(void* env, const pyodide_value_t* args, size_t nargs,
                                   pyodide_value_t* result) {
  host_env* h = env;
  if (nargs != 1) return pyodide_error_new("TypeError", "identity() takes one argument");
  const pyodide_value_t* a = &args[0];
  switch (a->kind) {
    case PYODIDE_NONE: case PYODIDE_BOOL: case PYODIDE_INT: case PYODIDE_FLOAT:
      *result = *a;
      return NULL;
    case PYODIDE_STR: case PYODIDE_BYTES:
      if (a->of.str.len > sizeof h->text) return pyodide_error_new("ValueError", "too long");
      memcpy(h->text, a->of.str.ptr, a->of.str.len);
      result->kind = a->kind;
      result->of.str.ptr = h->text;
      result->of.str.len = a->of.str.len;
      return NULL;
    case PYODIDE_PROXY: {
      pyproxy_t* copy = NULL;
      pyodide_error_t* e = pyproxy_copy(a->of.proxy, &copy);
      if (e != NULL) return e;
      result->kind = PYODIDE_PROXY;
      result->of.proxy = copy;
      return NULL;
    }
    default:
      return pyodide_error_new("TypeError", "identity(): unexpected kind");
  }
}

static pyodide_value_t g_list_items[3];
static pyodide_value_t g_inner[1];
static pyodide_value_t g_keys[2], g_values[2];

/* make(k) → a value of kind k, built by the host. */
static pyodide_error_t* h_make(void* env, const pyodide_value_t* args, size_t nargs,
                               pyodide_value_t* result) {
  host_env* h = env;
  if (nargs != 1 || args[0].kind != PYODIDE_INT) return pyodide_error_new("TypeError", "make() takes an int");
  switch (args[0].of.i) {
    case 0: result->kind = PYODIDE_NONE; break;
    case 1: *result = v_bool(true); break;
    case 2: *result = v_int(INT64_MIN); break;
    case 3: *result = v_float(-0.25); break;
    case 4: *result = v_str("h\xc3\xa9llo \xe2\x9c\x93"); break; /* static data */
    case 5: *result = v_bytes("\0a\0\xff", 4); break;
    case 6:
      g_inner[0] = v_float(3.0);
      g_list_items[0] = v_int(1);
      g_list_items[1] = v_str("two");
      g_list_items[2] = v_list(g_inner, 1);
      *result = v_list(g_list_items, 3);
      break;
    case 7:
      g_keys[0] = v_str("a");
      g_values[0] = v_int(1);
      g_keys[1] = v_int(2);
      g_values[1] = v_str("b");
      *result = v_dict(g_keys, g_values, 2);
      break;
    case 8: { /* a proxy made by pyodide_to_py: the library takes it */
      pyodide_value_t items[3] = {v_int(7), v_int(8), v_int(9)};
      pyodide_value_t list = v_list(items, 3);
      pyproxy_t* p = NULL;
      pyodide_error_t* e = pyodide_to_py(h->rt, &list, -1, &p);
      if (e != NULL) return e;
      *result = v_proxy(p);
      break;
    }
    case 9: /* env-owned memory, rewritten on each call */
      h->calls++;
      snprintf(h->text, sizeof h->text, "call #%d", h->calls);
      *result = v_str(h->text);
      break;
    case 10: { /* a future the host could complete later */
      pyproxy_t* f = NULL;
      pyodide_error_t* e = pyodide_future_new(h->rt, &f);
      if (e != NULL) return e;
      *result = v_proxy(f);
      break;
    }
    case 11: { /* a list holding a proxy (the library destroys nested proxies too) */
      pyodide_value_t items[1] = {v_int(5)};
      pyodide_value_t inner = v_list(items, 1);
      pyproxy_t* p = NULL;
      pyodide_error_t* e = pyodide_to_py(h->rt, &inner, -1, &p);
      if (e != NULL) return e;
      g_list_items[0] = v_proxy(p);
      g_list_items[1] = v_str("x");
      *result = v_list(g_list_items, 2);
      break;
    }
    default:
      return pyodide_error_new("ValueError", "make(): no such kind");
  }
  return NULL;
}

/* raise_(type, message) → the error pyodide_error_new makes of them. */
static pyodide_error_t* h_raise(void* env, const pyodide_value_t* args, size_t nargs,
                                pyodide_value_t* result) {
  (void)env;
  (void)result;
  if (nargs != 2 || args[0].kind != PYODIDE_STR || args[1].kind != PYODIDE_STR)
    return pyodide_error_new("TypeError", "raise_() takes two strs");
  return pyodide_error_new(args[0].of.str.ptr, args[1].of.str.ptr);
}

/* bad(k) → an invalid result of kind k. */
static pyodide_error_t* h_bad(void* env, const pyodide_value_t* args, size_t nargs,
                              pyodide_value_t* result) {
  (void)env;
  if (nargs != 1 || args[0].kind != PYODIDE_INT) return pyodide_error_new("TypeError", "bad() takes an int");
  switch (args[0].of.i) {
    case 0: result->kind = (pyodide_kind_t)99; break;
    case 1: *result = v_strn("ok \xff\xfe bad", 9); break;               /* invalid UTF-8 */
    case 2: *result = v_strn(NULL, 5); break;                             /* NULL string */
    case 3: *result = v_list(NULL, 3); break;                             /* NULL items */
    case 4: { /* invalid UTF-8 deep inside a list */
      static pyodide_value_t items[2];
      items[0] = v_int(1);
      items[1] = v_strn("\xc3\x28", 2);
      *result = v_list(items, 2);
      break;
    }
    case 5: /* a usage error (not made by pyodide_error_new) → RuntimeError */
      return pyodide_error_new(NULL, "no type");
    default: result->kind = (pyodide_kind_t)-1; break;
  }
  return NULL;
}

TEST(host_module_import_and_call) {
  pyodide_t* rt = LOAD();
  pyodide_host_member_t members[] = {fn_member("add", h_add), fn_member("nargs", h_nargs)};
  ASSERT_OK(pyodide_register_module(rt, "hostmod", members, 2, NULL, NULL));
  ASSERT_EQ_INT(RUN_INT(rt, "import hostmod\nhostmod.add(2, 3)"), 5);
  ASSERT_EQ_INT(RUN_INT(rt, "from hostmod import add\nadd(40, 2)"), 42);
  ASSERT_EQ_INT(RUN_INT(rt, "from hostmod import nargs\nnargs()"), 0);
  ASSERT_EQ_INT(RUN_INT(rt, "nargs(*range(20))"), 20); /* more than fit on the stack */
  ASSERT(RUN_BOOL(rt, "import sys, types\n"
                      "isinstance(hostmod, types.ModuleType) and sys.modules['hostmod'] is hostmod"));
  ASSERT(RUN_BOOL(rt, "callable(hostmod.add) and hostmod.__name__ == 'hostmod'"));
  /* An error the host function returns is a Python exception that escapes. */
  ASSERT_PYERR(pyodide_run_python(rt, "hostmod.add(1, 'x')", PYODIDE_STRLEN, NULL, NULL), "TypeError");
  /* A registered module imported in a function, in an exec'd namespace, via importlib. */
  ASSERT_EQ_INT(RUN_INT(rt, "def f():\n    import hostmod as h\n    return h.add(1, 1)\nf()"), 2);
  ASSERT_EQ_INT(RUN_INT(rt, "import importlib\nimportlib.import_module('hostmod').add(3, 4)"), 7);
  pyodide_destroy(rt);
}

TEST(host_module_arguments_of_every_kind) {
  host_reset();
  pyodide_t* rt = LOAD();
  host_env env = {.rt = rt};
  pyodide_host_member_t members[] = {fn_member("check_args", h_check_args)};
  ASSERT_OK(pyodide_register_module(rt, "hostargs", members, 1, &env, NULL));
  ASSERT_EQ_INT(RUN_INT(rt, "import hostargs\n"
                            "hostargs.check_args(None, True, False, -7, 2**62, 1.5, 'h\\u00e9llo \\u2713',\n"
                            "                    'a\\x00b', b'\\x00\\xff', [1, 2], {'k': 1}, (1,), 2**70,\n"
                            "                    '\\ud800', object())"),
                15);
  ASSERT_HOST_OK();
  ASSERT_EQ_INT(env.calls, 1);
  /* The copied proxy argument outlived the call. */
  ASSERT(env.kept != NULL);
  size_t n = 0;
  ASSERT_OK(pyproxy_length(env.kept, &n));
  ASSERT_EQ_INT(n, 2);
  pyproxy_destroy(env.kept);
  pyodide_destroy(rt);
}

TEST(host_module_results_of_every_kind) {
  host_reset();
  pyodide_t* rt = LOAD();
  host_env env = {.rt = rt};
  pyodide_host_member_t members[] = {fn_member("make", h_make), fn_member("identity", h_identity)};
  ASSERT_OK(pyodide_register_module(rt, "hostres", members, 2, &env, NULL));
  EXEC(rt, "from hostres import make, identity");
  ASSERT(RUN_BOOL(rt, "make(0) is None"));
  ASSERT(RUN_BOOL(rt, "make(1) is True"));
  ASSERT(RUN_BOOL(rt, "make(2) == -2**63 and type(make(2)) is int"));
  ASSERT(RUN_BOOL(rt, "make(3) == -0.25 and type(make(3)) is float"));
  ASSERT(RUN_BOOL(rt, "make(4) == 'h\\u00e9llo \\u2713'"));
  ASSERT(RUN_BOOL(rt, "make(5) == b'\\x00a\\x00\\xff' and type(make(5)) is bytes"));
  ASSERT(RUN_BOOL(rt, "make(6) == [1, 'two', [3.0]] and type(make(6)) is list"));
  ASSERT(RUN_BOOL(rt, "make(7) == {'a': 1, 2: 'b'} and type(make(7)) is dict"));
  ASSERT(RUN_BOOL(rt, "make(8) == [7, 8, 9] and type(make(8)) is list"));
  ASSERT(RUN_BOOL(rt, "make(11) == [[5], 'x']"));
  /* Python got the future object itself. */
  ASSERT(RUN_BOOL(rt, "import asyncio\nf = make(10)\nisinstance(f, asyncio.Future) and not f.done()"));
  EXEC(rt, "del f");
  /* STR results in env-owned memory: each call's text as it was when the call returned. */
  ASSERT(RUN_BOOL(rt, "a = make(9); b = make(9); (a, b) == ('call #1', 'call #2')"));
  /* Both ways: what Python passes comes back the same. */
  ASSERT(RUN_BOOL(rt, "all(identity(v) == v and type(identity(v)) is type(v) for v in\n"
                      "    [None, True, False, 0, -1, 2**63 - 1, -2**63, 0.5, float('inf'), '',\n"
                      "     'abc', '\\u2603\\U0001f600', b'', b'\\x00\\x01'])"));
  ASSERT(RUN_BOOL(rt, "import math\nmath.isnan(identity(float('nan')))"));
  /* A proxy argument returned (copied) is the very same object. */
  ASSERT(RUN_BOOL(rt, "o = object(); l = [1]; big = 2**80\n"
                      "identity(o) is o and identity(l) is l and identity(big) is big"));
  ASSERT_HOST_OK();
  /* The library destroyed the proxies it was given: none left over in the process. */
  pyodide_stats_t before = stats_of(rt);
  EXEC(rt, "for _ in range(200):\n    make(8); identity(o); make(11); make(10)\n");
  pyodide_stats_t after = stats_of(rt);
  ASSERT_EQ_INT(after.process_proxies, before.process_proxies);
  ASSERT_EQ_INT(after.guest_objects, before.guest_objects);
  pyodide_destroy(rt);
}

TEST(host_module_constants) {
  pyodide_t* rt = LOAD();
  char text[] = "hello";
  pyodide_value_t items[3] = {v_int(1), v_int(2), v_int(3)};
  pyodide_value_t keys[1] = {v_str("k")}, values[1] = {v_float(0.5)};
  pyodide_value_t c_int = v_int(42), c_str = v_str(text), c_float = v_float(2.5), c_bool = v_bool(true),
                  c_none = v_none(), c_bytes = v_bytes("\0\1", 2), c_list = v_list(items, 3),
                  c_dict = v_dict(keys, values, 1);
  pyproxy_t* obj = RUN_PROXY(rt, "class Thing:\n    pass\nthing = Thing()\nthing");
  pyodide_value_t c_proxy = v_proxy(obj);
  pyodide_host_member_t members[] = {
      value_member("ANSWER", &c_int), value_member("NAME", &c_str),  value_member("RATIO", &c_float),
      value_member("FLAG", &c_bool),  value_member("NOTHING", &c_none), value_member("RAW", &c_bytes),
      value_member("ITEMS", &c_list), value_member("TABLE", &c_dict), value_member("THING", &c_proxy),
      fn_member("add", h_add)};
  ASSERT_OK(pyodide_register_module(rt, "hostconst", members, sizeof members / sizeof members[0], NULL, NULL));
  /* Converted once, at registration: later changes on the host side do not show. */
  text[0] = 'J';
  items[0] = v_int(100);
  pyproxy_destroy(obj);
  ASSERT(RUN_BOOL(rt, "import hostconst as c\n"
                      "((c.ANSWER, c.NAME, c.RATIO, c.FLAG, c.NOTHING, c.RAW, c.ITEMS, c.TABLE) ==\n"
                      "    (42, 'hello', 2.5, True, None, b'\\x00\\x01', [1, 2, 3], {'k': 0.5}))"));
  ASSERT(RUN_BOOL(rt, "c.THING is thing"));
  ASSERT(RUN_BOOL(rt, "from hostconst import ANSWER, add\nadd(ANSWER, 1) == 43"));
  pyodide_destroy(rt);
}

TEST(host_module_errors_raise_python_exceptions) {
  pyodide_t* rt = LOAD();
  pyodide_host_member_t members[] = {fn_member("raise_", h_raise)};
  ASSERT_OK(pyodide_register_module(rt, "hosterr", members, 1, NULL, NULL));
  EXEC(rt, "import hosterr, pyodide\n"
           "def catch(t, m):\n"
           "    try:\n"
           "        hosterr.raise_(t, m)\n"
           "    except BaseException as e:\n"
           "        return e\n"
           "    raise AssertionError('nothing raised')\n");
  ASSERT(RUN_BOOL(rt, "e = catch('ValueError', 'bad value')\ntype(e) is ValueError and str(e) == 'bad value'"));
  ASSERT(RUN_BOOL(rt, "try:\n    hosterr.raise_('ValueError', 'm1')\n    r = False\n"
                      "except ValueError as e:\n    r = str(e) == 'm1'\nr"));
  ASSERT(RUN_BOOL(rt, "e = catch('KeyError', 'k')\ntype(e) is KeyError and e.args == ('k',)"));
  ASSERT(RUN_BOOL(rt, "type(catch('ZeroDivisionError', 'z')) is ZeroDivisionError"));
  ASSERT(RUN_BOOL(rt, "e = catch('RuntimeError', 'r')\ntype(e) is RuntimeError and str(e) == 'r'"));
  /* Non-ASCII messages survive. */
  ASSERT(RUN_BOOL(rt, "str(catch('ValueError', 'caf\\u00e9 \\u2615')) == 'caf\\u00e9 \\u2615'"));
  /* An unknown type name: a pyodide.HostError subclass of that name. */
  ASSERT(RUN_BOOL(rt, "e = catch('NetworkDown', 'no route')\n"
                      "isinstance(e, pyodide.HostError) and type(e).__name__ == 'NetworkDown'"
                      " and str(e) == 'no route'"));
  ASSERT(RUN_BOOL(rt, "issubclass(pyodide.HostError, Exception)"));
  ASSERT(RUN_BOOL(rt, "try:\n    hosterr.raise_('NetworkDown', 'x')\n    r = False\n"
                      "except pyodide.HostError:\n    r = True\nr"));
  /* The same unknown name twice gives the same class (catchable by type). */
  ASSERT(RUN_BOOL(rt, "type(catch('NetworkDown', 'a')) is type(catch('NetworkDown', 'b'))"));
  /* A builtin that is not an exception type is no exception class. */
  ASSERT(RUN_BOOL(rt, "e = catch('len', 'x')\nisinstance(e, pyodide.HostError)"));
  /* Uncaught: the call fails with a PYTHON error of that type, naming the message. */
  pyodide_error_t* e = pyodide_run_python(rt, "hosterr.raise_('ValueError', 'unique-msg-123')",
                                          PYODIDE_STRLEN, NULL, NULL);
  ASSERT(e != NULL);
  ASSERT_EQ_INT(pyodide_error_kind(e), PYODIDE_ERROR_PYTHON);
  ASSERT_STREQ(pyodide_error_type(e), "ValueError");
  ASSERT_CONTAINS(pyodide_error_message(e), "unique-msg-123");
  pyodide_error_delete(e);
  e = pyodide_run_python(rt, "hosterr.raise_('NetworkDown', 'unique-msg-456')", PYODIDE_STRLEN, NULL, NULL);
  ASSERT(e != NULL);
  ASSERT_EQ_INT(pyodide_error_kind(e), PYODIDE_ERROR_PYTHON);
  ASSERT_STREQ(pyodide_error_type(e), "NetworkDown");
  ASSERT_CONTAINS(pyodide_error_message(e), "unique-msg-456");
  pyodide_error_delete(e);
  ASSERT_EQ_INT(RUN_INT(rt, "1 + 1"), 2);
  pyodide_destroy(rt);
}

TEST(host_function_invalid_results_raise_type_error) {
  pyodide_t* rt = LOAD();
  pyodide_host_member_t members[] = {fn_member("bad", h_bad)};
  ASSERT_OK(pyodide_register_module(rt, "hostbad", members, 1, NULL, NULL));
  EXEC(rt, "import hostbad\n"
           "def outcome(k):\n"
           "    try:\n"
           "        hostbad.bad(k)\n"
           "    except Exception as e:\n"
           "        return type(e).__name__\n"
           "    return 'no exception'\n");
  char* s;
  s = RUN_STR(rt, "outcome(0)"); /* kind 99 */
  ASSERT_STREQ(s, "TypeError");
  free(s);
  s = RUN_STR(rt, "outcome(1)"); /* invalid UTF-8 */
  ASSERT_STREQ(s, "TypeError");
  free(s);
  s = RUN_STR(rt, "outcome(4)"); /* invalid UTF-8 inside a list */
  ASSERT_STREQ(s, "TypeError");
  free(s);
  s = RUN_STR(rt, "outcome(-1)"); /* a negative kind */
  ASSERT_STREQ(s, "TypeError");
  free(s);
  /* NULL pointers with a length: some exception, no crash. */
  s = RUN_STR(rt, "outcome(2)");
  ASSERT_NOT_CONTAINS(s, "no exception");
  free(s);
  s = RUN_STR(rt, "outcome(3)");
  ASSERT_NOT_CONTAINS(s, "no exception");
  free(s);
  /* Any error not made by pyodide_error_new raises RuntimeError with its message. */
  s = RUN_STR(rt, "outcome(5)");
  ASSERT_STREQ(s, "RuntimeError");
  free(s);
  ASSERT(RUN_BOOL(rt, "try:\n    hostbad.bad(5)\nexcept RuntimeError as e:\n    m = str(e)\n'type' in m"));
  ASSERT_EQ_INT(RUN_INT(rt, "sum(range(10))"), 45);
  pyodide_destroy(rt);
}

/* ---- re-entry ---- */

/* apply(f, x) → f(x), through pyproxy_call on the same runtime. */
static pyodide_error_t* h_apply(void* env, const pyodide_value_t* args, size_t nargs,
                                pyodide_value_t* result) {
  (void)env;
  if (nargs != 2 || args[0].kind != PYODIDE_PROXY) return pyodide_error_new("TypeError", "apply(f, x)");
  pyodide_value_t out = v_none();
  pyodide_error_t* e = pyproxy_call(args[0].of.proxy, &args[1], 1, &out);
  if (e != NULL) return e;
  if (out.kind != PYODIDE_INT) {
    pyodide_value_release(&out);
    return pyodide_error_new("TypeError", "apply(): f did not return an int");
  }
  *result = out; /* an INT owns nothing */
  return NULL;
}

/* depth(n) → n, by running `hostre.depth(n - 1) + 1` in Python (host → Python → host ...). */
static int max_depth_seen;
static pyodide_error_t* h_depth(void* env, const pyodide_value_t* args, size_t nargs,
                                pyodide_value_t* result) {
  host_env* h = env;
  if (nargs != 1 || args[0].kind != PYODIDE_INT) return pyodide_error_new("TypeError", "depth(n)");
  int64_t n = args[0].of.i;
  if (n > max_depth_seen) max_depth_seen = (int)n;
  result->kind = PYODIDE_INT;
  if (n == 0) {
    result->of.i = 0;
    return NULL;
  }
  char code[96];
  snprintf(code, sizeof code, "hostre.depth(%" PRId64 " - 1) + 1", n);
  pyodide_value_t out = v_none();
  pyodide_error_t* e = pyodide_run_python(h->rt, code, PYODIDE_STRLEN, NULL, &out);
  if (e != NULL) return e;
  if (out.kind != PYODIDE_INT) {
    pyodide_value_release(&out);
    return pyodide_error_new("TypeError", "depth(): not an int");
  }
  result->of.i = out.of.i;
  return NULL;
}

/* nested_error(): a nested call that fails; its error is returned as is. */
static pyodide_error_t* h_nested_error(void* env, const pyodide_value_t* args, size_t nargs,
                                       pyodide_value_t* result) {
  host_env* h = env;
  (void)args;
  (void)nargs;
  (void)result;
  return pyodide_run_python(h->rt, "1 / 0", PYODIDE_STRLEN, NULL, NULL);
}

/* nested_usage(): a nested call misused (a NULL proxy); its USAGE error is returned. */
static pyodide_error_t* h_nested_usage(void* env, const pyodide_value_t* args, size_t nargs,
                                       pyodide_value_t* result) {
  (void)env;
  (void)args;
  (void)nargs;
  (void)result;
  return pyproxy_call(NULL, NULL, 0, NULL);
}

TEST(host_function_reenters_runtime) {
  host_reset();
  max_depth_seen = 0;
  pyodide_t* rt = LOAD();
  host_env env = {.rt = rt};
  pyodide_host_member_t members[] = {fn_member("apply", h_apply), fn_member("depth", h_depth),
                                     fn_member("nested_error", h_nested_error),
                                     fn_member("nested_usage", h_nested_usage)};
  ASSERT_OK(pyodide_register_module(rt, "hostre", members, 4, &env, NULL));
  EXEC(rt, "import hostre");
  ASSERT_EQ_INT(RUN_INT(rt, "hostre.apply(lambda x: x * 3, 7)"), 21);
  /* host → Python → host → Python: apply calls a lambda that calls apply again. */
  ASSERT_EQ_INT(RUN_INT(rt, "hostre.apply(lambda x: hostre.apply(lambda y: y + 1, x * 10), 4)"), 41);
  /* Depth 2 and deeper through pyodide_run_python. */
  ASSERT_EQ_INT(RUN_INT(rt, "hostre.depth(2)"), 2);
  ASSERT_EQ_INT(RUN_INT(rt, "hostre.depth(12)"), 12);
  ASSERT_EQ_INT(max_depth_seen, 12);
  /* State set by the nested call is visible afterwards. */
  EXEC(rt, "def setter(x):\n    global seen\n    seen = x\n    return x\n");
  ASSERT_EQ_INT(RUN_INT(rt, "hostre.apply(setter, 99) + seen"), 198);
  /* A nested Python error passes through as a Python exception with its text. */
  ASSERT(RUN_BOOL(rt, "try:\n    hostre.nested_error()\n    r = False\n"
                      "except (ZeroDivisionError, RuntimeError) as e:\n    r = 'division by zero' in str(e)\nr"));
  /* An exception raised by the callee of a nested call: still clean afterwards. */
  ASSERT(RUN_BOOL(rt, "def boom(x):\n    raise KeyError(x)\n"
                      "try:\n    hostre.apply(boom, 1)\n    r = False\n"
                      "except (KeyError, RuntimeError):\n    r = True\nr"));
  /* A nested USAGE error raises RuntimeError. */
  ASSERT(RUN_BOOL(rt, "try:\n    hostre.nested_usage()\n    r = False\n"
                      "except RuntimeError as e:\n    r = len(str(e)) > 0\nr"));
  ASSERT_HOST_OK();
  ASSERT_EQ_INT(RUN_INT(rt, "hostre.depth(3)"), 3);
  pyodide_destroy(rt);
}

/* ---- unregistering ---- */

TEST(host_module_unregister) {
  memset(fin_counts, 0, sizeof fin_counts);
  pyodide_t* rt = LOAD();
  pyodide_host_member_t members[] = {fn_member("add", h_add)};
  int fin_a = 0, fin_b = 0, fin_c = 0;
  ASSERT_OK(pyodide_register_module(rt, "unreg_a", members, 1, &fin_a, fin_env));
  ASSERT_OK(pyodide_register_module(rt, "unreg_b", members, 1, &fin_b, fin_env));
  ASSERT_EQ_INT(RUN_INT(rt, "import unreg_a\nf = unreg_a.add\nf(1, 2)"), 3);
  ASSERT_OK(pyodide_unregister_module(rt, "unreg_a"));
  ASSERT_OK(pyodide_unregister_module(rt, "unreg_b"));
  ASSERT_EQ_INT(fin_a, 1);
  ASSERT_EQ_INT(fin_b, 1);
  /* Never imported: import now fails. */
  ASSERT_PYERR(pyodide_run_python(rt, "import unreg_b", PYODIDE_STRLEN, NULL, NULL), "ModuleNotFoundError");
  ASSERT(RUN_BOOL(rt, "try:\n    import unreg_b\n    r = False\nexcept ModuleNotFoundError as e:\n"
                      "    r = e.name == 'unreg_b'\nr"));
  /* Imported: stays in sys.modules, but its functions raise RuntimeError. */
  ASSERT(RUN_BOOL(rt, "import sys\n'unreg_a' in sys.modules and sys.modules['unreg_a'] is unreg_a"));
  ASSERT_PYERR(pyodide_run_python(rt, "unreg_a.add(1, 2)", PYODIDE_STRLEN, NULL, NULL), "RuntimeError");
  ASSERT_PYERR(pyodide_run_python(rt, "f(1, 2)", PYODIDE_STRLEN, NULL, NULL), "RuntimeError");
  ASSERT(RUN_BOOL(rt, "try:\n    f(1, 2)\n    r = False\nexcept RuntimeError:\n    r = True\nr"));
  /* Dropped from sys.modules, it cannot be imported again. */
  ASSERT_PYERR(pyodide_run_python(rt, "del sys.modules['unreg_a']\nimport unreg_a", PYODIDE_STRLEN, NULL, NULL),
               "ModuleNotFoundError");
  /* Unregistering twice, or a name never registered: USAGE. */
  ASSERT_USAGE(pyodide_unregister_module(rt, "unreg_a"));
  ASSERT_USAGE(pyodide_unregister_module(rt, "never_registered"));
  ASSERT_USAGE(pyodide_unregister_module(rt, NULL));
  ASSERT_USAGE(pyodide_unregister_module(NULL, "unreg_a"));
  /* The name can be registered anew; the old functions stay dead. */
  ASSERT_OK(pyodide_register_module(rt, "unreg_a", members, 1, &fin_c, fin_env));
  ASSERT_EQ_INT(RUN_INT(rt, "import unreg_a\nunreg_a.add(5, 5)"), 10);
  ASSERT_PYERR(pyodide_run_python(rt, "f(1, 2)", PYODIDE_STRLEN, NULL, NULL), "RuntimeError");
  pyodide_destroy(rt);
  ASSERT_EQ_INT(fin_a, 1);
  ASSERT_EQ_INT(fin_b, 1);
  ASSERT_EQ_INT(fin_c, 1);
}

typedef struct {
  pyodide_t* rt;
  int fin;
  int fin_seen_during_call;
  int unregister_failed;
} self_unreg_env;

static void self_unreg_fin(void* env) { ((self_unreg_env*)env)->fin++; }

static pyodide_error_t* h_self_unregister(void* env, const pyodide_value_t* args, size_t nargs,
                                          pyodide_value_t* result) {
  self_unreg_env* s = env;
  (void)args;
  (void)nargs;
  pyodide_error_t* e = pyodide_unregister_module(s->rt, "selfmod");
  if (e != NULL) {
    s->unregister_failed++;
    pyodide_error_delete(e);
  }
  s->fin_seen_during_call = s->fin; /* the finalizer must wait for this call */
  /* The module's state (env) is still usable for the rest of the call. */
  *result = v_int(7);
  return NULL;
}

TEST(host_module_unregister_during_its_own_call) {
  pyodide_t* rt = LOAD();
  self_unreg_env env = {.rt = rt};
  pyodide_host_member_t members[] = {fn_member("go", h_self_unregister)};
  ASSERT_OK(pyodide_register_module(rt, "selfmod", members, 1, &env, self_unreg_fin));
  ASSERT_EQ_INT(RUN_INT(rt, "import selfmod\nselfmod.go()"), 7);
  ASSERT_EQ_INT(env.unregister_failed, 0);
  ASSERT_EQ_INT(env.fin_seen_during_call, 0);
  ASSERT_EQ_INT(env.fin, 1);
  ASSERT_PYERR(pyodide_run_python(rt, "selfmod.go()", PYODIDE_STRLEN, NULL, NULL), "RuntimeError");
  ASSERT_EQ_INT(env.fin, 1);
  pyodide_destroy(rt);
  ASSERT_EQ_INT(env.fin, 1);
}

TEST(host_module_finalizers_run_once) {
  pyodide_t* rt = LOAD();
  pyodide_host_member_t members[] = {fn_member("add", h_add)};
  int fins[4] = {0, 0, 0, 0};
  ASSERT_OK(pyodide_register_module(rt, "fin_a", members, 1, &fins[0], fin_env));
  ASSERT_OK(pyodide_register_module(rt, "fin_b", members, 1, &fins[1], fin_env));
  ASSERT_OK(pyodide_register_module(rt, "fin_c", members, 1, &fins[2], fin_env));
  ASSERT_OK(pyodide_register_module(rt, "fin_d", members, 1, NULL, NULL)); /* no finalizer */
  EXEC(rt, "import fin_a, fin_b\nfin_a.add(1, 1)");
  ASSERT_EQ_INT(fins[0] + fins[1] + fins[2], 0);
  ASSERT_OK(pyodide_unregister_module(rt, "fin_a"));
  ASSERT_EQ_INT(fins[0], 1);
  ASSERT_EQ_INT(fins[1], 0);
  pyodide_destroy(rt);
  ASSERT_EQ_INT(fins[0], 1);
  ASSERT_EQ_INT(fins[1], 1);
  ASSERT_EQ_INT(fins[2], 1);
  pyodide_destroy(rt); /* ignored */
  ASSERT_EQ_INT(fins[0] + fins[1] + fins[2], 3);
}

/* ---- registration errors ---- */

TEST(host_module_registration_errors) {
  memset(fin_counts, 0, sizeof fin_counts);
  pyodide_t* rt = LOAD();
  pyodide_host_member_t members[] = {fn_member("add", h_add)};
  int fin_first = 0;
  ASSERT_OK(pyodide_register_module(rt, "dup", members, 1, &fin_first, fin_env));
  /* A duplicate name. */
  ASSERT_USAGE(pyodide_register_module(rt, "dup", members, 1, NULL, fin0));
  /* Invalid names. */
  const char* bad_names[] = {"1abc", "", "a..b", ".a", "a.", "a b", "a-b", "a.1b", "\xff"};
  for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
    pyodide_error_t* e = pyodide_register_module(rt, bad_names[i], members, 1, NULL, fin0);
    if (e == NULL) harness_fail(__FILE__, __LINE__, "registering '%s' succeeded", bad_names[i]);
    ASSERT_EQ_INT(pyodide_error_kind(e), PYODIDE_ERROR_USAGE);
    ASSERT(strlen(pyodide_error_message(e)) > 0);
    pyodide_error_delete(e);
  }
  ASSERT_USAGE(pyodide_register_module(rt, NULL, members, 1, NULL, fin0));
  ASSERT_USAGE(pyodide_register_module(NULL, "okname", members, 1, NULL, fin0));
  /* NULL members with n > 0. */
  ASSERT_USAGE(pyodide_register_module(rt, "nullmembers", NULL, 2, NULL, fin0));
  /* A member with neither fn nor value; a member without a name. */
  pyodide_host_member_t neither[] = {fn_member("add", h_add), {"empty", NULL, NULL}};
  ASSERT_USAGE(pyodide_register_module(rt, "neither", neither, 2, NULL, fin0));
  pyodide_host_member_t unnamed[] = {{NULL, h_add, NULL}};
  ASSERT_USAGE(pyodide_register_module(rt, "unnamed", unnamed, 1, NULL, fin0));
  pyodide_host_member_t empty_name[] = {{"", h_add, NULL}};
  ASSERT_USAGE(pyodide_register_module(rt, "emptyname", empty_name, 1, NULL, fin0));
  pyodide_value_t one = v_int(1);
  pyodide_host_member_t empty_const[] = {fn_member("add", h_add), value_member("", &one)};
  ASSERT_USAGE(pyodide_register_module(rt, "emptyconst", empty_const, 2, NULL, fin0));
  /* A constant that cannot be converted (invalid UTF-8): nothing stays registered. */
  pyodide_value_t bad_str = v_strn("\xff\xfe", 2);
  pyodide_host_member_t bad_const[] = {fn_member("add", h_add), value_member("C", &bad_str)};
  ASSERT_USAGE(pyodide_register_module(rt, "badconst", bad_const, 2, NULL, fin0));
  ASSERT_EQ_INT(fin_counts[0], 0); /* no failed registration called its finalizer */
  /* None of the failed names became importable... */
  const char* failed[] = {"nullmembers", "neither", "unnamed", "emptyname", "emptyconst", "badconst"};
  for (size_t i = 0; i < sizeof failed / sizeof failed[0]; i++) {
    char code[64];
    snprintf(code, sizeof code, "import %s", failed[i]);
    ASSERT_PYERR(pyodide_run_python(rt, code, PYODIDE_STRLEN, NULL, NULL), "ModuleNotFoundError");
  }
  /* ...and each can still be registered properly. */
  ASSERT_OK(pyodide_register_module(rt, "badconst", members, 1, NULL, fin0));
  ASSERT_OK(pyodide_register_module(rt, "neither", members, 1, NULL, fin0));
  ASSERT_EQ_INT(RUN_INT(rt, "import badconst, neither\nbadconst.add(1, 2) + neither.add(3, 4)"), 10);
  /* The first registration of "dup" is intact. */
  ASSERT_EQ_INT(RUN_INT(rt, "import dup\ndup.add(2, 2)"), 4);
  /* No members at all (members may be NULL when n is 0): an empty module. */
  ASSERT_OK(pyodide_register_module(rt, "emptymod", NULL, 0, NULL, NULL));
  ASSERT(RUN_BOOL(rt, "import emptymod\nemptymod.__name__ == 'emptymod'"));
  ASSERT_EQ_INT(fin_counts[0], 0);
  pyodide_destroy(rt);
  ASSERT_EQ_INT(fin_first, 1);
  ASSERT_EQ_INT(fin_counts[0], 2); /* badconst and neither, registered properly */
}

TEST(host_module_dotted_names) {
  pyodide_t* rt = LOAD();
  pyodide_host_member_t members[] = {fn_member("add", h_add)};
  ASSERT_OK(pyodide_register_module(rt, "hostpkg", members, 1, NULL, NULL));
  ASSERT_OK(pyodide_register_module(rt, "hostpkg.sub", members, 1, NULL, NULL));
  ASSERT_EQ_INT(RUN_INT(rt, "import hostpkg.sub\nhostpkg.sub.add(1, 2)"), 3);
  ASSERT_EQ_INT(RUN_INT(rt, "from hostpkg.sub import add\nadd(3, 4)"), 7);
  pyodide_destroy(rt);
}

TEST(host_module_stdlib_takes_precedence) {
  pyodide_t* rt = LOAD();
  pyodide_host_member_t members[] = {fn_member("dumps", h_nargs), fn_member("add", h_add)};
  ASSERT_OK(pyodide_register_module(rt, "json", members, 2, NULL, NULL));
  char* s = RUN_STR(rt, "import json\njson.dumps([1, 2])");
  ASSERT_STREQ(s, "[1, 2]");
  free(s);
  ASSERT(RUN_BOOL(rt, "not hasattr(json, 'add') and hasattr(json, 'JSONDecoder')"));
  /* Also for a stdlib module not imported yet at registration. */
  ASSERT_OK(pyodide_register_module(rt, "colorsys", members, 2, NULL, NULL));
  ASSERT(RUN_BOOL(rt, "import colorsys\nhasattr(colorsys, 'rgb_to_hsv') and not hasattr(colorsys, 'add')"));
  pyodide_destroy(rt);
}

TEST(host_error_new) {
  pyodide_error_t* e = pyodide_error_new(NULL, "message");
  ASSERT(e != NULL);
  ASSERT_EQ_INT(pyodide_error_kind(e), PYODIDE_ERROR_USAGE);
  ASSERT_STREQ(pyodide_error_type(e), "UsageError");
  ASSERT_CONTAINS(pyodide_error_message(e), "type");
  pyodide_error_delete(e);
  ASSERT_USAGE(pyodide_error_new("ValueError", NULL));
  ASSERT_USAGE(pyodide_error_new("", "message"));
  ASSERT_USAGE(pyodide_error_new("\xff", "message"));
  ASSERT_USAGE(pyodide_error_new("ValueError", "bad \xc3\x28 utf-8"));
  e = pyodide_error_new("ValueError", "the message");
  ASSERT(e != NULL);
  ASSERT_EQ_INT(pyodide_error_kind(e), PYODIDE_ERROR_PYTHON);
  ASSERT_STREQ(pyodide_error_type(e), "ValueError");
  ASSERT_CONTAINS(pyodide_error_message(e), "the message");
  pyodide_error_delete(e);
  /* The strings are copied. */
  char type[] = "KeyError", message[] = "abc";
  e = pyodide_error_new(type, message);
  type[0] = 'X';
  message[0] = 'X';
  ASSERT_STREQ(pyodide_error_type(e), "KeyError");
  ASSERT_CONTAINS(pyodide_error_message(e), "abc");
  pyodide_error_delete(e);
}

/* ---- many calls: no leaks ---- */

static pyodide_error_t* h_str_len(void* env, const pyodide_value_t* args, size_t nargs,
                                  pyodide_value_t* result) {
  (void)env;
  if (nargs != 2 || args[0].kind != PYODIDE_STR || args[1].kind != PYODIDE_PROXY)
    return pyodide_error_new("TypeError", "str_len(s, obj)");
  *result = v_int((int64_t)args[0].of.str.len);
  return NULL;
}

TEST(host_module_many_calls_leak_nothing) {
  host_reset();
  pyodide_t* rt = LOAD();
  host_env env = {.rt = rt};
  pyodide_host_member_t members[] = {fn_member("inc", h_inc), fn_member("str_len", h_str_len),
                                     fn_member("identity", h_identity), fn_member("make", h_make),
                                     fn_member("raise_", h_raise)};
  ASSERT_OK(pyodide_register_module(rt, "hostleak", members, 5, &env, NULL));
  EXEC(rt, "from hostleak import inc, str_len, identity, make, raise_\n"
           "def loop(n):\n"
           "    t = 0\n"
           "    o = [1]\n"
           "    for i in range(n):\n"
           "        t += inc(i) + str_len('abc', o)\n"
           "        identity(o)\n"
           "    return t\n"
           "loop(1000)\n");
  pyodide_stats_t before = stats_of(rt);
  ASSERT_EQ_INT(RUN_INT(rt, "loop(100000)"), (int64_t)100000 * 100001 / 2 + 300000);
  EXEC(rt, "for i in range(20000):\n"
           "    make(8); make(11)\n"
           "    try:\n"
           "        raise_('ValueError', 'x')\n"
           "    except ValueError:\n"
           "        pass\n");
  pyodide_stats_t after = stats_of(rt);
  ASSERT_HOST_OK();
  ASSERT_EQ_INT(after.guest_objects, before.guest_objects);
  ASSERT_EQ_INT(after.process_proxies, before.process_proxies);
  ASSERT_EQ_INT(after.process_buffers, before.process_buffers);
  /* Memory settles: another round of the same does not grow it. */
  EXEC(rt, "loop(100000)");
  pyodide_stats_t again = stats_of(rt);
  ASSERT_EQ_INT(again.memory_bytes, after.memory_bytes);
  pyodide_destroy(rt);
}
