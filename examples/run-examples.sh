#!/usr/bin/env bash
# run-examples.sh OUT WORK — builds every example against OUT (the repository's
# out/, laid out as an install prefix) in WORK, runs each with its output
# redirected to a file (as `./example > log` would) and compares that with the
# example's .expected file; also checks each source stays under 60 lines.
# Run by `./build.sh test`. Each check prints "ok - NAME" or "not ok - NAME"
# (with indented details); the last line is "N passed, N failed".
set -uo pipefail

OUT="$(cd "$1" && pwd)" WORK="$2"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rm -rf "$WORK"
mkdir -p "$WORK"
# shellcheck source=../native-tests/checks.sh
source "$HERE/../native-tests/checks.sh"

# Runs EXE [ARGS...] with stdout in a regular file, then compares it with EXPECTED.
run_and_compare() { # EXPECTED EXE [ARGS...]
  local expected="$1" got="$WORK/$(basename "$1" .expected).out"
  shift
  env -u PYODIDE_ASSET_DIR -u PYODIDE_INDEX_URL "$@" >"$got" || { echo "$* exited with $?"; return 1; }
  diff -u "$expected" "$got"
}

under_60_lines() {
  local f n rc=0
  for f in "$HERE"/c/*.c "$HERE"/cpp/*.cpp "$HERE"/cpp/*.hpp "$HERE"/dotnet/*.cs; do
    n=$(wc -l <"$f")
    if ((n >= 60)); then echo "${f#"$HERE"/} has $n lines"; rc=1; fi
  done
  return $rc
}

build_native() {
  cmake -S "$HERE" -B "$WORK/cmake" -DCMAKE_PREFIX_PATH="$OUT" -DCMAKE_BUILD_TYPE=Release -DCMAKE_COMPILE_WARNING_AS_ERROR=ON &&
    cmake --build "$WORK/cmake" -j 2
}

build_dotnet() {
  dotnet build "$HERE/dotnet/Pyodide.Example.csproj" -c Release --nologo -o "$WORK/dotnet"
}

check sources_under_60_lines under_60_lines
check build_c_and_cpp build_native
for name in run_code buffer_2d host_function host_object; do
  check "c_$name" run_and_compare "$HERE/c/$name.expected" "$WORK/cmake/$name"
done
check cpp_main run_and_compare "$HERE/cpp/main.expected" "$WORK/cmake/cpp_example"
check build_dotnet build_dotnet
check dotnet_program run_and_compare "$HERE/dotnet/Program.expected" dotnet "$WORK/dotnet/Pyodide.Example.dll"

checks_done
