/* The fcntl module, which CPython does not build for WASI (WASI has no file
 * locks, and wasi-libc's fcntl knows only the descriptor and status flags).
 * Code that imports it unconditionally (file locks around a shared file, a
 * terminal's size by ioctl) failed at the import. Here, with python3's names,
 * Linux's numbers, and python3's argument handling and errors:
 *  - flock and lockf lock the host's file (the host's flock, and Linux's
 *    open-file-description record locks for lockf and fcntl's F_*LK), so
 *    runtimes and processes sharing a mounted directory exclude each other.
 *    A lock belongs to the open file, as flock's always do: closing the file,
 *    or ending the runtime, releases it; and two files opened on one path in
 *    one program exclude each other, where python3's POSIX record locks would
 *    not. The host never waits: a blocking request is retried here between
 *    sleeps of at most 10 ms, so deadlines, pyodide_interrupt and signal
 *    handlers act while it waits. Only files the host serves
 *    (bridge/files.c: the regular files opened beneath the preopens) have
 *    locks; any other open descriptor gives ENOLCK.
 *  - fcntl's F_GETFD, F_SETFD, F_GETFL and F_SETFL are wasi-libc's (the flags
 *    are os.O_*'s, which are WASI's numbers); the lock commands take python3's
 *    packed struct flock, laid out as a C compiler lays it out for wasm32:
 *    struct.pack('hhxxxxqqixxxx', type, whence, start, len, pid). Other
 *    commands fail as wasi-libc's fcntl fails (EINVAL): WASI cannot duplicate
 *    descriptors, nor has pipes, leases or signals to ask about.
 *  - ioctl answers TIOCGWINSZ for the standard streams (the size of the
 *    host's terminal, as os.get_terminal_size); anything else is ENOTTY. */
#include "bridge.h"

#include <errno.h>
#include <fcntl.h>
#include <time.h>

__attribute__((import_module("pyodide"), import_name("file_lock")))
extern int32_t host_file_lock(int32_t file, int32_t command, void* request);
__attribute__((import_module("pyodide"), import_name("terminal_size")))
extern int32_t host_terminal_size(int32_t fd);

/* Linux's numbers, as python3's fcntl has them. */
enum { LOCK_SHARED = 1, LOCK_EXCLUSIVE = 2, LOCK_NONBLOCKING = 4, LOCK_UNLOCK = 8 };
enum { RECORD_READ = 0, RECORD_WRITE = 1, RECORD_UNLOCK = 2 };
enum {
  CMD_GETLK = 5, CMD_SETLK = 6, CMD_SETLKW = 7, CMD_OFD_GETLK = 36, CMD_OFD_SETLK = 37, CMD_OFD_SETLKW = 38,
};
#define REQUEST_TIOCGWINSZ 0x5413u
/* The most bytes fcntl and ioctl take as a buffer argument, as python3's. */
#define ARG_BUFFER 1024

/* What file_lock does (its `command`). */
enum { HOST_FLOCK = 0, HOST_SET = 1, HOST_GET = 2 };

/* The host's lock request (Guest/OpenFiles.cs, LockRequest). */
typedef struct {
  int32_t type, whence;
  int64_t start, length;
  int32_t pid, padding;
} lock_request_t;

/* struct flock as python3's callers pack it for this platform (wasm32). */
typedef struct {
  short l_type, l_whence;
  int64_t l_start, l_len;
  int32_t l_pid;
} guest_flock_t;

/* Carries out `command` on descriptor `fd`'s lock, waiting while another
 * file's lock is in the way if `wait`. The host never waits (it would hold the
 * runtime where no deadline or interrupt reaches it): the guest sleeps between
 * tries, and after each sleep raises what the interpreter's next check would
 * (an interrupt or a deadline's KeyboardInterrupt, a signal handler's error),
 * as the read of stdin does (runtime.c). 0, or -1 with an exception. */
