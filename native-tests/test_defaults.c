/*
 * Process-wide defaults (deprecated, as in Pyodide 0.17): pyodide_default and the
 * environment variables PYODIDE_ASSET_DIR and PYODIDE_INDEX_URL.
 *
 * The default runtime is created once per process, so each case runs in a
 * process of its own: the case re-runs this executable for itself alone
 * (`abi_tests <case>`, marked by DEFAULTS_CHILD in the environment, with any
 * PYODIDE_ASSET_DIR / PYODIDE_INDEX_URL the caller had removed), and that
 * child sets the environment it needs before its first call into the
 * library. This holds however the cases are run: one CTest test each, or all
 * in one process.
 *
 * Under LeakSanitizer (leakcheck.abi_tests) a child whose default runtime is
 * alive at exit runs with detect_leaks=0: by design that runtime is never
 * freed, and LeakSanitizer cannot see the managed heap that still holds it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support.h"

extern char** environ;

#define DEFAULTS_CHILD "PYODIDE_DEFAULTS_TEST_CHILD"
#define THREADS 8

/* In the parent: runs the case `name` in a child process, fails if it fails,
 * and returns false. In that child: returns true (run the case's body).
 * `keeps_default`: the default runtime (or another) is alive when the child
 * exits. */
static bool in_own_process(const char* name, bool keeps_default) {
  if (getenv(DEFAULTS_CHILD) != NULL) return true;
  size_t n = 0;
  while (environ[n] != NULL) n++;
  char** env = calloc(n + 2, sizeof *env);
  ASSERT(env != NULL);
  static char asan_options[4096];
  size_t used = 0;
  for (size_t i = 0; i < n; i++) {
    if (strncmp(environ[i], "PYODIDE_ASSET_DIR=", 18) == 0 || strncmp(environ[i], "PYODIDE_INDEX_URL=", 18) == 0)
      continue;
    if (keeps_default && strncmp(environ[i], "ASAN_OPTIONS=", 13) == 0) {
      snprintf(asan_options, sizeof asan_options, "%s:detect_leaks=0", environ[i]);
      env[used++] = asan_options;
      continue;
    }
    env[used++] = environ[i];
  }
  env[used++] = DEFAULTS_CHILD "=1";
  char* argv[] = {"abi_tests", (char*)name, NULL};
  pid_t pid;
  int rc = posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, env);
  free(env);
  ASSERT_EQ_INT(rc, 0);
  int status;
  ASSERT_EQ_INT(waitpid(pid, &status, 0), pid);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    harness_fail(__FILE__, __LINE__, "the child process running %s failed (status 0x%x; its output is above)", name, status);
  return false;
}
/* The case's name: its function is test_<name>. */
#define IN_OWN_PROCESS(keeps_default) in_own_process(__func__ + 5, (keeps_default))

/* The assets: pyodide/ beside libpyodide.so. */
static const char* asset_dir(void) {
  static char dir[PATH_MAX + 16];
  Dl_info info;
  ASSERT(dladdr((void*)pyodide_version, &info) != 0 && info.dli_fname != NULL);
  char library[PATH_MAX];
  snprintf(library, sizeof library, "%s", info.dli_fname);
  snprintf(dir, sizeof dir, "%s/pyodide", dirname(library));
  return dir;
}

/* The package index fixture of test_packages.c (<repo>/build/fixtures/packages). */
static const char* package_index(void) {
  static char dir[PATH_MAX + 32];
  char source[PATH_MAX], root[PATH_MAX + 8], resolved[PATH_MAX];
  snprintf(source, sizeof source, "%s", __FILE__);
  snprintf(root, sizeof root, "%s/..", dirname(source));
  if (!realpath(root, resolved)) harness_fail(__FILE__, __LINE__, "cannot resolve %s", root);
  snprintf(dir, sizeof dir, "%s/build/fixtures/packages", resolved);
  char command[3 * PATH_MAX + 128];
  snprintf(command, sizeof command, "bash '%s/native-tests/packages/make-fixture.sh' '%s' >&2", resolved, dir);
  int rc = system(command);
  if (rc != 0) harness_fail(__FILE__, __LINE__, "the fixture script failed (%d): %s", rc, command);
  return dir;
}

/* THREADS threads call pyodide_default at once. */
typedef struct {
  pthread_barrier_t* start;
  pyodide_t* runtime;
  pyodide_error_t* error;
} racer_t;

