/* harness.c — the registry and runner behind harness.h. */
#define _POSIX_C_SOURCE 200809L
#include "harness.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MAX_CASES 512

typedef struct {
  const char* name;
  harness_fn fn;
} harness_case;

static harness_case cases[MAX_CASES];
static size_t ncases;

/* The case's own thread has a jump target; other threads do not. */
static _Thread_local jmp_buf* case_jump;
static atomic_bool case_failed;

void harness_register(const char* name, harness_fn fn) {
  if (ncases == MAX_CASES) {
    fprintf(stderr, "harness: more than %d cases; raise MAX_CASES\n", MAX_CASES);
    exit(2);
  }
  for (size_t i = 0; i < ncases; i++) {
    if (strcmp(cases[i].name, name) == 0) {
      fprintf(stderr, "harness: duplicate case name %s\n", name);
      exit(2);
    }
  }
  cases[ncases].name = name;
  cases[ncases].fn = fn;
  ncases++;
}

static _Noreturn void end_case(void) {
  atomic_store(&case_failed, true);
  fflush(stderr);
  if (case_jump != NULL) longjmp(*case_jump, 1);
  pthread_exit(NULL);
}

void harness_fail(const char* file, int line, const char* fmt, ...) {
  va_list ap;
  fprintf(stderr, "%s:%d: failed: ", file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  end_case();
}

static const char* kind_name(pyodide_error_kind_t kind) {
  switch (kind) {
    case PYODIDE_ERROR_PYTHON: return "PYTHON";
    case PYODIDE_ERROR_USAGE: return "USAGE";
    case PYODIDE_ERROR_LIMIT: return "LIMIT";
    case PYODIDE_ERROR_IO: return "IO";
    case PYODIDE_ERROR_FATAL: return "FATAL";
  }
  return "(unknown kind)";
}

static void print_error(pyodide_error_t* error) {
  const char* type = pyodide_error_type(error);
  const char* message = pyodide_error_message(error);
  fprintf(stderr, "  error kind %s (%d), type %s, message:\n%s\n",
          kind_name(pyodide_error_kind(error)), (int)pyodide_error_kind(error),
          type ? type : "(null)", message ? message : "(null)");
}

void harness_fail_error(const char* file, int line, const char* call, pyodide_error_t* error) {
  fprintf(stderr, "%s:%d: failed: %s returned an error\n", file, line, call);
  print_error(error);
  pyodide_error_delete(error);
  end_case();
}

void harness_check_error(const char* file, int line, const char* call, pyodide_error_t* error,
                         pyodide_error_kind_t kind, const char* type) {
  if (error == NULL) {
    harness_fail(file, line, "%s succeeded; expected a %s error%s%s", call, kind_name(kind),
                 type ? " of type " : "", type ? type : "");
  }
  pyodide_error_kind_t got_kind = pyodide_error_kind(error);
  const char* got_type = pyodide_error_type(error);
  const char* message = pyodide_error_message(error);
  const char* problem = NULL;
  if (got_kind != kind) {
    problem = "wrong kind";
  } else if (got_type == NULL) {
    problem = "pyodide_error_type returned NULL";
  } else if (type != NULL && strcmp(got_type, type) != 0) {
    problem = "wrong type";
  } else if (message == NULL) {
    problem = "pyodide_error_message returned NULL";
  } else if (message[0] == '\0') {
    problem = "empty message";
  }
  if (problem != NULL) {
    fprintf(stderr, "%s:%d: failed: %s: %s; expected kind %s%s%s\n", file, line, call, problem,
            kind_name(kind), type ? ", type " : "", type ? type : "");
    print_error(error);
    pyodide_error_delete(error);
    end_case();
  }
  pyodide_error_delete(error);
}

void harness_note(const char* fmt, ...) {
  va_list ap;
  fputs("  note: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool run_case(const harness_case* c) {
  jmp_buf jump;
  fprintf(stderr, "[ RUN      ] %s\n", c->name);
  fflush(stderr);
  atomic_store(&case_failed, false);
  double start = now_s();
  if (setjmp(jump) == 0) {
    case_jump = &jump;
    c->fn();
  }
  case_jump = NULL;
  bool ok = !atomic_load(&case_failed);
  fflush(stdout);
  fprintf(stderr, "[ %s ] %s (%.2f s)\n", ok ? "      OK" : "  FAILED", c->name, now_s() - start);
  fflush(stderr);
  return ok;
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "--list") == 0) {
    for (size_t i = 0; i < ncases; i++) printf("%s\n", cases[i].name);
    return 0;
  }
  size_t run = 0, failed = 0;
  if (argc == 1) {
    for (size_t i = 0; i < ncases; i++) {
      run++;
      if (!run_case(&cases[i])) failed++;
    }
  } else {
    for (int a = 1; a < argc; a++) {
      size_t i = 0;
      while (i < ncases && strcmp(cases[i].name, argv[a]) != 0) i++;
      if (i == ncases) {
        fprintf(stderr, "%s: no test case named %s (try --list)\n", argv[0], argv[a]);
        return 2;
      }
      run++;
      if (!run_case(&cases[i])) failed++;
    }
  }
  fprintf(stderr, "%zu case(s) run, %zu failed\n", run, failed);
  return failed == 0 ? 0 : 1;
}
