/*
 * bench_abi.c — benchmarks of libpyodide.so's C ABI (include/pyodide.h), each
 * against a baseline measured in the same process, interleaved with it.
 *
 *   bench_abi [--json FILE] [--pyodide-run PATH] [--python3 PATH] [--quick]
 *   bench_abi --warm     loads one runtime and exits: the compiled module is then
 *                        cached, so a following run's first load is a warm one
 *
 * Timing: clock_gettime(CLOCK_MONOTONIC) (QueryPerformanceCounter on Windows,
 * where processes start with _spawnv and `cmd /c rem` replaces /bin/true).
 * Fast operations run in batches sized
 * so one batch takes ~BATCH_NS; slow ones (ms) are timed one by one. Every
 * figure is the median over REPS repetitions, after a warm-up; the measured
 * operation and its baseline alternate repetition by repetition, so a burst
 * of load from other processes hits both. Results go to stdout (for humans)
 * and, with --json, to FILE (read by bench/report.py).
 *
 * Cases (ids as in the JSON):
 *   noop_call          a no-op C function through a function pointer (baseline)
 *   pyproxy_call       pyproxy_call of `lambda i: i + 1`, one INT argument
 *   pyproxy_length     pyproxy_length(globals): one bare guest round trip (baseline)
 *   run_python         pyodide_run_python("1+1")
 *   py_fn_loop         a Python loop calling `lambda i: i`, per iteration (baseline)
 *   host_fn_loop       the same loop calling a C host function returning its argument
 *   py_method_loop     a Python loop calling a Python object's method `o.m(i)`, per iteration (baseline)
 *   host_method_loop   the same loop calling a C host object's method (pyodide_host_class_t.call_method)
 *   get_buffer_1k      pyproxy_get_buffer + pybuffer_release, bytearray(1 KiB) (baseline)
 *   get_buffer_64m     the same on bytearray(64 MiB)
 *   sum_malloc         summing 64 MiB of doubles in a malloc'd array (baseline)
 *   sum_buffer         the same values in array.array('d') through pybuffer_t.first
 *   to_js_c            building the same 100k-INT pyodide_value_t list in C (baseline)
 *   to_js              pyproxy_to_js of list(range(100000)) (release not timed)
 *   to_js_release      pyodide_value_release of that result
 *   load_first         the process's first pyodide_load (cold .NET, warm module cache)
 *   load_first_run     the same, to the first pyodide_run_python's result
 *   load_first_threaded  load_first_run in a process that already runs a second thread
 *   load_destroy       pyodide_load + pyodide_destroy of another runtime, one alive
 *   load_run_destroy   the same with a pyodide_run_python("1") in between
 *   import_libs        load + `import json, decimal, sqlite3, asyncio, email` + destroy (baseline)
 *   snapshot_libs      load from a snapshot saved after those imports + a call using them + destroy
 *   snapshot_bytes     that snapshot file's size
 *   pss_snapshot_100   proportional set size (shared pages counted once) of 100 runtimes
 *                      restored from it, alive at once, one run each (Linux)
 *   rss_before         the process's resident memory before its first pyodide_load (Linux)
 *   rss_first          what the first runtime added to it (loaded, one run)
 *   rss_further        what each further runtime adds (RSS_RUNTIMES alive at once, one run each)
 *   spawn_true         spawn /bin/true
 *   spawn_python3      spawn python3 -c pass
 *   spawn_pyodide_run  spawn pyodide-run -c pass
 *   spawn_python3_imports, spawn_pyodide_run_imports
 *                      the same two with -c SPAWN_IMPORTS: a script's usual imports
 *   spawn_python3_package, spawn_pyodide_run_package
 *                      the same two running a script that imports a package of
 *                      PACKAGE_MODULES modules from its own directory (Linux)
 *   spawn_python3_files, spawn_pyodide_run_files
 *                      the same two running a script that writes FILES_WRITTEN files
 *                      in a directory (mounted writable for pyodide-run), lists it and
 *                      reads them back (Linux)
 *   spawn_python3_r, spawn_pyodide_run_resident, spawn_python3_files_r,
 *   spawn_pyodide_run_resident_files
 *                      -c pass and the files script again, pyodide-run handing its
 *                      runs to a resident process (PYODIDE_RUN_RESIDENT, in a private
 *                      runtime directory), each spawn followed by a pause in which the
 *                      server makes the next run's runtime (Linux)
 *   resident_client_cpu, resident_server_cpu
 *                      per resident `-c pass`: the client's CPU and the server's (its
 *                      making of the next runtime included) (Linux)
 */
#define _GNU_SOURCE /* wait4, struct ucred */
#define _POSIX_C_SOURCE 200809L
#include <pyodide.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32 /* build.ps1 bench: QueryPerformanceCounter and _spawnv instead */
#include <process.h>
#include <windows.h>
#define NOINLINE __declspec(noinline)
#define NOIPA __declspec(noinline)
#define TRUE_ARGV {"C:\\Windows\\System32\\cmd.exe", "/c", "rem", NULL}
#else
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <dirent.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#define NOINLINE __attribute__((noinline))
/* noipa: summed as written, not specialised for the constant length (gcc). */
#if defined(__GNUC__) && !defined(__clang__)
#define NOIPA __attribute__((noipa))
#else
#define NOIPA __attribute__((noinline))
#endif
#define TRUE_ARGV {"/bin/true", NULL}
#endif

/* Stores here keep the compiler from dropping work whose result is unused. */
static void* volatile sink;

#define MIB (1024 * 1024)
#define SUM_BYTES (64 * MIB)
#define SUM_COUNT (SUM_BYTES / sizeof(double))
#define LIST_LEN 100000

/* Many short batches rather than a few long ones: on a busy machine a short
 * batch is more often run undisturbed, and the median of many is stable. */
static int REPS = 21;
static double BATCH_NS = 5e6; /* one batch of a fast operation: ~5 ms */

static FILE* json;
static int json_first = 1;

static double now_ns(void) {
#ifdef _WIN32
  static LARGE_INTEGER freq;
  LARGE_INTEGER t;
  if (!freq.QuadPart) QueryPerformanceFrequency(&freq);
  QueryPerformanceCounter(&t);
  return (double)t.QuadPart * 1e9 / (double)freq.QuadPart;
#else
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
#endif
}

/* CPU time of the whole process (every thread), ns: beside the wall clock it
 * tells time spent working from time spent waiting for a busy machine's CPUs. */
static double cpu_ns(void) {
#ifdef _WIN32
  FILETIME c, e, k, u;
  GetProcessTimes(GetCurrentProcess(), &c, &e, &k, &u);
  return ((double)(((uint64_t)k.dwHighDateTime << 32) | k.dwLowDateTime) +
          (double)(((uint64_t)u.dwHighDateTime << 32) | u.dwLowDateTime)) * 100.0;
#else
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
#endif
}

#define RSS_RUNTIMES 8
#define RSS_RUNTIMES_TEXT "8"

/* Bytes of the "KEY %lf kB" line of a /proc file (`format`), or -1 where unknown. */
static double proc_kib_field(const char* path, const char* format) {
#ifdef _WIN32
  (void)path;
  (void)format;
  return -1;
#else
  FILE* f = fopen(path, "r");
  if (!f) return -1;
  char line[256];
  double kib = -1;
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, format, &kib) == 1) break;
  }
  fclose(f);
  return kib < 0 ? -1 : kib * 1024;
#endif
}

