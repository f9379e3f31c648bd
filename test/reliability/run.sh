#!/usr/bin/env bash
# What of the tests has no TAP equivalent (test/README.md says why), each on
# a throwaway cluster of its own, one after the other; prints each one's
# checks, then the total as "N passed, N failed"; exits non-zero if any
# check failed or any script did not finish.  The extension must be
# installed (tools/test.sh does it, then runs this).  Run as root, or as a
# user who may sudo to the postgres OS user, who owns the clusters.
#
#   bash test/reliability/run.sh                  memory (about 50 s)
#   bash test/reliability/run.sh valgrind         installcheck under memcheck
#                                                 (about 7 minutes; not in CI)
#
# Crash recovery, the standby, dump and restore and the soak are TAP tests
# (test/t/), run by "make installcheck".
set -uo pipefail
cd "$(dirname "$0")/../.."

if [ "$#" -gt 0 ]; then
    tests=("$@")
else
    tests=(memory)
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
