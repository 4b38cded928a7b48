"""List slicing and reversal: pancake flips (reverse the first k+1 items while
the first item k is not 0), over the first 100000 permutations of 0..8."""
import itertools

import _timing


def permutations(n):
    """Every permutation of range(n), as a list reused between steps (Heap's order)."""
    perm = list(range(n))
    counts = [0] * n
    yield perm
    i = 0
    while i < n:
        if counts[i] < i:
            j = counts[i] if i % 2 else 0
            perm[i], perm[j] = perm[j], perm[i]
            yield perm
            counts[i] += 1
            i = 0
        else:
            counts[i] = 0
            i += 1


def workload():
    most = checksum = 0
    for index, perm in enumerate(itertools.islice(permutations(9), 100000)):
        p = perm[:]
        flips = 0
        first = p[0]
        while first:
            p[:first + 1] = p[first::-1]
            flips += 1
            first = p[0]
        most = max(most, flips)
        checksum += flips if index % 2 == 0 else -flips
    return most, checksum


_timing.run("fannkuch", workload)