static int lock(int fd, int command, lock_request_t* request, int wait) {
  int32_t file = files_host_number((uint32_t)fd);
  if (file < 0) {
    __wasi_fdstat_t stat;
    raise_errno(PyExc_OSError, __wasi_fd_fdstat_get((__wasi_fd_t)fd, &stat) == __WASI_ERRNO_SUCCESS ? ENOLCK : EBADF);
    return -1;
  }
  long slice_ns = 1000000; /* doubled up to 10 ms, the slice time.sleep sleeps in */
  while (1) {
    int32_t err = host_file_lock(file, command, request);
    if (err == 0) return 0;
    if (err != EAGAIN || !wait) {
      raise_errno(PyExc_OSError, err);
      return -1;
    }
    struct timespec slice = {0, slice_ns};
    nanosleep(&slice, NULL);
    if (interrupt_raise_pending() < 0 || PyErr_CheckSignals() < 0) return -1;
    if (slice_ns < 10000000) slice_ns *= 2;
  }
}

static PyObject* fcntl_flock(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  if (!_PyArg_CheckPositional("flock", nargs, 2, 2)) return NULL;
  int fd = PyObject_AsFileDescriptor(args[0]);
  if (fd < 0) return NULL;
  int operation = _PyLong_AsInt(args[1]);
  if (operation == -1 && PyErr_Occurred()) return NULL;
  if (PySys_Audit("fcntl.flock", "ii", fd, operation) < 0) return NULL;
  lock_request_t request = {.type = operation & ~LOCK_NONBLOCKING};
  if (lock(fd, HOST_FLOCK, &request, !(operation & LOCK_NONBLOCKING)) < 0) return NULL;
  Py_RETURN_NONE;
}

static PyObject* fcntl_lockf(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  if (!_PyArg_CheckPositional("lockf", nargs, 2, 5)) return NULL;
  int fd = PyObject_AsFileDescriptor(args[0]);
  if (fd < 0) return NULL;
  int code = _PyLong_AsInt(args[1]);
  if (code == -1 && PyErr_Occurred()) return NULL;
  PyObject* length = nargs > 2 ? args[2] : NULL;
  PyObject* start = nargs > 3 ? args[3] : NULL;
  int whence = 0;
  if (nargs > 4 && (whence = _PyLong_AsInt(args[4])) == -1 && PyErr_Occurred()) return NULL;
  if (PySys_Audit("fcntl.lockf", "iiOOi", fd, code, length ? length : Py_None, start ? start : Py_None, whence) < 0)
    return NULL;
  lock_request_t request = {.whence = whence};
  if (code == LOCK_UNLOCK) request.type = RECORD_UNLOCK;
  else if (code & LOCK_SHARED) request.type = RECORD_READ;
  else if (code & LOCK_EXCLUSIVE) request.type = RECORD_WRITE;
  else {
    PyErr_SetString(PyExc_ValueError, "unrecognized lockf argument");
    return NULL;
  }
  if (start != NULL && (request.start = PyLong_AsLongLong(start)) == -1 && PyErr_Occurred()) return NULL;
  if (length != NULL && (request.length = PyLong_AsLongLong(length)) == -1 && PyErr_Occurred()) return NULL;
  if (lock(fd, HOST_SET, &request, !(code & LOCK_NONBLOCKING)) < 0) return NULL;
  Py_RETURN_NONE;
}

static int is_lock_command(int code) {
  return code == CMD_GETLK || code == CMD_SETLK || code == CMD_SETLKW || code == CMD_OFD_GETLK ||
         code == CMD_OFD_SETLK || code == CMD_OFD_SETLKW;
}

/* A lock command on `fd` with the struct flock in `buf`, which a get rewrites. */
static int record_lock(int fd, int code, char* buf) {
  guest_flock_t flock;
  memcpy(&flock, buf, sizeof flock);
  lock_request_t request = {flock.l_type, flock.l_whence, flock.l_start, flock.l_len, 0, 0};
  int get = code == CMD_GETLK || code == CMD_OFD_GETLK;
  if (lock(fd, get ? HOST_GET : HOST_SET, &request, code == CMD_SETLKW || code == CMD_OFD_SETLKW) < 0) return -1;
  if (get) {
    flock = (guest_flock_t){(short)request.type, (short)request.whence, request.start, request.length, request.pid};
    memcpy(buf, &flock, sizeof flock);
  }
  return 0;
}

