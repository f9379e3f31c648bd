#!/usr/bin/env bash
# Load and churn: pgbench clients mix reads of the endpoint (any event, any
# offset, any limit, each checked against the ground truth in its own
# snapshot) with invites, uninvites, moves in time and batches of 300 on the
# same four events.  Passes when pgbench exits 0 with no failed transaction
# and the server logged no error, and afterwards every event's count equals
# its rows, the runs hold what they say, and every page is right.
#
#   bash test/reliability/soak.sh                                  ~45 s (CI)
#   SOAK_SECS=1800 SOAK_CLIENTS=8 bash test/reliability/soak.sh    the long run
#
# Environment: SOAK_SECS (30), SOAK_CLIENTS (4), SOAK_USERS (12000),
# SOAK_RUN_SIZE (50): the soak's database shrinks invite_run_size() from
# the shipped 1000 to this, so that runs split and merge all the time (the
# code is the same; 1000 tests the shipped constant).
. "$(dirname "$0")/lib.sh"

SECS=${SOAK_SECS:-30}
CLIENTS=${SOAK_CLIENTS:-4}
USERS=${SOAK_USERS:-12000}
RUN_SIZE=${SOAK_RUN_SIZE:-50}
RANGE=$(((USERS - 1) / CLIENTS))
if [ "$RANGE" -lt 300 ]; then
    echo "SOAK_USERS must give each client at least 300 users" >&2
    exit 2
fi

echo "== soak: $CLIENTS clients for $SECS s, $USERS users, runs of $RUN_SIZE"
start_cluster "max_connections = $((CLIENTS + 20))"
new_database soak
export PGDATABASE=soak TOKEN_DB=soak
q -c "SELECT invite_test.load_community($USERS, '{3000,1200,300}');
      INSERT INTO invite_api.events VALUES (4, 'starts empty');
      INSERT INTO invite_api.event_managers VALUES (4, 1);" >/dev/null
q -c "CREATE OR REPLACE FUNCTION invite_api.invite_run_size() RETURNS integer
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT $RUN_SIZE';
      SELECT invite_api.rebuild_invite_positions();" >/dev/null
q -c "VACUUM ANALYZE"
expect "faults before" "$(q -c "SELECT count(*) FROM invite_test.position_faults()")" 0
tok=$(token 1)
runs_before=$(q -c "SELECT n_tup_ins || ' ' || n_tup_del FROM pg_stat_user_tables WHERE relid = 'invite_api.invite_runs'::regclass")

log=$WORK_DIR/pgbench.log
# Errors in the server log, but for autovacuum giving way to a lock.
server_errors() {
    server_log | grep 'ERROR' | grep -vc 'canceling autovacuum task' || true
}
errors_before=$(server_errors)
status=0
pgbench -n -M prepared -c "$CLIENTS" -j 2 -T "$SECS" \
    -D tok="$tok" -D users="$USERS" -D range="$RANGE" \
    -f test/reliability/soak/read.sql@6 \
    -f test/reliability/soak/invite.sql@3 \
    -f test/reliability/soak/uninvite.sql@3 \
    -f test/reliability/soak/move.sql@1 \
    -f test/reliability/soak/batch_invite.sql@1 \
    -f test/reliability/soak/batch_uninvite.sql@1 \
    >"$log" 2>&1 || status=$?

echo "-- pgbench"
grep -E '^(number of (transactions actually processed|failed transactions)|tps|latency average)' "$log" |
    sed 's/^/   /'
awk '/^SQL script [0-9]+:/ { n = split($4, p, "/"); name = p[n] }
     /^ - [0-9]+ transactions/ && name { printf "   %-20s %s transactions\n", name, $2; name = "" }' "$log"
expect "pgbench exit status" "$status" 0
processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$log")
failed_tx=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$log")
if [ "${processed:-0}" -gt 0 ]; then ok "transactions: $processed"; else not_ok "transactions: ${processed:-none}"; fi
expect "failed transactions" "${failed_tx:-missing}" 0
expect_none "clients aborted" "$(grep -E 'aborted|ERROR' "$log" | head -n 5 || true)"
expect "errors in the server log" "$(($(server_errors) - errors_before))" 0

echo "-- afterwards"
q -c "SELECT '   event ' || e.id || ': ' || coalesce(c.invites, 0) || ' counted, '
             || (SELECT count(*) FROM invite_api.event_invites i WHERE i.event_id = e.id) || ' rows, '
             || (SELECT count(*) FROM invite_api.invite_runs r WHERE r.event_id = e.id) || ' runs'
        FROM invite_api.events e LEFT JOIN invite_api.invite_counts c ON c.event_id = e.id ORDER BY e.id"
runs_after=$(q -c "SELECT n_tup_ins || ' ' || n_tup_del FROM pg_stat_user_tables WHERE relid = 'invite_api.invite_runs'::regclass")
split=$(($(echo "$runs_after" | cut -d' ' -f1) - $(echo "$runs_before" | cut -d' ' -f1)))
merged=$(($(echo "$runs_after" | cut -d' ' -f2) - $(echo "$runs_before" | cut -d' ' -f2)))
echo "   runs created by splits: $split, removed by merges: $merged"
expect_none "count and run faults" "$(q -c "SELECT event_id || ': ' || fault FROM invite_test.position_faults()")"
expect_none "runs too big" "$(q -c "SELECT event_id || ': ' || fault FROM invite_test.run_size_faults() WHERE fault LIKE 'too big%'")"
# Splits leave runs of one to two run sizes and merges fold away those
# below a quarter: no other run may be that small.
expect "runs too small" \
    "$(q -c "SELECT count(*) FROM invite_test.run_size_faults() WHERE fault LIKE 'too small%'")" 0
expect_none "page faults (every event, offsets 0, 7, 14, ... past the end, limit 25)" \
    "$(q -c "SELECT e.id || ' at ' || f.offset || ': ' || f.fault
               FROM invite_api.events e,
                    LATERAL invite_test.page_faults(e.id, 25, ARRAY(SELECT generate_series(0,
                        (SELECT count(*) FROM invite_api.event_invites i WHERE i.event_id = e.id)::int + 25, 7)),
                        '$tok') f")"
expect "counts differing from a rebuild's" \
    "$(q -c "CREATE TEMP TABLE kept AS SELECT * FROM invite_api.invite_counts;
             SELECT invite_api.rebuild_invite_positions();
             SELECT count(*) FROM kept k FULL JOIN invite_api.invite_counts c USING (event_id)
              WHERE k.invites IS DISTINCT FROM c.invites" | tail -n 1)" 0

summary
