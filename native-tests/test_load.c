/*
 * Errors, version, configuration and the runtime's lifecycle:
 * pyodide_error_*, pyodide_version, pyodide_config_init, pyodide_load,
 * pyodide_destroy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <pty.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "support.h"

/* ---- errors ---- */

TEST(error_accessors_on_null) {
  ASSERT_EQ_INT(pyodide_error_kind(NULL), PYODIDE_ERROR_USAGE);
  ASSERT(pyodide_error_type(NULL) != NULL);
  ASSERT(pyodide_error_message(NULL) != NULL);
  pyodide_error_delete(NULL);
}

TEST(error_usage_fields) {
  pyodide_error_t* e = pyodide_load(NULL, NULL);
  ASSERT(e != NULL);
  ASSERT_EQ_INT(pyodide_error_kind(e), PYODIDE_ERROR_USAGE);
  ASSERT_STREQ(pyodide_error_type(e), "UsageError");
  ASSERT(pyodide_error_message(e) != NULL);
  ASSERT(strlen(pyodide_error_message(e)) > 0);
  /* The accessors return the same stable strings until the error is deleted. */
  ASSERT(pyodide_error_type(e) == pyodide_error_type(e));
  ASSERT(pyodide_error_message(e) == pyodide_error_message(e));
  pyodide_error_delete(e);
}

TEST(error_double_delete_and_deleted_handle) {
  pyodide_error_t* e = pyodide_load(NULL, NULL);
  ASSERT(e != NULL);
  pyodide_error_delete(e);
  /* Handles are checked tokens: a deleted error reads as USAGE and never crashes. */
  ASSERT_EQ_INT(pyodide_error_kind(e), PYODIDE_ERROR_USAGE);
  ASSERT(pyodide_error_type(e) != NULL);
  ASSERT(pyodide_error_message(e) != NULL);
  pyodide_error_delete(e);
}

/* ---- loading the library ---- */

TEST(loading_registers_the_process_for_membarrier) {
  /* CTest runs this case alone, in a process that has made no call into the
     library yet: the registration is native/membarrier.c's constructor's, made
     while the process had one thread (a later one, by .NET's start with a
     second thread running, waits for an RCU grace period). An unregistered
     process gets EPERM. */
  ASSERT_EQ_INT((int)syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0), 0);
}

/* ---- version ---- */

TEST(version_nonempty_static) {
  const char* v = pyodide_version();
  ASSERT(v != NULL);
  ASSERT(strlen(v) > 0);
  ASSERT(v == pyodide_version());
  ASSERT(v[0] >= '0' && v[0] <= '9');
}

/* The library reports the version of the header it was built with, as string
 * and number, and the header's macros agree with each other. */
TEST(version_matches_the_header) {
  ASSERT_STREQ(pyodide_version(), PYODIDE_VERSION);
  ASSERT_EQ_INT(pyodide_version_number(), PYODIDE_VERSION_NUMBER);
  char expected[64];
  snprintf(expected, sizeof expected, "%d.%d.%d", PYODIDE_VERSION_MAJOR, PYODIDE_VERSION_MINOR,
           PYODIDE_VERSION_PATCH);
  ASSERT_STREQ(PYODIDE_VERSION, expected);
  ASSERT_EQ_INT(PYODIDE_VERSION_NUMBER,
                PYODIDE_VERSION_MAJOR * 1000000 + PYODIDE_VERSION_MINOR * 1000 + PYODIDE_VERSION_PATCH);
}

/* ---- config ---- */

TEST(config_init_defaults) {
  pyodide_config_t c;
  memset(&c, 0xA5, sizeof c);
  pyodide_config_init(&c);
  ASSERT_EQ_INT(c.size, sizeof(pyodide_config_t));
  ASSERT(c.asset_dir == NULL);
  ASSERT(c.index_url == NULL);
  ASSERT_EQ_INT(c.memory_limit, 0);
  ASSERT(c.timeout_s == 0.0);
  ASSERT(c.mounts == NULL);
  ASSERT_EQ_INT(c.nmounts, 0);
  ASSERT(c.stdout_fn == NULL);
  ASSERT(c.stderr_fn == NULL);
  ASSERT(c.io_env == NULL);
  pyodide_config_init(NULL); /* ignored */
}

