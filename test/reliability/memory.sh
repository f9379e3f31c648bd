#!/usr/bin/env bash
# No memory growth: tens of thousands of calls in ONE backend, valid tokens
# on pages all over a 20,000-invite event and refused tokens of every kind
# (8 KB ones that reach libjwt, over 8 KB, megabytes), each its own
# statement as a client would send them, then calls whose errors PL/pgSQL
# catches.  The backend's memory is sampled after a warm-up and along the
# way: resident memory from /proc/<pid>/status (VmRSS, and RssAnon, which
# leaves out the shared buffers it touches) and the total of its memory
# contexts.  Fails when either grows beyond a small tolerance, when a call
# gets another answer than it should, or when the backend changed.
#
#   bash test/reliability/memory.sh
#   MEMORY_ROUNDS=2000 bash test/reliability/memory.sh      longer run
#
# Environment: MEMORY_ROUNDS (400) rounds of every call after a warm-up of
# MEMORY_WARMUP (40); MEMORY_CAUGHT (10000) calls in PL/pgSQL; allowed
# growth: MEMORY_ANON_TOLERANCE_KB (256) of RssAnon, MEMORY_RSS_TOLERANCE_KB
# (1024) of VmRSS, MEMORY_CONTEXT_TOLERANCE (32768) bytes of the contexts.
#
# The server runs with glibc's mmap threshold fixed at 128 kB.  By default
# glibc raises it to the size of the largest block freed, so after the first
# multi-megabyte token the buffers of the next ones come from the heap, and
# the heap's high-water mark creeps up with fragmentation: about 1.3 MB over
# 236,000 statements, in steps, with memory contexts flat (measured; it is
# the same for any large text argument).  Fixed, large blocks go back to the
# kernel when freed, and what remains in the RSS is what the backend keeps.
. "$(dirname "$0")/lib.sh"

ROUNDS=${MEMORY_ROUNDS:-400}
WARMUP=${MEMORY_WARMUP:-40}
CAUGHT=${MEMORY_CAUGHT:-10000}
ANON_TOLERANCE_KB=${MEMORY_ANON_TOLERANCE_KB:-256}
RSS_TOLERANCE_KB=${MEMORY_RSS_TOLERANCE_KB:-1024}
CONTEXT_TOLERANCE=${MEMORY_CONTEXT_TOLERANCE:-32768}

echo "== memory: $ROUNDS rounds after $WARMUP of warm-up, then $CAUGHT caught calls"
start_cluster
restart_cluster fast MALLOC_MMAP_THRESHOLD_=131072
new_database mem
export PGDATABASE=mem
q -c "SELECT invite_test.load_community(30000, '{20000,100}')" >/dev/null
q -c "ANALYZE"
# Event 3 exists, managed by user 2 only.
q -c "INSERT INTO invite_api.events VALUES (3, 'not yours');
      INSERT INTO invite_api.event_managers VALUES (3, 2)"

# Every call of a round: the arguments and what it must give ("ok" or an
# SQLSTATE).
q <<SQL
CREATE TABLE mem_call (id serial PRIMARY KEY, kind text, event bigint, lim int, off int,
                       token text, want text);
CREATE FUNCTION mem_sign(payload text, alg text DEFAULT 'HS256') RETURNS text
LANGUAGE sql AS \$\$ SELECT invite_test.sign(payload::json, alg => alg) \$\$;
CREATE FUNCTION mem_sign_raw(header text, payload text) RETURNS text LANGUAGE sql AS \$\$
    SELECT invite_test.sign_raw(header, payload)
\$\$;

-- Valid tokens on pages from the first to past the end.
INSERT INTO mem_call (kind, event, lim, off, token, want)
SELECT 'valid ' || t.name, e.event, l.lim, o.off, t.token, 'ok'
  FROM (VALUES ('HS256', mem_sign('{"user_id": 1, "exp": 4102444800}')),
               ('HS384', mem_sign('{"user_id": 1, "exp": 4102444800}', 'HS384')),
               ('HS512', mem_sign('{"user_id": 1, "exp": 4102444800}', 'HS512')),
               ('platform', 'Bearer ' || mem_sign('{"token_type": "access", "exp": 4102444800, "iat": 1732000000, "jti": "5f0c3e8a9b7d4c2e8f1a6b3c9d0e7f21", "user_id": 1}')),
               ('string id', mem_sign('{"user_id": "1", "nbf": 1700000000.5, "exp": 4102444800.5}'))) t(name, token),
       (VALUES (1), (2)) e(event), (VALUES (20), (100)) l(lim),
       (VALUES (0), (999), (1000), (10037), (19990), (20000), (25000)) o(off)
 WHERE e.event = 1 OR o.off < 200;

