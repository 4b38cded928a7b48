#!/usr/bin/env python3
"""check_api_map.py — keeps docs/pyodide-api-map.md true to the C ABI.

    check_api_map.py --map docs/pyodide-api-map.md --header include/pyodide.h \
                     --lib out/lib/libpyodide.so --tests native-tests [--repo .]

For every row of the map's tables (columns: Pyodide | C | .NET | Differences
| Tests), the backquoted names of the C column must exist:
  - a function (pyodide_x, pyproxy_x, pybuffer_x, optionally with arguments)
    must be declared in pyodide.h and exported by the library (`nm -D`; on a
    system without nm, or with --lib omitted, the header alone is checked:
    the build's header check ties the two together);
  - a type (name_t) must be declared in pyodide.h, and name_t.field a field of it;
  - a PYODIDE_* constant or environment variable must appear in pyodide.h.
A C cell names at least one of them or starts with "—" (not provided).
Every function the library exports must appear in some row (a new export
needs a row). In the Tests column, abi.X, robustness.X and run.X must be
cases of native-tests (TEST(X) lines, the pyodide-run case list) and paths
(examples/...) must exist; Class.Method names are xunit tests, checked by
ApiMapTests. Every row names at least one test.

Prints "ok - ..." / "not ok - ..." per row and check, and exits 1 on a failure.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

FUNCTION = re.compile(r"^((?:pyodide|pyproxy|pybuffer)_[A-Za-z0-9_]*[A-Za-z0-9])(\(.*\))?$")
TYPE = re.compile(r"^((?:pyodide|pyproxy|pybuffer)(?:_[A-Za-z0-9_]*)?_t)(?:\.([A-Za-z_][A-Za-z0-9_]*))?$")
CONSTANT = re.compile(r"^PYODIDE_[A-Z0-9_]+$")
NATIVE_TEST = re.compile(r"^(abi|robustness|run)\.([A-Za-z0-9_]+)$")
PATH = re.compile(r"^(examples|docs|native-tests|src)/\S+$")


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def declared_functions(header_text):
    code = re.sub(r"^\s*#[^\n]*(\\\n[^\n]*)*", " ", strip_comments(header_text), flags=re.M)
    names = set()
    for m in re.finditer(r"\b((?:pyodide|pyproxy|pybuffer)_[A-Za-z0-9_]*)\s*\(", code):
        if not code[:m.start()].rstrip().endswith(("(*", "*)", "typedef")):
            names.add(m.group(1))
    return names


def declared_types(header_text):
    """name_t -> the text of its struct body ("" for opaque types and enums)."""
    code = strip_comments(header_text)
    types = {}
    for m in re.finditer(r"typedef\s+(?:struct|enum)\s*\w*\s*\{(.*?)\}\s*(\w+_t)\s*;", code, flags=re.S):
        types[m.group(2)] = m.group(1)
    for m in re.finditer(r"typedef\s+[^;{}]*?\b(\w+_t)\s*;", code):
        types.setdefault(m.group(1), "")
    for m in re.finditer(r"typedef\s+[^;{}]*\(\s*\*\s*(\w+)\s*\)", code):
        types.setdefault(m.group(1), "")
    return types


def exported_functions(lib):
    nm = shutil.which("nm")
    if not lib or not nm or not os.path.exists(lib):
        return None
    out = subprocess.run([nm, "-D", "--defined-only", lib], check=True, capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if parts:
            name = parts[-1].split("@")[0]
            if re.match(r"^(pyodide|pyproxy|pybuffer)_", name):
                names.add(name)
    return names


def native_cases(tests_dir):
    cases = {"abi": set(), "robustness": set(), "run": set()}
    for sub, kind in (("", "abi"), ("robustness", "robustness")):
        d = os.path.join(tests_dir, sub)
        for f in sorted(os.listdir(d)):
            if f.endswith(".c"):
                with open(os.path.join(d, f), encoding="utf-8") as fh:
                    cases[kind].update(re.findall(r"^TEST\(([A-Za-z0-9_]+)\)", fh.read(), flags=re.M))
    with open(os.path.join(tests_dir, "CMakeLists.txt"), encoding="utf-8") as fh:
        m = re.search(r"set\(RUN_CASES(.*?)\)", fh.read(), flags=re.S)
        if m:
            cases["run"].update(m.group(1).split())
    return cases


def rows(map_text):
    """(line number, {column: cell}) for every body row of every table."""
    header = None
    lines = map_text.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            continue
        if all(re.fullmatch(r":?-+:?", c) for c in cells):
            continue
        yield i + 1, header, dict(zip(header, cells))


def ticks(cell):
    return re.findall(r"`([^`]+)`", cell)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--map", required=True)
    ap.add_argument("--header", required=True)
    ap.add_argument("--lib")
    ap.add_argument("--tests", required=True, help="the native-tests directory")
    ap.add_argument("--repo", help="the repository root (for paths); default: the map's ../")
    args = ap.parse_args()
    repo = args.repo or os.path.dirname(os.path.dirname(os.path.abspath(args.map)))

    with open(args.header, encoding="utf-8") as fh:
        header_text = fh.read()
    with open(args.map, encoding="utf-8") as fh:
        map_text = fh.read()
    declared = declared_functions(header_text)
    types = declared_types(header_text)
    exported = exported_functions(args.lib)
    cases = native_cases(args.tests)
    if exported is None:
        print("# nm or the library is unavailable: checking the header's declarations only")
        exported = declared

    passed = failed = 0
    mentioned = set()

    def report(ok, name, problems=()):
        nonlocal passed, failed
        if ok:
            passed += 1
            print(f"ok - {name}")
        else:
            failed += 1
            print(f"not ok - {name}")
            for p in problems:
                print(f"  {p}")

    expected = ["Pyodide", "C", ".NET", "Differences", "Tests"]
    nrows = 0
    for line, header, row in rows(map_text):
        nrows += 1
        label = f"line {line}: {row.get(header[0], '?')}"
        problems = []
        if [h.split(" ")[0] for h in header] != expected:
            problems.append(f"the table's columns are {header}, expected {expected} (the first may carry a version)")
            report(False, label, problems)
            continue
        c_cell, tests_cell = row["C"], row["Tests"]
        checked = 0
        for token in ticks(c_cell):
            function = FUNCTION.match(token)
            if function and function.group(1) in types and not function.group(2):
                checked += 1  # a function-pointer type (pyodide_host_fn)
            elif m := TYPE.match(token):
                checked += 1
                name, field = m.group(1), m.group(2)
                if name not in types:
                    problems.append(f"type {name} is not declared in {args.header}")
                elif field and not re.search(rf"\b{re.escape(field)}\b", types[name]):
                    problems.append(f"{name} has no field {field}")
            elif function:
                checked += 1
                name = function.group(1)
                mentioned.add(name)
                if name not in declared:
                    problems.append(f"{name} is not declared in {args.header}")
                if name not in exported:
                    problems.append(f"{name} is not exported by {args.lib}")
            elif CONSTANT.match(token):
                checked += 1
                if not re.search(rf"\b{re.escape(token)}\b", header_text):
                    problems.append(f"{token} does not appear in {args.header}")
        if checked == 0 and not c_cell.startswith("—"):
            problems.append("the C cell names nothing to check and does not start with '—' (not provided)")
        ntests = 0
        for token in ticks(tests_cell):
            if m := NATIVE_TEST.match(token):
                ntests += 1
                if m.group(2) not in cases[m.group(1)]:
                    problems.append(f"{token}: no such native test case")
            elif PATH.match(token):
                ntests += 1
                if not os.path.exists(os.path.join(repo, token)):
                    problems.append(f"{token} does not exist")
            elif re.fullmatch(r"[A-Za-z_]\w*Tests\.\w+", token):
                ntests += 1  # an xunit test: ApiMapTests checks it
            else:
                problems.append(f"{token}: not a test name (abi.X, robustness.X, run.X, Class.Method or a path)")
        if ntests == 0:
            problems.append("the row names no test")
        report(not problems, label, problems)

    missing = sorted(exported - mentioned)
    report(not missing, "every exported function has a row",
           [f"{name} is exported but not in the map" for name in missing])
    report(nrows >= 40, f"the map has its tables ({nrows} rows)",
           [] if nrows >= 40 else ["fewer rows than expected: was the table format changed?"])
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
