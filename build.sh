#!/usr/bin/env bash
# build.sh — builds Pyodide.Native and runs its tests (Linux, x64).
#
#   ./build.sh [build]  deps → guest → managed → native → header check
#   ./build.sh run      build, then run src/pyodide-run/sample.py with out/bin/pyodide-run
#   ./build.sh test     build, then every test suite; the last line is "N passed, N failed"
#   ./build.sh bench    build, then the benchmarks (bench/): writes bench/results/latest.md
#   ./build.sh clean    remove out/ and build/ (the guest cache in ~/.cache stays)
#   ./build.sh install PREFIX   build, then install the library, header, assets,
#                       pkg-config and CMake files into PREFIX (out/ has the same layout)
#
# Products (see shared DESIGN.md): out/lib/libpyodide.so + libwasmtime.so,
# out/lib/pyodide/ (python.wasm, stdlib), out/include/pyodide.h,
# out/bin/pyodide-run, out/lib/pkgconfig/pyodide.pc, out/lib/cmake/Pyodide/
# (relocatable: usable as an install prefix). Logs of each step go to build/logs/.
# build.ps1 is the Windows counterpart: keep the two in step.
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

cmake_project() { # NAME SOURCE_DIR
  local name="$1" src="$2" bld="$BUILD/cmake/$1"
  logged "cmake-$name" "cmake $name" bash -c '
    set -e
    cmake -S "$1" -B "$2" -DPYODIDE_ROOT="$3" -DPYODIDE_INCLUDE="$4"
    cmake --build "$2" -j 2' _ "$src" "$bld" "$OUT" "$ROOT/include"
}

step_native() {
  [[ -f "$ROOT/src/pyodide-run/CMakeLists.txt" ]] || fail "src/pyodide-run/CMakeLists.txt not found"
  cmake_project pyodide-run "$ROOT/src/pyodide-run"
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
  step_guest
  step_solution
  step_managed
  step_native
  step_check_header
  step_package_files
  say "build done in $((SECONDS - t0)) s"
}

# --- test ----------------------------------------------------------------------------
PASSED=0
FAILED=0
BROKEN=()

# Sums the Counters of every .trx in DIR into SUITE_PASSED / SUITE_FAILED.
parse_trx() {
  read -r SUITE_PASSED SUITE_FAILED < <(python3 - "$1" <<'EOF'
import glob, os, sys, xml.etree.ElementTree as ET
passed = failed = 0
for path in glob.glob(os.path.join(sys.argv[1], "**", "*.trx"), recursive=True):
    for el in ET.parse(path).iter():
        if el.tag.endswith("Counters"):
            a = el.attrib
            passed += int(a.get("passed", 0))
            failed += sum(int(a.get(k, 0)) for k in ("failed", "error", "timeout", "aborted"))
print(passed, failed)
EOF
  )
}

test_dotnet() {
  local results="$BUILD/test-results/dotnet" rc=0 start=$SECONDS
  rm -rf "$results"
  mkdir -p "$results" "$LOGS"
  printf '[test] dotnet test Pyodide.Native.sln ... '
  dotnet test "$SLN" -c "$CONFIG" --nologo --logger trx --logger "console;verbosity=normal" \
    --results-directory "$results" >"$LOGS/test-dotnet.log" 2>&1 </dev/null || rc=$?
  parse_trx "$results"
  printf '%d passed, %d failed (%d s)\n' "$SUITE_PASSED" "$SUITE_FAILED" $((SECONDS - start))
  PASSED=$((PASSED + SUITE_PASSED))
  FAILED=$((FAILED + SUITE_FAILED))
  if ((rc)); then
    ((SUITE_FAILED)) || BROKEN+=("dotnet test (exit $rc, no failed test recorded)")
    # Each failed test's block (name, message, stack), and build errors.
    awk '/^ +Failed [^ ]/ { n = 25 } / error [A-Z]+[0-9]+:/ { print; next } n > 0 { print; n-- }' \
      "$LOGS/test-dotnet.log" | head -n 200 >&2 || true
    say "full output: $LOGS/test-dotnet.log" >&2
  fi
}

