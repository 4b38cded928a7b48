/* Run by sqlite3_initialize() through -DSQLITE_EXTRA_INIT=pyodide_sqlite_wasi_init:
 * makes "unix-dotfile" the default VFS, as SQLite >= 3.41 does for WASI,
 * since WASI has no fcntl() byte-range locks. */
#include "sqlite3.h"

int pyodide_sqlite_wasi_init(const char *unused) {
  (void)unused;
  sqlite3_vfs *vfs = sqlite3_vfs_find("unix-dotfile");
  return vfs ? sqlite3_vfs_register(vfs, 1) : SQLITE_ERROR;
}
