/* The CPU clocks, which WASI lacks. Wasmtime refuses WASI's process and
 * thread CPU-time clocks, so CPython's time.process_time fell back to
 * wasi-libc's emulated times(), which counts the wall time since start in
 * nanoseconds where CPython divides by 100 ticks a second: a second of
 * sleep read as ten million seconds of CPU, and os.times() likewise.
 * Here the two clocks are answered from the host's CPU time (the cpu_time
 * import, Guest/HostCpuTime.cs): the host process's and the host thread's
 * that makes the call, which is where a runtime's code runs. Three wasi-libc
 * calls are wrapped at the link (build-guest.sh): __wasi_clock_time_get and
 * __wasi_clock_res_get for those two clock ids (clock_gettime, so
 * time.process_time and time.clock_gettime), and times (os.times). CPython
 * leaves time.thread_time out on WASI; it is added here. */
#include "bridge.h"

#include <errno.h>
#include <sys/times.h>
#include <unistd.h>

/* out = {user, system} in nanoseconds, of the host process (thread = 0) or of
 * the thread making the call (1). 0 or a WASI errno. */
__attribute__((import_module("pyodide"), import_name("cpu_time")))
extern int32_t host_cpu_time(int32_t thread, int64_t* out);

/* The host's CPU times only tick in microseconds (getrusage). */
#define CPU_CLOCK_RESOLUTION_NS 1000

int cpu_times(int thread, int64_t out[2]) {
  int32_t err = host_cpu_time(thread, out);
  if (err != 0) {
    errno = err; /* wasi-libc's errno values are WASI's */
    return -1;
  }
  return 0;
}

/* The CPU time, user and system together, in nanoseconds; -1 with errno set. */
static int cpu_total(int thread, int64_t* total) {
  int64_t ns[2];
  if (cpu_times(thread, ns) < 0) return -1;
  *total = ns[0] + ns[1];
  return 0;
}

static int cpu_clock(__wasi_clockid_t id) {
  return id == __WASI_CLOCKID_PROCESS_CPUTIME_ID || id == __WASI_CLOCKID_THREAD_CPUTIME_ID;
}

__wasi_errno_t __real___wasi_clock_time_get(__wasi_clockid_t id, __wasi_timestamp_t precision,
                                            __wasi_timestamp_t* time);
__wasi_errno_t __wrap___wasi_clock_time_get(__wasi_clockid_t id, __wasi_timestamp_t precision,
                                            __wasi_timestamp_t* time) {
  if (!cpu_clock(id)) return __real___wasi_clock_time_get(id, precision, time);
  int64_t total;
  if (cpu_total(id == __WASI_CLOCKID_THREAD_CPUTIME_ID, &total) < 0) return (__wasi_errno_t)errno;
  *time = (__wasi_timestamp_t)total;
  return __WASI_ERRNO_SUCCESS;
}

__wasi_errno_t __real___wasi_clock_res_get(__wasi_clockid_t id, __wasi_timestamp_t* resolution);
__wasi_errno_t __wrap___wasi_clock_res_get(__wasi_clockid_t id, __wasi_timestamp_t* resolution) {
  if (!cpu_clock(id)) return __real___wasi_clock_res_get(id, resolution);
  *resolution = CPU_CLOCK_RESOLUTION_NS;
  return 0;
}

/* As Linux's: the process's user and system time and an elapsed real time,
 * in sysconf(_SC_CLK_TCK) ticks, which is what CPython divides by; no children. */
clock_t __wrap_times(struct tms* buffer) {
  int64_t ns[2];
  __wasi_timestamp_t now;
  if (cpu_times(0, ns) < 0) return (clock_t)-1;
  __wasi_errno_t err = __real___wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &now);
  if (err != 0) {
    errno = err;
    return (clock_t)-1;
  }
  long ticks = sysconf(_SC_CLK_TCK);
  int64_t ns_per_tick = 1000000000 / (ticks > 0 ? ticks : 100);
  *buffer = (struct tms){.tms_utime = ns[0] / ns_per_tick, .tms_stime = ns[1] / ns_per_tick};
  return (clock_t)(now / ns_per_tick);
}

/* time.thread_time_ns() and time.thread_time(), as python3's on Linux. */
static PyObject* clocks_thread_time_ns(PyObject* self, PyObject* unused) {
  (void)self, (void)unused;
  int64_t total;
  if (cpu_total(1, &total) < 0) return PyErr_SetFromErrno(PyExc_OSError);
  return PyLong_FromLongLong(total);
}

static PyObject* clocks_thread_time(PyObject* self, PyObject* unused) {
  (void)self, (void)unused;
  int64_t total;
  if (cpu_total(1, &total) < 0) return PyErr_SetFromErrno(PyExc_OSError);
  return PyFloat_FromDouble((double)total * 1e-9);
}

static PyMethodDef clock_methods[] = {
  {"thread_time", clocks_thread_time, METH_NOARGS,
   "thread_time() -> float\n\nThread time for profiling: sum of the kernel and user-space CPU time."},
  {"thread_time_ns", clocks_thread_time_ns, METH_NOARGS,
   "thread_time() -> int\n\nThread time for profiling as nanoseconds:\n"
   "sum of the kernel and user-space CPU time."},
  {NULL, NULL, 0, NULL},
};

int clocks_add_to(PyObject* module) { return PyModule_AddFunctions(module, clock_methods); }