/* The process's resident memory in bytes (VmRSS), or -1 where unknown. */
static double rss_bytes(void) { return proc_kib_field("/proc/self/status", "VmRSS: %lf kB"); }

/* The proportional set size in bytes (Pss of smaps_rollup: a page mapped N times
 * counts 1/N each time, so shared pages count once), or -1 where unknown. */
static double pss_bytes(void) { return proc_kib_field("/proc/self/smaps_rollup", "Pss: %lf kB"); }

static void die(const char* what, pyodide_error_t* err) {
  fprintf(stderr, "bench_abi: %s failed", what);
  if (err) fprintf(stderr, ": %s: %s", pyodide_error_type(err), pyodide_error_message(err));
  fprintf(stderr, "\n");
  exit(1);
}
#define CHECK(what, call)                 \
  do {                                    \
    pyodide_error_t* err_ = (call);       \
    if (err_) die(what, err_);            \
  } while (0)

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

typedef struct {
  double median, min, max; /* wall clock per operation, ns */
  double cpu_median;       /* CPU time per operation, ns (< 0: unknown) */
  long inner;              /* operations per timed batch */
  int reps;
} stats_t;

static double median_of(double* v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* `wall` and `cpu` (NULL: unknown) hold n per-operation samples; both are sorted. */
static stats_t summarize(double* wall, double* cpu, int n, long inner) {
  stats_t s;
  s.median = median_of(wall, n);
  s.min = wall[0];
  s.max = wall[n - 1];
  s.cpu_median = cpu ? median_of(cpu, n) : -1;
  s.inner = inner;
  s.reps = n;
  return s;
}

/* `s` as a JSON string literal. */
static void json_string(const char* s) {
  fputc('"', json);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') fputc('\\', json);
    if ((unsigned char)*s >= 0x20) fputc(*s, json);
  }
  fputc('"', json);
}

static void record(const char* id, const char* what, stats_t s, const char* unit) {
  double scale = !strcmp(unit, "ns") ? 1 : !strcmp(unit, "us") ? 1e3 : 1e6;
  char cpu[32] = "CPU n/a";
  if (s.cpu_median >= 0) snprintf(cpu, sizeof cpu, "CPU %.3f", s.cpu_median / scale);
  printf("  %-18s %12.3f %s/op  (%s; min %.3f, max %.3f; %d reps x %ld)  %s\n", id, s.median / scale, unit, cpu,
         s.min / scale, s.max / scale, s.reps, s.inner, what);
  fflush(stdout);
  if (!json) return;
  fprintf(json, "%s\n  \"%s\": {\"what\": ", json_first ? "" : ",", id);
  json_string(what);
  fprintf(json, ", \"median_ns\": %.3f, \"min_ns\": %.3f, \"max_ns\": %.3f, \"reps\": %d, \"inner\": %ld",
          s.median, s.min, s.max, s.reps, s.inner);
  if (s.cpu_median >= 0) fprintf(json, ", \"cpu_median_ns\": %.3f", s.cpu_median);
  fprintf(json, "}");
  json_first = 0;
}

/* A size in bytes; nothing where the platform does not report it (< 0). */
static void record_bytes(const char* id, const char* what, double bytes) {
  if (bytes < 0) return;
  printf("  %-18s %12.1f MiB  %s\n", id, bytes / (1 << 20), what);
  fflush(stdout);
  if (!json) return;
  fprintf(json, "%s\n  \"%s\": {\"what\": ", json_first ? "" : ",", id);
  json_string(what);
  fprintf(json, ", \"bytes\": %.0f}", bytes);
  json_first = 0;
}

static void record_string(const char* id, const char* what, const char* value) {
  printf("  %-18s %s  %s\n", id, value, what);
  fflush(stdout);
  if (!json) return;
  fprintf(json, "%s\n  \"%s\": {\"what\": ", json_first ? "" : ",", id);
  json_string(what);
  fprintf(json, ", \"value\": ");
  json_string(value);
  fprintf(json, "}");
  json_first = 0;
}

/* ---- the harness ------------------------------------------------------------ */

typedef void (*op_fn)(void* ctx);

/* Wall-clock ns per operation of one batch; its CPU ns per operation into *cpu. */
static double run_batch(op_fn f, void* ctx, long inner, double* cpu) {
  double c0 = cpu_ns(), t0 = now_ns();
  for (long i = 0; i < inner; i++) f(ctx);
  double t1 = now_ns(), c1 = cpu_ns();
  if (cpu) *cpu = (c1 - c0) / (double)inner;
  return (t1 - t0) / (double)inner;
}

/* How many operations make a batch of ~BATCH_NS (at least 1), warming up meanwhile. */
static long calibrate(op_fn f, void* ctx) {
  long inner = 1;
  for (;;) {
    double t0 = now_ns();
    for (long i = 0; i < inner; i++) f(ctx);
    double dt = now_ns() - t0;
    if (dt >= BATCH_NS / 4 || inner >= (1L << 30)) {
      double per = dt / (double)inner;
      long n = per > 0 ? (long)(BATCH_NS / per) : inner;
      return n < 1 ? 1 : n;
    }
    inner *= 4;
  }
}

/* Times `op` and `base` alternately, REPS batches each, after a warm-up batch of each. */
static void measure_pair(op_fn base, void* base_ctx, op_fn op, void* op_ctx, stats_t* base_out,
                         stats_t* op_out) {
  long nb = calibrate(base, base_ctx), no = calibrate(op, op_ctx);
  double* v = calloc((size_t)REPS * 4, sizeof(double));
  double *tb = v, *cb = v + REPS, *to = v + 2 * REPS, *co = v + 3 * REPS;
  run_batch(base, base_ctx, nb, NULL);
  run_batch(op, op_ctx, no, NULL);
  for (int r = 0; r < REPS; r++) {
    tb[r] = run_batch(base, base_ctx, nb, &cb[r]);
    to[r] = run_batch(op, op_ctx, no, &co[r]);
  }
  *base_out = summarize(tb, cb, REPS, nb);
  *op_out = summarize(to, co, REPS, no);
  free(v);
}

/* ---- call path ---------------------------------------------------------------- */

/* A host function: returns its one INT argument (an INT owns no memory). */
static pyodide_error_t* host_identity(void* env, const pyodide_value_t* args, size_t nargs,
                                      pyodide_value_t* result) {
  (void)env;
  (void)nargs;
  *result = args[0];
  return NULL;
}

/* A host class of one method, `m(i)`, returning its INT argument. */
static const char* const bench_methods[] = {"m"};
static pyodide_error_t* bench_call_method(void* obj, size_t method, const pyodide_value_t* args, size_t nargs,
                                          pyodide_value_t* out) {
  (void)obj;
  (void)method;
  (void)nargs;
  *out = args[0];
  return NULL;
}
static const pyodide_host_class_t bench_class = {
  .size = sizeof(pyodide_host_class_t),
  .name = "BenchObject",
  .methods = bench_methods,
  .nmethods = 1,
  .call_method = bench_call_method,
};

/* Iterations of the Python loop one host_fn_loop / py_fn_loop operation runs. */
#define LOOP_CALLS 1000

/* Iterations of the Python loop one file_stat / file_read operation runs. */
#define FILE_OPS 20

/* Per-operation figures as per-iteration ones, for an operation of n iterations. */
static void per_iteration(stats_t* s, int n) {
  s->median /= n;
  s->min /= n;
  s->max /= n;
  if (s->cpu_median >= 0) s->cpu_median /= n;
}

NOINLINE static void noop(void* ctx) { (void)ctx; }