static void* race(void* arg) {
  racer_t* r = arg;
  pthread_barrier_wait(r->start);
  r->error = pyodide_default(&r->runtime);
  return NULL;
}

static void race_for_default(racer_t racers[THREADS]) {
  pthread_barrier_t start;
  pthread_t threads[THREADS];
  pthread_barrier_init(&start, NULL, THREADS);
  for (int i = 0; i < THREADS; i++) {
    racers[i] = (racer_t){&start, NULL, NULL};
    ASSERT_EQ_INT(pthread_create(&threads[i], NULL, race, &racers[i]), 0);
  }
  for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
  pthread_barrier_destroy(&start);
}

TEST(default_one_runtime_for_racing_threads) {
  if (!IN_OWN_PROCESS(true)) return;
  racer_t racers[THREADS];
  race_for_default(racers);
  for (int i = 0; i < THREADS; i++) {
    ASSERT_OK(racers[i].error);
    ASSERT(racers[i].runtime != NULL);
    ASSERT(racers[i].runtime == racers[0].runtime);
  }
  pyodide_t* again = NULL;
  ASSERT_OK(pyodide_default(&again));
  ASSERT(again == racers[0].runtime);
  ASSERT_EQ_INT(RUN_INT(again, "6 * 7"), 42);
  /* One interpreter: a global set through one pointer is seen through another. */
  EXEC(racers[3].runtime, "shared = 'yes'");
  char* shared = RUN_STR(racers[5].runtime, "shared");
  ASSERT_STREQ(shared, "yes");
  free(shared);
}

TEST(default_destroy_is_ignored) {
  if (!IN_OWN_PROCESS(true)) return;
  pyodide_t* py = NULL;
  ASSERT_OK(pyodide_default(&py));
  EXEC(py, "kept = [1, 2, 3]");
  pyproxy_t* kept = RUN_PROXY(py, "kept");
  pyodide_destroy(py);
  pyodide_destroy(py);
  /* Still the same, working runtime, with its state and its proxies. */
  ASSERT_EQ_INT(RUN_INT(py, "len(kept)"), 3);
  size_t length = 0;
  ASSERT_OK(pyproxy_length(kept, &length));
  ASSERT_EQ_INT(length, 3);
  pyproxy_destroy(kept);
  pyodide_t* again = NULL;
  ASSERT_OK(pyodide_default(&again));
  ASSERT(again == py);
  pyodide_stats_t stats = {.size = sizeof stats};
  ASSERT_OK(pyodide_stats(again, &stats));
}

TEST(default_null_out_is_usage) {
  if (!IN_OWN_PROCESS(true)) return;
  ASSERT_USAGE(pyodide_default(NULL));
  /* Refused before loading anything: the default still loads afterwards. */
  pyodide_t* py = NULL;
  ASSERT_OK(pyodide_default(&py));
  ASSERT_EQ_INT(RUN_INT(py, "1 + 1"), 2);
}

TEST(default_load_failure_reported_to_every_caller) {
  if (!IN_OWN_PROCESS(false)) return;
  ASSERT_EQ_INT(setenv("PYODIDE_ASSET_DIR", "/nonexistent/pyodide-assets", 1), 0);
  racer_t racers[THREADS];
  race_for_default(racers);
  char* first_message = NULL;
  for (int i = 0; i < THREADS; i++) {
    pyodide_error_t* e = racers[i].error;
    ASSERT(e != NULL);
    ASSERT(racers[i].runtime == NULL); /* untouched on error */
    ASSERT_EQ_INT(pyodide_error_kind(e), PYODIDE_ERROR_IO);
    ASSERT_STREQ(pyodide_error_type(e), "IOError");
    ASSERT_CONTAINS(pyodide_error_message(e), "/nonexistent/pyodide-assets");
    if (i == 0) first_message = strdup(pyodide_error_message(e));
    ASSERT_STREQ(pyodide_error_message(e), first_message);
    for (int j = 0; j < i; j++) ASSERT(racers[j].error != e); /* a new error each */
  }
  for (int i = 0; i < THREADS; i++) pyodide_error_delete(racers[i].error);
  /* Not retried: the failure stays, even once the environment is fixed... */
  ASSERT_EQ_INT(unsetenv("PYODIDE_ASSET_DIR"), 0);
  for (int round = 0; round < 3; round++) {
    pyodide_t* py = NULL;
    pyodide_error_t* e = pyodide_default(&py);
    ASSERT(e != NULL && py == NULL);
    ASSERT_EQ_INT(pyodide_error_kind(e), PYODIDE_ERROR_IO);
    ASSERT_STREQ(pyodide_error_message(e), first_message);
    pyodide_error_delete(e);
  }
  free(first_message);
  /* ...while pyodide_load reads the environment at each call. */
  pyodide_t* own = LOAD();
  ASSERT_EQ_INT(RUN_INT(own, "6 * 7"), 42);
  pyodide_destroy(own);
}

