/*
 * Paths made, removed, renamed and touched beneath a writable preopened
 * directory, by the host.
 *
 * os.mkdir, os.rmdir, os.unlink, os.rename/os.replace and os.utime of a path
 * are each a WASI path_* call that Wasmtime (50.0.1) runs on a thread of its
 * blocking pool (tens of microseconds a call, more when the thread wakes on
 * another processor). For a plain relative path beneath a preopen that is
 * still WASI's (stat.c's numbering), the host does it: it opens the parent
 * directory beneath the preopen as WASI resolves (openat2), then acts on the
 * last name there, which no system call follows as a link. The host answers
 * only success, and only in a writable directory; whatever it does not do
 * (an error, a read-only directory, another spelling, any other fd) goes to
 * WASI, which does it or gives its own error: a failed call changed nothing,
 * so WASI's attempt is the call as it always was. WASI's refusals beneath a
 * read-only directory (EPERM) are Linux's read-only file system's (EROFS),
 * here and for files.c's opens.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <wasi/api.h>

#include "bridge.h"

__attribute__((import_module("pyodide"), import_name("path_make_directory")))
extern int32_t host_path_make_directory(int32_t preopen, const char* path, uint32_t len, int32_t mode);
__attribute__((import_module("pyodide"), import_name("path_remove")))
extern int32_t host_path_remove(int32_t preopen, const char* path, uint32_t len, int32_t directory);
__attribute__((import_module("pyodide"), import_name("path_rename")))
extern int32_t host_path_rename(int32_t preopen, const char* path, uint32_t len, int32_t to_preopen,
                                const char* to_path, uint32_t to_len);
__attribute__((import_module("pyodide"), import_name("path_set_times")))
extern int32_t host_path_set_times(int32_t preopen, int32_t follow, const char* path, uint32_t len,
                                   const __wasi_timestamp_t* times, int32_t flags);

__wasi_errno_t __real___wasi_path_create_directory(__wasi_fd_t fd, const char* path);
__wasi_errno_t __real___wasi_path_remove_directory(__wasi_fd_t fd, const char* path);
__wasi_errno_t __real___wasi_path_unlink_file(__wasi_fd_t fd, const char* path);
__wasi_errno_t __real___wasi_path_rename(__wasi_fd_t fd, const char* old_path, __wasi_fd_t new_fd,
                                         const char* new_path);
__wasi_errno_t __real___wasi_path_filestat_set_times(__wasi_fd_t fd, __wasi_lookupflags_t flags, const char* path,
                                                     __wasi_timestamp_t atim, __wasi_timestamp_t mtim,
                                                     __wasi_fstflags_t fst_flags);

__wasi_errno_t __real___wasi_path_symlink(const char* old_path, __wasi_fd_t fd, const char* new_path);
__wasi_errno_t __real___wasi_path_link(__wasi_fd_t old_fd, __wasi_lookupflags_t old_flags, const char* old_path,
                                       __wasi_fd_t new_fd, const char* new_path);


__wasi_errno_t read_only_refusal(__wasi_errno_t err, __wasi_fd_t fd) {
  int preopen = preopen_index(fd);
  return err == __WASI_ERRNO_PERM && preopen >= 0 && host_preopen_read_only(preopen) ? __WASI_ERRNO_ROFS : err;
}

/* WASI refuses a change in a read-only directory (EPERM) before it looks the
 * path up, where Linux looks first: removing or renaming a path that is not
 * there is ENOENT (ENOTDIR through a file), making one that is there EEXIST.
 * So Path.unlink(missing_ok=True), mkdir(exist_ok=True) and "remove it if it
 * is there" failed on a read-only mount with PermissionError. `err` is WASI's
 * answer for `path` relative to `fd`; only its EPERM is looked into. */
static __wasi_errno_t as_looked_up(__wasi_errno_t err, __wasi_fd_t fd, const char* path, int making) {
  if (err != __WASI_ERRNO_PERM) return err;
  __wasi_errno_t found = stat_lookup(fd, path);
  if (making && found == __WASI_ERRNO_SUCCESS) return __WASI_ERRNO_EXIST;
  if (!making && (found == __WASI_ERRNO_NOENT || found == __WASI_ERRNO_NOTDIR)) return found;
  return read_only_refusal(err, fd);
}

__wasi_errno_t open_refusal(__wasi_errno_t err, __wasi_fd_t fd, const char* path, __wasi_oflags_t oflags) {
  if (read_only_refusal(err, fd) != __WASI_ERRNO_ROFS) return err;
  __wasi_errno_t found = stat_lookup(fd, path);
  if (found == __WASI_ERRNO_SUCCESS)
    return (oflags & __WASI_OFLAGS_CREAT) && (oflags & __WASI_OFLAGS_EXCL) ? __WASI_ERRNO_EXIST : __WASI_ERRNO_ROFS;
  if (found != __WASI_ERRNO_NOENT && found != __WASI_ERRNO_NOTDIR) return __WASI_ERRNO_ROFS;
  if (!(oflags & __WASI_OFLAGS_CREAT)) return found;
  /* Making it is refused only where the directory it would be made in is. */
  const char* slash = strrchr(path, '/');
  if (slash == NULL) return __WASI_ERRNO_ROFS;
  char* parent = strndup(path, (size_t)(slash - path));
  if (parent == NULL) return __WASI_ERRNO_NOMEM;
  found = stat_lookup(fd, parent);
  free(parent);
  return found == __WASI_ERRNO_SUCCESS ? __WASI_ERRNO_ROFS : found;
}

