/*
 * The runtime as pyodide-run uses it: configured from the command line,
 * with the script's directory mounted, and driven through the Python half
 * (runner.py, compiled in as runner_py.h and, compiled, as runner_pyc.h),
 * each call under the signal rules.
 */
#define _GNU_SOURCE /* realpath, memmem */
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "runner_py.h"
#include "runner_pyc.h"

/* The runner's statuses beyond 0-255 (runner.py). */
enum { RUNNER_KEYBOARD_INTERRUPT = -1, RUNNER_MEMORY_ERROR = -2 };

struct session {
  const cli_options_t* opts;
  pyodide_t* runtime;
  pyproxy_t* runner;       /* runner.py's namespace */
  pyodide_mount_t* mounts; /* opts' and the script's directory */
  size_t nmounts;
  char* script_dir;        /* owned: the mount of the script's directory */
  char* main_file;         /* owned: __main__.__file__ of a script */
  double call_seconds;     /* how long the last call ran */
  int interrupts;          /* SIGINTs that reached the last call */
};

/* ---- values ---- */

static pyodide_value_t value_bytes(const char* s) {
  pyodide_value_t v = {.kind = PYODIDE_BYTES};
  v.of.str.ptr = s;
  v.of.str.len = strlen(s);
  return v;
}

static pyodide_value_t value_str_or_none(const char* s) {
  pyodide_value_t v = {.kind = s == NULL ? PYODIDE_NONE : PYODIDE_STR};
  if (s != NULL) {
    v.of.str.ptr = s;
    v.of.str.len = strlen(s);
  }
  return v;
}

/* A LIST of n STR values (items malloc'd: free v.of.list.items). */
static bool value_str_list(const char* const* strs, size_t n, pyodide_value_t* v) {
  v->kind = PYODIDE_LIST;
  v->of.list.len = n;
  v->of.list.items = calloc(n ? n : 1, sizeof *v->of.list.items);
  if (v->of.list.items == NULL) return false;
  for (size_t i = 0; i < n; i++) v->of.list.items[i] = value_str_or_none(strs[i]);
  return true;
}

/* ---- output ---- */

/* Writes all of data to fd: 0, or the errno of the write that failed. */
static int write_all(int fd, const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Python's stdout and stderr go straight to our fds 1 and 2 (as the library
   delivers them, unbuffered), after what we wrote ourselves through `ours`.
   A failed write fails Python's: with SIGPIPE ignored (main.c), a closed
   pipe is EPIPE, and Python raises BrokenPipeError, as python3 does. Once a
   terminating signal has come, the program's output is dropped: python3
   would have ended without a word. */
static int emit(int fd, FILE* ours, const char* data, size_t len) {
  if (signals_terminating()) return 0;
  fflush(ours);
  return write_all(fd, data, len);
}

static int python_stdout(void* env, const char* data, size_t len) {
  (void)env;
  return emit(1, stdout, data, len);
}

static int python_stderr(void* env, const char* data, size_t len) {
  (void)env;
  return emit(2, stderr, data, len);
}

/* The size of the terminal on our fd 0, 1 or 2 (a resident server's are its
   client's), asked each time Python asks, as python3 asks its own. */
static bool terminal_size(void* env, int fd, int* columns, int* lines) {
  (void)env;
  struct winsize size;
  if (ioctl(fd, TIOCGWINSZ, &size) != 0 || size.ws_col == 0 || size.ws_row == 0) return false;
  *columns = size.ws_col;
  *lines = size.ws_row;
  return true;
}

/* Python's stdin is ours, read as Python asks. A Ctrl-C ends the wait at
   once: the library then raises the KeyboardInterrupt, whatever we return. */
static ptrdiff_t python_stdin(void* env, char* buf, size_t len) {
  (void)env;
  int sig = 0;
  if (!signals_wait_input(&sig)) return -1;
  ssize_t n;
  do n = read(0, buf, len);
  while (n < 0 && errno == EINTR);
  return n;
}

/* ---- the file system view ---- */

/* Adds the script's real directory at its own path (read-only) unless a
   mount already claims that guest path. */
