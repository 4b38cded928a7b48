/*
 * pyodide-run's parts and what they share: the command line (args.c), the
 * signal thread (signals.c), the runtime and the Python half (session.c,
 * runner.py), the interactive prompt (repl.c), the resident process
 * (resident*.c) and main.c, which joins them.
 * Everything goes through the public C ABI in pyodide.h.
 */
#ifndef PYODIDE_RUN_CLI_H
#define PYODIDE_RUN_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyodide.h"

/* Exit statuses of our own (python3's: 0, 1 after an uncaught exception,
   SystemExit's code, 2 for a bad command line, death by SIGINT after an
   uncaught KeyboardInterrupt). Documented in --help. */
enum {
  EXIT_OK = 0,
  EXIT_EXCEPTION = 1,
  EXIT_USAGE = 2,      /* bad command line; the runtime cannot start or died */
  EXIT_TIMEOUT = 124,  /* --timeout expired (as GNU timeout's)               */
  EXIT_MEMORY = 125,   /* the program ran out of memory (--memory-limit)     */
};

typedef enum {
  MODE_COMMAND,     /* -c CODE */
  MODE_MODULE,      /* -m MODULE */
  MODE_FILE,        /* a script path */
  MODE_STDIN,       /* `-`, or no program with stdin not a terminal */
  MODE_INTERACTIVE, /* no program, stdin a terminal: the prompt alone */
} run_mode_t;

/* The parsed command line. Strings point into argv; arrays are malloc'd
   (cli_options_free). */
typedef struct {
  const char* program;     /* argv[0], for messages */
  run_mode_t mode;
  const char* target;      /* the code, module name or script path */
  char** args;             /* sys.argv[1:] */
  int nargs;
  bool show_version;       /* -V, --version: print Python's version, run nothing */
  bool inspect;            /* -i: the prompt after the program */
  bool quiet;              /* -q: no banner */
  bool no_path0;           /* -I, -P: nothing prepended to sys.path */
  bool isolated;           /* -I */
  bool ignore_environment; /* -E, -I */
  bool dev_mode;           /* -X dev */
  int optimize;            /* -O: 1, -OO: 2 */
  int bytes_warning;       /* -b: 1, -bb: 2 */
  int verbose;             /* -v, counted */
  bool no_user_site;       /* -s */
  bool no_site;            /* -S */
  bool skip_first_line;    /* -x */
  bool debug;              /* -d */
  char** argv;             /* the whole command line, for sys.orig_argv */
  int argc;
  const char** warnoptions; /* -W, in order */
  size_t nwarnoptions;
  const char** xoptions;   /* -X, in order */
  size_t nxoptions;
  pyodide_mount_t* mounts; /* --mount, host paths resolved (owned) */
  size_t nmounts;
  uint64_t memory_limit;   /* --memory-limit, bytes; 0 = none */
  const char* memory_limit_arg; /* as written, for messages */
  double timeout_s;        /* --timeout; 0 = none */
  const char* index_url;   /* --index-url */
  const char** with;       /* --with, in order: requirements installed before the program */
  size_t nwith;
  const char* snapshot;    /* --snapshot: the snapshot file to start from */
  const char* save_snapshot; /* --save-snapshot: where to save after the program */
} cli_options_t;

/* Parses argv into *opts. Returns -1 to go on, or the status to exit with
   after printing what was asked (--help) or python3's message for a bad
   command line. */
int cli_parse_args(int argc, char** argv, cli_options_t* opts);
void cli_options_free(cli_options_t* opts);

