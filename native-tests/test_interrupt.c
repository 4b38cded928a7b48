/* Deadlines and interrupts: pyodide_interrupt, pyodide_set_timeout, config->timeout_s. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "support.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s) {
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  nanosleep(&ts, NULL);
}

typedef struct {
  pyodide_t* rt;
  const char* code;
  pyodide_error_t* error; /* the call's error, owned here */
  double seconds;         /* how long the call took */
} runner;

static void* run_in_thread(void* p) {
  runner* r = p;
  double start = now_s();
  r->error = pyodide_run_python(r->rt, r->code, PYODIDE_STRLEN, NULL, NULL);
  r->seconds = now_s() - start;
  return NULL;
}

/* Starts `code` on a thread, interrupts it after `after` seconds, joins. */
static void interrupt_after(runner* r, double after) {
  pthread_t t;
  ASSERT_EQ_INT(pthread_create(&t, NULL, run_in_thread, r), 0);
  sleep_s(after);
  ASSERT_OK(pyodide_interrupt(r->rt));
  ASSERT_EQ_INT(pthread_join(t, NULL), 0);
}

/* An interrupted call: Python's KeyboardInterrupt, or a LIMIT error. */
static void expect_interrupted(pyodide_error_t* e) {
  ASSERT(e != NULL);
  pyodide_error_kind_t kind = pyodide_error_kind(e);
  if (!(kind == PYODIDE_ERROR_LIMIT ||
        (kind == PYODIDE_ERROR_PYTHON &&
         strcmp(pyodide_error_type(e), "KeyboardInterrupt") == 0)))
    harness_fail_error(__FILE__, __LINE__, "the interrupted call", e);
  ASSERT(strlen(pyodide_error_message(e)) > 0);
  pyodide_error_delete(e);
}

TEST(interrupt_stops_python_code) {
  pyodide_t* rt = LOAD();
  runner r = {rt, "n = 0\nwhile True:\n    n += 1\n", NULL, 0};
  interrupt_after(&r, 0.3);
  expect_interrupted(r.error);
  ASSERT(r.seconds < 5.0);
  /* Python code honoured the interrupt: the runtime lives on. */
  ASSERT(RUN_INT(rt, "n") > 0);
  ASSERT_EQ_INT(RUN_INT(rt, "sum(range(1000))"), 499500);
  pyodide_destroy(rt);
}

TEST(interrupt_can_be_caught_by_python) {
  pyodide_t* rt = LOAD();
  runner r = {rt,
              "caught = False\n"
              "try:\n"
              "    while True:\n"
              "        pass\n"
              "except KeyboardInterrupt:\n"
              "    caught = True\n",
              NULL, 0};
  interrupt_after(&r, 0.3);
  ASSERT(r.error == NULL);
  ASSERT(RUN_BOOL(rt, "caught"));
  pyodide_destroy(rt);
}

TEST(interrupt_without_running_call_does_nothing) {
  pyodide_t* rt = LOAD();
  ASSERT_OK(pyodide_interrupt(rt));
  ASSERT_OK(pyodide_interrupt(rt));
  /* Nothing is pending for the next call. */
  ASSERT_EQ_INT(RUN_INT(rt, "x = 0\nfor i in range(200000):\n    x += i\nx"), 19999900000LL);
  pyodide_destroy(rt);
}

TEST(interrupt_ignored_is_stopped_hard) {
  pyodide_t* rt = LOAD();
  runner r = {rt,
              "while True:\n"
              "    try:\n"
              "        while True:\n"
              "            pass\n"
              "    except KeyboardInterrupt:\n"
              "        pass\n",
              NULL, 0};
  interrupt_after(&r, 0.3);
  ASSERT(r.error != NULL);
  ASSERT_EQ_INT(pyodide_error_kind(r.error), PYODIDE_ERROR_LIMIT);
  pyodide_error_delete(r.error);
  ASSERT(r.seconds < 5.0);
  /* The runtime is dead from then on. */
  pyodide_value_t v = sentinel_value();
  ASSERT_ERROR(pyodide_run_python(rt, "1", PYODIDE_STRLEN, NULL, &v), PYODIDE_ERROR_FATAL,
               "FatalError");
  ASSERT(is_sentinel(&v));
  pyodide_destroy(rt);
}