/* ---- load / destroy ---- */

TEST(load_null_config_runs_python) {
  pyodide_t* rt = LOAD();
  ASSERT_EQ_INT(RUN_INT(rt, "1 + 1"), 2);
  pyodide_destroy(rt);
}

TEST(load_with_default_config) {
  pyodide_config_t c;
  pyodide_config_init(&c);
  pyodide_t* rt = LOAD_WITH(&c);
  ASSERT_EQ_INT(RUN_INT(rt, "6 * 7"), 42);
  pyodide_destroy(rt);
}

TEST(load_null_out_is_usage) {
  ASSERT_USAGE(pyodide_load(NULL, NULL));
  pyodide_config_t c;
  pyodide_config_init(&c);
  ASSERT_USAGE(pyodide_load(&c, NULL));
}

TEST(load_bad_size_is_usage) {
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.size = 0;
  pyodide_t* rt = (pyodide_t*)(uintptr_t)0x1234;
  ASSERT_USAGE(pyodide_load(&c, &rt));
  ASSERT(rt == (pyodide_t*)(uintptr_t)0x1234); /* untouched on error */
}

TEST(load_missing_asset_dir_is_io) {
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.asset_dir = "/nonexistent/pyodide-native-test/assets";
  pyodide_t* rt = (pyodide_t*)(uintptr_t)0x1234;
  ASSERT_ERROR(pyodide_load(&c, &rt), PYODIDE_ERROR_IO, "IOError");
  ASSERT(rt == (pyodide_t*)(uintptr_t)0x1234);
}

TEST(load_null_mount_pointers_are_usage) {
  pyodide_config_t c;
  pyodide_t* rt = NULL;
  pyodide_config_init(&c);
  c.nmounts = 1; /* mounts == NULL */
  ASSERT_USAGE(pyodide_load(&c, &rt));
  pyodide_mount_t m = {NULL, "/mnt/x", true};
  c.mounts = &m;
  ASSERT_USAGE(pyodide_load(&c, &rt));
  m.host_path = "/tmp";
  m.guest_path = NULL;
  ASSERT_USAGE(pyodide_load(&c, &rt));
  ASSERT(rt == NULL);
}

TEST(destroy_null_and_twice) {
  pyodide_destroy(NULL);
  pyodide_t* rt = LOAD();
  pyodide_destroy(rt);
  pyodide_destroy(rt); /* already destroyed: ignored */
}

TEST(load_destroy_repeatedly) {
  for (int i = 0; i < 3; i++) {
    pyodide_t* rt = LOAD();
    ASSERT_EQ_INT(RUN_INT(rt, "sum(range(10))"), 45);
    pyodide_destroy(rt);
  }
}

static void* load_in_thread(void* arg) {
  pyodide_t** out = arg;
  *out = LOAD();
  return NULL;
}

TEST(load_on_one_thread_use_on_another) {
  pthread_t t;
  pyodide_t* rt = NULL;
  ASSERT_EQ_INT(pthread_create(&t, NULL, load_in_thread, &rt), 0);
  ASSERT_EQ_INT(pthread_join(t, NULL), 0);
  ASSERT(rt != NULL);
  ASSERT_EQ_INT(RUN_INT(rt, "2 ** 10"), 1024);
  pyodide_destroy(rt);
}

/* ---- stdout / stderr ---- */

typedef struct {
  char* data[2];
  size_t len[2];
  int calls;
  int wrong_thread;
  pthread_t caller;
} io_capture;

static void capture_append(io_capture* cap, int which, const char* data, size_t len) {
  cap->data[which] = realloc(cap->data[which], cap->len[which] + len + 1);
  memcpy(cap->data[which] + cap->len[which], data, len);
  cap->len[which] += len;
  cap->data[which][cap->len[which]] = '\0';
  cap->calls++;
  if (!pthread_equal(pthread_self(), cap->caller)) cap->wrong_thread++;
}

