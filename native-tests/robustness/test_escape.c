/* Isolation: Python sees the bundled stdlib (read-only), its private file system
 * (/, with its home and /tmp), the configured mounts and nothing else of the host.
 * Every attempt below must be refused, or reach only the runtime's own files; the
 * comment on each says why. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rb_util.h"

#ifndef RB_ASSET_LIB
#error "RB_ASSET_LIB (the host directory behind the guest's /lib) must be defined"
#endif

/* attempt(fn, refusal) -> 'refused:<exception>' when fn raised `refusal` (the
 * exception a refusal is expected to be), 'ALLOWED:<repr of the result>' when it
 * returned, 'WRONG:<exception>' for any other exception (a NameError from a
 * typo in the test is not a refusal). */
static const char* const ATTEMPT =
    "import os, sys\n"
    "def attempt(fn, refusal=OSError):\n"
    "    try:\n"
    "        r = fn()\n"
    "    except refusal as e:\n"
    "        return 'refused:' + type(e).__name__ + ': ' + str(e)[:120]\n"
    "    except Exception as e:\n"
    "        return 'WRONG:' + type(e).__name__ + ': ' + str(e)[:120]\n"
    "    return 'ALLOWED:' + repr(r)[:300]\n";

static pyodide_t* load_attempting(const pyodide_config_t* c) {
  pyodide_t* rt;
  if (c != NULL) {
    rt = RB_LOAD(c);
  } else {
    rt = RB_LOAD_QUIET();
  }
  EXEC(rt, ATTEMPT);
  return rt;
}

/* Runs attempt(lambda: <expr>, <refusal>) and requires that refusal, with
 * `detail` in its message unless NULL. */
static void refused_at(const char* f, int l, pyodide_t* rt, const char* why, const char* refusal,
                       const char* detail, const char* expr) {
  char code[2048];
  snprintf(code, sizeof code, "attempt(lambda: %s, %s)", expr, refusal);
  char* s = run_str_at(f, l, rt, code);
  if (strncmp(s, "refused:", 8) != 0) {
    harness_fail(f, l, "NOT refused with %s (%s): %s -> %s", refusal, why, expr, s);
  }
  if (detail != NULL && strstr(s, detail) == NULL) {
    harness_fail(f, l, "refused (%s), but not because %s: %s -> %s", why, detail, expr, s);
  }
  harness_note("%-60s %s", expr, s);
  free(s);
}
/* File-system and socket attempts are refused with an OSError (errno set by
 * WASI); REFUSED_AS names another exception and what its message must say (an
 * AttributeError or ImportError must be about the missing facility, not a typo). */
#define REFUSED(rt, why, expr) refused_at(__FILE__, __LINE__, (rt), (why), "OSError", NULL, (expr))
#define REFUSED_AS(rt, why, refusal, detail, expr) \
  refused_at(__FILE__, __LINE__, (rt), (why), (refusal), (detail), (expr))

/* ---- a host scratch area: base/{secret.txt, rw/, ro/} ---- */

typedef struct {
  char base[256];
  char rw[300];
  char ro[300];
  char secret[300];
} host_area;

static void write_file(const char* path, const char* text) {
  FILE* fp = fopen(path, "w");
  ASSERT(fp != NULL);
  fputs(text, fp);
  fclose(fp);
}

static host_area make_area(void) {
  host_area a;
  snprintf(a.base, sizeof a.base, "/tmp/pyodide-rb-XXXXXX");
  ASSERT(mkdtemp(a.base) != NULL);
  snprintf(a.rw, sizeof a.rw, "%s/rw", a.base);
  snprintf(a.ro, sizeof a.ro, "%s/ro", a.base);
  snprintf(a.secret, sizeof a.secret, "%s/secret.txt", a.base);
  ASSERT_EQ_INT(mkdir(a.rw, 0700), 0);
  ASSERT_EQ_INT(mkdir(a.ro, 0700), 0);
  write_file(a.secret, "TOPSECRET");
  char p[400];
  snprintf(p, sizeof p, "%s/readme.txt", a.ro);
  write_file(p, "read only");
  snprintf(p, sizeof p, "%s/inside.txt", a.rw);
  write_file(p, "inside");
  return a;
}

