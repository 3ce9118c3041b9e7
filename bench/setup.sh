#!/usr/bin/env bash
# Install the tools csvdrop is measured against, apart from the app: a venv
# under .tools/bench for the Python ones, and Miller and GNU time from Debian.
# None of them is a dependency of csvdrop itself.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/apt-install.sh miller time
venv=.tools/bench
if [ ! -e "$venv/.installed" ] || [ bench/requirements.txt -nt "$venv/.installed" ]; then
  test -x "$venv/bin/python" || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet -r bench/requirements.txt
  touch "$venv/.installed"
fi
