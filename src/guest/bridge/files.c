/*
 * Files opened beneath a preopened directory, served by the host.
 *
 * Wasmtime (50.0.1) runs WASI's path_open, fd_read, fd_write and
 * fd_filestat_get on a thread of its blocking pool, so `open(p, 'rb').read()`
 * of a small file cost 200-300 us (four such calls) against ~7 us natively.
 * Here a path_open of a plain relative path beneath a preopen that is still
 * WASI's (stat.c's numbering) asks the host, when it only reads, or writes
 * with at most O_CREAT, O_TRUNC or O_EXCL (how_to_open; no sync flag): the
 * host resolves the path as WASI does (openat2 beneath the directory), opens
 * the regular file it finds and keeps it. Anything else (a directory, a FIFO,
 * writing in a read-only directory, an error other than a missing path) goes
 * to WASI as before (a directory it opens beneath a preopen is listed by the
 * host: readdir.c). The host also opens the devices of the root's /dev
 * (null, zero, random, urandom: Guest/SandboxDevices.cs), which WASI does not
 * have, and serves stdin, stdout and stderr there as the runtime's standard
 * streams (no offset: seeking is ESPIPE), or answers a WASI errno for them.
 * The descriptor the guest gets is numbered from FIRST_FILE_FD, where WASI's
 * own never reach (it numbers from the highest it freed, else past its
 * highest), and every WASI call on it is answered here
 * as Wasmtime answers for a file it opened so: the same data, offsets and
 * appends, the same filestat (Guest/WasiFilestat.cs), fdstat, flags and
 * errors. Calls that WASI answers the same for a descriptor it does not know
 * (listings, paths relative to a file: EBADF) are left to it. fd_write,
 * fd_close and fd_renumber are stdio.c's wrappers, which call files_write,
 * files_close and files_renumber.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <wasi/api.h>

#include "bridge.h"

__attribute__((import_module("pyodide"), import_name("file_open")))
extern int32_t host_file_open(int32_t preopen, int32_t follow, const char* path, uint32_t len, int32_t how,
                              int32_t* writable);
__attribute__((import_module("pyodide"), import_name("file_read")))
extern int32_t host_file_read(int32_t file, uint8_t* buf, uint32_t len, const uint64_t* offset, __wasi_size_t* nread);
__attribute__((import_module("pyodide"), import_name("file_write")))
extern int32_t host_file_write(int32_t file, const uint8_t* buf, uint32_t len, const uint64_t* offset, int32_t append,
                               __wasi_size_t* written);
__attribute__((import_module("pyodide"), import_name("file_set_size")))
extern int32_t host_file_set_size(int32_t file, const uint64_t* size);
__attribute__((import_module("pyodide"), import_name("file_seek")))
extern int32_t host_file_seek(int32_t file, int64_t* offset, int32_t whence);
__attribute__((import_module("pyodide"), import_name("file_stat")))
extern int32_t host_file_stat(int32_t file, __wasi_filestat_t* answer);
__attribute__((import_module("pyodide"), import_name("file_sync")))
extern int32_t host_file_sync(int32_t file, int32_t data_only);
__attribute__((import_module("pyodide"), import_name("file_set_times")))
extern int32_t host_file_set_times(int32_t file, const __wasi_timestamp_t* times, int32_t flags);
__attribute__((import_module("pyodide"), import_name("file_close")))
extern void host_file_close(int32_t file);

__wasi_errno_t __real___wasi_path_open(__wasi_fd_t fd, __wasi_lookupflags_t dirflags, const char* path,
                                       __wasi_oflags_t oflags, __wasi_rights_t base, __wasi_rights_t inheriting,
                                       __wasi_fdflags_t fdflags, __wasi_fd_t* opened);
__wasi_errno_t __real___wasi_fd_read(__wasi_fd_t fd, const __wasi_iovec_t* iovs, size_t iovs_len, __wasi_size_t* nread);
__wasi_errno_t __real___wasi_fd_pwrite(__wasi_fd_t fd, const __wasi_ciovec_t* iovs, size_t iovs_len,
                                       __wasi_filesize_t offset, __wasi_size_t* written);
__wasi_errno_t __real___wasi_fd_pread(__wasi_fd_t fd, const __wasi_iovec_t* iovs, size_t iovs_len,
                                      __wasi_filesize_t offset, __wasi_size_t* nread);
__wasi_errno_t __real___wasi_fd_seek(__wasi_fd_t fd, __wasi_filedelta_t offset, __wasi_whence_t whence,
                                     __wasi_filesize_t* position);
__wasi_errno_t __real___wasi_fd_tell(__wasi_fd_t fd, __wasi_filesize_t* position);
__wasi_errno_t __real___wasi_fd_filestat_get(__wasi_fd_t fd, __wasi_filestat_t* answer);
__wasi_errno_t __real___wasi_fd_fdstat_get(__wasi_fd_t fd, __wasi_fdstat_t* answer);
__wasi_errno_t __real___wasi_fd_fdstat_set_flags(__wasi_fd_t fd, __wasi_fdflags_t flags);
__wasi_errno_t __real___wasi_fd_fdstat_set_rights(__wasi_fd_t fd, __wasi_rights_t base, __wasi_rights_t inheriting);
__wasi_errno_t __real___wasi_fd_advise(__wasi_fd_t fd, __wasi_filesize_t offset, __wasi_filesize_t len,
                                       __wasi_advice_t advice);
__wasi_errno_t __real___wasi_fd_allocate(__wasi_fd_t fd, __wasi_filesize_t offset, __wasi_filesize_t len);
__wasi_errno_t __real___wasi_fd_datasync(__wasi_fd_t fd);
__wasi_errno_t __real___wasi_fd_sync(__wasi_fd_t fd);
__wasi_errno_t __real___wasi_fd_filestat_set_size(__wasi_fd_t fd, __wasi_filesize_t size);
__wasi_errno_t __real___wasi_fd_filestat_set_times(__wasi_fd_t fd, __wasi_timestamp_t atim, __wasi_timestamp_t mtim,
                                                   __wasi_fstflags_t flags);
__wasi_errno_t __real___wasi_fd_prestat_dir_name(__wasi_fd_t fd, uint8_t* path, __wasi_size_t len);
__wasi_errno_t __real___wasi_poll_oneoff(const __wasi_subscription_t* in, __wasi_event_t* out, __wasi_size_t n,
                                         __wasi_size_t* nevents);
__wasi_errno_t __real___wasi_sock_accept(__wasi_fd_t fd, __wasi_fdflags_t flags, __wasi_fd_t* accepted);
__wasi_errno_t __real___wasi_sock_recv(__wasi_fd_t fd, const __wasi_iovec_t* data, size_t len, __wasi_riflags_t flags,
                                       __wasi_size_t* received, __wasi_roflags_t* out_flags);
__wasi_errno_t __real___wasi_sock_send(__wasi_fd_t fd, const __wasi_ciovec_t* data, size_t len,
                                       __wasi_siflags_t flags, __wasi_size_t* sent);
__wasi_errno_t __real___wasi_sock_shutdown(__wasi_fd_t fd, __wasi_sdflags_t how);

/* The first descriptor number of a host-served file, and how many may be open
 * at once (a program opening more gets WASI's for the rest). */
