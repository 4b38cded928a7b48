/*
 * pyodide-run — run Python in a Pyodide.Native sandbox, like `python3`.
 *
 *   pyodide-run -c CODE [ARG...]   run CODE; sys.argv = ['-c', ARG...]
 *   pyodide-run FILE [ARG...]      run the UTF-8 script FILE; sys.argv = [FILE, ARG...]
 *   pyodide-run - [ARG...]         run the script read from stdin; sys.argv = ['-', ARG...]
 *   pyodide-run                    an interactive prompt when stdin is a terminal,
 *                                  else the script read from stdin (sys.argv = [''])
 *   pyodide-run -V | --version     print the Python version
 *   pyodide-run -h | --help        print this usage
 *
 * Exit status as python3's: 0 on success, 1 after an uncaught exception (its
 * traceback on stderr), the code of SystemExit, 2 for usage errors and when
 * the runtime cannot start.
 *
 * Uses nothing but the C ABI in pyodide.h.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pyodide.h"

#define PROG "pyodide-run"

static const char usage_text[] =
    "usage: " PROG " [option] ... [-c cmd | file | -] [arg] ...\n"
    "Runs Python in a Pyodide.Native sandbox.\n"
    "\n"
    "Options:\n"
    "  -c cmd         program passed in as string (terminates option list)\n"
    "  -h, --help     print this help message and exit\n"
    "  -V, --version  print the Python version number and exit\n"
    "  file           program read from script file\n"
    "  -              program read from stdin (default; interactive mode if a tty)\n"
    "  arg ...        arguments passed to program in sys.argv[1:]\n";

/* Exit statuses. */
enum { EXIT_OK = 0, EXIT_EXCEPTION = 1, EXIT_USAGE = 2 };

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */
/* ------------------------------------------------------------------------ */

/* "pyodide-run: <message><arg>" and a hint, for bad command lines. */
static void usage_error(const char* message, const char* arg) {
  fprintf(stderr, PROG ": %s%s\nTry `" PROG " -h' for more information.\n", message, arg);
}

/* Prints a Python error's traceback as Python does. */
static void print_traceback(const pyodide_error_t* err) {
  const char* msg = pyodide_error_message(err);
  size_t n = strlen(msg);
  fflush(stdout);
  fputs(msg, stderr);
  if (n == 0 || msg[n - 1] != '\n') fputc('\n', stderr);
  fflush(stderr);
}

/* Prints a non-Python error ("pyodide-run: message"). */
static void print_error(const pyodide_error_t* err) {
  const char* msg = pyodide_error_message(err);
  size_t n = strlen(msg);
  fflush(stdout);
  fprintf(stderr, PROG ": %s", msg);
  if (n == 0 || msg[n - 1] != '\n') fputc('\n', stderr);
  fflush(stderr);
}

static bool is_system_exit(const pyodide_error_t* err) {
  return pyodide_error_kind(err) == PYODIDE_ERROR_PYTHON &&
         strcmp(pyodide_error_type(err), "SystemExit") == 0;
}

/*
 * The exit status for an uncaught SystemExit, as Python computes it: None →
 * 0; an int → that int (one outside the C long range → -1, i.e. 255);
 * anything else is printed (str, as sys.stderr would write it) to stderr →
 * 1. The library records the exception as sys.last_value.
 */
