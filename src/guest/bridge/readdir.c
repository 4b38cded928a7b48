/*
 * Directory listings in one host call.
 *
 * wasi-libc's readdir asks WASI's fd_readdir for 4 KiB of entries at a time,
 * each call resuming at the cookie of the last entry it used. Wasmtime (50.0.1)
 * answers every call by walking the directory from its start and stating each
 * entry it passes, every stat on a thread of its blocking pool: listing n
 * entries cost about n * n / 100 stats (1 600 entries: 480 ms, against 2 ms
 * natively). Here the first call of a listing (cookie 0) reads the whole
 * directory at once and keeps those bytes for its descriptor; the calls that
 * resume it are answered from them, with the host's entries, cookies and
 * truncation (a window of the same byte stream). A listing is dropped when its
 * descriptor is closed or renumbered (stdio.c's wrappers call readdir_closed)
 * and read again by the next call from cookie 0 (rewinddir, a new opendir).
 *
 * That one call still stats every entry on the blocking pool (1 000 entries:
 * ~30 ms, against 0.4 ms natively). So a directory that WASI opens beneath a
 * preopen (files.c's path_open calls readdir_opened) is opened by the host
 * too, which keeps it beside WASI's descriptor and writes the whole listing as
 * WASI would (the same entries, order, inode numbers, types and cookies); a
 * directory the host does not answer for is listed by WASI as above.
 */
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#include "bridge.h"

__wasi_errno_t __real___wasi_fd_readdir(__wasi_fd_t fd, uint8_t* buf, __wasi_size_t buf_len,
                                        __wasi_dircookie_t cookie, __wasi_size_t* bufused);

__attribute__((import_module("pyodide"), import_name("dir_open")))
extern int32_t host_dir_open(int32_t preopen, int32_t follow, const char* path, uint32_t len);
__attribute__((import_module("pyodide"), import_name("dir_read")))
extern int32_t host_dir_read(int32_t dir, uint8_t* buf, uint32_t cap, int64_t* size);
__attribute__((import_module("pyodide"), import_name("file_close")))
extern void host_dir_close(int32_t dir);

/* WASI's directory descriptors the host holds the same directory for. */
#define HELD 32
typedef struct {
  uint32_t fd; /* + 1; 0: free */
  int32_t dir; /* the host's number for it */
} held_t;
static held_t held[HELD];

void readdir_opened(uint32_t fd, int preopen, int follow, const char* path) {
  for (int i = 0; i < HELD; i++) {
    if (held[i].fd != 0) continue;
    int32_t dir = host_dir_open(preopen, follow, path, (uint32_t)strlen(path));
    if (dir >= 0) held[i] = (held_t){fd + 1, dir};
    return;
  }
}

static held_t* held_of(__wasi_fd_t fd) {
  for (int i = 0; i < HELD; i++)
    if (held[i].fd == fd + 1) return &held[i];
  return NULL;
}

/* Listings kept at once: a program rarely reads more directories than this
 * at the same time; the oldest gives way (its later calls go to the host). */
#define LISTINGS 8
/* The first read's buffer, and the largest listing kept (larger ones are left
 * to the host, a window at a time). */
#define FIRST_READ ((size_t)256 << 10)
#define LARGEST_READ ((size_t)64 << 20)

typedef struct {
  int64_t fd; /* -1: free */
  uint8_t* data;
  size_t len;
} listing_t;

static listing_t listings[LISTINGS] = {
  {-1, NULL, 0}, {-1, NULL, 0}, {-1, NULL, 0}, {-1, NULL, 0},
  {-1, NULL, 0}, {-1, NULL, 0}, {-1, NULL, 0}, {-1, NULL, 0},
};
static unsigned next_victim;

static listing_t* find(__wasi_fd_t fd) {
  for (int i = 0; i < LISTINGS; i++)
    if (listings[i].fd == (int64_t)fd) return &listings[i];
  return NULL;
}