typedef struct {
  pyproxy_t* fn;
  int64_t i;
} call_ctx;

static void op_call(void* p) {
  call_ctx* c = p;
  pyodide_value_t arg = {.kind = PYODIDE_INT, .of.i = c->i};
  pyodide_value_t out;
  pyodide_error_t* err = pyproxy_call(c->fn, &arg, 1, &out);
  if (err) die("pyproxy_call", err);
  /* An INT owns no memory: nothing to release. */
  if (out.kind != PYODIDE_INT || out.of.i != c->i + 1) die("pyproxy_call: wrong result", NULL);
}

typedef struct {
  pyodide_t* py;
  pyproxy_t* globals;
} run_ctx;

static void op_length(void* p) {
  run_ctx* c = p;
  size_t n;
  pyodide_error_t* err = pyproxy_length(c->globals, &n);
  if (err) die("pyproxy_length", err);
}

static void op_run(void* p) {
  run_ctx* c = p;
  pyodide_value_t out;
  pyodide_error_t* err = pyodide_run_python(c->py, "1+1", 3, NULL, &out);
  if (err) die("pyodide_run_python", err);
  if (out.kind != PYODIDE_INT || out.of.i != 2) die("run_python(\"1+1\"): wrong result", NULL);
}

/* One pass of the event loop: a coroutine that yields once. */
static void op_run_async(void* p) {
  run_ctx* c = p;
  pyodide_error_t* err = pyodide_run_python_async(c->py, "await asyncio.sleep(0)", PYODIDE_STRLEN, NULL, NULL);
  if (err) die("pyodide_run_python_async", err);
}

static void op_get_buffer(void* p) {
  pybuffer_t b;
  pyodide_error_t* err = pyproxy_get_buffer((pyproxy_t*)p, NULL, &b);
  if (err) die("pyproxy_get_buffer", err);
  if (!b.first) die("pyproxy_get_buffer: no data", NULL);
  pybuffer_release(&b);
}

/* ---- buffers ------------------------------------------------------------------ */

NOIPA static double sum(const double* v, size_t n) {
  double a = 0, b = 0, c = 0, d = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    a += v[i];
    b += v[i + 1];
    c += v[i + 2];
    d += v[i + 3];
  }
  for (; i < n; i++) a += v[i];
  return a + b + c + d;
}

typedef struct {
  const double* data;
  double result;
} sum_ctx;

static void op_sum(void* p) {
  sum_ctx* c = p;
  c->result = sum(c->data, SUM_COUNT);
}

/* ---- to_js ------------------------------------------------------------------- */

/* Slow operations time their own part (the release is not in it): wall and
 * CPU ns of the timed part into `wall`/`cpu`, and of the release into `rel_*`. */
typedef struct {
  pyproxy_t* list;
  const int64_t* values;
  double wall, cpu, rel_wall, rel_cpu;
} tojs_ctx;

static void op_to_js(void* p) {
  tojs_ctx* c = p;
  pyodide_value_t out;
  double c0 = cpu_ns(), t0 = now_ns();
  pyodide_error_t* err = pyproxy_to_js(c->list, -1, &out);
  double t1 = now_ns(), c1 = cpu_ns();
  if (err) die("pyproxy_to_js", err);
  if (out.kind != PYODIDE_LIST || out.of.list.len != LIST_LEN || out.of.list.items[LIST_LEN - 1].of.i != LIST_LEN - 1)
    die("pyproxy_to_js: wrong result", NULL);
  double c2 = cpu_ns(), t2 = now_ns();
  pyodide_value_release(&out);
  double t3 = now_ns(), c3 = cpu_ns();
  c->wall = t1 - t0;
  c->cpu = c1 - c0;
  c->rel_wall = t3 - t2;
  c->rel_cpu = c3 - c2;
}

/* The same output built in C: a malloc'd array of INT values, then freed. */
static void op_to_js_c(void* p) {
  tojs_ctx* c = p;
  double c0 = cpu_ns(), t0 = now_ns();
  pyodide_value_t* items = malloc(LIST_LEN * sizeof *items);
  if (!items) die("malloc", NULL);
  for (size_t i = 0; i < LIST_LEN; i++) {
    items[i].kind = PYODIDE_INT;
    items[i].of.i = c->values[i];
  }
  pyodide_value_t out = {.kind = PYODIDE_LIST, .of.list = {items, LIST_LEN}};
  sink = out.of.list.items; /* escapes: the fill cannot be dropped */
  double t1 = now_ns(), c1 = cpu_ns();
  free(items);
  double t2 = now_ns(), c2 = cpu_ns();
  c->wall = t1 - t0;
  c->cpu = c1 - c0;
  c->rel_wall = t2 - t1;
  c->rel_cpu = c2 - c1;
}

/* Runs `base` and `op` alternately, REPS times each after two warm-ups. */
static void time_each_pair(op_fn base, op_fn op, tojs_ctx* ctx, stats_t* base_out, stats_t* op_out,
                           stats_t* release_out) {
  double* v = calloc((size_t)REPS * 6, sizeof(double));
  double *tb = v, *cb = v + REPS, *to = v + 2 * REPS, *co = v + 3 * REPS, *tr = v + 4 * REPS,
         *cr = v + 5 * REPS;
  for (int w = 0; w < 2; w++) {
    base(ctx);
    op(ctx);
  }
  for (int r = 0; r < REPS; r++) {
    base(ctx);
    tb[r] = ctx->wall;
    cb[r] = ctx->cpu;
    op(ctx);
    to[r] = ctx->wall;
    co[r] = ctx->cpu;
    tr[r] = ctx->rel_wall;
    cr[r] = ctx->rel_cpu;
  }
  *base_out = summarize(tb, cb, REPS, 1);
  *op_out = summarize(to, co, REPS, 1);
  *release_out = summarize(tr, cr, REPS, 1);
  free(v);
}

/* ---- processes ---------------------------------------------------------------- */

/* Wall ns from spawn to exit; the child's CPU ns into *cpu (-1 when unknown). */
static double spawn_ns(char* const argv[], char* const envp[], double* cpu) {
  *cpu = -1;
#ifdef _WIN32
  (void)envp;
  /* _spawnv joins the arguments into one command line: quote those with spaces. */
  char* quoted[8];
  int n = 0;
  for (; argv[n] && n < 7; n++) {
    quoted[n] = malloc(strlen(argv[n]) + 3);
    sprintf(quoted[n], strchr(argv[n], ' ') ? "\"%s\"" : "%s", argv[n]);
  }
  quoted[n] = NULL;
  double t0 = now_ns();
  intptr_t rc = _spawnv(_P_WAIT, argv[0], (const char* const*)quoted);
  double dt = now_ns() - t0;
  for (int k = 0; k < n; k++) free(quoted[k]);
  if (rc != 0) {
    fprintf(stderr, "bench_abi: %s exited with status %d\n", argv[0], (int)rc);
    exit(1);
  }
  return dt;
#else
  /* posix_spawn, not fork: glibc starts the child without copying this
   * process's page tables, which by now map several runtimes (a fork cost ~3 ms
   * here, added to every command alike and hiding their difference). */
  posix_spawn_file_actions_t io;
  if (posix_spawn_file_actions_init(&io) != 0 ||
      posix_spawn_file_actions_addopen(&io, 0, "/dev/null", O_RDONLY, 0) != 0 ||
      posix_spawn_file_actions_addopen(&io, 1, "/dev/null", O_WRONLY, 0) != 0 ||
      posix_spawn_file_actions_addopen(&io, 2, "/dev/null", O_WRONLY, 0) != 0)
    die("posix_spawn_file_actions", NULL);
  extern char** environ;
  double t0 = now_ns();
  pid_t pid;
  int err = posix_spawn(&pid, argv[0], &io, NULL, argv, envp != NULL ? envp : environ);
  posix_spawn_file_actions_destroy(&io);
  if (err != 0) {
    fprintf(stderr, "bench_abi: cannot start %s: %s\n", argv[0], strerror(err));
    exit(1);
  }
  int status;
  struct rusage ru;
  while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
  }
  double dt = now_ns() - t0;
  *cpu = ((double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec) * 1e9 +
         ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) * 1e3;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "bench_abi: %s exited with status %d\n", argv[0], status);
    exit(1);
  }
  return dt;