static PyObject* fcntl_fcntl(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  if (!_PyArg_CheckPositional("fcntl", nargs, 2, 3)) return NULL;
  int fd = PyObject_AsFileDescriptor(args[0]);
  if (fd < 0) return NULL;
  int code = _PyLong_AsInt(args[1]);
  if (code == -1 && PyErr_Occurred()) return NULL;
  PyObject* arg = nargs > 2 ? args[2] : NULL;
  if (PySys_Audit("fcntl.fcntl", "iiO", fd, code, arg ? arg : Py_None) < 0) return NULL;

  const char* str;
  Py_ssize_t len;
  if (arg != NULL && PyArg_Parse(arg, "s#", &str, &len)) {
    /* A buffer: the call sees a copy, and the result is the copy afterwards. */
    char buf[ARG_BUFFER + sizeof(guest_flock_t)] = {0};
    if ((size_t)len > ARG_BUFFER) {
      PyErr_SetString(PyExc_ValueError, "fcntl string arg too long");
      return NULL;
    }
    memcpy(buf, str, (size_t)len);
    if (is_lock_command(code)) {
      if (record_lock(fd, code, buf) < 0) return NULL;
    } else if (fcntl(fd, code, (int)(intptr_t)buf) == -1) {
      return PyErr_SetFromErrno(PyExc_OSError);
    }
    return PyBytes_FromStringAndSize(buf, len);
  }
  PyErr_Clear();
  int int_arg = 0;
  if (arg != NULL && !PyArg_Parse(arg,
                                  "i;fcntl requires a file or file descriptor, an integer "
                                  "and optionally a third integer or a string",
                                  &int_arg))
    return NULL;
  /* An integer where a struct flock's address belongs: what Linux says of a bad address. */
  if (is_lock_command(code)) return raise_errno(PyExc_OSError, EFAULT);
  int result = fcntl(fd, code, int_arg);
  if (result == -1) return PyErr_SetFromErrno(PyExc_OSError);
  return PyLong_FromLong(result);
}

/* ioctl's one request, TIOCGWINSZ, into the 8 bytes at `winsize`; 0 or an errno. */
static int window_size(int fd, unsigned request, unsigned char* winsize) {
  uint32_t size = request == REQUEST_TIOCGWINSZ && fd >= 0 && fd <= 2 ? (uint32_t)host_terminal_size(fd) : 0;
  if (size == 0) return ENOTTY;
  unsigned short rows = (unsigned short)(size & 0xFFFF), columns = (unsigned short)(size >> 16);
  unsigned short fields[4] = {rows, columns, 0, 0};
  memcpy(winsize, fields, sizeof fields);
  return 0;
}

static PyObject* fcntl_ioctl(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  if (!_PyArg_CheckPositional("ioctl", nargs, 2, 4)) return NULL;
  int fd = PyObject_AsFileDescriptor(args[0]);
  if (fd < 0) return NULL;
  unsigned request = (unsigned)PyLong_AsUnsignedLongMask(args[1]);
  if (PyErr_Occurred()) return NULL;
  PyObject* arg = nargs > 2 ? args[2] : NULL;
  int mutate = nargs > 3 ? PyObject_IsTrue(args[3]) : 1;
  if (mutate < 0) return NULL;
  if (PySys_Audit("fcntl.ioctl", "iIO", fd, request, arg ? arg : Py_None) < 0) return NULL;

  unsigned char buf[ARG_BUFFER + 8] = {0};
  Py_buffer view;
  if (arg != NULL && mutate && PyObject_GetBuffer(arg, &view, PyBUF_WRITABLE) == 0) {
    /* A writable buffer, filled in place; the result is the call's, 0. */
    unsigned char* target = view.len >= 8 ? view.buf : buf;
    int err = window_size(fd, request, target);
    if (err == 0 && target == buf) memcpy(view.buf, buf, (size_t)view.len);
    PyBuffer_Release(&view);
    if (err != 0) return raise_errno(PyExc_OSError, err);
    return PyLong_FromLong(0);
  }
  PyErr_Clear();
  const char* str;
  Py_ssize_t len;
  if (arg != NULL && PyArg_Parse(arg, "s#", &str, &len)) {
    if ((size_t)len > ARG_BUFFER) {
      PyErr_SetString(PyExc_ValueError, "ioctl string arg too long");
      return NULL;
    }
    memcpy(buf, str, (size_t)len);
    int err = window_size(fd, request, buf);
    if (err != 0) return raise_errno(PyExc_OSError, err);
    return PyBytes_FromStringAndSize((const char*)buf, len);
  }
  PyErr_Clear();
  int int_arg = 0;
  if (arg != NULL && !PyArg_Parse(arg,
                                  "i;ioctl requires a file or file descriptor, an integer "
                                  "and optionally an integer or buffer argument",
                                  &int_arg))
    return NULL;
  /* An integer where the winsize's address belongs: EFAULT where the request
   * would be answered, its own error (ENOTTY) where not. */
  return raise_errno(PyExc_OSError, window_size(fd, request, buf) == 0 ? EFAULT : ENOTTY);
}

