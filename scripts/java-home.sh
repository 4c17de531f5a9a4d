#!/usr/bin/env bash
# Prints a JAVA_HOME holding a JDK 25 or newer: $JAVA_HOME when it is one, else the newest
# such JDK under /usr/lib/jvm. Exits 1 with a message when there is none.
set -euo pipefail

major() {
    local release="$1/release"
    [ -r "$release" ] || { echo 0; return; }
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release" | head -n 1
}

if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ] && [ "$(major "$JAVA_HOME")" -ge 25 ]; then
    echo "$JAVA_HOME"
    exit 0
fi
best=""
best_major=0
for candidate in /usr/lib/jvm/*; do
    [ -x "$candidate/bin/javac" ] || continue
    m=$(major "$candidate")
    if [ "${m:-0}" -ge 25 ] && [ "$m" -gt "$best_major" ]; then
        best="$candidate"
        best_major="$m"
    fi
done
if [ -z "$best" ]; then
    echo "no JDK 25 or newer found (JAVA_HOME=${JAVA_HOME:-unset}, /usr/lib/jvm); install one, e.g. Temurin 25" >&2
    exit 1
fi
echo "$best"
