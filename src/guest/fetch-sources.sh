#!/usr/bin/env bash
# fetch-sources.sh — puts the third-party source tarballs listed in
# sources.manifest into a cache directory, each verified against the sha256
# and size the manifest pins.
#
#   fetch-sources.sh [--manifest FILE] [--cache DIR] [--from DIR] [--logs DIR] [PACKAGE...]
#
#   --manifest FILE  the manifest (default: sources.manifest beside this script)
#   --cache DIR      where verified tarballs live (default: $PYODIDE_CACHE/sources,
#                    $PYODIDE_CACHE defaulting to ~/.cache/pyodide-native)
#   --from DIR       take tarballs from DIR (an offline copy) instead of apt
#   --logs DIR       where apt's output goes (default: a temporary directory)
#   PACKAGE...       only these source packages (default: every one listed)
#
# Prints "PACKAGE PATH" for each verified tarball on stdout; progress and
# errors go to stderr. Exits 1 if any tarball could not be had or did not
# match. Works offline once every tarball is cached.
#
# Why it is careful: `apt-get source PKG` takes whatever version the archive
# lists today, and Debian's security archive lists versions whose sources it
# does not serve (404). So each tarball is asked for at its pinned version;
# if that version is gone, at any other version apt-cache showsrc lists whose
# Checksums-Sha256 names the same tarball with the same hash; deb-src entries
# and `apt-get update` are added only when apt knows no such version. A file
# enters the cache only after its hash and size match, and a cached file is
# checked again each time it is used (hashing the ~36 MB takes ~0.1 s), so a
# damaged cache heals itself instead of feeding a build.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MANIFEST="$HERE/sources.manifest"
CACHE="${PYODIDE_CACHE:-$HOME/.cache/pyodide-native}/sources"
FROM=""
LOGS=""
WANTED=()
while (($#)); do
  case "$1" in
    --manifest) MANIFEST="$2"; shift 2 ;;
    --cache) CACHE="$2"; shift 2 ;;
    --from) FROM="$2"; shift 2 ;;
    --logs) LOGS="$2"; shift 2 ;;
    -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    -*) echo "fetch-sources.sh: unknown option $1" >&2; exit 2 ;;
    *) WANTED+=("$1"); shift ;;
  esac
done

say() { printf '[sources] %s\n' "$*" >&2; }
fail() { printf '[sources] ERROR: %s\n' "$*" >&2; exit 1; }
as_root() {
  if ((EUID == 0)); then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else fail "need root to run: $*"
  fi
}

[[ -f "$MANIFEST" ]] || fail "no manifest at $MANIFEST"
mkdir -p "$CACHE"
# Download directories (inside the cache, so the final mv is atomic) and a
# temporary log directory go when the script ends, however it ends.
TMP_DIRS=()
if [[ -z "$LOGS" ]]; then
  LOGS=$(mktemp -d)
  TMP_DIRS+=("$LOGS")
fi
trap 'rm -rf "${TMP_DIRS[@]}"' EXIT
mkdir -p "$LOGS"

# verify FILE NAME SHA SIZE: 0 if FILE has that hash and size; else prints why.
verify() {
  local file="$1" name="$2" sha="$3" size="$4" got_sha got_size
  got_size=$(stat -c %s "$file")
  got_sha=$(sha256sum "$file" | cut -d' ' -f1)
  [[ "$got_sha" == "$sha" && "$got_size" == "$size" ]] && return 0
  printf '%s does not match %s: expected sha256 %s (%s bytes), got %s (%s bytes)' \
    "$name" "$(basename "$MANIFEST")" "$sha" "$size" "$got_sha" "$got_size"
  return 1
}

have_deb_src() {
  grep -qsE '^[[:space:]]*(Types:.*deb-src|deb-src[[:space:]])' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources
}
# Adds deb-src entries mirroring the binary ones, then refreshes apt's lists.
# A failing third-party repository fails the whole update while Debian's lists
# are fine: the fetch that follows tells.
APT_REFRESHED=0
refresh_apt() {
  ((APT_REFRESHED)) && return 0
  APT_REFRESHED=1
  if ! have_deb_src; then
    if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
      sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
        as_root tee /etc/apt/sources.list.d/debian-src.sources >/dev/null
    else
      sed -n 's/^deb[[:space:]]/deb-src /p' /etc/apt/sources.list |
        as_root tee /etc/apt/sources.list.d/debian-src.list >/dev/null
    fi
    say "added deb-src entries to apt's sources"
  fi
  say "apt-get update"
  as_root apt-get update >"$LOGS/apt-update.log" 2>&1 </dev/null ||
    say "apt-get update reported errors (see $LOGS/apt-update.log); trying anyway"
}

