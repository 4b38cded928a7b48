/*
 * WASI's stat of a path beneath a preopened directory, answered by the host.
 *
 * Every stat (os.stat, os.lstat, os.path.exists and isfile, pathlib's) is a
 * path_filestat_get on a preopened directory's fd, which Wasmtime (50.0.1) runs
 * on a thread of its blocking pool: 60-100 us a call here, against ~1 us
 * natively. The host resolves the path itself as WASI does (openat2 beneath the
 * directory) and writes the filestat WASI would (Guest/WasiFilestat.cs: the same
 * inode numbers, device and times). It knows the preopens by WASI's numbering,
 * from fd 3 in the order it gave them, so it is asked only while an fd is still
 * the preopen WASI gave it: once closed or renumbered over (stdio.c's wrappers
 * call stat_forget), that fd's stats go to WASI, as does every path the host
 * does not answer (another spelling, a path that leaves the directory, other
 * file types).
 */
#include <string.h>
#include <sys/stat.h>
#include <wasi/api.h>

#include "bridge.h"

__attribute__((import_module("pyodide"), import_name("stat_at")))
extern int32_t host_stat_at(int32_t preopen, int32_t follow, const char* path, uint32_t len,
                            __wasi_filestat_t* answer);

__wasi_errno_t __real___wasi_path_filestat_get(__wasi_fd_t fd, __wasi_lookupflags_t flags,
                                               const char* path, __wasi_filestat_t* answer);

#define FIRST_PREOPEN 3
/* The preopens followed; a runtime has /lib, its home and its mounts. */
#define PREOPENS 64

/* Preopens' fds that are no longer what WASI gave (1), by fd - FIRST_PREOPEN. */
static uint8_t forgotten[PREOPENS];

void stat_forget(uint32_t fd) {
  if (fd >= FIRST_PREOPEN && fd < FIRST_PREOPEN + PREOPENS) forgotten[fd - FIRST_PREOPEN] = 1;
}

void stat_restored(void) {
  /* Writes only if needed, so a restore does not copy this page for nothing. */
  for (int i = 0; i < PREOPENS; i++) {
    if (forgotten[i]) {
      memset(forgotten, 0, sizeof forgotten);
      return;
    }
  }
}

int preopen_index(uint32_t fd) {
  return fd >= FIRST_PREOPEN && fd < FIRST_PREOPEN + PREOPENS && !forgotten[fd - FIRST_PREOPEN]
           ? (int)(fd - FIRST_PREOPEN)
           : -1;
}

__wasi_errno_t __wrap___wasi_path_filestat_get(__wasi_fd_t fd, __wasi_lookupflags_t flags,
                                               const char* path, __wasi_filestat_t* answer) {
  int preopen = preopen_index(fd);
  if (preopen >= 0) {
    int32_t found = host_stat_at(preopen, (flags & __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW) != 0,
                                 path, (uint32_t)strlen(path), answer);
    if (found == 0) {
      stat_note_mode(answer);
      return __WASI_ERRNO_SUCCESS;
    }
    if (found == HOST_MISSING) return __WASI_ERRNO_NOENT;
  }
  return __real___wasi_path_filestat_get(fd, flags, path, answer);
}

__wasi_errno_t stat_lookup(__wasi_fd_t fd, const char* path) {
  __wasi_filestat_t answer;
  return __wrap___wasi_path_filestat_get(fd, 0, path, &answer);
}

/* WASI has no permission bits: every stat said mode 0 beside the file's type
 * (os.stat(p).st_mode was 0o100000, stat.filemode '-?---------'), so archives
 * made in the sandbox stored files no one may read (tarfile and zipfile take
 * the mode from os.stat, and tarfile's extraction applies it). The host's
 * answers carry the file's own bits where WASI's filestat has padding
 * (Guest/WasiFilestat.cs), as os.chmod sets them (chmod.c); a stat WASI
 * answers gives the modes a file made by an ordinary user with python3's
 * default umask would have: directories 0o755, links 0o777, character
 * devices 0o666, others 0o644. Every stat, lstat and fstatat reaches
 * __wasilibc_nocwd_fstatat; fstat is its own (both wrapped by build-guest.sh),
 * and each makes one filestat call, whose host answer stat_note_mode keeps
 * for it here. */
enum { HOST_MODE = 0x8000 }; /* set in the host's bits */
static uint16_t host_mode;

void stat_note_mode(const __wasi_filestat_t* answer) {
  memcpy(&host_mode, (const char*)answer + 18, sizeof host_mode);
}

static void add_permissions(struct stat* st) {
  uint16_t mode = host_mode;
  host_mode = 0;
  if (st->st_mode & 07777) return;
  if (mode & HOST_MODE) {
    st->st_mode |= mode & 07777;
    return;
  }
  switch (st->st_mode & S_IFMT) {
    case S_IFDIR: st->st_mode |= 0755; break;
    case S_IFLNK: st->st_mode |= 0777; break;
    case S_IFCHR: st->st_mode |= 0666; break;
    default: st->st_mode |= 0644; break;
  }
}

int __real___wasilibc_nocwd_fstatat(int fd, const char* path, struct stat* st, int flags);
int __wrap___wasilibc_nocwd_fstatat(int fd, const char* path, struct stat* st, int flags) {
  host_mode = 0;
  int result = __real___wasilibc_nocwd_fstatat(fd, path, st, flags);
  if (result == 0) add_permissions(st);
  return result;
}

int __real_fstat(int fd, struct stat* st);
int __wrap_fstat(int fd, struct stat* st) {
  host_mode = 0;
  int result = __real_fstat(fd, st);
  if (result == 0) add_permissions(st);
  return result;
}
