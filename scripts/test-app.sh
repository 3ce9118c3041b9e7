#!/usr/bin/env bash
# Lint, type-check and run the Python suites: the conversion engine, the
# service against a real SeaweedFS, and the page in Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/apt-install.sh chromium chromium-driver
make --no-print-directory venv
make --no-print-directory lint
scripts/audit.sh
.venv/bin/pytest tests/conversion tests/app tests/e2e