#define FIRST_FILE_FD ((__wasi_fd_t)1 << 30)
#define FILES 256

typedef struct {
  int32_t file; /* the host's number for it + 1; 0: the slot is free */
  __wasi_fdflags_t flags; /* APPEND and NONBLOCK, as fd_fdstat_set_flags left them */
  /* Whether its directory is writable: WASI then lets a file opened read-only have
   * its times set, its size set tried (the host refuses) and waits for writing. */
  uint8_t in_writable;
  uint8_t access; /* HOW_READ and HOW_WRITE: how it was opened */
} open_file_t;

/* How the host opens a file (file_open's `how`). */
enum { HOW_READ = 1, HOW_WRITE = 2, HOW_CREATE = 4, HOW_EXCLUSIVE = 8, HOW_TRUNCATE = 16, HOW_MODE = 32 };
enum { HOW_MODE_SHIFT = 16 }; /* with HOW_MODE, a made file's permission bits, here */

/* The mode the open being made gives a file it creates (less the umask), or
 * -1: open and openat (wrapped by build-guest.sh) keep it for path_open, as
 * WASI's path_open takes none. */
static int creating_mode = -1;

int __real_open(const char* path, int flags, ...);
int __real_openat(int dir, const char* path, int flags, ...);

enum { NO_DIR = INT_MIN }; /* for open_keeping_mode: open, not openat */

