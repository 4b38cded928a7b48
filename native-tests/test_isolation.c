/* Runtimes share nothing; runtimes on threads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "support.h"

TEST(two_runtimes_share_no_globals) {
  pyodide_t* a = LOAD();
  pyodide_t* b = LOAD();
  EXEC(a, "only_in_a = 1");
  ASSERT(RUN_BOOL(b, "'only_in_a' not in globals()"));
  pyproxy_t* gb = NULL;
  ASSERT_OK(pyodide_globals(b, &gb));
  pyodide_value_t k = v_str("only_in_a");
  bool has = true;
  ASSERT_OK(pyproxy_has(gb, &k, &has));
  ASSERT(!has);
  pyodide_value_t vb = v_int(2);
  ASSERT_OK(pyproxy_set(gb, &k, &vb));
  ASSERT_EQ_INT(RUN_INT(a, "only_in_a"), 1);
  ASSERT_EQ_INT(RUN_INT(b, "only_in_a"), 2);
  pyproxy_destroy(gb);
  pyodide_destroy(b);
  /* a lives on after b is gone. */
  ASSERT_EQ_INT(RUN_INT(a, "only_in_a + 1"), 2);
  pyodide_destroy(a);
}

TEST(two_runtimes_share_no_modules) {
  pyodide_t* a = LOAD();
  pyodide_t* b = LOAD();
  EXEC(a, "import json, sys\njson.x = 1\nsys.marker = 'a'\nsys.path.append('/only/in/a')");
  ASSERT(RUN_BOOL(b, "import json; not hasattr(json, 'x')"));
  ASSERT(RUN_BOOL(b, "import sys; not hasattr(sys, 'marker')"));
  ASSERT(RUN_BOOL(b, "import sys; '/only/in/a' not in sys.path"));
  EXEC(b, "import builtins\nbuiltins.shadow = 'b'");
  ASSERT(RUN_BOOL(a, "import builtins; not hasattr(builtins, 'shadow')"));
  ASSERT_EQ_INT(RUN_INT(a, "json.x"), 1);
  pyodide_destroy(a);
  pyodide_destroy(b);
}

TEST(two_runtimes_share_no_files) {
  pyodide_t* a = LOAD();
  pyodide_t* b = LOAD();
  EXEC(a, "open('/home/pyodide/secret.txt', 'w').write('a only')");
  ASSERT(RUN_BOOL(a, "open('/home/pyodide/secret.txt').read() == 'a only'"));
  ASSERT(RUN_BOOL(b, "import os; not os.path.exists('/home/pyodide/secret.txt')"));
  char* listing_b = RUN_STR(b, "import os; repr(sorted(os.listdir('/home/pyodide')))");
  EXEC(b, "os.makedirs('/home/pyodide/only_b/sub')");
  ASSERT(RUN_BOOL(a, "import os; not os.path.exists('/home/pyodide/only_b')"));
  pyodide_destroy(a);
  /* A new runtime starts with a home as fresh as b's was: nothing of a or b. */
  pyodide_t* c = LOAD();
  char* listing_c = RUN_STR(c, "import os; repr(sorted(os.listdir('/home/pyodide')))");
  ASSERT_STREQ(listing_c, listing_b);
  ASSERT_NOT_CONTAINS(listing_c, "secret.txt");
  free(listing_b);
  free(listing_c);
  pyodide_destroy(c);
  pyodide_destroy(b);
}

/* ---- threads ---- */

typedef struct {
  int id;
  int iterations;
  int ok;
} worker_arg;

static void* own_runtime_worker(void* p) {
  worker_arg* w = p;
  pyodide_t* rt = LOAD();
  char code[128];
  snprintf(code, sizeof code, "tag = %d", w->id);
  EXEC(rt, code);
  pyproxy_t* f = RUN_PROXY(rt, "def f(n):\n    return sum(range(n)) + tag\nf");
  for (int i = 0; i < w->iterations; i++) {
    int64_t n = 1000 + i;
    pyodide_value_t arg = v_int(n);
    pyodide_value_t v = CALL(f, &arg, 1);
    EXPECT_KIND(&v, PYODIDE_INT);
    ASSERT_EQ_INT(v.of.i, n * (n - 1) / 2 + w->id);
    snprintf(code, sizeof code, "str(%d * %d) + '-%d'", i, w->id, w->id);
    char* s = RUN_STR(rt, code);
    char want[64];
    snprintf(want, sizeof want, "%d-%d", i * w->id, w->id);
    ASSERT_STREQ(s, want);
    free(s);
  }
  ASSERT_EQ_INT(RUN_INT(rt, "tag"), w->id);
  pyproxy_destroy(f);
  pyodide_destroy(rt);
  w->ok = 1;
  return NULL;
}

