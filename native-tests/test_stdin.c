/* Standard input: config->stdin_fn (Pyodide's setStdin) feeding sys.stdin, input(),
 * sys.stdin.buffer; errors, interrupts and a large input. What each standard
 * stream's isatty() says, and what a failed write of stdout or stderr raises. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "support.h"

/* A feeder: `data` handed out at most `chunk` bytes per call; the thread and
 * the number of calls recorded; -1 once `fail_at` calls have happened. */
typedef struct {
  const char* data;
  size_t len, pos, chunk;
  int calls, fail_at, wrong_thread;
  pthread_t caller;
  char out[256];
  size_t out_len;
} feeder;

static ptrdiff_t feed(void* env, char* buf, size_t len) {
  feeder* f = env;
  f->calls++;
  if (!pthread_equal(pthread_self(), f->caller)) f->wrong_thread++;
  if (f->fail_at && f->calls >= f->fail_at) return -1;
  size_t n = f->len - f->pos;
  if (n > len) n = len;
  if (f->chunk && n > f->chunk) n = f->chunk;
  memcpy(buf, f->data + f->pos, n);
  f->pos += n;
  return (ptrdiff_t)n;
}

static void keep_stdout(void* env, const char* data, size_t len) {
  feeder* f = env;
  size_t room = sizeof f->out - 1 - f->out_len;
  if (len > room) len = room;
  memcpy(f->out + f->out_len, data, len);
  f->out_len += len;
  f->out[f->out_len] = '\0';
}

static pyodide_t* load_fed(feeder* f, const char* data, size_t len, size_t chunk) {
  memset(f, 0, sizeof *f);
  f->data = data;
  f->len = len;
  f->chunk = chunk;
  f->caller = pthread_self();
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.stdin_fn = feed;
  c.stdout_fn = keep_stdout;
  c.io_env = f;
  return LOAD_WITH(&c);
}

TEST(stdin_buffer_read_gives_the_exact_bytes) {
  static const char data[] = "line one\n\0\xff\xfe raw\r\nlast";
  feeder f;
  pyodide_t* rt = load_fed(&f, data, sizeof data - 1, 5);
  char* hex = RUN_STR(rt, "import sys\nsys.stdin.buffer.read().hex()");
  char expect[2 * sizeof data];
  for (size_t i = 0; i < sizeof data - 1; i++) snprintf(expect + 2 * i, 3, "%02x", (unsigned char)data[i]);
  ASSERT_STREQ(hex, expect);
  free(hex);
  ASSERT(f.calls >= 2); /* 5 bytes at a time: read() kept asking until the end */
  ASSERT_EQ_INT(f.wrong_thread, 0);
  pyodide_destroy(rt);
}

TEST(stdin_input_prompts_on_stdout_and_reads_a_line) {
  static const char data[] = "Ada\nLovelace\n";
  feeder f;
  pyodide_t* rt = load_fed(&f, data, sizeof data - 1, 0);
  char* got = RUN_STR(rt, "first = input('name? ')\nlast = input()\nfirst + ' ' + last");
  ASSERT_STREQ(got, "Ada Lovelace");
  free(got);
  ASSERT_STREQ(f.out, "name? ");
  ASSERT_PYERR(pyodide_run_python(rt, "input()", PYODIDE_STRLEN, NULL, NULL), "EOFError");
  pyodide_destroy(rt);
}

TEST(stdin_lines_iterate_and_utf8_split_across_reads_decodes) {
  static const char data[] = "h\xc3\xa9llo \xe2\x82\xac\nzwei\n\xf0\x9f\x90\x8d";
  feeder f;
  pyodide_t* rt = load_fed(&f, data, sizeof data - 1, 1); /* one byte per read */
  char* got = RUN_STR(rt,
                      "import sys\n"
                      "first = sys.stdin.readline()\n"
                      "rest = [line for line in sys.stdin]\n"
                      "repr([first] + rest)");
  ASSERT_STREQ(got, "['h\xc3\xa9llo \xe2\x82\xac\\n', 'zwei\\n', '\xf0\x9f\x90\x8d']");
  free(got);
  ASSERT(f.calls >= (int)(sizeof data - 1));
  pyodide_destroy(rt);
}

