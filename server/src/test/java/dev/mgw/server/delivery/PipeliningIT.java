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
import jakarta.json.JsonObjectBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Delivery to a relay that offers PIPELINING (RFC 2920): a message's envelope commands go in one
 * group (with the {@code RSET} check on a reused connection) and the relay answers them together;
 * every refusal in a group is handled as one command at a time would be, and the connection stays
 * in step with the relay's replies for the messages after it.
 */
class PipeliningIT extends GatewayServerTest {
    private static final List<String> FIRST_ON_A_CONNECTION = List.of("MAIL", "RCPT", "DATA");
    private static ScriptedRelay relay;
    private static String key;
    private final ApiClient api;

    PipeliningIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        relay = ScriptedRelay.pipelining();
        start(builder, PipeliningIT.class, Map.of("SMTP_HOST", "127.0.0.1",
                                                  "SMTP_PORT", String.valueOf(relay.port()),
                                                  "SMTP_FROM_ADDRESS", "noreply@acme.example",
                                                  "SMTP_TIMEOUT_SECONDS", "2",
                                                  "DELIVERY_WORKERS", "1",
                                                  "DELIVERY_BACKOFF_SECONDS", "2"));
    }

    @BeforeAll
    static void apiKey() {
        key = gw.key("pipelining", 1000);
    }

    @AfterAll
    static void stopRelay() {
        relay.close();
    }

    @Test
    void theCheckAndTheEnvelopeOfAMessageOnAReusedConnectionGoInOneGroup() {
        int connection = openConnection();
        int groups = relay.groups().size();
        String id = send(message("first@example.com").add("cc", Json.createArrayBuilder().add("second@example.com")));

        awaitStatus(id, "sent");
        List<ScriptedRelay.Taken> taken = relay.taken(messageId(id));
        assertEquals(1, taken.size(), "taken once: " + taken);
        assertEquals(connection, taken.getFirst().connection(), "on the reused connection");
        assertEquals(List.of("first@example.com", "second@example.com"), taken.getFirst().recipients());
        assertEquals(List.of("RSET", "MAIL", "RCPT", "RCPT", "DATA"), relay.groups().get(groups),
                     "answered together: " + relay.groups());
    }

    @Test
    void theFirstMessageOnANewConnectionSendsItsEnvelopeInOneGroup() {
        int connection = openConnection();
        relay.dropConnectionOnNextRset();
        String id = send(message("after-drop@example.com"));

        awaitStatus(id, "sent");
        List<ScriptedRelay.Taken> taken = relay.taken(messageId(id));
        assertEquals(1, taken.size(), "taken once: " + taken);
        assertTrue(taken.getFirst().connection() > connection, "sent on a new connection: " + taken);
        assertEquals("1", column(id, "attempts"), "the failed check cost no attempt");
        assertTrue(relay.groups().contains(FIRST_ON_A_CONNECTION), "a group on the new connection: " + relay.groups());
    }

    @Test
    void aRecipientRefusedInTheGroupGetsNothingAndTheOthersGetTheMessage() {
        openConnection();
        relay.refuseRecipient("gone@example.com", "550 5.1.1 <gone@example.com>: Recipient address rejected");
        String id = send(message("here@example.com").add("cc", Json.createArrayBuilder().add("gone@example.com")));

        awaitStatus(id, "sent");
        List<ScriptedRelay.Taken> taken = relay.taken(messageId(id));
        assertEquals(1, taken.size(), "taken once: " + taken);
        assertEquals(List.of("here@example.com"), taken.getFirst().recipients());
        assertNextMessageGoesOnTheSameConnection(taken.getFirst().connection());
    }

    @Test
    void everyRecipientRefusedFailsTheMessageAndTheRelayRefusesTheDataWrittenAhead() {
        openConnection();
        relay.refuseRecipient("nobody@example.com", "550 5.1.1 <nobody@example.com>: Recipient address rejected");
        String id = send(message("nobody@example.com"));

        awaitStatus(id, "failed");
        assertEquals(0, relay.taken(messageId(id)).size(), "nothing was taken");
        assertTrue(column(id, "last_error").contains("nobody@example.com"), column(id, "last_error"));
        String next = send(message("next@example.com"));
        awaitStatus(next, "sent");
        assertEquals(1, relay.taken(messageId(next)).size());
    }

    @Test
    void aRefusedSenderFailsTheMessageAndTheConnectionStaysInStepForTheNext() {
        int connection = openConnection();
        relay.refuseNextMail("553 5.7.1 <noreply@acme.example>: Sender address rejected");
        String id = send(message("refused-sender@example.com"));

        awaitStatus(id, "failed");
        assertEquals(0, relay.taken(messageId(id)).size(), "nothing was taken");
        assertTrue(column(id, "last_error").contains("553"), column(id, "last_error"));
        assertNextMessageGoesOnTheSameConnection(connection);
    }

    @Test
    void aTemporaryRefusalOfTheOnlyRecipientDefersTheMessage() {
        openConnection();
        relay.refuseRecipient("full@example.com", "452 4.2.2 <full@example.com>: Mailbox full");
        String id = send(message("full@example.com"));

        Await.until("the first attempt of " + id + " to be recorded", Duration.ofSeconds(20),
                    () -> !"0".equals(column(id, "attempts")) && !"sending".equals(column(id, "status")));
        assertEquals("queued", column(id, "status"));
        assertEquals(0, relay.taken(messageId(id)).size(), "nothing was taken");
        awaitStatus(id, "sent");
        assertEquals("2", column(id, "attempts"));
        assertEquals(1, relay.taken(messageId(id)).size(), "taken once, on the second attempt");
    }

    /** A message sent after a refusal goes on the same connection, answered in step. */
    private void assertNextMessageGoesOnTheSameConnection(int connection) {
        String next = send(message("next@example.com"));
        awaitStatus(next, "sent");
        List<ScriptedRelay.Taken> taken = relay.taken(messageId(next));
        assertEquals(1, taken.size(), "taken once: " + taken);
        assertEquals(connection, taken.getFirst().connection(), "on the same connection");
    }

    /** Sends a message so that the worker holds an open connection; returns that connection's number. */
    private int openConnection() {
        String id = send(message("warm-up@example.com"));
        awaitStatus(id, "sent");
        return relay.taken(messageId(id)).getFirst().connection();
    }

    private static JsonObjectBuilder message(String to) {
        return Json.createObjectBuilder().add("to", to).add("subject", "Hello").add("text_body", "Hi");
    }

    private String send(JsonObjectBuilder message) {
        ApiClient.Response response = api.send(key, message.build().toString());
        assertEquals(202, response.status(), response::toString);
        return response.json().getString("id");
    }

    private static String messageId(String id) {
        return "<" + id + "@acme.example>";
    }
}