static bool mount_script_dir(session_t* s) {
  const cli_options_t* o = s->opts;
  s->mounts = malloc((o->nmounts + 1) * sizeof *s->mounts);
  if (s->mounts == NULL) return false;
  memcpy(s->mounts, o->mounts, o->nmounts * sizeof *s->mounts);
  s->nmounts = o->nmounts;
  if (o->mode != MODE_FILE) return true;
  char* real = realpath(o->target, NULL);
  if (real == NULL) {
    cli_error(o, "can't open file '%s': [Errno %d] %s", o->target, errno, strerror(errno));
    return false;
  }
  s->script_dir = strdup(dirname(real));
  free(real);
  if (s->script_dir == NULL) return false;
  if (strcmp(s->script_dir, "/") == 0) {
    cli_error(o, "the script's directory cannot be mounted: it is the root directory");
    return false;
  }
  for (size_t i = 0; i < s->nmounts; i++)
    if (strcmp(s->mounts[i].guest_path, s->script_dir) == 0) return true;
  s->mounts[s->nmounts++] =
      (pyodide_mount_t){.host_path = s->script_dir, .guest_path = s->script_dir, .read_only = true};
  return true;
}

/* Where the host's working directory `cwd` is seen in the sandbox (malloc'd),
   through the mount with the longest matching host path; NULL if unseen. */
static char* guest_cwd(const session_t* s, const char* cwd) {
  const pyodide_mount_t* best = NULL;
  size_t best_len = 0;
  for (size_t i = 0; i < s->nmounts; i++) {
    const char* host = s->mounts[i].host_path;
    size_t n = strlen(host);
    while (n > 1 && host[n - 1] == '/') n--;
    if (strncmp(cwd, host, n) == 0 && (cwd[n] == '\0' || cwd[n] == '/') && n >= best_len) {
      best = &s->mounts[i];
      best_len = n;
    }
  }
  if (best == NULL) return NULL;
  const char* rest = cwd + best_len;
  size_t g = strlen(best->guest_path);
  while (g > 1 && best->guest_path[g - 1] == '/') g--;
  char* out = malloc(g + strlen(rest) + 1);
  if (out != NULL) {
    memcpy(out, best->guest_path, g);
    strcpy(out + g, rest);
  }
  return out;
}

/* ---- calls ---- */

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Ends the process after a terminating signal: the runtime (and its home
   directory) go first, then the process ends by the signal. */
_Noreturn void session_end_terminated(session_t* s) {
  int sig = signals_terminating();
  session_end(s);
  signals_exit(sig);
}

/* runner.<name>, a proxy in *fn (released by the caller) when there is no error. */
static pyodide_error_t* runner_function(pyproxy_t* runner, const char* name, pyodide_value_t* fn) {
  pyodide_value_t key = value_str_or_none(name);
  pyodide_error_t* err = pyproxy_get(runner, &key, fn);
  if (err != NULL) return err;
  if (fn->kind == PYODIDE_PROXY) return NULL;
  pyodide_value_release(fn);
  return pyodide_error_new("TypeError", "runner.py lacks a function");
}

pyodide_error_t* session_call(session_t* s, const char* name, const pyodide_value_t* args,
                              size_t nargs, pyodide_value_t* out) {
  if (signals_terminating()) session_end_terminated(s);
  pyodide_value_t fn;
  pyodide_error_t* err = runner_function(s->runner, name, &fn);
  if (err != NULL) return err;
  double start = now_s();
  signals_enter_call(s->runtime);
  err = pyproxy_call(fn.of.proxy, args, nargs, out);
  int interrupts = signals_leave_call();
  s->call_seconds = now_s() - start;
  pyodide_value_release(&fn);
  if (signals_terminating()) {
    pyodide_error_delete(err);
    if (out != NULL) pyodide_value_release(out);
    session_end_terminated(s);
  }
  s->interrupts = interrupts;
  return err;
}

/* Whether the last call was stopped by --timeout: no Ctrl-C of ours reached
   it and it lasted the whole deadline (our clock spans the library's). */
static bool timed_out(const session_t* s) {
  return s->interrupts == 0 && s->opts->timeout_s > 0 && s->call_seconds >= s->opts->timeout_s;
}

static int report_timeout(const session_t* s) {
  cli_error(s->opts, "the program was stopped: --timeout %g s expired", s->opts->timeout_s);
  return EXIT_TIMEOUT;
}

void session_note_timeout(const session_t* s) {
  if (timed_out(s)) cli_error(s->opts, "the statement was stopped: --timeout %g s expired", s->opts->timeout_s);
}

