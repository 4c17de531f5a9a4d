#!/usr/bin/env bash
# ensure-database.sh NAME [--fresh]: creates database NAME on the local PostgreSQL when missing;
# with --fresh, drops it first (and the per-test-class databases a crashed run may have left).
set -euo pipefail

name="$1"
fresh="${2:-}"
psql_admin() { psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"; }

if [ "$fresh" = "--fresh" ]; then
    for leftover in $(psql_admin -c "SELECT datname FROM pg_database WHERE datname LIKE 'mgw\_t\_%'"); do
        psql_admin -c "DROP DATABASE IF EXISTS \"$leftover\" WITH (FORCE)" >/dev/null
    done
    psql_admin -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" >/dev/null
fi
if [ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$name'")" ]; then
    psql_admin -c "CREATE DATABASE \"$name\"" >/dev/null
    echo "created database $name" >&2
fi
