/* Output callbacks that call back into the library. The header (pyodide_load):
 * callbacks run on the calling thread; for sys.stdout/sys.stderr they may call back
 * into the runtime, like a host function; for bytes written below them (os.write, C
 * code), which can come in the middle of the interpreter's own work, calls into the
 * same runtime are refused with USAGE while other runtimes may be used. Either way:
 * no deadlock, no crash, the outer call unharmed, and pyodide_destroy from inside
 * is refused. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "rb_util.h"

typedef struct {
  pyodide_t* self;     /* the runtime whose output this is */
  pyodide_t* other;    /* another runtime, or NULL */
  atomic_int calls;    /* callback invocations */
  atomic_int refused;  /* re-entrant calls that returned USAGE */
  atomic_int worked;   /* re-entrant calls that returned 2 */
  atomic_int wrong;    /* re-entrant calls that returned anything else */
  atomic_int other_ok; /* calls into the other runtime that worked */
  bool try_destroy;
  char wrong_text[512];
} reentry;

static void reenter(void* env, const char* data, size_t len) {
  (void)data;
  (void)len;
  reentry* r = env;
  if (r->self == NULL) return; /* during start-up */
  atomic_fetch_add(&r->calls, 1);
  pyodide_value_t v = sentinel_value();
  pyodide_error_t* e = pyodide_run_python(r->self, "1 + 1", PYODIDE_STRLEN, NULL, &v);
  if (e != NULL && pyodide_error_kind(e) == PYODIDE_ERROR_USAGE) {
    atomic_fetch_add(&r->refused, 1);
  } else if (e == NULL && v.kind == PYODIDE_INT && v.of.i == 2) {
    atomic_fetch_add(&r->worked, 1);
  } else {
    atomic_fetch_add(&r->wrong, 1);
    snprintf(r->wrong_text, sizeof r->wrong_text, "%s", e ? pyodide_error_message(e) : "a wrong value");
    if (e == NULL) pyodide_value_release(&v);
  }
  pyodide_error_delete(e);
  if (r->try_destroy) pyodide_destroy(r->self); /* refused: the runtime stays */
  if (r->other != NULL) {
    pyodide_value_t w = sentinel_value();
    pyodide_error_t* e2 = pyodide_run_python(r->other, "6 * 7", PYODIDE_STRLEN, NULL, &w);
    if (e2 == NULL && w.kind == PYODIDE_INT && w.of.i == 42) atomic_fetch_add(&r->other_ok, 1);
    pyodide_error_delete(e2);
  }
}

static pyodide_t* load_reentrant(reentry* r) {
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.stdout_fn = reenter;
  c.stderr_fn = reenter;
  c.io_env = r;
  pyodide_t* rt = RB_LOAD(&c);
  r->self = rt;
  return rt;
}

typedef struct {
  pyodide_t* rt;
  const char* code;
  pyodide_error_t* error;
  pyodide_value_t result;
  atomic_int finished;
} bg_call;

static void* bg(void* p) {
  bg_call* c = p;
  c->error = pyodide_run_python(c->rt, c->code, PYODIDE_STRLEN, NULL, &c->result);
  atomic_store(&c->finished, 1);
  return NULL;
}

/* Runs code on a thread with a watchdog: a deadlock ends the process with a message
 * (nothing can be cleaned up). The code's result must be the STR 'outer-result': a
 * nested call must not have disturbed the outer one. */
