#!/usr/bin/env bash
# Run every test section this machine can run, in order, and report each.
# A failing section does not hide the others: all run, and the exit status
# is non-zero when any failed.
set -uo pipefail
cd "$(dirname "$0")/.."

sections=(app terraform ansible)
failed=()
for section in "${sections[@]}"; do
  script="scripts/test-$section.sh"
  echo "=== $section: $script"
  start=$SECONDS
  if bash "$script"; then
    echo "=== $section: passed in $((SECONDS - start)) s"
  else
    echo "=== $section: FAILED after $((SECONDS - start)) s"
    failed+=("$section")
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "failed sections: ${failed[*]}"
  exit 1
fi
echo "all sections passed"