-- Refused tokens of every kind, and the other errors.
INSERT INTO mem_call (kind, event, lim, off, token, want) VALUES
    ('no token', 1, 20, 0, NULL, '28000'),
    ('empty token', 1, 20, 0, '', '28000'),
    ('Bearer alone', 1, 20, 0, 'Bearer ', '28000'),
    ('8 KB + 1', 1, 20, 0, repeat('a', 4092) || '.' || repeat('b', 4095) || '.aaaa', '28000'),
    ('8 KB to libjwt', 1, 20, 0, repeat('a', 4092) || '.' || repeat('b', 4094) || '.aaaa', '28000'),
    ('8 KB signed', 1, 20, 0, mem_sign('{"user_id": 1, "exp": 4102444800, "pad": "' || repeat('x', 5880) || '"}'), 'ok'),
    ('8 KB signed, no user', 1, 20, 0, mem_sign('{"pad": "' || repeat('x', 5900) || '"}'), '28000'),
    ('2 MB payload', 1, 20, 0, 'eyJhbGciOiJIUzI1NiJ9.' || repeat('eyJ1', 512 * 1024) || '.abcd', '28000'),
    ('4 MB Bearer', 1, 20, 0, 'Bearer ' || repeat('x', 4 * 1024 * 1024), '28000'),
    ('two parts', 1, 20, 0, 'abcd.abcd', '28000'),
    ('empty segment', 1, 20, 0, 'abcd..abcd', '28000'),
    ('bad character', 1, 20, 0, 'ab+d.abcd.abcd', '28000'),
    ('padding', 1, 20, 0, mem_sign('{"user_id": 1, "exp": 4102444800}') || '=', '28000'),
    ('non-ASCII', 1, 20, 0, 'é' || mem_sign('{"user_id": 1, "exp": 4102444800}'), '28000'),
    ('wrong secret', 1, 20, 0, invite_test.sign('{"user_id": 1, "exp": 4102444800}', 'another-secret-0123456789-abcdefgh'), '28000'),
    ('tampered payload', 1, 20, 0, split_part(mem_sign('{"user_id": 1, "exp": 4102444800}'), '.', 1) || '.'
        || split_part(mem_sign('{"user_id": 2, "exp": 4102444800}'), '.', 2) || '.' || split_part(mem_sign('{"user_id": 1, "exp": 4102444800}'), '.', 3), '28000'),
    ('signature cut', 1, 20, 0, left(mem_sign('{"user_id": 1, "exp": 4102444800}'), -3), '28000'),
    ('alg none', 1, 20, 0, invite_test.b64url('{"alg":"none"}') || '.' || invite_test.b64url('{"user_id":1}') || '.', '28000'),
    ('alg none, signed', 1, 20, 0, mem_sign_raw('{"alg":"none"}', '{"user_id": 1}'), '28000'),
    ('alg RS256', 1, 20, 0, mem_sign_raw('{"alg":"RS256","typ":"JWT"}', '{"user_id": 1}'), '28000'),
    ('alg hs256', 1, 20, 0, mem_sign_raw('{"alg":"hs256","typ":"JWT"}', '{"user_id": 1}'), '28000'),
    ('crit', 1, 20, 0, mem_sign_raw('{"alg":"HS256","crit":["exp"]}', '{"user_id": 1}'), '28000'),
    ('header not JSON', 1, 20, 0, mem_sign_raw('{"alg":"HS256"', '{"user_id": 1}'), '28000'),
    ('payload not JSON', 1, 20, 0, mem_sign_raw('{"alg":"HS256"}', '{"user_id": 1'), '28000'),
    ('payload an array', 1, 20, 0, mem_sign('[{"user_id": 1}]'), '28000'),
    ('claim twice', 1, 20, 0, mem_sign_raw('{"alg":"HS256"}', '{"user_id": 2, "user_id": 1}'), '28000'),
    ('deep nesting', 1, 20, 0, mem_sign_raw('{"alg":"HS256"}', repeat('[', 2000) || repeat(']', 2000)), '28000'),
    ('expired', 1, 20, 0, mem_sign('{"user_id": 1, "exp": 1700000000}'), '28000'),
    ('no exp', 1, 20, 0, mem_sign('{"user_id": 1}'), '28000'),
    ('refresh token', 1, 20, 0, mem_sign('{"token_type": "refresh", "exp": 4102444800, "user_id": 1}'), '28000'),
    ('token_type not a string', 1, 20, 0, mem_sign('{"token_type": ["access"], "exp": 4102444800, "user_id": 1}'), '28000'),
    ('exp not a number', 1, 20, 0, mem_sign('{"user_id": 1, "exp": "4102444800"}'), '28000'),
    ('not yet valid', 1, 20, 0, mem_sign('{"user_id": 1, "nbf": 4102444800}'), '28000'),
    ('no user claim', 1, 20, 0, mem_sign('{"sub": "1"}'), '28000'),
    ('user id fractional', 1, 20, 0, mem_sign('{"user_id": 1.5}'), '28000'),
    ('user id beyond bigint', 1, 20, 0, mem_sign('{"user_id": "9223372036854775808"}'), '28000'),
    ('not a manager', 3, 20, 0, mem_sign('{"user_id": 1, "exp": 4102444800}'), '42501'),
    ('no such event', 99, 20, 0, mem_sign('{"user_id": 1, "exp": 4102444800}'), 'P0002'),
    ('limit 0', 1, 0, 0, mem_sign('{"user_id": 1, "exp": 4102444800}'), '22023'),
    ('offset -1', 1, 20, -1, mem_sign('{"user_id": 1, "exp": 4102444800}'), '22023'),
    ('event NULL', NULL, 20, 0, mem_sign('{"user_id": 1, "exp": 4102444800}'), '22004');

