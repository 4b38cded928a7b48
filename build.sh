#!/usr/bin/env bash
# build.sh — builds Pyodide.Native and runs its tests (Linux, x64).
#
#   ./build.sh [build]  deps → fixtures → managed → native → guest (its profile is trained
#                       with the native pyodide-run) → snapshot → header check
#   ./build.sh run      build, then run src/pyodide-run/sample.py with out/bin/pyodide-run
#   ./build.sh test     build, then every test suite (time-limited); the last line is
#                       "N passed, N failed[, N skipped][, N suites broken]"
#   ./build.sh bench    build, then the benchmarks (bench/), PYODIDE_BENCH_RUNS times (3):
#                       writes bench/results/latest.md
#   ./build.sh cpython-tests   build, then CPython's whole Lib/test natively and in the
#                       sandbox (cpython-tests/run.sh, ~50 min): writes docs/cpython-tests.md
#   ./build.sh clean    remove out/ and build/ (the guest cache in ~/.cache stays)
#   ./build.sh install PREFIX   build, then install the library, header, assets,
#                       pkg-config and CMake files into PREFIX (out/ has the same layout)
#
# Products (see README.md, "Layout"): out/lib/libpyodide.so + libwasmtime.so,
# out/lib/pyodide/ (python.wasm, stdlib), out/include/pyodide.h,
# out/bin/pyodide-run, out/lib/pkgconfig/pyodide.pc, out/lib/cmake/Pyodide/
# (relocatable: usable as an install prefix). Logs of each step go to build/logs/.
# build.ps1 is the PowerShell counterpart (Windows and Linux): keep the two in
# step (`./build.sh test` builds with it and compares: test_build_ps1).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
OUT="$ROOT/out"
BUILD="$ROOT/build"
LOGS="$BUILD/logs"
RID=linux-x64
CONFIG=Release
SLN="$ROOT/Pyodide.Native.sln"
DOTNET_MIN=10
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Debian packages: the guest toolchain (build-guest.sh checks its own part
# again), the native C programs and the header check.
APT_PACKAGES=(
  clang-19 lld-19 llvm-19 wasi-libc libclang-rt-19-dev-wasm32
  python3 python3.11 tcl dpkg-dev xz-utils bzip2
  cmake gcc libc6-dev make binutils zip unzip patch
  libclang-rt-19-dev # AddressSanitizer/LeakSanitizer for the leakcheck.* native tests
  libedit-dev tmux # pyodide-run: the REPL's line editing; its terminal test
)

say() { printf '[build] %s\n' "$*"; }
fail() { printf '[build] ERROR: %s\n' "$*" >&2; exit 1; }
# logged NAME DESCRIPTION CMD...: runs CMD with its output in build/logs/NAME.log;
# on failure prints the log's tail and exits.
logged() {
  local name="$1" desc="$2" rc=0 start=$SECONDS
  shift 2
  mkdir -p "$LOGS"
  printf '[build] %s ... ' "$desc"
  "$@" >"$LOGS/$name.log" 2>&1 </dev/null || rc=$?
  if ((rc)); then
    printf 'failed\n'
    printf '[build] ---- last lines of %s ----\n' "$LOGS/$name.log" >&2
    tail -n 60 "$LOGS/$name.log" >&2
    fail "$desc failed (exit $rc); full log: $LOGS/$name.log"
  fi
  printf '%d s\n' $((SECONDS - start))
}
copy_if_changed() { # SRC DST
  cmp -s "$1" "$2" 2>/dev/null && return 0
  cp "$1" "$2.tmp.$$" && mv -f "$2.tmp.$$" "$2"
}

# --- steps -------------------------------------------------------------------------
step_deps() {
  "$ROOT/src/guest/ensure-packages.sh" "${APT_PACKAGES[@]}"
  command -v dotnet >/dev/null 2>&1 ||
    fail "the .NET SDK is not installed: install .NET $DOTNET_MIN or newer (https://dot.net)"
  local version
  version=$(dotnet --version 2>/dev/null) || fail "'dotnet --version' failed: is a .NET SDK installed?"
  ((${version%%.*} >= DOTNET_MIN)) || fail ".NET SDK $version found, $DOTNET_MIN or newer is needed"
}

step_guest() {
  "$ROOT/src/guest/build-guest.sh"
}

# The package tests' real third-party library (Debian's python3-six, pinned with
# its sha256), fetched at build time so the tests download nothing.
step_fixtures() {
  logged fixtures "package fixture (native-tests/packages/make-fixture.sh)" \
    "$ROOT/native-tests/packages/make-fixture.sh" "$BUILD/fixtures/packages"
}

# Every project under src/ and bench/ belongs to the solution: add the missing ones.
step_solution() {
  if [[ ! -f "$SLN" ]]; then
    logged sln-new "create Pyodide.Native.sln" dotnet new sln --format sln -n Pyodide.Native -o "$ROOT"
  fi
  local listed proj rel
  listed=$(dotnet sln "$SLN" list 2>/dev/null | tr '\\' '/')
  while IFS= read -r proj; do
    rel=${proj#"$ROOT"/}
    if ! grep -qxF "$rel" <<<"$listed"; then
      logged sln-add "add $rel to Pyodide.Native.sln" dotnet sln "$SLN" add "$rel"
    fi
  done < <(find "$ROOT/src" "$ROOT/bench" -name '*.csproj' -not -path '*/bin/*' -not -path '*/obj/*' 2>/dev/null | sort)
}

step_managed() {
  local proj="$ROOT/src/Pyodide.Native/Pyodide.Native.csproj" pub="$BUILD/native-publish"
  [[ -f "$proj" ]] || fail "$proj not found"
  logged managed "dotnet publish Pyodide.Native (NativeAOT, $RID)" \
    dotnet publish "$proj" -c "$CONFIG" -r "$RID" -o "$pub" --nologo
  [[ -f "$pub/Pyodide.Native.so" ]] || fail "the publish produced no Pyodide.Native.so (in $pub)"
  [[ -f "$pub/libwasmtime.so" ]] || fail "the publish produced no libwasmtime.so (in $pub)"
  mkdir -p "$OUT/lib" "$OUT/include"
  copy_if_changed "$pub/Pyodide.Native.so" "$OUT/lib/libpyodide.so"
  copy_if_changed "$pub/libwasmtime.so" "$OUT/lib/libwasmtime.so"
  copy_if_changed "$ROOT/include/pyodide.h" "$OUT/include/pyodide.h"
}

cmake_project() { # NAME SOURCE_DIR [CMAKE_ARG...]
  local name="$1" src="$2" bld="$BUILD/cmake/$1"
  shift 2
  logged "cmake-$name" "cmake $name" bash -c '
    set -e
    src="$1" bld="$2" out="$3" include="$4"
    shift 4
    cmake -S "$src" -B "$bld" -DPYODIDE_ROOT="$out" -DPYODIDE_INCLUDE="$include" "$@"
    cmake --build "$bld" -j 2' _ "$src" "$bld" "$OUT" "$ROOT/include" "$@"
}

step_native() {
  [[ -f "$ROOT/src/pyodide-run/CMakeLists.txt" ]] || fail "src/pyodide-run/CMakeLists.txt not found"
  # pyodide-run links the library's own linker inputs into itself (see
  # src/pyodide-run/CMakeLists.txt, PYODIDE_CLI_LINK): no libpyodide.so to
  # load and relocate when it starts.
  local cli_link="$BUILD/native-publish/pyodide-cli.link"
  [[ -f "$cli_link" ]] || fail "the publish wrote no $cli_link"
  cmake_project pyodide-run "$ROOT/src/pyodide-run" -DPYODIDE_CLI_LINK="$cli_link"
  logged install-pyodide-run "install out/bin/pyodide-run" \
    cmake --install "$BUILD/cmake/pyodide-run" --prefix "$OUT"
  [[ -x "$OUT/bin/pyodide-run" ]] || fail "out/bin/pyodide-run was not installed"
  if [[ -f "$ROOT/native-tests/CMakeLists.txt" ]]; then
    cmake_project native-tests "$ROOT/native-tests"
  else
    say "no native-tests/CMakeLists.txt: skipped"
  fi
  # Compiled by every build (so it cannot rot), run only by `./build.sh bench`.
  # (`./build.sh test` compiles the BenchmarkDotNet project: test_bench_compiles.)
  if [[ -f "$ROOT/bench/c/CMakeLists.txt" ]]; then
    cmake_project bench "$ROOT/bench/c"
  fi
}

# The built-in snapshot, out/lib/pyodide/python.snapshot: a runtime that has just
# started, saved by the library (src/pyodide-run/bake_snapshot.c), so that even a
# process's first runtime starts from it. Baked again only when python.wasm,
# libpyodide.so or lib/ changed (build/python.snapshot.key); the bytes differ from bake to
# bake (the interpreter's hash secret), which native-tests/build-ps1-test.sh allows. A
# `-c pass` then teaches the library the pages a start writes (learn_snapshot_stamp).
step_snapshot() {
  local snapshot="$OUT/lib/pyodide/python.snapshot" keyfile="$BUILD/python.snapshot.key" key
  # The snapshot holds modules imported from lib/ (the helper package): their files are inputs too.
  key=$( {
    cat "$OUT/lib/pyodide/python.wasm.sha256" "$OUT/lib/libpyodide.so"
    (cd "$OUT/lib/pyodide/lib" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
  } | sha256sum | cut -d' ' -f1)
  if [[ -f "$snapshot" && -f "$keyfile" && "$(cat "$keyfile")" == "$key" ]]; then
    say "built-in snapshot: up to date"
    return
  fi
  rm -f "$keyfile"
  logged bake-snapshot "bake out/lib/pyodide/python.snapshot" \
    "$BUILD/cmake/pyodide-run/pyodide-bake-snapshot" "$snapshot"
  learn_snapshot_stamp "$snapshot" || fail "out/bin/pyodide-run -c pass failed with the new snapshot"
  printf '%s\n' "$key" >"$keyfile"
}

# include/pyodide.h must declare exactly the pyodide_/pyproxy_/pybuffer_
# functions that libpyodide.so exports.
step_check_header() {
  local declared exported
  declared=$(python3 - "$ROOT/include/pyodide.h" <<'EOF'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
text = re.sub(r"//[^\n]*", " ", text)
text = re.sub(r"^\s*#[^\n]*(\\\n[^\n]*)*", " ", text, flags=re.M)
names = set()
# A declaration (or a definition) of a function: the name directly followed by
# "(" at the top level of a statement; function-pointer typedefs, "(*name)(",
# do not match. Calls inside static inline bodies would; the header has none.
for m in re.finditer(r"\b((?:pyodide|pyproxy|pybuffer)_[A-Za-z0-9_]*)\s*\(", text):
    before = text[:m.start()].rstrip()
    if before.endswith(("(*", "*)", "typedef")):
        continue
    names.add(m.group(1))
print("\n".join(sorted(names)))
EOF
  )
  exported=$(nm -D --defined-only "$OUT/lib/libpyodide.so" | awk '{sub(/@.*/, "", $NF); print $NF}' |
    grep -E '^(pyodide|pyproxy|pybuffer)_' | sort -u || true)
  if [[ "$declared" != "$exported" ]]; then
    say "include/pyodide.h and libpyodide.so disagree:"
    diff <(printf '%s\n' "$declared") <(printf '%s\n' "$exported") |
      sed -n -e 's/^< /  declared in pyodide.h, not exported: /p' -e 's/^> /  exported, not declared in pyodide.h: /p' >&2
    fail "header check failed"
  fi
  say "header check: $(printf '%s\n' "$exported" | grep -c .) functions, pyodide.h matches libpyodide.so"
}

# pkg-config and CMake package files in out/lib, from src/bindings/c/*.in,
# relative to their own location so out/ (or an install of it) can move.
PYODIDE_VERSION=""
library_version() { # the version libpyodide.so reports
  [[ -n "$PYODIDE_VERSION" ]] && { echo "$PYODIDE_VERSION"; return; }
  PYODIDE_VERSION=$(python3 -c 'import ctypes, sys
lib = ctypes.CDLL(sys.argv[1]); lib.pyodide_version.restype = ctypes.c_char_p
print(lib.pyodide_version().decode())' "$OUT/lib/libpyodide.so") || fail "cannot read pyodide_version() from out/lib/libpyodide.so"
  echo "$PYODIDE_VERSION"
}

step_package_files() {
  local templates="$ROOT/src/bindings/c" version f
  version=$(library_version)
  mkdir -p "$OUT/lib/pkgconfig" "$OUT/lib/cmake/Pyodide"
  # shellcheck disable=SC2016 # ${libdir} is pkg-config's, not the shell's
  sed -e "s|@VERSION@|$version|g" -e 's|@RPATH@|-Wl,-rpath,${libdir}|g' \
    "$templates/pyodide.pc.in" >"$BUILD/pyodide.pc"
  copy_if_changed "$BUILD/pyodide.pc" "$OUT/lib/pkgconfig/pyodide.pc"
  for f in PyodideConfig PyodideConfigVersion; do
    sed -e "s|@VERSION@|$version|g" "$templates/$f.cmake.in" >"$BUILD/$f.cmake"
    copy_if_changed "$BUILD/$f.cmake" "$OUT/lib/cmake/Pyodide/$f.cmake"
  done
  say "package files: out/lib/pkgconfig/pyodide.pc, out/lib/cmake/Pyodide (version $version)"
}

do_build() {
  local t0=$SECONDS
  step_deps
  step_fixtures
  step_solution
  step_managed
  step_native
  # After the host: the guest's profile-guided build trains with out/bin/pyodide-run.
  step_guest
  step_snapshot
  step_check_header
  step_package_files
  say "build done in $((SECONDS - t0)) s"
}

# --- test ----------------------------------------------------------------------------
# Every suite goes through run_suite, which bounds it in time and counts it the
# same way. The final line of `./build.sh test` is "N passed, N failed", then
# ", N skipped" and ", N suites broken" when there are any; a broken suite is one
# that did not complete (could not build or start, crashed, timed out, printed no
# count). The exit code is 0 only when nothing failed and no suite broke.
#
# Adding a suite takes one function and one line in do_test:
#
#   test_foo() { run_suite foo 600 "$ROOT/path/to/foo-tests.sh" ARG...; }
#
# run_suite [--count FN] [--details FN] NAME TIMEOUT CMD...
#   Runs CMD with stdin from /dev/null and its output in build/logs/test-NAME.log
#   for at most TIMEOUT seconds (then SIGTERM to its process group, SIGKILL 30 s
#   later; the suite is broken: "timed out after TIMEOUT s"). CMD is a program,
#   not a shell function: `env -C DIR VAR=VALUE... PROGRAM` sets its directory
#   and environment, `bash -c '...'` chains steps.
#   By default CMD prints each failed check as "not ok - CHECK" with indented
#   details (shown when the suite fails) and ends with the line
#   "N passed, N failed" (optionally ", N skipped").
#   --count FN    FN LOGFILE prints "PASSED FAILED SKIPPED [REASON]" for a tool
#                 that reports otherwise; REASON, when present, says why the
#                 suite did not complete. No output means no count was found.
#   --details FN  FN LOGFILE prints the lines to show when the suite fails.
#   A suite that is killed by a signal, exits non-zero with no failed test
#   counted, or prints no count is broken too.
# suite_broken NAME REASON records a suite that could not even start.
PASSED=0
FAILED=0
SKIPPED=0
BROKEN=()

suite_broken() { # NAME REASON
  BROKEN+=("$1: $2")
}

run_suite() {
  local count=count_summary_line details=details_not_ok
  while [[ "$1" == --* ]]; do
    case "$1" in
      --count) count="$2" ;;
      --details) details="$2" ;;
      *) fail "run_suite: unknown option $1" ;;
    esac
    shift 2
  done
  local name="$1" limit="$2" log="$LOGS/test-$1.log" rc=0 start=$SECONDS
  shift 2
  local p="" f="" s="" reason="" counts elapsed
  mkdir -p "$LOGS"
  printf '[test] %s ... ' "$name"
  timeout --kill-after=30 "$limit" "$@" >"$log" 2>&1 </dev/null || rc=$?
  elapsed=$((SECONDS - start))
  counts=$("$count" "$log") || counts=""
  read -r p f s reason <<<"$counts" || true
  if [[ ! "$p" =~ ^[0-9]+$ || ! "$f" =~ ^[0-9]+$ ]]; then
    p=0 f=0 s=0
    reason=${reason:-"no test count in its output"}
  fi
  [[ "$s" =~ ^[0-9]+$ ]] || s=0
  # timeout exits 124, or 137 when SIGKILL was needed (137 alone can also be
  # the command's own death by SIGKILL: the elapsed time tells them apart).
  if ((rc == 124 || (rc == 137 && elapsed >= limit))); then
    reason="timed out after $limit s${reason:+ ($reason)}"
  elif ((rc > 128)); then
    reason="killed by signal $((rc - 128))${reason:+ ($reason)}"
  elif ((rc && f == 0)) && [[ -z "$reason" ]]; then
    reason="exit $rc with no failed test counted"
  fi
  printf '%d passed, %d failed' "$p" "$f"
  ((s == 0)) || printf ', %d skipped' "$s"
  printf ' (%d s)%s\n' "$elapsed" "${reason:+; BROKEN: $reason}"
  PASSED=$((PASSED + p))
  FAILED=$((FAILED + f))
  SKIPPED=$((SKIPPED + s))
  [[ -z "$reason" ]] || suite_broken "$name" "$reason"
  if ((rc || f)) || [[ -n "$reason" ]]; then
    "$details" "$log" | head -n 200 >&2 || true
    say "full output: $log" >&2
  fi
}

# The default count: a last line "N passed, N failed[, N skipped]".
count_summary_line() {
  local last
  last=$(tail -n1 "$1")
  if [[ "$last" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)?$ ]]; then
    echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[4]:-0}"
  fi
}
# The default details: each "not ok - CHECK" line with its indented lines.
details_not_ok() {
  awk '/^not ok - / { show = 1; print; next } /^  / && show { print; next } { show = 0 }' "$1"
}

