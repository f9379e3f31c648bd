#!/usr/bin/env bash
# The invite_api benchmark: the installed extension beside the same endpoint
# written in plain SQL (bench/plain.sql), on a throwaway cluster, printed as
# Markdown tables (stdout and the result file).  See bench/README.md.
#
#   bash bench/run.sh                  full run, about 25 minutes
#   BENCH_QUICK=1 bash bench/run.sh    smoke test: less data, short runs
#
# Environment (defaults in brackets, quick mode's second):
#   BENCH_SKIP_INSTALL=1  measure the extension already installed: no
#                         "make && make install"
#   BENCH_SECS            seconds of each latency run [5 | -]
#   BENCH_READ_CALLS      calls of each latency run instead [- | 100]
#   BENCH_PLAIN_CALLS     calls of the plain implementation per page of the
#                         largest event, instead of BENCH_SECS [5 | 3]
#   BENCH_TPS_SECS        seconds of each throughput run [6 | 3]
#   BENCH_TPS_REPEAT      throughput runs per case, median taken [3 | 1]
#   BENCH_WRITE_REPEAT    runs of each bulk write case, median taken [5 | 1]
#   BENCH_COPY_REPEAT     runs of the COPY case, median taken [3 | 1]
#   BENCH_COPY_ROWS       rows of the COPY case [1000000 | 50000]
#   BENCH_CALLS           calls per run of 1, 100 and 1,000 users
#                         ["2000 500 100" | "200 50 10"]
#   BENCH_CALL_REPEAT     runs of each invite/uninvite call case [3 | 1]
#   BENCH_WRITE_CLIENTS   clients of the concurrent writes [8]
#   BENCH_USERS           users [10000000 | 100000]
#   BENCH_SIZES           invites of each event, smallest first; the last
#                         two are measured "at size"
#                         ["100 10000 1000000 10000000" | "100 10000 50000 100000"]
#   BENCH_OUT             result file [bench/results/latest.md |
#                         bench/results/quick.md]
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${BENCH_QUICK:-0}" = 1 ]; then
    quick=1
else
    quick=0
fi
pick() { if [ "$quick" = 1 ]; then echo "$2"; else echo "$1"; fi; }

SECS=${BENCH_SECS:-5}
READ_CALLS=${BENCH_READ_CALLS:-$(pick "" 100)}
PLAIN_CALLS=${BENCH_PLAIN_CALLS:-$(pick 5 3)}
TPS_SECS=${BENCH_TPS_SECS:-$(pick 6 3)}
TPS_REPEAT=${BENCH_TPS_REPEAT:-$(pick 3 1)}
WRITE_REPEAT=${BENCH_WRITE_REPEAT:-$(pick 5 1)}
COPY_REPEAT=${BENCH_COPY_REPEAT:-$(pick 3 1)}
COPY_ROWS=${BENCH_COPY_ROWS:-$(pick 1000000 50000)}
CALLS=${BENCH_CALLS:-$(pick "2000 500 100" "200 50 10")}
CALL_REPEAT=${BENCH_CALL_REPEAT:-$(pick 3 1)}
WRITE_CLIENTS=${BENCH_WRITE_CLIENTS:-8}
USERS=${BENCH_USERS:-$(pick 10000000 100000)}
SIZES=${BENCH_SIZES:-$(pick "100 10000 1000000 10000000" "100 10000 50000 100000")}
OUT=${BENCH_OUT:-$(pick bench/results/latest.md bench/results/quick.md)}

