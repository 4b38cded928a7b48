/* Editing a line at a terminal, for input() once readline is imported
 * (readline.c): the line, its display and the keys of GNU readline's emacs
 * mode that people type.
 *
 * The terminal is the one behind the runtime's fd 0 (termios.c's terminal
 * import): for the edit, echo and canonical input are off and Ctrl-C still
 * signals (an interrupt ends the read with KeyboardInterrupt, as python3's
 * readline ends). Keys are read a byte at a time from the host's stdin, what
 * the line looks like is written to fd 1 in one write per key.
 *
 * The display moves the cursor only relatively, from where the line's text
 * begins, so text written before the prompt on its row (print(..., end="")
 * then input()) stays, as it does with GNU readline. Positions are counted as
 * row * columns + column from the start of the prompt's last line, assuming
 * (as GNU readline does) that the prompt begins a row. A character is shown
 * as GNU readline shows it: a tab as spaces to the next multiple of 8, other
 * control characters as ^X, a byte that begins no UTF-8 character as \ooo,
 * and a wide character that does not fit at the end of a row on the next. */
#include "bridge.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

/* Linux's terminal mode bits the edit changes. */
enum { L_ICANON = 0x2, L_ECHO = 0x8, L_IEXTEN = 0x8000, I_ICRNL = 0x100, I_IXON = 0x400, CC_VTIME = 5, CC_VMIN = 6,
       TCSADRAIN = 1 };

#define ESC "\x1b"

/* ---- the line ---- */

static char* text; /* UTF-8, not terminated */
static size_t text_len, text_cap, point;
static char* killed; /* what the last kill took, for Ctrl-Y */
static size_t killed_len;

const char* line_text(size_t* len) {
  *len = text_len;
  return text != NULL ? text : "";
}

void line_clear(void) { text_len = point = 0; }

static int reserve(char** buf, size_t* cap, size_t need) {
  if (need <= *cap) return 0;
  size_t grown_cap = *cap ? *cap : 64;
  while (grown_cap < need) grown_cap *= 2;
  char* grown = PyMem_RawRealloc(*buf, grown_cap);
  if (grown == NULL) return -1;
  *buf = grown;
  *cap = grown_cap;
  return 0;
}

/* Replaces text[from, to) with `len` bytes of `with` (not inside the line) and
 * puts the cursor after them; -1 when out of memory. */
static int replace(size_t from, size_t to, const char* with, size_t len) {
  if (reserve(&text, &text_cap, text_len - (to - from) + len) < 0) return -1;
  memmove(text + from + len, text + to, text_len - to);
  memcpy(text + from, with, len);
  text_len = text_len - (to - from) + len;
  point = from + len;
  return 0;
}

int line_insert(const char* inserted, size_t len) { return replace(point, point, inserted, len); }

/* Removes text[from, to), keeping it for Ctrl-Y when `kill`. */
static void cut(size_t from, size_t to, int kill) {
  if (from >= to) return;
  static size_t killed_cap;
  if (kill && reserve(&killed, &killed_cap, to - from) == 0) {
    memcpy(killed, text + from, to - from);
    killed_len = to - from;
  }
  replace(from, to, "", 0);
}

static size_t next_char(size_t i) {
  if (i >= text_len) return text_len;
  for (i++; i < text_len && ((unsigned char)text[i] & 0xC0) == 0x80; i++) {}
  return i;
}

static size_t prev_char(size_t i) {
  if (i == 0) return 0;
  for (i--; i > 0 && ((unsigned char)text[i] & 0xC0) == 0x80; i--) {}
  return i;
}

/* GNU readline's words: letters and digits (any non-ASCII character counts as one). */
static int in_word(size_t i) { return (unsigned char)text[i] >= 0x80 || isalnum((unsigned char)text[i]); }

static size_t word_end(size_t i) {
  while (i < text_len && !in_word(i)) i = next_char(i);
  while (i < text_len && in_word(i)) i = next_char(i);
  return i;
}

static size_t word_start(size_t i) {
  while (i > 0 && !in_word(prev_char(i))) i = prev_char(i);
  while (i > 0 && in_word(prev_char(i))) i = prev_char(i);
  return i;
}

/* Ctrl-W's words: what lies between spaces. */
static size_t spaced_word_start(size_t i) {
  while (i > 0 && isspace((unsigned char)text[i - 1])) i--;
  while (i > 0 && !isspace((unsigned char)text[i - 1])) i--;
  return i;
}

