#!/usr/bin/env bash
# build-guest.sh — builds the guest into out/lib/pyodide/:
#
#   python.wasm                CPython 3.11.2 + bridge/*.c, a wasm32-wasi reactor
#   lib/python311.zip          the stdlib as .pyc (with the build's _sysconfigdata)
#   lib/python3.11/            their sources (os.py among them, the prefix
#                              landmark), read only to show them: tracebacks
#   lib/python3.11/lib-dynload the exec-prefix landmark (empty)
#   lib/python3.11/pyodide/    the helper package, from python/ (and micropip/)
#   lib/python3.11/packaging/, resolvelib/
#                              Debian's pure-Python libraries micropip resolves
#                              with, unpacked from the .debs debs.manifest pins
#   lib/zoneinfo/              the IANA time-zone database (zoneinfo's TZPATH)
#
# Everything comes from Debian: clang-19/lld-19/wasi-libc for the toolchain,
# the orig tarballs of the source packages pinned in sources.manifest
# (python3.11, zlib, sqlite3, xz-utils, bzip2, tzdata), fetched and verified
# by fetch-sources.sh.
#
# The expensive part (sources, zlib, SQLite, liblzma, libbz2, CPython, stdlib zip;
# build-cpython.sh) is cached in ${PYODIDE_CACHE:-~/.cache/pyodide-native}
# under a key hashing all of its inputs; it is built in a temporary directory
# and renamed into place, so an interrupted build leaves no half cache. The
# link with the bridge is redone whenever the bridge, the cached build or this
# script changes. Verbose output goes to build/guest/logs/.
#
# CPython is compiled with profile-guided optimisation, as CPython's own
# --enable-optimizations builds are (see "profile-guided optimisation" below):
# the first build on a machine also builds an instrumented CPython and trains
# it with pyodide-run (so build.sh builds the host library first), then keeps
# the profile in the cache. Without a pyodide-run to train with and no cached
# profile, CPython is built without one, and the build says so.
#
# --test-modules: the test build, used only to run CPython's tests
# (cpython-tests/): python.wasm also holds CPython's test extension modules
# (_testcapi, _testinternalcapi, _testbuffer, _testmultiphase,
# _testimportmultiple, _testclinic, _xxtestfuzz; see test-modules/inittab.c),
# built in build/guest-tests into build/cpython-tests/out/lib/pyodide unless
# PYODIDE_OUT says otherwise. The normal assets never contain them.
#
# Environment: PYODIDE_CACHE (cache root), PYODIDE_JOBS (make -j, default 2),
# PYODIDE_PGO_RUNNER (the pyodide-run that trains the profile, default
# $PYODIDE_OUT/bin/pyodide-run), PYODIDE_PGO=0 (no profile: to compare),
# PYODIDE_BUILD_PYTHON (native Python 3.11, default /usr/bin/python3.11),
# PYODIDE_BRIDGE_DIR (bridge sources, default src/guest/bridge),
# PYODIDE_OUT (output root, default out/), PYODIDE_BUILD (the root of the
# intermediate files, default build/).
set -euo pipefail

GUEST_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$GUEST_DIR/../.." && pwd)"
TEST_MODULES=0
if [[ "${1:-}" == --test-modules ]]; then TEST_MODULES=1; shift; fi
if ((TEST_MODULES)); then
  OUT_DIR="${PYODIDE_OUT:-$ROOT/build/cpython-tests/out}/lib/pyodide"
  BUILD_DIR="${PYODIDE_BUILD:-$ROOT/build}/guest-tests"
else
  OUT_DIR="${PYODIDE_OUT:-$ROOT/out}/lib/pyodide"
  BUILD_DIR="${PYODIDE_BUILD:-$ROOT/build}/guest"
fi
LOG_DIR="$BUILD_DIR/logs"
CACHE_ROOT="${PYODIDE_CACHE:-$HOME/.cache/pyodide-native}"
BRIDGE_DIR="${PYODIDE_BRIDGE_DIR:-$GUEST_DIR/bridge}"
JOBS="${PYODIDE_JOBS:-2}"
BUILD_PYTHON="${PYODIDE_BUILD_PYTHON:-/usr/bin/python3.11}"
LLVM=19

APT_PACKAGES=(
  "clang-$LLVM" "lld-$LLVM" "llvm-$LLVM" wasi-libc "libclang-rt-$LLVM-dev-wasm32"
  python3.11 tcl gcc libc6-dev make dpkg-dev xz-utils bzip2
)

