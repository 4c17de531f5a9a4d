#!/bin/sh
# Finding Java 25 or newer (SPEC §2): the first part of both launchers, server/target/mail-gateway
# and admin-cli/target/mgw (the build puts it in front of each), and of scripts/java-home.sh.
# POSIX sh: the slim image has no bash.

# java_major HOME: the major version of the Java in HOME (its release file, else `java -version`).
java_major() {
    if [ -r "$1/release" ]; then
        sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" | head -n 1
    else
        "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1
    fi
}

# java_fits HOME TOOL: whether HOME is Java 25 or newer with an executable bin/TOOL.
java_fits() {
    [ -n "$1" ] && [ -x "$1/bin/$2" ] && [ "$(java_major "$1")" -ge 25 ] 2>/dev/null
}

# home_on_path TOOL: the Java home of the TOOL that PATH finds (links resolved), or nothing.
home_on_path() {
    home_on_path_cmd=$(command -v "$1" 2>/dev/null) && [ -n "$home_on_path_cmd" ] \
        && dirname "$(dirname "$(readlink -f "$home_on_path_cmd")")"
}

# find_java TOOL DIR: prints the home of a Java 25 or newer with bin/TOOL (java to run, javac to
# build): JAVA_HOME if it is one, else the one of the TOOL on PATH if it is one, else the newest
# under DIR (/usr/lib/jvm). Returns 1, printing nothing, when there is none.
find_java() {
    if java_fits "${JAVA_HOME:-}" "$1"; then
        echo "$JAVA_HOME"
        return 0
    fi
    find_java_best=$(home_on_path "$1")
    if java_fits "$find_java_best" "$1"; then
        echo "$find_java_best"
        return 0
    fi
    find_java_best=""
    find_java_best_major=0
    for find_java_candidate in "$2"/*; do
        java_fits "$find_java_candidate" "$1" || continue
        find_java_major=$(java_major "$find_java_candidate")
        if [ "$find_java_major" -gt "$find_java_best_major" ]; then
            find_java_best=$find_java_candidate
            find_java_best_major=$find_java_major
        fi
    done
    [ -n "$find_java_best" ] && echo "$find_java_best"
}

# no_java NAME DIR: the one line a launcher prints when find_java found nothing.
no_java() {
    echo "$1: needs Java 25 or newer and found none (JAVA_HOME: $(java_described "${JAVA_HOME:-}");" \
         "java on PATH: $(java_described "$(home_on_path java)"); $2: none newer): install a JDK or JRE 25," \
         "e.g. Temurin 25, or set JAVA_HOME to one" >&2
}

java_described() {
    if [ -z "$1" ]; then
        echo "none"
    else
        echo "Java $(java_major "$1") in $1"
    fi
}
