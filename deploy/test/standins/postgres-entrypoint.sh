#!/bin/sh
# The upstream image's first-start contract, in short: an empty PGDATA is initialised with
# POSTGRES_USER as superuser (password auth over the network), POSTGRES_DB is created, then
# `postgres` runs as the postgres user in the foreground.
set -eu
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chown postgres:postgres "$PGDATA" /var/run/postgresql
    chmod 700 "$PGDATA"
    run="setpriv --reuid=postgres --regid=postgres --init-groups"
else
    run=
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    chmod 644 "$pwfile"
    $run initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8 -D "$PGDATA" >/dev/null
    rm -f "$pwfile"
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    $run pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    if [ "$db" != postgres ]; then
        $run psql -v ON_ERROR_STOP=1 --username="$user" --dbname=postgres -q \
            -c "CREATE DATABASE \"$db\""
    fi
    $run pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    echo "initialised $PGDATA: role $user, database $db"
fi

if [ "${1:-}" = postgres ]; then
    shift
    exec $run postgres -c listen_addresses='*' "$@"
fi
exec "$@"
