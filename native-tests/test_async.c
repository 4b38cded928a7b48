/*
 * Async: pyodide_run_python_async, pyodide_run_pending, pyodide_await,
 * pyproxy_then/catch/finally, pyodide_future_new/resolve/reject.
 *
 * Host callbacks never ASSERT (a failed assertion jumps out of the case, which
 * must not cross the library's frames): they record what they saw, and the
 * case checks it once the call returned.
 */
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

/* CPU time of the whole process (every thread), in seconds. */
static double cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s) {
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  nanosleep(&ts, NULL);
}

/* pyodide_run_python_async into an owned value; fails the case on error. */
static pyodide_value_t run_async_at(const char* f, int l, pyodide_t* rt, const char* code) {
  pyodide_value_t v = sentinel_value();
  pyodide_error_t* e = pyodide_run_python_async(rt, code, PYODIDE_STRLEN, NULL, &v);
  if (e != NULL) {
    fprintf(stderr, "  code: %s\n", code);
    harness_fail_error(f, l, "pyodide_run_python_async", e);
  }
  return v;
}
#define RUN_ASYNC(rt, code) run_async_at(__FILE__, __LINE__, (rt), (code))

static int64_t run_async_int_at(const char* f, int l, pyodide_t* rt, const char* code) {
  pyodide_value_t v = run_async_at(f, l, rt, code);
  expect_kind_at(f, l, &v, PYODIDE_INT);
  int64_t i = v.of.i;
  pyodide_value_release(&v);
  return i;
}
#define RUN_ASYNC_INT(rt, code) run_async_int_at(__FILE__, __LINE__, (rt), (code))

/* pyodide_await into an owned value; fails the case on error. */
static pyodide_value_t await_at(const char* f, int l, pyodide_t* rt, pyproxy_t* p, double timeout) {
  pyodide_value_t v = sentinel_value();
  pyodide_error_t* e = pyodide_await(rt, p, timeout, &v);
  if (e != NULL) harness_fail_error(f, l, "pyodide_await", e);
  return v;
}
#define AWAIT(rt, p, timeout) await_at(__FILE__, __LINE__, (rt), (p), (timeout))

static int64_t await_int_at(const char* f, int l, pyodide_t* rt, pyproxy_t* p, double timeout) {
  pyodide_value_t v = await_at(f, l, rt, p, timeout);
  expect_kind_at(f, l, &v, PYODIDE_INT);
  int64_t i = v.of.i;
  pyodide_value_release(&v);
  return i;
}
#define AWAIT_INT(rt, p, timeout) await_int_at(__FILE__, __LINE__, (rt), (p), (timeout))

/* Makes `p` a global of __main__ named `name`. */
static void set_global_at(const char* f, int l, pyodide_t* rt, const char* name, pyproxy_t* p) {
  pyproxy_t* globals = NULL;
  pyodide_error_t* e = pyodide_globals(rt, &globals);
  if (e != NULL) harness_fail_error(f, l, "pyodide_globals", e);
  pyodide_value_t key = v_str(name), value = v_proxy(p);
  e = pyproxy_set(globals, &key, &value);
  pyproxy_destroy(globals);
  if (e != NULL) harness_fail_error(f, l, "pyproxy_set", e);
}
#define SET_GLOBAL(rt, name, p) set_global_at(__FILE__, __LINE__, (rt), (name), (p))

static pyproxy_t* new_future_at(const char* f, int l, pyodide_t* rt) {
  pyproxy_t* fut = NULL;
  pyodide_error_t* e = pyodide_future_new(rt, &fut);
  if (e != NULL) harness_fail_error(f, l, "pyodide_future_new", e);
  if (fut == NULL) harness_fail(f, l, "pyodide_future_new gave NULL");
  return fut;
}
#define NEW_FUTURE(rt) new_future_at(__FILE__, __LINE__, (rt))

/* ---- pyodide_run_python_async ---- */

TEST(async_run_python_async_returns_final_value) {
  pyodide_t* rt = LOAD();
  ASSERT_EQ_INT(RUN_ASYNC_INT(rt, "import asyncio\nawait asyncio.sleep(0.01)\nx = 6\nx * 7"), 42);
  ASSERT_EQ_INT(RUN_ASYNC_INT(rt, "1 + 2"), 3); /* no await at all */
  ASSERT_EQ_INT(RUN_ASYNC_INT(rt, "async def f():\n    await asyncio.sleep(0)\n    return 5\nawait f()"), 5);
  ASSERT_EQ_INT(RUN_ASYNC_INT(rt, "await f() + await f()"), 10); /* the final expression awaits */
  pyodide_value_t v = RUN_ASYNC(rt, "await asyncio.sleep(0)\n'done'");
  EXPECT_KIND(&v, PYODIDE_STR);
  ASSERT_STREQ(v.of.str.ptr, "done");
  pyodide_value_release(&v);
  v = RUN_ASYNC(rt, "await asyncio.sleep(0)\n[1, 2]");
  EXPECT_KIND(&v, PYODIDE_PROXY);
  char* t = TYPE_OF(v.of.proxy);
  ASSERT_STREQ(t, "list");
  free(t);
  pyodide_value_release(&v);
  v = RUN_ASYNC(rt, "y = await f()"); /* ends in a statement */
  EXPECT_KIND(&v, PYODIDE_NONE);
  ASSERT_EQ_INT(RUN_INT(rt, "y"), 5);
  v = RUN_ASYNC(rt, "await f();"); /* a trailing semicolon silences the value */
  EXPECT_KIND(&v, PYODIDE_NONE);
  ASSERT_OK(pyodide_run_python_async(rt, "await asyncio.sleep(0)\n7", PYODIDE_STRLEN, NULL, NULL));
  /* Explicit length and globals. */
  const char code[] = "await asyncio.sleep(0)\nbase + 1XXXX";
  pyproxy_t* scope = RUN_PROXY(rt, "import asyncio\n{'base': 10, 'asyncio': asyncio}");
  v = sentinel_value();
  ASSERT_OK(pyodide_run_python_async(rt, code, sizeof code - 1 - 4, scope, &v));
  EXPECT_KIND(&v, PYODIDE_INT);
  ASSERT_EQ_INT(v.of.i, 11);
  pyproxy_destroy(scope);
  /* Errors. */
  v = sentinel_value();
  ASSERT_PYERR(pyodide_run_python_async(rt, "await asyncio.sleep(0)\n1 / 0", PYODIDE_STRLEN, NULL, &v),
               "ZeroDivisionError");
  ASSERT(is_sentinel(&v));
  ASSERT_PYERR(pyodide_run_python_async(rt, "await (", PYODIDE_STRLEN, NULL, NULL), "SyntaxError");
  ASSERT_USAGE(pyodide_run_python_async(NULL, "1", PYODIDE_STRLEN, NULL, NULL));
  ASSERT_USAGE(pyodide_run_python_async(rt, NULL, PYODIDE_STRLEN, NULL, NULL));
  ASSERT_USAGE(pyodide_run_python_async(rt, "'\xff'", PYODIDE_STRLEN, NULL, NULL));
  ASSERT_EQ_INT(RUN_ASYNC_INT(rt, "await f()"), 5);
  pyodide_destroy(rt);
}