# dotnet test: the Counters of every .trx it wrote (build/test-results/dotnet);
# an aborted run (crashed or hung test host, named by the blame collector) or a
# build error is a reason.
DOTNET_RESULTS="$BUILD/test-results/dotnet"
count_dotnet() {
  python3 - "$DOTNET_RESULTS" "$1" <<'PY'
import glob, os, re, sys, xml.etree.ElementTree as ET
passed = failed = skipped = 0
for path in glob.glob(os.path.join(sys.argv[1], "**", "*.trx"), recursive=True):
    for el in ET.parse(path).iter():
        if el.tag.endswith("Counters"):
            a = el.attrib
            passed += int(a.get("passed", 0))
            failed += sum(int(a.get(k, 0)) for k in ("failed", "error", "timeout", "aborted"))
    # A skipped test is a result "NotExecuted" (the counters leave it out).
    skipped += sum(1 for el in ET.parse(path).iter()
                   if el.tag.endswith("UnitTestResult") and el.get("outcome") == "NotExecuted")
log = open(sys.argv[2], encoding="utf-8", errors="replace").read()
reasons = sorted(set(re.findall(r"error [A-Z]+[0-9]+: [^\[\n]*", log)))[:1]
reasons = ["does not build: " + r.strip() for r in reasons]
# "The active test run was aborted. Reason: Test host process crashed ..." and
# the blame collector's "... inactivity time of N seconds has elapsed ..." (a hang).
for pattern in (r"(?i)^.*test run (?:was )?aborted.*$", r"(?i)^.*inactivity time.*elapsed.*$"):
    reasons += [m.strip() for m in re.findall(pattern, log, re.M)][:1]
print(passed, failed, skipped, "; ".join(reasons))
PY
}
# Each failed test's block (name, message, stack), build errors, aborts.
details_dotnet() {
  awk '/^ +Failed [^ ]/ { n = 25 } / error [A-Z]+[0-9]+:|[Aa]borted|crashed|[Bb]lame/ { print; next }
       n > 0 { print; n-- }' "$1"
}

