/*
 * The resident process (PYODIDE_RUN_RESIDENT=SECONDS): a pyodide-run that has
 * already started .NET, Wasmtime and the interpreter serves later runs, so
 * that each of them costs a new runtime from the loaded snapshot instead of a
 * process's whole start.
 *
 * The client is pyodide-run as a user starts it. It hands the server its
 * command line, standard streams, working directory and umask over a Unix
 * socket, forwards the signals it receives, and ends as the run ended: with
 * its exit status, or by the same signal. Each run gets a runtime of its own,
 * made and destroyed as in a process of its own; the server runs one at a
 * time (a client that finds it busy starts in full) and only what needs no
 * prompt (the prompt keeps its terminal in this process).
 *
 * A server serves only clients identical in everything the server itself
 * inherited and a run could notice: user and groups, root, namespaces,
 * cgroup, resource limits, processors, priority, capabilities and seccomp,
 * the executable, and the environment variables the library reads. That
 * identity names the socket (a hash) and is compared in full at each run, so
 * a client under another ulimit, cgroup or PYODIDE_* setting gets a server of
 * its own, started from it. The socket lives in a directory only the user can
 * enter, and each side checks the other's user id.
 *
 * The server ends after SECONDS without a run, after MAX_RUNS runs, or with
 * the run when that run ends by a signal (its process would have).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

extern char** environ;

#define SERVE_FLAG "--resident-serve"
#define REQUEST_MAGIC 0x50595253u /* "PYRS" */
#define PROTOCOL_VERSION 1u
/* A server ends after this many runs, so that whatever a run leaves in the
   process (fragmented heaps, caches) stays bounded. */
#define MAX_RUNS 1000
/* How long a client waits for a server to start or to become free, when it
   must not start in full (PYODIDE_RUN_RESIDENT_REQUIRED=1). A cold cache
   compiles the interpreter first. */
#define REQUIRED_WAIT_S 120
/* Largest command line a server accepts (Linux's own limit is lower). */
#define MAX_REQUEST (64u << 20)

/* Replies, server to client: one byte, then for END_* a 32-bit value. */
enum { REPLY_ACCEPTED = 'A', REPLY_BUSY = 'B', REPLY_REFUSED = 'R', END_STATUS = 'X', END_SIGNAL = 'S' };

/* The fixed part of a request; the fds (stdin, stdout, stderr, working
   directory) come with it, then `payload` bytes: the identity, NUL, and argc
   NUL-terminated arguments. */
typedef struct {
  uint32_t magic, version;
  uint32_t umask;
  uint32_t ignores_sigpipe;
  uint32_t argc;
  uint32_t payload;
} request_header_t;

enum { REQUEST_FDS = 4 };

/* ---- buffers ---- */

typedef struct {
  char* data;
  size_t len, cap;
  bool failed;
} buffer_t;

static void buffer_add(buffer_t* b, const void* data, size_t len) {
  if (b->failed) return;
  if (b->len + len + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + len + 1) cap *= 2;
    char* bigger = realloc(b->data, cap);
    if (bigger == NULL) {
      b->failed = true;
      return;
    }
    b->data = bigger;
    b->cap = cap;
  }
  memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
}

