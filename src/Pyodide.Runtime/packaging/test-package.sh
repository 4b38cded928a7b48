#!/usr/bin/env bash
# test-package.sh — tests the Pyodide.Runtime NuGet package the way a consumer uses it.
#
#   src/Pyodide.Runtime/packaging/test-package.sh
#
# Packs src/Pyodide.Runtime into a local folder feed (the Python assets come from
# out/lib/pyodide: run ./build.sh first), creates a fresh console app in a temp
# directory (dotnet new console), adds the package through a NuGet.config that
# clears the machine's sources and names two: the feed, the only one the package
# under test may come from (package source mapping), and nuget.org for Wasmtime
# (the same on every machine, whatever its own NuGet sources), then builds and runs
# the app, publishes (-c Release) and runs the published app, and publishes it
# with NativeAOT (Linux) and runs that: each must print 45 (sum(range(10))) and 3
# (a host object's property: under NativeAOT only if the trimmer kept its
# members) and find its assets in pyodide/ beside itself.
#
# Prints "ok - CHECK" or "not ok - CHECK" per check and ends with
# "N passed, N failed"; exits 1 if any check failed. ./build.sh test runs it.
#
# The package version comes from Pyodide.Runtime.csproj (<Version>, read from
# include/pyodide.h). Restore uses a private global-packages folder
# (build/package-test/packages, or $PYODIDE_PACKAGE_TEST_PACKAGES) so the
# package under test is never a stale copy from ~/.nuget/packages; Wasmtime
# and the NativeAOT compiler are seeded there from ~/.nuget/packages when present. The temp directory is
# removed on success and kept on failure (or always with
# PYODIDE_PACKAGE_TEST_KEEP=1).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
PROJ="$ROOT/src/Pyodide.Runtime/Pyodide.Runtime.csproj"
ASSETS="$ROOT/out/lib/pyodide"
PACKAGES="${PYODIDE_PACKAGE_TEST_PACKAGES:-$ROOT/build/package-test/packages}"
STEP_TIMEOUT=300
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

PASSED=0
FAILED=0
START=$SECONDS
ok() { PASSED=$((PASSED + 1)); printf 'ok - %s\n' "$1"; }
# Seconds since the last call (the steps' durations, for the ok lines).
MARK=$SECONDS
lap() { LAP=$((SECONDS - MARK)); MARK=$SECONDS; }
not_ok() { # CHECK [DETAIL...]
  FAILED=$((FAILED + 1))
  printf 'not ok - %s\n' "$1"
  shift
  local line
  for line in "$@"; do printf '  %s\n' "$line"; done
}
summary() {
  printf '[package] %d s; work directory: %s\n' $((SECONDS - START)) "${WORK:-none}"
  echo "$PASSED passed, $FAILED failed"
}
# The checks that cannot run after a step failed count as failed.
skip_rest() { # REASON CHECK...
  local reason="$1" c
  shift
  for c in "$@"; do not_ok "$c" "not run: $reason"; done
  finish
}
finish() {
  if ((FAILED == 0)) && [[ "${PYODIDE_PACKAGE_TEST_KEEP:-0}" != 1 ]]; then
    rm -rf "$WORK"
    WORK="(removed)"
  fi
  summary
  ((FAILED == 0))
  exit $?
}
# run LOG CMD...: runs CMD (with a time limit) with its output in LOG; on failure
# sets RUN_TAIL to the log's last lines.
run() {
  local log="$1" rc=0
  shift
  timeout "$STEP_TIMEOUT" "$@" >"$log" 2>&1 </dev/null || rc=$?
  RUN_TAIL=()
  if ((rc)); then
    mapfile -t RUN_TAIL < <(printf 'exit %d: %s\n' "$rc" "$*"; tail -n 25 "$log")
  fi
  return $rc
}
# The sorted relative paths (files, and directories with a trailing /) under DIR.
tree_of() {
  (cd "$1" && find . -mindepth 1 \( -type d -printf '%P/\n' \) -o \( -type f -printf '%P\n' \)) | LC_ALL=C sort
}

command -v dotnet >/dev/null 2>&1 || { not_ok "dotnet found"; WORK=""; summary; exit 1; }
WORK="$(mktemp -d "${TMPDIR:-/tmp}/pyodide-package-test.XXXXXX")"
FEED="$WORK/feed"
APP="$WORK/app"
mkdir -p "$FEED" "$APP" "$PACKAGES"
# Interrupted (a time limit, ^C): leave no temp directory behind.
trap '[[ "${PYODIDE_PACKAGE_TEST_KEEP:-0}" == 1 ]] || rm -rf "$WORK"; exit 130' INT TERM HUP

# One run at a time per packages folder (the package under test is replaced there).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$PACKAGES.lock"
  flock 9
fi

