/* Recursion and traps: Python's own recursion checks give RecursionError; what gets
 * past them traps the wasm instance, which kills that runtime only (FATAL), never
 * the process. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "rb_util.h"

TEST(recursion_python_level_is_recursionerror) {
  pyodide_t* rt = RB_LOAD_QUIET();
  EXEC(rt, "def f(n): return f(n + 1)");
  rb_outcome o = RB_RUN_EXPECT(rt, "f(0)", PYODIDE_ERROR_PYTHON, "RecursionError");
  ASSERT_CONTAINS(o.message, "maximum recursion depth");
  RB_ALIVE(rt);
  /* Caught inside Python, repeatedly. */
  for (int i = 0; i < 3; i++) {
    char* s = RUN_STR(rt, "try:\n    f(0)\nexcept RecursionError:\n    r = 'caught'\nr");
    ASSERT_STREQ(s, "caught");
    free(s);
  }
  /* Pure-Python recursion does not use the C stack in 3.11: a high limit is safe. */
  EXEC(rt, "import sys; sys.setrecursionlimit(20000)");
  RB_RUN_EXPECT(rt, "f(0)", PYODIDE_ERROR_PYTHON, "RecursionError");
  RB_ALIVE(rt);
  pyodide_destroy(rt);
}

TEST(recursion_through_c_is_recursionerror) {
  pyodide_t* rt = RB_LOAD_QUIET();
  EXEC(rt, "def g(n): return list(map(g, [n + 1]))");
  RB_RUN_EXPECT(rt, "g(0)", PYODIDE_ERROR_PYTHON, "RecursionError");
  RB_ALIVE(rt);
  /* Other C-level recursion with the default limit: a Python exception, never a
   * trap, and the one CPython's check raises there (the parser reports nesting
   * beyond its own stack as MemoryError). */
  static const struct {
    const char* code;
    const char* type;
  } snippets[] = {
      {"l = []\nfor _ in range(100000): l = [l]\nrepr(l)", "RecursionError"},
      {"d = {}\nfor _ in range(100000): d = {'k': d}\nimport json; json.dumps(d)", "RecursionError"},
      {"l = []\nfor _ in range(100000): l = [l]\nimport pickle; pickle.dumps(l)", "RecursionError"},
      {"l = []\nfor _ in range(100000): l = [l]\nimport copy; copy.deepcopy(l)", "RecursionError"},
      {"eval('-' * 100000 + '1')", "MemoryError"},
      {"import ast; ast.literal_eval('[' * 100000 + ']' * 100000)", "MemoryError"},
      {"class A:\n    def __getattr__(self, n): return getattr(self, n)\nA().x", "RecursionError"},
      {"class B:\n    def __repr__(self): return repr(self)\nrepr(B())", "RecursionError"},
      /* Two distinct lists: `l == l` would stop at the identity check. */
      {"a = []\nb = []\nfor _ in range(100000): a = [a]; b = [b]\na == b", "RecursionError"},
  };
  for (size_t i = 0; i < sizeof snippets / sizeof snippets[0]; i++) {
    RB_RUN_EXPECT(rt, snippets[i].code, PYODIDE_ERROR_PYTHON, snippets[i].type);
  }
  RB_ALIVE(rt);
  pyodide_destroy(rt);
}

/* Check that `rt` is dead and that `other` (and a new runtime) are not. */
static void dead_but_others_fine(pyodide_t* rt, pyodide_t* other) {
  RB_DEAD(rt);
  RB_DEAD(rt);
  pyproxy_t* g = NULL;
  ASSERT_ERROR(pyodide_globals(rt, &g), PYODIDE_ERROR_FATAL, "FatalError");
  ASSERT_ERROR(pyodide_snapshot_save(rt, "/tmp/pyodide-dead-runtime.snapshot"), PYODIDE_ERROR_FATAL, "FatalError");
  ASSERT(access("/tmp/pyodide-dead-runtime.snapshot", F_OK) != 0);
  char* s = RUN_STR(other, "marker");
  ASSERT_STREQ(s, "other");
  free(s);
  RB_ALIVE(other);
  pyodide_t* fresh = RB_LOAD_QUIET();
  RB_ALIVE(fresh);
  pyodide_destroy(fresh);
}