TEST(async_sleep_waits_without_burning_cpu) {
  pyodide_t* rt = LOAD();
  ASSERT_OK(pyodide_run_python_async(rt, "import asyncio\nawait asyncio.sleep(0.001)", PYODIDE_STRLEN, NULL,
                                     NULL)); /* warm: asyncio imported, code paths run once */
  double wall0 = now_s(), cpu0 = cpu_s();
  ASSERT_OK(pyodide_run_python_async(rt, "await asyncio.sleep(0.05)", PYODIDE_STRLEN, NULL, NULL));
  double wall = now_s() - wall0, cpu = cpu_s() - cpu0;
  harness_note("sleep(0.05): %.1f ms wall, %.1f ms CPU", wall * 1e3, cpu * 1e3);
  ASSERT(wall >= 0.045);
  ASSERT(wall < 5.0);
  ASSERT(cpu < 0.5 * wall);
  /* A longer one, for a steadier ratio. */
  wall0 = now_s();
  cpu0 = cpu_s();
  ASSERT_OK(pyodide_run_python_async(rt, "await asyncio.sleep(0.3)", PYODIDE_STRLEN, NULL, NULL));
  wall = now_s() - wall0;
  cpu = cpu_s() - cpu0;
  harness_note("sleep(0.3): %.1f ms wall, %.1f ms CPU", wall * 1e3, cpu * 1e3);
  ASSERT(wall >= 0.29);
  ASSERT(cpu < 0.25 * wall);
  pyodide_destroy(rt);
}

TEST(async_gather_interleaves_tasks) {
  pyodide_t* rt = LOAD();
  ASSERT_OK(pyodide_run_python_async(rt, "import asyncio\nawait asyncio.sleep(0)", PYODIDE_STRLEN, NULL, NULL));
  double t0 = now_s();
  pyodide_value_t v = RUN_ASYNC(rt,
                                "async def t(i):\n"
                                "    await asyncio.sleep(0.05)\n"
                                "    return i\n"
                                "r = await asyncio.gather(t(1), t(2), t(3))\n"
                                "r == [1, 2, 3]");
  double wall = now_s() - t0;
  EXPECT_KIND(&v, PYODIDE_BOOL);
  ASSERT(v.of.b);
  harness_note("gather of 3 x sleep(0.05): %.1f ms", wall * 1e3);
  ASSERT(wall >= 0.045);
  ASSERT(wall < 0.12);
  pyodide_destroy(rt);
}

/* ---- pyodide_run_pending ---- */

TEST(async_run_pending) {
  pyodide_t* rt = LOAD();
  bool idle = false;
  /* Nothing scheduled: idle at once. */
  ASSERT_OK(pyodide_run_pending(rt, 0, &idle));
  ASSERT(idle);
  EXEC(rt, "import asyncio\n"
           "loop = asyncio.get_event_loop()\n"
           "log = []\n"
           "loop.call_soon(log.append, 'soon')\n"
           "loop.call_later(0.5, log.append, 'later')\n");
  /* Scheduled work does not run by itself. */
  ASSERT(RUN_BOOL(rt, "log == []"));
  /* 0: only what is ready now; the timer is still pending. */
  idle = true;
  ASSERT_OK(pyodide_run_pending(rt, 0, &idle));
  ASSERT(!idle);
  ASSERT(RUN_BOOL(rt, "log == ['soon']"));
  idle = true;
  ASSERT_OK(pyodide_run_pending(rt, 0, &idle));
  ASSERT(!idle);
  ASSERT(RUN_BOOL(rt, "log == ['soon']"));
  /* A short limit: returns when it runs out, not when the timer is due. */
  double t0 = now_s();
  idle = true;
  ASSERT_OK(pyodide_run_pending(rt, 0.02, &idle));
  double took = now_s() - t0;
  ASSERT(!idle);
  ASSERT(took >= 0.015);
  ASSERT(took < 0.4);
  ASSERT(RUN_BOOL(rt, "log == ['soon']"));
  /* A long limit: returns as soon as the loop is idle. */
  t0 = now_s();
  ASSERT_OK(pyodide_run_pending(rt, 10.0, &idle));
  took = now_s() - t0;
  ASSERT(idle);
  ASSERT(took < 5.0);
  ASSERT(RUN_BOOL(rt, "log == ['soon', 'later']"));
  /* -1: until idle. */
  EXEC(rt, "loop.call_later(0.03, log.append, 'again')\nloop.call_soon(log.append, 'first')");
  t0 = now_s();
  idle = false;
  ASSERT_OK(pyodide_run_pending(rt, -1, &idle));
  took = now_s() - t0;
  ASSERT(idle);
  ASSERT(took >= 0.025);
  ASSERT(RUN_BOOL(rt, "log == ['soon', 'later', 'first', 'again']"));
  /* out_idle may be NULL. */
  EXEC(rt, "loop.call_soon(log.append, 'x')");
  ASSERT_OK(pyodide_run_pending(rt, -1, NULL));
  ASSERT(RUN_BOOL(rt, "log[-1] == 'x'"));
  /* Bad arguments. */
  ASSERT_USAGE(pyodide_run_pending(NULL, 0, &idle));
  ASSERT_USAGE(pyodide_run_pending(rt, NAN, &idle));
  pyodide_destroy(rt);
  ASSERT_USAGE(pyodide_run_pending(rt, 0, &idle));
}

TEST(async_task_timers_run_in_order) {
  pyodide_t* rt = LOAD();
  EXEC(rt, "import asyncio\n"
           "log = []\n"
           "async def t():\n"
           "    loop = asyncio.get_running_loop()\n"
           "    loop.call_later(0.03, log.append, 'c')\n"
           "    loop.call_later(0.01, log.append, 'a')\n"
           "    loop.call_later(0.02, log.append, 'b')\n"
           "    loop.call_soon(log.append, 's')\n"
           "    await asyncio.sleep(0.04)\n"
           "    log.append('done')\n"
           "    return 'ok'\n"
           "task = asyncio.ensure_future(t())\n");
  ASSERT(RUN_BOOL(rt, "log == [] and not task.done()"));
  bool idle = false;
  double t0 = now_s();
  ASSERT_OK(pyodide_run_pending(rt, -1, &idle));
  double took = now_s() - t0;
  ASSERT(idle);
  ASSERT(took >= 0.035);
  ASSERT(RUN_BOOL(rt, "log == ['s', 'a', 'b', 'c', 'done']"));
  ASSERT(RUN_BOOL(rt, "task.done() and task.result() == 'ok'"));
  pyodide_destroy(rt);
}

/* ---- pyodide_await ---- */

