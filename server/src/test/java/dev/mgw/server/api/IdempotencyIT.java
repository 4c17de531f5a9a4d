package dev.mgw.server.api;

import java.net.URI;
import java.util.List;
import java.util.Map;

import dev.mgw.server.ApiClient;
import dev.mgw.server.GatewayServerTest;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import org.junit.jupiter.api.Test;

import static dev.mgw.server.api.Checks.assertAccepted;
import static dev.mgw.server.api.Checks.assertProblem;
import static dev.mgw.server.api.Checks.json;
import static dev.mgw.server.api.Checks.valid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class IdempotencyIT extends GatewayServerTest {
    private final ApiClient api;

    IdempotencyIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, IdempotencyIT.class, Map.of());
    }

    @Test
    void aReplayReturnsTheOriginalBodyAndChargesNothing() {
        String key = gw.key("replay", 10);
        ApiClient.Response first = api.send(key, json(valid()), "Idempotency-Key", "order-1001");
        assertAccepted(first);
        assertNull(first.header("Idempotent-Replayed"));
        ApiClient.Response again = api.send(key, json(valid()), "Idempotency-Key", "order-1001");
        assertEquals(202, again.status(), again::toString);
        assertEquals("true", again.header("Idempotent-Replayed"));
        assertEquals(first.body(), again.body(), "the original 202 body");
        assertEquals(first.header("Location"), again.header("Location"));
        assertEquals(1, gw.stored("replay"));
        assertEquals(1, gw.charged("replay"));
    }

    @Test
    void theSameRequestWrittenDifferentlyIsStillAReplay() {
        String key = gw.key("canonical", 10);
        String first = "{\"to\":\"a@example.com\",\"subject\":\"Hi\",\"text\":\"Body\",\"tags\":{\"a\":\"1\",\"b\":\"2\"}}";
        String second = "{ \"tags\": {\"b\": \"2\", \"a\": \"1\"}, \"text_body\": \"Body\", \"subject\": \"Hi\",\n"
                        + "  \"to\": [\"a@example.com\"] }";
        ApiClient.Response original = api.send(key, first, "Idempotency-Key", "k1");
        ApiClient.Response replay = api.send(key, second, "Idempotency-Key", "k1");
        assertEquals("true", replay.header("Idempotent-Replayed"), replay::toString);
        assertEquals(original.json().getString("id"), replay.json().getString("id"));
    }

    @Test
    void theSameKeyWithAnotherBodyIs422() {
        String key = gw.key("mismatch", 10);
        assertAccepted(api.send(key, json(valid()), "Idempotency-Key", "k-1"));
        assertProblem(api.send(key, json(valid().add("subject", "Other")), "Idempotency-Key", "k-1"),
                      422, "idempotency-key-reused");
        assertEquals(1, gw.stored("mismatch"));
    }

    @Test
    void twentyConcurrentRequestsWithOneKeyStoreOneMessage() {
        String key = gw.key("concurrent", 100);
        List<ApiClient.Response> responses = Concurrently.run(20, i -> api.send(key, json(valid()),
                                                                                "Idempotency-Key", "same-key"));
        assertEquals(List.of(202), responses.stream().map(ApiClient.Response::status).distinct().toList(),
                     responses::toString);
        assertEquals(1, responses.stream().map(r -> r.json().getString("id")).distinct().count());
        assertEquals(19, responses.stream().filter(r -> "true".equals(r.header("Idempotent-Replayed"))).count());
        assertEquals(1, gw.stored("concurrent"));
        assertEquals(1, gw.charged("concurrent"));
    }

    @Test
    void idempotencyKeysBelongToOneApiKey() {
        String a = gw.key("owner-a", 10);
        String b = gw.key("owner-b", 10);
        ApiClient.Response fromA = api.send(a, json(valid()), "Idempotency-Key", "shared");
        ApiClient.Response fromB = api.send(b, json(valid()), "Idempotency-Key", "shared");
        assertAccepted(fromA);
        assertAccepted(fromB);
        assertNotEquals(fromA.json().getString("id"), fromB.json().getString("id"));
    }

    @Test
    void afterTwentyFourHoursTheKeyMayBeUsedAgain() {
        String key = gw.key("expiring", 10);
        ApiClient.Response first = api.send(key, json(valid()), "Idempotency-Key", "daily-report");
        gw.db().sql("UPDATE messages SET created_at = now() - interval '25 hours' WHERE id = '"
                    + first.json().getString("id") + "'");
        ApiClient.Response later = api.send(key, json(valid().add("subject", "Next day")), "Idempotency-Key", "daily-report");
        assertAccepted(later);
        assertNull(later.header("Idempotent-Replayed"));
        assertNotEquals(first.json().getString("id"), later.json().getString("id"));
        assertEquals(2, gw.stored("expiring"));
    }

    /** Each round reuses a key whose first use is 25 h old from many requests at once. */
    @Test
    void concurrentReusesOfAStaleKeyStoreOneMessageAndTheOthersGetItsReplayOrConflict() {
        for (int round = 0; round < 3; round++) {
            String name = "stale-race-" + round;
            String key = gw.key(name, 100);
            String old = api.send(key, json(valid()), "Idempotency-Key", "nightly").json().getString("id");
            gw.db().sql("UPDATE messages SET created_at = now() - interval '25 hours' WHERE id = '" + old + "'");

            List<ApiClient.Response> responses = Concurrently.run(12, i -> api.send(key, json(valid()),
                                                                                    "Idempotency-Key", "nightly"));
            List<ApiClient.Response> accepted = responses.stream()
                    .filter(r -> r.status() == 202 && r.header("Idempotent-Replayed") == null)
                    .toList();
            assertEquals(1, accepted.size(), responses::toString);
            String id = accepted.getFirst().json().getString("id");
            assertNotEquals(old, id);
            for (ApiClient.Response response : responses) {
                if (response.status() == 202) {
                    assertEquals(id, response.json().getString("id"), response::toString);
                } else {
                    assertProblem(response, 409, "conflict");
                }
            }
            assertEquals(2, gw.stored(name));
            assertEquals(2, gw.charged(name));
        }
    }

    @Test
    void aRefusedRequestDoesNotTakeTheKey() {
        String key = gw.key("refused-first", 1);
        assertAccepted(api.send(key, json(valid())));
        assertEquals(429, api.send(key, json(valid()), "Idempotency-Key", "try").status());
        assertEquals(0, gw.mgw("keys", "set-limit", "refused-first", "--limit", "5"));
        ApiClient.Response retried = api.send(key, json(valid()), "Idempotency-Key", "try");
        assertAccepted(retried);
        assertNull(retried.header("Idempotent-Replayed"));
    }
}
