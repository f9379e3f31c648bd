#!/usr/bin/env bash
# The pg_regress suite and the isolation specs against a server running
# under valgrind's memcheck, then a scan of valgrind's logs: any error whose
# stack goes through invite_api.so, libjwt or one of our source files fails
# the run (PostgreSQL's own reports, and what valgrind.supp suppresses, do
# not).  Leaks are checked as each backend exits: a block of libjwt's or
# ours definitely lost is an error too.
#
#   bash test/reliability/valgrind.sh          about 7 minutes; not in CI
#
# Debian's PostgreSQL is not built with USE_VALGRIND, so memcheck does not
# see inside palloc's blocks: what it checks is libjwt, jansson and OpenSSL
# (plain malloc), reads of uninitialized memory, and everything outside the
# memory contexts.  The extension must be installed; valgrind is installed
# with apt-get when missing.
#
# Environment: VALGRIND_KEEP=DIR copies the logs there; VALGRIND_GEN=1 adds
# --gen-suppressions=all (to write suppressions for PostgreSQL's reports).
. "$(dirname "$0")/lib.sh"

command -v valgrind >/dev/null || bash tools/deps.sh valgrind

echo "== valgrind: the regression suite with the server under memcheck"
start_cluster "jit = off" "huge_pages = off" "max_connections = 20" "shared_buffers = 32MB"
# Stop the server that cluster_start started; start it under valgrind.
as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w stop >/dev/null
vg_dir=$CLUSTER_DIR/valgrind
as_postgres mkdir "$vg_dir"
as_postgres cp test/reliability/valgrind.supp "$vg_dir/"
gen=()
[ "${VALGRIND_GEN:-0}" = 1 ] && gen=(--gen-suppressions=all)
as_postgres valgrind --tool=memcheck --trace-children=yes --error-limit=no \
    --num-callers=40 --leak-check=full --show-leak-kinds=definite \
    --errors-for-leak-kinds=definite --suppressions="$vg_dir/valgrind.supp" "${gen[@]}" \
    --log-file="$vg_dir/%p.log" \
    "$PG_BIN/postgres" -D "$CLUSTER_DIR/data" >"$WORK_DIR/postmaster.out" 2>&1 &
vg_pid=$!
stop_valgrind() {
    as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w -t 300 stop >/dev/null 2>&1 || true
    wait "$vg_pid" 2>/dev/null || true
}
on_exit stop_valgrind
for _ in $(seq 600); do
    pg_isready -q && break
    sleep 0.5
done
expect "server up under valgrind" "$(pg_isready -q && echo yes || echo no)" yes
expect "postmaster runs inside valgrind" \
    "$(as_postgres readlink "/proc/$(as_postgres head -n 1 "$CLUSTER_DIR/data/postmaster.pid")/exe" | grep -c memcheck)" 1

started=$(date +%s)
status=0
# The Makefile runs the suites on servers of their own (--temp-instance):
# here they must reach the server under valgrind (PGHOST, PGPORT), so the
# options are given without it (and with the databases the suites expect),
# and the TAP tests, which start their own servers, are left out.
make -s installcheck TAP_TESTS= \
    REGRESS_OPTS="--inputdir=build/regress --dbname=contrib_regression" \
    ISOLATION_OPTS="--inputdir=build/regress --dbname=isolation_regression" \
    >"$WORK_DIR/installcheck.out" 2>&1 || status=$?
grep -E '^(test |ok |not ok |# |.*tests? (passed|failed))' "$WORK_DIR/installcheck.out" | sed 's/^/   /'
expect "make installcheck under valgrind (in $(($(date +%s) - started)) s)" "$status" 0
if [ "$status" -ne 0 ] && [ -f regression.diffs ]; then
    head -n 40 regression.diffs | sed 's/^/      /'
fi
stop_valgrind

# records FILE: one paragraph per error in a valgrind log, from the error's
# first line to the end of its stacks.
records() {
    awk -v file="$(basename "$1")" '
        /^==[0-9]+== *$/ { if (rec != "") print rec "\n"; rec = ""; next }
        /^==[0-9]+== (Invalid|Conditional|Use of uninit|Syscall param|Mismatched|Source and destination|Argument|[0-9,]+ bytes in [0-9,]+ blocks are definitely lost)/ {
            rec = file ": " $0; next }
        rec != "" && /^==[0-9]+== / { rec = rec "\n" $0; next }
    ' "$1"
}
# ours RECORDS: the records whose stacks go through our code or libjwt.
ours() {
    awk -v RS= '/invite_api\.so|libjwt|(invite_api|jwt_verify|jwt_loader|invite_query|page_json|settings)\.c:/' "$1"
}

# The scan finds what it must: an error in our code, a leak from libjwt.
cat >"$WORK_DIR/1.log" <<'LOG'
==1== Invalid read of size 1
==1==    at 0x4849A44: strlen (vg_replace_strmem.c:494)
==1==    by 0x5A41B2C: screen_token (jwt_verify.c:140)
==1== 
==1== Conditional jump or move depends on uninitialised value(s)
==1==    at 0x4E0A010: hash_search_with_hash_value (in /usr/lib/postgresql/15/bin/postgres)
==1== 
==1== 64 bytes in 1 blocks are definitely lost in loss record 9 of 99
==1==    at 0x48407B4: malloc (vg_replace_malloc.c:381)
==1==    by 0x5C2D1A0: jwt_new (in /usr/lib/x86_64-linux-gnu/libjwt.so.0.7.0)
==1== 
LOG
records "$WORK_DIR/1.log" >"$WORK_DIR/1.records"
expect "the scan, on a made-up log: records, ours" \
    "$(grep -c '^1\.log: ' "$WORK_DIR/1.records"), $(ours "$WORK_DIR/1.records" | grep -c '^1\.log: ')" "3, 2"

logs=()
for f in $(as_postgres sh -c "ls '$vg_dir'/*.log"); do
    as_postgres cat "$f" >"$WORK_DIR/$(basename "$f")"
    logs+=("$WORK_DIR/$(basename "$f")")
done
all=$WORK_DIR/all.records
for f in "${logs[@]}"; do
    records "$f"
done >"$all"
if [ -n "${VALGRIND_KEEP:-}" ]; then
    mkdir -p "$VALGRIND_KEEP"
    cat "${logs[@]}" >"$VALGRIND_KEEP/valgrind.log"
fi
read -r reported suppressed < <(cat "${logs[@]}" |
    sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors from .* (suppressed: \([0-9]*\) from.*/\1 \2/p' |
    awk '{e += $1; s += $2} END {print e + 0, s + 0}')
echo "   ${#logs[@]} processes ran under valgrind: $reported errors reported, $suppressed suppressed"
if [ "${#logs[@]}" -gt 5 ]; then ok "valgrind logs: ${#logs[@]}"; else not_ok "valgrind logs: ${#logs[@]}"; fi
expect_none "errors through invite_api.so, libjwt or our code" "$(ours "$all" | head -n 60)"
# The rest is PostgreSQL's own: listed, by their first line.
{ grep '^[0-9]*\.log: ' "$all" || true; } | sed 's/^[0-9]*\.log: ==[0-9]*== //' | sort | uniq -c |
    sort -rn | head -n 10 | sed 's/^/   not ours, not suppressed: /'

summary
