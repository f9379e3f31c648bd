#!/usr/bin/env bash
# Nothing lost in a crash: pg_ctl -m immediate stop (every server process
# killed, no checkpoint), restart, crash recovery from the WAL.
#
#   1. After a checkpoint, changes are committed (a batch that splits runs,
#      deletes, moves, an event deleted, then 50 single invites one by one,
#      the last just before the crash), while another session has invited,
#      uninvited and moved in a transaction it leaves open.  After the
#      restart the tables and every page are exactly what was committed, the
#      open transaction left nothing, and the count and runs hold.
#   2. Writers (pgbench) invite, uninvite, move and write batches when the
#      server is killed under them.  After the restart the count and runs
#      hold and every page is right.
# Then the server takes writes again and stays right.
#
# The throwaway cluster runs with fsync = off: this is a crash of
# PostgreSQL, not of the machine (the kernel keeps what was written).
#
#   bash test/reliability/crash.sh
. "$(dirname "$0")/lib.sh"

echo "== crash: immediate shutdown and recovery"
start_cluster
new_database crash
export PGDATABASE=crash TOKEN_DB=crash
q -c "SELECT invite_test.load_community(6000, '{2500,600}')" >/dev/null
q -c "INSERT INTO invite_api.events VALUES (3, 'doomed'), (4, 'busy');
      INSERT INTO invite_api.event_managers VALUES (3, 1), (4, 1);
      INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
      SELECT 3, g, timestamptz '2025-03-01 00:00:00+00' FROM generate_series(2, 200) g"
tok=$(token 1)

# answers: what a new session sees (rows and pages of every event).
answers() {
    q -c "SELECT 'table ' || name || ' ' || rows || ' ' || digest FROM invite_test.table_digests()"
    q -c "SELECT 'pages ' || event_id || ' ' || pages || ' ' || digest
            FROM invite_test.page_digests(1, '$tok', 25, 7)"
}
# healthy WHAT: the count and runs hold, every page of every event is right.
healthy() {
    expect_none "$1: count and run faults" \
        "$(q -c "SELECT event_id || ': ' || fault FROM invite_test.position_faults()")"
    expect_none "$1: page faults (every event, offsets 0, 9, 18, ... past the end)" \
        "$(q -c "SELECT e.id || ' at ' || f.offset || ': ' || f.fault
                   FROM invite_api.events e,
                        LATERAL invite_test.page_faults(e.id, 25, ARRAY(SELECT generate_series(0,
                            (SELECT count(*) FROM invite_api.event_invites i WHERE i.event_id = e.id)::int + 25, 9)),
                            '$tok') f")"
}
# crash: kill the server (no checkpoint), start it, check it recovered.
crash() {
    local started
    started=$(q -c "SELECT pg_postmaster_start_time()")
    restart_cluster immediate
    expect "$1: a new postmaster" "$(q -c "SELECT pg_postmaster_start_time() <> '$started'")" t
    expect "$1: crash recovery ran" \
        "$(server_log | grep -c 'database system was not properly shut down; automatic recovery in progress')" "$2"
}

echo "-- 1. committed changes and an open transaction"
q -c "CHECKPOINT"
q <<'SQL'
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 1, g, 1, timestamptz '2025-01-01 03:00:00+00' + g * interval '1 ms'
  FROM generate_series(3001, 4400) g ON CONFLICT DO NOTHING;
DELETE FROM invite_api.event_invites WHERE event_id = 2 AND user_id % 5 = 0;
UPDATE invite_api.event_invites SET invited_at = invited_at + interval '2 hours'
 WHERE event_id = 1 AND user_id % 13 = 0;
DELETE FROM invite_api.events WHERE id = 3;
SQL

