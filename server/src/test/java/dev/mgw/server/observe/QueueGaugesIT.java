package dev.mgw.server.observe;

import java.net.URI;
import java.util.Map;

import dev.mgw.server.ApiClient;
import dev.mgw.server.GatewayServerTest;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The queue as /metrics shows it, with no delivery worker taking anything away. */
class QueueGaugesIT extends GatewayServerTest {
    private final ApiClient api;

    QueueGaugesIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, QueueGaugesIT.class, Map.of());
    }

    @Test
    void oldestQueuedAgeCountsFromWhenTheOldestDueMessageBecameDue() {
        String key = gw.key("queued", 10);
        String overdue = api.send(key, "{\"to\":\"a@example.com\",\"subject\":\"s\",\"text\":\"t\"}").json().getString("id");
        assertEquals(202, api.send(key, "{\"to\":\"b@example.com\",\"subject\":\"later\",\"text\":\"t\","
                                        + "\"send_at\":\"" + gw.gateway().clock().instant().plusSeconds(3600) + "\"}").status());
        gw.db().sql("UPDATE messages SET next_attempt_at = now() - interval '120 seconds' WHERE id = '" + overdue + "'");

        PrometheusText metrics = PrometheusText.parse(api.get("/metrics", null).body());
        assertEquals("gauge", metrics.type("email_oldest_queued_age_seconds"));
        double age = metrics.value("email_oldest_queued_age_seconds", Map.of());
        assertTrue(age >= 120 && age < 180, "the overdue message, not the scheduled one: " + age);
        assertEquals(2, metrics.value("email_queue_depth", Map.of()), "both wait");
    }
}
