"""terminal_test.py PYODIDE_RUN — pyodide-run's prompt on a real terminal.

Drives the REPL through tmux as a person types (send-keys) and reads the
screen (capture-pane): history recall with Up, editing, tab completion,
Ctrl-C while a statement runs and while a line is typed, a traceback through
the stdlib, Ctrl-D, and the
history kept in ~/.pyodide_history for the next session; then runs handed to
a resident process (input() at the terminal, Ctrl-C, a pipe) beside python3.11. tmux runs on a
socket of its own in a temporary directory, with a temporary HOME.
Prints what failed and exits 1 on failure.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

RUN = os.path.abspath(sys.argv[1])
WAIT_S = 150  # the first start may compile the interpreter (cold module cache)

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
    return ok


class Terminal:
    def __init__(self, tmp):
        self.tmp = tmp
        self.sessions = 0
        self.sock = None
        self.prompts = 0
        self.home = os.path.join(tmp, "home")
        os.makedirs(self.home)

    def tmux(self, *args):
        r = subprocess.run(["tmux", "-S", self.sock] + list(args), capture_output=True, text=True,
                           timeout=30)
        if r.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout

    def start(self, *args):
        self.new_socket()
        # The module cache stays where it is (compiling it again takes seconds).
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
        # As from an interactive shell: job control (set -m) runs pyodide-run
        # in a process group of its own, the terminal's foreground one, so
        # that Ctrl-C reaches it alone; the shell then reports its status.
        self.start_shell(f"set -m; env HOME={self.home} XDG_CACHE_HOME={cache} TERM=xterm {RUN} {' '.join(args)}; "
                         "echo \"exit=$?\"; sleep 600")

    def start_shell(self, command):
        self.tmux("new-session", "-d", "-x", "100", "-y", "50", "bash", "--norc", "-c", command)

    def new_socket(self):
        # A server (socket) per session: a new session on the socket of one just
        # killed can reach the old server while it shuts down ("server exited
        # unexpectedly").
        self.sessions += 1
        self.sock = os.path.join(self.tmp, f"tmux-{self.sessions}.sock")
        self.prompts = 0

    def exit_status(self):
        """pyodide-run's exit status once it has ended, else None."""
        last = self.screen()[-1:]
        return int(last[0][5:]) if last and last[0].startswith("exit=") else None

    def screen(self):
        lines = self.tmux("capture-pane", "-p", "-S", "-200").rstrip("\n").split("\n")
        while lines and lines[-1] == "":
            lines.pop()
        return lines

    def keys(self, *keys):
        for k in keys:
            self.tmux("send-keys", k)
            time.sleep(0.15)

    def wait_for(self, predicate, what, timeout=WAIT_S):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.screen()
            if predicate(lines):
                return True
            time.sleep(0.2)
        # Nothing after this step can pass: stop the session here.
        raise RuntimeError(f"timed out waiting for {what}; screen:\n" + "\n".join(self.screen()))

    def next_prompt(self, *keys):
        """Types keys, waits for the new '>>> ' prompt they lead to, and
        returns the line above it (the last output)."""
        self.keys(*keys)
        self.prompts += 1
        want = self.prompts
        self.wait_for(lambda l: l and l[-1] == ">>>" and sum(x.startswith(">>>") for x in l) >= want,
                      f"prompt #{want}")
        lines = self.screen()
        return lines[-2] if len(lines) > 1 else ""

    def ended(self, what):
        """Waits for pyodide-run to end; checks that it ended with status 0."""
        self.wait_for(lambda l: self.exit_status() is not None, what)
        self.expect(self.exit_status() == 0, f"exit status {self.exit_status()} after {what}")

    def expect(self, ok, what):
        return check(ok, what + "; screen:\n" + "\n".join(self.screen()))

    def stop(self):
        subprocess.run(["tmux", "-S", self.sock, "kill-server"], capture_output=True, timeout=30)


