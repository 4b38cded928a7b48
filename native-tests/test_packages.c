/*
 * Packages: pyodide_load_package, pyodide_load_packages_from_imports,
 * pyodide_loaded_packages, config->index_url.
 *
 * The index is a local directory made by native-tests/packages/make-fixture.sh
 * (Debian's python3-six repacked as a pure-Python wheel, plus its
 * pyodide-lock.json) in <repo>/build/fixtures/packages; the script is run here
 * (it is cached and quick after the first time).
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "support.h"

/* <repo>/build/fixtures/packages, made (or found up to date) by the fixture script. */
static const char* fixture_dir(void) {
  static char dir[PATH_MAX + 32];
  return dir[0] ? dir : fixture_at(__FILE__, __LINE__, "make-fixture.sh", "packages", dir, sizeof dir);
}

/* Messages and errors go to separate collectors: env points at two of them. */
typedef struct {
  lines_t messages, errors;
} both_t;

static void on_message(void* env, const char* message, size_t len) { lines_collect(&((both_t*)env)->messages, message, len); }
static void on_error(void* env, const char* message, size_t len) { lines_collect(&((both_t*)env)->errors, message, len); }

static pyodide_t* load_with_index(const char* index) {
  pyodide_config_t config;
  pyodide_config_init(&config);
  config.index_url = index;
  return LOAD_WITH(&config);
}

/* The wheel the fixture made: its file name as pyodide-lock.json gives it (the
 * version follows the fixture script's pin, not this file). */
static char* wheel_path(void) {
  static char path[PATH_MAX + 128];
  char lock_path[PATH_MAX + 64];
  snprintf(lock_path, sizeof lock_path, "%s/pyodide-lock.json", fixture_dir());
  char* lock = slurp(lock_path);
  ASSERT(lock != NULL);
  const char key[] = "\"file_name\": \"";
  const char* name = strstr(lock, key);
  ASSERT(name != NULL);
  name += sizeof key - 1;
  const char* end = strchr(name, '"');
  ASSERT(end != NULL && end > name);
  snprintf(path, sizeof path, "%s/%.*s", fixture_dir(), (int)(end - name), name);
  free(lock);
  return path;
}

TEST(packages_load_from_local_index) {
  pyodide_t* py = load_with_index(fixture_dir());
  /* Not importable before. */
  ASSERT(!RUN_BOOL(py, "import importlib.util\nimportlib.util.find_spec('six') is not None"));
  both_t out = {0};
  const char* names[] = {"six"};
  ASSERT_OK(pyodide_load_package(py, names, 1, on_message, on_error, &out));
  ASSERT_CONTAINS(out.messages.text, "Loading six\n");
  char loaded_line[2 * PATH_MAX];
  snprintf(loaded_line, sizeof loaded_line, "Loaded six from %s\n", wheel_path());
  ASSERT_CONTAINS(out.messages.text, loaded_line);
  ASSERT(!out.messages.bad_termination);
  ASSERT_EQ_INT(out.errors.calls, 0);
  ASSERT(RUN_BOOL(py, "import six\nsix.ensure_str(b'x') == 'x' and six.PY3"));
  char* file = RUN_STR(py, "six.__file__");
  ASSERT_STREQ(file, "/home/pyodide/site-packages/six.py");
  free(file);
  pyodide_destroy(py);
}

TEST(packages_loaded_packages_dict) {
  pyodide_t* py = load_with_index(fixture_dir());
  pyodide_value_t v = sentinel_value();
  ASSERT_OK(pyodide_loaded_packages(py, &v));
  EXPECT_KIND(&v, PYODIDE_DICT);
  ASSERT_EQ_INT(v.of.dict.len, 0);
  pyodide_value_release(&v);

  const char* names[] = {"SIX"}; /* names are normalized */
  ASSERT_OK(pyodide_load_package(py, names, 1, NULL, NULL, NULL));
  ASSERT_OK(pyodide_loaded_packages(py, &v));
  EXPECT_KIND(&v, PYODIDE_DICT);
  ASSERT_EQ_INT(v.of.dict.len, 1);
  EXPECT_KIND(&v.of.dict.keys[0], PYODIDE_STR);
  EXPECT_KIND(&v.of.dict.values[0], PYODIDE_STR);
  ASSERT_STREQ(v.of.dict.keys[0].of.str.ptr, "six");
  ASSERT_EQ_INT(v.of.dict.keys[0].of.str.len, 3);
  ASSERT_STREQ(v.of.dict.values[0].of.str.ptr, wheel_path());
  ASSERT_EQ_INT(v.of.dict.values[0].of.str.len, strlen(wheel_path()));
  pyodide_value_release(&v);
  EXPECT_KIND(&v, PYODIDE_NONE);

  /* Errors leave the out-parameter untouched. */
  pyodide_value_t s = sentinel_value();
  ASSERT_USAGE(pyodide_loaded_packages(py, NULL));
  ASSERT_USAGE(pyodide_loaded_packages(NULL, &s));
  ASSERT(is_sentinel(&s));
  pyodide_destroy(py);
  ASSERT_USAGE(pyodide_loaded_packages(py, &s));
  ASSERT(is_sentinel(&s));
}

TEST(packages_already_loaded_is_a_message) {
  pyodide_t* py = load_with_index(fixture_dir());
  const char* names[] = {"six"};
  ASSERT_OK(pyodide_load_package(py, names, 1, NULL, NULL, NULL));
  both_t out = {0};
  ASSERT_OK(pyodide_load_package(py, names, 1, on_message, on_error, &out));
  ASSERT_CONTAINS(out.messages.text, "six already loaded from ");
  ASSERT_CONTAINS(out.messages.text, "No new packages to load");
  ASSERT_EQ_INT(out.errors.calls, 0);
  /* n = 0 (names may be NULL): nothing to do, not an error. */
  ASSERT_OK(pyodide_load_package(py, NULL, 0, NULL, NULL, NULL));
  pyodide_destroy(py);
}

