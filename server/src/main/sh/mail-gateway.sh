
# mail-gateway: runs mail-gateway.jar (beside this file) with the production JVM options (SPEC §14)
# on the Java that find_java (above) finds. JAVA_OPTS adds to them or overrides them (it comes last).
#  -Xmx128m -XX:MarkStackSize=64k: the heap cap and G1's initial mark stack (64k entries instead of
#     4M; it grows when marking needs more) keep the process under 300 MB resident under overload
#     (live data is about 15 MB; G1 otherwise commits 256 MB of heap and 43 MB of its own).
#  -XX:+ExitOnOutOfMemoryError: a process out of memory exits, to be restarted, instead of limping on.
#  -XX:AOTCache: an ahead-of-time cache (JDK 25, JEPs 483, 514 and 515: classes loaded and linked,
#     method profiles) takes the start to ready from about 2.1 s to 1.5 s. The first run without
#     one is its training run (-XX:AOTCacheOutput): it starts slower, and when it stops a child
#     JVM writes the cache, which makes that one stop a few seconds longer. The cache's name is a
#     checksum of what it is made from (JAVA_OPTS, and the name, size and date of the jar, each
#     library and the JDK), so that an upgrade, a rebuild of one module or other options, which
#     the JVM would refuse the old cache for (and never rewrite it), get a new one; the others are
#     removed, and so is a cache whose write did not finish (its configuration file is left). It
#     lives in $CACHE_DIRECTORY (systemd's CacheDirectory=), else beside the jar, else in
#     ~/.cache/mail-gateway: the first of them that can be written. JAVA_OPTS with options the JVM
#     will not take together with a cache (-Xshare:…, the class data archive's, module patches)
#     runs without one.
#  -Xlog:…:stderr -XX:+DisplayVMOutputToStderr: the JVM's own messages (such as the cache's
#     on exit) go to stderr, so stdout carries nothing but the gateway's JSON lines. The cache's
#     warnings are left out: JDK 25.0.3 warns at every start that it cannot link one adapter
#     from the cache, and lists at the end of a training run the classes it leaves out.
java_home=$(find_java java /usr/lib/jvm) || { no_java mail-gateway /usr/lib/jvm; exit 1; }
here=$(dirname "$(readlink -f "$0")")

set -- -Xmx128m -XX:MarkStackSize=64k -XX:+ExitOnOutOfMemoryError
case " ${JAVA_OPTS:-} " in
    *-Xshare:* | *SharedArchiveFile* | *SharedClassListFile* | *DumpLoadedClassList* | *-XX:AOT* \
        | *--patch-module* | *--limit-modules* | *--upgrade-module-path*)
        with_cache=no ;;
    *)
        with_cache=yes ;;
esac
for cache_dir in "${CACHE_DIRECTORY:-}" "$here" "${HOME:+$HOME/.cache/mail-gateway}"; do
    [ "$with_cache" = yes ] || break
    if [ -n "$cache_dir" ] && { [ -d "$cache_dir" ] || mkdir -p "$cache_dir" 2>/dev/null; } \
       && [ -w "$cache_dir" ]; then
        made_from=$({ printf '%s\n' "${JAVA_OPTS:-}"
                      stat -L -c '%n %s %Y' "$here/mail-gateway.jar" "$here"/libs/*.jar "$java_home/lib/modules" \
                           "$java_home/lib/server/libjvm.so" 2>/dev/null; } | cksum | cut -d ' ' -f 1)
        cache="$cache_dir/mail-gateway-$made_from.aot"
        if [ -e "$cache.config" ]; then
            rm -f "$cache" "$cache.config"
        fi
        for other in "$cache_dir"/mail-gateway-*.aot "$cache_dir/mail-gateway.jsa"; do
            if [ "$other" != "$cache" ]; then
                rm -f "$other"
            fi
        done
        if [ -f "$cache" ]; then
            set -- "$@" "-XX:AOTCache=$cache"
        else
            set -- "$@" "-XX:AOTCacheOutput=$cache"
        fi
        break
    fi
done
set -- "$@" -Xlog:disable "-Xlog:all=warning,aot*=error:stderr" -XX:+DisplayVMOutputToStderr

# shellcheck disable=SC2086 # JAVA_OPTS is a list of words
exec "$java_home/bin/java" "$@" $JAVA_OPTS -jar "$here/mail-gateway.jar"