static void remove_area(const host_area* a) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", a->base);
  if (system(cmd) != 0) harness_note("could not remove %s", a->base);
}

static pyodide_t* load_with_mounts(const host_area* a) {
  static pyodide_mount_t mounts[2];
  mounts[0] = (pyodide_mount_t){a->rw, "/mnt/rw", false};
  mounts[1] = (pyodide_mount_t){a->ro, "/mnt/ro", true};
  pyodide_config_t c = rb_quiet_config(NULL);
  c.mounts = mounts;
  c.nmounts = 2;
  return load_attempting(&c);
}

/* ---- the host file system ---- */

TEST(escape_host_files_are_invisible) {
  pyodide_t* rt = load_attempting(NULL);
  /* The guest's / is the runtime's own directory: /etc, /proc, /root and /dev are not
   * there (but for the host's null, zero and random devices: SandboxDevices.cs), and
   * /tmp is its own, empty, not the host's. */
  REFUSED(rt, "the runtime's / has no /etc", "open('/etc/passwd').read()");
  REFUSED(rt, "the runtime's / has no /etc", "os.stat('/etc/passwd')");
  REFUSED(rt, "the runtime's / has no /proc", "open('/proc/self/environ', 'rb').read()");
  REFUSED(rt, "the runtime's / has no /proc", "open('/proc/self/maps').read()");
  REFUSED(rt, "/dev has only null, zero, random and urandom", "open('/dev/sda', 'rb').read(1)");
  REFUSED(rt, "/dev has only null, zero, random and urandom", "open('/dev/tty', 'a').write('x')");
  REFUSED(rt, "the random devices cannot be written", "open('/dev/urandom', 'wb').write(b'x' * 64)");
  REFUSED(rt, "the runtime's / has no /root", "os.listdir('/root')");
  REFUSED(rt, "'..' of / is /", "open('/lib/../../../etc/passwd').read()");
  /* '..' past / stays at the runtime's /, from every preopen. */
  char* s = RUN_STR(rt, "attempt(lambda: (sorted(os.listdir('/')), os.listdir('/tmp'), "
                        "{p: sorted(os.listdir(p)) == sorted(os.listdir('/')) for p in ('/tmp/..', '/lib/../..', '/home/pyodide/../../..')}))");
  harness_note("os.listdir('/'), os.listdir('/tmp'), '..' of each preopen -> %s", s);
  ASSERT_STREQ(s, "ALLOWED:(['home', 'lib', 'tmp'], [], {'/tmp/..': True, '/lib/../..': True, '/home/pyodide/../../..': True})");
  free(s);
  /* A host path of the library's own assets is not a guest path. */
  char expr[1024];
  snprintf(expr, sizeof expr, "os.listdir(%s)", "'" RB_ASSET_LIB "'");
  REFUSED(rt, "host paths mean nothing in the guest", expr);
  pyodide_destroy(rt);
}

