package dev.mgw.server.packaging;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import dev.mgw.core.config.Setting;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The deployment files, read as a reader would (no Docker engine here): the compose file is
 * parsed as YAML, the Dockerfile checked line by line, the systemd unit checked by
 * {@code systemd-analyze verify} where it is installed, the Prometheus and Grafana files parsed.
 */
class PackagingTest {
    private static final Path ROOT = Path.of("..");
    private static final Set<String> SETTINGS = Arrays.stream(Setting.values()).map(Setting::env).collect(Collectors.toSet());

    @Test
    @SuppressWarnings("unchecked")
    void composeRunsPostgresMailpitAndAScalableGatewayWiredBySpecNames() throws IOException {
        Map<String, Object> compose = new Yaml().load(Files.readString(ROOT.resolve("docker-compose.yml")));
        Map<String, Map<String, Object>> services = (Map<String, Map<String, Object>>) compose.get("services");
        assertEquals(Set.of("postgres", "mailpit", "web"), services.keySet());

        Map<String, Object> postgres = services.get("postgres");
        assertTrue(postgres.get("image").toString().startsWith("postgres:"));
        assertTrue(((List<String>) postgres.get("volumes")).getFirst().endsWith(":/var/lib/postgresql/data"));
        assertTrue(((Map<String, Object>) compose.get("volumes")).containsKey("pgdata"));
        assertTrue(((Map<String, Object>) postgres.get("healthcheck")).get("test").toString().contains("pg_isready"));

        assertTrue(services.get("mailpit").get("image").toString().startsWith("axllent/mailpit"));

        Map<String, Object> web = services.get("web");
        assertEquals(".", web.get("build"));
        Map<String, Map<String, String>> dependsOn = (Map<String, Map<String, String>>) web.get("depends_on");
        assertEquals("service_healthy", dependsOn.get("postgres").get("condition"));
        Map<String, String> environment = (Map<String, String>) web.get("environment");
        assertTrue(SETTINGS.containsAll(environment.keySet()), "only the SPEC's names: " + environment.keySet());
        assertTrue(environment.get("DATABASE_URL").startsWith("postgresql://") && environment.get("DATABASE_URL").contains("@postgres:5432/"));
        assertEquals("mailpit", environment.get("SMTP_HOST"));
        assertEquals("1025", environment.get("SMTP_PORT"));
        assertTrue(environment.containsKey("SMTP_FROM_ADDRESS"));
        assertFalse(web.containsKey("container_name"), "a fixed name would stop --scale web=3");
        assertEquals(List.of("8000"), web.get("ports"), "no fixed host port, so instances can scale");
    }

    @Test
    void dockerfileBuildsInOneStageAndRunsTheLauncherOnASlimJreAsUid1000() throws IOException {
        List<String> lines = Files.readAllLines(ROOT.resolve("Dockerfile")).stream()
                .map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                .toList();
        List<String> froms = lines.stream().filter(l -> l.startsWith("FROM ")).toList();
        assertEquals(2, froms.size(), "multi-stage");
        assertTrue(froms.get(0).contains("temurin-25") && froms.get(0).endsWith(" AS build"), froms.get(0));
        assertTrue(froms.get(1).matches("FROM eclipse-temurin:25-jre.*"), "a JRE 25 runtime: " + froms.get(1));
        String runtime = String.join("\n", lines.subList(lines.indexOf(froms.get(1)), lines.size()));
        assertTrue(runtime.contains("mvn") == false, "no build tools in the runtime stage");
        assertTrue(runtime.contains("COPY --from=build /src/server/target/mail-gateway /app/mail-gateway"), runtime);
        assertTrue(runtime.contains("COPY --from=build /src/server/target/mail-gateway.jar /app/mail-gateway.jar"), runtime);
        assertTrue(runtime.contains("COPY --from=build /src/server/target/libs"), runtime);
        assertTrue(runtime.contains("COPY --from=build /src/admin-cli/target/mgw /usr/local/bin/mgw"), runtime);
        assertTrue(runtime.contains("USER 1000:1000"), runtime);
        assertTrue(runtime.contains("HEALTHCHECK") && runtime.contains("/health/live"), runtime);
        assertTrue(runtime.contains("EXPOSE 8000"), runtime);
        assertTrue(runtime.contains("CACHE_DIRECTORY=/var/cache/mail-gateway") && runtime.contains("chown 1000:1000 /var/cache/mail-gateway"),
                   "an ahead-of-time cache the non-root user can write: " + runtime);
        assertEquals("ENTRYPOINT [\"/app/mail-gateway\"]", lines.getLast(), "the launcher, with the production JVM options");
        String build = String.join("\n", lines.subList(0, lines.indexOf(froms.get(1))));
        assertTrue(build.contains("mvn -B -q package -DskipTests"), build);
        assertTrue(build.contains("COPY scripts/find-java.sh scripts/"), "the launchers are built from it: " + build);
        assertTrue(Files.readString(ROOT.resolve(".dockerignore")).contains("**/target/"));
    }