static PyMethodDef fcntl_methods[] = {
  {"fcntl", (PyCFunction)(void (*)(void))fcntl_fcntl, METH_FASTCALL,
   "fcntl($module, fd, cmd, arg=0, /)\n--\n\n"
   "Performs cmd on file descriptor fd: F_GETFD, F_SETFD, F_GETFL and F_SETFL with an\n"
   "integer arg; the record locks (F_GETLK, F_SETLK, F_SETLKW and their F_OFD_ forms) with\n"
   "a packed struct flock as bytes, returning it as the call left it."},
  {"ioctl", (PyCFunction)(void (*)(void))fcntl_ioctl, METH_FASTCALL,
   "ioctl($module, fd, request, arg=0, mutate_flag=True, /)\n--\n\n"
   "Performs request on file descriptor fd. In the sandbox only termios.TIOCGWINSZ, on\n"
   "a standard stream shown on a terminal: a writable buffer is filled in place (with\n"
   "mutate_flag), any other buffer is answered with a filled copy."},
  {"flock", (PyCFunction)(void (*)(void))fcntl_flock, METH_FASTCALL,
   "flock($module, fd, operation, /)\n--\n\n"
   "Takes (LOCK_SH, LOCK_EX) or releases (LOCK_UN) a lock on the whole file fd; with\n"
   "LOCK_NB, BlockingIOError instead of waiting for another file's lock."},
  {"lockf", (PyCFunction)(void (*)(void))fcntl_lockf, METH_FASTCALL,
   "lockf($module, fd, cmd, len=0, start=0, whence=0, /)\n--\n\n"
   "Takes (LOCK_SH, LOCK_EX) or releases (LOCK_UN) a lock on len bytes of fd from start\n"
   "(relative to whence, as for os.lseek; len 0: to the end and beyond); with LOCK_NB,\n"
   "an OSError instead of waiting for another file's lock."},
  {NULL, NULL, 0, NULL},
};

static struct PyModuleDef fcntl_module = {
  PyModuleDef_HEAD_INIT, "fcntl",
  "File control and file locks on file descriptors (or objects with a fileno()\n"
  "method), with Linux's numbers. Locks are the host's, and belong to the open file.",
  -1, fcntl_methods,
};

PyObject* PyInit_fcntl(void) {
  PyObject* module = PyModule_Create(&fcntl_module);
  static const struct { const char* name; int value; } constants[] = {
    {"FD_CLOEXEC", FD_CLOEXEC}, {"F_GETFD", F_GETFD}, {"F_SETFD", F_SETFD}, {"F_GETFL", F_GETFL},
    {"F_SETFL", F_SETFL}, {"F_GETLK", CMD_GETLK}, {"F_SETLK", CMD_SETLK}, {"F_SETLKW", CMD_SETLKW},
    {"F_GETLK64", CMD_GETLK}, {"F_SETLK64", CMD_SETLK}, {"F_SETLKW64", CMD_SETLKW},
    {"F_OFD_GETLK", CMD_OFD_GETLK}, {"F_OFD_SETLK", CMD_OFD_SETLK}, {"F_OFD_SETLKW", CMD_OFD_SETLKW},
    {"F_RDLCK", RECORD_READ}, {"F_WRLCK", RECORD_WRITE}, {"F_UNLCK", RECORD_UNLOCK},
    {"LOCK_SH", LOCK_SHARED}, {"LOCK_EX", LOCK_EXCLUSIVE}, {"LOCK_NB", LOCK_NONBLOCKING}, {"LOCK_UN", LOCK_UNLOCK},
  };
  for (size_t i = 0; module != NULL && i < sizeof constants / sizeof constants[0]; i++)
    if (PyModule_AddIntConstant(module, constants[i].name, constants[i].value) < 0) Py_CLEAR(module);
  return module;
}
