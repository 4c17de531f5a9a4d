package dev.mgw.server.observe;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.mgw.core.testing.TestDatabase;
import dev.mgw.server.ApiClient;
import dev.mgw.server.Await;
import dev.mgw.server.GatewayServerTest;
import dev.mgw.server.LaunchedGateway;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** /metrics after a known sequence of requests: counts, labels, format; and on a fresh gateway process. */
class MetricsIT extends GatewayServerTest {
    private static final String SEND = "{\"to\":\"a@example.com\",\"subject\":\"s\",\"text\":\"t\"}";
    /** SPEC §5.3 and §14: each counter, its label and every value the SPEC names for it. */
    private static final Map<String, Map.Entry<String, List<String>>> COUNTERS = Map.of(
            "email_sends_total", Map.entry("status", List.of("queued", "sent", "retry", "failed")),
            "rate_limit_checks_total", Map.entry("result", List.of("allowed", "exceeded")),
            "auth_failures_total", Map.entry("reason", List.of("missing", "invalid", "revoked", "throttled")),
            "webhook_deliveries_total", Map.entry("result", List.of("delivered", "retry", "failed")),
            "smtp_submission_sessions_total",
            Map.entry("result", List.of("submitted", "no_message", "auth_failed", "limited")));
    /** Series etc/alerts.yml watches that other features bring: webhooks (SPEC §11); Prometheus's own {@code up}. */
    private static final Set<String> NOT_THE_GATEWAYS_YET = Set.of("up");
    private static final Pattern SELECTOR = Pattern.compile("([a-z_:][a-z0-9_:]*)\\{");
    private final ApiClient api;

    MetricsIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, MetricsIT.class, Map.of("DELIVERY_WORKERS", "1"));
    }

    @Test
    void aKnownSequenceShowsInTheCountsAndLabels() {
        String key = gw.key("metered", 2);
        PrometheusText before = scrape();

        String id = api.send(key, SEND).json().getString("id");
        assertEquals(202, api.send(key, SEND).status());
        assertEquals(429, api.send(key, SEND).status());
        assertEquals(401, api.send(null, SEND).status());
        assertEquals(200, api.get("/api/v1/messages/" + id, key).status());
        assertEquals(404, api.get("/api/v1/messages/0190f5e0-0000-7000-8000-00000000abcd", key).status());
        assertEquals(405, api.request("DELETE", "/api/v1/send", key, null).status());
        Await.until("both messages delivered", Duration.ofSeconds(10),
                    () -> gw.db().queryLong("SELECT count(*) FROM messages WHERE status = 'sent'") == 2);

        PrometheusText after = scrape();
        assertDelta(before, after, 2, "http_requests_total", Map.of("method", "POST", "route", "/api/v1/send", "status", "202"));
        assertDelta(before, after, 1, "http_requests_total", Map.of("method", "POST", "route", "/api/v1/send", "status", "429"));
        assertDelta(before, after, 1, "http_requests_total", Map.of("method", "POST", "route", "/api/v1/send", "status", "401"));
        assertDelta(before, after, 1, "http_requests_total", Map.of("method", "DELETE", "route", "/api/v1/send", "status", "405"));
        assertDelta(before, after, 1, "http_requests_total",
                    Map.of("method", "GET", "route", "/api/v1/messages/{id}", "status", "200"));
        assertDelta(before, after, 1, "http_requests_total",
                    Map.of("method", "GET", "route", "/api/v1/messages/{id}", "status", "404"));
        assertDelta(before, after, 4, "http_request_duration_seconds_count", Map.of("method", "POST", "route", "/api/v1/send"));
        assertDelta(before, after, 2, "email_sends_total", Map.of("status", "queued"));
        assertDelta(before, after, 2, "email_sends_total", Map.of("status", "sent"));
        assertDelta(before, after, 2, "email_delivery_seconds_count", Map.of());
        assertDelta(before, after, 2, "rate_limit_checks_total", Map.of("result", "allowed"));
        assertDelta(before, after, 1, "rate_limit_checks_total", Map.of("result", "exceeded"));
        assertDelta(before, after, 1, "auth_failures_total", Map.of("reason", "missing"));

        assertFalse(after.samples().stream().anyMatch(s -> s.labels().values().stream()
                .anyMatch(v -> v.matches(".*[0-9a-f]{8}-[0-9a-f]{4}-.*"))), "no raw id in any label");
        assertEquals("histogram", after.type("http_request_duration_seconds"));
        assertEquals("histogram", after.type("email_delivery_seconds"));
        assertEquals("gauge", after.type("email_queue_depth"));
        assertEquals("counter", after.type("auth_bcrypt_checks_total"));
        assertTrue(after.value("auth_bcrypt_checks_total", Map.of()) >= 1);
        assertEquals("gauge", after.type("jvm_memory_used_bytes"));
        assertEquals("counter", after.type("jvm_gc_collections_total"));
        assertEquals("counter", after.type("jvm_gc_collection_time_seconds_total"));
        assertTrue(after.value("process_resident_memory_bytes", Map.of()) > 1_000_000);
        assertTrue(after.value("db_pool_connections", Map.of("state", "idle"))
                   + after.value("db_pool_connections", Map.of("state", "active")) > 0);
    }

    @Test
    void everyCounterSeriesExistsAtZeroOnAFreshGateway(@TempDir Path dir) throws Exception {
        PrometheusText metrics;
        try (TestDatabase db = TestDatabase.empty(MetricsIT.class);
             LaunchedGateway fresh = LaunchedGateway.start(db.env(), dir)) {
            metrics = PrometheusText.parse(new ApiClient(fresh.uri()).get("/metrics", null).body());
        }
        COUNTERS.forEach((name, label) -> {
            assertEquals("counter", metrics.type(name), name);
            for (String value : label.getValue()) {
                Map<String, String> labels = Map.of(label.getKey(), value);
                assertTrue(metrics.samples().stream().anyMatch(s -> s.name().equals(name)
                                                                    && s.labels().entrySet().containsAll(labels.entrySet())),
                           () -> "a series " + name + labels + " from the start");
                assertEquals(0, metrics.value(name, labels), name + labels);
            }
        });
        assertEquals("gauge", metrics.type("email_oldest_queued_age_seconds"));
        assertEquals(0, metrics.value("email_oldest_queued_age_seconds", Map.of()), "nothing is due");
        assertEquals(1, metrics.value("db_up", Map.of()));
        assertEquals("gauge", metrics.type("webhook_queue_depth"));
        assertEquals("histogram", metrics.type("webhook_delivery_seconds"));
        for (String series : alertedSeries()) {
            assertTrue(NOT_THE_GATEWAYS_YET.contains(series)
                       || metrics.samples().stream().anyMatch(s -> s.name().equals(series)),
                       () -> "etc/alerts.yml watches " + series + ", which a fresh gateway must expose");
        }
    }

    @Test
    void theExpositionPassesPromtoolWhenItIsInstalled() throws Exception {
        String text = api.get("/metrics", null).body();
        PrometheusText.parse(text);
        Optional<String> verdict = PrometheusText.promtool(text);
        verdict.ifPresent(v -> assertEquals("exit 0", v));
        System.out.println("promtool check metrics: " + verdict.orElse("not installed; the format was checked by the test"));
    }

    @Test
    void metricsAreServedAsPrometheusText() {
        ApiClient.Response response = api.get("/metrics", null);
        assertEquals(200, response.status());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", response.header("Content-Type"));
    }

    /** The metric names the expressions of etc/alerts.yml select. */
    private static Set<String> alertedSeries() throws IOException {
        Set<String> names = new TreeSet<>();
        for (Map<String, Object> rule : AlertRulesTest.rules()) {
            Matcher matcher = SELECTOR.matcher(rule.get("expr").toString());
            while (matcher.find()) {
                names.add(matcher.group(1));
            }
        }
        return names;
    }

    private PrometheusText scrape() {
        return PrometheusText.parse(api.get("/metrics", null).body());
    }

    private static void assertDelta(PrometheusText before, PrometheusText after, double delta, String name,
                                    Map<String, String> labels) {
        assertEquals(delta, after.value(name, labels) - before.value(name, labels), name + labels);
    }
}