LIMIT=20            # page size of every read
MANAGER=1           # the user who manages every event
BULK=10000          # invites of the one-statement writes
SINGLES=1000        # single-row invites of the concurrent write
BATCHES=(1 100 1000)    # users per invite/uninvite call
read -r -a calls <<<"$CALLS"
read -r -a sizes <<<"$SIZES"
nsizes=${#sizes[@]}

fail() { echo "$*" >&2; exit 1; }
((SINGLES % WRITE_CLIENTS == 0)) || fail "BENCH_WRITE_CLIENTS must divide $SINGLES"
((${#calls[@]} == ${#BATCHES[@]})) || fail "BENCH_CALLS needs ${#BATCHES[@]} numbers"
((nsizes >= 2)) || fail "BENCH_SIZES needs at least two events"
for ((i = 1; i < nsizes; i++)); do
    ((sizes[i - 1] <= sizes[i])) || fail "BENCH_SIZES must be smallest first"
done
((sizes[nsizes - 1] <= USERS)) || fail "no event can have more invites than there are users"
# Events of at-size measurement: the two largest.  The bulk writes also add
# invites to the second largest: its users must not run out.
MID=$((nsizes - 2))
BIG=$((nsizes - 1))
((sizes[MID] + (WRITE_REPEAT + 2) * BULK <= USERS)) ||
    fail "BENCH_USERS too small: the event of ${sizes[MID]} invites gets $(((WRITE_REPEAT + 2) * BULK)) more"
for i in "${!BATCHES[@]}"; do
    ((BATCHES[i] * calls[i] <= USERS)) || fail "BENCH_USERS too small for ${calls[i]} calls of ${BATCHES[i]} users"
done
((COPY_ROWS <= USERS)) || fail "BENCH_COPY_ROWS must not exceed BENCH_USERS"

started=$(date +%s)
# Other work on the machine shows in the numbers: record how busy it was.
load_before=$(cut -d' ' -f1 /proc/loadavg)
log() { echo "[$(($(date +%s) - started))s] $*" >&2; }

# --- build, install, start -------------------------------------------------

bash tools/deps.sh
export PATH=$(pg_config --bindir):$PATH
if [ "${BENCH_SKIP_INSTALL:-0}" != 1 ]; then
    SUDO=
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    make -s
    $SUDO make -s install
fi

# A dedicated 2-core, 24 GB server.  fsync is off in the throwaway cluster,
# so write costs are the server's work without the disk flush at commit.
# JIT is off as on most OLTP servers: it compiles any query whose estimated
# cost is high (count(*) of a big event) and costs more than it saves here.
# The library is preloaded, as the extension requires.  Both implementations
# verify tokens with the same secret (64 hex digits); the plain one reads it
# from a placeholder setting.
SECRET=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
. tools/cluster.sh
cluster_start \
    "shared_preload_libraries = 'invite_api'" \
    "invite_api.jwt_secret = '$SECRET'" \
    "bench_plain.jwt_secret = '$SECRET'" \
    "shared_buffers = 6GB" \
    "effective_cache_size = 18GB" \
    "work_mem = 32MB" \
    "maintenance_work_mem = 1GB" \
    "wal_buffers = 64MB" \
    "max_wal_size = 16GB" \
    "checkpoint_timeout = 30min" \
    "checkpoint_completion_target = 0.9" \
    "random_page_cost = 1.1" \
    "effective_io_concurrency = 200" \
    "max_parallel_workers_per_gather = 1" \
    "jit = off"
WORK=$(mktemp -d)
chmod 755 "$WORK"
sampler_pid=
cleanup() {
    [ -z "$sampler_pid" ] || kill "$sampler_pid" 2>/dev/null || true
    cluster_stop
    rm -rf "$WORK"
}
trap cleanup EXIT

sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# --- schema, tokens, data ---------------------------------------------------

log "creating the extension, the plain implementation and the signer"
sql -c "CREATE EXTENSION invite_api" -c "CREATE EXTENSION pg_prewarm"
sql -f bench/plain.sql
# Tokens come from the test suites' one signer.
sql -c "SET client_min_messages = warning" -f test/helpers/tokens.sql >/dev/null
# The key cannot be read back (SHOW prints a mask), so check that it is set.
[ -n "$(sql -c "SHOW invite_api.jwt_secret")" ] ||
    fail "the server does not have invite_api.jwt_secret from postgresql.conf"

# Platform access tokens (token_type "access", exp, iat, jti, user_id): the
# manager's, HS256 and HS512, and a user's who manages nothing.
TOKEN=$(sql -c "SELECT invite_test.token($MANAGER, '1 day', '$SECRET')")
TOKEN_HS512=$(sql -c "
    SELECT invite_test.sign(json_build_object(
               'token_type', 'access', 'user_id', $MANAGER,
               'iat', floor(extract(epoch FROM now()))::bigint,
               'exp', floor(extract(epoch FROM now() + interval '1 day'))::bigint,
               'jti', md5(random()::text)), '$SECRET', 'HS512')")
TOKEN_OTHER=$(sql -c "SELECT invite_test.token($((MANAGER + 1)), '1 day', '$SECRET')")

# The role that serves the API: EXECUTE on the functions, nothing else.  The
# harness's own objects (sequences of users to invite, an error catcher) are
# in schema bench.
sql <<SQL
CREATE ROLE bench_client LOGIN;
GRANT USAGE ON SCHEMA invite_api, bench_plain TO bench_client;
GRANT EXECUTE ON FUNCTION
    invite_api.event_invites_page(bigint, integer, integer, text),
    bench_plain.event_invites_page(bigint, integer, integer, text),
    invite_api.event_invite_users(bigint, bigint[], text),
    bench_plain.event_invite_users(bigint, bigint[], text),
    invite_api.event_uninvite_users(bigint, bigint[], text),
    bench_plain.event_uninvite_users(bigint, bigint[], text)
    TO bench_client;
CREATE SCHEMA bench;
GRANT USAGE ON SCHEMA bench TO bench_client;
CREATE SEQUENCE bench.invitee_seq;
CREATE SEQUENCE bench.call_seq MINVALUE 0;
CREATE SEQUENCE bench.writer_seq MINVALUE 0 CACHE 100;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA bench TO bench_client;
-- The result of a call as text, or "ERROR <SQLSTATE>".
CREATE FUNCTION bench.outcome(query text) RETURNS text
LANGUAGE plpgsql AS \$\$
DECLARE
    result text;
BEGIN
    EXECUTE query INTO result;
    RETURN result;
EXCEPTION WHEN OTHERS THEN
    RETURN 'ERROR ' || SQLSTATE;
END
\$\$;
GRANT EXECUTE ON FUNCTION bench.outcome(text) TO bench_client;
SQL

# Users are scattered over the id space: the k-th user of a sequence is
# (k * MULT) % USERS + 1, MULT prime to USERS (so no user comes twice
# within USERS steps); event e's k starts at e * 1000003 (bench/load.sql).
gcd() { local a=$1 b=$2 t; while ((b)); do t=$((a % b)); a=$b; b=$t; done; echo "$a"; }
MULT=$((USERS * 618 / 1000 | 1))
while [ "$(gcd "$MULT" "$USERS")" != 1 ]; do MULT=$((MULT + 2)); done
shift_of() { echo $(($1 * 1000003)); }

log "loading $USERS users and events of ${sizes[*]} invites"
load_started=$(date +%s.%N)
sql -v users="$USERS" -v sizes="$(IFS=,; echo "${sizes[*]}")" -v mult="$MULT" \
    -v manager="$MANAGER" -f bench/load.sql >"$WORK/load.out"
sql -c "SELECT pg_prewarm(c.oid) FROM pg_class c
         WHERE c.relnamespace IN ('invite_api'::regnamespace, 'bench_plain'::regnamespace)
           AND c.relkind IN ('r', 'i', 'm')" >/dev/null
sql -c "CHECKPOINT"
load_secs=$(echo "$(date +%s.%N) - $load_started" | bc)
phase_secs() { awk -F'|' -v p="$1" '$1 == "load" && $2 == p { print $3 }' "$WORK/load.out"; }
sum_phases() {
    awk -F'|' -v p="$1" '$1 == "load" && index($2, p " ") == 1 { s += $3 } END { print s + 0 }' "$WORK/load.out"
}
log "loaded in $load_secs s"

# Which build is measured: during development the version number stays the
# same while the installed module changes, and every pgbench run's new
# backend loads the module file as it is at that moment.
module_hash() { sha256sum "$(pg_config --pkglibdir)/invite_api.so" | cut -c1-12; }
module_at_start=$(module_hash)

# --- helpers -----------------------------------------------------------------

# Median of the numbers on stdin.
median() {
    sort -g | awk '{ v[NR] = $1 }
        END {
            if (NR == 0) exit 1
            if (NR % 2) printf "%.6f\n", v[(NR + 1) / 2]
            else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
        }'
}
# Median of the words of $1.
med_of() { echo "$1" | tr ' ' '\n' | grep . | median; }

# A number to $2 (default 3) significant digits.
sig() {
    awk -v x="$1" -v d="${2:-3}" 'BEGIN {
        if (x == 0) { print "0"; exit }
        a = x < 0 ? -x : x
        e = log(a) / log(10); f = int(e); if (f > e) f--
        dec = d - 1 - f
        if (dec <= 0) { p = 10 ^ (-dec); printf "%.0f\n", int(x / p + 0.5) * p }
        else printf ("%." dec "f\n", x)
    }'
}

# $1 / $2.
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f\n", a / b }'; }

# "met" when $1 <= $2, else "missed".
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r <= t ? "met" : "**missed**") }'; }

# 10000 -> 10,000.
commas() { echo "$1" | sed -e ':a' -e 's/\B[0-9]\{3\}\>/,&/' -e 'ta'; }

# 1000000 -> 1M, 10000 -> 10k.
human() {
    awk -v n="$1" 'BEGIN {
        if (n >= 1000000 && n % 1000000 == 0) printf "%dM\n", n / 1000000
        else if (n >= 1000 && n % 1000 == 0) printf "%dk\n", n / 1000
        else print n
    }'
}

# run_pgbench DIR [--per-second] [--simple] ARGS...: a pgbench run logging
# every transaction in DIR, or with --per-second one line per second
# (throughput runs: a log line per call would slow what they measure).
# Prepared statements, or with --simple the simple protocol (COPY, and
# statements run once).
run_pgbench() {
    local dir=$1 log mode=prepared
    shift
    log=(--log --log-prefix="$dir/tx")
    if [ "${1:-}" = --per-second ]; then
        log+=(--aggregate-interval=1)
        shift
    fi
    if [ "${1:-}" = --simple ]; then
        mode=simple
        shift
    fi
    mkdir -p "$dir"
    if ! pgbench -n -M "$mode" "${log[@]}" "$@" >"$dir/out" 2>&1; then
        cat "$dir/out" >&2
        fail "pgbench failed: $*"
    fi
}

# Transaction latencies (ms) of a logged run; one per line.
latencies() { cat "$1"/tx.* | awk '{ printf "%.3f\n", $3 / 1000 }'; }

# Transactions a run processed, as pgbench reports them.
processed() { sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$1/out"; }

# Wall time (ms) from the first transaction's start to the last one's end.
wall_ms() {
    cat "$1"/tx.* | awk '{
            end = $5 * 1000000 + $6; start = end - $3
            if (NR == 1 || start < first) first = start
            if (NR == 1 || end > last) last = end
        }
        END { printf "%.3f\n", (last - first) / 1000 }'
}

# Calls per second of an aggregated run: the median of its whole seconds,
# leaving out the first (each new backend loads the library and plans its
# queries) and the last (cut short).
tps() {
    cat "$1"/tx.* | awk '{ n[$1] += $2 } END { for (t in n) print t, n[t] }' |
        sort -n | sed '1d;$d' | awk '{ print $2 }' | median
}

fn() { [ "$1" = ext ] && echo "invite_api.$2" || echo "bench_plain.$2"; }
table() { [ "$1" = ext ] && echo invite_api.event_invites || echo bench_plain.event_invites; }
impl_name() { [ "$1" = ext ] && echo extension || echo plain; }

next_event=1000
# A new event managed by MANAGER, after a checkpoint: next_event is its id.
fresh_event() {
    next_event=$((next_event + 1))
    sql -c "INSERT INTO invite_api.events (id, name) VALUES ($next_event, 'write test')" \
        -c "INSERT INTO invite_api.event_managers (event_id, user_id) VALUES ($next_event, $MANAGER)" \
        -c "CHECKPOINT"
}

invites_of() {   # impl event
    sql -c "SELECT count(*) FROM $(table "$1") WHERE event_id = $2"
}

# The event's invites are N, and for the extension its page says so too.
expect_invites() {   # impl event count
    local n
    n=$(invites_of "$1" "$2")
    [ "$n" = "$3" ] || fail "$(table "$1"): event $2 has $n invites, not $3"
    if [ "$1" = ext ]; then
        n=$(sql -U bench_client -c "SELECT invite_api.event_invites_page($2, 1, 0, '$TOKEN')->>'count'")
        [ "$n" = "$3" ] || fail "the extension's page of event $2 counts $n invites, not $3"
    fi
}

# Rows of the tables, each "| cell | cell | ... |".
main_rows=() size_rows=() bulk_rows=() call_rows=() conc_rows=()

# offsets EVENT_SIZE: first, middle and last page
offsets() { echo "0 $(($1 / 2)) $(($1 > LIMIT ? $1 - LIMIT : 0))"; }
# offsets at size: first page, 256, 10%, 25%, 50%, 75%, last page
size_offsets() { echo "0 256 $(($1 / 10)) $(($1 / 4)) $(($1 / 2)) $(($1 * 3 / 4)) $(($1 - LIMIT))"; }
size_labels=("first page" "offset 256" "10%" "25%" "50%" "75%" "last page")

# --- the answers must agree -------------------------------------------------

log "checking that both implementations give the same pages"
check() {    # event offset token
    local same
    same=$(sql -U bench_client -c "
        SELECT a = b FROM (SELECT invite_api.event_invites_page($1, $LIMIT, $2, '$3') a,
                                  bench_plain.event_invites_page($1, $LIMIT, $2, '$3') b) s")
    if [ "$same" != t ]; then
        echo "the implementations differ on event $1, offset $2:" >&2
        sql -U bench_client -c "
            SELECT 'extension: ' || invite_api.event_invites_page($1, $LIMIT, $2, '$3'),
                   'plain:     ' || bench_plain.event_invites_page($1, $LIMIT, $2, '$3')" \
            -F $'\n' >&2
        exit 1
    fi
}
for i in "${!sizes[@]}"; do
    event=$((i + 1))
    for impl in ext plain; do
        n=$(invites_of "$impl" "$event")
        [ "$n" = "${sizes[$i]}" ] || fail "$(table "$impl"): event $event has $n invites, not ${sizes[$i]}"
    done
    if ((i >= MID)); then set -- $(size_offsets "${sizes[$i]}"); else set -- $(offsets "${sizes[$i]}"); fi
    for off in "$@"; do
        check "$event" "$off" "$TOKEN"
    done
done
check 1 0 "$TOKEN_HS512"

# The write functions: the same results and errors, call by call, on one new
# event (each implementation writes its own table), and then the same pages.
log "checking that both implementations invite and uninvite alike"
fresh_event
ev=$next_event
u() { echo $((($1 * MULT) % USERS + 1)); }
write_cases=(
    "event_invite_users|$ev, ARRAY[$(u 1), $(u 2), $(u 1)]::bigint[], '$TOKEN'"
    "event_invite_users|$ev, ARRAY[$(u 2), $(u 3)]::bigint[], '$TOKEN'"
    "event_invite_users|$ev, ARRAY[$(u 4)]::bigint[], '$TOKEN_HS512'"
    "event_uninvite_users|$ev, ARRAY[$(u 3), $(u 5)]::bigint[], '$TOKEN'"
    "event_invite_users|$ev, ARRAY[$(u 6), 0]::bigint[], '$TOKEN'"
    "event_invite_users|$ev, ARRAY[$(u 6), $((USERS + 1)), $((USERS + 2))]::bigint[], '$TOKEN'"
    "event_invite_users|$ev, '{}'::bigint[], '$TOKEN'"
    "event_invite_users|$ev, ARRAY[NULL]::bigint[], '$TOKEN'"
    "event_invite_users|$ev, (SELECT array_agg(g) FROM generate_series(1, 1001) g), '$TOKEN'"
    "event_invite_users|NULL, ARRAY[$(u 6)]::bigint[], '$TOKEN'"
    "event_invite_users|$ev, NULL, '$TOKEN'"
    "event_invite_users|999999, ARRAY[$(u 6)]::bigint[], '$TOKEN'"
    "event_invite_users|$ev, ARRAY[$(u 6)]::bigint[], '$TOKEN_OTHER'"
    "event_uninvite_users|$ev, ARRAY[$(u 6)]::bigint[], '$TOKEN_OTHER'"
    "event_invite_users|$ev, ARRAY[$(u 6)]::bigint[], 'not a token'"
    "event_invite_users|$ev, ARRAY[$(u 6)]::bigint[], NULL"
    "event_uninvite_users|$ev, ARRAY[$(u 2), $(u 2)]::bigint[], '$TOKEN'"
    "event_invite_users|$ev, ARRAY[$(u 7), $(u 8), $(u 9)]::bigint[], 'Bearer $TOKEN'"
)
for c in "${write_cases[@]}"; do
    f=${c%%|*}
    args=${c#*|}
    got=$(sql -U bench_client -c "
        SELECT bench.outcome(\$q\$SELECT invite_api.$f($args)\$q\$)
               || ' / ' || bench.outcome(\$q\$SELECT bench_plain.$f($args)\$q\$)")
    [ "${got% / *}" = "${got#* / }" ] ||
        fail "the implementations differ on $f($args): extension ${got% / *}, plain ${got#* / }"
done
for impl in ext plain; do expect_invites "$impl" "$ev" 5; done
check "$ev" 0 "$TOKEN"

# --- reads: latency of first, middle and last page ---------------------------

# Median latency (ms) of one pgbench run of a page call.
page_latency() {    # impl event offset [calls]
    local dir="$WORK/lat_$2_$3_$1" run
    if [ -n "${4:-}" ]; then
        run=(-t "$4")
    elif [ -n "$READ_CALLS" ]; then
        run=(-t "$READ_CALLS")
    else
        run=(-T "$SECS")
    fi
    run_pgbench "$dir" -U bench_client -c 1 -j 1 "${run[@]}" -f "$WORK/read_$1.sql" \
        -D event="$2" -D limit="$LIMIT" -D offset="$3" -D token="$TOKEN"
    latencies "$dir" | median
}
for impl in ext plain; do
    echo "SELECT $(fn $impl event_invites_page)(:event, :limit, :offset, :token);" >"$WORK/read_$impl.sql"
done

main_row() {    # case extension plain
    main_rows+=("| $1 | $(sig "$2") | $(sig "$3") | $(sig "$(div "$2" "$3")" 2) |")
}

for ((i = 0; i < MID; i++)); do
    event=$((i + 1))
    size=${sizes[$i]}
    label="$(human "$size") invites"
    set -- $(offsets "$size")
    for off in "$@"; do
        case $off in
            0) what="first page" ;;
            $(($size / 2))) what="middle page (offset $off)" ;;
            *) what="last page (offset $off)" ;;
        esac
        log "latency: $label, $what"
        main_row "$label, $what: median ms" "$(page_latency ext "$event" "$off")" \
            "$(page_latency plain "$event" "$off")"
    done
done

# --- reads at size: pages across the two largest events ------------------------

declare -A lat=()
for i in $MID $BIG; do
    event=$((i + 1))
    set -- $(size_offsets "${sizes[$i]}")
    for off in "$@"; do
        log "latency at size: $(human "${sizes[$i]}") invites, offset $off"
        lat[ext_${i}_$off]=$(page_latency ext "$event" "$off")
        if ((i == BIG)); then
            lat[plain_${i}_$off]=$(page_latency plain "$event" "$off" "$PLAIN_CALLS")
        else
            lat[plain_${i}_$off]=$(page_latency plain "$event" "$off")
        fi
    done
done
worst=()
for i in $MID $BIG; do
    first=${lat[ext_${i}_0]}
    w=0
    for off in $(size_offsets "${sizes[$i]}"); do
        w=$(awk -v w="$w" -v r="$(div "${lat[ext_${i}_$off]}" "$first")" 'BEGIN { print (r > w ? r : w) }')
    done
    worst+=("$w")
done
mid_offsets=($(size_offsets "${sizes[$MID]}"))
big_offsets=($(size_offsets "${sizes[$BIG]}"))
for k in "${!size_labels[@]}"; do
    cells="| ${size_labels[$k]} |"
    for i in $MID $BIG; do
        if ((i == MID)); then off=${mid_offsets[$k]}; else off=${big_offsets[$k]}; fi
        e=${lat[ext_${i}_$off]}
        p=${lat[plain_${i}_$off]}
        cells+=" $(commas "$off") | $(sig "$e") | $(sig "$(div "$e" "${lat[ext_${i}_0]}")" 2) | $(sig "$p") | $(sig "$(div "$e" "$p")" 2) |"
    done
    size_rows+=("$cells")
done

# --- reads: throughput of page 1 of the smallest event -----------------------

for clients in 1 2; do
    log "throughput: page 1 of the $(human "${sizes[0]}")-invite event, $clients client(s)"
    declare -A runs=([ext]="" [plain]="")
    for r in $(seq "$TPS_REPEAT"); do
        for impl in ext plain; do
            dir="$WORK/tps_${clients}_${r}_$impl"
            run_pgbench "$dir" --per-second -U bench_client -c "$clients" -j "$clients" -T "$TPS_SECS" \
                -f "$WORK/read_$impl.sql" \
                -D event=1 -D limit="$LIMIT" -D offset=0 -D token="$TOKEN"
            runs[$impl]+="$(tps "$dir") "
        done
    done
    main_row "$(human "${sizes[0]}") invites, first page, $clients client$([ "$clients" = 1 ] || echo s): median calls/s" \
        "$(med_of "${runs[ext]}")" "$(med_of "${runs[plain]}")"
done

# --- bulk writes through the tables ------------------------------------------

# Each case is one transaction, so its latency includes the commit (where
# the extension folds its changes).  Run as the superuser, straight into the
# tables.
mkdir "$WORK/copy"
chown postgres: "$WORK/copy" 2>/dev/null || sudo chown postgres: "$WORK/copy"
for impl in ext plain; do
    cat >"$WORK/bulk_$impl.sql" <<SQL
BEGIN;
INSERT INTO $(table $impl) (event_id, user_id, invited_by)
SELECT :event, ((:first + g)::bigint * :mult) % :users + 1, :manager FROM generate_series(0, :bulk - 1) g;
COMMIT;
SQL
    cat >"$WORK/single_$impl.sql" <<SQL
INSERT INTO $(table $impl) (event_id, user_id, invited_by)
VALUES (:event, nextval('bench.invitee_seq'), :manager);
SQL
    cat >"$WORK/copy_$impl.sql" <<SQL
BEGIN;
COPY $(table $impl) (event_id, user_id, invited_by, invited_at) FROM '$WORK/copy/invites';
COMMIT;
SQL
done

declare -A fresh=([ext]="" [plain]="") many=([ext]="" [plain]="") copy=([ext]="" [plain]="") single=([ext]="" [plain]="")
threads=$((WRITE_CLIENTS < $(nproc) ? WRITE_CLIENTS : $(nproc)))
mid_event=$((MID + 1))
for r in $(seq "$WRITE_REPEAT"); do
    # Alternate which goes first, so that drift favours neither.
    order="ext plain"
    ((r % 2)) || order="plain ext"
    log "bulk writes: run $r of $WRITE_REPEAT"
    for impl in $order; do
        fresh_event
        dir="$WORK/fresh_${r}_$impl"
        run_pgbench "$dir" --simple -c 1 -j 1 -t 1 -f "$WORK/bulk_$impl.sql" -D event="$next_event" \
            -D first=0 -D mult="$MULT" -D users="$USERS" -D manager="$MANAGER" -D bulk="$BULK"
        expect_invites "$impl" "$next_event" "$BULK"
        fresh[$impl]+="$(latencies "$dir") "

        # Users the event has not invited: its steps after the last.
        sql -c "CHECKPOINT"
        dir="$WORK/many_${r}_$impl"
        run_pgbench "$dir" --simple -c 1 -j 1 -t 1 -f "$WORK/bulk_$impl.sql" -D event="$mid_event" \
            -D first=$(($(shift_of "$mid_event") + sizes[MID] + (r - 1) * BULK)) \
            -D mult="$MULT" -D users="$USERS" -D manager="$MANAGER" -D bulk="$BULK"
        expect_invites "$impl" "$mid_event" $((sizes[MID] + r * BULK))
        many[$impl]+="$(latencies "$dir") "

        fresh_event
        sql -c "SELECT setval('bench.invitee_seq', 1, false)" >/dev/null
        dir="$WORK/single_${r}_$impl"
        run_pgbench "$dir" -c "$WRITE_CLIENTS" -j "$threads" -t $((SINGLES / WRITE_CLIENTS)) \
            -f "$WORK/single_$impl.sql" -D event="$next_event" -D manager="$MANAGER"
        expect_invites "$impl" "$next_event" "$SINGLES"
        single[$impl]+="$(wall_ms "$dir") "
    done
done
for r in $(seq "$COPY_REPEAT"); do
    order="ext plain"
    ((r % 2)) || order="plain ext"
    log "COPY: run $r of $COPY_REPEAT"
    # One file for both: each implementation loads it into its own table.
    fresh_event
    sql -c "COPY (SELECT $next_event, (g::bigint * $MULT) % $USERS + 1, $MANAGER,
                         timestamptz '2024-06-01 00:00:00+00' + (g * 2 / 3) * interval '1 second'
                    FROM generate_series(0, $COPY_ROWS - 1) g)
            TO '$WORK/copy/invites'"
    for impl in $order; do
        sql -c "CHECKPOINT"
        dir="$WORK/copy_${r}_$impl"
        run_pgbench "$dir" --simple -c 1 -j 1 -t 1 -f "$WORK/copy_$impl.sql"
        expect_invites "$impl" "$next_event" "$COPY_ROWS"
        copy[$impl]+="$(latencies "$dir") "
    done
    rm -f "$WORK/copy/invites"
