#!/usr/bin/env bash
# drop-test-databases.sh BASE: drops database BASE and every database named BASE_… (the test
# classes' own, left behind when a run was killed); nothing else.
set -euo pipefail

base="$1"
psql_admin() { psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
pattern="$(printf '%s' "$base" | sed 's/_/\\_/g')\\_%"
for leftover in $(psql_admin -c "SELECT datname FROM pg_database WHERE datname LIKE '$pattern' OR datname = '$base'"); do
    psql_admin -c "DROP DATABASE IF EXISTS \"$leftover\" WITH (FORCE)" >/dev/null
done
