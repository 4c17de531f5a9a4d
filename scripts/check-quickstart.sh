#!/usr/bin/env bash
# check-quickstart.sh: the README's Quick start, run as a newcomer runs it on this kind of machine:
# the block after <!-- quick start: gateway --> (`make run`) in the background, then each line of
# the block after <!-- quick start: commands --> in order, exactly as written, with an older java
# first on PATH (the machine's default, when there is one) and JAVA_HOME unset. Each line must exit
# 0; a line whose comment shows an answer (`# {...}`) must print it, "..." standing for anything.
# It uses a database of its own and a free port (DATABASE_URL, SERVER_PORT), and on exit stops the
# gateway with SIGTERM and drops the database.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/find-java.sh

# readme_block NAME: the lines of the ```sh block right after <!-- quick start: NAME -->
readme_block() {
    awk -v marker="<!-- quick start: $1 -->" '
        $0 == marker { found = 1; next }
        found == 1 && /^```sh$/ { found = 2; next }
        found == 2 && /^```$/ { exit }
        found == 2 { print }
    ' README.md
}

# answer_matches OUTPUT EXPECTED: whether OUTPUT holds the pieces of EXPECTED between its "..." in order
answer_matches() {
    local rest="$1" expected="$2" piece
    while [ -n "$expected" ]; do
        piece="${expected%%...*}"
        [[ "$rest" == *"$piece"* ]] || return 1
        rest="${rest#*"$piece"}"
        [[ "$expected" == *...* ]] || break
        expected="${expected#*...}"
    done
}

free_port() {
    local port
    for _ in $(seq 1 50); do
        port=$((20000 + RANDOM % 20000))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
    done
    echo "no free port found" >&2
    return 1
}

gateway_block=$(readme_block gateway)
commands_block=$(readme_block commands)
if [ -z "$gateway_block" ] || [ -z "$commands_block" ]; then
    echo "check-quickstart: README.md has no quick start blocks (<!-- quick start: gateway|commands -->)" >&2
    exit 1
fi

database="mgw_quickstart_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
port=$(free_port)
work=$(mktemp -d)
psql_admin() { psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
gateway_pid=""
cleanup() {
    if [ -n "$gateway_pid" ] && kill -0 "$gateway_pid" 2>/dev/null; then
        kill -TERM -- "-$gateway_pid" 2>/dev/null || true
        for _ in $(seq 1 60); do
            kill -0 "$gateway_pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -KILL -- "-$gateway_pid" 2>/dev/null || true
    fi
    psql_admin -c "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" >/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

scripts/ensure-postgres.sh
psql_admin -c "CREATE DATABASE \"$database\"" >/dev/null

# A newcomer's terminal: no JAVA_HOME, the machine's older java first, nothing of make's around.
older=""
for home in /usr/lib/jvm/*; do
    if [ -x "$home/bin/java" ] && [ "$(java_major "$home")" -lt 25 ] 2>/dev/null; then
        older="$home"
        break
    fi
done
unset JAVA_HOME JAVA_OPTS MGW_CONFIG MAKEFLAGS MAKELEVEL MFLAGS SMTP_HOST
export PATH="${older:+$older/bin:}$PATH"
export DATABASE_URL="postgresql://postgres@127.0.0.1:5432/$database"
export SERVER_PORT="$port"
echo "check-quickstart: README Quick start on port $port, database $database, java on PATH: $(java_described "$(home_on_path java)")"

setsid bash -c "$gateway_block" >"$work/gateway.log" 2>&1 &
gateway_pid=$!
deadline=$((SECONDS + 600))
until curl -sf "localhost:$port/health/ready" >/dev/null 2>&1; do
    if ! kill -0 "$gateway_pid" 2>/dev/null || [ "$SECONDS" -gt "$deadline" ]; then
        echo "check-quickstart: FAILED: \`$gateway_block\` did not bring the gateway up:" >&2
        tail -n 40 "$work/gateway.log" >&2
        exit 1
    fi
    sleep 0.5
done
echo "  ok: $gateway_block"

failures=0
while IFS= read -r line; do
    [ -n "$line" ] || continue
    if output=$(bash -c "$line" 2>&1); then
        status=0
    else
        status=$?
    fi
    expected=""
    if [[ "$line" == *"# {"* ]]; then
        expected="{${line#*# \{}"
    fi
    if [ "$status" -ne 0 ]; then
        echo "  FAILED (exit $status): $line" >&2
    elif [ -n "$expected" ] && ! answer_matches "$output" "$expected"; then
        echo "  FAILED (answer): $line" >&2
        status=1
    else
        echo "  ok: $line"
        continue
    fi
    failures=$((failures + 1))
    sed 's/^/    | /' <<<"$output" >&2
done <<<"$commands_block"

if [ "$failures" -gt 0 ]; then
    echo "check-quickstart: FAILED: $failures command(s) of the README's Quick start; the gateway's output:" >&2
    tail -n 20 "$work/gateway.log" >&2
    exit 1
fi
echo "check-quickstart: the README's Quick start works as written"
