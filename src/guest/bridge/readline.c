/* The readline module, which CPython builds only against GNU readline or
 * libedit, neither of which runs on WASI. Without it `import readline` failed,
 * so did the programs that import it unconditionally to give input() line
 * editing, and cmd and pdb at a terminal had no history and no completion.
 *
 * As in python3, input() reads through PyOS_ReadlineFunctionPointer when stdin
 * and stdout are terminals (runtime.c's isatty says so of the host's streams).
 * From the start that is read_plain: the prompt to stderr and a line of the
 * host's stdin, as python3 reads one without the module. Importing the module
 * switches it to read_edited, which edits the line at the terminal
 * (line_edit.c) with GNU readline's keys, history and completion, and falls
 * back to read_plain where the terminal's modes cannot be set.
 *
 * The history, the completer and the hooks live here, with python3's names,
 * defaults (Tab inserts itself until parse_and_bind("tab: complete"); Esc Tab
 * completes) and errors. History lines are kept as UTF-8 (surrogateescape),
 * as python3 keeps them in the locale's encoding, and files hold one a line. */
#include "bridge.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* CPython's readline state (myreadline.c): the thread state PyOS_Readline
 * released before calling the function pointer, which takes it back to run
 * Python code (completers, hooks, signal handlers). */
extern PyThreadState* _PyOS_ReadlineTState;

/* ---- the history ---- */

static char** history; /* UTF-8 lines, oldest first */
static uint32_t history_len, history_cap;
/* set_history_length: how many lines write_history_file and append_history_file
 * leave in the file; -1, no limit (python3 does not limit the list itself). */
static int history_limit = -1;
static int auto_history = 1;

size_t history_count(void) { return history_len; }

const char* history_line(size_t index) { return index < history_len ? history[index] : NULL; }

/* Appends a copy of `line`; -1 with MemoryError. */
static int history_append(const char* line, size_t len) {
  char* copy = PyMem_RawMalloc(len + 1);
  if (copy == NULL || make_room((void**)&history, history_len, &history_cap, sizeof *history) < 0) {
    PyMem_RawFree(copy);
    PyErr_NoMemory();
    return -1;
  }
  memcpy(copy, line, len);
  copy[len] = '\0';
  history[history_len++] = copy;
  return 0;
}

static void history_clear(void) {
  for (size_t i = 0; i < history_len; i++) PyMem_RawFree(history[i]);
  history_len = 0;
}

/* ---- the completer and the hooks ---- */

static PyObject *completer, *startup_hook, *pre_input_hook, *display_hook;
/* GNU readline's default word breaks, as python3 sets them. */
static char* completer_delims;
static const char default_delims[] = " \t\n`~!@#$%^&*()-=+[{]}\\|;:'\",<>/?";
static long begidx, endidx;
static int completion_kind; /* get_completion_type(): '\t' completing, '?' listing */
static int tab_binding = TAB_INSERTS;

int tab_action(void) { return tab_binding; }

static const char* delims(void) { return completer_delims != NULL ? completer_delims : default_delims; }

/* Runs a hook, if set, dropping what it raises, as python3's readline does
 * (the edit has nowhere to report it). */
static void run_hook(PyObject* hook) {
  if (hook == NULL) return;
  PyObject* r = PyObject_CallNoArgs(hook);
  if (r == NULL) PyErr_Clear();
  Py_XDECREF(r);
}

void readline_pre_input(void) { run_hook(pre_input_hook); }