#endif
}

/* The imports of a typical small command-line script, for the start-up rows: the
 * modules come from the standard library in the sandbox's /lib, from .pyc files
 * (frozen or beside their sources) for python3. */
#define SPAWN_IMPORTS "import argparse, collections, dataclasses, datetime, json, logging, pathlib, re, subprocess, typing"

#ifndef _WIN32
/* A script that imports a package of PACKAGE_MODULES small modules from its own
 * directory, as a user's own modules or a vendored library are imported, written in
 * dir/bench-package/ with python3's .pyc files beside them (3.11's cache tag, which
 * the sandbox's CPython 3.11 reads too; pyodide-run mounts a script's directory
 * read-only, so it could not write its own). Its path goes to `script`. */
#define PACKAGE_MODULES 40
static void write_package(const char* dir, const char* python3, char* script, size_t size) {
  char path[4096];
  snprintf(path, sizeof path, "%s/bench-package", dir);
  char* rm_argv[] = {"/bin/rm", "-rf", path, NULL};
  double ignored;
  spawn_ns(rm_argv, NULL, &ignored);
  if (mkdir(path, 0755) != 0) die("mkdir bench-package", NULL);
  snprintf(path, sizeof path, "%s/bench-package/pkg", dir);
  if (mkdir(path, 0755) != 0) die("mkdir bench-package/pkg", NULL);
  for (int i = 0; i <= PACKAGE_MODULES; i++) {
    char file[4200];
    if (i == 0) snprintf(file, sizeof file, "%s/__init__.py", path);
    else snprintf(file, sizeof file, "%s/m%d.py", path, i);
    FILE* f = fopen(file, "w");
    if (!f) die("write bench-package", NULL);
    if (i > 0)
      fprintf(f, "import os\nLIMIT = %d\n\ndef scale(values, factor=%d):\n    return [v * factor for v in values if v < LIMIT]\n\n"
                 "class Item%d:\n    def __init__(self, name):\n        self.name = name\n\n    def __repr__(self):\n"
                 "        return f'Item%d({self.name!r})'\n",
              i, i, i, i);
    if (fclose(f) != 0) die("write bench-package", NULL);
  }
  snprintf(script, size, "%s/bench-package/main.py", dir);
  FILE* f = fopen(script, "w");
  if (!f || fprintf(f, "for i in range(1, %d):\n    __import__(f'pkg.m{i}')\n", PACKAGE_MODULES + 1) < 0 || fclose(f) != 0)
    die("write bench-package/main.py", NULL);
  snprintf(path, sizeof path, "%s/bench-package", dir);
  char* compile_argv[] = {(char*)python3, "-m", "compileall", "-q", path, NULL};
  spawn_ns(compile_argv, NULL, &ignored);
}
#endif

#ifndef _WIN32
/* A script that writes FILES_WRITTEN files of 1 KiB into the directory it is given,
 * lists it and reads each back, as a script producing and reading its own output
 * does: written to dir/bench-files.py (its path to `script`), with dir/bench-files/
 * (its path to `data`) for the files, which it overwrites on every run. */
#define FILES_WRITTEN 200
static void write_files_script(const char* dir, char* script, size_t script_size, char* data, size_t data_size) {
  snprintf(data, data_size, "%s/bench-files", dir);
  if (mkdir(data, 0755) != 0 && errno != EEXIST) die("mkdir bench-files", NULL);
  snprintf(script, script_size, "%s/bench-files.py", dir);
  FILE* f = fopen(script, "w");
  if (!f ||
      fprintf(f, "import os, sys\nd = sys.argv[1]\nfor i in range(%d):\n"
                 "    with open(os.path.join(d, f'f{i}.txt'), 'w') as f:\n        f.write('x' * 1024)\n"
                 "total = sum(len(open(os.path.join(d, n)).read()) for n in sorted(os.listdir(d)))\n"
                 "assert total == %d * 1024, total\n",
              FILES_WRITTEN, FILES_WRITTEN) < 0 ||
      fclose(f) != 0)
    die("write bench-files.py", NULL);
}
#endif

/* The most commands spawn_round_robin alternates. */
#define SPAWN_COMMANDS 9

/* Spawns each command `reps` times, round-robin, after one warm-up run of each;
 * envps[k] (NULL: ours) is command k's environment, and each spawn is followed by
 * an untimed pause of `settle_ms`. */
static void spawn_round_robin(char* const* const argvs[], char* const* const envps[], int n, int reps,
                              int settle_ms, stats_t* out) {
  double *t[SPAWN_COMMANDS], *c[SPAWN_COMMANDS], ignored;
  struct timespec settle = {settle_ms / 1000, (long)(settle_ms % 1000) * 1000000L};
  for (int k = 0; k < n; k++) {
    t[k] = calloc((size_t)reps, sizeof(double));
    c[k] = calloc((size_t)reps, sizeof(double));
    spawn_ns(argvs[k], envps ? envps[k] : NULL, &ignored);
  }
  for (int r = 0; r < reps; r++) {
    for (int k = 0; k < n; k++) {
      t[k][r] = spawn_ns(argvs[k], envps ? envps[k] : NULL, &c[k][r]);
      if (settle_ms > 0) nanosleep(&settle, NULL);
    }
  }
  for (int k = 0; k < n; k++) {
    out[k] = summarize(t[k], c[k][0] >= 0 ? c[k] : NULL, reps, 1);
    free(t[k]);
    free(c[k]);
  }
}

/* ---- pyodide-run's resident process ----------------------------------------------- */

#ifndef _WIN32
/* Our environment, with pyodide-run's runs going to a resident process whose socket
 * lives in `runtime_dir` (malloc'd; the strings are ours or the environment's). */
static char** resident_environment(const char* runtime_dir) {
  extern char** environ;
  size_t n = 0;
  while (environ[n]) n++;
  char** env = calloc(n + 4, sizeof *env);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (strncmp(environ[i], "PYODIDE_RUN_RESIDENT", 20) != 0 && strncmp(environ[i], "XDG_RUNTIME_DIR=", 16) != 0)
      env[k++] = environ[i];
  static char xdg[4300];
  snprintf(xdg, sizeof xdg, "XDG_RUNTIME_DIR=%s", runtime_dir);
  env[k++] = xdg;
  env[k++] = "PYODIDE_RUN_RESIDENT=120";
  env[k++] = "PYODIDE_RUN_RESIDENT_REQUIRED=1"; /* never a run in full: the row is the resident's */
  return env;
}

