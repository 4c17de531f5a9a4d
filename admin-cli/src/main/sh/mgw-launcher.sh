
# mgw: the mail-gateway admin tool. This file is a shell launcher followed by the tool's jar; it
# runs the jar on the Java that find_java (above) finds. MGW_JAVA_OPTS adds JVM options.
java_home=$(find_java java /usr/lib/jvm) || { no_java mgw /usr/lib/jvm; exit 1; }
# shellcheck disable=SC2086 # MGW_JAVA_OPTS is a list of words
exec "$java_home/bin/java" $MGW_JAVA_OPTS -XX:TieredStopAtLevel=1 -Xshare:auto -jar "$0" "$@"
