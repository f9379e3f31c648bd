# Sourced by the scripts of test/reliability/ (what has no TAP equivalent:
# memory sampling, valgrind): a throwaway cluster (through tools/cluster.sh)
# configured with a secret, a database with the extension and the suites'
# signer and checks (test/helpers/), counters and the summary line.
#
# The extension must be installed ("make && make install", or tools/test.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export PATH=$(pg_config --bindir):$PATH
. tools/cluster.sh

# The secret of every cluster these scripts start (at least 32 bytes).
SECRET=regress-secret-0123456789-abcdefghij

passed=0
failed=0
ok() {
    passed=$((passed + 1))
    printf 'ok    %s\n' "$*"
}
not_ok() {
    failed=$((failed + 1))
    printf 'FAIL  %s\n' "$*"
}
# expect DESCRIPTION GOT WANT
expect() {
    if [ "$2" = "$3" ]; then ok "$1: $2"; else not_ok "$1: got '$2', want '$3'"; fi
}
# expect_none DESCRIPTION OUTPUT: passes when OUTPUT (rows of faults) is empty.
expect_none() {
    if [ -z "$2" ]; then
        ok "$1: none"
    else
        not_ok "$1:"
        printf '%s\n' "$2" | head -n 20 | sed 's/^/      /'
    fi
}
summary() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# psql, quiet, unaligned, stopping at the first error.
q() {
    psql -X -q -At -v ON_ERROR_STOP=1 "$@"
}

# Commands run on exit, before the cluster is removed.
exit_hooks=()
on_exit() {
    exit_hooks+=("$1")
}
run_exit_hooks() {
    local hook
    for hook in "${exit_hooks[@]}"; do
        eval "$hook" || true
    done
    cluster_stop
}

# start_cluster [postgresql.conf lines...]: a throwaway cluster with the
# library preloaded (as it must be) and the secret configured; sets PGHOST,
# PGPORT, PGUSER, and WORK_DIR: a directory of ours for what the script
# writes, removed on exit.
start_cluster() {
    cluster_start "shared_preload_libraries = 'invite_api'" \
        "invite_api.jwt_secret = '$SECRET'" "$@"
    WORK_DIR=$(mktemp -d /tmp/invite_api_rel.XXXXXX)
    on_exit 'rm -rf "$WORK_DIR"'
    trap run_exit_hooks EXIT
    trap 'exit 130' INT TERM
}

# restart_cluster STOP_MODE [NAME=VALUE...]: stop it and start it again,
# with these in its environment.
restart_cluster() {
    local mode=$1
    shift
    as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -m "$mode" -w stop >/dev/null
    as_postgres env "$@" "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" \
        -w start >/dev/null
}

# new_database NAME: a database with invite_api and the suites' signer and
# checks.
new_database() {
    createdb "$1"
    q -d "$1" -c "CREATE EXTENSION invite_api"
    q -d "$1" -f test/helpers/tokens.sql -f test/helpers/checks.sql
}
