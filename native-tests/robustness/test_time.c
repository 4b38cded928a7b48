/* Time limits: config->timeout_s, pyodide_set_timeout and pyodide_interrupt. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "rb_util.h"

static pyodide_t* load_with_timeout(double seconds) {
  pyodide_config_t c = rb_quiet_config(NULL);
  c.timeout_s = seconds;
  return RB_LOAD(&c);
}

/* Runs `code`, expects `kind`, and returns the seconds the call took. */
static double timed_expect(pyodide_t* rt, const char* code, pyodide_error_kind_t kind,
                           const char* type, rb_outcome* out) {
  double t0 = rb_now();
  rb_outcome o = RB_RUN_EXPECT(rt, code, kind, type);
  double dt = rb_now() - t0;
  if (out) *out = o;
  return dt;
}

TEST(timeout_python_loop_is_limit_and_runtime_survives) {
  pyodide_t* rt = load_with_timeout(0.3);
  RB_ALIVE(rt); /* quick calls are not affected by the deadline */
  rb_outcome o;
  double dt = timed_expect(rt, "while True: pass", PYODIDE_ERROR_LIMIT, "LimitError", &o);
  printf("timeout 0.3 s: `while True: pass` stopped after %.3f s (%s)\n", dt, o.message);
  ASSERT(dt >= 0.3 && dt <= RB_HANG_S);
  /* Python honoured the KeyboardInterrupt: the runtime lives on, every time. */
  RB_ALIVE(rt);
  dt = timed_expect(rt, "n = 0\nwhile True:\n    n += 1", PYODIDE_ERROR_LIMIT, "LimitError", NULL);
  ASSERT(dt >= 0.3 && dt <= RB_HANG_S);
  ASSERT(RUN_INT(rt, "n") > 0);
  /* Code that swallows KeyboardInterrupt still ends at the deadline: LIMIT (the
   * interrupt escapes the `try` at the outer loop, or the call is stopped hard after
   * the 100 ms grace and the runtime dies; both are documented outcomes). */
  dt = timed_expect(rt,
                    "while True:\n"
                    "    try:\n"
                    "        while True: pass\n"
                    "    except BaseException:\n"
                    "        pass",
                    PYODIDE_ERROR_LIMIT, "LimitError", &o);
  ASSERT(dt >= 0.3 && dt <= RB_HANG_S);
  pyodide_value_t v = sentinel_value();
  rb_outcome after = RB_TAKE(pyodide_run_python(rt, "1", PYODIDE_STRLEN, NULL, &v));
  ASSERT(!after.failed || after.kind == PYODIDE_ERROR_FATAL);
  printf("timeout 0.3 s: a loop swallowing KeyboardInterrupt stopped after %.3f s; runtime %s\n", dt,
         after.failed ? "dead" : "alive");
  pyodide_destroy(rt);
}

/* `sum(range(10**13))` loops in C (builtin sum over a range iterator) and never
 * returns to the eval loop, so the KeyboardInterrupt is never raised: the call is
 * stopped hard and the runtime dies; nothing else is affected. */
