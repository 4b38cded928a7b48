# shellcheck shell=bash
# The expensive, cached part of the guest build, sourced by build-guest.sh.
#
# build_deps SRC DEPS builds zlib, SQLite, liblzma (xz-utils) and libbz2 for
# wasm32-wasi into DEPS (build-guest.sh caches it per deps_key); build_cpython
# WORK OUTP DEPS builds CPython 3.11.2 against them in WORK and puts what the
# link and the guest's file system need in OUTP:
#   OUTP/include/              CPython's Include/ plus the build's pyconfig.h
#   OUTP/lib/*.a               libpython3.11.a libmpdec.a libexpat.a libz.a
#                              libsqlite3.a liblzma.a libbz2.a
#   OUTP/stdlib/python311.zip  the stdlib as .pyc (with _sysconfigdata)
#   OUTP/stdlib/source/        their sources (os.py among them, the prefix landmark)
#   OUTP/builtin-modules.txt   sys.builtin_module_names of the build
#   OUTP/build-info.txt        versions, flags and each module's configure state
#   OUTP/lib/profile_runtime.o the instrumented build's counting runtime (only it)
#
# This file's text is part of the cache key (build-guest.sh hashes it), so any
# change here rebuilds. Uses from build-guest.sh: SDK, BUILD_PYTHON, JOBS,
# TAR_PYTHON, TAR_ZLIB, TAR_SQLITE, TAR_XZ, TAR_BZIP2, GUEST_DIR, CACHE_ROOT,
# PGO_PHASE (empty, generate or use), PGO_GENERATE_CFLAGS, PGO_USE_CFLAGS,
# PGO_PROFILE and the helpers say/run_logged/fail.

# Flags for SQLite's amalgamation on WASI: no threads, no mmap, no shared
# memory (so no WAL), no extension loading, temp files in memory (the sandbox
# has no /tmp), dotfile locking (sqlite-wasi-init.c), plus FTS5 and the math
# functions that Debian's build has too.
SQLITE_WASI_CFLAGS=(
  -O2 -include "$GUEST_DIR/sqlite-wasi/sqlite-wasi.h"
  -D_WASI_EMULATED_GETPID
  -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_MAX_MMAP_SIZE=0
  -DSQLITE_OMIT_WAL -DSQLITE_TEMP_STORE=3 -DSQLITE_DEFAULT_FOREIGN_KEYS=0
  -DSQLITE_ENABLE_FTS5 -DSQLITE_ENABLE_MATH_FUNCTIONS
  -DSQLITE_EXTRA_INIT=pyodide_sqlite_wasi_init
)

# Added to CPython's Tools/wasm/config.site-wasm32-wasi.
CONFIG_SITE_EXTRA='
# Pyodide.Native: modules that would need libraries the reactor does not link.
py_cv_module__crypt=n/a
# WebAssembly allows unaligned loads and stores; configure cannot run its test
# when cross-compiling and assumes they fault, which makes pyhash.h pick FNV.
# With the truth, str hashing is SipHash-1-3 as in the python3.11 Debian ships (PEP 456
# retired FNV because its randomised key can be recovered from hash values).
ac_cv_aligned_required=no
# configure cannot run its tzset() test when cross-compiling and leaves
# time.tzset out; the bridge gives tzset() and a local time that follows TZ
# as in glibc (bridge/timezone.c).
ac_cv_working_tzset=yes
'

# Modules that must end up built in (the build fails otherwise).
REQUIRED_BUILTINS=(
  zlib _decimal pyexpat _elementtree _md5 _sha1 _sha256 _sha512 _sha3 _blake2
  _json _asyncio select _datetime _zoneinfo unicodedata math _struct array
  _bisect _heapq _random _pickle _csv binascii _sqlite3 _contextvars _queue
  _statistics _lzma _bz2
)