# The --wrap flags send WASI's writes to fds 1 and 2 to the host (bridge/stdio.c),
# answer a directory listing from one host call (bridge/readdir.c), a stat beneath
# a preopen from the host (bridge/stat.c), files opened there from the host
# (bridge/files.c), paths made, removed, renamed and touched there by the
# host (bridge/paths.c; links too, for Linux's EROFS where a read-only
# directory refuses) and the CPU-time clocks from the host (bridge/clocks.c).
WRAPPED_WASI_CALLS=(
  fd_write fd_close fd_renumber fd_readdir path_filestat_get
  path_open fd_read fd_pread fd_pwrite fd_seek fd_tell fd_filestat_get fd_fdstat_get fd_fdstat_set_flags
  fd_fdstat_set_rights fd_advise fd_allocate fd_datasync fd_sync fd_filestat_set_size
  fd_filestat_set_times fd_prestat_dir_name poll_oneoff sock_accept sock_recv sock_send sock_shutdown
  clock_time_get clock_res_get
  path_create_directory path_remove_directory path_unlink_file path_rename path_filestat_set_times
  path_symlink path_link
)
LINK_FLAGS=(
  -flto=thin -Wl,--lto-O3 -mexec-model=reactor -Wl,--stack-first -z stack-size=8388608 -Wl,--strip-debug
  "${WRAPPED_WASI_CALLS[@]/#/-Wl,--wrap=__wasi_}"
  # And two of wasi-libc's own: given no times, they set the epoch (bridge/paths.c).
  -Wl,--wrap=utimensat -Wl,--wrap=futimens
  # And its lookup of an absolute path among the preopens, and chdir: a path that
  # climbs out of the preopen it starts in is looked up folded, and chdir folds
  # its path (bridge/abspath.c).
  -Wl,--wrap=__wasilibc_find_abspath -Wl,--wrap=chdir
  # And times, which counted wall time (bridge/clocks.c), sbrk, so the heap
  # keeps to RLIMIT_AS and RLIMIT_DATA (bridge/resource.c), and the stats, to
  # which WASI gives no permission bits (bridge/stat.c).
  -Wl,--wrap=times -Wl,--wrap=sbrk -Wl,--wrap=__wasilibc_nocwd_fstatat -Wl,--wrap=fstat
  # And strerror, whose words were musl's (bridge/strerror.c), and isatty, so
  # that the host's terminals are terminals to C code too (bridge/runtime.c).
  -Wl,--wrap=strerror -Wl,--wrap=isatty
  # And the zone local time is in, which wasi-libc's localtime_r and mktime
  # ask and which is always UTC there (bridge/timezone.c).
  -Wl,--wrap=__secs_to_zone
  # And the opens and mkdirs that make files, whose mode WASI drops: the
  # host makes them with it, less the umask (bridge/files.c, paths.c, chmod.c).
  -Wl,--wrap=open -Wl,--wrap=openat -Wl,--wrap=mkdir -Wl,--wrap=mkdirat
)
LINK_LIBS=(
  -lwasi-emulated-signal -lwasi-emulated-getpid -lwasi-emulated-process-clocks -lm
)

# Profile-guided optimisation. Value profiling is off: it needs more of LLVM's
# runtime than pgo/profile_runtime.c gives, for little on this code.
PGO_GENERATE_CFLAGS=(-fprofile-generate -mllvm -disable-vp=true)
# Hot call sites are inlined as any other (LLVM's default lets them grow 12×
# larger): inlined into the functions that C-level recursion passes through,
# they made each level's frames so much bigger that recursion through map()
# or __getattr__ exhausted the wasm stack before the recursion limit (600)
# raised RecursionError. The cap applies at the link too (PGO_LINK_FLAGS),
# where ThinLTO does most of the inlining; with it, every such path reaches a
# deeper limit than without a profile (bench/README.md, "Profile-guided
# optimisation").
PGO_USE_CFLAGS=(-mllvm -hot-callsite-threshold=250
  -Wno-profile-instr-unprofiled -Wno-profile-instr-out-of-date -Wno-backend-plugin)
PGO_LINK_FLAGS=(-Wl,-mllvm,-hot-callsite-threshold=250 -Wl,-mllvm,-import-hot-multiplier=1)
# Left out of the profile, so compiled as without one: the interpreter's dispatch
# loop (ceval.c). With its counts, LLVM reshaped the loop in ways Cranelift then
# compiled slower (fib, nbody: 10-20 % slower); without them every workload but
# one gained (bench/README.md, "Profile-guided optimisation").
PGO_EXCLUDED='^(_PyEval_EvalFrameDefault|\.\./\.\./Python/ceval\.c;.*)$'
PGO_RUNNER="${PYODIDE_PGO_RUNNER:-${PYODIDE_OUT:-$ROOT/out}/bin/pyodide-run}"
PGO_PHASE=""
PGO_PROFILE=""

