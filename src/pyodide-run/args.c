/*
 * The command line: python3's options (as python3 parses them: letters may be
 * combined, -c/-m end the options) and the sandbox's long options.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const char usage_line[] = "[option] ... [-c cmd | -m mod | file | -] [arg] ...";

static const char help_text[] =
    "Runs Python in a Pyodide.Native sandbox, like python3: the program sees the\n"
    "standard library, a private file system of its own (/, with /home/pyodide and\n"
    "/tmp), its own script's directory (read-only) and the directories mounted with\n"
    "--mount; nothing else of the host.\n"
    "\n"
    "Options (as python3's):\n"
    "  -c cmd   program passed in as string (terminates option list)\n"
    "  -m mod   run library module as a script (terminates option list)\n"
    "  -i       inspect interactively after running the program\n"
    "  -q       don't print the version message on interactive startup\n"
    "  -u       unbuffered output (always so here)\n"
    "  -b       issue warnings about comparing bytes with str (-bb: errors)\n"
    "  -B       don't write .pyc files (never written here)\n"
    "  -d       turn on parser debugging output (nothing in a release build)\n"
    "  -E       ignore PYTHON* environment variables (the sandbox has none)\n"
    "  -I       isolate: -E, and the script's directory is not added to sys.path\n"
    "  -O       remove assert and __debug__-dependent statements from the\n"
    "           program's code (-OO: and docstrings)\n"
    "  -P       don't prepend the script's directory to sys.path\n"
    "  -R       hash randomization (always on)\n"
    "  -s       don't add the user site directory to sys.path (there is none)\n"
    "  -S       don't imply 'import site' on initialization (nor site-packages)\n"
    "  -v       verbose: trace import statements (-vv: more)\n"
    "  -W arg   warning control, as python3's\n"
    "  -x       skip first line of source, allowing use of non-Unix forms of #!cmd\n"
    "  -X opt   implementation-specific option (sys._xoptions): dev (dev mode's\n"
    "           warnings and faulthandler), faulthandler, tracemalloc[=N],\n"
    "           int_max_str_digits=N, warn_default_encoding; utf8 (always on here)\n"
    "  -h, --help     print this help message and exit\n"
    "  -V, --version  print the Python version number and exit\n"
    "  file     program read from script file; its directory is mounted read-only\n"
    "           at its own path and is sys.path[0]\n"
    "  -        program read from stdin (default; interactive mode if a tty)\n"
    "  arg ...  arguments passed to program in sys.argv[1:]\n"
    "\n"
    "Sandbox options:\n"
    "  --mount HOST:GUEST[:ro]  make host directory HOST visible at GUEST (repeatable;\n"
    "                           writable unless :ro). The working directory is the\n"
    "                           host's when it is visible, else the private home.\n"
    "  --memory-limit SIZE      memory Python may use: bytes, or with K, M or G (256M)\n"
    "  --timeout SECONDS        stop the program (each statement at the prompt) after\n"
    "                           SECONDS, even if it ignores KeyboardInterrupt\n"
    "  --index-url URL          the package index micropip installs from: a PEP 503/691\n"
    "                           simple index or a directory of wheels (a path or URL)\n"
    "  --with REQ               install REQ (a requirement: 'attrs>=22') from the index\n"
    "                           before the program runs (repeatable). So are the\n"
    "                           dependencies a script declares in a '# /// script'\n"
    "                           block (PEP 723); wheels are cached between runs\n"
    "  --snapshot FILE          start from a snapshot --save-snapshot wrote, with its\n"
    "                           modules and globals (a new hash secret and random state)\n"
    "  --save-snapshot FILE     after the program ran without an error, save the\n"
    "                           interpreter to FILE (cannot be combined with --mount,\n"
    "                           a script file or the prompt): pyodide-run --save-snapshot\n"
    "                           app.snap -c 'import json'; pyodide-run --snapshot app.snap\n"
    "\n"
    "Ctrl-C raises KeyboardInterrupt in the running code; a second Ctrl-C before it\n"
    "ends stops the program hard. SIGTERM stops it quietly and cleans up. A handler\n"
    "the program sets with signal.signal gets SIGINT, SIGTERM and SIGHUP instead.\n"
    "\n"
    "Environment:\n"
    "  PYODIDE_RUN_RESIDENT=SECONDS  hand runs without the prompt to a resident\n"
    "                           pyodide-run, which the first such run starts and which\n"
    "                           ends after SECONDS without a run: each run then costs a\n"
    "                           new runtime instead of a process's start\n"
    "  PYODIDE_RUN_RESIDENT_REQUIRED=1  wait for the resident process (start it if\n"
    "                           need be) instead of starting in full\n"
    "\n"
    "Exit status: 0 success; 1 uncaught exception; SystemExit's or os._exit's code;\n"
    "2 bad command line, or the sandbox could not start or died; 124 --timeout\n"
    "expired; 125 out of memory (--memory-limit); killed by SIGINT (130 in a shell)\n"
    "after an uncaught KeyboardInterrupt or a second Ctrl-C, by SIGTERM (143) after\n"
    "SIGTERM.\n";

void cli_error(const cli_options_t* opts, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fflush(stdout);
  fprintf(stderr, "%s: ", opts->program);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  fflush(stderr);
  va_end(ap);
}

/* python3's message for a bad command line; returns EXIT_USAGE. */
static int usage_error(const cli_options_t* opts, const char* fmt, const char* arg) {
  fflush(stdout);
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nusage: %s %s\nTry `%s -h' for more information.\n", opts->program,
          usage_line, opts->program);
  return EXIT_USAGE;
}

/* "256M" → bytes: a whole number with an optional K, M or G (powers of 1024),
   optionally followed by B or iB. */
static bool parse_size(const char* s, uint64_t* out) {
  errno = 0;
  char* end;
  if (*s < '0' || *s > '9') return false;
  unsigned long long n = strtoull(s, &end, 10);
  if (errno != 0) return false;
  unsigned shift = 0;
  switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: break;
  }
  if (shift != 0 && *end == 'i') end++;
  if (*end == 'b' || *end == 'B') end++;
  if (*end != '\0' || n == 0 || n > (UINT64_MAX >> shift)) return false;
  *out = (uint64_t)n << shift;
  return true;
}

static bool parse_seconds(const char* s, double* out) {
  errno = 0;
  char* end;
  double d = strtod(s, &end);
  if (errno != 0 || end == s || *end != '\0' || !isfinite(d) || d <= 0) return false;
  *out = d;
  return true;
}

static bool append(void* array_ptr, size_t* n, size_t item_size, const void* item) {
  void** array = array_ptr;
  void* bigger = realloc(*array, (*n + 1) * item_size);
  if (bigger == NULL) return false;
  memcpy((char*)bigger + *n * item_size, item, item_size);
  *array = bigger;
  (*n)++;
  return true;
}

/* The number after "NAME=" in -X `value` if it is -X NAME=...: what python3's
   configuration reads (C's strtol in base 10, all of it, an int; "" is 0);
   -1 when it is not a number, INT_MIN when `value` is not about NAME. */
static long xoption_number(const char* value, const char* name) {
  size_t n = strlen(name);
  if (strncmp(value, name, n) != 0 || value[n] != '=') return INT_MIN;
  char* end;
  errno = 0;
  long number = strtol(value + n + 1, &end, 10);
  return *end == '\0' && errno == 0 && number >= INT_MIN && number <= INT_MAX ? number : -1;
}

/* python3's fatal error for an -X option its configuration refuses before
   anything runs (python3 exits with status 1), or NULL. */
static const char* xoption_refused(const char* value) {
  if (strcmp(value, "int_max_str_digits") == 0) value = "int_max_str_digits=x"; /* a value is needed */
  long digits = xoption_number(value, "int_max_str_digits");
  if (digits != INT_MIN && (digits < 0 || (digits > 0 && digits < 640)))
    return "Fatal Python error: config_init_int_max_str_digits: -X int_max_str_digits: invalid limit; "
           "must be >= 640 or 0 for unlimited.\nPython runtime state: preinitialized\n\n";
  long frames = xoption_number(value, "tracemalloc");
  if (frames != INT_MIN && frames < 0)
    return "Fatal Python error: config_init_tracemalloc: -X tracemalloc=NFRAME: invalid number of frames\n"
           "Python runtime state: preinitialized\n\n";
  if (frames > 65535) /* tracemalloc.start's own limit, met as python3 starts it */
    return "Fatal Python error: init_interp_main: can't initialize tracemalloc\n"
           "Python runtime state: core initialized\n"
           "ValueError: the number of frames must be in range [1; 65535]\n\n";
  return NULL;
}

/* --mount HOST:GUEST[:ro|:rw]; the host directory must exist. */
static int add_mount(cli_options_t* opts, const char* spec) {
  char* copy = strdup(spec);
  if (copy == NULL) return EXIT_USAGE;
  bool read_only = false;
  char* last = strrchr(copy, ':');
  if (last != NULL && (strcmp(last, ":ro") == 0 || strcmp(last, ":rw") == 0)) {
    read_only = last[2] == 'o';
    *last = '\0';
  }
  char* colon = strchr(copy, ':');
  if (colon == NULL || colon == copy || colon[1] != '/') {
    free(copy);
    cli_error(opts, "--mount %s: expected HOST:GUEST[:ro] with an absolute GUEST path", spec);
    return EXIT_USAGE;
  }
  *colon = '\0';
  char* host = realpath(copy, NULL);
  struct stat st;
  if (host == NULL || stat(host, &st) != 0 || !S_ISDIR(st.st_mode)) {
    cli_error(opts, "--mount %s: '%s' is not a directory", spec, copy);
    free(host);
    free(copy);
    return EXIT_USAGE;
  }
  /* "/data/" is "/data": the sandbox matches guest paths by prefix. */
  char* guest = colon + 1;
  for (size_t n = strlen(guest); n > 1 && guest[n - 1] == '/'; n--) guest[n - 1] = '\0';
  pyodide_mount_t m = {.host_path = host, .guest_path = strdup(guest), .read_only = read_only};
  free(copy);
  if (m.guest_path == NULL || !append(&opts->mounts, &opts->nmounts, sizeof m, &m)) {
    free(host);
    free((char*)m.guest_path);
    return EXIT_USAGE;
  }
  return -1;
}

/* Our long options: NAME VALUE or NAME=VALUE. Returns -1 when done, else a
   status; *i moves past what was used. */
static int long_option(cli_options_t* opts, int argc, char** argv, int* i) {
  static const char* const names[] = {"--mount",    "--memory-limit", "--timeout",      "--index-url",
                                      "--snapshot", "--save-snapshot", "--with"};
  const char* arg = argv[*i];
  for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
    size_t n = strlen(names[k]);
    if (strncmp(arg, names[k], n) != 0 || (arg[n] != '\0' && arg[n] != '=')) continue;
    const char* value;
    if (arg[n] == '=') {
      value = arg + n + 1;
    } else if (*i + 1 < argc) {
      value = argv[++*i];
    } else {
      return usage_error(opts, "Argument expected for the %s option", names[k]);
    }
    switch (k) {
      case 0: return add_mount(opts, value);
      case 1:
        opts->memory_limit_arg = value;
        if (parse_size(value, &opts->memory_limit)) return -1;
        cli_error(opts, "--memory-limit %s: expected a size such as 256M", value);
        return EXIT_USAGE;
      case 2:
        if (parse_seconds(value, &opts->timeout_s)) return -1;
        cli_error(opts, "--timeout %s: expected a number of seconds above 0", value);
        return EXIT_USAGE;
      case 3: opts->index_url = value; return -1;
      case 4: opts->snapshot = value; return -1;
      case 5: opts->save_snapshot = value; return -1;
      default:
        if (*value == '\0') return usage_error(opts, "%s: expected a requirement such as 'attrs>=22'", names[k]);
        return append(&opts->with, &opts->nwith, sizeof value, &value) ? -1 : EXIT_USAGE;
    }
  }
  if (strcmp(arg, "--help") == 0) {
    printf("usage: %s %s\n%s", opts->program, usage_line, help_text);
    return EXIT_OK;
  }
  return usage_error(opts, "unknown option %s", arg);
}

int cli_parse_args(int argc, char** argv, cli_options_t* opts) {
  memset(opts, 0, sizeof *opts);
  opts->program = argc > 0 ? argv[0] : "pyodide-run";
  opts->argc = argc;
  opts->argv = argv;
  int i = 1;
  for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
    const char* arg = argv[i];
    if (strcmp(arg, "--") == 0) {
      i++;
      break;
    }
    if (strcmp(arg, "--version") == 0) {
      opts->show_version = true;
      return -1;
    }
    if (arg[1] == '-') {
      int status = long_option(opts, argc, argv, &i);
      if (status >= 0) return status;
      continue;
    }
    /* A group of one-letter options; c, m, W and X take the rest of the
       group or the next argument. */
    for (const char* p = arg + 1; *p != '\0'; p++) {
      char letter = *p;
      if (strchr("cmWX", letter) != NULL) {
        const char* value = p[1] != '\0' ? p + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (value == NULL) {
          char name[3] = {'-', letter, '\0'};
          return usage_error(opts, "Argument expected for the %s option", name);
        }
        if (letter == 'c' || letter == 'm') {
          opts->mode = letter == 'c' ? MODE_COMMAND : MODE_MODULE;
          opts->target = value;
          opts->args = argv + i + 1;
          opts->nargs = argc - i - 1;
          return -1;
        }
        bool ok = letter == 'W'
                      ? append(&opts->warnoptions, &opts->nwarnoptions, sizeof value, &value)
                      : append(&opts->xoptions, &opts->nxoptions, sizeof value, &value);
        if (!ok) return EXIT_USAGE;
        if (letter == 'X' && strcmp(value, "dev") == 0) opts->dev_mode = true;
        const char* refused = letter == 'X' ? xoption_refused(value) : NULL;
        if (refused != NULL) {
          fputs(refused, stderr);
          return EXIT_EXCEPTION;
        }
        break;
      }
      switch (letter) {
        case 'i': opts->inspect = true; break;
        case 'q': opts->quiet = true; break;
        case 'I': opts->isolated = opts->ignore_environment = opts->no_user_site = opts->no_path0 = true; break;
        case 'P': opts->no_path0 = true; break;
        case 'E': opts->ignore_environment = true; break;
        case 'u': case 'B': case 'R': break; /* already so in the sandbox (see help) */
        case 'O': opts->optimize += opts->optimize < 2; break;
        case 'b': opts->bytes_warning += opts->bytes_warning < 2; break;
        case 'v': opts->verbose++; break;
        case 's': opts->no_user_site = true; break;
        case 'S': opts->no_site = true; break;
        case 'x': opts->skip_first_line = true; break;
        case 'd': opts->debug = true; break;
        case 'h': case '?':
          printf("usage: %s %s\n%s", opts->program, usage_line, help_text);
          return EXIT_OK;
        case 'V': opts->show_version = true; return -1;
        default: {
          char name[3] = {'-', letter, '\0'};
          return usage_error(opts, "Unknown option: %s", name);
        }
      }
    }
  }
  if (i < argc && strcmp(argv[i], "-") == 0) {
    opts->mode = MODE_STDIN;
    opts->target = "-";
    i++;
  } else if (i < argc) {
    opts->mode = MODE_FILE;
    opts->target = argv[i++];
  } else {
    opts->mode = MODE_INTERACTIVE;
  }
  opts->args = argv + i;
  opts->nargs = argc - i;
  return -1;
}

void cli_options_free(cli_options_t* opts) {
  for (size_t k = 0; k < opts->nmounts; k++) {
    free((char*)opts->mounts[k].host_path);
    free((char*)opts->mounts[k].guest_path);
  }
  free(opts->mounts);
  free(opts->warnoptions);
  free(opts->xoptions);
  free(opts->with);
}