TEST(recursion_high_limit_exhausts_wasm_stack_fatal) {
  pyodide_t* other = RB_LOAD_QUIET();
  EXEC(other, "marker = 'other'");
  pyodide_t* rt = RB_LOAD_QUIET();
  pyproxy_t* keep = RUN_PROXY(rt, "[1, 2, 3]");
  EXEC(rt, "import sys\nsys.setrecursionlimit(100000)\ndef g(n): return list(map(g, [n + 1]))");
  rb_outcome o = RB_RUN_EXPECT(rt, "g(0)", PYODIDE_ERROR_FATAL, "FatalError");
  printf("C-level recursion with recursionlimit 100000: FATAL: %s\n", o.message);
  dead_but_others_fine(rt, other);
  size_t n = 0;
  ASSERT_ERROR(pyproxy_length(keep, &n), PYODIDE_ERROR_FATAL, "FatalError");
  pyproxy_destroy(keep);
  pyodide_destroy(rt);
  pyodide_destroy(other);
}

/* Other ways Python code can stop the instance. Each must end in a dead runtime
 * (FATAL) or a Python exception, never in the host process exiting or crashing. */
typedef struct {
  const char* name;
  const char* code;
} trap_case;

static void provoke(const trap_case* c) {
  pyodide_t* other = RB_LOAD_QUIET();
  EXEC(other, "marker = 'other'");
  pyodide_t* rt = RB_LOAD_QUIET();
  pyodide_value_t v = sentinel_value();
  rb_outcome o = RB_TAKE(pyodide_run_python(rt, c->code, PYODIDE_STRLEN, NULL, &v));
  if (!o.failed) {
    pyodide_value_release(&v);
    harness_fail(__FILE__, __LINE__, "%s: succeeded; expected FATAL\n  code: %s", c->name, c->code);
  }
  printf("%s: %s %s: %.200s\n", c->name, rb_kind_name(o.kind), o.type, o.message);
  if (o.kind != PYODIDE_ERROR_FATAL)
    harness_fail(__FILE__, __LINE__, "%s: expected FATAL, got %s %s: %s", c->name,
                 rb_kind_name(o.kind), o.type, o.message);
  ASSERT(is_sentinel(&v));
  dead_but_others_fine(rt, other);
  pyodide_destroy(rt);
  pyodide_destroy(other);
}

TEST(trap_os_abort_is_fatal) {
  trap_case c = {"os.abort()", "import os\nos.abort()"};
  provoke(&c);
}

/* WASI proc_exit: the instance ends; the host process must not. */
TEST(trap_os_exit_does_not_exit_the_process) {
  trap_case c = {"os._exit(3)", "import os\nos._exit(3)"};
  provoke(&c);
  trap_case z = {"os._exit(0)", "import os\nos._exit(0)"};
  provoke(&z);
}

TEST(trap_faulthandler_sigsegv_is_fatal) {
  trap_case c = {"faulthandler._sigsegv()", "import faulthandler\nfaulthandler._sigsegv()"};
  provoke(&c);
}

TEST(trap_faulthandler_sigabrt_sigfpe_are_fatal) {
  trap_case abrt = {"faulthandler._sigabrt()", "import faulthandler\nfaulthandler._sigabrt()"};
  provoke(&abrt);
  /* An integer division by zero in C: wasm traps ("integer divide by zero"). */
  trap_case fpe = {"faulthandler._sigfpe()", "import faulthandler\nfaulthandler._sigfpe()"};
  provoke(&fpe);
}

/* Reading address 0 is legal in wasm (it is the guest's own memory), and a C thread
 * cannot start: neither harms anything. */
TEST(trap_null_read_and_c_thread_are_harmless) {
  pyodide_t* rt = RB_LOAD_QUIET();
  EXEC(rt, "import faulthandler");
  pyodide_value_t v = RUN(rt, "faulthandler._read_null()");
  EXPECT_KIND(&v, PYODIDE_INT);
  RB_RUN_EXPECT(rt, "faulthandler._fatal_error_c_thread()", PYODIDE_ERROR_PYTHON, "RuntimeError");
  RB_ALIVE(rt);
  pyodide_destroy(rt);
}

TEST(trap_raise_fatal_signals_is_fatal) {
  trap_case kill = {"signal.raise_signal(SIGKILL)", "import signal\nsignal.raise_signal(signal.SIGKILL)"};
  provoke(&kill);
  trap_case abrt = {"signal.raise_signal(SIGABRT)", "import signal\nsignal.raise_signal(signal.SIGABRT)"};
  provoke(&abrt);
}

/* sys.exit is a Python exception (SystemExit), not a trap: the runtime lives on. */
TEST(sys_exit_is_a_python_exception) {
  pyodide_t* rt = RB_LOAD_QUIET();
  RB_RUN_EXPECT(rt, "import sys\nsys.exit(3)", PYODIDE_ERROR_PYTHON, "SystemExit");
  RB_RUN_EXPECT(rt, "raise SystemExit", PYODIDE_ERROR_PYTHON, "SystemExit");
  RB_ALIVE(rt);
  pyodide_destroy(rt);
}
