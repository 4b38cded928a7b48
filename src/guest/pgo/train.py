"""The training run of python.wasm's profile-guided build: runs, in the
instrumented interpreter, the tests CPython's own `--enable-optimizations`
build trains on (Lib/test/libregrtest/pgo.py's PGO_TESTS), then writes the
counts as an LLVM raw profile.

    pyodide-run --mount LIB:/train:ro --mount OUT:/profile train.py /train /profile/python.profraw

LIB is CPython's Lib directory from the source tarball (the stdlib zip has no
tests). Test failures do not matter here, only which code runs how often, so
they are counted and printed, not raised.
"""
import io
import sys
import time
import unittest

import _pyn_pgo

lib, profile = sys.argv[1], sys.argv[2]
sys.path.append(lib)  # after the stdlib, so only the `test` package comes from lib

from test.libregrtest.pgo import PGO_TESTS  # noqa: E402

start = time.perf_counter()
for name in PGO_TESTS:
    began = time.perf_counter()
    try:
        suite = unittest.defaultTestLoader.loadTestsFromName("test." + name)
        result = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0).run(suite)
        outcome = f"{result.testsRun} tests, {len(result.failures) + len(result.errors)} not passing"
    except BaseException as e:  # a test module that cannot run here still trained its imports
        outcome = f"stopped: {type(e).__name__}: {e}"
    print(f"{name}: {outcome} ({time.perf_counter() - began:.1f} s)", flush=True)
_pyn_pgo.write(profile)
print(f"trained in {time.perf_counter() - start:.0f} s; profile: {profile}")
