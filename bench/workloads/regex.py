"""Regular expressions: findall, sub with a function, match in a loop."""
import re

import _timing

LINES = [f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} 12:{i % 60:02d}:07 host{i % 17}.example.org "
         f"GET /api/v{i % 3}/items/{i} status={200 + (i % 5) * 100} took={i % 997}ms user=u{i % 101}"
         for i in range(20000)]
TEXT = "\n".join(LINES)
LOG = re.compile(r"^(\d{4})-(\d{2})-(\d{2}) (\S+) (\S+) (GET|POST) (\S+) status=(\d+) took=(\d+)ms", re.M)
WORD = re.compile(r"\b[a-z]+\d+\b")


def workload():
    slow = sum(int(m.group(9)) > 500 for m in LOG.finditer(TEXT))
    hosts = len(set(re.findall(r"host\d+\.example\.org", TEXT)))
    masked = WORD.sub(lambda m: m.group(0)[0] + "*", TEXT)
    errors = sum(1 for line in LINES if re.search(r"status=[45]\d\d", line))
    return slow, hosts, len(masked), errors


_timing.run("regex", workload)
