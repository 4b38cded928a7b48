/* A deliberate leak, run only as leakcheck.lsan_canary_detects_leaks: the case
 * itself passes, and leakcheck.sh --expect-leak requires LeakSanitizer to report
 * a leak under each of the two functions below. That proves the leak checker sees
 * memory the library allocates for the host — an undeleted error, an unreleased
 * value — through the suppressions of lsan.supp. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>

#include "rb_util.h"

static pyodide_error_t* volatile kept_error;

/* (noinline: each must be a frame of its own in the leak report.) */
__attribute__((noinline)) static void leak_an_error(pyodide_t* rt) {
  /* An error whose handle is dropped without pyodide_error_delete. */
  kept_error = pyodide_run_python(rt, "1/0", PYODIDE_STRLEN, NULL, NULL);
  ASSERT(kept_error != NULL);
  kept_error = NULL;
}

__attribute__((noinline)) static void leak_a_value(pyodide_t* rt) {
  /* A library-filled STR value whose memory is dropped without pyodide_value_release. */
  pyodide_value_t* v = malloc(sizeof *v);
  ASSERT(v != NULL);
  ASSERT_OK(pyodide_run_python(rt, "'x' * 1000", PYODIDE_STRLEN, NULL, v));
  ASSERT_EQ_INT(v->kind, PYODIDE_STR);
  memset(v, 0, sizeof *v);
  free(v);
}

TEST(lsan_canary_detects_leaks) {
  pyodide_t* rt = RB_LOAD_QUIET();
  leak_an_error(rt);
  leak_a_value(rt);
  pyodide_destroy(rt);
}
