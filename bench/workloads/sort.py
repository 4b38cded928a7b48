"""Sorting: floats, tuples, and strings with a key function."""
import random

import _timing


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


_timing.run("sort", workload)
