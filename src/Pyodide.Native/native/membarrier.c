/*
 * Registers the process for membarrier(2)'s private expedited barriers when
 * libpyodide.so is loaded, before the host's main() runs.
 *
 * The library's .NET runtime starts with its first call and registers then
 * (it uses the barrier to flush other threads' write buffers). Linux finishes
 * that registration at once while the process has one thread, but with a
 * second thread it waits for an RCU grace period: 8-10 ms of a threaded
 * host's first pyodide_load here, and most of `pyodide-run -c pass` (whose
 * signal thread starts first). Registration belongs to the process, so the
 * runtime's own call later returns at once. A host that loads the library
 * with dlopen after starting threads pays as before; nothing else changes.
 */
#define _GNU_SOURCE
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((constructor)) static void register_for_membarrier(void) {
  /* Only what the kernel offers; a failure leaves the runtime to try itself. */
  long offered = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0);
  if (offered > 0 && (offered & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED))
    (void)syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0);
}
