/* C helpers for the Go bindings: pyodide_value_t's union and the output
   callbacks are easier to reach from C. Definitions in helpers.c (cgo allows
   no definitions in the preamble of a file with //export). */
#ifndef PYODIDE_GO_HELPERS_H
#define PYODIDE_GO_HELPERS_H

#include <stdint.h>
#include <stdlib.h>
#include "pyodide.h"

void pgo_set_none(pyodide_value_t* v);
void pgo_set_bool(pyodide_value_t* v, bool b);
void pgo_set_int(pyodide_value_t* v, int64_t i);
void pgo_set_float(pyodide_value_t* v, double f);
void pgo_set_str(pyodide_value_t* v, pyodide_kind_t kind, const char* ptr, size_t len);
void pgo_set_list(pyodide_value_t* v, pyodide_value_t* items, size_t len);
void pgo_set_dict(pyodide_value_t* v, pyodide_value_t* keys, pyodide_value_t* values, size_t len);
void pgo_set_proxy(pyodide_value_t* v, pyproxy_t* proxy);

bool pgo_bool(const pyodide_value_t* v);
int64_t pgo_int(const pyodide_value_t* v);
double pgo_float(const pyodide_value_t* v);
const char* pgo_str_ptr(const pyodide_value_t* v);
size_t pgo_str_len(const pyodide_value_t* v);
pyodide_value_t* pgo_list_items(const pyodide_value_t* v);
size_t pgo_list_len(const pyodide_value_t* v);
pyodide_value_t* pgo_dict_keys(const pyodide_value_t* v);
pyodide_value_t* pgo_dict_values(const pyodide_value_t* v);
size_t pgo_dict_len(const pyodide_value_t* v);
pyproxy_t* pgo_proxy(const pyodide_value_t* v);
/* Takes the proxy out of a PROXY value: the value becomes NONE, so releasing
   the tree leaves the proxy alone. */
pyproxy_t* pgo_take_proxy(pyodide_value_t* v);
pyodide_value_t* pgo_at(pyodide_value_t* array, size_t i);
ptrdiff_t pgo_dim(const ptrdiff_t* array, size_t i);

/* Points the config's stdout_status_fn/stderr_status_fn/stdin_fn/terminal_size_fn at the Go
   writers, reader and terminal size of `handle`. */
void pgo_config_set_io(pyodide_config_t* config, int want_stdout, int want_stderr, int want_stdin,
                       int stdin_isatty, int want_terminal_size, uintptr_t handle);

/* pyodide_install with the Go message callback of `handle` (want_messages 0 = none). */
pyodide_error_t* pgo_install(pyodide_t* runtime, const char* const* requirements, size_t n, int want_messages,
                             uintptr_t handle);
/* pyodide_load_package and pyodide_load_packages_from_imports with the Go
   message and error callbacks of `handle` (0 = none). */
pyodide_error_t* pgo_load_package(pyodide_t* runtime, const char* const* names, size_t n, int want_messages,
                                  int want_errors, uintptr_t handle);
pyodide_error_t* pgo_load_packages_from_imports(pyodide_t* runtime, const char* code, size_t len, int want_messages,
                                                int want_errors, uintptr_t handle);

/* Host modules: member i of `members` named `name` is function number
   `function_index` of the Go module (< PGO_MAX_MODULE_FUNCTIONS), or the
   constant `value` when function_index is -1. The module's env is `handle`,
   released (goPyodideRelease) by the library's finalizer. */
#define PGO_MAX_MODULE_FUNCTIONS 256
void pgo_set_member(pyodide_host_member_t* members, size_t i, const char* name, int function_index,
                    const pyodide_value_t* value);
pyodide_error_t* pgo_register_module(pyodide_t* runtime, const char* name, const pyodide_host_member_t* members,
                                     size_t n, uintptr_t handle);

/* pyproxy_then / _catch / _finally with the Go callback of `handle`. */
enum { PGO_THEN, PGO_CATCH, PGO_FINALLY };
pyodide_error_t* pgo_chain(int which, pyproxy_t* awaitable, uintptr_t handle, pyproxy_t** out);

/* Host objects: a new class (calloc'ed, kept for the process) whose slots call
   the Go methods of the object's cgo handle; `slots` says which are set. */
enum {
  PGO_SLOT_GET_ATTR = 1, PGO_SLOT_SET_ATTR = 2, PGO_SLOT_CALL = 4, PGO_SLOT_GET_ITEM = 8,
  PGO_SLOT_SET_ITEM = 16, PGO_SLOT_LEN = 32, PGO_SLOT_DIR = 64, PGO_SLOT_ITER = 128, PGO_SLOT_NEXT = 256
};
pyodide_host_class_t* pgo_host_class_new(const char* name, unsigned slots, const char* const* methods, size_t nmethods);
void pgo_set_host(pyodide_value_t* v, const pyodide_host_class_t* cls, void* obj);
const pyodide_host_class_t* pgo_host_cls(const pyodide_value_t* v);
void* pgo_host_obj(const pyodide_value_t* v);
/* pyodide_host_object_new with the object's cgo handle as `obj`. */
pyodide_error_t* pgo_host_object_new(pyodide_t* runtime, const pyodide_host_class_t* cls, uintptr_t handle,
                                     pyproxy_t** out);
/* array[i] = *v: a borrowed copy. */
void pgo_copy_value(pyodide_value_t* array, size_t i, const pyodide_value_t* v);

#endif
