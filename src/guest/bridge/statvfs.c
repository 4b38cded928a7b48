/* os.statvfs, which CPython leaves out on WASI (wasi-libc has none), and
 * with it shutil.disk_usage, which shutil defines only where os.statvfs is:
 * scripts that check the free space before they write failed with an
 * AttributeError. The file system a path is on is the one its preopened
 * directory is on (a mount inside a mount is a preopen of its own), as the
 * host's statvfs describes it, with ST_RDONLY for a read-only directory.
 * python3's result type, fields, ST_* constants (Linux's) and errors. */
#include "bridge.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

__attribute__((import_module("pyodide"), import_name("file_system")))
extern int32_t host_file_system(int32_t preopen, uint64_t answer[11]);

/* The host's answer: Linux's struct statvfs, in its order. */
enum { BSIZE, FRSIZE, BLOCKS, BFREE, BAVAIL, FILES, FFREE, FAVAIL, FSID, FLAG, NAMEMAX, ANSWER_FIELDS };

static PyTypeObject* statvfs_result;

static PyStructSequence_Field fields[] = {
  {"f_bsize", NULL}, {"f_frsize", NULL}, {"f_blocks", NULL}, {"f_bfree", NULL}, {"f_bavail", NULL},
  {"f_files", NULL}, {"f_ffree", NULL}, {"f_favail", NULL}, {"f_flag", NULL}, {"f_namemax", NULL},
  {"f_fsid", NULL}, {0},
};

static PyStructSequence_Desc desc = {
  "os.statvfs_result",
  "statvfs_result: the file system a path is on, from statvfs.\n\n"
  "A 10-tuple (f_bsize, f_frsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree,\n"
  "f_favail, f_flag, f_namemax) whose items are also attributes, and f_fsid.",
  fields,
  10,
};

static PyObject* posix_statvfs(PyObject* self, PyObject* args, PyObject* kwargs) {
  static char* keywords[] = {"path", NULL};
  PyObject* arg;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O:statvfs", keywords, &arg)) return NULL;
  if (PyLong_Check(arg)) {
    /* python3's fstatvfs: a descriptor's file system, which the host is not asked. */
    int fd = _PyLong_AsInt(arg);
    if (fd == -1 && PyErr_Occurred()) return NULL;
    __wasi_fdstat_t stat;
    return raise_errno(PyExc_OSError, __wasi_fd_fdstat_get((__wasi_fd_t)fd, &stat) == 0 ? ENOTSUP : EBADF);
  }
  PyObject* bytes;
  if (path_argument(arg, "statvfs", &bytes) < 0) return NULL;
  const char* path = PyBytes_AS_STRING(bytes);
  struct stat st;
  char buffer[PATH_MAX];
  const char* relative;
  int preopen = stat(path, &st) == 0 ? preopen_path(path, buffer, &relative) : -1;
  Py_DECREF(bytes);
  if (preopen < 0) return PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, arg);
  uint64_t answer[ANSWER_FIELDS];
  int err = host_file_system(preopen, answer);
  if (err != 0) return raise_errno(PyExc_OSError, err);
  PyObject* result = PyStructSequence_New(statvfs_result);
  static const int order[] = {BSIZE, FRSIZE, BLOCKS, BFREE, BAVAIL, FILES, FFREE, FAVAIL, FLAG, NAMEMAX, FSID};
  for (int i = 0; result != NULL && i < (int)(sizeof order / sizeof order[0]); i++) {
    PyObject* value = PyLong_FromUnsignedLongLong(answer[order[i]]);
    if (value == NULL) Py_CLEAR(result);
    else PyStructSequence_SET_ITEM(result, i, value);
  }
  return result;
}

static PyMethodDef functions[] = {
  {"statvfs", (PyCFunction)(void (*)(void))posix_statvfs, METH_VARARGS | METH_KEYWORDS,
   "statvfs($module, /, path)\n--\n\n"
   "The file system path is on: block and inode counts, flags (ST_RDONLY for a read-only\n"
   "directory) and the longest name, as statvfs_result."},
  {NULL, NULL, 0, NULL},
};

/* Linux's flags, as python3's os has them. */
static const struct { const char* name; long value; } flags[] = {
  {"ST_RDONLY", 1}, {"ST_NOSUID", 2}, {"ST_NODEV", 4}, {"ST_NOEXEC", 8}, {"ST_SYNCHRONOUS", 16},
  {"ST_MANDLOCK", 64}, {"ST_WRITE", 128}, {"ST_APPEND", 256}, {"ST_NOATIME", 1024}, {"ST_NODIRATIME", 2048},
  {"ST_RELATIME", 4096},
};

int statvfs_install(void) {
  PyObject* posix = PyImport_ImportModule("posix");
  /* posixmodule makes the result type even where it has no statvfs: that one, if there. */
  PyObject* existing = posix != NULL ? PyObject_GetAttrString(posix, "statvfs_result") : NULL;
  if (existing == NULL) PyErr_Clear();
  statvfs_result = existing != NULL ? (PyTypeObject*)existing : PyStructSequence_NewType(&desc);
  int ok = statvfs_result != NULL && PyModule_AddFunctions(posix, functions) == 0 &&
           (existing != NULL || PyModule_AddObjectRef(posix, "statvfs_result", (PyObject*)statvfs_result) == 0);
  for (size_t i = 0; ok && i < sizeof flags / sizeof flags[0]; i++)
    ok = PyModule_AddIntConstant(posix, flags[i].name, flags[i].value) == 0;
  /* os copied posix's names when it was imported, before these were there. */
  ok = ok && os_publish("statvfs") == 0 && os_publish("statvfs_result") == 0;
  for (size_t i = 0; ok && i < sizeof flags / sizeof flags[0]; i++) ok = os_publish(flags[i].name) == 0;
  Py_XDECREF(posix);
  return ok ? 0 : -1;
}
