"""Runs modules of CPython 3.11.2's Lib/test natively and in the sandbox and
compares them test by test. Run by run.sh (./build.sh cpython-tests, and the
fixed subset in ./build.sh test); needs Python 3.9+.

    run.py --lib LIB --assets DIR --driver PATH --work DIR --native PYTHON
           [--modules FILE] [--expectations FILE] [--report FILE] [--jobs N]

Every module runs once under PYTHON (Debian's /usr/bin/python3.11) and once
in a runtime of the test build (driver.c), each through cpytest.py, which
records each test's outcome in WORK/{native,sandbox}/MODULE.txt. A test that
hangs (no progress for --test-timeout seconds) or crashes its interpreter is
recorded as such, and the module resumes after it in a fresh interpreter.

A test that passes natively (pass or expected failure) but not in the sandbox
must match a line of the expectations file, which gives the reason; any other
such test is unexpected. So is an expectation naming one exact test that now
passes. Prints "ok - MODULE" / "not ok - MODULE" per module, then
"N passed, N failed"; exits 1 if anything was unexpected. --report writes the
per-module table (docs/cpython-tests.md).
"""

import argparse
import concurrent.futures
import os
import subprocess
import sys
import time

PASSING = ("pass", "xfail")
FAILING = ("fail", "error", "upass", "timeout", "crash")
ATTEMPT_WALL_S = 1800  # one interpreter's whole run, a last resort behind the per-test timeout
# One module's time on one side, over all its attempts. Natively, some multiprocessing
# tests hang until the per-test timeout, one after another, and would hold the run for
# hours. A module stopped here natively counts as far as it got (write_report); one
# stopped in the sandbox is listed as not run to its end, and not counted.
MODULE_WALL_S = 1200
WALL_LIMIT = "stopped at the module wall limit"


def all_modules(lib):
    """The modules regrtest runs: Lib/test's test_* files and packages."""
    names = set()
    for entry in os.listdir(os.path.join(lib, "test")):
        stem, ext = os.path.splitext(entry)
        if stem.startswith("test_") and ext in (".py", ""):
            names.add(stem)
    return sorted(names)


class ModuleResult:
    def __init__(self):
        self.status = {}  # test id -> status
        self.fixtures = []  # (status, fixture id)
        self.errors = []  # module-level errors (import, crash outside a test)
        self.attempts = 0
        self.complete = False  # ran to its end (or could not be loaded)
        self.limited = False  # stopped at MODULE_WALL_S: its results go as far as it got

    def count(self, statuses):
        return sum(1 for s in self.status.values() if s in statuses)


def parse(path):
    """Reads a results file: (tests by index, fixture failures, errors, done,
    index of the test that started last and has no result)."""
    tests, fixtures, errors, done, open_index = {}, [], [], False, None
    if not os.path.exists(path):
        return tests, fixtures, errors, done, open_index
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            kind = fields[0]
            if kind == "S" and len(fields) == 3:
                open_index = int(fields[1])
                tests[open_index] = [fields[2], None]
            elif kind == "R" and len(fields) >= 4:
                tests[int(fields[1])] = [fields[3], fields[2]]
                open_index = None
            elif kind == "F" and len(fields) >= 3:
                fixtures.append((fields[1], fields[2]))
            elif kind == "E":
                errors.append("\t".join(fields[1:]))
            elif kind == "D":
                done = True
    return tests, fixtures, errors, done, open_index


