"""Dicts and strings: build text, split, count words, format and join."""

import _timing

WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta",
         "iota", "kappa", "lambda", "mu", "nu", "xi", "omicron", "pi"]


def workload():
    lines = []
    for i in range(80000):
        w = WORDS[i % 16]
        lines.append(f"{w}-{i % 97} {WORDS[(i * 7) % 16].upper()} {w[::-1]}:{i}")
    text = "\n".join(lines)
    counts = {}
    for line in text.splitlines():
        for word in line.split():
            key = word.split(":")[0].lower()
            counts[key] = counts.get(key, 0) + 1
    index = {k: len(k) * v for k, v in counts.items() if "-" in k}
    report = ", ".join(f"{k}={v}" for k, v in sorted(index.items())[:50])
    return len(counts) + len(report)


_timing.run("dict_str", workload)
