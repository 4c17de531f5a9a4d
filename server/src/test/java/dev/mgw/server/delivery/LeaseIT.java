package dev.mgw.server.delivery;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;

import dev.mgw.server.ApiClient;
import dev.mgw.server.Await;
import dev.mgw.server.GatewayServerTest;
import dev.mgw.server.TestRelay;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObjectBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A relay slower than the lease (10 s here, with a 5 s SMTP timeout, two workers): the claim is
 * renewed while the send runs, so the message goes out once and is recorded {@code sent}; each
 * outcome is recorded as soon as its own send ends; a send whose lease cannot be renewed (the
 * database is away) is aborted before the lease runs out.
 */
class LeaseIT extends GatewayServerTest {
    private static final Duration SLOW = Duration.ofSeconds(60);
    private static TestRelay relay;
    private static String key;
    private final ApiClient api;

    LeaseIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        relay = new TestRelay();
        start(builder, LeaseIT.class, Map.of("SMTP_HOST", "127.0.0.1",
                                             "SMTP_PORT", String.valueOf(relay.port()),
                                             "SMTP_FROM_ADDRESS", "noreply@acme.example",
                                             "DELIVERY_WORKERS", "2",
                                             "DELIVERY_LEASE_SECONDS", "10",
                                             "SMTP_TIMEOUT_SECONDS", "5",
                                             "DELIVERY_BACKOFF_SECONDS", "1"));
    }

    @BeforeAll
    static void apiKey() {
        key = gw.key("lease", 1_000_000);
    }

    @AfterAll
    static void stopRelay() {
        relay.close();
    }

    @Test
    void aRelayTakingTwelveSecondsPerMessageGetsItOnceAndItIsRecordedSent() {
        relay.delayRecipients("twelve.example", Duration.ofSeconds(3));
        relay.delayData("twelve.example", Duration.ofSeconds(3));
        String id = send(recipients("twelve.example", 3));

        awaitSentOnceByItsFirstAttempt(id);
    }

    @Test
    void aFiftyRecipientMessageThatTakesLongerThanTheLeaseGetsThereOnce() {
        relay.delayRecipients("fifty.example", Duration.ofMillis(250));
        String id = send(recipients("fifty.example", 50));

        awaitSentOnceByItsFirstAttempt(id);
    }

    @Test
    void theFirstMessageOfABatchIsRecordedWhileTheRelayStillHoldsTheSecond() {
        relay.delayRecipients("batch.example", Duration.ofSeconds(2));
        Map<String, String> ids = Map.of("one@batch.example", UUID.randomUUID().toString(),
                                         "two@batch.example", UUID.randomUUID().toString());
        // one statement: one claim takes both; which goes first is the claim's business
        gw.db().sql("INSERT INTO messages (id, api_key_id, sender, to_recipients, subject, text_body) "
                    + "SELECT CAST(v.id AS uuid), k.id, 'noreply@acme.example', ARRAY[v.rcpt], 'Batch', 'Body' "
                    + "FROM api_keys k, (VALUES ('" + ids.get("one@batch.example") + "', 'one@batch.example'), ('"
                    + ids.get("two@batch.example") + "', 'two@batch.example')) AS v(id, rcpt) WHERE k.name = 'lease'");

        Await.until("the relay to hold the second message", SLOW,
                    () -> relay.offeredRecipients().containsAll(ids.keySet()));
        List<String> order = relay.offeredRecipients().stream().filter(ids::containsKey).toList();
        // handed to the outcome recorder at once, written by its next commit: well within the 2 s
        // the relay holds the second message
        Await.until("the first outcome recorded", SLOW, () -> "sent".equals(column(ids.get(order.get(0)), "status")));
        assertEquals("sending", column(ids.get(order.get(1)), "status"), "the second is still with the relay");
        awaitStatus(ids.get(order.get(1)), "sent", SLOW);
    }

    @Test
    void theLeaseIsRenewedWhileTheSendRunsAndNoLongerOnceItEnded() {
        relay.delayRecipients("renewed.example", Duration.ofSeconds(3));
        String id = send(recipients("renewed.example", 2));
        Await.until("the claim", SLOW, () -> "sending".equals(column(id, "status")));
        long claimedUntil = lockedUntilMillis(id);

        Await.until("the lease to be renewed", SLOW, () -> lockedUntilMillis(id) > claimedUntil);
        awaitStatus(id, "sent", SLOW);
        assertNull(column(id, "locked_until"), "no lease left on a sent message");
        Await.until("the claim to be let go", Duration.ofSeconds(5), () -> gw.gateway().delivery().claimsHeld() == 0);
    }

    @Test
    void aSendWhoseLeaseCannotBeRenewedIsAbortedBeforeTheLeaseRunsOut() {
        relay.delayRecipients("unrenewable.example", Duration.ofSeconds(3));
        String id = send(recipients("unrenewable.example", 4));
        Await.until("the send to start", SLOW, () -> relay.offeredRecipients().contains("r1@unrenewable.example"));

        gw.databaseProxy().cut();
        try {
            Await.until("the lease to run out", SLOW,
                        () -> gw.db().queryLong("SELECT count(*) FROM messages WHERE id = '" + id
                                                + "' AND locked_until < now()") == 1);
        } finally {
            gw.databaseProxy().restore();
        }

        awaitStatus(id, "sent", SLOW);
        assertEquals("2", column(id, "attempts"), "claimed again once the lease ran out");
        assertEquals(1, offered(id), "only the second attempt reached DATA: the first was cut off in time");
        assertEquals(1, relay.envelopes().stream().filter(e -> messageId(id).equals(e.messageId())).count());
    }

    /** Recorded sent by the attempt that claimed it first, and taken by the relay once. */
    private static void awaitSentOnceByItsFirstAttempt(String id) {
        awaitStatus(id, "sent", SLOW);
        assertEquals("1", column(id, "attempts"));
        assertEquals(1, offered(id), "the relay got it once");
    }

    private String send(JsonObjectBuilder body) {
        ApiClient.Response response = api.send(key, body.add("subject", "Slow").add("text_body", "Hi").build().toString());
        assertEquals(202, response.status(), response::toString);
        return response.json().getString("id");
    }

    /** A message to r1@domain … rN@domain. */
    private static JsonObjectBuilder recipients(String domain, int count) {
        JsonArrayBuilder to = Json.createArrayBuilder();
        IntStream.rangeClosed(1, count).forEach(i -> to.add("r" + i + "@" + domain));
        return Json.createObjectBuilder().add("to", to);
    }

    private static long offered(String id) {
        return relay.offeredMessageIds().stream().filter(messageId(id)::equals).count();
    }

    private static String messageId(String id) {
        return "<" + id + "@acme.example>";
    }

    private static long lockedUntilMillis(String id) {
        return gw.db().queryLong("SELECT COALESCE(CAST(extract(epoch FROM locked_until) * 1000 AS bigint), 0) "
                                 + "FROM messages WHERE id = '" + id + "'");
    }
}