static int system_exit_status(pyodide_t* rt, pyodide_error_t* err) {
  static const char code[] =
      "(lambda c: None if c is None else"
      " ((int(c) if -2**63 <= c < 2**63 else -1) if isinstance(c, int)"
      " else str(c).encode('utf-8', 'backslashreplace')))"
      "(__import__('sys').last_value.code)";
  pyodide_value_t v;
  pyodide_error_t* e = pyodide_run_python(rt, code, sizeof code - 1, NULL, &v);
  if (e != NULL) {
    /* Cannot read the code: report the original error. */
    print_traceback(err);
    pyodide_error_delete(e);
    return EXIT_EXCEPTION;
  }
  int status = EXIT_EXCEPTION;
  switch (v.kind) {
    case PYODIDE_NONE: status = 0; break;
    case PYODIDE_INT: status = (int)(v.of.i & 0xff); break;
    case PYODIDE_BYTES:
      fflush(stdout);
      fwrite(v.of.str.ptr, 1, v.of.str.len, stderr);
      fputc('\n', stderr);
      fflush(stderr);
      status = EXIT_EXCEPTION;
      break;
    default: status = EXIT_EXCEPTION; break;
  }
  pyodide_value_release(&v);
  return status;
}

/*
 * Reports an error from running the program and returns the exit status;
 * deletes the error.
 */
static int finish_with_error(pyodide_t* rt, pyodide_error_t* err) {
  int status;
  if (is_system_exit(err)) {
    status = system_exit_status(rt, err);
  } else if (pyodide_error_kind(err) == PYODIDE_ERROR_PYTHON) {
    print_traceback(err);
    status = EXIT_EXCEPTION;
  } else {
    print_error(err);
    status = EXIT_USAGE;
  }
  pyodide_error_delete(err);
  return status;
}

/* Reads all of `f` into a malloc'd buffer; NULL (errno set) on failure. */
static char* read_all(FILE* f, size_t* len_out) {
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
    size_t n = fread(buf + len, 1, cap - len, f);
    len += n;
    if (n == 0) {
      if (ferror(f)) {
        int saved = errno ? errno : EIO;
        free(buf);
        errno = saved;
        return NULL;
      }
      break;
    }
  }
  *len_out = len;
  return buf;
}

/* ------------------------------------------------------------------------ */
/* Setting up __main__                                                      */
/* ------------------------------------------------------------------------ */

/*
 * sys.argv = argv. The arguments go over as bytes and are decoded with
 * surrogateescape, as python3 decodes its command line, so any byte string
 * is accepted.
 */
static pyodide_error_t* set_argv(pyodide_t* rt, const char* argv0, char** args, int nargs) {
  static const char code[] =
      "lambda a: setattr(__import__('sys'), 'argv',"
      " [x.decode('utf-8', 'surrogateescape') for x in a])";
  pyodide_value_t setter;
  pyodide_error_t* err = pyodide_run_python(rt, code, sizeof code - 1, NULL, &setter);
  if (err != NULL) return err;
  if (setter.kind != PYODIDE_PROXY) {
    pyodide_value_release(&setter);
    return NULL; /* cannot happen: a lambda is an object */
  }
  size_t n = (size_t)nargs + 1;
  pyodide_value_t* items = calloc(n, sizeof *items);
  if (items == NULL) {
    pyodide_value_release(&setter);
    fprintf(stderr, PROG ": out of memory\n");
    exit(EXIT_USAGE);
  }
  items[0].kind = PYODIDE_BYTES;
  items[0].of.str.ptr = argv0;
  items[0].of.str.len = strlen(argv0);
  for (int i = 0; i < nargs; i++) {
    items[i + 1].kind = PYODIDE_BYTES;
    items[i + 1].of.str.ptr = args[i];
    items[i + 1].of.str.len = strlen(args[i]);
  }
  pyodide_value_t list;
  memset(&list, 0, sizeof list);
  list.kind = PYODIDE_LIST;
  list.of.list.items = items;
  list.of.list.len = n;
  err = pyproxy_call(setter.of.proxy, &list, 1, NULL);
  free(items);
  pyodide_value_release(&setter);
  return err;
}