# Steps run by run_logged in a fresh bash (so that set -e holds inside them).
_guest_only_dir() { # DIR PATTERN: the one directory matching PATTERN in DIR
  local d
  d=$(find "$1" -mindepth 1 -maxdepth 1 -type d -name "$2")
  [[ -n "$d" && $(printf '%s\n' "$d" | wc -l) -eq 1 ]] || fail "expected one $2 directory in $1, found: ${d:-none}"
  printf '%s\n' "$d"
}
_guest_build_zlib() { # ZLIB_DIR DEPS
  cd "$1"
  CC="$SDK/bin/clang" AR="$SDK/bin/llvm-ar" RANLIB="$SDK/bin/ranlib" CFLAGS="-O2" \
    ./configure --static --prefix="$2"
  make -j"$JOBS" libz.a
  cp libz.a "$2/lib/"
  cp zlib.h zconf.h "$2/include/"
}
# liblzma alone (no xz tools, no threads: WASI has none). xz-wasi/*.patch
# adapts it to WASI first. _WASI_EMULATED_SIGNAL: its headers include
# <signal.h>, which wasi-libc only offers as an emulation.
_guest_build_xz() { # XZ_DIR DEPS
  cd "$1"
  local patch
  for patch in "$GUEST_DIR"/xz-wasi/*.patch; do patch -p1 --forward --input="$patch"; done
  CC="$SDK/bin/clang" AR="$SDK/bin/llvm-ar" RANLIB="$SDK/bin/ranlib" CFLAGS="-O2 -D_WASI_EMULATED_SIGNAL" \
    ./configure --host=wasm32-unknown-wasi --build="$(build-aux/config.guess)" --prefix="$2" \
    --enable-static --disable-shared --disable-threads --disable-nls --disable-rpath --disable-doc \
    --disable-scripts --disable-xz --disable-xzdec --disable-lzmadec --disable-lzmainfo --disable-lzma-links
  make -j"$JOBS" -C src/liblzma
  make -C src/liblzma install
}
# libbz2 alone: its Makefile takes the compiler from the command line.
_guest_build_bzip2() { # BZIP2_DIR DEPS
  cd "$1"
  make -j"$JOBS" libbz2.a CC="$SDK/bin/clang" AR="$SDK/bin/llvm-ar" RANLIB="$SDK/bin/ranlib" CFLAGS="-O2"
  cp libbz2.a "$2/lib/"
  cp bzlib.h "$2/include/"
}
_guest_sqlite_amalgamation() { # SQLITE_DIR
  mkdir -p "$1/host"
  cd "$1/host"
  CC=gcc CFLAGS=-O0 ../configure --disable-tcl --disable-readline
  make sqlite3.c sqlite3.h
}
_guest_build_sqlite() { # AMALGAMATION_DIR DEPS CFLAGS...
  cd "$1"
  local deps="$2"
  shift 2
  "$SDK/bin/clang" "$@" -c sqlite3.c -o sqlite3.o
  "$SDK/bin/clang" -O2 -I. -c "$GUEST_DIR/sqlite-wasi/sqlite-wasi-init.c" -o sqlite-wasi-init.o
  rm -f libsqlite3.a
  "$SDK/bin/llvm-ar" rcs libsqlite3.a sqlite3.o sqlite-wasi-init.o
  cp libsqlite3.a "$deps/lib/"
  cp sqlite3.h sqlite3ext.h "$deps/include/"
}

# The C libraries CPython links: Debian's zlib, liblzma, libbz2 and SQLite,
# static, into DEPS/{include,lib}. They do not depend on CPython's flags or
# profile, so build-guest.sh builds them once per deps_key and the instrumented
# and the optimised CPython builds share them.
build_deps() { # SRC_DIR DEPS
  local src="$1" deps="$2"
  export SDK JOBS GUEST_DIR
  export -f _guest_build_zlib _guest_build_xz _guest_build_bzip2 _guest_sqlite_amalgamation _guest_build_sqlite
  mkdir -p "$src" "$deps/include" "$deps/lib"

  run_logged zlib-extract "extract zlib" tar -xf "$TAR_ZLIB" -C "$src"
  local zdir
  zdir=$(_guest_only_dir "$src" 'zlib-*')
  run_logged zlib-build "build zlib" _guest_build_zlib "$zdir" "$deps"

  run_logged xz-extract "extract xz-utils" tar -xf "$TAR_XZ" -C "$src"
  local xdir bzdir
  xdir=$(_guest_only_dir "$src" 'xz-*')
  run_logged xz-build "build liblzma" _guest_build_xz "$xdir" "$deps"
  run_logged bzip2-extract "extract bzip2" tar -xf "$TAR_BZIP2" -C "$src"
  bzdir=$(_guest_only_dir "$src" 'bzip2-*')
  run_logged bzip2-build "build libbz2" _guest_build_bzip2 "$bzdir" "$deps"

  # SQLite: the amalgamation is generated natively, then compiled for WASI.
  run_logged sqlite-extract "extract sqlite" tar -xf "$TAR_SQLITE" -C "$src"
  local sdir
  sdir=$(_guest_only_dir "$src" 'sqlite3-*')
  run_logged sqlite-amalgamation "generate sqlite3.c" _guest_sqlite_amalgamation "$sdir"
  run_logged sqlite-build "build sqlite" _guest_build_sqlite "$sdir/host" "$deps" "${SQLITE_WASI_CFLAGS[@]}"
}

# What build_deps's products depend on: its steps, their flags and patches,
# the sources and the toolchain.
deps_key() {
  {
    echo "deps 1"
    declare -f build_deps _guest_build_zlib _guest_build_xz _guest_build_bzip2 \
      _guest_sqlite_amalgamation _guest_build_sqlite
    printf '%s\n' "${SQLITE_WASI_CFLAGS[@]}"
    (cd "$GUEST_DIR" && sha256sum sqlite-wasi/* xz-wasi/*)
    sha256sum "$TAR_ZLIB" "$TAR_SQLITE" "$TAR_XZ" "$TAR_BZIP2" | sed 's|  .*/|  |'
    cat "$SDK/VERSION"
  } | sha256sum | cut -c1-20
}

