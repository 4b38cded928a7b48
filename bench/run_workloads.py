#!/usr/bin/env python3
"""Interpreter speed: runs every bench/workloads/*.py under a native CPython
(the baseline; ./build.sh bench: Debian's /usr/bin/python3.11) and under each
interpreter named with --run, alternating, and writes the medians and the
ratios to the baseline as JSON.

    run_workloads.py --python3 /usr/bin/python3.11 \
                     --run "pyodide-run=out/bin/pyodide-run" \
                     --run "Pyodide in Node=node bench/pyodide_node.cjs build/pyodide-npm" \
                     --out build/bench/workloads.json [--repeat 5] [--rounds 2]

--run LABEL=COMMAND: COMMAND (split like a shell would, `env VAR=VALUE ...`
allowed) is given the script and the repeat count. Each script times its own
workload with the shared helper workloads/_timing.py (start-up is not counted)
REPEAT times and prints one line `BENCH {"name", "times", "check"}`; files
starting with "_" are helpers. Every round runs each script once under every
interpreter, back to back and in an order that rotates from round to round, so
load from other processes hits them alike. A workload's figure is the median
of all its timings; all interpreters must agree on "check".
"""
import argparse
import json
import math
import os
import shlex
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BASELINE = "python3"


def run(cmd, timeout):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        sys.exit(f"run_workloads: {shlex.join(cmd)} exited with {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line[6:])
    sys.exit(f"run_workloads: {shlex.join(cmd)} printed no BENCH line:\n{proc.stdout}{proc.stderr}")


def geomean(values):
    return math.exp(statistics.fmean(math.log(v) for v in values))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python3", required=True, help="the native baseline")
    ap.add_argument("--run", action="append", required=True, metavar="LABEL=COMMAND",
                    help="an interpreter to compare with the baseline (repeat for several)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--workloads", default=os.path.join(HERE, "workloads"))
    ap.add_argument("--only", default="", help="comma-separated workload names (default: all)")
    ap.add_argument("--repeat", type=int, default=5, help="timings per process")
    ap.add_argument("--rounds", type=int, default=2, help="processes per interpreter")
    ap.add_argument("--timeout", type=float, default=300)
    args = ap.parse_args()

    scripts = sorted(f for f in os.listdir(args.workloads) if f.endswith(".py") and not f.startswith("_"))
    if args.only:
        scripts = [s for s in scripts if s[:-3] in args.only.split(",")]
    if not scripts:
        sys.exit(f"run_workloads: no workloads in {args.workloads}")
    interpreters = {BASELINE: [args.python3]}
    for spec in args.run:
        label, sep, command = spec.partition("=")
        if not sep or not label or not command or label in interpreters:
            sys.exit(f"run_workloads: --run {spec!r}: expected a new LABEL=COMMAND")
        interpreters[label] = shlex.split(command)
    labels = list(interpreters)
    times = {s: {k: [] for k in labels} for s in scripts}
    checks = {s: {} for s in scripts}
    for rnd in range(args.rounds):
        for script in scripts:
            path = os.path.join(args.workloads, script)
            shift = rnd % len(labels)
            for label in labels[shift:] + labels[:shift]:
                res = run(interpreters[label] + [path, str(args.repeat)], args.timeout)
                times[script][label].extend(res["times"])
                checks[script][label] = res["check"]

    results = {}
    for script in scripts:
        name, c = script[:-3], checks[script]
        for label in labels:
            if c[label] != c[BASELINE]:
                sys.exit(f"run_workloads: {script} gives {c[label]!r} under {label}, {c[BASELINE]!r} under {args.python3}")
        median = {label: statistics.median(times[script][label]) for label in labels}
        # The fastest timing too: on a loaded machine it moves less than the median.
        best = {label: min(times[script][label]) for label in labels}
        results[name] = {"seconds": median, "ratio": {k: median[k] / median[BASELINE] for k in labels[1:]},
                         "best_seconds": best, "best_ratio": {k: best[k] / best[BASELINE] for k in labels[1:]},
                         "timings": len(times[script][BASELINE])}
        print(f"  {name:16s} {args.python3} {median[BASELINE] * 1e3:7.1f} ms" + "".join(
            f"   {k} {median[k] * 1e3:7.1f} ms ({results[name]['ratio'][k]:4.2f}×)" for k in labels[1:]), flush=True)
    means = {k: geomean(r["ratio"][k] for r in results.values()) for k in labels[1:]}
    best_means = {k: geomean(r["best_ratio"][k] for r in results.values()) for k in labels[1:]}
    print(f"  {'geometric mean':16s}" + "".join(f"   {k} {g:4.2f}× (fastest timings: {best_means[k]:4.2f}×)"
                                                for k, g in means.items()))
    version = subprocess.run([args.python3, "-c", "import sys; print(sys.version.split()[0])"],
                             capture_output=True, text=True).stdout.strip()
    with open(args.out, "w") as f:
        json.dump({"workloads": results, "geomean": means, "best_geomean": best_means, "interpreters": {k: shlex.join(v) for k, v in interpreters.items()},
                   "python3": args.python3, "python3_version": version, "repeat": args.repeat,
                   "rounds": args.rounds}, f, indent=1)


if __name__ == "__main__":
    main()