TEST(async_await_coroutine_task_future) {
  pyodide_t* rt = LOAD();
  EXEC(rt, "import asyncio\n"
           "async def f(x):\n"
           "    await asyncio.sleep(0.01)\n"
           "    return x * 2\n");
  pyproxy_t* coro = RUN_PROXY(rt, "f(21)");
  ASSERT_EQ_INT(AWAIT_INT(rt, coro, -1), 42);
  pyproxy_destroy(coro);
  pyproxy_t* task = RUN_PROXY(rt, "asyncio.ensure_future(f(5))");
  ASSERT_EQ_INT(AWAIT_INT(rt, task, 10.0), 10);
  ASSERT_EQ_INT(AWAIT_INT(rt, task, 10.0), 10); /* a done task again */
  pyproxy_destroy(task);
  pyproxy_t* fut = RUN_PROXY(rt, "loop = asyncio.get_event_loop()\n"
                                 "fut = loop.create_future()\n"
                                 "loop.call_later(0.02, fut.set_result, 'done')\n"
                                 "fut");
  double t0 = now_s();
  pyodide_value_t v = AWAIT(rt, fut, -1);
  ASSERT(now_s() - t0 >= 0.015);
  EXPECT_KIND(&v, PYODIDE_STR);
  ASSERT_STREQ(v.of.str.ptr, "done");
  pyodide_value_release(&v);
  pyproxy_destroy(fut);
  /* Results of every kind come out as pyodide_run_python's do. */
  coro = RUN_PROXY(rt, "async def g():\n    return [1, 2, 3]\ng()");
  v = AWAIT(rt, coro, -1);
  EXPECT_KIND(&v, PYODIDE_PROXY);
  size_t n = 0;
  ASSERT_OK(pyproxy_length(v.of.proxy, &n));
  ASSERT_EQ_INT(n, 3);
  pyodide_value_release(&v);
  pyproxy_destroy(coro);
  /* The result may be discarded. */
  coro = RUN_PROXY(rt, "f(1)");
  ASSERT_OK(pyodide_await(rt, coro, -1, NULL));
  pyproxy_destroy(coro);
  /* An awaitable that is not a coroutine, task or future (an __await__ object). */
  pyproxy_t* aw = RUN_PROXY(rt, "class A:\n"
                                "    def __await__(self):\n"
                                "        yield from asyncio.sleep(0).__await__()\n"
                                "        return 99\n"
                                "A()");
  ASSERT_EQ_INT(AWAIT_INT(rt, aw, -1), 99);
  pyproxy_destroy(aw);
  pyodide_destroy(rt);
}

TEST(async_await_timeout_leaves_awaitable_pending) {
  pyodide_t* rt = LOAD();
  pyproxy_t* fut = NEW_FUTURE(rt);
  SET_GLOBAL(rt, "fut", fut);
  pyodide_value_t v = sentinel_value();
  double t0 = now_s();
  ASSERT_ERROR(pyodide_await(rt, fut, 0.1, &v), PYODIDE_ERROR_LIMIT, NULL);
  double took = now_s() - t0;
  ASSERT(took >= 0.09);
  ASSERT(took < 5.0);
  ASSERT(is_sentinel(&v));
  ASSERT(RUN_BOOL(rt, "not fut.done() and not fut.cancelled()"));
  /* 0: no waiting at all. */
  ASSERT_ERROR(pyodide_await(rt, fut, 0, &v), PYODIDE_ERROR_LIMIT, NULL);
  /* Still awaitable: resolve it and await again. */
  pyodide_value_t five = v_int(5);
  ASSERT_OK(pyodide_future_resolve(fut, &five));
  ASSERT_EQ_INT(AWAIT_INT(rt, fut, 1.0), 5);
  ASSERT(RUN_BOOL(rt, "fut.done() and fut.result() == 5"));
  pyproxy_destroy(fut);
  /* The same for a task waiting on a Python future. */
  pyproxy_t* task = RUN_PROXY(rt, "import asyncio\n"
                                  "gate = asyncio.get_event_loop().create_future()\n"
                                  "async def waiter():\n"
                                  "    return (await gate) + 1\n"
                                  "asyncio.ensure_future(waiter())");
  ASSERT_ERROR(pyodide_await(rt, task, 0.05, NULL), PYODIDE_ERROR_LIMIT, NULL);
  ASSERT(RUN_BOOL(rt, "not gate.done()"));
  EXEC(rt, "gate.set_result(41)");
  ASSERT_EQ_INT(AWAIT_INT(rt, task, 5.0), 42);
  pyproxy_destroy(task);
  pyodide_destroy(rt);
}

TEST(async_await_errors) {
  pyodide_t* rt = LOAD();
  pyodide_value_t v = sentinel_value();
  pyproxy_t* obj = RUN_PROXY(rt, "object()");
  ASSERT_PYERR(pyodide_await(rt, obj, 1.0, &v), "TypeError");
  ASSERT(is_sentinel(&v));
  pyproxy_t* list = RUN_PROXY(rt, "[1, 2]");
  ASSERT_PYERR(pyodide_await(rt, list, 1.0, &v), "TypeError");
  ASSERT_USAGE(pyodide_await(rt, NULL, 1.0, &v));
  ASSERT_USAGE(pyodide_await(NULL, obj, 1.0, &v));
  ASSERT(is_sentinel(&v));
  /* A proxy of another runtime. */
  pyodide_t* other = LOAD();
  pyproxy_t* coro = RUN_PROXY(other, "async def f():\n    return 1\nf()");
  ASSERT_USAGE(pyodide_await(rt, coro, 1.0, &v));
  ASSERT_EQ_INT(AWAIT_INT(other, coro, 1.0), 1);
  pyproxy_destroy(coro);
  pyodide_destroy(other);
  /* An exception inside a coroutine: a PYTHON error of its type, with its traceback. */
  EXEC(rt, "import asyncio\n"
           "class MyError(Exception):\n"
           "    pass\n"
           "async def bad():\n"
           "    await asyncio.sleep(0.01)\n"
           "    raise KeyError('the-key')\n"
           "async def mine():\n"
           "    await asyncio.sleep(0)\n"
           "    raise MyError('mine')\n");
  pyproxy_t* b = RUN_PROXY(rt, "bad()");
  pyodide_error_t* e = pyodide_await(rt, b, -1, &v);
  ASSERT(e != NULL);
  ASSERT_EQ_INT(pyodide_error_kind(e), PYODIDE_ERROR_PYTHON);
  ASSERT_STREQ(pyodide_error_type(e), "KeyError");
  ASSERT_CONTAINS(pyodide_error_message(e), "the-key");
  ASSERT_CONTAINS(pyodide_error_message(e), "bad");
  pyodide_error_delete(e);
  ASSERT(is_sentinel(&v));
  pyproxy_destroy(b);
  pyproxy_t* m = RUN_PROXY(rt, "mine()");
  ASSERT_PYERR(pyodide_await(rt, m, -1, &v), "MyError");
  pyproxy_destroy(m);
  pyproxy_t* task = RUN_PROXY(rt, "t = asyncio.ensure_future(asyncio.sleep(10))\nt.cancel()\nt");
  ASSERT_PYERR(pyodide_await(rt, task, 5.0, &v), "CancelledError");
  pyproxy_destroy(task);
  /* The same through pyodide_run_python_async. */
  ASSERT_PYERR(pyodide_run_python_async(rt, "await bad()", PYODIDE_STRLEN, NULL, NULL), "KeyError");
  ASSERT_PYERR(pyodide_run_python_async(rt, "await mine()", PYODIDE_STRLEN, NULL, NULL), "MyError");
  ASSERT_EQ_INT(RUN_ASYNC_INT(rt, "await asyncio.sleep(0)\n8"), 8);
  pyproxy_destroy(obj);
  pyproxy_destroy(list);
  pyodide_destroy(rt);
}

