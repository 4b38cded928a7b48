"""What every workload script shares (imported as a sibling module, which
pyodide-run allows since it mounts the script's directory): times workload()
REPEAT times (sys.argv[1], default 5) with time.perf_counter() and prints one
line `BENCH {"name", "times", "check"}`; bench/run_workloads.py reads the
median. Start-up is not timed."""
import json
import sys
import time


def run(name, workload):
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    times = []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = workload()
        times.append(time.perf_counter() - t0)
    print("BENCH " + json.dumps({"name": name, "times": times, "check": result}))