T0=$SECONDS

# --- helpers -------------------------------------------------------------------
say() { printf '[guest] %s\n' "$*"; }
fail() { printf '[guest] ERROR: %s\n' "$*" >&2; exit 1; }
show_log_tail() { # NAME
  local log="$LOG_DIR/$1.log"
  [[ -f "$log" ]] || return 0
  printf '[guest] ---- last lines of %s ----\n' "$log" >&2
  tail -n 40 "$log" >&2
  printf '[guest] ----\n' >&2
}
# run_logged NAME DESCRIPTION [--quiet-fail] CMD...: runs CMD (a command or an
# exported function) in a fresh bash with set -e, output to logs/NAME.log.
# On failure prints the log's tail and exits, or with --quiet-fail returns 1.
run_logged() {
  local name="$1" desc="$2" quiet=0 rc=0 start=$SECONDS
  shift 2
  if [[ "${1:-}" == --quiet-fail ]]; then quiet=1; shift; fi
  mkdir -p "$LOG_DIR"
  printf '[guest] %s ... ' "$desc"
  bash -eo pipefail -c '"$@"' run_logged "$@" >"$LOG_DIR/$name.log" 2>&1 </dev/null || rc=$?
  if ((rc)); then
    if ((quiet)); then printf 'exit %d\n' "$rc"; return 1; fi
    printf 'failed\n'
    show_log_tail "$name"
    fail "$desc failed (exit $rc); full log: $LOG_DIR/$name.log"
  fi
  printf '%d s\n' $((SECONDS - start))
}
sha() { sha256sum "$@" | cut -d' ' -f1; }
size_mb() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f MB", b / 1048576 }'; }
copy_if_changed() { # SRC DST: atomic replace, only when the content differs
  cmp -s "$1" "$2" 2>/dev/null && return 0
  cp "$1" "$2.tmp.$$" && mv -f "$2.tmp.$$" "$2"
}
write_if_changed() { # DST CONTENT
  [[ -f "$1" && "$(cat "$1")" == "$2" ]] && return 0
  printf '%s\n' "$2" >"$1.tmp.$$" && mv -f "$1.tmp.$$" "$1"
}

# --- tools -----------------------------------------------------------------------
ensure_tools() {
  "$GUEST_DIR/ensure-packages.sh" "${APT_PACKAGES[@]}"
  local t
  for t in "clang-$LLVM" "wasm-ld-$LLVM" "llvm-ar-$LLVM" "llvm-ranlib-$LLVM" "llvm-profdata-$LLVM" tclsh gcc make; do
    command -v "$t" >/dev/null 2>&1 || fail "$t not found after installing packages"
  done
  [[ -f /usr/include/wasm32-wasi/stdio.h && -f /usr/lib/wasm32-wasi/libc.a ]] ||
    fail "wasi-libc is not in /usr/include/wasm32-wasi and /usr/lib/wasm32-wasi"
  [[ -x "$BUILD_PYTHON" ]] || fail "build python $BUILD_PYTHON not found (set PYODIDE_BUILD_PYTHON)"
  "$BUILD_PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' ||
    fail "build python $BUILD_PYTHON is not Python 3.11"
}

# A private "SDK" so that `clang --target=wasm32-wasi` sees only wasi-libc's
# headers, never the host's /usr/include, in the layout CPython's
# Tools/wasm/wasi-env expects (WASI_SDK_PATH). Its path is stable, so that
# configure's cached results stay valid.
make_sdk() {
  SDK="$CACHE_ROOT/sdk"
  local sysroot="$SDK/share/wasi-sysroot" t
  mkdir -p "$SDK/bin" "$sysroot/include" "$sysroot/lib"
  ln -sfn /usr/include/wasm32-wasi "$sysroot/include/wasm32-wasi"
  ln -sfn /usr/lib/wasm32-wasi "$sysroot/lib/wasm32-wasi"
  write_if_changed "$SDK/bin/clang" "#!/bin/sh
exec clang-$LLVM --target=wasm32-wasi --sysroot=\"$sysroot\" \"\$@\""
  write_if_changed "$SDK/bin/clang++" "#!/bin/sh
exec clang++-$LLVM --target=wasm32-wasi --sysroot=\"$sysroot\" \"\$@\""
  write_if_changed "$SDK/bin/clang-cpp" "#!/bin/sh
exec clang-$LLVM --target=wasm32-wasi --sysroot=\"$sysroot\" -E \"\$@\""
  chmod +x "$SDK/bin/clang" "$SDK/bin/clang++" "$SDK/bin/clang-cpp"
  for t in wasm-ld llvm-ar llvm-nm llvm-strip llvm-ranlib; do
    ln -sfn "$(command -v "$t-$LLVM")" "$SDK/bin/$t"
  done
  ln -sfn "$(command -v "llvm-ranlib-$LLVM")" "$SDK/bin/ranlib"
  local versions
  versions=$(dpkg-query -W -f='${Package} ${Version}\n' wasi-libc "libclang-rt-$LLVM-dev-wasm32" "lld-$LLVM" 2>/dev/null ||
    sha /usr/lib/wasm32-wasi/libc.a)
  write_if_changed "$SDK/VERSION" "$(clang-$LLVM --version | head -n1)
$versions"
}

