"""repl_driver.py PROGRAM SESSION_FILE — runs PROGRAM (no arguments) on a
pseudo-terminal, types SESSION_FILE's lines into it, then Ctrl-D, and copies
everything PROGRAM wrote (stdout and stderr, terminal echo off, \\r\\n → \\n)
to our stdout. Exits with PROGRAM's exit status (or 124 on a timeout).
"""
import os
import pty
import select
import sys
import termios
import time

TIMEOUT_S = 240


def main():
    program, session = sys.argv[1], sys.argv[2]
    with open(session, "rb") as f:
        lines = f.read().splitlines(keepends=True)

    pid, fd = pty.fork()
    if pid == 0:
        attrs = termios.tcgetattr(0)
        attrs[3] &= ~termios.ECHO
        termios.tcsetattr(0, termios.TCSANOW, attrs)
        try:
            os.execv(program, [program])
        finally:
            os._exit(127)

    output = bytearray()
    deadline = time.monotonic() + TIMEOUT_S
    pending = list(lines) + [b"\x04"]  # Ctrl-D at the start of a line: EOF

    def read_available(wait):
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            return True
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        if not data:
            return False
        output.extend(data)
        return True

    alive = True
    # Type the next line each time a new prompt appears. Every line typed
    # leads to at least a new prompt, so the output grows in between.
    sent_at = 0
    while alive and pending and time.monotonic() < deadline:
        alive = read_available(0.1)
        if len(output) > sent_at and output.endswith((b">>> ", b"... ")):
            os.write(fd, pending.pop(0))
            sent_at = len(output)
    while alive and time.monotonic() < deadline:
        alive = read_available(0.5)

    if time.monotonic() >= deadline:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        sys.stdout.buffer.write(bytes(output).replace(b"\r\n", b"\n"))
        print("\nrepl_driver: timed out", file=sys.stderr)
        sys.exit(124)
    _, status = os.waitpid(pid, 0)
    sys.stdout.buffer.write(bytes(output).replace(b"\r\n", b"\n"))
    sys.stdout.flush()
    sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128)


if __name__ == "__main__":
    main()
