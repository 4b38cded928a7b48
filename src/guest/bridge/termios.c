/* The termios module, which CPython does not build for WASI (WASI has no
 * terminals). Without it getpass.getpass() fell back to reading with echo on
 * (a password shown as it was typed, after a GetPassWarning), and tty.setraw,
 * "press any key" prompts and the like failed at the import. The terminal a
 * runtime's standard stream shows on is the host's (Guest/HostTerminal.cs:
 * the process's own descriptor of that number, when the stream says it is a
 * terminal), read and set through the terminal import, and put back as it was
 * when the runtime ends. Any other descriptor is no terminal (ENOTTY, EBADF
 * for one that is not open), as a file or a pipe is to python3. Python's
 * names, Linux's numbers, and python3's argument handling and errors. */
#include "bridge.h"

#include <errno.h>

enum { FLAG_ICANON = 0x2, INDEX_VTIME = 5, INDEX_VMIN = 6 };

__attribute__((import_module("pyodide"), import_name("terminal")))
extern int32_t host_terminal(int32_t fd, int32_t command, terminal_request_t* request);

static PyObject* termios_error; /* termios.error */

int terminal_control(int fd, int command, terminal_request_t* request) {
  __wasi_fdstat_t stat;
  if (fd > 2) /* only a standard stream may be one */
    return __wasi_fd_fdstat_get((__wasi_fd_t)fd, &stat) == __WASI_ERRNO_SUCCESS ? ENOTTY : EBADF;
  return host_terminal(fd, command, request);
}

/* terminal_control with termios.error raised for a failure (each function
 * converts its argument, a descriptor or an object with fileno(), once, as
 * python3's termios does); 0, or -1. */
static int control(int fd, int command, terminal_request_t* request) {
  int err = terminal_control(fd, command, request);
  if (err == 0) return 0;
  raise_errno(termios_error, err);
  return -1;
}

static PyObject* termios_tcgetattr(PyObject* self, PyObject* file) {
  int fd = PyObject_AsFileDescriptor(file);
  terminal_request_t modes = {0};
  if (fd < 0 || control(fd, TERMINAL_GET, &modes) < 0) return NULL;
  PyObject* cc = PyList_New(CONTROL_CHARACTERS);
  for (int i = 0; cc != NULL && i < CONTROL_CHARACTERS; i++) {
    PyObject* c = PyBytes_FromStringAndSize((const char*)&modes.cc[i], 1);
    if (c == NULL) Py_CLEAR(cc);
    else PyList_SET_ITEM(cc, i, c);
  }
  /* Without ICANON, VMIN and VTIME are counts, not characters (as python3 gives them). */
  if (cc != NULL && !(modes.lflag & FLAG_ICANON)) {
    for (int i = INDEX_VTIME; i <= INDEX_VMIN && cc != NULL; i++) {
      PyObject* n = PyLong_FromLong(modes.cc[i]);
      if (n == NULL || PyList_SetItem(cc, i, n) < 0) Py_CLEAR(cc);
    }
  }
  if (cc == NULL) return NULL;
  return Py_BuildValue("[kkkkkkN]", (unsigned long)modes.iflag, (unsigned long)modes.oflag,
                       (unsigned long)modes.cflag, (unsigned long)modes.lflag, (unsigned long)modes.ispeed,
                       (unsigned long)modes.ospeed, cc);
}