# --- the package's identity, from the project --------------------------------------
ALL_CHECKS=("pack" "package contents" "restore from the local feed" "dotnet build of a consumer"
  "the built consumer runs Python" "dotnet publish of a consumer" "the published consumer runs Python"
  "NativeAOT publish of a consumer" "the NativeAOT consumer runs Python")
if ! run "$WORK/properties.log" dotnet msbuild "$PROJ" -getProperty:PackageId -getProperty:PackageVersion -getItem:PackageReference ||
  ! read -r ID VERSION WASMTIME < <(python3 - "$WORK/properties.log" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
refs = {r["Identity"]: r.get("Version", "") for r in d["Items"]["PackageReference"]}
print(d["Properties"]["PackageId"], d["Properties"]["PackageVersion"], refs.get("Wasmtime", "?"))
EOF
  ); then
  not_ok "read the package id and version from Pyodide.Runtime.csproj" "${RUN_TAIL[@]}"
  skip_rest "no package identity" "${ALL_CHECKS[@]}"
fi
ID_LOWER="${ID,,}"
NUPKG="$FEED/$ID.$VERSION.nupkg"
printf '[package] %s %s (Wasmtime %s); work directory %s\n' "$ID" "$VERSION" "$WASMTIME" "$WORK"

# --- pack -------------------------------------------------------------------------
if ! run "$WORK/pack.log" dotnet pack "$PROJ" -c Release -o "$FEED" --nologo || [[ ! -f "$NUPKG" ]]; then
  not_ok "pack" "${RUN_TAIL[@]:-no $NUPKG}"
  skip_rest "pack failed" "${ALL_CHECKS[@]:1}"
fi
lap
ok "pack ($(($(stat -c %s "$NUPKG") / 1024)) KiB, $LAP s)"

# --- package contents --------------------------------------------------------------
problems=()
listing=$(unzip -Z1 "$NUPKG" | LC_ALL=C sort)
for f in "lib/net10.0/$ID.dll" "lib/net10.0/$ID.xml" README.md "buildTransitive/$ID.targets"; do
  grep -qxF "$f" <<<"$listing" || problems+=("missing $f")
done
while IFS= read -r f; do
  [[ "$f" == */ ]] && continue # a package holds no directories
  grep -qxF "pyodide/$f" <<<"$listing" || problems+=("missing pyodide/$f")
done < <(tree_of "$ASSETS")
nuspec=$(unzip -p "$NUPKG" "$ID.nuspec")
for want in "<id>$ID</id>" "<version>$VERSION</version>" '<license type="expression">MIT</license>' \
  '<readme>README.md</readme>' "<dependency id=\"Wasmtime\" version=\"$WASMTIME\""; do
  grep -qF "$want" <<<"$nuspec" || problems+=("the nuspec lacks $want")