TEST(escape_dotdot_out_of_home_and_lib) {
  pyodide_t* rt = load_attempting(NULL);
  /* wasi-libc resolves a path against the longest matching preopen and hands the
   * rest ("../../etc/passwd") to the host, which refuses to leave the preopen; the
   * bridge (abspath.c) then looks the path up folded: in the runtime's own /, where
   * there is no /etc. */
  REFUSED(rt, "'..' of the home is the runtime's /home", "open('/home/pyodide/../../etc/passwd').read()");
  REFUSED(rt, "'..' of /lib is the runtime's /", "open('/lib/../etc/passwd').read()");
  REFUSED(rt, "'..' of /lib is the runtime's /",
          "open('/lib/python3.11/../../../../../../etc/passwd').read()");
  char* s = RUN_STR(rt, "attempt(lambda: (os.listdir('/home/pyodide/..'), sorted(os.listdir('/home/pyodide/../..')), "
                        "sorted(os.listdir('/lib/..'))))");
  ASSERT_STREQ(s, "ALLOWED:(['pyodide'], ['home', 'lib', 'tmp'], ['home', 'lib', 'tmp'])");
  free(s);
  /* dir_fd-relative '..' from an opened home directory. */
  REFUSED(rt, "dir_fd-relative '..' cannot leave the preopen",
          "open('../../etc/passwd', opener=lambda p, fl: os.open(p, fl, dir_fd=os.open('/home/pyodide', os.O_RDONLY))).read()");
  /* The working directory does not widen anything: / is the runtime's own. */
  EXEC(rt, "import os\ntry:\n    os.chdir('/')\nexcept OSError:\n    pass");
  REFUSED(rt, "chdir('/') gives no access to the host root", "open('etc/passwd').read()");
  REFUSED(rt, "chdir('/') gives no access to the host root", "open('./etc/passwd').read()");
  EXEC(rt, "import os\ntry:\n    os.chdir('/home/pyodide')\nexcept OSError:\n    pass");
  REFUSED(rt, "a relative '..' from the home cwd cannot leave it", "open('../../etc/passwd').read()");
  s = RUN_STR(rt, "attempt(lambda: sorted(os.listdir('../..')))");
  ASSERT_STREQ(s, "ALLOWED:['home', 'lib', 'tmp']");
  free(s);
  pyodide_destroy(rt);
}