TEST(env_asset_dir_read_by_load) {
  if (!IN_OWN_PROCESS(false)) return;
  pyodide_t* before = LOAD(); /* the library is in use before the variable is set */
  pyodide_destroy(before);
  ASSERT_EQ_INT(setenv("PYODIDE_ASSET_DIR", "/nonexistent/assets-from-env", 1), 0);
  pyodide_t* py = NULL;
  pyodide_error_t* e = pyodide_load(NULL, &py);
  ASSERT(e != NULL && py == NULL);
  ASSERT_EQ_INT(pyodide_error_kind(e), PYODIDE_ERROR_IO);
  ASSERT_CONTAINS(pyodide_error_message(e), "/nonexistent/assets-from-env");
  pyodide_error_delete(e);
  pyodide_config_t config;
  pyodide_config_init(&config);
  ASSERT(config.asset_dir == NULL && config.index_url == NULL); /* init does not read it */
  ASSERT_ERROR(pyodide_load(&config, &py), PYODIDE_ERROR_IO, "IOError");
  /* An explicit asset_dir wins over the environment. */
  config.asset_dir = asset_dir();
  pyodide_t* explicit_dir = LOAD_WITH(&config);
  ASSERT_EQ_INT(RUN_INT(explicit_dir, "6 * 7"), 42);
  pyodide_destroy(explicit_dir);
  /* An empty value counts as unset. */
  ASSERT_EQ_INT(setenv("PYODIDE_ASSET_DIR", "", 1), 0);
  pyodide_t* empty = LOAD();
  pyodide_destroy(empty);
  /* A valid directory is used. */
  ASSERT_EQ_INT(setenv("PYODIDE_ASSET_DIR", asset_dir(), 1), 0);
  pyodide_t* valid = LOAD();
  pyodide_destroy(valid);
}

TEST(env_index_url_read_by_load_and_default) {
  if (!IN_OWN_PROCESS(true)) return;
  const char* index = package_index();
  ASSERT_EQ_INT(setenv("PYODIDE_INDEX_URL", index, 1), 0);
  const char* names[] = {"six"};
  /* Pyodide 0.17's languagePluginUrl: the default runtime loads packages from it. */
  pyodide_t* py = NULL;
  ASSERT_OK(pyodide_default(&py));
  ASSERT_OK(pyodide_load_package(py, names, 1, NULL, NULL, NULL));
  ASSERT(RUN_BOOL(py, "import six\nsix.PY3"));
  /* So does any runtime loaded without an index_url... */
  pyodide_t* own = LOAD();
  ASSERT_OK(pyodide_load_package(own, names, 1, NULL, NULL, NULL));
  pyodide_destroy(own);
  /* ...but an explicit index_url wins. */
  pyodide_config_t config;
  pyodide_config_init(&config);
  config.index_url = "/nonexistent/package-index";
  pyodide_t* other = LOAD_WITH(&config);
  pyodide_error_t* e = pyodide_load_package(other, names, 1, NULL, NULL, NULL);
  ASSERT(e != NULL);
  ASSERT_EQ_INT(pyodide_error_kind(e), PYODIDE_ERROR_IO);
  ASSERT_CONTAINS(pyodide_error_message(e), "/nonexistent/package-index");
  pyodide_error_delete(e);
  pyodide_destroy(other);
}

/* The entries of `dir` other than . and .. whose names start with `prefix` (-1 if it
 * cannot be read). */
static int count_entries(const char* dir, const char* prefix) {
  DIR* d = opendir(dir);
  if (d == NULL) return -1;
  int n = 0;
  for (struct dirent* e; (e = readdir(d)) != NULL;)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 && strncmp(e->d_name, prefix, strlen(prefix)) == 0) n++;
  closedir(d);
  return n;
}

/* Where runtimes' homes live in the temporary directory `dir`: dir/pyodide-homes-UID. */
static const char* homes_directory(const char* dir) {
  static char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/pyodide-homes-%u", dir, (unsigned)getuid());
  return path;
}

