/* Hard memory limits: config->memory_limit caps the interpreter's linear memory;
 * running into it is a catchable MemoryError, not a dead runtime. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>

#include "rb_util.h"

#define MiB (1024ull * 1024ull)

static pyodide_t* load_limited(uint64_t limit) {
  pyodide_config_t c = rb_quiet_config(NULL);
  c.memory_limit = limit;
  return RB_LOAD(&c);
}

TEST(memory_limit_huge_bytearray_is_catchable) {
  const uint64_t limit = 64 * MiB;
  pyodide_t* rt = load_limited(limit);
  uint64_t peak = RB_STATS(rt).memory_bytes;
  ASSERT(peak <= limit);

  /* Caught inside Python: the runtime is not hurt. */
  char* s = RUN_STR(rt,
                    "try:\n"
                    "    b = bytearray(512 * 1024 * 1024)\n"
                    "    r = 'allocated %d bytes' % len(b)\n"
                    "except MemoryError:\n"
                    "    r = 'caught'\n"
                    "r");
  ASSERT_STREQ(s, "caught");
  free(s);
  uint64_t m = RB_STATS(rt).memory_bytes;
  if (m > peak) peak = m;
  ASSERT(m <= limit);

  /* Uncaught: a PYTHON MemoryError (not LIMIT/FATAL: Python handled it). */
  RB_RUN_EXPECT(rt, "bytearray(512 * 1024 * 1024)", PYODIDE_ERROR_PYTHON, "MemoryError");
  RB_RUN_EXPECT(rt, "'x' * (600 * 1024 * 1024)", PYODIDE_ERROR_PYTHON, "MemoryError");
  RB_RUN_EXPECT(rt, "[0] * (200 * 1024 * 1024)", PYODIDE_ERROR_PYTHON, "MemoryError");

  /* Still usable, and a buffer that fits can be allocated and used. */
  RB_ALIVE(rt);
  ASSERT_EQ_INT(RUN_INT(rt, "b = bytearray(16 * 1024 * 1024); b[-1] = 7; len(b) + b[-1]"),
                16 * MiB + 7);
  m = RB_STATS(rt).memory_bytes;
  if (m > peak) peak = m;
  ASSERT(m <= limit);
  printf("memory limit: requested %llu bytes (%.1f MiB), peak linear memory %llu bytes (%.1f MiB)"
         " after bytearray(512 MiB) and a 16 MiB buffer\n",
         (unsigned long long)limit, (double)limit / MiB, (unsigned long long)peak,
         (double)peak / MiB);
  EXEC(rt, "del b");
  pyodide_destroy(rt);
}

TEST(memory_limit_growth_stops_at_the_limit) {
  /* Many small allocations: memory grows until the limit, then MemoryError. */
  const uint64_t limit = 64 * MiB;
  pyodide_t* rt = load_limited(limit);
  int64_t chunks = RUN_INT(rt,
                           "chunks = []\n"
                           "try:\n"
                           "    while True:\n"
                           "        chunks.append(bytearray(1024 * 1024))\n"
                           "except MemoryError:\n"
                           "    pass\n"
                           "n = len(chunks)\n"
                           "del chunks\n"
                           "n");
  uint64_t peak = RB_STATS(rt).memory_bytes;
  printf("memory limit: requested %llu bytes (%.1f MiB), peak linear memory %llu bytes (%.1f MiB);"
         " %lld 1 MiB chunks allocated before MemoryError\n",
         (unsigned long long)limit, (double)limit / MiB, (unsigned long long)peak,
         (double)peak / MiB, (long long)chunks);
  ASSERT(peak <= limit);
  /* The limit was actually approached (not a failure far below it)... */
  ASSERT(chunks >= 16);
  ASSERT(peak >= limit / 2);
  /* ...and not exceeded. */
  ASSERT(chunks < 64);
  /* The memory freed by `del chunks` is reusable. */
  RB_ALIVE(rt);
  ASSERT_EQ_INT(RUN_INT(rt, "len(bytearray(24 * 1024 * 1024))"), 24 * MiB);
  /* Linear memory never shrinks, and never passes the limit. */
  ASSERT(RB_STATS(rt).memory_bytes <= limit);
  pyodide_destroy(rt);
}

