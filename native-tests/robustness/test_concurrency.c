/* Concurrency: runtimes on many threads, and one runtime shared by several. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "rb_util.h"

enum { CALLS = 10000 };

typedef struct {
  pyodide_t* rt;      /* shared runtime, or NULL: load one */
  pyproxy_t* shared;  /* shared proxy (shared runtime only) */
  int id;
  int done;           /* calls checked */
  int ok;
} worker;

static void* own_runtime(void* p) {
  worker* w = p;
  pyodide_t* rt = RB_LOAD_QUIET();
  pyproxy_t* f = RUN_PROXY(rt, "lambda i: i*2");
  char code[64];
  snprintf(code, sizeof code, "tag = %d", w->id);
  EXEC(rt, code);
  for (int i = 0; i < CALLS; i++) {
    int64_t x = (int64_t)w->id * 1000000 + i;
    pyodide_value_t arg = v_int(x), out = sentinel_value();
    ASSERT_OK(pyproxy_call(f, &arg, 1, &out));
    EXPECT_KIND(&out, PYODIDE_INT);
    ASSERT_EQ_INT(out.of.i, 2 * x);
    w->done++;
  }
  /* No cross-talk: the runtime's own global is still its own. */
  ASSERT_EQ_INT(RUN_INT(rt, "tag"), w->id);
  pyodide_stats_t s = RB_STATS(rt);
  ASSERT_EQ_INT(s.guest_objects, 1); /* just f */
  pyproxy_destroy(f);
  pyodide_destroy(rt);
  w->ok = 1;
  return NULL;
}

TEST(concurrency_8_threads_own_runtimes_10k_calls) {
  enum { N = 8 };
  pthread_t t[N];
  worker w[N];
  double t0 = rb_now();
  for (int i = 0; i < N; i++) {
    w[i] = (worker){NULL, NULL, i + 1, 0, 0};
    ASSERT_EQ_INT(pthread_create(&t[i], NULL, own_runtime, &w[i]), 0);
  }
  for (int i = 0; i < N; i++) ASSERT_EQ_INT(pthread_join(t[i], NULL), 0);
  long total = 0;
  for (int i = 0; i < N; i++) {
    ASSERT(w[i].ok);
    total += w[i].done;
  }
  ASSERT_EQ_INT(total, (long)N * CALLS);
  printf("8 threads x own runtime: %ld checked calls in %.2f s\n", total, rb_now() - t0);
}

static void* shared_runtime(void* p) {
  worker* w = p;
  /* Half the calls through the shared proxy, half through this thread's own copy;
   * every 500 calls a proxy is created and destroyed while others call. */
  pyproxy_t* mine = NULL;
  ASSERT_OK(pyproxy_copy(w->shared, &mine));
  for (int i = 0; i < CALLS; i++) {
    int64_t x = (int64_t)w->id * 1000000 + i;
    pyodide_value_t arg = v_int(x), out = sentinel_value();
    ASSERT_OK(pyproxy_call((i & 1) ? mine : w->shared, &arg, 1, &out));
    EXPECT_KIND(&out, PYODIDE_INT);
    ASSERT_EQ_INT(out.of.i, 2 * x);
    if (i % 500 == 0) {
      pyproxy_t* tmp = NULL;
      ASSERT_OK(pyodide_globals(w->rt, &tmp));
      pyproxy_destroy(tmp);
      pyodide_stats_t s = RB_STATS(w->rt);
      ASSERT(s.guest_objects >= 1);
    }
    w->done++;
  }
  pyproxy_destroy(mine);
  w->ok = 1;
  return NULL;
}

TEST(concurrency_4_threads_share_one_runtime_10k_calls) {
  enum { N = 4 };
  pyodide_t* rt = RB_LOAD_QUIET();
  pyproxy_t* f = RUN_PROXY(rt, "lambda i: i*2");
  pyodide_stats_t before = RB_STATS(rt);
  pthread_t t[N];
  worker w[N];
  double t0 = rb_now();
  for (int i = 0; i < N; i++) {
    w[i] = (worker){rt, f, i + 1, 0, 0};
    ASSERT_EQ_INT(pthread_create(&t[i], NULL, shared_runtime, &w[i]), 0);
  }
  for (int i = 0; i < N; i++) ASSERT_EQ_INT(pthread_join(t[i], NULL), 0);
  long total = 0;
  for (int i = 0; i < N; i++) {
    ASSERT(w[i].ok);
    total += w[i].done;
  }
  ASSERT_EQ_INT(total, (long)N * CALLS);
  printf("4 threads x 1 shared runtime: %ld checked calls in %.2f s\n", total, rb_now() - t0);
  pyodide_stats_t after = RB_STATS(rt);
  ASSERT_EQ_INT(after.guest_objects, before.guest_objects);
  ASSERT_EQ_INT(after.process_proxies, before.process_proxies);
  RB_ALIVE(rt);
  pyproxy_destroy(f);
  pyodide_destroy(rt);
}

/* Loading and destroying runtimes on several threads at once, with proxies of
 * each crossing to other threads for destruction. */
typedef struct {
  int rounds;
  pyproxy_t* handoff[8];
  int ok;
} churn_arg;

static void* churn(void* p) {
  churn_arg* c = p;
  for (int r = 0; r < c->rounds; r++) {
    pyodide_t* rt = RB_LOAD_QUIET();
    c->handoff[r] = RUN_PROXY(rt, "object()");
    RB_ALIVE(rt);
    pyodide_destroy(rt);
  }
  c->ok = 1;
  return NULL;
}

TEST(concurrency_load_destroy_churn) {
  enum { N = 4, ROUNDS = 3 };
  pyodide_t* monitor = RB_LOAD_QUIET();
  pyodide_stats_t base = RB_STATS(monitor);
  pthread_t t[N];
  churn_arg c[N];
  memset(c, 0, sizeof c);
  for (int i = 0; i < N; i++) {
    c[i].rounds = ROUNDS;
    ASSERT_EQ_INT(pthread_create(&t[i], NULL, churn, &c[i]), 0);
  }
  for (int i = 0; i < N; i++) ASSERT_EQ_INT(pthread_join(t[i], NULL), 0);
  for (int i = 0; i < N; i++) ASSERT(c[i].ok);
  ASSERT_EQ_INT(RB_STATS(monitor).process_proxies, base.process_proxies + N * ROUNDS);
  /* Proxies of destroyed runtimes, destroyed on this thread. */
  for (int i = 0; i < N; i++)
    for (int r = 0; r < ROUNDS; r++) {
      ASSERT(pyodide_is_pyproxy(c[i].handoff[r]));
      pyodide_value_t out = sentinel_value();
      ASSERT_USAGE(pyproxy_type(c[i].handoff[r], &out));
      pyproxy_destroy(c[i].handoff[r]);
    }
  ASSERT_EQ_INT(RB_STATS(monitor).process_proxies, base.process_proxies);
  pyodide_destroy(monitor);
}
