/*
 * What a resident pyodide-run's client and server share (resident.h): the
 * identity that decides which server may run a client's run, the socket's
 * place, and the messages' plumbing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "resident.h"

extern char** environ;

/* ---- buffers ---- */

void buffer_add(buffer_t* b, const void* data, size_t len) {
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
  static const char* const named[] = {"HOME=", "TMPDIR=", "XDG_CACHE_HOME=", "TZ="};
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
char* process_identity(void) {
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
bool socket_path(const char* identity, char path[SOCKET_PATH_MAX]) {
  char dir[PATH_MAX];
  const char* runtime = getenv("XDG_RUNTIME_DIR");
  const size_t room = SOCKET_PATH_MAX - sizeof "/0123456789abcdef.sock";
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

int connect_to(const char* path) {
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

bool fill_address(struct sockaddr_un* addr, const char* path) {
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  if (strlen(path) >= sizeof addr->sun_path) return false;
  strcpy(addr->sun_path, path);
  return true;
}

/* The user id of the socket's other end, or -1. */
long peer_uid(int fd, pid_t* pid) {
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return -1;
  if (pid != NULL) *pid = cred.pid;
  return (long)cred.uid;
}

bool send_all(int fd, const void* data, size_t len) {
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

bool recv_all(int fd, void* data, size_t len) {
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

bool send_end(int fd, char kind, int32_t value) {
  char message[5] = {kind};
  memcpy(message + 1, &value, sizeof value);
  return send_all(fd, message, sizeof message);
}


bool resident_is_server(int argc, char** argv) { return argc >= 2 && strcmp(argv[1], SERVE_FLAG) == 0; }
