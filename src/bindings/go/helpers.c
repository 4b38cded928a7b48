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
pyproxy_t* pgo_proxy(const pyodide_value_t* v) { return v->of.proxy; }
pyproxy_t* pgo_take_proxy(pyodide_value_t* v) {
  pyproxy_t* p = v->of.proxy;
  pgo_set_none(v);
  return p;
}
pyodide_value_t* pgo_at(pyodide_value_t* array, size_t i) { return array + i; }
ptrdiff_t pgo_dim(const ptrdiff_t* array, size_t i) { return array[i]; }

static int pgo_write_stdout(void* env, const char* data, size_t len) {
  return goPyodideWrite((uintptr_t)env, 1, (char*)data, len);
}
static int pgo_write_stderr(void* env, const char* data, size_t len) {
  return goPyodideWrite((uintptr_t)env, 2, (char*)data, len);
}

static ptrdiff_t pgo_read_stdin(void* env, char* buf, size_t len) {
  return goPyodideRead((uintptr_t)env, buf, len);
}

static bool pgo_terminal_size(void* env, int fd, int* columns, int* lines) {
  return goPyodideTerminalSize((uintptr_t)env, fd, columns, lines);
}

void pgo_config_set_io(pyodide_config_t* config, int want_stdout, int want_stderr, int want_stdin,
                       int stdin_isatty, int want_terminal_size, uintptr_t handle) {
  config->stdout_status_fn = want_stdout ? pgo_write_stdout : NULL;
  config->stderr_status_fn = want_stderr ? pgo_write_stderr : NULL;
  config->stdin_fn = want_stdin ? pgo_read_stdin : NULL;
  config->stdin_isatty = want_stdin && stdin_isatty;
  config->terminal_size_fn = want_terminal_size ? pgo_terminal_size : NULL;
  config->io_env = (void*)handle;
}

static void pgo_message(void* env, const char* message, size_t len) {
  goPyodideMessage((uintptr_t)env, 0, (char*)message, len);
}
static void pgo_error_message(void* env, const char* message, size_t len) {
  goPyodideMessage((uintptr_t)env, 1, (char*)message, len);
}

pyodide_error_t* pgo_install(pyodide_t* runtime, const char* const* requirements, size_t n, int want_messages,
                             uintptr_t handle) {
  return pyodide_install(runtime, requirements, n, want_messages ? pgo_message : NULL, (void*)handle);
}

pyodide_error_t* pgo_load_package(pyodide_t* runtime, const char* const* names, size_t n, int want_messages,
                                  int want_errors, uintptr_t handle) {
  return pyodide_load_package(runtime, names, n, want_messages ? pgo_message : NULL,
                              want_errors ? pgo_error_message : NULL, (void*)handle);
}

pyodide_error_t* pgo_load_packages_from_imports(pyodide_t* runtime, const char* code, size_t len, int want_messages,
                                                int want_errors, uintptr_t handle) {
  return pyodide_load_packages_from_imports(runtime, code, len, want_messages ? pgo_message : NULL,
                                            want_errors ? pgo_error_message : NULL, (void*)handle);
}

/* ---- host functions ---- */

static void pgo_release(void* env) { goPyodideRelease((uintptr_t)env); }

/* A module's functions share its env; each needs a function of its own that
   knows its index: PGO_MAX_MODULE_FUNCTIONS of them, 0x00 to 0xff. */
#define PGO_MODULE_FN(i)                                                                            \
  static pyodide_error_t* pgo_module_fn_##i(void* env, const pyodide_value_t* args, size_t nargs,   \
                                            pyodide_value_t* result) {                              \
    return goPyodideModuleCall((uintptr_t)env, (i), (pyodide_value_t*)args, nargs, result);         \
  }
