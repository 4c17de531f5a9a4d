#!/bin/sh
# mgw: the mail-gateway admin tool. This file is a shell launcher followed by the tool's jar;
# it runs the jar with the JDK that JAVA_HOME or PATH gives (Java 25 or newer).
if [ -n "$JAVA_HOME" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    java_cmd="$JAVA_HOME/bin/java"
else
    java_cmd=$(command -v java) || { echo "mgw: no java found; set JAVA_HOME to a JDK 25" >&2; exit 1; }
fi
release_file="$(dirname "$(dirname "$(readlink -f "$java_cmd")")")/release"
if [ -r "$release_file" ]; then
    java_major=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release_file")
    if [ -n "$java_major" ] && [ "$java_major" -lt 25 ]; then
        echo "mgw: needs Java 25 or newer, $java_cmd is Java $java_major; set JAVA_HOME to a JDK 25" >&2
        exit 1
    fi
fi
exec "$java_cmd" $MGW_JAVA_OPTS -XX:TieredStopAtLevel=1 -Xshare:auto -jar "$0" "$@"