TEST(timeout_c_loop_kills_only_that_runtime) {
  pyodide_t* other = RB_LOAD_QUIET();
  EXEC(other, "state = 'kept'");
  pyodide_t* rt = load_with_timeout(0.3);
  pyproxy_t* d = RUN_PROXY(rt, "{'a': 1}");
  pyproxy_t* f = RUN_PROXY(rt, "lambda x: x");
  rb_outcome o;
  double dt = timed_expect(rt, "sum(range(10**13))", PYODIDE_ERROR_LIMIT, "LimitError", &o);
  printf("timeout 0.3 s: `sum(range(10**13))` stopped after %.3f s (%s)\n", dt, o.message);
  ASSERT(dt >= 0.3 && dt <= RB_HANG_S);

  /* Every later call on it: FATAL. */
  RB_DEAD(rt);
  pyproxy_t* p = NULL;
  ASSERT_ERROR(pyodide_globals(rt, &p), PYODIDE_ERROR_FATAL, "FatalError");
  ASSERT(p == NULL);
  pyodide_value_t k = v_str("a"), out = sentinel_value();
  ASSERT_ERROR(pyproxy_get(d, &k, &out), PYODIDE_ERROR_FATAL, "FatalError");
  ASSERT_ERROR(pyproxy_call(f, &k, 1, &out), PYODIDE_ERROR_FATAL, "FatalError");
  ASSERT_ERROR(pyproxy_to_js(d, -1, &out), PYODIDE_ERROR_FATAL, "FatalError");
  ASSERT_ERROR(pyproxy_get_attr(d, "keys", PYODIDE_STRLEN, &out), PYODIDE_ERROR_FATAL, "FatalError");
  ASSERT_ERROR(pyproxy_copy(d, &p), PYODIDE_ERROR_FATAL, "FatalError");
  ASSERT_ERROR(pyodide_to_py(rt, &k, -1, &p), PYODIDE_ERROR_FATAL, "FatalError");
  ASSERT(is_sentinel(&out) && p == NULL);
  /* A fresh timeout does not revive it. */
  ASSERT_OK(pyodide_set_timeout(rt, 0));
  RB_DEAD(rt);

  /* The other runtime, and new ones, are unaffected. */
  char* s = RUN_STR(other, "state");
  ASSERT_STREQ(s, "kept");
  free(s);
  RB_ALIVE(other);
  pyodide_t* fresh = RB_LOAD_QUIET();
  RB_ALIVE(fresh);
  pyproxy_destroy(d);
  pyproxy_destroy(f);
  pyodide_destroy(rt);
  pyodide_destroy(fresh);
  pyodide_destroy(other);
}

/* Exponential backtracking inside the C regex engine: a deadline must stop it. */
TEST(timeout_catastrophic_regex_is_limit) {
  pyodide_t* rt = load_with_timeout(0.3);
  EXEC(rt, "import re");
  rb_outcome o;
  double dt = timed_expect(rt, "re.match('(a+)+$', 'a' * 40 + 'b')", PYODIDE_ERROR_LIMIT,
                           "LimitError", &o);
  printf("timeout 0.3 s: catastrophic regex stopped after %.3f s (%s)\n", dt, o.message);
  ASSERT(dt >= 0.3 && dt <= RB_HANG_S);
  /* Whether the runtime survives depends on whether sre checks for interrupts; it
   * must be one of the two documented states. */
  pyodide_value_t v = sentinel_value();
  o = RB_TAKE(pyodide_run_python(rt, "1 + 1", PYODIDE_STRLEN, NULL, &v));
  if (o.failed) {
    ASSERT_EQ_INT(o.kind, PYODIDE_ERROR_FATAL);
    printf("catastrophic regex: the runtime is dead afterwards (the regex engine ignores the interrupt)\n");
  } else {
    ASSERT_EQ_INT(v.of.i, 2);
    printf("catastrophic regex: the runtime survives (KeyboardInterrupt raised)\n");
  }
  pyodide_destroy(rt);
}

TEST(set_timeout_applies_per_call) {
  pyodide_t* rt = RB_LOAD_QUIET();
  /* No deadline by default: a 0.5 s call completes. */
  EXEC(rt, "import time\n"
           "def busy(s):\n"
           "    t = time.monotonic()\n"
           "    while time.monotonic() - t < s: pass\n"
           "    return 'done'");
  char* s = RUN_STR(rt, "busy(0.5)");
  ASSERT_STREQ(s, "done");
  free(s);
  ASSERT_OK(pyodide_set_timeout(rt, 0.2));
  double dt = timed_expect(rt, "busy(30)", PYODIDE_ERROR_LIMIT, "LimitError", NULL);
  ASSERT(dt >= 0.2 && dt <= RB_HANG_S);
  /* The deadline is per call, not cumulative: many short calls all pass. */
  for (int i = 0; i < 5; i++) {
    s = RUN_STR(rt, "busy(0.1)");
    ASSERT_STREQ(s, "done");
    free(s);
  }
  /* It applies to proxy calls too. */
  pyproxy_t* busy = RUN_PROXY(rt, "busy");
  pyodide_value_t arg = v_float(30.0), out = sentinel_value();
  double t0 = rb_now();
  ASSERT_ERROR(pyproxy_call(busy, &arg, 1, &out), PYODIDE_ERROR_LIMIT, "LimitError");
  dt = rb_now() - t0;
  ASSERT(dt >= 0.2 && dt <= RB_HANG_S);
  ASSERT(is_sentinel(&out));
  /* A longer deadline for one call... */
  ASSERT_OK(pyodide_set_timeout(rt, 5));
  s = RUN_STR(rt, "busy(0.6)");
  ASSERT_STREQ(s, "done");
  free(s);
  /* ...and none again. */
  ASSERT_OK(pyodide_set_timeout(rt, 0));
  s = RUN_STR(rt, "busy(0.5)");
  ASSERT_STREQ(s, "done");
  free(s);
  pyproxy_destroy(busy);
  RB_ALIVE(rt);
  pyodide_destroy(rt);
}

