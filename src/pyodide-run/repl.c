/*
 * The interactive prompt. On a terminal, lines are edited with Debian's
 * libedit (its readline interface, driven a character at a time so that
 * signals can end the wait, as python3's readline module does): history in
 * ~/.pyodide_history, tab completion computed by rlcompleter inside the
 * runtime. Otherwise lines are read plainly, prompts on stderr, as python3
 * does. Compiling and running go through runner.py (repl_compile, repl_run).
 *
 * libedit is loaded when the prompt starts on a terminal, not linked: a
 * program run with -c, a script or a pipe never loads it and the three
 * libraries it needs (~0.2 ms of every start).
 */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <editline/readline.h>

#include "cli.h"

/* History entries kept in the file. */
#define HISTORY_SIZE 1000

typedef enum { LINE_OK, LINE_EOF, LINE_SIGNAL } line_status_t;

/* ---- plain lines (stdin not a terminal) ---- */

static char* pending;  /* bytes read but not yet returned */
static size_t pending_len, pending_cap;
static bool input_ended; /* read() gave 0: what is pending is the last line */

static line_status_t read_line_plain(const char* prompt, char** out, int* sig) {
  fputs(prompt, stderr);
  fflush(stderr);
  for (;;) {
    char* nl = pending_len ? memchr(pending, '\n', pending_len) : NULL;
    if (nl != NULL || (pending_len > 0 && input_ended)) {
      size_t n = nl != NULL ? (size_t)(nl - pending) : pending_len;
      *out = strndup(pending, n);
      size_t used = nl != NULL ? n + 1 : n;
      memmove(pending, pending + used, pending_len - used);
      pending_len -= used;
      return *out != NULL ? LINE_OK : LINE_EOF;
    }
    if (!signals_wait_input(sig)) return LINE_SIGNAL;
    if (pending_cap - pending_len < 4096) {
      char* bigger = realloc(pending, pending_cap + 65536);
      if (bigger == NULL) return LINE_EOF;
      pending = bigger;
      pending_cap += 65536;
    }
    ssize_t n = read(0, pending + pending_len, pending_cap - pending_len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (pending_len == 0) return LINE_EOF;
      input_ended = true; /* the last line has no newline: return it as it is */
      continue;
    }
    pending_len += (size_t)n;
  }
}

/* ---- edited lines (a terminal) ---- */

/* libedit's readline interface, as dlsym finds it: each field of `el` and the
   symbol it is bound to, written once here. */
#define LIBEDIT_NAMES(X)                                            \
  X(callback_handler_install, rl_callback_handler_install)          \
  X(callback_handler_remove, rl_callback_handler_remove)            \
  X(callback_read_char, rl_callback_read_char)                      \
  X(replace_line, rl_replace_line)                                  \
  X(completion_matches, rl_completion_matches)                      \
  X(stifle_history, stifle_history)                                 \
  X(read_history, read_history)                                     \
  X(write_history, write_history)                                   \
  X(history_get, history_get)                                       \
  X(add_history, add_history)                                       \
  X(attempted_completion_over, rl_attempted_completion_over)        \
  X(readline_name, rl_readline_name)                                \
  X(catch_signals, rl_catch_signals)                                \
  X(attempted_completion_function, rl_attempted_completion_function) \
  X(basic_word_break_characters, rl_basic_word_break_characters)    \
  X(completion_append_character, rl_completion_append_character)    \
  X(history_length, history_length)                                 \
  X(history_base, history_base)

/* Its functions, and the addresses of its variables, typed from
   editline/readline.h. */
static struct {
#define FIELD(field, symbol) __typeof__(symbol)* field;
  LIBEDIT_NAMES(FIELD)
#undef FIELD
} el;

/* Loads libedit (PYODIDE_LIBEDIT, its soname) and binds `el`; false, with
   the reason on stderr, if it or one of its names is missing. */
