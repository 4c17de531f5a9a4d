package dev.mgw.server.events;

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

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The timeline of SPEC §10 against a relay that refuses recipients as scripted (550 5.1.1,
 * 550 5.7.1, 452 4.2.2): what GET /api/v1/messages/{id} shows for a sent, a deferred-then-sent,
 * a partly bounced and a failed message; hard bounces suppress, policy bounces do not, and the
 * accept path drops suppressed recipients.
 */
class TimelineIT extends GatewayServerTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static ScriptedRelay relay;
    private final ApiClient api;

    TimelineIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        relay = new ScriptedRelay();
        start(builder, TimelineIT.class, Map.of("SMTP_HOST", "127.0.0.1",
                                                "SMTP_PORT", String.valueOf(relay.port()),
                                                "SMTP_FROM_ADDRESS", "noreply@acme.example",
                                                "SMTP_TIMEOUT_SECONDS", "5",
                                                "DELIVERY_WORKERS", "2",
                                                "DELIVERY_BACKOFF_SECONDS", "1",
                                                "DELIVERY_MAX_ATTEMPTS", "3"));
    }

    @AfterAll
    static void stopRelay() {
        relay.close();
    }

    @Test
    void aSentMessageShowsAcceptedAndSentFromItsRowWithTheRelaysReplyAndNoEventRows() {
        String key = gw.key("sent", 100);
        String id = send(key, "[\"plain@example.com\"]");

        JsonObject message = awaitStatus(key, id, "sent");

        assertEquals(List.of("accepted", "sent"), types(message));
        JsonObject sent = message.getJsonArray("events").getJsonObject(1);
        assertEquals(250, sent.getInt("smtp_code"));
        assertEquals("250 2.0.0 Ok: queued", sent.getString("smtp_reply"));
        assertEquals("plain@example.com", sent.getJsonObject("detail").getJsonArray("recipients").getString(0));
        assertEquals(250, message.getInt("smtp_code"));
        assertEquals(0, gw.db().queryLong("SELECT count(*) FROM message_events WHERE message_id = '" + id + "'"),
                     "the common path writes no event row");
    }

    @Test
    void aRecipientRefusedForNowIsDeferredThenSent() {
        String key = gw.key("deferred", 100);
        relay.refuseRecipient("full@example.com", "452 4.2.2 Mailbox full");
        String id = send(key, "[\"full@example.com\"]");

        JsonObject message = awaitStatus(key, id, "sent");

        assertEquals(List.of("accepted", "deferred", "sent"), types(message));
        JsonObject deferred = message.getJsonArray("events").getJsonObject(1);
        assertEquals("full@example.com", deferred.getString("recipient"));
        assertEquals(452, deferred.getInt("smtp_code"));
        assertEquals("452 4.2.2 Mailbox full", deferred.getString("smtp_reply"));
        assertEquals(1, deferred.getJsonObject("detail").getInt("attempt"));
        assertTrue(deferred.getJsonObject("detail").containsKey("next_attempt_at"));
        assertEquals(2, message.getInt("attempts"));
        assertFalse(suppressed("full@example.com"), "a 4xx never suppresses");
    }

    @Test
    void aRecipientRefusedForNowWhileOthersAreTakenIsTheOnlyOneTheRetryGoesTo() {
        String key = gw.key("mixed", 100);
        relay.refuseRecipient("later@example.com", "452 4.2.2 Mailbox full");
        String id = send(key, "[\"now@example.com\", \"later@example.com\"]");

        JsonObject message = awaitStatus(key, id, "sent");

        assertEquals(List.of("accepted", "deferred", "sent"), types(message));
        assertEquals("later@example.com", message.getJsonArray("events").getJsonObject(1).getString("recipient"));
        List<ScriptedRelay.Taken> taken = relay.taken("<" + id + "@acme.example>");
        assertEquals(2, taken.size(), taken::toString);
        assertEquals(List.of("now@example.com"), taken.get(0).recipients());
        assertEquals(List.of("later@example.com"), taken.get(1).recipients(), "the retry goes to the pending one only");
    }

    @Test
    void aPartlyBouncedMessageIsSentToTheRestAndTheHardBounceIsSuppressed() {
        String key = gw.key("partly", 100);
        relay.refuseRecipient("gone@example.com", "550 5.1.1 <gone@example.com>: Recipient address rejected");
        String id = send(key, "[\"kept@example.com\", \"Gone@example.com\"]");

        JsonObject message = awaitStatus(key, id, "sent");

        assertEquals(List.of("accepted", "bounced", "sent"), types(message));
        JsonObject bounced = message.getJsonArray("events").getJsonObject(1);
        assertEquals("Gone@example.com", bounced.getString("recipient"));
        assertEquals(550, bounced.getInt("smtp_code"));
        assertTrue(bounced.getString("smtp_reply").startsWith("550 5.1.1"), bounced::toString);
        JsonArray sentTo = message.getJsonArray("events").getJsonObject(2).getJsonObject("detail")
                .getJsonArray("recipients");
        assertEquals(List.of("kept@example.com"), sentTo.getValuesAs(JsonString.class).stream()
                .map(JsonString::getString).toList());
        assertEquals(List.of("kept@example.com"), relay.taken("<" + id + "@acme.example>").getFirst().recipients());
        assertTrue(suppressed("gone@example.com"), "5.1.1 is a hard bounce");
        assertEquals("hard_bounce", gw.db().queryString("SELECT reason FROM suppressions WHERE address = 'gone@example.com'"));
        assertEquals(id, gw.db().queryString("SELECT message_id FROM suppressions WHERE address = 'gone@example.com'"));

        // the next send to that address: dropped, only the rest charged; alone, it is refused
        long charged = gw.charged("partly");
        ApiClient.Response again = api.send(key, body("[\"GONE@example.com\", \"other@example.com\"]"));
        assertEquals(202, again.status(), again::toString);
        assertEquals(List.of("GONE@example.com"), strings(again.json().getJsonArray("suppressed")));
        assertEquals(charged + 1, gw.charged("partly"), "only the remaining recipient is charged");
        JsonObject stored = get(key, again.json().getString("id"));
        assertEquals(List.of("other@example.com"), strings(stored.getJsonObject("recipients").getJsonArray("to")));
        assertEquals("suppressed", stored.getJsonArray("events").getJsonObject(1).getString("type"));
        assertEquals("GONE@example.com", stored.getJsonArray("events").getJsonObject(1).getString("recipient"));

        ApiClient.Response alone = api.send(key, body("[\"gone@example.com\"]"));
        assertEquals(422, alone.status(), alone::toString);
        assertEquals("/problems/all-recipients-suppressed", alone.json().getString("type"));
        assertTrue(alone.json().getString("detail").contains("gone@example.com"), alone::toString);
        assertEquals(charged + 1, gw.charged("partly"), "nothing charged");

        // another key is not affected by this key's list
        String other = gw.key("partly-other", 100);
        assertEquals(202, api.send(other, body("[\"gone@example.com\"]")).status());
    }

    @Test
    void aPolicyBounceFailsTheMessageButSuppressesNothing() {
        String key = gw.key("policy", 100);
        relay.refuseRecipient("strict@example.com", "550 5.7.1 Message rejected by policy");
        String id = send(key, "[\"strict@example.com\"]");

        JsonObject message = awaitStatus(key, id, "failed");

        assertEquals(List.of("accepted", "bounced", "failed"), types(message));
        JsonObject failed = message.getJsonArray("events").getJsonObject(2);
        assertEquals(550, failed.getInt("smtp_code"));
        assertEquals(1, message.getInt("attempts"), "a 5xx to every recipient fails at once");
        assertFalse(suppressed("strict@example.com"), "5.7.1 is about policy, not the address");
        assertEquals(202, api.send(key, body("[\"strict@example.com\"]")).status(), "still accepted");
    }

    @Test
    void aMessageThatKeepsBeingDeferredFailsAfterItsLastAttempt() {
        String key = gw.key("failed", 100);
        relay.refuseRecipient("busy@example.com", "452 4.2.2 Mailbox full", "452 4.2.2 Mailbox full",
                              "452 4.2.2 Mailbox full");
        String id = send(key, "[\"busy@example.com\"]");

        JsonObject message = awaitStatus(key, id, "failed");

        assertEquals(List.of("accepted", "deferred", "deferred", "failed"), types(message));
        JsonObject failed = message.getJsonArray("events").getJsonObject(3);
        assertEquals(452, failed.getInt("smtp_code"));
        assertTrue(failed.getJsonObject("detail").getString("error").startsWith("gave up after 3 attempts"),
                   failed::toString);
        assertEquals("452 4.2.2 Mailbox full", message.getString("smtp_reply"));
    }

    @Test
    void aBatchItemWhoseEveryRecipientIsSuppressedIsNotStoredAndAReplayAnswersTheSame() {
        String key = gw.key("batch", 100);
        gw.db().sql("INSERT INTO suppressions (api_key_id, address, reason) SELECT id, 'blocked@example.com', 'manual' "
                    + "FROM api_keys WHERE name = 'batch'");
        gw.db().sql("INSERT INTO suppressions (api_key_id, address, reason) VALUES (NULL, 'everyone@example.com', "
                    + "'complaint')");
        gw.db().sql("INSERT INTO suppressions (api_key_id, address, reason, expires_at) SELECT id, 'lapsed@example.com', "
                    + "'manual', now() - interval '1 minute' FROM api_keys WHERE name = 'batch'");
        String batch = "{\"messages\": [" + body("[\"blocked@example.com\"]") + ", "
                       + body("[\"everyone@example.com\", \"fine@example.com\"]") + ", "
                       + body("[\"lapsed@example.com\"]") + "]}";

        ApiClient.Response first = api.request("POST", "/api/v1/send/batch", key, batch, "Content-Type",
                                               "application/json", "Idempotency-Key", "batch-1");
        assertEquals(202, first.status(), first::toString);
        JsonArray data = first.json().getJsonArray("data");
        assertTrue(data.getJsonObject(0).isNull("id"));
        assertEquals("suppressed", data.getJsonObject(0).getString("status"));
        assertEquals(List.of("blocked@example.com"), strings(data.getJsonObject(0).getJsonArray("suppressed")));
        assertEquals("queued", data.getJsonObject(1).getString("status"));
        assertEquals(List.of("everyone@example.com"), strings(data.getJsonObject(1).getJsonArray("suppressed")));
        assertFalse(data.getJsonObject(2).containsKey("suppressed"), "an expired entry no longer applies");
        assertEquals(2, gw.charged("batch"));
        assertEquals(2, gw.stored("batch"));

        ApiClient.Response replay = api.request("POST", "/api/v1/send/batch", key, batch, "Content-Type",
                                                "application/json", "Idempotency-Key", "batch-1");
        assertEquals(202, replay.status());
        assertEquals("true", replay.header("Idempotent-Replayed"));
        assertEquals(data, replay.json().getJsonArray("data"));
        assertEquals(2, gw.charged("batch"));
    }

    @Test
    void anIdempotentReplayOfASendWithASuppressedRecipientAnswersTheSame() {
        String key = gw.key("replay", 100);
        gw.db().sql("INSERT INTO suppressions (api_key_id, address, reason) SELECT id, 'blocked@example.com', 'manual' "
                    + "FROM api_keys WHERE name = 'replay'");
        String body = body("[\"blocked@example.com\", \"fine@example.com\"]");

        ApiClient.Response first = api.send(key, body, "Idempotency-Key", "send-1");
        ApiClient.Response replay = api.send(key, body, "Idempotency-Key", "send-1");

        assertEquals(202, first.status(), first::toString);
        assertEquals(202, replay.status(), replay::toString);
        assertEquals("true", replay.header("Idempotent-Replayed"));
        assertEquals(first.json().getString("id"), replay.json().getString("id"));
        assertEquals(List.of("blocked@example.com"), strings(first.json().getJsonArray("suppressed")));
        assertEquals(first.json().getJsonArray("suppressed"), replay.json().getJsonArray("suppressed"));
        assertEquals(1, gw.charged("replay"));
    }

    private String send(String key, String to) {
        ApiClient.Response response = api.send(key, body(to));
        assertEquals(202, response.status(), response::toString);
        return response.json().getString("id");
    }

    private static String body(String to) {
        return "{\"to\": " + to + ", \"subject\": \"Hello\", \"text_body\": \"Hi\"}";
    }

    private JsonObject awaitStatus(String key, String id, String status) {
        Await.until("message " + id + " " + status, WAIT, () -> status.equals(gw.db().queryString(
                "SELECT status FROM messages WHERE id = '" + id + "'")));
        return get(key, id);
    }

    private JsonObject get(String key, String id) {
        ApiClient.Response response = api.get("/api/v1/messages/" + id, key);
        assertEquals(200, response.status(), response::toString);
        return response.json();
    }

    private static List<String> types(JsonObject message) {
        return message.getJsonArray("events").getValuesAs(JsonObject.class).stream()
                .map(event -> event.getString("type")).toList();
    }

    private static List<String> strings(JsonArray array) {
        return array.getValuesAs(JsonString.class).stream().map(JsonString::getString).toList();
    }

    private static boolean suppressed(String address) {
        return gw.db().queryLong("SELECT count(*) FROM suppressions WHERE address = '" + address + "'") > 0;
    }
}
