"""json.dumps / json.loads of a nested document."""
import json

import _timing

DOC = {
    "users": [
        {"id": i, "name": f"user{i}", "email": f"user{i}@example.org", "active": i % 3 == 0,
         "score": i * 1.25, "tags": ["a", "b", str(i % 10)], "address": {"city": "Zürich", "zip": 8000 + i % 50}}
        for i in range(2000)
    ],
    "meta": {"version": 3, "generated": "2024-01-01T00:00:00Z", "ok": True, "none": None},
}


def workload():
    total = 0
    for _ in range(10):
        text = json.dumps(DOC)
        doc = json.loads(text)
        total += len(text) + len(doc["users"])
        pretty = json.dumps(doc["users"][:200], indent=2, sort_keys=True, ensure_ascii=False)
        total += len(json.loads(pretty))
    return total


_timing.run("json_roundtrip", workload)