/* ---- futures completed by the host, from another thread ---- */

typedef struct {
  pyodide_t* rt;
  pyproxy_t* future;  /* the host's copy */
  bool reject;
  const char* error_type;
  double delay;
  pthread_t thread;
  bool started;
  pyodide_error_t* error; /* what resolve/reject returned */
  int fetches;
} fetch_env;

static void* complete_later(void* p) {
  fetch_env* f = p;
  sleep_s(f->delay);
  if (f->reject) {
    pyodide_error_t* err = pyodide_error_new(f->error_type, "x");
    f->error = pyodide_future_reject(f->future, err);
    pyodide_error_delete(err); /* borrowed by reject */
  } else {
    pyodide_value_t items[2] = {v_str("payload"), v_int(30)};
    pyodide_value_t value = v_list(items, 2);
    f->error = pyodide_future_resolve(f->future, &value);
  }
  return NULL;
}

/* fetch(): a future another thread completes after `delay`. */
static pyodide_error_t* h_fetch(void* env, const pyodide_value_t* args, size_t nargs, pyodide_value_t* result) {
  fetch_env* f = env;
  (void)args;
  (void)nargs;
  pyproxy_t* fut = NULL;
  pyodide_error_t* e = pyodide_future_new(f->rt, &fut);
  if (e != NULL) return e;
  e = pyproxy_copy(fut, &f->future);
  if (e != NULL) {
    pyproxy_destroy(fut);
    return e;
  }
  f->fetches++;
  if (pthread_create(&f->thread, NULL, complete_later, f) != 0) {
    pyproxy_destroy(fut);
    return pyodide_error_new("RuntimeError", "pthread_create failed");
  }
  f->started = true;
  *result = v_proxy(fut); /* the library takes it */
  return NULL;
}

static void join_fetch(fetch_env* f) {
  if (f->started) {
    pthread_join(f->thread, NULL);
    f->started = false;
  }
  pyproxy_destroy(f->future);
  f->future = NULL;
}

TEST(async_host_future_resolved_from_another_thread) {
  pyodide_t* rt = LOAD();
  fetch_env f = {.rt = rt, .delay = 0.03};
  pyodide_host_member_t members[] = {{"fetch", h_fetch, NULL}};
  ASSERT_OK(pyodide_register_module(rt, "hostasync", members, 1, &f, NULL));
  double t0 = now_s();
  pyodide_value_t v = RUN_ASYNC(rt, "import hostasync\nv = await hostasync.fetch()\nv");
  double took = now_s() - t0;
  join_fetch(&f);
  ASSERT_OK(f.error);
  f.error = NULL;
  ASSERT(took >= 0.025);
  EXPECT_KIND(&v, PYODIDE_PROXY);
  pyodide_value_release(&v);
  ASSERT(RUN_BOOL(rt, "v == ['payload', 30]"));
  /* Python awaiting inside a task, the host driving with pyodide_await. */
  pyproxy_t* coro = RUN_PROXY(rt, "async def twice():\n"
                                  "    a = await hostasync.fetch()\n"
                                  "    return a[1] * 2\n"
                                  "twice()");
  ASSERT_EQ_INT(AWAIT_INT(rt, coro, 10.0), 60);
  join_fetch(&f);
  ASSERT_OK(f.error);
  f.error = NULL;
  pyproxy_destroy(coro);
  ASSERT_EQ_INT(f.fetches, 2);
  pyodide_destroy(rt);
}

TEST(async_host_future_rejected_from_another_thread) {
  pyodide_t* rt = LOAD();
  fetch_env f = {.rt = rt, .delay = 0.03, .reject = true, .error_type = "KeyError"};
  pyodide_host_member_t members[] = {{"fetch", h_fetch, NULL}};
  ASSERT_OK(pyodide_register_module(rt, "hostasync", members, 1, &f, NULL));
  EXEC(rt, "import hostasync, pyodide");
  /* Caught in Python. */
  pyodide_value_t v = RUN_ASYNC(rt, "try:\n"
                                    "    await hostasync.fetch()\n"
                                    "    r = 'no exception'\n"
                                    "except KeyError as e:\n"
                                    "    r = repr(e)\n"
                                    "r");
  join_fetch(&f);
  ASSERT_OK(f.error);
  f.error = NULL;
  EXPECT_KIND(&v, PYODIDE_STR);
  ASSERT_STREQ(v.of.str.ptr, "KeyError('x')");
  pyodide_value_release(&v);
  /* Uncaught: the call fails with it. */
  ASSERT_PYERR(pyodide_run_python_async(rt, "await hostasync.fetch()", PYODIDE_STRLEN, NULL, NULL), "KeyError");
  join_fetch(&f);
  ASSERT_OK(f.error);
  f.error = NULL;
  /* An unknown type name: a pyodide.HostError subclass. */
  f.error_type = "FetchFailed";
  ASSERT(RUN_BOOL(rt, "True"));
  v = RUN_ASYNC(rt, "try:\n"
                    "    await hostasync.fetch()\n"
                    "    r = False\n"
                    "except pyodide.HostError as e:\n"
                    "    r = type(e).__name__ == 'FetchFailed' and str(e) == 'x'\n"
                    "r");
  join_fetch(&f);
  ASSERT_OK(f.error);
  f.error = NULL;
  EXPECT_KIND(&v, PYODIDE_BOOL);
  ASSERT(v.of.b);
  pyodide_destroy(rt);
}