/* __main__.__file__ = path, as python3 sets it for a script. */
static pyodide_error_t* set_main_file(pyodide_t* rt, const char* path) {
  pyproxy_t* globals = NULL;
  pyodide_error_t* err = pyodide_globals(rt, &globals);
  if (err != NULL) return err;
  static const char code[] = "lambda g, p: g.__setitem__('__file__', "
                             "p.decode('utf-8', 'surrogateescape'))";
  pyodide_value_t setter;
  err = pyodide_run_python(rt, code, sizeof code - 1, NULL, &setter);
  if (err == NULL) {
    if (setter.kind == PYODIDE_PROXY) {
      pyodide_value_t args[2];
      memset(args, 0, sizeof args);
      args[0].kind = PYODIDE_PROXY;
      args[0].of.proxy = globals;
      args[1].kind = PYODIDE_BYTES;
      args[1].of.str.ptr = path;
      args[1].of.str.len = strlen(path);
      err = pyproxy_call(setter.of.proxy, args, 2, NULL);
    }
    pyodide_value_release(&setter);
  }
  pyproxy_destroy(globals);
  return err;
}

/* ------------------------------------------------------------------------ */
/* Modes                                                                    */
/* ------------------------------------------------------------------------ */

/* Runs `len` bytes of source in __main__; returns the exit status. */
static int run_source(pyodide_t* rt, const char* src, size_t len) {
  /* A UTF-8 byte order mark is allowed at the start of a source file. */
  if (len >= 3 && memcmp(src, "\xef\xbb\xbf", 3) == 0) {
    src += 3;
    len -= 3;
  }
  pyodide_error_t* err = pyodide_run_python(rt, src, len, NULL, NULL);
  fflush(stdout);
  if (err != NULL) return finish_with_error(rt, err);
  return EXIT_OK;
}

/* Writes all of data to fd; gives up silently on an error (nowhere to report it). */
static void write_all(int fd, const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    data += n;
    len -= (size_t)n;
  }
}

/*
 * Python's stdout and stderr go straight to our fds 1 and 2 (unbuffered, as
 * the library delivers them), so they interleave correctly with what we
 * write ourselves.
 */
static void python_stdout(void* env, const char* data, size_t len) {
  (void)env;
  fflush(stdout);
  write_all(1, data, len);
}

static void python_stderr(void* env, const char* data, size_t len) {
  (void)env;
  fflush(stderr);
  write_all(2, data, len);
}

static pyodide_t* load_runtime(void) {
  pyodide_config_t config;
  pyodide_config_init(&config);
  config.stdout_fn = python_stdout;
  config.stderr_fn = python_stderr;
  /* Like python3: no deadlines, Ctrl-C ends the process; so no interruption
     checks in the compiled interpreter, which runs Python ~20% faster. */
  config.unguarded = true;
  /* One runtime per process: the snapshot the library would record for later
     runtimes (~6 ms) would never be used. A user's own setting wins. */
  setenv("PYODIDE_NO_SNAPSHOT", "1", 0);
  pyodide_t* rt = NULL;
  pyodide_error_t* err = pyodide_load(&config, &rt);
  if (err != NULL) {
    fprintf(stderr, PROG ": cannot start Python: %s\n", pyodide_error_message(err));
    pyodide_error_delete(err);
    return NULL;
  }
  return rt;
}

static int print_version(void) {
  pyodide_t* rt = load_runtime();
  if (rt == NULL) return EXIT_USAGE;
  static const char code[] = "__import__('sys').version.split()[0]";
  pyodide_value_t v;
  pyodide_error_t* err = pyodide_run_python(rt, code, sizeof code - 1, NULL, &v);
  int status = EXIT_OK;
  if (err != NULL) {
    status = finish_with_error(rt, err);
  } else {
    if (v.kind == PYODIDE_STR) printf("Python %s\n", v.of.str.ptr);
    pyodide_value_release(&v);
  }
  pyodide_destroy(rt);
  return status;
}

/* ---- the interactive prompt ---- */

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig) {
  (void)sig;
  interrupted = 1;
}

/*
 * Reads one line (without its newline) into *line; returns false at EOF.
 * Ctrl-C while reading sets `interrupted` and returns an empty line.
 */