static int compare_strings(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

void completion_free(char** matches, size_t count) {
  for (size_t i = 0; i < count; i++) PyMem_RawFree(matches[i]);
  PyMem_RawFree(matches);
}

int completion_find(const char* line, size_t point, int listing, size_t* begin, char*** matches, size_t* count) {
  *matches = NULL;
  *count = 0;
  size_t start = point;
  while (start > 0 && !((unsigned char)line[start - 1] < 0x80 && strchr(delims(), line[start - 1]))) start--;
  *begin = start;
  completion_kind = listing ? '?' : '\t';
  if (completer == NULL) return 0;
  /* begidx and endidx count characters, as python3's do. */
  PyObject* before = PyUnicode_DecodeUTF8(line, (Py_ssize_t)start, "surrogateescape");
  PyObject* text = PyUnicode_DecodeUTF8(line + start, (Py_ssize_t)(point - start), "surrogateescape");
  if (before == NULL || text == NULL) goto failed;
  begidx = (long)PyUnicode_GET_LENGTH(before);
  endidx = begidx + (long)PyUnicode_GET_LENGTH(text);
  char** found = NULL;
  uint32_t len = 0, cap = 0;
  for (int state = 0;; state++) {
    PyObject* match = PyObject_CallFunction(completer, "Oi", text, state);
    if (match == NULL) {
      /* python3 drops a completer's exceptions: the matches so far stand. */
      PyErr_Clear();
      break;
    }
    if (match == Py_None) {
      Py_DECREF(match);
      break;
    }
    Py_ssize_t size;
    const char* utf8 = PyUnicode_Check(match) ? PyUnicode_AsUTF8AndSize(match, &size) : NULL;
    char* copy = utf8 != NULL ? PyMem_RawMalloc((size_t)size + 1) : NULL;
    Py_DECREF(match);
    if (utf8 == NULL) {
      PyErr_Clear(); /* not a str: as python3, the end of the matches */
      break;
    }
    if (copy == NULL || make_room((void**)&found, len, &cap, sizeof *found) < 0) {
      PyMem_RawFree(copy);
      completion_free(found, len);
      goto failed;
    }
    memcpy(copy, utf8, (size_t)size + 1);
    found[len++] = copy;
  }
  Py_DECREF(before);
  Py_DECREF(text);
  /* GNU readline sorts the matches and drops repeats. */
  if (len > 1) qsort(found, len, sizeof *found, compare_strings);
  size_t kept = 0;
  for (uint32_t i = 0; i < len; i++) {
    if (kept > 0 && strcmp(found[kept - 1], found[i]) == 0) PyMem_RawFree(found[i]);
    else found[kept++] = found[i];
  }
  *matches = found;
  *count = kept;
  return 0;
failed:
  Py_XDECREF(before);
  Py_XDECREF(text);
  PyErr_Clear();
  return -1;
}

static PyObject* str_of(const char* text) {
  return PyUnicode_DecodeUTF8(text, (Py_ssize_t)strlen(text), "surrogateescape");
}

int completion_display(const char* substitution, char** matches, size_t count, size_t longest) {
  if (display_hook == NULL) return 0;
  PyObject* list = PyList_New((Py_ssize_t)count);
  for (size_t i = 0; list != NULL && i < count; i++) {
    PyObject* m = str_of(matches[i]);
    if (m == NULL) Py_CLEAR(list);
    else PyList_SET_ITEM(list, (Py_ssize_t)i, m);
  }
  PyObject* sub = str_of(substitution);
  PyObject* r = list != NULL && sub != NULL ? PyObject_CallFunction(display_hook, "OOn", sub, list, (Py_ssize_t)longest)
                                            : NULL;
  if (r == NULL) PyErr_Clear(); /* as python3 */
  Py_XDECREF(r);
  Py_XDECREF(list);
  Py_XDECREF(sub);
  return 1;
}

/* ---- input() at a terminal ---- */

/* A line's copy for PyOS_Readline, which frees it with PyMem_RawFree; NULL
 * with MemoryError. */
static char* line_copy(const char* text, size_t len) {
  char* copy = PyMem_RawMalloc(len + 1);
  if (copy == NULL) {
    PyErr_NoMemory();
    return NULL;
  }
  memcpy(copy, text, len);
  copy[len] = '\0';
  return copy;
}

/* python3's PyOS_StdioReadline: the prompt to stderr, then the host's stdin
 * up to and with the newline, a byte at a time so that nothing after the line
 * is taken from what sys.stdin reads next. "" at the end of input, NULL with
 * an exception (a KeyboardInterrupt). Called holding the thread state. */
static char* read_line_plain(const char* prompt) {
  if (prompt != NULL && *prompt) stream_write(2, prompt, strlen(prompt));
  char* line = NULL;
  uint32_t len = 0, cap = 0;
  for (;;) {
    char c;
    int32_t n = stdin_read(&c, 1);
    if (n < 0) {
      PyMem_RawFree(line);
      return NULL;
    }
    if (n == 0) break;
    if (make_room((void**)&line, len, &cap, 1) < 0) {
      PyMem_RawFree(line);
      PyErr_NoMemory();
      return NULL;
    }
    line[len++] = c;
    if (c == '\n') break;
  }
  char* copy = line_copy(line != NULL ? line : "", len);
  PyMem_RawFree(line);
  return copy;
}

/* PyOS_Readline calls the function pointer with the thread state released. */
static char* read_plain(FILE* in, FILE* out, const char* prompt) {
  (void)in, (void)out;
  PyEval_RestoreThread(_PyOS_ReadlineTState);
  char* line = read_line_plain(prompt);
  PyEval_SaveThread();
  return line;
}

static char* read_edited(FILE* in, FILE* out, const char* prompt) {
  (void)in, (void)out;
  PyEval_RestoreThread(_PyOS_ReadlineTState);
  line_clear(); /* what insert_text added before the edit is dropped, as GNU readline drops it */
  run_hook(startup_hook);
  size_t len;
  int status = line_edit(prompt != NULL ? prompt : "", &len);
  char* result = NULL;
  if (status == EDIT_NO_TERMINAL) {
    result = read_line_plain(prompt);
  } else if (status == EDIT_ENTERED) {
    const char* text = line_text(&len);
    /* As python3: a line that is not empty and not the last one again. */
    if (auto_history && len > 0 && !(history_len > 0 && strlen(history[history_len - 1]) == len &&
                                     memcmp(history[history_len - 1], text, len) == 0))
      if (history_append(text, len) < 0) PyErr_Clear();
    result = PyMem_RawMalloc(len + 2);
    if (result == NULL) {
      PyErr_NoMemory();
    } else {
      memcpy(result, text, len);
      memcpy(result + len, "\n", 2);
    }
  } else if (status == EDIT_END) {
    result = line_copy("", 0);
  }
  line_clear();
  PyEval_SaveThread();
  return result;
}

void readline_install(void) { PyOS_ReadlineFunctionPointer = read_plain; }

/* ---- the module's functions ---- */

/* The UTF-8 (surrogateescape) of a str argument as a new bytes object, or NULL
 * with the TypeError python3's readline raises for another type. */
static PyObject* utf8_argument(PyObject* arg) {
  if (!PyUnicode_Check(arg)) {
    PyErr_BadArgument();
    return NULL;
  }
  return PyUnicode_AsEncodedString(arg, "utf-8", "surrogateescape");
}


static PyObject* readline_add_history(PyObject* self, PyObject* arg) {
  PyObject* line = utf8_argument(arg);
  if (line == NULL) return NULL;
  int r = history_append(PyBytes_AS_STRING(line), (size_t)PyBytes_GET_SIZE(line));
  Py_DECREF(line);
  if (r < 0) return NULL;
  Py_RETURN_NONE;
}

static PyObject* readline_clear_history(PyObject* self, PyObject* unused) {
  history_clear();
  Py_RETURN_NONE;
}

static PyObject* readline_get_current_history_length(PyObject* self, PyObject* unused) {
  return PyLong_FromSize_t(history_len);
}

static PyObject* readline_get_history_item(PyObject* self, PyObject* arg) {
  int index = _PyLong_AsInt(arg);
  if (index == -1 && PyErr_Occurred()) return NULL;
  if (index < 1 || (size_t)index > history_len) Py_RETURN_NONE; /* one-based, as GNU's history_get */
  return str_of(history[index - 1]);
}

/* The zero-based position of remove_history_item and replace_history_item, or
 * -1 with python3's ValueError. */
static int history_position(PyObject* arg) {
  int pos = _PyLong_AsInt(arg);
  if (pos == -1 && PyErr_Occurred()) return -1;
  if (pos < 0) {
    PyErr_SetString(PyExc_ValueError, "History index cannot be negative");
    return -1;
  }
  if ((size_t)pos >= history_len) {
    PyErr_Format(PyExc_ValueError, "No history item at position %d", pos);
    return -1;
  }
  return pos;
}

static PyObject* readline_remove_history_item(PyObject* self, PyObject* arg) {
  int pos = history_position(arg);
  if (pos < 0) return NULL;
  PyMem_RawFree(history[pos]);
  memmove(history + pos, history + pos + 1, (history_len - (size_t)pos - 1) * sizeof *history);
  history_len--;
  Py_RETURN_NONE;
}

static PyObject* readline_replace_history_item(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  if (!_PyArg_CheckPositional("replace_history_item", nargs, 2, 2)) return NULL;
  int pos = _PyLong_AsInt(args[0]);
  if (pos == -1 && PyErr_Occurred()) return NULL;
  if (!PyUnicode_Check(args[1])) {
    _PyArg_BadArgument("replace_history_item", "argument 2", "str", args[1]);
    return NULL;
  }
  PyObject* line = utf8_argument(args[1]);
  if (line == NULL) return NULL;
  PyObject* position = PyLong_FromLong(pos);
  pos = position != NULL ? history_position(position) : -1;
  Py_XDECREF(position);
  char* copy = pos >= 0 ? line_copy(PyBytes_AS_STRING(line), (size_t)PyBytes_GET_SIZE(line)) : NULL;
  Py_DECREF(line);
  if (copy == NULL) return NULL;
  PyMem_RawFree(history[pos]);
  history[pos] = copy;
  Py_RETURN_NONE;
}

static PyObject* readline_set_history_length(PyObject* self, PyObject* arg) {
  int length = _PyLong_AsInt(arg);
  if (length == -1 && PyErr_Occurred()) return NULL;
  history_limit = length;
  Py_RETURN_NONE;
}

static PyObject* readline_get_history_length(PyObject* self, PyObject* unused) {
  return PyLong_FromLong(history_limit);
}

static PyObject* readline_set_auto_history(PyObject* self, PyObject* arg) {
  int enabled = PyObject_IsTrue(arg);
  if (enabled < 0) return NULL;
  auto_history = enabled;
  Py_RETURN_NONE;
}

/* The file a function names: its path as bytes, or for None `fallback` in the
 * home (GNU readline's defaults: ~/.history, ~/.inputrc). NULL with an exception. */
static PyObject* named_path(PyObject* filename, const char* fallback) {
  if (filename != NULL && filename != Py_None) {
    PyObject* path = NULL;
    return PyUnicode_FSConverter(filename, &path) ? path : NULL;
  }
  const char* home = getenv("HOME");
  return PyBytes_FromFormat("%s/%s", home != NULL ? home : "", fallback);
}

/* Leaves the last `keep` lines of the file at `path` (GNU's history_truncate_file). */
static void truncate_history_file(const char* path, int keep) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) return;
  char* data = NULL;
  uint32_t len = 0, cap = 0;
  int c;
  while ((c = fgetc(f)) != EOF) {
    if (make_room((void**)&data, len, &cap, 1) < 0) break;
    data[len++] = (char)c;
  }
  fclose(f);
  size_t start = len; /* where the kept lines begin: after the newline ending the one before */
  for (int lines = 0; keep > 0 && start > 0; start--)
    if (data[start - 1] == '\n' && start < len && ++lines >= keep) break;
  if (start > 0 && (f = fopen(path, "wb")) != NULL) {
    fwrite(data + start, 1, len - start, f);
    fclose(f);
  }
  PyMem_RawFree(data);
}

