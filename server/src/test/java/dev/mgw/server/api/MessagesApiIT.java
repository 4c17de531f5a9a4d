package dev.mgw.server.api;

import java.net.URI;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;

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

/** GET /api/v1/messages/{id} and GET /api/v1/usage. */
class MessagesApiIT extends GatewayServerTest {
    private final ApiClient api;

    MessagesApiIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, MessagesApiIT.class, Map.of());
    }

    @Test
    void aKeyReadsItsOwnMessageWithTagsAndSendAt() {
        String key = gw.key("reader", 10);
        Instant sendAt = Instant.now().plus(2, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);
        ApiClient.Response sent = api.send(key, json(valid()
                .add("cc", Json.createArrayBuilder().add("cc@example.com"))
                .add("bcc", Json.createArrayBuilder().add("bcc@example.com"))
                .add("tags", Json.createObjectBuilder().add("order", "A-17"))
                .add("send_at", sendAt.toString())));
        assertAccepted(sent);
        String id = sent.json().getString("id");

        ApiClient.Response read = api.get("/api/v1/messages/" + id, key);
        assertEquals(200, read.status(), read::toString);
        assertEquals("no-store", read.header("Cache-Control"));
        JsonObject message = read.json();
        assertEquals(id, message.getString("id"));
        assertEquals("queued", message.getString("status"));
        assertEquals("user@example.com", message.getJsonObject("recipients").getJsonArray("to").getString(0));
        assertEquals("cc@example.com", message.getJsonObject("recipients").getJsonArray("cc").getString(0));
        assertEquals("bcc@example.com", message.getJsonObject("recipients").getJsonArray("bcc").getString(0));
        assertEquals("Your receipt", message.getString("subject"));
        assertEquals("A-17", message.getJsonObject("tags").getString("order"));
        assertEquals(sendAt, Instant.parse(message.getString("send_at")));
        assertTrue(message.isNull("sent_at"));
        assertEquals(0, message.getInt("attempts"));
        assertTrue(message.isNull("last_error"));
        assertTrue(Instant.parse(message.getString("created_at")).isAfter(Instant.now().minusSeconds(60)));
    }

    @Test
    void anotherKeysMessageIsNotFound() {
        String owner = gw.key("owner", 10);
        String other = gw.key("other", 10);
        String id = api.send(owner, json(valid())).json().getString("id");
        assertProblem(api.get("/api/v1/messages/" + id, other), 404, "not-found");
        assertProblem(api.get("/api/v1/messages/0190f5e0-0000-7000-8000-000000000000", owner), 404, "not-found");
        assertProblem(api.get("/api/v1/messages/not-a-uuid", owner), 404, "not-found");
        assertProblem(api.get("/api/v1/messages/" + id, null), 401, "unauthorized");
    }

    @Test
    void lastUsedAtIsKeptWithoutAWritePerRequest() throws InterruptedException {
        String key = gw.key("touched", 10);
        assertEquals(200, api.get("/api/v1/usage", key).status());
        String first = null;
        for (int i = 0; i < 50 && first == null; i++) {
            Thread.sleep(50);
            first = gw.db().queryString("SELECT last_used_at FROM api_keys WHERE name = 'touched'");
        }
        assertTrue(first != null, "last_used_at is recorded");
        for (int i = 0; i < 5; i++) {
            assertEquals(200, api.get("/api/v1/usage", key).status());
        }
        Thread.sleep(300);
        assertEquals(first, gw.db().queryString("SELECT last_used_at FROM api_keys WHERE name = 'touched'"),
                     "not rewritten within the minute");
    }

    @Test
    void usageReportsTheCallingKeysDay() {
        String key = gw.key("usage", 20);
        api.send(key, json(valid().add("to", Json.createArrayBuilder().add("a@example.com").add("b@example.com"))));
        ApiClient.Response usage = api.get("/api/v1/usage", key);
        assertEquals(200, usage.status(), usage::toString);
        JsonObject body = usage.json();
        assertEquals("usage", body.getString("name"));
        assertEquals(20, body.getInt("daily_limit"));
        assertEquals(2, body.getInt("emails_sent_today"));
        assertEquals(18, body.getInt("emails_remaining"));
        Instant reset = Instant.parse(body.getString("reset_time"));
        assertTrue(reset.isAfter(Instant.now()) && reset.isBefore(Instant.now().plus(1, ChronoUnit.DAYS).plusSeconds(5)));
        assertTrue(body.getString("reset_time").endsWith("T00:00:00Z"), body::toString);
        assertEquals(gw.db().queryString("SELECT id FROM api_keys WHERE name = 'usage'"), body.getString("api_key_id"));
    }
}
