/* Host modules under misuse: calls after unregistering, invalid results, finalizers
 * exactly once, and no guest objects left behind by any of it. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>

#include "rb_util.h"

typedef struct {
  int mode;
  pyodide_t* rt;
  int calls;
  int finalized;
  bool unregister_inside;
  int finalized_during_call;
} host_env;

static pyodide_error_t* host(void* envp, const pyodide_value_t* args, size_t nargs,
                             pyodide_value_t* result) {
  host_env* env = envp;
  env->calls++;
  (void)args;
  if (env->unregister_inside) {
    pyodide_error_t* e = pyodide_unregister_module(env->rt, "rbhost");
    if (e != NULL) return e;
    env->finalized_during_call = env->finalized;
  }
  switch (env->mode) {
    case 1: result->kind = (pyodide_kind_t)99; return NULL;                 /* invalid kind */
    case 2: return (pyodide_error_t*)(uintptr_t)0x1234;                      /* not an error */
    case 3: { pyodide_error_t* e = pyodide_error_new("ValueError", "x");     /* a deleted error */
              pyodide_error_delete(e); return e; }
    case 4: *result = v_str("\xff\xfe"); return NULL;                         /* invalid UTF-8 */
    case 5: *result = v_list(NULL, 3); return NULL;                           /* NULL items */
    case 6: *result = v_proxy((pyproxy_t*)(uintptr_t)0x1234); return NULL;    /* not a proxy */
    default: *result = v_int((int64_t)nargs); return NULL;
  }
}

static void finalize(void* envp) { ((host_env*)envp)->finalized++; }

static void register_rbhost(pyodide_t* rt, host_env* env) {
  pyodide_host_member_t m[1] = {{"f", host, NULL}};
  ASSERT_OK(pyodide_register_module(rt, "rbhost", m, 1, env, finalize));
}

/* Calling a function of an unregistered module raises RuntimeError; the arguments
 * the guest made handles for, to pass to the host, must be released all the same. */
TEST(hostmod_call_after_unregister_releases_arguments) {
  pyodide_t* rt = RB_LOAD_QUIET();
  host_env env = {0, rt, 0, 0, false, 0};
  register_rbhost(rt, &env);
  ASSERT_EQ_INT(RUN_INT(rt, "import rbhost\nrbhost.f(object(), [1], 'str', 5)"), 4);
  uint64_t base = RB_STATS(rt).guest_objects;
  ASSERT_OK(pyodide_unregister_module(rt, "rbhost"));
  ASSERT_EQ_INT(env.finalized, 1);
  for (int i = 0; i < 10; i++)
    RB_RUN_EXPECT(rt, "rbhost.f(object(), [1], 'str', 5)", PYODIDE_ERROR_PYTHON, "RuntimeError");
  uint64_t after = RB_STATS(rt).guest_objects;
  printf("10 calls of an unregistered host function with 2 non-scalar arguments: guest objects %llu -> %llu\n",
         (unsigned long long)base, (unsigned long long)after);
  ASSERT_EQ_INT(after, base);
  ASSERT_EQ_INT(env.calls, 1);
  ASSERT_EQ_INT(env.finalized, 1);
  pyodide_destroy(rt);
  ASSERT_EQ_INT(env.finalized, 1);
}

/* Results a host function must not produce are Python exceptions, not crashes. */
TEST(hostmod_invalid_results_are_python_errors) {
  pyodide_t* rt = RB_LOAD_QUIET();
  host_env env = {0, rt, 0, 0, false, 0};
  register_rbhost(rt, &env);
  EXEC(rt, "import rbhost");
  uint64_t base = RB_STATS(rt).guest_objects;
  for (int mode = 1; mode <= 6; mode++) {
    env.mode = mode;
    pyodide_value_t v = sentinel_value();
    rb_outcome o = RB_TAKE(pyodide_run_python(rt, "rbhost.f([1], object())", PYODIDE_STRLEN, NULL, &v));
    printf("host function result mode %d: %s %s\n", mode, o.failed ? rb_kind_name(o.kind) : "ok",
           o.failed ? o.type : "");
    if (!o.failed) pyodide_value_release(&v);
    if (!o.failed || o.kind != PYODIDE_ERROR_PYTHON)
      harness_fail(__FILE__, __LINE__, "mode %d: expected a Python exception", mode);
  }
  RB_ALIVE(rt);
  ASSERT_EQ_INT(RB_STATS(rt).guest_objects, base);
  pyodide_destroy(rt);
  ASSERT_EQ_INT(env.finalized, 1);
}

