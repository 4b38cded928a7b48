#!/usr/bin/env bash
# build-ps1-test.sh OUT WORK — keeps build.ps1 honest on Linux: runs
# `pwsh ./build.ps1 build` into WORK/out and WORK/build (so build.sh's out/
# and build/ are left alone) and checks that it produced what build.sh
# produced in OUT: the same files; byte for byte the header, libwasmtime.so,
# the guest assets, pkg-config and CMake files; libpyodide.so with the same
# exports, and a pyodide-run (whose rpath names its own prefix) that runs
# Python with the pwsh-built library. Also checks that the two scripts list
# the same Debian packages and subcommands.
#
# Run by `./build.sh test` after build.sh's own build. PowerShell is the
# NuGet .NET tool, pinned below, installed into ~/.dotnet/tools when missing.
# Each check prints "ok - NAME" or "not ok - NAME" (with indented details);
# the last line is "N passed, N failed".
set -uo pipefail

OUT="$(cd "$1" && pwd)" WORK="$2"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PS_OUT="$WORK/out"

# The pinned PowerShell: `dotnet tool install` restores it from nuget.org,
# and NuGet refuses a package whose nuget.org repository signature does not
# verify (on by default on Linux since the .NET 8 SDK); the sha256 of the
# package file it keeps in the tool store is checked here as well. (7.7.0
# does not install as a tool.) Always this tool, not another pwsh on PATH,
# so every machine runs build.ps1 with the same PowerShell.
PWSH_VERSION=7.6.10
PWSH_NUPKG_SHA256=6fc8d6b4c21aa4f4d18e377aad024ab0e9ce745eaf7e2c27eddd83f346f8503d
TOOLS="${DOTNET_CLI_HOME:-$HOME}/.dotnet/tools"
PWSH="$TOOLS/pwsh"
NUPKG="$TOOLS/.store/powershell/$PWSH_VERSION/powershell/$PWSH_VERSION/powershell.$PWSH_VERSION.nupkg"

rm -rf "$WORK"
mkdir -p "$WORK"
# shellcheck source=checks.sh
source "$ROOT/native-tests/checks.sh"

t_pwsh_pinned() {
  if [[ ! -x "$PWSH" ]]; then
    DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 \
      dotnet tool install --global PowerShell --version "$PWSH_VERSION" || return 1
  fi
  local version sha
  version=$("$PWSH" -NoProfile -Command '$PSVersionTable.PSVersion.ToString()') || return 1
  [[ "$version" == "$PWSH_VERSION" ]] ||
    { echo "$PWSH is PowerShell $version, not $PWSH_VERSION (dotnet tool update --global PowerShell --version $PWSH_VERSION)"; return 1; }
  [[ -f "$NUPKG" ]] || { echo "$NUPKG is missing: cannot verify the installed PowerShell"; return 1; }
  sha=$(sha256sum "$NUPKG" | cut -d' ' -f1)
  [[ "$sha" == "$PWSH_NUPKG_SHA256" ]] ||
    { echo "$NUPKG: sha256 $sha, expected $PWSH_NUPKG_SHA256"; return 1; }
}

# build.ps1's own child pwsh (it reads the library's version) must be the pinned one too.
t_build() {
  (cd "$ROOT" && PATH="$TOOLS:$PATH" "$PWSH" -NoProfile -NonInteractive -File ./build.ps1 build \
    -OutDir "$PS_OUT" -BuildDir "$WORK/build")
}

t_same_files() {
  diff <(cd "$OUT" && find . -type f | sort) <(cd "$PS_OUT" && find . -type f | sort)
}

exported() { # LIBRARY: its defined dynamic symbols, one a line
  nm -D --defined-only "$1" | awk '{ print $NF }' | sort
}

# cmp_tree DIR: DIR (relative to out/) holds the same bytes in both outputs.
cmp_tree() {
  diff -r "$OUT/$1" "$PS_OUT/$1"
}

