#!/bin/sh
# leakcheck.sh — runs a native test binary built with -fsanitize=address
# (AddressSanitizer + LeakSanitizer), with libpyodide.so's frames symbolized and
# the third-party suppressions of lsan.supp. Used by the leakcheck.* CTest tests.
# Every mode passes only when every case it runs ran to its end.
#
#   leakcheck.sh BINARY CASE...   run the cases in one process; passes only when
#                                 they pass with no leak and no memory error (a
#                                 case that fails on its own fails here too: its
#                                 leaks were not checked)
#   leakcheck.sh --each BINARY    run every case (BINARY --list) in its own process
#                                 (each bounded by RB_CASE_TIMEOUT, 120 s); passes
#                                 only when every case ran clean
#   leakcheck.sh --expect-leak BINARY CASE FUNCTION...
#                                 the canary: passes only when CASE passes and
#                                 LeakSanitizer reports leaks allocated under each
#                                 FUNCTION (a crash or a silent run fails)
#
# Environment (set by CMakeLists.txt): RB_LIBDIR (holds libpyodide.so),
# RB_DEBUG_FILE (its separate debug info, Pyodide.Native.so.dbg), RB_SYMBOLIZER
# (llvm-symbolizer), RB_SUPPRESSIONS (lsan.supp).
set -u

mode=cases
case "${1:-}" in
  --each) mode=each; shift ;;
  --expect-leak) mode=expect-leak; shift ;;
esac
bin=$1
shift

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pyodide-leakcheck.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

# libpyodide.so ships its symbols separately; llvm-symbolizer finds them by build ID
# under --debug-file-directory. The wrapper has to be called llvm-symbolizer.
# (Redone before each case of --each: a rebuild in between changes the build ID,
# and unsymbolized frames would slip past the suppressions.)
build_id() { readelf -n "$1" 2>/dev/null | sed -n 's/.*Build ID: *//p' | head -n 1; }
setup_symbols() {
  [ -n "${RB_SYMBOLIZER:-}" ] && [ -x "${RB_SYMBOLIZER}" ] || return 0
  id=$(build_id "$RB_LIBDIR/libpyodide.so")
  rm -rf "$tmp/debug"
  mkdir -p "$tmp/debug"
  if [ -n "$id" ] && [ -f "${RB_DEBUG_FILE:-}" ] && [ "$(build_id "$RB_DEBUG_FILE")" = "$id" ]; then
    prefix=$(printf '%s' "$id" | cut -c1-2)
    rest=$(printf '%s' "$id" | cut -c3-)
    mkdir -p "$tmp/debug/.build-id/$prefix"
    ln -s "$RB_DEBUG_FILE" "$tmp/debug/.build-id/$prefix/$rest.debug"
  else
    echo "leakcheck: no matching debug info for libpyodide.so; its frames stay unsymbolized" >&2
  fi
  if [ ! -x "$tmp/llvm-symbolizer" ]; then
    printf '#!/bin/sh\nexec "%s" --debug-file-directory="%s" "$@"\n' "$RB_SYMBOLIZER" "$tmp/debug" \
      >"$tmp/llvm-symbolizer"
    chmod +x "$tmp/llvm-symbolizer"
  fi
  export ASAN_SYMBOLIZER_PATH="$tmp/llvm-symbolizer"
}
setup_symbols

# NativeAOT's dlopen("libwasmtime.so") goes through ASan's interceptor, so the
# library's own RUNPATH ($ORIGIN) is not consulted: name the directory.
export LD_LIBRARY_PATH="$RB_LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# Wasmtime turns SIGSEGV/SIGBUS/SIGILL/SIGFPE in wasm code into traps (and
# NativeAOT SIGSEGV into NullReferenceException): ASan must leave them alone.
# Sanitizer findings exit with 86, a failed case with the harness's 1.
export ASAN_OPTIONS="handle_segv=0:handle_sigbus=0:handle_sigill=0:handle_sigfpe=0:allow_user_segv_handler=1:detect_leaks=1:exitcode=86"
export LSAN_OPTIONS="suppressions=${RB_SUPPRESSIONS}:print_suppressions=0"