static bool load_libedit(void) {
  void* lib = dlopen(PYODIDE_LIBEDIT, RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    fprintf(stderr, "pyodide-run: no line editing: %s\n", dlerror());
    return false;
  }
  struct { void** slot; const char* name; } names[] = {
#define NAME(field, symbol) {(void**)&el.field, #symbol},
    LIBEDIT_NAMES(NAME)
#undef NAME
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    *names[i].slot = dlsym(lib, names[i].name);
    if (*names[i].slot == NULL) {
      fprintf(stderr, "pyodide-run: no line editing: %s lacks %s\n", PYODIDE_LIBEDIT, names[i].name);
      dlclose(lib);
      return false;
    }
  }
  return true;
}

static char* edited_line;
static bool line_done;

static void on_line(char* line) {
  edited_line = line;
  line_done = true;
  el.callback_handler_remove();
}

static line_status_t read_line_edited(const char* prompt, char** out, int* sig) {
  line_done = false;
  edited_line = NULL;
  el.callback_handler_install(prompt, on_line);
  while (!line_done) {
    if (!signals_wait_input(sig)) {
      /* Drop what was typed, as python3 does, and give the terminal back. */
      el.replace_line("", 0);
      el.callback_handler_remove();
      return LINE_SIGNAL;
    }
    el.callback_read_char();
  }
  if (edited_line == NULL) return LINE_EOF;
  *out = edited_line;
  return LINE_OK;
}

/* ---- completion, inside the runtime ---- */

static session_t* completing;
static pyodide_value_t matches; /* runner.complete's list for the current word */
static size_t next_match;

static char* complete_next(const char* text, int state) {
  if (state == 0) {
    pyodide_value_release(&matches);
    next_match = 0;
    pyodide_value_t arg = {.kind = PYODIDE_STR}, list = {.kind = PYODIDE_NONE};
    arg.of.str.ptr = text;
    arg.of.str.len = strlen(text);
    /* A list comes back as a proxy; to_js makes it a LIST of STRs. */
    pyodide_error_t* err = session_call(completing, "complete", &arg, 1, &list);
    if (err == NULL && list.kind == PYODIDE_PROXY) err = pyproxy_to_js(list.of.proxy, 1, &matches);
    pyodide_value_release(&list);
    pyodide_error_delete(err); /* no completions, e.g. after Ctrl-C */
  }
  while (matches.kind == PYODIDE_LIST && next_match < matches.of.list.len) {
    const pyodide_value_t* m = &matches.of.list.items[next_match++];
    if (m->kind == PYODIDE_STR) return strdup(m->of.str.ptr);
  }
  return NULL;
}

static char** attempt_completion(const char* text, int start, int end) {
  (void)start;
  (void)end;
  *el.attempted_completion_over = 1; /* never file names */
  return el.completion_matches(text, complete_next);
}

static char* history_path(void) {
  const char* home = getenv("HOME");
  if (home == NULL || *home == '\0') return NULL;
  char* path = malloc(strlen(home) + sizeof "/.pyodide_history");
  if (path != NULL) sprintf(path, "%s/.pyodide_history", home);
  return path;
}

static void setup_editing(session_t* s) {
  completing = s;
  *el.readline_name = "python";
  *el.catch_signals = 0; /* signals are the signal thread's */
  *el.attempted_completion_function = attempt_completion;
  /* As python3's readline module: a dotted name is one word (os.pa<TAB>),
     and nothing is appended to a completion (rlcompleter adds "(" or " "). */
  static char breaks[] = " \t\n`~!@#$%^&*()-=+[{]}\\|;:'\",<>/?";
  *el.basic_word_break_characters = breaks; /* the one libedit reads */
  *el.completion_append_character = '\0';
  el.stifle_history(HISTORY_SIZE);
  char* path = history_path();
  if (path != NULL) el.read_history(path);
  free(path);
}

static void remember(const char* line) {
  if (*line == '\0') return;
  HIST_ENTRY* last = *el.history_length > 0 ? el.history_get(*el.history_base + *el.history_length - 1) : NULL;
  if (last != NULL && strcmp(last->line, line) == 0) return;
  el.add_history(line);
  /* Saved at once, so that no way of ending loses it. */
  char* path = history_path();
  if (path != NULL) el.write_history(path);
  free(path);
}