TEST(async_future_resolve_reject_errors) {
  pyodide_t* rt = LOAD();
  pyproxy_t* fut = NEW_FUTURE(rt);
  SET_GLOBAL(rt, "fut", fut);
  ASSERT(RUN_BOOL(rt, "import asyncio\nisinstance(fut, asyncio.Future) and not fut.done()"));
  pyodide_value_t one = v_int(1);
  ASSERT_USAGE(pyodide_future_resolve(NULL, &one));
  ASSERT_USAGE(pyodide_future_resolve(fut, NULL));
  ASSERT_USAGE(pyodide_future_reject(fut, NULL));
  pyodide_value_t bad = v_strn("\xff", 1);
  ASSERT_USAGE(pyodide_future_resolve(fut, &bad));
  ASSERT_USAGE(pyodide_future_new(NULL, &fut));
  ASSERT_USAGE(pyodide_future_new(rt, NULL));
  /* None of the failed calls completed it. */
  ASSERT(RUN_BOOL(rt, "not fut.done()"));
  ASSERT_OK(pyodide_future_resolve(fut, &one));
  /* Done already: InvalidStateError, either way. */
  ASSERT_PYERR(pyodide_future_resolve(fut, &one), "InvalidStateError");
  pyodide_error_t* err = pyodide_error_new("KeyError", "k");
  ASSERT_PYERR(pyodide_future_reject(fut, err), "InvalidStateError");
  ASSERT_EQ_INT(AWAIT_INT(rt, fut, 1.0), 1);
  /* Reject with a usage error (not from pyodide_error_new): RuntimeError. */
  pyproxy_t* fut2 = NEW_FUTURE(rt);
  pyodide_error_t* usage = pyodide_error_new(NULL, "m");
  ASSERT_OK(pyodide_future_reject(fut2, usage));
  ASSERT_PYERR(pyodide_await(rt, fut2, 1.0, NULL), "RuntimeError");
  pyodide_error_delete(usage);
  /* Reject with a pyodide_error_new error; the error stays the caller's. */
  pyproxy_t* fut3 = NEW_FUTURE(rt);
  ASSERT_OK(pyodide_future_reject(fut3, err));
  ASSERT_STREQ(pyodide_error_type(err), "KeyError");
  pyodide_error_delete(err);
  ASSERT_PYERR(pyodide_await(rt, fut3, 1.0, NULL), "KeyError");
  pyproxy_destroy(fut);
  pyproxy_destroy(fut2);
  pyproxy_destroy(fut3);
  pyodide_destroy(rt);
}

/* ---- then / catch / finally ---- */

typedef struct {
  int calls;
  int fin;
  size_t nargs;
  pyodide_kind_t arg_kind;
  char arg_type[64]; /* pyproxy_type of a PROXY argument */
} cb_env;

static void cb_fin(void* env) { ((cb_env*)env)->fin++; }

static void cb_record(cb_env* c, const pyodide_value_t* args, size_t nargs) {
  c->calls++;
  c->nargs = nargs;
  c->arg_kind = nargs > 0 ? args[0].kind : (pyodide_kind_t)-1;
  c->arg_type[0] = '\0';
  if (nargs > 0 && args[0].kind == PYODIDE_PROXY) {
    pyodide_value_t t = v_none();
    pyodide_error_t* e = pyproxy_type(args[0].of.proxy, &t);
    if (e == NULL) {
      snprintf(c->arg_type, sizeof c->arg_type, "%s", t.of.str.ptr);
      pyodide_value_release(&t);
    } else {
      snprintf(c->arg_type, sizeof c->arg_type, "(pyproxy_type failed)");
      pyodide_error_delete(e);
    }
  }
}

static pyodide_error_t* cb_double(void* env, const pyodide_value_t* args, size_t nargs, pyodide_value_t* result) {
  cb_record(env, args, nargs);
  if (nargs != 1 || args[0].kind != PYODIDE_INT) return pyodide_error_new("TypeError", "cb_double wants an int");
  *result = v_int(args[0].of.i * 2);
  return NULL;
}

static pyodide_error_t* cb_add_one(void* env, const pyodide_value_t* args, size_t nargs, pyodide_value_t* result) {
  cb_record(env, args, nargs);
  if (nargs != 1 || args[0].kind != PYODIDE_INT) return pyodide_error_new("TypeError", "cb_add_one wants an int");
  *result = v_int(args[0].of.i + 1);
  return NULL;
}

static pyodide_error_t* cb_fail(void* env, const pyodide_value_t* args, size_t nargs, pyodide_value_t* result) {
  (void)result;
  cb_record(env, args, nargs);
  return pyodide_error_new("ValueError", "nope");
}

static pyodide_error_t* cb_fail_custom(void* env, const pyodide_value_t* args, size_t nargs,
                                       pyodide_value_t* result) {
  (void)result;
  cb_record(env, args, nargs);
  return pyodide_error_new("ChainBroken", "custom");
}

static pyodide_error_t* cb_seven(void* env, const pyodide_value_t* args, size_t nargs, pyodide_value_t* result) {
  cb_record(env, args, nargs);
  *result = v_int(7);
  return NULL;
}

static pyodide_error_t* cb_none(void* env, const pyodide_value_t* args, size_t nargs, pyodide_value_t* result) {
  (void)result;
  cb_record(env, args, nargs);
  return NULL;
}

static void resolve_int(pyproxy_t* fut, int64_t i) {
  pyodide_value_t v = v_int(i);
  ASSERT_OK(pyodide_future_resolve(fut, &v));
}

static void reject_with(pyproxy_t* fut, const char* type, const char* message) {
  pyodide_error_t* err = pyodide_error_new(type, message);
  ASSERT(err != NULL);
  ASSERT_OK(pyodide_future_reject(fut, err));
  pyodide_error_delete(err);
}

TEST(async_then_chains) {
  pyodide_t* rt = LOAD();
  cb_env a = {0}, b = {0};
  pyproxy_t* fut = NEW_FUTURE(rt);
  pyproxy_t *c1 = NULL, *c2 = NULL;
  ASSERT_OK(pyproxy_then(fut, cb_double, &a, cb_fin, &c1));
  ASSERT_OK(pyproxy_then(c1, cb_add_one, &b, cb_fin, &c2));
  ASSERT(c1 != NULL && c2 != NULL);
  SET_GLOBAL(rt, "c2", c2);
  ASSERT(RUN_BOOL(rt, "import asyncio\nisinstance(c2, asyncio.Future) and not c2.done()"));
  ASSERT_EQ_INT(a.fin + b.fin, 0); /* not before settling */
  resolve_int(fut, 20);
  ASSERT_EQ_INT(a.calls, 0); /* callbacks run when the loop runs */
  ASSERT_EQ_INT(AWAIT_INT(rt, c2, 5.0), 41);
  ASSERT_EQ_INT(a.calls, 1);
  ASSERT_EQ_INT(b.calls, 1);
  ASSERT_EQ_INT(a.nargs, 1);
  ASSERT_EQ_INT(a.arg_kind, PYODIDE_INT);
  ASSERT_EQ_INT(AWAIT_INT(rt, c1, 5.0), 40);
  /* Settled: the callbacks can no longer be called, so they were finalized. */
  ASSERT_EQ_INT(a.fin, 1);
  ASSERT_EQ_INT(b.fin, 1);
  /* then on a coroutine, driven by pyodide_run_pending. */
  cb_env c = {0};
  pyproxy_t* coro = RUN_PROXY(rt, "import asyncio\nasync def f():\n    await asyncio.sleep(0.01)\n    return 21\nf()");
  pyproxy_t* c3 = NULL;
  ASSERT_OK(pyproxy_then(coro, cb_double, &c, cb_fin, &c3));
  bool idle = false;
  ASSERT_OK(pyodide_run_pending(rt, -1, &idle));
  ASSERT(idle);
  ASSERT_EQ_INT(c.calls, 1);
  ASSERT_EQ_INT(AWAIT_INT(rt, c3, 0), 42); /* already done: no wait needed */
  ASSERT_EQ_INT(c.fin, 1);
  pyproxy_destroy(fut);
  pyproxy_destroy(c1);
  pyproxy_destroy(c2);
  pyproxy_destroy(c3);
  pyproxy_destroy(coro);
  pyodide_destroy(rt);
  ASSERT_EQ_INT(a.fin, 1);
  ASSERT_EQ_INT(b.fin, 1);
  ASSERT_EQ_INT(c.fin, 1);
}