static void buffer_printf(buffer_t* b, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
static void buffer_printf(buffer_t* b, const char* fmt, ...) {
  char small[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->failed = true;
  } else if ((size_t)n < sizeof small) {
    buffer_add(b, small, (size_t)n);
  } else {
    char* big = malloc((size_t)n + 1);
    if (big == NULL) {
      b->failed = true;
      return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buffer_add(b, big, (size_t)n);
    free(big);
  }
}

/* Appends the whole of a small file (a /proc entry); nothing if unreadable. */
static void buffer_add_file(buffer_t* b, const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char chunk[4096];
  ssize_t n;
  while ((n = read(fd, chunk, sizeof chunk)) > 0) buffer_add(b, chunk, (size_t)n);
  close(fd);
}

/* ---- the identity a server and its clients share ---- */

static int compare_strings(const void* a, const void* b) {
  return strcmp(*(const char* const*)a, *(const char* const*)b);
}

/* Whether the environment variable `entry` ("NAME=value") is one the library
   or pyodide-run reads at the level of the process. */
static bool identity_variable(const char* entry) {
  static const char* const named[] = {"HOME=", "TMPDIR=", "XDG_CACHE_HOME="};
  for (size_t i = 0; i < sizeof named / sizeof *named; i++)
    if (strncmp(entry, named[i], strlen(named[i])) == 0) return true;
  /* PYODIDE_RUN_RESIDENT* choose the client's way to the server, not the run. */
  return strncmp(entry, "PYODIDE_", 8) == 0 && strncmp(entry, "PYODIDE_RUN_RESIDENT", 20) != 0;
}

/* The lines of /proc/self/status that say what the process may do. */
static void add_status_lines(buffer_t* b) {
  buffer_t status = {0};
  buffer_add_file(&status, "/proc/self/status");
  static const char* const keep[] = {"Uid:", "Gid:", "Groups:", "CapInh:", "CapPrm:", "CapEff:",
                                     "CapBnd:", "CapAmb:", "NoNewPrivs:", "Seccomp:", "Seccomp_filters:"};
  for (char* line = status.data; line != NULL && *line != '\0';) {
    char* end = strchr(line, '\n');
    size_t len = end != NULL ? (size_t)(end - line) + 1 : strlen(line);
    for (size_t i = 0; i < sizeof keep / sizeof *keep; i++)
      if (strncmp(line, keep[i], strlen(keep[i])) == 0) buffer_add(b, line, len);
    line += len;
  }
  free(status.data);
}

/* Everything of this process that a run could notice and that a server
   inherits from the client that started it (malloc'd; NULL on failure). */
static char* process_identity(void) {
  buffer_t b = {0};
  buffer_printf(&b, "protocol %u\n", PROTOCOL_VERSION);
  struct stat exe;
  if (stat("/proc/self/exe", &exe) == 0)
    buffer_printf(&b, "exe %llu:%llu:%lld:%lld.%09ld\n", (unsigned long long)exe.st_dev,
                  (unsigned long long)exe.st_ino, (long long)exe.st_size, (long long)exe.st_mtim.tv_sec,
                  exe.st_mtim.tv_nsec);
  static const char* const links[] = {"/proc/self/root", "/proc/self/ns/mnt", "/proc/self/ns/pid",
                                      "/proc/self/ns/net", "/proc/self/ns/user", "/proc/self/ns/uts",
                                      "/proc/self/ns/ipc", "/proc/self/ns/cgroup"};
  for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
    char target[PATH_MAX];
    ssize_t n = readlink(links[i], target, sizeof target - 1);
    target[n > 0 ? n : 0] = '\0';
    buffer_printf(&b, "%s %s\n", links[i], target);
  }
  buffer_add(&b, "cgroup ", 7);
  buffer_add_file(&b, "/proc/self/cgroup");
  add_status_lines(&b);
  for (int r = 0; r < RLIM_NLIMITS; r++) {
    struct rlimit lim;
    if (getrlimit((__rlimit_resource_t)r, &lim) == 0)
      buffer_printf(&b, "rlimit %d %llu %llu\n", r, (unsigned long long)lim.rlim_cur,
                    (unsigned long long)lim.rlim_max);
  }
  errno = 0;
  int nice = getpriority(PRIO_PROCESS, 0);
  buffer_printf(&b, "nice %d %d\nscheduler %d\n", nice, errno, sched_getscheduler(0));
  cpu_set_t cpus;
  if (sched_getaffinity(0, sizeof cpus, &cpus) == 0) {
    buffer_add(&b, "cpus", 4);
    for (int c = 0; c < CPU_SETSIZE; c++)
      if (CPU_ISSET(c, &cpus)) buffer_printf(&b, " %d", c);
    buffer_add(&b, "\n", 1);
  }
  size_t nvars = 0;
  for (char** e = environ; *e != NULL; e++) nvars += identity_variable(*e);
  const char** vars = malloc((nvars ? nvars : 1) * sizeof *vars);
  if (vars == NULL) b.failed = true;
  if (vars != NULL) {
    size_t i = 0;
    for (char** e = environ; *e != NULL; e++)
      if (identity_variable(*e)) vars[i++] = *e;
    qsort(vars, nvars, sizeof *vars, compare_strings);
    for (i = 0; i < nvars; i++) buffer_printf(&b, "env %s\n", vars[i]);
    free(vars);
  }
  if (b.failed) {
    free(b.data);
    return NULL;
  }
  return b.data;
}

/* FNV-1a: the socket's name only; the identity itself is compared in full. */
static uint64_t identity_hash(const char* identity) {
  uint64_t h = 0xcbf29ce484222325u;
  for (const unsigned char* p = (const unsigned char*)identity; *p; p++) h = (h ^ *p) * 0x100000001b3u;
  return h;
}

/* The directory of the user's servers: $XDG_RUNTIME_DIR/pyodide-run, else
   /tmp/pyodide-run-UID; made if missing, and refused unless it is a directory
   of this user's that no one else may enter. Writes the socket's path for
   `identity` into `path`; false (errno set) if there is none to use. */
static bool socket_path(const char* identity, char path[sizeof((struct sockaddr_un*)0)->sun_path]) {
  char dir[PATH_MAX];
  const char* runtime = getenv("XDG_RUNTIME_DIR");
  const size_t room = sizeof((struct sockaddr_un*)0)->sun_path - sizeof "/0123456789abcdef.sock";
  int n = runtime != NULL && runtime[0] == '/' ? snprintf(dir, sizeof dir, "%s/pyodide-run", runtime) : -1;
  if (n < 0 || (size_t)n > room) n = snprintf(dir, sizeof dir, "/tmp/pyodide-run-%u", (unsigned)getuid());
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) return false;
  struct stat st;
  if (lstat(dir, &st) != 0) return false;
  if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077) != 0) {
    errno = EPERM;
    return false;
  }
  char name[sizeof "/0123456789abcdef.sock"];
  snprintf(name, sizeof name, "/%016llx.sock", (unsigned long long)identity_hash(identity));
  strcpy(path, dir);
  strcat(path, name);
  return true;
}