done

bulk_row() {    # case extension plain target
    local ratio
    ratio=$(div "$2" "$3")
    bulk_rows+=("| $1 | $(sig "$2") | $(sig "$3") | $(sig "$ratio" 2) | ${4:+≤ $4: $(verdict "$ratio" "$4")} |")
}
bulk_row "$(commas "$BULK") invites in one INSERT ... SELECT into a new event" \
    "$(med_of "${fresh[ext]}")" "$(med_of "${fresh[plain]}")" 1.2
bulk_row "$(commas "$BULK") invites in one INSERT ... SELECT into the event of $(human "${sizes[MID]}") invites" \
    "$(med_of "${many[ext]}")" "$(med_of "${many[plain]}")" 1.2
bulk_row "$(commas "$COPY_ROWS") invites in one COPY into a new event" \
    "$(med_of "${copy[ext]}")" "$(med_of "${copy[plain]}")" 1.2
bulk_row "$(commas "$SINGLES") single-row INSERTs into one event from $WRITE_CLIENTS clients, first start to last commit" \
    "$(med_of "${single[ext]}")" "$(med_of "${single[plain]}")"

# --- invite and uninvite calls -------------------------------------------------

# Each call names BATCH users no earlier call of the run named: the k-th
# call's are users (k * BATCH + 0 .. BATCH - 1) of the scattered sequence;
# the uninvite run then removes them in the same calls.
for impl in ext plain; do
    for f in event_invite_users event_uninvite_users; do
        cat >"$WORK/${f}_$impl.sql" <<SQL