/* A host module function that returns an error works (see test_host_modules.c); a
 * then/catch/finally callback's error must fail the chained future the same way, also in a
 * runtime that never registered a host module. */
TEST(async_then_callback_error_fails_chain) {
  pyodide_t* rt = LOAD();
  cb_env a = {0}, b = {0};
  pyproxy_t* fut = NEW_FUTURE(rt);
  pyproxy_t *c1 = NULL, *c2 = NULL;
  ASSERT_OK(pyproxy_then(fut, cb_fail, &a, cb_fin, &c1));
  ASSERT_OK(pyproxy_then(c1, cb_double, &b, cb_fin, &c2)); /* not called: c1 fails */
  resolve_int(fut, 1);
  pyodide_error_t* e = pyodide_await(rt, c1, 5.0, NULL);
  ASSERT(e != NULL);
  ASSERT_EQ_INT(pyodide_error_kind(e), PYODIDE_ERROR_PYTHON);
  if (strcmp(pyodide_error_type(e), "ValueError") != 0) harness_fail_error(__FILE__, __LINE__, "await c1", e);
  ASSERT_CONTAINS(pyodide_error_message(e), "nope");
  pyodide_error_delete(e);
  ASSERT_PYERR(pyodide_await(rt, c2, 5.0, NULL), "ValueError");
  ASSERT_EQ_INT(a.calls, 1);
  ASSERT_EQ_INT(b.calls, 0);
  /* A catch callback failing fails its chain. */
  cb_env d = {0};
  pyproxy_t* fut4 = NEW_FUTURE(rt);
  pyproxy_t* c4 = NULL;
  ASSERT_OK(pyproxy_catch(fut4, cb_fail, &d, cb_fin, &c4));
  reject_with(fut4, "KeyError", "k");
  ASSERT_PYERR(pyodide_await(rt, c4, 5.0, NULL), "ValueError");
  ASSERT_EQ_INT(d.calls, 1);
  /* A finally callback's error replaces the outcome. */
  cb_env f = {0};
  pyproxy_t* fut5 = NEW_FUTURE(rt);
  pyproxy_t* c5 = NULL;
  ASSERT_OK(pyproxy_finally(fut5, cb_fail, &f, cb_fin, &c5));
  resolve_int(fut5, 1);
  ASSERT_PYERR(pyodide_await(rt, c5, 5.0, NULL), "ValueError");
  ASSERT_EQ_INT(f.calls, 1);
  /* An unknown type name: a pyodide.HostError subclass, as for host module functions. */
  pyproxy_t* fut6 = NEW_FUTURE(rt);
  pyproxy_t* c6 = NULL;
  cb_env g = {0};
  ASSERT_OK(pyproxy_then(fut6, cb_fail_custom, &g, cb_fin, &c6));
  resolve_int(fut6, 1);
  ASSERT_PYERR(pyodide_await(rt, c6, 5.0, NULL), "ChainBroken");
  pyproxy_destroy(fut);
  pyproxy_destroy(c1);
  pyproxy_destroy(c2);
  pyproxy_destroy(fut4);
  pyproxy_destroy(c4);
  pyproxy_destroy(fut5);
  pyproxy_destroy(c5);
  pyproxy_destroy(fut6);
  pyproxy_destroy(c6);
  pyodide_destroy(rt);
  ASSERT_EQ_INT(a.fin, 1);
  ASSERT_EQ_INT(b.fin, 1);
  ASSERT_EQ_INT(d.fin, 1);
  ASSERT_EQ_INT(f.fin, 1);
  ASSERT_EQ_INT(g.fin, 1);
}

TEST(async_then_on_failure_passes_it_on) {
  pyodide_t* rt = LOAD();
  /* A failed awaitable: the callback is not called; the chain fails the same way. */
  cb_env c = {0};
  pyproxy_t* fut = NEW_FUTURE(rt);
  pyproxy_t* c1 = NULL;
  ASSERT_OK(pyproxy_then(fut, cb_double, &c, cb_fin, &c1));
  reject_with(fut, "KeyError", "missing");
  pyodide_error_t* e = pyodide_await(rt, c1, 5.0, NULL);
  ASSERT(e != NULL);
  ASSERT_STREQ(pyodide_error_type(e), "KeyError");
  ASSERT_CONTAINS(pyodide_error_message(e), "missing");
  pyodide_error_delete(e);
  ASSERT_EQ_INT(c.calls, 0);
  ASSERT_OK(pyodide_run_pending(rt, -1, NULL));
  /* then on something not awaitable: a PYTHON TypeError; like a failed registration, the
   * call does not take env over, so the finalizer never runs. */
  cb_env d = {0};
  pyproxy_t* obj = RUN_PROXY(rt, "object()");
  pyproxy_t* c4 = NULL;
  ASSERT_PYERR(pyproxy_then(obj, cb_double, &d, cb_fin, &c4), "TypeError");
  ASSERT(c4 == NULL);
  /* Bad arguments. */
  ASSERT_USAGE(pyproxy_then(NULL, cb_double, &d, NULL, &c4));
  ASSERT_USAGE(pyproxy_then(fut, NULL, &d, NULL, &c4));
  ASSERT_USAGE(pyproxy_then(fut, cb_double, &d, NULL, NULL));
  ASSERT_USAGE(pyproxy_catch(fut, NULL, &d, NULL, &c4));
  ASSERT_USAGE(pyproxy_finally(fut, NULL, &d, NULL, &c4));
  ASSERT(c4 == NULL);
  pyproxy_destroy(fut);
  pyproxy_destroy(obj);
  pyproxy_destroy(c1);
  pyodide_destroy(rt);
  ASSERT_EQ_INT(c.fin, 1);
  ASSERT_EQ_INT(d.fin, 0);
  ASSERT_EQ_INT(d.calls, 0);
}

/* A callback that failed can no longer be called once its chain settled: its finalizer runs
 * then (at the latest once the host dropped its proxies and Python collected garbage), not
 * only at pyodide_destroy. */