int session_status(session_t* s, int64_t status) {
  switch (status) {
    case RUNNER_KEYBOARD_INTERRUPT:
      if (timed_out(s)) return report_timeout(s);
      if (s->opts->inspect) return EXIT_EXCEPTION; /* -i: on to the prompt */
      /* As python3 ends after an uncaught KeyboardInterrupt. */
      session_end(s);
      signals_exit(SIGINT);
    case RUNNER_MEMORY_ERROR:
      if (s->opts->memory_limit != 0)
        cli_error(s->opts, "the program ran out of memory (--memory-limit %s)",
                  s->opts->memory_limit_arg);
      else
        cli_error(s->opts, "the program ran out of memory");
      return EXIT_MEMORY;
    default: return (int)(status & 0xff);
  }
}

int session_fail(session_t* s, pyodide_error_t* err) {
  const char* msg = pyodide_error_message(err);
  size_t n = strlen(msg);
  int line_len = (int)(n && msg[n - 1] == '\n' ? n - 1 : n); /* without its newline */
  int status, exit_status;
  if (pyodide_error_exit_status(err, &exit_status)) {
    /* os._exit: the program ended, without a word, as python3's does. */
    status = exit_status & 0xff;
  } else if (pyodide_error_kind(err) == PYODIDE_ERROR_LIMIT && timed_out(s)) {
    status = report_timeout(s);
  } else if (pyodide_error_kind(err) == PYODIDE_ERROR_LIMIT && s->interrupts > 0) {
    /* The library stopped code that ignored our KeyboardInterrupt. */
    cli_error(s->opts, "%.*s", line_len, msg);
    session_end(s);
    signals_exit(SIGINT);
  } else if (pyodide_error_kind(err) == PYODIDE_ERROR_PYTHON) {
    /* A failure of our own Python half (setup), shown as Python shows it. */
    fflush(stdout);
    fprintf(stderr, "%.*s\n", line_len, msg);
    status = EXIT_EXCEPTION;
  } else {
    cli_error(s->opts, "%.*s", line_len, msg);
    status = EXIT_USAGE;
  }
  pyodide_error_delete(err);
  return status;
}

/* ---- start and end ---- */

/* Runs runner_pyc's code object in the namespace `ns` if the runtime's
 * Python has the magic number it was compiled for; *loaded says whether it
 * did. */
static const char RUN_COMPILED_RUNNER[] =
    "lambda ns, pyc: pyc[:4] == __import__('_frozen_importlib_external').MAGIC_NUMBER"
    " and exec(__import__('marshal').loads(memoryview(pyc)[4:]), ns) is None";

static pyodide_error_t* run_compiled_runner(pyodide_t* runtime, pyproxy_t* ns, bool* loaded) {
  *loaded = false;
  if (sizeof runner_pyc <= 4) return NULL; /* built without a Python 3.11 */
  pyodide_value_t fn;
  pyodide_error_t* err = pyodide_run_python(runtime, RUN_COMPILED_RUNNER, sizeof RUN_COMPILED_RUNNER - 1,
                                            NULL, &fn);
  if (err != NULL) return err;
  if (fn.kind != PYODIDE_PROXY) {
    pyodide_value_release(&fn);
    return pyodide_error_new("TypeError", "the runner's loader is not a function");
  }
  pyodide_value_t args[2] = {{.kind = PYODIDE_PROXY, .of.proxy = ns}, {.kind = PYODIDE_BYTES}};
  args[1].of.str.ptr = (const char*)runner_pyc;
  args[1].of.str.len = sizeof runner_pyc;
  pyodide_value_t result;
  err = pyproxy_call(fn.of.proxy, args, 2, &result);
  pyodide_value_release(&fn);
  if (err != NULL) return err;
  *loaded = result.kind == PYODIDE_BOOL && result.of.b;
  pyodide_value_release(&result);
  return NULL;
}

/* runner.py's namespace: its code compiled at build time (runner_pyc.h),
 * or its source compiled now, which took ~1.7 ms of a 14 ms start. */
