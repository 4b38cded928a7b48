#!/usr/bin/env bash
# make-fixture.sh OUT_DIR — a package index holding a real third-party library.
#
# Downloads Debian's python3-six at the pinned version below, checks its sha256
# (apt-get download; `apt-get update` only if that fails), extracts it with
# dpkg-deb and repacks six.py and its egg-info
# as a pure-Python wheel, six-<version>-py2.py3-none-any.whl (a dist-info
# with METADATA, WHEEL, top_level.txt and RECORD), then writes
# OUT_DIR/pyodide-lock.json (Pyodide's lock-file format) with its sha256.
#
# The wheel is reproducible (fixed timestamps, sorted entries), so its sha256
# only changes with the pin. Cached: the .deb stays in
# ${PYODIDE_CACHE:-~/.cache/pyodide-native}/fixtures/debs, and OUT_DIR is left
# alone when it was made by this version of the script. Safe to run
# concurrently (flock). `./build.sh` runs it into build/fixtures/packages, so the
# tests that use it (src/Pyodide.Runtime.Tests/PackageTests.cs,
# native-tests/test_packages.c; they run it again, a no-op then) download nothing;
# they read the version from the pyodide-lock.json it writes.
set -euo pipefail

OUT="${1:?usage: make-fixture.sh OUT_DIR}"
OUT="$(mkdir -p "$OUT" && cd "$OUT" && pwd)"
CACHE_ROOT="${PYODIDE_CACHE:-$HOME/.cache/pyodide-native}"
DEBS="$CACHE_ROOT/fixtures/debs"
PACKAGE=python3-six
# Debian bookworm's python3-six: the exact version and its sha256 (from the
# archive's Packages index), so every machine tests the same bytes.
DEB_VERSION=1.16.0-4
DEB_SHA256=fd189e9cecbcf17a1fc20aec30055c8afa9c1eec00cd6e7ab385087a2ab3b0d3
STAMP="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)"

exec 9>"$OUT/.lock"
flock 9
if [[ -f "$OUT/.stamp" && "$(cat "$OUT/.stamp")" == "$STAMP" && -f "$OUT/pyodide-lock.json" ]]; then
  exit 0
fi

mkdir -p "$DEBS"
deb="$DEBS/${PACKAGE}_${DEB_VERSION}_all.deb"
verified() { [[ -f "$deb" && "$(sha256sum "$deb" | cut -d' ' -f1)" == "$DEB_SHA256" ]]; }
download() { (cd "$DEBS" && apt-get download "$PACKAGE=$DEB_VERSION" >&2); }
if ! verified; then
  rm -f "$deb"
  echo "[fixture] apt-get download $PACKAGE=$DEB_VERSION (into $DEBS)" >&2
  if ! download; then
    echo "[fixture] download failed: apt-get update, then again" >&2
    apt-get update >&2 || echo "[fixture] apt-get update failed (not root?); trying the download anyway" >&2
    download || { echo "[fixture] ERROR: cannot download the Debian package $PACKAGE=$DEB_VERSION" >&2; exit 1; }
  fi
  if ! verified; then
    echo "[fixture] ERROR: $deb is not the pinned package (sha256 $(sha256sum "$deb" 2>/dev/null | cut -d' ' -f1), expected $DEB_SHA256)" >&2
    rm -f "$deb"
    exit 1
  fi
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$deb" "$work/root"

python3 - "$work/root/usr/lib/python3/dist-packages" "$OUT" "$(basename "$deb")" <<'PY'
import base64, glob, hashlib, json, os, sys, zipfile

src, out, deb = sys.argv[1:4]
egg = glob.glob(os.path.join(src, "six-*.egg-info"))
if len(egg) != 1:
    sys.exit(f"[fixture] expected one six-*.egg-info in {src}, found {egg}")
egg = egg[0]
pkg_info = open(os.path.join(egg, "PKG-INFO"), "rb").read()
version = next(line.split(b":", 1)[1].strip().decode()
               for line in pkg_info.splitlines() if line.startswith(b"Version:"))
dist_info = f"six-{version}.dist-info"

files = {
    "six.py": open(os.path.join(src, "six.py"), "rb").read(),
    f"{dist_info}/METADATA": pkg_info,
    f"{dist_info}/WHEEL": (b"Wheel-Version: 1.0\nGenerator: pyodide-native make-fixture.sh (from "
                           + deb.encode() + b")\nRoot-Is-Purelib: true\nTag: py2-none-any\nTag: py3-none-any\n"),
    f"{dist_info}/top_level.txt": open(os.path.join(egg, "top_level.txt"), "rb").read(),
}

def record_hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()

record = "".join(f"{name},{record_hash(data)},{len(data)}\n" for name, data in sorted(files.items()))
files[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()

wheel_name = f"six-{version}-py2.py3-none-any.whl"
tmp = os.path.join(out, wheel_name + ".tmp")
with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
    for name in sorted(files):
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o100644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, files[name])
os.replace(tmp, os.path.join(out, wheel_name))
sha = hashlib.sha256(open(os.path.join(out, wheel_name), "rb").read()).hexdigest()

lock = {
    "info": {"arch": "wasm32", "platform": "wasi", "version": "0.1.0", "python": "3.11.2"},
    "packages": {
        "six": {
            "name": "six",
            "version": version,
            "file_name": wheel_name,
            "install_dir": "site",
            "sha256": sha,
            "package_type": "package",
            "imports": ["six"],
            "depends": [],
        }
    },
}
with open(os.path.join(out, "pyodide-lock.json.tmp"), "w") as f:
    json.dump(lock, f, indent=2)
os.replace(os.path.join(out, "pyodide-lock.json.tmp"), os.path.join(out, "pyodide-lock.json"))
print(f"[fixture] {out}/{wheel_name} sha256 {sha}", file=sys.stderr)
PY
echo "$STAMP" >"$OUT/.stamp"