TEST(async_failed_callback_finalized_after_settling) {
  pyodide_t* rt = LOAD();
  pyodide_host_member_t members[] = {{"noop", cb_none, NULL}};
  cb_env unused = {0};
  ASSERT_OK(pyodide_register_module(rt, "cbmod", members, 1, &unused, NULL));
  cb_env a = {0};
  pyproxy_t* fut = NEW_FUTURE(rt);
  pyproxy_t* c1 = NULL;
  ASSERT_OK(pyproxy_then(fut, cb_fail, &a, cb_fin, &c1));
  resolve_int(fut, 1);
  ASSERT_PYERR(pyodide_await(rt, c1, 5.0, NULL), NULL);
  ASSERT_EQ_INT(a.calls, 1);
  pyproxy_destroy(c1);
  pyproxy_destroy(fut);
  ASSERT_OK(pyodide_run_pending(rt, -1, NULL));
  EXEC(rt, "import gc\ngc.collect()");
  ASSERT_EQ_INT(a.fin, 1);
  pyodide_destroy(rt);
  ASSERT_EQ_INT(a.fin, 1);
}

TEST(async_catch) {
  pyodide_t* rt = LOAD();
  /* A failure: the callback receives the exception as a proxy; its result settles the chain. */
  cb_env a = {0};
  pyproxy_t* fut = NEW_FUTURE(rt);
  pyproxy_t* c1 = NULL;
  ASSERT_OK(pyproxy_catch(fut, cb_seven, &a, cb_fin, &c1));
  ASSERT_EQ_INT(a.fin, 0);
  reject_with(fut, "KeyError", "k");
  ASSERT_EQ_INT(AWAIT_INT(rt, c1, 5.0), 7);
  ASSERT_EQ_INT(a.calls, 1);
  ASSERT_EQ_INT(a.nargs, 1);
  ASSERT_EQ_INT(a.arg_kind, PYODIDE_PROXY);
  ASSERT_STREQ(a.arg_type, "KeyError");
  ASSERT_EQ_INT(a.fin, 1);
  /* A Python exception raised in a coroutine. */
  cb_env b = {0};
  pyproxy_t* coro = RUN_PROXY(rt, "import asyncio\n"
                                  "async def boom():\n"
                                  "    await asyncio.sleep(0)\n"
                                  "    raise ZeroDivisionError('z')\n"
                                  "boom()");
  pyproxy_t* c2 = NULL;
  ASSERT_OK(pyproxy_catch(coro, cb_seven, &b, cb_fin, &c2));
  ASSERT_EQ_INT(AWAIT_INT(rt, c2, 5.0), 7);
  ASSERT_STREQ(b.arg_type, "ZeroDivisionError");
  /* Success passes through; the callback is not called. */
  cb_env c = {0};
  pyproxy_t* fut3 = NEW_FUTURE(rt);
  pyproxy_t* c3 = NULL;
  ASSERT_OK(pyproxy_catch(fut3, cb_seven, &c, cb_fin, &c3));
  resolve_int(fut3, 3);
  ASSERT_EQ_INT(AWAIT_INT(rt, c3, 5.0), 3);
  ASSERT_EQ_INT(c.calls, 0);
  /* A then after a catch recovers the chain. */
  cb_env e1 = {0}, e2 = {0};
  pyproxy_t* fut5 = NEW_FUTURE(rt);
  pyproxy_t *c5 = NULL, *c6 = NULL;
  ASSERT_OK(pyproxy_catch(fut5, cb_seven, &e1, cb_fin, &c5));
  ASSERT_OK(pyproxy_then(c5, cb_double, &e2, cb_fin, &c6));
  reject_with(fut5, "OSError", "io");
  ASSERT_EQ_INT(AWAIT_INT(rt, c6, 5.0), 14);
  ASSERT_STREQ(e1.arg_type, "OSError");
  pyproxy_destroy(fut);
  pyproxy_destroy(coro);
  pyproxy_destroy(fut3);
  pyproxy_destroy(fut5);
  pyproxy_destroy(c1);
  pyproxy_destroy(c2);
  pyproxy_destroy(c3);
  pyproxy_destroy(c5);
  pyproxy_destroy(c6);
  pyodide_destroy(rt);
  ASSERT_EQ_INT(a.fin + b.fin + c.fin + e1.fin + e2.fin, 5);
}

TEST(async_finally) {
  pyodide_t* rt = LOAD();
  /* On success: called with no arguments; the chain settles with the original value. */
  cb_env a = {0};
  pyproxy_t* fut = NEW_FUTURE(rt);
  pyproxy_t* c1 = NULL;
  ASSERT_OK(pyproxy_finally(fut, cb_seven, &a, cb_fin, &c1));
  resolve_int(fut, 9);
  ASSERT_EQ_INT(AWAIT_INT(rt, c1, 5.0), 9);
  ASSERT_EQ_INT(a.calls, 1);
  ASSERT_EQ_INT(a.nargs, 0);
  ASSERT_EQ_INT(a.fin, 1);
  /* On failure: called; the chain fails the same way. */
  cb_env b = {0};
  pyproxy_t* fut2 = NEW_FUTURE(rt);
  pyproxy_t* c2 = NULL;
  ASSERT_OK(pyproxy_finally(fut2, cb_none, &b, cb_fin, &c2));
  reject_with(fut2, "KeyError", "k");
  ASSERT_PYERR(pyodide_await(rt, c2, 5.0, NULL), "KeyError");
  ASSERT_EQ_INT(b.calls, 1);
  ASSERT_EQ_INT(b.nargs, 0);
  pyproxy_destroy(fut);
  pyproxy_destroy(fut2);
  pyproxy_destroy(c1);
  pyproxy_destroy(c2);
  ASSERT_OK(pyodide_run_pending(rt, -1, NULL));
  pyodide_destroy(rt);
  ASSERT_EQ_INT(a.fin, 1);
  ASSERT_EQ_INT(b.fin, 1);
}

TEST(async_callback_finalizers_run_at_destroy_if_never_settled) {
  pyodide_t* rt = LOAD();
  cb_env a = {0}, b = {0}, c = {0};
  pyproxy_t* fut = NEW_FUTURE(rt);
  pyproxy_t *c1 = NULL, *c2 = NULL, *c3 = NULL;
  ASSERT_OK(pyproxy_then(fut, cb_double, &a, cb_fin, &c1));
  ASSERT_OK(pyproxy_catch(fut, cb_seven, &b, cb_fin, &c2));
  ASSERT_OK(pyproxy_finally(fut, cb_none, &c, cb_fin, &c3));
  /* Dropping the host's proxies does not make the callbacks unreachable: the future holds them. */
  pyproxy_destroy(c1);
  pyproxy_destroy(c2);
  pyproxy_destroy(c3);
  ASSERT_OK(pyodide_run_pending(rt, 0.05, NULL));
  ASSERT_EQ_INT(a.fin + b.fin + c.fin, 0);
  pyodide_destroy(rt);
  ASSERT_EQ_INT(a.fin, 1);
  ASSERT_EQ_INT(b.fin, 1);
  ASSERT_EQ_INT(c.fin, 1);
  ASSERT_EQ_INT(a.calls + b.calls + c.calls, 0);
  pyproxy_destroy(fut); /* a proxy of a destroyed runtime: ignored */
}