/* Writes the last `count` lines of the history to `path`, appending or not;
 * 0, or the errno. */
static int write_history_lines(const char* path, size_t count, int append) {
  FILE* f = append ? NULL : fopen(path, "w");
  if (append) {
    /* As GNU's append_history: the file must be there. */
    int fd = open(path, O_WRONLY | O_APPEND);
    f = fd >= 0 ? fdopen(fd, "a") : NULL;
  }
  if (f == NULL) return errno;
  for (size_t i = count < history_len ? history_len - count : 0; i < history_len; i++)
    fprintf(f, "%s\n", history[i]);
  return fclose(f) == 0 ? 0 : errno;
}

static PyObject* history_file(PyObject* filename, size_t count, int append) {
  PyObject* path = named_path(filename, ".history");
  if (path == NULL) return NULL;
  int err = write_history_lines(PyBytes_AS_STRING(path), count, append);
  if (err == 0 && history_limit >= 0) truncate_history_file(PyBytes_AS_STRING(path), history_limit);
  Py_DECREF(path);
  if (err != 0) return raise_errno(PyExc_OSError, err);
  Py_RETURN_NONE;
}

static PyObject* readline_write_history_file(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  if (!_PyArg_CheckPositional("write_history_file", nargs, 0, 1)) return NULL;
  return history_file(nargs ? args[0] : NULL, history_len, 0);
}

