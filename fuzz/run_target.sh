#!/usr/bin/env bash
# Run one libFuzzer target on a temporary copy of its seeds and report.
#
#   run_target.sh BINARY SEEDS_DIR DICT [libFuzzer flags...]
#
# The committed seeds are only read: libFuzzer writes new inputs to the first
# corpus directory it is given, here a temporary one.  A finding (crash,
# sanitizer report, leak, violated invariant, timeout) is saved under
# build/artifacts/ and makes this script fail.  The whole log is kept in
# build/<target>.log.
set -euo pipefail

binary=$1 seeds=$2 dict=$3
shift 3
name=$(basename "$binary")
build=$(dirname "$binary")
log=$build/$name.log
mkdir -p "$build/artifacts"

work=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Leaks are findings; so is any undefined behaviour.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

dict_flag=()
[ -f "$dict" ] && dict_flag=(-dict="$dict")

echo "== $name $* (seeds: $seeds, log: $log)"
start=$(date +%s)
status=0
"$binary" "$@" "${dict_flag[@]}" -artifact_prefix="$build/artifacts/$name-" \
    "$work" "$seeds" >"$log" 2>&1 || status=$?
elapsed=$(( $(date +%s) - start ))

# libFuzzer's closing lines: "#N DONE cov: ... exec/s: R ..." and
# "Done N runs in S second(s)".
execs=$(sed -n 's/^Done \([0-9]*\) runs in.*/\1/p' "$log" | tail -n 1)
speed=$(sed -n 's/.*DONE .* exec\/s: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
corpus=$(find "$work" -type f | wc -l)
if [ "$status" -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|invariant violated' "$log"; then
    echo "!! $name: FINDING (exit $status) after ${elapsed}s; see $log" >&2
    grep -E -A12 'invariant violated|ERROR: |runtime error:|SUMMARY' "$log" | head -n 60 >&2 || true
    ls "$build/artifacts/$name-"* 2>/dev/null >&2 || true
    exit 1
fi
echo "ok $name: ${execs:-?} executions in ${elapsed}s (${speed:-?}/s), $corpus new corpus entries, no finding"