/* The process id of the server listening on the one socket in runtime_dir/pyodide-run. */
static pid_t resident_server(const char* runtime_dir) {
  char dir[4400];
  snprintf(dir, sizeof dir, "%s/pyodide-run", runtime_dir);
  DIR* d = opendir(dir);
  pid_t pid = 0;
  for (struct dirent* e; d != NULL && pid == 0 && (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.') continue;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(dir) + strlen(e->d_name) + 2 > sizeof addr.sun_path) continue;
    strcpy(addr.sun_path, dir);
    strcat(addr.sun_path, "/");
    strcat(addr.sun_path, e->d_name);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (fd >= 0 && connect(fd, (struct sockaddr*)&addr, sizeof addr) == 0 &&
        getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
      pid = cred.pid;
    if (fd >= 0) close(fd);
  }
  if (d != NULL) closedir(d);
  return pid;
}

/* The CPU time a process has used, in ns; -1 if unknown. */
static double process_cpu_ns(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE* f = fopen(path, "r");
  if (f == NULL) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  char* p = strrchr(buf, ')');
  unsigned long utime, stime;
  /* After the command's name: state, then 10 fields before utime and stime. */
  if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
    return -1;
  return (double)(utime + stime) * 1e9 / (double)sysconf(_SC_CLK_TCK);
}

/* -c pass and the files script through a resident process, round-robin with
 * python3's, each spawn followed by a pause long enough for the server to make the
 * next run's runtime (it does so after the client has ended); then the CPU a
 * resident -c pass costs, the client's and the server's. The server is ended after. */
static void bench_resident(const char* tmp, char* py_argv[], char* run_argv[], char* py_files_argv[],
                           char* run_files_argv[], int reps) {
  char runtime_dir[4200];
  snprintf(runtime_dir, sizeof runtime_dir, "%s/bench-resident-XXXXXX", tmp);
  if (mkdtemp(runtime_dir) == NULL) die("mkdtemp", NULL);
  char** env = resident_environment(runtime_dir);
  char* const* argvs[SPAWN_COMMANDS] = {py_argv, run_argv, py_files_argv, run_files_argv};
  char* const* envps[SPAWN_COMMANDS] = {NULL, env, NULL, env};
  const char* ids[] = {"spawn_python3_r", "spawn_pyodide_run_resident", "spawn_python3_files_r",
                       "spawn_pyodide_run_resident_files"};
  const char* whats[] = {"spawn python3 -c pass (beside the resident rows)",
                         "spawn pyodide-run -c pass, handed to a resident process",
                         "spawn python3 SCRIPT DIR (beside the resident rows)",
                         "spawn pyodide-run --mount DIR:/work SCRIPT /work, handed to a resident process"};
  stats_t s[4];
  spawn_round_robin(argvs, envps, 4, reps, 30, s);
  for (int k = 0; k < 4; k++) record(ids[k], whats[k], s[k], "ms");

  pid_t server = resident_server(runtime_dir);
  double* client = calloc((size_t)reps, sizeof(double));
  double* wall = calloc((size_t)reps, sizeof(double));
  double server_before = process_cpu_ns(server);
  struct timespec settle = {0, 30000000};
  for (int r = 0; r < reps; r++) {
    wall[r] = spawn_ns(run_argv, env, &client[r]);
    nanosleep(&settle, NULL);
  }
  double server_after = process_cpu_ns(server);
  if (server > 0 && server_before >= 0 && server_after >= 0) {
    /* The kernel counts CPU time in clock ticks: a mean over the runs, not a median. */
    double per_run = (server_after - server_before) / reps;
    stats_t one = summarize(&per_run, NULL, 1, 1);
    record("resident_server_cpu", "CPU the resident process spent per `-c pass` (mean; making the next "
           "run's runtime included)", one, "ms");
    record("resident_client_cpu", "CPU the client spent per resident `-c pass`", summarize(client, NULL, reps, 1), "ms");
  }
  free(client);
  free(wall);
  if (server > 0) {
    kill(server, SIGTERM);
    for (int i = 0; i < 500 && kill(server, 0) == 0; i++) nanosleep(&(struct timespec){0, 10000000}, NULL);
  }
  char sockets[4400];
  snprintf(sockets, sizeof sockets, "%s/pyodide-run", runtime_dir);
  rmdir(sockets);
  rmdir(runtime_dir);
  free(env);
}
#endif

/* ---- interrupts ----------------------------------------------------------------- */

#ifndef _WIN32
/* pyodide_interrupt from this thread to the return of a call running
 * `while True: f()` on another one; the call announces through a host function
 * that it is running, and the interrupt comes 20 ms later, inside the loop. */
typedef struct {
  pyodide_t* py;
  atomic_int running;
  double returned_at;
} interrupt_ctx;

static pyodide_error_t* host_running(void* env, const pyodide_value_t* args, size_t nargs,
                                     pyodide_value_t* result) {
  (void)args;
  (void)nargs;
  atomic_store(&((interrupt_ctx*)env)->running, 1);
  result->kind = PYODIDE_NONE;
  return NULL;
}

static void* interrupted_call(void* p) {
  interrupt_ctx* c = p;
  pyodide_error_t* err = pyodide_run_python(c->py, "bench_signal.running()\nwhile True: f()", PYODIDE_STRLEN, NULL, NULL);
  c->returned_at = now_ns();
  if (!err || pyodide_error_kind(err) != PYODIDE_ERROR_PYTHON) die("the interrupted call: not a KeyboardInterrupt", err);
  pyodide_error_delete(err);
  return NULL;
}

static stats_t interrupt_latency(pyodide_t* py) {
  interrupt_ctx c = {py, 0, 0};
  pyodide_host_member_t member = {"running", host_running, NULL};
  CHECK("pyodide_register_module", pyodide_register_module(py, "bench_signal", &member, 1, &c, NULL));
  CHECK("interrupt setup", pyodide_run_python(py, "import bench_signal\ndef f(): pass", PYODIDE_STRLEN, NULL, NULL));
  double* t = calloc((size_t)REPS, sizeof(double));
  for (int r = 0; r < REPS; r++) {
    atomic_store(&c.running, 0);
    pthread_t thread;
    if (pthread_create(&thread, NULL, interrupted_call, &c) != 0) die("pthread_create", NULL);
    while (!atomic_load(&c.running)) {
      struct timespec tick = {0, 100000};
      nanosleep(&tick, NULL);
    }
    struct timespec inside = {0, 20000000};
    nanosleep(&inside, NULL);
    double t0 = now_ns();
    CHECK("pyodide_interrupt", pyodide_interrupt(py));
    pthread_join(thread, NULL);
    t[r] = c.returned_at - t0;
  }
  stats_t s = summarize(t, NULL, REPS, 1);
  free(t);
  return s;
}
#endif

/* ---- the first load, in fresh processes ------------------------------------------ */

/* An idle thread, as hosts have (Go's runtime, a server's workers). */
static void* idle_thread(void* unused) {
  (void)unused;
  for (;;) pause();
  return NULL;
}

/* --first-load FILE: the process's first pyodide_load (it also starts .NET) and
 * its first pyodide_run_python after it: wall and CPU ns to the loaded runtime,
 * then to the first result, written to FILE. With `threaded`, a second thread
 * runs before the load. */
static int first_load_child(const char* path, int threaded) {
  pthread_t thread;
  if (threaded && pthread_create(&thread, NULL, idle_thread, NULL) != 0) die("pthread_create", NULL);
  pyodide_t* py;
  double c0 = cpu_ns(), t0 = now_ns();
  CHECK("pyodide_load", pyodide_load(NULL, &py));
  double wall = now_ns() - t0, cpu = cpu_ns() - c0;
  CHECK("run_python", pyodide_run_python(py, "1", PYODIDE_STRLEN, NULL, NULL));
  double wall_run = now_ns() - t0, cpu_run = cpu_ns() - c0;
  pyodide_destroy(py);
  FILE* f = fopen(path, "w");
  if (!f || fprintf(f, "%.0f %.0f %.0f %.0f\n", wall, cpu, wall_run, cpu_run) < 0 || fclose(f) != 0)
    die("write the first-load figures", NULL);
  return 0;
}

/* The median first load (and first result, in *run) over `reps` processes of
 * this program, one after another; `mode` is --first-load or --first-load-threaded. */
static stats_t first_load(char* self, char* mode, int reps, stats_t* run) {
  char path[4096];
  snprintf(path, sizeof path, "%s.first-load", self);
  char* argv[] = {self, mode, path, NULL};
  double* v = calloc((size_t)reps * 4, sizeof(double));
  for (int r = 0; r < reps; r++) {
    double ignored;
    spawn_ns(argv, NULL, &ignored);
    FILE* f = fopen(path, "r");
    if (!f || fscanf(f, "%lf %lf %lf %lf", &v[r], &v[reps + r], &v[2 * reps + r], &v[3 * reps + r]) != 4)
      die("read the first-load figures", NULL);
    fclose(f);
  }
  remove(path);
  stats_t s = summarize(v, v + reps, reps, 1);
  *run = summarize(v + 2 * reps, v + 3 * reps, reps, 1);
  free(v);
  return s;
}

/* ---- snapshots ------------------------------------------------------------------ */

static const char LIBS[] = "import json, decimal, sqlite3, asyncio, email";

#define SNAPSHOT_RUNTIMES 100

/* A runtime with the libraries imported, from a snapshot file (snapshot_libs) or
 * started plain and importing them (import_libs); each loaded, used and destroyed. */
static void bench_snapshots(const char* dir) {
  char path[4096];
  snprintf(path, sizeof path, "%s/bench-libs.snapshot", dir);
  pyodide_t* py;
  CHECK("pyodide_load", pyodide_load(NULL, &py));
  CHECK("import", pyodide_run_python(py, LIBS, PYODIDE_STRLEN, NULL, NULL));
  CHECK("pyodide_snapshot_save", pyodide_snapshot_save(py, path));
  pyodide_destroy(py);
  pyodide_config_t from_file;
  pyodide_config_init(&from_file);
  from_file.snapshot = path;

  double* t = calloc((size_t)REPS * 4, sizeof(double));
  for (int r = -1; r < REPS; r++) { /* r = -1: warm-up */
    double c0 = cpu_ns(), t0 = now_ns();
    CHECK("pyodide_load", pyodide_load(NULL, &py));
    CHECK("import", pyodide_run_python(py, LIBS, PYODIDE_STRLEN, NULL, NULL));
    pyodide_destroy(py);
    double c1 = cpu_ns(), t1 = now_ns();
    CHECK("pyodide_load (snapshot)", pyodide_load(&from_file, &py));
    CHECK("use", pyodide_run_python(py, "json.dumps(str(decimal.Decimal(1)))", PYODIDE_STRLEN, NULL, NULL));
    pyodide_destroy(py);
    double c2 = cpu_ns(), t2 = now_ns();
    if (r < 0) continue;
    t[r] = t1 - t0;
    t[REPS + r] = c1 - c0;
    t[2 * REPS + r] = t2 - t1;
    t[3 * REPS + r] = c2 - c1;
  }
  record("import_libs", "load + import json, decimal, sqlite3, asyncio, email + destroy",
         summarize(t, t + REPS, REPS, 1), "ms");
  record("snapshot_libs", "load from a snapshot with them imported + a call using them + destroy",
         summarize(t + 2 * REPS, t + 3 * REPS, REPS, 1), "ms");
  free(t);

  FILE* f = fopen(path, "rb");
  if (f && fseek(f, 0, SEEK_END) == 0) record_bytes("snapshot_bytes", "the size of that snapshot file", (double)ftell(f));
  if (f) fclose(f);

  pyodide_t** many = calloc(SNAPSHOT_RUNTIMES, sizeof *many);
  double before = pss_bytes();
  for (int i = 0; i < SNAPSHOT_RUNTIMES; i++) {
    CHECK("pyodide_load (snapshot)", pyodide_load(&from_file, &many[i]));
    CHECK("run", pyodide_run_python(many[i], "json.dumps([1])", PYODIDE_STRLEN, NULL, NULL));
  }
  double after = pss_bytes();
  for (int i = 0; i < SNAPSHOT_RUNTIMES; i++) pyodide_destroy(many[i]);
  free(many);
  if (before >= 0 && after >= 0)
    record_bytes("pss_snapshot_100", "memory of 100 runtimes restored from it, alive, one run each "
                 "(proportional set size: shared pages once)", after - before);
  remove(path);
}

/* ---- main ----------------------------------------------------------------------- */

static pyproxy_t* run_proxy(pyodide_t* py, const char* code) {
  pyodide_value_t v;
  CHECK(code, pyodide_run_python(py, code, PYODIDE_STRLEN, NULL, &v));
  if (v.kind != PYODIDE_PROXY) die("expected a proxy", NULL);
  return v.of.proxy;
}

/* One side of a loop pair: a Python loop `for i in range(n): BODY` in a function
 * whose parameters PARAMS (with defaults) bind what BODY uses, after SETUP. */
typedef struct {
  const char* id;
  const char* what;
  const char* setup;
  const char* params;
  const char* body;
} loop_side;

static pyproxy_t* loop_function(pyodide_t* py, const loop_side* side) {
  char code[1024];
  int n = snprintf(code, sizeof code, "%s\ndef loop(n, %s):\n    for i in range(n + 1): %s\n    return n + 1\nloop",
                   side->setup, side->params, side->body);
  if (n < 0 || (size_t)n >= sizeof code) die("loop_function: code too long", NULL);
  return run_proxy(py, code);
}

/* Times the two loops alternately, `iterations` a call (op_call passes i and checks
 * the result is i + 1), and records both per iteration. */
static void record_loop_pair(pyodide_t* py, int iterations, const char* unit, loop_side base, loop_side op) {
  call_ctx b = {loop_function(py, &base), iterations - 1}, o = {loop_function(py, &op), iterations - 1};
  stats_t sb, so;
  measure_pair(op_call, &b, op_call, &o, &sb, &so);
  per_iteration(&sb, iterations);
  per_iteration(&so, iterations);
  record(base.id, base.what, sb, unit);
  record(op.id, op.what, so, unit);
  pyproxy_destroy(b.fn);
  pyproxy_destroy(o.fn);
}

int main(int argc, char** argv) {
  const char* json_path = NULL;
  const char* pyodide_run = NULL;
  const char* python3 = NULL;
  const char* snapshot_dir = getenv("TMPDIR");
  if (!snapshot_dir) snapshot_dir = getenv("TEMP");
  if (!snapshot_dir) snapshot_dir = "/tmp";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--json") && i + 1 < argc) json_path = argv[++i];
    else if (!strcmp(argv[i], "--pyodide-run") && i + 1 < argc) pyodide_run = argv[++i];
    else if (!strcmp(argv[i], "--python3") && i + 1 < argc) python3 = argv[++i];
    else if (!strcmp(argv[i], "--quick")) { REPS = 5; BATCH_NS = 1e6; }
    else if (!strcmp(argv[i], "--first-load") && i + 1 < argc) return first_load_child(argv[i + 1], 0);
    else if (!strcmp(argv[i], "--first-load-threaded") && i + 1 < argc) return first_load_child(argv[i + 1], 1);
    else if (!strcmp(argv[i], "--warm")) {
      pyodide_t* py;
      CHECK("pyodide_load", pyodide_load(NULL, &py));
      pyodide_destroy(py);
      return 0;
    }
    else {
      fprintf(stderr, "usage: %s [--json FILE] [--pyodide-run PATH] [--python3 PATH] [--quick] | --warm | --first-load FILE\n", argv[0]);
      return 2;
    }
  }
  if (json_path) {
    json = fopen(json_path, "w");
    if (!json) { perror(json_path); return 1; }
    fprintf(json, "{");
  }
  printf("bench_abi: libpyodide %s, %d repetitions, median per operation\n", pyodide_version(), REPS);

  /* The process's first load also starts the .NET runtime: measured in fresh
   * processes (the median of several), before this one loads anything. */
  stats_t first_run, first_threaded_run;
  stats_t first = first_load(argv[0], "--first-load", REPS < 10 ? REPS : 10, &first_run);
  (void)first_load(argv[0], "--first-load-threaded", REPS < 10 ? REPS : 10, &first_threaded_run);
  pyodide_t* py;
  double rss_before = rss_bytes();
  CHECK("pyodide_load", pyodide_load(NULL, &py));
  CHECK("warm-up", pyodide_run_python(py, "1+1", PYODIDE_STRLEN, NULL, NULL));
  double rss_first = rss_bytes();

  stats_t a, b, c;

  /* Call path. */
  {
    /* 41, as the .NET benchmark: a small int both ways (CPython caches -5..256). */
    call_ctx cc = {run_proxy(py, "lambda i: i + 1"), 41};
    void (*volatile noop_ptr)(void*) = noop;
    measure_pair(noop_ptr, NULL, op_call, &cc, &a, &b);
    record("noop_call", "no-op C function through a function pointer", a, "ns");
    record("pyproxy_call", "pyproxy_call(lambda i: i + 1, INT)", b, "ns");
    pyproxy_destroy(cc.fn);

    run_ctx rc = {py, NULL};
    CHECK("pyodide_globals", pyodide_globals(py, &rc.globals));
    measure_pair(op_length, &rc, op_run, &rc, &a, &b);
    record("pyproxy_length", "pyproxy_length(globals): one bare guest round trip", a, "ns");
    record("run_python", "pyodide_run_python(\"1+1\")", b, "ns");
    CHECK("import asyncio", pyodide_run_python_async(py, "import asyncio\nawait asyncio.sleep(0)", PYODIDE_STRLEN, NULL, NULL));
    measure_pair(op_run, &rc, op_run_async, &rc, &a, &b);
    record("run_python_async", "pyodide_run_python_async(\"await asyncio.sleep(0)\")", b, "ns");
    pyproxy_destroy(rc.globals);

    /* Host function calls from Python: a loop calling it, against the same loop
     * calling a Python function; both per iteration. */
    pyodide_host_member_t member = {"identity", host_identity, NULL};
    CHECK("pyodide_register_module", pyodide_register_module(py, "bench_host", &member, 1, NULL, NULL));
    record_loop_pair(py, LOOP_CALLS, "ns",
                     (loop_side){"py_fn_loop", "a Python loop calling lambda i: i, per iteration", "",
                                 "f=lambda i: i", "f(i)"},
                     (loop_side){"host_fn_loop", "the same loop calling a C host function returning its INT argument",
                                 "import bench_host", "f=bench_host.identity", "f(i)"});

    /* Host object methods: the same loop calling `o.m(i)` on a C host object, against
     * calling a Python object's method; both per iteration. */
    static int bench_obj;
    pyproxy_t *object, *globals;
    CHECK("pyodide_host_object_new", pyodide_host_object_new(py, &bench_class, &bench_obj, &object));
    CHECK("pyodide_globals", pyodide_globals(py, &globals));
    pyodide_value_t key = {.kind = PYODIDE_STR, .of.str = {"bench_object", 12}}, value = {.kind = PYODIDE_PROXY, .of.proxy = object};
    CHECK("pyproxy_set", pyproxy_set(globals, &key, &value));
    pyproxy_destroy(object);
    pyproxy_destroy(globals);
    record_loop_pair(py, LOOP_CALLS, "ns",
                     (loop_side){"py_method_loop", "a Python loop calling a Python object's method o.m(i), per iteration",
                                 "class PyObject:\n    def m(self, i): return i", "o=PyObject()", "o.m(i)"},
                     (loop_side){"host_method_loop",
                                 "the same loop calling a C host object's method (call_method) returning i", "",
                                 "o=bench_object", "o.m(i)"});

    /* A small file read whole from Python, against one os.stat of it: every WASI
     * file call leaves the sandbox (Wasmtime runs it on a thread of its own pool),
     * so the ratio says how many stats' worth of host calls one read takes. */
    CHECK("write the file", pyodide_run_python(py, "open('/home/pyodide/bench-small.txt', 'wb').write(b'hello world\\n')",
                                               PYODIDE_STRLEN, NULL, NULL));
    record_loop_pair(py, FILE_OPS, "us",
                     (loop_side){"file_stat", "os.stat of a file in the runtime's home, from a Python loop, per call",
                                 "import os", "p='/home/pyodide/bench-small.txt'", "os.stat(p)"},
                     (loop_side){"file_read", "open(p, 'rb').read() of the same 12-byte file, per call", "",
                                 "p='/home/pyodide/bench-small.txt'", "open(p, 'rb').read()"});
  }

#ifndef _WIN32
  /* Interrupts (a runtime of its own: the loop function and module stay there). */
  {
    pyodide_t* ipy;
    CHECK("pyodide_load", pyodide_load(NULL, &ipy));
    record("interrupt", "pyodide_interrupt -> return of a call in `while True: f()` (another thread)",
           interrupt_latency(ipy), "us");
    pyodide_destroy(ipy);
  }
#endif

  /* Buffers. */
  {
    pyproxy_t* small = run_proxy(py, "bytearray(1 << 10)");
    pyproxy_t* big = run_proxy(py, "bytearray(64 << 20)");
    measure_pair(op_get_buffer, small, op_get_buffer, big, &a, &b);
    record("get_buffer_1k", "pyproxy_get_buffer+pybuffer_release, bytearray(1 KiB)", a, "ns");
    record("get_buffer_64m", "pyproxy_get_buffer+pybuffer_release, bytearray(64 MiB)", b, "ns");
    pyproxy_destroy(small);
    pyproxy_destroy(big);

    pyproxy_t* arr = run_proxy(py, "import array\narray.array('d', bytes(64 << 20))");
    pybuffer_t buf;
    CHECK("pyproxy_get_buffer(array)", pyproxy_get_buffer(arr, NULL, &buf));
    if (strcmp(buf.format, "d") || buf.nbytes != SUM_BYTES || !buf.c_contiguous) die("array buffer: unexpected shape", NULL);
    double* host = malloc(SUM_BYTES);
    if (!host) die("malloc", NULL);
    double* guest = buf.first;
    for (size_t i = 0; i < SUM_COUNT; i++) guest[i] = host[i] = (double)(i % 1000) * 0.5;
    sum_ctx sm = {host, 0}, sb = {guest, 0};
    measure_pair(op_sum, &sm, op_sum, &sb, &a, &b);
    if (sm.result != sb.result) die("the sums differ", NULL);
    record("sum_malloc", "sum of 64 MiB of doubles, malloc'd array", a, "us");
    record("sum_buffer", "sum of the same 64 MiB through pybuffer_t.first (array.array('d'))", b, "us");
    pybuffer_release(&buf);
    pyproxy_destroy(arr);
    free(host);
    CHECK("free the array", pyodide_run_python(py, "import gc; gc.collect()", PYODIDE_STRLEN, NULL, NULL));
  }

  /* to_js of a 100k-int list. */
  {
    int64_t* values = malloc(LIST_LEN * sizeof *values);
    for (size_t i = 0; i < LIST_LEN; i++) values[i] = (int64_t)i;
    tojs_ctx tc = {run_proxy(py, "list(range(100000))"), values, 0, 0, 0, 0};
    time_each_pair(op_to_js_c, op_to_js, &tc, &a, &b, &c);
    record("to_js_c", "the same 100k-INT list built in C (malloc + fill)", a, "ms");
    record("to_js", "pyproxy_to_js(list(range(100000)), -1)", b, "ms");
    record("to_js_release", "pyodide_value_release of that result", c, "ms");
    pyproxy_destroy(tc.list);
    free(values);
  }

  /* Another runtime while one is alive. */
  {
    record("load_first", "a process's first pyodide_load (starts .NET; warm module cache), fresh processes", first,
           "ms");
    record("load_first_run", "a process's first pyodide_load to its first run_python result, fresh processes",
           first_run, "ms");
    record("load_first_threaded", "the same in processes that already run a second thread", first_threaded_run,
           "ms");
    double* t = calloc((size_t)REPS * 2, sizeof(double));
    pyodide_t* extra;
    CHECK("pyodide_load (warm-up)", pyodide_load(NULL, &extra));
    pyodide_destroy(extra);
    for (int r = 0; r < REPS; r++) {
      double cs = cpu_ns(), s = now_ns();
      CHECK("pyodide_load", pyodide_load(NULL, &extra));
      pyodide_destroy(extra);
      t[r] = now_ns() - s;
      t[REPS + r] = cpu_ns() - cs;
    }
    record("load_destroy", "pyodide_load+pyodide_destroy, another runtime alive", summarize(t, t + REPS, REPS, 1),
           "ms");
    for (int r = 0; r < REPS; r++) {
      double cs = cpu_ns(), s = now_ns();
      CHECK("pyodide_load", pyodide_load(NULL, &extra));
      CHECK("run", pyodide_run_python(extra, "1", PYODIDE_STRLEN, NULL, NULL));
      pyodide_destroy(extra);
      t[r] = now_ns() - s;
      t[REPS + r] = cpu_ns() - cs;
    }
    record("load_run_destroy", "pyodide_load+run_python(\"1\")+pyodide_destroy, another runtime alive",
           summarize(t, t + REPS, REPS, 1), "ms");
    free(t);

    /* Resident memory: the process before anything loaded, what the first runtime
     * added, and what each further one adds (the mean over RSS_RUNTIMES alive). */
    pyodide_t* more[RSS_RUNTIMES];
    double rss_one = rss_bytes();
    for (int i = 0; i < RSS_RUNTIMES; i++) {
      CHECK("pyodide_load", pyodide_load(NULL, &more[i]));
      CHECK("run", pyodide_run_python(more[i], "1+1", PYODIDE_STRLEN, NULL, NULL));
    }
    double rss_all = rss_bytes();
    for (int i = 0; i < RSS_RUNTIMES; i++) pyodide_destroy(more[i]);
    if (rss_before >= 0 && rss_first >= 0 && rss_one >= 0 && rss_all >= 0) {
      record_bytes("rss_before", "resident memory before the first pyodide_load", rss_before);
      record_bytes("rss_first", "resident memory the first runtime added (loaded, one run)", rss_first - rss_before);
      record_bytes("rss_further", "resident memory each further runtime added (mean of " RSS_RUNTIMES_TEXT
                   " alive, one run each)", (rss_all - rss_one) / RSS_RUNTIMES);
    }
  }
  pyodide_destroy(py);

  bench_snapshots(snapshot_dir);

  /* Process start to first result. */
  {
    char* true_argv[] = TRUE_ARGV;
    char* py_argv[] = {(char*)python3, "-c", "pass", NULL};
    char* run_argv[] = {(char*)pyodide_run, "-c", "pass", NULL};
    char* py_imports_argv[] = {(char*)python3, "-c", SPAWN_IMPORTS, NULL};
    char* run_imports_argv[] = {(char*)pyodide_run, "-c", SPAWN_IMPORTS, NULL};
    char script[4200];
    char* py_package_argv[] = {(char*)python3, script, NULL};
    char* run_package_argv[] = {(char*)pyodide_run, script, NULL};
    char files_script[4200], files_data[4200], files_mount[8500];
    char* py_files_argv[] = {(char*)python3, files_script, files_data, NULL};
    char* run_files_argv[] = {(char*)pyodide_run, "--mount", files_mount, files_script, "/work", NULL};
    char* const* argvs[SPAWN_COMMANDS] = {true_argv};
    const char* ids[SPAWN_COMMANDS] = {"spawn_true"};
    const char* whats[SPAWN_COMMANDS] = {"spawn /bin/true"};
    int n = 1;
    if (python3) { argvs[n] = py_argv; ids[n] = "spawn_python3"; whats[n++] = "spawn python3 -c pass"; }
    if (pyodide_run) { argvs[n] = run_argv; ids[n] = "spawn_pyodide_run"; whats[n++] = "spawn pyodide-run -c pass"; }
    if (python3) {
      argvs[n] = py_imports_argv;
      ids[n] = "spawn_python3_imports";
      whats[n++] = "spawn python3 -c '" SPAWN_IMPORTS "'";
    }
    if (pyodide_run) {
      argvs[n] = run_imports_argv;
      ids[n] = "spawn_pyodide_run_imports";
      whats[n++] = "spawn pyodide-run -c '" SPAWN_IMPORTS "'";
    }
#ifndef _WIN32
    if (python3 && pyodide_run) {
      write_package(snapshot_dir, python3, script, sizeof script);
      argvs[n] = py_package_argv;
      ids[n] = "spawn_python3_package";
      whats[n++] = "spawn python3 SCRIPT, importing a package of its directory's";
      argvs[n] = run_package_argv;
      ids[n] = "spawn_pyodide_run_package";
      whats[n++] = "spawn pyodide-run SCRIPT, importing a package of its directory's";
      write_files_script(snapshot_dir, files_script, sizeof files_script, files_data, sizeof files_data);
      snprintf(files_mount, sizeof files_mount, "%s:/work", files_data);
      argvs[n] = py_files_argv;
      ids[n] = "spawn_python3_files";
      whats[n++] = "spawn python3 SCRIPT DIR, writing, listing and reading files";
      argvs[n] = run_files_argv;
      ids[n] = "spawn_pyodide_run_files";
      whats[n++] = "spawn pyodide-run --mount DIR:/work SCRIPT /work, writing, listing and reading files";
    }
#endif
    stats_t s[SPAWN_COMMANDS];
    int reps = REPS < 30 ? REPS : 30;
    spawn_round_robin(argvs, NULL, n, reps, 0, s);
    for (int k = 0; k < n; k++) record(ids[k], whats[k], s[k], "ms");
    if (python3) record_string("python3_path", "the python3 compared", python3);
#ifndef _WIN32
    if (python3 && pyodide_run)
      bench_resident(snapshot_dir, py_argv, run_argv, py_files_argv, run_files_argv, reps);
#endif
  }

  if (json) {
    fprintf(json, "\n}\n");
    fclose(json);
  }
  return 0;
}
