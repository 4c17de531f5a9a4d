#!/usr/bin/env bash
# run-tests.sh [maven args…]: `mvn -B verify` against databases of this run only. The run gets a
# base database mgw_test_<run> (MGW_TEST_RUN, else random); every test class creates its own
# database named after it (mgw_test_<run>_<class>_<random>) and drops it. On exit this script
# drops the base and whatever a crashed test left under the run's name, and nothing else: other
# checkouts may be testing against the same PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

run="${MGW_TEST_RUN:-$(od -An -N5 -tx1 /dev/urandom | tr -d ' \n')}"
case "$run" in
    *[!a-z0-9]* | "") echo "MGW_TEST_RUN must be lower-case letters and digits" >&2; exit 2 ;;
esac
base="mgw_test_$run"

scripts/ensure-postgres.sh
scripts/ensure-database.sh "$base" --fresh
trap 'scripts/drop-test-databases.sh "$base"' EXIT

echo "test databases: $base and ${base}_*" >&2
PROMTOOL="$(scripts/fetch-promtool.sh)" mvn -B verify \
    -Dmgw.test.database.url="postgresql://postgres@127.0.0.1:5432/$base" "$@"
