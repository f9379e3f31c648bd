#!/usr/bin/env bash
# The invite_api benchmark: the installed extension beside the same endpoint
# written in plain SQL (bench/plain.sql), on a throwaway cluster, printed as
# one Markdown table (stdout and the result file).  See bench/README.md.
#
#   bash bench/run.sh                  full run, about 5 minutes
#   BENCH_QUICK=1 bash bench/run.sh    smoke test: less data, 1 s runs
#
# Environment (defaults in brackets, quick mode's second):
#   BENCH_SKIP_INSTALL=1  measure the extension already installed: no
#                         "make && make install"
#   BENCH_SECS            seconds of each latency run [5 | 1]
#   BENCH_TPS_SECS        seconds of each throughput run [6 | 4]
#   BENCH_TPS_REPEAT      throughput runs per case, median taken [3 | 1]
#   BENCH_WRITE_REPEAT    runs of each write case, median taken [5 | 1]
#   BENCH_WRITE_CLIENTS   clients sharing the 1,000 single invites [8]
#   BENCH_USERS           users [1000000 | 100000]
#   BENCH_SIZES           invites of each event, smallest first
#                         ["100 10000 1000000" | "100 10000 100000"]
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

SECS=${BENCH_SECS:-$(pick 5 1)}
TPS_SECS=${BENCH_TPS_SECS:-$(pick 6 4)}
TPS_REPEAT=${BENCH_TPS_REPEAT:-$(pick 3 1)}
WRITE_REPEAT=${BENCH_WRITE_REPEAT:-$(pick 5 1)}
WRITE_CLIENTS=${BENCH_WRITE_CLIENTS:-8}
USERS=${BENCH_USERS:-$(pick 1000000 100000)}
SIZES=${BENCH_SIZES:-$(pick "100 10000 1000000" "100 10000 100000")}
OUT=${BENCH_OUT:-$(pick bench/results/latest.md bench/results/quick.md)}

LIMIT=20            # page size of every read
MANAGER=1           # the user who manages every event
BULK=10000          # invites of the one-statement write
SINGLES=1000        # single-row invites of the concurrent write

if ((SINGLES % WRITE_CLIENTS != 0)); then
    echo "BENCH_WRITE_CLIENTS must divide $SINGLES" >&2
    exit 1
fi

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
# Both implementations verify tokens with the same secret (64 hex digits).
# The plain one reads it from a placeholder setting, which ALTER SYSTEM does
# not accept: it goes into postgresql.conf.
SECRET=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
. tools/cluster.sh
cluster_start \
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
trap 'cluster_stop; rm -rf "$WORK"' EXIT

sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# --- schema, secret, token, data --------------------------------------------

log "creating the extension and the plain implementation"
sql -c "CREATE EXTENSION invite_api" -c "CREATE EXTENSION pg_prewarm"
sql -f bench/plain.sql

# The extension's secret: ALTER SYSTEM knows invite_api.* once the library
# is loaded.  (The plain version's copy is in postgresql.conf, see above.)
sql -c "LOAD 'invite_api'" \
    -c "ALTER SYSTEM SET invite_api.jwt_secret = '$SECRET'" \
    -c "SELECT pg_reload_conf()" >/dev/null
for _ in $(seq 50); do
    [ "$(sql -c "LOAD 'invite_api'" -c "SELECT current_setting('invite_api.jwt_secret', true)")" = "$SECRET" ] && break
    sleep 0.1
done

# A platform-style access token for the manager, signed pgjwt-style.
sign() {
    sql -c "SELECT bench_plain.jwt_sign(jsonb_build_object(
                'user_id', $MANAGER, 'token_type', 'access',
                'iat', floor(extract(epoch FROM now()))::bigint,
                'exp', floor(extract(epoch FROM now() + interval '1 day'))::bigint,
                'jti', md5(random()::text)), '$SECRET', '$1')"
}
TOKEN=$(sign HS256)
TOKEN_HS512=$(sign HS512)

# The role that serves the API: EXECUTE on the two functions, nothing else.
sql <<SQL
CREATE ROLE bench_client LOGIN;
GRANT USAGE ON SCHEMA invite_api, bench_plain TO bench_client;
GRANT EXECUTE ON FUNCTION
    invite_api.event_invites_page(bigint, integer, integer, text),
    bench_plain.event_invites_page(bigint, integer, integer, text)
    TO bench_client;
