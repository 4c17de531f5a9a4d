
# mail-gateway: runs mail-gateway.jar (beside this file) with the production JVM options (SPEC §14)
# on the Java that find_java (above) finds. JAVA_OPTS adds to them or overrides them (it comes last).
#  -Xmx128m -XX:MarkStackSize=64k: the heap cap and G1's initial mark stack (64k entries instead of
#     4M; it grows when marking needs more) keep the process under 300 MB resident under overload
#     (live data is about 15 MB; G1 otherwise commits 256 MB of heap and 43 MB of its own).
#  -XX:+ExitOnOutOfMemoryError: a process out of memory exits, to be restarted, instead of limping on.
#  -XX:+AutoCreateSharedArchive: a class data archive, written when a run exits (and again after the
#     jar or a library changed: an archive older than any of them is removed first), cuts the start
#     to ready by a quarter. It lives in $CACHE_DIRECTORY (systemd's
#     CacheDirectory=), else beside the jar, else in ~/.cache/mail-gateway: the first of them that
#     can be written.
#  -Xlog:…:stderr -XX:+DisplayVMOutputToStderr: the JVM's own messages (such as the archive's
#     warnings on exit) go to stderr, so stdout carries nothing but the gateway's JSON lines.
java_home=$(find_java java /usr/lib/jvm) || { no_java mail-gateway /usr/lib/jvm; exit 1; }
here=$(dirname "$(readlink -f "$0")")

set -- -Xmx128m -XX:MarkStackSize=64k -XX:+ExitOnOutOfMemoryError
for archive_dir in "${CACHE_DIRECTORY:-}" "$here" "${HOME:+$HOME/.cache/mail-gateway}"; do
    if [ -n "$archive_dir" ] && { [ -d "$archive_dir" ] || mkdir -p "$archive_dir" 2>/dev/null; } \
       && [ -w "$archive_dir" ]; then
        # an archive older than the jar or one of its libraries (an upgrade, a rebuild of one module)
        # is removed rather than left to the JVM: when its recorded class path no longer matches, the
        # JVM runs without it and never rewrites it
        for jar in "$here/mail-gateway.jar" "$here"/libs/*.jar; do
            if [ "$jar" -nt "$archive_dir/mail-gateway.jsa" ]; then
                rm -f "$archive_dir/mail-gateway.jsa"
                break
            fi
        done
        set -- "$@" -XX:+AutoCreateSharedArchive "-XX:SharedArchiveFile=$archive_dir/mail-gateway.jsa"
        break
    fi
done
set -- "$@" -Xlog:disable -Xlog:all=warning:stderr -XX:+DisplayVMOutputToStderr

# shellcheck disable=SC2086 # JAVA_OPTS is a list of words
exec "$java_home/bin/java" "$@" $JAVA_OPTS -jar "$here/mail-gateway.jar"
