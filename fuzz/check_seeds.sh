#!/usr/bin/env bash
# Run every seed once through its target and compare the results the target
# prints (JWT_FUZZ_TRACE) with seeds.expected, written by make_seeds.py.
#
#   check_seeds.sh BUILD_DIR EXPECTED_FILE
set -euo pipefail

build=$1 expected=$2
actual=$(mktemp) want=$(mktemp) out=$(mktemp)
trap 'rm -f "$actual" "$want" "$out"' EXIT

# One line per seed: "target/seed results...".  libFuzzer prints
# "Running: FILE" before each file it is given; a file may run twice (the
# leak check repeats the first inputs), so a seed's repeated lines are
# dropped.
parse() {
    awk -v t="$1" '
        function flush() { if (name != "") print t "/" name line }
        /^Running: / { flush(); n = split($2, p, "/"); name = p[n]; line = ""; delete seen; next }
        /^jwt-fuzz-result: / {
            sub(/^jwt-fuzz-result: /, "")
            if (!seen[$0]++) line = line " " $0
        }
        END { flush() }'
}

status=0
for target in jwt_verify_fuzz jwt_claims_fuzz; do
    seeds=(corpus/$target/*)
    # All seeds in one process; when one aborts (a violated invariant or a
    # sanitizer report), report it and go on with the seeds after it.
    while ((${#seeds[@]})); do
        if JWT_FUZZ_TRACE=1 "$build/$target" "${seeds[@]}" >"$out" 2>&1; then
            parse "$target" <"$out" >>"$actual"
            break
        fi
        status=1
        failed=$(sed -n 's/^Running: //p' "$out" | tail -n 1)
        echo "=== $failed" >&2
        grep -E -A3 'invariant violated|ERROR: |runtime error:' "$out" >&2 || true
        parse "$target" <"$out" | sed '$d' >>"$actual"
        echo "$target/${failed##*/} FAILED" >>"$actual"
        for i in "${!seeds[@]}"; do
            if [ "${seeds[$i]}" = "$failed" ]; then
                seeds=("${seeds[@]:$((i + 1))}")
                break
            fi
        done
    done
done
sort -o "$actual" "$actual"
grep -v '^#' "$expected" | sort >"$want"

if ! diff -u "$want" "$actual"; then
    echo "seed results differ from $expected (- expected, + actual)" >&2
    exit 1
fi
[ "$status" -eq 0 ] || exit 1
echo "$(wc -l <"$actual") seeds give their expected results"