/* Unregistering from inside one of the module's own calls: the finalizer waits
 * for that call to return, then runs once. */
TEST(hostmod_unregister_inside_a_call_finalizes_once_after_it) {
  pyodide_t* rt = RB_LOAD_QUIET();
  host_env env = {0, rt, 0, 0, true, -1};
  register_rbhost(rt, &env);
  ASSERT_EQ_INT(RUN_INT(rt, "import rbhost\nrbhost.f(1, 2)"), 2);
  ASSERT_EQ_INT(env.finalized_during_call, 0);
  ASSERT_EQ_INT(env.finalized, 1);
  ASSERT_USAGE(pyodide_unregister_module(rt, "rbhost"));
  pyodide_destroy(rt);
  ASSERT_EQ_INT(env.finalized, 1);
}

/* A runtime destroyed with modules registered finalizes each once; one that dies
 * (trap) first still does on destroy. */
TEST(hostmod_finalizers_run_once_on_destroy_even_after_a_trap) {
  host_env a = {0, NULL, 0, 0, false, 0}, b = {0, NULL, 0, 0, false, 0};
  pyodide_t* rt = RB_LOAD_QUIET();
  a.rt = rt;
  register_rbhost(rt, &a);
  pyodide_host_member_t m[1] = {{"g", host, NULL}};
  ASSERT_OK(pyodide_register_module(rt, "rbhost2", m, 1, &b, finalize));
  RB_RUN_EXPECT(rt, "import os\nos.abort()", PYODIDE_ERROR_FATAL, "FatalError");
  ASSERT_EQ_INT(a.finalized + b.finalized, 0);
  pyodide_destroy(rt);
  ASSERT_EQ_INT(a.finalized, 1);
  ASSERT_EQ_INT(b.finalized, 1);
  pyodide_destroy(rt);
  ASSERT_EQ_INT(a.finalized, 1);
}

/* pyproxy_then/catch/finally that fail (here: the object is not awaitable, a PYTHON
 * TypeError) must leave `env` to the caller, as a failed pyodide_register_module
 * does ("if registration fails it is not called") and as pyproxy_then does: a host
 * that frees `env` after the error would otherwise free it twice. */
static int cb_finalized;
static void cb_finalize(void* env) {
  (void)env;
  cb_finalized++;
}
static pyodide_error_t* cb(void* env, const pyodide_value_t* args, size_t nargs, pyodide_value_t* result) {
  (void)env;
  (void)args;
  (void)nargs;
  (void)result;
  return NULL;
}

TEST(then_catch_finally_failures_do_not_finalize) {
  pyodide_t* rt = RB_LOAD_QUIET();
  pyproxy_t* not_awaitable = RUN_PROXY(rt, "[1, 2]");
  const char* names[] = {"pyproxy_then", "pyproxy_catch", "pyproxy_finally"};
  int wrong = 0;
  for (int i = 0; i < 3; i++) {
    cb_finalized = 0;
    pyproxy_t* out = (pyproxy_t*)(uintptr_t)0x5e5e;
    pyodide_error_t* e = i == 0 ? pyproxy_then(not_awaitable, cb, NULL, cb_finalize, &out)
                       : i == 1 ? pyproxy_catch(not_awaitable, cb, NULL, cb_finalize, &out)
                                : pyproxy_finally(not_awaitable, cb, NULL, cb_finalize, &out);
    rb_outcome o = RB_TAKE(e);
    printf("%s(a list): %s %s, finalizer called %d time(s)\n", names[i], o.failed ? rb_kind_name(o.kind) : "ok",
           o.type, cb_finalized);
    ASSERT(o.failed);
    ASSERT(out == (pyproxy_t*)(uintptr_t)0x5e5e);
    if (cb_finalized != 0) wrong++;
  }
  pyproxy_destroy(not_awaitable);
  pyodide_destroy(rt);
  ASSERT_EQ_INT(wrong, 0);
}
