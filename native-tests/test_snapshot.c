/* Snapshot files: pyodide_snapshot_save and pyodide_config_t.snapshot. A saved
 * runtime restored in other processes (snapshot_child.c) has everything and its
 * own hash secret and random state; limits, host state, misuse and damaged
 * files. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support.h"

#ifndef SNAPSHOT_CHILD
#error "SNAPSHOT_CHILD (the path of snapshot_child) must be defined"
#endif

/* The setup: libraries imported and a dict of 10^5 str keys. */
static const char SETUP[] =
    "import json, decimal, sqlite3, asyncio, email\n"
    "big = {f'key{i}': i for i in range(100_000)}\n";

static char temp_dir[64];

/* Removes temp_dir and the snapshots in it (each is ~16 MB): at exit. */
static void remove_temp_dir(void) {
  DIR* d = opendir(temp_dir);
  if (d == NULL) return;
  for (struct dirent* e; (e = readdir(d)) != NULL;) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    unlinkat(dirfd(d), e->d_name, 0);
  }
  closedir(d);
  rmdir(temp_dir);
}

/* A fresh temporary path for a snapshot (the directory is made once, and removed
 * with what it holds when the process exits). */
static const char* temp_path(char* buf, size_t size, const char* name) {
  const char* dir = temp_dir;
  if (temp_dir[0] == '\0') {
    snprintf(temp_dir, sizeof temp_dir, "/tmp/pyodide-snapshot-XXXXXX");
    if (mkdtemp(temp_dir) == NULL || atexit(remove_temp_dir) != 0) abort();
  }
  static int serial;
  snprintf(buf, size, "%s/%s-%d.snapshot", dir, name, ++serial);
  return buf;
}

/* Saves a runtime that ran `setup` to `path`. */
static void save_after(const char* setup, const char* path) {
  pyodide_t* rt = LOAD();
  EXEC(rt, setup);
  ASSERT_OK(pyodide_snapshot_save(rt, path));
  pyodide_destroy(rt);
}

static pyodide_t* load_snapshot(const char* path) {
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.snapshot = path;
  return LOAD_WITH(&c);
}