TEST(memory_limit_is_per_runtime) {
  /* A limited runtime beside an unlimited one: the limit is the first's alone. */
  pyodide_t* small = load_limited(48 * MiB);
  pyodide_t* big = RB_LOAD_QUIET();
  RB_RUN_EXPECT(small, "bytearray(100 * 1024 * 1024)", PYODIDE_ERROR_PYTHON, "MemoryError");
  ASSERT_EQ_INT(RUN_INT(big, "b = bytearray(100 * 1024 * 1024); len(b)"), 100 * MiB);
  ASSERT(RB_STATS(big).memory_bytes > 100 * MiB);
  ASSERT(RB_STATS(small).memory_bytes <= 48 * MiB);
  RB_ALIVE(small);
  pyodide_destroy(small);
  pyodide_destroy(big);
}

TEST(memory_limit_too_small_to_start_is_limit) {
  pyodide_config_t c = rb_quiet_config(NULL);
  c.memory_limit = 1 * MiB;
  pyodide_t* rt = (pyodide_t*)(uintptr_t)0x5eed;
  rb_outcome o = RB_TAKE(pyodide_load(&c, &rt));
  ASSERT(o.failed);
  if (o.kind != PYODIDE_ERROR_LIMIT)
    harness_fail(__FILE__, __LINE__, "1 MiB limit: expected LIMIT, got %s %s: %s",
                 rb_kind_name(o.kind), o.type, o.message);
  ASSERT_STREQ(o.type, "LimitError");
  ASSERT(rt == (pyodide_t*)(uintptr_t)0x5eed); /* out untouched */

  /* Every limit from 1 MiB up either starts a working interpreter that stays
   * within it, or fails with LIMIT (never IO, PYTHON, FATAL or a crash). The
   * outcome of each limit is printed; wrong kinds fail the case at the end. */
  uint64_t smallest_ok = 0;
  int wrong = 0;
  char first_wrong[1024] = "";
  for (uint64_t limit = 2 * MiB; limit <= 40 * MiB; limit += 2 * MiB) {
    c.memory_limit = limit;
    pyodide_t* r = NULL;
    o = RB_TAKE(pyodide_load(&c, &r));
    if (o.failed) {
      printf("  memory_limit %2llu MiB: pyodide_load -> %s: %.160s\n", (unsigned long long)(limit / MiB),
             rb_kind_name(o.kind), o.message);
      if (o.kind != PYODIDE_ERROR_LIMIT && wrong++ == 0)
        snprintf(first_wrong, sizeof first_wrong, "limit %llu MiB: expected LIMIT, got %s %s: %s",
                 (unsigned long long)(limit / MiB), rb_kind_name(o.kind), o.type, o.message);
      if (smallest_ok != 0)
        harness_fail(__FILE__, __LINE__, "limit %llu MiB failed although %llu MiB worked",
                     (unsigned long long)(limit / MiB), (unsigned long long)(smallest_ok / MiB));
      continue;
    }
    if (smallest_ok == 0) smallest_ok = limit;
    /* A runtime that started near its limit still runs code (or raises MemoryError). */
    pyodide_value_t v = sentinel_value();
    o = RB_TAKE(pyodide_run_python(r, "sum(range(1000))", PYODIDE_STRLEN, NULL, &v));
    if (o.failed) {
      if (!(o.kind == PYODIDE_ERROR_PYTHON && strcmp(o.type, "MemoryError") == 0))
        harness_fail(__FILE__, __LINE__, "limit %llu MiB: a small call failed with %s %s: %s",
                     (unsigned long long)(limit / MiB), rb_kind_name(o.kind), o.type, o.message);
    } else {
      ASSERT_EQ_INT(v.kind, PYODIDE_INT);
      ASSERT_EQ_INT(v.of.i, 499500);
    }
    uint64_t used = RB_STATS(r).memory_bytes;
    printf("  memory_limit %2llu MiB: starts, linear memory %llu bytes\n",
           (unsigned long long)(limit / MiB), (unsigned long long)used);
    ASSERT(used <= limit);
    pyodide_destroy(r);
  }
  printf("memory limit: smallest limit (in 2 MiB steps) that starts Python: %llu MiB\n",
         (unsigned long long)(smallest_ok / MiB));
  ASSERT(smallest_ok != 0);
  if (wrong) harness_fail(__FILE__, __LINE__, "%d limit(s) failed with the wrong kind; first: %s", wrong, first_wrong);
}

