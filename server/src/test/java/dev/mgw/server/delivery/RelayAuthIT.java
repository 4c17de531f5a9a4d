package dev.mgw.server.delivery;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

import dev.mgw.server.ApiClient;
import dev.mgw.server.Await;
import dev.mgw.server.GatewayServerTest;
import dev.mgw.server.TestRelay;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SMTP_USERNAME / SMTP_PASSWORD reach a relay that requires AUTH. */
class RelayAuthIT extends GatewayServerTest {
    private static TestRelay relay;
    private final ApiClient api;

    RelayAuthIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        relay = new TestRelay();
        relay.requireAuth("relay-user", "relay-s3cret");
        start(builder, RelayAuthIT.class, Map.of("SMTP_HOST", "127.0.0.1",
                                                 "SMTP_PORT", String.valueOf(relay.port()),
                                                 "SMTP_USERNAME", "relay-user",
                                                 "SMTP_PASSWORD", "relay-s3cret",
                                                 "SMTP_STARTTLS", "off",
                                                 "SMTP_FROM_ADDRESS", "noreply@acme.example",
                                                 "DELIVERY_WORKERS", "1"));
    }

    @AfterAll
    static void stopRelay() {
        relay.close();
    }

    @Test
    void credentialsReachTheRelay() {
        String key = gw.key("auth", 10);
        String id = api.send(key, "{\"to\":\"a@example.com\",\"subject\":\"s\",\"text\":\"t\"}").json().getString("id");
        Await.until("delivery", Duration.ofSeconds(10),
                    () -> "sent".equals(gw.db().queryString("SELECT status FROM messages WHERE id = '" + id + "'")));
        assertEquals(1, relay.envelopes().size());
        assertTrue(relay.envelopes().getFirst().authenticated(), "the transaction ran after AUTH");
        assertEquals("UP", api.get("/health", null).json().getJsonObject("checks").getString("smtp"));
    }
}
