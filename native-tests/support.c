/* support.c — see support.h. */
#define _GNU_SOURCE
#include "support.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

void lines_collect(void* env, const char* message, size_t len) {
  lines_t* lines = env;
  lines->calls++;
  if (message[len] != '\0' || strlen(message) != len) lines->bad_termination = true;
  if (lines->used + len + 2 < sizeof lines->text) {
    memcpy(lines->text + lines->used, message, len);
    lines->used += len;
    lines->text[lines->used++] = '\n';
    lines->text[lines->used] = '\0';
  }
}

const char* fixture_at(const char* f, int l, const char* script, const char* name, char* dir, size_t size) {
  char source[PATH_MAX];
  snprintf(source, sizeof source, "%s", __FILE__); /* <repo>/native-tests/support.c */
  char root[PATH_MAX];
  snprintf(root, sizeof root, "%s/..", dirname(source));
  char resolved[PATH_MAX];
  if (!realpath(root, resolved)) harness_fail(f, l, "cannot resolve %s", root);
  snprintf(dir, size, "%s/build/fixtures/%s", resolved, name);
  char command[3 * PATH_MAX + 128];
  snprintf(command, sizeof command, "bash '%s/native-tests/packages/%s' '%s' >&2", resolved, script, dir);
  int rc = system(command);
  if (rc != 0) harness_fail(f, l, "the fixture script failed (%d): %s", rc, command);
  return dir;
}

pyodide_value_t v_none(void) {
  pyodide_value_t v;
  memset(&v, 0, sizeof v);
  v.kind = PYODIDE_NONE;
  return v;
}

pyodide_value_t v_bool(bool b) {
  pyodide_value_t v = v_none();
  v.kind = PYODIDE_BOOL;
  v.of.b = b;
  return v;
}

pyodide_value_t v_int(int64_t i) {
  pyodide_value_t v = v_none();
  v.kind = PYODIDE_INT;
  v.of.i = i;
  return v;
}

pyodide_value_t v_float(double f) {
  pyodide_value_t v = v_none();
  v.kind = PYODIDE_FLOAT;
  v.of.f = f;
  return v;
}

pyodide_value_t v_strn(const char* s, size_t len) {
  pyodide_value_t v = v_none();
  v.kind = PYODIDE_STR;
  v.of.str.ptr = s;
  v.of.str.len = len;
  return v;
}

pyodide_value_t v_str(const char* s) { return v_strn(s, strlen(s)); }

pyodide_value_t v_bytes(const void* p, size_t len) {
  pyodide_value_t v = v_none();
  v.kind = PYODIDE_BYTES;
  v.of.str.ptr = (const char*)p;
  v.of.str.len = len;
  return v;
}

pyodide_value_t v_list(pyodide_value_t* items, size_t len) {
  pyodide_value_t v = v_none();
  v.kind = PYODIDE_LIST;
  v.of.list.items = items;
  v.of.list.len = len;
  return v;
}

pyodide_value_t v_dict(pyodide_value_t* keys, pyodide_value_t* values, size_t len) {
  pyodide_value_t v = v_none();
  v.kind = PYODIDE_DICT;
  v.of.dict.keys = keys;
  v.of.dict.values = values;
  v.of.dict.len = len;
  return v;
}

pyodide_value_t v_proxy(pyproxy_t* p) {
  pyodide_value_t v = v_none();
  v.kind = PYODIDE_PROXY;
  v.of.proxy = p;
  return v;
}

pyodide_value_t sentinel_value(void) {
  pyodide_value_t v;
  memset(&v, 0, sizeof v);
  v.kind = PYODIDE_FLOAT;
  v.of.f = 12345.5;
  return v;
}

bool is_sentinel(const pyodide_value_t* v) {
  /* Field by field: struct assignment need not preserve padding bytes. */
  return v->kind == PYODIDE_FLOAT && v->of.f == 12345.5;
}

const char* kind_str(pyodide_kind_t kind) {
  static const char* names[] = {"NONE", "BOOL",  "INT",  "FLOAT", "STR",
                                "BYTES", "LIST", "DICT", "PROXY"};
  if ((unsigned)kind < sizeof names / sizeof names[0]) return names[kind];
  return "(invalid kind)";
}