# The session reads its statements from a fifo that a sleeping process
# holds open, so that it waits, in its transaction, until that is killed.
fifo=$WORK_DIR/open.fifo
mkfifo "$fifo"
PGAPPNAME=left_open psql -X -q -v ON_ERROR_STOP=1 <"$fifo" >"$WORK_DIR/open.out" 2>&1 &
open_pid=$!
{
    cat <<'SQL'
BEGIN;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 2, g, 1, timestamptz '2025-01-01 01:00:00+00' + g * interval '1 s'
  FROM generate_series(4401, 5999) g ON CONFLICT DO NOTHING;
DELETE FROM invite_api.event_invites WHERE event_id = 1 AND user_id % 3 = 0;
UPDATE invite_api.event_invites SET invited_at = '2024-06-01' WHERE event_id = 4;
INSERT INTO invite_api.events VALUES (99, 'never committed');
SQL
    exec sleep 600
} >"$fifo" &
holder_pid=$!
on_exit 'kill $holder_pid 2>/dev/null; wait $open_pid 2>/dev/null'
for _ in $(seq 100); do
    [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'left_open' AND state = 'idle in transaction'")" = 1 ] && break
    sleep 0.1
done
expect "a transaction left open" "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'left_open' AND state = 'idle in transaction'")" 1

# 50 single invites, each committed before the next is sent.
q -c "SELECT format('INSERT INTO invite_api.event_invites (event_id, user_id, invited_by) VALUES (4, %s, 1);', g)
        FROM generate_series(5001, 5050) g" | psql -X -q -v ON_ERROR_STOP=1 >/dev/null
expected=$(answers)
echo "   committed: $(q -c "SELECT count(*) || ' invites in ' || count(DISTINCT event_id) || ' events' FROM invite_api.event_invites"), $(q -c "SELECT count(*) FROM invite_api.invite_runs") runs; the last invite $(q -c "SELECT max(user_id) FROM invite_api.event_invites WHERE event_id = 4") to event 4"
crash "first crash" 1
kill "$holder_pid"
wait "$open_pid" 2>/dev/null || true
if diff <(echo "$expected") <(answers) >"$WORK_DIR/diff"; then
    ok "after recovery: the same rows and pages as committed ($(echo "$expected" | awk '/^pages/ {n += $3} END {print n}') pages)"
else
    not_ok "after recovery: rows or pages differ:"
    head -n 20 "$WORK_DIR/diff" | sed 's/^/      /'
fi
expect "the open transaction's rows" \
    "$(q -c "SELECT (SELECT count(*) FROM invite_api.events WHERE id = 99)
                    + (SELECT count(*) FROM invite_api.event_invites
                        WHERE event_id = 2 AND invited_at = timestamptz '2025-01-01 01:00:00+00' + user_id * interval '1 s')
                    + (SELECT count(*) FROM invite_api.event_invites WHERE event_id = 4 AND invited_at = '2024-06-01')")" 0
expect "the last single invites" "$(q -c "SELECT count(*) FROM invite_api.event_invites WHERE event_id = 4 AND user_id BETWEEN 5001 AND 5050")" 50
healthy "after the first crash"

echo "-- 2. killed under writers"
q -c "INSERT INTO invite_api.events VALUES (3, 'again'); INSERT INTO invite_api.event_managers VALUES (3, 1)" >/dev/null
before=$(q -c "SELECT xact_commit FROM pg_stat_database WHERE datname = 'crash'")
USERS=6000
pgbench -n -c 4 -j 2 -T 30 -D users=$USERS -D range=$(((USERS - 1) / 4)) \
    -f test/reliability/soak/invite.sql@3 \
    -f test/reliability/soak/uninvite.sql@3 \
    -f test/reliability/soak/move.sql@1 \
    -f test/reliability/soak/batch_invite.sql@1 \
    -f test/reliability/soak/batch_uninvite.sql@1 \
    >"$WORK_DIR/pgbench.log" 2>&1 &
bench_pid=$!
on_exit 'kill $bench_pid 2>/dev/null'
sleep 4
writes=$(($(q -c "SELECT xact_commit FROM pg_stat_database WHERE datname = 'crash'") - before))
crash "second crash" 2
wait "$bench_pid" 2>/dev/null || true
echo "   about $writes transactions committed before the kill; pgbench: $(grep -c -E 'aborted|terminat|connection' "$WORK_DIR/pgbench.log" || true) messages of lost connections"
healthy "after the second crash"

echo "-- 3. and it goes on"
q -c "INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
      SELECT 2, g, 1, timestamptz '2025-01-01 02:00:00+00' FROM generate_series(2, 2600) g ON CONFLICT DO NOTHING;
      DELETE FROM invite_api.event_invites WHERE event_id = 1 AND user_id % 4 = 1;" >/dev/null
healthy "after more writes"

summary
