#!/usr/bin/env bash
# ensure-database.sh NAME [--fresh]: creates database NAME on the local PostgreSQL when missing;
# with --fresh, drops it first (with the databases named NAME_… that a crashed run left).
set -euo pipefail

name="$1"
fresh="${2:-}"
psql_admin() { psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"; }

if [ "$fresh" = "--fresh" ]; then
    "$(dirname "$0")/drop-test-databases.sh" "$name"
fi
if [ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$name'")" ]; then
    psql_admin -c "CREATE DATABASE \"$name\"" >/dev/null
    echo "created database $name" >&2
fi
