/*
 * pyodide-bake-snapshot FILE — writes the library's built-in snapshot: a
 * runtime that has just started, saved with pyodide_snapshot_save. build.sh
 * and build.ps1 run it after building libpyodide.so and python.wasm and put
 * FILE beside python.wasm as python.snapshot, which every runtime without
 * pyodide_config_t.snapshot then starts from (even the first of a process).
 * The runtime saved here starts in full (PYODIDE_NO_SNAPSHOT=1), never from
 * an older built-in snapshot.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>

#include "pyodide.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s FILE\n", argv[0]);
    return 2;
  }
  setenv("PYODIDE_NO_SNAPSHOT", "1", 1);
  pyodide_t* runtime = NULL;
  pyodide_error_t* err = pyodide_load(NULL, &runtime);
  if (err == NULL) err = pyodide_snapshot_save(runtime, argv[1]);
  pyodide_destroy(runtime);
  if (err != NULL) {
    fprintf(stderr, "%s: %s\n", argv[0], pyodide_error_message(err));
    pyodide_error_delete(err);
    return 1;
  }
  return 0;
}