SELECT $(fn $impl $f)(:event, (SELECT array_agg(((k.k + g) * :mult) % :users + 1)
                              FROM (SELECT nextval('bench.call_seq') k) k,
                                   generate_series(0, :batch - 1) g), :token);
SQL
    done
done
declare -A invite_lat=() uninvite_lat=()
for b in "${!BATCHES[@]}"; do
    batch=${BATCHES[$b]}
    n=${calls[$b]}
    for r in $(seq "$CALL_REPEAT"); do
        order="ext plain"
        ((r % 2)) || order="plain ext"
        log "calls of $batch user(s): run $r of $CALL_REPEAT"
        for impl in $order; do
            fresh_event
            for f in event_invite_users event_uninvite_users; do
                sql -c "ALTER SEQUENCE bench.call_seq INCREMENT BY $batch RESTART WITH 0"
                dir="$WORK/${f}_${batch}_${r}_$impl"
                run_pgbench "$dir" -U bench_client -c 1 -j 1 -t "$n" -f "$WORK/${f}_$impl.sql" \
                    -D event="$next_event" -D mult="$MULT" -D users="$USERS" -D batch="$batch" \
                    -D token="$TOKEN"
                if [ $f = event_invite_users ]; then
                    expect_invites "$impl" "$next_event" $((n * batch))
                    invite_lat[${impl}_$batch]+="$(latencies "$dir" | tr '\n' ' ')"
                else
                    expect_invites "$impl" "$next_event" 0
                    uninvite_lat[${impl}_$batch]+="$(latencies "$dir" | tr '\n' ' ')"
                fi
            done
        done
    done