pyodide_error_t* session_load_runner(pyodide_t* runtime, pyproxy_t** runner) {
  pyodide_value_t ns;
  pyodide_error_t* err = pyodide_run_python(runtime, "{}", 2, NULL, &ns);
  if (err != NULL) return err;
  if (ns.kind != PYODIDE_PROXY) {
    pyodide_value_release(&ns);
    return pyodide_error_new("TypeError", "{} is not a dict");
  }
  *runner = ns.of.proxy;
  bool loaded;
  err = run_compiled_runner(runtime, *runner, &loaded);
  if (err != NULL || loaded) return err;
  return pyodide_run_python(runtime, runner_py, sizeof runner_py, *runner, NULL);
}

pyodide_error_t* session_prepare(pyodide_t* runtime, pyproxy_t** runner) {
  pyodide_error_t* err = session_load_runner(runtime, runner);
  if (err != NULL) return err;
  pyodide_value_t fn;
  err = runner_function(*runner, "prepare", &fn);
  if (err != NULL) return err;
  err = pyproxy_call(fn.of.proxy, NULL, 0, NULL);
  pyodide_value_release(&fn);
  return err;
}

/* The zone python3 would keep local time in, named for the sandbox's own
   time-zone database: TZ as it is, but a path into the host's database (or a
   link to one) as the zone's name, and without TZ the zone /etc/localtime
   links to, as Debian makes it. NULL for UTC (the sandbox's default, so a
   run there loads no zone), or when no zone can be named. Owned. */
static char* host_time_zone(void) {
  const char* tz = getenv("TZ");
  const char* path = "/etc/localtime";
  if (tz != NULL) {
    path = tz[0] == ':' ? tz + 1 : tz;
    if (path[0] != '/') return strdup(tz);
  }
  char* real = realpath(path, NULL);
  const char* name = real != NULL ? strstr(real, "/zoneinfo/") : NULL;
  char* zone = name != NULL && strcmp(name, "/zoneinfo/Etc/UTC") != 0 && strcmp(name, "/zoneinfo/UTC") != 0
                   ? strdup(name + strlen("/zoneinfo/"))
                   : NULL;
  free(real);
  return zone;
}

/* runner.setup(argv, path0, file, cwd, warnoptions, xoptions, dev_mode, inspect, flags, orig_argv,
                time_zone) */
static pyodide_error_t* setup(session_t* s) {
  const cli_options_t* o = s->opts;
  static const char* const argv0[] = {
      [MODE_COMMAND] = "-c", [MODE_MODULE] = "-m", [MODE_INTERACTIVE] = ""};
  const char* first = o->mode == MODE_FILE || o->mode == MODE_STDIN ? o->target : argv0[o->mode];

  char* cwd = getcwd(NULL, 0);
  char* gcwd = cwd != NULL ? guest_cwd(s, cwd) : NULL;
  char* file = NULL; /* kept as s->main_file */
  const char* path0 = NULL;
  if (o->mode == MODE_FILE) {
    path0 = s->script_dir;
    if (o->target[0] == '/' || cwd == NULL) {
      file = strdup(o->target);
    } else if ((file = malloc(strlen(cwd) + strlen(o->target) + 2)) != NULL) {
      sprintf(file, "%s/%s", cwd, o->target); /* as python3: absolute, not normalised */
    }
  } else if (o->mode == MODE_MODULE) {
    path0 = gcwd != NULL ? gcwd : "/home/pyodide";
  } else {
    path0 = "";
  }
  if (o->no_path0) path0 = NULL;

  char* time_zone = host_time_zone();
  pyodide_value_t args[11];
  memset(args, 0, sizeof args);
  pyodide_error_t* err = NULL;
  args[0].kind = PYODIDE_LIST;
  args[0].of.list.len = (size_t)o->nargs + 1;
  args[0].of.list.items = calloc(args[0].of.list.len, sizeof(pyodide_value_t));
  /* The flags of sys.flags the command line sets, by name (runner.setup). */
  const struct {
    const char* name;
    int value;
  } named[] = {{"debug", o->debug},
               {"inspect", o->inspect},
               {"interactive", o->inspect},
               {"optimize", o->optimize},
               {"no_user_site", o->no_user_site},
               {"no_site", o->no_site},
               {"ignore_environment", o->ignore_environment},
               {"verbose", o->verbose},
               {"bytes_warning", o->bytes_warning},
               {"quiet", o->quiet},
               {"isolated", o->isolated},
               {"safe_path", o->no_path0}};
  enum { NFLAGS = sizeof named / sizeof *named };
  pyodide_value_t flag_names[NFLAGS], flag_values[NFLAGS];
  for (size_t k = 0; k < NFLAGS; k++) {
    flag_names[k] = value_str_or_none(named[k].name);
    flag_values[k] = (pyodide_value_t){.kind = PYODIDE_INT, .of.i = named[k].value};
  }
  args[8].kind = PYODIDE_DICT;
  args[8].of.dict.keys = flag_names;
  args[8].of.dict.values = flag_values;
  args[8].of.dict.len = NFLAGS;
  args[9].kind = PYODIDE_LIST;
  args[9].of.list.len = (size_t)o->argc;
  args[9].of.list.items = calloc(o->argc > 0 ? (size_t)o->argc : 1, sizeof(pyodide_value_t));
  if (args[0].of.list.items != NULL && args[9].of.list.items != NULL &&
      value_str_list(o->warnoptions, o->nwarnoptions, &args[4]) &&
      value_str_list(o->xoptions, o->nxoptions, &args[5])) {
    for (int i = 0; i < o->argc; i++) args[9].of.list.items[i] = value_bytes(o->argv[i]);
    args[0].of.list.items[0] = value_bytes(first);
    for (int i = 0; i < o->nargs; i++) args[0].of.list.items[i + 1] = value_bytes(o->args[i]);
    args[1] = value_str_or_none(path0);
    args[2] = value_str_or_none(file);
    args[3] = value_str_or_none(gcwd);
    args[6].kind = PYODIDE_BOOL;
    args[6].of.b = o->dev_mode;
    args[7].kind = PYODIDE_BOOL;
    args[7].of.b = o->inspect;
    args[10] = value_str_or_none(time_zone);
    err = session_call(s, "setup", args, 11, NULL);
  } else {
    err = pyodide_error_new("MemoryError", "out of memory");
  }
  free(args[0].of.list.items);
  free(args[9].of.list.items);
  free(args[4].of.list.items);
  free(args[5].of.list.items);
  s->main_file = file;
  free(time_zone);
  free(gcwd);
  free(cwd);
  return err;
}

