package dev.mgw.server.delivery;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

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
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One worker's reused SMTP connection against a relay that misbehaves once the data went out:
 * such a failure is a deferred attempt, never a resend on the spot; a connection that fails its
 * {@code RSET} check is reopened and the message goes once, on the new one.
 */
class ReusedConnectionIT extends GatewayServerTest {
    private static ScriptedRelay relay;
    private static String key;
    private final ApiClient api;

    ReusedConnectionIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        relay = new ScriptedRelay();
        start(builder, ReusedConnectionIT.class, Map.of("SMTP_HOST", "127.0.0.1",
                                                        "SMTP_PORT", String.valueOf(relay.port()),
                                                        "SMTP_FROM_ADDRESS", "noreply@acme.example",
                                                        "SMTP_TIMEOUT_SECONDS", "2",
                                                        "DELIVERY_WORKERS", "1",
                                                        "DELIVERY_BACKOFF_SECONDS", "2"));
    }

    @BeforeAll
    static void apiKey() {
        key = gw.key("reused", 1000);
    }

    @AfterAll
    static void stopRelay() {
        relay.close();
    }

    @Test
    void aResetAfterTheDataOnAReusedConnectionIsADeferredAttemptNotAResendOnTheSpot() {
        int connection = openConnection();
        relay.resetAfterNextData();
        String id = send("reset@example.com");

        awaitFirstAttempt(id);
        assertEquals(connection, relay.taken(messageId(id)).getFirst().connection(), "went on the reused connection");
        assertDeferred(id);
        awaitSentAgainWithTheSameMessageId(id);
    }

    @Test
    void a250AfterTheReadTimeOutIsADeferredAttemptNotAResendOnTheSpot() {
        int connection = openConnection();
        relay.answerNextDataAfter(Duration.ofSeconds(4));
        String id = send("late@example.com");

        awaitFirstAttempt(id);
        assertEquals(connection, relay.taken(messageId(id)).getFirst().connection(), "went on the reused connection");
        assertDeferred(id);
        assertTrue(column(id, "last_error").toLowerCase().contains("timed out"), column(id, "last_error"));
        awaitSentAgainWithTheSameMessageId(id);
    }

    @Test
    void aConnectionThatFailsItsRsetCheckIsReopenedAndTheMessageGoesOnceOnTheNewOne() {
        int connection = openConnection();
        int resets = relay.resets();
        relay.dropConnectionOnNextRset();
        String id = send("after-rset@example.com");

        awaitStatus(id, "sent");
        assertTrue(relay.resets() > resets, "the reused connection was checked with RSET");
        List<ScriptedRelay.Taken> taken = relay.taken(messageId(id));
        assertEquals(1, taken.size(), "taken once: " + taken);
        assertTrue(taken.getFirst().connection() > connection, "sent on a new connection: " + taken);
        assertEquals("1", column(id, "attempts"));
    }

    /** Sends a message so that the worker holds an open connection; returns that connection's number. */
    private int openConnection() {
        String id = send("warm-up@example.com");
        awaitStatus(id, "sent");
        return relay.taken(messageId(id)).getFirst().connection();
    }

    private static void awaitFirstAttempt(String id) {
        Await.until("the first attempt of " + id + " to be recorded", Duration.ofSeconds(20),
                    () -> !"0".equals(column(id, "attempts")) && !"sending".equals(column(id, "status")));
    }

    /** Queued again for later: the relay may have the message, so it was not sent again at once. */
    private static void assertDeferred(String id) {
        assertEquals("queued", column(id, "status"));
        assertEquals("1", column(id, "attempts"));
        assertNotNull(column(id, "last_error"));
        assertEquals("t", column(id, "next_attempt_at > now()"), "the next attempt waits for its backoff");
        assertEquals(1, relay.taken(messageId(id)).size(), "not sent again on the spot");
    }

    private static void awaitSentAgainWithTheSameMessageId(String id) {
        awaitStatus(id, "sent");
        assertEquals("2", column(id, "attempts"));
        assertEquals(2, relay.taken(messageId(id)).size(), "the retry carries the same Message-ID");
    }

    private String send(String to) {
        ApiClient.Response response = api.send(key, Json.createObjectBuilder()
                .add("to", to)
                .add("subject", "Hello")
                .add("text_body", "Hi")
                .build()
                .toString());
        assertEquals(202, response.status(), response::toString);
        return response.json().getString("id");
    }

    private static String messageId(String id) {
        return "<" + id + "@acme.example>";
    }
}