TEST(escape_dotdot_and_symlinks_out_of_a_mount) {
  host_area a = make_area();
  /* Host-side symlinks in the read-write mount, all pointing outside it. */
  char link[400], dirlink[400], rel[400], etc[400];
  snprintf(link, sizeof link, "%s/abs_link", a.rw);
  snprintf(rel, sizeof rel, "%s/rel_link", a.rw);
  snprintf(dirlink, sizeof dirlink, "%s/dir_link", a.rw);
  snprintf(etc, sizeof etc, "%s/etc_link", a.rw);
  ASSERT_EQ_INT(symlink(a.secret, link), 0);
  ASSERT_EQ_INT(symlink("../secret.txt", rel), 0);
  ASSERT_EQ_INT(symlink(a.base, dirlink), 0);
  ASSERT_EQ_INT(symlink("/etc/passwd", etc), 0);

  pyodide_t* rt = load_with_mounts(&a);
  /* The mount itself works: proof that refusals below are not a broken mount. */
  char* s = RUN_STR(rt, "open('/mnt/rw/inside.txt').read()");
  ASSERT_STREQ(s, "inside");
  free(s);
  s = RUN_STR(rt, "open('/mnt/ro/readme.txt').read()");
  ASSERT_STREQ(s, "read only");
  free(s);

  /* The secret exists one level above the mount on the host; '..' of the mount is
   * the runtime's /mnt, which holds only the places of the two mounts. */
  REFUSED(rt, "'..' of the mount is the runtime's /mnt", "open('/mnt/rw/../secret.txt').read()");
  REFUSED(rt, "'..' of the mount is the runtime's /mnt", "open('/mnt/ro/../secret.txt').read()");
  REFUSED(rt, "'..' of the mount is the runtime's /mnt", "open('/mnt/rw/../../../etc/passwd').read()");
  s = RUN_STR(rt, "attempt(lambda: sorted(os.listdir('/mnt/rw/..')))");
  ASSERT_STREQ(s, "ALLOWED:['ro', 'rw']");
  free(s);
  /* Symlinks are resolved by the host inside the preopen: a target outside is refused. */
  REFUSED(rt, "an absolute symlink target is outside the preopen", "open('/mnt/rw/abs_link').read()");
  REFUSED(rt, "a relative symlink cannot climb out", "open('/mnt/rw/rel_link').read()");
  REFUSED(rt, "a symlinked directory outside is not entered", "os.listdir('/mnt/rw/dir_link')");
  REFUSED(rt, "a symlinked directory outside is not entered", "open('/mnt/rw/dir_link/secret.txt').read()");
  REFUSED(rt, "a symlink to /etc/passwd is outside the preopen", "open('/mnt/rw/etc_link').read()");
  REFUSED(rt, "writing through a symlink out of the mount", "open('/mnt/rw/abs_link', 'w').write('pwned')");
  /* Symlinks Python makes itself: reading through them is refused the same way. */
  EXEC(rt, "import os\n"
           "for name, target in (('py_rel', '../secret.txt'), ('py_abs', '" "/etc/passwd" "'),\n"
           "                     ('py_deep', '../../../../../../../etc/passwd')):\n"
           "    try:\n"
           "        os.symlink(target, '/mnt/rw/' + name)\n"
           "    except OSError:\n"
           "        pass\n");
  REFUSED(rt, "a guest-made symlink cannot climb out", "open('/mnt/rw/py_rel').read()");
  REFUSED(rt, "a guest-made symlink cannot climb out", "open('/mnt/rw/py_abs').read()");
  REFUSED(rt, "a guest-made symlink cannot climb out", "open('/mnt/rw/py_deep').read()");
  /* Hard links need a source the guest can reach. */
  REFUSED(rt, "a hard link source must be inside a preopen", "os.link('/mnt/rw/../secret.txt', '/mnt/rw/hl')");
  /* A rename to '..' of the mount moves the file into the runtime's /mnt, not into
   * the host's directory above the mount (checked below). */
  s = RUN_STR(rt, "attempt(lambda: (os.rename('/mnt/rw/inside.txt', '/mnt/rw/../moved.txt'), open('/mnt/moved.txt').read(), "
                  "os.rename('/mnt/moved.txt', '/mnt/rw/inside.txt')))");
  ASSERT_STREQ(s, "ALLOWED:(None, 'inside', None)");
  free(s);
  /* chdir into the mount, then a relative '..'. */
  REFUSED(rt, "a relative '..' from a mount cwd cannot leave it",
          "(os.chdir('/mnt/rw'), open('../secret.txt').read())");

  /* The read-only mount refuses every write. */
  REFUSED(rt, "read-only mount", "open('/mnt/ro/new.txt', 'w').write('x')");
  REFUSED(rt, "read-only mount", "open('/mnt/ro/readme.txt', 'a').write('x')");
  REFUSED(rt, "read-only mount", "os.remove('/mnt/ro/readme.txt')");
  REFUSED(rt, "read-only mount", "os.mkdir('/mnt/ro/d')");
  REFUSED(rt, "read-only mount", "os.rename('/mnt/ro/readme.txt', '/mnt/ro/r2.txt')");

  pyodide_destroy(rt);
  /* Host side: the secret and the read-only files are untouched. */
  char buf[64] = {0};
  FILE* fp = fopen(a.secret, "r");
  ASSERT(fp != NULL);
  ASSERT(fgets(buf, sizeof buf, fp) != NULL);
  fclose(fp);
  ASSERT_STREQ(buf, "TOPSECRET");
  char p[400];
  snprintf(p, sizeof p, "%s/moved.txt", a.base);
  ASSERT(access(p, F_OK) != 0);
  snprintf(p, sizeof p, "%s/new.txt", a.ro);
  ASSERT(access(p, F_OK) != 0);
  snprintf(p, sizeof p, "%s/readme.txt", a.ro);
  fp = fopen(p, "r");
  ASSERT(fp != NULL);
  ASSERT(fgets(buf, sizeof buf, fp) != NULL);
  fclose(fp);
  ASSERT_STREQ(buf, "read only");
  remove_area(&a);
}

