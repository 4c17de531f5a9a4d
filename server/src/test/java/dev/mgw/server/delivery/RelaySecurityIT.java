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

/** SMTP_STARTTLS=required against a relay that cannot do it: nothing goes out in the clear. */
class RelaySecurityIT extends GatewayServerTest {
    private static TestRelay relay;
    private final ApiClient api;

    RelaySecurityIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        relay = new TestRelay();
        start(builder, RelaySecurityIT.class, Map.of("SMTP_HOST", "127.0.0.1",
                                                     "SMTP_PORT", String.valueOf(relay.port()),
                                                     "SMTP_FROM_ADDRESS", "noreply@acme.example",
                                                     "SMTP_STARTTLS", "required",
                                                     "DELIVERY_WORKERS", "1",
                                                     "DELIVERY_BACKOFF_SECONDS", "60"));
    }

    @AfterAll
    static void stopRelay() {
        relay.close();
    }

    @Test
    void requiredStartTlsAgainstARelayWithoutItRetriesAndSaysWhy() {
        String key = gw.key("tls", 10);
        String id = api.send(key, "{\"to\":\"a@example.com\",\"subject\":\"s\",\"text\":\"t\"}").json().getString("id");
        Await.until("a failed attempt", Duration.ofSeconds(10),
                    () -> gw.db().queryString("SELECT last_error FROM messages WHERE id = '" + id + "'") != null);
        assertEquals("queued", gw.db().queryString("SELECT status FROM messages WHERE id = '" + id + "'"));
        String error = gw.db().queryString("SELECT last_error FROM messages WHERE id = '" + id + "'");
        assertTrue(error.contains("STARTTLS"), error);
        assertEquals(0, relay.envelopes().size(), "nothing was sent in the clear");
        assertEquals("DOWN", api.get("/health", null).json().getJsonObject("checks").getString("smtp"));
    }
}