test_ctest() {
  local dir="$BUILD/cmake/native-tests" rc=0 start=$SECONDS summary
  SUITE_PASSED=0
  SUITE_FAILED=0
  if [[ ! -f "$dir/CTestTestfile.cmake" ]]; then
    say "no native tests built (build/cmake/native-tests): 0 tests"
    return 0
  fi
  printf '[test] ctest native-tests ... '
  ctest --test-dir "$dir" --output-on-failure --no-tests=ignore >"$LOGS/test-ctest.log" 2>&1 </dev/null || rc=$?
  summary=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$LOGS/test-ctest.log" | tail -n1 || true)
  if [[ "$summary" =~ ([0-9]+)\ tests?\ failed\ out\ of\ ([0-9]+) ]]; then
    SUITE_FAILED=${BASH_REMATCH[1]}
    SUITE_PASSED=$((BASH_REMATCH[2] - BASH_REMATCH[1]))
  fi
  # CTest counts skipped tests among the passed ones: they are not passes.
  local skipped
  skipped=$(grep -cE '^[[:space:]]+[0-9]+ - .* \((Skipped|Disabled|Not Run)\)$' "$LOGS/test-ctest.log" || true)
  SUITE_PASSED=$((SUITE_PASSED - skipped))
  if ((skipped)); then
    printf '%d passed, %d failed, %d skipped (%d s)\n' "$SUITE_PASSED" "$SUITE_FAILED" "$skipped" $((SECONDS - start))
  else
    printf '%d passed, %d failed (%d s)\n' "$SUITE_PASSED" "$SUITE_FAILED" $((SECONDS - start))
  fi
  PASSED=$((PASSED + SUITE_PASSED))
  FAILED=$((FAILED + SUITE_FAILED))
  if ((rc)); then
    ((SUITE_FAILED)) || BROKEN+=("ctest (exit $rc, no failed test recorded)")
    # Each failed test's output (--output-on-failure), then ctest's list.
    awk '/Test +#[0-9]+: / { show = ($0 ~ /\*\*\*|Not Run|Failed|Timeout/) }
         /tests passed, / { show = 0 } show' "$LOGS/test-ctest.log" | head -n 300 >&2 || true
    sed -n '/The following tests FAILED/,$p' "$LOGS/test-ctest.log" >&2
    say "full output: $LOGS/test-ctest.log" >&2
  fi
}