TEST(escape_stdlib_is_read_only) {
  struct stat before, after;
  ASSERT_EQ_INT(stat(RB_ASSET_LIB "/python311.zip", &before), 0);
  pyodide_t* rt = load_attempting(NULL);
  /* /lib is a read-only preopen: no file in it can be created, changed or removed. */
  REFUSED(rt, "/lib is read-only", "open('/lib/python3.11/x.py', 'w').write('import os')");
  REFUSED(rt, "/lib is read-only", "open('/lib/python311.zip', 'r+b').write(b'PK')");
  REFUSED(rt, "/lib is read-only", "open('/lib/python311.zip', 'ab').write(b'junk')");
  REFUSED(rt, "/lib is read-only", "open('/lib/python311.zip', 'wb')");
  REFUSED(rt, "/lib is read-only", "os.truncate('/lib/python311.zip', 0)");
  REFUSED(rt, "/lib is read-only", "os.remove('/lib/python311.zip')");
  REFUSED(rt, "/lib is read-only", "os.rename('/lib/python311.zip', '/lib/old.zip')");
  REFUSED(rt, "/lib is read-only", "os.mkdir('/lib/python3.11/newdir')");
  REFUSED(rt, "/lib is read-only", "os.symlink('/home/pyodide', '/lib/python3.11/evil')");
  REFUSED(rt, "/lib is read-only", "open('/lib/python3.11/os.py', 'a').write('#')");
  REFUSED(rt, "/lib is read-only", "open('/lib/python3.11/pyodide/__init__.py', 'w').write('')");
  REFUSED(rt, "/lib is read-only", "os.rename('/home/pyodide', '/lib/python3.11/home')");
  /* Moving a file from home into /lib is a write into /lib too. */
  EXEC(rt, "open('/home/pyodide/m.py', 'w').write('x = 1')");
  REFUSED(rt, "/lib is read-only", "os.rename('/home/pyodide/m.py', '/lib/python3.11/m.py')");
  pyodide_destroy(rt);
  ASSERT_EQ_INT(stat(RB_ASSET_LIB "/python311.zip", &after), 0);
  ASSERT_EQ_INT(after.st_size, before.st_size);
  ASSERT(after.st_mtime == before.st_mtime);
  ASSERT(access(RB_ASSET_LIB "/python3.11/x.py", F_OK) != 0);
  ASSERT(access(RB_ASSET_LIB "/python3.11/newdir", F_OK) != 0);
  ASSERT(access(RB_ASSET_LIB "/python3.11/m.py", F_OK) != 0);
  /* And a new runtime still starts from the intact stdlib. */
  pyodide_t* again = RB_LOAD_QUIET();
  ASSERT(RUN_BOOL(again, "import json, os; json.dumps([1]) == '[1]' and not os.path.exists('/lib/python3.11/x.py')"));
  pyodide_destroy(again);
}

TEST(escape_environment_holds_only_the_sandboxs_user_and_home) {
  /* Nothing of the host process's environment is inherited. */
  ASSERT_EQ_INT(setenv("PYODIDE_RB_SECRET", "hunter2", 1), 0);
  pyodide_t* rt = load_attempting(NULL);
  char* s = RUN_STR(rt, "repr(dict(sorted(os.environ.items())))");
  harness_note("os.environ = %s", s);
  ASSERT_STREQ(s, "{'HOME': '/home/pyodide', 'LOGNAME': 'pyodide', 'USER': 'pyodide'}");
  free(s);
  ASSERT(RUN_BOOL(rt, "os.getenv('PYODIDE_RB_SECRET') is None and os.getenv('PATH') is None"));
  /* The guest changing its environment changes nothing in the host's. */
  EXEC(rt, "os.environ['PYODIDE_RB_FROM_GUEST'] = '1'");
  ASSERT(getenv("PYODIDE_RB_FROM_GUEST") == NULL);
  pyodide_destroy(rt);
  unsetenv("PYODIDE_RB_SECRET");
}