done
call_row() {    # case extension plain target
    local ratio
    ratio=$(div "$2" "$3")
    call_rows+=("| $1 | $(sig "$2") | $(sig "$3") | $(sig "$ratio" 2) | ${4:+≤ $4: $(verdict "$ratio" "$4")} |")
}
for f in invite uninvite; do
    for b in "${!BATCHES[@]}"; do
        batch=${BATCHES[$b]}
        if [ $f = invite ]; then
            e=$(med_of "${invite_lat[ext_$batch]}") p=$(med_of "${invite_lat[plain_$batch]}")
        else
            e=$(med_of "${uninvite_lat[ext_$batch]}") p=$(med_of "${uninvite_lat[plain_$batch]}")
        fi
        target=
        ((batch != 1000)) || target=1.2
        call_row "$f $(commas "$batch") user$([ "$batch" = 1 ] || echo s) per call ($((calls[b] * CALL_REPEAT)) calls)" \
            "$e" "$p" "$target"
    done
done

# --- concurrent invite calls -------------------------------------------------

# 1 user per call, each user new; client c writes event base + c % events.
# A sampler looks every 0.1 s for calls waiting for a lock, and names the
# kinds of lock they wait for ("-" when none does).
for impl in ext plain; do
    cat >"$WORK/writer_$impl.sql" <<SQL