CREATE SEQUENCE bench_plain.invitee_seq;
SQL

read -r -a sizes <<<"$SIZES"
log "loading $USERS users and events of ${sizes[*]} invites"
load_started=$(date +%s.%N)
sql -v users="$USERS" -v sizes="$(IFS=,; echo "${sizes[*]}")" -v manager="$MANAGER" \
    -f bench/load.sql >/dev/null
load_secs=$(echo "$(date +%s.%N) - $load_started" | bc)
sql -c "SELECT pg_prewarm(c.oid) FROM pg_class c
         WHERE c.relnamespace IN ('invite_api'::regnamespace, 'bench_plain'::regnamespace)
           AND c.relkind IN ('r', 'i', 'm')" >/dev/null

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

# run_pgbench DIR [--per-second] ARGS...: a pgbench run logging every
# transaction in DIR, or with --per-second one line per second (throughput
# runs: a log line per call would slow what they measure).
run_pgbench() {
    local dir=$1 log
    shift
    log=(--log --log-prefix="$dir/tx")
    if [ "${1:-}" = --per-second ]; then
        log+=(--aggregate-interval=1)
        shift
    fi
    mkdir -p "$dir"
    if ! pgbench -n -M prepared "${log[@]}" "$@" >"$dir/out" 2>&1; then
        cat "$dir/out" >&2
        echo "pgbench failed: $*" >&2
        exit 1
    fi
}

# Transaction latencies (ms) of a logged run; one per line.
latencies() { cat "$1"/tx.* | awk '{ printf "%.3f\n", $3 / 1000 }'; }

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

fn() { [ "$1" = ext ] && echo invite_api.event_invites_page || echo bench_plain.event_invites_page; }
table() { [ "$1" = ext ] && echo invite_api.event_invites || echo bench_plain.event_invites; }

for impl in ext plain; do
    echo "SELECT $(fn $impl)(:event, :limit, :offset, :token);" >"$WORK/read_$impl.sql"
    cat >"$WORK/bulk_$impl.sql" <<SQL
INSERT INTO $(table $impl) (event_id, user_id, invited_by)
SELECT :event, g * 7919 % :users + 1, :manager FROM generate_series(1, :bulk) g;
SQL
    cat >"$WORK/single_$impl.sql" <<SQL
INSERT INTO $(table $impl) (event_id, user_id, invited_by)
VALUES (:event, nextval('bench_plain.invitee_seq'), :manager);
SQL
done

