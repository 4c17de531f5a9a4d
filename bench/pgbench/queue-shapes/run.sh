#!/usr/bin/env bash
# Queue shapes in pgbench: what the database alone pays for a message's life in each shape of the
# outbox, against the accept alone, on the gateway's own schema (admin-cli/target/mgw db migrate).
#
#   bench/pgbench/queue-shapes/run.sh [rounds] [seconds] [clients ...]     (default: 3 15 8 64)
#
# Each variant gets a database of its own (mgw_shapes_<run>_<variant>, from one migrated template
# with 100 keys; <setup>.setup.sql changes its schema), all dropped on exit. Its pgbench script is
# the gateway's accept (accept.sql, or <script>.accept.sql where the variant has its own) followed by
# <script>.sql, what it does after the accept. Every run starts on an empty, vacuumed, checkpointed
# database and, while pgbench runs, `messages` (and `queue` or `delivery_leases`, where the variant
# has one) are vacuumed every 3 s, paced as the gateway's queue vacuum is. Printed per run: accepted messages
# per second (pgbench's tps: one accept per transaction), the share of them recorded sent by the
# end, and the WAL bytes per accepted message (pg_stat_wal, the whole cluster). Variants run in
# alternating rounds; the medians come last. Run it on an otherwise idle machine. VARIANTS picks
# some: VARIANTS="accept: lifecycle:lifecycle leases:leases:leases" (name:[script][:setup]).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
rounds=${1:-3}
seconds=${2:-15}
shift $(( $# < 2 ? $# : 2 ))
clients=("${@:-8}")
[ $# -gt 0 ] || clients=(8 64)
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
prefix=mgw_shapes_$(date +%s)_$$
# name:[script][:setup]; accept has no script: the accept alone
read -r -a variants <<<"${VARIANTS:-accept: lifecycle:lifecycle hot:hot:hot narrow:narrow:narrow txlock:txlock lessidx:lifecycle:lessidx leases:leases:leases locked:locked-record}"
out=$(mktemp)
scripts=$(mktemp -d)

cleanup() {
    for db in $(psql -d postgres -Atc "SELECT datname FROM pg_database WHERE datname LIKE '${prefix}%'"); do
        psql -d postgres -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"
    done
    rm -rf "$out" "$scripts"
}
trap cleanup EXIT

[ -x "$root/admin-cli/target/mgw" ] || (cd "$root" && make build)
psql -d postgres -qc "CREATE DATABASE ${prefix}_t"
DATABASE_URL="postgresql://$PGUSER@$PGHOST:$PGPORT/${prefix}_t" "$root/admin-cli/target/mgw" db migrate >/dev/null
psql -d "${prefix}_t" -qc "INSERT INTO api_keys (id, name, key_prefix, key_hash, daily_limit)
    SELECT CAST(md5('bench-' || i) AS uuid), 'bench-' || i, lpad(CAST(i AS text), 12, '0'), 'pgbench', 2000000000
      FROM generate_series(1, 100) AS i"
for v in "${variants[@]}"; do
    IFS=: read -r name script setup <<<"$v"
    psql -d postgres -qc "CREATE DATABASE ${prefix}_$name TEMPLATE ${prefix}_t"
    [ -z "$setup" ] || psql -d "${prefix}_$name" -q -v ON_ERROR_STOP=1 -f "$here/$setup.setup.sql"
    accept=$here/accept.sql
    [ ! -f "$here/$script.accept.sql" ] || accept=$here/$script.accept.sql
    cat "$accept" ${script:+"$here/$script.sql"} > "$scripts/$name.sql"
done

# the queue's tables in a variant's database, which the runs vacuum
tables() { psql -d "$1" -Atc "SELECT string_agg(relname, ', ') FROM pg_class WHERE relname IN ('messages', 'queue', 'delivery_leases') AND relkind = 'r'"; }

printf '%-10s %4s %5s %9s %6s %10s\n' variant c round tps sent wal_B/msg
for round in $(seq 1 "$rounds"); do
    for c in "${clients[@]}"; do
        for v in "${variants[@]}"; do
            IFS=: read -r name script setup <<<"$v"
            db=${prefix}_$name
            queue=$(tables "$db")
            psql -d "$db" -qc "TRUNCATE messages, daily_usage CASCADE" -c "VACUUM ANALYZE $queue" -c "CHECKPOINT"
            wal0=$(psql -d postgres -Atc "SELECT wal_bytes FROM pg_stat_wal")
            (while sleep 3; do psql -d "$db" -qc "SET vacuum_cost_delay = 2" -c "VACUUM $queue" 2>/dev/null || true; done) &
            vacuum=$!
            tps=$(pgbench -n -M prepared -c "$c" -j 2 -T "$seconds" -f "$scripts/$name.sql" "$db" 2>&1 \
                  | sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p')
            kill "$vacuum"; wait "$vacuum" 2>/dev/null || true
            wal1=$(psql -d postgres -Atc "SELECT wal_bytes FROM pg_stat_wal")
            read -r accepted sent < <(psql -d "$db" -AtF ' ' -c "SELECT count(*), count(*) FILTER (WHERE status = 'sent') FROM messages")
            printf '%-10s %4s %5s %9.0f %5.0f%% %10.0f\n' "$name" "$c" "$round" "$tps" \
                "$(echo "100 * $sent / $accepted" | bc -l)" "$(echo "($wal1 - $wal0) / $accepted" | bc -l)" | tee -a "$out"
        done
    done
done

echo
echo "medians over $rounds rounds (tps; ratio to accept at the same c; WAL B/msg)"
for c in "${clients[@]}"; do
    base=$(awk -v c="$c" '$1 == "accept" && $2 == c {print $4}' "$out" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    for v in "${variants[@]}"; do
        name=${v%%:*}
        awk -v n="$name" -v c="$c" '$1 == n && $2 == c {print $4, $6}' "$out" | sort -n \
            | awk -v n="$name" -v c="$c" -v b="$base" '{t[NR]=$1; w[NR]=$2} END {m=int((NR+1)/2); printf "%-10s c=%-3s %6.0f tps  %.2f  %5.0f B\n", n, c, t[m], t[m]/b, w[m]}'
    done
done