static void forget_listing(uint32_t fd) {
  listing_t* l = find(fd);
  if (l == NULL) return;
  free(l->data);
  *l = (listing_t){-1, NULL, 0};
}

void readdir_closed(uint32_t fd) {
  forget_listing(fd);
  held_t* h = held_of(fd);
  if (h == NULL) return;
  host_dir_close(h->dir);
  *h = (held_t){0, 0};
}

/* The host's listing of `h` into a new buffer (*out, owned by the caller);
 * -1 where the host does not answer. */
static int host_listing(const held_t* h, uint8_t** out, size_t* len) {
  int64_t size = FIRST_READ;
  for (int tries = 0; tries < 3; tries++) { /* a listing that grows between asks: ask again */
    if (size > (int64_t)LARGEST_READ) return -1;
    uint8_t* data = malloc((size_t)size);
    if (data == NULL) return -1;
    int32_t n = host_dir_read(h->dir, data, (uint32_t)size, &size);
    if (n >= 0) {
      *out = data;
      *len = (size_t)n;
      return 0;
    }
    free(data);
    if (n != -2) return -1;
  }
  return -1;
}

/* Reads all of `fd`'s entries from its start into a new buffer (*out, owned
 * by the caller). NOMEM also when the listing is larger than LARGEST_READ. */
static __wasi_errno_t read_all(__wasi_fd_t fd, uint8_t** out, size_t* len) {
  held_t* h = held_of(fd);
  if (h != NULL && host_listing(h, out, len) == 0) return __WASI_ERRNO_SUCCESS;
  for (size_t size = FIRST_READ; size <= LARGEST_READ; size *= 4) {
    uint8_t* data = malloc(size);
    if (data == NULL) return __WASI_ERRNO_NOMEM;
    __wasi_size_t used;
    __wasi_errno_t err = __real___wasi_fd_readdir(fd, data, (__wasi_size_t)size, 0, &used);
    if (err != __WASI_ERRNO_SUCCESS) {
      free(data);
      return err;
    }
    if (used < size) { /* not filled: the listing is complete */
      *out = data;
      *len = used;
      return __WASI_ERRNO_SUCCESS;
    }
    free(data);
  }
  return __WASI_ERRNO_NOMEM;
}

/* Where the entries after the one whose next cookie is `cookie` start in `l`
 * (0 for cookie 0); SIZE_MAX if no entry has that cookie. */
static size_t start_after(const listing_t* l, __wasi_dircookie_t cookie) {
  if (cookie == 0) return 0;
  size_t at = 0;
  while (at + sizeof(__wasi_dirent_t) <= l->len) {
    __wasi_dirent_t entry;
    memcpy(&entry, l->data + at, sizeof entry);
    at += sizeof entry + entry.d_namlen;
    if (entry.d_next == cookie) return at <= l->len ? at : SIZE_MAX;
  }
  return SIZE_MAX;
}

__wasi_errno_t __wrap___wasi_fd_readdir(__wasi_fd_t fd, uint8_t* buf, __wasi_size_t buf_len,
                                        __wasi_dircookie_t cookie, __wasi_size_t* bufused) {
  listing_t* l = find(fd);
  if (cookie == 0) {
    forget_listing(fd);
    uint8_t* data;
    size_t len;
    __wasi_errno_t err = read_all(fd, &data, &len);
    if (err == __WASI_ERRNO_NOMEM) return __real___wasi_fd_readdir(fd, buf, buf_len, cookie, bufused);
    if (err != __WASI_ERRNO_SUCCESS) return err;
    l = &listings[next_victim++ % LISTINGS];
    free(l->data);
    *l = (listing_t){fd, data, len};
  }
  size_t at = l != NULL ? start_after(l, cookie) : SIZE_MAX;
  if (at == SIZE_MAX) return __real___wasi_fd_readdir(fd, buf, buf_len, cookie, bufused);
  size_t n = l->len - at < buf_len ? l->len - at : buf_len;
  memcpy(buf, l->data + at, n);
  *bufused = (__wasi_size_t)n;
  return __WASI_ERRNO_SUCCESS;
}