TEST(packages_unknown_name_is_io) {
  pyodide_t* py = load_with_index(fixture_dir());
  both_t out = {0};
  const char* names[] = {"six", "no-such-package-xyz"};
  pyodide_error_t* e = pyodide_load_package(py, names, 2, on_message, on_error, &out);
  ASSERT(e != NULL);
  ASSERT_EQ_INT(pyodide_error_kind(e), PYODIDE_ERROR_IO);
  ASSERT_STREQ(pyodide_error_type(e), "IOError");
  ASSERT_CONTAINS(pyodide_error_message(e), "no-such-package-xyz");
  pyodide_error_delete(e);
  ASSERT_EQ_INT(out.errors.calls, 1);
  ASSERT_CONTAINS(out.errors.text, "no-such-package-xyz");
  ASSERT(!out.errors.bad_termination);
  /* Checked before anything loads: six was not installed either. */
  ASSERT(!RUN_BOOL(py, "import importlib.util\nimportlib.util.find_spec('six') is not None"));
  pyodide_destroy(py);
}

TEST(packages_bad_arguments_are_usage) {
  pyodide_t* py = load_with_index(fixture_dir());
  const char* good[] = {"six"};
  const char* null_name[] = {NULL};
  const char* empty[] = {""};
  const char* bad_utf8[] = {"si\xff"};
  ASSERT_USAGE(pyodide_load_package(NULL, good, 1, NULL, NULL, NULL));
  ASSERT_USAGE(pyodide_load_package(py, NULL, 1, NULL, NULL, NULL));
  ASSERT_USAGE(pyodide_load_package(py, null_name, 1, NULL, NULL, NULL));
  ASSERT_USAGE(pyodide_load_package(py, empty, 1, NULL, NULL, NULL));
  ASSERT_USAGE(pyodide_load_package(py, bad_utf8, 1, NULL, NULL, NULL));
  ASSERT_USAGE(pyodide_load_packages_from_imports(py, NULL, 0, NULL, NULL, NULL));
  ASSERT_USAGE(pyodide_load_packages_from_imports(NULL, "import six", PYODIDE_STRLEN, NULL, NULL, NULL));
  ASSERT_USAGE(pyodide_load_packages_from_imports(py, "\xff", 1, NULL, NULL, NULL));
  pyodide_destroy(py);
  ASSERT_USAGE(pyodide_load_package(py, good, 1, NULL, NULL, NULL));

  /* A URL scheme the loader does not speak is refused when the runtime starts. */
  pyodide_config_t config;
  pyodide_config_init(&config);
  config.index_url = "ftp://example.com/packages/";
  pyodide_t* never = NULL;
  ASSERT_USAGE(pyodide_load(&config, &never));
  ASSERT(never == NULL);
}

TEST(packages_without_index) {
  pyodide_t* py = LOAD();
  const char* names[] = {"six"};
  ASSERT_ERROR(pyodide_load_package(py, names, 1, NULL, NULL, NULL), PYODIDE_ERROR_IO, "IOError");
  /* A wheel named by path needs no index. */
  const char* wheel[] = {wheel_path()};
  ASSERT_OK(pyodide_load_package(py, wheel, 1, NULL, NULL, NULL));
  ASSERT(RUN_BOOL(py, "import six\nsix.PY3"));
  /* Imports resolve to nothing without an index: not an error. */
  ASSERT_OK(pyodide_load_packages_from_imports(py, "import attr", PYODIDE_STRLEN, NULL, NULL, NULL));
  pyodide_destroy(py);
}

TEST(packages_missing_index_is_io) {
  pyodide_t* py = load_with_index("/nonexistent/pyodide-native/index");
  both_t out = {0};
  const char* names[] = {"six"};
  pyodide_error_t* e = pyodide_load_package(py, names, 1, on_message, on_error, &out);
  ASSERT(e != NULL);
  ASSERT_EQ_INT(pyodide_error_kind(e), PYODIDE_ERROR_IO);
  ASSERT_CONTAINS(pyodide_error_message(e), "pyodide_load_package: ");
  ASSERT_CONTAINS(pyodide_error_message(e), "pyodide-lock.json");
  pyodide_error_delete(e);
  ASSERT_EQ_INT(out.errors.calls, 1);
  pyodide_destroy(py);
}

TEST(packages_from_imports) {
  pyodide_t* py = load_with_index(fixture_dir());
  both_t out = {0};
  const char* code = "import json\nimport six.moves\nfrom . import sibling\nimport not_in_the_index\n";
  ASSERT_OK(pyodide_load_packages_from_imports(py, code, strlen(code), on_message, on_error, &out));
  ASSERT_CONTAINS(out.messages.text, "Loaded six from ");
  ASSERT_EQ_INT(out.errors.calls, 0);
  ASSERT(RUN_BOOL(py, "import six\nsix.PY3"));
  pyodide_value_t v;
  ASSERT_OK(pyodide_loaded_packages(py, &v));
  ASSERT_EQ_INT(v.of.dict.len, 1);
  pyodide_value_release(&v);
  /* Code that does not parse: Python's SyntaxError. */
  ASSERT_PYERR(pyodide_load_packages_from_imports(py, "import (", PYODIDE_STRLEN, NULL, NULL, NULL), "SyntaxError");
  pyodide_destroy(py);
}
