#!/usr/bin/env bash
# Security audit of the service: bandit on the package (any high-severity
# finding fails), then pip-audit on the locked runtime dependencies in
# requirements/app.lock (any known vulnerability fails).
#
# When the advisory source cannot be reached, or answers for none of the
# packages, this says so plainly and does not claim a pass; that alone is
# not a failure, so an offline machine can still run make test.
#
#   scripts/audit.sh          run the audit
#   scripts/audit.sh --lock   rebuild requirements/app.lock from pyproject.toml
#                             in a clean virtualenv (after changing a dependency)
set -euo pipefail
cd "$(dirname "$0")/.."

VENV_BIN=.venv/bin
LOCK=requirements/app.lock

refresh_lock() {
  local scratch
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' RETURN
  python3 -m venv "$scratch/venv"
  "$scratch/venv/bin/python" -m pip install --quiet .
  {
    echo "# The service's runtime dependencies, resolved in a clean virtualenv."
    echo "# pip-audit checks this file; rebuild it with: scripts/audit.sh --lock"
    "$scratch/venv/bin/python" -m pip freeze --exclude csvdrop
  } >"$LOCK"
  echo "audit: wrote $LOCK ($(grep -cv '^#' "$LOCK") packages)"
}

if [ "${1:-}" = "--lock" ]; then
  refresh_lock
  exit 0
fi

failed=0

echo "audit: bandit on app/csvdrop (high severity fails)"
if ! "$VENV_BIN/bandit" --quiet --recursive app/csvdrop --severity-level high; then
  echo "audit: bandit FAILED: high-severity findings above"
  failed=1
else
  echo "audit: bandit passed: no high-severity finding"
fi

echo "audit: pip-audit on $LOCK"
# A dependency added to pyproject.toml after the lock was made would go
# unaudited without a word; name it instead.
"$VENV_BIN/python" - "$LOCK" <<'PY'
import re
import sys
import tomllib
from pathlib import Path


def name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


declared = tomllib.loads(Path("pyproject.toml").read_text())["project"]["dependencies"]
locked = {
    name(line) for line in Path(sys.argv[1]).read_text().splitlines()
    if line.strip() and not line.startswith("#")
}
missing = sorted(name(d) for d in declared if name(d) not in locked)
if missing:
    print(f"audit: WARNING: {sys.argv[1]} lacks {', '.join(missing)}; these are"
          " not audited until the lock is rebuilt with: scripts/audit.sh --lock")
PY
report=$(mktemp)
errors=$(mktemp)
trap 'rm -f "$report" "$errors"' EXIT
set +e
"$VENV_BIN/pip-audit" --requirement "$LOCK" --no-deps --disable-pip \
  --progress-spinner off --timeout 20 --format json --output "$report" 2>"$errors"
status=$?
set -e

# pip-audit exits 0 even when every package was skipped because the index
# did not answer, so the verdict comes from its JSON report, not its status.
"$VENV_BIN/python" - "$report" "$errors" "$status" <<'PY' || failed=1
import json
import sys
from pathlib import Path

report_path, errors_path, status = sys.argv[1], sys.argv[2], int(sys.argv[3])
errors = Path(errors_path).read_text(encoding="utf-8", errors="replace")
text = Path(report_path).read_text(encoding="utf-8") if status in (0, 1) else ""

try:
    dependencies = json.loads(text)["dependencies"] if text else None
except (ValueError, KeyError):
    dependencies = None

if dependencies is None:
    unreachable = ("ConnectionError", "NameResolutionError", "Max retries",
                   "timed out", "Connection refused", "ProxyError", "SSLError")
    if any(marker in errors for marker in unreachable):
        print("audit: pip-audit NOT RUN: the advisory source cannot be reached;"
              " dependencies were not audited")
        sys.exit(0)
    print(f"audit: pip-audit FAILED (exit {status}):\n{errors.strip()}")
    sys.exit(1)

vulnerable = [d for d in dependencies if d.get("vulns")]
skipped = [d for d in dependencies if d.get("skip_reason")]
audited = len(dependencies) - len(skipped)

for dependency in vulnerable:
    for vuln in dependency["vulns"]:
        fixes = ", ".join(vuln.get("fix_versions", [])) or "none yet"
        print(f"audit: {dependency['name']} {dependency['version']}: {vuln['id']}"
              f" (fixed in {fixes})")
if skipped and audited == 0:
    print(f"audit: pip-audit NOT AUDITED: the advisory source answered for none"
          f" of the {len(dependencies)} locked packages (first reason:"
          f" {skipped[0]['skip_reason']})")
elif skipped:
    names = ", ".join(d["name"] for d in skipped)
    print(f"audit: pip-audit could not audit {len(skipped)} of"
          f" {len(dependencies)} packages: {names}")
if vulnerable:
    print(f"audit: pip-audit FAILED: {len(vulnerable)} locked packages have"
          " known vulnerabilities")
    sys.exit(1)
if audited:
    print(f"audit: pip-audit passed: {audited} packages audited, no known"
          " vulnerability")
PY

exit "$failed"
