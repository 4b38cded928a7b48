"""Generator pipelines: producers, filters and transformers chained lazily,
yield from, generator expressions and send()."""

import _timing


def numbers(n):
    i = 0
    while i < n:
        yield i
        i += 1


def evens(source):
    for x in source:
        if x % 2 == 0:
            yield x


def squares(source):
    for x in source:
        yield x * x


def chunks(source, size):
    chunk = []
    for x in source:
        chunk.append(x)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def flatten(lists):
    for item in lists:
        yield from item


def running_mean():
    total = count = 0
    mean = None
    while True:
        x = yield mean
        total += x
        count += 1
        mean = total / count


def workload():
    pipeline = flatten(chunks(squares(evens(numbers(600000))), 7))
    total = sum(x % 1000 for x in pipeline)
    averager = running_mean()
    next(averager)
    mean = 0.0
    for x in numbers(200000):
        mean = averager.send(x % 97)
    return total, round(mean, 9)


_timing.run("generators", workload)
