/* File modes and owners, which WASI does not have.
 *
 * CPython 3.11 makes os.chmod do nothing on WASI, and WASI makes every file
 * 0666 and every directory 0777 less the host's umask: a script made
 * executable in a mounted directory, an archive's executables extracted
 * there (tarfile) and shutil.copy2's copies lost their bits on the host, and
 * tempfile's files (0600) and directories (0700) were readable by all. Here
 * os.chmod, and os.fchmod (missing), set a file's bits through the host
 * (imports path_set_mode, file_set_mode), stat reports them (stat.c), and
 * os.open, open() and os.mkdir make files with the mode asked less os.umask
 * below (files.c, paths.c), as on Linux. os.chown, lchown and fchown
 * (missing) answer as Linux answers an ordinary user. python3's arguments,
 * audit events and errors: EROFS in a read-only directory, ENOENT for a
 * missing file, NotImplementedError for a link itself (follow_symlinks=False:
 * Linux keeps no modes for links) and for dir_fd, which this build's os does
 * not list as supported. */
#include "bridge.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

__attribute__((import_module("pyodide"), import_name("path_set_mode")))
extern int32_t host_path_set_mode(int32_t preopen, int32_t follow, const char* path, uint32_t len, int32_t mode);

/* fchmod: the file must be one the host serves (the files programs open);
 * another descriptor that is open (a directory, a standard stream) cannot
 * have its bits set here (ENOTSUP). */
static PyObject* set_fd_mode(PyObject* fd_arg, int mode) {
  int fd = _PyLong_AsInt(fd_arg);
  if (fd == -1 && PyErr_Occurred()) return NULL;
  if (PySys_Audit("os.chmod", "iii", fd, mode, -1) < 0) return NULL;
  __wasi_fdstat_t stat;
  int err = fd < 0 ? EBADF
            : files_is_open((uint32_t)fd) ? files_set_mode((uint32_t)fd, mode)
            : __wasi_fd_fdstat_get((__wasi_fd_t)fd, &stat) == 0 ? ENOTSUP : EBADF;
  if (err != 0) return raise_errno(PyExc_OSError, err);
  Py_RETURN_NONE;
}

static PyObject* posix_chmod(PyObject* self, PyObject* args, PyObject* kwargs) {
  (void)self;
  static char* keywords[] = {"path", "mode", "dir_fd", "follow_symlinks", NULL};
  PyObject *arg, *dir_fd = Py_None;
  int mode, follow = 1;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Oi|$Op:chmod", keywords, &arg, &mode, &dir_fd, &follow))
    return NULL;
  if (dir_fd != Py_None) return PyErr_Format(PyExc_NotImplementedError, "dir_fd unavailable on this platform");
  if (PyLong_Check(arg)) return set_fd_mode(arg, mode);
  PyObject* bytes;
  if (path_argument(arg, "chmod", &bytes) < 0) return NULL;
  if (PySys_Audit("os.chmod", "Oii", arg, mode, -1) < 0) {
    Py_DECREF(bytes);
    return NULL;
  }
  char buffer[PATH_MAX];
  const char* relative;
  int preopen = preopen_path(PyBytes_AS_STRING(bytes), buffer, &relative);
  int err = preopen < 0 ? errno : host_path_set_mode(preopen, follow, relative, (uint32_t)strlen(relative), mode);
  Py_DECREF(bytes);
  if (err == -1) err = ENOTSUP; /* a file the host cannot reach */
  if (err == ENOTSUP && !follow)
    return PyErr_Format(PyExc_NotImplementedError, "chmod: follow_symlinks unavailable on this platform");
  if (err != 0) {
    errno = err;
    return PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, arg);
  }
  Py_RETURN_NONE;
}

/* chown as Linux answers the sandbox's user, an ordinary one who owns every
 * file (stat says so): giving a file to the user and the user's group (1000,
 * or -1 to keep either) changes nothing and succeeds; anyone else is EPERM. A
 * missing file is ENOENT, a read-only directory EROFS; nothing on the host
 * changes. `path` NULL: the descriptor `fd`. */
static PyObject* change_owner(PyObject* path, int fd, long uid, long gid, int follow) {
  enum { USER = 1000 };
  if (PySys_Audit("os.chown", "Olli", path != NULL ? path : Py_None, uid, gid, -1) < 0) return NULL;
  int err = 0;
  struct stat st;
  if (path == NULL) {
    if (fstat(fd, &st) != 0) err = errno;
  } else {
    PyObject* bytes;
    if (path_argument(path, follow ? "chown" : "lchown", &bytes) < 0) return NULL;
    char buffer[PATH_MAX];
    const char* relative;
    const char* name = PyBytes_AS_STRING(bytes);
    int preopen = (follow ? stat(name, &st) : lstat(name, &st)) == 0 ? preopen_path(name, buffer, &relative) : -1;
    err = preopen < 0 ? errno : host_preopen_read_only(preopen) ? EROFS : 0;
    Py_DECREF(bytes);
  }
  if (err == 0 && ((uid != -1 && uid != USER) || (gid != -1 && gid != USER))) err = EPERM;
  if (err == 0) Py_RETURN_NONE;
  errno = err;
  return path != NULL ? PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path) : PyErr_SetFromErrno(PyExc_OSError);
}