static bool fill_address(struct sockaddr_un* addr, const char* path) {
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  if (strlen(path) >= sizeof addr->sun_path) return false;
  strcpy(addr->sun_path, path);
  return true;
}

/* The user id of the socket's other end, or -1. */
static long peer_uid(int fd, pid_t* pid) {
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return -1;
  if (pid != NULL) *pid = cred.pid;
  return (long)cred.uid;
}

static bool send_all(int fd, const void* data, size_t len) {
  const char* p = data;
  while (len > 0) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= (size_t)n;
  }
  return true;
}

static bool recv_all(int fd, void* data, size_t len) {
  char* p = data;
  while (len > 0) {
    ssize_t n = recv(fd, p, len, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= (size_t)n;
  }
  return true;
}

static bool send_end(int fd, char kind, int32_t value) {
  char message[5] = {kind};
  memcpy(message + 1, &value, sizeof value);
  return send_all(fd, message, sizeof message);
}

/* ======================= the server ======================= */

static volatile sig_atomic_t serving; /* a client's run (or the warm-up) is running */
static bool is_server;

static struct {
  pthread_mutex_t lock;
  pthread_cond_t handed;
  const char* identity;
  char path[sizeof((struct sockaddr_un*)0)->sun_path];
  ino_t socket_ino;
  int listener;
  int wake[2];          /* the run's end, to the door thread */
  int idle_ms;
  bool warming;         /* the first run, our own, is still starting */
  bool busy;            /* a client's run is handed over or running */
  bool over;            /* ...and has ended: the client may go */
  int client;           /* its socket, closed by the door thread */
  int fds[REQUEST_FDS];
  char* payload;        /* the request of the run handed over (malloc'd) */
  char** argv;          /* its arguments, pointing into payload (malloc'd) */
  int argc;
  mode_t umask;
  bool ignores_sigpipe;
} server = {.lock = PTHREAD_MUTEX_INITIALIZER, .handed = PTHREAD_COND_INITIALIZER, .client = -1,
            .listener = -1, .wake = {-1, -1}};


bool resident_server(void) { return is_server; }

bool resident_serving(void) { return serving; }

/* ---- the next run's runtime, made while the server waits ---- */

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
      a->stdout_fn != config->stdout_fn || a->stderr_fn != config->stderr_fn || a->stdin_fn != config->stdin_fn ||
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
  if (!serving) return false;
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
  if (!serving) return false;
  pthread_mutex_lock(&spare.lock);
  retire_locked(runtime, runner);
  pthread_mutex_unlock(&spare.lock);
  return true;
}

/* Destroys the retired runtimes and, with `all`, the spare, making no more
   after: after a client has its status, and before the server ends (their
   homes go with them). */
