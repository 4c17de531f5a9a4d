package dev.mgw.server.api;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.mgw.core.db.Database;
import dev.mgw.core.events.Timeline;
import dev.mgw.core.suppressions.Suppressions;
import dev.mgw.core.messages.Cancellations;
import dev.mgw.core.messages.DeliveryQueue;
import dev.mgw.core.messages.OutboundMessage;
import dev.mgw.core.webhooks.Owner;
import dev.mgw.core.webhooks.WebhookOutbox;
import dev.mgw.server.ApiClient;
import dev.mgw.server.GatewayServerTest;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import static dev.mgw.server.api.Checks.assertAccepted;
import static dev.mgw.server.api.Checks.assertProblem;
import static dev.mgw.server.api.Checks.json;
import static dev.mgw.server.api.Checks.valid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DELETE /api/v1/messages/{id}: a queued message is canceled, with its event and its quota given back. */
class CancelIT extends GatewayServerTest {
    private final ApiClient api;

    CancelIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, CancelIT.class, Map.of());
    }

    @Test
    void aScheduledMessageIsCanceledWithItsEventAndItsRecipientsCreditedBack() {
        String key = gw.key("scheduler", 10);
        String id = send(key, valid().add("cc", Json.createArrayBuilder().add("cc@example.com"))
                .add("bcc", Json.createArrayBuilder().add("bcc@example.com"))
                .add("send_at", Instant.now().plus(1, ChronoUnit.HOURS).toString()));
        assertEquals(3, gw.charged("scheduler"));

        ApiClient.Response canceled = api.request("DELETE", "/api/v1/messages/" + id, key, null);
        assertEquals(200, canceled.status(), canceled::toString);
        assertEquals("no-store", canceled.header("Cache-Control"));
        assertEquals(id, canceled.json().getString("id"));
        assertEquals("canceled", canceled.json().getString("status"));
        assertEquals("cc@example.com", canceled.json().getJsonObject("recipients").getJsonArray("cc").getString(0));
        assertEquals("canceled", api.get("/api/v1/messages/" + id, key).json().getString("status"));
        assertEquals(0, gw.charged("scheduler"), "the 3 recipients are given back");
        assertEquals(10, api.get("/api/v1/usage", key).json().getInt("emails_remaining"));
        assertEquals("canceled api", gw.db().queryString("SELECT type || ' ' || (detail ->> 'by') FROM message_events "
                                                         + "WHERE message_id = '" + id + "'"));

        assertProblem(api.request("DELETE", "/api/v1/messages/" + id, key, null), 409, "conflict");
        assertEquals(1, gw.db().queryLong("SELECT count(*) FROM message_events WHERE message_id = '" + id + "'"),
                     "a second cancel records nothing");
        assertEquals(0, gw.charged("scheduler"), "and credits nothing");
    }

    @Test
    void aMessageWaitingForARetryIsCanceled() {
        String key = gw.key("retrying", 10);
        String id = send(key, valid());
        gw.db().sql("UPDATE messages SET attempts = 2, last_error = '421 try later', "
                    + "next_attempt_at = now() + interval '5 minutes' WHERE id = '" + id + "'");
        ApiClient.Response canceled = api.request("DELETE", "/api/v1/messages/" + id, key, null);
        assertEquals(200, canceled.status(), canceled::toString);
        assertEquals("canceled", canceled.json().getString("status"));
        assertEquals(2, canceled.json().getInt("attempts"));
    }

    @Test
    void sendingAndFinalMessagesAreConflicts() {
        String key = gw.key("late", 10);
        for (String status : List.of("sending", "sent", "failed")) {
            String id = send(key, valid());
            gw.db().sql("UPDATE messages SET status = '" + status + "' WHERE id = '" + id + "'");
            JsonObject problem = assertProblem(api.request("DELETE", "/api/v1/messages/" + id, key, null), 409, "conflict");
            assertTrue(problem.getString("detail").contains("is " + status), problem::toString);
            assertEquals(status, gw.db().queryString("SELECT status FROM messages WHERE id = '" + id + "'"));
        }
        assertEquals(3, gw.charged("late"), "nothing credited");
        assertEquals(0, gw.db().queryLong("SELECT count(*) FROM message_events"
                                          + " e JOIN api_keys k ON k.id = e.api_key_id WHERE k.name = 'late'"));
    }

    @Test
    void anotherKeysMessageIsNotFoundAndStaysQueued() {
        String owner = gw.key("cancelowner", 10);
        String other = gw.key("cancelother", 10);
        String id = send(owner, valid());
        assertProblem(api.request("DELETE", "/api/v1/messages/" + id, other, null), 404, "not-found");
        assertProblem(api.request("DELETE", "/api/v1/messages/0190f5e0-0000-7000-8000-000000000000", owner, null), 404,
                      "not-found");
        assertProblem(api.request("DELETE", "/api/v1/messages/not-a-uuid", owner, null), 404, "not-found");
        assertProblem(api.request("DELETE", "/api/v1/messages/" + id, null, null), 401, "unauthorized");
        assertEquals("queued", gw.db().queryString("SELECT status FROM messages WHERE id = '" + id + "'"));
        assertEquals(1, gw.charged("cancelowner"));
    }

    @Test
    void aMessageChargedOnAnEarlierDayGivesNothingBackToday() {
        String key = gw.key("yesterday", 10);
        String id = send(key, valid());
        gw.db().sql("UPDATE messages SET created_at = now() - interval '2 days' WHERE id = '" + id + "'");
        assertEquals(200, api.request("DELETE", "/api/v1/messages/" + id, key, null).status());
        assertEquals(9, api.get("/api/v1/usage", key).json().getInt("emails_remaining"));
    }

    /**
     * A worker's claim and a cancel released at the same moment, many times over: exactly one of
     * them wins each message, and the quota and the timeline agree with the winner.
     */
    @Test
    void aCancelAndAClaimAtTheSameMomentNeverBothWin() {
        String key = gw.key("racer", 1000);
        int rounds = 80;
        int canceledCount = 0;
        int claimedCount = 0;
        try (Database database = Database.open(gw.db().target(), 2, false, Database.Limits.TOOL)) {
            Timeline timeline = new Timeline(database, new WebhookOutbox(database, Clock.systemUTC(), () -> {
            }), Clock.systemUTC());
            DeliveryQueue queue = new DeliveryQueue(database, timeline, new Suppressions(database), true);
            Cancellations cancellations = new Cancellations(database, timeline, Clock.systemUTC());
            for (int round = 0; round < rounds; round++) {
                UUID id = UUID.fromString(send(key, valid()));
                boolean overHttp = round % 2 == 0;
                List<Object> results = Concurrently.run(2, side -> side == 0
                        ? (overHttp ? api.request("DELETE", "/api/v1/messages/" + id, key, null).status()
                                    : cancellations.cancel(Owner.operator(), id))
                        : queue.claim(5, Duration.ofMinutes(5)));
                boolean canceled = overHttp ? results.get(0).equals(200)
                                            : results.get(0) instanceof Cancellations.Result.Canceled;
                @SuppressWarnings("unchecked")
                boolean claimed = ((List<OutboundMessage>) results.get(1)).stream().anyMatch(m -> m.id().equals(id));
                assertTrue(canceled ^ claimed, "round " + round + ": canceled " + canceled + ", claimed " + claimed
                                               + ", " + results);
                if (overHttp && claimed) {
                    assertEquals(409, results.get(0), "the cancel that lost is a conflict");
                }
                assertEquals(canceled ? "canceled" : "sending",
                             gw.db().queryString("SELECT status FROM messages WHERE id = '" + id + "'"));
                canceledCount += canceled ? 1 : 0;
                claimedCount += claimed ? 1 : 0;
            }
        }
        assertEquals(rounds, canceledCount + claimedCount);
        assertTrue(canceledCount > 0 && claimedCount > 0,
                   "both sides won some rounds (canceled " + canceledCount + ", claimed " + claimedCount + ")");
        assertEquals(claimedCount, gw.charged("racer"), "only the claimed messages stay charged");
        assertEquals(canceledCount, gw.db().queryLong("SELECT count(*) FROM message_events e JOIN api_keys k "
                                                      + "ON k.id = e.api_key_id WHERE k.name = 'racer' AND e.type = 'canceled'"));
    }

    private String send(String key, jakarta.json.JsonObjectBuilder body) {
        ApiClient.Response sent = api.send(key, json(body));
        assertAccepted(sent);
        return sent.json().getString("id");
    }
}