# Versions of source package PKG, as apt lists them, that ship tarball NAME with hash SHA.
versions_shipping() { # PKG NAME SHA
  apt-cache showsrc "$1" 2>/dev/null | awk -v name="$2" -v sha="$3" '
    /^Version:/ { version = $2 }
    /^Checksums-Sha256:/ { in_sums = 1; next }
    in_sums && /^ / { if ($1 == sha && $3 == name) ok[version] = 1; next }
    { in_sums = 0 }
    END { for (v in ok) print v }'
}

# apt_download PKG VERSION NAME DIR: `apt-get source --download-only PKG=VERSION`
# in DIR; 0 if NAME arrived. The .dsc or Debian diff may 404 (a security update
# whose sources the archive does not serve): only NAME is needed.
apt_download() {
  local pkg="$1" version="$2" name="$3" dir="$4" log="$LOGS/fetch-$1.log"
  (cd "$dir" && apt-get source --download-only "$pkg=$version") >>"$log" 2>&1 </dev/null || true
  [[ -f "$dir/$name" ]]
}

# fetch PKG VERSION NAME SHA SIZE: the verified tarball into $CACHE.
fetch() {
  local pkg="$1" version="$2" name="$3" sha="$4" size="$5" dest="$CACHE/$name" why tmp v tried=()
  if [[ -f "$dest" ]]; then
    if why=$(verify "$dest" "cached $name" "$sha" "$size"); then return 0; fi
    say "$why: removed, fetching again"
    rm -f "$dest"
  fi
  tmp=$(mktemp -d "$CACHE/.fetch.XXXXXX")
  TMP_DIRS+=("$tmp")
  if [[ -n "$FROM" ]]; then
    [[ -f "$FROM/$name" ]] || fail "$name is not in $FROM"
    cp "$FROM/$name" "$tmp/$name"
    tried=("$FROM")
  else
    local attempt candidates
    for attempt in 1 2; do
      candidates=("$version")
      while IFS= read -r v; do
        [[ -n "$v" && "$v" != "$version" ]] && candidates+=("$v")
      done < <(versions_shipping "$pkg" "$name" "$sha")
      for v in "${candidates[@]}"; do
        tried+=("$pkg=$v")
        say "apt-get source --download-only $pkg=$v"
        apt_download "$pkg" "$v" "$name" "$tmp" && break 2
      done
      ((attempt == 1)) || break
      refresh_apt
    done
  fi
  if [[ ! -f "$tmp/$name" ]]; then
    [[ -f "$LOGS/fetch-$pkg.log" ]] && tail -n 20 "$LOGS/fetch-$pkg.log" >&2
    fail "could not download $name (tried ${tried[*]})"
  fi
  if ! why=$(verify "$tmp/$name" "$name (from ${tried[-1]})" "$sha" "$size"); then
    fail "$why; refused, not cached"
  fi
  mv -f "$tmp/$name" "$dest"
  rm -rf "$tmp"
  say "verified $name (sha256 ${sha:0:16}…)"
}

found=0
while read -r pkg version name sha size rest; do
  [[ -z "$pkg" || "$pkg" == \#* ]] && continue
  [[ -z "$size" || -n "$rest" ]] && fail "$MANIFEST: a line needs 5 columns: $pkg $version $name $sha $size $rest"
  if ((${#WANTED[@]})) && ! printf '%s\n' "${WANTED[@]}" | grep -qxF "$pkg"; then continue; fi
  fetch "$pkg" "$version" "$name" "$sha" "$size"
  printf '%s %s\n' "$pkg" "$CACHE/$name"
  found=$((found + 1))
done <"$MANIFEST"
if ((${#WANTED[@]})) && ((found != ${#WANTED[@]})); then
  fail "not in $MANIFEST: some of ${WANTED[*]}"
fi
