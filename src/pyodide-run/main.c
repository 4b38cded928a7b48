/*
 * pyodide-run — python3 for sandboxed scripts: runs Python in a Pyodide.Native
 * runtime with python3's command line, exit statuses and interactive prompt,
 * seeing only what is mounted. `pyodide-run --help` lists the options and
 * exit statuses. Uses nothing but the C ABI in pyodide.h.
 *
 *   args.c      the command line
 *   signals.c   SIGINT → KeyboardInterrupt, SIGTERM/SIGHUP → a clean end
 *   session.c   the runtime: mounts, limits, and calls into runner.py
 *   runner.py   the Python half: __main__, sys.path, tracebacks as python3's
 *   repl.c      the interactive prompt (libedit)
 *   resident*.c PYODIDE_RUN_RESIDENT: runs handed to a process already started
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Reads all of fd into a malloc'd buffer; NULL (errno set) on failure. */
static char* read_all(int fd, size_t* len_out) {
  size_t cap = 1 << 16, len = 0;
  char* buf = malloc(cap);
  if (buf == NULL) return NULL;
  for (;;) {
    if (len == cap) {
      char* bigger = realloc(buf, cap * 2);
      if (bigger == NULL) {
        free(buf);
        errno = ENOMEM;
        return NULL;
      }
      buf = bigger;
      cap *= 2;
    }
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      free(buf);
      errno = saved;
      return NULL;
    }
    if (n == 0) break;
    len += (size_t)n;
  }
  *len_out = len;
  return buf;
}

/* Reads the program before starting Python, so that a missing file fails
   fast, with python3's message. */
static int read_program(const cli_options_t* opts, char** source, size_t* len) {
  if (opts->mode == MODE_STDIN) {
    if ((*source = read_all(0, len)) != NULL) return -1;
    cli_error(opts, "can't read stdin: %s", strerror(errno));
    return EXIT_USAGE;
  }
  FILE* f = fopen(opts->target, "rb");
  if (f != NULL) {
    *source = read_all(fileno(f), len);
    fclose(f);
    if (*source != NULL) return -1;
  }
  int err = errno;
  /* As python3, the path in the message is absolute. */
  char* cwd = opts->target[0] != '/' ? getcwd(NULL, 0) : NULL;
  cli_error(opts, "can't open file '%s%s%s': [Errno %d] %s", cwd ? cwd : "", cwd ? "/" : "",
            opts->target, err, strerror(err));
  free(cwd);
  return EXIT_USAGE;
}

int cli_run(int argc, char** argv) {
  cli_options_t opts;
  int status = cli_parse_args(argc, argv, &opts);
  if (status >= 0) {
    cli_options_free(&opts);
    return status;
  }
  /* As python3: no program and stdin not a terminal → the program is stdin. */
  if (opts.mode == MODE_INTERACTIVE && !isatty(0) && !opts.inspect) {
    opts.mode = MODE_STDIN;
    opts.target = "";
  }
  if (opts.save_snapshot != NULL &&
      (opts.nmounts > 0 || opts.mode == MODE_FILE || opts.mode == MODE_INTERACTIVE || opts.inspect)) {
    /* A saved runtime has no mounts (the script's directory is one), and the
       prompt has no point at which to save. */
    cli_error(&opts, "--save-snapshot needs -c, -m or a program on stdin, without --mount or -i");
    cli_options_free(&opts);
    return EXIT_USAGE;
  }

  char* source = NULL;
  size_t len = 0;
  if (!opts.show_version && (opts.mode == MODE_FILE || opts.mode == MODE_STDIN)) {
    status = read_program(&opts, &source, &len);
    if (status >= 0) {
      cli_options_free(&opts);
      return status;
    }
  }
  if (opts.skip_first_line && opts.mode == MODE_FILE) {
    /* As python3's -x: the first line goes, its newline stays (line numbers keep). */
    char* newline = memchr(source, '\n', len);
    size_t skipped = newline != NULL ? (size_t)(newline - source) : len;
    memmove(source, source + skipped, len - skipped);
    len -= skipped;
  }

  session_t* s = session_start(&opts);
  if (s == NULL) {
    status = EXIT_USAGE;
  } else {
    status = opts.show_version ? -1 : session_install(s, source, len);
    if (status < 0) {
      status = EXIT_OK;
      if (opts.show_version || opts.mode != MODE_INTERACTIVE)
        status = session_run_program(s, source, len);
      if (opts.save_snapshot != NULL && status == EXIT_OK) status = session_save_snapshot(s);
      if (!opts.show_version && (opts.mode == MODE_INTERACTIVE || opts.inspect))
        status = repl_run(s, &opts);
    }
    session_end(s);
    if (signals_terminating()) signals_exit(signals_terminating());
  }
  free(source);
  cli_options_free(&opts);
  fflush(stdout);
  return status;
}

int main(int argc, char** argv) {
  if (resident_is_server(argc, argv)) return resident_serve(argc, argv);
  int status = resident_try(argc, argv);
  if (status >= 0) return status;
  /* As python3 does: a write to a closed pipe fails with EPIPE (Python
     raises BrokenPipeError) instead of ending the process. */
  signal(SIGPIPE, SIG_IGN);
  if (!signals_start()) {
    perror("pyodide-run: cannot set up signal handling");
    return EXIT_USAGE;
  }
  return cli_run(argc, argv);
}