# build_cpython WORK OUT DEPS: CPython, linked against the libraries in DEPS.
build_cpython() {
  local work="$1" outp="$2" deps="$3"
  local src="$work/src"
  export SDK JOBS GUEST_DIR
  mkdir -p "$src" "$outp/lib" "$outp/stdlib"

  # --- CPython ---------------------------------------------------------------
  run_logged python-extract "extract CPython" tar -xf "$TAR_PYTHON" -C "$src"
  local pdir bdir
  pdir=$(_guest_only_dir "$src" 'Python-*')
  # Our changes to CPython (cpython-patches/README.md says what each is for).
  local patch
  for patch in "$GUEST_DIR"/cpython-patches/*.patch; do
    run_logged python-patch "apply $(basename "$patch")" patch -d "$pdir" -p1 --forward --input="$patch"
  done
  # __DATE__/__TIME__ in sys.version: the release's date, not the build's.
  SOURCE_DATE_EPOCH=$(stat -c %Y "$pdir/Include/patchlevel.h")
  export SOURCE_DATE_EPOCH
  bdir="$pdir/builddir/wasi"
  mkdir -p "$bdir"
  { cat "$pdir/Tools/wasm/config.site-wasm32-wasi"; printf '%s\n' "$CONFIG_SITE_EXTRA"; } > "$work/config.site"

  local configure_args=(
    -C --host=wasm32-unknown-wasi --build="$("$pdir/config.guess")"
    --with-build-python="$BUILD_PYTHON" --prefix=/
    --with-pymalloc --disable-test-modules --without-ensurepip
    "CFLAGS=-Wno-error=int-conversion"
    "OPT=-DNDEBUG -fwrapv -O3 -flto=thin -Wall"
    "ZLIB_CFLAGS=-I$deps/include" "ZLIB_LIBS=-L$deps/lib -lz"
    "LIBSQLITE3_CFLAGS=-I$deps/include" "LIBSQLITE3_LIBS=-L$deps/lib -lsqlite3"
    "LIBLZMA_CFLAGS=-I$deps/include" "LIBLZMA_LIBS=-L$deps/lib -llzma"
    "BZIP2_CFLAGS=-I$deps/include" "BZIP2_LIBS=-L$deps/lib -lbz2"
    # zoneinfo's search path: the time-zone database build-guest.sh installs
    # in the read-only /lib (no host path, nothing to configure).
    --with-tzpath=/lib/zoneinfo
  )
  # configure takes minutes; its cached test results (config.cache) are reused
  # when the toolchain, the configure inputs and the flags are the same. The
  # paths that differ from run to run ($work) are neutralized in the key, and
  # the cached copies of the environment ("precious" variables) are dropped.
  local seed_key seed
  seed_key=$( {
      printf '%s\n' "${configure_args[@]}" "${SQLITE_WASI_CFLAGS[@]}" | sed "s|$work|WORK|g"
      cat "$work/config.site"; sha256sum "$TAR_PYTHON" | cut -d' ' -f1
      "$SDK/bin/clang" --version | head -n1; cat "$SDK/VERSION"
    } | sha256sum | cut -c1-24)
  seed="$CACHE_ROOT/config-cache/$seed_key.cache"
  if [[ -f "$seed" ]]; then
    cp "$seed" "$bdir/config.cache"
    say "configure (reusing cached test results)"
  fi
  if ! run_logged python-configure "configure CPython" --quiet-fail env -C "$bdir" \
       CONFIG_SITE="$work/config.site" WASI_SDK_PATH="$SDK" \
       ../../Tools/wasm/wasi-env ../../configure "${configure_args[@]}"; then
    if [[ -f "$seed" ]]; then
      say "configure with cached results failed; retrying from scratch"
      rm -f "$seed" "$bdir/config.cache"
      run_logged python-configure "configure CPython" env -C "$bdir" \
        CONFIG_SITE="$work/config.site" WASI_SDK_PATH="$SDK" \
        ../../Tools/wasm/wasi-env ../../configure "${configure_args[@]}"
    else
      show_log_tail python-configure; fail "configure CPython failed"
    fi
  fi
  mkdir -p "$CACHE_ROOT/config-cache"
  grep -v '^ac_cv_env_' "$bdir/config.cache" > "$seed.tmp.$$" && mv -f "$seed.tmp.$$" "$seed"

  # Profile-guided optimisation (build-guest.sh, "profile-guided optimisation"):
  # the flags reach only the compiler (EXTRA_CFLAGS), never configure's tests.
  # The instrumented build links its counting runtime into CPython's own
  # python.wasm program (LDFLAGS_NODIST), which is built but not used.
  local make_args=()
  case "$PGO_PHASE" in
    generate)
      "$SDK/bin/clang" -O2 -Wall -c "$GUEST_DIR/pgo/profile_runtime.c" -o "$outp/lib/profile_runtime.o"
      make_args=("EXTRA_CFLAGS=${PGO_GENERATE_CFLAGS[*]}" "LDFLAGS_NODIST=$outp/lib/profile_runtime.o") ;;
    use) make_args=("EXTRA_CFLAGS=-fprofile-use=$PGO_PROFILE ${PGO_USE_CFLAGS[*]}") ;;
  esac
  run_logged python-make "make CPython (make -j$JOBS${PGO_PHASE:+, profile: $PGO_PHASE})" env -C "$bdir" \
    WASI_SDK_PATH="$SDK" ../../Tools/wasm/wasi-env make -j"$JOBS" "${make_args[@]}"

  # --- what configure decided, and what got built in --------------------------
  local states builtins
  states=$(sed -n 's/^MODULE_\([A-Z0-9_]*\)_STATE=\(.*\)$/\1 \2/p' "$bdir/Makefile" | sort)
  builtins=$(sed -n 's/^ *{"\([A-Za-z0-9_.]*\)", *[A-Za-z0-9_]*},.*$/\1/p' "$bdir/Modules/config.c" | sort -u)
  printf '%s\n' "$builtins" > "$outp/builtin-modules.txt"
  local m missing=()
  for m in "${REQUIRED_BUILTINS[@]}"; do
    grep -qx -- "$m" "$outp/builtin-modules.txt" || missing+=("$m")
  done
  if ((${#missing[@]})); then
    printf '%s\n' "$states" | sed 's/^/  /' >&2
    fail "modules not built in: ${missing[*]} (configure's module states above; logs in $LOG_DIR)"
  fi

  # --- products ---------------------------------------------------------------
  cp "$bdir/libpython3.11.a" "$outp/lib/"
  cp "$bdir/Modules/_decimal/libmpdec/libmpdec.a" "$bdir/Modules/expat/libexpat.a" "$outp/lib/"
  cp "$deps/lib/libz.a" "$deps/lib/libsqlite3.a" "$deps/lib/liblzma.a" "$deps/lib/libbz2.a" "$outp/lib/"
  cp -R "$pdir/Include" "$outp/include"
  cp "$bdir/pyconfig.h" "$outp/include/"

  local sysconfigdata
  sysconfigdata=$(find "$bdir/build" -name '_sysconfigdata_*.py' | head -n1)
  [[ -n "$sysconfigdata" ]] || fail "the build generated no _sysconfigdata module"
  # The module records the build's temporary paths; point them somewhere neutral.
  mkdir -p "$work/sysconfig"
  sed -e "s|$pdir|/build/Python-3.11.2|g" -e "s|$deps|/build/deps|g" -e "s|$SDK|/build/wasi-sdk|g" \
    "$sysconfigdata" > "$work/sysconfig/$(basename "$sysconfigdata")"
  run_logged stdlib-zip "compile the stdlib to python311.zip" \
    "$BUILD_PYTHON" "$GUEST_DIR/make-stdlib-zip.py" "$pdir/Lib" "$outp/stdlib/python311.zip" \
    "$outp/stdlib/source" \
    "$work/sysconfig/$(basename "$sysconfigdata")"

  {
    echo "CPython: $(basename "$TAR_PYTHON") $(sha256sum "$TAR_PYTHON" | cut -d' ' -f1)"
    echo "zlib:    $(basename "$TAR_ZLIB") $(sha256sum "$TAR_ZLIB" | cut -d' ' -f1)"
    echo "sqlite:  $(basename "$TAR_SQLITE") $(sha256sum "$TAR_SQLITE" | cut -d' ' -f1)"
    echo "xz:      $(basename "$TAR_XZ") $(sha256sum "$TAR_XZ" | cut -d' ' -f1)"
    echo "bzip2:   $(basename "$TAR_BZIP2") $(sha256sum "$TAR_BZIP2" | cut -d' ' -f1)"
    echo "clang:   $("$SDK/bin/clang" --version | head -n1)"
    echo "sdk:     $(cat "$SDK/VERSION")"
    echo "build python: $("$BUILD_PYTHON" -c 'import sys; print(sys.version.split()[0])') ($BUILD_PYTHON)"
    echo "configure: ${configure_args[*]}" | sed "s|$work|WORK|g"
    case "$PGO_PHASE" in
      generate) echo "profile: instrumented (${PGO_GENERATE_CFLAGS[*]})" ;;
      use) echo "profile: optimised with $(basename "$PGO_PROFILE") (${PGO_USE_CFLAGS[*]})" ;;
      *) echo "profile: none" ;;
    esac
    echo "sqlite CFLAGS: ${SQLITE_WASI_CFLAGS[*]}"
    echo "sysconfigdata: $(basename "$sysconfigdata" .py)"
    echo
    echo "builtin modules: $(tr '\n' ' ' < "$outp/builtin-modules.txt")"
    echo
    echo "configure's module states:"
    printf '%s\n' "$states" | sed 's/^/  /'
  } > "$outp/build-info.txt"
}