static void capture_stdout(void* env, const char* data, size_t len) {
  capture_append(env, 0, data, len);
}

static void capture_stderr(void* env, const char* data, size_t len) {
  capture_append(env, 1, data, len);
}

static void capture_reset(io_capture* cap) {
  free(cap->data[0]);
  free(cap->data[1]);
  cap->data[0] = cap->data[1] = NULL;
  cap->len[0] = cap->len[1] = 0;
}

static pyodide_t* load_captured(io_capture* cap) {
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.stdout_fn = capture_stdout;
  c.stderr_fn = capture_stderr;
  c.io_env = cap;
  memset(cap, 0, sizeof *cap);
  cap->caller = pthread_self();
  pyodide_t* rt = LOAD_WITH(&c);
  return rt;
}

TEST(stdout_stderr_callbacks_exact_bytes) {
  io_capture cap;
  pyodide_t* rt = load_captured(&cap);
  capture_reset(&cap);
  EXEC(rt, "print('hello, w\\u00f6rld \\u20ac \\U0001d11e')");
  ASSERT_EQ_INT(cap.len[0], strlen("hello, w\xc3\xb6rld \xe2\x82\xac \xf0\x9d\x84\x9e\n"));
  ASSERT_MEMEQ(cap.data[0], "hello, w\xc3\xb6rld \xe2\x82\xac \xf0\x9d\x84\x9e\n", cap.len[0]);
  ASSERT_EQ_INT(cap.len[1], 0);

  capture_reset(&cap);
  EXEC(rt, "import sys; sys.stderr.write('to stderr\\n'); print('x', file=sys.stderr)");
  ASSERT_EQ_INT(cap.len[0], 0);
  ASSERT_STREQ(cap.data[1], "to stderr\nx\n");

  /* Output of a call has arrived by the time the call returns, even without a newline. */
  capture_reset(&cap);
  EXEC(rt, "print('no newline', end='')");
  ASSERT_STREQ(cap.data[0], "no newline");

  /* A large write arrives whole and in order. */
  capture_reset(&cap);
  EXEC(rt, "print(''.join(chr(ord('a') + i % 26) for i in range(200000)), end='')");
  ASSERT_EQ_INT(cap.len[0], 200000);
  for (size_t i = 0; i < 200000; i++) {
    if (cap.data[0][i] != (char)('a' + i % 26)) ASSERT(!"large output differs");
  }
  ASSERT_EQ_INT(cap.wrong_thread, 0);
  capture_reset(&cap);
  pyodide_destroy(rt);
}

TEST(stdout_callback_from_pyproxy_call) {
  io_capture cap;
  pyodide_t* rt = load_captured(&cap);
  capture_reset(&cap);
  pyproxy_t* f = RUN_PROXY(rt, "lambda s: print(s)");
  pyodide_value_t arg = v_str("via call");
  ASSERT_OK(pyproxy_call(f, &arg, 1, NULL));
  ASSERT_STREQ(cap.data[0], "via call\n");
  pyproxy_destroy(f);
  capture_reset(&cap);
  pyodide_destroy(rt);
}

TEST(stdout_callback_gets_os_write_bytes) {
  /* Bytes written below sys.stdout (os.write on fd 1 and 2) reach the callbacks too,
     before the call returns. */
  io_capture cap;
  pyodide_t* rt = load_captured(&cap);
  capture_reset(&cap);
  EXEC(rt, "import os\nos.write(1, b'raw \\xc3\\xa9\\n')\nos.write(2, b'raw err\\n')");
  ASSERT_STREQ(cap.data[0], "raw \xc3\xa9\n");
  ASSERT_STREQ(cap.data[1], "raw err\n");
  /* Mixed with print, in order. */
  capture_reset(&cap);
  EXEC(rt, "import os, sys\nprint('a')\nos.write(1, b'b\\n')\nprint('c')");
  ASSERT_STREQ(cap.data[0], "a\nb\nc\n");
  capture_reset(&cap);
  pyodide_destroy(rt);
}

