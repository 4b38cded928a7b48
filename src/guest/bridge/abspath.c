/*
 * Absolute paths that climb out of the preopened directory they start in.
 *
 * WASI's libc resolves an absolute path (a relative one joined to the working
 * directory first) by the preopen with the longest prefix that holds it and
 * hands the rest to WASI relative to that directory, and Wasmtime refuses a
 * rest that climbs above it (EPERM). So "/home/pyodide/..", "/lib/../tmp",
 * os.chdir("..") in the home, or a script's os.path.join(here, "..", "data")
 * in a mounted directory failed where Linux gives "/home", "/tmp", the parent
 * and the mount's sibling. Here such a path is looked up again with its empty,
 * "." and ".." components folded away by name, as Linux resolves a path none
 * of whose components before a ".." is a symbolic link. Only a path WASI would
 * refuse is folded: one whose rest stays inside its preopen goes to WASI as it
 * is, so a link inside keeps the meaning WASI gives it.
 *
 * The working directory is what chdir was given, as wasi-libc keeps it: so
 * os.chdir("..") from /home left "/home/.." for os.getcwd(), which Linux
 * would say is "/". chdir folds its path first, as a shell's cd does.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "bridge.h"

int __real___wasilibc_find_abspath(const char* path, const char** abs_prefix, const char** relative_path);
int __real_chdir(const char* path);

/* Where the path component starting at `p` ends: its next '/' or NUL. */
static const char* component_end(const char* p) {
  while (*p != '\0' && *p != '/') p++;
  return p;
}

/* Whether `relative` (what is left of a path beneath its preopen) climbs above
 * that directory at some component. */
static int climbs_out(const char* relative) {
  int depth = 0;
  for (const char* p = relative; *p != '\0';) {
    const char* end = component_end(p);
    size_t n = (size_t)(end - p);
    if (n == 2 && p[0] == '.' && p[1] == '.') {
      if (--depth < 0) return 1;
    } else if (n > 0 && !(n == 1 && p[0] == '.')) {
      depth++;
    }
    p = *end == '/' ? end + 1 : end;
  }
  return 0;
}

/* The absolute `path` with its empty, "." and ".." components folded away (".."
 * of the root is the root), in `out` of `cap` bytes. Returns 0 if it does not fit. */
static int fold(const char* path, char* out, size_t cap) {
  size_t len = 0; /* out[0..len) is "" for the root, else "/a/b" */
  for (const char* p = path; *p != '\0';) {
    while (*p == '/') p++;
    const char* end = component_end(p);
    size_t n = (size_t)(end - p);
    if (n == 2 && p[0] == '.' && p[1] == '.') {
      while (len > 0 && out[--len] != '/') {
      }
    } else if (n > 0 && !(n == 1 && p[0] == '.')) {
      if (len + 1 + n + 1 > cap) return 0;
      out[len++] = '/';
      memcpy(out + len, p, n);
      len += n;
    }
    p = end;
  }
  if (len == 0) out[len++] = '/';
  out[len] = '\0';
  return 1;
}

/* wasi-libc's lookup of an absolute path among the preopens (its working
 * directory's code calls it for every path): as before, unless the rest climbs
 * out of the preopen found; then the folded path's. The folded path lives in a
 * static buffer until the next call: wasi-libc copies the rest at once. */
int __wrap___wasilibc_find_abspath(const char* path, const char** abs_prefix, const char** relative_path) {
  int fd = __real___wasilibc_find_abspath(path, abs_prefix, relative_path);
  if (fd < 0 || !climbs_out(*relative_path)) return fd;
  static char folded[PATH_MAX];
  if (!fold(path, folded, sizeof folded)) return fd;
  return __real___wasilibc_find_abspath(folded, abs_prefix, relative_path);
}

/* The non-empty `path` made absolute (joined to the working directory if it
 * is not) and folded, in `folded`; 0 if it does not fit. */
static int absolute_folded(const char* path, char folded[PATH_MAX]) {
  if (path[0] == '/') return fold(path, folded, PATH_MAX);
  char absolute[PATH_MAX];
  size_t len = getcwd(absolute, sizeof absolute) != NULL ? strlen(absolute) : 0;
  size_t n = strlen(path);
  if (len == 0 || len + 1 + n + 1 > sizeof absolute) return 0;
  absolute[len] = '/';
  memcpy(absolute + len + 1, path, n + 1);
  return fold(absolute, folded, PATH_MAX);
}

/* chdir(path) with `path` made absolute and folded first; an empty one is
 * ENOENT, as on Linux (wasi-libc's took it for the working directory). */
int __wrap_chdir(const char* path) {
  static char folded[PATH_MAX];
  if (path[0] == '\0') {
    errno = ENOENT;
    return -1;
  }
  return __real_chdir(absolute_folded(path, folded) ? folded : path);
}

int preopen_path(const char* path, char buffer[PATH_MAX], const char** relative) {
  if (path[0] == '\0') {
    errno = ENOENT;
    return -1;
  }
  if (!absolute_folded(path, buffer)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  const char* prefix;
  int fd = __real___wasilibc_find_abspath(buffer, &prefix, relative);
  if (fd < 0) return -1;
  if (**relative == '\0') *relative = ".";
  int preopen = preopen_index((uint32_t)fd);
  if (preopen < 0) errno = ENOTSUP;
  return preopen;
}
