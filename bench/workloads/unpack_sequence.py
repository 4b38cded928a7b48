"""Tuple and list packing and unpacking in tight loops: swaps, rotations,
multiple assignment from functions and iteration over pairs and triples."""

import _timing


def split(n):
    return n // 3, n % 3, n & 1


def workload():
    a, b, c, d = 1, 2, 3, 4
    total = 0
    for i in range(150000):
        a, b, c, d = b, c, d, a
        q, r, odd = split(i)
        total += q - r + odd + a
    pairs = [(i, -i) for i in range(50000)]
    triples = [[i, i * 2, i * 3] for i in range(50000)]
    for x, y in pairs:
        total += x + y
    for x, y, z in triples:
        total += z - y - x
    for (x, y), (p, q, r) in zip(pairs, triples):
        first, *rest = p, q, r
        total += first + len(rest) + x - y
    return total, a, b, c, d


_timing.run("unpack_sequence", workload)