static void spare_discard(bool all) {
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
static void spare_prepare(void) {
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
static void remove_socket(void) {
  struct stat st;
  if (server.listener >= 0 && lstat(server.path, &st) == 0 && st.st_ino == server.socket_ino)
    unlink(server.path);
}

/* The signal a server ends by, told to the running run's client at exit,
   after the library's own exit handler removed the runtimes' homes. */
static volatile sig_atomic_t ending_signal;

static void tell_client_at_exit(void) {
  if (ending_signal == 0) return;
  pthread_mutex_lock(&server.lock);
  int client = server.busy && !server.over ? server.client : -1;
  pthread_mutex_unlock(&server.lock);
  if (client >= 0) send_end(client, END_SIGNAL, ending_signal);
}

_Noreturn void resident_end_by_signal(int sig) {
  /* Called on any thread (the signal thread, the run's): the client of the
     run, if one is running, ends by the signal, and so does this process, as
     the run's own would have; between runs, the server was told to end. */
  static atomic_flag ending = ATOMIC_FLAG_INIT;
  if (atomic_flag_test_and_set(&ending))
    for (;;) pause(); /* another thread is ending the process */
  remove_socket();
  /* What the run still writes goes nowhere, as from a process killed. */
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3 && null >= 0; fd++) dup2(null, fd);
  spare_discard(true);
  ending_signal = sig;
  exit(128 + sig); /* the library's exit handler removes the homes it keeps */
}

void resident_broken_pipe(void) {
  /* The run's own process would have been killed by SIGPIPE on this write,
     unless its parent had SIGPIPE ignored (then it went on, as here). */
  if (serving && !server.ignores_sigpipe) resident_end_by_signal(SIGPIPE);
}

/* Reads a request from a client just accepted; false (and nothing kept) if it
   is not one this server serves. */
static bool read_request(int client) {
  request_header_t h;
  int fds[REQUEST_FDS];
  int nfds = 0;
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof fds)];
  } control;
  struct iovec iov = {.iov_base = &h, .iov_len = sizeof h};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                       .msg_controllen = sizeof control.buf};
  ssize_t n;
  do n = recvmsg(client, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL);
  while (n < 0 && errno == EINTR);
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      for (int i = 0; i < count; i++) {
        int fd;
        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        if (nfds < REQUEST_FDS) fds[nfds++] = fd;
        else close(fd);
      }
    }
  }
  char* payload = NULL;
  char** argv = NULL;
  size_t identity_len = strlen(server.identity);
  bool ok = n == (ssize_t)sizeof h && !(msg.msg_flags & MSG_CTRUNC) && nfds == REQUEST_FDS &&
            h.magic == REQUEST_MAGIC && h.version == PROTOCOL_VERSION && h.payload <= MAX_REQUEST &&
            h.argc >= 1 && h.argc <= h.payload && h.payload > identity_len;
  ok = ok && (payload = malloc(h.payload)) != NULL && recv_all(client, payload, h.payload);
  /* The identity first, compared in full: the hash only named the socket. */
  ok = ok && memcmp(payload, server.identity, identity_len + 1) == 0 && payload[h.payload - 1] == '\0';
  ok = ok && (argv = calloc(h.argc + 1, sizeof *argv)) != NULL;
  if (ok) {
    char* p = payload + identity_len + 1;
    char* end = payload + h.payload;
    for (uint32_t i = 0; i < h.argc; i++) {
      if (p >= end) {
        ok = false;
        break;
      }
      argv[i] = p;
      p += strlen(p) + 1;
    }
    ok = ok && p == end;
  }
  if (!ok) {
    for (int i = 0; i < nfds; i++) close(fds[i]);
    free(argv);
    free(payload);
    return false;
  }
  memcpy(server.fds, fds, sizeof fds);
  server.payload = payload;
  server.argv = argv;
  server.argc = (int)h.argc;
  server.umask = (mode_t)h.umask;
  server.ignores_sigpipe = h.ignores_sigpipe != 0;
  return true;
}

static void answer(int client, char reply) { send_all(client, &reply, 1); }

/* The door thread: accepts clients (answering BUSY while a run is on),
   passes the running client's signals to this process, and ends the server
   when no run came for idle_ms. */