TEST(stdin_without_callback_is_at_its_end) {
  pyodide_t* rt = LOAD();
  ASSERT_PYERR(pyodide_run_python(rt, "input('prompt')", PYODIDE_STRLEN, NULL, NULL), "EOFError");
  char* got = RUN_STR(rt, "import sys\nrepr((sys.stdin.read(), sys.stdin.readline(), sys.stdin.isatty()))");
  ASSERT_STREQ(got, "('', '', False)");
  free(got);
  pyodide_destroy(rt);
}

TEST(stdin_isatty_is_what_the_host_says) {
  feeder f;
  memset(&f, 0, sizeof f);
  f.caller = pthread_self();
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.stdin_fn = feed;
  c.io_env = &f;
  pyodide_t* rt = LOAD_WITH(&c);
  ASSERT(!RUN_BOOL(rt, "import sys\nsys.stdin.isatty()"));
  pyodide_destroy(rt);
  c.stdin_isatty = true;
  rt = LOAD_WITH(&c);
  ASSERT(RUN_BOOL(rt, "import sys\nsys.stdin.isatty()"));
  pyodide_destroy(rt);
}

TEST(stdin_callback_error_is_oserror) {
  static const char data[] = "first\nsecond\n";
  feeder f;
  pyodide_t* rt = load_fed(&f, data, sizeof data - 1, 6);
  f.fail_at = 2;
  char* first = RUN_STR(rt, "input()");
  ASSERT_STREQ(first, "first");
  free(first);
  pyodide_error_t* e = pyodide_run_python(rt, "input()", PYODIDE_STRLEN, NULL, NULL);
  ASSERT(e != NULL);
  ASSERT_STREQ(pyodide_error_type(e), "OSError");
  ASSERT_CONTAINS(pyodide_error_message(e), "standard input");
  pyodide_error_delete(e);
  ASSERT_EQ_INT(RUN_INT(rt, "6 * 7"), 42); /* the runtime carries on */
  pyodide_destroy(rt);
}

/* A read that blocks until the host wakes it: on a pipe, as a host's console would. */
typedef struct {
  int wake[2];
  volatile int blocked;
} blocking_input;

static ptrdiff_t block_until_woken(void* env, char* buf, size_t len) {
  (void)buf;
  (void)len;
  blocking_input* in = env;
  in->blocked = 1;
  struct pollfd p = {in->wake[0], POLLIN, 0};
  poll(&p, 1, 60000); /* bounded: a broken interrupt fails the case, never hangs it */
  return -1;          /* woken: the host was interrupted */
}

typedef struct {
  pyodide_t* rt;
  pyodide_error_t* error;
} reader_thread;

static void* read_input(void* p) {
  reader_thread* r = p;
  r->error = pyodide_run_python(r->rt, "input('> ')", PYODIDE_STRLEN, NULL, NULL);
  return NULL;
}

TEST(stdin_interrupt_during_a_blocked_read_raises_keyboard_interrupt) {
  blocking_input in = {{-1, -1}, 0};
  ASSERT_EQ_INT(pipe(in.wake), 0);
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.stdin_fn = block_until_woken;
  c.io_env = &in;
  reader_thread r = {LOAD_WITH(&c), NULL};
  pthread_t t;
  ASSERT_EQ_INT(pthread_create(&t, NULL, read_input, &r), 0);
  struct timespec ms = {0, 1000000};
  for (int i = 0; i < 60000 && !in.blocked; i++) nanosleep(&ms, NULL);
  ASSERT(in.blocked);
  /* Returns at once although the reading call holds the runtime... */
  ASSERT_OK(pyodide_interrupt(r.rt));
  ASSERT(in.blocked); /* ...and the read is still blocked: nothing waited for it */
  ASSERT_EQ_INT((int)write(in.wake[1], "x", 1), 1);
  ASSERT_EQ_INT(pthread_join(t, NULL), 0);
  ASSERT(r.error != NULL);
  ASSERT_EQ_INT(pyodide_error_kind(r.error), PYODIDE_ERROR_PYTHON);
  ASSERT_STREQ(pyodide_error_type(r.error), "KeyboardInterrupt");
  pyodide_error_delete(r.error);
  ASSERT_EQ_INT(RUN_INT(r.rt, "1 + 1"), 2);
  pyodide_destroy(r.rt);
  close(in.wake[0]);
  close(in.wake[1]);
}

