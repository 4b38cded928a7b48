"""Compiles runner.py at build time, for pyodide-run to run without compiling it.

Usage: compile_runner.py RUNNER_PY OUT_H

Writes OUT_H with `runner_pyc`: this Python's magic number followed by the
marshalled code object of RUNNER_PY (compiled as the runtime compiles code it
is given: file name "<exec>", no inherited flags, no optimisation). Compiling
the source inside the sandbox is most of the runner's cost at each start;
loading the code object is a small part of it. pyodide-run loads it only when
the runtime's Python has the same magic number (the same bytecode), and
compiles runner_py otherwise. Run it with a Python 3.11, as the stdlib's .pyc
files are (src/guest/make-stdlib-zip.py).
"""

import importlib.util
import marshal
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source_path, out_path = sys.argv[1:]
    with open(source_path, encoding="utf-8") as f:
        source = f.read()
    code = compile(source, "<exec>", "exec", dont_inherit=True, optimize=0)
    data = importlib.util.MAGIC_NUMBER + marshal.dumps(code)
    lines = [", ".join(f"0x{b:02x}" for b in data[i:i + 16]) for i in range(0, len(data), 16)]
    with open(out_path, "w", encoding="ascii") as f:
        f.write(f"/* Generated from runner.py by compile_runner.py ({sys.version.split()[0]}). */\n")
        f.write("static const unsigned char runner_pyc[] = {\n  " + ",\n  ".join(lines) + "\n};\n")


if __name__ == "__main__":
    main()
