"""Recursion and integer arithmetic: naive fib(30), several times."""
import json, sys, time


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def workload():
    return fib(30)


# Each workload script is self-contained (pyodide-run's sandbox sees no
# sibling files): it times workload() REPEAT times with time.perf_counter()
# and prints one JSON line; bench/run_workloads.py reads the median.
REPEAT = int(sys.argv[1]) if len(sys.argv) > 1 else 5
times = []
for _ in range(REPEAT):
    t0 = time.perf_counter()
    result = workload()
    times.append(time.perf_counter() - t0)
print("BENCH " + json.dumps({"name": "fib", "times": times, "check": result}))