done
grep -q '<description>.' <<<"$nuspec" || problems+=("the nuspec has no description")
if ((${#problems[@]})); then not_ok "package contents" "${problems[@]}"; else ok "package contents"; fi

# --- a fresh consumer --------------------------------------------------------------
# Seed the private packages folder with Wasmtime from the user's cache (hard
# links when possible), and drop any earlier copy of the package under test.
# seed PACKAGE: every version of it in the user's cache (the SDK picks the
# NativeAOT compiler's version), or nuget.org fetches it.
seed() {
  local version
  for version in "$HOME/.nuget/packages/$1"/*/; do
    version=$(basename "$version")
    [[ -f "$HOME/.nuget/packages/$1/$version/.nupkg.metadata" && ! -d "$PACKAGES/$1/$version" ]] || continue
    mkdir -p "$PACKAGES/$1"
    cp -al "$HOME/.nuget/packages/$1/$version" "$PACKAGES/$1/" 2>/dev/null ||
      cp -a "$HOME/.nuget/packages/$1/$version" "$PACKAGES/$1/" 2>/dev/null ||
      rm -rf "${PACKAGES:?}/$1/$version"
  done
}
seed wasmtime
seed microsoft.dotnet.ilcompiler
seed runtime.linux-x64.microsoft.dotnet.ilcompiler
rm -rf "${PACKAGES:?}/$ID_LOWER"

cat >"$WORK/NuGet.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <config>
    <add key="globalPackagesFolder" value="$PACKAGES" />
  </config>
  <packageSources>
    <clear />
    <add key="pyodide-package-test" value="$FEED" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="pyodide-package-test">
      <package pattern="$ID" />
    </packageSource>
    <packageSource key="nuget.org">
      <package pattern="*" />
    </packageSource>
  </packageSourceMapping>
</configuration>
EOF

consumer_checks=("${ALL_CHECKS[@]:2}")
if ! run "$WORK/new.log" dotnet new console -o "$APP" -n PyodideConsumer --no-restore; then
  not_ok "dotnet new console" "${RUN_TAIL[@]}"
  skip_rest "no consumer project" "${consumer_checks[@]}"
fi
lap
cat >"$APP/Program.cs" <<'EOF'
using Pyodide;

using var py = PyodideRuntime.Load();
Console.WriteLine(py.RunPython("sum(range(10))"));
// A host object. ByReference also keeps Counter's members in a trimmed
// (NativeAOT) program, where nothing in .NET calls them.
py.Globals["counter"] = PyodideRuntime.ByReference(new Counter());
Console.WriteLine(py.RunPython("counter.Add(2)\ncounter.Add(1)\ncounter.Total"));
Console.WriteLine($"Pyodide.Runtime {PyodideRuntime.Version}");

public class Counter
{
    public int Total { get; private set; }
    public int Add(int n) => Total += n;
}
EOF

if ! run "$WORK/add-package.log" dotnet add "$APP/PyodideConsumer.csproj" package "$ID" --version "$VERSION"; then
  not_ok "restore from the local feed" "${RUN_TAIL[@]}"
  skip_rest "the package did not restore" "${consumer_checks[@]:1}"
fi
restored="$PACKAGES/$ID_LOWER/$VERSION/$ID_LOWER.$VERSION.nupkg"
lap
if cmp -s "$restored" "$NUPKG"; then
  ok "restore from the local feed ($LAP s)"
else
  not_ok "restore from the local feed" "the restored $restored is not the packed $NUPKG"
fi

# check_tree NAME DIR: DIR/pyodide holds exactly the asset tree (files and directories).
check_tree() {
  local diffs
  diffs=$(diff <(tree_of "$ASSETS") <(tree_of "$2/pyodide" 2>/dev/null) | grep '^[<>]' | head -n 10)
  if [[ -n "$diffs" ]]; then
    mapfile -t TREE_PROBLEMS < <(sed -e 's/^< /missing in pyodide\/: /' -e 's/^> /extra in pyodide\/: /' <<<"$diffs")
    return 1
  fi
  TREE_PROBLEMS=()
}
# check_run NAME CMD...: CMD (run from / so only the app's own folder counts)
# must print 45, 3 (a host object's property), then the package's version.
check_run() {
  local name="$1" out rc=0
  shift
  out=$(cd / && timeout 120 "$@" 2>&1) || rc=$?
  if ((rc == 0)) && [[ "$out" == $'45\n3\nPyodide.Runtime '"$VERSION" ]]; then
    ok "$name"
  else
    local lines
    mapfile -t lines < <(printf 'exit %d, output:\n' "$rc"; head -n 20 <<<"$out")
    not_ok "$name" "${lines[@]}"
  fi
}

# --- build and run ----------------------------------------------------------------
bin="$APP/bin/Debug/net10.0"
lap
if run "$WORK/build.log" dotnet build "$APP" --nologo; then
  lap
  if check_tree build "$bin" && [[ -f "$bin/runtimes/linux-x64/native/libwasmtime.so" || "$(uname -s)" != Linux ]]; then
    ok "dotnet build of a consumer ($LAP s)"
  else
    not_ok "dotnet build of a consumer" "${TREE_PROBLEMS[@]}" "(or no runtimes/linux-x64/native/libwasmtime.so in $bin)"
  fi
  check_run "the built consumer runs Python" "$bin/PyodideConsumer"
else
  not_ok "dotnet build of a consumer" "${RUN_TAIL[@]}"
  not_ok "the built consumer runs Python" "not run: the build failed"
fi

# --- publish and run --------------------------------------------------------------
pub="$WORK/publish"
lap
if run "$WORK/publish.log" dotnet publish "$APP" -c Release -o "$pub" --nologo; then
  lap
  if check_tree publish "$pub"; then
    ok "dotnet publish of a consumer ($LAP s)"
  else
    not_ok "dotnet publish of a consumer" "${TREE_PROBLEMS[@]}"
  fi
  check_run "the published consumer runs Python" dotnet "$pub/PyodideConsumer.dll"
else
  not_ok "dotnet publish of a consumer" "${RUN_TAIL[@]}"
  not_ok "the published consumer runs Python" "not run: the publish failed"
fi

# --- NativeAOT publish and run (trimmed: host objects need their members kept) -----
aot="$WORK/aot"
lap
if run "$WORK/aot.log" dotnet publish "$APP" -c Release -r linux-x64 -p:PublishAot=true -o "$aot" --nologo; then
  lap
  if check_tree aot "$aot" && [[ -x "$aot/PyodideConsumer" ]]; then
    ok "NativeAOT publish of a consumer ($LAP s)"
  else
    not_ok "NativeAOT publish of a consumer" "${TREE_PROBLEMS[@]}" "(or no native $aot/PyodideConsumer)"
  fi
  check_run "the NativeAOT consumer runs Python" "$aot/PyodideConsumer"
else
  not_ok "NativeAOT publish of a consumer" "${RUN_TAIL[@]}"
  not_ok "the NativeAOT consumer runs Python" "not run: the publish failed"
fi

finish
