/* Force-included (-include) when compiling SQLite 3.40's amalgamation for
 * wasm32-wasi with Debian's wasi-libc. SQLite gained the same treatment
 * upstream in 3.41 (SQLITE_WASI): wasi-libc has no fchmod/fchown/geteuid and
 * no POSIX advisory locks. The lock constants only need to exist: the default
 * VFS is switched to "unix-dotfile" (see sqlite-wasi-init.c), which locks with
 * mkdir/rmdir and never calls fcntl(F_SETLK).
 *
 * lstat: SQLite canonicalizes a path by lstat()ing each of its components
 * and treats any error but ENOENT as fatal. In WASI a directory above the
 * preopens ("/home" of the preopen "/home/pyodide") cannot be reached and
 * gives ENOTCAPABLE, so "/home/pyodide/x.db" could not be opened; report
 * those as ENOENT (the component is then taken as it is). */
#ifndef PYODIDE_SQLITE_WASI_H
#define PYODIDE_SQLITE_WASI_H
#include <sys/types.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>

#ifndef F_RDLCK
# define F_RDLCK 0
# define F_WRLCK 1
# define F_UNLCK 2
# define F_GETLK 12
# define F_SETLK 13
# define F_SETLKW 14
#endif

static inline int fchmod(int fd, mode_t mode) { (void)fd; (void)mode; return 0; }
static inline int fchown(int fd, uid_t uid, gid_t gid) { (void)fd; (void)uid; (void)gid; return 0; }
static inline uid_t geteuid(void) { return 0; }

static inline int pyodide_sqlite_lstat(const char *path, struct stat *buf) {
  int rc = lstat(path, buf);
  if (rc != 0 && errno == ENOTCAPABLE) errno = ENOENT;
  return rc;
}
#define lstat pyodide_sqlite_lstat

#endif
