#!/usr/bin/env bash
# Makes sure the local PostgreSQL answers on 127.0.0.1:5432, starting the cluster when it does not.
set -euo pipefail

if pg_isready -h 127.0.0.1 -p 5432 -q; then
    exit 0
fi
echo "PostgreSQL is not answering on 127.0.0.1:5432; starting it" >&2
version=$(ls /etc/postgresql | sort -V | tail -n 1)
pg_ctlcluster --skip-systemctl-redirect "$version" main start
for _ in $(seq 1 30); do
    pg_isready -h 127.0.0.1 -p 5432 -q && exit 0
    sleep 1
done
echo "PostgreSQL did not come up on 127.0.0.1:5432" >&2
exit 1