/* The guest's stdin is not the host process's: Python reads nothing of it. */
TEST(escape_host_stdin_is_not_inherited) {
  int fds[2];
  ASSERT_EQ_INT(pipe(fds), 0);
  const char secret[] = "SECRET-STDIN-LINE\n";
  ASSERT_EQ_INT(write(fds[1], secret, sizeof secret - 1), (long)(sizeof secret - 1));
  int saved = dup(0);
  ASSERT(saved >= 0);
  ASSERT(dup2(fds[0], 0) == 0);
  pyodide_t* rt = load_attempting(NULL);
  char* s = RUN_STR(rt, "attempt(lambda: sys.stdin.read())");
  char* s2 = RUN_STR(rt, "attempt(lambda: input())");
  char* s3 = RUN_STR(rt, "attempt(lambda: os.read(0, 100))");
  pyodide_destroy(rt);
  ASSERT(dup2(saved, 0) == 0);
  close(saved);
  harness_note("sys.stdin.read() -> %s; input() -> %s; os.read(0) -> %s", s, s2, s3);
  ASSERT_NOT_CONTAINS(s, "SECRET");
  ASSERT_NOT_CONTAINS(s2, "SECRET");
  ASSERT_NOT_CONTAINS(s3, "SECRET");
  free(s);
  free(s2);
  free(s3);
  /* The host's data is still there, unread. */
  char buf[64] = {0};
  close(fds[1]);
  ASSERT_EQ_INT(read(fds[0], buf, sizeof buf - 1), (long)(sizeof secret - 1));
  ASSERT_STREQ(buf, secret);
  close(fds[0]);
}

TEST(escape_network_is_unavailable) {
  /* A real listener on the host's loopback: if the guest could connect, it would
   * show up in its accept queue. */
  int srv = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT(srv >= 0);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ASSERT_EQ_INT(bind(srv, (struct sockaddr*)&addr, sizeof addr), 0);
  ASSERT_EQ_INT(listen(srv, 8), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ_INT(getsockname(srv, (struct sockaddr*)&addr, &len), 0);
  int port = ntohs(addr.sin_port);

  pyodide_t* rt = load_attempting(NULL);
  char expr[512];
  /* WASI preview 1 grants no sockets: no socket can be created or connected. */
  snprintf(expr, sizeof expr,
           "__import__('socket').socket(__import__('socket').AF_INET, __import__('socket').SOCK_STREAM)"
           ".connect(('127.0.0.1', %d))", port);
  REFUSED_AS(rt, "WASI preview 1 has no socket creation", "OSError", "the sandbox has no sockets", expr);
  REFUSED_AS(rt, "WASI preview 1 has no socket creation", "OSError", "the sandbox has no sockets",
             "__import__('socket').socket().connect(('127.0.0.1', 80))");
  /* Connecting by name needs the resolver, which WASI lacks: the lookups fail
   * as socket.gaierror naming the reason (pyodide/_unavailable.py). */
  REFUSED_AS(rt, "no resolver", "__import__('socket').gaierror", "the sandbox has no sockets",
             "__import__('socket').create_connection(('127.0.0.1', 80), timeout=1)");
  REFUSED_AS(rt, "no resolver", "__import__('socket').gaierror", "the sandbox has no sockets",
             "__import__('socket').getaddrinfo('localhost', 80)");
  REFUSED_AS(rt, "no HTTP without sockets", "OSError", "the sandbox has no sockets",
             "__import__('urllib.request').request.urlopen('http://127.0.0.1:80/', timeout=1)");
  pyodide_destroy(rt);

  struct pollfd pfd = {srv, POLLIN, 0};
  int ready = poll(&pfd, 1, 100);
  ASSERT_EQ_INT(ready, 0); /* nobody connected */
  close(srv);
}

TEST(escape_native_code_and_processes) {
  pyodide_t* rt = load_attempting(NULL);
  /* No dynamic loading in wasm: ctypes (and any C extension not built in) is absent. */
  REFUSED_AS(rt, "no ctypes/libffi in the wasm build", "ImportError", "No module named 'ctypes'",
             "__import__('ctypes')");
  REFUSED_AS(rt, "no ctypes/libffi in the wasm build", "ImportError", "No module named '_ctypes'",
             "__import__('_ctypes')");
  /* WASI has no processes: fork/exec/spawn/system do not exist or fail. */
  REFUSED_AS(rt, "WASI has no fork", "AttributeError", "no attribute 'fork'", "os.fork()");
  REFUSED(rt, "WASI has no processes", "__import__('subprocess').run(['ls'])");
  REFUSED(rt, "WASI has no processes", "__import__('subprocess').Popen(['/bin/sh', '-c', 'id'])");
  REFUSED_AS(rt, "WASI has no processes", "AttributeError", "no attribute 'system'", "os.system('true')");
  REFUSED_AS(rt, "WASI has no exec", "AttributeError", "no attribute 'execv'", "os.execv('/bin/sh', ['sh'])");
  REFUSED_AS(rt, "WASI has no spawn", "AttributeError", "no attribute 'posix_spawn'",
             "os.posix_spawn('/bin/sh', ['sh'], {})");
  REFUSED_AS(rt, "WASI has no spawn", "AttributeError", "no attribute 'spawnv'",
             "os.spawnv(os.P_WAIT, '/bin/sh', ['sh'])");
  REFUSED_AS(rt, "WASI has no kill", "AttributeError", "no attribute 'kill'", "os.kill(os.getppid(), 9)");
  /* pty imports (termios is there) but needs os.waitpid, which WASI has not. */
  REFUSED_AS(rt, "WASI has no pty", "ImportError", "cannot import name 'waitpid'", "__import__('pty').fork()");
  REFUSED_AS(rt, "WASI has no pty", "AttributeError", "no attribute 'openpty'", "os.openpty()");
  REFUSED_AS(rt, "no threads in the wasm build", "RuntimeError", "can't start new thread",
             "__import__('threading').Thread(target=print).start()");
  REFUSED_AS(rt, "no multiprocessing", "ModuleNotFoundError", "the sandbox cannot start processes",
             "__import__('multiprocessing').Process(target=print).start()");
  pyodide_destroy(rt);
}

TEST(escape_huge_allocations_are_refused) {
  pyodide_t* rt = load_attempting(NULL);
  /* wasm32: 4 GiB of address space at most, whatever the host has; sizes past
   * its ssize_t overflow before any allocation is tried. */
  static const char* const huge[] = {
      "bytearray(1 << 40)", "b'x' * (1 << 33)", "[0] * (1 << 31)", "'x' * (1 << 34)", "bytes(1 << 32)",
      "__import__('array').array('d', bytes(1 << 35))",
  };
  for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++)
    REFUSED_AS(rt, "beyond wasm32's address space", "(OverflowError, MemoryError)", NULL, huge[i]);
  RB_ALIVE(rt);
  pyodide_destroy(rt);
}

