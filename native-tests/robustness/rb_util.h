/*
 * rb_util.h — helpers for the robustness tests (native-tests/robustness), on top of
 * ../harness.h and ../support.h.
 */
#ifndef NATIVE_TESTS_RB_UTIL_H
#define NATIVE_TESTS_RB_UTIL_H

#include <stdatomic.h>

#include "support.h"

/* The upper bound of a timed check: a stop that should come after a fraction of a
 * second must come within this. It only tells a hang or a stop that never fires
 * from a slow one on a loaded machine; the latencies themselves are measured by
 * the benchmarks (bench/c/bench_abi.c). */
#define RB_HANG_S 30.0

/* Monotonic seconds, and sleeping. */
double rb_now(void);
void rb_sleep(double seconds);

/* Output handlers that swallow Python's output (counting the bytes), so tests that
 * provoke tracebacks or fuzz print() keep the log readable. */
void rb_sink_write(void* env, const char* data, size_t len);
/* A config with the sinks above; `*bytes` counts what was written (may be NULL). */
pyodide_config_t rb_quiet_config(atomic_size_t* bytes);

/* Loads with `config` (NULL = quiet defaults). */
#define RB_LOAD(config) load_at(__FILE__, __LINE__, (config))
pyodide_t* rb_load_quiet_at(const char* f, int l);
#define RB_LOAD_QUIET() rb_load_quiet_at(__FILE__, __LINE__)

/* pyodide_stats into a struct; fails the case on error. */
pyodide_stats_t rb_stats_at(const char* f, int l, pyodide_t* rt);
#define RB_STATS(rt) rb_stats_at(__FILE__, __LINE__, (rt))

/* An error, checked (kind in range, type and message non-NULL and non-empty),
 * its kind/type/first message line copied out, then deleted. */
typedef struct {
  bool failed;          /* an error was returned */
  pyodide_error_kind_t kind;
  char type[64];
  char message[512];    /* truncated */
} rb_outcome;
rb_outcome rb_take_at(const char* f, int l, pyodide_error_t* e);
#define RB_TAKE(call) rb_take_at(__FILE__, __LINE__, (call))

const char* rb_kind_name(pyodide_error_kind_t kind);

/* Runs `code` and expects an error of `kind` (and `type` unless NULL); returns the
 * outcome for further checks. */
rb_outcome rb_run_expect_at(const char* f, int l, pyodide_t* rt, const char* code,
                            pyodide_error_kind_t kind, const char* type);
#define RB_RUN_EXPECT(rt, code, kind, type) rb_run_expect_at(__FILE__, __LINE__, (rt), (code), (kind), (type))

/* The runtime still works: evaluates a small computation and checks it. */
void rb_alive_at(const char* f, int l, pyodide_t* rt);
#define RB_ALIVE(rt) rb_alive_at(__FILE__, __LINE__, (rt))

/* The runtime is dead: a call fails with FATAL. */
void rb_dead_at(const char* f, int l, pyodide_t* rt);
#define RB_DEAD(rt) rb_dead_at(__FILE__, __LINE__, (rt))

#endif
