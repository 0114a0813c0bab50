#!/usr/bin/env bash
# Run each workspace member's tests in its own pytest process (engines such as Airflow and
# Prefect configure themselves at import, so members are kept apart), then say which failed.
set -uo pipefail
cd "$(dirname "$0")/.."
failed=()
ran=0
for member in "$@"; do
  [ -d "$member/tests" ] || continue
  ran=$((ran + 1))
  echo "=== $member ==="
  ${UV:-uv} run --frozen pytest "$member/tests" -p no:cacheprovider ${PYTEST_ARGS:-} || failed+=("$member")
done
if [ "$ran" -eq 0 ]; then echo "no test suites found"; exit 1; fi
if [ "${#failed[@]}" -gt 0 ]; then
  echo "test suites failed: ${failed[*]}"
  exit 1
fi
echo "all $ran test suites passed"