/* ---- asyncio inside Python; deadlines ---- */

TEST(async_asyncio_run_inside_run_python) {
  pyodide_t* rt = LOAD();
  double t0 = now_s();
  ASSERT_EQ_INT(RUN_INT(rt, "import asyncio\n"
                            "async def main():\n"
                            "    await asyncio.sleep(0.02)\n"
                            "    return 5\n"
                            "asyncio.run(main())"),
                5);
  ASSERT(now_s() - t0 >= 0.015);
  ASSERT(RUN_BOOL(rt, "async def g():\n"
                      "    r = await asyncio.gather(*(asyncio.sleep(0.01, i) for i in range(3)))\n"
                      "    return r\n"
                      "asyncio.run(g()) == [0, 1, 2]"));
  /* The host-driven loop still works afterwards, and asyncio.run again. */
  ASSERT_EQ_INT(RUN_ASYNC_INT(rt, "await asyncio.sleep(0)\n6"), 6);
  ASSERT_EQ_INT(RUN_INT(rt, "asyncio.run(main())"), 5);
  pyproxy_t* coro = RUN_PROXY(rt, "main()");
  ASSERT_EQ_INT(AWAIT_INT(rt, coro, 5.0), 5);
  pyproxy_destroy(coro);
  /* Errors inside asyncio.run come out of pyodide_run_python. */
  ASSERT_PYERR(pyodide_run_python(rt, "async def bad():\n    raise KeyError(1)\nasyncio.run(bad())",
                                  PYODIDE_STRLEN, NULL, NULL),
               "KeyError");
  /* asyncio.run inside pyodide_run_python_async's loop is refused, as in CPython. */
  ASSERT_PYERR(pyodide_run_python_async(rt, "asyncio.run(main())", PYODIDE_STRLEN, NULL, NULL), "RuntimeError");
  ASSERT_EQ_INT(RUN_ASYNC_INT(rt, "await main()"), 5);
  pyodide_destroy(rt);
}

TEST(async_deadline_stops_busy_loop) {
  pyodide_t* rt = LOAD();
  EXEC(rt, "import asyncio\nn = 0");
  ASSERT_OK(pyodide_set_timeout(rt, 0.3));
  double t0 = now_s();
  pyodide_error_t* e = pyodide_run_python_async(rt, "while True:\n    await asyncio.sleep(0)\n    n += 1\n",
                                                PYODIDE_STRLEN, NULL, NULL);
  double took = now_s() - t0;
  ASSERT_ERROR(e, PYODIDE_ERROR_LIMIT, NULL);
  harness_note("stopped after %.2f s", took);
  ASSERT(took >= 0.25);
  ASSERT(took < 10.0);
  ASSERT_OK(pyodide_set_timeout(rt, 0));
  /* The runtime lives on. */
  ASSERT_EQ_INT(RUN_INT(rt, "6 * 7"), 42);
  /* The stopped code is over: no task of it is left pending, and it does not carry on
   * the next time the loop runs. */
  ASSERT(RUN_BOOL(rt, "loop = asyncio.get_event_loop()\n"
                      "left = [t for t in asyncio.all_tasks(loop) if not t.done()]\n"
                      "print('pending after the deadline:', left)\n"
                      "not left"));
  int64_t n = RUN_INT(rt, "n");
  bool idle = false;
  ASSERT_OK(pyodide_run_pending(rt, 0.2, &idle));
  ASSERT_EQ_INT(RUN_INT(rt, "n"), n);
  ASSERT(idle);
  ASSERT_EQ_INT(RUN_ASYNC_INT(rt, "await asyncio.sleep(0.01)\n5"), 5);
  pyodide_destroy(rt);
}

TEST(async_deadline_bounds_run_python_async_not_await) {
  pyodide_t* rt = LOAD();
  /* Imported before the deadline is set: on a loaded machine the import alone can
   * take longer than the deadline, and this case is about the await, not the import. */
  EXEC(rt, "import asyncio");
  ASSERT_OK(pyodide_set_timeout(rt, 0.3));
  /* The deadline bounds a whole pyodide_run_python_async, idle waits included: a slow
   * await is cancelled with LIMIT (untrusted code must not hold the thread forever). */
  double t0 = now_s();
  ASSERT_ERROR(pyodide_run_python_async(rt, "for _ in range(5):\n    await asyncio.sleep(0.1)\n3",
                                        PYODIDE_STRLEN, NULL, NULL),
               PYODIDE_ERROR_LIMIT, NULL);
  ASSERT(now_s() - t0 >= 0.25);
  ASSERT(now_s() - t0 < 5.0);
  ASSERT(RUN_BOOL(rt, "not [t for t in asyncio.all_tasks(asyncio.get_event_loop()) if not t.done()]"));
  /* pyodide_await has its own limit (-1: none): the runtime's deadline applies to each step. */
  pyproxy_t* coro = RUN_PROXY(rt, "async def slow():\n    await asyncio.sleep(0.5)\n    return 4\nslow()");
  ASSERT_EQ_INT(AWAIT_INT(rt, coro, -1), 4);
  pyproxy_destroy(coro);
  /* A busy step is stopped. */
  t0 = now_s();
  ASSERT_ERROR(pyodide_run_python_async(rt, "while True:\n    await asyncio.sleep(0)\n", PYODIDE_STRLEN, NULL, NULL),
               PYODIDE_ERROR_LIMIT, NULL);
  ASSERT(now_s() - t0 < 10.0);
  pyodide_destroy(rt);
}

TEST(async_run_python_async_cost) {
  pyodide_t* rt = LOAD();
  ASSERT_OK(pyodide_run_python_async(rt, "import asyncio\nawait asyncio.sleep(0)", PYODIDE_STRLEN, NULL, NULL));
  for (int i = 0; i < 50; i++)
    ASSERT_OK(pyodide_run_python_async(rt, "await asyncio.sleep(0)", PYODIDE_STRLEN, NULL, NULL));
  const int n = 1000;
  double best = 1e9;
  for (int round = 0; round < 3; round++) {
    double t0 = now_s();
    for (int i = 0; i < n; i++)
      ASSERT_OK(pyodide_run_python_async(rt, "await asyncio.sleep(0)", PYODIDE_STRLEN, NULL, NULL));
    double t = now_s() - t0;
    if (t < best) best = t;
  }
  printf("async_run_python_async_cost: pyodide_run_python_async(\"await asyncio.sleep(0)\") "
         "%.1f us/op (%d ops, best of 3)\n",
         best / n * 1e6, n);
  fflush(stdout);
  ASSERT(best / n < 0.1); /* generous: under 100 ms each */
  pyodide_destroy(rt);
}
