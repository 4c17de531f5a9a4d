#!/bin/sh
# Prints the home of a JDK 25 or newer, to build with: JAVA_HOME when it is one, else the javac on
# PATH when it is one, else the newest under /usr/lib/jvm (the discovery of the launchers, find-java.sh).
# Exits 1 with a message when there is none.
. "$(dirname "$0")/find-java.sh"

find_java javac /usr/lib/jvm && exit 0
echo "no JDK 25 or newer found (JAVA_HOME=${JAVA_HOME:-unset}, PATH, /usr/lib/jvm); install one, e.g. Temurin 25" >&2
exit 1
