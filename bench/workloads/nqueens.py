"""Sets, generators and recursion: every placement of n queens on an n×n board
where none attacks another, found by extending partial boards row by row."""

import _timing


def solutions(n):
    def place(row, columns, diagonals, antidiagonals):
        if row == n:
            yield columns
            return
        for col in range(n):
            if col in columns or row + col in diagonals or row - col in antidiagonals:
                continue
            yield from place(row + 1, columns + (col,), diagonals | {row + col}, antidiagonals | {row - col})

    return place(0, (), frozenset(), frozenset())


def workload():
    found = list(solutions(10))
    return len(found), found[0], found[-1]


_timing.run("nqueens", workload)