test_dotnet() {
  rm -rf "$DOTNET_RESULTS"
  mkdir -p "$DOTNET_RESULTS"
  # --blame-hang-timeout: one test running longer than that stops the run and
  # is named (the suite's own limit would only say that something hung).
  run_suite --count count_dotnet --details details_dotnet dotnet 2400 \
    dotnet test "$SLN" -c "$CONFIG" --nologo --logger trx --logger "console;verbosity=normal" \
    --results-directory "$DOTNET_RESULTS" --blame-hang-timeout 600s --blame-hang-dump-type none
}

# ctest: the per-test statuses of its JUnit report. CTest itself counts a test
# that did not run (its executable or a fixture it needs is missing) as failed
# and a skipped one (SKIP_RETURN_CODE) or a disabled one as passed: here the
# first is failed and the others skipped.
CTEST_JUNIT="$BUILD/test-results/ctest.xml"
count_ctest() {
  [[ -f "$CTEST_JUNIT" ]] || return 0
  python3 - "$CTEST_JUNIT" <<'PY'
import sys, xml.etree.ElementTree as ET
passed = failed = skipped = 0
for case in ET.parse(sys.argv[1]).iter("testcase"):
    status = case.get("status")
    skip = case.find("skipped")
    if status == "run" and case.find("failure") is None:
        passed += 1
    elif status == "disabled" or (skip is not None and "SKIP_" in (skip.get("message") or "")):
        skipped += 1
    else:
        failed += 1
print(passed, failed, skipped)
PY
}
# Each failed test's output (--output-on-failure), then ctest's lists.
details_ctest() {
  awk '/Test +#[0-9]+: / { show = ($0 ~ /\*\*\*|Not Run|Failed|Timeout/) }
       /tests passed, / { show = 0 } show' "$1" | head -n 300
  sed -n '/The following tests \(did not run\|FAILED\)/,$p' "$1"
}