pyodide_t* load_at(const char* f, int l, const pyodide_config_t* config) {
  pyodide_t* rt = NULL;
  pyodide_error_t* e = pyodide_load(config, &rt);
  if (e != NULL) harness_fail_error(f, l, "pyodide_load", e);
  if (rt == NULL) harness_fail(f, l, "pyodide_load succeeded but gave a NULL runtime");
  return rt;
}

pyodide_value_t run_at(const char* f, int l, pyodide_t* rt, const char* code,
                       pyproxy_t* globals) {
  pyodide_value_t v = sentinel_value();
  pyodide_error_t* e = pyodide_run_python(rt, code, PYODIDE_STRLEN, globals, &v);
  if (e != NULL) {
    fprintf(stderr, "  code: %s\n", code);
    harness_fail_error(f, l, "pyodide_run_python", e);
  }
  return v;
}

void expect_kind_at(const char* f, int l, const pyodide_value_t* v, pyodide_kind_t kind) {
  if (v->kind != kind)
    harness_fail(f, l, "expected a value of kind %s, got %s (%d)", kind_str(kind),
                 kind_str(v->kind), (int)v->kind);
}

int64_t run_int_at(const char* f, int l, pyodide_t* rt, const char* code) {
  pyodide_value_t v = run_at(f, l, rt, code, NULL);
  expect_kind_at(f, l, &v, PYODIDE_INT);
  int64_t i = v.of.i;
  pyodide_value_release(&v);
  return i;
}

bool run_bool_at(const char* f, int l, pyodide_t* rt, const char* code) {
  pyodide_value_t v = run_at(f, l, rt, code, NULL);
  expect_kind_at(f, l, &v, PYODIDE_BOOL);
  bool b = v.of.b;
  pyodide_value_release(&v);
  return b;
}

static char* copy_str(const char* f, int l, const pyodide_value_t* v) {
  expect_kind_at(f, l, v, PYODIDE_STR);
  if (v->of.str.ptr == NULL) harness_fail(f, l, "a STR value with a NULL pointer");
  if (v->of.str.ptr[v->of.str.len] != '\0')
    harness_fail(f, l, "a STR value that is not NUL-terminated at its length");
  char* s = malloc(v->of.str.len + 1);
  memcpy(s, v->of.str.ptr, v->of.str.len + 1);
  return s;
}

char* run_str_at(const char* f, int l, pyodide_t* rt, const char* code) {
  pyodide_value_t v = run_at(f, l, rt, code, NULL);
  char* s = copy_str(f, l, &v);
  pyodide_value_release(&v);
  return s;
}

pyproxy_t* run_proxy_at(const char* f, int l, pyodide_t* rt, const char* code) {
  pyodide_value_t v = run_at(f, l, rt, code, NULL);
  expect_kind_at(f, l, &v, PYODIDE_PROXY);
  if (v.of.proxy == NULL) harness_fail(f, l, "a PROXY value with a NULL proxy");
  return v.of.proxy; /* the value owns nothing else: the caller now owns the proxy */
}

pyodide_value_t call_at(const char* f, int l, pyproxy_t* fn, const pyodide_value_t* args,
                        size_t nargs) {
  pyodide_value_t v = sentinel_value();
  pyodide_error_t* e = pyproxy_call(fn, args, nargs, &v);
  if (e != NULL) harness_fail_error(f, l, "pyproxy_call", e);
  return v;
}

bool call_bool_at(const char* f, int l, pyproxy_t* fn, const pyodide_value_t* args,
                  size_t nargs) {
  pyodide_value_t v = call_at(f, l, fn, args, nargs);
  expect_kind_at(f, l, &v, PYODIDE_BOOL);
  bool b = v.of.b;
  pyodide_value_release(&v);
  return b;
}

char* type_of_at(const char* f, int l, pyproxy_t* p) {
  pyodide_value_t v = sentinel_value();
  pyodide_error_t* e = pyproxy_type(p, &v);
  if (e != NULL) harness_fail_error(f, l, "pyproxy_type", e);
  char* s = copy_str(f, l, &v);
  pyodide_value_release(&v);
  return s;
}

/* Reads a whole file into a malloc'd NUL-terminated string. */
char* slurp(const char* path) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) return NULL;
  size_t cap = 4096, len = 0;
  char* buf = malloc(cap);
  size_t n;
  while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
    len += n;
    if (cap - len - 1 == 0) buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  buf[len] = '\0';
  return buf;
}
