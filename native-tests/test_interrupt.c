/* Deadlines, interrupts and signals: pyodide_interrupt, pyodide_signal, pyodide_set_timeout,
   config->timeout_s. */
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

/* Runs `code` on a thread; after `after` seconds delivers each of `signals`
   (0-terminated), expecting Python's `actions`, then joins. */
static void signal_after(runner* r, double after, const int* signals, const pyodide_signal_action_t* actions) {
  pthread_t t;
  ASSERT_EQ_INT(pthread_create(&t, NULL, run_in_thread, r), 0);
  sleep_s(after);
  for (int i = 0; signals[i] != 0; i++) {
    pyodide_signal_action_t action = (pyodide_signal_action_t)-1;
    ASSERT_OK(pyodide_signal(r->rt, signals[i], &action));
    ASSERT_EQ_INT(action, actions[i]);
  }
  ASSERT_EQ_INT(pthread_join(t, NULL), 0);
}

enum { SIG_HUP = 1, SIG_INT = 2, SIG_USR1 = 10, SIG_TERM = 15 };

TEST(signal_runs_pythons_own_handlers) {
  pyodide_t* rt = LOAD();
  /* Each handler runs, and the call carries on for longer than the grace
     an interrupt gets: nothing is stopped hard. */
  runner r = {rt,
              "import signal, time\n"
              "got = []\n"
              "for s in (signal.SIGTERM, signal.SIGUSR1, signal.SIGINT):\n"
              "    signal.signal(s, lambda n, f: got.append(n))\n"
              "while len(got) < 3:\n"
              "    pass\n"
              "end = time.monotonic() + 0.5\n"
              "while time.monotonic() < end:\n"
              "    pass\n",
              NULL, 0};
  const int signals[] = {SIG_TERM, SIG_USR1, SIG_INT, 0};
  const pyodide_signal_action_t actions[] = {PYODIDE_SIGNAL_HANDLED, PYODIDE_SIGNAL_HANDLED, PYODIDE_SIGNAL_HANDLED};
  signal_after(&r, 0.5, signals, actions);
  ASSERT_OK(r.error);
  /* Signals pending together run in numeric order, as CPython handles them. */
  ASSERT(RUN_BOOL(rt, "sorted(got) == [2, 10, 15] and len(got) == 3"));
  /* A handler that raises ends the call with its exception, as in python3. */
  runner raising = {rt,
                    "def stop(n, f):\n"
                    "    raise SystemExit(f'stopped by {n}')\n"
                    "signal.signal(signal.SIGHUP, stop)\n"
                    "while True:\n"
                    "    pass\n",
                    NULL, 0};
  const int hup[] = {SIG_HUP, 0};
  const pyodide_signal_action_t handled[] = {PYODIDE_SIGNAL_HANDLED};
  signal_after(&raising, 0.5, hup, handled);
  ASSERT_PYERR(raising.error, "SystemExit");
  ASSERT_EQ_INT(RUN_INT(rt, "6 * 7"), 42);
  pyodide_destroy(rt);
}

TEST(signal_with_pythons_defaults_delivers_nothing) {
  pyodide_t* rt = LOAD();
  /* SIG_DFL, SIGINT's own handler and SIG_IGN: nothing reaches the code. */
  runner r = {rt,
              "import signal, time\n"
              "signal.signal(signal.SIGHUP, signal.SIG_IGN)\n"
              "end = time.monotonic() + 1.0\n"
              "while time.monotonic() < end:\n"
              "    pass\n"
              "done = True\n",
              NULL, 0};
  const int signals[] = {SIG_TERM, SIG_INT, SIG_HUP, SIG_USR1, 0};
  const pyodide_signal_action_t actions[] = {PYODIDE_SIGNAL_DEFAULT, PYODIDE_SIGNAL_DEFAULT, PYODIDE_SIGNAL_IGNORED,
                                             PYODIDE_SIGNAL_DEFAULT};
  signal_after(&r, 0.5, signals, actions);
  ASSERT_OK(r.error);
  ASSERT(RUN_BOOL(rt, "done"));
  /* Setting the handlers back is seen at once. */
  EXEC(rt, "signal.signal(signal.SIGHUP, signal.SIG_DFL)\nsignal.signal(signal.SIGINT, signal.default_int_handler)");
  pyodide_signal_action_t action = PYODIDE_SIGNAL_HANDLED;
  ASSERT_OK(pyodide_signal(rt, SIG_HUP, &action));
  ASSERT_EQ_INT(action, PYODIDE_SIGNAL_DEFAULT);
  ASSERT_OK(pyodide_signal(rt, SIG_INT, NULL)); /* the answer is optional */
  ASSERT_EQ_INT(RUN_INT(rt, "6 * 7"), 42);
  pyodide_destroy(rt);
}

TEST(signal_between_calls_runs_at_the_next_call) {
  pyodide_t* rt = LOAD();
  EXEC(rt, "import signal\ngot = []\nsignal.signal(signal.SIGUSR1, lambda n, f: got.append(n))");
  pyodide_signal_action_t action = PYODIDE_SIGNAL_DEFAULT;
  ASSERT_OK(pyodide_signal(rt, SIG_USR1, &action));
  ASSERT_EQ_INT(action, PYODIDE_SIGNAL_HANDLED);
  /* As python3 runs a handler at its next check: the next call's first. */
  ASSERT(RUN_BOOL(rt, "got == [10]"));
  ASSERT(RUN_BOOL(rt, "got == [10]")); /* once */
  pyodide_destroy(rt);
}

TEST(signal_bad_arguments) {
  pyodide_signal_action_t action = PYODIDE_SIGNAL_HANDLED;
  ASSERT_USAGE(pyodide_signal(NULL, SIG_INT, &action));
  pyodide_t* rt = LOAD();
  ASSERT_USAGE(pyodide_signal(rt, 0, &action));
  ASSERT_USAGE(pyodide_signal(rt, -1, &action));
  ASSERT_USAGE(pyodide_signal(rt, 65, &action));
  ASSERT_USAGE(pyodide_signal(rt, 1 << 30, &action));
  ASSERT_EQ_INT(action, PYODIDE_SIGNAL_HANDLED); /* untouched by a failure */
  ASSERT_OK(pyodide_signal(rt, 64, &action)); /* the last one Python knows */
  ASSERT_EQ_INT(action, PYODIDE_SIGNAL_DEFAULT);
  /* A dead runtime: FATAL, its memory untouched. */
  ASSERT_ERROR(pyodide_run_python(rt, "import os; os._exit(3)", PYODIDE_STRLEN, NULL, NULL), PYODIDE_ERROR_FATAL,
               "FatalError");
  ASSERT_ERROR(pyodide_signal(rt, SIG_TERM, &action), PYODIDE_ERROR_FATAL, "FatalError");
  pyodide_destroy(rt);
  ASSERT_USAGE(pyodide_signal(rt, SIG_INT, &action));
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