# --- sources ---------------------------------------------------------------------
# sources.manifest pins each source package's version and tarball hash;
# fetch-sources.sh fetches and verifies them into the cache (offline once cached).
fetch_sources() {
  local listing pkg path
  declare -gA TARBALL=()
  listing=$("$GUEST_DIR/fetch-sources.sh" --cache "$CACHE_ROOT/sources" --logs "$LOG_DIR" </dev/null) ||
    fail "the sources could not be had as src/guest/sources.manifest pins them (see above)"
  while read -r pkg path; do TARBALL[$pkg]="$path"; done <<<"$listing"
  TAR_PYTHON="${TARBALL[python3.11]}"
  TAR_ZLIB="${TARBALL[zlib]}"
  TAR_SQLITE="${TARBALL[sqlite3]}"
  TAR_XZ="${TARBALL[xz-utils]}"
  TAR_BZIP2="${TARBALL[bzip2]}"
  TAR_TZDATA="${TARBALL[tzdata]}"
  BUNDLED_DEBS=()
  listing=$("$GUEST_DIR/fetch-sources.sh" --binary --cache "$CACHE_ROOT/debs" --logs "$LOG_DIR" </dev/null) ||
    fail "the bundled libraries could not be had as src/guest/debs.manifest pins them (see above)"
  while read -r pkg path; do BUNDLED_DEBS+=("$path"); done <<<"$listing"
}

# The module directories of the pinned pure-Python .debs (packaging/, resolvelib/),
# without type stubs, into DIR.
unpack_bundled() { # DIR
  local deb root dist tmp
  tmp=$(mktemp -d)
  for deb in "${BUNDLED_DEBS[@]}"; do
    rm -rf "$tmp/root"
    dpkg-deb -x "$deb" "$tmp/root"
    dist="$tmp/root/usr/lib/python3/dist-packages"
    for root in "$dist"/*/; do
      [[ "$root" == *.dist-info/ || "$root" == *.egg-info/ ]] && continue
      cp -R "$root" "$1/"
    done
  done
  rm -rf "$tmp"
  find "$1" \( -name '*.pyi' -o -name py.typed \) -delete
}

# --- the cached CPython build --------------------------------------------------------
# shellcheck source=build-cpython.sh
source "$GUEST_DIR/build-cpython.sh"

cache_key() {
  {
    echo "layout 1"
    echo "profile ${PGO_PHASE:-none}"
    case "$PGO_PHASE" in
      generate) printf '%s\n' "${PGO_GENERATE_CFLAGS[@]}"; (cd "$GUEST_DIR" && sha256sum pgo/profile_runtime.c) ;;
      use) printf '%s\n' "${PGO_USE_CFLAGS[@]}"; sha "$PGO_PROFILE" ;;
    esac
    (cd "$GUEST_DIR" && sha256sum build-cpython.sh make-stdlib-zip.py sqlite-wasi/* xz-wasi/* cpython-patches/*.patch)
    sha256sum "$TAR_PYTHON" "$TAR_ZLIB" "$TAR_SQLITE" "$TAR_XZ" "$TAR_BZIP2" | sed 's|  .*/|  |'
    cat "$SDK/VERSION"
    "$BUILD_PYTHON" -c 'import sys; print("build python", sys.version)'
  } >"$BUILD_DIR/cache-key.txt"
  sha "$BUILD_DIR/cache-key.txt" | cut -c1-20
}

# keep_newest N PATH...: of these cache entries (files or directories), keeps
# the N most recently used (each use touches its entry) and removes the rest.
keep_newest() {
  local n="$1"
  shift
  ls -1dt "$@" 2>/dev/null | tail -n +$((n + 1)) | xargs -r rm -rf
}