typedef struct {
  pyodide_t* rt;
  int calls;
  int ok;           /* nested pyodide_run_python("6 * 7") gave 42 */
  int usage_errors; /* nested call refused with USAGE */
  int other;
} reentry;

/* Called for every chunk of output: calls back into the runtime that is
   writing, then tries to destroy it (always refused inside a call). */
static void reenter_stdout(void* env, const char* data, size_t len) {
  (void)data;
  (void)len;
  reentry* r = env;
  r->calls++;
  pyodide_value_t v;
  pyodide_error_t* e = pyodide_run_python(r->rt, "6 * 7", PYODIDE_STRLEN, NULL, &v);
  if (e == NULL) {
    if (v.kind == PYODIDE_INT && v.of.i == 42) r->ok++;
    else r->other++;
    pyodide_value_release(&v);
  } else if (pyodide_error_kind(e) == PYODIDE_ERROR_USAGE) {
    r->usage_errors++;
  } else {
    r->other++;
  }
  pyodide_error_delete(e);
  pyodide_destroy(r->rt); /* refused while the call runs: the runtime stays usable */
}

/* print() output is delivered on the calling thread, which may call back in,
   like a host function. */
TEST(callback_may_reenter_runtime_from_sys_stdout) {
  reentry r;
  memset(&r, 0, sizeof r);
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.stdout_fn = reenter_stdout;
  c.io_env = &r;
  r.rt = LOAD_WITH(&c);
  EXEC(r.rt, "print('x')");
  ASSERT(r.calls >= 1);
  ASSERT_EQ_INT(r.ok, r.calls);
  ASSERT_EQ_INT(r.usage_errors, 0);
  ASSERT_EQ_INT(r.other, 0);
  ASSERT_EQ_INT(RUN_INT(r.rt, "6 * 7"), 42); /* still alive */
  pyodide_destroy(r.rt);
}

/* Bytes written below sys.stdout can arrive in the middle of the interpreter's
   own work: a call into the same runtime from their callback is refused (USAGE). */
TEST(callback_from_fd_write_must_not_reenter_runtime) {
  reentry r;
  memset(&r, 0, sizeof r);
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.stdout_fn = reenter_stdout;
  c.io_env = &r;
  r.rt = LOAD_WITH(&c);
  EXEC(r.rt, "import os; os.write(1, b'x')");
  ASSERT(r.calls >= 1);
  ASSERT_EQ_INT(r.usage_errors, r.calls);
  ASSERT_EQ_INT(r.other, 0);
  ASSERT_EQ_INT(RUN_INT(r.rt, "6 * 7"), 42); /* still alive */
  pyodide_destroy(r.rt);
}

static void* callbacks_in_thread(void* arg) {
  io_capture* cap = arg;
  cap->caller = pthread_self();
  pyodide_t* rt = NULL;
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.stdout_fn = capture_stdout;
  c.stderr_fn = capture_stderr;
  c.io_env = cap;
  rt = LOAD_WITH(&c);
  EXEC(rt, "print('from a thread')");
  pyodide_destroy(rt);
  return NULL;
}

TEST(stdout_callback_runs_on_calling_thread) {
  io_capture cap;
  memset(&cap, 0, sizeof cap);
  pthread_t t;
  ASSERT_EQ_INT(pthread_create(&t, NULL, callbacks_in_thread, &cap), 0);
  ASSERT_EQ_INT(pthread_join(t, NULL), 0);
  ASSERT_CONTAINS(cap.data[0], "from a thread\n");
  ASSERT_EQ_INT(cap.wrong_thread, 0);
  capture_reset(&cap);
}