-- A call as its own statement, as a client sends it: prints t, or fails.
CREATE FUNCTION mem_statement(c mem_call) RETURNS text LANGUAGE sql AS \$\$
    SELECT format('SELECT invite_api.event_invites_page(event, lim, off, token) IS NOT NULL'
                  ' FROM mem_call WHERE id = %s', c.id)
\$\$;

-- The same calls, n times over, their errors caught: what each got.
CREATE FUNCTION mem_caught(n int) RETURNS TABLE (want text, got text, calls bigint)
LANGUAGE plpgsql AS \$\$
DECLARE
    c mem_call;
    got text;
    result jsonb;
    tally jsonb := '{}';
BEGIN
    FOR i IN 1..n LOOP
        SELECT * INTO c FROM mem_call WHERE id = 1 + i % (SELECT max(id) FROM mem_call);
        BEGIN
            result := invite_api.event_invites_page(c.event, c.lim, c.off, c.token);
            got := 'ok';
        EXCEPTION WHEN OTHERS THEN
            got := SQLSTATE;
        END;
        tally := jsonb_set(tally, ARRAY[c.want || '/' || got],
                           to_jsonb(coalesce((tally ->> (c.want || '/' || got))::bigint, 0) + 1));
    END LOOP;
    RETURN QUERY SELECT split_part(k, '/', 1), split_part(k, '/', 2), v::bigint FROM jsonb_each_text(tally) AS t(k, v);
END;
\$\$;
SQL

calls_per_round=$(q -c "SELECT count(*) FROM mem_call")
echo "   $calls_per_round calls a round: $(q -c "SELECT count(*) FILTER (WHERE want = 'ok') || ' valid, '
    || count(*) FILTER (WHERE want = '28000') || ' refused tokens (28000), '
    || count(*) FILTER (WHERE want NOT IN ('ok', '28000')) || ' other errors'
    || ', the longest token ' || max(length(token)) || ' bytes' FROM mem_call")"

