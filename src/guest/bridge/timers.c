/* signal.alarm, signal.setitimer and signal.getitimer, which WASI lacks (so
 * the common "stop this after N seconds" idiom failed with AttributeError).
 * The runtime's real-time interval timer is the host's (the set_timer import):
 * when it expires, the host delivers SIGALRM as pyodide_signal does, so a
 * handler of Python's own runs at the interpreter's next check (time.sleep
 * sleeps in slices, so it is woken too). With Python's default or SIG_IGN
 * nothing happens: a runtime does not end its host, as python3's process ends
 * by SIGALRM. Only ITIMER_REAL: the sandbox keeps no CPU time of its own.
 * C functions with CPython's argument handling and errors, as python3's are,
 * so tracebacks and messages match; pyodide._bridge puts them in _signal. */
#define Py_BUILD_CORE 1
#include "bridge.h"

#include <errno.h>

/* times = {value, interval} in microseconds (value < 0: only read); replaced
 * by the timer's remaining value and interval before the call. 0 or a WASI errno. */
__attribute__((import_module("pyodide"), import_name("set_timer")))
extern int32_t host_set_timer(int64_t* times);

enum { TIMER_REAL = 0, TIMER_VIRTUAL = 1, TIMER_PROF = 2 };

static PyObject* itimer_error; /* signal.ItimerError, an OSError (python3's signal.itimer_error) */

/* Raises ItimerError with EINVAL, in `why`'s words. */
static PyObject* invalid(const char* why) { return raise_os_error(itimer_error, EINVAL, why); }

/* Whether `which` names a timer (others are EINVAL, as Linux's). */
static int known_timer(int which) { return which >= TIMER_REAL && which <= TIMER_PROF; }

/* Sets (value >= 0) or reads the timer; `old` receives what it was. */
static int set_timer(int64_t value, int64_t interval, int64_t old[2]) {
  int64_t times[2] = {value, interval};
  int32_t err = host_set_timer(times);
  if (err != 0) {
    errno = err; /* wasi-libc's errno values are WASI's */
    PyErr_SetFromErrno(PyExc_OSError);
    return -1;
  }
  old[0] = times[0];
  old[1] = times[1];
  return 0;
}

static PyObject* as_seconds_pair(const int64_t us[2]) {
  return Py_BuildValue("(dd)", (double)us[0] / 1e6, (double)us[1] / 1e6);
}

/* A number of seconds as microseconds, rounded up, as python3's timeval_from_double;
 * NULL (0) when absent. */
static int microseconds(PyObject* obj, int64_t* out) {
  if (obj == NULL) {
    *out = 0;
    return 0;
  }
  _PyTime_t t;
  if (_PyTime_FromSecondsObject(&t, obj, _PyTime_ROUND_CEILING) < 0) return -1;
  *out = _PyTime_AsMicroseconds(t, _PyTime_ROUND_CEILING);
  return 0;
}

static PyObject* timers_alarm(PyObject* self, PyObject* arg) {
  (void)self;
  int seconds = _PyLong_AsInt(arg);
  if (seconds == -1 && PyErr_Occurred()) return NULL;
  int64_t old[2];
  /* As C's alarm(): the int as unsigned, no interval, and what was left in
   * whole seconds, rounded to the nearest (a fraction below one counting as one). */
  if (set_timer((int64_t)(unsigned int)seconds * 1000000, 0, old) < 0) return NULL;
  int64_t whole = old[0] / 1000000, rest = old[0] % 1000000;
  if (rest >= 500000 || (whole == 0 && rest != 0)) whole++;
  return PyLong_FromLongLong(whole);
}

static PyObject* timers_setitimer(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  (void)self;
  if (!_PyArg_CheckPositional("setitimer", nargs, 2, 3)) return NULL;
  int which = _PyLong_AsInt(args[0]);
  if (which == -1 && PyErr_Occurred()) return NULL;
  int64_t value, interval;
  if (microseconds(args[1], &value) < 0 || microseconds(nargs == 3 ? args[2] : NULL, &interval) < 0) return NULL;
  /* Checked after every argument is read, as python3 leaves `which` to the kernel. */
  if (!known_timer(which) || value < 0 || interval < 0) return invalid("Invalid argument");
  if (which != TIMER_REAL) return invalid("the sandbox has only ITIMER_REAL, a real-time timer");
  int64_t old[2];
  if (set_timer(value, interval, old) < 0) return NULL;
  return as_seconds_pair(old);
}

static PyObject* timers_getitimer(PyObject* self, PyObject* arg) {
  (void)self;
  int which = _PyLong_AsInt(arg);
  if (which == -1 && PyErr_Occurred()) return NULL;
  if (!known_timer(which)) return invalid("Invalid argument");
  int64_t now[2] = {0, 0}; /* the CPU-time timers are never set */
  if (which == TIMER_REAL && set_timer(-1, 0, now) < 0) return NULL;
  return as_seconds_pair(now);
}

static PyMethodDef timer_methods[] = {
  {"alarm", timers_alarm, METH_O,
   "alarm($module, seconds, /)\n--\n\nArrange for SIGALRM to arrive after the given number of seconds."},
  {"setitimer", (PyCFunction)(void (*)(void))timers_setitimer, METH_FASTCALL,
   "setitimer($module, which, seconds, interval=0.0, /)\n--\n\n"
   "Sets given itimer (one of ITIMER_REAL, ITIMER_VIRTUAL or ITIMER_PROF).\n\n"
   "The timer will fire after value seconds and after that every interval seconds.\n"
   "The itimer can be cleared by setting seconds to zero.\n\n"
   "Returns old values as a tuple: (delay, interval)."},
  {"getitimer", timers_getitimer, METH_O,
   "getitimer($module, which, /)\n--\n\nReturns current value of given itimer."},
  {NULL, NULL, 0, NULL},
};

int timers_add_to(PyObject* module) {
  itimer_error = PyErr_NewException("signal.itimer_error", PyExc_OSError, NULL);
  if (itimer_error == NULL || PyModule_AddFunctions(module, timer_methods) < 0 ||
      PyModule_AddObjectRef(module, "ItimerError", itimer_error) < 0)
    return -1;
  return 0;
}