/* CPython 3.11 retried an exception handler forever when it had no memory for the
 * handler's instruction index (cpython-patches/oom-exception-unwind.patch): start-up
 * hung under limits in a narrow band. Sweep that band finely, every start in full
 * and unguarded (no hard stop could end a hang): each limit starts Python or fails
 * with LIMIT, promptly. */
TEST(memory_limit_near_the_minimum_never_hangs) {
  /* Full starts: no snapshot. The variable is restored before any verdict, so the
   * cases run after this one in the same process start as usual. */
  const char* was = getenv("PYODIDE_NO_SNAPSHOT");
  char* saved = was != NULL ? strdup(was) : NULL;
  setenv("PYODIDE_NO_SNAPSHOT", "1", 1);
  pyodide_config_t c = rb_quiet_config(NULL);
  c.unguarded = true;
  int started = 0, refused = 0;
  char wrong[700] = "";
  for (uint64_t limit = 11 * MiB; limit <= 14 * MiB; limit += 32 * 1024) {
    c.memory_limit = limit;
    pyodide_t* r = NULL;
    rb_outcome o = RB_TAKE(pyodide_load(&c, &r));
    if (o.failed) {
      if (o.kind != PYODIDE_ERROR_LIMIT) {
        snprintf(wrong, sizeof wrong, "limit %llu KiB: expected LIMIT, got %s %s: %s",
                 (unsigned long long)(limit / 1024), rb_kind_name(o.kind), o.type, o.message);
        break;
      }
      refused++;
      continue;
    }
    started++;
    pyodide_destroy(r);
  }
  if (saved != NULL) {
    setenv("PYODIDE_NO_SNAPSHOT", saved, 1);
    free(saved);
  } else {
    unsetenv("PYODIDE_NO_SNAPSHOT");
  }
  if (wrong[0] != '\0') harness_fail(__FILE__, __LINE__, "%s", wrong);
  printf("memory limits 11-14 MiB in 32 KiB steps: %d started, %d refused with LIMIT\n", started, refused);
  ASSERT(started > 0 && refused > 0);
}

TEST(memory_default_caps_huge_allocations) {
  /* Without a configured limit, wasm32's 4 GiB address space still caps Python. */
  pyodide_t* rt = RB_LOAD_QUIET();
  char* s = RUN_STR(rt,
                    "out = []\n"
                    "for n in (1 << 40, 1 << 33, (1 << 32) - 1):\n"
                    "    try:\n"
                    "        b = bytearray(n)\n"
                    "        out.append('allocated %d' % len(b))\n"
                    "        del b\n"
                    "    except (MemoryError, OverflowError) as e:\n"
                    "        out.append(type(e).__name__)\n"
                    "','.join(out)");
  harness_note("bytearray(2**40), (2**33), (2**32-1): %s", s);
  ASSERT_NOT_CONTAINS(s, "allocated");
  free(s);
  ASSERT(RB_STATS(rt).memory_bytes <= 4ull * 1024 * MiB);
  RB_ALIVE(rt);
  pyodide_destroy(rt);
}

/* Limits above wasm32's 4 GiB (up to UINT64_MAX) mean "no lower limit than the
 * address space": accepted, and the runtime works. */
TEST(memory_limit_above_4gib_is_accepted) {
  const uint64_t limits[] = {5ull << 30, UINT64_MAX, (64 * MiB) + 1};
  for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
    pyodide_config_t c = rb_quiet_config(NULL);
    c.memory_limit = limits[i];
    pyodide_t* rt = RB_LOAD(&c);
    RB_ALIVE(rt);
    ASSERT_EQ_INT(RUN_INT(rt, "len(bytearray(32 * 1024 * 1024))"), 32 * MiB);
    pyodide_destroy(rt);
  }
}