t_same_header() {
  cmp "$OUT/include/pyodide.h" "$PS_OUT/include/pyodide.h" &&
    cmp "$ROOT/include/pyodide.h" "$PS_OUT/include/pyodide.h"
}

# libwasmtime.so comes from the Wasmtime NuGet package: the same bytes. NativeAOT
# does not promise a byte-identical libpyodide.so (its build id differs when it
# compiles again), so that one must export the same functions.
t_same_libraries() {
  cmp "$OUT/lib/libwasmtime.so" "$PS_OUT/lib/libwasmtime.so" &&
    diff <(exported "$OUT/lib/libpyodide.so") <(exported "$PS_OUT/lib/libpyodide.so")
}

t_same_assets() {
  local a b
  a=$(sha256sum <"$OUT/lib/pyodide/python.wasm") b=$(sha256sum <"$PS_OUT/lib/pyodide/python.wasm")
  [[ "$a" == "$b" ]] || { echo "python.wasm: sha256 ${a%% *} (build.sh), ${b%% *} (build.ps1)"; return 1; }
  # The built-in snapshot holds the baking interpreter's random hash secret, so
  # its bytes differ from bake to bake: both must be snapshots of the same
  # python.wasm by the same library (magic, format, version, python.wasm hash).
  cmp -n 48 "$OUT/lib/pyodide/python.snapshot" "$PS_OUT/lib/pyodide/python.snapshot" &&
    diff -r -x python.snapshot "$OUT/lib/pyodide" "$PS_OUT/lib/pyodide"
}

t_same_package_files() {
  cmp_tree lib/pkgconfig && cmp_tree lib/cmake/Pyodide
}

# The pwsh-built pyodide-run, on its rpath alone, loads the pwsh-built library.
t_pyodide_run() {
  local got loaded
  loaded=$(env -u LD_LIBRARY_PATH ldd "$PS_OUT/bin/pyodide-run" | awk '$1 == "libpyodide.so" { print $3 }')
  [[ "$(realpath "$loaded")" == "$(realpath "$PS_OUT/lib/libpyodide.so")" ]] ||
    { echo "pyodide-run loads libpyodide.so from '$loaded'"; return 1; }
  got=$(env -u LD_LIBRARY_PATH "$PS_OUT/bin/pyodide-run" -c 'print(1+1)') || return 1
  [[ "$got" == 2 ]] || { echo "printed '$got', not 2"; return 1; }
}

# Keeping the two scripts in step: the Debian packages of build.sh's
# APT_PACKAGES=( ... ) and build.ps1's $AptPackages = @( ... ).
t_same_apt_packages() {
  diff <(sed -n '/^APT_PACKAGES=(/,/^)/p' "$ROOT/build.sh" | sed -e '1d;$d' -e 's/#.*//' | tr -s ' ' '\n' | grep . | sort) \
    <(sed -n '/^\$AptPackages = @(/,/^)/p' "$ROOT/build.ps1" | grep -o '"[^"]*"' | tr -d '"' | sort)
}

# ... and the subcommands: build.sh's `case` arms, build.ps1's `switch` arms.
t_same_subcommands() {
  diff <(sed -n '/^case "\${1:-build}" in/,/^esac/p' "$ROOT/build.sh" | grep -oE '^  [a-z-]+\)' | tr -d ' )' | sort) \
    <(sed -n '/^  switch (\$Command) {/,/^  }/p' "$ROOT/build.ps1" | grep -oE '^    "[a-z-]+"' | tr -d ' "' | sort)
}

check pwsh_pinned t_pwsh_pinned
check build_ps1_build t_build
check same_files t_same_files
check same_header t_same_header
check same_libraries t_same_libraries
check same_assets t_same_assets
check same_package_files t_same_package_files
check pwsh_built_pyodide_run t_pyodide_run
check same_apt_packages t_same_apt_packages
check same_subcommands t_same_subcommands

checks_done
