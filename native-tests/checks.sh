# checks.sh — sourced by the suite scripts that `./build.sh test` runs
# (native-tests/build-ps1-test.sh, examples/run-examples.sh,
# src/bindings/c/install-test.sh): the "ok - NAME" / "not ok - NAME" lines
# and the closing "N passed, N failed" line build.sh counts.
# The sourcing script sets WORK, the folder for each check's log, first.

PASSED=0
FAILED=0

# check NAME CMD...: runs CMD (a function or a command), its output in
# WORK/NAME.log; on failure prints the log's last lines, indented.
check() {
  local name="$1"
  shift
  if "$@" >"$WORK/$name.log" 2>&1 </dev/null; then
    echo "ok - $name"
    PASSED=$((PASSED + 1))
  else
    echo "not ok - $name"
    sed 's/^/  /' "$WORK/$name.log" | tail -n 40
    FAILED=$((FAILED + 1))
  fi
}

# checks_done: the summary line; fails when a check failed.
checks_done() {
  echo "$PASSED passed, $FAILED failed"
  ((FAILED == 0))
}