TEST(null_callbacks_write_to_process_fds) {
  char out_path[] = "/tmp/pyodide-native-test-out-XXXXXX";
  char err_path[] = "/tmp/pyodide-native-test-err-XXXXXX";
  int out_fd = mkstemp(out_path), err_fd = mkstemp(err_path);
  ASSERT(out_fd >= 0 && err_fd >= 0);
  fflush(stdout);
  fflush(stderr);
  int saved_out = dup(1), saved_err = dup(2);
  ASSERT(saved_out >= 0 && saved_err >= 0);
  dup2(out_fd, 1);
  dup2(err_fd, 2);

  /* No assertions while the fds are redirected: a failure report would be lost. */
  pyodide_t* rt = NULL;
  pyodide_error_t* e1 = pyodide_load(NULL, &rt);
  pyodide_error_t* e2 = NULL;
  if (e1 == NULL) {
    e2 = pyodide_run_python(
        rt, "import sys\nprint('to fd 1: \\u00e9')\nsys.stderr.write('to fd 2\\n')\n",
        PYODIDE_STRLEN, NULL, NULL);
  }

  dup2(saved_out, 1);
  dup2(saved_err, 2);
  close(saved_out);
  close(saved_err);
  close(out_fd);
  close(err_fd);
  if (e1 != NULL) harness_fail_error(__FILE__, __LINE__, "pyodide_load", e1);
  if (e2 != NULL) harness_fail_error(__FILE__, __LINE__, "pyodide_run_python", e2);

  char* out = slurp(out_path);
  char* err = slurp(err_path);
  unlink(out_path);
  unlink(err_path);
  ASSERT_STREQ(out, "to fd 1: \xc3\xa9\n");
  ASSERT_STREQ(err, "to fd 2\n");
  free(out);
  free(err);
  pyodide_destroy(rt);
}

TEST(null_callbacks_on_a_terminal_write_only_python_output) {
  /* With fds 1 and 2 on a terminal, the terminal receives Python's text and
     nothing else (no control sequences of the library's own). */
  int master = -1, slave = -1;
  ASSERT_EQ_INT(openpty(&master, &slave, NULL, NULL, NULL), 0);
  struct termios attrs;
  ASSERT_EQ_INT(tcgetattr(slave, &attrs), 0);
  attrs.c_oflag &= ~(tcflag_t)OPOST; /* no \n → \r\n: see the bytes as written */
  ASSERT_EQ_INT(tcsetattr(slave, TCSANOW, &attrs), 0);
  fflush(stdout);
  fflush(stderr);
  int saved_out = dup(1), saved_err = dup(2);
  ASSERT(saved_out >= 0 && saved_err >= 0);
  dup2(slave, 1);
  dup2(slave, 2);

  pyodide_t* rt = NULL;
  pyodide_error_t* e1 = pyodide_load(NULL, &rt);
  pyodide_error_t* e2 = NULL;
  if (e1 == NULL) {
    e2 = pyodide_run_python(rt, "import sys\nprint('out')\nsys.stderr.write('err\\n')\n",
                            PYODIDE_STRLEN, NULL, NULL);
    pyodide_destroy(rt);
  }

  dup2(saved_out, 1);
  dup2(saved_err, 2);
  close(saved_out);
  close(saved_err);
  close(slave);
  if (e1 != NULL) harness_fail_error(__FILE__, __LINE__, "pyodide_load", e1);
  if (e2 != NULL) harness_fail_error(__FILE__, __LINE__, "pyodide_run_python", e2);

  char buf[4096];
  size_t len = 0;
  int flags = fcntl(master, F_GETFL);
  fcntl(master, F_SETFL, flags | O_NONBLOCK);
  for (;;) {
    ssize_t n = read(master, buf + len, sizeof buf - 1 - len);
    if (n <= 0) break;
    len += (size_t)n;
  }
  close(master);
  buf[len] = '\0';
  if (strcmp(buf, "out\nerr\n") != 0) {
    char shown[4 * sizeof buf];
    size_t k = 0;
    for (size_t i = 0; i < len && k + 5 < sizeof shown; i++) {
      unsigned char c = (unsigned char)buf[i];
      k += (size_t)snprintf(shown + k, sizeof shown - k, c >= 32 && c < 127 ? "%c" : "\\x%02x",
                            c);
    }
    harness_fail(__FILE__, __LINE__, "the terminal received \"%s\", expected \"out\\nerr\\n\"",
                 shown);
  }
}

