/* Calls blocked in the host — a WASI poll_oneoff behind select/poll, or the event
 * loop waiting for a future nobody will complete — must still end at their
 * deadline and answer pyodide_interrupt; otherwise a few lines of Python hold the
 * calling thread for as long as they like (and the runtime cannot even be
 * destroyed meanwhile). */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "rb_util.h"

typedef struct {
  pyodide_t* rt;
  const char* code;
  bool async;
  pyodide_error_t* error;
  double returned_at;
  atomic_int done;
} blocked_call;

static void* run_blocked(void* p) {
  blocked_call* c = p;
  c->error = c->async ? pyodide_run_python_async(c->rt, c->code, PYODIDE_STRLEN, NULL, NULL)
                      : pyodide_run_python(c->rt, c->code, PYODIDE_STRLEN, NULL, NULL);
  c->returned_at = rb_now();
  atomic_store(&c->done, 1);
  return NULL;
}

/* Runs `code` on a thread; interrupts it after `interrupt_after` s (< 0: never);
 * returns the seconds until it returned, or ends the process if it is still blocked
 * after `give_up` s (nothing can be cleaned up under a call that never returns). */
static double run_and_time(pyodide_t* rt, const char* code, bool async, double interrupt_after,
                           double give_up, rb_outcome* outcome) {
  static blocked_call c; /* static: outlives the case if the thread never returns */
  memset(&c, 0, sizeof c);
  c.rt = rt;
  c.code = code;
  c.async = async;
  pthread_t t;
  double t0 = rb_now();
  ASSERT_EQ_INT(pthread_create(&t, NULL, run_blocked, &c), 0);
  bool interrupted = false;
  while (!atomic_load(&c.done)) {
    double dt = rb_now() - t0;
    if (!interrupted && interrupt_after >= 0 && dt >= interrupt_after) {
      ASSERT_OK(pyodide_interrupt(rt));
      interrupted = true;
    }
    if (dt > give_up) {
      fprintf(stderr, "%s:%d: failed: `%s` (%s) still blocked after %.1f s%s; ending the process\n",
              __FILE__, __LINE__, code, async ? "pyodide_run_python_async" : "pyodide_run_python",
              dt, interrupted ? " and a pyodide_interrupt" : "");
      fprintf(stderr, "[   FAILED ] (blocked call)\n");
      fflush(stderr);
      _exit(1);
    }
    rb_sleep(0.002);
  }
  ASSERT_EQ_INT(pthread_join(t, NULL), 0);
  *outcome = RB_TAKE(c.error);
  return c.returned_at - t0;
}

static pyodide_t* load_with_timeout(double seconds) {
  pyodide_config_t c = rb_quiet_config(NULL);
  c.timeout_s = seconds;
  return RB_LOAD(&c);
}

/* select/poll with a timeout block inside WASI's poll_oneoff. */
static const char* const BLOCKING[] = {
    "import select; select.select([], [], [], 2)",
    "import select; select.poll().poll(2000)",
    "import selectors; selectors.DefaultSelector().select(2)",
};

TEST(timeout_stops_select_and_poll) {
  int late = 0;
  for (size_t i = 0; i < sizeof BLOCKING / sizeof *BLOCKING; i++) {
    pyodide_t* rt = load_with_timeout(0.3);
    rb_outcome o;
    double dt = run_and_time(rt, BLOCKING[i], false, -1, 30, &o);
    printf("timeout 0.3 s: `%s` returned after %.3f s with %s\n", BLOCKING[i], dt,
           o.failed ? rb_kind_name(o.kind) : "success");
    ASSERT(o.failed && o.kind == PYODIDE_ERROR_LIMIT);
    if (dt > 1.5) late++;
    pyodide_destroy(rt);
  }
  ASSERT_EQ_INT(late, 0);
}

TEST(interrupt_stops_select_and_poll) {
  int late = 0;
  for (size_t i = 0; i < sizeof BLOCKING / sizeof *BLOCKING; i++) {
    pyodide_t* rt = RB_LOAD_QUIET();
    rb_outcome o;
    double dt = run_and_time(rt, BLOCKING[i], false, 0.2, 30, &o);
    printf("interrupt at 0.2 s: `%s` returned after %.3f s with %s %s\n", BLOCKING[i], dt,
           o.failed ? rb_kind_name(o.kind) : "success", o.failed ? o.type : "");
    ASSERT(o.failed);
    if (dt > 1.5) late++;
    pyodide_destroy(rt);
  }
  ASSERT_EQ_INT(late, 0);
}

/* `await` on a future nobody completes: pyodide_run_python_async waits for it
 * between event-loop steps, outside any step's deadline. */
static const char* const NEVER =
    "import asyncio\n"
    "await asyncio.get_event_loop().create_future()";

TEST(async_timeout_bounds_a_never_resolved_await) {
  pyodide_t* rt = load_with_timeout(0.3);
  rb_outcome o;
  double dt = run_and_time(rt, NEVER, true, -1, 5, &o);
  printf("timeout 0.3 s: run_python_async awaiting a never-completed future returned after %.3f s with %s\n",
         dt, o.failed ? rb_kind_name(o.kind) : "success");
  ASSERT(o.failed && o.kind == PYODIDE_ERROR_LIMIT);
  ASSERT(dt <= RB_HANG_S);
  pyodide_destroy(rt);
}

TEST(async_interrupt_stops_a_never_resolved_await) {
  pyodide_t* rt = RB_LOAD_QUIET();
  rb_outcome o;
  double dt = run_and_time(rt, NEVER, true, 0.2, 5, &o);
  printf("interrupt at 0.2 s: run_python_async awaiting a never-completed future returned after %.3f s with %s %s\n",
         dt, o.failed ? rb_kind_name(o.kind) : "success", o.failed ? o.type : "");
  ASSERT(o.failed);
  ASSERT(dt <= RB_HANG_S);
  RB_ALIVE(rt);
  pyodide_destroy(rt);
}