# One session: warm-up, samples between quarters of the rounds, the caught
# calls, a last sample.  Each call's "t" goes to stdout, each error's
# SQLSTATE to stderr.
out=$WORK_DIR/memory.out
err=$WORK_DIR/memory.err
quarter=$(((ROUNDS + 3) / 4))
{
    echo '\set VERBOSITY sqlstate'
    echo "SELECT 'postmaster ' || pg_postmaster_start_time();"
    echo "SELECT mem_statement(c) FROM generate_series(1, $WARMUP) r, mem_call c ORDER BY r, md5(r || '.' || c.id) \\gexec"
    echo "SELECT 'sample warm ' || concat_ws(' ', m.pid, m.vm_rss_kb, m.rss_anon_kb, m.context_bytes) FROM invite_test.backend_memory() m;"
    for part in 1 2 3 4; do
        echo "SELECT mem_statement(c) FROM generate_series(1, $quarter) r, mem_call c ORDER BY r, md5(r || '.' || c.id) \\gexec"
        echo "SELECT 'sample $part/4 ' || concat_ws(' ', m.pid, m.vm_rss_kb, m.rss_anon_kb, m.context_bytes) FROM invite_test.backend_memory() m;"
    done
    echo "SELECT 'caught ' || want || ' ' || got || ' ' || calls FROM mem_caught($((CAUGHT / 10)));"
    echo "SELECT 'sample caught-warm ' || concat_ws(' ', m.pid, m.vm_rss_kb, m.rss_anon_kb, m.context_bytes) FROM invite_test.backend_memory() m;"
    echo "SELECT 'caught ' || want || ' ' || got || ' ' || calls FROM mem_caught($CAUGHT);"
    echo "SELECT 'sample caught ' || concat_ws(' ', m.pid, m.vm_rss_kb, m.rss_anon_kb, m.context_bytes) FROM invite_test.backend_memory() m;"
    echo "SELECT 'postmaster ' || pg_postmaster_start_time();"
} | psql -X -q -At -v ON_ERROR_STOP=0 >"$out" 2>"$err"

rounds=$((WARMUP + 4 * quarter))
calls=$((rounds * calls_per_round))

echo "-- calls as statements: $calls ($rounds rounds)"
want_line() { q -c "SELECT $rounds * count(*) FROM mem_call WHERE want = '$1'"; }
expect "valid calls answered" "$(grep -c '^t$' "$out" || true)" "$(want_line ok)"
for state in 28000 42501 P0002 22023 22004; do
    expect "calls refused with $state" "$(grep -c "ERROR:  $state\$" "$err" || true)" "$(want_line $state)"
done
others=$(grep -v -E "ERROR:  (28000|42501|P0002|22023|22004)\$" "$err" | sort | uniq -c | head -n 5 || true)
expect_none "other errors or messages" "$others"

echo "-- caught in PL/pgSQL: $((CAUGHT / 10)) of warm-up, then $CAUGHT calls"
expect_none "calls that got another answer" "$(grep '^caught ' "$out" | awk '$2 != $3')"

echo "-- the backend"
expect "backends that served the calls" "$(grep '^sample ' "$out" | awk '{print $3}' | sort -u | wc -l)" 1
expect "postmaster restarts" "$(grep '^postmaster ' "$out" | sort -u | wc -l)" 1

echo "-- memory (VmRSS kB, RssAnon kB, memory contexts bytes)"
grep '^sample ' "$out" | awk '{printf "   %-11s VmRSS %7d kB   RssAnon %7d kB   contexts %9d B\n", $2, $4, $5, $6}'
# sample LABEL FIELD: that sample's field (4 VmRSS, 5 RssAnon, 6 contexts).
sample() { grep "^sample $1 " "$out" | awk -v f="$2" '{print $f}'; }
grows() { # grows WHAT FROM TO TOLERANCE UNIT
    local from=$2 to=$3
    if [ -z "$from" ] || [ -z "$to" ]; then
        not_ok "$1: no sample"
    elif [ $((to - from)) -le "$4" ]; then
        ok "$1: $from -> $to $5 (+$((to - from)), tolerance $4)"
    else
        not_ok "$1: $from -> $to $5 (+$((to - from)), tolerance $4)"
    fi
}
grows "VmRSS over $((4 * quarter * calls_per_round)) statements" "$(sample warm 4)" "$(sample 4/4 4)" "$RSS_TOLERANCE_KB" kB
grows "RssAnon over $((4 * quarter * calls_per_round)) statements" "$(sample warm 5)" "$(sample 4/4 5)" "$ANON_TOLERANCE_KB" kB
grows "memory contexts over $((4 * quarter * calls_per_round)) statements" "$(sample warm 6)" "$(sample 4/4 6)" "$CONTEXT_TOLERANCE" B
grows "VmRSS over $CAUGHT caught calls" "$(sample caught-warm 4)" "$(sample caught 4)" "$RSS_TOLERANCE_KB" kB
grows "RssAnon over $CAUGHT caught calls" "$(sample caught-warm 5)" "$(sample caught 5)" "$ANON_TOLERANCE_KB" kB
grows "memory contexts over $CAUGHT caught calls" "$(sample caught-warm 6)" "$(sample caught 6)" "$CONTEXT_TOLERANCE" B

summary