/* Where the assets are when the library is linked into this executable
   (PYODIDE_CLI_LINK in CMakeLists.txt): the library would look for them beside
   the executable; they are where libpyodide.so's are, ../lib/pyodide from bin/.
   $PYODIDE_ASSET_DIR still decides when set, as it does for the library.
   Returns an owned path, or NULL to leave the choice to the library (always,
   when pyodide-run links libpyodide.so). */
static char* installed_asset_dir(void) {
#ifdef PYODIDE_RUN_STATIC
  const char* from_environment = getenv("PYODIDE_ASSET_DIR");
  if (from_environment != NULL && *from_environment != '\0') return NULL;
  char* exe = realpath("/proc/self/exe", NULL);
  if (exe == NULL) return NULL;
  const char* bin = dirname(exe);
  size_t size = strlen(bin) + sizeof "/../lib/pyodide";
  char* assets = malloc(size);
  if (assets != NULL) snprintf(assets, size, "%s/../lib/pyodide", bin);
  free(exe);
  return assets;
#else
  return NULL;
#endif
}

/* `path` joined to the working directory when relative (no symbolic link is
   resolved: messages still show the name given), as a string to free; NULL
   when it is absolute or the directory cannot be had. */
static char* absolute_path(const char* path) {
  if (path[0] == '/' || path[0] == '\0') return NULL;
  char* cwd = getcwd(NULL, 0);
  if (cwd == NULL) return NULL;
  size_t size = strlen(cwd) + 1 + strlen(path) + 1;
  char* joined = malloc(size);
  if (joined != NULL) snprintf(joined, size, "%s/%s", cwd, path);
  free(cwd);
  return joined;
}

