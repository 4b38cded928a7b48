/* driver.c — runs one module of CPython's Lib/test inside a Pyodide.Native
 * runtime, through the C ABI (run.py calls it once per module and attempt).
 *
 *   driver ASSET_DIR LIB_DIR RUNNER_DIR RESULTS MODULE START TEST_TIMEOUT LOG
 *
 * The runtime starts from ASSET_DIR (the test build of the guest, with
 * _testcapi & co.) and sees three mounts: LIB_DIR (CPython's Lib/, read-only)
 * at /cpython/Lib, RUNNER_DIR (cpytest.py, read-only) at /cpython/runner and
 * RESULTS's directory (writable) at /cpython/results. cpytest.main appends a
 * line to RESULTS as each test starts and ends; a watchdog thread interrupts
 * the runtime when the file has not grown for TEST_TIMEOUT seconds (a test
 * that hangs: Python gets KeyboardInterrupt, and code that ignores it is
 * stopped hard by the library). Python's output goes to LOG.
 *
 * Exit status: 0 when the module ran to its end, 1 when the call failed (an
 * interrupt, a trap; the error is printed to stderr), 2 for bad usage.
 * run.py reads RESULTS to see which test was running and resumes after it. */
#include <pyodide.h>

#include <libgen.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  pyodide_t* py;
  const char* results;
  double timeout_s;
  atomic_bool done;
} watchdog_t;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void* watch(void* arg) {
  watchdog_t* w = arg;
  off_t last_size = -1;
  double last_change = now_s();
  while (!atomic_load(&w->done)) {
    struct stat st;
    off_t size = stat(w->results, &st) == 0 ? st.st_size : -1;
    if (size != last_size) {
      last_size = size;
      last_change = now_s();
    } else if (now_s() - last_change > w->timeout_s) {
      pyodide_error_t* err = pyodide_interrupt(w->py);
      if (err) pyodide_error_delete(err);
      last_change = now_s(); /* and again after another period, if need be */
    }
    usleep(200 * 1000);
  }
  return NULL;
}

static void write_log(void* env, const char* data, size_t len) {
  fwrite(data, 1, len, (FILE*)env);
  fflush((FILE*)env);
}

/* Module names are identifiers; anything else could break out of the code below. */
static int is_identifier(const char* s) {
  if (!*s) return 0;
  for (const char* p = s; *p; p++) {
    if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (p > s && *p >= '0' && *p <= '9')))
      return 0;
  }
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 9) {
    fprintf(stderr, "usage: %s ASSET_DIR LIB_DIR RUNNER_DIR RESULTS MODULE START TEST_TIMEOUT LOG\n", argv[0]);
    return 2;
  }
  const char *assets = argv[1], *lib = argv[2], *runner = argv[3], *results = argv[4], *module = argv[5];
  long start = strtol(argv[6], NULL, 10);
  double timeout_s = strtod(argv[7], NULL);
  if (!is_identifier(module) || start < 0 || timeout_s <= 0) {
    fprintf(stderr, "driver: bad module name, start or timeout\n");
    return 2;
  }
  FILE* log = fopen(argv[8], "a");
  if (!log) {
    perror(argv[8]);
    return 2;
  }
  char* results_copy = strdup(results);
  char* results_dir = dirname(results_copy);
  char* results_copy2 = strdup(results);
  const char* results_name = basename(results_copy2);

  pyodide_mount_t mounts[] = {
    {lib, "/cpython/Lib", true},
    {runner, "/cpython/runner", true},
    {results_dir, "/cpython/results", false},
  };
  pyodide_config_t config;
  pyodide_config_init(&config);
  config.asset_dir = assets;
  config.mounts = mounts;
  config.nmounts = sizeof mounts / sizeof mounts[0];
  config.stdout_fn = write_log;
  config.stderr_fn = write_log;
  config.io_env = log;

  pyodide_t* py = NULL;
  pyodide_error_t* err = pyodide_load(&config, &py);
  if (err) {
    fprintf(stderr, "driver: pyodide_load: %s\n", pyodide_error_message(err));
    pyodide_error_delete(err);
    return 1;
  }
  char code[1024];
  snprintf(code, sizeof code,
           "import sys\n"
           "sys.path.insert(0, '/cpython/runner')\n"
           "import cpytest\n"
           "cpytest.use_tests_from('/cpython/Lib')\n"
           "cpytest.main('%s', '/cpython/results/%s', %ld)\n",
           module, results_name, start);

  watchdog_t w = {.py = py, .results = results, .timeout_s = timeout_s};
  atomic_init(&w.done, false);
  pthread_t thread;
  pthread_create(&thread, NULL, watch, &w);
  err = pyodide_run_python(py, code, PYODIDE_STRLEN, NULL, NULL);
  atomic_store(&w.done, true);
  pthread_join(thread, NULL);

  int status = 0;
  if (err) {
    fprintf(stderr, "driver: %s: %s\n", pyodide_error_type(err), pyodide_error_message(err));
    pyodide_error_delete(err);
    status = 1;
  }
  pyodide_destroy(py);
  fclose(log);
  free(results_copy);
  free(results_copy2);
  return status;
}
