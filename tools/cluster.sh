# Source this file: a throwaway PostgreSQL cluster owned by the postgres OS
# user, listening only on a Unix socket in its own directory.
#
#   cluster_start [extra postgresql.conf lines...]   sets PGHOST PGPORT PGUSER
#   cluster_stop                                     (also run on EXIT)
#
# For the scripts that run outside "make installcheck" (bench/, tools/demo.sh,
# test/reliability/); the TAP tests use PostgreSQL::Test::Cluster.

PG_BIN=${PG_BIN:-$(pg_config --bindir)}

as_postgres() {
    if [ "$(id -un)" = postgres ]; then
        "$@"
    elif [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        sudo -u postgres -- "$@"
    fi
}

cluster_start() {
    CLUSTER_DIR=$(mktemp -d /tmp/invite_api.XXXXXX)
    chmod 755 "$CLUSTER_DIR"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$CLUSTER_DIR"
    else
        sudo chown postgres: "$CLUSTER_DIR"
    fi
    as_postgres "$PG_BIN/initdb" -D "$CLUSTER_DIR/data" -U postgres \
        --auth=trust --no-sync -E UTF8 --locale=C >"$CLUSTER_DIR/initdb.log"
    {
        echo "listen_addresses = ''"
        echo "unix_socket_directories = '$CLUSTER_DIR'"
        echo "fsync = off"
        for line in "$@"; do echo "$line"; done
    } | as_postgres tee -a "$CLUSTER_DIR/data/postgresql.conf" >/dev/null
    trap cluster_stop EXIT
    as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" \
        -w start >/dev/null
    export PGHOST=$CLUSTER_DIR PGPORT=5432 PGUSER=postgres PGDATABASE=postgres
}

cluster_stop() {
    [ -n "${CLUSTER_DIR:-}" ] || return 0
    as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$CLUSTER_DIR"
    CLUSTER_DIR=
}