/* The mode the mkdir being made gives the directory (less the umask), or -1:
 * mkdir and mkdirat (wrapped by build-guest.sh) keep it for
 * path_create_directory, which takes none. */
static int making_mode = -1;

int __real_mkdir(const char* path, mode_t mode);
int __wrap_mkdir(const char* path, mode_t mode) {
  making_mode = created_mode((int)mode);
  int result = __real_mkdir(path, mode);
  making_mode = -1;
  return result;
}

int __real_mkdirat(int dir, const char* path, mode_t mode);
int __wrap_mkdirat(int dir, const char* path, mode_t mode) {
  making_mode = created_mode((int)mode);
  int result = __real_mkdirat(dir, path, mode);
  making_mode = -1;
  return result;
}

__wasi_errno_t __wrap___wasi_path_create_directory(__wasi_fd_t fd, const char* path) {
  int preopen = preopen_index(fd);
  if (preopen >= 0 && host_path_make_directory(preopen, path, (uint32_t)strlen(path), making_mode) == 0)
    return __WASI_ERRNO_SUCCESS;
  return as_looked_up(__real___wasi_path_create_directory(fd, path), fd, path, 1);
}

__wasi_errno_t __wrap___wasi_path_remove_directory(__wasi_fd_t fd, const char* path) {
  int preopen = preopen_index(fd);
  if (preopen >= 0 && host_path_remove(preopen, path, (uint32_t)strlen(path), 1) == 0) return __WASI_ERRNO_SUCCESS;
  return as_looked_up(__real___wasi_path_remove_directory(fd, path), fd, path, 0);
}

__wasi_errno_t __wrap___wasi_path_unlink_file(__wasi_fd_t fd, const char* path) {
  int preopen = preopen_index(fd);
  if (preopen >= 0 && host_path_remove(preopen, path, (uint32_t)strlen(path), 0) == 0) return __WASI_ERRNO_SUCCESS;
  return as_looked_up(__real___wasi_path_unlink_file(fd, path), fd, path, 0);
}

__wasi_errno_t __wrap___wasi_path_rename(__wasi_fd_t fd, const char* old_path, __wasi_fd_t new_fd,
                                         const char* new_path) {
  int from = preopen_index(fd), to = preopen_index(new_fd);
  if (from >= 0 && to >= 0 &&
      host_path_rename(from, old_path, (uint32_t)strlen(old_path), to, new_path, (uint32_t)strlen(new_path)) == 0)
    return __WASI_ERRNO_SUCCESS;
  return as_looked_up(__real___wasi_path_rename(fd, old_path, new_fd, new_path), fd, old_path, 0);
}

__wasi_errno_t __wrap___wasi_path_filestat_set_times(__wasi_fd_t fd, __wasi_lookupflags_t flags, const char* path,
                                                     __wasi_timestamp_t atim, __wasi_timestamp_t mtim,
                                                     __wasi_fstflags_t fst_flags) {
  /* Wasmtime checks the flags before it looks at the path. */
  if (!fstflags_valid(fst_flags)) return __WASI_ERRNO_INVAL;
  int preopen = preopen_index(fd);
  const __wasi_timestamp_t times[2] = {atim, mtim};
  if (preopen >= 0 && host_path_set_times(preopen, (flags & __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW) != 0, path,
                                          (uint32_t)strlen(path), times, fst_flags) == 0)
    return __WASI_ERRNO_SUCCESS;
  return as_looked_up(__real___wasi_path_filestat_set_times(fd, flags, path, atim, mtim, fst_flags), fd, path, 0);
}

__wasi_errno_t __wrap___wasi_path_symlink(const char* old_path, __wasi_fd_t fd, const char* new_path) {
  return read_only_refusal(__real___wasi_path_symlink(old_path, fd, new_path), fd);
}

__wasi_errno_t __wrap___wasi_path_link(__wasi_fd_t old_fd, __wasi_lookupflags_t old_flags, const char* old_path,
                                       __wasi_fd_t new_fd, const char* new_path) {
  return read_only_refusal(__real___wasi_path_link(old_fd, old_flags, old_path, new_fd, new_path), new_fd);
}

/* utimensat and futimens with no times mean "now" for both (os.utime(path),
 * pathlib's touch). This build's wasi-libc reads the times without looking
 * for NULL, so it set them to whatever address 0 held: the epoch; and it
 * refuses UTIME_NOW (EINVAL). Given NULL, these pass the current time. */
int __real_utimensat(int fd, const char* path, const struct timespec times[2], int flags);
int __real_futimens(int fd, const struct timespec times[2]);

static const struct timespec* now_if_null(const struct timespec times[2], struct timespec now[2]) {
  if (times != NULL) return times;
  clock_gettime(CLOCK_REALTIME, &now[0]);
  now[1] = now[0];
  return now;
}

int __wrap_utimensat(int fd, const char* path, const struct timespec times[2], int flags) {
  struct timespec now[2];
  return __real_utimensat(fd, path, now_if_null(times, now), flags);
}

int __wrap_futimens(int fd, const struct timespec times[2]) {
  struct timespec now[2];
  return __real_futimens(fd, now_if_null(times, now));
}