static PyObject* readline_append_history_file(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  if (!_PyArg_CheckPositional("append_history_file", nargs, 1, 2)) return NULL;
  int count = _PyLong_AsInt(args[0]);
  if (count == -1 && PyErr_Occurred()) return NULL;
  return history_file(nargs > 1 ? args[1] : NULL, count < 0 ? 0 : (size_t)count, 1);
}

/* Calls `each(line, len)` for every line of the file `filename` names
 * (without its newline); None, or NULL with an exception (OSError with the
 * errno of a file that cannot be read, as python3 raises it). */
static PyObject* each_line(PyObject* filename, const char* fallback, int (*each)(const char*, size_t)) {
  PyObject* path = named_path(filename, fallback);
  if (path == NULL) return NULL;
  FILE* f = fopen(PyBytes_AS_STRING(path), "rb");
  Py_DECREF(path);
  if (f == NULL) return raise_errno(PyExc_OSError, errno);
  char* line = NULL;
  uint32_t len = 0, cap = 0;
  int c, failed = 0;
  do {
    c = fgetc(f);
    if (c == '\n' || (c == EOF && len > 0)) {
      if (each(line != NULL ? line : "", len) < 0) failed = 1;
      len = 0;
    } else if (c != EOF) {
      if (make_room((void**)&line, len, &cap, 1) < 0) failed = 1;
      else line[len++] = (char)c;
    }
  } while (c != EOF && !failed);
  fclose(f);
  PyMem_RawFree(line);
  if (failed) return PyErr_Occurred() ? NULL : PyErr_NoMemory();
  Py_RETURN_NONE;
}