/* Blocks until woken the first time (-1: cut short), then answers a line. */
static ptrdiff_t block_then_answer(void* env, char* buf, size_t len) {
  blocking_input* in = env;
  if (in->blocked++ == 0) {
    struct pollfd p = {in->wake[0], POLLIN, 0};
    poll(&p, 1, 60000);
    return -1;
  }
  const char line[] = "after the signal\n";
  ASSERT(len >= sizeof line - 1);
  memcpy(buf, line, sizeof line - 1);
  return (ptrdiff_t)(sizeof line - 1);
}

static void* read_input_with_handler(void* p) {
  reader_thread* r = p;
  r->error = pyodide_run_python(r->rt,
                                "import signal\n"
                                "got = []\n"
                                "signal.signal(signal.SIGUSR1, lambda n, f: got.append(n))\n"
                                "line = input()\n",
                                PYODIDE_STRLEN, NULL, NULL);
  return NULL;
}

TEST(stdin_signal_during_a_blocked_read_runs_the_handler_and_reads_again) {
  blocking_input in = {{-1, -1}, 0};
  ASSERT_EQ_INT(pipe(in.wake), 0);
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.stdin_fn = block_then_answer;
  c.io_env = &in;
  reader_thread r = {LOAD_WITH(&c), NULL};
  pthread_t t;
  ASSERT_EQ_INT(pthread_create(&t, NULL, read_input_with_handler, &r), 0);
  struct timespec ms = {0, 1000000};
  for (int i = 0; i < 60000 && !in.blocked; i++) nanosleep(&ms, NULL);
  ASSERT(in.blocked);
  pyodide_signal_action_t action = PYODIDE_SIGNAL_DEFAULT;
  ASSERT_OK(pyodide_signal(r.rt, 10 /* SIGUSR1 */, &action));
  ASSERT_EQ_INT(action, PYODIDE_SIGNAL_HANDLED);
  ASSERT_EQ_INT((int)write(in.wake[1], "x", 1), 1); /* the host cuts its read short */
  ASSERT_EQ_INT(pthread_join(t, NULL), 0);
  ASSERT_OK(r.error);
  /* The handler ran, and the read that followed returned the line (python3's EINTR). */
  ASSERT(RUN_BOOL(r.rt, "got == [10] and line == 'after the signal'"));
  ASSERT_EQ_INT(in.blocked, 2);
  pyodide_destroy(r.rt);
  close(in.wake[0]);
  close(in.wake[1]);
}

/* 64 MiB made on the fly (byte i is i * 31 + 7), never whole in memory on either side. */
typedef struct {
  uint64_t pos, total;
  uint32_t a, b; /* Adler-32 of what was handed out */
} generator;

static ptrdiff_t generate(void* env, char* buf, size_t len) {
  generator* g = env;
  uint64_t left = g->total - g->pos;
  size_t n = left < len ? (size_t)left : len;
  for (size_t i = 0; i < n; i++) {
    unsigned char byte = (unsigned char)((g->pos + i) * 31 + 7);
    buf[i] = (char)byte;
    g->a = (g->a + byte) % 65521;
    g->b = (g->b + g->a) % 65521;
  }
  g->pos += n;
  return (ptrdiff_t)n;
}