/* A call blocked in the host (WASI poll_oneoff for time.sleep) must still end at
 * its deadline. */
TEST(timeout_stops_time_sleep) {
  pyodide_t* rt = load_with_timeout(0.3);
  EXEC(rt, "import time");
  double t0 = rb_now();
  rb_outcome o = RB_TAKE(pyodide_run_python(rt, "time.sleep(3)", PYODIDE_STRLEN, NULL, NULL));
  double dt = rb_now() - t0;
  printf("timeout 0.3 s: time.sleep(3) returned after %.3f s with %s\n", dt,
         o.failed ? rb_kind_name(o.kind) : "success");
  ASSERT(o.failed);
  ASSERT_EQ_INT(o.kind, PYODIDE_ERROR_LIMIT);
  ASSERT(dt <= RB_HANG_S);
  pyodide_destroy(rt);
}

TEST(timeout_invalid_values_are_usage) {
  pyodide_t* rt = RB_LOAD_QUIET();
  ASSERT_OK(pyodide_set_timeout(rt, 0.2));
  ASSERT_USAGE(pyodide_set_timeout(rt, NAN));
  ASSERT_USAGE(pyodide_set_timeout(rt, -1.0));
  ASSERT_USAGE(pyodide_set_timeout(rt, -1e-9));
  ASSERT_USAGE(pyodide_set_timeout(rt, INFINITY));
  ASSERT_USAGE(pyodide_set_timeout(rt, -INFINITY));
  ASSERT_USAGE(pyodide_set_timeout(NULL, 1.0));
  ASSERT_USAGE(pyodide_set_timeout((pyodide_t*)(uintptr_t)0x1234, 1.0));
  /* A refused value leaves the previous deadline in force. */
  double dt = timed_expect(rt, "while True: pass", PYODIDE_ERROR_LIMIT, "LimitError", NULL);
  ASSERT(dt >= 0.2 && dt <= RB_HANG_S);

  pyodide_config_t c = rb_quiet_config(NULL);
  double bad[] = {NAN, -1.0, INFINITY, -INFINITY};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    c.timeout_s = bad[i];
    pyodide_t* r = (pyodide_t*)(uintptr_t)0x5eed;
    ASSERT_USAGE(pyodide_load(&c, &r));
    ASSERT(r == (pyodide_t*)(uintptr_t)0x5eed);
  }
  pyodide_destroy(rt);
}

/* A huge but finite deadline (1e10 s ≈ 317 years; 1e300 s) is valid input: it must
 * either be refused as USAGE or behave as "no deadline" — never time a call out at
 * once, and never fail as an internal error. */
static const char* const BUSY_0_1 =
    "import time\n"
    "t = time.monotonic()\n"
    "while time.monotonic() - t < 0.1: pass\n"
    "1";