test_ctest() {
  local dir="$BUILD/cmake/native-tests"
  if [[ ! -f "$dir/CTestTestfile.cmake" ]]; then
    suite_broken ctest "native-tests were not built (no $dir/CTestTestfile.cmake)"
    return 0
  fi
  rm -f "$CTEST_JUNIT"
  mkdir -p "$(dirname "$CTEST_JUNIT")"
  # Each test has its own TIMEOUT (native-tests/CMakeLists.txt); the suite's
  # limit covers them all.
  run_suite --count count_ctest --details details_ctest ctest 5400 \
    ctest --test-dir "$dir" --output-on-failure --no-tests=error --output-junit "$CTEST_JUNIT"
}

# The benchmarks are never run by `test`, only compiled so they cannot rot: the
# C one is built by step_native; `dotnet test` skips non-test projects, so the
# BenchmarkDotNet one is built here (one check: it compiles).
count_build() {
  if grep -q '^Build succeeded' "$1"; then
    echo "1 0 0"
  else
    echo "0 0 0 does not compile: $(grep -m1 -oE ' error [A-Z]+[0-9]+: [^[]*' "$1" || echo 'see the log')"
  fi
}
details_build() { grep -E ' error [A-Z]+[0-9]+:' "$1" | sort -u | head -n 40; }
test_bench_compiles() {
  run_suite --count count_build --details details_build bench-compiles 900 \
    dotnet build "$ROOT/bench/Pyodide.Benchmarks/Pyodide.Benchmarks.csproj" -c "$CONFIG" --nologo
}

