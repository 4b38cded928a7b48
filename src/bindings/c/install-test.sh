#!/usr/bin/env bash
# install-test.sh PREFIX OUT WORK VERSION — checks an installed Pyodide.Native
# the way a C program uses it (run by `./build.sh test` after it installed
# into PREFIX; OUT is the repository's out/, which has the same layout).
#
# Each check prints "ok - NAME" or "not ok - NAME" (with indented details);
# the last line is "N passed, N failed". The consumer is consumer/main.c: it
# prints pyodide_run_python("6*7"), so every build must print 42.
set -uo pipefail

PREFIX="$1" OUT="$2" WORK="$3" VERSION="$4"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CONSUMER="$HERE/consumer"
rm -rf "$WORK"
mkdir -p "$WORK"
# shellcheck source=../../../native-tests/checks.sh
source "$HERE/../../../native-tests/checks.sh"

# The consumer must run on its rpath alone.
run_consumer() { # EXE
  local got
  got=$(env -u LD_LIBRARY_PATH "$1") || { echo "$1 failed"; return 1; }
  [[ "$got" == 42 ]] || { echo "$1 printed '$got', not 42"; return 1; }
}

# pkg-config + cc against the prefix P, into WORK/NAME.
pkgconfig_build() { # P NAME
  local p="$1" exe="$WORK/$2" flags
  flags=$(PKG_CONFIG_PATH="$p/lib/pkgconfig" PKG_CONFIG_LIBDIR=/nonexistent pkg-config --cflags --libs pyodide) || return 1
  echo "pkg-config: $flags"
  cc "$CONSUMER/main.c" $flags -o "$exe" || return 1
  run_consumer "$exe"
}

# find_package(Pyodide [REQUEST]) against the prefix P, built in WORK/NAME.
cmake_build() { # P NAME [REQUEST]
  local p="$1" dir="$WORK/$2"
  cmake -S "$CONSUMER" -B "$dir" -DCMAKE_PREFIX_PATH="$p" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
    -DPYODIDE_REQUEST="${3:-}" || return 1
  cmake --build "$dir" || return 1
  run_consumer "$dir/consumer"
}

t_layout() {
  local f ok=0
  for f in include/pyodide.h lib/libpyodide.so lib/libwasmtime.so lib/pyodide/python.wasm \
    lib/pkgconfig/pyodide.pc lib/cmake/Pyodide/PyodideConfig.cmake \
    lib/cmake/Pyodide/PyodideConfigVersion.cmake bin/pyodide-run; do
    [[ -e "$PREFIX/$f" ]] || { echo "missing: $f"; ok=1; }
  done
  cmp "$PREFIX/include/pyodide.h" "$OUT/include/pyodide.h" || ok=1
  return $ok
}

t_relocatable_files() {
  # No absolute path in the package files: they locate the prefix themselves.
  if grep -v '^#' "$PREFIX/lib/pkgconfig/pyodide.pc" | grep -E '(^|[=[:space:]])/'; then
    echo "an absolute path in pyodide.pc"
    return 1
  fi
  if grep -nF "$PREFIX" "$PREFIX/lib/cmake/Pyodide/"*.cmake "$PREFIX/lib/pkgconfig/pyodide.pc"; then
    echo "the prefix is written into the package files"
    return 1
  fi
}

t_pkgconfig_version() {
  local v
  v=$(PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" PKG_CONFIG_LIBDIR=/nonexistent pkg-config --modversion pyodide) || return 1
  [[ "$v" == "$VERSION" ]] || { echo "pkg-config says $v, the library $VERSION"; return 1; }
}

t_pkgconfig_consumer() { pkgconfig_build "$PREFIX" pc-consumer; }
t_cmake_consumer() { cmake_build "$PREFIX" cmake-consumer; }
t_cmake_version_request() {
  cmake_build "$PREFIX" cmake-exact "$VERSION EXACT" || return 1
  # An incompatible version is refused.
  if cmake -S "$CONSUMER" -B "$WORK/cmake-too-new" -DCMAKE_PREFIX_PATH="$PREFIX" \
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DPYODIDE_REQUEST=99.0; then
    echo "find_package(Pyodide 99.0) succeeded"
    return 1
  fi
}

t_installed_pyodide_run() {
  local got
  got=$(env -u LD_LIBRARY_PATH "$PREFIX/bin/pyodide-run" -c "print(6*7)") || return 1
  [[ "$got" == 42 ]] || { echo "printed '$got'"; return 1; }
}

t_moved_prefix() {
  # The whole prefix moved elsewhere still works, both ways. Moved, not copied:
  # nothing may still be found at the old path. Moved back afterwards.
  local moved="$WORK/moved/prefix" rc=0
  mkdir -p "$WORK/moved"
  mv "$PREFIX" "$moved" || return 1
  [[ ! -e "$PREFIX" ]] || rc=1
  pkgconfig_build "$moved" moved-pc-consumer || rc=1
  cmake_build "$moved" moved-cmake-consumer || rc=1
  [[ "$(env -u LD_LIBRARY_PATH "$moved/bin/pyodide-run" -c 'print(6*7)')" == 42 ]] || rc=1
  mv "$moved" "$PREFIX" || rc=1
  return $rc
}

t_out_tree() {
  # out/ has the same layout: usable as a prefix directly.
  pkgconfig_build "$OUT" out-pc-consumer || return 1
  cmake_build "$OUT" out-cmake-consumer
}

check layout t_layout
check relocatable_files t_relocatable_files
check pkgconfig_version t_pkgconfig_version
check pkgconfig_consumer t_pkgconfig_consumer
check cmake_consumer t_cmake_consumer
check cmake_version_request t_cmake_version_request
check installed_pyodide_run t_installed_pyodide_run
check moved_prefix t_moved_prefix
check out_tree t_out_tree

checks_done
