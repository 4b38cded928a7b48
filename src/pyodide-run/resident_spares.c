/*
 * The runtimes a resident server makes ahead (resident.h): after a client has
 * its status, one for each of the last SPARES configurations runs had, so that
 * the next run with one of them only sets up its arguments; and the runtimes
 * of finished runs, destroyed once their clients have gone.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "resident.h"

/* A run's configuration as pyodide_load saw it, copied, with the identity of
   each host path it opened: a directory replaced or a snapshot file rewritten
   since makes a runtime made earlier stale. */
typedef struct {
  pyodide_config_t config;
  pyodide_mount_t* mounts;
  struct stat* mount_ids;
  struct stat snapshot_id;
} run_config_t;

/* How many recent configurations keep a runtime made for them: a user who
   alternates between a few commands finds each one's. */
#define SPARES 3

typedef struct {
  run_config_t* config;   /* a recent run's configuration, or NULL */
  pyodide_t* runtime;     /* made for it while no run was on, or NULL */
  pyproxy_t* runner;
  uint64_t used;          /* when a run last had this configuration */
} spare_t;

static struct {
  pthread_mutex_t lock;
  spare_t spares[SPARES];
  uint64_t runs;
  pyodide_t* retired[2];  /* to destroy once the client has its status */
  pyproxy_t* retired_runners[2];
  bool closed;            /* the server is ending: no more spares */
} spare = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The same directory: what a mount opened (what is in it may change). */
static bool same_directory(const struct stat* a, const struct stat* b) {
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* The same file with the same contents, as far as its size and time say. */
static bool same_file(const struct stat* a, const struct stat* b) {
  return same_directory(a, b) && a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
         a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static bool same_string(const char* a, const char* b) {
  return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void run_config_free(run_config_t* c) {
  if (c == NULL) return;
  for (size_t i = 0; i < c->config.nmounts; i++) {
    free((char*)c->mounts[i].host_path);
    free((char*)c->mounts[i].guest_path);
  }
  free(c->mounts);
  free(c->mount_ids);
  free((char*)c->config.asset_dir);
  free((char*)c->config.index_url);
  free((char*)c->config.snapshot);
  free(c);
}

static char* copy_string(const char* s, bool* ok) {
  if (s == NULL) return NULL;
  char* copy = strdup(s);
  if (copy == NULL) *ok = false;
  return copy;
}

/* The files `c` names as they are now; false if one is gone. */
static bool stat_inputs(const pyodide_config_t* c, struct stat* mount_ids, struct stat* snapshot_id) {
  for (size_t i = 0; i < c->nmounts; i++)
    if (stat(c->mounts[i].host_path, &mount_ids[i]) != 0) return false;
  memset(snapshot_id, 0, sizeof *snapshot_id);
  return c->snapshot == NULL || stat(c->snapshot, snapshot_id) == 0;
}

static run_config_t* run_config_copy(const pyodide_config_t* from) {
  run_config_t* c = calloc(1, sizeof *c);
  if (c == NULL) return NULL;
  c->config = *from;
  c->config.nmounts = 0;
  c->mounts = calloc(from->nmounts ? from->nmounts : 1, sizeof *c->mounts);
  c->mount_ids = calloc(from->nmounts ? from->nmounts : 1, sizeof *c->mount_ids);
  bool ok = c->mounts != NULL && c->mount_ids != NULL;
  c->config.asset_dir = copy_string(from->asset_dir, &ok);
  c->config.index_url = copy_string(from->index_url, &ok);
  c->config.snapshot = copy_string(from->snapshot, &ok);
  for (size_t i = 0; ok && i < from->nmounts; i++) {
    c->mounts[i] = from->mounts[i];
    c->mounts[i].host_path = copy_string(from->mounts[i].host_path, &ok);
    c->mounts[i].guest_path = copy_string(from->mounts[i].guest_path, &ok);
    c->config.nmounts = i + 1;
  }
  c->config.mounts = c->mounts;
  if (!ok || !stat_inputs(&c->config, c->mount_ids, &c->snapshot_id)) {
    run_config_free(c);
    return NULL;
  }
  return c;
}

/* Whether `c` is `config`, as written. */
static bool run_config_same(const run_config_t* c, const pyodide_config_t* config) {
  const pyodide_config_t* a = &c->config;
  if (a->size != config->size || a->memory_limit != config->memory_limit || a->timeout_s != config->timeout_s ||
      a->unguarded != config->unguarded || a->stdin_isatty != config->stdin_isatty ||
      a->stdout_isatty != config->stdout_isatty || a->stderr_isatty != config->stderr_isatty ||
      a->stdout_fn != config->stdout_fn || a->stderr_fn != config->stderr_fn || a->stdin_fn != config->stdin_fn ||
      a->stdout_status_fn != config->stdout_status_fn || a->stderr_status_fn != config->stderr_status_fn ||
      a->terminal_size_fn != config->terminal_size_fn ||
      a->io_env != config->io_env || a->nmounts != config->nmounts || !same_string(a->asset_dir, config->asset_dir) ||
      !same_string(a->index_url, config->index_url) || !same_string(a->snapshot, config->snapshot))
    return false;
  for (size_t i = 0; i < a->nmounts; i++)
    if (!same_string(a->mounts[i].host_path, config->mounts[i].host_path) ||
        !same_string(a->mounts[i].guest_path, config->mounts[i].guest_path) ||
        a->mounts[i].read_only != config->mounts[i].read_only)
      return false;
  return true;
}

/* Whether what `c` names is still what a runtime made for it opened. */
static bool run_config_unchanged(const run_config_t* c) {
  const pyodide_config_t* a = &c->config;
  struct stat now[a->nmounts ? a->nmounts : 1], snapshot_now;
  if (!stat_inputs(a, now, &snapshot_now)) return false;
  for (size_t i = 0; i < a->nmounts; i++)
    if (!same_directory(&now[i], &c->mount_ids[i])) return false;
  return a->snapshot == NULL || same_file(&snapshot_now, &c->snapshot_id);
}

/* Called with spare.lock held. */
static void retire_locked(pyodide_t* runtime, pyproxy_t* runner) {
  for (int i = 0; i < 2; i++) {
    if (spare.retired[i] == NULL) {
      spare.retired[i] = runtime;
      spare.retired_runners[i] = runner;
      return;
    }
  }
  pyproxy_destroy(runner);
  pyodide_destroy(runtime);
}

bool resident_take_runtime(const pyodide_config_t* config, pyodide_t** runtime, pyproxy_t** runner) {
  if (!resident_serving()) return false;
  pthread_mutex_lock(&spare.lock);
  /* This configuration's place: its own, else an empty one, else the one
     used longest ago. */
  spare_t* slot = NULL;
  for (int i = 0; i < SPARES && slot == NULL; i++)
    if (spare.spares[i].config != NULL && run_config_same(spare.spares[i].config, config)) slot = &spare.spares[i];
  for (int i = 0; i < SPARES && slot == NULL; i++)
    if (spare.spares[i].config == NULL) slot = &spare.spares[i];
  if (slot == NULL) {
    slot = &spare.spares[0];
    for (int i = 1; i < SPARES; i++)
      if (spare.spares[i].used < slot->used) slot = &spare.spares[i];
  }
  bool taken = slot->runtime != NULL && slot->config != NULL && run_config_same(slot->config, config) &&
               run_config_unchanged(slot->config);
  if (taken) {
    *runtime = slot->runtime;
    *runner = slot->runner;
  } else if (slot->runtime != NULL) {
    retire_locked(slot->runtime, slot->runner);
  }
  slot->runtime = NULL;
  slot->runner = NULL;
  /* Copied afresh: the next runtime is made for the directories as they are now. */
  run_config_free(slot->config);
  slot->config = run_config_copy(config);
  slot->used = ++spare.runs;
  pthread_mutex_unlock(&spare.lock);
  return taken;
}

bool resident_retire_runtime(pyodide_t* runtime, pyproxy_t* runner) {
  if (!resident_serving()) return false;
  pthread_mutex_lock(&spare.lock);
  retire_locked(runtime, runner);
  pthread_mutex_unlock(&spare.lock);
  return true;
}

/* Destroys the retired runtimes and, with `all`, the spare, making no more
   after: after a client has its status, and before the server ends (their
   homes go with them). */
void spares_discard(bool all) {
  pthread_mutex_lock(&spare.lock);
  for (int i = 0; i < 2; i++) {
    pyproxy_destroy(spare.retired_runners[i]);
    pyodide_destroy(spare.retired[i]);
    spare.retired[i] = NULL;
    spare.retired_runners[i] = NULL;
  }
  for (int i = 0; all && i < SPARES; i++) {
    pyproxy_destroy(spare.spares[i].runner);
    pyodide_destroy(spare.spares[i].runtime);
    spare.spares[i].runtime = NULL;
    spare.spares[i].runner = NULL;
  }
  spare.closed |= all;
  pthread_mutex_unlock(&spare.lock);
}

/* Makes a runtime for each recent configuration that has none (after a run:
   the one it took). The lock is held throughout, so that an end of the
   server waits for it and destroys them. */
void spares_prepare(void) {
  pthread_mutex_lock(&spare.lock);
  for (int i = 0; i < SPARES && !spare.closed; i++) {
    spare_t* slot = &spare.spares[i];
    if (slot->config == NULL || slot->runtime != NULL) continue;
    pyodide_t* runtime = NULL;
    pyproxy_t* runner = NULL;
    pyodide_error_t* err = pyodide_load(&slot->config->config, &runtime);
    if (err == NULL) err = session_prepare(runtime, &runner);
    if (err == NULL) {
      slot->runtime = runtime;
      slot->runner = runner;
    } else {
      /* The next run with it makes its own, and says why. */
      pyodide_error_delete(err);
      pyproxy_destroy(runner);
      pyodide_destroy(runtime);
      run_config_free(slot->config);
      slot->config = NULL;
    }
  }
  pthread_mutex_unlock(&spare.lock);
}

/* Removes the socket if it is still ours (a later server may have replaced a
   socket it took for stale). */
