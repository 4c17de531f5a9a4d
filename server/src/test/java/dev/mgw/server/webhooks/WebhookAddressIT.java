package dev.mgw.server.webhooks;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

import dev.mgw.server.ApiClient;
import dev.mgw.server.Await;
import dev.mgw.server.GatewayServerTest;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The address rules with WEBHOOK_ALLOW_PRIVATE off (http allowed, so that a loopback receiver can
 * stand in for an internal service): a name that resolves to 127.0.0.1 is refused at every attempt
 * and nothing reaches the receiver. WebhookDeliveryIT delivers to the same receiver with the
 * setting on.
 */
class WebhookAddressIT extends GatewayServerTest {
    private static Receiver receiver;
    private final ApiClient api;

    WebhookAddressIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        receiver = new Receiver();
        start(builder, WebhookAddressIT.class, Map.of("WEBHOOK_WORKERS", "1", "WEBHOOK_ALLOW_HTTP", "true"));
    }

    @AfterAll
    static void stopReceiver() {
        receiver.close();
    }

    @Test
    void anEndpointResolvingToLoopbackIsRefusedAtEveryAttemptAndNothingIsSent() {
        String key = gw.key("internal", 10);
        ApiClient.Response created = api.request("POST", "/api/v1/webhooks", key,
                                                 "{\"url\": \"" + receiver.url("localhost", "/internal") + "\"}",
                                                 "Content-Type", "application/json");
        assertEquals(201, created.status(), "a host name is checked where it matters, at each attempt: " + created);
        String id = created.json().getString("id");
        String eventId = api.request("POST", "/api/v1/webhooks/" + id + "/test", key, null).json().getString("event_id");

        for (int attempt = 1; attempt <= 2; attempt++) {
            int expected = attempt;
            Await.until("attempt " + attempt + " recorded", Duration.ofSeconds(10), () -> gw.db().queryLong(
                    "SELECT count(*) FROM webhook_deliveries WHERE event_id = '" + eventId + "' AND attempts = " + expected
                    + " AND locked_until IS NULL") == 1);
            String row = gw.db().queryString("SELECT status || ' | ' || last_error FROM webhook_deliveries "
                                             + "WHERE event_id = '" + eventId + "'");
            assertTrue(row.startsWith("pending | refused address: localhost resolves to 127.0.0.1, a loopback address"),
                       row);
            gw.db().sql("UPDATE webhook_deliveries SET next_attempt_at = now() WHERE event_id = '" + eventId + "'");
        }
        assertEquals(0, receiver.all().size(), "not one request reached the address");
        assertEquals("t", gw.db().queryString("SELECT failing_since IS NOT NULL FROM webhook_endpoints WHERE id = '"
                                              + id + "'"));
    }

    @Test
    void anAddressLiteralInARefusedRangeIsRefusedWhenTheEndpointIsCreated() {
        String key = gw.key("literal", 10);
        for (String url : new String[] {receiver.url("127.0.0.1", "/x"), "http://10.0.0.7/x", "http://[::1]:8080/x",
                                        "http://169.254.169.254/latest/meta-data", "http://100.64.0.1/x"}) {
            ApiClient.Response refused = api.request("POST", "/api/v1/webhooks", key, "{\"url\": \"" + url + "\"}",
                                                     "Content-Type", "application/json");
            assertEquals(422, refused.status(), url + ": " + refused);
            assertTrue(refused.body().contains("where webhooks are not sent"), refused::toString);
        }
    }
}
