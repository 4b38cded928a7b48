/* Local time as glibc keeps it, where wasi-libc keeps only UTC.
 *
 * The zone is TZ's when TZ is set: a POSIX rule ("EST+05EDT,M3.2.0,M11.1.0",
 * "<+03>-3"), a zone of the sandbox's time-zone database ("Europe/Paris",
 * ":Europe/Paris"; /lib/zoneinfo, or $TZDIR) or a TZif file's path. While TZ
 * is unset it is the host's choice (set_time_zone below: pyodide-run gives
 * the zone python3 would use, as /etc/localtime gives it on Linux), else UTC.
 * As in glibc, a name that is no file is read as a rule, and what cannot be
 * read as one keeps its name at UTC's offset.
 *
 * wasi-libc's localtime, localtime_r and mktime ask one function for the zone
 * in effect at a time, __secs_to_zone, which there always answers UTC; the
 * link wraps it with ours (build-guest.sh), so they and everything built on
 * them (time.localtime, time.mktime, time.strftime's %Z and %z, datetime's
 * astimezone and timestamp) follow the zone. wasi-libc has no tzset() at all:
 * ours makes time.tzset() (cpython-patches/wasi-tzset.patch) read TZ again,
 * as glibc's does. Like glibc's localtime, each conversion also notices a
 * changed TZ by itself. */
#include "bridge.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One kind of local time: its offset east of UTC, whether it is daylight
 * saving time, and its abbreviation (interned: struct tm's tm_zone points at
 * it, and a struct tm may outlive the zone). */
typedef struct {
  int32_t utoff;
  bool isdst;
  const char* abbr;
} local_type_t;

/* A day of the year in a POSIX rule, and the local time on it: 'J' n is
 * day n of 1-365 counting no February 29, 'D' n day n of 0-365, 'M' the
 * week-th (5: last) `day` (0: Sunday) of `month`. */
typedef struct {
  char kind;
  int n, month, week, day;
  int32_t time;
} rule_day_t;

/* A POSIX rule: standard time, and daylight saving time from `start`
 * (in standard time) to `end` (in daylight saving time) every year. */
typedef struct {
  local_type_t std, dst;
  bool has_dst;
  rule_day_t start, end;
} posix_rule_t;

/* A zone: its transitions (UTC seconds, ascending) and the type each begins,
 * then its rule from the last transition on (or always, without any). Type 0
 * is in effect before the first transition (RFC 8536). */
typedef struct {
  size_t ntimes, ntypes;
  int64_t* times;
  uint8_t* type_of;
  local_type_t* types;
  bool has_rule;
  posix_rule_t rule;
} zone_t;

static const local_type_t UTC_TYPE = {0, false, "UTC"};

static zone_t zone;         /* UTC: no types and no rule */
static char* zone_spec;     /* the TZ value (or default) `zone` was made from; NULL: none yet */
static char* default_zone;  /* the host's zone while TZ is unset; NULL: UTC */

/* --- abbreviations --------------------------------------------------------- */

static const char* intern_abbr(const char* text, size_t len) {
  static struct abbr {
    struct abbr* next;
    char text[];
  }* abbrs;
  for (struct abbr* a = abbrs; a != NULL; a = a->next)
    if (strncmp(a->text, text, len) == 0 && a->text[len] == '\0') return a->text;
  struct abbr* a = malloc(sizeof *a + len + 1);
  if (a == NULL) return "";
  memcpy(a->text, text, len);
  a->text[len] = '\0';
  a->next = abbrs;
  abbrs = a;
  return a->text;
}

/* --- the calendar ----------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

static bool is_leap(int64_t year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

/* Days from 1970-01-01 to January 1 of `year`: 365 a year, and a day for each
 * leap year in between (477 of them fall in years 1 to 1969). */
static int64_t days_to_year(int64_t year) {
  int64_t before = year - 1;
  return 365 * (year - 1970) + floor_div(before, 4) - floor_div(before, 100) + floor_div(before, 400) - 477;
}

/* The year holding day `days` (days since 1970-01-01). */
static int64_t year_of(int64_t days) {
  int64_t year = 1970 + floor_div(days * 400, 146097);
  while (days_to_year(year) > days) year--;
  while (days_to_year(year + 1) <= days) year++;
  return year;
}