static void* door(void* arg) {
  (void)arg;
  struct timespec last;
  clock_gettime(CLOCK_MONOTONIC, &last);
  for (;;) {
    pthread_mutex_lock(&server.lock);
    bool busy = server.busy || server.warming;
    int watched = server.busy && !server.over ? server.client : -1;
    pthread_mutex_unlock(&server.lock);
    int timeout = -1;
    if (!busy) {
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      long waited = (now.tv_sec - last.tv_sec) * 1000 + (now.tv_nsec - last.tv_nsec) / 1000000;
      timeout = waited >= server.idle_ms ? 0 : (int)(server.idle_ms - waited);
    }
    struct pollfd p[3] = {{.fd = server.listener, .events = POLLIN},
                          {.fd = server.wake[0], .events = POLLIN},
                          {.fd = watched, .events = POLLIN}};
    int n = poll(p, 3, timeout);
    if (n < 0) continue;
    if (n == 0) {
      pthread_mutex_lock(&server.lock);
      if (!server.busy && !server.warming) {
        remove_socket();
        pthread_mutex_unlock(&server.lock);
        spare_discard(true);
        exit(EXIT_OK); /* the library's exit handler removes the homes it keeps */
      }
      pthread_mutex_unlock(&server.lock);
      continue;
    }
    if (p[1].revents & POLLIN) {
      /* A run ended: close its client's socket (only this thread polls it). */
      char drain[16];
      while (read(server.wake[0], drain, sizeof drain) > 0) continue;
      pthread_mutex_lock(&server.lock);
      if (!server.busy && server.client >= 0) {
        close(server.client);
        server.client = -1;
      }
      pthread_mutex_unlock(&server.lock);
      clock_gettime(CLOCK_MONOTONIC, &last);
    }
    if (watched >= 0 && p[2].revents != 0) {
      unsigned char sigs[16];
      ssize_t got = recv(watched, sigs, sizeof sigs, MSG_DONTWAIT);
      if (got > 0) {
        for (ssize_t i = 0; i < got; i++)
          if (sigs[i] == SIGINT || sigs[i] == SIGTERM || sigs[i] == SIGHUP) kill(getpid(), sigs[i]);
      } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
        /* The client is gone (killed, or its terminal closed): its run goes
           as a run whose terminal hung up. */
        pthread_mutex_lock(&server.lock);
        bool gone = server.busy && !server.over;
        if (gone) server.over = true; /* stop watching; nothing to tell */
        pthread_mutex_unlock(&server.lock);
        if (gone) kill(getpid(), SIGHUP);
      }
    }
    if (p[0].revents & POLLIN) {
      int client = accept4(server.listener, NULL, NULL, SOCK_CLOEXEC);
      if (client < 0) continue;
      struct timeval patience = {.tv_sec = 2};
      setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
      pthread_mutex_lock(&server.lock);
      bool free_now = !server.busy && !server.warming && server.client < 0;
      pthread_mutex_unlock(&server.lock);
      if (peer_uid(client, NULL) != (long)getuid()) {
        close(client);
      } else if (!free_now) {
        answer(client, REPLY_BUSY);
        close(client);
      } else if (!read_request(client)) {
        answer(client, REPLY_REFUSED);
        close(client);
      } else {
        answer(client, REPLY_ACCEPTED);
        pthread_mutex_lock(&server.lock);
        server.client = client;
        server.busy = true;
        server.over = false;
        pthread_cond_signal(&server.handed);
        pthread_mutex_unlock(&server.lock);
      }
    }
  }
  return NULL;
}

/* Points fds 0-2 at `in`, `out` and `err`. */
static void use_streams(int in, int out, int err) {
  fflush(stdout);
  fflush(stderr);
  dup2(in, 0);
  dup2(out, 1);
  dup2(err, 2);
  __fpurge(stdin);
  clearerr(stdin);
  clearerr(stdout);
  clearerr(stderr);
}

/* Binds the socket; false if another server already listens on it. A socket
   left by a server that died is replaced. */
static bool listen_on(const char* path) {
  struct sockaddr_un addr;
  if (!fill_address(&addr, path)) return false;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  for (int attempt = 0; attempt < 2; attempt++) {
    if (bind(fd, (struct sockaddr*)&addr, sizeof addr) == 0) {
      struct stat st;
      if (listen(fd, 16) != 0 || lstat(path, &st) != 0) break;
      server.listener = fd;
      server.socket_ino = st.st_ino;
      return true;
    }
    if (errno != EADDRINUSE || attempt > 0) break;
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool alive = probe >= 0 && connect(probe, (struct sockaddr*)&addr, sizeof addr) == 0;
    if (probe >= 0) close(probe);
    if (alive) break;
    unlink(path);
  }
  close(fd);
  return false;
}

/* pyodide-run --resident-serve SOCKET SECONDS, started by a client (with fd 3
   the pipe on which it learns that the server is ready). */