# run_cases CASE...: runs the cases in one process (bounded by CTest's TIMEOUT),
# its output shown as it comes and kept in $tmp/out; its exit code in $rc.
run_cases() {
  { "$bin" "$@" 2>&1; echo $? >"$tmp/rc"; } | tee "$tmp/out"
  rc=$(cat "$tmp/rc")
}
LSAN_REPORT='ERROR: LeakSanitizer: detected memory leaks'
# The harness's "[       OK ]"/"[   FAILED ]" lines are matched anywhere in a line:
# a case's output that ends without a newline (an input() prompt) runs into them.

if [ "$mode" = expect-leak ]; then
  c=$1
  shift
  run_cases "$c"
  if grep -q '\[   FAILED \]' "$tmp/out" || ! grep -q '\[       OK \]' "$tmp/out"; then
    echo "leakcheck: the canary case did not pass (exit $rc): no leak report to judge"
    exit 1
  fi
  if [ "$rc" != 86 ] || ! grep -q "$LSAN_REPORT" "$tmp/out"; then
    echo "leakcheck: LeakSanitizer did not report the deliberate leaks (exit $rc): the leak check is blind"
    exit 1
  fi
  for f in "$@"; do
    if ! grep -q " in $f " "$tmp/out"; then
      echo "leakcheck: no leak reported under $f: the suppressions hide it"
      exit 1
    fi
  done
  echo "leakcheck: LeakSanitizer reported the deliberate leaks (under $*), as it must"
  exit 0
fi

if [ "$mode" = cases ]; then
  run_cases "$@"
  if grep -q '\[   FAILED \]' "$tmp/out"; then
    # Leaks after a failed assertion are that failure's (it skipped the cleanup).
    echo "leakcheck: the case failed on its own (exit $rc): its leaks were not checked"
    exit 1
  fi
  case $rc in
    0) echo "leakcheck: no leaks, no memory errors" ;;
    86) echo "leakcheck: AddressSanitizer/LeakSanitizer reported the errors above" ;;
    *) echo "leakcheck: the test crashed or failed under AddressSanitizer (exit $rc)" ;;
  esac
  exit "$rc"
fi

cases=$("$bin" --list) || exit 2
total=0 clean=0 bad=0
for c in $cases; do
  total=$((total + 1))
  setup_symbols
  # A case that hangs must not hold up the rest (and fails the run).
  start=$(date +%s)
  timeout -k 5 "${RB_CASE_TIMEOUT:-120}" "$bin" "$c" >"$tmp/out" 2>&1
  rc=$?
  if [ "$rc" = 0 ] && grep -q '\[       OK \]' "$tmp/out"; then
    clean=$((clean + 1))
    # One line a case: if CTest's time limit ends the run, the last one shows where.
    echo "leakcheck: $c clean ($(($(date +%s) - start)) s)"
    continue
  fi
  bad=$((bad + 1))
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    echo "leakcheck: $c timed out after ${RB_CASE_TIMEOUT:-120} s: not leak-checked"
  elif grep -q '\[   FAILED \]' "$tmp/out"; then
    echo "leakcheck: $c failed on its own (exit $rc): not leak-checked"
    grep -A 3 'failed:' "$tmp/out" | head -n 10
  else
    echo "leakcheck: $c: sanitizer errors or a crash (exit $rc) (first 150 lines; rerun"
    echo "  leakcheck.sh with the binary and '$c' for all of it):"
    head -n 150 "$tmp/out"
    grep '^SUMMARY:' "$tmp/out"
  fi
done
echo "leakcheck: $clean of $total case(s) ran clean; $bad did not (leaks, memory errors, failures or timeouts)"
[ "$total" -gt 0 ] && [ "$clean" = "$total" ]