/* Runtimes' homes (in use, kept, or free) for the temporary directory `dir`; 0 when there
 * is no homes directory. */
static int count_homes(const char* dir) {
  int n = count_entries(homes_directory(dir), "pyodide-home-");
  return n < 0 ? 0 : n;
}

/* A temporary directory for a case's children (TMPDIR), in `dir`. */
static void use_own_tmpdir(char* dir, char** saved) {
  ASSERT(mkdtemp(dir) != NULL);
  const char* previous = getenv("TMPDIR");
  *saved = previous != NULL ? strdup(previous) : NULL;
  ASSERT_EQ_INT(setenv("TMPDIR", dir, 1), 0);
}

/* Puts TMPDIR back and removes `dir` (with what a failure left in it). */
static void end_own_tmpdir(const char* dir, char* saved) {
  if (saved != NULL) setenv("TMPDIR", saved, 1);
  else unsetenv("TMPDIR");
  free(saved);
  char command[PATH_MAX + 16];
  snprintf(command, sizeof command, "rm -rf '%s'", dir);
  ASSERT_EQ_INT(system(command), 0);
}

/* A runtime's home is a temporary directory. When its runtime is destroyed it is kept for
 * the next runtime if it holds only its empty site-packages, else removed; at a normal
 * exit every home left (those of runtimes still alive: pyodide_default's, and one the host
 * never destroyed; and a kept one) is removed, and the directory kept ones wait in. The
 * child runs with TMPDIR set to a directory of the parent's, which the parent then finds
 * empty. */
TEST(runtime_homes_reused_when_empty_removed_at_exit) {
  if (getenv(DEFAULTS_CHILD) == NULL) {
    char dir[] = "/tmp/pyodide-homes-test-XXXXXX";
    char* saved;
    use_own_tmpdir(dir, &saved);
    in_own_process("runtime_homes_reused_when_empty_removed_at_exit", true);
    int left = count_entries(dir, "");
    end_own_tmpdir(dir, saved);
    ASSERT_EQ_INT(left, 0);
    return;
  }
  const char* dir = getenv("TMPDIR");
  const char* empty_home =
      "import os\n"
      "os.listdir('/home/pyodide') == ['site-packages'] and os.listdir('/home/pyodide/site-packages') == []";
  pyodide_t *kept = LOAD(), *destroyed = LOAD(), *by_default = NULL;
  ASSERT_OK(pyodide_default(&by_default));
  ASSERT(RUN_BOOL(kept, "open('/home/pyodide/notes.txt', 'w').write('x') == 1"));
  ASSERT_EQ_INT(count_homes(dir), 3);
  /* Empty: kept, and the next runtime takes it. */
  pyodide_destroy(destroyed);
  ASSERT_EQ_INT(count_homes(dir), 3);
  pyodide_t* next = LOAD();
  ASSERT_EQ_INT(count_homes(dir), 3);
  ASSERT(RUN_BOOL(next, empty_home));
  /* Anything left in a home, even an empty directory, and it is removed. */
  const char* leftovers[] = {
      "open('/home/pyodide/site-packages/mod.py', 'w').write('x = 1') == 5",
      "import os\nos.mkdir('/home/pyodide/site-packages/pkg')\nTrue",
      "import os\nos.rmdir('/home/pyodide/site-packages')\nopen('/home/pyodide/site-packages', 'w').close()\nTrue",
      "import os\nos.mkdir('/home/pyodide/.cache')\nTrue",
  };
  for (size_t i = 0; i < sizeof leftovers / sizeof *leftovers; i++) {
    ASSERT(RUN_BOOL(next, leftovers[i]));
    pyodide_destroy(next);
    ASSERT_EQ_INT(count_homes(dir), 2);
    next = LOAD();
    ASSERT_EQ_INT(count_homes(dir), 3);
    ASSERT(RUN_BOOL(next, empty_home));
  }
  /* Returning ends the process normally with three runtimes alive, one home not empty. */
}

#define HOMES_PHASE "PYODIDE_HOMES_TEST_PHASE"

/* A process that ends without running exit handlers (as a Go program always does: its
 * runtime ends it by the exit_group system call; or one killed) leaves its homes free
 * for the next process: it takes one that holds only an empty site-packages, removes one
 * with anything else in it, never takes a live runtime's, and a normal exit removes every
 * free one. Homes live only in a directory no other user could have made. */