static PyObject* posix_chown(PyObject* self, PyObject* args, PyObject* kwargs) {
  (void)self;
  static char* keywords[] = {"path", "uid", "gid", "dir_fd", "follow_symlinks", NULL};
  PyObject *path, *dir_fd = Py_None;
  long uid, gid;
  int follow = 1;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Oll|$Op:chown", keywords, &path, &uid, &gid, &dir_fd, &follow))
    return NULL;
  if (dir_fd != Py_None) return PyErr_Format(PyExc_NotImplementedError, "dir_fd unavailable on this platform");
  if (!PyLong_Check(path)) return change_owner(path, -1, uid, gid, follow);
  int fd = _PyLong_AsInt(path);
  return fd == -1 && PyErr_Occurred() ? NULL : change_owner(NULL, fd, uid, gid, 1);
}

static PyObject* posix_lchown(PyObject* self, PyObject* args, PyObject* kwargs) {
  (void)self;
  static char* keywords[] = {"path", "uid", "gid", NULL};
  PyObject* path;
  long uid, gid;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Oll:lchown", keywords, &path, &uid, &gid)) return NULL;
  return change_owner(path, -1, uid, gid, 0);
}

static PyObject* posix_fchown(PyObject* self, PyObject* args, PyObject* kwargs) {
  (void)self;
  static char* keywords[] = {"fd", "uid", "gid", NULL};
  int fd;
  long uid, gid;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "ill:fchown", keywords, &fd, &uid, &gid)) return NULL;
  return change_owner(NULL, fd, uid, gid, 1);
}

static PyObject* posix_fchmod(PyObject* self, PyObject* args, PyObject* kwargs) {
  (void)self;
  static char* keywords[] = {"fd", "mode", NULL};
  PyObject* fd;
  int mode;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!i:fchmod", keywords, &PyLong_Type, &fd, &mode)) return NULL;
  return set_fd_mode(fd, mode);
}

/* The file mode creation mask, which files and directories the program makes
 * lose from their mode (files.c, paths.c): the host process's, as python3
 * inherits its shell's, asked when a runtime first needs it, until the
 * program sets its own with os.umask. -1: not asked yet. */
static int creation_mask = -1;
static int mask_set_by_program;

__attribute__((import_module("pyodide"), import_name("process_umask")))
extern int32_t host_process_umask(void);

static int current_mask(void) {
  if (creation_mask < 0) creation_mask = host_process_umask() & 0777;
  return creation_mask;
}

void chmod_restored(void) {
  /* A copy may run in another process, under another umask. Written only if
   * needed, so a restore does not copy this page for nothing. */
  if (!mask_set_by_program && creation_mask >= 0) creation_mask = -1;
}

int created_mode(int mode) { return mode & ~current_mask() & 07777; }

static PyObject* posix_umask(PyObject* self, PyObject* arg) {
  (void)self;
  int mask = _PyLong_AsInt(arg);
  if (mask == -1 && PyErr_Occurred()) return NULL;
  int old = current_mask();
  creation_mask = mask & 0777;
  mask_set_by_program = 1;
  return PyLong_FromLong(old);
}

static PyMethodDef functions[] = {
  {"umask", posix_umask, METH_O, "umask($module, mask, /)\n--\n\nSet the current numeric umask and return the previous umask."},
  {"chmod", (PyCFunction)(void (*)(void))posix_chmod, METH_VARARGS | METH_KEYWORDS,
   "chmod($module, /, path, mode, *, dir_fd=None, follow_symlinks=True)\n--\n\n"
   "Change the access permissions of a file."},
  {"fchmod", (PyCFunction)(void (*)(void))posix_fchmod, METH_VARARGS | METH_KEYWORDS,
   "fchmod($module, /, fd, mode)\n--\n\n"
   "Change the access permissions of the file given by file descriptor fd."},
  {"chown", (PyCFunction)(void (*)(void))posix_chown, METH_VARARGS | METH_KEYWORDS,
   "chown($module, /, path, uid, gid, *, dir_fd=None, follow_symlinks=True)\n--\n\n"
   "Change the owner and group id of path to the numeric uid and gid."},
  {"lchown", (PyCFunction)(void (*)(void))posix_lchown, METH_VARARGS | METH_KEYWORDS,
   "lchown($module, /, path, uid, gid)\n--\n\n"
   "Change the owner and group id of path to the numeric uid and gid, not following links."},
  {"fchown", (PyCFunction)(void (*)(void))posix_fchown, METH_VARARGS | METH_KEYWORDS,
   "fchown($module, /, fd, uid, gid)\n--\n\n"
   "Change the owner and group id of the file specified by file descriptor."},
  {NULL, NULL, 0, NULL},
};

int chmod_install(void) {
  PyObject* posix = PyImport_ImportModule("posix");
  int ok = posix != NULL && PyModule_AddFunctions(posix, functions) == 0;
  Py_XDECREF(posix);
  /* os's chmod is still the one that did nothing. */
  for (PyMethodDef* f = functions; ok && f->ml_name != NULL; f++) ok = os_publish(f->ml_name) == 0;
  return ok ? 0 : -1;
}
