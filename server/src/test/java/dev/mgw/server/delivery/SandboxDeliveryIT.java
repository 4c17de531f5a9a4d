package dev.mgw.server.delivery;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

import dev.mgw.server.ApiClient;
import dev.mgw.server.Await;
import dev.mgw.server.GatewayServerTest;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Without SMTP_HOST: rendered, marked sent with transport sandbox, nothing leaves. */
class SandboxDeliveryIT extends GatewayServerTest {
    private final ApiClient api;

    SandboxDeliveryIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, SandboxDeliveryIT.class, Map.of("DELIVERY_WORKERS", "2"));
    }

    @Test
    void sandboxRendersAndMarksSent() {
        String key = gw.key("sandbox", 10);
        String id = api.send(key, "{\"to\":\"a@example.com\",\"subject\":\"Grüße\",\"html\":\"<p>x</p>\",\"text\":\"x\","
                                  + "\"bcc\":[\"b@example.com\"]}").json().getString("id");
        Await.until("sandbox delivery", Duration.ofSeconds(10),
                    () -> "sent".equals(gw.db().queryString("SELECT status FROM messages WHERE id = '" + id + "'")));
        assertEquals("sandbox", gw.db().queryString("SELECT transport FROM messages WHERE id = '" + id + "'"));
        assertEquals("<" + id + "@localhost>", gw.db().queryString("SELECT smtp_message_id FROM messages WHERE id = '" + id + "'"));
        assertEquals("SANDBOX", api.get("/health", null).json().getJsonObject("checks").getString("smtp"));
        assertEquals("sent", api.get("/api/v1/messages/" + id, key).json().getString("status"));
    }
}
