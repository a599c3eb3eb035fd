#!/bin/sh
# Starts PostgreSQL on PGDATA, creating the cluster on the first start: user POSTGRES_USER with the
# password in POSTGRES_PASSWORD (or the file POSTGRES_PASSWORD_FILE, e.g. a Docker secret),
# database POSTGRES_DB, password (scram-sha-256) logins from the network. Stops on SIGTERM
# (PostgreSQL's "smart" shutdown: the running transactions finish).
set -eu
if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then POSTGRES_PASSWORD="$(cat "$POSTGRES_PASSWORD_FILE")"; fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  [ -n "${POSTGRES_PASSWORD:-}" ] || { echo "guiche-postgres: POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) must be set for the first start" >&2; exit 1; }
  pwfile="$(mktemp)"
  printf '%s' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" -E UTF8 --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -k /run/postgresql" start >/dev/null
  createdb -h /run/postgresql -U "$POSTGRES_USER" "$POSTGRES_DB"
  pg_ctl -D "$PGDATA" -w stop >/dev/null
  echo "guiche-postgres: created the cluster, user $POSTGRES_USER, database $POSTGRES_DB"
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -k /run/postgresql -c max_connections="${POSTGRES_MAX_CONNECTIONS:-200}"
