/*
 * A resident pyodide-run's client (resident.h): pyodide-run as the user
 * starts it, with PYODIDE_RUN_RESIDENT set. It finds (or starts) the server
 * for its identity, hands it the run, passes its signals on, and ends as the
 * run ended.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "resident.h"

extern char** environ;

/* How long a client waits for a server to start or to become free, when it
   must not start in full (PYODIDE_RUN_RESIDENT_REQUIRED=1). A cold cache
   compiles the interpreter first. */
#define REQUIRED_WAIT_S 120

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

/* Sends the run; returns the server's reply byte, or 0 if it could not. */
static char hand_over(int fd, const char* identity, int argc, char** argv) {
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
                        .argc = (uint32_t)argc,
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
  char path[SOCKET_PATH_MAX];
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
    char reply = hand_over(fd, identity, argc, argv);
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