static PyObject* readline_read_history_file(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  if (!_PyArg_CheckPositional("read_history_file", nargs, 0, 1)) return NULL;
  return each_line(nargs ? args[0] : NULL, ".history", history_append);
}

/* One line of an init file, or parse_and_bind's string: the bindings of the Tab
 * key are carried out; variables and other keys' bindings (emacs mode's keys
 * are already bound) are taken and change nothing. */
static int bind(const char* line, size_t len) {
  while (len > 0 && (*line == ' ' || *line == '\t')) line++, len--;
  const char* colon = memchr(line, ':', len);
  if (colon == NULL || *line == '#') return 0;
  static const char* const tab_names[] = {"tab", "\"\\t\"", "control-i", "c-i", "\"\\c-i\"", NULL};
  size_t key_len = (size_t)(colon - line);
  while (key_len > 0 && (line[key_len - 1] == ' ' || line[key_len - 1] == '\t')) key_len--;
  int is_tab = 0;
  for (int i = 0; tab_names[i] != NULL; i++)
    if (strlen(tab_names[i]) == key_len && strncasecmp(line, tab_names[i], key_len) == 0) is_tab = 1;
  if (!is_tab) return 0;
  const char* function = colon + 1;
  size_t function_len = (size_t)(line + len - function);
  while (function_len > 0 && (*function == ' ' || *function == '\t')) function++, function_len--;
  while (function_len > 0 && (function[function_len - 1] == ' ' || function[function_len - 1] == '\r'))
    function_len--;
  if (function_len == 8 && strncmp(function, "complete", 8) == 0) tab_binding = TAB_COMPLETES;
  else if ((function_len == 11 && strncmp(function, "self-insert", 11) == 0) ||
           (function_len == 10 && strncmp(function, "tab-insert", 10) == 0))
    tab_binding = TAB_INSERTS;
  return 0;
}

static PyObject* readline_parse_and_bind(PyObject* self, PyObject* arg) {
  PyObject* line = utf8_argument(arg);
  if (line == NULL) return NULL;
  bind(PyBytes_AS_STRING(line), (size_t)PyBytes_GET_SIZE(line));
  Py_DECREF(line);
  Py_RETURN_NONE;
}

static PyObject* readline_read_init_file(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  if (!_PyArg_CheckPositional("read_init_file", nargs, 0, 1)) return NULL;
  PyObject* filename = nargs ? args[0] : NULL;
  const char* inputrc = getenv("INPUTRC");
  PyObject* named = NULL;
  if ((filename == NULL || filename == Py_None) && inputrc != NULL) filename = named = PyUnicode_DecodeFSDefault(inputrc);
  PyObject* r = each_line(filename, ".inputrc", bind);
  Py_XDECREF(named);
  return r;
}

/* Sets one of the function slots: None clears it; python3's TypeError for
 * what cannot be called. */
