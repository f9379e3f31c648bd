#!/usr/bin/env bash
# Read replicas: a streaming hot standby of the throwaway primary, made with
# pg_basebackup -R and started on its own socket directory and port, serves
# the same pages as the primary.
#
#   0. Settings are not replicated: without invite_api.jwt_secret in its own
#      postgresql.conf the standby refuses with 55000; with it, it answers.
#   1. Right after the base backup, and 2. after changes on the primary
#      (batches, deletes, moves, an event added and one deleted, the runs
#      rebuilt), once the standby has replayed up to the primary's WAL
#      position: the same rows, the same pages of every event (digests), the
#      count and runs hold on the standby.
#   3. While pgbench writers churn the primary, pgbench readers on the
#      standby check each page against the ground truth in their snapshot
#      (no error allowed); then, caught up, the same answers again.
#
#   bash test/reliability/standby.sh
. "$(dirname "$0")/lib.sh"

STANDBY_PORT=5433

echo "== standby: streaming replication, reads on the standby"
start_cluster "max_connections = 30"
new_database rep
export PGDATABASE=rep TOKEN_DB=rep
q -c "SELECT invite_test.load_community(6000, '{2500,700,50}')" >/dev/null
q -c "INSERT INTO invite_api.events VALUES (4, 'empty'), (5, 'doomed');
      INSERT INTO invite_api.event_managers VALUES (4, 1), (5, 1);
      INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
      SELECT 5, g, timestamptz '2025-03-01 00:00:00+00' FROM generate_series(2, 300) g" >/dev/null
tok=$(token 1)

standby_dir=$CLUSTER_DIR/standby
standby_host=$CLUSTER_DIR/standby_socket
as_postgres mkdir -m 700 "$standby_host"
as_postgres pg_basebackup -h "$PGHOST" -p "$PGPORT" -U postgres -D "$standby_dir" -R -X stream -c fast
# Its own socket directory and port; the secret removed, to show that it
# must be configured on the standby itself.
{
    echo "port = $STANDBY_PORT"
    echo "unix_socket_directories = '$standby_host'"
} | as_postgres tee -a "$standby_dir/postgresql.conf" >/dev/null
as_postgres sed -i '/^invite_api.jwt_secret/d' "$standby_dir/postgresql.conf"
as_postgres "$PG_BIN/pg_ctl" -D "$standby_dir" -l "$CLUSTER_DIR/standby.log" -w start >/dev/null
on_exit 'as_postgres "$PG_BIN/pg_ctl" -D "$standby_dir" -m fast -w stop >/dev/null'

on_standby() {
    PGHOST=$standby_host PGPORT=$STANDBY_PORT q "$@"
}
expect "standby in recovery" "$(on_standby -c "SELECT pg_is_in_recovery()")" t
expect "standby streaming from the primary" "$(q -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" 1

# catch_up: wait until the standby has replayed the primary's WAL so far.
catch_up() {
    local lsn
    lsn=$(q -c "SELECT pg_current_wal_lsn()")
    for _ in $(seq 300); do
        [ "$(on_standby -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn")" = t ] && break
        sleep 0.1
    done
    expect "$1: standby replayed up to $lsn" "$(on_standby -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn")" t
}
answers() {
    "$@" -c "SELECT 'table ' || name || ' ' || rows || ' ' || digest FROM invite_test.table_digests()"
    "$@" -c "SELECT 'pages ' || event_id || ' ' || pages || ' ' || digest
               FROM invite_test.page_digests(1, '$tok', 25, 7)"
    "$@" -c "SELECT 'pages ' || event_id || ' ' || pages || ' ' || digest
               FROM invite_test.page_digests(1, '$tok', 100, 61)"
}
# same WHAT: the standby answers what the primary does, its positions hold.
same() {
    local primary
    primary=$(answers q)
    if diff <(echo "$primary") <(answers on_standby) >"$WORK_DIR/diff" 2>&1; then
        ok "$1: same rows ($(echo "$primary" | awk '/^table/ {printf "%s%s %s", sep, $2, $3; sep=", "}')) and same pages ($(echo "$primary" | awk '/^pages/ {n += $3} END {print n}'))"
    else
        not_ok "$1: rows or pages differ:"
        head -n 20 "$WORK_DIR/diff" | sed 's/^/      /'
    fi
    expect_none "$1: count and run faults on the standby" \
        "$(on_standby -c "SELECT event_id || ': ' || fault FROM invite_test.position_faults()")"
}

