"""Recursion and integer arithmetic: naive fib(30), several times."""

import _timing


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def workload():
    return fib(30)


_timing.run("fib", workload)
