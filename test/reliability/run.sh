#!/usr/bin/env bash
# The reliability tests, each on a throwaway cluster of its own, one after
# the other; prints each one's checks, then the total as "N passed, N
# failed"; exits non-zero if any check failed or any script did not finish.
# The extension must be installed (tools/test.sh does it, then runs this).
#
#   bash test/reliability/run.sh                  all (about 3 minutes)
#   bash test/reliability/run.sh soak crash       some
#
# Longer runs, and valgrind, are documented in docs/invite_test.md.
set -uo pipefail
cd "$(dirname "$0")/../.."

if [ "$#" -gt 0 ]; then
    tests=("$@")
else
    tests=(memory soak dump_restore crash standby)
fi

log=$(mktemp /tmp/invite_api_rel_run.XXXXXX)
trap 'rm -f "$log"' EXIT
passed=0
failed=0
broken=()
for t in "${tests[@]}"; do
    started=$(date +%s)
    bash "test/reliability/$t.sh" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        broken+=("$t (did not finish, exit status $status)")
        continue
    fi
    passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
    failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
    [ "$status" -eq 0 ] || broken+=("$t (exit status $status)")
    echo "-- $t: $line in $(($(date +%s) - started)) s"
    echo
done

for b in "${broken[@]}"; do
    echo "FAIL  $b"
done
echo "== reliability: ${#tests[@]} scripts"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "${#broken[@]}" -eq 0 ]