TEST(interrupt_bad_arguments_are_usage) {
  ASSERT_USAGE(pyodide_interrupt(NULL));
  pyodide_t* rt = LOAD();
  pyodide_destroy(rt);
  ASSERT_USAGE(pyodide_interrupt(rt));
}

TEST(set_timeout_limits_each_call) {
  pyodide_t* rt = LOAD();
  ASSERT_OK(pyodide_set_timeout(rt, 0.3));
  double start = now_s();
  ASSERT_ERROR(pyodide_run_python(rt, "while True: pass", PYODIDE_STRLEN, NULL, NULL),
               PYODIDE_ERROR_LIMIT, "LimitError");
  double took = now_s() - start;
  ASSERT(took >= 0.25);
  ASSERT(took < 5.0);
  /* The deadline applies to proxy calls too. */
  pyproxy_t* spin = RUN_PROXY(rt, "def spin():\n    while True: pass\nspin");
  ASSERT_ERROR(pyproxy_call(spin, NULL, 0, NULL), PYODIDE_ERROR_LIMIT, "LimitError");
  /* The runtime lives on, and quick calls are unaffected. */
  ASSERT_EQ_INT(RUN_INT(rt, "2 + 2"), 4);
  /* 0 removes the deadline. */
  ASSERT_OK(pyodide_set_timeout(rt, 0));
  EXEC(rt, "import time\nt = time.monotonic()\nwhile time.monotonic() - t < 0.6: pass");
  pyproxy_destroy(spin);
  pyodide_destroy(rt);
}

TEST(set_timeout_replaces_config_timeout) {
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.timeout_s = 0.3;
  pyodide_t* rt = LOAD_WITH(&c);
  ASSERT_ERROR(pyodide_run_python(rt, "while True: pass", PYODIDE_STRLEN, NULL, NULL),
               PYODIDE_ERROR_LIMIT, "LimitError");
  ASSERT_OK(pyodide_set_timeout(rt, 5.0));
  EXEC(rt, "import time\nt = time.monotonic()\nwhile time.monotonic() - t < 0.6: pass");
  pyodide_destroy(rt);
}

TEST(timeout_interrupts_sleep) {
  /* time.sleep blocks outside the interpreter loop; the deadline still ends the call. */
  pyodide_t* rt = LOAD();
  ASSERT_OK(pyodide_set_timeout(rt, 0.3));
  double start = now_s();
  pyodide_error_t* e = pyodide_run_python(rt, "import time\ntime.sleep(10)", PYODIDE_STRLEN,
                                          NULL, NULL);
  double took = now_s() - start;
  ASSERT(e != NULL);
  ASSERT_EQ_INT(pyodide_error_kind(e), PYODIDE_ERROR_LIMIT);
  pyodide_error_delete(e);
  if (took >= 5.0) harness_fail(__FILE__, __LINE__, "time.sleep(10) ran %.1f s despite a 0.3 s deadline", took);
  pyodide_destroy(rt);
}

TEST(set_timeout_bad_arguments_are_usage) {
  ASSERT_USAGE(pyodide_set_timeout(NULL, 1.0));
  pyodide_t* rt = LOAD();
  ASSERT_USAGE(pyodide_set_timeout(rt, -1.0));
  ASSERT_USAGE(pyodide_set_timeout(rt, NAN));
  ASSERT_USAGE(pyodide_set_timeout(rt, INFINITY));
  ASSERT_USAGE(pyodide_set_timeout(rt, -INFINITY));
  /* Nothing was set by the refused values. */
  EXEC(rt, "import time\nt = time.monotonic()\nwhile time.monotonic() - t < 0.3: pass");
  pyodide_destroy(rt);
  ASSERT_USAGE(pyodide_set_timeout(rt, 1.0));
}