TEST(stdin_large_input_reads_in_chunks_with_flat_memory) {
  generator g = {0, 64u << 20, 1, 0};
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.stdin_fn = generate;
  c.io_env = &g;
  pyodide_t* rt = LOAD_WITH(&c);
  pyodide_stats_t before = {.size = sizeof before}, after = {.size = sizeof after};
  ASSERT_OK(pyodide_stats(rt, &before));
  int64_t checksum = RUN_INT(rt,
                             "import sys, zlib\n"
                             "crc, total = 1, 0\n"
                             "while chunk := sys.stdin.buffer.read(1 << 20):\n"
                             "    crc = zlib.adler32(chunk, crc)\n"
                             "    total += len(chunk)\n"
                             "assert total == 64 << 20, total\n"
                             "crc");
  ASSERT_OK(pyodide_stats(rt, &after));
  ASSERT_EQ_INT(g.pos, g.total);
  ASSERT_EQ_INT(checksum, (int64_t)((g.b << 16) | g.a));
  /* A few 1 MiB chunks at most, never the 64 MiB. */
  ASSERT(after.memory_bytes - before.memory_bytes < (16u << 20));
  pyodide_destroy(rt);
}

TEST(stdin_older_config_layout_has_no_stdin) {
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.stdin_fn = feed; /* past the older size: must not be read */
  c.size = offsetof(pyodide_config_t, stdin_fn);
  pyodide_t* rt = LOAD_WITH(&c);
  ASSERT_PYERR(pyodide_run_python(rt, "input()", PYODIDE_STRLEN, NULL, NULL), "EOFError");
  pyodide_destroy(rt);
}

static void drop_output(void* env, const char* data, size_t len) {
  (void)env;
  (void)data;
  (void)len;
}

/* Loads a runtime with `config`, expects `code` to give the str `want`, destroys it. */
static void expect_run_with(const pyodide_config_t* config, const char* code, const char* want) {
  pyodide_t* rt = LOAD_WITH(config);
  char* got = RUN_STR(rt, code);
  ASSERT_STREQ(got, want);
  free(got);
  pyodide_destroy(rt);
}

static const char* const stdio_ttys = "import sys\nf'{sys.stdin.isatty()} {sys.stdout.isatty()} {sys.stderr.isatty()}'";

/* With output callbacks, sys.stdout.isatty() and sys.stderr.isatty() say what the
 * host's config says, each of its own; an older layout's caller gets false. */
