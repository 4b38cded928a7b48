/* A deliberate leak, run only as leakcheck.lsan_canary_detects_leaks (expected to
 * FAIL: it proves the leak checker sees memory the library allocates for the host —
 * an undeleted error, an unreleased value — through the suppressions). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>

#include "rb_util.h"

static pyodide_error_t* volatile kept_error;

TEST(lsan_canary_detects_leaks) {
  pyodide_t* rt = RB_LOAD_QUIET();
  /* An error whose handle is dropped without pyodide_error_delete. */
  kept_error = pyodide_run_python(rt, "1/0", PYODIDE_STRLEN, NULL, NULL);
  ASSERT(kept_error != NULL);
  kept_error = NULL;
  /* A library-filled STR value whose memory is dropped without pyodide_value_release. */
  pyodide_value_t* v = malloc(sizeof *v);
  ASSERT_OK(pyodide_run_python(rt, "'x' * 1000", PYODIDE_STRLEN, NULL, v));
  memset(v, 0, sizeof *v);
  free(v);
  pyodide_destroy(rt);
}