# The NuGet package as a consumer uses it: pack into a local feed, then a fresh
# console app restores it, builds, runs, publishes and runs (one check each).
test_package() {
  run_suite package 1800 "$ROOT/src/Pyodide.Runtime/packaging/test-package.sh"
}

# cargo test: the "test result:" line of each test binary. A binary that
# started ("Running ...") but printed no result crashed or was stopped (the
# harness names a test running for over 60 s); a compile error is a reason.
count_cargo() {
  awk '/^ *(Running|Doc-tests) / { if (bin != "" && !done) crashed = crashed " " bin; bin = $2; done = 0 }
       /^test .* has been running for over/ { slow = slow " " $2 }
       /^test result: / { done = 1
         for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i
                                     if ($(i+1) ~ /^ignored/) s += $i } }
       /^error(\[E[0-9]+\])?: / && !err && !/test failed|targets? failed/ { err = $0 }
       END { if (bin != "" && !done) crashed = crashed " " bin
             reason = crashed != "" ? "test binary crashed or was killed:" crashed : ""
             if (slow != "") reason = (reason != "" ? reason "; " : "") "running for over 60 s:" slow
             if (err != "") reason = (reason != "" ? reason "; " : "") "does not build: " err
             print p + 0, f + 0, s + 0, reason }' "$1"
}
details_cargo() {
  grep -E '^(---- .* stdout ----|error(\[E[0-9]+\])?:|.*process didn.t exit successfully)' -A 12 "$1"
}

# The Rust crate (src/bindings/rust): cargo test, offline, against out/lib.
test_rust() {
  if ! command -v cargo >/dev/null 2>&1; then
    suite_broken rust "cargo is not installed (Rust 1.77 or newer)"
    return 0
  fi
  run_suite --count count_cargo --details details_cargo rust 1800 \
    env -C "$ROOT/src/bindings/rust" PYODIDE_LIB_DIR="$OUT/lib" CARGO_TARGET_DIR="$BUILD/cargo-target" \
    cargo test --offline --no-fail-fast
}

# go test -v: its "--- PASS/FAIL/SKIP" lines; a test that started ("=== RUN")
# with no result line did not finish (a panic, or go test's own -timeout).
count_go() {
  awk '/^=== RUN / { started[$3] = 1 }
       /^ *--- PASS/ { p++; ended[$3] = 1 } /^ *--- FAIL/ { f++; ended[$3] = 1 } /^ *--- SKIP/ { s++; ended[$3] = 1 }
       /^panic: test timed out/ { timedout = 1 }
       /^# |^vet: |: cannot |undefined: / && !err { err = $0 }
       END { for (t in started) if (!(t in ended)) unfinished = unfinished " " t
             reason = unfinished != "" ? (timedout ? "timed out in:" : "did not finish:") unfinished : ""
             if (err != "") reason = (reason != "" ? reason "; " : "") "vet/build: " err
             print p + 0, f + 0, s + 0, reason }' "$1"
}
details_go() {
  grep -E -B 2 -A 15 '^ *--- FAIL|^# |vet:|panic:' "$1"
}

