#!/usr/bin/env python3
"""Interpreter speed: runs every bench/workloads/*.py under pyodide-run and under
a native CPython (./build.sh bench: Debian's /usr/bin/python3.11), alternating,
and writes the medians and ratios as JSON.

    run_workloads.py --pyodide-run out/bin/pyodide-run --python3 /usr/bin/python3.11 \
                     --out build/bench/workloads.json [--repeat 5] [--rounds 2]

Each script times its own workload with the shared helper workloads/_timing.py
(start-up is not counted) REPEAT times and prints one line
`BENCH {"name", "times", "check"}`; files starting with "_" are helpers.
Every round runs each script once per interpreter, the two back to back, so
load from other processes hits both alike. A workload's figure is the median
of all its timings; both interpreters must agree on "check".
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd, timeout):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        sys.exit(f"run_workloads: {' '.join(cmd)} exited with {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line[6:])
    sys.exit(f"run_workloads: {' '.join(cmd)} printed no BENCH line:\n{proc.stdout}{proc.stderr}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pyodide-run", required=True)
    ap.add_argument("--python3", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--workloads", default=os.path.join(HERE, "workloads"))
    ap.add_argument("--repeat", type=int, default=5, help="timings per process")
    ap.add_argument("--rounds", type=int, default=2, help="processes per interpreter")
    ap.add_argument("--timeout", type=float, default=300)
    args = ap.parse_args()

    scripts = sorted(f for f in os.listdir(args.workloads) if f.endswith(".py") and not f.startswith("_"))
    if not scripts:
        sys.exit(f"run_workloads: no workloads in {args.workloads}")
    interpreters = {"python3": [args.python3], "pyodide": [args.pyodide_run]}
    times = {s: {k: [] for k in interpreters} for s in scripts}
    checks = {}
    for rnd in range(args.rounds):
        for script in scripts:
            path = os.path.join(args.workloads, script)
            # Alternate which interpreter goes first.
            order = list(interpreters) if rnd % 2 == 0 else list(reversed(interpreters))
            for name in order:
                res = run(interpreters[name] + [path, str(args.repeat)], args.timeout)
                times[script][name].extend(res["times"])
                checks.setdefault(script, {})[name] = res["check"]

    results = {}
    for script in scripts:
        c = checks[script]
        if c["python3"] != c["pyodide"]:
            sys.exit(f"run_workloads: {script} gives {c['pyodide']!r} under pyodide-run, {c['python3']!r} under python3")
        native = statistics.median(times[script]["python3"])
        pyodide = statistics.median(times[script]["pyodide"])
        results[script[:-3]] = {"python3_s": native, "pyodide_s": pyodide, "ratio": pyodide / native,
                                "timings": len(times[script]["pyodide"])}
        print(f"  {script[:-3]:16s} pyodide-run {pyodide * 1e3:9.1f} ms   python3 {native * 1e3:9.1f} ms   "
              f"ratio {pyodide / native:5.2f}", flush=True)
    geomean = math.exp(statistics.fmean(math.log(r["ratio"]) for r in results.values()))
    print(f"  {'geometric mean':16s} ratio {geomean:5.2f}")
    version = subprocess.run([args.python3, "-c", "import sys; print(sys.version.split()[0])"],
                             capture_output=True, text=True).stdout.strip()
    with open(args.out, "w") as f:
        json.dump({"workloads": results, "geomean": geomean, "python3": args.python3,
                   "python3_version": version, "repeat": args.repeat, "rounds": args.rounds}, f, indent=1)


if __name__ == "__main__":
    main()