static void huge_set_timeout(double seconds) {
  pyodide_t* rt = RB_LOAD_QUIET();
  rb_outcome o = RB_TAKE(pyodide_set_timeout(rt, seconds));
  if (o.failed) {
    if (o.kind != PYODIDE_ERROR_USAGE)
      harness_fail(__FILE__, __LINE__, "pyodide_set_timeout(%g): %s %s: %s", seconds,
                   rb_kind_name(o.kind), o.type, o.message);
  } else {
    /* A 0.1 s call: long enough for the deadline machinery to look at the clock. */
    pyodide_value_t v = sentinel_value();
    o = RB_TAKE(pyodide_run_python(rt, BUSY_0_1, PYODIDE_STRLEN, NULL, &v));
    if (o.failed)
      harness_fail(__FILE__, __LINE__, "after pyodide_set_timeout(%g) a 0.1 s call failed: %s %s: %s",
                   seconds, rb_kind_name(o.kind), o.type, o.message);
    ASSERT_EQ_INT(v.of.i, 1);
  }
  pyodide_destroy(rt);
}

/* Returns NULL when fine, else a description of what went wrong (static buffer). */
static const char* huge_config_timeout(double seconds) {
  static char why[800];
  pyodide_config_t c = rb_quiet_config(NULL);
  c.timeout_s = seconds;
  pyodide_t* r = NULL;
  rb_outcome o = RB_TAKE(pyodide_load(&c, &r));
  if (o.failed) {
    if (o.kind == PYODIDE_ERROR_USAGE) return NULL;
    snprintf(why, sizeof why, "config timeout_s = %g: pyodide_load: %s %s: %.600s", seconds,
             rb_kind_name(o.kind), o.type, o.message);
    return why;
  }
  pyodide_value_t v = sentinel_value();
  o = RB_TAKE(pyodide_run_python(r, BUSY_0_1, PYODIDE_STRLEN, NULL, &v));
  pyodide_destroy(r);
  if (!o.failed) return NULL;
  snprintf(why, sizeof why, "config timeout_s = %g: a 0.1 s call failed: %s %s: %.600s", seconds,
           rb_kind_name(o.kind), o.type, o.message);
  return why;
}

TEST(timeout_huge_1e10_does_not_fire_at_once) {
  huge_set_timeout(1e10);
}

TEST(timeout_huge_1e300_is_not_an_internal_error) {
  huge_set_timeout(1e300);
}

TEST(timeout_huge_config_values) {
  int failures = 0;
  const double values[] = {1e10, 1e300};
  for (size_t i = 0; i < 2; i++) {
    const char* why = huge_config_timeout(values[i]);
    if (why != NULL) {
      fprintf(stderr, "  %s\n", why);
      failures++;
    }
  }
  ASSERT_EQ_INT(failures, 0);
}

/* ---- pyodide_interrupt from another thread ---- */

typedef struct {
  atomic_int started;
} start_flag;

static void flag_on_output(void* env, const char* data, size_t len) {
  if (len > 0 && memchr(data, '@', len) != NULL) atomic_store(&((start_flag*)env)->started, 1);
}

typedef struct {
  pyodide_t* rt;
  const char* code;
  pyodide_error_t* error;
  double returned_at;
} call_thread;

static void* run_call(void* p) {
  call_thread* c = p;
  c->error = pyodide_run_python(c->rt, c->code, PYODIDE_STRLEN, NULL, NULL);
  c->returned_at = rb_now();
  return NULL;
}

/* Starts `code` on a thread, waits for it to print '@', interrupts; returns the
 * latency from pyodide_interrupt to the call's return. */
static double interrupt_once(pyodide_t* rt, start_flag* flag, const char* code,
                             pyodide_error_kind_t kind, const char* type) {
  atomic_store(&flag->started, 0);
  call_thread c = {rt, code, NULL, 0};
  pthread_t t;
  ASSERT_EQ_INT(pthread_create(&t, NULL, run_call, &c), 0);
  double wait_start = rb_now();
  while (!atomic_load(&flag->started)) {
    if (rb_now() - wait_start > 30) harness_fail(__FILE__, __LINE__, "the call never started");
    rb_sleep(0.0005);
  }
  rb_sleep(0.02); /* well inside the loop */
  double t0 = rb_now();
  ASSERT_OK(pyodide_interrupt(rt));
  ASSERT_EQ_INT(pthread_join(t, NULL), 0);
  double latency = c.returned_at - t0;
  ASSERT_ERROR(c.error, kind, type);
  return latency;
}

