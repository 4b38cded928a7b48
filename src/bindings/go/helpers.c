#include "helpers.h"
#include "_cgo_export.h"

void pgo_set_none(pyodide_value_t* v) { v->kind = PYODIDE_NONE; v->of.i = 0; }
void pgo_set_bool(pyodide_value_t* v, bool b) { v->kind = PYODIDE_BOOL; v->of.i = 0; v->of.b = b; }
void pgo_set_int(pyodide_value_t* v, int64_t i) { v->kind = PYODIDE_INT; v->of.i = i; }
void pgo_set_float(pyodide_value_t* v, double f) { v->kind = PYODIDE_FLOAT; v->of.f = f; }
void pgo_set_str(pyodide_value_t* v, pyodide_kind_t kind, const char* ptr, size_t len) {
  v->kind = kind;
  v->of.str.ptr = ptr;
  v->of.str.len = len;
}
void pgo_set_list(pyodide_value_t* v, pyodide_value_t* items, size_t len) {
  v->kind = PYODIDE_LIST;
  v->of.list.items = items;
  v->of.list.len = len;
}
void pgo_set_dict(pyodide_value_t* v, pyodide_value_t* keys, pyodide_value_t* values, size_t len) {
  v->kind = PYODIDE_DICT;
  v->of.dict.keys = keys;
  v->of.dict.values = values;
  v->of.dict.len = len;
}
void pgo_set_proxy(pyodide_value_t* v, pyproxy_t* proxy) { v->kind = PYODIDE_PROXY; v->of.proxy = proxy; }

bool pgo_bool(const pyodide_value_t* v) { return v->of.b; }
int64_t pgo_int(const pyodide_value_t* v) { return v->of.i; }
double pgo_float(const pyodide_value_t* v) { return v->of.f; }
const char* pgo_str_ptr(const pyodide_value_t* v) { return v->of.str.ptr; }
size_t pgo_str_len(const pyodide_value_t* v) { return v->of.str.len; }
pyodide_value_t* pgo_list_items(const pyodide_value_t* v) { return v->of.list.items; }
size_t pgo_list_len(const pyodide_value_t* v) { return v->of.list.len; }
pyodide_value_t* pgo_dict_keys(const pyodide_value_t* v) { return v->of.dict.keys; }
pyodide_value_t* pgo_dict_values(const pyodide_value_t* v) { return v->of.dict.values; }
size_t pgo_dict_len(const pyodide_value_t* v) { return v->of.dict.len; }
pyproxy_t* pgo_take_proxy(pyodide_value_t* v) {
  pyproxy_t* p = v->of.proxy;
  pgo_set_none(v);
  return p;
}
pyodide_value_t* pgo_at(pyodide_value_t* array, size_t i) { return array + i; }
ptrdiff_t pgo_dim(const ptrdiff_t* array, size_t i) { return array[i]; }

static void pgo_write_stdout(void* env, const char* data, size_t len) {
  goPyodideWrite((uintptr_t)env, 1, (char*)data, len);
}
static void pgo_write_stderr(void* env, const char* data, size_t len) {
  goPyodideWrite((uintptr_t)env, 2, (char*)data, len);
}

static ptrdiff_t pgo_read_stdin(void* env, char* buf, size_t len) {
  return goPyodideRead((uintptr_t)env, buf, len);
}

void pgo_config_set_io(pyodide_config_t* config, int want_stdout, int want_stderr, int want_stdin,
                       int stdin_isatty, uintptr_t handle) {
  config->stdout_fn = want_stdout ? pgo_write_stdout : NULL;
  config->stderr_fn = want_stderr ? pgo_write_stderr : NULL;
  config->stdin_fn = want_stdin ? pgo_read_stdin : NULL;
  config->stdin_isatty = want_stdin && stdin_isatty;
  config->io_env = (void*)handle;
}
