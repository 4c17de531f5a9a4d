package dev.mgw.server.delivery;

import java.net.URI;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Random;

import dev.mgw.server.ApiClient;
import dev.mgw.server.Await;
import dev.mgw.server.GatewayServerTest;
import dev.mgw.server.ScriptedRelay;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import jakarta.json.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A relay that stops reading in the middle of a message: the worker stuck in its write is freed by
 * the write time-out (SMTP_TIMEOUT_SECONDS, through {@link WriteTimeouts}), the attempt is
 * deferred, and the message goes on its next attempt.
 */
class WriteTimeoutIT extends GatewayServerTest {
    private static ScriptedRelay relay;
    private static String key;
    private final ApiClient api;

    WriteTimeoutIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        relay = new ScriptedRelay();
        start(builder, WriteTimeoutIT.class, Map.of("SMTP_HOST", "127.0.0.1",
                                                    "SMTP_PORT", String.valueOf(relay.port()),
                                                    "SMTP_FROM_ADDRESS", "noreply@acme.example",
                                                    "SMTP_TIMEOUT_SECONDS", "2",
                                                    "DELIVERY_WORKERS", "1",
                                                    "DELIVERY_BACKOFF_SECONDS", "1",
                                                    "MAX_REQUEST_SIZE", "16777216"));
    }

    @BeforeAll
    static void apiKey() {
        key = gw.key("write-timeout", 1000);
    }

    @AfterAll
    static void stopRelay() {
        relay.close();
    }

    @Test
    void aRelayThatStopsReadingMidMessageTimesTheWriteOutAndTheMessageGoesOnItsNextAttempt() {
        // more than the socket buffers between the worker and the relay take (4 MiB send buffer at most here)
        byte[] report = new byte[7 << 20];
        new Random(7).nextBytes(report);
        relay.stopReadingAfterNextDataFor(Duration.ofSeconds(20));
        long sent = System.nanoTime();
        ApiClient.Response response = api.send(key, Json.createObjectBuilder()
                .add("to", "stuck@example.com")
                .add("subject", "A large report")
                .add("text_body", "Attached.")
                .add("attachments", Json.createArrayBuilder().add(Json.createObjectBuilder()
                        .add("filename", "report.bin")
                        .add("content", Base64.getEncoder().encodeToString(report))))
                .build()
                .toString());
        assertEquals(202, response.status(), response::toString);
        String id = response.json().getString("id");

        Await.until("the stuck attempt to be deferred", Duration.ofSeconds(20),
                    () -> column(id, "last_error") != null);
        double seconds = (System.nanoTime() - sent) / 1e9;
        // Angus Mail's write time-out, not the read time-out that would follow a write into the buffers
        assertTrue(column(id, "last_error").contains("Write timed out"), column(id, "last_error"));
        assertTrue(seconds < 2 + WriteTimeouts.TICK.toMillis() / 1000.0 + 6,
                   "freed by the 2 s write time-out, not by the relay letting go after 20 s: " + seconds + " s");
        Await.until("the next attempt to deliver it", Duration.ofSeconds(30), () -> "sent".equals(column(id, "status")));
        assertEquals("2", column(id, "attempts"));
        assertEquals(1, relay.taken("<" + id + "@acme.example>").size(), "taken once, on the second attempt");
    }
}