/* "PROGRAM: " and a formatted message on stderr, with a newline. */
void cli_error(const cli_options_t* opts, const char* fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- main.c ---- */

/* Runs one command line as pyodide-run does, once signals_start has run:
   returns the exit status, or ends the process by a signal as python3 would. */
int cli_run(int argc, char** argv);

/* ---- signals.c ---- */

/* Blocks SIGINT, SIGTERM and SIGHUP in the calling thread (and so in every
   thread started later) and starts the thread that handles them. Call first. */
bool signals_start(void);
/* Around each call into Python: a first SIGINT becomes pyodide_interrupt, a
   second one stops the process; SIGTERM/SIGHUP interrupt the call and let
   main clean up. leave returns how many SIGINTs reached the call. */
void signals_enter_call(pyodide_t* runtime);
int signals_leave_call(void);
/* While the prompt waits for input. */
void signals_enter_input(void);
void signals_leave_input(void);
/* Waits until fd 0 is readable (true) or a signal came for the wait (false;
   *sig = SIGINT, SIGTERM or SIGHUP): at the prompt, or for Python's stdin
   during a call (SIGINT, or any of them delivered to a handler of Python's). */
bool signals_wait_input(int* sig);
/* Records the terminal's settings, restored by signals_exit. */
void signals_save_terminal(void);
/* The terminating signal received (SIGTERM, SIGHUP), or 0. */
int signals_terminating(void);
/* Ends the process by `sig` with its default action, as python3 ends (a
   resident server: the run's client, then the server; resident_end_by_signal). */
_Noreturn void signals_exit(int sig);
/* Forgets what the last run left (its runtime, a terminating signal, the
   terminal): a resident server, between runs. */
void signals_reset(void);

/* ---- session.c ---- */

typedef struct session session_t;

/* Starts the runtime as opts ask (mounts, limits) with the script's
   directory mounted, and sets up sys.argv, sys.path, __file__, the working
   directory and the -W/-X options. NULL after printing why. */
session_t* session_start(const cli_options_t* opts);
void session_end(session_t* s);
/* Runs the program opts name (source: the script's bytes for MODE_FILE and
   MODE_STDIN) and returns its exit status; an uncaught KeyboardInterrupt
   ends the process by SIGINT. */
int session_run_program(session_t* s, const char* source, size_t len);
/* Installs what the program needs from --index-url before it runs: --with's
   requirements and the dependencies a script (source) declares in a PEP 723
   "# /// script" block. Returns -1 to go on, or the status to exit with after
   saying why it cannot. */
int session_install(session_t* s, const char* source, size_t len);
/* --save-snapshot: saves the runtime to opts->save_snapshot; the exit status. */
int session_save_snapshot(session_t* s);
/* Shows why the runtime failed (e) and returns the status for it; deletes e. */
int session_fail(session_t* s, pyodide_error_t* e);
/* Calls runner.<name>(args) under the signal rules; *out may be NULL. */
pyodide_error_t* session_call(session_t* s, const char* name, const pyodide_value_t* args,
                              size_t nargs, pyodide_value_t* out);
/* runner.py's namespace, loaded into a runtime just made. */
pyodide_error_t* session_load_runner(pyodide_t* runtime, pyproxy_t** runner);
/* The same, and what of runner.setup no run's arguments change (a resident
   server's runtime for the next run). */
pyodide_error_t* session_prepare(pyodide_t* runtime, pyproxy_t** runner);
/* A status the Python half returned for the end of the user's code, turned
   into ours (a KeyboardInterrupt ends the process). */
int session_status(session_t* s, int64_t runner_status);

/* After a terminating signal: ends the runtime (deleting its home
   directory), then the process by that signal. */
_Noreturn void session_end_terminated(session_t* s);
/* At the prompt: says so when the last statement ran out of --timeout. */
void session_note_timeout(const session_t* s);

/* ---- resident*.c (resident.h) ---- */

/* Whether argv starts a resident server (a client's posix_spawn of us). */
bool resident_is_server(int argc, char** argv);
/* The server's life: a first run of its own, then clients' runs one at a
   time until it has been idle for as long as it was told. Returns the
   process's exit status. */
int resident_serve(int argc, char** argv);
/* With PYODIDE_RUN_RESIDENT set, hands this run to the resident process
   (starting one if there is none) and ends as the run ends, never returning;
   returns -1 when this process is to run it itself, or the status of a
   command line answered here (--help, a usage error). */
int resident_try(int argc, char** argv);
/* Whether this process is a resident server, and whether it is running a
   run (its own first, or a client's). */
bool resident_server(void);
bool resident_serving(void);
/* A resident server's end by `sig`: the client of the running run ends by
   it too. */
_Noreturn void resident_end_by_signal(int sig);
/* In a resident server: a runtime made for `config` while the server waited
   (the last run's config), with runner.py loaded, when `config` is the same;
   false: the caller makes one. Remembers `config` for the next. */
bool resident_take_runtime(const pyodide_config_t* config, pyodide_t** runtime, pyproxy_t** runner);
/* In a resident server's run: keeps the run's runtime, to be destroyed once
   the client has its status; false: destroy it now. */
bool resident_retire_runtime(pyodide_t* runtime, pyproxy_t* runner);

/* ---- repl.c ---- */

/* The interactive prompt; returns the exit status. */
int repl_run(session_t* s, const cli_options_t* opts);

#endif
