# mail-gateway image: built with Maven on JDK 25, run on a slim JRE 25 as UID 1000.
#   docker build -t mail-gateway .
#   docker run -p 8000:8000 -e DATABASE_URL=postgresql://user:pass@db:5432/mailgateway mail-gateway
#   docker run --rm --entrypoint mgw -e DATABASE_URL=... mail-gateway keys list

FROM maven:3.9-eclipse-temurin-25 AS build
WORKDIR /src
# dependencies first, so that source changes reuse the cached layer
COPY pom.xml ./
COPY db-changelog/pom.xml db-changelog/
COPY core/pom.xml core/
COPY admin-cli/pom.xml admin-cli/
COPY server/pom.xml server/
COPY bench/pom.xml bench/
RUN mvn -B -q dependency:go-offline -DexcludeGroupIds=dev.mgw || true
COPY scripts/find-java.sh scripts/
COPY db-changelog db-changelog
COPY core core
COPY admin-cli admin-cli
COPY server server
RUN mvn -B -q package -DskipTests -pl server,admin-cli -am

FROM eclipse-temurin:25-jre-alpine
RUN addgroup -g 1000 mgw && adduser -u 1000 -G mgw -H -D -s /sbin/nologin mgw \
    && mkdir -p /var/cache/mail-gateway && chown 1000:1000 /var/cache/mail-gateway
WORKDIR /app
COPY --from=build /src/server/target/mail-gateway /app/mail-gateway
COPY --from=build /src/server/target/mail-gateway.jar /app/mail-gateway.jar
COPY --from=build /src/server/target/libs /app/libs
COPY --from=build /src/admin-cli/target/mgw /usr/local/bin/mgw
USER 1000:1000
# CACHE_DIRECTORY: where the launcher keeps its ahead-of-time cache (written when the container's
# first run exits, a few seconds more, and used on its restarts), as systemd's CacheDirectory= would set it
ENV SERVER_HOST=0.0.0.0 \
    SERVER_PORT=8000 \
    LOG_JSON=true \
    CACHE_DIRECTORY=/var/cache/mail-gateway
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD wget -q -O /dev/null http://127.0.0.1:8000/health/live || exit 1
STOPSIGNAL SIGTERM
# the launcher: the production JVM options (heap cap, G1 mark stack, exit on out of memory, ahead-of-time
# cache, JVM messages on stderr); JAVA_OPTS (docker run -e JAVA_OPTS=…) adds to them
ENTRYPOINT ["/app/mail-gateway"]