session_t* session_start(const cli_options_t* opts) {
  session_t* s = calloc(1, sizeof *s);
  if (s == NULL) return NULL;
  s->opts = opts;
  if (!mount_script_dir(s)) {
    session_end(s);
    return NULL;
  }
  pyodide_config_t config;
  pyodide_config_init(&config);
  config.stdout_status_fn = python_stdout;
  config.stderr_status_fn = python_stderr;
  config.terminal_size_fn = terminal_size;
  /* After a script read from stdin (MODE_STDIN), Python finds it at its end,
     as with python3. */
  config.stdin_fn = python_stdin;
  config.stdin_isatty = isatty(0);
  /* Python's streams go through python_stdout/python_stderr; they are what
     python3's would be: terminals when fds 1 and 2 are. */
  config.stdout_isatty = isatty(1);
  config.stderr_isatty = isatty(2);
  config.mounts = s->mounts;
  config.nmounts = s->nmounts;
  config.memory_limit = opts->memory_limit;
  config.timeout_s = opts->timeout_s;
  /* Without a deadline, no interruption checks in the compiled interpreter:
     Python runs ~20% faster and Ctrl-C still raises KeyboardInterrupt (code
     that ignores it is stopped by the second Ctrl-C, which ends the
     process). A deadline needs the checks to stop such code. */
  config.unguarded = opts->timeout_s == 0;
  /* --snapshot, or the library's built-in snapshot; a relative path made
     absolute, which names the same file wherever the runtime is made (a
     resident server makes the next run's ahead from its own directory). */
  char* snapshot = opts->snapshot != NULL ? absolute_path(opts->snapshot) : NULL;
  config.snapshot = snapshot != NULL ? snapshot : opts->snapshot;
  char* assets = installed_asset_dir();
  config.asset_dir = assets;
  /* A resident server may have made this runtime before the run came (having
     imported site: not for -S). */
  bool prepared = !opts->no_site && resident_take_runtime(&config, &s->runtime, &s->runner);
  pyodide_error_t* err = prepared ? NULL : pyodide_load(&config, &s->runtime);
  free(assets);
  free(snapshot);
  if (err != NULL) {
    cli_error(opts, "cannot start Python: %s", pyodide_error_message(err));
    pyodide_error_delete(err);
    session_end(s);
    return NULL;
  }
  /* --index-url is pip's: the simple index micropip installs from. (The
     lock-file index of pyodide.loadPackage stays $PYODIDE_INDEX_URL's.) */
  err = opts->index_url ? pyodide_set_index_urls(s->runtime, &opts->index_url, 1) : NULL;
  if (err != NULL) {
    cli_error(opts, "--index-url %s: %s", opts->index_url, pyodide_error_message(err));
    pyodide_error_delete(err);
    session_end(s);
    return NULL;
  }
  if (!prepared) err = session_load_runner(s->runtime, &s->runner);
  if (err == NULL && !opts->show_version) err = setup(s);
  if (err != NULL) {
    session_fail(s, err);
    session_end(s);
    return NULL;
  }
  return s;
}

void session_end(session_t* s) {
  if (s == NULL) return;
  if (s->runtime == NULL || !resident_retire_runtime(s->runtime, s->runner)) {
    pyproxy_destroy(s->runner);
    pyodide_destroy(s->runtime);
  }
  free(s->mounts);
  free(s->script_dir);
  free(s->main_file);
  free(s);
}

int session_save_snapshot(session_t* s) {
  pyodide_error_t* err = pyodide_snapshot_save(s->runtime, s->opts->save_snapshot);
  if (err == NULL) return EXIT_OK;
  const char* msg = pyodide_error_message(err);
  size_t n = strlen(msg);
  cli_error(s->opts, "cannot save the snapshot %s: %.*s", s->opts->save_snapshot,
            (int)(n && msg[n - 1] == '\n' ? n - 1 : n), msg);
  pyodide_error_delete(err);
  return EXIT_EXCEPTION;
}

/* ---- packages ---- */

/* The requirements runner.script_requirements read from the script (a LIST of
   STR in *declared, owned), or false after saying why there are none to be had. */
static bool declared_requirements(session_t* s, const char* source, size_t len, pyodide_value_t* declared) {
  pyodide_value_t arg = {.kind = PYODIDE_BYTES};
  arg.of.str.ptr = source;
  arg.of.str.len = len;
  pyodide_value_t answer;
  pyodide_error_t* err = session_call(s, "script_requirements", &arg, 1, &answer);
  if (err == NULL && answer.kind == PYODIDE_PROXY) {
    err = pyproxy_to_js(answer.of.proxy, 1, declared); /* a list of str */
    pyodide_value_release(&answer);
  } else {
    *declared = answer;
  }
  if (err != NULL) {
    session_fail(s, err);
    return false;
  }
  if (declared->kind == PYODIDE_LIST) return true;
  if (declared->kind == PYODIDE_STR) cli_error(s->opts, "%s: %s", s->opts->target, declared->of.str.ptr);
  pyodide_value_release(declared);
  return false;
}