/* Mount configurations that would widen or confuse the sandbox are refused. */
TEST(escape_bad_mount_configs_are_usage) {
  host_area a = make_area();
  const pyodide_mount_t bad[] = {
      {a.rw, "/", false},               /* over everything */
      {a.rw, "/lib", false},            /* over the stdlib */
      {a.rw, "/lib/", false},           /* ditto, with a slash */
      {a.rw, "/home/pyodide", false},   /* over the private home */
      {a.rw, "relative", false},        /* not absolute */
      {"relative/host", "/mnt/x", false},
      {"/nonexistent/pyodide-rb", "/mnt/x", false},
      {a.secret, "/mnt/x", false},      /* a file, not a directory */
      {NULL, "/mnt/x", false},
      {a.rw, NULL, false},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    pyodide_config_t c = rb_quiet_config(NULL);
    c.mounts = &bad[i];
    c.nmounts = 1;
    pyodide_t* rt = NULL;
    rb_outcome o = RB_TAKE(pyodide_load(&c, &rt));
    if (!o.failed || o.kind != PYODIDE_ERROR_USAGE) {
      if (!o.failed) pyodide_destroy(rt);
      harness_fail(__FILE__, __LINE__, "mount %zu (%s -> %s) was %s", i,
                   bad[i].host_path ? bad[i].host_path : "NULL",
                   bad[i].guest_path ? bad[i].guest_path : "NULL",
                   o.failed ? rb_kind_name(o.kind) : "accepted");
    }
  }
  remove_area(&a);
}
