#!/usr/bin/env bash
# ensure-packages.sh PKG... — install the Debian packages that are missing.
#
# Checks with dpkg-query first, so it costs nothing when all are there. Runs
# `apt-get update` only when apt knows no candidate for a missing package, and
# retries a failed install once (a first attempt on a fresh machine has failed
# with "cannot stat …deb"). Needs root, or sudo, only when it installs.
set -euo pipefail

say() { printf '[deps] %s\n' "$*"; }

as_root() {
  if ((EUID == 0)); then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else say "need root to run: $*" >&2; exit 1
  fi
}

command -v dpkg-query >/dev/null 2>&1 || { say "not a Debian system: install $* by hand" >&2; exit 1; }

missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
((${#missing[@]})) || exit 0

need_update=0
for p in "${missing[@]}"; do
  apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [^(]' || need_update=1
done
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ((need_update)); then
  say "apt-get update"
  # A failing third-party repository fails the whole update while Debian's
  # lists are fine: report it and let the install decide.
  if ! as_root apt-get update >"$log" 2>&1; then
    tail -n 10 "$log" >&2
    say "apt-get update reported errors; trying the install anyway" >&2
  fi
fi

say "installing ${missing[*]}"
install() { as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >"$log" 2>&1; }
if ! install; then
  say "apt-get install failed; retrying once"
  if grep -qE '404|Unable to fetch|--fix-missing' "$log"; then
    as_root apt-get update >/dev/null 2>&1 || true
  fi
  sleep 2
  if ! install; then
    tail -n 30 "$log" >&2
    say "could not install: ${missing[*]}" >&2
    exit 1
  fi
fi
