/* Snapshots: the host may copy an initialised interpreter's linear memory and
 * start further interpreters from copies of it instead of starting Python
 * again (Guest/GuestSnapshot.cs). Each copy gets a hash secret of its own:
 * while the original starts, CPython registers every dict keys table, set and
 * hashed str (cpython-patches/snapshot-rehash.patch), so a copy can install a
 * new secret and rehash them. */
#define Py_BUILD_CORE 1
#include "bridge.h"

#include <unistd.h>
#include <wasi/api.h>

#include "internal/pycore_pyn_snapshot.h"

/* The most file descriptors seal looks at. */
#define SEAL_FD_LIMIT 64

/* Called by pyn_init before Python starts, when the host asked for a snapshot. */
int snapshot_start_recording(void) {
  return _PyPyn_StartRecording() < 0 ? error_store_c("MemoryError", "cannot record for a snapshot") : 0;
}

/* Calls pyodide._bridge.<name>() and drops the result; -1 with the error stored. */
static int call_bridge(const char* name) {
  PyObject* bridge = PyImport_ImportModule("pyodide._bridge");
  PyObject* result = bridge ? PyObject_CallMethod(bridge, name, NULL) : NULL;
  Py_XDECREF(bridge);
  if (!result) return error_store();
  Py_DECREF(result);
  return 0;
}

/* Ends recording: the interpreter's memory may now be copied. Fails (and the
 * host then takes no snapshot; the registry is dropped) if state a copy could
 * not carry exists: open files other than the host's `open_fds` preopened
 * directories (a copy gets only those), caches holding old hashes the rehash
 * cannot reach, or a registry that could not take everything. */
PYN_EXPORT(pyn_snapshot_seal) int32_t pyn_snapshot_seal(int32_t open_fds) {
  keep_clear();
  int open = 0;
  for (int fd = 3; fd < SEAL_FD_LIMIT; fd++) {
    __wasi_fdstat_t stat;
    if (__wasi_fd_fdstat_get((__wasi_fd_t)fd, &stat) == 0) open++;
  }
  int status;
  if (open != open_fds) {
    PyErr_Format(PyExc_RuntimeError, "%d files are open beyond stdio, not the %d preopened directories: a copy would lack them", open, (int)open_fds);
    status = error_store();
  } else if (call_bridge("snapshot_seal") < 0) {
    status = -1;
  } else if (_PyPyn_StopRecording() < 0) {
    status = error_store_c("MemoryError", "the snapshot's table registry is incomplete");
  } else {
    return 0;
  }
  _PyPyn_Forget();
  return status;
}

/* In the interpreter that was sealed, after its memory was copied (or when
 * no copy is wanted): drops the registry. */
PYN_EXPORT(pyn_snapshot_forget) void pyn_snapshot_forget(void) { _PyPyn_Forget(); }

/* In a copy, first thing: a new hash secret, every registered table rehashed
 * under it, and the runtime's own state (pyodide._bridge.snapshot_restored).
 * On failure the copy is unusable. */
PYN_EXPORT(pyn_snapshot_restore) int32_t pyn_snapshot_restore(void) {
  keep_clear();
  if (getentropy(&_Py_HashSecret, sizeof(_Py_HashSecret)) != 0) {
    _PyPyn_Forget();
    return error_store_c("OSError", "no entropy for a new hash secret");
  }
  if (_PyPyn_Rehash() < 0) return error_store();
  return call_bridge("snapshot_restored");
}