int session_install(session_t* s, const char* source, size_t len) {
  const cli_options_t* o = s->opts;
  pyodide_value_t declared = {.kind = PYODIDE_NONE};
  /* Only a script that has a block is given to Python to read it. */
  static const char marker[] = "# /// script";
  if (o->mode == MODE_FILE && memmem(source, len, marker, sizeof marker - 1) != NULL &&
      !declared_requirements(s, source, len, &declared))
    return EXIT_USAGE;
  size_t ndeclared = declared.kind == PYODIDE_LIST ? declared.of.list.len : 0, n = 0;
  int status = -1;
  /* Borrowed: --with's from argv, the script's from `declared` (NUL-terminated, as
     every string the library gives), both alive until `done`. */
  const char** wanted = calloc(o->nwith + ndeclared + 1, sizeof *wanted);
  if (wanted == NULL) {
    status = EXIT_USAGE;
    goto done;
  }
  for (size_t i = 0; i < o->nwith; i++) wanted[n++] = o->with[i];
  for (size_t i = 0; i < ndeclared; i++) {
    const pyodide_value_t* item = &declared.of.list.items[i];
    if (item->kind == PYODIDE_STR) {
      wanted[n++] = item->of.str.ptr;
    } else { /* a str with a lone surrogate (the script was not UTF-8) comes as a proxy */
      cli_error(o, "%s: a dependency is not UTF-8", o->target);
      status = EXIT_USAGE;
    }
  }
  if (n == 0 || status >= 0) goto done;
  if (o->index_url == NULL) {
    cli_error(o, "the program needs packages (%s%s): give --index-url URL to install them from", wanted[0],
              n > 1 ? ", ..." : "");
    status = EXIT_USAGE;
    goto done;
  }
  signals_enter_call(s->runtime);
  pyodide_error_t* err = pyodide_install(s->runtime, wanted, n, NULL, NULL);
  signals_leave_call();
  if (signals_terminating()) {
    pyodide_error_delete(err);
    session_end_terminated(s);
  }
  if (err != NULL) {
    /* The error's last line: what went wrong, without the library's traceback. */
    const char* msg = pyodide_error_message(err);
    size_t end = strlen(msg);
    while (end > 0 && msg[end - 1] == '\n') end--;
    size_t start = end;
    while (start > 0 && msg[start - 1] != '\n') start--;
    cli_error(o, "cannot install the program's packages: %.*s", (int)(end - start), msg + start);
    pyodide_error_delete(err);
    status = EXIT_USAGE;
  }
done:
  free(wanted);
  pyodide_value_release(&declared);
  return status;
}

/* ---- the program ---- */

int session_run_program(session_t* s, const char* source, size_t len) {
  const cli_options_t* o = s->opts;
  pyodide_value_t args[2];
  memset(args, 0, sizeof args);
  const char* fn;
  size_t nargs = 2;
  if (o->show_version) {
    fn = "version";
    nargs = 0;
  } else if (o->mode == MODE_MODULE) {
    fn = "run_module";
    args[0] = value_str_or_none(o->target);
    args[1] = value_str_or_none(o->program);
  } else {
    fn = "run_source";
    args[0].kind = PYODIDE_BYTES;
    args[0].of.str.ptr = o->mode == MODE_COMMAND ? o->target : source;
    args[0].of.str.len = o->mode == MODE_COMMAND ? strlen(o->target) : len;
    args[1] = value_str_or_none(o->mode == MODE_COMMAND ? "<string>"
                                : o->mode == MODE_FILE  ? s->main_file
                                                        : "<stdin>");
  }
  pyodide_value_t result;
  pyodide_error_t* err = session_call(s, fn, args, nargs, &result);
  if (err != NULL) return session_fail(s, err);
  int status = EXIT_OK;
  if (result.kind == PYODIDE_STR) {
    printf("%s\n", result.of.str.ptr);
  } else if (result.kind == PYODIDE_INT) {
    status = session_status(s, result.of.i);
  }
  pyodide_value_release(&result);
  fflush(stdout);
  return status;
}
