"""Integer loops: sum() of a range and a plain for loop adding ints, both with
totals past 2**31 (where a 32-bit C long, as on wasm32, would end a fast path)."""

import _timing


def workload():
    total = sum(range(1_000_000))
    acc = 0
    for i in range(1_000_000):
        acc += i
    return total, acc


_timing.run("int_loops", workload)