static int open_keeping_mode(int dir, const char* path, int flags, int mode) {
  if (flags & O_CREAT) creating_mode = created_mode(mode);
  int fd = dir == NO_DIR ? __real_open(path, flags, mode) : __real_openat(dir, path, flags, mode);
  creating_mode = -1;
  return fd;
}

int __wrap_open(const char* path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  int mode = flags & O_CREAT ? va_arg(args, int) : 0;
  va_end(args);
  return open_keeping_mode(NO_DIR, path, flags, mode);
}

int __wrap_openat(int dir, const char* path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  int mode = flags & O_CREAT ? va_arg(args, int) : 0;
  va_end(args);
  return open_keeping_mode(dir, path, flags, mode);
}

static open_file_t files[FILES];
static uint32_t files_open;

/* Every right, as Wasmtime reports for a file before taking out what its access lacks. */
#define ALL_RIGHTS (((__wasi_rights_t)1 << 30) - 1)
#define SETTABLE_FDFLAGS (__WASI_FDFLAGS_APPEND | __WASI_FDFLAGS_NONBLOCK)
#define SYNC_FDFLAGS (__WASI_FDFLAGS_DSYNC | __WASI_FDFLAGS_RSYNC | __WASI_FDFLAGS_SYNC)

static open_file_t* file_of(__wasi_fd_t fd) {
  uint32_t slot = fd - FIRST_FILE_FD; /* below the first: wraps past FILES */
  return slot < FILES && files[slot].file != 0 ? &files[slot] : NULL;
}

int files_is_open(uint32_t fd) { return file_of(fd) != NULL; }

int32_t files_host_number(uint32_t fd) {
  open_file_t* f = file_of(fd);
  return f != NULL ? f->file - 1 : -1;
}

uint32_t files_count(void) { return files_open; }

__attribute__((import_module("pyodide"), import_name("file_set_mode")))
extern int32_t host_file_set_mode(int32_t file, int32_t mode);

__wasi_errno_t files_set_mode(uint32_t fd, int mode) {
  open_file_t* f = file_of(fd);
  if (!f->in_writable) return __WASI_ERRNO_ROFS; /* as Linux's read-only file system says */
  return (__wasi_errno_t)host_file_set_mode(f->file - 1, mode);
}

__wasi_errno_t files_close(uint32_t fd) {
  open_file_t* f = file_of(fd);
  host_file_close(f->file - 1);
  *f = (open_file_t){0};
  files_open--;
  return __WASI_ERRNO_SUCCESS;
}

__wasi_errno_t files_renumber(uint32_t fd, uint32_t to) {
  open_file_t *from_file = file_of(fd), *to_file = file_of(to);
  if (from_file != NULL && to_file != NULL) {
    if (fd == to) return __WASI_ERRNO_SUCCESS;
    host_file_close(to_file->file - 1);
    *to_file = *from_file;
    *from_file = (open_file_t){0};
    files_open--;
    return __WASI_ERRNO_SUCCESS;
  }
  /* One of the two is WASI's, which cannot take or give a host file's place:
   * WASI's own answer if that one is not open, else not supported. */
  __wasi_fdstat_t stat;
  __wasi_errno_t err = __real___wasi_fd_fdstat_get(from_file != NULL ? to : fd, &stat);
  return err != __WASI_ERRNO_SUCCESS ? err : __WASI_ERRNO_NOTSUP;
}

/* Whether `s` is valid UTF-8 (no surrogates, no overlong forms), which WASI
 * requires of a path before it looks at the directory. */