def session_one(t):
    t.start()
    t.next_prompt()
    t.expect(t.screen()[0].startswith("Python 3.11"), "no banner")
    t.next_prompt("x = 40 + 2", "Enter")
    t.expect(t.next_prompt("x", "Enter") == "42", "x is not 42")
    # Up twice recalls `x = 40 + 2`; End, Backspace and 3 edit it.
    t.next_prompt("Up", "Up", "End", "BSpace", "3", "Enter")
    t.expect(">>> x = 40 + 3" in t.screen(), "the recalled line was not edited")
    t.expect(t.next_prompt("x", "Enter") == "43", "the edited line did not run")
    # Tab completes an attribute inside the runtime; `_` is the last value.
    t.next_prompt("import collections", "Enter")
    t.keys("collections.OrderedD", "Tab")
    t.wait_for(lambda l: l[-1] == ">>> collections.OrderedDict(", "the completion")
    t.expect(t.next_prompt("a=1)", "Enter") == "OrderedDict([('a', 1)])",
             "the completed call did not run")
    t.expect(t.next_prompt("pri", "Tab", "'done', _)", "Enter") == "done OrderedDict([('a', 1)])",
             "print( or _ is wrong")
    # Ctrl-C while a statement runs: KeyboardInterrupt and a new prompt.
    t.keys("while True:", "Enter", "    n = 1", "Enter", "Enter")
    time.sleep(1.5)
    t.expect(t.next_prompt("C-c") == "KeyboardInterrupt", "no KeyboardInterrupt after Ctrl-C in a loop")
    t.expect(any(l.startswith('  File "<stdin>", line') for l in t.screen()),
             "the traceback does not show the loop")
    # Ctrl-C while typing drops the line.
    t.expect(t.next_prompt("half a line", "C-c") == "KeyboardInterrupt",
             "no KeyboardInterrupt after Ctrl-C at the prompt")
    # A traceback through the stdlib shows its lines, as python3's prompt does.
    t.next_prompt("import json; json.loads('{')", "Enter")
    screen = t.screen()
    t.expect(any(line.startswith("json.decoder.JSONDecodeError") for line in screen), "no JSONDecodeError")
    t.expect("    obj, end = self.scan_once(s, idx)" in screen, "the traceback shows no stdlib line")
    t.expect(t.next_prompt("print('alive')", "Enter") == "alive", "the prompt is not usable after Ctrl-C")
    t.keys("C-d")
    t.ended("Ctrl-D")
    t.stop()


def session_two(t):
    """History persists: Up in a new session recalls the last session's line."""
    history = os.path.join(t.home, ".pyodide_history")
    check(os.path.exists(history), "~/.pyodide_history was not written")
    t.start()
    t.next_prompt()
    t.keys("Up")
    t.wait_for(lambda l: l[-1] == ">>> print('alive')", "the last session's line")
    t.keys("C-u", "C-d")
    t.ended("Ctrl-D")
    t.stop()


def session_three(t):
    """The prompt of a runtime started from a snapshot has the saved globals."""
    snap = os.path.join(t.tmp, "prompt.snapshot")
    r = subprocess.run([RUN, "--save-snapshot", snap, "-c", "greeting = 'hello from the snapshot'"],
                       capture_output=True, timeout=120)
    check(r.returncode == 0, f"--save-snapshot failed: {r.stderr!r}")
    t.start("--snapshot", snap)
    t.next_prompt()
    out = t.next_prompt("greeting", "Enter")
    t.expect(out == "'hello from the snapshot'", f"the saved global printed {out!r}")
    t.keys("C-d")
    t.ended("Ctrl-D")
    t.stop()