static PyObject* set_function(const char* name, PyObject** slot, PyObject* const* args, Py_ssize_t nargs) {
  if (!_PyArg_CheckPositional(name, nargs, 0, 1)) return NULL;
  PyObject* function = nargs ? args[0] : Py_None;
  if (function != Py_None && !PyCallable_Check(function)) {
    PyErr_Format(PyExc_TypeError, "%s(func): argument not callable", name);
    return NULL;
  }
  Py_XSETREF(*slot, function == Py_None ? NULL : Py_NewRef(function));
  Py_RETURN_NONE;
}

static PyObject* readline_set_completer(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  return set_function("set_completer", &completer, args, nargs);
}

static PyObject* readline_get_completer(PyObject* self, PyObject* unused) {
  return Py_NewRef(completer != NULL ? completer : Py_None);
}

static PyObject* readline_set_startup_hook(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  return set_function("set_startup_hook", &startup_hook, args, nargs);
}

static PyObject* readline_set_pre_input_hook(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  return set_function("set_pre_input_hook", &pre_input_hook, args, nargs);
}

static PyObject* readline_set_completion_display_matches_hook(PyObject* self, PyObject* const* args,
                                                              Py_ssize_t nargs) {
  return set_function("set_completion_display_matches_hook", &display_hook, args, nargs);
}

static PyObject* readline_set_completer_delims(PyObject* self, PyObject* arg) {
  PyObject* text = utf8_argument(arg);
  if (text == NULL) return NULL;
  char* copy = line_copy(PyBytes_AS_STRING(text), (size_t)PyBytes_GET_SIZE(text));
  Py_DECREF(text);
  if (copy == NULL) return NULL;
  PyMem_RawFree(completer_delims);
  completer_delims = copy;
  Py_RETURN_NONE;
}

static PyObject* readline_get_completer_delims(PyObject* self, PyObject* unused) { return str_of(delims()); }

static PyObject* readline_get_begidx(PyObject* self, PyObject* unused) { return PyLong_FromLong(begidx); }

static PyObject* readline_get_endidx(PyObject* self, PyObject* unused) { return PyLong_FromLong(endidx); }

static PyObject* readline_get_completion_type(PyObject* self, PyObject* unused) {
  return PyLong_FromLong(completion_kind);
}

static PyObject* readline_get_line_buffer(PyObject* self, PyObject* unused) {
  size_t len;
  const char* text = line_text(&len);
  return PyUnicode_DecodeUTF8(text, (Py_ssize_t)len, "surrogateescape");
}

static PyObject* readline_insert_text(PyObject* self, PyObject* arg) {
  PyObject* text = utf8_argument(arg);
  if (text == NULL) return NULL;
  int r = line_insert(PyBytes_AS_STRING(text), (size_t)PyBytes_GET_SIZE(text));
  Py_DECREF(text);
  if (r < 0) return PyErr_NoMemory();
  Py_RETURN_NONE;
}

static PyObject* readline_redisplay(PyObject* self, PyObject* unused) {
  line_redisplay();
  Py_RETURN_NONE;
}

#define FASTCALL(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL

