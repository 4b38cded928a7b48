/* snapshot_child FILE [MEMORY_LIMIT]: test_snapshot.c's other process. Starts a
 * runtime from the snapshot FILE and prints one line, "HASH RANDOM OK COPIED": the
 * restored runtime's hash("abc") and random.random(), 1 if everything the
 * saving runtime had (test_snapshot.c's SETUP) works, else 0, and the KiB of
 * FILE's mappings the load had copied into the process (smaps' "Anonymous",
 * -1 where it cannot be read). On a failed load prints "KIND MESSAGE" and
 * exits 3. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyodide.h"

/* KiB of the mappings of `path` that are private copies, from /proc/self/smaps. */
static long copied_kib(const char* path) {
  FILE* f = fopen("/proc/self/smaps", "r");
  if (f == NULL) return -1;
  char line[4096];
  long total = 0, kib;
  int in_file = 0;
  size_t n = strlen(path);
  while (fgets(line, sizeof line, f) != NULL) {
    size_t len = strcspn(line, "\n");
    char* first_space = strchr(line, ' ');
    if (first_space != NULL && first_space > line && first_space[-1] != ':')
      in_file = len >= n && strncmp(line + len - n, path, n) == 0; /* a mapping's first line */
    else if (in_file && sscanf(line, "Anonymous: %ld kB", &kib) == 1)
      total += kib;
  }
  fclose(f);
  return total;
}

static const char checks[] =
    "import sys\n"
    "ok = all(m in sys.modules for m in ['json', 'decimal', 'sqlite3', 'asyncio', 'email'])\n"
    "ok = ok and len(big) == 100_000 and big['key' + str(77_777)] == 77_777\n"
    "ok = ok and all(big[f'key{i}'] == i for i in range(0, 100_000, 1009))\n"
    "ok = ok and json.loads(json.dumps({'k': [1]})) == {'k': [1]}\n"
    "ok = ok and str(decimal.Decimal('0.1') * 3) == '0.3'\n"
    "ok = ok and sqlite3.connect(':memory:').execute('select 6 * 7').fetchone()[0] == 42\n"
    "ok = ok and asyncio.run(asyncio.sleep(0, 'done')) == 'done'\n"
    "ok = ok and email.message_from_string('Subject: hi\\n\\nbody')['Subject'] == 'hi'\n"
    "import random\n"
    "f'{hash(\"abc\")} {random.random()!r} {int(ok)}'";

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE [MEMORY_LIMIT]\n", argv[0]);
    return 2;
  }
  pyodide_config_t config;
  pyodide_config_init(&config);
  config.snapshot = argv[1];
  if (argc > 2) config.memory_limit = strtoull(argv[2], NULL, 10);
  pyodide_t* runtime;
  pyodide_error_t* err = pyodide_load(&config, &runtime);
  if (err != NULL) {
    printf("%d %s\n", (int)pyodide_error_kind(err), pyodide_error_message(err));
    pyodide_error_delete(err);
    return 3;
  }
  long copied = copied_kib(argv[1]);
  pyodide_value_t line;
  err = pyodide_run_python(runtime, checks, PYODIDE_STRLEN, NULL, &line);
  if (err != NULL) {
    printf("error %s\n", pyodide_error_message(err));
    pyodide_error_delete(err);
    pyodide_destroy(runtime);
    return 1;
  }
  printf("%.*s %ld\n", (int)line.of.str.len, line.of.str.ptr, copied);
  pyodide_value_release(&line);
  pyodide_destroy(runtime);
  return 0;
}