static int month_days(int month, bool leap) {
  static const int DAYS[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return DAYS[month - 1] + (month == 2 && leap);
}

/* The local seconds since 1970 (in the time the rule counts in) at which
 * `day` happens in `year`. */
static int64_t rule_day_seconds(const rule_day_t* day, int64_t year) {
  bool leap = is_leap(year);
  int64_t days = days_to_year(year);
  if (day->kind == 'J') {
    days += day->n - 1 + (leap && day->n >= 60);
  } else if (day->kind == 'D') {
    days += day->n;
  } else {
    for (int m = 1; m < day->month; m++) days += month_days(m, leap);
    int weekday = (int)((days + 4) % 7 + 7) % 7; /* 1970-01-01 was a Thursday */
    int mday = (day->day - weekday + 7) % 7 + 7 * (day->week - 1);
    while (mday >= month_days(day->month, leap)) mday -= 7;
    days += mday;
  }
  return days * 86400 + day->time;
}

/* --- POSIX rules ------------------------------------------------------------ */

/* A name: three or more letters, or <...> of letters, digits, + and -. */
static bool parse_name(const char** s, const char** abbr) {
  const char* p = *s;
  size_t len = 0;
  if (*p == '<') {
    p++;
    while ((p[len] | 32) - 'a' < 26u || p[len] - '0' < 10u || p[len] == '+' || p[len] == '-') len++;
    if (p[len] != '>' || len < 3) return false;
    *s = p + len + 1;
  } else {
    while ((p[len] | 32) - 'a' < 26u) len++;
    if (len < 3) return false;
    *s = p + len;
  }
  *abbr = intern_abbr(p, len);
  return true;
}

static bool parse_number(const char** s, int max, int* n) {
  if (**s - '0' >= 10u) return false;
  int value = 0;
  while (**s - '0' < 10u) {
    value = value * 10 + (*(*s)++ - '0');
    if (value > max) return false;
  }
  *n = value;
  return true;
}

/* [+-]hh[:mm[:ss]], hours up to `max_hours`, as seconds. */
static bool parse_time(const char** s, int max_hours, int32_t* seconds) {
  int sign = **s == '-' ? -1 : 1;
  if (**s == '+' || **s == '-') (*s)++;
  int h, m = 0, sec = 0;
  if (!parse_number(s, max_hours, &h)) return false;
  if (**s == ':' && ((*s)++, !parse_number(s, 59, &m))) return false;
  if (**s == ':' && ((*s)++, !parse_number(s, 59, &sec))) return false;
  *seconds = sign * (h * 3600 + m * 60 + sec);
  return true;
}

static bool parse_rule_day(const char** s, rule_day_t* day) {
  day->kind = **s == 'J' || **s == 'M' ? *(*s)++ : 'D';
  if (day->kind == 'M') {
    if (!parse_number(s, 12, &day->month) || day->month < 1 || *(*s)++ != '.' ||
        !parse_number(s, 5, &day->week) || day->week < 1 || *(*s)++ != '.' || !parse_number(s, 6, &day->day))
      return false;
  } else if (!parse_number(s, 365, &day->n) || (day->kind == 'J' && day->n < 1)) {
    return false;
  }
  day->time = 7200;
  return **s != '/' || ((*s)++, parse_time(s, 167, &day->time));
}

/* Reads `s` as a POSIX rule into `rule`: what can be read of it, as glibc
 * does (a name without an offset is at UTC's; no name at all is "" at UTC's;
 * daylight saving time without dates follows the US rule). */
static void parse_rule(const char* s, posix_rule_t* rule) {
  static const rule_day_t US_START = {'M', 0, 3, 2, 0, 7200}, US_END = {'M', 0, 11, 1, 0, 7200};
  int32_t offset;
  *rule = (posix_rule_t){.std = {0, false, ""}};
  if (!parse_name(&s, &rule->std.abbr)) return;
  if (!parse_time(&s, 24, &offset)) return;
  rule->std.utoff = -offset;
  if (!parse_name(&s, &rule->dst.abbr)) return;
  rule->dst.isdst = true;
  rule->dst.utoff = rule->std.utoff + 3600;
  if ((*s == '+' || *s == '-' || *s - '0' < 10u) && parse_time(&s, 24, &offset)) rule->dst.utoff = -offset;
  rule->has_dst = true;
  rule->start = US_START;
  rule->end = US_END;
  rule_day_t start, end;
  if (*s == ',' && (s++, parse_rule_day(&s, &start)) && *s == ',' && (s++, parse_rule_day(&s, &end))) {
    rule->start = start;
    rule->end = end;
  }
}

/* Whether the local time `t` is past the change at UTC second `at` from
 * type `from` to type `to`. Where local times are skipped, they are standard
 * time's but for the first, the earlier type's (02:30 on the day clocks go
 * from 02:00 to 03:00 is 03:30 of the new time); where they are repeated,
 * the earlier type's but for the one after the last, daylight time's — as
 * glibc's mktime takes them. Between two types of one kind, the earlier's. */
static bool local_passes(int64_t t, int64_t at, const local_type_t* from, const local_type_t* to) {
  if (to->utoff > from->utoff) /* skipped: [at + from, at + to) */
    return from->isdst && !to->isdst ? t > at + from->utoff : t >= at + to->utoff;
  if (to->utoff < from->utoff) /* repeated: [at + to, at + from) */
    return to->isdst && !from->isdst ? t >= at + from->utoff : t > at + from->utoff;
  return t >= at + from->utoff;
}

/* The type in effect at `t` (UTC seconds, or local ones with `local`) under
 * `rule`, and in `opposite` the other one. As in glibc, the year's changes
 * are those of t's year in UTC, and those of 1970 for earlier years. */
static const local_type_t* rule_type(const posix_rule_t* rule, int64_t t, bool local,
                                     const local_type_t** opposite) {
  if (!rule->has_dst) {
    *opposite = &rule->std;
    return &rule->std;
  }
  int64_t year = year_of(floor_div(local ? t - rule->std.utoff : t, 86400));
  if (year < 1970) year = 1970;
  int64_t start = rule_day_seconds(&rule->start, year) - rule->std.utoff;
  int64_t end = rule_day_seconds(&rule->end, year) - rule->dst.utoff;
  bool after_start = local ? local_passes(t, start, &rule->std, &rule->dst) : t >= start;
  bool before_end = !(local ? local_passes(t, end, &rule->dst, &rule->std) : t >= end);
  bool dst = start < end ? after_start && before_end : after_start || before_end;
  *opposite = dst ? &rule->std : &rule->dst;
  return dst ? &rule->dst : &rule->std;
}

/* --- TZif files (RFC 8536) ---------------------------------------------------- */

static uint32_t be32(const uint8_t* p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

enum { HEADER = 44 };

/* The counts of a header: isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt. */
static void header_counts(const uint8_t* header, uint32_t counts[6]) {
  for (int k = 0; k < 6; k++) counts[k] = be32(header + 20 + 4 * k);
}

/* The size of the data block after a header, or SIZE_MAX when it cannot fit in `limit`. */
static size_t block_size(const uint32_t c[6], size_t time_size, size_t limit) {
  for (int k = 0; k < 6; k++)
    if (c[k] > limit) return SIZE_MAX;
  return c[3] * time_size + c[3] + c[4] * 6 + c[5] + c[2] * (time_size + 4) + c[1] + c[0];
}

/* Reads a TZif file's contents into `out`; false if it is not one. */
static bool parse_tzif(const uint8_t* data, size_t size, zone_t* out) {
  if (size < HEADER || memcmp(data, "TZif", 4) != 0) return false;
  uint32_t c[6];
  header_counts(data, c);
  size_t time_size = 4, at = HEADER, block = block_size(c, 4, size);
  if (block == SIZE_MAX || block > size - HEADER) return false;
  if (data[4] >= '2') { /* skip the 32-bit block for the 64-bit one after it */
    at += block;
    if (size - at < HEADER || memcmp(data + at, "TZif", 4) != 0) return false;
    header_counts(data + at, c);
    at += HEADER;
    time_size = 8;
    block = block_size(c, 8, size);
    if (block == SIZE_MAX || block > size - at) return false;
  }
  size_t ntimes = c[3], ntypes = c[4], nchars = c[5];
  if (ntypes == 0 || ntypes > 256 || nchars == 0) return false;
  const uint8_t* p = data + at;
  const uint8_t* type_of = p + ntimes * time_size;
  const uint8_t* types = type_of + ntimes;
  const char* chars = (const char*)(types + ntypes * 6);

  out->times = malloc((ntimes ? ntimes : 1) * sizeof *out->times);
  out->type_of = malloc(ntimes ? ntimes : 1);
  out->types = malloc(ntypes * sizeof *out->types);
  if (out->times == NULL || out->type_of == NULL || out->types == NULL) return false;
  for (size_t i = 0; i < ntimes; i++) {
    const uint8_t* q = p + i * time_size;
    int64_t t = time_size == 8 ? (int64_t)((uint64_t)be32(q) << 32 | be32(q + 4)) : (int32_t)be32(q);
    if (type_of[i] >= ntypes || (i > 0 && t <= out->times[i - 1])) return false;
    out->times[i] = t;
    out->type_of[i] = type_of[i];
  }
  for (size_t k = 0; k < ntypes; k++) {
    const uint8_t* q = types + 6 * k;
    size_t abbr = q[5];
    if (abbr >= nchars || q[4] > 1) return false;
    const char* end = memchr(chars + abbr, '\0', nchars - abbr);
    if (end == NULL) return false;
    out->types[k] = (local_type_t){(int32_t)be32(q), q[4] == 1, intern_abbr(chars + abbr, (size_t)(end - chars - abbr))};
  }
  out->ntimes = ntimes;
  out->ntypes = ntypes;

  /* Version 2's footer: the rule for times after the last transition. */
  const char* footer = (const char*)(p + block);
  size_t rest = size - at - block;
  if (time_size == 8 && rest >= 2 && footer[0] == '\n' && footer[1] != '\n') {
    const char* end = memchr(footer + 1, '\n', rest - 1);
    char* text = end != NULL ? strndup(footer + 1, (size_t)(end - footer - 1)) : NULL;
    if (text != NULL) {
      parse_rule(text, &out->rule);
      out->has_rule = out->rule.std.abbr[0] != '\0';
      free(text);
    }
  }
  return true;
}

/* Up to `cap` bytes of the file at `path`, read through WASI: their count,
 * or -1 (also for a larger file). */
static int32_t read_with_wasi(const char* path, uint8_t* data, size_t cap) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  size_t used = 0;
  ssize_t got = 0;
  while (used < cap && (got = read(fd, data + used, cap - used)) > 0) used += (size_t)got;
  close(fd);
  return got < 0 || used == cap ? -1 : (int32_t)used;
}

/* The contents of the file at `path` (less than 64 KiB, more than any zone
 * needs), or NULL. The host reads it in one call where it can: through
 * WASI's open and reads, the first zone a runtime loaded took a millisecond. */
static uint8_t* read_small_file(const char* path, size_t* size) {
  enum { LIMIT = 64 * 1024 };
  uint8_t* data = malloc(LIMIT);
  int64_t whole = 0;
  int32_t n = data != NULL ? host_read_file(path, (uint32_t)strlen(path), (char*)data, LIMIT, &whole) : -1;
  if (n < 0 && n != HOST_MISSING && n != -2 && data != NULL) n = read_with_wasi(path, data, LIMIT);
  if (n < 0) {
    free(data);
    return NULL;
  }
  *size = (size_t)n;
  return data;
}

/* Reads the zone file `name` names (TZ without its ':'), into `out`; false if there is none. */
static bool load_zone_file(const char* name, zone_t* out) {
  char* path = NULL;
  if (name[0] == '/') {
    path = strdup(name);
  } else {
    const char* dir = getenv("TZDIR");
    if (dir == NULL || dir[0] == '\0') dir = "/lib/zoneinfo";
    if (asprintf(&path, "%s/%s", dir, name) < 0) path = NULL;
  }
  size_t size = 0;
  uint8_t* data = path != NULL ? read_small_file(path, &size) : NULL;
  bool ok = data != NULL && parse_tzif(data, size, out);
  free(data);
  free(path);
  return ok;
}

/* --- the current zone ---------------------------------------------------------- */

static void zone_clear(zone_t* z) {
  free(z->times);
  free(z->type_of);
  free(z->types);
  *z = (zone_t){0};
}

/* Makes `zone` the one `spec` describes ("" is UTC). */
static void zone_load(const char* spec) {
  zone_clear(&zone);
  if (spec[0] == '\0') return;
  const char* name = spec[0] == ':' ? spec + 1 : spec;
  if (strchr(name, ',') == NULL && load_zone_file(name, &zone)) return;
  zone_clear(&zone);
  parse_rule(name, &zone.rule);
  zone.has_rule = true;
}

/* The zone in effect now: loaded again when TZ (or the default) changed. */
static const zone_t* current_zone(void) {
  const char* spec = getenv("TZ");
  if (spec == NULL) spec = default_zone != NULL ? default_zone : "";
  if (zone_spec == NULL || strcmp(zone_spec, spec) != 0) {
    char* copy = strdup(spec);
    if (copy == NULL) return &zone; /* keep what there is */
    free(zone_spec);
    zone_spec = copy;
    zone_load(spec);
  }
  return &zone;
}

/* The type of the transition before `i` (type 0 before the first). */
static const local_type_t* type_before(const zone_t* z, size_t i) {
  return &z->types[i > 0 ? z->type_of[i - 1] : 0];
}

/* The type in effect at `t` (UTC, or local with `local`), and in `opposite`
 * the type of the other kind (daylight or standard) nearest in time before
 * or after, else itself: mktime moves by the difference of their offsets
 * when tm_isdst asks for the other kind, as glibc's looks for the nearest. */
static const local_type_t* zone_type(const zone_t* z, int64_t t, bool local, const local_type_t** opposite) {
  size_t n = z->ntimes, lo = 0, hi = n; /* lo: the number of transitions at or before t */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    bool passed = local ? local_passes(t, z->times[mid], type_before(z, mid), &z->types[z->type_of[mid]])
                        : z->times[mid] <= t;
    if (passed) lo = mid + 1;
    else hi = mid;
  }
  const local_type_t* type;
  if (z->has_rule && lo == n) {
    type = rule_type(&z->rule, t, local, opposite);
    if (z->rule.has_dst || n == 0) return type;
  } else if (z->ntypes == 0) {
    *opposite = &UTC_TYPE;
    return &UTC_TYPE;
  } else {
    type = type_before(z, lo);
  }
  *opposite = type;
  int64_t nearest = INT64_MAX;
  if (lo >= 1 && type_before(z, lo - 1)->isdst != type->isdst) {
    *opposite = type_before(z, lo - 1);
    nearest = t - z->times[lo - 1];
  }
  if (lo < n && z->types[z->type_of[lo]].isdst != type->isdst && z->times[lo] - t < nearest)
    *opposite = &z->types[z->type_of[lo]];
  return type;
}