/* ---- mounts, limits ---- */

TEST(mount_read_write_and_read_only) {
  char dir[] = "/tmp/pyodide-native-test-mount-XXXXXX";
  ASSERT(mkdtemp(dir) != NULL);
  char path[256];
  snprintf(path, sizeof path, "%s/in.txt", dir);
  FILE* f = fopen(path, "w");
  ASSERT(f != NULL);
  fputs("from the host\n", f);
  fclose(f);

  pyodide_mount_t mounts[2] = {{dir, "/mnt/rw", false}, {dir, "/mnt/ro", true}};
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.mounts = mounts;
  c.nmounts = 2;
  pyodide_t* rt = LOAD_WITH(&c);
  ASSERT(RUN_BOOL(rt, "open('/mnt/rw/in.txt').read() == 'from the host\\n'"));
  ASSERT(RUN_BOOL(rt, "open('/mnt/ro/in.txt').read() == 'from the host\\n'"));
  EXEC(rt, "open('/mnt/rw/out.txt', 'w').write('from python\\n')");
  ASSERT(RUN_BOOL(rt,
                  "try:\n"
                  "    open('/mnt/ro/denied.txt', 'w').write('no')\n"
                  "    ok = False\n"
                  "except OSError:\n"
                  "    ok = True\n"
                  "ok"));
  pyodide_destroy(rt);

  snprintf(path, sizeof path, "%s/out.txt", dir);
  char* text = slurp(path);
  ASSERT_STREQ(text, "from python\n");
  free(text);
  unlink(path);
  snprintf(path, sizeof path, "%s/denied.txt", dir);
  ASSERT(access(path, F_OK) != 0);
  snprintf(path, sizeof path, "%s/in.txt", dir);
  unlink(path);
  rmdir(dir);
}

TEST(sandbox_environment_and_files) {
  pyodide_t* rt = LOAD();
  ASSERT(RUN_BOOL(rt, "import os; dict(os.environ) == {'HOME': '/home/pyodide', 'LOGNAME': 'pyodide', 'USER': 'pyodide'}"));
  ASSERT(RUN_BOOL(rt, "import os; not os.path.exists('/etc/passwd')"));
  ASSERT(RUN_BOOL(rt, "import os; os.path.isdir('/home/pyodide')"));
  EXEC(rt, "open('/home/pyodide/f.txt', 'w').write('kept')");
  ASSERT(RUN_BOOL(rt, "open('/home/pyodide/f.txt').read() == 'kept'"));
  pyodide_destroy(rt);
}

TEST(timeout_gives_limit_error) {
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.timeout_s = 0.5;
  pyodide_t* rt = LOAD_WITH(&c);
  pyodide_value_t v = sentinel_value();
  ASSERT_ERROR(pyodide_run_python(rt, "while True: pass", PYODIDE_STRLEN, NULL, &v),
               PYODIDE_ERROR_LIMIT, "LimitError");
  ASSERT(is_sentinel(&v));
  pyodide_destroy(rt);
}

TEST(memory_limit_is_enforced_without_crash) {
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.memory_limit = 64u << 20;
  pyodide_t* rt = LOAD_WITH(&c);
  pyodide_error_t* e =
      pyodide_run_python(rt, "b = bytearray(512 * 1024 * 1024)", PYODIDE_STRLEN, NULL, NULL);
  ASSERT(e != NULL);
  pyodide_error_kind_t kind = pyodide_error_kind(e);
  /* Either the host's limit (LIMIT) or Python's own MemoryError. */
  if (!(kind == PYODIDE_ERROR_LIMIT ||
        (kind == PYODIDE_ERROR_PYTHON && strcmp(pyodide_error_type(e), "MemoryError") == 0)))
    harness_fail_error(__FILE__, __LINE__, "allocating past memory_limit", e);
  pyodide_error_delete(e);
  pyodide_destroy(rt);
}