TEST(runtime_homes_left_by_a_process_without_exit_handlers_go_to_the_next) {
  const char* self = "runtime_homes_left_by_a_process_without_exit_handlers_go_to_the_next";
  const char* phase = getenv(HOMES_PHASE);
  if (getenv(DEFAULTS_CHILD) == NULL) {
    char dir[] = "/tmp/pyodide-homes-test-XXXXXX";
    char* saved;
    use_own_tmpdir(dir, &saved);
    /* Six runtimes at once, then destroyed: four kept, which _exit leaves. */
    setenv(HOMES_PHASE, "keep", 1);
    in_own_process(self, false);
    int first = count_homes(dir);
    /* Another such process takes those four first: still four. */
    in_own_process(self, false);
    int second = count_homes(dir);
    /* One left with a file in it by a process that never destroyed its runtime. */
    setenv(HOMES_PHASE, "dirty", 1);
    in_own_process(self, false);
    int with_dirty = count_homes(dir);
    /* A process that exits normally takes free ones, removes the dirty one, and at its
       exit every home and the directory. */
    setenv(HOMES_PHASE, "exit", 1);
    in_own_process(self, true); /* runtimes alive at exit: not leak-checked */
    int left = count_entries(dir, "");
    /* A homes directory others may enter is not used: homes are made beside it, and
       removed at exit. */
    ASSERT_EQ_INT(mkdir(homes_directory(dir), 0755), 0);
    ASSERT_EQ_INT(chmod(homes_directory(dir), 0755), 0);
    setenv(HOMES_PHASE, "open", 1);
    in_own_process(self, true);
    int in_open = count_homes(dir), beside_open = count_entries(dir, "");
    unsetenv(HOMES_PHASE);
    end_own_tmpdir(dir, saved);
    ASSERT_EQ_INT(first, 4);
    ASSERT_EQ_INT(second, 4);
    ASSERT_EQ_INT(with_dirty, 4);
    ASSERT_EQ_INT(left, 0);
    ASSERT_EQ_INT(in_open, 0);
    ASSERT_EQ_INT(beside_open, 1); /* the open directory itself */
    return;
  }
  const char* dir = getenv("TMPDIR");
  const char* empty_home = "import os\nos.listdir('/home/pyodide') == ['site-packages'] and "
                           "os.listdir('/home/pyodide/site-packages') == []";
  if (strcmp(phase, "keep") == 0) {
    pyodide_t* runtimes[6];
    for (int i = 0; i < 6; i++) runtimes[i] = LOAD();
    ASSERT_EQ_INT(count_homes(dir), 6);
    for (int i = 0; i < 6; i++) pyodide_destroy(runtimes[i]);
    ASSERT_EQ_INT(count_homes(dir), 4);
    fflush(NULL);
    _exit(0);
  }
  if (strcmp(phase, "dirty") == 0) {
    pyodide_t* py = LOAD();
    ASSERT_EQ_INT(count_homes(dir), 4); /* one of the free ones */
    ASSERT(RUN_BOOL(py, "open('/home/pyodide/notes.txt', 'w').write('x') == 1"));
    pyodide_t* other = LOAD();
    ASSERT(RUN_BOOL(other, empty_home)); /* not the live runtime's */
    ASSERT_EQ_INT(count_homes(dir), 4);
    pyodide_destroy(other);
    ASSERT_EQ_INT(count_homes(dir), 4);
    pyodide_t* third = LOAD(); /* the one just kept */
    ASSERT_EQ_INT(count_homes(dir), 4);
    (void)third;
    fflush(NULL);
    _exit(0); /* the two runtimes never destroyed */
  }
  if (strcmp(phase, "exit") == 0) {
    /* Free: three empty ones and one with notes.txt, which goes. */
    pyodide_t* runtimes[5];
    for (int i = 0; i < 5; i++) {
      runtimes[i] = LOAD();
      ASSERT(RUN_BOOL(runtimes[i], empty_home));
    }
    ASSERT_EQ_INT(count_homes(dir), 5); /* three taken, two new */
    pyodide_destroy(runtimes[0]);
    return; /* exits normally with four runtimes alive */
  }
  ASSERT_EQ_INT(strcmp(phase, "open"), 0);
  pyodide_t* py = LOAD();
  ASSERT_EQ_INT(count_homes(dir), 0);
  ASSERT_EQ_INT(count_entries(dir, "pyodide-home-"), 1);
  ASSERT(RUN_BOOL(py, empty_home));
}