\\set ev :base + :client_id % :events
SELECT $(fn $impl event_invite_users)(:ev, ARRAY[(nextval('bench.writer_seq') * :mult) % :users + 1], :token);
SQL
done
declare -A conc=()
conc_cases=("1 1" "2 2" "$WRITE_CLIENTS $WRITE_CLIENTS" "$WRITE_CLIENTS 1")
for cc in "${conc_cases[@]}"; do
    read -r clients events <<<"$cc"
    for r in $(seq "$TPS_REPEAT"); do
        order="ext plain"
        ((r % 2)) || order="plain ext"
        log "concurrent invites: $clients client(s), $events event(s), run $r of $TPS_REPEAT"
        for impl in $order; do
            base=$((next_event + 1))
            for _ in $(seq "$events"); do fresh_event; done
            sql -c "ALTER SEQUENCE bench.writer_seq RESTART WITH 0"
            dir="$WORK/conc_${clients}_${events}_${r}_$impl"
            printf '%s\n' "SELECT coalesce(string_agg(DISTINCT wait_event, ','), '-')
                              FROM pg_stat_activity
                             WHERE usename = 'bench_client' AND wait_event_type = 'Lock'" '\watch 0.1' |
                psql -X -At >>"$WORK/waits_${impl}_${clients}_$events" 2>/dev/null &
            sampler_pid=$!
            run_pgbench "$dir" --per-second -U bench_client -c "$clients" -j "$((clients < $(nproc) ? clients : $(nproc)))" \
                -T "$TPS_SECS" -f "$WORK/writer_$impl.sql" -D base="$base" -D events="$events" \
                -D mult="$MULT" -D users="$USERS" -D token="$TOKEN"
            kill "$sampler_pid"
            wait "$sampler_pid" 2>/dev/null || true
            sampler_pid=
            # Every call invited one user: the counts add up to the calls.
            total=0
            for ((e = base; e < base + events; e++)); do
                n=$(invites_of "$impl" "$e")
                expect_invites "$impl" "$e" "$n"
                total=$((total + n))
            done
            [ "$total" = "$(processed "$dir")" ] ||
                fail "$(impl_name "$impl"): $(processed "$dir") calls invited $total users"
            conc[${impl}_${clients}_$events]+="$(tps "$dir") "
        done
    done
