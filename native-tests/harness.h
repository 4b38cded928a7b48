/*
 * harness.h — a tiny test harness for the native tests (C11, no dependencies).
 *
 *   TEST(name) { ... }       defines and registers a test case named `name`
 *                            (the name must be unique in the executable; CMake
 *                            finds `TEST(name)` lines to register each case
 *                            with CTest, so keep them at the start of a line).
 *   ASSERT(expr)             fails the case (file:line and the expression)
 *   ASSERT_EQ_INT(a, b)      integers, both values printed on failure
 *   ASSERT_STREQ(a, b)       NUL-terminated strings
 *   ASSERT_MEMEQ(a, b, n)    n bytes
 *   ASSERT_CONTAINS(s, sub)  strstr(s, sub) != NULL
 *   ASSERT_OK(call)          a pyodide call returned NULL (no error); on
 *                            failure the error's kind, type and message print
 *   ASSERT_ERROR(call, kind, type)  the call failed with that kind and (unless
 *                            `type` is NULL) that type name, with a non-empty
 *                            message; the error is deleted
 *   ASSERT_USAGE(call)       ASSERT_ERROR(call, PYODIDE_ERROR_USAGE, "UsageError")
 *   ASSERT_PYERR(call, type) ASSERT_ERROR(call, PYODIDE_ERROR_PYTHON, type)
 *
 * A failed assertion ends the current case. On a thread other than the one
 * running the case it marks the case failed and ends that thread
 * (pthread_exit), so worker threads may assert too.
 *
 * The runner: `prog` runs every case; `prog NAME...` runs the named ones;
 * `prog --list` prints the names. Exit status 0 when all pass.
 */
#ifndef NATIVE_TESTS_HARNESS_H
#define NATIVE_TESTS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pyodide.h"

typedef void (*harness_fn)(void);

void harness_register(const char* name, harness_fn fn);

/* Reports a failure at file:line and ends the case (or the calling thread). */
_Noreturn void harness_fail(const char* file, int line, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reports `call` having returned `error` (deleted here) and ends the case. */
_Noreturn void harness_fail_error(const char* file, int line, const char* call,
                                  pyodide_error_t* error);

/* Checks `error` against kind/type (type NULL: any), deletes it; fails on mismatch. */
void harness_check_error(const char* file, int line, const char* call, pyodide_error_t* error,
                         pyodide_error_kind_t kind, const char* type);

/* Prints a note for the case's log (stderr). */
void harness_note(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

#define TEST(name)                                                                  \
  static void test_##name(void);                                                    \
  __attribute__((constructor)) static void register_##name(void) {                  \
    harness_register(#name, test_##name);                                           \
  }                                                                                 \
  static void test_##name(void)

#define ASSERT(expr)                                                                \
  do {                                                                              \
    if (!(expr)) harness_fail(__FILE__, __LINE__, "ASSERT(%s)", #expr);             \
  } while (0)

#define ASSERT_EQ_INT(a, b)                                                         \
  do {                                                                              \
    long long a_ = (long long)(a), b_ = (long long)(b);                             \
    if (a_ != b_)                                                                   \
      harness_fail(__FILE__, __LINE__, "ASSERT_EQ_INT(%s, %s): %lld != %lld", #a,   \
                   #b, a_, b_);                                                     \
  } while (0)

#define ASSERT_STREQ(a, b)                                                          \
  do {                                                                              \
    const char *a_ = (a), *b_ = (b);                                                \
    if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)                            \
      harness_fail(__FILE__, __LINE__, "ASSERT_STREQ(%s, %s): \"%s\" != \"%s\"",    \
                   #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");                  \
  } while (0)

#define ASSERT_MEMEQ(a, b, n)                                                       \
  do {                                                                              \
    const void *a_ = (a), *b_ = (b);                                                \
    size_t n_ = (n);                                                                \
    if (n_ != 0 && (a_ == NULL || b_ == NULL || memcmp(a_, b_, n_) != 0))           \
      harness_fail(__FILE__, __LINE__, "ASSERT_MEMEQ(%s, %s, %s)", #a, #b, #n);     \
  } while (0)

#define ASSERT_CONTAINS(s, sub)                                                     \
  do {                                                                              \
    const char *s_ = (s), *sub_ = (sub);                                            \
    if (s_ == NULL || strstr(s_, sub_) == NULL)                                     \
      harness_fail(__FILE__, __LINE__,                                              \
                   "ASSERT_CONTAINS(%s, %s): \"%s\" not found in:\n%s", #s, #sub,   \
                   sub_, s_ ? s_ : "(null)");                                       \
  } while (0)

#define ASSERT_NOT_CONTAINS(s, sub)                                                 \
  do {                                                                              \
    const char *s_ = (s), *sub_ = (sub);                                            \
    if (s_ == NULL || strstr(s_, sub_) != NULL)                                     \
      harness_fail(__FILE__, __LINE__,                                              \
                   "ASSERT_NOT_CONTAINS(%s, %s): \"%s\" found in:\n%s", #s, #sub,   \
                   sub_, s_ ? s_ : "(null)");                                       \
  } while (0)

#define ASSERT_OK(call)                                                             \
  do {                                                                              \
    pyodide_error_t* e_ = (call);                                                   \
    if (e_ != NULL) harness_fail_error(__FILE__, __LINE__, #call, e_);              \
  } while (0)

#define ASSERT_ERROR(call, kind, type)                                              \
  harness_check_error(__FILE__, __LINE__, #call, (call), (kind), (type))

#define ASSERT_USAGE(call) ASSERT_ERROR(call, PYODIDE_ERROR_USAGE, "UsageError")
#define ASSERT_PYERR(call, type) ASSERT_ERROR(call, PYODIDE_ERROR_PYTHON, type)

#endif