static PyMethodDef readline_methods[] = {
  {"parse_and_bind", readline_parse_and_bind, METH_O,
   "parse_and_bind($module, string, /)\n--\n\n"
   "Carries out one line of an init file. Binding the Tab key to complete or to\n"
   "self-insert takes effect; other keys keep emacs mode's bindings."},
  {"read_init_file", FASTCALL(readline_read_init_file),
   "read_init_file($module, filename=None, /)\n--\n\n"
   "Carries out the lines of an init file ($INPUTRC, else ~/.inputrc) as parse_and_bind."},
  {"add_history", readline_add_history, METH_O,
   "add_history($module, string, /)\n--\n\nAppends a line to the history."},
  {"clear_history", readline_clear_history, METH_NOARGS,
   "clear_history($module, /)\n--\n\nEmpties the history."},
  {"get_current_history_length", readline_get_current_history_length, METH_NOARGS,
   "get_current_history_length($module, /)\n--\n\nThe number of lines in the history."},
  {"get_history_item", readline_get_history_item, METH_O,
   "get_history_item($module, index, /)\n--\n\nThe history's line at a one-based index, or None."},
  {"remove_history_item", readline_remove_history_item, METH_O,
   "remove_history_item($module, pos, /)\n--\n\nRemoves the history's line at a zero-based position."},
  {"replace_history_item", FASTCALL(readline_replace_history_item),
   "replace_history_item($module, pos, line, /)\n--\n\nReplaces the history's line at a zero-based position."},
  {"set_history_length", readline_set_history_length, METH_O,
   "set_history_length($module, length, /)\n--\n\n"
   "How many lines write_history_file and append_history_file leave in the file; -1 for all."},
  {"get_history_length", readline_get_history_length, METH_NOARGS,
   "get_history_length($module, /)\n--\n\nWhat set_history_length set (-1: no limit)."},
  {"set_auto_history", readline_set_auto_history, METH_O,
   "set_auto_history($module, enabled, /)\n--\n\n"
   "Whether each line entered at the terminal is added to the history (the default)."},
  {"read_history_file", FASTCALL(readline_read_history_file),
   "read_history_file($module, filename=None, /)\n--\n\n"
   "Appends the lines of a history file (~/.history) to the history."},
  {"write_history_file", FASTCALL(readline_write_history_file),
   "write_history_file($module, filename=None, /)\n--\n\nWrites the history to a file (~/.history)."},
  {"append_history_file", FASTCALL(readline_append_history_file),
   "append_history_file($module, nelements, filename=None, /)\n--\n\n"
   "Appends the history's last nelements lines to an existing file (~/.history)."},
  {"set_completer", FASTCALL(readline_set_completer),
   "set_completer($module, function=None, /)\n--\n\n"
   "Sets the completer: function(text, state) is called for state 0, 1, ... and\n"
   "returns each match for text, then None."},
  {"get_completer", readline_get_completer, METH_NOARGS,
   "get_completer($module, /)\n--\n\nThe completer, or None."},
  {"set_completer_delims", readline_set_completer_delims, METH_O,
   "set_completer_delims($module, string, /)\n--\n\nThe characters that end the word being completed."},
  {"get_completer_delims", readline_get_completer_delims, METH_NOARGS,
   "get_completer_delims($module, /)\n--\n\nThe characters that end the word being completed."},
  {"get_begidx", readline_get_begidx, METH_NOARGS,
   "get_begidx($module, /)\n--\n\nWhere the word being completed begins in the line."},
  {"get_endidx", readline_get_endidx, METH_NOARGS,
   "get_endidx($module, /)\n--\n\nWhere the word being completed ends in the line."},
  {"get_completion_type", readline_get_completion_type, METH_NOARGS,
   "get_completion_type($module, /)\n--\n\nThe kind of the completion under way: '\\t' or '?', as an int."},
  {"set_completion_display_matches_hook", FASTCALL(readline_set_completion_display_matches_hook),
   "set_completion_display_matches_hook($module, function=None, /)\n--\n\n"
   "Sets what lists the matches: function(substitution, matches, longest_match_length)."},
  {"set_startup_hook", FASTCALL(readline_set_startup_hook),
   "set_startup_hook($module, function=None, /)\n--\n\nA function called before each prompt is shown."},
  {"set_pre_input_hook", FASTCALL(readline_set_pre_input_hook),
   "set_pre_input_hook($module, function=None, /)\n--\n\n"
   "A function called after each prompt is shown, before input is read."},
  {"get_line_buffer", readline_get_line_buffer, METH_NOARGS,
   "get_line_buffer($module, /)\n--\n\nThe line as typed so far."},
  {"insert_text", readline_insert_text, METH_O,
   "insert_text($module, string, /)\n--\n\nInserts text into the line at the cursor."},
  {"redisplay", readline_redisplay, METH_NOARGS,
   "redisplay($module, /)\n--\n\nShows the line again, as it now is."},
  {NULL, NULL, 0, NULL},
};

static struct PyModuleDef readline_module = {
  PyModuleDef_HEAD_INIT, "readline",
  "Importing this module makes input() at a terminal edit the line with GNU readline's\n"
  "emacs keys, a history and a completer. The sandbox's own line editor does it.",
  -1, readline_methods,
};

PyObject* PyInit_readline(void) {
  PyObject* module = PyModule_Create(&readline_module);
  if (module == NULL) return NULL;
  /* GNU readline 8.2's numbers, which programs compare (0x802). */
  if (PyModule_AddIntConstant(module, "_READLINE_VERSION", 0x802) < 0 ||
      PyModule_AddIntConstant(module, "_READLINE_RUNTIME_VERSION", 0x802) < 0 ||
      PyModule_AddStringConstant(module, "_READLINE_LIBRARY_VERSION", "8.2") < 0) {
    Py_DECREF(module);
    return NULL;
  }
  PyOS_ReadlineFunctionPointer = read_edited;
  return module;
}