int resident_serve(int argc, char** argv) {
  if (argc != 4) return EXIT_USAGE;
  int ready = fcntl(3, F_GETFD) >= 0 ? 3 : -1;
  signal(SIGPIPE, SIG_IGN); /* a run's broken pipe is the run's (resident_broken_pipe) */
  char* identity = process_identity();
  char* end;
  long seconds = strtol(argv[3], &end, 10);
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (identity == NULL || *end != '\0' || seconds <= 0 || null < 0 || strlen(argv[2]) >= sizeof server.path ||
      !signals_start() || pipe2(server.wake, O_CLOEXEC | O_NONBLOCK) != 0)
    return EXIT_USAGE;
  is_server = true;
  server.identity = identity;
  server.idle_ms = seconds > INT_MAX / 1000 ? INT_MAX : (int)seconds * 1000;
  strcpy(server.path, argv[2]);
  if (!listen_on(server.path)) {
    /* Another server has it: the client waiting on `ready` can use that one. */
    if (ready >= 0 && write(ready, "R", 1) < 0) return EXIT_USAGE;
    return EXIT_OK;
  }
  /* Before the first runtime's load registers the library's handler, so
     that ours runs after it. */
  atexit(tell_client_at_exit);
  server.warming = true;
  pthread_t thread;
  if (pthread_create(&thread, NULL, door, NULL) != 0) {
    remove_socket();
    return EXIT_USAGE;
  }
  /* Our own first run starts .NET, the engine and the module, and maps the
     snapshot, so that a client's run only makes a runtime. */
  char* warm_up[] = {argv[0], "-c", "pass", NULL};
  serving = true;
  int status = cli_run(3, warm_up);
  serving = false;
  signals_reset();
  spare_discard(false);
  spare_prepare();
  pthread_mutex_lock(&server.lock);
  server.warming = false;
  pthread_mutex_unlock(&server.lock);
  /* The door waited without a deadline while warming: its idle time starts now. */
  if (write(server.wake[1], "", 1) < 0) { /* a full pipe already wakes it */ }
  if (status != EXIT_OK) {
    remove_socket();
    return status;
  }
  if (ready >= 0) {
    if (write(ready, "R", 1) < 0) { /* the client gave up waiting */ }
    close(ready);
  }
  for (int runs = 0; runs < MAX_RUNS; runs++) {
    pthread_mutex_lock(&server.lock);
    while (!server.busy) pthread_cond_wait(&server.handed, &server.lock);
    int client = server.client;
    pthread_mutex_unlock(&server.lock);

    use_streams(server.fds[0], server.fds[1], server.fds[2]);
    for (int i = 0; i < 3; i++) close(server.fds[i]);
    bool in_place = fchdir(server.fds[3]) == 0;
    close(server.fds[3]);
    umask(server.umask);
    serving = true;
    status = in_place ? cli_run(server.argc, server.argv) : EXIT_USAGE;
    if (!in_place) fprintf(stderr, "%s: cannot enter the working directory\n", server.argv[0]);
    fflush(stdout);
    fflush(stderr);
    serving = false;

    pthread_mutex_lock(&server.lock);
    bool told = !server.over;
    server.over = true;
    pthread_mutex_unlock(&server.lock);
    if (told) send_end(client, END_STATUS, status);
    spare_discard(false);
    use_streams(null, null, null);
    if (chdir("/") != 0) { /* "/" is always there */ }
    signals_reset();
    free(server.argv);
    free(server.payload);
    server.argv = NULL;
    server.payload = NULL;
    pthread_mutex_lock(&server.lock);
    server.busy = false;
    pthread_mutex_unlock(&server.lock);
    if (write(server.wake[1], "", 1) < 0) { /* a full pipe already wakes it */ }
    spare_prepare();
  }
  /* Runs enough: later clients start a new server. */
  remove_socket();
  spare_discard(true);
  return EXIT_OK;
}

/* ======================= the client ======================= */

/* Why the run could not be handed over, for PYODIDE_RUN_RESIDENT_REQUIRED. */
static const char* refusal;

/* Starts a server for `path` in a session of its own, its streams on
   /dev/null and no other fd of ours; returns the read end of the pipe on
   which it says it is ready, or -1. */
static int start_server(const char* path, const char* seconds) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return -1;
  /* Above 3, so that the dup2 to 3 clears close-on-exec. */
  int ready_write = fcntl(pipe_fds[1], F_DUPFD_CLOEXEC, 10);
  close(pipe_fds[1]);
  if (ready_write < 0) {
    close(pipe_fds[0]);
    return -1;
  }
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDWR, 0);
  posix_spawn_file_actions_adddup2(&actions, 0, 1);
  posix_spawn_file_actions_adddup2(&actions, 0, 2);
  posix_spawn_file_actions_adddup2(&actions, ready_write, 3);
  posix_spawn_file_actions_addclosefrom_np(&actions, 4);
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  static const int reset[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < sizeof reset / sizeof *reset; i++) sigaddset(&defaults, reset[i]);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  /* By its real path, so that ps and /proc show it as pyodide-run. */
  char* exe = realpath("/proc/self/exe", NULL);
  char* args[] = {exe, SERVE_FLAG, (char*)path, (char*)seconds, NULL};
  pid_t pid;
  int err = exe != NULL ? posix_spawn(&pid, exe, &actions, &attr, args, environ) : ENOENT;
  free(exe);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(ready_write);
  if (err != 0) {
    close(pipe_fds[0]);
    return -1;
  }
  return pipe_fds[0];
}