static PyObject* termios_tcsetattr(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  if (!_PyArg_CheckPositional("tcsetattr", nargs, 3, 3)) return NULL;
  int fd = PyObject_AsFileDescriptor(args[0]);
  if (fd < 0) return NULL;
  int when = _PyLong_AsInt(args[1]);
  if (when == -1 && PyErr_Occurred()) return NULL;
  PyObject* attributes = args[2];
  if (!PyList_Check(attributes) || PyList_GET_SIZE(attributes) != 7) {
    PyErr_SetString(PyExc_TypeError, "tcsetattr, arg 3: must be 7 element list");
    return NULL;
  }
  terminal_request_t modes = {0};
  if (control(fd, TERMINAL_GET, &modes) < 0) return NULL;
  uint32_t* fields[] = {&modes.iflag, &modes.oflag, &modes.cflag, &modes.lflag, &modes.ispeed, &modes.ospeed};
  for (int i = 0; i < 6; i++) *fields[i] = (uint32_t)PyLong_AsLong(PyList_GET_ITEM(attributes, i));
  if (PyErr_Occurred()) return NULL;
  PyObject* cc = PyList_GET_ITEM(attributes, 6);
  if (!PyList_Check(cc) || PyList_GET_SIZE(cc) != CONTROL_CHARACTERS) {
    PyErr_Format(PyExc_TypeError, "tcsetattr: attributes[6] must be %d element list", CONTROL_CHARACTERS);
    return NULL;
  }
  for (int i = 0; i < CONTROL_CHARACTERS; i++) {
    PyObject* c = PyList_GET_ITEM(cc, i);
    if (PyBytes_Check(c) && PyBytes_GET_SIZE(c) == 1) {
      modes.cc[i] = (uint8_t)PyBytes_AS_STRING(c)[0];
    } else if (PyLong_Check(c)) {
      modes.cc[i] = (uint8_t)PyLong_AsLong(c);
      if (PyErr_Occurred()) return NULL;
    } else {
      PyErr_SetString(PyExc_TypeError, "tcsetattr: elements of attributes must be characters or integers");
      return NULL;
    }
  }
  modes.argument = when;
  if (control(fd, TERMINAL_SET, &modes) < 0) return NULL;
  Py_RETURN_NONE;
}

/* tcsendbreak, tcflush and tcflow: `command` with one int argument. */
static PyObject* with_argument(const char* name, int command, PyObject* const* args, Py_ssize_t nargs) {
  if (!_PyArg_CheckPositional(name, nargs, 2, 2)) return NULL;
  int fd = PyObject_AsFileDescriptor(args[0]);
  if (fd < 0) return NULL;
  terminal_request_t request = {.argument = _PyLong_AsInt(args[1])};
  if (request.argument == -1 && PyErr_Occurred()) return NULL;
  if (control(fd, command, &request) < 0) return NULL;
  Py_RETURN_NONE;
}

static PyObject* termios_tcsendbreak(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  return with_argument("tcsendbreak", TERMINAL_BREAK, args, nargs);
}

static PyObject* termios_tcflush(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  return with_argument("tcflush", TERMINAL_FLUSH, args, nargs);
}

static PyObject* termios_tcflow(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  return with_argument("tcflow", TERMINAL_FLOW, args, nargs);
}

static PyObject* termios_tcdrain(PyObject* self, PyObject* file) {
  int fd = PyObject_AsFileDescriptor(file);
  terminal_request_t request = {0};
  if (fd < 0 || control(fd, TERMINAL_DRAIN, &request) < 0) return NULL;
  Py_RETURN_NONE;
}

static PyObject* termios_tcgetwinsize(PyObject* self, PyObject* file) {
  int fd = PyObject_AsFileDescriptor(file);
  terminal_request_t request = {0};
  if (fd < 0 || control(fd, TERMINAL_GET_SIZE, &request) < 0) return NULL;
  uint32_t size = (uint32_t)request.argument;
  return Py_BuildValue("(ii)", (int)(size & 0xFFFF), (int)(size >> 16));
}

static PyObject* termios_tcsetwinsize(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  if (!_PyArg_CheckPositional("tcsetwinsize", nargs, 2, 2)) return NULL;
  int fd = PyObject_AsFileDescriptor(args[0]);
  if (fd < 0) return NULL;
  PyObject* winsize = args[1];
  if (!PySequence_Check(winsize) || PySequence_Size(winsize) != 2) {
    PyErr_SetString(PyExc_TypeError, "tcsetwinsize, arg 2: must be a two-item sequence");
    return NULL;
  }
  long size[2];
  for (Py_ssize_t i = 0; i < 2; i++) {
    PyObject* item = PySequence_GetItem(winsize, i);
    if (item == NULL) return NULL;
    size[i] = PyLong_AsLong(item);
    Py_DECREF(item);
    if (size[i] == -1 && PyErr_Occurred()) return NULL;
    if (size[i] < 0 || size[i] > 0xFFFF) {
      PyErr_SetString(PyExc_OverflowError, "winsize value(s) out of range.");
      return NULL;
    }
  }
  terminal_request_t request = {.argument = (int32_t)((uint32_t)size[0] | (uint32_t)size[1] << 16)};
  if (control(fd, TERMINAL_SET_SIZE, &request) < 0) return NULL;
  Py_RETURN_NONE;
}

