/*
 * micropip from C: pyodide_set_index_urls and pyodide_install against a PEP 503
 * index served on 127.0.0.1 by Debian's Python (python3.11 -m http.server),
 * holding Debian's real projects repacked as wheels and adversarial entries
 * (native-tests/packages/make-index.sh, in <repo>/build/fixtures/micropip-index).
 */
#define _GNU_SOURCE
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support.h"

typedef struct {
  pid_t pid;
  char url[64]; /* http://127.0.0.1:PORT/simple/ */
} server_t;

static const char* index_dir(void) {
  static char dir[PATH_MAX + 32];
  return dir[0] ? dir : fixture_at(__FILE__, __LINE__, "make-index.sh", "micropip-index", dir, sizeof dir);
}

/* Starts http.server on a free port over the index; it dies with this process. */
static server_t server_start(void) {
  const char* dir = index_dir();
  int out[2];
  if (pipe(out) != 0) harness_fail(__FILE__, __LINE__, "pipe failed");
  server_t server = {0};
  server.pid = fork();
  if (server.pid < 0) harness_fail(__FILE__, __LINE__, "fork failed");
  if (server.pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    dup2(out[1], STDOUT_FILENO);
    freopen("/dev/null", "w", stderr); /* its request log */
    close(out[0]);
    close(out[1]);
    execl("/usr/bin/python3.11", "python3.11", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory",
          dir, (char*)NULL);
    _exit(127);
  }
  close(out[1]);
  FILE* lines = fdopen(out[0], "r");
  char line[256] = "";
  int port = 0;
  /* "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..." */
  if (!fgets(line, sizeof line, lines) || sscanf(line, "Serving HTTP on %*s port %d", &port) != 1)
    harness_fail(__FILE__, __LINE__, "http.server did not start: %s", line);
  fclose(lines); /* the server's later writes then fail quietly (it only logs) */
  snprintf(server.url, sizeof server.url, "http://127.0.0.1:%d/simple/", port);
  return server;
}

static void server_stop(server_t* server) {
  kill(server->pid, SIGTERM);
  waitpid(server->pid, NULL, 0);
}

static pyodide_t* load_with_indexes(const server_t* server) {
  pyodide_t* py = LOAD();
  const char* urls[] = {server->url};
  ASSERT_OK(pyodide_set_index_urls(py, urls, 1));
  return py;
}

TEST(micropip_install_a_dependency_chain) {
  server_t server = server_start();
  pyodide_t* py = load_with_indexes(&server);
  lines_t messages = {0};
  const char* requirements[] = {"importlib-metadata>=4", "attrs"};
  ASSERT_OK(pyodide_install(py, requirements, 2, lines_collect, &messages));
  ASSERT(!messages.bad_termination);
  ASSERT(RUN_BOOL(py, "import importlib_metadata, zipp, more_itertools, attr\n"
                      "importlib_metadata.version('zipp') == '1.0.0' and attr.__version__ == '22.2.0'"));
  ASSERT_CONTAINS(messages.text, "Loaded zipp from http://127.0.0.1:");
  /* Installed again: nothing new. */
  messages.used = 0;
  ASSERT_OK(pyodide_install(py, requirements, 1, lines_collect, &messages));
  ASSERT_CONTAINS(messages.text, "No new packages to install");
  /* freeze() gives a lock file naming what was installed. */
  ASSERT(RUN_BOOL(py, "import json, micropip\n"
                      "lock = json.loads(micropip.freeze())['packages']\n"
                      "lock['importlib-metadata']['depends'] == ['zipp'] and lock['zipp']['depends'] == ['more-itertools']"));
  pyodide_destroy(py);
  server_stop(&server);
}

TEST(micropip_install_errors_name_the_problem) {
  server_t server = server_start();
  pyodide_t* py = load_with_indexes(&server);
  const char* unsatisfiable[] = {"needs-old-six"};
  pyodide_error_t* e = pyodide_install(py, unsatisfiable, 1, NULL, NULL);
  ASSERT(e != NULL);
  ASSERT_STREQ(pyodide_error_type(e), "ValueError");
  ASSERT_CONTAINS(pyodide_error_message(e), "six<1.0 (required by needs-old-six 1.0)");
  pyodide_error_delete(e);

  const char* platform[] = {"platform-demo"};
  e = pyodide_install(py, platform, 1, NULL, NULL);
  ASSERT(e != NULL);
  ASSERT_CONTAINS(pyodide_error_message(e), "platform_demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl is built for");
  pyodide_error_delete(e);

  const char* bad_hash[] = {"wrong-hash"};
  ASSERT_PYERR(pyodide_install(py, bad_hash, 1, NULL, NULL), "OSError");
  const char* unsafe[] = {"dotdot"};
  ASSERT_PYERR(pyodide_install(py, unsafe, 1, NULL, NULL), "OSError");
  ASSERT(RUN_BOOL(py, "import micropip\nlen(micropip.list()) == 0"));
  pyodide_destroy(py);
  server_stop(&server);
}

TEST(micropip_without_indexes_and_bad_arguments) {
  pyodide_t* py = LOAD();
  const char* six[] = {"six"};
  ASSERT_PYERR(pyodide_install(py, six, 1, NULL, NULL), "ValueError");
  const char* null_item[] = {NULL};
  const char* empty[] = {""};
  const char* bad_utf8[] = {"si\xff"};
  const char* ftp[] = {"ftp://example.com/simple/"};
  ASSERT_USAGE(pyodide_install(NULL, six, 1, NULL, NULL));
  ASSERT_USAGE(pyodide_install(py, NULL, 1, NULL, NULL));
  ASSERT_USAGE(pyodide_install(py, null_item, 1, NULL, NULL));
  ASSERT_USAGE(pyodide_install(py, empty, 1, NULL, NULL));
  ASSERT_USAGE(pyodide_install(py, bad_utf8, 1, NULL, NULL));
  ASSERT_USAGE(pyodide_set_index_urls(py, ftp, 1));
  ASSERT_USAGE(pyodide_set_index_urls(py, NULL, 1));
  ASSERT_OK(pyodide_set_index_urls(py, NULL, 0));
  /* Python cannot add an index the host did not configure. */
  ASSERT_PYERR(pyodide_run_python(py, "import micropip\nmicropip.set_index_urls('http://example.com/')", PYODIDE_STRLEN,
                                  NULL, NULL),
               "ValueError");
  pyodide_destroy(py);
  ASSERT_USAGE(pyodide_install(py, six, 1, NULL, NULL));
  ASSERT_USAGE(pyodide_set_index_urls(py, NULL, 0));
}