# build_cache_entry DEST NAME STEP: runs `STEP WORK` in a fresh WORK
# ($CACHE_ROOT/NAME.PID, removed if the build stops, and by a later build if
# its process died), then moves WORK/out to DEST in one rename, so a cache
# entry is complete or absent.
build_cache_entry() {
  local dest="$1" work="$CACHE_ROOT/$2.$$" step="$3" d
  for d in "$CACHE_ROOT/${2%-*}"-*.*; do
    [[ -d "$d" ]] || continue
    kill -0 "${d##*.}" 2>/dev/null || rm -rf "$d"
  done
  rm -rf "$work"
  mkdir -p "$work"
  trap "rm -rf '$work'" EXIT
  ("$step" "$work") || { rm -rf "$work"; exit 1; }
  mv -T "$work/out" "$dest"
  rm -rf "$work"
  trap - EXIT
}
_deps_into() { build_deps "$1/src" "$1/out"; }
_cpython_into() {
  build_cpython "$1" "$1/out" "$DEPS" &&
  cp "$BUILD_DIR/cache-key.txt" "$1/out/cache-key.txt"
}

# DEPS: the C libraries CPython links (build-cpython.sh, build_deps), built
# once per deps_key; CPython builds differing only in flags or profile share them.
ensure_deps() {
  local key
  key=$(deps_key)
  DEPS="$CACHE_ROOT/deps-$key"
  if [[ -d "$DEPS" ]]; then
    touch "$DEPS"
    return 0
  fi
  say "building zlib, liblzma, libbz2 and SQLite for wasm32-wasi (cache key $key)"
  build_cache_entry "$DEPS" "tmp.deps-$key" _deps_into
  keep_newest 2 "$CACHE_ROOT"/deps-*
}

