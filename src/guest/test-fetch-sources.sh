#!/usr/bin/env bash
# test-fetch-sources.sh — checks fetch-sources.sh on a cold cache, with the
# smallest pinned source (zlib, 1.2 MB from Debian's archive): it fetches and
# verifies, never fetches a cached tarball again, falls back to another version
# that ships the same tarball, and refuses tarballs whose hash differs from the
# manifest's. Prints "ok - …"/"not ok - …" per check, then "N passed, N failed".
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FETCH="$HERE/fetch-sources.sh"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PASSED=0
FAILED=0

ok() { printf 'ok - %s\n' "$1"; PASSED=$((PASSED + 1)); }
not_ok() { # NAME DETAIL
  printf 'not ok - %s\n' "$1"
  printf '%s\n' "$2" | sed 's/^/  /'
  FAILED=$((FAILED + 1))
}

read -r _ ZLIB_VERSION ZLIB_FILE ZLIB_SHA ZLIB_SIZE < <(grep -E '^zlib[[:space:]]' "$HERE/sources.manifest")
# manifest_with VERSION SHA: a copy of the zlib line with another version or hash.
manifest_with() {
  printf 'zlib %s %s %s %s\n' "$1" "$ZLIB_FILE" "$2" "$ZLIB_SIZE" >"$WORK/manifest.$3"
  echo "$WORK/manifest.$3"
}

# 1. Cold cache: fetched from Debian's archive and verified.
cache="$WORK/cache"
if out=$("$FETCH" --cache "$cache" zlib 2>"$WORK/err1") &&
  [[ "$out" == "zlib $cache/$ZLIB_FILE" ]] &&
  [[ "$(sha256sum "$cache/$ZLIB_FILE" | cut -d' ' -f1)" == "$ZLIB_SHA" ]]; then
  ok "a cold cache gets zlib $ZLIB_VERSION, verified against the manifest"
else
  not_ok "a cold cache gets zlib $ZLIB_VERSION, verified against the manifest" "stdout: ${out:-}
$(cat "$WORK/err1")"
fi

# 2. A cached, verified tarball is never fetched again: with apt-get and
#    apt-cache failing, the second run still succeeds.
mkdir -p "$WORK/noapt"
for t in apt-get apt-cache; do printf '#!/bin/sh\necho "%s must not run" >&2\nexit 100\n' "$t" >"$WORK/noapt/$t"; done
chmod +x "$WORK/noapt/"*
if PATH="$WORK/noapt:$PATH" "$FETCH" --cache "$cache" zlib >/dev/null 2>"$WORK/err2"; then
  ok "a cached tarball is used without apt (offline)"
else
  not_ok "a cached tarball is used without apt (offline)" "$(cat "$WORK/err2")"
fi

# 3. A damaged cache entry is refused and fetched again.
printf 'X' | dd of="$cache/$ZLIB_FILE" bs=1 seek=4096 conv=notrunc status=none
if "$FETCH" --cache "$cache" zlib >/dev/null 2>"$WORK/err3" &&
  grep -q "cached $ZLIB_FILE does not match" "$WORK/err3" &&
  [[ "$(sha256sum "$cache/$ZLIB_FILE" | cut -d' ' -f1)" == "$ZLIB_SHA" ]]; then
  ok "a damaged cached tarball is noticed and fetched again"
else
  not_ok "a damaged cached tarball is noticed and fetched again" "$(cat "$WORK/err3")"
fi

# 4. The pinned version is gone from the archive: another version whose source
#    ships the same tarball (same hash) serves.
m=$(manifest_with "1:1.2.13.dfsg-0~gone" "$ZLIB_SHA" gone)
if "$FETCH" --manifest "$m" --cache "$WORK/cache4" zlib >/dev/null 2>"$WORK/err4" &&
  [[ -f "$WORK/cache4/$ZLIB_FILE" ]]; then
  ok "a pinned version the archive no longer serves falls back to one with the same tarball"
else
  not_ok "a pinned version the archive no longer serves falls back to one with the same tarball" "$(cat "$WORK/err4")"
fi

# 5. A corrupted tarball offered from a local copy: refused, named, not cached.
mkdir -p "$WORK/offline"
cp "$cache/$ZLIB_FILE" "$WORK/offline/"
printf 'X' | dd of="$WORK/offline/$ZLIB_FILE" bs=1 seek=1000 conv=notrunc status=none
bad_sha=$(sha256sum "$WORK/offline/$ZLIB_FILE" | cut -d' ' -f1)
if ! "$FETCH" --cache "$WORK/cache5" --from "$WORK/offline" zlib >/dev/null 2>"$WORK/err5" &&
  grep -q "$ZLIB_FILE" "$WORK/err5" && grep -q "expected sha256 $ZLIB_SHA" "$WORK/err5" &&
  grep -q "got $bad_sha" "$WORK/err5" && [[ ! -e "$WORK/cache5/$ZLIB_FILE" ]]; then
  ok "a corrupted tarball is refused with the file, the expected and the actual hash"
else
  not_ok "a corrupted tarball is refused with the file, the expected and the actual hash" "$(cat "$WORK/err5")"
fi

# 6. The archive serves bytes other than the ones pinned (a manifest whose hash
#    differs stands in for a changed upstream file): refused, not cached.
wrong=$(printf '%064d' 0)
m=$(manifest_with "$ZLIB_VERSION" "$wrong" wrong)
if ! "$FETCH" --manifest "$m" --cache "$WORK/cache6" zlib >/dev/null 2>"$WORK/err6" &&
  grep -q "expected sha256 $wrong" "$WORK/err6" && grep -q "got $ZLIB_SHA" "$WORK/err6" &&
  [[ ! -e "$WORK/cache6/$ZLIB_FILE" ]]; then
  ok "a downloaded tarball whose hash differs from the manifest is refused"
else
  not_ok "a downloaded tarball whose hash differs from the manifest is refused" "$(cat "$WORK/err6")"
fi

echo "$PASSED passed, $FAILED failed"
((FAILED == 0))
