#!/bin/sh
# compare.sh PYODIDE_RUN PYTHON3 SCRIPT — runs SCRIPT under pyodide-run and
# under a native python3 and compares their stdout line by line; on a
# mismatch prints a unified diff (native → pyodide) and exits 1.
set -u
RUN=$1
PY=$2
SCRIPT=$3
if [ ! -x "$PY" ]; then
  echo "the reference interpreter $PY is missing (Debian's python3.11: apt-get install python3.11)" >&2
  exit 1
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pyodide-stdlib.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

ok=0
# pyodide-run reads the script from the host; the sandbox never sees the path.
"$RUN" "$SCRIPT" >"$TMP/pyodide.out" 2>"$TMP/pyodide.err"
run_status=$?
# -I: isolated from the environment and user site-packages, as the sandbox is.
"$PY" -I "$SCRIPT" >"$TMP/native.out" 2>"$TMP/native.err"
py_status=$?

if [ "$py_status" -ne 0 ]; then
  echo "native $PY exited with status $py_status:" >&2
  cat "$TMP/native.err" >&2
  ok=1
fi
if [ "$run_status" -ne 0 ]; then
  echo "pyodide-run exited with status $run_status:" >&2
  cat "$TMP/pyodide.err" >&2
  ok=1
fi
if ! cmp -s "$TMP/native.out" "$TMP/pyodide.out"; then
  echo "output differs (--- native $PY, +++ pyodide-run):" >&2
  diff -u --label "native $PY" --label "pyodide-run" "$TMP/native.out" "$TMP/pyodide.out" >&2
  ok=1
fi
if [ "$ok" -eq 0 ]; then
  echo "identical: $(wc -l <"$TMP/native.out") lines"
fi
exit $ok
