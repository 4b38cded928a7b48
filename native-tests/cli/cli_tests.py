"""cli_tests.py PYODIDE_RUN CASE — one test of pyodide-run as a drop-in python3.

parity.*   runs the same program under Debian's python3.11 (the running
           interpreter: CTest starts this file with /usr/bin/python3.11) and
           under pyodide-run, and compares exit status, stdout and stderr
           (temporary paths and program names normalised).
sandbox.*  what python3 has no counterpart for: mounts, limits, the second
           Ctrl-C, SIGTERM.
resident.* runs handed to a resident process (PYODIDE_RUN_RESIDENT): the
           parity cases again through it, its signals, its life and what it
           refuses.

Prints what differs and exits 1 on failure.
"""
import difflib
import errno
import itertools
import os
import signal
import shutil
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time

RUN = os.path.abspath(sys.argv[1])
CASE = sys.argv[2]
PYTHON = sys.executable
TIMEOUT_S = 150  # a cold module cache compiles the interpreter first

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
    return ok


class Result:
    def __init__(self, status, out, err):
        self.status, self.out, self.err = status, out, err

    def __repr__(self):
        return f"status {self.status}\n--- stdout:\n{self.out}\n--- stderr:\n{self.err}"


def run(argv, cwd, stdin=b"", signals=(), env=None):
    """Runs argv (in `env`, else this process's environment); with `signals`,
    sends each (after the program printed its first line, then 0.5 s apart)
    and collects the rest."""
    proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL if signals else subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    first = b""
    if signals:
        first = proc.stdout.readline()  # "ready": the handler is in place
        for sig in signals:
            time.sleep(0.5)
            proc.send_signal(sig)
        out, err = proc.communicate(timeout=TIMEOUT_S)
    else:
        out, err = proc.communicate(stdin, timeout=TIMEOUT_S)
    return Result(proc.returncode, (first + out).decode("utf-8", "replace"),
                  err.decode("utf-8", "replace"))


def normalise(text, tmp):
    text = text.replace(os.path.realpath(tmp), "TMP").replace(tmp, "TMP")
    text = text.replace(RUN, "PROG").replace(PYTHON, "PROG")
    # The stdlib's sources: Debian's python3.11 keeps them in /usr/lib, the sandbox in /lib.
    text = text.replace('"/usr/lib/python3.11/', '"/lib/python3.11/')
    return text.replace("Try `python -h'", "Try `PROG -h'")


