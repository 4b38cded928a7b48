"""Numeric loops through small functions: the spectral norm of an infinite
matrix A(i, j) = 1 / ((i + j)(i + j + 1) / 2 + i + 1), by power iteration."""

import _timing


def a(i, j):
    return 1.0 / ((i + j) * (i + j + 1) // 2 + i + 1)


def times(u):
    n = len(u)
    return [sum(a(i, j) * u[j] for j in range(n)) for i in range(n)]


def times_transposed(u):
    n = len(u)
    return [sum(a(j, i) * u[j] for j in range(n)) for i in range(n)]


def workload():
    n = 150
    u = [1.0] * n
    for _ in range(12):
        v = times_transposed(times(u))
        u = times_transposed(times(v))
    vbv = sum(x * y for x, y in zip(u, v))
    vv = sum(x * x for x in v)
    return round((vbv / vv) ** 0.5, 9)


_timing.run("spectral_norm", workload)