TEST(stdout_and_stderr_isatty_are_what_the_host_says) {
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.stdout_fn = drop_output;
  c.stderr_fn = drop_output;
  const struct { bool out, err; const char* want; } cases[] = {
      {false, false, "False False False"},
      {true, false, "False True False"},
      {false, true, "False False True"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    c.stdout_isatty = cases[i].out;
    c.stderr_isatty = cases[i].err;
    expect_run_with(&c, stdio_ttys, cases[i].want);
  }
  c.stdout_isatty = c.stderr_isatty = true; /* past the older size: must not be read */
  c.size = offsetof(pyodide_config_t, stdout_isatty);
  expect_run_with(&c, stdio_ttys, "False False False");
}

/* Loads a runtime with `config` while the process's fd 1 is `fd`. */
static pyodide_t* load_with_stdout(const pyodide_config_t* config, int fd) {
  fflush(stdout);
  int saved = dup(1);
  ASSERT(saved >= 0);
  ASSERT(dup2(fd, 1) == 1);
  pyodide_t* rt = LOAD_WITH(config);
  ASSERT(dup2(saved, 1) == 1);
  close(saved);
  return rt;
}

/* Without a callback Python writes to the process's own stream, and isatty() says
 * whether that is a terminal when the runtime is loaded: /dev/null says False, a
 * pseudo-terminal True (the config's field is for callbacks and does not count). */
TEST(stdout_isatty_without_a_callback_is_the_process_stream) {
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.stderr_fn = drop_output;
  c.stderr_isatty = true;
  c.stdout_isatty = true;
  int null = open("/dev/null", O_WRONLY);
  ASSERT(null >= 0);
  pyodide_t* to_null = load_with_stdout(&c, null);
  close(null);
  int terminal = posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT(terminal >= 0);
  ASSERT(grantpt(terminal) == 0 && unlockpt(terminal) == 0);
  int follower = open(ptsname(terminal), O_RDWR | O_NOCTTY);
  ASSERT(follower >= 0);
  pyodide_t* to_terminal = load_with_stdout(&c, follower);
  close(follower);
  close(terminal);
  char* got = RUN_STR(to_null, stdio_ttys);
  ASSERT_STREQ(got, "False False True");
  free(got);
  got = RUN_STR(to_terminal, stdio_ttys);
  ASSERT_STREQ(got, "False True True");
  free(got);
  pyodide_destroy(to_terminal);
  pyodide_destroy(to_null);
}

/* A status callback: fails every write with the errno `env` points at (0: none). */
static int fail_output(void* env, const char* data, size_t len) {
  (void)data;
  (void)len;
  return *(const int*)env;
}

/* How each way of writing to stdout and stderr ends: "written", or the OSError's
 * type and errno. */
static const char* const write_outcomes =
    "import os, sys\n"
    "def outcome(write):\n"
    "    try:\n"
    "        write()\n"
    "    except OSError as e:\n"
    "        return f'{type(e).__name__} {e.errno}'\n"
    "    return 'written'\n"
    "', '.join(outcome(w) for w in (lambda: print('x'), lambda: sys.stdout.buffer.write(b'x'),\n"
    "                              lambda: os.write(1, b'x'), lambda: print('x', file=sys.stderr)))";

/* A write the host's status callback fails raises OSError in Python with the
 * errno it returned (Linux's numbers, as Python shows them): BrokenPipeError for
 * EPIPE, whatever the layer (print, the buffer, os.write); the runtime carries
 * on. The status callbacks take the place of stdout_fn and stderr_fn, and a
 * caller of the older layout has only those. */
TEST(a_write_the_status_callback_fails_raises_oserror) {
  int errno_value = EPIPE;
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.stdout_status_fn = fail_output;
  c.stderr_status_fn = fail_output;
  c.stdout_fn = drop_output; /* not called while a status callback is set */
  c.stderr_fn = drop_output;
  c.io_env = &errno_value;
  pyodide_t* rt = LOAD_WITH(&c);
  const struct { int errno_value; const char* want; } cases[] = {
      {EPIPE, "BrokenPipeError 32, BrokenPipeError 32, BrokenPipeError 32, BrokenPipeError 32"},
      {ENOSPC, "OSError 28, OSError 28, OSError 28, OSError 28"},
      {EIO, "OSError 5, OSError 5, OSError 5, OSError 5"},
      {12345, "OSError 5, OSError 5, OSError 5, OSError 5"}, /* no such errno: EIO */
      {0, "written, written, written, written"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    errno_value = cases[i].errno_value;
    char* got = RUN_STR(rt, write_outcomes);
    ASSERT_STREQ(got, cases[i].want);
    free(got);
  }
  pyodide_destroy(rt);

  errno_value = EPIPE;
  c.size = offsetof(pyodide_config_t, stdout_status_fn);
  expect_run_with(&c, write_outcomes, "written, written, written, written");
}

/* Without a callback Python writes to the process's own fd 1; a pipe whose reader
 * has gone (SIGPIPE ignored, as python3 and most servers have it) fails the write
 * with EPIPE, and Python raises BrokenPipeError, as python3 does. */
TEST(a_closed_pipe_on_the_process_stdout_is_broken_pipe_error) {
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.stderr_fn = drop_output;
  pyodide_t* rt = LOAD_WITH(&c);
  struct sigaction ignore = {.sa_handler = SIG_IGN}, before;
  ASSERT(sigaction(SIGPIPE, &ignore, &before) == 0);
  int ends[2];
  ASSERT(pipe(ends) == 0);
  close(ends[0]);
  fflush(stdout);
  int saved = dup(1);
  ASSERT(saved >= 0 && dup2(ends[1], 1) == 1);
  close(ends[1]);
  char* got = RUN_STR(rt, write_outcomes);
  ASSERT(dup2(saved, 1) == 1);
  close(saved);
  ASSERT(sigaction(SIGPIPE, &before, NULL) == 0);
  ASSERT_STREQ(got, "BrokenPipeError 32, BrokenPipeError 32, BrokenPipeError 32, written");
  free(got);
  pyodide_destroy(rt);
}

/* A terminal_size_fn: stdout shows on a terminal of 123 x 45, stderr on none. */
static bool stdout_terminal(void* env, int fd, int* columns, int* lines) {
  ++*(int*)env;
  if (fd != 1) return false;
  *columns = 123;
  *lines = 45;
  return true;
}

static const char* const terminal_sizes =
    "import os, shutil\n"
    "def size(fd):\n"
    "    try:\n"
    "        return tuple(os.get_terminal_size(fd))\n"
    "    except OSError as e:\n"
    "        return e.errno, e.strerror\n"
    "f'{size(0)} {size(1)} {size(2)} {tuple(shutil.get_terminal_size())}'";

/* os.get_terminal_size (and so shutil.get_terminal_size) says what the host's
 * terminal_size_fn says, asking it each time; a stream it calls no terminal is
 * OSError ENOTTY (Linux's 25), as python3's pipe. Without the callback, a stream
 * with a write callback is no terminal; an older layout has no callback. */
TEST(os_get_terminal_size_is_what_the_host_says) {
  int asked = 0;
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.stdout_fn = drop_output;
  c.stderr_fn = drop_output;
  c.terminal_size_fn = stdout_terminal;
  c.io_env = &asked;
  expect_run_with(&c, terminal_sizes, "(25, 'Inappropriate ioctl for device') (123, 45) "
                                      "(25, 'Inappropriate ioctl for device') (123, 45)");
  ASSERT_EQ_INT(asked, 4);

  const char* no_terminal = "(25, 'Inappropriate ioctl for device') (25, 'Inappropriate ioctl for device') "
                            "(25, 'Inappropriate ioctl for device') (80, 24)";
  c.terminal_size_fn = NULL;
  expect_run_with(&c, terminal_sizes, no_terminal);
  c.terminal_size_fn = stdout_terminal; /* past the older size: must not be read */
  c.size = offsetof(pyodide_config_t, terminal_size_fn);
  expect_run_with(&c, terminal_sizes, no_terminal);
  ASSERT_EQ_INT(asked, 4);
}

/* Without callbacks Python writes to the process's own stdout: a terminal answers
 * with its size, asked when Python asks (resized in between). */
TEST(os_get_terminal_size_without_a_callback_is_the_process_terminal) {
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.stderr_fn = drop_output;
  int terminal = posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT(terminal >= 0);
  ASSERT(grantpt(terminal) == 0 && unlockpt(terminal) == 0);
  int follower = open(ptsname(terminal), O_RDWR | O_NOCTTY);
  ASSERT(follower >= 0);
  struct winsize size = {.ws_row = 30, .ws_col = 100};
  ASSERT(ioctl(follower, TIOCSWINSZ, &size) == 0);
  pyodide_t* rt = LOAD_WITH(&c);
  fflush(stdout);
  int saved = dup(1);
  ASSERT(saved >= 0 && dup2(follower, 1) == 1);
  char* first = RUN_STR(rt, "import os\nstr(tuple(os.get_terminal_size()))");
  size.ws_col = 132;
  ASSERT(ioctl(follower, TIOCSWINSZ, &size) == 0);
  char* resized = RUN_STR(rt, "str(tuple(os.get_terminal_size(1)))");
  ASSERT(dup2(saved, 1) == 1);
  close(saved);
  close(follower);
  close(terminal);
  ASSERT_STREQ(first, "(100, 30)");
  ASSERT_STREQ(resized, "(132, 30)");
  free(first);
  free(resized);
  pyodide_destroy(rt);
}