rows=()
row() {    # case extension plain
    local ratio
    ratio=$(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.6f\n", a / b }')
    rows+=("| $1 | $(sig "$2") | $(sig "$3") | $(sig "$ratio" 2) |")
}

# --- the answers must agree -------------------------------------------------

# offsets EVENT_SIZE: first, middle and last page
offsets() { echo "0 $(($1 / 2)) $(($1 > LIMIT ? $1 - LIMIT : 0))"; }

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
    n=$(sql -c "SELECT count(*) FROM invite_api.event_invites WHERE event_id = $event")
    [ "$n" = "${sizes[$i]}" ] || { echo "event $event has $n invites, not ${sizes[$i]}" >&2; exit 1; }
    for off in $(offsets "${sizes[$i]}"); do
        check "$event" "$off" "$TOKEN"
    done
done
check 1 0 "$TOKEN_HS512"

# --- reads: latency of first, middle and last page ---------------------------

for i in "${!sizes[@]}"; do
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
        declare -A med=()
        for impl in ext plain; do
            dir="$WORK/lat_${event}_${off}_$impl"
            run_pgbench "$dir" -U bench_client -c 1 -j 1 -T "$SECS" -f "$WORK/read_$impl.sql" \
                -D event="$event" -D limit="$LIMIT" -D offset="$off" -D token="$TOKEN"
            med[$impl]=$(latencies "$dir" | median)
        done
        row "$label, $what: median ms" "${med[ext]}" "${med[plain]}"
    done
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
    row "$(human "${sizes[0]}") invites, first page, $clients client$([ "$clients" = 1 ] || echo s): median calls/s" \
        "$(echo "${runs[ext]}" | tr ' ' '\n' | grep . | median)" \
        "$(echo "${runs[plain]}" | tr ' ' '\n' | grep . | median)"
done

# --- writes: with and without the extension's bookkeeping --------------------

next_event=1000
fresh_event() {
    next_event=$((next_event + 1))
    sql -c "INSERT INTO invite_api.events (id, name) VALUES ($next_event, 'write test')" \
        -c "CHECKPOINT"
}
expect_invites() {   # impl event count
    local n
    n=$(sql -c "SELECT count(*) FROM $(table "$1") WHERE event_id = $2")
    [ "$n" = "$3" ] || { echo "$(table "$1"): event $2 has $n invites, not $3" >&2; exit 1; }
}

declare -A bulk=([ext]="" [plain]="") single=([ext]="" [plain]="")
threads=$((WRITE_CLIENTS < $(nproc) ? WRITE_CLIENTS : $(nproc)))
for r in $(seq "$WRITE_REPEAT"); do
    # Alternate which goes first, so that drift favours neither.
    order="ext plain"
    ((r % 2)) || order="plain ext"
    log "writes: run $r of $WRITE_REPEAT"
    for impl in $order; do
        fresh_event
        dir="$WORK/bulk_${r}_$impl"
        run_pgbench "$dir" -c 1 -j 1 -t 1 -f "$WORK/bulk_$impl.sql" \
            -D event="$next_event" -D users="$USERS" -D manager="$MANAGER" -D bulk="$BULK"
        expect_invites "$impl" "$next_event" "$BULK"
        bulk[$impl]+="$(latencies "$dir") "

        fresh_event
        sql -c "SELECT setval('bench_plain.invitee_seq', 1, false)" >/dev/null
        dir="$WORK/single_${r}_$impl"
        run_pgbench "$dir" -c "$WRITE_CLIENTS" -j "$threads" -t $((SINGLES / WRITE_CLIENTS)) \
            -f "$WORK/single_$impl.sql" -D event="$next_event" -D manager="$MANAGER"
        expect_invites "$impl" "$next_event" "$SINGLES"
        single[$impl]+="$(wall_ms "$dir") "
    done
done
med_of() { echo "$1" | tr ' ' '\n' | grep . | median; }
row "invite $(commas "$BULK") users in one INSERT ... SELECT: median ms" \
    "$(med_of "${bulk[ext]}")" "$(med_of "${bulk[plain]}")"
row "$(commas "$SINGLES") single-row invites to one event from $WRITE_CLIENTS clients: median ms, first start to last commit" \
    "$(med_of "${single[ext]}")" "$(med_of "${single[plain]}")"

# --- the table ----------------------------------------------------------------

module_at_end=$(module_hash)
module="module $module_at_start"
[ "$module_at_end" = "$module_at_start" ] ||
    module="module CHANGED during the run: $module_at_start, then $module_at_end"
pg_version=$(sql -c "SHOW server_version")
ext_version=$(sql -c "SELECT extversion FROM pg_extension WHERE extname = 'invite_api'")
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
ram=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
mode=$([ "$quick" = 1 ] && echo " (quick mode)" || true)

mkdir -p "$(dirname "$OUT")"
{
    echo "invite_api benchmark$mode, $(date -u '+%Y-%m-%d %H:%M UTC'): $(nproc) cores, $ram RAM," \
        "$cpu; load average $load_before before the run;" \
        "PostgreSQL $pg_version; invite_api $ext_version ($module, sha256)"
    echo
    echo "Data: $USERS users; events of $(echo "${sizes[*]}" | sed 's/ /, /g') invites; limit $LIMIT;" \
        "loaded in $(sig "$load_secs" 2) s. Latency: median of per-call latencies of one" \
        "${SECS} s pgbench run per cell (1 client, prepared). Calls/s: median of $TPS_REPEAT" \
        "runs of ${TPS_SECS} s, each counted as its median whole second after the first" \
        "(when each new connection loads the library and plans). Writes: median of $WRITE_REPEAT runs." \
        "Ratio = extension / plain (for ms lower is better, for calls/s higher)."
    echo
    echo "| case | extension | plain SQL | ratio |"
    echo "|---|---:|---:|---:|"
    printf '%s\n' "${rows[@]}"
} | tee "$OUT"
log "done; table written to $OUT"
