/* What C code and os.write put on file descriptors 1 and 2, below sys.stdout
 * and sys.stderr (which reach the host through the write import): it goes to
 * the host through the write_fd import, on the calling thread. WASI's own
 * stdout and stderr would carry it too, but Wasmtime serves custom WASI streams
 * from its async runtime, whose worker thread woke twice for every runtime
 * made and dropped; the host configures none, so WASI's fds 1 and 2 discard.
 *
 * python.wasm is linked with --wrap for the three WASI calls below, so every
 * write of wasi-libc (write, writev, stdio) passes here. The descriptors stay
 * the host's until closed or replaced by fd_renumber (after that they are
 * WASI's like any other), and are the host's again in a snapshot's copy.
 * Closing or renumbering a host-served file (files.c) is files.c's. */
#include <wasi/api.h>

#include "bridge.h"

/* 0, or the WASI errno of the host's stream that failed (EPIPE: its reader has gone). */
__attribute__((import_module("pyodide"), import_name("write_fd")))
extern int32_t host_write_fd(int32_t fd, const void* data, uint32_t len);

__wasi_errno_t __real___wasi_fd_write(__wasi_fd_t fd, const __wasi_ciovec_t* iovs, size_t iovs_len,
                                      __wasi_size_t* written);
__wasi_errno_t __real___wasi_fd_close(__wasi_fd_t fd);
__wasi_errno_t __real___wasi_fd_renumber(__wasi_fd_t fd, __wasi_fd_t to);

/* Whether fd 1 (index 1) and fd 2 (index 2) still go to the host. */
static uint8_t to_host[3] = {0, 1, 1};

static int goes_to_host(__wasi_fd_t fd) { return fd < 3 && to_host[fd]; }

__wasi_errno_t __wrap___wasi_fd_write(__wasi_fd_t fd, const __wasi_ciovec_t* iovs, size_t iovs_len,
                                      __wasi_size_t* written) {
  if (files_is_open(fd)) return files_write(fd, iovs, iovs_len, NULL, written);
  if (!goes_to_host(fd)) return __real___wasi_fd_write(fd, iovs, iovs_len, written);
  __wasi_size_t total = 0;
  for (size_t i = 0; i < iovs_len; i++) {
    if (iovs[i].buf_len) {
      int32_t err = host_write_fd((int32_t)fd, iovs[i].buf, (uint32_t)iovs[i].buf_len);
      /* What went before the failure counts as written, as with a short write. */
      if (err != 0 && total == 0) return (__wasi_errno_t)err;
      if (err != 0) break;
    }
    total += (__wasi_size_t)iovs[i].buf_len;
  }
  *written = total;
  return __WASI_ERRNO_SUCCESS;
}

__wasi_errno_t __wrap___wasi_fd_close(__wasi_fd_t fd) {
  if (files_is_open(fd)) return files_close(fd);
  __wasi_errno_t err = __real___wasi_fd_close(fd);
  if (err == __WASI_ERRNO_SUCCESS) {
    if (fd < 3) to_host[fd] = 0;
    readdir_closed(fd);
    stat_forget(fd);
  }
  return err;
}

/* In a copy of a saved runtime, whose WASI fds 1 and 2 are new: they are the new
 * host's again, whatever the saving runtime did to its own. Writes only if needed,
 * so a restore does not copy this page for nothing. */
void stdio_restored(void) {
  if (!to_host[1]) to_host[1] = 1;
  if (!to_host[2]) to_host[2] = 1;
}

__wasi_errno_t __wrap___wasi_fd_renumber(__wasi_fd_t fd, __wasi_fd_t to) {
  if (files_is_open(fd) || files_is_open(to)) return files_renumber(fd, to);
  __wasi_errno_t err = __real___wasi_fd_renumber(fd, to);
  if (err == __WASI_ERRNO_SUCCESS) {
    if (fd < 3) to_host[fd] = 0;
    if (to < 3) to_host[to] = 0;
    readdir_closed(fd);
    readdir_closed(to);
    stat_forget(fd);
    stat_forget(to);
  }
  return err;
}