def run_module(mode, module, args):
    """Runs one module to its end, resuming after a test that hung or crashed."""
    work = os.path.join(args.work, mode)
    results = os.path.join(work, module + ".txt")
    log = os.path.join(work, module + ".log")
    result = ModuleResult()
    if args.no_run or (args.resume and finished(results)):
        return collect(results, result)
    for path in (results, log):
        if os.path.exists(path):
            os.remove(path)
    start = 0
    deadline = time.monotonic() + MODULE_WALL_S
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            with open(results, "a", encoding="utf-8") as f:
                f.write(f"E\t{WALL_LIMIT} of {MODULE_WALL_S} s\n")
            break
        result.attempts += 1
        if mode == "native":
            cmd = [args.native, "-I", os.path.join(args.runner, "cpytest.py"), args.lib, module, results,
                   str(start), str(args.test_timeout)]
            cwd = os.path.join(work, "cwd-" + module)  # tests write their files here
            os.makedirs(cwd, exist_ok=True)
        else:
            cmd = [args.driver, args.assets, args.lib, args.runner, results, module, str(start),
                   str(args.test_timeout), log]
            cwd = work
        env = dict(os.environ)
        # Compiled once, then reused by every interpreter and run (beside --work): the
        # shared cache keeps only a few modules, and other checkouts' builds evict the test build's.
        env["PYODIDE_MODULE_CACHE"] = os.path.join(os.path.dirname(args.work), "module-cache")
        log_start = os.path.getsize(log) if os.path.exists(log) else 0
        with open(log, "a") as out:
            try:
                rc = subprocess.run(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                    timeout=min(ATTEMPT_WALL_S, remaining)).returncode
            except subprocess.TimeoutExpired:
                rc = "wall-clock limit"
        tests, fixtures, errors, done, open_index = parse(results)
        if done:
            break
        if open_index is None:
            # Ended outside any test (module import, fixtures, interpreter start-up).
            if not errors:
                errors.append(f"interpreter ended outside a test (exit {rc})")
            break
        # The test that was running hung or crashed: record it, go on after it.
        # Hung: faulthandler's "Timeout (...)!" natively; in the sandbox the
        # watchdog's KeyboardInterrupt, or the hard stop that follows it.
        with open(log, encoding="utf-8", errors="replace") as f:
            f.seek(log_start)
            said = f.read()
        hung = ("Timeout (" in said or "LimitError" in said or rc == "wall-clock limit"
                or any("KeyboardInterrupt" in e for e in errors))
        how = "timeout" if hung else "crash"
        with open(results, "a", encoding="utf-8") as f:
            f.write(f"R\t{open_index}\t{how}\t{tests[open_index][0]}\n")
        start = open_index + 1
    return collect(results, result)


def finished(results):
    """Whether a results file is that of a module run to its end (or one that
    could not be loaded, or stopped at the module wall limit): what --resume keeps."""
    _, _, errors, done, open_index = parse(results)
    return done or (bool(errors) and open_index is None)


def collect(results, result):
    tests, fixtures, errors, done, open_index = parse(results)
    result.limited = any(WALL_LIMIT in e for e in errors)
    result.complete = (done or (bool(errors) and open_index is None)) and not result.limited
    result.status = {test_id: status or "crash" for test_id, status in tests.values()}
    result.fixtures = fixtures
    result.errors = [e for e in errors if "KeyboardInterrupt" not in e]
    return result


def load_expectations(path):
    """Lines "PATTERN  reason": PATTERN is a test id, or a prefix of ids ending
    at a dot boundary (a module or a class). # starts a comment."""
    entries = {}
    if not path:
        return entries
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.split("#", 1)[0].rstrip() if line.lstrip().startswith("#") else line.rstrip()
            if not line.strip():
                continue
            parts = line.split(None, 1)
            if len(parts) != 2:
                sys.exit(f"{path}:{number}: expected 'PATTERN REASON'")
            if parts[0] == "test":
                # The package itself would excuse every test of the suite. (Other
                # undotted names are modules whose doctests a test module runs:
                # doctest, _threading_local.)
                sys.exit(f"{path}:{number}: {parts[0]!r} names no module: give a module, a class or a test")
            entries[parts[0]] = parts[1]
    return entries


def expectation_for(test_id, entries):
    parts = test_id.split(".")
    for n in range(len(parts), 0, -1):
        reason = entries.get(".".join(parts[:n]))
        if reason is not None:
            return ".".join(parts[:n]), reason
    return None, None