/* Waits until the server started on `ready` says it listens (true) or ends
   without saying so. */
static bool wait_ready(int ready) {
  struct pollfd p = {.fd = ready, .events = POLLIN};
  int n;
  do n = poll(&p, 1, REQUIRED_WAIT_S * 1000);
  while (n < 0 && errno == EINTR);
  char c = 0;
  bool ok = n == 1 && read(ready, &c, 1) == 1 && c == 'R';
  close(ready);
  return ok;
}

static int connect_to(const char* path) {
  struct sockaddr_un addr;
  if (!fill_address(&addr, path)) return -1;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr*)&addr, sizeof addr) != 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

/* Sends the run; returns the server's reply byte, or 0 if it could not. */
static char hand_over(int fd, const char* identity, int argc, char** argv, bool ignores_sigpipe) {
  if (peer_uid(fd, NULL) != (long)getuid()) {
    refusal = "its socket belongs to another user";
    return 0;
  }
  int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (cwd < 0) {
    refusal = "the working directory cannot be opened";
    return 0;
  }
  buffer_t payload = {0};
  buffer_add(&payload, identity, strlen(identity) + 1);
  for (int i = 0; i < argc; i++) buffer_add(&payload, argv[i], strlen(argv[i]) + 1);
  mode_t mask = umask(0);
  umask(mask);
  request_header_t h = {.magic = REQUEST_MAGIC, .version = PROTOCOL_VERSION, .umask = (uint32_t)mask,
                        .ignores_sigpipe = ignores_sigpipe, .argc = (uint32_t)argc,
                        .payload = (uint32_t)payload.len};
  int fds[REQUEST_FDS] = {0, 1, 2, cwd};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof fds)];
  } control;
  memset(&control, 0, sizeof control);
  struct iovec iov = {.iov_base = &h, .iov_len = sizeof h};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                       .msg_controllen = sizeof control.buf};
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof fds);
  memcpy(CMSG_DATA(c), fds, sizeof fds);
  ssize_t n;
  do n = sendmsg(fd, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  close(cwd);
  char reply = 0;
  if (payload.failed || payload.len > MAX_REQUEST) {
    refusal = "the command line is too long";
  } else {
    /* A busy server answers before reading and closes, so a send may fail
       with its answer already here to read. */
    if (n == (ssize_t)sizeof h) send_all(fd, payload.data, payload.len);
    if (!recv_all(fd, &reply, 1)) refusal = "it did not answer";
  }
  free(payload.data);
  if (reply == REPLY_REFUSED) refusal = "it refused the run";
  return reply;
}

static bool ignored(int sig) {
  struct sigaction old;
  return sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_IGN;
}

/* After REPLY_ACCEPTED: passes our signals on until the run ends, then ends
   as it did. */
static _Noreturn void follow(int fd, pid_t server_pid, const sigset_t* forwarded, int sigfd) {
  for (;;) {
    struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = sigfd, .events = POLLIN}};
    if (poll(p, 2, -1) < 0) continue;
    if (p[1].revents & POLLIN) {
      struct signalfd_siginfo info;
      if (read(sigfd, &info, sizeof info) == (ssize_t)sizeof info) {
        int sig = (int)info.ssi_signo;
        if (sig == SIGTSTP) {
          /* Ctrl-Z: the run stops with us, and goes on when we do. */
          kill(server_pid, SIGSTOP);
          signal(SIGTSTP, SIG_DFL);
          sigset_t one;
          sigemptyset(&one);
          sigaddset(&one, SIGTSTP);
          sigprocmask(SIG_UNBLOCK, &one, NULL);
          raise(SIGTSTP);
          sigprocmask(SIG_BLOCK, &one, NULL);
          kill(server_pid, SIGCONT);
        } else if (sig == SIGCONT) {
          kill(server_pid, SIGCONT);
        } else {
          unsigned char b = (unsigned char)sig;
          send_all(fd, &b, 1);
        }
      }
    }
    if (p[0].revents != 0) {
      char message[5];
      if (!recv_all(fd, message, sizeof message)) {
        fprintf(stderr, "pyodide-run: the resident process ended without finishing the run\n");
        _exit(EXIT_USAGE);
      }
      int32_t value;
      memcpy(&value, message + 1, sizeof value);
      if (message[0] == END_SIGNAL) {
        signal(value, SIG_DFL);
        sigprocmask(SIG_UNBLOCK, forwarded, NULL);
        raise(value);
        _exit(128 + value);
      }
      _exit(value);
    }
  }
}

