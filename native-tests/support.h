/*
 * support.h — helpers shared by the ABI test cases: building values, running
 * code and checking results. The upper-case macros report failures at the
 * caller's file:line.
 */
#ifndef NATIVE_TESTS_SUPPORT_H
#define NATIVE_TESTS_SUPPORT_H

#include "harness.h"

/* ---- values built by the caller (borrowed by the library) ---- */
pyodide_value_t v_none(void);
pyodide_value_t v_bool(bool b);
pyodide_value_t v_int(int64_t i);
pyodide_value_t v_float(double f);
pyodide_value_t v_str(const char* s); /* strlen(s) bytes */
pyodide_value_t v_strn(const char* s, size_t len);
pyodide_value_t v_bytes(const void* p, size_t len);
pyodide_value_t v_list(pyodide_value_t* items, size_t len);
pyodide_value_t v_dict(pyodide_value_t* keys, pyodide_value_t* values, size_t len);
pyodide_value_t v_proxy(pyproxy_t* p);

/* An out-parameter filled with a recognizable pattern, to prove "untouched on error". */
pyodide_value_t sentinel_value(void);
bool is_sentinel(const pyodide_value_t* v);

const char* kind_str(pyodide_kind_t kind);

/* ---- running code (ASSERT_OK inside; report at the caller's line) ---- */
pyodide_t* load_at(const char* f, int l, const pyodide_config_t* config);
pyodide_value_t run_at(const char* f, int l, pyodide_t* rt, const char* code, pyproxy_t* globals);
void expect_kind_at(const char* f, int l, const pyodide_value_t* v, pyodide_kind_t kind);
int64_t run_int_at(const char* f, int l, pyodide_t* rt, const char* code);
bool run_bool_at(const char* f, int l, pyodide_t* rt, const char* code);
char* run_str_at(const char* f, int l, pyodide_t* rt, const char* code); /* malloc'd */
pyproxy_t* run_proxy_at(const char* f, int l, pyodide_t* rt, const char* code);
pyodide_value_t call_at(const char* f, int l, pyproxy_t* fn, const pyodide_value_t* args,
                        size_t nargs);
bool call_bool_at(const char* f, int l, pyproxy_t* fn, const pyodide_value_t* args, size_t nargs);
char* type_of_at(const char* f, int l, pyproxy_t* p); /* malloc'd */
/* Reads a whole file into a malloc'd NUL-terminated string; NULL if it cannot be opened. */
char* slurp(const char* path);

/* Collects pyodide_message_fn lines ("message\n" each) into a buffer, counting
   calls and noting any message that is not exactly NUL-terminated at `len`. */
typedef struct {
  char text[16384];
  size_t used;
  int calls;
  bool bad_termination;
} lines_t;
/* A pyodide_message_fn: `env` is a lines_t. */
void lines_collect(void* env, const char* message, size_t len);

/* <repo>/build/fixtures/<name>, made (or found up to date) by running
   native-tests/packages/<script> on it; fails the test if the script fails. */
const char* fixture_at(const char* f, int l, const char* script, const char* name, char* dir, size_t size);

#define LOAD() load_at(__FILE__, __LINE__, NULL)
#define LOAD_WITH(config) load_at(__FILE__, __LINE__, (config))
/* Runs code in __main__; the result is owned by the caller. */
#define RUN(rt, code) run_at(__FILE__, __LINE__, (rt), (code), NULL)
#define RUN_IN(rt, code, globals) run_at(__FILE__, __LINE__, (rt), (code), (globals))
/* Runs code that must not produce an error; discards the result. */
#define EXEC(rt, code) ASSERT_OK(pyodide_run_python((rt), (code), PYODIDE_STRLEN, NULL, NULL))
#define EXPECT_KIND(v, kind) expect_kind_at(__FILE__, __LINE__, (v), (kind))
#define RUN_INT(rt, code) run_int_at(__FILE__, __LINE__, (rt), (code))
#define RUN_BOOL(rt, code) run_bool_at(__FILE__, __LINE__, (rt), (code))
#define RUN_STR(rt, code) run_str_at(__FILE__, __LINE__, (rt), (code))
#define RUN_PROXY(rt, code) run_proxy_at(__FILE__, __LINE__, (rt), (code))
#define CALL(fn, args, nargs) call_at(__FILE__, __LINE__, (fn), (args), (nargs))
#define CALL_BOOL(fn, args, nargs) call_bool_at(__FILE__, __LINE__, (fn), (args), (nargs))
#define TYPE_OF(p) type_of_at(__FILE__, __LINE__, (p))

#endif