echo "-- 0. the secret"
catch_up "base backup"
expect "standby without the secret" \
    "$(on_standby -v VERBOSITY=sqlstate -c "SELECT invite_api.event_invites_page(1, 5, 0, '$tok')" 2>&1 || true)" \
    "ERROR:  55000"
echo "invite_api.jwt_secret = '$SECRET'" | as_postgres tee -a "$standby_dir/postgresql.conf" >/dev/null
on_standby -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
expect "standby with the secret in its postgresql.conf: count of event 1" \
    "$(on_standby -c "SELECT invite_api.event_invites_page(1, 5, 0, '$tok') -> 'count'")" \
    "$(q -c "SELECT count(*) FROM invite_api.event_invites WHERE event_id = 1")"

echo "-- 1. after the base backup"
same "after the base backup"

echo "-- 2. after changes on the primary"
q <<'SQL' >/dev/null
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 1, g, 1, timestamptz '2025-01-01 02:00:00+00' + g * interval '1 ms'
  FROM generate_series(2, 5999) g ON CONFLICT DO NOTHING;
DELETE FROM invite_api.event_invites WHERE event_id = 2 AND user_id % 3 = 0;
UPDATE invite_api.event_invites SET invited_at = invited_at - interval '1 day'
 WHERE event_id = 1 AND user_id % 17 = 0;
INSERT INTO invite_api.events VALUES (6, 'new');
INSERT INTO invite_api.event_managers VALUES (6, 1);
INSERT INTO invite_api.event_invites (event_id, user_id) SELECT 6, g FROM generate_series(2, 40) g;
DELETE FROM invite_api.events WHERE id = 5;
SELECT invite_api.rebuild_invite_positions();
SQL
catch_up "changes"
same "after changes"

echo "-- 3. writers on the primary, readers on the standby"
USERS=6000
pgbench -n -c 3 -j 1 -T 10 -D users=$USERS -D range=$(((USERS - 1) / 3)) \
    -f test/reliability/soak/invite.sql@3 \
    -f test/reliability/soak/uninvite.sql@3 \
    -f test/reliability/soak/move.sql@1 \
    -f test/reliability/soak/batch_invite.sql@1 \
    -f test/reliability/soak/batch_uninvite.sql@1 \
    >"$WORK_DIR/writers.log" 2>&1 &
writers=$!
on_exit 'kill $writers 2>/dev/null'
status=0
PGHOST=$standby_host PGPORT=$STANDBY_PORT pgbench -n -M prepared -c 2 -j 1 -T 10 -D tok="$tok" \
    -f test/reliability/soak/read.sql >"$WORK_DIR/readers.log" 2>&1 || status=$?
writers_status=0
wait "$writers" || writers_status=$?
expect "writers: pgbench exit status" "$writers_status" 0
expect "writers: failed transactions" "$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$WORK_DIR/writers.log")" 0
expect "readers on the standby: pgbench exit status" "$status" 0
expect "readers on the standby: failed transactions" "$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$WORK_DIR/readers.log")" 0
expect_none "readers on the standby: errors" "$(grep -E 'aborted|ERROR' "$WORK_DIR/readers.log" | head -n 5 || true)"
echo "   writes on the primary: $(sed -n 's/^number of transactions actually processed: //p' "$WORK_DIR/writers.log"), checked reads on the standby: $(sed -n 's/^number of transactions actually processed: //p' "$WORK_DIR/readers.log")"
catch_up "churn"
same "after churn"

summary