TEST(threads_each_with_own_runtime) {
  enum { N = 2 };
  pthread_t t[N];
  worker_arg w[N];
  for (int i = 0; i < N; i++) {
    w[i] = (worker_arg){.id = i + 1, .iterations = 200, .ok = 0};
    ASSERT_EQ_INT(pthread_create(&t[i], NULL, own_runtime_worker, &w[i]), 0);
  }
  for (int i = 0; i < N; i++) ASSERT_EQ_INT(pthread_join(t[i], NULL), 0);
  for (int i = 0; i < N; i++) ASSERT(w[i].ok);
}

typedef struct {
  pyodide_t* rt;
  int id;
  int iterations;
  int ok;
} shared_arg;

static void* shared_runtime_worker(void* p) {
  shared_arg* w = p;
  /* Each thread keeps its state in its own dict; calls on the runtime are serialized. */
  pyproxy_t* d = RUN_PROXY(w->rt, "{'n': 0}");
  pyproxy_t* f = RUN_PROXY(w->rt, "lambda a, b: a * b");
  for (int i = 0; i < w->iterations; i++) {
    ASSERT_OK(pyodide_run_python(w->rt, "n = n + 1", PYODIDE_STRLEN, d, NULL));
    pyodide_value_t args[2] = {v_int(i), v_int(w->id)};
    pyodide_value_t v = CALL(f, args, 2);
    EXPECT_KIND(&v, PYODIDE_INT);
    ASSERT_EQ_INT(v.of.i, (int64_t)i * w->id);
    pyodide_value_t k = v_str("n");
    ASSERT_OK(pyproxy_get(d, &k, &v));
    EXPECT_KIND(&v, PYODIDE_INT);
    ASSERT_EQ_INT(v.of.i, i + 1);
  }
  pyproxy_destroy(f);
  pyproxy_destroy(d);
  w->ok = 1;
  return NULL;
}

TEST(threads_share_one_runtime) {
  enum { N = 2 };
  pyodide_t* rt = LOAD();
  pthread_t t[N];
  shared_arg w[N];
  for (int i = 0; i < N; i++) {
    w[i] = (shared_arg){.rt = rt, .id = i + 3, .iterations = 300, .ok = 0};
    ASSERT_EQ_INT(pthread_create(&t[i], NULL, shared_runtime_worker, &w[i]), 0);
  }
  for (int i = 0; i < N; i++) ASSERT_EQ_INT(pthread_join(t[i], NULL), 0);
  for (int i = 0; i < N; i++) ASSERT(w[i].ok);
  ASSERT_EQ_INT(RUN_INT(rt, "40 + 2"), 42);
  pyodide_destroy(rt);
}

/* Every runtime after the first is restored from a snapshot of an initialised
 * interpreter; each must still get its own hash secret and random state
 * (equal by chance with a probability of at most 2^-32 each). */
TEST(runtimes_get_their_own_hash_secret_and_random_state) {
  pyodide_t* first = LOAD();
  pyodide_t* a = LOAD();
  pyodide_t* b = LOAD();
  const char* probes[] = {
    "hash('abc')",
    "hash(b'abc')",
    "import random; random.getrandbits(62)",
  };
  for (size_t i = 0; i < sizeof probes / sizeof *probes; i++) {
    int64_t in_first = RUN_INT(first, probes[i]);
    int64_t in_a = RUN_INT(a, probes[i]);
    int64_t in_b = RUN_INT(b, probes[i]);
    ASSERT(in_first != in_a && in_a != in_b && in_first != in_b);
  }
  /* Within one runtime, hashes agree with the tables laid out before the snapshot. */
  ASSERT(RUN_BOOL(b, "import sys, os; sys.modules['o' + 's'] is os and hash(''.join(['a', 'bc'])) == hash('abc')"));
  pyodide_destroy(first);
  pyodide_destroy(a);
  pyodide_destroy(b);
}