#define PGO_MODULE_FN16(h)                                                                          \
  PGO_MODULE_FN(h##0) PGO_MODULE_FN(h##1) PGO_MODULE_FN(h##2) PGO_MODULE_FN(h##3) PGO_MODULE_FN(h##4) \
  PGO_MODULE_FN(h##5) PGO_MODULE_FN(h##6) PGO_MODULE_FN(h##7) PGO_MODULE_FN(h##8) PGO_MODULE_FN(h##9) \
  PGO_MODULE_FN(h##a) PGO_MODULE_FN(h##b) PGO_MODULE_FN(h##c) PGO_MODULE_FN(h##d) PGO_MODULE_FN(h##e) \
  PGO_MODULE_FN(h##f)
PGO_MODULE_FN16(0x0) PGO_MODULE_FN16(0x1) PGO_MODULE_FN16(0x2) PGO_MODULE_FN16(0x3)
PGO_MODULE_FN16(0x4) PGO_MODULE_FN16(0x5) PGO_MODULE_FN16(0x6) PGO_MODULE_FN16(0x7)
PGO_MODULE_FN16(0x8) PGO_MODULE_FN16(0x9) PGO_MODULE_FN16(0xa) PGO_MODULE_FN16(0xb)
PGO_MODULE_FN16(0xc) PGO_MODULE_FN16(0xd) PGO_MODULE_FN16(0xe) PGO_MODULE_FN16(0xf)

#define PGO_MODULE_REF16(h)                                                                            \
  pgo_module_fn_##h##0, pgo_module_fn_##h##1, pgo_module_fn_##h##2, pgo_module_fn_##h##3,              \
  pgo_module_fn_##h##4, pgo_module_fn_##h##5, pgo_module_fn_##h##6, pgo_module_fn_##h##7,              \
  pgo_module_fn_##h##8, pgo_module_fn_##h##9, pgo_module_fn_##h##a, pgo_module_fn_##h##b,              \
  pgo_module_fn_##h##c, pgo_module_fn_##h##d, pgo_module_fn_##h##e, pgo_module_fn_##h##f
static const pyodide_host_fn pgo_module_fns[PGO_MAX_MODULE_FUNCTIONS] = {
  PGO_MODULE_REF16(0x0), PGO_MODULE_REF16(0x1), PGO_MODULE_REF16(0x2), PGO_MODULE_REF16(0x3),
  PGO_MODULE_REF16(0x4), PGO_MODULE_REF16(0x5), PGO_MODULE_REF16(0x6), PGO_MODULE_REF16(0x7),
  PGO_MODULE_REF16(0x8), PGO_MODULE_REF16(0x9), PGO_MODULE_REF16(0xa), PGO_MODULE_REF16(0xb),
  PGO_MODULE_REF16(0xc), PGO_MODULE_REF16(0xd), PGO_MODULE_REF16(0xe), PGO_MODULE_REF16(0xf),
};

void pgo_set_member(pyodide_host_member_t* members, size_t i, const char* name, int function_index,
                    const pyodide_value_t* value) {
  members[i].name = name;
  members[i].fn = function_index >= 0 && function_index < PGO_MAX_MODULE_FUNCTIONS ? pgo_module_fns[function_index] : NULL;
  members[i].value = function_index >= 0 ? NULL : value;
}

pyodide_error_t* pgo_register_module(pyodide_t* runtime, const char* name, const pyodide_host_member_t* members,
                                     size_t n, uintptr_t handle) {
  return pyodide_register_module(runtime, name, members, n, (void*)handle, pgo_release);
}

static pyodide_error_t* pgo_callback(void* env, const pyodide_value_t* args, size_t nargs, pyodide_value_t* result) {
  return goPyodideCallback((uintptr_t)env, (pyodide_value_t*)args, nargs, result);
}

pyodide_error_t* pgo_chain(int which, pyproxy_t* awaitable, uintptr_t handle, pyproxy_t** out) {
  switch (which) {
    case PGO_THEN: return pyproxy_then(awaitable, pgo_callback, (void*)handle, pgo_release, out);
    case PGO_CATCH: return pyproxy_catch(awaitable, pgo_callback, (void*)handle, pgo_release, out);
    default: return pyproxy_finally(awaitable, pgo_callback, (void*)handle, pgo_release, out);
  }
}

/* ---- host objects: each slot calls the Go method of the object's handle ---- */

static pyodide_error_t* pgo_host_get_attr(void* obj, const char* name, size_t len, pyodide_value_t* out) {
  return goHostGetAttr((uintptr_t)obj, (char*)name, len, out);
}
static pyodide_error_t* pgo_host_set_attr(void* obj, const char* name, size_t len, const pyodide_value_t* value) {
  return goHostSetAttr((uintptr_t)obj, (char*)name, len, (pyodide_value_t*)value);
}
static pyodide_error_t* pgo_host_call(void* obj, const pyodide_value_t* args, size_t nargs, pyodide_value_t* out) {
  return goHostCall((uintptr_t)obj, (pyodide_value_t*)args, nargs, out);
}
static pyodide_error_t* pgo_host_get_item(void* obj, const pyodide_value_t* key, pyodide_value_t* out) {
  return goHostGetItem((uintptr_t)obj, (pyodide_value_t*)key, out);
}
static pyodide_error_t* pgo_host_length(void* obj, size_t* out) { return goHostLength((uintptr_t)obj, out); }
static void pgo_host_finalize(void* obj) { goHostFinalize((uintptr_t)obj); }
static pyodide_error_t* pgo_host_dir(void* obj, pyodide_value_t* out) { return goHostDir((uintptr_t)obj, out); }
static pyodide_error_t* pgo_host_set_item(void* obj, const pyodide_value_t* key, const pyodide_value_t* value) {
  return goHostSetItem((uintptr_t)obj, (pyodide_value_t*)key, (pyodide_value_t*)value);
}
static pyodide_error_t* pgo_host_iter(void* obj, pyodide_value_t* out) { return goHostIter((uintptr_t)obj, out); }
static pyodide_error_t* pgo_host_next(void* obj, pyodide_value_t* out, bool* done) {
  return goHostNext((uintptr_t)obj, out, done);
}
static pyodide_error_t* pgo_host_call_method(void* obj, size_t method, const pyodide_value_t* args, size_t nargs,
                                             pyodide_value_t* out) {
  return goHostCallMethod((uintptr_t)obj, method, (pyodide_value_t*)args, nargs, out);
}

pyodide_host_class_t* pgo_host_class_new(const char* name, unsigned slots, const char* const* methods, size_t nmethods) {
  pyodide_host_class_t* cls = calloc(1, sizeof *cls);
  if (cls == NULL) return NULL;
  cls->size = sizeof *cls;
  cls->name = name;
  cls->get_attr = slots & PGO_SLOT_GET_ATTR ? pgo_host_get_attr : NULL;
  cls->set_attr = slots & PGO_SLOT_SET_ATTR ? pgo_host_set_attr : NULL;
  cls->call = slots & PGO_SLOT_CALL ? pgo_host_call : NULL;
  cls->get_item = slots & PGO_SLOT_GET_ITEM ? pgo_host_get_item : NULL;
  cls->length = slots & PGO_SLOT_LEN ? pgo_host_length : NULL;
  cls->finalize = pgo_host_finalize;
  cls->dir = slots & PGO_SLOT_DIR ? pgo_host_dir : NULL;
  cls->set_item = slots & PGO_SLOT_SET_ITEM ? pgo_host_set_item : NULL;
  cls->iter = slots & PGO_SLOT_ITER ? pgo_host_iter : NULL;
  cls->next = slots & PGO_SLOT_NEXT ? pgo_host_next : NULL;
  cls->methods = methods;
  cls->nmethods = nmethods;
  cls->call_method = nmethods > 0 ? pgo_host_call_method : NULL;
  return cls;
}

void pgo_set_host(pyodide_value_t* v, const pyodide_host_class_t* cls, void* obj) {
  v->kind = PYODIDE_HOST;
  v->of.host.cls = cls;
  v->of.host.obj = obj;
}
const pyodide_host_class_t* pgo_host_cls(const pyodide_value_t* v) { return v->of.host.cls; }
void* pgo_host_obj(const pyodide_value_t* v) { return v->of.host.obj; }
void pgo_copy_value(pyodide_value_t* array, size_t i, const pyodide_value_t* v) { array[i] = *v; }
pyodide_error_t* pgo_host_object_new(pyodide_t* runtime, const pyodide_host_class_t* cls, uintptr_t handle,
                                     pyproxy_t** out) {
  return pyodide_host_object_new(runtime, cls, (void*)handle, out);
}
