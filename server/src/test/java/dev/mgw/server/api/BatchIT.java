package dev.mgw.server.api;

import java.net.URI;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import dev.mgw.server.ApiClient;
import dev.mgw.server.GatewayServerTest;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import org.junit.jupiter.api.Test;

import static dev.mgw.server.api.Checks.assertInvalid;
import static dev.mgw.server.api.Checks.assertProblem;
import static dev.mgw.server.api.Checks.valid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** POST /api/v1/send/batch (SPEC §5.4): all or nothing, one charge, one transaction, idempotent as a whole. */
class BatchIT extends GatewayServerTest {
    private final ApiClient api;

    BatchIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, BatchIT.class, Map.of());
    }

    @Test
    void aBatchIsStoredAndChargedOnceWithItsResultsInRequestOrder() {
        String key = gw.key("batch", 10);
        ApiClient.Response response = batch(key, Json.createArrayBuilder()
                .add(message("first@example.com", "One"))
                .add(message("second@example.com", "Two").add("cc", Json.createArrayBuilder().add("copy@example.com")))
                .add(message("third@example.com", "Three").add("tags", Json.createObjectBuilder().add("n", "3"))));
        assertEquals(202, response.status(), response::toString);
        assertEquals("application/json", response.header("Content-Type"));
        JsonObject body = response.json();
        assertEquals(6, body.getInt("remaining"));
        assertEquals("10", response.header("X-RateLimit-Limit"));
        assertEquals("6", response.header("X-RateLimit-Remaining"));
        List<JsonObject> data = body.getJsonArray("data").getValuesAs(JsonObject.class);
        assertEquals(3, data.size());
        List<String> subjects = List.of("One", "Two", "Three");
        for (int i = 0; i < 3; i++) {
            assertEquals("queued", data.get(i).getString("status"));
            assertEquals(Set.of("id", "status"), data.get(i).keySet());
            JsonObject stored = api.get("/api/v1/messages/" + data.get(i).getString("id"), key).json();
            assertEquals(subjects.get(i), stored.getString("subject"), "item " + i + " is the message sent at " + i);
            assertEquals("queued", stored.getString("status"));
        }
        assertEquals(3, gw.stored("batch"));
        assertEquals(4, gw.charged("batch"));
        assertEquals(1, gw.db().queryLong("SELECT count(DISTINCT request_id) FROM messages m JOIN api_keys k "
                                          + "ON k.id = m.api_key_id WHERE k.name = 'batch'"));
        assertEquals("{copy@example.com}", gw.db().queryString("SELECT cc_recipients FROM messages WHERE id = '"
                                                               + data.get(1).getString("id") + "'"));
        assertEquals("{\"n\": \"3\"}", gw.db().queryString("SELECT tags FROM messages WHERE id = '"
                                                          + data.get(2).getString("id") + "'"));
    }

    @Test
    void anInvalidItemStoresNothingAndIsNamedByItsIndex() {
        String key = gw.key("batch-invalid", 1000);
        JsonArrayBuilder messages = Json.createArrayBuilder();
        for (int i = 0; i < 100; i++) {
            messages.add(i == 57 ? message("not-an-address", "Bad") : message("user" + i + "@example.com", "Item " + i));
        }
        assertInvalid(batch(key, messages), "messages[57].to");
        assertEquals(0, gw.stored("batch-invalid"));
        assertEquals(0, gw.charged("batch-invalid"));
    }

    @Test
    void everyOffendingFieldOfEveryItemIsListed() {
        String key = gw.key("batch-errors", 1000);
        assertInvalid(batch(key, Json.createArrayBuilder()
                              .add(message("a@example.com", ""))
                              .add(message("b@example.com", "Fine"))
                              .add("not a message")
                              .add(message("c@example.com", "Attached").add("attachments", Json.createArrayBuilder()
                                      .add(Json.createObjectBuilder().add("filename", "run.exe").add("content", "QUJD"))))
                              .add(message("d@example.com", "Unknown").add("priority", "high"))),
                      "messages[0].subject", "messages[2]", "messages[3].attachments[0].filename", "messages[4].priority");
        assertEquals(0, gw.stored("batch-errors"));
    }

    @Test
    void theBatchHoldsOneToBatchMaxMessages() {
        String key = gw.key("batch-size", 1000);
        assertInvalid(batch(key, Json.createArrayBuilder()), "messages");
        String message = Checks.onlyError(assertInvalid(batch(key, messages(101)), "messages"));
        assertTrue(message.contains("BATCH_MAX_MESSAGES") && message.contains("101"), message);
        assertInvalid(post(key, "{}"), "messages");
        assertInvalid(post(key, "{\"messages\": {\"to\": \"a@example.com\"}}"), "messages");
        assertInvalid(post(key, Checks.json(valid())), "subject", "text_body", "to", "messages");
        assertEquals(0, gw.stored("batch-size"));
    }

    @Test
    void aBatchOverQuotaStoresNothing() {
        String key = gw.key("batch-quota", 5);
        ApiClient.Response refused = batch(key, messages(6));
        JsonObject problem = assertProblem(refused, 429, "quota-exceeded");
        assertTrue(problem.getString("detail").contains("this batch has 6 recipients but only 5 remain"), problem::toString);
        assertTrue(Long.parseLong(refused.header("Retry-After")) > 0);
        assertEquals("5", refused.header("X-RateLimit-Remaining"));
        assertEquals(0, gw.stored("batch-quota"));
        assertEquals(0, gw.charged("batch-quota"));
    }

    @Test
    void twentyConcurrentBatchesNeverPassTheLimit() {
        String key = gw.key("batch-race", 95);
        String body = body(messages(10));
        List<Integer> statuses = Concurrently.run(20, i -> post(key, body).status());
        Map<Integer, Long> counted = statuses.stream().collect(Collectors.groupingBy(s -> s, Collectors.counting()));
        assertEquals(Map.of(202, 9L, 429, 11L), counted);
        assertEquals(90, gw.charged("batch-race"));
        assertEquals(90, gw.stored("batch-race"));
    }

    @Test
    void recipientsOutsideTheKeysAllowListAre403NamingTheItem() {
        String key = gw.key("batch-narrow", 10, List.of("partner.example"));
        JsonObject problem = assertProblem(batch(key, Json.createArrayBuilder()
                                                   .add(message("a@partner.example", "Fine"))
                                                   .add(message("leak@elsewhere.example", "No"))), 403, "forbidden");
        assertTrue(problem.getString("detail").startsWith("messages[1]: ") && problem.getString("detail")
                .contains("leak@elsewhere.example"), problem::toString);
        assertEquals(0, gw.stored("batch-narrow"));
    }

    @Test
    void itemsMayCarryAttachments() {
        String key = gw.key("batch-attachments", 10);
        ApiClient.Response response = batch(key, Json.createArrayBuilder()
                .add(message("a@example.com", "Plain"))
                .add(message("b@example.com", "Receipt").add("attachments", Json.createArrayBuilder()
                        .add(Json.createObjectBuilder().add("filename", "receipt.pdf")
                                     .add("content", Base64.getEncoder().encodeToString(new byte[] {1, 2, 3}))))));
        assertEquals(202, response.status(), response::toString);
        List<JsonObject> data = response.json().getJsonArray("data").getValuesAs(JsonObject.class);
        assertEquals(0, api.get("/api/v1/messages/" + data.get(0).getString("id"), key).json()
                .getJsonArray("attachments").size());
        JsonObject receipt = api.get("/api/v1/messages/" + data.get(1).getString("id"), key).json()
                .getJsonArray("attachments").getJsonObject(0);
        assertEquals("receipt.pdf", receipt.getString("filename"));
        assertEquals(3, receipt.getInt("size"));
    }

    @Test
    void theIdempotencyKeyCoversTheWholeBatch() {
        String key = gw.key("batch-idempotent", 100);
        String body = body(Json.createArrayBuilder().add(message("a@example.com", "One")).add(message("b@example.com", "Two")));
        ApiClient.Response first = post(key, body, "Idempotency-Key", "nightly-1");
        assertEquals(202, first.status(), first::toString);
        assertNull(first.header("Idempotent-Replayed"));

        String rewritten = "{\"messages\": [{\"to\": [\"a@example.com\"], \"text_body\": \"Body\", \"subject\": \"One\"},"
                           + " {\"subject\": \"Two\", \"text\": \"Body\", \"to\": \"b@example.com\"}]}";
        ApiClient.Response again = post(key, rewritten, "Idempotency-Key", "nightly-1");
        assertEquals(202, again.status(), again::toString);
        assertEquals("true", again.header("Idempotent-Replayed"));
        assertEquals(first.body(), again.body(), "the original 202 body");

        assertProblem(post(key, body(Json.createArrayBuilder().add(message("a@example.com", "One"))),
                           "Idempotency-Key", "nightly-1"), 422, "idempotency-key-reused");
        assertEquals(2, gw.stored("batch-idempotent"));
        assertEquals(2, gw.charged("batch-idempotent"));
    }

    @Test
    void concurrentBatchesWithOneIdempotencyKeyStoreOneBatch() {
        String key = gw.key("batch-idempotent-race", 100);
        String body = body(messages(2));
        List<ApiClient.Response> responses = Concurrently.run(10, i -> post(key, body, "Idempotency-Key", "same"));
        assertEquals(List.of(202), responses.stream().map(ApiClient.Response::status).distinct().toList(),
                     responses::toString);
        assertEquals(1, responses.stream().map(ApiClient.Response::body).distinct().count(), responses::toString);
        assertEquals(9, responses.stream().filter(r -> "true".equals(r.header("Idempotent-Replayed"))).count());
        assertEquals(2, gw.stored("batch-idempotent-race"));
        assertEquals(2, gw.charged("batch-idempotent-race"));
    }

    @Test
    void aRefusedBatchDoesNotTakeItsIdempotencyKey() {
        String key = gw.key("batch-idempotent-refused", 1);
        String body = body(messages(2));
        assertEquals(429, post(key, body, "Idempotency-Key", "retry-me").status());
        assertEquals(0, gw.mgw("keys", "set-limit", "batch-idempotent-refused", "--limit", "5"));
        ApiClient.Response retried = post(key, body, "Idempotency-Key", "retry-me");
        assertEquals(202, retried.status(), retried::toString);
        assertNull(retried.header("Idempotent-Replayed"));
        assertEquals(3, retried.json().getInt("remaining"));
    }

    @Test
    void onlyPostIsAllowed() {
        ApiClient.Response get = api.get("/api/v1/send/batch", gw.key("batch-get", 1));
        assertProblem(get, 405, "method-not-allowed");
        assertEquals("POST", get.header("Allow"));
    }

    private ApiClient.Response batch(String key, JsonArrayBuilder messages) {
        return post(key, body(messages));
    }

    private ApiClient.Response post(String key, String body, String... headers) {
        String[] all = new String[headers.length + 2];
        all[0] = "Content-Type";
        all[1] = "application/json";
        System.arraycopy(headers, 0, all, 2, headers.length);
        return api.request("POST", "/api/v1/send/batch", key, body, all);
    }

    private static String body(JsonArrayBuilder messages) {
        return Json.createObjectBuilder().add("messages", messages).build().toString();
    }

    /** {@code count} valid messages, one recipient each. */
    private static JsonArrayBuilder messages(int count) {
        JsonArrayBuilder messages = Json.createArrayBuilder();
        for (int i = 0; i < count; i++) {
            messages.add(message("user" + i + "@example.com", "Item " + i));
        }
        return messages;
    }

    private static JsonObjectBuilder message(String to, String subject) {
        return Json.createObjectBuilder().add("to", to).add("subject", subject).add("text_body", "Body");
    }
}