ensure_cpython() {
  local key
  key=$(cache_key)
  CPYTHON="$CACHE_ROOT/cpython-$key"
  if [[ -d "$CPYTHON" ]]; then
    touch "$CPYTHON"
    say "CPython build${PGO_PHASE:+ (profile: $PGO_PHASE)} cached: $CPYTHON"
    return 0
  fi
  ensure_deps
  say "building CPython for wasm32-wasi${PGO_PHASE:+ (profile: $PGO_PHASE)} (cache key $key; logs in $LOG_DIR)"
  build_cache_entry "$CPYTHON" "tmp.cpython-$key" _cpython_into
  # Keep the four most recently used builds (an instrumented and an optimised
  # one per profile) and configure caches.
  keep_newest 4 "$CACHE_ROOT"/cpython-*
  keep_newest 5 "$CACHE_ROOT"/config-cache/*.cache
}

# --- the reactor ------------------------------------------------------------------------
_guest_compile_bridge() { # OBJ_DIR CFLAGS... -- SOURCES...
  local objdir="$1" cflags=() f
  shift
  while [[ "$1" != -- ]]; do cflags+=("$1"); shift; done
  shift
  for f in "$@"; do
    "$SDK/bin/clang" "${cflags[@]}" -c "$f" -o "$objdir/$(basename "$f" .c).o"
  done
}

# The test build's extra sources: CPython's test modules, from the verified
# tarball (the cached build keeps no Modules/), and test-modules/*.c.
TEST_MODULE_SOURCES=(_testcapimodule.c _testinternalcapi.c _testbuffer.c _testmultiphase.c
  _testimportmultiple.c _testclinic.c _xxtestfuzz/_xxtestfuzz.c _xxtestfuzz/fuzzer.c)
test_module_sources() {
  local modules="$BUILD_DIR/Modules" f
  rm -rf "$modules" && mkdir -p "$modules"
  tar -xzf "$TAR_PYTHON" -C "$modules" --strip-components=2 --wildcards 'Python-*/Modules/*'
  for f in "${TEST_MODULE_SOURCES[@]}"; do echo "$modules/$f"; done
  ls "$GUEST_DIR"/test-modules/*.c
}

# link_reactor [--instrumented]: python.wasm in BUILD_DIR. The instrumented one
# (for the profile's training) also has pgo/pgo_module.c and the counting runtime.
link_reactor() {
  local srcs=() extra=() rt=() f stamp
  shopt -s nullglob
  srcs=("$BRIDGE_DIR"/*.c)
  shopt -u nullglob
  ((${#srcs[@]})) || fail "no bridge sources in $BRIDGE_DIR"
  if ((TEST_MODULES)); then mapfile -t extra < <(test_module_sources); fi
  if [[ "${1:-}" == --instrumented ]]; then
    extra+=("$GUEST_DIR/pgo/pgo_module.c")
    rt=("$CPYTHON/lib/profile_runtime.o")
  fi
  stamp=$( {
      cat "$CPYTHON/cache-key.txt"
      ((${#extra[@]} == 0)) || sha256sum "${extra[@]}"
      sha256sum "$GUEST_DIR/build-guest.sh" "$GUEST_DIR/wasm-check.py" "$GUEST_DIR/README.md" 2>/dev/null || true
      find "$BRIDGE_DIR" -maxdepth 1 -type f -print0 | sort -z | xargs -0 sha256sum
    } | sha)
  if [[ -f "$BUILD_DIR/python.wasm" && "$(cat "$BUILD_DIR/link.stamp" 2>/dev/null)" == "$stamp" ]]; then
    say "python.wasm up to date"
    return 0
  fi
  rm -f "$BUILD_DIR/link.stamp"
  rm -rf "$BUILD_DIR/obj"
  mkdir -p "$BUILD_DIR/obj"
  # Neither the checkout's path nor the cache's may reach python.wasm (__FILE__ in
  # CPython's header macros): every checkout and cache then builds the same module
  # and shares its compiled form.
  local cflags=(-O2 -flto=thin -Wall -ffile-prefix-map="$GUEST_DIR/"=src/guest/
    -ffile-prefix-map="$CPYTHON/"=cpython/
    -I"$CPYTHON/include" -I"$CPYTHON/include/internal" -I"$BRIDGE_DIR")
  local objs=()
  for f in "${srcs[@]}" "${extra[@]}"; do objs+=("$BUILD_DIR/obj/$(basename "$f" .c).o"); done
  export SDK
  export -f _guest_compile_bridge
  run_logged bridge-compile "compile ${#srcs[@]} bridge sources" \
    _guest_compile_bridge "$BUILD_DIR/obj" "${cflags[@]}" -- "${srcs[@]}"
  if ((${#extra[@]})); then
    # As CPython's Makefile compiles its built-in modules (for the instrumented
    # build: _pyn_pgo, without LTO, like the runtime it calls).
    run_logged extra-modules-compile "compile ${#extra[@]} more built-in module sources" \
      _guest_compile_bridge "$BUILD_DIR/obj" -O2 -Wno-error=int-conversion -DPy_BUILD_CORE_BUILTIN \
      -I"$CPYTHON/include" -I"$CPYTHON/include/internal" -I"$BUILD_DIR/Modules" -- "${extra[@]}"
  fi
  if grep -q 'warning:' "$LOG_DIR/bridge-compile.log"; then
    say "bridge warnings (full log: $LOG_DIR/bridge-compile.log):"
    grep 'warning:' "$LOG_DIR/bridge-compile.log" | head -n 20 | sed 's/^/    /'
  fi
  local libs=("$CPYTHON"/lib/libpython3.11.a "$CPYTHON"/lib/libmpdec.a "$CPYTHON"/lib/libexpat.a
    "$CPYTHON"/lib/libsqlite3.a "$CPYTHON"/lib/liblzma.a "$CPYTHON"/lib/libbz2.a "$CPYTHON"/lib/libz.a)
  run_logged link "link python.wasm" \
    "$SDK/bin/clang" "${LINK_FLAGS[@]}" "${PGO_LINK_FLAGS[@]}" -o "$BUILD_DIR/python.wasm.tmp" "${objs[@]}" "${rt[@]}" "${libs[@]}" "${LINK_LIBS[@]}"
  local readme=()
  [[ -f "$GUEST_DIR/README.md" ]] && readme=(--readme "$GUEST_DIR/README.md")
  run_logged wasm-check "check imports and exports" \
    "$BUILD_PYTHON" "$GUEST_DIR/wasm-check.py" "$BUILD_DIR/python.wasm.tmp" --list "${readme[@]}"
  mv -f "$BUILD_DIR/python.wasm.tmp" "$BUILD_DIR/python.wasm"
  printf '%s\n' "$stamp" >"$BUILD_DIR/link.stamp"
}

# --- profile-guided optimisation ------------------------------------------------------------
# The profile comes from the instrumented CPython (PGO_GENERATE_CFLAGS) linked
# with the bridge, pgo/pgo_module.c and pgo/profile_runtime.c, running
# pgo/train.py in pyodide-run: the tests CPython's own PGO builds train on
# (Lib/test from the verified tarball). llvm-profdata merges the counts, less
# the functions PGO_EXCLUDED names, into
# $CACHE_ROOT/profiles/python-KEY.profdata, KEY hashing the instrumented build's
# key, the training files and the exclusion. The bridge is neither instrumented
# nor optimised with the profile (its hot paths are the host's calls, which the
# training does not make), so editing it never retrains. A profile is not
# reproducible bit for bit (hash randomisation moves counts a little), so it is
# kept: the optimised build's key hashes the profile itself.
profile_key() { # the instrumented build's cache key
  { echo "$1"; (cd "$GUEST_DIR" && sha256sum pgo/*); echo "$PGO_EXCLUDED"; "llvm-profdata-$LLVM" merge --version | head -n1; } | sha | cut -c1-20
}

# ensure_profile: sets PGO_PROFILE to the cached profile, training one first if
# needed; leaves it empty if none can be had.
ensure_profile() {
  PGO_PROFILE=""
  if [[ "${PYODIDE_PGO:-1}" == 0 ]]; then
    say "profile-guided optimisation off (PYODIDE_PGO=0)"
    return 0
  fi
  # The instrumented build's phase, for what this calls; main sets the final one.
  local PGO_PHASE=generate key
  key=$(profile_key "$(cache_key)")
  local profile="$CACHE_ROOT/profiles/python-$key.profdata"
  if [[ -f "$profile" ]]; then
    touch "$profile"
    say "profile cached: $profile"
    PGO_PROFILE="$profile"
    return 0
  fi
  if ((TEST_MODULES)) || [[ ! -x "$PGO_RUNNER" ]]; then
    say "WARNING: no profile for this CPython and no pyodide-run to train one with ($PGO_RUNNER):"
    say "  python.wasm is built without profile-guided optimisation (~8 % slower; ./build.sh trains it)"
    return 0
  fi
  ensure_cpython
  local dir="$BUILD_DIR/pgo"
  rm -rf "$dir" && mkdir -p "$dir/profile"
  BUILD_DIR="$dir" LOG_DIR="$dir/logs" link_reactor --instrumented
  cp -a "$BUILD_DIR/zoneinfo" "$dir/zoneinfo"
  BUILD_DIR="$dir" OUT_DIR="$dir/assets" LOG_DIR="$dir/logs" install_guest
  run_logged pgo-extract-tests "extract CPython's Lib/test for the training" \
    tar -xzf "$TAR_PYTHON" -C "$dir" --strip-components=1 --wildcards 'Python-*/Lib/test/*'
  # Started in full (no snapshot of the instrumented interpreter exists), with a
  # private compiled-module cache: the instrumented module is compiled once, here.
  run_logged pgo-train "train the profile: CPython's PGO tests in the instrumented interpreter" \
    env PYODIDE_ASSET_DIR="$dir/assets" PYODIDE_NO_SNAPSHOT=1 PYODIDE_MODULE_CACHE="$dir/module-cache" \
    timeout 1800 "$PGO_RUNNER" --mount "$dir/Lib:/train:ro" --mount "$dir/profile:/profile" \
    "$GUEST_DIR/pgo/train.py" /train /profile/python.profraw
  run_logged pgo-merge "merge the profile" \
    "llvm-profdata-$LLVM" merge --no-function="$PGO_EXCLUDED" -o "$dir/python.profdata" "$dir/profile/python.profraw"
  # A profile that counts next to nothing means the counting runtime broke: refuse it.
  local functions
  functions=$("llvm-profdata-$LLVM" show "$dir/python.profdata" | sed -n 's/^Total functions: //p')
  ((functions > 5000)) || fail "the trained profile has only ${functions:-no} functions (logs: $dir/logs)"
  # Copied beside its final name and renamed into place: the cache never holds half a profile.
  mkdir -p "$CACHE_ROOT/profiles"
  cp "$dir/python.profdata" "$profile.tmp.$$" && mv -f "$profile.tmp.$$" "$profile"
  keep_newest 3 "$CACHE_ROOT"/profiles/python-*.profdata
  say "profile: $functions functions, $profile"
  rm -rf "$dir"
  PGO_PROFILE="$profile"
}

# --- the time-zone database ---------------------------------------------------------------
# Debian's tzdata source (IANA's data) compiled by the host's zic (libc-bin) into
# build/guest/zoneinfo: one TZif file per zone, "slim" (the rules beyond the
# last transition are a POSIX TZ string, which zoneinfo reads). The regions are
# the ones Debian's tzdata package compiles; `backward` adds the old names.
# Redone when the tarball or zic changes; seconds of work, so not in the CPython cache.
TZ_REGIONS=(africa antarctica asia australasia europe northamerica southamerica etcetera backward factory)
_guest_build_tzdata() { # TARBALL DEST REGION...
  local tarball="$1" dest="$2" src="$2.src"
  shift 2
  rm -rf "$src" "$dest" && mkdir -p "$src"
  tar -xf "$tarball" -C "$src"
  (cd "$src" && zic -b slim -d "$dest" "$@")
  rm -rf "$src"
}
build_tzdata() {
  local stamp
  stamp=$( { sha256sum "$TAR_TZDATA" | cut -d' ' -f1; zic --version; printf '%s\n' "${TZ_REGIONS[@]}"; } | sha)
  if [[ -d "$BUILD_DIR/zoneinfo" && "$(cat "$BUILD_DIR/zoneinfo.stamp" 2>/dev/null)" == "$stamp" ]]; then
    return 0
  fi
  rm -f "$BUILD_DIR/zoneinfo.stamp"
  export -f _guest_build_tzdata
  run_logged tzdata "compile the time-zone database (zic)" \
    _guest_build_tzdata "$TAR_TZDATA" "$BUILD_DIR/zoneinfo" "${TZ_REGIONS[@]}"
  printf '%s\n' "$stamp" >"$BUILD_DIR/zoneinfo.stamp"
}

# --- out/lib/pyodide -----------------------------------------------------------------------
install_guest() {
  mkdir -p "$OUT_DIR/lib"
  copy_if_changed "$BUILD_DIR/python.wasm" "$OUT_DIR/python.wasm"
  # "<sha256> <size>": the runtime keys its compiled-module cache on the hash
  # and uses this instead of hashing 8 MB at every process start (it checks
  # the size, and hashes the file itself when this is missing or stale).
  printf '%s %s\n' "$(sha256sum "$OUT_DIR/python.wasm" | cut -d' ' -f1)" \
    "$(stat -c %s "$OUT_DIR/python.wasm")" >"$OUT_DIR/python.wasm.sha256"
  copy_if_changed "$CPYTHON/stdlib/python311.zip" "$OUT_DIR/lib/python311.zip"
  # lib/python3.11 is made afresh each time, so that removed files go (replace_dir
  # keeps the installed one, and its files' times, when nothing differs).
  local new="$OUT_DIR/lib/.python3.11.new"
  rm -rf "$new"
  mkdir -p "$new"
  if [[ -d "$GUEST_DIR/python" ]]; then
    cp -R "$GUEST_DIR/python/." "$new/"
    unpack_bundled "$new"
    find "$new" -name __pycache__ -prune -exec rm -rf {} +
    # .pyc beside the sources (checked against them), since /lib is read-only.
    run_logged compile-helpers "compile the helper package" \
      "$BUILD_PYTHON" -m compileall -q --invalidation-mode checked-hash -d /lib/python3.11 "$new"
  fi
  mkdir -p "$new/lib-dynload"
  # After the compile: the stdlib's .pyc are in the zip, and these stay sources.
  cp -R "$CPYTHON/stdlib/source/." "$new/"
  replace_dir "$new" "$OUT_DIR/lib/python3.11"
  # The time-zone database: a directory, found through CPython's TZPATH
  # (configured as /lib/zoneinfo). Nothing imports it at start-up.
  new="$OUT_DIR/lib/.zoneinfo.new"
  rm -rf "$new"
  cp -a "$BUILD_DIR/zoneinfo" "$new"
  replace_dir "$new" "$OUT_DIR/lib/zoneinfo"
}

# replace_dir NEW DEST: NEW becomes DEST, unless their contents are the same
# (then DEST keeps its files and their times, and NEW goes).
replace_dir() {
  local old="$2.old.$$"
  if diff -rq "$1" "$2" >/dev/null 2>&1; then
    rm -rf "$1"
    return 0
  fi
  rm -rf "$old"
  if [[ -d "$2" ]]; then mv "$2" "$old"; fi
  mv "$1" "$2"
  rm -rf "$old"
}

main() {
  mkdir -p "$BUILD_DIR" "$LOG_DIR" "$CACHE_ROOT"
  ensure_tools
  # One guest build at a time per cache.
  exec 9>"$CACHE_ROOT/.lock"
  flock 9
  make_sdk
  fetch_sources
  build_tzdata
  ensure_profile
  PGO_PHASE=${PGO_PROFILE:+use}
  ensure_cpython
  link_reactor
  install_guest
  say "out/lib/pyodide: python.wasm $(size_mb "$OUT_DIR/python.wasm"), lib/python311.zip $(size_mb "$OUT_DIR/lib/python311.zip"), lib/zoneinfo $(du -sb "$OUT_DIR/lib/zoneinfo" | awk '{ printf "%.1f MB", $1 / 1048576 }') ($((SECONDS - T0)) s)"
}

main "$@"