# The NuGet package as a consumer uses it: pack into a local feed, then a fresh
# console app restores it, builds, runs, publishes and runs (one check each).
test_package() {
  local script="$ROOT/src/Pyodide.Runtime/packaging/test-package.sh" rc=0 start=$SECONDS summary
  SUITE_PASSED=0
  SUITE_FAILED=0
  printf '[test] NuGet package (src/Pyodide.Runtime/packaging/test-package.sh) ... '
  "$script" >"$LOGS/test-package.log" 2>&1 </dev/null || rc=$?
  summary=$(tail -n1 "$LOGS/test-package.log")
  if [[ "$summary" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    SUITE_PASSED=${BASH_REMATCH[1]}
    SUITE_FAILED=${BASH_REMATCH[2]}
  fi
  printf '%d passed, %d failed (%d s)\n' "$SUITE_PASSED" "$SUITE_FAILED" $((SECONDS - start))
  PASSED=$((PASSED + SUITE_PASSED))
  FAILED=$((FAILED + SUITE_FAILED))
  if ((rc)); then
    ((SUITE_FAILED)) || BROKEN+=("NuGet package test (exit $rc, no failed check recorded)")
    # Each failed check with its indented details.
    awk '/^not ok - / { show = 1; print; next } /^  / && show { print; next } { show = 0 }' \
      "$LOGS/test-package.log" | head -n 200 >&2 || true
    say "full output: $LOGS/test-package.log" >&2
  fi
}

# count_suite NAME RC: adds SUITE_PASSED/SUITE_FAILED to the totals and
# prints the suite's line; a failure with no failed test recorded is BROKEN.
count_suite() {
  local name="$1" rc="$2" start="$3"
  printf '%d passed, %d failed (%d s)\n' "$SUITE_PASSED" "$SUITE_FAILED" $((SECONDS - start))
  PASSED=$((PASSED + SUITE_PASSED))
  FAILED=$((FAILED + SUITE_FAILED))
  if ((rc)) && ((SUITE_FAILED == 0)); then BROKEN+=("$name (exit $rc, no failed test recorded)"); fi
}

# The Rust crate (src/bindings/rust): cargo test, offline, against out/lib.
test_rust() {
  local dir="$ROOT/src/bindings/rust" log="$LOGS/test-rust.log" rc=0 start=$SECONDS
  SUITE_PASSED=0
  SUITE_FAILED=0
  printf '[test] cargo test (src/bindings/rust) ... '
  if ! command -v cargo >/dev/null 2>&1; then
    printf 'cargo not found\n'
    BROKEN+=("cargo test: cargo is not installed (Rust 1.77 or newer)")
    return 0
  fi
  (cd "$dir" && PYODIDE_LIB_DIR="$OUT/lib" CARGO_TARGET_DIR="$BUILD/cargo-target" \
    cargo test --offline --no-fail-fast) >"$log" 2>&1 </dev/null || rc=$?
  read -r SUITE_PASSED SUITE_FAILED < <(awk '/^test result: / {
      for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
      END { print p + 0, f + 0 }' "$log")
  count_suite "cargo test" "$rc" "$start"
  if ((rc)); then
    grep -E '^(---- .* stdout ----|error(\[E[0-9]+\])?:)' -A 12 "$log" | head -n 200 >&2 || true
    say "full output: $log" >&2
  fi
}

# The Go package (src/bindings/go): go vet, go build, go test -v; installs
# Debian's golang-go when go is missing.
test_go() {
  local dir="$ROOT/src/bindings/go" log="$LOGS/test-go.log" rc=0 start=$SECONDS
  SUITE_PASSED=0
  SUITE_FAILED=0
  printf '[test] go test (src/bindings/go) ... '
  if ! command -v go >/dev/null 2>&1; then
    "$ROOT/src/guest/ensure-packages.sh" golang-go >"$LOGS/deps-go.log" 2>&1 || true
  fi
  if ! command -v go >/dev/null 2>&1; then
    printf 'go not found\n'
    BROKEN+=("go test: go is not installed and apt-get install golang-go failed (see $LOGS/deps-go.log)")
    return 0
  fi
  (cd "$dir" && export CGO_ENABLED=1 GOPROXY=off GOFLAGS=-mod=mod &&
    go vet ./... && go build ./... && go test -v -count=1 ./...) >"$log" 2>&1 </dev/null || rc=$?
  SUITE_PASSED=$(grep -cE '^ *--- PASS' "$log" || true)
  SUITE_FAILED=$(grep -cE '^ *--- FAIL' "$log" || true)
  count_suite "go vet/build/test" "$rc" "$start"
  if ((rc)); then
    grep -E -B 2 -A 15 '^ *--- FAIL|^# |vet:|panic:' "$log" | head -n 200 >&2 || true
    say "full output: $log" >&2
  fi
}

# ./build.sh install into a scratch prefix, then C consumers built with
# pkg-config and with CMake's find_package (src/bindings/c/install-test.sh).
test_install() {
  local root="$BUILD/install-test" log="$LOGS/test-install.log" rc=0 start=$SECONDS summary
  SUITE_PASSED=0
  SUITE_FAILED=0
  printf '[test] install, pkg-config and CMake consumers ... '
  rm -rf "$root"
  {
    (set -e; install_to "$root/prefix") &&
      "$ROOT/src/bindings/c/install-test.sh" "$root/prefix" "$OUT" "$root/work" "$(library_version)"
  } >"$log" 2>&1 </dev/null || rc=$?
  summary=$(tail -n1 "$log")
  if [[ "$summary" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    SUITE_PASSED=${BASH_REMATCH[1]}
    SUITE_FAILED=${BASH_REMATCH[2]}
  fi
  count_suite "install test" "$rc" "$start"
  if ((rc)); then
    awk '/^not ok - / { show = 1; print; next } /^  / && show { print; next } { show = 0 }' "$log" | head -n 200 >&2 || true
    say "full output: $log" >&2
  fi
}

# examples/: the C, C++ and .NET examples built against out/ and run, their output
# compared with the .expected files (examples/run-examples.sh).
test_examples() {
  local log="$LOGS/test-examples.log" rc=0 start=$SECONDS summary
  SUITE_PASSED=0
  SUITE_FAILED=0
  printf '[test] examples (examples/run-examples.sh) ... '
  "$ROOT/examples/run-examples.sh" "$OUT" "$BUILD/examples" >"$log" 2>&1 </dev/null || rc=$?
  summary=$(tail -n1 "$log")
  if [[ "$summary" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    SUITE_PASSED=${BASH_REMATCH[1]}
    SUITE_FAILED=${BASH_REMATCH[2]}
  fi
  count_suite "examples" "$rc" "$start"
  if ((rc)); then
    awk '/^not ok - / { show = 1; print; next } /^  / && show { print; next } { show = 0 }' "$log" | head -n 200 >&2
    say "full output: $log" >&2
  fi
}

# The benchmarks are never run by `test`, only compiled so they cannot rot: the
# C one is built by step_native; `dotnet test` skips non-test projects, so the
# BenchmarkDotNet one is built here. A failure counts as a suite that could not run.
test_bench_compiles() {
  local proj="$ROOT/bench/Pyodide.Benchmarks/Pyodide.Benchmarks.csproj" start=$SECONDS
  [[ -f "$proj" ]] || return 0
  printf '[test] compile bench/Pyodide.Benchmarks (not run) ... '
  if dotnet build "$proj" -c "$CONFIG" --nologo >"$LOGS/test-bench-build.log" 2>&1 </dev/null; then
    printf 'ok (%d s)\n' $((SECONDS - start))
  else
    printf 'failed (%d s)\n' $((SECONDS - start))
    grep -E ' error [A-Z]+[0-9]+:' "$LOGS/test-bench-build.log" | sort -u | head -n 40 >&2 || true
    BROKEN+=("bench/Pyodide.Benchmarks does not compile (log: $LOGS/test-bench-build.log)")
  fi
}

do_test() {
  # A failed build still ends with the summary line (no suite could run).
  # (Not `if ! (do_build)`: set -e would be off inside it.)
  local rc
  set +e
  (set -e; do_build)
  rc=$?
  set -e
  if ((rc)); then
    say "build failed: no test suite could run" >&2
    echo "0 passed, 0 failed"
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
  local b
  for b in "${BROKEN[@]}"; do say "suite could not run: $b" >&2; done
  echo "$PASSED passed, $FAILED failed"
  ((FAILED == 0 && ${#BROKEN[@]} == 0))
}

do_run() {
  do_build
  say "out/bin/pyodide-run src/pyodide-run/sample.py"
  "$OUT/bin/pyodide-run" "$ROOT/src/pyodide-run/sample.py"
}

# --- bench ---------------------------------------------------------------------------
# The C ABI benchmark, the interpreter workloads and the BenchmarkDotNet suite,
# then bench/report.py turns their results (build/bench/) into one table in
# bench/results/latest.md. Takes 2-6 minutes; see bench/README.md.
do_bench() {
  local t0=$SECONDS rc=0 load py3 bench="$BUILD/bench" bdn_proj="$ROOT/bench/Pyodide.Benchmarks/Pyodide.Benchmarks.csproj"
  load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
  if [[ "${load%% *}" =~ ^[0-9]+ ]] && ((BASH_REMATCH[0] >= $(nproc))); then
    say "load average ${load%% *} on $(nproc) cores: absolute figures will be inflated (ratios less so)"
  fi
  do_build
  logged bench-dotnet-build "dotnet build bench/Pyodide.Benchmarks" \
    dotnet build "$bdn_proj" -c "$CONFIG" --nologo
  # The interpreter itself, not a wrapper such as a pyenv shim (it would add to start-up).
  py3=$(python3 -c 'import sys; print(sys.executable)') || fail "python3 is needed as the native baseline"
  rm -rf "$bench"
  mkdir -p "$bench" "$LOGS"

  # Each engine's compiled module must be cached before timing starts (a build
  # elsewhere, such as another checkout, may have evicted it).
  "$BUILD/cmake/bench/bench_abi" --warm </dev/null || rc=1
  "$OUT/bin/pyodide-run" -c pass </dev/null || rc=1

  say "C ABI: build/cmake/bench/bench_abi (log: $LOGS/bench-abi.log)"
  "$BUILD/cmake/bench/bench_abi" --json "$bench/abi.json" --pyodide-run "$OUT/bin/pyodide-run" \
    --python3 "$py3" </dev/null 2>&1 | tee "$LOGS/bench-abi.log" || rc=1

  say "interpreter: bench/workloads under pyodide-run and $py3 (log: $LOGS/bench-workloads.log)"
  python3 "$ROOT/bench/run_workloads.py" --pyodide-run "$OUT/bin/pyodide-run" --python3 "$py3" \
    --out "$bench/workloads.json" </dev/null 2>&1 | tee "$LOGS/bench-workloads.log" || rc=1

  printf '[build] BenchmarkDotNet: bench/Pyodide.Benchmarks (log: %s) ... ' "$LOGS/bench-dotnet.log"
  local start=$SECONDS
  if (cd "$bench" && dotnet "$ROOT/bench/Pyodide.Benchmarks/bin/$CONFIG/net10.0/Pyodide.Benchmarks.dll" \
    --filter '*' --artifacts "$bench/bdn") >"$LOGS/bench-dotnet.log" 2>&1 </dev/null; then
    printf '%d s\n' $((SECONDS - start))
  else
    printf 'failed (%d s)\n' $((SECONDS - start))
    grep -E 'Exception|error|failed' "$LOGS/bench-dotnet.log" | head -n 20 >&2 || true
    rc=1
  fi
  # BenchmarkDotNet's own summary table.
  sed -n '/^| Method/,/^$/p' "$LOGS/bench-dotnet.log"

  python3 "$ROOT/bench/report.py" --c "$bench/abi.json" --bdn "$bench/bdn/results" \
    --workloads "$bench/workloads.json" --out "$ROOT/bench/results/latest.md" \
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
  clean) do_clean ;;
  install) do_install "${2:-}" ;;
  -h | --help | help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" ;;
  *) fail "unknown command '$1' (build, run, test, bench, clean, install PREFIX)" ;;
esac