done
# "W of N samples (the locks waited for)".
sum_waits() {
    awk 'NF { n++; if ($1 != "-") { w++; k = split($1, a, ","); for (i = 1; i <= k; i++) seen[a[i]] = 1 } }
        END {
            kinds = ""
            for (x in seen) kinds = kinds (kinds == "" ? "" : ", ") x
            printf "%d of %d%s\n", w, n, (w ? " (" kinds ")" : "")
        }' "$WORK/waits_$1"
}
one_ext=$(med_of "${conc[ext_1_1]}")
one_plain=$(med_of "${conc[plain_1_1]}")
for cc in "${conc_cases[@]}"; do
    read -r clients events <<<"$cc"
    e=$(med_of "${conc[ext_${clients}_$events]}")
    p=$(med_of "${conc[plain_${clients}_$events]}")
    conc_rows+=("| $clients client$([ "$clients" = 1 ] || echo s), $([ "$events" = 1 ] && echo "one event" || echo "$events events") | $(sig "$e") | $(sig "$(div "$e" "$one_ext")" 2) | $(sig "$p") | $(sig "$(div "$p" "$one_plain")" 2) | $(sig "$(div "$e" "$p")" 2) | $(sum_waits "ext_${clients}_$events") / $(sum_waits "plain_${clients}_$events") |")
done

# --- where the time goes ------------------------------------------------------

# Each write case again, a few times, in one session with track_functions =
# 'all' (a superuser setting; only this session is tracked, after all the
# timings): the functions' time per call of the case, from
# pg_stat_user_functions.  C functions (the write calls, the logging
# trigger) count too; "self" leaves out the functions a function calls.
profile_rows=()
# With "warm", the statement runs once more first (K = repeats), untracked,
# so that the session's plans are made.
profile() {    # label repeats statement [warm]; %K% in the statement is the repeat (0, 1, ...)
    local label=$1 n=$2 stmt=$3 k
    {
        [ -z "${4:-}" ] || echo "${stmt//%K%/$n};"
        echo "SET track_functions = 'all';"
        echo "SELECT pg_stat_reset();"
        echo "SELECT extract(epoch FROM clock_timestamp()) AS started \\gset"
        for ((k = 0; k < n; k++)); do echo "${stmt//%K%/$k};"; done
        echo "SELECT '| $label | (the whole statement, as psql sees it) | 1 | '
                     || round((extract(epoch FROM clock_timestamp()) - :started) * 1000 / $n, 3) || ' | |';"
        echo "SELECT pg_stat_force_next_flush();"
        echo "SELECT 1;"
        echo "SELECT '| $label | ' || f.schemaname || '.' || f.funcname || ' | '
                     || round(f.calls::numeric / $n, 1) || ' | '
                     || round((f.total_time / $n)::numeric, 3) || ' | '
                     || round((f.self_time / $n)::numeric, 3) || ' |'
                FROM pg_stat_user_functions f
               WHERE f.schemaname IN ('invite_api', 'bench_plain') AND f.calls > 0
               ORDER BY f.total_time DESC LIMIT 8;"
    } >"$WORK/profile.sql"
    sql -f "$WORK/profile.sql" >"$WORK/profile.out"
    while IFS= read -r line; do
        if [[ "$line" == "| "* ]]; then profile_rows+=("$line"); fi
    done <"$WORK/profile.out"
}
if [ "${BENCH_PROFILE:-1}" = 1 ]; then
    log "where the time goes"
    # BATCH users, the K-th set of them.
    users_of() { echo "(SELECT array_agg(((g + %K% * $1)::bigint * $MULT) % $USERS + 1) FROM generate_series(0, $1 - 1) g)"; }
    for impl in ext plain; do
        fresh_event
        profile "$(impl_name $impl): invite 1 user per call" 20 \
            "SELECT $(fn $impl event_invite_users)($next_event, $(users_of 1), '$TOKEN')" warm
        fresh_event
        profile "$(impl_name $impl): invite 1,000 users per call" 5 \
            "SELECT $(fn $impl event_invite_users)($next_event, $(users_of 1000), '$TOKEN')" warm
        profile "$(impl_name $impl): uninvite 1,000 users per call" 5 \
            "SELECT $(fn $impl event_uninvite_users)($next_event, $(users_of 1000), '$TOKEN')" warm
        expect_invites "$impl" "$next_event" 0
        profile "$(impl_name $impl): $(commas "$BULK") invites in one INSERT ... SELECT into the event of $(human "${sizes[MID]}")" 2 \
            "INSERT INTO $(table $impl) (event_id, user_id, invited_by)
             SELECT $mid_event, ((g + $(($(shift_of "$mid_event") + sizes[MID] + WRITE_REPEAT * BULK)) + %K% * $BULK)::bigint * $MULT) % $USERS + 1, $MANAGER
               FROM generate_series(0, $BULK - 1) g"
        expect_invites "$impl" "$mid_event" $((sizes[MID] + (WRITE_REPEAT + 2) * BULK))
    done
