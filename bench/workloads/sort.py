"""Sorting: floats, tuples, and strings with a key function."""
import json, random, sys, time


# The data is made once, outside the timed part.
rng = random.Random(42)
floats = [rng.random() for _ in range(200000)]
tuples = [(rng.randrange(1000), rng.random(), str(i)) for i in range(60000)]
words = ["".join(rng.choice("abcdefghij") for _ in range(8)) for _ in range(25000)]


def workload():
    a = sorted(floats)
    b = sorted(tuples)
    c = sorted(words, key=lambda w: (w[::-1], len(w)))
    return round(a[len(a) // 2], 6), b[0][0], c[0]


REPEAT = int(sys.argv[1]) if len(sys.argv) > 1 else 5
times = []
for _ in range(REPEAT):
    t0 = time.perf_counter()
    result = workload()
    times.append(time.perf_counter() - t0)
print("BENCH " + json.dumps({"name": "sort", "times": times, "check": result}))