static int utf8_valid(const unsigned char* s) {
  while (*s) {
    unsigned c = *s++;
    if (c < 0x80) continue;
    int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 ? 1 : -1;
    if (more < 0 || c > 0xF4) return 0;
    unsigned min = more == 3 ? 0x10000 : more == 2 ? 0x800 : 0x80;
    unsigned cp = c & (0x3F >> more);
    for (int i = 0; i < more; i++, s++) {
      if ((*s & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (*s & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  }
  return 1;
}

/* How the host opens what path_open asks for, or 0 where it leaves the open to
 * WASI: reading alone with no flags; writing (and reading) with O_CREAT,
 * O_TRUNC or O_CREAT|O_EXCL (the host opens for writing only in a writable
 * directory, and creates a file only where it is no link). The rest (a
 * directory, O_TRUNC or O_CREAT without writing, O_EXCL alone) is WASI's. */
static int how_to_open(__wasi_rights_t base, __wasi_oflags_t oflags) {
  int reads = (base & __WASI_RIGHTS_FD_READ) != 0, writes = (base & __WASI_RIGHTS_FD_WRITE) != 0;
  if (!writes) return reads && oflags == 0 ? HOW_READ : 0;
  const __wasi_oflags_t known = __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL | __WASI_OFLAGS_TRUNC;
  if ((oflags & ~known) || ((oflags & __WASI_OFLAGS_EXCL) && !(oflags & __WASI_OFLAGS_CREAT))) return 0;
  return (reads ? HOW_READ : 0) | HOW_WRITE | (oflags & __WASI_OFLAGS_CREAT ? HOW_CREATE : 0) |
         (oflags & __WASI_OFLAGS_EXCL ? HOW_EXCLUSIVE : 0) | (oflags & __WASI_OFLAGS_TRUNC ? HOW_TRUNCATE : 0);
}

__wasi_errno_t __wrap___wasi_path_open(__wasi_fd_t fd, __wasi_lookupflags_t dirflags, const char* path,
                                       __wasi_oflags_t oflags, __wasi_rights_t base, __wasi_rights_t inheriting,
                                       __wasi_fdflags_t fdflags, __wasi_fd_t* opened) {
  if (file_of(fd) != NULL) return utf8_valid((const unsigned char*)path) ? __WASI_ERRNO_NOTDIR : __WASI_ERRNO_ILSEQ;
  int preopen = preopen_index(fd);
  int how = preopen >= 0 && !(fdflags & SYNC_FDFLAGS) && files_open < FILES ? how_to_open(base, oflags) : 0;
  if (how & HOW_CREATE && creating_mode >= 0) how |= HOW_MODE | creating_mode << HOW_MODE_SHIFT;
  if (how != 0) {
    int32_t writable = 0;
    int32_t file = host_file_open(preopen, (dirflags & __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW) != 0, path,
                                  (uint32_t)strlen(path), how, &writable);
    if (file == HOST_MISSING) return __WASI_ERRNO_NOENT;
    if (file <= HOST_ERROR_BASE) return (__wasi_errno_t)(HOST_ERROR_BASE - file);
    if (file >= 0) {
      uint32_t slot = 0;
      while (files[slot].file != 0) slot++; /* files_open < FILES: there is a free one */
      files[slot] = (open_file_t){file + 1, fdflags & SETTABLE_FDFLAGS, writable != 0,
                                  (uint8_t)(how & (HOW_READ | HOW_WRITE))};
      files_open++;
      *opened = FIRST_FILE_FD + slot;
      return __WASI_ERRNO_SUCCESS;
    }
  }
  __wasi_errno_t err =
    open_refusal(__real___wasi_path_open(fd, dirflags, path, oflags, base, inheriting, fdflags, opened), fd, path, oflags);
  if (err == __WASI_ERRNO_SUCCESS && preopen >= 0 && (oflags & __WASI_OFLAGS_DIRECTORY))
    readdir_opened(*opened, preopen, (dirflags & __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW) != 0, path);
  return err;
}

/* WASI reads into the first buffer that is not empty, and only that one. */
static const __wasi_iovec_t* first_buffer(const __wasi_iovec_t* iovs, size_t iovs_len) {
  for (size_t i = 0; i < iovs_len; i++)
    if (iovs[i].buf_len != 0) return &iovs[i];
  return NULL;
}

static __wasi_errno_t read_file(open_file_t* f, const __wasi_iovec_t* iovs, size_t iovs_len, const uint64_t* offset,
                                __wasi_size_t* nread) {
  const __wasi_iovec_t* into = first_buffer(iovs, iovs_len);
  static uint8_t none;
  return (__wasi_errno_t)host_file_read(f->file - 1, into ? into->buf : &none, into ? into->buf_len : 0, offset,
                                        nread);
}

__wasi_errno_t __wrap___wasi_fd_read(__wasi_fd_t fd, const __wasi_iovec_t* iovs, size_t iovs_len,
                                     __wasi_size_t* nread) {
  open_file_t* f = file_of(fd);
  if (f == NULL) return __real___wasi_fd_read(fd, iovs, iovs_len, nread);
  return read_file(f, iovs, iovs_len, NULL, nread);
}

__wasi_errno_t __wrap___wasi_fd_pread(__wasi_fd_t fd, const __wasi_iovec_t* iovs, size_t iovs_len,
                                      __wasi_filesize_t offset, __wasi_size_t* nread) {
  open_file_t* f = file_of(fd);
  if (f == NULL) return __real___wasi_fd_pread(fd, iovs, iovs_len, offset, nread);
  return read_file(f, iovs, iovs_len, &offset, nread);
}

/* WASI writes the first buffer that is not empty, and only that one: at the
 * offset (advancing it), or at `offset`; with APPEND, at the end whatever the
 * offset (Linux's pwrite on O_APPEND), the offset then the end after a write
 * at it. */
__wasi_errno_t files_write(uint32_t fd, const __wasi_ciovec_t* iovs, size_t iovs_len, const uint64_t* offset,
                           __wasi_size_t* written) {
  open_file_t* f = file_of(fd);
  const __wasi_ciovec_t* from = NULL;
  for (size_t i = 0; i < iovs_len && from == NULL; i++)
    if (iovs[i].buf_len != 0) from = &iovs[i];
  static const uint8_t none;
  return (__wasi_errno_t)host_file_write(f->file - 1, from ? from->buf : &none, from ? from->buf_len : 0, offset,
                                         (f->flags & __WASI_FDFLAGS_APPEND) != 0, written);
}

__wasi_errno_t __wrap___wasi_fd_pwrite(__wasi_fd_t fd, const __wasi_ciovec_t* iovs, size_t iovs_len,
                                       __wasi_filesize_t offset, __wasi_size_t* written) {
  if (file_of(fd) == NULL) return __real___wasi_fd_pwrite(fd, iovs, iovs_len, offset, written);
  return files_write(fd, iovs, iovs_len, &offset, written);
}

__wasi_errno_t __wrap___wasi_fd_seek(__wasi_fd_t fd, __wasi_filedelta_t offset, __wasi_whence_t whence,
                                     __wasi_filesize_t* position) {
  /* Wasmtime (50.0.1) traps on a whence it does not know (os.lseek(fd, 0, 3) would
   * kill the runtime); the host's lseek has more. Either way: EINVAL. */
  if (whence > __WASI_WHENCE_END) return __WASI_ERRNO_INVAL;
  open_file_t* f = file_of(fd);
  if (f == NULL) return __real___wasi_fd_seek(fd, offset, whence, position);
  int64_t at = offset;
  __wasi_errno_t err = (__wasi_errno_t)host_file_seek(f->file - 1, &at, whence);
  if (err == __WASI_ERRNO_SUCCESS) *position = (__wasi_filesize_t)at;
  return err;
}

__wasi_errno_t __wrap___wasi_fd_tell(__wasi_fd_t fd, __wasi_filesize_t* position) {
  if (file_of(fd) == NULL) return __real___wasi_fd_tell(fd, position);
  return __wrap___wasi_fd_seek(fd, 0, __WASI_WHENCE_CUR, position);
}

__wasi_errno_t __wrap___wasi_fd_filestat_get(__wasi_fd_t fd, __wasi_filestat_t* answer) {
  open_file_t* f = file_of(fd);
  if (f == NULL) return __real___wasi_fd_filestat_get(fd, answer);
  __wasi_errno_t err = (__wasi_errno_t)host_file_stat(f->file - 1, answer);
  if (err == __WASI_ERRNO_SUCCESS) stat_note_mode(answer);
  return err;
}

__wasi_errno_t __wrap___wasi_fd_fdstat_get(__wasi_fd_t fd, __wasi_fdstat_t* answer) {
  open_file_t* f = file_of(fd);
  if (f == NULL) return __real___wasi_fd_fdstat_get(fd, answer);
  __wasi_rights_t rights = ALL_RIGHTS;
  if (!(f->access & HOW_READ)) rights &= ~(__wasi_rights_t)(__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_READDIR);
  if (!(f->access & HOW_WRITE)) rights &= ~(__wasi_rights_t)__WASI_RIGHTS_FD_WRITE;
  *answer = (__wasi_fdstat_t){
    .fs_filetype = __WASI_FILETYPE_REGULAR_FILE,
    .fs_flags = f->flags,
    .fs_rights_base = rights,
    .fs_rights_inheriting = rights,
  };
  return __WASI_ERRNO_SUCCESS;
}

__wasi_errno_t __wrap___wasi_fd_fdstat_set_flags(__wasi_fd_t fd, __wasi_fdflags_t flags) {
  /* Flags WASI does not know: EINVAL, where Wasmtime would trap. */
  if (flags & (__wasi_fdflags_t)~(SETTABLE_FDFLAGS | SYNC_FDFLAGS)) return __WASI_ERRNO_INVAL;
  open_file_t* f = file_of(fd);
  if (f == NULL) return __real___wasi_fd_fdstat_set_flags(fd, flags);
  /* Wasmtime changes APPEND and NONBLOCK only. */
  if (flags & SYNC_FDFLAGS) return __WASI_ERRNO_INVAL;
  f->flags = flags;
  return __WASI_ERRNO_SUCCESS;
}

__wasi_errno_t __wrap___wasi_fd_fdstat_set_rights(__wasi_fd_t fd, __wasi_rights_t base, __wasi_rights_t inheriting) {
  if (file_of(fd) == NULL) return __real___wasi_fd_fdstat_set_rights(fd, base, inheriting);
  return __WASI_ERRNO_NOTSUP;
}

__wasi_errno_t __wrap___wasi_fd_advise(__wasi_fd_t fd, __wasi_filesize_t offset, __wasi_filesize_t len,
                                       __wasi_advice_t advice) {
  if (advice > __WASI_ADVICE_NOREUSE) return __WASI_ERRNO_INVAL; /* where Wasmtime would trap */
  if (file_of(fd) == NULL) return __real___wasi_fd_advise(fd, offset, len, advice);
  /* Advice is a hint: what is checked is what the host's posix_fadvise checks. */
  if ((int64_t)offset < 0 || (int64_t)len < 0) return __WASI_ERRNO_INVAL;
  return __WASI_ERRNO_SUCCESS;
}

__wasi_errno_t __wrap___wasi_fd_allocate(__wasi_fd_t fd, __wasi_filesize_t offset, __wasi_filesize_t len) {
  if (file_of(fd) == NULL) return __real___wasi_fd_allocate(fd, offset, len);
  return __WASI_ERRNO_NOTSUP;
}

__wasi_errno_t __wrap___wasi_fd_datasync(__wasi_fd_t fd) {
  open_file_t* f = file_of(fd);
  if (f == NULL) return __real___wasi_fd_datasync(fd);
  return (__wasi_errno_t)host_file_sync(f->file - 1, 1);
}

__wasi_errno_t __wrap___wasi_fd_sync(__wasi_fd_t fd) {
  open_file_t* f = file_of(fd);
  if (f == NULL) return __real___wasi_fd_sync(fd);
  return (__wasi_errno_t)host_file_sync(f->file - 1, 0);
}

__wasi_errno_t __wrap___wasi_fd_filestat_set_size(__wasi_fd_t fd, __wasi_filesize_t size) {
  open_file_t* f = file_of(fd);
  if (f == NULL) return __real___wasi_fd_filestat_set_size(fd, size);
  /* In a read-only directory WASI refuses; in a writable one it asks the host's
   * ftruncate (which refuses a descriptor not open for writing). */
  if (!f->in_writable) return __WASI_ERRNO_PERM;
  return (__wasi_errno_t)host_file_set_size(f->file - 1, &size);
}

int fstflags_valid(__wasi_fstflags_t flags) {
  const __wasi_fstflags_t known = __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW | __WASI_FSTFLAGS_MTIM |
                                  __WASI_FSTFLAGS_MTIM_NOW;
  return !(flags & ~known) && !((flags & __WASI_FSTFLAGS_ATIM) && (flags & __WASI_FSTFLAGS_ATIM_NOW)) &&
         !((flags & __WASI_FSTFLAGS_MTIM) && (flags & __WASI_FSTFLAGS_MTIM_NOW));
}

__wasi_errno_t __wrap___wasi_fd_filestat_set_times(__wasi_fd_t fd, __wasi_timestamp_t atim, __wasi_timestamp_t mtim,
                                                   __wasi_fstflags_t flags) {
  /* Wasmtime checks the flags before it looks at the fd (and traps on bits it does not know). */
  if (!fstflags_valid(flags)) return __WASI_ERRNO_INVAL;
  open_file_t* f = file_of(fd);
  if (f == NULL) return __real___wasi_fd_filestat_set_times(fd, atim, mtim, flags);
  if (!f->in_writable) return __WASI_ERRNO_PERM; /* WASI refuses in a read-only directory */
  const __wasi_timestamp_t times[2] = {atim, mtim};
  return (__wasi_errno_t)host_file_set_times(f->file - 1, times, flags);
}

__wasi_errno_t __wrap___wasi_fd_prestat_dir_name(__wasi_fd_t fd, uint8_t* path, __wasi_size_t len) {
  if (file_of(fd) == NULL) return __real___wasi_fd_prestat_dir_name(fd, path, len);
  return __WASI_ERRNO_NOTDIR;
}

__wasi_errno_t __wrap___wasi_sock_accept(__wasi_fd_t fd, __wasi_fdflags_t flags, __wasi_fd_t* accepted) {
  if (file_of(fd) == NULL) return __real___wasi_sock_accept(fd, flags, accepted);
  return __WASI_ERRNO_NOTSOCK;
}

__wasi_errno_t __wrap___wasi_sock_recv(__wasi_fd_t fd, const __wasi_iovec_t* data, size_t len, __wasi_riflags_t flags,
                                       __wasi_size_t* received, __wasi_roflags_t* out_flags) {
  if (file_of(fd) == NULL) return __real___wasi_sock_recv(fd, data, len, flags, received, out_flags);
  return __WASI_ERRNO_NOTSOCK;
}

__wasi_errno_t __wrap___wasi_sock_send(__wasi_fd_t fd, const __wasi_ciovec_t* data, size_t len,
                                       __wasi_siflags_t flags, __wasi_size_t* sent) {
  if (file_of(fd) == NULL) return __real___wasi_sock_send(fd, data, len, flags, sent);
  return __WASI_ERRNO_NOTSOCK;
}

__wasi_errno_t __wrap___wasi_sock_shutdown(__wasi_fd_t fd, __wasi_sdflags_t how) {
  if (file_of(fd) == NULL) return __real___wasi_sock_shutdown(fd, how);
  return __WASI_ERRNO_NOTSOCK;
}

/* The host file a subscription waits on, or NULL (a clock, or WASI's fd). */
static open_file_t* file_polled(const __wasi_subscription_t* s) {
  if (s->u.tag != __WASI_EVENTTYPE_FD_READ && s->u.tag != __WASI_EVENTTYPE_FD_WRITE) return NULL;
  return file_of(s->u.u.fd_read.file_descriptor); /* fd_read and fd_write: one layout */
}

/* Subscriptions polled with a host file among them: the file is ready at once
 * (a regular file always is; WASI reports it ready once its thread has read),
 * with WASI's event (nbytes 1, HANGUP at the end of the file); waiting for
 * writing on it is ready too in a writable directory and fails with EPERM in a
 * read-only one, as WASI's write stream for it does. The
 * other subscriptions go to WASI without waiting, and the events come back in
 * the subscriptions' order, as WASI gives them. At most 64 subscriptions are
 * taken so; more go to WASI whole (which knows no host file: EBADF). Python's
 * select() takes no descriptor from FD_SETSIZE (1024) on, so pyodide._bridge
 * waits through poll() when one is given. */
#define POLL_MOST 64

__wasi_errno_t __wrap___wasi_poll_oneoff(const __wasi_subscription_t* in, __wasi_event_t* out, __wasi_size_t n,
                                         __wasi_size_t* nevents) {
  int any = 0;
  for (__wasi_size_t i = 0; i < n && !any; i++) any = file_polled(&in[i]) != NULL;
  if (!any || n > POLL_MOST) return __real___wasi_poll_oneoff(in, out, n, nevents);

  /* WASI's share, each renumbered by its userdata (restored in its event), and
   * a clock that has already expired, so that WASI does not wait. */
  __wasi_subscription_t theirs[POLL_MOST + 1];
  __wasi_event_t their_events[POLL_MOST + 1];
  int16_t their_event_of[POLL_MOST]; /* by subscription: its event in their_events, or -1 */
  __wasi_size_t their_count = 0, their_ready = 0;
  for (__wasi_size_t i = 0; i < n; i++) {
    their_event_of[i] = -1;
    open_file_t* f = file_polled(&in[i]);
    if (f != NULL) {
      if (in[i].u.tag == __WASI_EVENTTYPE_FD_WRITE && !f->in_writable) return __WASI_ERRNO_PERM;
      continue;
    }
    theirs[their_count] = in[i];
    theirs[their_count++].userdata = i;
  }
  if (their_count > 0) {
    theirs[their_count] = (__wasi_subscription_t){.userdata = n, .u = {.tag = __WASI_EVENTTYPE_CLOCK}};
    theirs[their_count].u.u.clock = (__wasi_subscription_clock_t){.id = __WASI_CLOCKID_MONOTONIC, .timeout = 0};
    __wasi_errno_t err = __real___wasi_poll_oneoff(theirs, their_events, their_count + 1, &their_ready);
    if (err != __WASI_ERRNO_SUCCESS) return err;
    for (__wasi_size_t e = 0; e < their_ready; e++)
      if (their_events[e].userdata < n) their_event_of[their_events[e].userdata] = (int16_t)e;
  }

  __wasi_size_t count = 0;
  for (__wasi_size_t i = 0; i < n; i++) {
    if (their_event_of[i] >= 0) {
      out[count] = their_events[their_event_of[i]];
      out[count++].userdata = in[i].userdata;
      continue;
    }
    open_file_t* f = file_polled(&in[i]);
    if (f == NULL) continue;
    if (in[i].u.tag == __WASI_EVENTTYPE_FD_WRITE) {
      out[count++] = (__wasi_event_t){.userdata = in[i].userdata, .type = __WASI_EVENTTYPE_FD_WRITE,
                                      .fd_readwrite = {.nbytes = 1}};
      continue;
    }
    __wasi_filestat_t stat;
    int64_t at = 0;
    __wasi_errno_t err = (__wasi_errno_t)host_file_stat(f->file - 1, &stat);
    if (err == __WASI_ERRNO_SUCCESS) err = (__wasi_errno_t)host_file_seek(f->file - 1, &at, __WASI_WHENCE_CUR);
    /* A standard stream (/dev/stdin) has no offset: said ready, never at its end. */
    int stream = err == __WASI_ERRNO_SPIPE;
    if (err != __WASI_ERRNO_SUCCESS && !stream) return err;
    out[count++] = (__wasi_event_t){
      .userdata = in[i].userdata,
      .error = __WASI_ERRNO_SUCCESS,
      .type = __WASI_EVENTTYPE_FD_READ,
      .fd_readwrite = {.nbytes = 1,
                       .flags = !stream && stat.size <= (uint64_t)at ? __WASI_EVENTRWFLAGS_FD_READWRITE_HANGUP : 0},
    };
  }
  *nevents = count;
  return __WASI_ERRNO_SUCCESS;
}