# The Go package (src/bindings/go): go vet, go build, go test -v; installs
# Debian's golang-go when go is missing.
test_go() {
  if ! command -v go >/dev/null 2>&1; then
    "$ROOT/src/guest/ensure-packages.sh" golang-go >"$LOGS/deps-go.log" 2>&1 || true
  fi
  if ! command -v go >/dev/null 2>&1; then
    suite_broken go "go is not installed and apt-get install golang-go failed (see $LOGS/deps-go.log)"
    return 0
  fi
  # go test's own -timeout (below the suite's limit) names the test that hung.
  run_suite --count count_go --details details_go go 1800 \
    env -C "$ROOT/src/bindings/go" CGO_ENABLED=1 GOPROXY=off GOFLAGS=-mod=mod \
    bash -c 'go vet ./... && go build ./... && go test -v -count=1 -timeout 20m ./...'
}

# ./build.sh install into a scratch prefix, then C consumers built with
# pkg-config and with CMake's find_package (src/bindings/c/install-test.sh).
test_install() {
  local root="$BUILD/install-test" rc
  rm -rf "$root"
  # (Not `if ! (install_to ...)`: set -e would be off inside it.)
  set +e
  (set -e; install_to "$root/prefix") >"$LOGS/test-install-prefix.log" 2>&1 </dev/null
  rc=$?
  set -e
  if ((rc)); then
    suite_broken install "./build.sh install into $root/prefix failed (see $LOGS/test-install-prefix.log)"
    return 0
  fi
  run_suite install 900 \
    "$ROOT/src/bindings/c/install-test.sh" "$root/prefix" "$OUT" "$root/work" "$(library_version)"
}

# examples/: the C, C++ and .NET examples built against out/ and run, their output
# compared with the .expected files (examples/run-examples.sh).
test_examples() {
  run_suite examples 1200 "$ROOT/examples/run-examples.sh" "$OUT" "$BUILD/examples"
}

# build.ps1 on Linux: `pwsh ./build.ps1 build` into build/build-ps1-test, its
# products compared with out/ (native-tests/build-ps1-test.sh, which installs
# the pinned PowerShell .NET tool when it is missing).
test_build_ps1() { run_suite build-ps1 1800 "$ROOT/native-tests/build-ps1-test.sh" "$OUT" "$BUILD/build-ps1-test"; }

# src/guest/fetch-sources.sh on a cold cache: fetches and verifies zlib,
# refuses corrupted tarballs.
test_sources() { run_suite sources 300 "$ROOT/src/guest/test-fetch-sources.sh"; }

# CPython's own tests, a fixed subset (cpython-tests/subset.txt), natively and in
# the test build of the guest; any result the expectations do not list fails
# (cpython-tests/run.sh --subset). Also pyproxy_get_buffer on _testbuffer.ndarray.
test_cpython() { run_suite cpython-subset 1800 "$ROOT/cpython-tests/run.sh" --subset; }