static PyMethodDef termios_methods[] = {
  {"tcgetattr", termios_tcgetattr, METH_O,
   "tcgetattr($module, fd, /)\n--\n\n"
   "The modes of the terminal fd: [iflag, oflag, cflag, lflag, ispeed, ospeed, cc], where\n"
   "cc lists the control characters (bytes of length 1; VMIN and VTIME as ints without ICANON)."},
  {"tcsetattr", (PyCFunction)(void (*)(void))termios_tcsetattr, METH_FASTCALL,
   "tcsetattr($module, fd, when, attributes, /)\n--\n\n"
   "Sets the modes of the terminal fd from a list as tcgetattr returns, now (TCSANOW),\n"
   "after output is written (TCSADRAIN), or after that and discarding input (TCSAFLUSH)."},
  {"tcsendbreak", (PyCFunction)(void (*)(void))termios_tcsendbreak, METH_FASTCALL,
   "tcsendbreak($module, fd, duration, /)\n--\n\nSends a break on the terminal fd."},
  {"tcdrain", termios_tcdrain, METH_O,
   "tcdrain($module, fd, /)\n--\n\nWaits until what was written to the terminal fd is sent."},
  {"tcflush", (PyCFunction)(void (*)(void))termios_tcflush, METH_FASTCALL,
   "tcflush($module, fd, queue, /)\n--\n\n"
   "Discards the terminal fd's pending input (TCIFLUSH), output (TCOFLUSH) or both (TCIOFLUSH)."},
  {"tcflow", (PyCFunction)(void (*)(void))termios_tcflow, METH_FASTCALL,
   "tcflow($module, fd, action, /)\n--\n\n"
   "Suspends or resumes output (TCOOFF, TCOON) or input (TCIOFF, TCION) on the terminal fd."},
  {"tcgetwinsize", termios_tcgetwinsize, METH_O,
   "tcgetwinsize($module, fd, /)\n--\n\nThe window size of the terminal fd: (rows, columns)."},
  {"tcsetwinsize", (PyCFunction)(void (*)(void))termios_tcsetwinsize, METH_FASTCALL,
   "tcsetwinsize($module, fd, winsize, /)\n--\n\nSets the window size of the terminal fd from (rows, columns)."},
  {NULL, NULL, 0, NULL},
};

static struct PyModuleDef termios_module = {
  PyModuleDef_HEAD_INIT, "termios",
  "Terminal modes (POSIX termios), with Linux's numbers. In the sandbox the terminals are\n"
  "those a runtime's standard streams show on; what a runtime changes is put back when it ends.",
  -1, termios_methods,
};