static bool read_line(const char* prompt, char** line, size_t* cap, size_t* len) {
  fputs(prompt, stderr);
  fflush(stderr);
  errno = 0;
  ssize_t n = getline(line, cap, stdin);
  if (n < 0) {
    if (errno == EINTR && interrupted) {
      clearerr(stdin);
      *len = 0;
      return true;
    }
    return false;
  }
  if (n > 0 && (*line)[n - 1] == '\n') (*line)[--n] = '\0';
  *len = (size_t)n;
  return true;
}

typedef struct {
  pyproxy_t* compile; /* source -> code object, None (incomplete) or str (error) */
  pyproxy_t* exec;    /* builtins.exec */
  pyproxy_t* globals; /* __main__.__dict__ */
} repl_t;

/*
 * codeop.compile_command as the interactive interpreter uses it; a syntax
 * error comes back as its text (traceback.format_exception_only), so that
 * the frames of codeop itself are not shown. Defined in a dict of its own,
 * leaving __main__ untouched.
 */
static const char repl_helper[] =
    "import codeop, traceback\n"
    "def compile_source(source):\n"
    "    try:\n"
    "        return codeop.compile_command(source, '<stdin>', 'single')\n"
    "    except (OverflowError, SyntaxError, ValueError) as e:\n"
    "        return ''.join(traceback.format_exception_only(type(e), e))\n"
    "compile_source\n";

/* Runs `code` (in `globals`, NULL = __main__) and takes the proxy it evaluates to. */
static pyodide_error_t* eval_proxy(pyodide_t* rt, const char* code, size_t len,
                                   pyproxy_t* globals, pyproxy_t** out) {
  pyodide_value_t v;
  pyodide_error_t* err = pyodide_run_python(rt, code, len, globals, &v);
  if (err != NULL) return err;
  if (v.kind == PYODIDE_PROXY) {
    *out = v.of.proxy; /* the value owns nothing else */
  } else {
    pyodide_value_release(&v);
  }
  return NULL;
}

static pyodide_error_t* repl_init(pyodide_t* rt, repl_t* r) {
  memset(r, 0, sizeof *r);
  static const char empty_dict[] = "{}";
  static const char exec_name[] = "exec";
  pyproxy_t* helper_globals = NULL;
  pyodide_error_t* err =
      eval_proxy(rt, empty_dict, sizeof empty_dict - 1, NULL, &helper_globals);
  if (err == NULL && helper_globals != NULL)
    err = eval_proxy(rt, repl_helper, sizeof repl_helper - 1, helper_globals, &r->compile);
  pyproxy_destroy(helper_globals);
  if (err == NULL) err = eval_proxy(rt, exec_name, sizeof exec_name - 1, NULL, &r->exec);
  if (err == NULL) err = pyodide_globals(rt, &r->globals);
  return err;
}

static void repl_free(repl_t* r) {
  pyproxy_destroy(r->compile);
  pyproxy_destroy(r->exec);
  pyproxy_destroy(r->globals);
}

typedef enum { SOURCE_INCOMPLETE, SOURCE_DONE, SOURCE_EXIT } source_result;

/*
 * Compiles `src` as the interactive interpreter does ('single' mode, so
 * expression statements print their repr through sys.displayhook) and runs
 * it when complete. On SystemExit sets *status and returns SOURCE_EXIT.
 */