/* Runs snapshot_child on `path`; its line of output in `line`, its exit status returned. */
static int run_child(const char* path, const char* limit, char* line, size_t size) {
  char command[1024];
  snprintf(command, sizeof command, "'%s' '%s' %s", SNAPSHOT_CHILD, path, limit ? limit : "");
  FILE* p = popen(command, "r");
  ASSERT(p != NULL);
  line[0] = '\0';
  if (fgets(line, (int)size, p) == NULL) line[0] = '\0';
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(snapshot_restores_in_other_processes_with_their_own_secrets) {
  char path[256], a[512], b[512];
  save_after(SETUP, temp_path(path, sizeof path, "libs"));
  ASSERT_EQ_INT(run_child(path, NULL, a, sizeof a), 0);
  ASSERT_EQ_INT(run_child(path, NULL, b, sizeof b), 0);
  long long hash_a, hash_b;
  double random_a, random_b;
  int ok_a, ok_b;
  ASSERT_EQ_INT(sscanf(a, "%lld %lf %d", &hash_a, &random_a, &ok_a), 3);
  ASSERT_EQ_INT(sscanf(b, "%lld %lf %d", &hash_b, &random_b, &ok_b), 3);
  ASSERT_EQ_INT(ok_a, 1);
  ASSERT_EQ_INT(ok_b, 1);
  /* Equal by chance with a probability of at most 2^-32 each. */
  ASSERT(hash_a != hash_b);
  ASSERT(random_a != random_b);
}

/* A process's first restore of a file checked earlier (its stamp made, which needs
 * the file unchanged for two seconds) copies no page up front and, when its
 * runtime ends, leaves the pages it wrote with the stamp; the next processes copy
 * those at once (Guest/RestoreWrites.cs). Each still works and has its own
 * secret. */
TEST(snapshot_later_processes_copy_what_the_first_wrote) {
  char path[256], line[3][512];
  save_after(SETUP, temp_path(path, sizeof path, "learned"));
  struct timespec settle = {2, 200000000};
  nanosleep(&settle, NULL);
  long long hash[3];
  double random[3];
  int ok[3];
  long copied[3];
  for (int i = 0; i < 3; i++) {
    ASSERT_EQ_INT(run_child(path, NULL, line[i], sizeof line[i]), 0);
    ASSERT_EQ_INT(sscanf(line[i], "%lld %lf %d %ld", &hash[i], &random[i], &ok[i], &copied[i]), 4);
    ASSERT_EQ_INT(ok[i], 1);
  }
  /* The first checks the file, makes its stamp and learns: by the end of its load
     only what the restore wrote is copied. The others copy at once all the first
     wrote, its checks' writes too. */
  ASSERT(copied[0] >= 0);
  ASSERT(copied[1] > copied[0]);
  ASSERT(copied[2] > copied[0]);
  ASSERT(hash[0] != hash[1] && hash[1] != hash[2] && hash[0] != hash[2]);
  ASSERT(random[0] != random[1] && random[1] != random[2]);
}

TEST(snapshot_restore_within_a_memory_limit) {
  char path[256], line[512];
  save_after(SETUP, temp_path(path, sizeof path, "limit"));
  ASSERT_EQ_INT(run_child(path, "536870912", line, sizeof line), 0);
  ASSERT_CONTAINS(line, " 1");
  /* A limit below the snapshot's memory: a LIMIT error, no crash. */
  ASSERT_EQ_INT(run_child(path, "4194304", line, sizeof line), 3);
  char expected[8];
  snprintf(expected, sizeof expected, "%d ", (int)PYODIDE_ERROR_LIMIT);
  ASSERT(strncmp(line, expected, strlen(expected)) == 0);
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.snapshot = path;
  c.memory_limit = 256u << 20;
  pyodide_t* rt = LOAD_WITH(&c);
  ASSERT_PYERR(pyodide_run_python(rt, "b'x' * (300 << 20)", PYODIDE_STRLEN, NULL, NULL), "MemoryError");
  ASSERT_EQ_INT(RUN_INT(rt, "len(big)"), 100000);
  pyodide_destroy(rt);
}

/* Writes `len` bytes of `data` to a new temporary file. */
static const char* write_file(char* buf, size_t size, const char* name, const char* data, size_t len) {
  temp_path(buf, size, name);
  FILE* f = fopen(buf, "wb");
  ASSERT(f != NULL);
  ASSERT_EQ_INT(fwrite(data, 1, len, f), len);
  fclose(f);
  return buf;
}

static void assert_refused(const char* path, const char* expected) {
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.snapshot = path;
  pyodide_t* rt = NULL;
  pyodide_error_t* err = pyodide_load(&c, &rt);
  ASSERT(err != NULL);
  ASSERT(rt == NULL);
  ASSERT_EQ_INT(pyodide_error_kind(err), PYODIDE_ERROR_IO);
  ASSERT_CONTAINS(pyodide_error_message(err), path);
  if (expected) ASSERT_CONTAINS(pyodide_error_message(err), expected);
  pyodide_error_delete(err);
}

TEST(snapshot_mismatched_and_damaged_files_are_io_errors) {
  char good[256], bad[256];
  save_after("x = 1", temp_path(good, sizeof good, "good"));
  struct stat st;
  ASSERT_EQ_INT(stat(good, &st), 0);
  size_t len = (size_t)st.st_size;
  char* bytes = malloc(len);
  FILE* f = fopen(good, "rb");
  ASSERT(f != NULL && fread(bytes, 1, len, f) == len);
  fclose(f);

  assert_refused(write_file(bad, sizeof bad, "empty", bytes, 0), "too short");
  assert_refused(write_file(bad, sizeof bad, "truncated", bytes, len / 2), "truncated");
  char foreign[4096];
  memset(foreign, '#', sizeof foreign); /* a file of another kind, long enough for a header */
  assert_refused(write_file(bad, sizeof bad, "foreign", foreign, sizeof foreign), "not a Pyodide.Native snapshot");
  bytes[8] ^= 0x02; /* the format version */
  assert_refused(write_file(bad, sizeof bad, "format", bytes, len), "format");
  bytes[8] ^= 0x02;
  bytes[20] ^= 0x10; /* the python.wasm hash, under the header checksum */
  assert_refused(write_file(bad, sizeof bad, "header", bytes, len), "damaged header");
  bytes[20] ^= 0x10;
  bytes[len - len / 3] ^= 0x01; /* a bit of memory or state */
  assert_refused(write_file(bad, sizeof bad, "flipped", bytes, len), "checksum");
  bytes[len - len / 3] ^= 0x01;
  char missing[256];
  assert_refused(temp_path(missing, sizeof missing, "missing"), "does not exist");

  /* The unchanged bytes load, and the runtime works. */
  pyodide_t* rt = load_snapshot(write_file(bad, sizeof bad, "copy", bytes, len));
  ASSERT_EQ_INT(RUN_INT(rt, "x + 1"), 2);
  pyodide_destroy(rt);
  free(bytes);
}

TEST(snapshot_save_reports_misuse_and_unsaveable_state) {
  char path[256];
  temp_path(path, sizeof path, "misuse");
  ASSERT_USAGE(pyodide_snapshot_save(NULL, path));
  pyodide_t* rt = LOAD();
  ASSERT_USAGE(pyodide_snapshot_save(rt, NULL));
  ASSERT_USAGE(pyodide_snapshot_save(rt, ""));
  ASSERT_USAGE(pyodide_snapshot_save(rt, "/tmp/bad-\xff\xfe.snapshot"));
  pyodide_error_t* err = pyodide_snapshot_save(rt, "/nonexistent-dir/x.snapshot");
  ASSERT(err != NULL);
  ASSERT_EQ_INT(pyodide_error_kind(err), PYODIDE_ERROR_IO);
  pyodide_error_delete(err);

  /* An open file: a PYTHON error that says so; nothing is written. */
  EXEC(rt, "held = open('/home/pyodide/f.txt', 'w')");
  err = pyodide_snapshot_save(rt, path);
  ASSERT(err != NULL);
  ASSERT_EQ_INT(pyodide_error_kind(err), PYODIDE_ERROR_PYTHON);
  ASSERT_CONTAINS(pyodide_error_message(err), "open");
  pyodide_error_delete(err);
  ASSERT(access(path, F_OK) != 0);
  EXEC(rt, "held.close()");
  ASSERT_OK(pyodide_snapshot_save(rt, path));

  pyodide_destroy(rt);
  ASSERT_USAGE(pyodide_snapshot_save(rt, path)); /* destroyed */

  /* A runtime with mounts cannot be saved. */
  char dir[] = "/tmp/pyodide-snapshot-mount-XXXXXX";
  ASSERT(mkdtemp(dir) != NULL);
  pyodide_mount_t mount = {.host_path = dir, .guest_path = "/data", .read_only = true};
  pyodide_config_t c;
  pyodide_config_init(&c);
  c.mounts = &mount;
  c.nmounts = 1;
  pyodide_t* mounted = LOAD_WITH(&c);
  ASSERT_USAGE(pyodide_snapshot_save(mounted, path));
  pyodide_destroy(mounted);
  rmdir(dir);

  /* config.snapshot: invalid UTF-8 is USAGE; an older config size does not read it. */
  pyodide_config_init(&c);
  c.snapshot = "\xff";
  pyodide_t* none = NULL;
  ASSERT_USAGE(pyodide_load(&c, &none));
  ASSERT(none == NULL);
  c.snapshot = "/definitely/not/read";
  c.size = offsetof(pyodide_config_t, snapshot);
  pyodide_t* older = LOAD_WITH(&c);
  ASSERT_EQ_INT(RUN_INT(older, "1 + 1"), 2);
  pyodide_destroy(older);
}

static pyodide_error_t* plus_one(void* env, const pyodide_value_t* args, size_t nargs, pyodide_value_t* result) {
  (void)env;
  (void)nargs;
  *result = v_int(args[0].of.i + 1);
  return NULL;
}

static pyodide_error_t* times_ten(void* env, const pyodide_value_t* args, size_t nargs, pyodide_value_t* result) {
  (void)env;
  (void)nargs;
  *result = v_int(args[0].of.i * 10);
  return NULL;
}

TEST(snapshot_host_state_belongs_to_the_new_host) {
  char path[256];
  temp_path(path, sizeof path, "host");
  pyodide_t* rt = LOAD();
  pyodide_host_member_t one = {.name = "f", .fn = plus_one};
  ASSERT_OK(pyodide_register_module(rt, "hostmod", &one, 1, NULL, NULL));
  EXEC(rt, "import hostmod\nf = hostmod.f\nassert f(1) == 2");
  pyproxy_t* held = RUN_PROXY(rt, "[1, 2, 3]");
  ASSERT_OK(pyodide_snapshot_save(rt, path));
  pyproxy_destroy(held);
  pyodide_destroy(rt);

  pyodide_t* restored = load_snapshot(path);
  pyodide_stats_t stats = {.size = sizeof stats};
  ASSERT_OK(pyodide_stats(restored, &stats));
  ASSERT_EQ_INT(stats.guest_objects, 0);
  /* The saving host's function is gone: a clear error, not another function. */
  ASSERT_PYERR(pyodide_run_python(restored, "f(1)", PYODIDE_STRLEN, NULL, NULL), "RuntimeError");
  pyodide_host_member_t ten = {.name = "f", .fn = times_ten};
  ASSERT_OK(pyodide_register_module(restored, "hostmod", &ten, 1, NULL, NULL));
  ASSERT_EQ_INT(RUN_INT(restored, "hostmod.f(2)"), 20);
  pyodide_destroy(restored);
}
