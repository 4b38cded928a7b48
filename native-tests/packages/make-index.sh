#!/usr/bin/env bash
# make-index.sh OUT_DIR — the package index micropip's tests install from.
#
# Fetches the Debian packages index-debs.manifest pins (verified by
# src/guest/fetch-sources.sh --binary into ${PYODIDE_CACHE:-~/.cache/pyodide-native}/fixtures/debs)
# and has make-index.py repack each into a pure-Python wheel with its real
# metadata, add small projects of its own (backtracking, extras, pre-releases)
# and adversarial entries, and write the index: OUT_DIR/files/ (wheels),
# OUT_DIR/simple/<project>/index.html (PEP 503) and index.json (PEP 691), and
# OUT_DIR/flat/ (a plain directory of wheels). Reproducible; OUT_DIR is left
# alone when this version of the scripts and manifest made it. Safe to run
# concurrently (flock).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="${1:?usage: make-index.sh OUT_DIR}"
OUT="$(mkdir -p "$OUT" && cd "$OUT" && pwd)"
CACHE_ROOT="${PYODIDE_CACHE:-$HOME/.cache/pyodide-native}"
STAMP="$(cat "${BASH_SOURCE[0]}" "$HERE/make-index.py" "$HERE/index-debs.manifest" | sha256sum | cut -c1-16)"

exec 9>"$OUT/.lock"
flock 9
if [[ -f "$OUT/.stamp" && "$(cat "$OUT/.stamp")" == "$STAMP" ]]; then
  exit 0
fi

listing=$("$ROOT/src/guest/fetch-sources.sh" --binary --manifest "$HERE/index-debs.manifest" \
  --cache "$CACHE_ROOT/fixtures/debs" </dev/null)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
roots=()
while read -r pkg path; do
  dpkg-deb -x "$path" "$work/$pkg"
  roots+=("$work/$pkg/usr/lib/python3/dist-packages")
done <<<"$listing"
rm -rf "$OUT/files" "$OUT/simple" "$OUT/flat"
/usr/bin/python3.11 "$HERE/make-index.py" "$OUT" "${roots[@]}"
echo "$STAMP" >"$OUT/.stamp"
