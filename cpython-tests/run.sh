#!/usr/bin/env bash
# run.sh — CPython 3.11.2's Lib/test, natively and in the sandbox (run.py).
#
#   cpython-tests/run.sh          every module; writes docs/cpython-tests.md
#   cpython-tests/run.sh --subset the modules of subset.txt (./build.sh test)
#   cpython-tests/run.sh --report-only   the report and the comparison again,
#                                 from the last full run's results (after
#                                 editing expectations.txt)
#   cpython-tests/run.sh --resume the full run, keeping the modules an
#                                 interrupted one finished
#
# Needs a built out/ (libpyodide.so). Builds the test guest
# (src/guest/build-guest.sh --test-modules), the driver, and extracts Lib/
# from the verified CPython tarball into build/cpython-tests/. Output of each
# module: build/cpython-tests/work/{native,sandbox}/MODULE.{txt,log}.
# Ends with "N passed, N failed" (one per module; with --subset also the
# cases of test_ndarray_buffers.c); exit 1 on any unexpected result. PYODIDE_CPYTHON_TESTS_JOBS: parallel interpreters (2).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BUILD="$ROOT/build/cpython-tests"
NATIVE=/usr/bin/python3.11 # Debian's build of the same CPython, the baseline
mode=full
rerun=1
case "${1:-}" in
  --subset) mode=subset ;;
  --report-only) rerun=0 ;;
  --resume) rerun=2 ;;
esac

[[ -f "$ROOT/out/lib/libpyodide.so" ]] || { echo "run.sh: build first (./build.sh)" >&2; exit 2; }
mkdir -p "$BUILD"

"$ROOT/src/guest/build-guest.sh" --test-modules

for prog in driver test_ndarray_buffers; do
  gcc -O2 -Wall -Wextra -Werror -I"$ROOT/include" "$HERE/$prog.c" -o "$BUILD/$prog" \
    -L"$ROOT/out/lib" -lpyodide -lpthread -Wl,-rpath,"$ROOT/out/lib"
done

tarball=$("$ROOT/src/guest/fetch-sources.sh" python3.11 | cut -d' ' -f2)
stamp="$(sha256sum "$tarball" | cut -d' ' -f1)"
if [[ "$(cat "$BUILD/Lib.stamp" 2>/dev/null)" != "$stamp" ]]; then
  rm -rf "$BUILD/Lib" "$BUILD/Lib.stamp"
  tar -xzf "$tarball" -C "$BUILD" --strip-components=1 --wildcards 'Python-*/Lib/*'
  echo "$stamp" >"$BUILD/Lib.stamp"
fi

args=(--lib "$BUILD/Lib" --assets "$BUILD/out/lib/pyodide" --driver "$BUILD/driver"
  --work "$BUILD/work-$mode" --native "$NATIVE" --expectations "$HERE/expectations.txt"
  --jobs "${PYODIDE_CPYTHON_TESTS_JOBS:-2}")
if [[ $mode == subset ]]; then
  args+=(--modules "$HERE/subset.txt")
else
  args+=(--report "$ROOT/docs/cpython-tests.md")
fi
case $rerun in
  0) args+=(--no-run) ;;
  1) rm -rf "$BUILD/work-$mode" ;;
  2) args+=(--resume) ;;
esac
if [[ $mode == full ]]; then exec "$NATIVE" "$HERE/run.py" "${args[@]}"; fi

# The subset, then the ndarray buffer cases; one total.
rc=0
"$BUILD/test_ndarray_buffers" "$BUILD/out/lib/pyodide" >"$BUILD/ndarray.out" || rc=1
"$NATIVE" "$HERE/run.py" "${args[@]}" >"$BUILD/subset.out" || rc=1
head -n -1 "$BUILD/ndarray.out"
head -n -1 "$BUILD/subset.out"
cat "$BUILD/ndarray.out" "$BUILD/subset.out" | awk '
  /^[0-9]+ passed, [0-9]+ failed$/ { passed += $1; failed += $3 }
  END { printf "%d passed, %d failed\n", passed, failed }'
exit $rc
