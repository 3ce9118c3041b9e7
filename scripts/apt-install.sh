#!/usr/bin/env bash
# Install the named Debian packages that are not installed yet.
# The package lists are refreshed at most once per boot, so several test
# sections can call this without each paying for an update.
set -euo pipefail

missing=()
for pkg in "$@"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "apt-install: need root to install: ${missing[*]}" >&2
  exit 1
fi

stamp=/run/csvdrop-apt-updated
if [ ! -e "$stamp" ]; then
  apt-get update -qq
  touch "$stamp"
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