/* wasi-libc's question (time_impl.h): the zone at `t`, given in UTC or, with
 * `local`, in local time. localtime_r and mktime ask it; mktime uses `oppoff`
 * when the struct tm's tm_isdst asks for the other kind of time. */
void __wrap___secs_to_zone(long long t, int local, int* isdst, int* offset, long* oppoff, const char** name) {
  const local_type_t* opposite;
  const local_type_t* type = zone_type(current_zone(), t, local != 0, &opposite);
  *isdst = type->isdst;
  *offset = type->utoff;
  if (oppoff != NULL) *oppoff = opposite->utoff;
  *name = type->abbr;
}

void tzset(void) { (void)current_zone(); }

/* _pyodide_core.set_time_zone(zone): the zone local time follows while TZ is
 * unset (as /etc/localtime is on Linux); None is UTC. True if that changed
 * it: the caller then calls time.tzset() for time's timezone, altzone,
 * daylight and tzname. */
static PyObject* set_time_zone(PyObject* self, PyObject* arg) {
  (void)self;
  const char* wanted = NULL;
  if (arg != Py_None) {
    Py_ssize_t size;
    if (!PyUnicode_Check(arg)) return PyErr_Format(PyExc_TypeError, "set_time_zone: zone must be str or None");
    if ((wanted = PyUnicode_AsUTF8AndSize(arg, &size)) == NULL) return NULL;
    if (strlen(wanted) != (size_t)size) return PyErr_Format(PyExc_ValueError, "set_time_zone: embedded null character");
  }
  if (wanted == NULL ? default_zone == NULL : default_zone != NULL && strcmp(wanted, default_zone) == 0)
    Py_RETURN_FALSE;
  char* copy = NULL;
  if (wanted != NULL && (copy = strdup(wanted)) == NULL) return PyErr_NoMemory();
  free(default_zone);
  default_zone = copy;
  Py_RETURN_TRUE;
}

static PyMethodDef timezone_methods[] = {
  {"set_time_zone", set_time_zone, METH_O,
   "set_time_zone(zone): the zone (as TZ names one) local time follows while TZ is unset; None: UTC.\n"
   "True if that changed it (then call time.tzset())."},
  {NULL, NULL, 0, NULL},
};

int timezone_add_to(PyObject* module) { return PyModule_AddFunctions(module, timezone_methods); }