def session_four(t):
    """Runs handed to a resident process (PYODIDE_RUN_RESIDENT) on the terminal,
    beside python3.11 in the same terminal: input() typed at the terminal,
    each stream's isatty() (and once more in a run of its own), the
    terminal's size, Ctrl-C in a loop, a pipe. The screens must match."""
    with open(os.path.join(t.tmp, "greet.py"), "w") as f:
        f.write("import os, shutil, sys\nprint(sys.stdin.isatty(), sys.stdout.isatty(), sys.stderr.isatty())\n"
                "print('fds', os.isatty(sys.stdin.fileno()), os.isatty(sys.stdout.fileno()), os.isatty(2))\n"
                "print('size', os.get_terminal_size(), tuple(shutil.get_terminal_size()), os.get_terminal_size(2))\n"
                "print('hello', input('name? '))\n")
    with open(os.path.join(t.tmp, "loop.py"), "w") as f:
        f.write("print('looping', flush=True)\nwhile True: pass\n")
    runtime_dir = os.path.join(t.tmp, "runtime")
    os.makedirs(runtime_dir, mode=0o700)
    screens = {}
    for name, program in (("python3.11", "/usr/bin/python3.11"), ("pyodide-run", RUN)):
        t.new_socket()
        # Ctrl-C reaches the shell's process group; `trap : INT` keeps the
        # shell going after a program it ran ended by it.
        t.start_shell(f"cd {t.tmp}; trap : INT; export XDG_RUNTIME_DIR={runtime_dir} PYODIDE_RUN_RESIDENT=60 "
                      f"PYODIDE_RUN_RESIDENT_REQUIRED=1; clear; "
                      f"env -u PYODIDE_RUN_RESIDENT {program} -c 'import sys; print(sys.stdin.isatty(), "
                      f"sys.stdout.isatty(), sys.stderr.isatty())' 2>&1 | cat; "
                      f"env -u PYODIDE_RUN_RESIDENT {program} -c 'import sys; print(sys.stdin.isatty(), "
                      f"sys.stdout.isatty(), sys.stderr.isatty())'; "
                      f"{program} greet.py; echo \"exit=$?\"; "
                      f"{program} loop.py; echo \"exit=$?\"; "
                      f"echo piped | {program} -c 'import sys; print(input().upper(), sys.stdin.isatty(), "
                      f"sys.stdout.isatty(), sys.stderr.isatty())' | cat; echo \"exit=$?\"; "
                      f"{program} -c 'import os, shutil; print(shutil.get_terminal_size((1, 2))); "
                      f"os.get_terminal_size()' 2>&1 | cat; "
                      "echo finished; sleep 600")
        t.wait_for(lambda l: l and l[-1] == "name?", f"{name}: the input() prompt")
        t.keys("Ada", "Enter")
        t.wait_for(lambda l: l and l[-1] == "looping", f"{name}: the loop")
        time.sleep(1)
        t.keys("C-c")
        t.wait_for(lambda l: l and l[-1] == "finished", f"{name}: the end")
        screens[name] = [line.replace(program, "PROG") for line in t.screen()]
        t.stop()
    check(screens["pyodide-run"] == screens["python3.11"],
          "resident pyodide-run's terminal differs from python3.11's:\n--- python3.11:\n"
          + "\n".join(screens["python3.11"]) + "\n--- pyodide-run:\n" + "\n".join(screens["pyodide-run"]))
    check("exit=130" in screens["pyodide-run"] and "hello Ada" in screens["pyodide-run"]
          and screens["pyodide-run"].count("True True True") == 2 and "True False False" in screens["pyodide-run"]
          and "fds True True True" in screens["pyodide-run"]
          and any(line.startswith("size os.terminal_size(columns=") for line in screens["pyodide-run"])
          and "OSError: [Errno 25] Inappropriate ioctl for device" in screens["pyodide-run"]
          and "PIPED False False True" in screens["pyodide-run"],
          "the runs did not go as typed:\n" + "\n".join(screens["pyodide-run"]))
    # The server the runs went to: ended here (the Ctrl-C's run ended it; the
    # pipe's run started another).
    for name in os.listdir(os.path.join(runtime_dir, "pyodide-run")):
        import socket, struct, signal
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(os.path.join(runtime_dir, "pyodide-run", name))
            pid = struct.unpack("3i", s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[0]
        os.kill(pid, signal.SIGTERM)


def session_five(t):
    """termios at the terminal, beside python3.11: getpass reads a password without
    echoing it, tty.setraw reads a key without Enter, and the terminal's modes are
    read and set back. The screens must match. Then a program that leaves the
    terminal raw: python3.11 leaves it so; pyodide-run puts back what the runtime
    changed when it ends."""
    with open(os.path.join(t.tmp, "keys.py"), "w") as f:
        f.write("import getpass, sys, termios, tty\n"
                "before = termios.tcgetattr(sys.stdin)\n"
                "password = getpass.getpass('Password: ')\n"
                "print('got', len(password), password == 'hunter2', termios.tcgetattr(0) == before)\n"
                "print('press a key: ', end='', flush=True)\n"
                "tty.setraw(sys.stdin)\n"
                "key = sys.stdin.read(1)\n"
                "termios.tcsetattr(sys.stdin, termios.TCSADRAIN, before)\n"
                "print(repr(key), termios.tcgetattr(0) == before, termios.tcgetwinsize(1) == termios.tcgetwinsize(0))\n")
    with open(os.path.join(t.tmp, "raw.py"), "w") as f:
        f.write("import tty\ntty.setraw(0)\nprint('left raw', end='\\r\\n')\n")
    screens = {}
    for name, program in (("python3.11", "/usr/bin/python3.11"), ("pyodide-run", RUN)):
        t.new_socket()
        t.start_shell(f"cd {t.tmp}; clear; {program} keys.py; echo \"exit=$?\"; {program} raw.py; "
                      "stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; "
                      "stty sane; echo; echo finished; sleep 600")
        t.wait_for(lambda l: l and l[-1] == "Password:", f"{name}: the password prompt")
        t.keys("hunter2", "Enter")
        t.wait_for(lambda l: l and l[-1] == "press a key:", f"{name}: the key prompt")
        t.keys("x")
        t.wait_for(lambda l: l and l[-1] == "finished", f"{name}: the end")
        screens[name] = t.screen()
        t.stop()
    ours, native = screens["pyodide-run"], screens["python3.11"]
    check(native[:-2] == ours[:-2], "termios at pyodide-run's terminal differs from python3.11's:\n--- python3.11:\n"
          + "\n".join(native) + "\n--- pyodide-run:\n" + "\n".join(ours))
    check(ours[:4] == ["Password:", "got 7 True True", "press a key: 'x' True True", "exit=0"]
          and not any("hunter2" in line for line in ours), "the runs did not go as typed:\n" + "\n".join(ours))
    check(native[-2].split() == ["-icanon", "-echo"], "python3.11 did not leave the terminal raw:\n" + "\n".join(native))
    check(ours[-2].split() == ["icanon", "echo"], "pyodide-run left the terminal raw:\n" + "\n".join(ours))


def session_six(t):
    """input() with readline imported, beside python3.11 (GNU readline): text
    before the prompt, the emacs keys (words, kills and yanks, transposing),
    wide characters, a line wrapped over two rows and edited at its start,
    lines typed to the end of a row exactly and past it,
    Tab completion (a common beginning, then the list, then the one match),
    the history (a line added by the program, lines typed before, Ctrl-R's
    search, Ctrl-G ending it), Ctrl-C and
    Ctrl-D, and the history written to a file. The screens must match."""
    with open(os.path.join(t.tmp, "edit.py"), "w") as f:
        f.write("import os, readline, rlcompleter, sys\n"
                "readline.parse_and_bind('tab: complete')\n"
                "readline.add_history(\"first = 'from the history'\")\n"
                "print('name: ', end='', flush=True)\n"
                "print(repr(input()))\n"
                "for prompt in ('a> ', 'b> ', 'c> ', 'd> ', 'e> ', 'f> ', 'g> ', 'h> '):\n"
                "    print(repr(input(prompt)))\n"
                "try:\n    input('interrupt> ')\nexcept KeyboardInterrupt:\n    print('KeyboardInterrupt')\n"
                "try:\n    input('end> ')\nexcept EOFError:\n    print('EOFError')\n"
                "path = os.path.expanduser('~/history.txt')\n"
                "readline.write_history_file(path)\n"
                "print(len(open(path).read().splitlines()), readline.get_history_item(2))\n")
    long_line = "".join(f"word{i:02d} " for i in range(22))  # 154 characters: two rows of 100
    screens = {}
    for name, program in (("python3.11", "/usr/bin/python3.11"), ("pyodide-run", RUN)):
        t.new_socket()
        t.start_shell(f"cd {t.tmp}; trap : INT; export HOME={t.home}; clear; {program} edit.py; "
                      "echo \"exit=$?\"; sleep 600")
        t.wait_for(lambda l: l and l[-1] == "name:", f"{name}: the first prompt")
        steps = [
            ("Bob", "Left", "BSpace", "Enter"),
            ("one two three", "C-w", "four", "M-b", "M-b", "C-k", "C-y", "C-y", "C-t", "Enter"),
            ("日本語のテキスト and more words", "M-b", "M-d", "Home", "M-f", "C-u", "Enter"),
            ("sys.std", "Tab", "Tab", "o", "Tab", "Enter"),
            ("Up", "Up", "Up", "Up", "Up", "C-e", " + '!'", "Enter"),
            (long_line, "C-a", "Right", "Right", "__", "C-e", "C-h", "Enter"),
            ("C-r", "std", "C-r", "C-g", "C-r", "tw", "Right", "BSpace", "Enter"),
            ("x" * 97, "Enter"),  # typed to the end of the row exactly
            ("y" * 97, "z" * 3, "Left", "BSpace", "Enter"),  # and on past it
            ("abc", "C-c"),
            ("C-d",),
        ]
        for keys in steps:
            t.keys(*keys)
            time.sleep(0.3)
        t.wait_for(lambda l: l and l[-1].startswith("exit="), f"{name}: the end")
        screens[name] = t.screen()
        t.stop()
    ours, native = screens["pyodide-run"], screens["python3.11"]
    check(ours == native, "input() with readline differs from python3.11's:\n--- python3.11:\n"
          + "\n".join(native) + "\n--- pyodide-run:\n" + "\n".join(ours))
    wanted = ["'Bb'", "'one two fourtwo foru'", "' and more '", "'sys.stdout'",
              "\"first = 'from the history' + '!'\"", "interrupt> abcKeyboardInterrupt", "end> EOFError", "10 Bb",
              "exit=0", "'wo__" + long_line[2:-1] + "'", "f> one two fourwo foru", "'" + "x" * 97 + "'",
              "'" + "y" * 97 + "zz'"]
    listed = [line for line in ours if line.split() == ["sys.stderr", "sys.stdlib_module_names"]]
    check(all(w in "".join(ours) for w in wanted) and len(listed) == 1,
          "the edits did not go as typed:\n" + "\n".join(ours))

def session_seven(t):
    """input() with readline and hooks that work against it: a completer that
    empties the history, inserts 5000 characters and then raises, a startup
    hook that raises, a display hook that raises, Up and Down through a
    history emptied under them. The edit goes on and the line comes back."""
    with open(os.path.join(t.tmp, "hostile.py"), "w") as f:
        f.write("import readline\n"
                "readline.parse_and_bind('tab: complete')\n"
                "for i in range(5):\n    readline.add_history(f'line {i}')\n"
                "def completer(text, state):\n"
                "    readline.clear_history()\n"
                "    readline.insert_text('x' * 5000)\n"
                "    if state < 2:\n        return f'match{state}'\n"
                "    raise ValueError('boom')\n"
                "readline.set_completer(completer)\n"
                "readline.set_startup_hook(lambda: 1 / 0)\n"
                "readline.set_pre_input_hook(lambda: readline.insert_text('pre '))\n"
                "readline.set_completion_display_matches_hook(lambda *args: 1 / 0)\n"
                "line = input('> ')\n"
                "print('got', len(line), line[:9], line.count('x'), readline.get_current_history_length())\n")
    t.new_socket()
    t.start_shell(f"cd {t.tmp}; clear; {RUN} hostile.py; echo \"exit=$?\"; sleep 600")
    t.wait_for(lambda l: l and l[-1].startswith("> pre"), "the prompt and the pre-input hook's text")
    t.keys("Up", "C-a", "C-k", "ab", "Tab", "Tab", "Up", "Up", "Down", "Down", "Down", "C-e", "!", "Enter")
    t.wait_for(lambda l: l and l[-1].startswith("exit="), "the end")
    screen = t.screen()
    t.stop()
    got = [line for line in screen if line.startswith("got ")]
    check(screen[-1] == "exit=0" and len(got) == 1 and got[0].endswith(" 1"),
          "the edit did not survive its hooks:\n" + "\n".join(screen))


def main():
    if shutil.which("tmux") is None:
        print("tmux is not installed (build.sh installs it)", file=sys.stderr)
        return 1
    tmp = tempfile.mkdtemp(prefix="pyodide-term-")
    t = Terminal(tmp)
    try:
        session_one(t)
        if not failures:
            session_two(t)
        if not failures:
            session_three(t)
        if not failures:
            session_four(t)
        if not failures:
            session_five(t)
        if not failures:
            session_six(t)
        if not failures:
            session_seven(t)
    except RuntimeError as e:  # a step timed out, or tmux failed
        failures.append(str(e))
    finally:
        t.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