static void run_watched(pyodide_t* rt, const char* code, double seconds) {
  static bg_call c; /* static: outlives the case if the thread is stuck */
  c.rt = rt;
  c.code = code;
  c.error = NULL;
  atomic_store(&c.finished, 0);
  pthread_t t;
  ASSERT_EQ_INT(pthread_create(&t, NULL, bg, &c), 0);
  double t0 = rb_now();
  while (!atomic_load(&c.finished)) {
    if (rb_now() - t0 > seconds) {
      fprintf(stderr, "DEADLOCK: `%s` has not returned after %.0f s\n", code, seconds);
      fflush(stderr);
      _exit(1); /* the runtime is wedged: nothing can be cleaned up */
    }
    rb_sleep(0.001);
  }
  ASSERT_EQ_INT(pthread_join(t, NULL), 0);
  ASSERT_OK(c.error);
  EXPECT_KIND(&c.result, PYODIDE_STR);
  ASSERT_STREQ(c.result.of.str.ptr, "outer-result");
  pyodide_value_release(&c.result);
}

TEST(reentrant_call_from_sys_stdout_callback_works) {
  reentry r;
  memset(&r, 0, sizeof r);
  pyodide_t* other = RB_LOAD_QUIET();
  pyodide_t* rt = load_reentrant(&r);
  r.other = other;
  r.try_destroy = true;
  run_watched(rt, "print('hello')\nimport sys\nprint('err', file=sys.stderr)\n'outer-result'", 20);
  printf("sys.stdout callback: %d calls, %d re-entries worked, %d refused, %d wrong, %d calls into another runtime worked\n",
         atomic_load(&r.calls), atomic_load(&r.worked), atomic_load(&r.refused), atomic_load(&r.wrong),
         atomic_load(&r.other_ok));
  ASSERT(atomic_load(&r.calls) >= 2);
  if (atomic_load(&r.wrong)) harness_fail(__FILE__, __LINE__, "a re-entrant call went wrong: %s", r.wrong_text);
  ASSERT_EQ_INT(atomic_load(&r.worked), atomic_load(&r.calls));
  /* Another runtime may be used from the callback. */
  ASSERT_EQ_INT(atomic_load(&r.other_ok), atomic_load(&r.calls));
  r.self = NULL;
  RB_ALIVE(rt); /* pyodide_destroy from the callback was refused */
  pyodide_destroy(rt);
  pyodide_destroy(other);
}

TEST(reentrant_call_from_fd_write_callback_is_usage) {
  reentry r;
  memset(&r, 0, sizeof r);
  pyodide_t* other = RB_LOAD_QUIET();
  pyodide_t* rt = load_reentrant(&r);
  r.other = other;
  /* os.write on fd 1/2 reaches the callback from inside os.write, on the calling
   * thread, which holds the runtime. */
  run_watched(rt, "import os\nos.write(1, b'raw out\\n')\nos.write(2, b'raw err\\n')\n'outer-result'", 20);
  printf("fd write callback: %d calls, %d re-entries refused, %d worked, %d wrong, %d calls into another runtime worked\n",
         atomic_load(&r.calls), atomic_load(&r.refused), atomic_load(&r.worked), atomic_load(&r.wrong),
         atomic_load(&r.other_ok));
  ASSERT(atomic_load(&r.calls) >= 2);
  if (atomic_load(&r.wrong)) harness_fail(__FILE__, __LINE__, "a re-entrant call went wrong: %s", r.wrong_text);
  ASSERT_EQ_INT(atomic_load(&r.refused), atomic_load(&r.calls));
  /* Another runtime may be used from there. */
  ASSERT_EQ_INT(atomic_load(&r.other_ok), atomic_load(&r.calls));
  r.self = NULL;
  RB_ALIVE(rt);
  pyodide_destroy(rt);
  pyodide_destroy(other);
}

/* pyodide_destroy from there must be refused too: its call is still running. */
TEST(reentrant_destroy_from_fd_write_callback_is_refused) {
  reentry r;
  memset(&r, 0, sizeof r);
  pyodide_t* rt = load_reentrant(&r);
  r.try_destroy = true;
  run_watched(rt, "import os\nos.write(1, b'raw out\\n')\n'outer-result'", 20);
  ASSERT(atomic_load(&r.calls) >= 1);
  r.self = NULL;
  RB_ALIVE(rt);
  pyodide_destroy(rt);
}