def parity(args, files=None, stdin=b"", signals=(), mount_cwd=False, subdir="", cwd_rel="", writable="", env=None):
    """Writes `files` into a temporary directory (script paths in args are
    relative to it), runs args under both interpreters from it (or from
    cwd_rel), in `env` if given, and compares. mount_cwd: pyodide-run mounts
    the working directory (read-only) so that it sees the same files.
    writable: a directory beneath the working one that both may write in
    (made empty for each run; pyodide-run mounts it writable at its own path)."""
    with tempfile.TemporaryDirectory(prefix="pyodide-cli-") as tmp:
        for name, text in (files or {}).items():
            path = os.path.join(tmp, subdir, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(text.encode() if isinstance(text, str) else text)
        cwd = os.path.join(tmp, cwd_rel)
        os.makedirs(cwd, exist_ok=True)
        extra = ["--mount", f"{cwd}:{cwd}:ro"] if mount_cwd else []
        out = os.path.join(cwd, writable)
        if writable:
            extra += ["--mount", f"{out}:{out}"]
            os.makedirs(out)
        native = run([PYTHON] + args, cwd, stdin, signals, env)
        if writable:
            shutil.rmtree(out)
            os.makedirs(out)
        ours = run([RUN] + extra + args, cwd, stdin, signals, env)
        for field in ("status", "out", "err"):
            a, b = getattr(native, field), getattr(ours, field)
            if field != "status":
                a, b = normalise(a, tmp), normalise(b, tmp)
            check(a == b, f"{field} differs:\n" + shown_difference(a, b))
        return native, ours


def shown_difference(native, ours):
    """Both texts, or where they differ when they are long."""
    if isinstance(native, int) or max(native.count("\n"), ours.count("\n")) < 60:
        return f"--- python3.11:\n{native}\n--- pyodide-run:\n{ours}"
    lines = difflib.unified_diff(native.splitlines(), ours.splitlines(), "python3.11", "pyodide-run", lineterm="")
    return "\n".join(itertools.islice(lines, 80))


LOOP_UNTIL_INTERRUPTED = 'print("ready", flush=True)\nn = 0\nwhile True: n += 1\n'


def case_parity_argv():
    parity(["args.py", "a", "b c", "--flag", "-c", "é"],
           {"args.py": "import sys\nprint(sys.argv, len(sys.argv))\nprint(__name__)\n"})


def case_parity_sys_exit():
    for code in ["3", "0", "None", "'bye é'", "[1, 'a']", "2**70", "-1", "True"]:
        parity(["-c", f"import sys; print('out'); sys.exit({code})"])
    parity(["exit.py"], {"exit.py": "print('x')\nexit(4)\n"})


def case_parity_uncaught():
    script = ("def inner():\n    raise ValueError('inner é')\n\n"
              "def outer():\n    try:\n        inner()\n"
              "    except ValueError as e:\n        raise KeyError('outer') from e\n\n"
              "print('before')\nouter()\nprint('after')\n")
    parity(["raise.py"], {"raise.py": script})
    parity(["-c", "1/0"])
    parity(["bad.py"], {"bad.py": "print('never')\nx = (1,\n"})
    parity(["-c", "import sys\nsys.excepthook = lambda *a: print('hook', a[0].__name__)\nraise OSError"])


def case_parity_stdlib_tracebacks():
    # Frames in the stdlib show their lines and carets, as python3's do: CPython's
    # printer opens the file each frame names (/lib/python3.11/..., installed there).
    parity(["-c", "import json\njson.loads('{')"])
    parity(["-c", "import re\nre.compile('(')"])
    parity(["-c", "import datetime\ndatetime.datetime.strptime('x', '%Y')"])
    parity(["-c", "import json\njson.dumps({'a': [object()]})"])
    parity(["-c", "import inspect, json, linecache\n"
                  "print(inspect.getsource(json.dumps)[:60])\n"
                  "print(linecache.getline(json.JSONDecoder.decode.__code__.co_filename, 1))"])


def case_parity_asyncio_executor():
    # asyncio.to_thread and run_in_executor give what python3's worker threads give
    # (the sandbox calls the function at once, as Pyodide's loop does): results,
    # exceptions, the caller's context variables, keyword arguments.
    script = (
        "import asyncio, contextvars\n"
        "user = contextvars.ContextVar('user')\n"
        "def greet(greeting, punctuation='!'):\n    return f'{greeting}, {user.get()}{punctuation}'\n"
        "def broken():\n    raise ValueError('no luck')\n"
        "async def main():\n"
        "    user.set('Ada')\n"
        "    print(await asyncio.to_thread(greet, 'Hello', punctuation='?'))\n"
        "    loop = asyncio.get_running_loop()\n"
        "    print(await asyncio.gather(*(loop.run_in_executor(None, pow, 2, n) for n in range(5))))\n"
        "    try:\n        await asyncio.to_thread(broken)\n"
        "    except ValueError as e:\n        print('caught', repr(e))\n"
        "asyncio.run(main())\n")
    parity(["-c", script])


def case_parity_file_systems():
    # os.statvfs and shutil.disk_usage of a directory both see (the host's file system
    # beneath a mount), beside python3.11: the sizes and counts that do not move while
    # the test runs, the flags, the result type, python3's ST_ constants and errors.
    script = (
        "import os, shutil\n"
        "r = os.statvfs('out')\n"
        "print(r.f_bsize, r.f_frsize, r.f_blocks, r.f_files, r.f_namemax, r.f_flag, len(r), r.n_fields)\n"
        "print(r.f_bavail <= r.f_bfree <= r.f_blocks, r.f_favail <= r.f_ffree <= r.f_files, type(r.f_fsid).__name__)\n"
        "print(shutil.disk_usage('out').total == r.f_blocks * r.f_frsize, os.statvfs(os.path.abspath('out/..')).f_blocks == r.f_blocks)\n"
        "print(type(r).__name__, os.statvfs_result is type(r), [n for n in dir(os) if n.startswith('ST_') and getattr(os, n) != 0])\n"
        "print([getattr(os, n) for n in sorted(dir(os)) if n.startswith('ST_')])\n"
        "for arg in ('out/missing', b'out', 3.5):\n"
        "    try:\n        print(os.statvfs(arg).f_blocks == r.f_blocks)\n"
        "    except OSError as e:\n        print(type(e).__name__, e.errno, e.filename)\n"
        "    except TypeError as e:\n        print('TypeError')\n")
    parity(["fs.py"], {"fs.py": script}, writable="out")


# Zones whose history both databases agree on (the sandbox's tzdata is newer
# than Debian 12's): DST north and south, half- and quarter-hour offsets,
# Ireland's negative DST, DST abolished, +14.
LOCAL_TIME_ZONES = ["Europe/Paris", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
                    "America/St_Johns", "Pacific/Chatham", "Europe/Dublin", "America/Sao_Paulo",
                    "Pacific/Kiritimati", "Asia/Tokyo"]

# What a program sees of local time: the time module's zone, every change of
# offset from 1960 to 2040 to the second (with 1 s either side), mktime of
# the local times a change skips or repeats with each tm_isdst, and datetime's
# view of them (fold, astimezone, timestamp).
LOCAL_TIME_SCRIPT = r"""
import calendar, datetime, os, sys, time

def zone_line(t):
    tm = time.localtime(t)
    return f"{tm[:6]} dst={tm.tm_isdst} {tm.tm_zone} {tm.tm_gmtoff} {time.strftime('%Y-%m-%d %H:%M:%S %Z %z', tm)}"

def show(label):
    print(label, time.timezone, time.altzone, time.daylight, time.tzname)
    print(" ", zone_line(1700000000), time.ctime(1700000000))
    day, start, end = 86400, -315619200, 2208988800
    changes = 0
    t = start
    while t < end and changes < 400:
        a, b = time.localtime(t), time.localtime(t + day)
        if (a.tm_gmtoff, a.tm_isdst, a.tm_zone) != (b.tm_gmtoff, b.tm_isdst, b.tm_zone):
            lo, hi = t, t + day
            while hi - lo > 1:
                mid = (lo + hi) // 2
                m = time.localtime(mid)
                if (m.tm_gmtoff, m.tm_isdst, m.tm_zone) == (a.tm_gmtoff, a.tm_isdst, a.tm_zone):
                    lo = mid
                else:
                    hi = mid
            changes += 1
            before, after = time.localtime(hi - 1), time.localtime(hi)
            # mktime of both sides of the change, and of local times around it as
            # a program would type them: with tm_isdst -1 where the time is not
            # one a change repeats (glibc's answer then depends on its earlier
            # calls), with 0 and 1 where the change is between the two kinds.
            made = [int(time.mktime(before)) - hi, int(time.mktime(after)) - hi]
            wall = list(before[:6]); wall[5] += 1
            for p in [after[:6], before[:6], tuple(wall), tuple(wall[:4] + [wall[4] + 30, wall[5]])]:
                whens = {calendar.timegm(p) - tm.tm_gmtoff for tm in (before, after)}
                repeated = len([u for u in whens if time.localtime(u)[:6] == p]) == 2
                for isdst in ([0, 1] if before.tm_isdst != after.tm_isdst else []) + ([] if repeated else [-1]):
                    made.append(int(time.mktime(p + (0, 0, isdst))) - hi)
            naive = datetime.datetime(*before[:6]) + datetime.timedelta(seconds=1800)
            aware = [naive.replace(fold=f).astimezone() for f in (0, 1)]
            print(f"  {hi} {zone_line(hi - 1)} -> {zone_line(hi)}")
            print(f"    mktime {made}")
            print(f"    datetime {[int(naive.replace(fold=f).timestamp()) - hi for f in (0, 1)]} {[str(d) + ' ' + d.tzname() for d in aware]} {datetime.datetime.fromtimestamp(hi)}")
        t += day
    print("  changes", changes)

# A zone by path: DIR is the database's directory, the host's or the sandbox's.
zone_dir = "/usr/share/zoneinfo" if os.path.isdir("/usr/share/zoneinfo") else "/lib/zoneinfo"
if len(sys.argv) == 1:
    show("environment")
for tz in sys.argv[1:]:
    os.environ["TZ"] = tz.replace("DIR", zone_dir)
    time.tzset()
    show(repr(tz))
"""


def case_parity_local_time():
    # time.tzset() and local time beside python3.11: zones of the database by
    # name, with ':' and by path (/usr/share/zoneinfo natively, /lib/zoneinfo
    # in the sandbox), POSIX rules of every kind, and what glibc makes of TZ
    # values that are neither.
    rules = ["EST+05EDT,M4.1.0,M10.5.0", "AEST-10AEDT-11,M10.5.0,M3.5.0", "UTC+0", "<+0330>-3:30",
             "JST-9", "IST-1GMT0,M10.5.0,M3.5.0/1",
             "NZST-12NZDT,M9.5.0,M4.1.0/3", "ABC3DEF,J60/2,J300/2", "ABC3DEF,59,299/-1",
             "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", "Nowhere/Special", "ABC", "", "ab1", "UTC",
             ":Asia/Tokyo"]
    script = LOCAL_TIME_SCRIPT
    parity(["tz.py"] + LOCAL_TIME_ZONES + rules + [":DIR/Europe/Paris", "DIR/America/St_Johns"],
           {"tz.py": script})
    # The zone python3 takes from the environment (TZ, here; else /etc/localtime)
    # is the sandbox's too, though its environment has no TZ.
    for tz in ["Europe/Paris", ":Australia/Sydney", ":/usr/share/zoneinfo/Asia/Kolkata", "EST+05EDT,M4.1.0,M10.5.0"]:
        parity(["tz.py"], {"tz.py": script}, env=dict(os.environ, TZ=tz))
    parity(["-c", "import os, time; print('TZ' in os.environ, time.tzname)"],
           env={k: v for k, v in os.environ.items() if k != "TZ"})


def case_parity_file_modes():
    # os.chmod, os.fchmod, pathlib's chmod, shutil.copy2 and tarfile's extraction keep
    # a file's permission bits, and os.stat and os.fstat report them, beside python3.11;
    # what python3 refuses on Linux is refused alike (a link itself, a missing file,
    # a descriptor not open); os.umask and the modes files are made with.
    script = (
        "import io, os, pathlib, shutil, stat, tarfile\n"
        "def show(p):\n    print(p, oct(os.stat(p).st_mode), stat.filemode(os.lstat(p).st_mode))\n"
        "open('out/f.txt', 'w').write('x')\n"
        "os.chmod('out/f.txt', 0o755); show('out/f.txt')\n"
        "os.chmod('out/f.txt', 0o600); show('out/f.txt')\n"
        "pathlib.Path('out/f.txt').chmod(0o640); shutil.copy2('out/f.txt', 'out/g.txt'); show('out/g.txt')\n"
        "os.mkdir('out/sub'); os.chmod('out/sub', 0o700); show('out/sub')\n"
        "os.chmod('out/sub/../f.txt', 0o1755); show('out/f.txt')\n"
        "with open('out/f.txt') as f:\n"
        "    os.fchmod(f.fileno(), 0o711); print(oct(os.fstat(f.fileno()).st_mode))\n"
        "    os.chmod(f.fileno(), 0o644); show('out/f.txt')\n"
        "os.chmod('out/f.txt', 0o750)\n"
        "buf = io.BytesIO()\n"
        "with tarfile.open(fileobj=buf, mode='w') as t:\n    t.add('out/f.txt', 'tool')\n"
        "buf.seek(0)\n"
        "with tarfile.open(fileobj=buf) as t:\n    t.extractall('out/x')\n"
        "show('out/x/tool')\n"
        "os.symlink('f.txt', 'out/ln')\n"
        "for call in (lambda: os.chmod('out/ln', 0o600, follow_symlinks=False), lambda: os.chmod('out/missing', 0o600),\n"
        "             lambda: os.fchmod(9999, 0o600), lambda: os.chmod(b'out/ln', 0o604)):\n"
        "    try:\n        call(); show('out/f.txt')\n"
        "    except (OSError, NotImplementedError) as e:\n        print(type(e).__name__, e)\n"
        "print(os.chmod.__module__, os.fchmod.__name__, 'fchmod' in os.__all__)\n")
    parity(["modes.py"], {"modes.py": script}, writable="out")
    # Files and directories are made with the mode asked less the umask.
    made = (
        "import os, pathlib, stat, tempfile\n"
        "def show(what, p):\n    print(what, oct(stat.S_IMODE(os.stat(p).st_mode)))\n"
        "print(oct(os.umask(0o022)))\n"
        "open('out/plain', 'w').close(); show('open()', 'out/plain')\n"
        "fd, p = tempfile.mkstemp(dir='out'); os.close(fd); show('mkstemp', p)\n"
        "show('mkdtemp', tempfile.mkdtemp(dir='out'))\n"
        "os.mkdir('out/private', 0o700); show('mkdir 0o700', 'out/private')\n"
        "os.makedirs('out/a/b/c', 0o750); show('makedirs leaf', 'out/a/b/c'); show('makedirs parent', 'out/a')\n"
        "os.close(os.open('out/o', os.O_CREAT | os.O_WRONLY, 0o640)); show('os.open 0o640', 'out/o')\n"
        "os.close(os.open('out/o', os.O_CREAT | os.O_WRONLY, 0o600)); show('an existing file keeps its mode', 'out/o')\n"
        "print(oct(os.umask(0)))\n"
        "open('out/u0', 'w').close(); show('umask 0', 'out/u0'); os.mkdir('out/u0d'); show('umask 0 dir', 'out/u0d')\n"
        "os.umask(0o077); pathlib.Path('out/t').touch(0o666); show('touch, umask 0o077', 'out/t')\n"
        "with open('out/x', 'x'):\n    pass\n"
        "show('exclusive', 'out/x'); print(oct(os.umask(0o022)))\n")
    parity(["made.py"], {"made.py": made}, writable="out")


def case_parity_devices():
    # /dev/null, /dev/zero and /dev/urandom, as the idioms that use them see them.
    script = (
        "import contextlib, os, stat\n"
        "with open(os.devnull, 'w') as f:\n    print('x' * 100, file=f)\n"
        "with contextlib.redirect_stdout(open(os.devnull, 'w')):\n    print('hidden')\n"
        "print(os.path.exists(os.devnull), open('/dev/null', 'rb').read(), stat.S_ISCHR(os.stat('/dev/null').st_mode))\n"
        "with open('/dev/null', 'a') as f:\n    print(f.write('abc'), f.tell())\n"
        "with open('/dev/null', 'r+b') as f:\n    print(f.read(), f.seek(0, 2), f.seekable(), f.isatty())\n"
        "print(open('/dev/zero', 'rb').read(4), len(open('/dev/urandom', 'rb').read(16)))\n"
        "with open('/dev/zero', 'wb') as f:\n    print(f.write(b'123'))\n"
        "try:\n    open('/dev/null', 'x')\nexcept FileExistsError as e:\n    print(e)\n"
        "print(open('/dev/null').read() == '')\n")
    parity(["devices.py"], {"devices.py": script})
    # The standard streams by name, as scripts and tools given an output path use them.
    streams = (
        "import logging, os\n"
        "with open('/dev/stdout', 'w') as f:\n    f.write('via /dev/stdout\\n')\n"
        "print('after', flush=True)\n"
        "print('to stderr', file=open('/dev/stderr', 'w'), flush=True)\n"
        "logging.basicConfig(filename='/dev/stderr', format='%(levelname)s %(message)s')\n"
        "logging.warning('logged')\n"
        "with open('/dev/stdin') as f:\n    print(repr(f.read()), flush=True)\n"
        "fd = os.open('/dev/stdout', os.O_WRONLY)\n"
        "print(os.write(fd, b'bytes\\n'), flush=True)\n"
        "os.close(fd)\n")
    parity(["streams.py"], {"streams.py": streams}, stdin=b"piped in\n")


def case_parity_resource_and_cpu_clocks():
    # What a script that measures or limits itself reads: CPU time that work adds (no
    # more than the wall time it took, with room for the host's other threads) and
    # sleeping does not, in every CPU clock; resource's names, numbers and errors;
    # RLIMIT_AS lowered and raised again, with MemoryError between. (The limits'
    # values are the machine's for python3, so only those the sandbox shares with any
    # Linux default are shown.)
    script = (
        "import os, resource as r, time\n"
        "def spent(clock, work):\n    start, wall = clock(), time.perf_counter()\n    work()\n"
        "    return clock() - start, time.perf_counter() - wall\n"
        "def busy():\n    sum(range(5 * 10**6))\n"
        "def os_cpu():\n    t = os.times()\n    return t.user + t.system\n"
        "def rusage_cpu():\n    u = r.getrusage(r.RUSAGE_SELF)\n    return u.ru_utime + u.ru_stime\n"
        "for clock in (time.process_time, time.thread_time, os_cpu, rusage_cpu):\n"
        "    cpu, wall = spent(clock, busy)\n    print(clock.__name__, 0.01 < cpu <= 2 * wall + 0.05)\n"
        "print(spent(time.process_time, lambda: time.sleep(0.3))[0] < 0.2)\n"
        "for name in ('process_time', 'thread_time'):\n"
        "    info = time.get_clock_info(name)\n    print(info.implementation, info.monotonic, info.adjustable)\n"
        "print(os.times()[2:4], r.getrusage(r.RUSAGE_CHILDREN), r.getrusage(r.RUSAGE_SELF).ru_maxrss > 1000)\n"
        "print(sorted((n, getattr(r, n)) for n in dir(r) if n.isupper()), r.error, r.struct_rusage.n_fields)\n"
        "print(r.getrlimit(r.RLIMIT_RSS), r.getrlimit(r.RLIMIT_RTTIME), r.prlimit(0, r.RLIMIT_RSS))\n"
        "r.setrlimit(r.RLIMIT_AS, (200 << 20, r.RLIM_INFINITY))\n"
        "print(r.getrlimit(r.RLIMIT_AS), len(bytearray(50 << 20)))\n"
        "try:\n    bytearray(300 << 20)\nexcept MemoryError as e:\n    print(type(e).__name__)\n"
        "r.setrlimit(r.RLIMIT_AS, (r.RLIM_INFINITY, r.RLIM_INFINITY))\n"
        "print(len(bytearray(300 << 20)))\n"
        "r.setrlimit(r.RLIMIT_AS, (100 << 20, 100 << 20))\n"
        "for args in ((r.RLIMIT_AS, (-1, -1)), (r.RLIMIT_AS, (2, 1)), (99, (1, 1)), (r.RLIMIT_CORE, (1, 2, 3)),\n"
        "             (r.RLIMIT_CORE, 'ab'), (r.RLIMIT_RSS, (1 << 30, 1 << 30))):\n"
        "    try:\n        print(r.setrlimit(*args))\n    except (ValueError, TypeError) as e:\n"
        "        print(type(e).__name__, e)\n"
        "try:\n    r.getrusage(5)\nexcept ValueError as e:\n    print(e)\n"
        "r.getrusage(2)\n")
    parity(["resources.py"], {"resources.py": script})


def case_parity_readline_module():
    # readline away from a terminal, beside python3.11's (GNU readline): the
    # history (one-based items, zero-based removal and replacement), its files
    # (written, appended to, cut to set_history_length's lines, read back),
    # the completer's settings, insert_text, and every error.
    script = (
        "import os, readline\n"
        "print(readline.get_completer(), repr(readline.get_completer_delims()), readline.get_history_length(),\n"
        "      readline.get_completion_type(), repr(readline.get_line_buffer()), readline.get_current_history_length())\n"
        "for line in ('one', 'tw\\u00f6', 'three'):\n    readline.add_history(line)\n"
        "print([readline.get_history_item(i) for i in range(-1, 5)])\n"
        "readline.replace_history_item(1, 'TWO')\nreadline.remove_history_item(0)\n"
        "print([readline.get_history_item(i) for i in range(1, 4)], readline.get_current_history_length())\n"
        "p = os.path.join('out', 'history')\n"
        "readline.write_history_file(p)\nprint(repr(open(p).read()))\n"
        "readline.add_history('four')\nreadline.append_history_file(1, p)\nprint(repr(open(p).read()))\n"
        "readline.set_history_length(2)\nreadline.write_history_file(p)\nprint(repr(open(p).read()), readline.get_history_length())\n"
        "readline.add_history('five')\nreadline.append_history_file(2, p)\nprint(repr(open(p).read()))\n"
        "readline.clear_history()\nreadline.read_history_file(p)\n"
        "print(readline.get_current_history_length(), readline.get_history_item(1), readline.get_history_item(2))\n"
        "readline.set_completer_delims(' .')\nprint(repr(readline.get_completer_delims()))\n"
        "complete = lambda text, state: None\nreadline.set_completer(complete)\nprint(readline.get_completer() is complete)\n"
        "readline.set_completer()\nprint(readline.get_completer())\n"
        "readline.insert_text('abc')\nreadline.insert_text('d')\nprint(repr(readline.get_line_buffer()))\n"
        "readline.parse_and_bind('tab: complete')\nreadline.set_auto_history(False)\nreadline.redisplay()\n"
        "for hook in (readline.set_startup_hook, readline.set_pre_input_hook, readline.set_completion_display_matches_hook):\n"
        "    hook(print)\n    hook(None)\n    hook()\n"
        "missing = os.path.join('out', 'missing')\n"
        "for f, args in ((readline.remove_history_item, (-1,)), (readline.remove_history_item, (9,)),\n"
        "                (readline.replace_history_item, (9, 'x')), (readline.replace_history_item, (0, 5)),\n"
        "                (readline.add_history, (b'x',)), (readline.insert_text, (1,)), (readline.parse_and_bind, (None,)),\n"
        "                (readline.set_completer, (5,)), (readline.set_startup_hook, (5,)), (readline.get_history_item, ('a',)),\n"
        "                (readline.append_history_file, (1, missing)), (readline.read_history_file, (missing,)),\n"
        "                (readline.read_init_file, (missing,)), (readline.read_history_file, (5,)),\n"
        "                (readline.set_history_length, ('2',)), (readline.add_history, ()), (readline.clear_history, (1,))):\n"
        "    try:\n        f(*args)\n        print(f.__name__, 'no error')\n"
        "    except Exception as e:\n        print(f.__name__, repr(e))\n"
        "print(readline.add_history.__text_signature__, readline.append_history_file.__text_signature__)\n"
        "print(os.path.exists(missing), readline._READLINE_VERSION >= 0x0600, 'libedit' in readline.__doc__)\n")
    parity(["rl.py"], {"rl.py": script}, writable="out")


def case_parity_user_database():
    # pwd and grp agree with the rest of the system about whoever runs the script
    # (python3 here runs as its machine's user, pyodide-run as the sandbox's): the
    # entry of os.getuid() and its name, a file's owner by name, ~name, a tar
    # member's names; and lookups of what is not there fail alike.
    script = (
        "import getpass, grp, io, os, pathlib, pwd, tarfile\n"
        "me = pwd.getpwuid(os.getuid())\n"
        "print(me.pw_uid == os.getuid(), pwd.getpwnam(me.pw_name) == me, me in pwd.getpwall())\n"
        "print(grp.getgrgid(me.pw_gid) == grp.getgrnam(grp.getgrgid(me.pw_gid).gr_name))\n"
        "print(os.path.expanduser('~' + me.pw_name) == me.pw_dir, pwd.getpwnam('root')[:4])\n"
        "p = pathlib.Path('out', 'owned.txt')\np.write_text('x')\n"
        "print(p.owner() == me.pw_name, p.group() == grp.getgrgid(os.getgid()).gr_name)\n"
        "archive = io.BytesIO()\n"
        "with tarfile.open(fileobj=archive, mode='w') as t:\n    t.add(p, 'owned.txt')\n"
        "archive.seek(0)\nm = tarfile.open(fileobj=archive).getmember('owned.txt')\n"
        "print((m.uname, m.gname) == (p.owner(), p.group()))\n"
        "print(type(me).__name__, me.n_fields, pwd.struct_passwd.__module__, grp.struct_group.n_sequence_fields)\n"
        "print(pwd.getpwuid.__text_signature__, grp.getgrgid.__text_signature__, grp.getgrnam(name='root').gr_gid)\n"
        "for f, a in ((pwd.getpwuid, 54321), (pwd.getpwuid, -1), (pwd.getpwuid, 2**40), (pwd.getpwuid, '0'),\n"
        "             (pwd.getpwnam, 'no-such-user'), (pwd.getpwnam, 3), (pwd.getpwnam, 'a\\0b'),\n"
        "             (grp.getgrgid, 54321), (grp.getgrgid, 1.0), (grp.getgrnam, 'no-such-group'), (grp.getgrnam, b'root')):\n"
        "    try:\n        f(a)\n    except Exception as e:\n        print(f.__name__, repr(e))\n"
        "for name in ('LOGNAME', 'USER', 'LNAME', 'USERNAME'):\n    os.environ.pop(name, None)\nprint(getpass.getuser() == me.pw_name)\n")
    parity(["users.py"], {"users.py": script}, writable="out")


FILE_LOCKS = """\
import errno, fcntl, os, struct
p = os.path.join('out', 'shared.lock')
a = os.open(p, os.O_RDWR | os.O_CREAT)
b = os.open(p, os.O_RDWR)
fcntl.flock(a, fcntl.LOCK_EX)
try:
    fcntl.flock(b, fcntl.LOCK_EX | fcntl.LOCK_NB)
except BlockingIOError as e:
    print('in the way:', e)
fcntl.flock(a, fcntl.LOCK_SH)
fcntl.flock(b, fcntl.LOCK_SH | fcntl.LOCK_NB)
print('shared by both')
fcntl.flock(a, fcntl.LOCK_UN)
fcntl.flock(b, fcntl.LOCK_UN)
os.close(b)
with open(p, 'r+') as f:
    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print('a file object locked')
fcntl.flock(a, fcntl.LOCK_EX | fcntl.LOCK_NB)
print('released when its file closed')
fcntl.flock(a, fcntl.LOCK_UN)
print(fcntl.lockf(a, fcntl.LOCK_EX, 10, 5), fcntl.lockf(a, fcntl.LOCK_SH | fcntl.LOCK_NB), fcntl.lockf(a, fcntl.LOCK_UN))
flags = fcntl.fcntl(a, fcntl.F_GETFL)
print(flags & os.O_ACCMODE == os.O_RDWR, fcntl.fcntl(a, fcntl.F_SETFL, flags | os.O_NONBLOCK),
      bool(fcntl.fcntl(a, fcntl.F_GETFL) & os.O_NONBLOCK))
layout = 'hhxxxxqqixxxx'
print(struct.unpack(layout, fcntl.fcntl(a, fcntl.F_OFD_GETLK, struct.pack(layout, fcntl.F_WRLCK, 0, 0, 0, 0)))[:4])
r = os.open(p, os.O_RDONLY)
for f, args in ((fcntl.flock, (a, 0)), (fcntl.flock, (12345, fcntl.LOCK_EX)), (fcntl.flock, ('a', 1)),
                (fcntl.lockf, (a, 0)), (fcntl.lockf, (a, fcntl.LOCK_EX, 10, 0, 7)),
                (fcntl.lockf, (r, fcntl.LOCK_EX | fcntl.LOCK_NB)), (fcntl.fcntl, (a, fcntl.F_SETLK, 0)),
                (fcntl.fcntl, (a, fcntl.F_GETFL, b'x' * 1025)), (fcntl.fcntl, (a, 1234))):
    try:
        f(*args)
    except Exception as e:
        print(f.__name__, repr(e))
try:
    fcntl.ioctl(a, 0x5413, bytes(8))  # TIOCGWINSZ
except OSError as e:
    print('ioctl', errno.errorcode[e.errno])
print([n for n in ('LOCK_SH', 'LOCK_EX', 'LOCK_NB', 'LOCK_UN', 'F_GETFL', 'F_SETFL', 'F_GETFD', 'F_SETFD', 'FD_CLOEXEC',
                   'F_GETLK', 'F_SETLK', 'F_SETLKW', 'F_OFD_GETLK', 'F_OFD_SETLK', 'F_OFD_SETLKW', 'F_RDLCK',
                   'F_WRLCK', 'F_UNLCK') if not hasattr(fcntl, n)])
"""


def case_parity_file_locks():
    # fcntl as a program uses it on its own files: flock's exclusion between two
    # opens, shared locks, release by close; lockf, the status flags, a record
    # lock's query; and python3's errors.
    parity(["locks.py"], {"locks.py": FILE_LOCKS}, writable="out")


# Locks the file named by argv[1] as argv[2] says, prints "ready", then waits
# for a line on stdin (or reports how the lock went, when it cannot be had).
LOCK_HOLDER = """\
import fcntl, sys, time
f = open(sys.argv[1], 'r+')
how = sys.argv[2]
start = time.monotonic()
try:
    if how == 'flock-nb':
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    elif how == 'lockf':
        fcntl.lockf(f, fcntl.LOCK_EX, 4, 2)
    else:
        print('ready', flush=True)
        fcntl.flock(f, fcntl.LOCK_EX)
        print('got it after', round(time.monotonic() - start, 1) >= 0.4, flush=True)
        sys.exit(0)
except BlockingIOError as e:
    print('in the way:', e, flush=True)
    sys.exit(3)
print('ready', flush=True)
sys.stdin.readline()
"""


def case_sandbox_file_locks_between_processes():
    # Locks taken in the sandbox are the host's: a native process finds them in its
    # way, and the sandbox finds a native process's; a wait for one ends when it is
    # released, and Ctrl-C (as python3's) or --timeout stop the wait.
    import fcntl
    with tempfile.TemporaryDirectory(prefix="pyodide-cli-") as tmp:
        shared = os.path.join(tmp, "shared")
        with open(shared, "w") as f:
            f.write("0123456789")
        with open(os.path.join(tmp, "holder.py"), "w") as f:
            f.write(LOCK_HOLDER)
        sandbox = [RUN, "--mount", f"{tmp}:{tmp}", os.path.join(tmp, "holder.py"), shared]

        for how, native_lock in (("flock-nb", lambda f: fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)),
                                 ("lockf", lambda f: fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 3))):
            holder = subprocess.Popen(sandbox + [how], cwd=tmp, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            check(holder.stdout.readline() == b"ready\n", f"{how}: the sandbox did not lock")
            with open(shared, "r+") as f:
                try:
                    native_lock(f)
                    check(False, f"{how}: python3 took a lock the sandbox holds")
                except OSError as e:
                    check(e.errno in (errno.EAGAIN, errno.EACCES), f"{how}: {e!r}")
            holder.communicate(b"\n", timeout=TIMEOUT_S)
            with open(shared, "r+") as f:
                native_lock(f)  # released with the sandbox's file

        with open(shared, "r+") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            r = run(sandbox + ["flock-nb"], tmp)
            check(r.status == 3 and r.out == "in the way: [Errno 11] Resource temporarily unavailable\n",
                  f"LOCK_NB against python3's lock: {r}")
            waiter = subprocess.Popen(sandbox + ["wait"], cwd=tmp, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            check(waiter.stdout.readline() == b"ready\n", "the waiting sandbox did not start")
            time.sleep(0.5)
            fcntl.flock(held, fcntl.LOCK_UN)
            out, err = waiter.communicate(timeout=TIMEOUT_S)
            check(waiter.returncode == 0 and out == b"got it after True\n", f"wait: {waiter.returncode} {out} {err}")

            fcntl.flock(held, fcntl.LOCK_EX)
            waiter = subprocess.Popen(sandbox + ["wait"], cwd=tmp, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            check(waiter.stdout.readline() == b"ready\n", "the interrupted sandbox did not start")
            time.sleep(0.5)
            waiter.send_signal(signal.SIGINT)
            out, err = waiter.communicate(timeout=TIMEOUT_S)
            check(waiter.returncode == -signal.SIGINT and err.rstrip().endswith(b"KeyboardInterrupt"),
                  f"Ctrl-C: {waiter.returncode} {err}")
            r = run([RUN, "--timeout", "1"] + sandbox[1:] + ["wait"], tmp)
            check(r.status == 124 and "--timeout 1 s expired" in r.err, f"--timeout: {r}")


def case_parity_top_level_frames():
    # Nothing of pyodide-run's lies beneath the program's frames: a stack printed or
    # inspected there, sys._getframe past the top, and warnings whose stacklevel
    # reaches past the program (sys:1), as in python3; from a script, -c and stdin.
    script = (
        "import inspect, sys, traceback, warnings\n"
        "traceback.print_stack()\n"
        "print([f.function for f in inspect.stack()])\n"
        "try:\n    sys._getframe(1)\nexcept ValueError as e:\n    print(e)\n"
        "warnings.warn('top', stacklevel=2)\n"
        "def f():\n    traceback.print_stack()\n    warnings.warn('in f', stacklevel=3)\n"
        "f()\n"
        "raise KeyError('end')\n")
    parity(["frames.py"], {"frames.py": script})
    parity(["-c", script])
    parity(["-"], stdin=script.encode())


def case_parity_interpreter_flags():
    # python3's interpreter flags, in sys.flags and in what they change. (utf8_mode is
    # always 1 in the sandbox, and it never writes bytecode: both left out.)
    show = ("import sys\nf = sys.flags\n"
            "print([(n, getattr(f, n)) for n in dir(f) if not n.startswith(('_', 'n_', 'count', 'index'))"
            " and n not in ('utf8_mode', 'dont_write_bytecode')], sys.orig_argv[1:])")
    for flags in ([], ["-O"], ["-OO", "-s", "-d", "-b"], ["-bb", "-R"], ["-I"], ["-P", "-q", "-E"], ["-S", "-s"],
                  ["-X", "dev"], ["-X", "warn_default_encoding", "-X", "int_max_str_digits=700"]):
        parity(flags + ["-c", show, "arg"])
    parity(["-S", "-c", "import sys\nprint('site' in sys.modules, [p for p in sys.path if 'packages' in p])\nexit()"])
    parity(["-x", "x.py", "a"], {"x.py": "not Python: skipped\nimport sys\nprint(sys.argv[1:])\nraise ValueError('line 4')\n"})
    parity(["-O", "-c", "assert False, 'kept'\nprint(__debug__)\nif __debug__: print('debug')"])
    parity(["-OO", "-c", "def f():\n    'doc'\nprint(f.__doc__, __debug__)"])
    parity(["-b", "-c", "print(b'' == '', b'x' != 'x')"])
    parity(["-bb", "-c", "print('before')\nb'' == ''"])
    parity(["-bb", "-W", "ignore::BytesWarning", "-c", "print(b'' == '')"])
    parity(["-X", "dev", "-c", "import faulthandler, warnings\nprint(faulthandler.is_enabled())\n"
                               "warnings.warn('shown in dev mode', DeprecationWarning)"])
    parity(["-X", "faulthandler", "-X", "tracemalloc=5", "-c",
            "import faulthandler, tracemalloc\nprint(faulthandler.is_enabled(), tracemalloc.is_tracing(),"
            " tracemalloc.get_traceback_limit())"])
    parity(["-X", "warn_default_encoding", "-c", "open('/dev/null').close()"])
    parity(["-X", "int_max_str_digits=640", "-c", "int('1' * 641)"])
    parity(["-X", "int_max_str_digits=10", "-c", "print('never')"])
    parity(["-X", "int_max_str_digits=x", "-c", "print('never')"])
    # Each -X number read as python3's configuration reads it: "" is 0, a sign or
    # leading blanks are allowed, anything else is python3's fatal error.
    show_numbers = "import sys, tracemalloc\nprint(tracemalloc.get_traceback_limit(), sys.get_int_max_str_digits())"
    for option in ("tracemalloc=", "tracemalloc=0", "tracemalloc= 5", "tracemalloc=1x", "tracemalloc=-1",
                   "int_max_str_digits", "int_max_str_digits=", "int_max_str_digits=+700"):
        parity(["-X", option, "-c", show_numbers])
    # -v traces imports made after the start (python3 also traces its own start's).
    with tempfile.TemporaryDirectory(prefix="pyodide-cli-") as tmp:
        r = sandbox_run(["-vv", "-c", "import sys, json; print(sys.flags.verbose)"], tmp)
        check(r.status == 0 and r.out == "2\n" and "import 'json' #" in r.err, f"-v: {r}")
        r = sandbox_run(["-c", "import json; print('ok')"], tmp)
        check(r.status == 0 and r.err == "", f"without -v: {r}")


def case_parity_json_tool():
    data = '{"b": [1, 2.5, null], "a": "\\u00e9"}\n'
    parity(["-m", "json.tool", "data.json"], {"data.json": data}, mount_cwd=True)
    parity(["-m", "json.tool", "--sort-keys", "--indent", "1", "data.json"], {"data.json": data},
           mount_cwd=True)
    parity(["-m", "no_such_module_here"])


def case_parity_command():
    parity(["-c", "import sys; print(sys.argv, __name__, sys.path[0] == '')", "x", "-y"])
    parity(["-c", "x = 1\nx + 1"])
    parity(["-c", "print('ok')", "-c", "more"])


def case_parity_sibling_import():
    files = {"app.py": "import helper\nfrom pkg import mod\nprint(helper.greet(), mod.VALUE)\n"
                       "import os, sys\nprint(os.path.basename(helper.__file__), sys.path[0] == os.path.dirname(__file__))\n",
             "helper.py": "def greet():\n    return 'hello from helper'\n",
             "pkg/__init__.py": "",
             "pkg/mod.py": "VALUE = 42\n"}
    parity(["app.py"], files)                                 # cwd = the script's directory
    parity(["proj/app.py"], files, subdir="proj")             # a relative path from elsewhere
    parity(["../proj/app.py"], files, subdir="proj", cwd_rel="other")


def case_parity_data_file():
    files = {"read.py": "import os\nhere = os.path.dirname(__file__)\n"
                        "print(open(os.path.join(here, 'data.txt'), encoding='utf-8').read().strip())\n"
                        "print(sorted(os.listdir(here)))\n",
             "data.txt": "línea 1\nline 2\n"}
    relative = dict(files, **{"rel.py": "print(open('data.txt', encoding='utf-8').read().strip())\n"})
    parity(["rel.py"], relative)  # the working directory is the script's
    parity(["proj/read.py"], files, subdir="proj")


def case_parity_files_written():
    # What a script does with its own files (bridge/files.c, readdir.c and paths.c serve
    # them from the host): CSV, JSON, copies, a temporary file renamed into place, listings,
    # a walk, zip, gzip, SQLite, appends, a read-write, removals, errors.
    job = """import csv, json, os, sys, glob, shutil, tempfile, pathlib, hashlib, zipfile, gzip, sqlite3
root = pathlib.Path(sys.argv[1])
(root / "data").mkdir()
for i in range(30):
    with open(root / "data" / f"r{i}.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["k", "v"])
        w.writerows([j, i * j] for j in range(20))
total = 0
for p in sorted(glob.glob(str(root / "data" / "*.csv"))):
    with open(p, newline="") as f:
        total += sum(int(r["v"]) for r in csv.DictReader(f))
print(total)
(root / "summary.json").write_text(json.dumps({"total": total}))
print(json.loads((root / "summary.json").read_text()))
shutil.copyfile(root / "summary.json", root / "copy.json")
print(hashlib.sha256((root / "copy.json").read_bytes()).hexdigest())
with tempfile.NamedTemporaryFile("w+", dir=root, delete=False) as t:
    t.write("temp")
    t.seek(0)
    print(t.read())
os.replace(t.name, root / "final.txt")
print(sorted(p.name for p in root.iterdir()), sum(len(files) for _, _, files in os.walk(root)))
with zipfile.ZipFile(root / "a.zip", "w") as z:
    z.write(root / "final.txt", "final.txt")
with zipfile.ZipFile(root / "a.zip") as z:
    print(z.read("final.txt"))
with gzip.open(root / "g.gz", "wt") as g:
    g.write("gz" * 100)
with gzip.open(root / "g.gz", "rt") as g:
    print(len(g.read()))
db = sqlite3.connect(root / "db.sqlite")
db.execute("create table t(x)")
db.executemany("insert into t values (?)", [(i,) for i in range(100)])
db.commit()
print(db.execute("select sum(x) from t").fetchone())
db.close()
with open(root / "final.txt", "a") as f:
    f.write("+more")
with open(root / "final.txt", "r+") as f:
    f.seek(2)
    f.write("MP")
    f.seek(0)
    print(f.read(), os.path.getsize(root / "final.txt"))
for bad in (lambda: open(root / "missing.txt"), lambda: os.mkdir(root / "data"), lambda: os.rmdir(root / "data"),
            lambda: open(root / "data", "w"), lambda: os.unlink(root / "data"), lambda: open(root / "final.txt", "x"),
            lambda: os.listdir(root / "missing"), lambda: open(root / "final.txt" / "x")):
    try:
        bad()
    except OSError as e:
        print(type(e).__name__, __import__("errno").errorcode[e.errno], e)
shutil.rmtree(root / "data")
print(sorted(os.listdir(root)))
"""
    parity(["job.py", "out"], {"job.py": job}, writable="out")


def case_parity_non_ascii():
    parity(["u.py"], {"u.py": "# -*- coding: utf-8 -*-\ns = 'héllo € 𝄞 日本'\nprint(s, len(s))\n"
                              "import sys\nprint(sys.stdout.encoding, sys.getfilesystemencoding())\n"
                              "print('\\udcff'.encode('utf-8', 'surrogateescape'))\n"
                              "print(ascii(s), file=sys.stderr)\n"})
    parity(["latin.py"], {"latin.py": "# -*- coding: latin-1 -*-\nprint('caf\xe9')\n".encode("latin-1")})
    parity(["-c", "print('é' * 3)"])


def case_parity_temporary_files():
    # tempfile from a script in a read-only directory: python3 uses /tmp.
    parity(["temp.py"], {"temp.py": "import os, tempfile\n"
                         "with tempfile.TemporaryDirectory() as d:\n"
                         "    p = os.path.join(d, 'f.txt')\n"
                         "    with open(p, 'w') as f: f.write('hi')\n"
                         "    print(open(p).read(), os.listdir(d))\n"
                         "with tempfile.NamedTemporaryFile('w+') as f:\n"
                         "    f.write('named'); f.seek(0); print(f.read())\n"
                         "with tempfile.TemporaryFile() as f: print(f.write(b'abc'))\n"
                         "fd, path = tempfile.mkstemp(suffix='.txt')\nos.close(fd)\nos.remove(path)\n"
                         "print(path.endswith('.txt'), os.path.isdir(tempfile.gettempdir()))\n"})


def case_parity_root_and_tmp():
    # The sandbox's / is a directory, as python3's: /home and /tmp are in it, /tmp is
    # writable (the runtime's own), tempfile uses it, and a missing path is missing.
    parity(["root.py"], {"root.py": """import os, pathlib, shutil, tempfile, uuid
print([os.path.isdir(p) for p in ("/", "/home", "/tmp", "/tmp/..")], pathlib.Path("/").is_dir())
print({"home", "tmp"} <= set(os.listdir("/")), tempfile.gettempdir())
mine = f"/tmp/pyodide-parity-{uuid.uuid4().hex}"
os.mkdir(mine)
with open(mine + "/a.txt", "w") as f:
    f.write("written in /tmp")
print(open(mine + "/a.txt").read(), os.listdir(mine), mine.removeprefix("/tmp/") in os.listdir("/tmp"))
with tempfile.TemporaryDirectory() as d, tempfile.NamedTemporaryFile() as t:
    print(os.path.dirname(d), os.path.dirname(t.name))
shutil.rmtree(mine)
print(os.path.exists(mine), os.path.exists("/no/such/dir"), os.path.realpath("/tmp/../tmp"))
try:
    open("/no-such-dir/x.txt", "w")
except OSError as e:
    print(repr(e))
"""})


def case_parity_parent_directories():
    # ".." leaves a preopened directory as on Linux: a script in a directory of its own
    # (mounted at its path) reads its project's data beside it; chdir("..") climbs; the
    # working directory reads as Linux's getcwd.
    parity(["app/main.py"], {"app/main.py": """import os
here = os.path.dirname(os.path.abspath(__file__))
print(open(os.path.join(here, "..", "data", "d.txt")).read().strip())
print(sorted(os.listdir(os.path.join(here, ".."))), os.path.isdir(os.path.join(here, "..", "..")))
print(os.path.isdir("/home/.."), os.path.isdir("/tmp/../home"), os.path.exists("/tmp/../../tmp"))
os.chdir("/tmp")
os.chdir("..")
print(os.getcwd())
os.chdir("/tmp/../tmp/./")
print(os.getcwd())
os.chdir(here)
os.chdir("../data")
print(os.getcwd() == os.path.join(os.path.dirname(here), "data"), open("d.txt").read().strip())
try:
    os.chdir("")
except OSError as e:
    print(repr(e))
""", "data/d.txt": "beside the app\n"}, mount_cwd=True)


def case_parity_binary_output():
    import base64, gzip
    data = bytes(range(256)) * 40
    # The stdlib's command lines that read sys.stdin.buffer and write sys.stdout.buffer.
    parity(["-m", "base64", "-d"], stdin=base64.encodebytes(data))
    parity(["-m", "gzip", "-d"], stdin=gzip.compress(data))
    # Text and bytes in order; the buffer's name; another encoding, set or wrapped.
    parity(["-c", "import sys\nprint('text')\nsys.stdout.buffer.write(b'\\xff\\x00 bytes\\n')\n"
                  "print(sys.stdout.buffer.name, sys.stderr.buffer.name)\nsys.stderr.buffer.write(b'err\\xfe\\n')\n"
                  "print(sys.__stdout__ is sys.stdout, sys.__stderr__ is sys.stderr, sys.__stdin__ is sys.stdin)\n"
                  "import os\nprint(sys.stdin.fileno(), sys.stdout.fileno(), sys.stderr.fileno(), os.isatty(1))\n"
                  "import faulthandler\nfaulthandler.enable()\nprint(faulthandler.is_enabled())\n"
                  "print('original', file=sys.__stderr__)"])
    parity(["-c", "import io, sys\nsys.stdout.reconfigure(encoding='latin-1')\nprint('caf\\xe9')\n"
                  "w = io.TextIOWrapper(sys.stdout.buffer, encoding='utf-16-le')\nw.write('wide\\n')\nw.flush()"])
    # Closed: both layers refuse.
    parity(["-c", "import sys\nb = sys.stdout.buffer\nsys.stdout.close()\n"
                  "for f in (lambda: b.write(b'x'), lambda: print('x')):\n"
                  "    try: f()\n    except ValueError as e: print(e, file=sys.stderr)"])


def case_parity_error_numbers():
    # Error numbers are Linux's, as python3's: the errno module (every name python3's
    # has: WASI's errors and Linux's others), OSError's subclass for a number,
    # os.strerror (glibc's words for every error: bridge/strerror.c for WASI's), and
    # the "[Errno N] words" of messages.
    parity(["numbers.py"], {"numbers.py": f"""import errno, os
names = sorted(n for n in dir(errno) if n.startswith("E") and n != "ENOTCAPABLE")
print(len(names), {{n: getattr(errno, n) for n in names}})
print({{n: errno.errorcode[getattr(errno, n)] for n in names}})
print(sorted(errno.errorcode.items()))
print({{n: os.strerror(getattr(errno, n)) for n in names}})
print([(n, type(OSError(n, 'x')).__name__) for n in range(1, 134)])
print([os.strerror(n) for n in (errno.ENOENT, errno.EACCES, errno.EEXIST, errno.ENOTDIR, errno.EISDIR, errno.EPIPE)])
print(os.strerror(1000), os.strerror(0))
def show(f):
    try:
        f()
    except OSError as e:
        print(repr(e), e, errno.errorcode[e.errno])
show(lambda: open('missing.txt'))
show(lambda: os.stat('missing/file'))
os.mkdir('out/d')
open('out/d/f', 'w').close()
show(lambda: os.mkdir('out/d'))
show(lambda: os.rmdir('out/d'))
show(lambda: os.listdir('out/d/f'))
show(lambda: open('out/d', 'w'))
show(lambda: os.rename('out/d', 'out/d/f/g'))
"""}, writable="out")


def run_reader_gone(argv, cwd):
    """Runs argv with stdout a pipe whose reader goes after the first line (as
    `| head -1`)."""
    proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()
    proc.stdout = None
    try:
        _, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        err += b"\n(still running after the reader had gone)"
    return Result(proc.returncode, first.decode("utf-8", "replace"), err.decode("utf-8", "replace"))


def case_parity_broken_pipe():
    # `| head -1`: python3 ignores SIGPIPE, so a write to the closed pipe raises
    # BrokenPipeError; a program that never stops writing ends there.
    scripts = {"forever.py": "n = 0\nwhile True:\n    print(n)\n    n += 1\n",
               "low.py": "import os\nwhile True:\n    os.write(1, b'data\\n')\n",
               "caught.py": "import sys\ntry:\n    while True:\n        print('line')\n"
                            "except BrokenPipeError as e:\n    print(type(e).__name__, e.errno, e.strerror, file=sys.stderr)\n"
                            "    sys.exit(3)\n"}
    with tempfile.TemporaryDirectory(prefix="pyodide-cli-") as tmp:
        for name, text in scripts.items():
            with open(os.path.join(tmp, name), "w") as f:
                f.write(text)
        for name in scripts:
            native = run_reader_gone([PYTHON, name], tmp)
            ours = run_reader_gone([RUN, name], tmp)
            for field in ("status", "out", "err"):
                a, b = getattr(native, field), getattr(ours, field)
                if field != "status":
                    a, b = normalise(a, tmp), normalise(b, tmp)
                check(a == b, f"{name}: {field} differs:\n--- python3.11:\n{a}\n--- pyodide-run:\n{b}")


def case_parity_os_exit():
    # No finally block, no atexit handler, the status given; what was written stays.
    parity(["-c", "import atexit, os, sys\natexit.register(print, 'atexit')\nprint('before', flush=True)\n"
                  "sys.stderr.write('err\\n')\ntry:\n    os._exit(5)\nfinally:\n    print('finally')"])


def case_parity_large_output():
    parity(["-c", "import sys\nfor i in range(100000): print(i, 'x' * (i % 50))\n"
                  "sys.stderr.write('e' * 100000 + '\\n')"])


def case_parity_sigint_caught():
    # A loop with a body: 3.11 does not catch in `try: while True: pass`.
    native, _ = parity(["caught.py"], {"caught.py": 'print("ready", flush=True)\nn = 0\ntry:\n'
                                                   "    while True:\n        n += 1\n"
                                                   "except KeyboardInterrupt:\n    print('caught')\n"
                                                   "finally:\n    print('finally')\n"},
                       signals=[signal.SIGINT])
    check(native.status == 0 and native.out.endswith("caught\nfinally\n"), f"python3.11: {native}")


def case_parity_sigint_uncaught():
    native, _ = parity(["loop.py"], {"loop.py": LOOP_UNTIL_INTERRUPTED}, signals=[signal.SIGINT])
    check(native.status == -signal.SIGINT, f"python3.11 ended with {native.status}")


def case_parity_signal_handlers():
    # Handlers a program sets with signal.signal run as in python3, every time, and
    # nothing else happens: a SIGINT handler that counts, a SIGTERM handler that
    # shuts down cleanly, a SIGHUP handler that raises.
    parity(["count.py"], {"count.py": """import signal, sys
seen = []
def on_int(n, frame):
    seen.append(n)
    print("handler", len(seen), flush=True)
signal.signal(signal.SIGINT, on_int)
print("ready", flush=True)
n = 0
while len(seen) < 2:
    n += 1
print("done", seen)
"""}, signals=[signal.SIGINT, signal.SIGINT])
    parity(["term.py"], {"term.py": """import signal, sys
def on_term(n, frame):
    print("shutting down on", signal.Signals(n).name, flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
print("ready", flush=True)
try:
    while True:
        pass
finally:
    print("finally ran")
"""}, signals=[signal.SIGTERM])
    parity(["hup.py"], {"hup.py": """import signal
def on_hup(n, frame):
    raise RuntimeError(f"hung up ({n})")
signal.signal(signal.SIGHUP, on_hup)
print("ready", flush=True)
n = 0
while True:
    n += 1
"""}, signals=[signal.SIGHUP])


def case_parity_signal_ignored():
    # SIG_IGN for SIGINT: Ctrl-C does nothing; the SIGTERM that follows, left at its
    # default, ends the program by the signal.
    native, _ = parity(["ignore.py"], {"ignore.py": """import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
print("ready", flush=True)
n = 0
while True:
    n += 1
"""}, signals=[signal.SIGINT, signal.SIGTERM])
    check(native.status == -signal.SIGTERM, f"python3.11 ended with {native.status}")


def case_parity_signal_during_input():
    # A handler runs while input() waits, and the read goes on (python3 retries after
    # EINTR): the line typed afterwards is read.
    script = """import signal
signal.signal(signal.SIGINT, lambda n, f: print("handler", n, flush=True))
print("ready", flush=True)
print("read", input())
"""
    with tempfile.TemporaryDirectory(prefix="pyodide-cli-") as tmp:
        with open(os.path.join(tmp, "ask.py"), "w") as f:
            f.write(script)
        results = []
        for prog in (PYTHON, RUN):
            proc = subprocess.Popen([prog, "ask.py"], cwd=tmp, stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            first = proc.stdout.readline()
            time.sleep(0.5)
            proc.send_signal(signal.SIGINT)
            handled = proc.stdout.readline()
            out, err = proc.communicate(b"typed later\n", timeout=TIMEOUT_S)
            results.append((proc.returncode, (first + handled + out).decode(), err.decode()))
        check(results[0] == results[1], f"python3.11: {results[0]}\npyodide-run: {results[1]}")
        check(results[0][1] == "ready\nhandler 2\nread typed later\n", f"python3.11: {results[0]}")


def case_parity_interval_timers():
    # signal.alarm, setitimer and getitimer: their answers and errors, and SIGALRM's
    # handler stopping a busy loop, a sleep, and running on an interval; SIG_IGN.
    parity(["timers.py"], {"timers.py": """import signal, time
calls = [lambda: signal.alarm(-1), lambda: signal.alarm("x"), lambda: signal.alarm(2**40),
         lambda: signal.alarm(1.5), lambda: signal.setitimer(signal.ITIMER_REAL, -1),
         lambda: signal.setitimer(5, 1), lambda: signal.setitimer(signal.ITIMER_REAL, "x"),
         lambda: signal.getitimer(9), lambda: round(signal.setitimer(signal.ITIMER_REAL, 2.5, 0.5)[0]),
         lambda: 2 < signal.getitimer(signal.ITIMER_REAL)[0] <= 2.5, lambda: signal.alarm(0),
         lambda: signal.setitimer(signal.ITIMER_REAL, 0), lambda: signal.alarm(3), lambda: signal.alarm(0),
         lambda: signal.setitimer(signal.ITIMER_REAL, 0, 5), lambda: signal.getitimer(signal.ITIMER_REAL),
         lambda: signal.getitimer(signal.ITIMER_VIRTUAL), lambda: signal.setitimer(signal.ITIMER_REAL, float("nan"))]
for call in calls:
    try:
        print(repr(call()))
    except Exception as e:
        print(type(e).__name__, e)
print(signal.ItimerError.__mro__[:2], signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF)
class Timeout(Exception):
    pass
def on_alarm(n, frame):
    raise Timeout(f"alarm {n}")
signal.signal(signal.SIGALRM, on_alarm)
signal.alarm(1)
start = time.monotonic()
try:
    n = 0
    while True:
        n += 1
except Timeout as e:
    print("busy loop:", e, 0.9 < time.monotonic() - start < 10)
signal.setitimer(signal.ITIMER_REAL, 0.3)
start = time.monotonic()
try:
    time.sleep(20)
except Timeout as e:
    print("sleep:", e, 0.25 < time.monotonic() - start < 10)
ticks = []
signal.signal(signal.SIGALRM, lambda n, frame: ticks.append(n))
signal.setitimer(signal.ITIMER_REAL, 0.1, 0.1)
while len(ticks) < 3:
    time.sleep(0.01)
print("interval:", ticks, signal.setitimer(signal.ITIMER_REAL, 0)[1])
signal.signal(signal.SIGALRM, signal.SIG_IGN)
signal.setitimer(signal.ITIMER_REAL, 0.05)
time.sleep(0.2)
print("ignored")
signal.signal(signal.SIGALRM, on_alarm)
signal.alarm(1)
raise SystemExit(input())
"""}, stdin=b"read before the alarm\n")


def case_parity_stdin_script():
    parity(["-"], stdin=b"import sys\nprint('from stdin', sys.argv)\n")
    parity(["-", "a"], stdin=b"raise SystemExit('no')\n")


def case_parity_stdin_piped():
    parity(["-c", "print(input()[::-1])"], stdin="héllo\n".encode())
    parity(["-c", "import sys\nlines = sys.stdin.readlines()\nprint(len(lines), lines[-1].strip())"],
           stdin=b"".join(b"line %d\n" % i for i in range(5000)))
    parity(["-m", "json.tool", "--sort-keys"], stdin=b'{"b": [1, 2], "a": null}')
    parity(["-c", "print(input())"])  # nothing piped: EOFError


def case_parity_options():
    parity(["-W", "error", "-c", "import warnings\nwarnings.warn('careful')"])
    parity(["-Wignore", "-c", "import warnings, sys\nwarnings.warn('hidden')\nprint(sys.warnoptions)"])
    parity(["-W", "bogus", "-c", "print(1)"])
    parity(["-X", "dev", "-c", "import sys, warnings\nprint(sys._xoptions)\nwarnings.warn('dev', DeprecationWarning)"])
    parity(["-X", "utf8", "-X", "a=b", "-c", "import sys; print(sys._xoptions, sys.flags.utf8_mode)"])
    parity(["-qBEu", "-c", "print('flags')"])
    parity(["-I", "app.py"], {"app.py": "import sys, os\nprint(os.path.dirname(__file__) in sys.path)\n",
                              "helper.py": ""})
    parity(["-i", "-c", "x = 2"], stdin=b"x * 3\nimport sys; sys.exit(5)\n")
    parity(["-i", "-c", "raise SystemExit(3)"], stdin=b"print('still here')\n")


def case_parity_bad_command_line():
    parity(["-z"])
    parity(["--no-such-option"])
    parity(["-c"])
    parity(["-m"])
    parity(["-W"])
    parity(["missing.py"])
    parity(["-V"])
    parity(["--version"])


# ---- the sandbox ----


def sandbox_run(args, cwd, **kw):
    return run([RUN] + args, cwd, **kw)


def check_rejects(option, values, cwd):
    """Each bad value of `option` is a usage error naming the option."""
    for bad in values:
        r = sandbox_run([option, bad, "-c", "pass"], cwd)
        check(r.status == 2 and option in r.err, f"{option} {bad}: {r}")


# Catches every KeyboardInterrupt and carries on (a loop with a body: 3.11
# does not catch in `try: while True: pass`).
STUBBORN = ('print("ready", flush=True)\nwhile True:\n    try:\n        n = 0\n'
            "        while True:\n            n += 1\n"
            "    except KeyboardInterrupt:\n        print('ignored', flush=True)\n")


def case_sandbox_mounts():
    with tempfile.TemporaryDirectory(prefix="pyodide-cli-") as tmp:
        rw, ro, proj = (os.path.join(tmp, d) for d in ("rw", "ro", "proj"))
        for d in (rw, ro, proj):
            os.makedirs(d)
        with open(os.path.join(ro, "in.txt"), "w") as f:
            f.write("read me")
        with open(os.path.join(tmp, "secret.txt"), "w") as f:
            f.write("secret")
        with open(os.path.join(proj, "app.py"), "w") as f:
            f.write("import os, sys\n"
                    "print(os.getcwd())\n"
                    "print(open('/data/in.txt').read())\n"
                    "open('/out/made.txt', 'w').write('written')\n"
                    "for path in ['/data/new.txt', __file__ + '.new']:\n"
                    "    try:\n        open(path, 'w')\n        print('wrote', path)\n"
                    "    except OSError as e:\n        print('refused', type(e).__name__, e.errno)\n"
                    "for path in [os.path.dirname(os.path.dirname(__file__)) + '/secret.txt', '/etc/passwd']:\n"
                    "    try:\n        open(path)\n        print('SEEN', path)\n"
                    "    except OSError:\n        print('unseen')\n")
        r = sandbox_run(["--mount", f"{rw}:/out", "--mount", f"{ro}:/data:ro", "proj/app.py"], tmp)
        check(r.status == 0, f"mounts: {r}")
        # The host's cwd (tmp) is not visible: the private home.
        check(r.out.split("\n") == ["/home/pyodide", "read me", "refused OSError 30",
                                    "refused OSError 30", "unseen", "unseen", ""], f"mounts: {r}")
        check(open(os.path.join(rw, "made.txt")).read() == "written", "the rw mount was not written")
        # A cwd inside a mount is seen at its guest path.
        r = sandbox_run(["--mount", f"{rw}:/out", "-c", "import os; print(os.getcwd())"],
                        os.path.join(rw))
        check(r.out == "/out\n", f"cwd in a mount: {r}")
        check_rejects("--mount", ["nohost", f"{tmp}/missing:/x", f"{rw}:relative", rw], tmp)


def case_sandbox_script_in_tmp():
    # A script kept directly in the host's /tmp: its directory, mounted read-only at its
    # own path, hides the runtime's /tmp, so tempfile falls back to /var/tmp, the runtime's
    # own. The script still reads the files beside it and cannot write there.
    fd, script = tempfile.mkstemp(prefix="pyodide-cli-", suffix=".py", dir="/tmp")
    beside = script[:-3] + ".txt"
    try:
        with open(beside, "w") as f:
            f.write("beside the script")
        with os.fdopen(fd, "w") as f:
            f.write("import os, tempfile\n"
                    f"print(open({beside!r}).read())\n"
                    "print(tempfile.gettempdir())\n"
                    "with tempfile.NamedTemporaryFile('w+') as t:\n"
                    "    t.write('temporary'); t.seek(0); print(t.read(), os.path.dirname(t.name))\n"
                    "d = tempfile.mkdtemp()\n"
                    "open(os.path.join(d, 'x'), 'w').write('x')\n"
                    "print(os.listdir(d), d.startswith('/var/tmp/'))\n"
                    "try:\n    open('/tmp/pyodide-cli-written.txt', 'w')\n"
                    "except OSError as e:\n    print('refused', type(e).__name__, e.errno)\n")
        r = sandbox_run([script], "/")
        check(r.status == 0 and r.out == "beside the script\n/var/tmp\ntemporary /var/tmp\n['x'] True\nrefused OSError 30\n",
              f"script in /tmp: {r}")
        check(not os.path.exists("/tmp/pyodide-cli-written.txt"), "the script wrote into the host's /tmp")
    finally:
        os.remove(script)
        os.remove(beside)


def case_sandbox_timeout():
    with tempfile.TemporaryDirectory(prefix="pyodide-cli-") as tmp:
        r = sandbox_run(["--timeout", "1", "-c", "while True: pass"], tmp)
        check(r.status == 124 and "--timeout 1 s expired" in r.err and "KeyboardInterrupt" in r.err,
              f"plain loop: {r}")
        # Code that swallows the KeyboardInterrupt is stopped all the same.
        r = sandbox_run(["--timeout", "1", "-c", STUBBORN], tmp)
        check(r.status == 124 and "--timeout 1 s expired" in r.err and r.out.startswith("ready\nignored"),
              f"swallowing loop: {r}")
        r = sandbox_run(["--timeout", "30", "-c", "print('quick')"], tmp)
        check(r.status == 0 and r.out == "quick\n", f"within the deadline: {r}")
        check_rejects("--timeout", ["0", "-1", "abc", "nan"], tmp)


def case_sandbox_memory_limit():
    with tempfile.TemporaryDirectory(prefix="pyodide-cli-") as tmp:
        r = sandbox_run(["--memory-limit", "64M", "-c",
                         "x = []\nwhile True: x.append(bytearray(10**6))"], tmp)
        check(r.status == 125 and "MemoryError" in r.err and "--memory-limit 64M" in r.err,
              f"over the limit: {r}")
        r = sandbox_run(["--memory-limit", "64M", "-c",
                         "try:\n    b = bytearray(100 * 2**20)\nexcept MemoryError:\n    print('caught')"], tmp)
        check(r.status == 0 and r.out == "caught\n", f"caught MemoryError: {r}")
        r = sandbox_run(["--memory-limit", "256M", "-c", "b = bytearray(100 * 2**20); print(len(b))"], tmp)
        check(r.status == 0 and r.out == "104857600\n", f"under the limit: {r}")
        check_rejects("--memory-limit", ["0", "12X", "-5M", "M"], tmp)


def write_wheel(directory, name, version, source):
    """A pure-Python wheel holding one module `name`.py, with its RECORD."""
    import base64, hashlib, zipfile
    info = f"{name}-{version}.dist-info"
    files = {f"{name}.py": source,
             f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
             f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: cli_tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    record = ""
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record += f"{path},sha256={digest},{len(text.encode())}\n"
    files[f"{info}/RECORD"] = record + f"{info}/RECORD,,\n"
    with zipfile.ZipFile(os.path.join(directory, f"{name}-{version}-py3-none-any.whl"), "w") as z:
        for path, text in files.items():
            z.writestr(path, text)


def wheel_index(tmp):
    """A directory of wheels in tmp, an index micropip installs from: cliwheel 1.0."""
    wheels = os.path.join(tmp, "wheels")
    os.makedirs(wheels)
    write_wheel(wheels, "cliwheel", "1.0", "X = 'installed from the index'\n")
    return wheels


def case_sandbox_index_url():
    install = "import asyncio, micropip\nasyncio.run(micropip.install('cliwheel'))\nimport cliwheel\nprint(cliwheel.X)"
    with tempfile.TemporaryDirectory(prefix="pyodide-cli-") as tmp:
        wheels = wheel_index(tmp)
        r = sandbox_run(["--index-url", wheels, "-c", install], tmp)
        check(r.status == 0 and r.out == "installed from the index\n", f"--index-url: {r}")
        # Without it micropip has no index: the package is not found.
        r = sandbox_run(["-c", install], tmp)
        check(r.status == 1 and "cliwheel" in r.err and "ValueError" in r.err, f"no index: {r}")
        check_rejects("--index-url", ["ftp://example.invalid/simple/"], tmp)


def case_sandbox_script_dependencies():
    # A script's PEP 723 block and --with: installed from --index-url before the program.
    block = '# /// script\n# requires-python = ">=3.10"\n# dependencies = [\n#   "cliwheel>=1",\n# ]\n# ///\n'
    with tempfile.TemporaryDirectory(prefix="pyodide-cli-") as tmp:
        wheels = wheel_index(tmp)

        def script(name, text):
            path = os.path.join(tmp, name)
            with open(path, "wb") as f:
                f.write(text.encode("utf-8", "surrogateescape"))
            return path

        uses = script("uses.py", block + "import sys, cliwheel\nprint(cliwheel.X, sys.argv[1:])\n")
        r = sandbox_run(["--index-url", wheels, uses, "a"], tmp)
        check(r.status == 0 and r.out == "installed from the index ['a']\n" and r.err == "", f"PEP 723: {r}")
        r = sandbox_run(["--index-url", wheels, "--with", "cliwheel==1.0", "-c", "import cliwheel; print(cliwheel.X)"], tmp)
        check(r.status == 0 and r.out == "installed from the index\n", f"--with: {r}")
        # Nothing to install: no index needed, and none asked of a script without a block.
        none = script("none.py", "# /// script\n# dependencies = []\n# ///\nprint('none needed')\n")
        r = sandbox_run([none], tmp)
        check(r.status == 0 and r.out == "none needed\n", f"no dependencies: {r}")
        # Each failure says why, with status 2, before the program runs.
        failures = [
            ([uses], "the program needs packages (cliwheel>=1): give --index-url URL"),
            (["--index-url", wheels, script("missing.py", block.replace("cliwheel>=1", "not-there") + "print('ran')\n")],
             "cannot install the program's packages: ValueError: Can't find a pure Python 3 wheel for: 'not-there'"),
            (["--index-url", wheels, script("newer.py", block.replace(">=3.10", ">=3.12") + "print('ran')\n")],
             "newer.py: the script requires Python >=3.12; the sandbox runs 3.11.2"),
            ([script("bad.py", "# /// script\n# dependencies = [\n# ///\nprint('ran')\n")],
             "bad.py: the script's '# /// script' block is not valid TOML"),
            ([script("two.py", block + "x = 1\n" + block + "print('ran')\n")], "two.py: the script has more than one '# /// script' block"),
            ([script("notlist.py", "# /// script\n# dependencies = 'cliwheel'\n# ///\nprint('ran')\n")],
             "notlist.py: the script's 'dependencies' must be a list of requirement strings"),
            (["--index-url", wheels, script("latin1.py", "# /// script\n# dependencies = ['cliwheel\udce9']\n# ///\n")],
             "latin1.py: a dependency is not UTF-8"),
        ]
        for args, message in failures:
            r = sandbox_run(args, tmp)
            check(r.status == 2 and r.out == "" and message in r.err, f"{args[-1]}: {r}")
        # A block never closed is no block (PEP 723): the script runs.
        unclosed = script("unclosed.py", "# /// script\n# dependencies = ['cliwheel']\nprint('ran')\n")
        r = sandbox_run([unclosed], tmp)
        check(r.status == 0 and r.out == "ran\n", f"unclosed block: {r}")
        check_rejects("--with", [""], tmp)


def case_sandbox_second_interrupt():
    with tempfile.TemporaryDirectory(prefix="pyodide-cli-") as tmp:
        script = os.path.join(tmp, "stubborn.py")
        with open(script, "w") as f:
            f.write(STUBBORN)
        r = sandbox_run([script], tmp, signals=[signal.SIGINT, signal.SIGINT])
        check(r.status == -signal.SIGINT, f"second Ctrl-C: {r}")
        check(r.out == "ready\nignored\n" and "stopping the program hard" in r.err, f"second Ctrl-C: {r}")


def case_sandbox_sigterm():
    with tempfile.TemporaryDirectory(prefix="pyodide-cli-") as tmp:
        script = os.path.join(tmp, "loop.py")
        with open(script, "w") as f:
            f.write(LOOP_UNTIL_INTERRUPTED)
        # The runtime's home directory lives in TMPDIR: it must be gone after.
        homes = os.path.join(tmp, "homes")
        os.makedirs(homes)
        env = dict(os.environ, TMPDIR=homes)
        proc = subprocess.Popen([RUN, script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        check(proc.stdout.readline() == b"ready\n", "no ready line")
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=TIMEOUT_S)
        check(proc.returncode == -signal.SIGTERM, f"SIGTERM: status {proc.returncode}, stderr {err!r}")
        check(out == b"" and err == b"", f"SIGTERM printed: {out!r} {err!r}")
        check(os.listdir(homes) == [], f"left behind: {os.listdir(homes)}")


def case_sandbox_snapshot():
    with tempfile.TemporaryDirectory(prefix="pyodide-cli-") as tmp:
        snap = os.path.join(tmp, "app.snapshot")
        r = sandbox_run(["--save-snapshot", snap, "-c",
                         "import json, sys\nconfig = {'a': [1, 2]}\nprint('saved')"], tmp)
        check(r.status == 0 and r.out == "saved\n" and r.err == "", f"save: {r}")
        check(os.path.getsize(snap) > 0, "no snapshot written")
        # The saved globals and modules, sys.argv and sys.path[0] of this run,
        # as python3 has them for -c.
        code = "print(json.dumps(config), sys.argv, sys.path.count(''), sys.path[0] == '')"
        r = sandbox_run(["--snapshot", snap, "-c", code, "x"], tmp)
        check(r.status == 0 and r.out == '{"a": [1, 2]} [\'-c\', \'x\'] 1 True\n', f"restore: {r}")
        # Each run from it has its own hash secret.
        h1 = sandbox_run(["--snapshot", snap, "-c", "print(hash('abc'))"], tmp).out
        h2 = sandbox_run(["--snapshot", snap, "-c", "print(hash('abc'))"], tmp).out
        check(h1.strip() and h1 != h2, f"the same hash twice: {h1!r} {h2!r}")
        # A path relative to the working directory, twice (a resident server makes
        # the second run's runtime ahead, from a directory of its own).
        for _ in range(2):
            r = sandbox_run(["--snapshot", "app.snapshot", "-c", "print(config)"], tmp)
            check(r.status == 0 and r.out == "{'a': [1, 2]}\n", f"relative snapshot: {r}")
        r = sandbox_run(["--snapshot", "gone.snapshot", "-c", "pass"], tmp)
        check(r.status == 2 and "gone.snapshot" in r.err, f"missing relative snapshot: {r}")
        # A program on stdin may set up the snapshot too.
        snap2 = os.path.join(tmp, "stdin.snapshot")
        r = sandbox_run(["--save-snapshot", snap2], tmp, stdin=b"answer = 42\n")
        check(r.status == 0, f"save from stdin: {r}")
        r = sandbox_run(["--snapshot", snap2, "-c", "print(answer)"], tmp)
        check(r.out == "42\n", f"restore from stdin's: {r}")
        # A failing program saves nothing; unsaveable state is reported.
        bad = os.path.join(tmp, "bad.snapshot")
        r = sandbox_run(["--save-snapshot", bad, "-c", "raise ValueError('no')"], tmp)
        check(r.status == 1 and "ValueError: no" in r.err and not os.path.exists(bad), f"failing setup: {r}")
        r = sandbox_run(["--save-snapshot", bad, "-c", "f = open('/home/pyodide/x', 'w')"], tmp)
        check(r.status == 1 and "cannot save the snapshot" in r.err and "open" in r.err
              and not os.path.exists(bad), f"open file: {r}")
        # What cannot be saved or loaded: usage errors naming the file or option.
        script = os.path.join(tmp, "s.py")
        with open(script, "w") as f:
            f.write("pass\n")
        r = sandbox_run(["--save-snapshot", bad, script], tmp)
        check(r.status == 2 and "--save-snapshot" in r.err, f"save with a script: {r}")
        r = sandbox_run(["--save-snapshot", bad, "--mount", f"{tmp}:/t", "-c", "pass"], tmp)
        check(r.status == 2 and "--save-snapshot" in r.err, f"save with a mount: {r}")
        r = sandbox_run(["--snapshot", os.path.join(tmp, "missing.snapshot"), "-c", "pass"], tmp)
        check(r.status == 2 and "missing.snapshot" in r.err, f"missing snapshot: {r}")
        with open(bad, "wb") as f:
            f.write(open(snap, "rb").read()[:5000])
        r = sandbox_run(["--snapshot", bad, "-c", "pass"], tmp)
        check(r.status == 2 and "truncated" in r.err, f"truncated snapshot: {r}")
        r = sandbox_run(["--snapshot"], tmp)
        check(r.status == 2 and "--snapshot" in r.err, f"no argument: {r}")


# ---- the resident process ----


class Resident:
    """Runs of this test go to resident processes (PYODIDE_RUN_RESIDENT) kept
    in a private directory; with `required`, a run that cannot be handed over
    fails instead of starting in full. The servers are ended on exit."""

    def __init__(self, seconds=60, required=True):
        self.seconds, self.required = seconds, required

    def __enter__(self):
        self.tmp = tempfile.mkdtemp(prefix="pyodide-resident-")
        self.dir = os.path.join(self.tmp, "pyodide-run")
        # The runtimes' homes (a server keeps one made for the next run): all
        # gone once the servers have ended.
        self.homes = os.path.join(self.tmp, "homes")
        os.makedirs(self.homes)
        self.saved = dict(os.environ)
        os.environ.update(XDG_RUNTIME_DIR=self.tmp, TMPDIR=self.homes, PYODIDE_RUN_RESIDENT=str(self.seconds))
        os.environ.pop("PYODIDE_RUN_RESIDENT_REQUIRED", None)
        if self.required:
            os.environ["PYODIDE_RUN_RESIDENT_REQUIRED"] = "1"
        return self

    def sockets(self):
        return sorted(os.listdir(self.dir)) if os.path.isdir(self.dir) else []

    def servers(self):
        """The process ids of the servers listening in the directory."""
        pids = []
        for name in self.sockets():
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                try:
                    s.connect(os.path.join(self.dir, name))
                except OSError:
                    continue
                pid, _, _ = struct.unpack("3i", s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                             struct.calcsize("3i")))
                pids.append(pid)
        return pids

    def __exit__(self, *exc):
        for pid in self.servers():
            os.kill(pid, signal.SIGTERM)
            check(wait_gone(pid), f"the server {pid} outlived SIGTERM")
        check(self.sockets() == [], f"sockets left: {self.sockets()}")
        check(os.listdir(self.homes) == [], f"homes left: {os.listdir(self.homes)}")
        os.environ.clear()
        os.environ.update(self.saved)
        shutil.rmtree(self.tmp, ignore_errors=True)


def alive(pid):
    """Whether the process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(pid, seconds=10):
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not alive(pid)


def process_state(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def case_resident_runs_as_python():
    with Resident() as r, tempfile.TemporaryDirectory(prefix="pyodide-cli-") as tmp:
        first = sandbox_run(["-c", "print('first')"], tmp)
        check(first.status == 0 and first.out == "first\n", f"first run: {first}")
        servers = r.servers()
        check(len(servers) == 1, f"servers after the first run: {servers}")
        for case in (case_parity_argv, case_parity_sys_exit, case_parity_uncaught, case_parity_stdlib_tracebacks,
                     case_parity_json_tool, case_parity_devices, case_parity_interpreter_flags,
                     case_parity_command, case_parity_sibling_import, case_parity_data_file,
                     case_parity_files_written, case_parity_temporary_files, case_parity_non_ascii,
                     case_parity_binary_output, case_parity_error_numbers, case_parity_broken_pipe, case_parity_os_exit,
                     case_parity_large_output,
                     case_parity_stdin_script, case_parity_stdin_piped, case_parity_options,
                     case_parity_bad_command_line):
            case()
        # One server served every run (none of them ended by a signal).
        check(r.servers() == servers, f"servers at the end: {r.servers()}, at the start: {servers}")


def case_resident_time_zone():
    # A run's local time is its client's zone: TZ belongs to what a server shares
    # with its clients, so a client in another zone is served by another server.
    with Resident() as r, tempfile.TemporaryDirectory(prefix="pyodide-cli-") as tmp:
        show = ["-c", "import time; print(time.tzname, time.localtime(1700000000).tm_hour)"]
        for tz, expected in [("Europe/Paris", "('CET', 'CEST') 23\n"), ("Asia/Tokyo", "('JST', 'JST') 7\n"),
                             ("Europe/Paris", "('CET', 'CEST') 23\n")]:
            got = sandbox_run(show, tmp, env=dict(os.environ, TZ=tz))
            check(got.status == 0 and got.out == expected, f"TZ={tz}: {got}")
        check(len(r.servers()) == 2, f"servers: {r.servers()}")


def case_resident_sandbox():
    # The sandbox's options through a server: mounts, --timeout (the guarded
    # engine), --memory-limit, --index-url and --snapshot, each configuration
    # also from a runtime the server made ahead for it.
    with Resident() as r:
        for case in (case_sandbox_mounts, case_sandbox_timeout, case_sandbox_memory_limit,
                     case_sandbox_index_url, case_sandbox_script_dependencies, case_sandbox_snapshot):
            case()
            case()
        check(len(r.servers()) == 1, f"servers: {r.servers()}")


def case_resident_signals():
    with Resident() as r, tempfile.TemporaryDirectory(prefix="pyodide-cli-") as tmp:
        case_parity_sigint_caught()
        servers = r.servers()
        check(len(servers) == 1, f"servers: {servers}")
        # A run that ends by SIGINT ends its server, as it would its own process.
        case_parity_sigint_uncaught()
        check(all(wait_gone(pid) for pid in servers), "the server outlived a run ended by SIGINT")
        case_sandbox_second_interrupt()
        case_sandbox_sigterm()  # its TMPDIR makes a server of its own; the home is removed
        # Ctrl-Z stops the run with the client; it goes on when the client does.
        script = os.path.join(tmp, "count.py")
        with open(script, "w") as f:
            f.write("import time\nprint('ready', flush=True)\n"
                    "for i in range(40):\n    time.sleep(0.05)\nprint('done')\n")
        proc = subprocess.Popen([RUN, script], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        check(proc.stdout.readline() == b"ready\n", "no ready line")
        served_by = [pid for pid in r.servers() if pid != proc.pid]
        proc.send_signal(signal.SIGTSTP)
        time.sleep(0.3)
        check(process_state(proc.pid) == "T", f"the client runs on after SIGTSTP: {process_state(proc.pid)}")
        check(served_by and all(process_state(pid) == "T" for pid in served_by),
              f"the server runs on after SIGTSTP: {[process_state(p) for p in served_by]}")
        time.sleep(3)  # the run's 2 s would have ended by now had it not stopped
        check(proc.poll() is None, "the run ended while stopped")
        proc.send_signal(signal.SIGCONT)
        out, err = proc.communicate(timeout=TIMEOUT_S)
        check(proc.returncode == 0 and out == b"done\n" and err == b"", f"after SIGCONT: {proc.returncode} {out!r} {err!r}")
        # A client killed outright: its run and its server end, the home is removed.
        homes = os.path.join(tmp, "homes")
        os.makedirs(homes)
        env = dict(os.environ, TMPDIR=homes)
        with open(script, "w") as f:
            f.write(LOOP_UNTIL_INTERRUPTED)
        proc = subprocess.Popen([RUN, script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        check(proc.stdout.readline() == b"ready\n", "no ready line")
        killed_servers = r.servers()
        proc.kill()
        proc.communicate(timeout=TIMEOUT_S)
        for pid in killed_servers:
            if os.path.exists(f"/proc/{pid}/environ") and alive(pid):
                with open(f"/proc/{pid}/environ", "rb") as f:
                    if f"TMPDIR={homes}".encode() in f.read().split(b"\0"):
                        check(wait_gone(pid), "the server outlived its killed client")
        check(os.listdir(homes) == [], f"left behind: {os.listdir(homes)}")


def case_resident_lifecycle():
    with Resident(seconds=3, required=False) as r, tempfile.TemporaryDirectory(prefix="pyodide-cli-") as tmp:
        check(r.sockets() == [], "a socket before the first run")
        # The first run starts in full and leaves a server behind for the next.
        first = sandbox_run(["-c", "print('first')"], tmp)
        check(first.status == 0 and first.out == "first\n", f"first run: {first}")
        deadline = time.monotonic() + TIMEOUT_S
        while not r.servers() and time.monotonic() < deadline:
            time.sleep(0.05)
        servers = r.servers()
        check(len(servers) == 1, f"no server after the first run: {servers}")
        check(stat.S_IMODE(os.stat(r.dir).st_mode) == 0o700, "the socket directory is open to others")
        os.environ["PYODIDE_RUN_RESIDENT_REQUIRED"] = "1"
        # The client's working directory and umask are the run's.
        out = os.path.join(tmp, "out")
        os.makedirs(out)
        for mask, mode in ((0o077, 0o600), (0o022, 0o644)):
            name = f"f{mask:o}"
            proc = subprocess.run([RUN, "--mount", f"{out}:{out}", "-c",
                                   f"import os; open('{name}', 'w').write('x'); print(os.getcwd())"],
                                  cwd=out, umask=mask, capture_output=True, timeout=TIMEOUT_S)
            if check(proc.returncode == 0 and proc.stdout.decode() == out + "\n", f"umask {mask:o}: {proc}"):
                got = stat.S_IMODE(os.stat(os.path.join(out, name)).st_mode)
                check(got == mode, f"umask {mask:o}: mode {got:o}")
        # The runtime made ahead (as the last run's) serves a run with the same
        # mount, and is not used once the mounted directory has been replaced.
        data = os.path.join(tmp, "data")
        for marker in ("first", "second", "third"):
            if os.path.exists(data) and marker == "third":
                shutil.rmtree(data)
            os.makedirs(data, exist_ok=True)
            with open(os.path.join(data, "marker"), "w") as f:
                f.write(marker)
            # (A link is made through WASI's own handle on the mounted directory,
            # which a runtime made before the directory was replaced still holds.)
            res = sandbox_run(["--mount", f"{data}:/data", "-c",
                               "import os; print(open('/data/marker').read()); os.symlink('marker', '/data/link')"], tmp)
            check(res.status == 0 and res.out == marker + "\n", f"mount, {marker}: {res}")
            link = os.path.join(data, "link")
            if check(os.path.islink(link), f"mount, {marker}: no link in {os.listdir(data)}"):
                os.unlink(link)
        check(r.servers() == servers, f"served by {r.servers()}, not {servers}")
        # Another resource limit is another identity: a server of its own.
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        lower = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, 512), hard))
        proc = subprocess.run([RUN, "-c", "print('limited')"], preexec_fn=lower, capture_output=True,
                              timeout=TIMEOUT_S)
        check(proc.returncode == 0 and proc.stdout == b"limited\n", f"limited: {proc}")
        check(len(r.servers()) == 2 and servers[0] in r.servers(), f"servers: {r.servers()}")
        # A busy server: the next run starts in full instead of waiting.
        del os.environ["PYODIDE_RUN_RESIDENT_REQUIRED"]
        slow = subprocess.Popen([RUN, "-c", "import time; print('slow', flush=True); time.sleep(4); print('end')"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        check(slow.stdout.readline() == b"slow\n", "the slow run did not start")
        quick = sandbox_run(["-c", "print('quick')"], tmp)
        check(quick.status == 0 and quick.out == "quick\n", f"quick: {quick}")
        check(slow.poll() is None, "the quick run waited for the slow one")
        out, err = slow.communicate(timeout=TIMEOUT_S)
        check(slow.returncode == 0 and out == b"end\n", f"slow: {slow.returncode} {out!r} {err!r}")
        # SIGTERM right after a run (as its runtime is still being put away) ends the server.
        os.environ["PYODIDE_RUN_RESIDENT_REQUIRED"] = "1"
        for _ in range(3):
            res = sandbox_run(["-c", "pass"], tmp)
            check(res.status == 0, f"a run before SIGTERM: {res}")
            for pid in r.servers():
                os.kill(pid, signal.SIGTERM)
                check(wait_gone(pid, 5), f"the server {pid} outlived a SIGTERM right after a run")
        del os.environ["PYODIDE_RUN_RESIDENT_REQUIRED"]
        res = sandbox_run(["-c", "pass"], tmp)  # runs in full, starts a server for the idle check
        deadline = time.monotonic() + TIMEOUT_S
        while not r.servers() and time.monotonic() < deadline:
            time.sleep(0.05)
        # Idle for PYODIDE_RUN_RESIDENT seconds: the servers end and take their sockets.
        pids = r.servers()
        check(all(wait_gone(pid, 15) for pid in pids), f"servers outlived their idle time: {pids}")
        check(r.sockets() == [], f"sockets left: {r.sockets()}")


def case_resident_refusals():
    with Resident() as r, tempfile.TemporaryDirectory(prefix="pyodide-cli-") as tmp:
        # Help and usage errors are answered by the client itself, as in full.
        res = sandbox_run(["--help"], tmp)
        check(res.status == 0 and "--mount" in res.out, f"--help: {res}")
        res = sandbox_run(["-z"], tmp)
        check(res.status == 2 and "-z" in res.err, f"-z: {res}")
        check(r.servers() == [], "a server started for --help or -z")
        # A socket directory others may enter is not used.
        os.makedirs(r.dir, mode=0o700)
        os.chmod(r.dir, 0o777)
        res = sandbox_run(["-c", "print(1)"], tmp)
        check(res.status == 2 and "not the user's alone" in res.err, f"open directory: {res}")
        del os.environ["PYODIDE_RUN_RESIDENT_REQUIRED"]
        res = sandbox_run(["-c", "print(1)"], tmp)
        check(res.status == 0 and res.out == "1\n" and res.err == "", f"open directory, not required: {res}")
        check(r.sockets() == [], f"a server in an open directory: {r.sockets()}")
        os.chmod(r.dir, 0o700)
        # A bad setting is reported, and the run goes on in full.
        os.environ["PYODIDE_RUN_RESIDENT"] = "soon"
        res = sandbox_run(["-c", "print(2)"], tmp)
        check(res.status == 0 and res.out == "2\n" and "PYODIDE_RUN_RESIDENT=soon" in res.err, f"bad setting: {res}")
        os.environ["PYODIDE_RUN_RESIDENT"] = "60"
        os.environ["PYODIDE_RUN_RESIDENT_REQUIRED"] = "1"
        # A closed standard stream cannot be handed over.
        proc = subprocess.run([RUN, "-c", "print(3)"], capture_output=True, timeout=TIMEOUT_S,
                              preexec_fn=lambda: os.close(0))
        check(proc.returncode == 2 and b"a standard stream is closed" in proc.stderr, f"closed stdin: {proc}")


def main():
    name = "case_" + CASE.replace(".", "_")
    fn = globals().get(name)
    if fn is None:
        print(f"unknown case: {CASE}", file=sys.stderr)
        return 2
    fn()
    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