/* ---- the loop ---- */

/* Compiles `source`: a code proxy (*code set) when complete, NONE when more
   lines are needed; false when nothing is to run (error shown). */
static bool compile_input(session_t* s, const char* source, size_t len, pyodide_value_t* code) {
  pyodide_value_t arg = {.kind = PYODIDE_BYTES};
  arg.of.str.ptr = source;
  arg.of.str.len = len;
  pyodide_error_t* err = session_call(s, "repl_compile", &arg, 1, code);
  if (err != NULL) {
    session_fail(s, err);
    return false;
  }
  return code->kind == PYODIDE_PROXY || code->kind == PYODIDE_NONE;
}

int repl_run(session_t* s, const cli_options_t* opts) {
  /* libedit edits only on a terminal that echoes (it declines otherwise). */
  struct termios t;
  bool tty = isatty(1) && tcgetattr(0, &t) == 0 && (t.c_lflag & ECHO) && load_libedit();
  if (tty) {
    setup_editing(s);
    signals_save_terminal();
  }
  if (opts->mode == MODE_INTERACTIVE && !opts->quiet) {
    pyodide_value_t arg = {.kind = PYODIDE_STR}, banner;
    arg.of.str.ptr = pyodide_version();
    arg.of.str.len = strlen(arg.of.str.ptr);
    pyodide_error_t* err = session_call(s, "banner", &arg, 1, &banner);
    if (err != NULL) return session_fail(s, err);
    if (banner.kind == PYODIDE_STR) fprintf(stderr, "%s\n", banner.of.str.ptr);
    pyodide_value_release(&banner);
  }

  char* source = NULL;
  size_t source_len = 0;
  bool more = false;
  int status = EXIT_OK;
  for (;;) {
    const char* prompt = more ? "... " : ">>> ";
    char* line = NULL;
    int sig = 0;
    signals_enter_input();
    line_status_t got = tty ? read_line_edited(prompt, &line, &sig)
                            : read_line_plain(prompt, &line, &sig);
    signals_leave_input();
    if (got == LINE_EOF) {
      fputc('\n', tty ? stdout : stderr);
      break;
    }
    if (got == LINE_SIGNAL) {
      if (sig != SIGINT) session_end_terminated(s);
      fputs("\nKeyboardInterrupt\n", stderr);
      more = false;
      source_len = 0;
      continue;
    }
    if (tty) remember(line);
    /* source += ("\n" if more) + line */
    size_t line_len = strlen(line);
    char* bigger = realloc(source, source_len + line_len + 2);
    if (bigger == NULL) {
      free(line);
      cli_error(opts, "out of memory");
      status = EXIT_USAGE;
      break;
    }
    source = bigger;
    if (more) source[source_len++] = '\n';
    memcpy(source + source_len, line, line_len + 1);
    source_len += line_len;
    free(line);

    pyodide_value_t code = {.kind = PYODIDE_NONE};
    more = false;
    if (!compile_input(s, source, source_len, &code)) {
      pyodide_value_release(&code);
    } else if (code.kind == PYODIDE_NONE) {
      more = true;
    } else {
      pyodide_value_t result;
      pyodide_error_t* err = session_call(s, "repl_run", &code, 1, &result);
      pyodide_value_release(&code);
      if (err != NULL) {
        bool fatal = pyodide_error_kind(err) != PYODIDE_ERROR_PYTHON;
        status = session_fail(s, err);
        if (fatal) break; /* the runtime is dead */
      } else if (result.kind == PYODIDE_INT) {
        status = session_status(s, result.of.i);
        break;
      } else {
        session_note_timeout(s);
      }
      status = EXIT_OK;
    }
    if (!more) source_len = 0;
  }
  free(source);
  free(pending);
  pyodide_value_release(&matches);
  return status;
}