int resident_try(int argc, char** argv) {
  const char* setting = getenv("PYODIDE_RUN_RESIDENT");
  if (setting == NULL || *setting == '\0' || strcmp(setting, "0") == 0) return -1;
  const char* required_setting = getenv("PYODIDE_RUN_RESIDENT_REQUIRED");
  bool required = required_setting != NULL && strcmp(required_setting, "1") == 0;
  char* end;
  long seconds = strtol(setting, &end, 10);
  if (*end != '\0' || seconds <= 0) {
    fprintf(stderr, "pyodide-run: PYODIDE_RUN_RESIDENT=%s: expected the seconds a resident process "
                    "waits for the next run (or 0: none)\n", setting);
    return required ? EXIT_USAGE : -1;
  }
  /* Only runs without the prompt are handed over; a bad command line is
     answered here, as it would be in full. */
  cli_options_t opts;
  int status = cli_parse_args(argc, argv, &opts);
  bool prompt = opts.inspect || (opts.mode == MODE_INTERACTIVE && isatty(0));
  cli_options_free(&opts);
  if (status >= 0) return status;
  if (prompt) return -1;

  /* Checked before this process opens anything, which would take the number. */
  for (int fd = 0; fd < 3; fd++) {
    if (fcntl(fd, F_GETFD) < 0) {
      if (!required) return -1;
      fprintf(stderr, "pyodide-run: the resident process cannot run this: a standard stream is closed\n");
      return EXIT_USAGE;
    }
  }
  refusal = "no identity";
  char* identity = process_identity();
  char path[sizeof((struct sockaddr_un*)0)->sun_path];
  if (identity == NULL || !socket_path(identity, path)) {
    if (identity != NULL) refusal = "its directory is not the user's alone";
    free(identity);
    if (!required) return -1;
    fprintf(stderr, "pyodide-run: no resident process: %s\n", refusal);
    return EXIT_USAGE;
  }

  /* Blocked from here, so that none is lost before the run is handed over;
     unblocked again if this process runs it itself. */
  sigset_t forwarded, before;
  sigemptyset(&forwarded);
  static const int passed[] = {SIGINT, SIGTERM, SIGHUP, SIGTSTP, SIGCONT};
  for (size_t i = 0; i < sizeof passed / sizeof *passed; i++)
    if (!ignored(passed[i])) sigaddset(&forwarded, passed[i]);
  sigprocmask(SIG_BLOCK, &forwarded, &before);

  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  bool started = false;
  for (;;) {
    int fd = connect_to(path);
    if (fd < 0) {
      if ((errno != ENOENT && errno != ECONNREFUSED) || started) {
        refusal = "its socket cannot be reached";
        break;
      }
      int ready = start_server(path, setting);
      started = true;
      if (ready < 0) {
        refusal = "it could not be started";
        break;
      }
      if (!required) {
        close(ready); /* this run starts in full; the next one finds the server */
        break;
      }
      if (!wait_ready(ready)) {
        refusal = "it could not start";
        break;
      }
      continue;
    }
    char reply = hand_over(fd, identity, argc, argv, ignored(SIGPIPE));
    if (reply == REPLY_ACCEPTED) {
      free(identity);
      pid_t server_pid = 0;
      peer_uid(fd, &server_pid);
      follow(fd, server_pid, &forwarded, signalfd(-1, &forwarded, SFD_CLOEXEC));
    }
    close(fd);
    if (reply == REPLY_BUSY) refusal = "it is busy with another run";
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!required || reply != REPLY_BUSY || now.tv_sec - start.tv_sec >= REQUIRED_WAIT_S) break;
    nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
  }
  free(identity);
  sigprocmask(SIG_SETMASK, &before, NULL);
  if (!required) return -1;
  fprintf(stderr, "pyodide-run: the resident process cannot run this: %s\n", refusal);
  return EXIT_USAGE;
}

bool resident_is_server(int argc, char** argv) { return argc >= 2 && strcmp(argv[1], SERVE_FLAG) == 0; }
