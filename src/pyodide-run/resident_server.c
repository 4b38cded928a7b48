/*
 * A resident server (resident.h): pyodide-run --resident-serve SOCKET SECONDS,
 * started by a client. Its first run is its own (-c pass), to start .NET, the
 * engine and the module; then a door thread accepts clients and passes their
 * signals on while the main thread runs their runs, one at a time, as
 * pyodide-run runs its own command line (cli_run).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "resident.h"

/* A server ends after this many runs, so that whatever a run leaves in the
   process (fragmented heaps, caches) stays bounded. */
#define MAX_RUNS 1000

static volatile sig_atomic_t serving; /* a client's run (or the warm-up) is running */
static bool is_server;

static struct {
  pthread_mutex_t lock;
  pthread_cond_t handed;
  const char* identity;
  char path[SOCKET_PATH_MAX];
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
} server = {.lock = PTHREAD_MUTEX_INITIALIZER, .handed = PTHREAD_COND_INITIALIZER, .client = -1,
            .listener = -1, .wake = {-1, -1}};


bool resident_server(void) { return is_server; }

bool resident_serving(void) { return serving; }

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

/* Ends the server: its socket removed (later clients start another), every
   runtime destroyed, then exit(), where the library's exit handler removes
   the homes it keeps. */
static _Noreturn void server_end(int status) {
  remove_socket();
  spares_discard(true);
  exit(status);
}

/* Makes the door thread look at the state again (a run ended, warming did). */
static void wake_door(void) {
  if (write(server.wake[1], "", 1) < 0) { /* a full pipe already wakes it */ }
}

_Noreturn void resident_end_by_signal(int sig) {
  /* Called on any thread (the signal thread, the run's): the client of the
     run, if one is running, ends by the signal, and so does this process, as
     the run's own would have; between runs, the server was told to end. */
  static atomic_flag ending = ATOMIC_FLAG_INIT;
  if (atomic_flag_test_and_set(&ending))
    for (;;) pause(); /* another thread is ending the process */
  /* What the run still writes goes nowhere, as from a process killed. */
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3 && null >= 0; fd++) dup2(null, fd);
  ending_signal = sig;
  server_end(128 + sig);
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
      bool idle = !server.busy && !server.warming;
      pthread_mutex_unlock(&server.lock);
      if (idle) server_end(EXIT_OK);
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
    int probe = connect_to(path);
    if (probe >= 0) {
      close(probe);
      break;
    }
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
  signal(SIGPIPE, SIG_IGN); /* a run's closed pipe is its Python's BrokenPipeError, as in its own process */
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
  spares_discard(false);
  spares_prepare();
  pthread_mutex_lock(&server.lock);
  server.warming = false;
  pthread_mutex_unlock(&server.lock);
  /* The door waited without a deadline while warming: its idle time starts now. */
  wake_door();
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
    spares_discard(false);
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
    wake_door();
    spares_prepare();
  }
  server_end(EXIT_OK); /* runs enough: later clients start a new server */
}