# The final line (see the top of this section).
print_totals() {
  local b line="$PASSED passed, $FAILED failed"
  ((SKIPPED == 0)) || line+=", $SKIPPED skipped"
  if ((${#BROKEN[@]})); then
    line+=", ${#BROKEN[@]} suite"
    ((${#BROKEN[@]} == 1)) || line+="s"
    line+=" broken"
  fi
  for b in "${BROKEN[@]}"; do say "suite broken: $b" >&2; done
  echo "$line"
}

do_test() {
  # A failed build still ends with the summary line: the build is the broken suite.
  # (Not `if ! (do_build)`: set -e would be off inside it.)
  local rc
  set +e
  (set -e; do_build)
  rc=$?
  set -e
  if ((rc)); then
    suite_broken build "the build failed (exit $rc): no test suite could run"
    print_totals
    return 1
  fi
  test_dotnet
  test_ctest
  test_bench_compiles
  test_package
  test_rust
  test_go
  test_install
  test_examples
  test_sources
  test_build_ps1
  test_cpython
  print_totals
  ((FAILED == 0 && ${#BROKEN[@]} == 0))
}

do_run() {
  do_build
  say "out/bin/pyodide-run src/pyodide-run/sample.py"
  "$OUT/bin/pyodide-run" "$ROOT/src/pyodide-run/sample.py"
}

# --- bench ---------------------------------------------------------------------------
# The C ABI benchmark, the interpreter workloads and the BenchmarkDotNet suite,
# run PYODIDE_BENCH_RUNS times (default 3), one run after another; then
# bench/report.py turns the runs (build/bench/run-N/) into one table in
# bench/results/latest.md, judging each goal on the median over the runs.
# Takes 2-6 minutes a run; see bench/README.md.
# The interpreter baseline is Debian's CPython of the same version, never
# whatever python3 is first on PATH (here a pyenv shim of another build).
BENCH_PYTHON=/usr/bin/python3.11
# The second interpreter baseline: Pyodide in Node, from npm's pyodide package,
# pinned by version and by the sha256 of its tarball. `npm pack` fetches the
# tarball once into the cache (offline afterwards); it is checked at every use
# and unpacked into build/pyodide-npm. pyodide.js needs none of the package's
# dependencies when loaded as CommonJS (bench/pyodide_node.cjs).
PYODIDE_NPM_VERSION=314.0.7
PYODIDE_NPM_SHA256=66b7949e5a0cba2250b586d7e368bf12fb482800748d182c4618254b685ffaa0
NODE_MIN=18 # the package's "engines"
PYODIDE_NPM_DIR="$BUILD/pyodide-npm"
step_pyodide_npm() {
  local cache="${PYODIDE_CACHE:-$HOME/.cache/pyodide-native}/npm" tgz sha tmp major
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    "$ROOT/src/guest/ensure-packages.sh" nodejs npm
  fi
  major=$(node -p 'process.versions.node.split(".")[0]') || fail "node does not run"
  ((major >= NODE_MIN)) || fail "Node $(node --version) is too old for pyodide $PYODIDE_NPM_VERSION (needs $NODE_MIN or newer)"
  tgz="$cache/pyodide-$PYODIDE_NPM_VERSION.tgz"
  if [[ ! -f "$tgz" ]]; then
    mkdir -p "$cache"
    tmp=$(mktemp -d "$cache/tmp.XXXXXX")
    logged pyodide-npm "npm pack pyodide@$PYODIDE_NPM_VERSION" \
      npm pack "pyodide@$PYODIDE_NPM_VERSION" --pack-destination "$tmp"
    sha=$(sha256sum "$tmp/pyodide-$PYODIDE_NPM_VERSION.tgz" | cut -d' ' -f1)
    if [[ "$sha" != "$PYODIDE_NPM_SHA256" ]]; then
      rm -rf "$tmp"
      fail "npm's pyodide-$PYODIDE_NPM_VERSION.tgz has sha256 $sha, expected $PYODIDE_NPM_SHA256"
    fi
    mv "$tmp/pyodide-$PYODIDE_NPM_VERSION.tgz" "$tgz"
    rm -rf "$tmp"
  fi
  sha=$(sha256sum "$tgz" | cut -d' ' -f1)
  [[ "$sha" == "$PYODIDE_NPM_SHA256" ]] ||
    fail "$tgz has sha256 $sha, expected $PYODIDE_NPM_SHA256 (delete it to fetch it again)"
  if [[ "$(cat "$PYODIDE_NPM_DIR/.sha256" 2>/dev/null)" != "$sha" ]]; then
    rm -rf "$PYODIDE_NPM_DIR" && mkdir -p "$PYODIDE_NPM_DIR"
    tar -xzf "$tgz" -C "$PYODIDE_NPM_DIR" --strip-components=1
    printf '%s\n' "$sha" >"$PYODIDE_NPM_DIR/.sha256"
  fi
  say "Pyodide $PYODIDE_NPM_VERSION (npm, sha256 checked) in $PYODIDE_NPM_DIR, Node $(node --version)"
}
# learn_snapshot_stamp FILE: removes the library's stamp of the snapshot FILE from
# the compiled-module cache (src/Pyodide.Runtime/Guest/SnapshotVerified.cs names it
# by device, inode, size and times; it keeps which pages the first process to load
# FILE wrote over its runtime's life, and every later process copies those up front),
# waits until FILE is old enough to be stamped (unchanged for 2 s), and lets
# `pyodide-run -c pass` be that first process: a plain start sets what later ones
# copy, not whichever program happened to run first (bench/README, last section).
learn_snapshot_stamp() {
  local file="$1" cache
  cache="${PYODIDE_MODULE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pyodide-native/modules}"
  rm -f "$cache"/snapshot-*-"$(printf %x "$(stat -c %i "$file")")-$(printf %x "$(stat -c %s "$file")")"-*.checked
  while (($(date +%s) - $(stat -c %Z "$file") < 3)); do sleep 1; done
  "$OUT/bin/pyodide-run" -c pass </dev/null
}

do_bench() {
  local t0=$SECONDS rc=0 load run runs="${PYODIDE_BENCH_RUNS:-3}" bench="$BUILD/bench"
  local bdn_proj="$ROOT/bench/Pyodide.Benchmarks/Pyodide.Benchmarks.csproj" report_runs=()
  [[ "$runs" =~ ^[1-9][0-9]*$ ]] || fail "PYODIDE_BENCH_RUNS must be a positive number, not '$runs'"
  [[ -x "$BENCH_PYTHON" ]] || fail "$BENCH_PYTHON (Debian's python3.11) is needed as the native baseline"
  load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
  if [[ "${load%% *}" =~ ^[0-9]+ ]] && ((BASH_REMATCH[0] >= $(nproc))); then
    say "load average ${load%% *} on $(nproc) cores: absolute figures will be inflated (ratios less so)"
  fi
  do_build
  step_pyodide_npm
  logged bench-dotnet-build "dotnet build bench/Pyodide.Benchmarks" \
    dotnet build "$bdn_proj" -c "$CONFIG" --nologo
  rm -rf "$bench"
  mkdir -p "$bench" "$LOGS"

  # Each engine's compiled module must be cached before timing starts (a build
  # elsewhere, such as another checkout, may have evicted it). The built-in
  # snapshot's stamp is learned again, so the start-up rows do not depend on what
  # ran since the build.
  "$BUILD/cmake/bench/bench_abi" --warm </dev/null || rc=1
  learn_snapshot_stamp "$OUT/lib/pyodide/python.snapshot" || rc=1

  for ((run = 1; run <= runs; run++)); do
    local dir="$bench/run-$run" start
    mkdir -p "$dir"
    report_runs+=(--run "$dir")
    say "run $run of $runs: C ABI: build/cmake/bench/bench_abi (log: $LOGS/bench-abi-$run.log)"
    "$BUILD/cmake/bench/bench_abi" --json "$dir/abi.json" --pyodide-run "$OUT/bin/pyodide-run" \
      --python3 "$BENCH_PYTHON" </dev/null 2>&1 | tee "$LOGS/bench-abi-$run.log" || rc=1

    say "run $run of $runs: interpreter: bench/workloads under $BENCH_PYTHON, pyodide-run (unguarded and guarded) and Pyodide in Node (log: $LOGS/bench-workloads-$run.log)"
    # pyodide-run runs unguarded unless given a deadline; library users get the
    # guarded engine by default, so both are measured.
    python3 "$ROOT/bench/run_workloads.py" --python3 "$BENCH_PYTHON" \
      --run "pyodide-run=$OUT/bin/pyodide-run" \
      --run "pyodide-run guarded=$OUT/bin/pyodide-run --timeout 3600" \
      --run "Pyodide in Node=node $ROOT/bench/pyodide_node.cjs $PYODIDE_NPM_DIR" \
      --out "$dir/workloads.json" </dev/null 2>&1 | tee "$LOGS/bench-workloads-$run.log" || rc=1

    printf '[build] run %d of %d: BenchmarkDotNet: bench/Pyodide.Benchmarks (log: %s) ... ' "$run" "$runs" \
      "$LOGS/bench-dotnet-$run.log"
    start=$SECONDS
    if (cd "$dir" && dotnet "$ROOT/bench/Pyodide.Benchmarks/bin/$CONFIG/net10.0/Pyodide.Benchmarks.dll" \
      --filter '*' --artifacts "$dir/bdn") >"$LOGS/bench-dotnet-$run.log" 2>&1 </dev/null; then
      printf '%d s\n' $((SECONDS - start))
    else
      printf 'failed (%d s)\n' $((SECONDS - start))
      grep -E 'Exception|error|failed' "$LOGS/bench-dotnet-$run.log" | head -n 20 >&2 || true
      rc=1
    fi
    # BenchmarkDotNet's own summary table.
    sed -n '/^| Method/,/^$/p' "$LOGS/bench-dotnet-$run.log"
  done

  python3 "$ROOT/bench/report.py" "${report_runs[@]}" --out "$ROOT/bench/results/latest.md" \
    --pyodide-node "Pyodide $PYODIDE_NPM_VERSION (npm) in Node $(node --version)" \
    --command "./build.sh bench" --load-before "$load" --elapsed "$((SECONDS - t0)) s including the build"
  cat "$ROOT/bench/results/latest.md"
  ((rc == 0)) || fail "a benchmark failed: see the logs above"
  say "bench done in $((SECONDS - t0)) s"
}

# Copies the products into PREFIX: include/pyodide.h, lib/libpyodide.so,
# lib/libwasmtime.so, lib/pyodide/ (the assets, found beside the library),
# lib/pkgconfig/pyodide.pc, lib/cmake/Pyodide/, bin/pyodide-run.
install_to() { # PREFIX
  local prefix="$1"
  [[ -n "$prefix" ]] || fail "usage: ./build.sh install PREFIX"
  mkdir -p "$prefix"
  prefix=$(cd "$prefix" && pwd)
  install -d "$prefix/include" "$prefix/lib/pkgconfig" "$prefix/lib/cmake/Pyodide" "$prefix/bin"
  install -m 0644 "$OUT/include/pyodide.h" "$prefix/include/pyodide.h"
  install -m 0755 "$OUT/lib/libpyodide.so" "$OUT/lib/libwasmtime.so" "$prefix/lib/"
  rm -rf "$prefix/lib/pyodide"
  cp -R "$OUT/lib/pyodide" "$prefix/lib/pyodide"
  install -m 0644 "$OUT/lib/pkgconfig/pyodide.pc" "$prefix/lib/pkgconfig/"
  install -m 0644 "$OUT/lib/cmake/Pyodide/"*.cmake "$prefix/lib/cmake/Pyodide/"
  install -m 0755 "$OUT/bin/pyodide-run" "$prefix/bin/"
}

do_install() {
  [[ -n "${1:-}" ]] || fail "usage: ./build.sh install PREFIX"
  do_build
  install_to "$1"
  say "installed into $1: find_package(Pyodide) with CMAKE_PREFIX_PATH=$1, or PKG_CONFIG_PATH=$1/lib/pkgconfig"
}

do_clean() {
  rm -rf "$OUT" "$BUILD"
  say "removed out/ and build/"
}

case "${1:-build}" in
  build) do_build ;;
  run) do_run ;;
  test) do_test ;;
  bench) do_bench ;;
  cpython-tests) do_build && "$ROOT/cpython-tests/run.sh" ;;
  clean) do_clean ;;
  install) do_install "${2:-}" ;;
  -h | --help | help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" ;;
  *) fail "unknown command '$1' (build, run, test, bench, cpython-tests, clean, install PREFIX)" ;;
esac
