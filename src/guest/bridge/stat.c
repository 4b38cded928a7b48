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
    if (found == 0) return __WASI_ERRNO_SUCCESS;
    if (found == HOST_MISSING) return __WASI_ERRNO_NOENT;
  }
  return __real___wasi_path_filestat_get(fd, flags, path, answer);
}