static source_result repl_source(pyodide_t* rt, repl_t* r, const char* src, size_t len,
                                 int* status) {
  pyodide_value_t arg;
  memset(&arg, 0, sizeof arg);
  arg.kind = PYODIDE_STR;
  arg.of.str.ptr = src;
  arg.of.str.len = len;
  pyodide_value_t code;
  pyodide_error_t* err = pyproxy_call(r->compile, &arg, 1, &code);
  if (err != NULL) {
    /* Not a syntax error: e.g. a USAGE error for input that is not UTF-8. */
    if (pyodide_error_kind(err) == PYODIDE_ERROR_PYTHON) print_traceback(err);
    else print_error(err);
    pyodide_error_delete(err);
    return SOURCE_DONE;
  }
  if (code.kind == PYODIDE_STR) {
    fflush(stdout);
    fwrite(code.of.str.ptr, 1, code.of.str.len, stderr);
    fflush(stderr);
    pyodide_value_release(&code);
    return SOURCE_DONE;
  }
  if (code.kind == PYODIDE_NONE) return SOURCE_INCOMPLETE;

  pyodide_value_t exec_args[2];
  memset(exec_args, 0, sizeof exec_args);
  exec_args[0] = code;
  exec_args[1].kind = PYODIDE_PROXY;
  exec_args[1].of.proxy = r->globals;
  err = pyproxy_call(r->exec, exec_args, 2, NULL);
  pyodide_value_release(&code);
  fflush(stdout);
  if (err == NULL) return SOURCE_DONE;
  if (is_system_exit(err)) {
    *status = system_exit_status(rt, err);
    pyodide_error_delete(err);
    return SOURCE_EXIT;
  }
  if (pyodide_error_kind(err) == PYODIDE_ERROR_PYTHON) print_traceback(err);
  else print_error(err);
  pyodide_error_delete(err);
  return SOURCE_DONE;
}

static int interactive(pyodide_t* rt) {
  repl_t r;
  pyodide_error_t* err = repl_init(rt, &r);
  if (err != NULL || r.compile == NULL || r.exec == NULL || r.globals == NULL) {
    int status = err != NULL ? finish_with_error(rt, err) : EXIT_USAGE;
    repl_free(&r);
    return status;
  }

  pyodide_value_t v;
  static const char banner[] =
      "'Python %s on pyodide-native' % __import__('sys').version.split()[0]";
  err = pyodide_run_python(rt, banner, sizeof banner - 1, NULL, &v);
  if (err == NULL) {
    if (v.kind == PYODIDE_STR)
      fprintf(stderr, "%s (Pyodide.Native %s)\nPress Ctrl-D to exit.\n", v.of.str.ptr,
              pyodide_version());
    pyodide_value_release(&v);
  }
  pyodide_error_delete(err);

  /* Ctrl-C discards the line being typed instead of killing the process. */
  struct sigaction sa, old_sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0; /* no SA_RESTART: interrupt getline */
  sigaction(SIGINT, &sa, &old_sa);

  char* line = NULL;
  size_t line_cap = 0, line_len = 0;
  char* source = NULL;
  size_t source_len = 0, source_cap = 0;
  int status = EXIT_OK;
  bool more = false;
  for (;;) {
    interrupted = 0;
    if (!read_line(more ? "... " : ">>> ", &line, &line_cap, &line_len)) {
      fputc('\n', stderr);
      break;
    }
    if (interrupted) {
      fputs("\nKeyboardInterrupt\n", stderr);
      source_len = 0;
      more = false;
      continue;
    }
    /* source += ("\n" if more) + line */
    size_t need = source_len + line_len + 2;
    if (need > source_cap) {
      size_t cap = source_cap ? source_cap : 256;
      while (cap < need) cap *= 2;
      char* bigger = realloc(source, cap);
      if (bigger == NULL) {
        fprintf(stderr, PROG ": out of memory\n");
        status = EXIT_USAGE;
        break;
      }
      source = bigger;
      source_cap = cap;
    }
    if (more) source[source_len++] = '\n';
    memcpy(source + source_len, line, line_len);
    source_len += line_len;
    source[source_len] = '\0';

    /* While Python runs, Ctrl-C stops the process as with any program. */
    sigaction(SIGINT, &old_sa, NULL);
    source_result res = repl_source(rt, &r, source, source_len, &status);
    sigaction(SIGINT, &sa, NULL);
    if (res == SOURCE_EXIT) break;
    more = res == SOURCE_INCOMPLETE;
    if (!more) source_len = 0;
  }
  sigaction(SIGINT, &old_sa, NULL);
  free(line);
  free(source);
  repl_free(&r);
  return status;
}