/* Linux's numbers, as python3's termios has them. */
static const struct { const char* name; unsigned long value; } constants[] = {
  {"B0", 0x0}, {"B1000000", 0x1008}, {"B110", 0x3}, {"B115200", 0x1002}, {"B1152000", 0x1009}, {"B1200", 0x9},
  {"B134", 0x4}, {"B150", 0x5}, {"B1500000", 0x100a}, {"B1800", 0xa}, {"B19200", 0xe}, {"B200", 0x6},
  {"B2000000", 0x100b}, {"B230400", 0x1003}, {"B2400", 0xb}, {"B2500000", 0x100c}, {"B300", 0x7},
  {"B3000000", 0x100d}, {"B3500000", 0x100e}, {"B38400", 0xf}, {"B4000000", 0x100f}, {"B460800", 0x1004},
  {"B4800", 0xc}, {"B50", 0x1}, {"B500000", 0x1005}, {"B57600", 0x1001}, {"B576000", 0x1006}, {"B600", 0x8},
  {"B75", 0x2}, {"B921600", 0x1007}, {"B9600", 0xd}, {"BRKINT", 0x2}, {"BS0", 0x0}, {"BS1", 0x2000},
  {"BSDLY", 0x2000}, {"CBAUD", 0x100f}, {"CBAUDEX", 0x1000}, {"CDSUSP", 0x19}, {"CEOF", 0x4}, {"CEOL", 0x0},
  {"CEOT", 0x4}, {"CERASE", 0x7f}, {"CFLUSH", 0xf}, {"CIBAUD", 0x100f0000}, {"CINTR", 0x3}, {"CKILL", 0x15},
  {"CLNEXT", 0x16}, {"CLOCAL", 0x800}, {"CQUIT", 0x1c}, {"CR0", 0x0}, {"CR1", 0x200}, {"CR2", 0x400}, {"CR3", 0x600},
  {"CRDLY", 0x600}, {"CREAD", 0x80}, {"CRPRNT", 0x12}, {"CRTSCTS", 0x80000000}, {"CS5", 0x0}, {"CS6", 0x10},
  {"CS7", 0x20}, {"CS8", 0x30}, {"CSIZE", 0x30}, {"CSTART", 0x11}, {"CSTOP", 0x13}, {"CSTOPB", 0x40},
  {"CSUSP", 0x1a}, {"CWERASE", 0x17}, {"ECHO", 0x8}, {"ECHOCTL", 0x200}, {"ECHOE", 0x10}, {"ECHOK", 0x20},
  {"ECHOKE", 0x800}, {"ECHONL", 0x40}, {"ECHOPRT", 0x400}, {"EXTA", 0xe}, {"EXTB", 0xf}, {"FF0", 0x0},
  {"FF1", 0x8000}, {"FFDLY", 0x8000}, {"FIOASYNC", 0x5452}, {"FIOCLEX", 0x5451}, {"FIONBIO", 0x5421},
  {"FIONCLEX", 0x5450}, {"FIONREAD", 0x541b}, {"FLUSHO", 0x1000}, {"HUPCL", 0x400}, {"ICANON", 0x2},
  {"ICRNL", 0x100}, {"IEXTEN", 0x8000}, {"IGNBRK", 0x1}, {"IGNCR", 0x80}, {"IGNPAR", 0x4}, {"IMAXBEL", 0x2000},
  {"INLCR", 0x40}, {"INPCK", 0x10}, {"IOCSIZE_MASK", 0x3fff0000}, {"IOCSIZE_SHIFT", 0x10}, {"ISIG", 0x1},
  {"ISTRIP", 0x20}, {"IUCLC", 0x200}, {"IXANY", 0x800}, {"IXOFF", 0x1000}, {"IXON", 0x400}, {"NCC", 0x8},
  {"NCCS", 0x20}, {"NL0", 0x0}, {"NL1", 0x100}, {"NLDLY", 0x100}, {"NOFLSH", 0x80}, {"N_MOUSE", 0x2}, {"N_PPP", 0x3},
  {"N_SLIP", 0x1}, {"N_STRIP", 0x4}, {"N_TTY", 0x0}, {"OCRNL", 0x8}, {"OFDEL", 0x80}, {"OFILL", 0x40},
  {"OLCUC", 0x2}, {"ONLCR", 0x4}, {"ONLRET", 0x20}, {"ONOCR", 0x10}, {"OPOST", 0x1}, {"PARENB", 0x100},
  {"PARMRK", 0x8}, {"PARODD", 0x200}, {"PENDIN", 0x4000}, {"TAB0", 0x0}, {"TAB1", 0x800}, {"TAB2", 0x1000},
  {"TAB3", 0x1800}, {"TABDLY", 0x1800}, {"TCFLSH", 0x540b}, {"TCGETA", 0x5405}, {"TCGETS", 0x5401},
  {"TCIFLUSH", 0x0}, {"TCIOFF", 0x2}, {"TCIOFLUSH", 0x2}, {"TCION", 0x3}, {"TCOFLUSH", 0x1}, {"TCOOFF", 0x0},
  {"TCOON", 0x1}, {"TCSADRAIN", 0x1}, {"TCSAFLUSH", 0x2}, {"TCSANOW", 0x0}, {"TCSBRK", 0x5409}, {"TCSBRKP", 0x5425},
  {"TCSETA", 0x5406}, {"TCSETAF", 0x5408}, {"TCSETAW", 0x5407}, {"TCSETS", 0x5402}, {"TCSETSF", 0x5404},
  {"TCSETSW", 0x5403}, {"TCXONC", 0x540a}, {"TIOCCONS", 0x541d}, {"TIOCEXCL", 0x540c}, {"TIOCGETD", 0x5424},
  {"TIOCGICOUNT", 0x545d}, {"TIOCGLCKTRMIOS", 0x5456}, {"TIOCGPGRP", 0x540f}, {"TIOCGSERIAL", 0x541e},
  {"TIOCGSOFTCAR", 0x5419}, {"TIOCGWINSZ", 0x5413}, {"TIOCINQ", 0x541b}, {"TIOCLINUX", 0x541c}, {"TIOCMBIC", 0x5417},
  {"TIOCMBIS", 0x5416}, {"TIOCMGET", 0x5415}, {"TIOCMIWAIT", 0x545c}, {"TIOCMSET", 0x5418}, {"TIOCM_CAR", 0x40},
  {"TIOCM_CD", 0x40}, {"TIOCM_CTS", 0x20}, {"TIOCM_DSR", 0x100}, {"TIOCM_DTR", 0x2}, {"TIOCM_LE", 0x1},
  {"TIOCM_RI", 0x80}, {"TIOCM_RNG", 0x80}, {"TIOCM_RTS", 0x4}, {"TIOCM_SR", 0x10}, {"TIOCM_ST", 0x8},
  {"TIOCNOTTY", 0x5422}, {"TIOCNXCL", 0x540d}, {"TIOCOUTQ", 0x5411}, {"TIOCPKT", 0x5420}, {"TIOCPKT_DATA", 0x0},
  {"TIOCPKT_DOSTOP", 0x20}, {"TIOCPKT_FLUSHREAD", 0x1}, {"TIOCPKT_FLUSHWRITE", 0x2}, {"TIOCPKT_NOSTOP", 0x10},
  {"TIOCPKT_START", 0x8}, {"TIOCPKT_STOP", 0x4}, {"TIOCSCTTY", 0x540e}, {"TIOCSERCONFIG", 0x5453},
  {"TIOCSERGETLSR", 0x5459}, {"TIOCSERGETMULTI", 0x545a}, {"TIOCSERGSTRUCT", 0x5458}, {"TIOCSERGWILD", 0x5454},
  {"TIOCSERSETMULTI", 0x545b}, {"TIOCSERSWILD", 0x5455}, {"TIOCSER_TEMT", 0x1}, {"TIOCSETD", 0x5423},
  {"TIOCSLCKTRMIOS", 0x5457}, {"TIOCSPGRP", 0x5410}, {"TIOCSSERIAL", 0x541f}, {"TIOCSSOFTCAR", 0x541a},
  {"TIOCSTI", 0x5412}, {"TIOCSWINSZ", 0x5414}, {"TOSTOP", 0x100}, {"VDISCARD", 0xd}, {"VEOF", 0x4}, {"VEOL", 0xb},
  {"VEOL2", 0x10}, {"VERASE", 0x2}, {"VINTR", 0x0}, {"VKILL", 0x3}, {"VLNEXT", 0xf}, {"VMIN", 0x6}, {"VQUIT", 0x1},
  {"VREPRINT", 0xc}, {"VSTART", 0x8}, {"VSTOP", 0x9}, {"VSUSP", 0xa}, {"VSWTC", 0x7}, {"VSWTCH", 0x7}, {"VT0", 0x0},
  {"VT1", 0x4000}, {"VTDLY", 0x4000}, {"VTIME", 0x5}, {"VWERASE", 0xe}, {"XCASE", 0x4}, {"XTABS", 0x1800},
};

PyObject* PyInit_termios(void) {
  PyObject* module = PyModule_Create(&termios_module);
  if (module == NULL) return NULL;
  if (termios_error == NULL && (termios_error = PyErr_NewException("termios.error", NULL, NULL)) == NULL) {
    Py_DECREF(module);
    return NULL;
  }
  if (PyModule_AddObjectRef(module, "error", termios_error) < 0) Py_CLEAR(module);
  for (size_t i = 0; module != NULL && i < sizeof constants / sizeof constants[0]; i++) {
    PyObject* value = PyLong_FromUnsignedLong(constants[i].value);
    if (value == NULL || PyModule_AddObjectRef(module, constants[i].name, value) < 0) Py_CLEAR(module);
    Py_XDECREF(value);
  }
  return module;
}
