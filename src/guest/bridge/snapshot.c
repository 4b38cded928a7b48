/* Snapshots: the host may copy an interpreter's linear memory (right after it
 * starts, or when a user saves it) and start further interpreters from copies
 * of it instead of starting Python again (Guest/GuestSnapshot.cs). Each copy
 * gets a hash secret of its own: from before Py_Initialize on, CPython
 * registers every dict keys table, set and hashed str
 * (cpython-patches/snapshot-rehash.patch), so a copy can install a new secret
 * and rehash them. */
#define Py_BUILD_CORE 1
#include "bridge.h"

#include <stdlib.h>
#include <unistd.h>
#include <wasi/api.h>
#include <wasi/libc.h>

#include "internal/pycore_pyn_snapshot.h"

/* The most file descriptors seal and restore look at. */
#define FD_LIMIT 64

/* Called by pyn_init before Python starts, when the host asked for snapshots. */
int snapshot_start_recording(void) {
  return _PyPyn_StartRecording() < 0 ? error_store_c("MemoryError", "cannot record for a snapshot") : 0;
}

/* Calls pyodide._bridge.<name>() and drops the result; -1 with the error
 * stored. The module is pyn_init's: an import here would cost a copy's
 * restore more than the call. */
static int call_bridge(const char* name) {
  PyObject* result = PyObject_CallMethod(bridge_module, name, NULL);
  if (!result) return error_store();
  Py_DECREF(result);
  return 0;
}

/* A seal that failed, its error stored already: drops what snapshot_seal kept.
 * Returns -1. */
static int seal_failed(void) {
  call_bridge("snapshot_saved");
  return -1;
}

/* Readies the interpreter for its memory to be copied. Fails (and the host
 * takes no snapshot) if state a copy could not carry exists: what
 * pyodide._bridge.snapshot_seal refuses (naming the object's type), open
 * files other than the host's `open_fds` preopened directories, WASI's or
 * host-served (a copy gets only its own host's; counted after snapshot_seal,
 * which closes the runtime's own), or a registry that could not take
 * everything. On success the host copies the memory, then calls
 * pyn_snapshot_forget; recording goes on. */
PYN_EXPORT(pyn_snapshot_seal) int32_t pyn_snapshot_seal(int32_t open_fds) {
  keep_clear();
  if (call_bridge("snapshot_seal") < 0) return seal_failed();
  int open = (int)files_count();
  for (int fd = 3; fd < FD_LIMIT; fd++) {
    __wasi_fdstat_t stat;
    if (__wasi_fd_fdstat_get((__wasi_fd_t)fd, &stat) == 0) open++;
  }
  if (open != open_fds) {
    PyErr_Format(PyExc_RuntimeError,
                 "%d file(s) are open beyond stdio and the %d preopened directories: close them before saving",
                 open - (int)open_fds, (int)open_fds);
    error_store();
    return seal_failed();
  }
  if (_PyPyn_Complete() < 0) {
    error_store_c("MemoryError", "the interpreter's hash registry is incomplete (it ran out of memory)");
    return seal_failed();
  }
  /* Last: nothing may register or free a hashed object after it. */
  if (_PyPyn_Seal() < 0) {
    call_bridge("snapshot_saved");
    return error_store_c("MemoryError", "no memory to seal the interpreter's hash registry");
  }
  return 0;
}

/* In the interpreter that was sealed, after its memory was copied: drops
 * what sealing kept. */
PYN_EXPORT(pyn_snapshot_forget) void pyn_snapshot_forget(void) {
  _PyPyn_Unseal();
  keep_clear();
  if (call_bridge("snapshot_saved") < 0) PyErr_Clear();
}

/* Makes this copy's preopened directories from `first_fd` on (its host's
 * mounts, which the saving interpreter did not have) known to wasi-libc. */
static int register_mounts(int32_t first_fd) {
  for (int fd = first_fd; fd < FD_LIMIT; fd++) {
    __wasi_prestat_t prestat;
    if (__wasi_fd_prestat_get((__wasi_fd_t)fd, &prestat) != 0) break;
    if (prestat.tag != __WASI_PREOPENTYPE_DIR) continue;
    size_t len = prestat.u.dir.pr_name_len;
    char* name = malloc(len + 1);
    if (!name) return error_store_c("MemoryError", "no memory for a mount's name");
    int failed = __wasi_fd_prestat_dir_name((__wasi_fd_t)fd, (uint8_t*)name, len) != 0;
    name[len] = '\0';
    if (!failed) failed = __wasilibc_register_preopened_fd(fd, name) != 0;
    free(name);
    if (failed) return error_store_c("OSError", "cannot register a mounted directory");
  }
  return 0;
}

/* In a copy, first thing: a new hash secret, every registered table rehashed
 * under it, the saving host's handles released and its host functions
 * orphaned, this host's mounts from `first_mount_fd` on registered, and the
 * runtime's own state (pyodide._bridge.snapshot_restored). On failure the
 * copy is unusable. */
PYN_EXPORT(pyn_snapshot_restore) int32_t pyn_snapshot_restore(int32_t first_mount_fd) {
  keep_clear();
  if (getentropy(&_Py_HashSecret, sizeof(_Py_HashSecret)) != 0)
    return error_store_c("OSError", "no entropy for a new hash secret");
  if (_PyPyn_Rehash() < 0) return error_store();
  handle_release_all();
  host_functions_orphan();
  if (register_mounts(first_mount_fd) < 0) return -1;
  stdio_restored();
  stat_restored();
  chmod_restored();
  return call_bridge("snapshot_restored");
}

/* _pyodide_core.snapshot_rehash(obj): the hashes an lru_cache wrapper or an
 * OrderedDict keeps outside its dict, recomputed. */
PyObject* snapshot_rehash(PyObject* self, PyObject* obj) {
  (void)self;
  int done = _PyPyn_RehashLruCache(obj);
  if (done == 0) done = _PyPyn_RehashODict(obj);
  if (done < 0) return NULL;
  if (done == 0) return PyErr_Format(PyExc_TypeError, "cannot rehash a %.200s", Py_TYPE(obj)->tp_name);
  Py_RETURN_NONE;
}
