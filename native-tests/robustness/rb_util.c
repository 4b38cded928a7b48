/* rb_util.c — see rb_util.h. */
#define _POSIX_C_SOURCE 200809L
#include "rb_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

double rb_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void rb_sleep(double seconds) {
  if (seconds <= 0) return;
  struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

void rb_sink_write(void* env, const char* data, size_t len) {
  (void)data;
  if (env != NULL) atomic_fetch_add((atomic_size_t*)env, len);
}

pyodide_config_t rb_quiet_config(atomic_size_t* bytes) {
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.stdout_fn = rb_sink_write;
  c.stderr_fn = rb_sink_write;
  c.io_env = bytes;
  return c;
}

pyodide_t* rb_load_quiet_at(const char* f, int l) {
  pyodide_config_t c = rb_quiet_config(NULL);
  return load_at(f, l, &c);
}

pyodide_stats_t rb_stats_at(const char* f, int l, pyodide_t* rt) {
  pyodide_stats_t s;
  memset(&s, 0, sizeof s);
  s.size = sizeof s;
  pyodide_error_t* e = pyodide_stats(rt, &s);
  if (e != NULL) harness_fail_error(f, l, "pyodide_stats", e);
  return s;
}

const char* rb_kind_name(pyodide_error_kind_t kind) {
  switch (kind) {
    case PYODIDE_ERROR_PYTHON: return "PYTHON";
    case PYODIDE_ERROR_USAGE: return "USAGE";
    case PYODIDE_ERROR_LIMIT: return "LIMIT";
    case PYODIDE_ERROR_IO: return "IO";
    case PYODIDE_ERROR_FATAL: return "FATAL";
  }
  return "(invalid kind)";
}

rb_outcome rb_take_at(const char* f, int l, pyodide_error_t* e) {
  rb_outcome o;
  memset(&o, 0, sizeof o);
  if (e == NULL) return o;
  o.failed = true;
  o.kind = pyodide_error_kind(e);
  const char* type = pyodide_error_type(e);
  const char* message = pyodide_error_message(e);
  if (o.kind < PYODIDE_ERROR_PYTHON || o.kind > PYODIDE_ERROR_FATAL) {
    pyodide_error_delete(e);
    harness_fail(f, l, "an error of invalid kind %d", (int)o.kind);
  }
  if (type == NULL || message == NULL || type[0] == '\0' || message[0] == '\0') {
    pyodide_error_delete(e);
    harness_fail(f, l, "an error with a NULL or empty type/message");
  }
  snprintf(o.type, sizeof o.type, "%s", type);
  snprintf(o.message, sizeof o.message, "%s", message);
  pyodide_error_delete(e);
  return o;
}

rb_outcome rb_run_expect_at(const char* f, int l, pyodide_t* rt, const char* code,
                            pyodide_error_kind_t kind, const char* type) {
  pyodide_value_t v = sentinel_value();
  rb_outcome o = rb_take_at(f, l, pyodide_run_python(rt, code, PYODIDE_STRLEN, NULL, &v));
  if (!o.failed) {
    pyodide_value_release(&v);
    harness_fail(f, l, "the code succeeded; expected a %s error%s%s\n  code: %s", rb_kind_name(kind),
                 type ? " of type " : "", type ? type : "", code);
  }
  if (!is_sentinel(&v)) harness_fail(f, l, "the result was written although the call failed");
  if (o.kind != kind || (type != NULL && strcmp(o.type, type) != 0)) {
    harness_fail(f, l, "expected a %s error%s%s, got %s %s: %s\n  code: %s", rb_kind_name(kind),
                 type ? " of type " : "", type ? type : "", rb_kind_name(o.kind), o.type, o.message,
                 code);
  }
  return o;
}

void rb_alive_at(const char* f, int l, pyodide_t* rt) {
  int64_t got = run_int_at(f, l, rt, "sum(i * i for i in range(100)) + len([x for x in 'abc'])");
  if (got != 328353) harness_fail(f, l, "the runtime computed %lld, expected 328353", (long long)got);
}

void rb_dead_at(const char* f, int l, pyodide_t* rt) {
  rb_run_expect_at(f, l, rt, "1 + 1", PYODIDE_ERROR_FATAL, "FatalError");
}