fi

# --- the tables ----------------------------------------------------------------

module_at_end=$(module_hash)
module="module $module_at_start"
[ "$module_at_end" = "$module_at_start" ] ||
    module="module CHANGED during the run: $module_at_start, then $module_at_end"
pg_version=$(sql -c "SHOW server_version")
ext_version=$(sql -c "SELECT extversion FROM pg_extension WHERE extname = 'invite_api'")
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
ram=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
mode=$([ "$quick" = 1 ] && echo " (quick mode)" || true)
mid_h=$(human "${sizes[MID]}")
if [ -n "$READ_CALLS" ]; then read_run="$READ_CALLS calls"; else read_run="${SECS} s"; fi
big_h=$(human "${sizes[BIG]}")
run_min=$((($(date +%s) - started + 30) / 60))

mkdir -p "$(dirname "$OUT")"
{
    echo "invite_api benchmark$mode, $(date -u '+%Y-%m-%d %H:%M UTC'): $(nproc) cores, $ram RAM," \
        "$cpu; load average $load_before before the run;" \
        "PostgreSQL $pg_version; invite_api $ext_version ($module, sha256); run took $run_min min"
    echo
    echo "Data: $(commas "$USERS") users; events of $(for s in "${sizes[@]}"; do commas "$s"; done | paste -sd';' | sed 's/;/, /g')" \
        "invites; limit $LIMIT. Loaded in $(sig "$load_secs" 2) s, each event one INSERT ... SELECT" \
        "per table (foreign-key checks skipped, the extension's bookkeeping built by its triggers):" \
        "users $(phase_secs users) s; invites through the extension's table $(sum_phases extension) s" \
        "($big_h event $(phase_secs "extension ${sizes[BIG]}") s)," \
        "into the plain table $(sum_phases plain) s ($big_h event $(phase_secs "plain ${sizes[BIG]}") s);" \
        "VACUUM ANALYZE $(phase_secs vacuum) s; the rest prewarm and checkpoint."
    echo
    echo "### Pages"
    echo
    echo "Median of per-call latencies of one pgbench run of $read_run per cell (1 client, prepared)." \
        "Calls/s: median of $TPS_REPEAT runs of ${TPS_SECS} s, each counted as its median whole second" \
        "after the first (when each new connection loads the library and plans)." \
        "Ratio = extension / plain (for ms lower is better, for calls/s higher)."
    echo
    echo "| case | extension | plain SQL | ratio |"
    echo "|---|---:|---:|---:|"
    printf '%s\n' "${main_rows[@]}"
    echo
    echo "### Pages at size: $mid_h and $big_h invites"
    echo
    echo "Median ms per call, limit $LIMIT; ÷ first = the extension's page / its first page." \
        "Plain SQL: a run of $read_run per cell at $mid_h, only $PLAIN_CALLS calls per cell at $big_h" \
        "(each call counts all the invites and skips the offset)."
    echo
    echo "| page | $mid_h: offset | extension | ÷ first | plain SQL | ratio | $big_h: offset | extension | ÷ first | plain SQL ($PLAIN_CALLS calls) | ratio |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${size_rows[@]}"
    echo
    echo "Dearest page / first page: $(sig "${worst[0]}" 2) at $mid_h, $(sig "${worst[1]}" 2) at $big_h" \
        "(target at $big_h: at most 2, $(verdict "${worst[1]}" 2))."
    echo
    echo "### Bulk writes through the tables"
    echo
    echo "ms per statement, each its own transaction, commit included (the extension folds at commit);" \
        "median of $WRITE_REPEAT runs ($COPY_REPEAT for COPY), alternating which table goes first," \
        "each after a CHECKPOINT. Plain SQL: bench_plain.event_invites, the same columns, indexes and" \
        "foreign keys, no triggers."
    echo
    echo "| case | extension | plain SQL | ratio | target |"
    echo "|---|---:|---:|---:|---|"
    printf '%s\n' "${bulk_rows[@]}"
    echo
    echo "### Invite and uninvite calls"
    echo
    echo "ms per call, median of all calls of $CALL_REPEAT runs (1 client, prepared), each call naming" \
        "users it changes (new users to invite, then the same ones removed), into a new event per run." \
        "Plain SQL: bench_plain.event_invite_users / event_uninvite_users (PL/pgSQL, pgcrypto," \
        "INSERT ... ON CONFLICT DO NOTHING / DELETE)."
    echo
    echo "| case | extension | plain SQL | ratio | target |"
    echo "|---|---:|---:|---:|---|"
    printf '%s\n' "${call_rows[@]}"
    echo
    echo "### Concurrent invite calls"
    echo
    echo "Calls/s of 1-user invite calls, median of $TPS_REPEAT runs of ${TPS_SECS} s (each its median" \
        "whole second after the first); × 1 client = calls/s / calls/s of 1 client; waiting =" \
        "samples (every 0.1 s) in which a call waited for a lock, of all samples, and the kinds of" \
        "lock (pg_stat_activity.wait_event: transactionid and tuple are row locks held by another" \
        "transaction, extend a table growing)." \
        "Machine: $(nproc) cores."
    echo
    echo "| clients, events | extension calls/s | × 1 client | plain SQL calls/s | × 1 client | ratio | waiting: extension / plain |"
    echo "|---|---:|---:|---:|---:|---:|---|"
    printf '%s\n' "${conc_rows[@]}"
    if ((${#profile_rows[@]})); then
        echo
        echo "### Where the time goes"
        echo
        echo "Each case run again a few times in one session with track_functions = 'all'" \
            "(pg_stat_user_functions): per call of the case, how often each function ran and its" \
            "time in ms, with (total) and without (self) the functions it calls. Commit-time work" \
            "(the extension's fold) is in invite_api.fold_at_commit."
        echo
        echo "| case | function | calls | total ms | self ms |"
        echo "|---|---|---:|---:|---:|"
        printf '%s\n' "${profile_rows[@]}"
    fi
} | tee "$OUT"
log "done; tables written to $OUT"