/* ------------------------------------------------------------------------ */
/* main                                                                     */
/* ------------------------------------------------------------------------ */

typedef enum { MODE_COMMAND, MODE_FILE, MODE_STDIN, MODE_INTERACTIVE } run_mode;

int main(int argc, char** argv) {
  run_mode mode;
  const char* command = NULL; /* MODE_COMMAND: the code; MODE_FILE: the path */
  const char* argv0 = "";
  int first_arg = argc; /* argv[first_arg..] become sys.argv[1:] */

  int i = 1;
  if (i == argc - 1 && strcmp(argv[i], "--") == 0) i++; /* `--` alone: as no arguments */
  if (i < argc && (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)) {
    fputs(usage_text, stdout);
    return EXIT_OK;
  }
  if (i < argc && (strcmp(argv[i], "-V") == 0 || strcmp(argv[i], "--version") == 0)) {
    return print_version();
  }
  if (i < argc && strncmp(argv[i], "-c", 2) == 0) {
    if (argv[i][2] != '\0') {
      command = argv[i] + 2; /* -cCODE */
      first_arg = i + 1;
    } else if (i + 1 < argc) {
      command = argv[i + 1];
      first_arg = i + 2;
    } else {
      usage_error("argument expected for the -c option", "");
      return EXIT_USAGE;
    }
    mode = MODE_COMMAND;
    argv0 = "-c";
  } else if (i < argc && strcmp(argv[i], "-") == 0) {
    mode = MODE_STDIN;
    argv0 = "-";
    first_arg = i + 1;
  } else if (i < argc && strcmp(argv[i], "--") == 0 && i + 1 < argc) {
    mode = MODE_FILE;
    command = argv0 = argv[i + 1];
    first_arg = i + 2;
  } else if (i < argc && argv[i][0] == '-' && argv[i][1] != '\0') {
    usage_error("unknown option ", argv[i]);
    return EXIT_USAGE;
  } else if (i < argc) {
    mode = MODE_FILE;
    command = argv0 = argv[i];
    first_arg = i + 1;
  } else {
    mode = isatty(0) ? MODE_INTERACTIVE : MODE_STDIN;
  }

  /* Read the program before starting Python, so a missing file fails fast. */
  char* source = NULL;
  size_t source_len = 0;
  if (mode == MODE_FILE) {
    FILE* f = fopen(command, "rb");
    if (f == NULL) {
      fprintf(stderr, PROG ": can't open file '%s': [Errno %d] %s\n", command, errno,
              strerror(errno));
      return EXIT_USAGE;
    }
    source = read_all(f, &source_len);
    int saved = errno;
    fclose(f);
    if (source == NULL) {
      fprintf(stderr, PROG ": can't read file '%s': %s\n", command, strerror(saved));
      return EXIT_USAGE;
    }
  } else if (mode == MODE_STDIN) {
    source = read_all(stdin, &source_len);
    if (source == NULL) {
      fprintf(stderr, PROG ": can't read stdin: %s\n", strerror(errno));
      return EXIT_USAGE;
    }
  }

  pyodide_t* rt = load_runtime();
  if (rt == NULL) {
    free(source);
    return EXIT_USAGE;
  }

  int status;
  pyodide_error_t* err = set_argv(rt, argv0, argv + first_arg, argc - first_arg);
  if (err == NULL && mode == MODE_FILE) err = set_main_file(rt, command);
  if (err != NULL) {
    status = finish_with_error(rt, err);
  } else {
    switch (mode) {
      case MODE_COMMAND: status = run_source(rt, command, strlen(command)); break;
      case MODE_FILE:
      case MODE_STDIN: status = run_source(rt, source, source_len); break;
      case MODE_INTERACTIVE:
      default: status = interactive(rt); break;
    }
  }
  free(source);
  pyodide_destroy(rt);
  fflush(stdout);
  return status;
}
