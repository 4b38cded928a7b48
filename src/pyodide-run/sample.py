"""A sample script for pyodide-run: `out/bin/pyodide-run src/pyodide-run/sample.py [NAME]`."""
import json
import sys


def greet(name):
    return f"Hello, {name}, from Python {sys.version.split()[0]} in a sandbox!"


def main(argv):
    name = argv[1] if len(argv) > 1 else "world"
    print(greet(name))
    squares = {n: n * n for n in range(1, 6)}
    print("squares:", json.dumps(squares))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
