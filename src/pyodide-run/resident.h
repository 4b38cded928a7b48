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
 *
 *   resident.c         what both halves share: the identity, the socket's
 *                      place, the protocol's messages
 *   resident_client.c  the client: hands a run over and follows it
 *   resident_server.c  the server: the door thread, the runs, its end
 *   resident_spares.c  the runtimes a server makes ahead for the next runs
 */
#ifndef PYODIDE_RUN_RESIDENT_H
#define PYODIDE_RUN_RESIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "cli.h"

#define SERVE_FLAG "--resident-serve"
#define REQUEST_MAGIC 0x50595253u /* "PYRS" */
#define PROTOCOL_VERSION 2u
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
  uint32_t argc;
  uint32_t payload;
} request_header_t;

enum { REQUEST_FDS = 4 };


/* The longest socket path. */
enum { SOCKET_PATH_MAX = sizeof(((struct sockaddr_un*)0)->sun_path) };

/* ---- resident.c ---- */

/* A growing NUL-terminated byte buffer; `failed` once an allocation failed. */
typedef struct {
  char* data;
  size_t len, cap;
  bool failed;
} buffer_t;

void buffer_add(buffer_t* b, const void* data, size_t len);
/* Everything of this process that a run could notice and that a server
   inherits from the client that started it (malloc'd; NULL on failure). */
char* process_identity(void);
/* The socket's path for `identity` in the user's directory of servers (made
   if missing); false (errno set) if that directory is not the user's alone. */
bool socket_path(const char* identity, char path[SOCKET_PATH_MAX]);
bool fill_address(struct sockaddr_un* addr, const char* path);
/* A socket connected to the server at `path`, or -1 (errno set). */
int connect_to(const char* path);
/* The user id of the socket's other end (and its process id), or -1. */
long peer_uid(int fd, pid_t* pid);
/* The whole buffer, retrying on EINTR, never raising SIGPIPE; false on an
   error or the end of the stream. */
bool send_all(int fd, const void* data, size_t len);
bool recv_all(int fd, void* data, size_t len);
/* An END_* message. */
bool send_end(int fd, char kind, int32_t value);

/* ---- resident_spares.c ---- */

/* Destroys the runtimes retired since the last call and, with `all`, every
   one made ahead, making no more after. */
void spares_discard(bool all);
/* Makes a runtime for each recent configuration that has none. */
void spares_prepare(void);

#endif