/* ---- the screen ---- */

static struct {
  int editing;
  size_t columns;
  const char* prompt_line; /* the prompt's last line, as given */
  size_t prompt_width;     /* its width on the screen: where the text begins */
  size_t cursor;           /* where the cursor is */
  size_t end;              /* where the text shown ends */
} screen;

static char* out; /* what the next write shows */
static size_t out_len, out_cap;

static void put(const char* s, size_t len) {
  if (reserve(&out, &out_cap, out_len + len) < 0) return;
  memcpy(out + out_len, s, len);
  out_len += len;
}

static void put_str(const char* s) { put(s, strlen(s)); }

static void put_format(const char* format, ...) {
  char buf[32];
  va_list args;
  va_start(args, format);
  int n = vsnprintf(buf, sizeof buf, format, args);
  va_end(args);
  if (n > 0) put(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static void flush(void) {
  if (out_len) stream_write(1, out, out_len);
  out_len = 0;
}

/* The UTF-8 character at s[0, n): its code point and length, or -1 (length 1)
 * for a byte that begins none. */
static int32_t decode(const unsigned char* s, size_t n, size_t* used) {
  *used = 1;
  if (s[0] < 0x80) return s[0];
  size_t len = s[0] >= 0xF0 && s[0] < 0xF5 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 && s[0] < 0xE0 ? 2 : 0;
  if (len == 0 || len > n) return -1;
  int32_t cp = s[0] & (0x7F >> len);
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return -1;
    cp = cp << 6 | (s[i] & 0x3F);
  }
  *used = len;
  return cp;
}

/* How the character at s[0, n) shows at position `pos`: its bytes on the
 * screen in `shown` (room for 8), their count, and the position after it. */
static size_t show(const char* s, size_t n, size_t pos, char* shown, size_t* shown_len, size_t* used) {
  int32_t cp = decode((const unsigned char*)s, n, used);
  size_t width;
  if (cp < 0) {
    *shown_len = (size_t)snprintf(shown, 8, "\\%03o", (unsigned char)s[0]);
    width = 4;
  } else if (cp == '\t') {
    width = 8 - pos % 8;
    memset(shown, ' ', width);
    *shown_len = width;
  } else if (cp < 0x20 || cp == 0x7F) {
    shown[0] = '^';
    shown[1] = (char)(cp ^ 0x40);
    *shown_len = width = 2;
  } else {
    int w = wcwidth((wchar_t)cp);
    width = w < 0 ? 1 : (size_t)w;
    memcpy(shown, s, *used);
    *shown_len = *used;
    /* A wide character the row has no room for goes whole to the next. */
    if (width > 1 && pos % screen.columns + width > screen.columns) pos += screen.columns - pos % screen.columns;
  }
  return pos + width;
}

/* Where the text ends on the screen, and (at_point) where its cursor is;
 * with `render`, the text as shown is put out. */
static size_t lay_out(int render, size_t* at_point) {
  size_t pos = screen.prompt_width;
  *at_point = pos;
  for (size_t i = 0; i < text_len;) {
    if (i == point) *at_point = pos;
    char shown[8];
    size_t shown_len, used;
    pos = show(text + i, text_len - i, pos, shown, &shown_len, &used);
    if (render) put(shown, shown_len);
    i += used;
  }
  if (point >= text_len) *at_point = pos;
  return pos;
}

static void move_cursor(size_t from, size_t to) {
  size_t columns = screen.columns, from_row = from / columns, to_row = to / columns;
  if (from_row > to_row) put_format(ESC "[%zuA", from_row - to_row);
  if (to_row > from_row) put_format(ESC "[%zuB", to_row - from_row);
  size_t from_column = from % columns, to_column = to % columns;
  if (from_column > to_column) put_format(ESC "[%zuD", from_column - to_column);
  if (to_column > from_column) put_format(ESC "[%zuC", to_column - from_column);
}

/* Shows the line again from where its text begins, and the cursor at `point`. */
static void refresh(void) {
  size_t at_point;
  move_cursor(screen.cursor, screen.prompt_width);
  size_t end = lay_out(1, &at_point);
  /* Text that fills its last row leaves the terminal's cursor on that row,
   * waiting to wrap: a space takes it to the next, where the model has it. */
  if (end > screen.prompt_width && end % screen.columns == 0) put_str(" " ESC "[1D");
  put_str(ESC "[J");
  move_cursor(end, at_point);
  screen.cursor = at_point;
  screen.end = end;
}

void line_redisplay(void) {
  if (!screen.editing) return;
  refresh();
  flush();
}

static void measure_prompt(const char* prompt) {
  const char* last = strrchr(prompt, '\n');
  screen.prompt_line = last != NULL ? last + 1 : prompt;
  size_t pos = 0;
  int hidden = 0;
  for (const char* p = screen.prompt_line; *p;) {
    if (*p == '\001' || *p == '\002') {
      hidden = *p++ == '\001';
      continue;
    }
    char shown[8];
    size_t shown_len, used, after = show(p, strlen(p), pos, shown, &shown_len, &used);
    if (!hidden) pos = after;
    p += used;
  }
  screen.prompt_width = pos;
}

/* Puts out the prompt's last line (or all of it), without the \001 and \002
 * that mark what takes no room, from a fresh row; the cursor is then where
 * the text begins. */
static void show_prompt(const char* prompt) {
  for (const char* p = prompt; *p; p++)
    if (*p != '\001' && *p != '\002') put(p, 1);
  screen.cursor = screen.prompt_width;
}

/* Shows `prompt` (one line) in place of the prompt's last line, and the line after it. */
static void replace_prompt(const char* prompt) {
  move_cursor(screen.cursor, 0);
  measure_prompt(prompt);
  show_prompt(prompt);
  refresh();
}

static void bell(void) { put_str("\a"); }

/* ---- keys ---- */

/* The next byte typed: 0-255, -1 at the end of input, -2 with an exception. */
static int next_byte(void) {
  flush();
  char c;
  int32_t n = stdin_read(&c, 1);
  return n < 0 ? -2 : n == 0 ? -1 : (unsigned char)c;
}

typedef enum {
  KEY_NONE, KEY_INSERT, KEY_ACCEPT, KEY_END_OR_DELETE, KEY_BACK, KEY_FORWARD, KEY_HOME, KEY_END, KEY_WORD_BACK,
  KEY_WORD_FORWARD, KEY_RUB_OUT, KEY_DELETE, KEY_KILL_TO_END, KEY_KILL_TO_START, KEY_KILL_SPACED_WORD,
  KEY_KILL_WORD, KEY_KILL_WORD_BACK, KEY_YANK, KEY_TRANSPOSE, KEY_CLEAR, KEY_PREVIOUS, KEY_NEXT, KEY_FIRST,
  KEY_LAST, KEY_COMPLETE, KEY_QUOTED, KEY_SEARCH, KEY_ABORT, KEY_IGNORED, KEY_FAILED, KEY_EOF,
} key_kind;

/* What the bytes after ESC [ or ESC O mean: arrows, Home, End, Delete, and
 * arrows with Ctrl or Alt (a word at a time). */
static key_kind escape_sequence(int introducer) {
  char params[16];
  size_t n = 0;
  int c;
  for (;;) {
    c = next_byte();
    if (c < 0) return c == -2 ? KEY_FAILED : KEY_EOF;
    if (introducer == '[' && c >= 0x20 && c < 0x40) {
      if (n < sizeof params - 1) params[n++] = (char)c;
      continue;
    }
    break;
  }
  params[n] = '\0';
  int modified = strchr(params, ';') != NULL;
  switch (c) {
    case 'A': return KEY_PREVIOUS;
    case 'B': return KEY_NEXT;
    case 'C': return modified ? KEY_WORD_FORWARD : KEY_FORWARD;
    case 'D': return modified ? KEY_WORD_BACK : KEY_BACK;
    case 'H': return KEY_HOME;
    case 'F': return KEY_END;
    case '~':
      if (!strcmp(params, "1") || !strcmp(params, "7")) return KEY_HOME;
      if (!strcmp(params, "4") || !strcmp(params, "8")) return KEY_END;
      if (!strcmp(params, "3")) return KEY_DELETE;
      return KEY_NONE;
    default: return KEY_NONE;
  }
}

/* Reads one key; for KEY_INSERT, its bytes are in `bytes` (`*len` of them). */
static key_kind read_key(char* bytes, size_t* len) {
  int c = next_byte();
  if (c < 0) return c == -2 ? KEY_FAILED : KEY_EOF;
  if (c == 0x1B) {
    int d = next_byte();
    if (d < 0) return d == -2 ? KEY_FAILED : KEY_EOF;
    if (d == '[' || d == 'O') return escape_sequence(d);
    switch (d) { /* Meta (Alt) keys */
      case 'b': case 'B': return KEY_WORD_BACK;
      case 'f': case 'F': return KEY_WORD_FORWARD;
      case 'd': case 'D': return KEY_KILL_WORD;
      case 0x7F: case 0x08: return KEY_KILL_WORD_BACK;
      case '\t': case 0x1B: return KEY_COMPLETE;
      case '<': return KEY_FIRST;
      case '>': return KEY_LAST;
      default: return KEY_NONE;
    }
  }
  switch (c) {
    case 0x01: return KEY_HOME;
    case 0x02: return KEY_BACK;
    case 0x04: return KEY_END_OR_DELETE;
    case 0x05: return KEY_END;
    case 0x06: return KEY_FORWARD;
    case 0x08: case 0x7F: return KEY_RUB_OUT;
    case '\t':
      if (tab_action() == TAB_COMPLETES) return KEY_COMPLETE;
      break;
    case '\n': case '\r': return KEY_ACCEPT;
    case 0x0B: return KEY_KILL_TO_END;
    case 0x0C: return KEY_CLEAR;
    case 0x0E: return KEY_NEXT;
    case 0x07: return KEY_ABORT;
    case 0x10: return KEY_PREVIOUS;
    case 0x12: return KEY_SEARCH;
    case 0x14: return KEY_TRANSPOSE;
    case 0x15: return KEY_KILL_TO_START;
    case 0x16: return KEY_QUOTED;
    case 0x17: return KEY_KILL_SPACED_WORD;
    case 0x19: return KEY_YANK;
    default:
      if (c < 0x20) return KEY_NONE;
  }
  bytes[0] = (char)c;
  *len = 1;
  /* The rest of a UTF-8 character. */
  size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  while (*len < want) {
    int d = next_byte();
    if (d < 0) return d == -2 ? KEY_FAILED : KEY_INSERT;
    bytes[(*len)++] = (char)d;
    if ((d & 0xC0) != 0x80) break;
  }
  return KEY_INSERT;
}

/* ---- history ---- */

/* The lines of the history as browsed in this edit: a line changed while it
 * was shown keeps its change until the edit ends; the last is the new line. */
static char** versions;
static size_t* version_lens;
static size_t versions_len, browsing;

static int browse_start(void) {
  versions_len = history_count() + 1;
  browsing = versions_len - 1;
  versions = PyMem_RawCalloc(versions_len, sizeof *versions);
  version_lens = PyMem_RawCalloc(versions_len, sizeof *version_lens);
  return versions != NULL && version_lens != NULL ? 0 : -1;
}

static void browse_end(void) {
  for (size_t i = 0; versions != NULL && i < versions_len; i++) PyMem_RawFree(versions[i]);
  PyMem_RawFree(versions);
  PyMem_RawFree(version_lens);
  versions = NULL;
  version_lens = NULL;
}

/* The history's line `index` as this edit left it: a line changed while it
 * was shown (the new line once left), else the history's. */
static const char* version_text(size_t index, size_t* len) {
  if (versions[index] != NULL) {
    *len = version_lens[index];
    return versions[index];
  }
  const char* line = history_line(index);
  *len = line != NULL ? strlen(line) : 0;
  return line != NULL ? line : "";
}

static void browse_to(size_t to) {
  if (to == browsing || to >= versions_len) {
    bell();
    return;
  }
  char* kept = PyMem_RawRealloc(versions[browsing], text_len ? text_len : 1);
  if (kept == NULL) return;
  memcpy(kept, text, text_len);
  versions[browsing] = kept;
  version_lens[browsing] = text_len;
  browsing = to;
  size_t len;
  const char* line = version_text(to, &len);
  replace(0, text_len, line, len);
}

/* The newest line at or before `from` holding `query`: its index, and (at)
 * where the last occurrence begins; -1 if none does. */
static long find_in_history(size_t from, const char* query, size_t query_len, size_t* at) {
  for (long i = (long)from; i >= 0; i--) {
    size_t len;
    const char* line = (size_t)i == browsing ? line_text(&len) : version_text((size_t)i, &len);
    for (size_t start = len >= query_len ? len - query_len + 1 : 0; start-- > 0;) {
      if (memcmp(line + start, query, query_len) == 0) {
        *at = start;
        return i;
      }
    }
  }
  return -1;
}

/* Ctrl-R: GNU readline's reverse incremental search. What is typed is looked
 * for in the history from the newest line back, each line found shown with
 * the cursor on the match; Ctrl-R again finds an older one (or, at first, the
 * last search's). Rubout shortens the search, Ctrl-G gives the line back as
 * it was. Any other key ends the search on the line found and is carried
 * out (Enter enters it); that key is returned, KEY_IGNORED for none. */
static key_kind search_history(const char* prompt, char* bytes, size_t* len) {
  static char last[256];
  char query[256], shown[sizeof query + 64];
  size_t query_len = 0, start = browsing, start_point = point, found = browsing;
  key_kind key;
  int failed = 0;
  for (;;) {
    snprintf(shown, sizeof shown, "(%sreverse-i-search)`%.*s': ", failed ? "failed " : "", (int)query_len, query);
    replace_prompt(shown);
    key = read_key(bytes, len);
    size_t from = found;
    if (key == KEY_SEARCH) {
      if (query_len == 0) {
        query_len = strlen(last);
        memcpy(query, last, query_len);
      } else if (found > 0) {
        from = found - 1;
      } else {
        failed = 1;
        bell();
        continue;
      }
    } else if (key == KEY_INSERT && query_len + *len < sizeof last) {
      memcpy(query + query_len, bytes, *len);
      query_len += *len;
    } else if (key == KEY_RUB_OUT) {
      while (query_len > 0 && ((unsigned char)query[--query_len] & 0xC0) == 0x80) {}
      from = start;
    } else if (key == KEY_ABORT) {
      if (browsing != start) browse_to(start);
      point = start_point;
      key = KEY_IGNORED;
      break;
    } else if (key != KEY_INSERT) {
      break;
    }
    size_t at;
    long i = find_in_history(from, query, query_len, &at);
    failed = i < 0;
    if (failed) {
      bell();
      continue;
    }
    if ((size_t)i != browsing) browse_to((size_t)i);
    found = (size_t)i;
    point = at;
  }
  if (query_len > 0) {
    memcpy(last, query, query_len);
    last[query_len] = '\0';
  }
  replace_prompt(prompt);
  return key;
}

/* ---- completion ---- */

static size_t text_width(const char* s) {
  size_t pos = 0, n = strlen(s);
  for (size_t i = 0; i < n;) {
    char shown[8];
    size_t shown_len, used;
    pos = show(s + i, n - i, pos, shown, &shown_len, &used);
    i += used;
  }
  return pos;
}

/* Shows the line from a fresh row below what was put out, as GNU readline's
 * rl_forced_update_display. */
static void show_again(void) {
  show_prompt(screen.prompt_line);
  refresh();
}

/* Lists the matches below the line, in columns down then across as GNU
 * readline does, then shows the line again. */
static void list_matches(char** matches, size_t count, const char* substitution) {
  size_t longest = 0, at_point;
  for (size_t i = 0; i < count; i++) {
    size_t w = text_width(matches[i]);
    if (w > longest) longest = w;
  }
  size_t end = lay_out(0, &at_point);
  move_cursor(screen.cursor, end);
  screen.cursor = end;
  if (completion_display(substitution, matches, count, longest)) {
    /* The hook shows what it likes, and usually the prompt and line again,
     * leaving the cursor after them. */
    refresh();
    return;
  }
  /* All of them, however many: python3's readline reads keys through GNU
   * readline's callbacks, where it neither asks before listing many nor pages. */
  put_str("\n");
  size_t width = longest + 2, per_row = screen.columns / width;
  if (per_row != 1 && per_row * width == screen.columns) per_row--;
  if (per_row == 0) per_row = 1;
  size_t rows = (count + per_row - 1) / per_row;
  for (size_t row = 0; row < rows; row++) {
    for (size_t column = 0, i = row; column < per_row && i < count; column++, i += rows) {
      put_str(matches[i]);
      if (column + 1 < per_row)
        for (size_t pad = text_width(matches[i]); pad < width; pad++) put_str(" ");
    }
    put_str("\n");
  }
  show_again();
}

/* Tab (when bound to complete) and Esc Tab: the word before the cursor is
 * replaced by its only match, or by the matches' common beginning when that
 * is longer; when that changes nothing twice running, the matches are listed.
 * `*unchanged` says whether the last key was a completion that changed
 * nothing, and is set for the next. */
static void complete(int* unchanged) {
  size_t begin, count;
  char** matches;
  int listing = *unchanged;
  *unchanged = 1;
  if (completion_find(text != NULL ? text : "", point, listing, &begin, &matches, &count) < 0 || count == 0) {
    bell();
    return;
  }
  /* The matches' common beginning (they are sorted: the first's and the
   * last's), not ending inside a character. */
  size_t common = 0;
  while (matches[0][common] != '\0' && matches[0][common] == matches[count - 1][common]) common++;
  while (common > 0 && matches[0][common] != '\0' && ((unsigned char)matches[0][common] & 0xC0) == 0x80) common--;
  size_t word = point - begin, first_len = strlen(matches[0]);
  int typed_begins_all = common >= word && memcmp(matches[0], text + begin, word) == 0;
  if (count == 1 && first_len == 0) {
    /* An empty match replaces nothing (rlcompleter inserts a tab itself and gives one). */
  } else if (count == 1 && (first_len != word || !typed_begins_all)) {
    if (replace(begin, point, matches[0], first_len) == 0) *unchanged = 0;
  } else if (count > 1 && typed_begins_all && common > word) {
    if (replace(begin, point, matches[0], common) == 0) *unchanged = 0;
  } else if (count > 1 && listing) {
    char* substitution = PyMem_RawMalloc(common + 1);
    if (substitution != NULL) {
      memcpy(substitution, matches[0], common);
      substitution[common] = '\0';
      list_matches(matches, count, substitution);
      PyMem_RawFree(substitution);
    }
  } else {
    bell();
  }
  completion_free(matches, count);
}

/* ---- the edit ---- */

static size_t terminal_columns(void) {
  terminal_request_t size = {0};
  if (terminal_control(1, TERMINAL_GET_SIZE, &size) != 0 && terminal_control(0, TERMINAL_GET_SIZE, &size) != 0)
    return 80;
  size_t columns = (uint32_t)size.argument >> 16;
  return columns ? columns : 80;
}

/* act's answer for a key whose effect is already on the screen. */
#define EDIT_SHOWN (-2)

/* Typing at the end of the line (and pasting, a key at a time): the
 * character is added and written as it is, without showing the line again,
 * so a long paste costs its length, not its length squared. Only for a
 * character that shows as itself one column wide where the model is sure of
 * the cursor (at the end, not waiting to wrap); 0 when refresh must do it. */
static int append(const char* bytes, size_t len) {
  size_t used;
  int32_t cp = decode((const unsigned char*)bytes, len, &used);
  if (cp < 0x20 || cp == 0x7F || used != len || wcwidth((wchar_t)cp) != 1 || screen.cursor != screen.end) return 0;
  if (line_insert(bytes, len) < 0) return 0;
  put(bytes, len);
  screen.end = ++screen.cursor;
  /* At the end of a row the terminal waits to wrap: a space takes the cursor to
   * the next, where the model has it, and the next character overwrites it. */
  if (screen.cursor % screen.columns == 0) put_str(" " ESC "[1D");
  return 1;
}

/* Carries out one key; returns EDIT_ENTERED or EDIT_END to end the edit,
 * EDIT_FAILED with an exception, else -1. */
static int act(key_kind key, char* bytes, size_t len, int* unchanged) {
  int completing = 0;
  switch (key) {
    case KEY_FAILED: return EDIT_FAILED;
    case KEY_EOF: return text_len ? EDIT_ENTERED : EDIT_END;
    case KEY_INSERT:
      if (point == text_len && append(bytes, len)) {
        *unchanged = 0;
        return EDIT_SHOWN;
      }
      if (line_insert(bytes, len) < 0) bell();
      break;
    case KEY_QUOTED: {
      int c = next_byte();
      if (c == -2) return EDIT_FAILED;
      char byte = (char)c;
      if (c >= 0 && line_insert(&byte, 1) < 0) bell();
      break;
    }
    case KEY_ACCEPT: return EDIT_ENTERED;
    case KEY_END_OR_DELETE:
      if (text_len == 0) return EDIT_END;
      cut(point, next_char(point), 0);
      break;
    case KEY_DELETE: cut(point, next_char(point), 0); break;
    case KEY_RUB_OUT:
      if (point == 0) bell();
      else cut(prev_char(point), point, 0);
      break;
    case KEY_BACK: point = prev_char(point); break;
    case KEY_FORWARD: point = next_char(point); break;
    case KEY_HOME: point = 0; break;
    case KEY_END: point = text_len; break;
    case KEY_WORD_BACK: point = word_start(point); break;
    case KEY_WORD_FORWARD: point = word_end(point); break;
    case KEY_KILL_TO_END: cut(point, text_len, 1); break;
    case KEY_KILL_TO_START: cut(0, point, 1); break;
    case KEY_KILL_SPACED_WORD: cut(spaced_word_start(point), point, 1); break;
    case KEY_KILL_WORD: cut(point, word_end(point), 1); break;
    case KEY_KILL_WORD_BACK: cut(word_start(point), point, 1); break;
    case KEY_YANK:
      if (killed_len == 0 || line_insert(killed, killed_len) < 0) bell();
      break;
    case KEY_TRANSPOSE:
      if (point == 0 || text_len < 2) {
        bell();
      } else {
        /* The characters before and at the cursor change places (the two before it at the end). */
        size_t second = point == text_len ? prev_char(point) : point, first = prev_char(second);
        size_t after = next_char(second);
        char swapped[8];
        size_t first_len = second - first, second_len = after - second;
        if (first_len + second_len <= sizeof swapped) {
          memcpy(swapped, text + second, second_len);
          memcpy(swapped + second_len, text + first, first_len);
          replace(first, after, swapped, first_len + second_len);
        }
      }
      break;
    case KEY_CLEAR:
      put_str(ESC "[H" ESC "[2J");
      show_prompt(screen.prompt_line);
      break;
    case KEY_PREVIOUS: browse_to(browsing - 1); break;
    case KEY_NEXT: browse_to(browsing + 1); break;
    case KEY_FIRST: browse_to(0); break;
    case KEY_LAST: browse_to(versions_len - 1); break;
    case KEY_COMPLETE:
      completing = 1;
      complete(unchanged);
      break;
    case KEY_SEARCH: return act(search_history(screen.prompt_line, bytes, &len), bytes, len, unchanged);
    case KEY_ABORT: case KEY_NONE: bell(); break;
    case KEY_IGNORED: break;
  }
  if (!completing) *unchanged = 0;
  return -1;
}

int line_edit(const char* prompt, size_t* len) {
  terminal_request_t saved, editing;
  if (terminal_control(0, TERMINAL_GET, &saved) != 0) return EDIT_NO_TERMINAL;
  editing = saved;
  editing.iflag &= ~(uint32_t)(I_ICRNL | I_IXON);
  editing.lflag &= ~(uint32_t)(L_ICANON | L_ECHO | L_IEXTEN);
  editing.cc[CC_VMIN] = 1;
  editing.cc[CC_VTIME] = 0;
  editing.argument = TCSADRAIN;
  if (terminal_control(0, TERMINAL_SET, &editing) != 0) return EDIT_NO_TERMINAL;
  screen.columns = terminal_columns();
  measure_prompt(prompt);
  screen.editing = 1;
  show_prompt(prompt);
  int status = browse_start() < 0 ? EDIT_FAILED : -1;
  if (status < 0) {
    readline_pre_input();
    refresh();
  }
  int unchanged = 0;
  while (status < 0) {
    char bytes[4];
    size_t n = 0;
    key_kind key = read_key(bytes, &n);
    status = act(key, bytes, n, &unchanged);
    if (status == EDIT_SHOWN) status = -1;
    else if (status < 0) refresh();
  }
  if (status == EDIT_ENTERED) {
    size_t at_point, end = lay_out(0, &at_point);
    move_cursor(screen.cursor, end);
    /* Text that filled its last row has the cursor on a fresh row already
     * (refresh), which GNU readline does not leave blank either. */
    if (end == screen.prompt_width || end % screen.columns != 0) put_str("\n");
  }
  if (status == EDIT_FAILED && PyErr_Occurred() == NULL) PyErr_NoMemory();
  flush();
  browse_end();
  screen.editing = 0;
  saved.argument = TCSADRAIN;
  terminal_control(0, TERMINAL_SET, &saved);
  *len = text_len;
  return status;
}