    @Test
    void systemdUnitRunsTheLauncherAndPassesSystemdAnalyze(@TempDir Path dir) throws Exception {
        String unit = Files.readString(ROOT.resolve("etc/mail-gateway.service"));
        List<String> lines = unit.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        for (String line : List.of("[Service]", "ExecStart=/opt/mail-gateway/mail-gateway",
                                   "EnvironmentFile=/etc/mail-gateway/mail-gateway.env", "CacheDirectory=mail-gateway",
                                   "KillSignal=SIGTERM", "SuccessExitStatus=143", "Restart=on-failure",
                                   "WantedBy=multi-user.target")) {
            assertTrue(lines.contains(line), line + " in\n" + unit);
        }
        assertTrue(unit.contains("cp -r server/target/mail-gateway server/target/mail-gateway.jar server/target/libs /opt/mail-gateway/"),
                   "the install comment copies what ExecStart runs");
        int stopSeconds = Integer.parseInt(lines.stream().filter(l -> l.startsWith("TimeoutStopSec=")).findFirst().orElseThrow()
                                                   .substring("TimeoutStopSec=".length()));
        assertTrue(stopSeconds > 10, "in-flight sends get 10 s after SIGTERM: " + stopSeconds);

        Optional<Path> analyze = Stream.of("/usr/bin/systemd-analyze", "/bin/systemd-analyze").map(Path::of)
                .filter(Files::isExecutable).findFirst();
        assumeTrue(analyze.isPresent(), "systemd-analyze is not installed");
        // verify wants ExecStart to exist: here it points at an executable this machine has
        Path copy = Files.writeString(dir.resolve("mail-gateway.service"),
                                      unit.replace("ExecStart=/opt/mail-gateway/mail-gateway", "ExecStart=/bin/true"));
        Process process = new ProcessBuilder(analyze.get().toString(), "verify", copy.toString()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals("exit 0", "exit " + process.exitValue() + output.strip().transform(o -> o.isEmpty() ? "" : ": " + o));
    }

    @Test
    @SuppressWarnings("unchecked")
    void prometheusScrapesTheGatewaysMetrics() throws IOException {
        Map<String, Object> prometheus = new Yaml().load(Files.readString(ROOT.resolve("etc/prometheus.yml")));
        List<Map<String, Object>> jobs = (List<Map<String, Object>>) prometheus.get("scrape_configs");
        Map<String, Object> job = jobs.getFirst();
        assertEquals("mail-gateway", job.get("job_name"));
        assertEquals("/metrics", job.get("metrics_path"));
        assertTrue(job.get("static_configs").toString().contains("localhost:8000"));
    }

    @Test
    void grafanaDashboardShowsTheAskedForPanels() throws IOException {
        JsonObject dashboard = Json.createReader(new StringReader(Files.readString(ROOT.resolve("etc/grafana-dashboard.json"))))
                .readObject();
        String expressions = dashboard.getJsonArray("panels").getValuesAs(JsonObject.class).stream()
                .flatMap(p -> p.getJsonArray("targets").getValuesAs(JsonObject.class).stream())
                .map(t -> t.getString("expr"))
                .collect(Collectors.joining("\n"));
        for (String series : List.of("http_requests_total", "http_request_duration_seconds_bucket", "email_sends_total",
                                     "rate_limit_checks_total{", "email_queue_depth", "email_delivery_seconds_bucket",
                                     "email_oldest_queued_age_seconds", "db_up")) {
            assertTrue(expressions.contains(series), "a panel uses " + series);
        }
        assertTrue(expressions.contains("result") || expressions.contains("exceeded"), "quota refusals");
    }
}