TEST(interrupt_from_thread_stops_the_call) {
  start_flag flag = {0};
  pyodide_config_t cfg;
  pyodide_config_init(&cfg);
  cfg.stdout_fn = flag_on_output;
  cfg.stderr_fn = rb_sink_write;
  cfg.io_env = &flag;
  pyodide_t* rt = RB_LOAD(&cfg);
  EXEC(rt, "def f(): pass");
  /* Every time: a KeyboardInterrupt, and the runtime lives on (the latency is
   * measured by bench_abi's `interrupt`). */
  for (int i = 0; i < 11; i++) {
    double latency = interrupt_once(rt, &flag, "print('@', flush=True)\nwhile True: f()",
                                    PYODIDE_ERROR_PYTHON, "KeyboardInterrupt");
    ASSERT(latency < RB_HANG_S);
    RB_ALIVE(rt);
  }

  /* A C-level loop ignores KeyboardInterrupt: stopped hard after the 100 ms grace,
   * LIMIT, then the runtime is dead. */
  double hard = interrupt_once(rt, &flag, "print('@', flush=True)\nsum(range(10**13))",
                               PYODIDE_ERROR_LIMIT, "LimitError");
  printf("interrupt of a C-level loop: returned after %.3f ms (100 ms grace)\n", hard * 1e3);
  ASSERT(hard >= 0.09 && hard < RB_HANG_S);
  RB_DEAD(rt);
  pyodide_destroy(rt);
}

TEST(interrupt_with_no_call_running_is_harmless) {
  pyodide_t* rt = RB_LOAD_QUIET();
  for (int i = 0; i < 100; i++) ASSERT_OK(pyodide_interrupt(rt));
  /* Nothing is pending: a 0.3 s call that checks for interrupts completes. */
  char* s = RUN_STR(rt,
                    "import time\n"
                    "t = time.monotonic()\n"
                    "while time.monotonic() - t < 0.3: pass\n"
                    "'completed'");
  ASSERT_STREQ(s, "completed");
  free(s);
  RB_ALIVE(rt);
  /* Bad handles: USAGE, no crash. */
  ASSERT_USAGE(pyodide_interrupt(NULL));
  ASSERT_USAGE(pyodide_interrupt((pyodide_t*)(uintptr_t)0x1234));
  int local = 0;
  ASSERT_USAGE(pyodide_interrupt((pyodide_t*)&local));
  pyodide_destroy(rt);
  ASSERT_USAGE(pyodide_interrupt(rt));
}

/* An interrupt that lands just as a call ends must not leak into the next call. */
TEST(interrupt_racing_call_end_does_not_leak) {
  pyodide_t* rt = RB_LOAD_QUIET();
  pyproxy_t* f = RUN_PROXY(rt, "lambda i: i * 2");
  int leaked = 0;
  for (int round = 0; round < 200; round++) {
    call_thread c = {rt, "sum(range(2000))", NULL, 0};
    pthread_t t;
    ASSERT_EQ_INT(pthread_create(&t, NULL, run_call, &c), 0);
    ASSERT_OK(pyodide_interrupt(rt));
    ASSERT_EQ_INT(pthread_join(t, NULL), 0);
    if (c.error != NULL) {
      rb_outcome o = RB_TAKE(c.error);
      /* Interrupted: it must be a KeyboardInterrupt, never anything worse. */
      if (!(o.kind == PYODIDE_ERROR_PYTHON && strcmp(o.type, "KeyboardInterrupt") == 0))
        harness_fail(__FILE__, __LINE__, "an interrupted call failed with %s %s: %s",
                     rb_kind_name(o.kind), o.type, o.message);
    }
    /* The next call, with no interrupt, must succeed. */
    pyodide_value_t arg = v_int(round), out = sentinel_value();
    pyodide_error_t* e = pyproxy_call(f, &arg, 1, &out);
    if (e != NULL) {
      leaked++;
      rb_outcome o = RB_TAKE(e);
      harness_note("round %d: a stale interrupt surfaced in the next call: %s %s", round,
                   rb_kind_name(o.kind), o.type);
      continue;
    }
    ASSERT_EQ_INT(out.of.i, 2 * round);
  }
  ASSERT_EQ_INT(leaked, 0);
  pyproxy_destroy(f);
  pyodide_destroy(rt);
}