def compare(module, native, sandbox, entries):
    """(the tests passing natively and not in the sandbox, each with its
    status there and its reason; what is unexpected, one message each)."""
    lost, unexpected = [], []
    for test_id, status in native.status.items():
        if status not in PASSING:
            continue
        got = sandbox.status.get(test_id, "not run")
        if got in PASSING:
            pattern, _ = expectation_for(test_id, entries)
            if pattern == test_id:
                unexpected.append(f"{test_id}: passes now, but the expectations list it")
            continue
        pattern, reason = expectation_for(test_id, entries)
        if reason is None:
            unexpected.append(f"{test_id}: {got} in the sandbox, passes natively")
            reason = "(unexpected: not in the expectations)"
        lost.append((test_id, got, reason))
    return lost, unexpected


def row(r):
    run = len(r.status)
    return [run, r.count(PASSING), r.count(("skip",)), r.count(FAILING)]


def write_report(path, modules, results, lost_by_module, elapsed):
    # A module counts when the sandbox ran it to its end. Natively, one stopped at the
    # wall limit counts as far as it got: the tests it reached passed or not; those it
    # did not reach are in neither figure.
    def counted(m):
        n, s = results[("native", m)], results[("sandbox", m)]
        return s.complete and (n.complete or n.limited)
    unfinished = [m for m in modules if not counted(m)]
    partial = [m for m in modules if counted(m) and results[("native", m)].limited]
    modules = [m for m in modules if m not in unfinished]
    native_pass = sum(results[("native", m)].count(PASSING) for m in modules)
    lost = sum(len(lost_by_module[m]) for m in modules)
    ratio = 100.0 * (native_pass - lost) / native_pass if native_pass else 0.0
    reasons = {}
    for m in modules:
        for _, _, reason in lost_by_module[m]:
            reasons[reason] = reasons.get(reason, 0) + 1
    lines = [
        "# CPython 3.11.2's test suite in the sandbox",
        "",
        "Written by `./build.sh cpython-tests` (cpython-tests/run.sh): every module of",
        "CPython 3.11.2's `Lib/test`, run natively by Debian's `/usr/bin/python3.11` and",
        "inside a Pyodide.Native runtime of the test build (python.wasm with `_testcapi`",
        "& co.), by the same runner (cpython-tests/cpytest.py). Resources (network,",
        "cpu, largefile, ...) are disabled on both sides, as by a plain `python -m test`.",
        "",
        f"**{native_pass - lost} of the {native_pass} tests that pass natively also pass in the "
        f"sandbox: {ratio:.2f} %.** The {lost} others are listed, with their reasons, in",
        "`cpython-tests/expectations.txt`.",
        "",
        f"Modules: {len(modules) - len(partial)} run to their end on both sides"
        + (f", {len(partial)} natively in part (listed at the end)" if partial else "")
        + (f"; {len(unfinished)} not (listed at the end)" if unfinished else "") + ". Wall time of the run: "
        + (f"{elapsed / 60:.0f} min (2 cores shared with other work)." if elapsed is not None else "not recorded."),
        "",
        "Tests that pass natively but not in the sandbox, by reason:",
        "",
        "| tests | reason |",
        "| ---: | --- |",
    ]
    ranked = sorted(reasons.items(), key=lambda kv: -kv[1])
    for reason, n in ranked:
        lines.append(f"| {n} | {reason} |")
    if native_pass and ratio < 97.0:
        top = ranked[:3]
        top_n = sum(n for _, n in top)
        lines += [
            "",
            f"The goal of 97 % is not met. The three largest groups ({top_n} tests, "
            f"{100.0 * top_n / native_pass:.1f} points) are what WASI itself does not offer; "
            f"without them {100.0 * (native_pass - lost + top_n) / native_pass:.2f} % would pass. "
            "They are: " + "; ".join(f"{r} ({n})" for r, n in top) + ".",
        ]
    lines += [
        "",
        "Per module: tests run / passed (incl. expected failures) / skipped / failed",
        "(failures, errors, unexpected successes, hangs, crashes); *lost* = passed",
        "natively, not in the sandbox. A module that could not be loaded shows its error.",
        "",
        "| module | native run | pass | skip | fail | sandbox run | pass | skip | fail | lost |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for m in modules:
        n, s = results[("native", m)], results[("sandbox", m)]
        note = ""
        if s.errors and not s.status:
            note = " (sandbox: " + s.errors[0][:80].replace("|", "/") + ")"
        cells = [f"`{m}`{note}"] + row(n) + row(s) + [len(lost_by_module[m])]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    if partial:
        lines += ["", f"Run natively only in part, stopped at the module wall limit of {MODULE_WALL_S} s (hanging"
                  " tests; the tests reached are counted): " + ", ".join(f"`{m}`" for m in partial) + "."]
    if unfinished:
        def why(m):
            said = [f"{mode}: {e}" for mode in ("native", "sandbox") for e in results[(mode, m)].errors
                    if WALL_LIMIT in e]
            return f"`{m}`" + (f" ({'; '.join(said)})" if said else "")
        lines += ["", "Not run to their end (their results are not counted above): "
                  + ", ".join(why(m) for m in unfinished) + "."]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return ratio


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lib", required=True, help="CPython 3.11.2's Lib/ directory")
    p.add_argument("--assets", required=True, help="asset directory of the test build")
    p.add_argument("--driver", required=True)
    p.add_argument("--runner", default=os.path.dirname(os.path.abspath(__file__)))
    p.add_argument("--work", required=True)
    p.add_argument("--native", required=True)
    p.add_argument("--modules", help="file listing the modules to run (default: all)")
    p.add_argument("--expectations")
    p.add_argument("--report")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--test-timeout", type=float, default=300,
                   help="seconds one test may run (generous: the machine may be busy)")
    p.add_argument("--resume", action="store_true",
                   help="keep the results of modules that ran to their end in --work; run the others")
    p.add_argument("--no-run", action="store_true",
                   help="compare and report the results already in --work (after editing the expectations)")
    args = p.parse_args()
    # Each interpreter runs in its own directory: the paths it gets are absolute.
    for name in ("lib", "assets", "driver", "runner", "work"):
        setattr(args, name, os.path.abspath(getattr(args, name)))
    for d in ("native", "sandbox"):
        os.makedirs(os.path.join(args.work, d), exist_ok=True)

    if args.modules:
        with open(args.modules, encoding="utf-8") as f:
            modules = [ln.split("#", 1)[0].strip() for ln in f]
        modules = [m for m in modules if m]
    else:
        modules = all_modules(args.lib)
    entries = load_expectations(args.expectations)

    started = time.monotonic()
    results = {}
    tasks = [(mode, m) for m in modules for mode in ("sandbox", "native")]
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = {pool.submit(run_module, mode, m, args): (mode, m) for mode, m in tasks}
        for future in concurrent.futures.as_completed(futures):
            results[futures[future]] = future.result()

    elapsed_file = os.path.join(args.work, "elapsed-seconds")
    if not args.no_run:
        before = 0.0
        if args.resume and os.path.exists(elapsed_file):
            with open(elapsed_file) as f:
                before = float(f.read())  # the interrupted run's share
        with open(elapsed_file, "w") as f:
            f.write(f"{before + time.monotonic() - started:.0f}\n")
    elapsed = None  # unknown when the results come from elsewhere
    if os.path.exists(elapsed_file):
        with open(elapsed_file) as f:
            elapsed = float(f.read())

    passed = failed = 0
    lost_by_module = {}
    for m in modules:
        lost, unexpected = compare(m, results[("native", m)], results[("sandbox", m)], entries)
        lost_by_module[m] = lost
        if unexpected:
            failed += 1
            print(f"not ok - {m}")
            for msg in unexpected[:30]:
                print(f"  {msg}")
            if len(unexpected) > 30:
                print(f"  ... and {len(unexpected) - 30} more")
        else:
            passed += 1
            print(f"ok - {m} ({row(results[('sandbox', m)])[1]} passed in the sandbox, {len(lost)} expected not to)")
    if args.report:
        ratio = write_report(args.report, modules, results, lost_by_module, elapsed)
        print(f"report: {args.report} ({ratio:.2f} % of the natively passing tests pass in the sandbox)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
