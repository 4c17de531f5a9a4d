package dev.mgw.server.api;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import dev.mgw.server.ApiClient;
import dev.mgw.server.GatewayServerTest;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import org.junit.jupiter.api.Test;

import static dev.mgw.server.api.Checks.assertAccepted;
import static dev.mgw.server.api.Checks.assertInvalid;
import static dev.mgw.server.api.Checks.assertProblem;
import static dev.mgw.server.api.Checks.json;
import static dev.mgw.server.api.Checks.valid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GET /api/v1/messages: the key's own messages, newest first, filtered, in pages with a cursor. */
class MessageListIT extends GatewayServerTest {
    private final ApiClient api;

    MessageListIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, MessageListIT.class, Map.of());
    }

    @Test
    void pagesVisitEveryMessageOnceInOrderEvenWithEqualTimes() {
        String key = gw.key("pager", 10);
        gw.key("neighbour", 10);
        // 30 messages accepted in the same microsecond, 15 earlier ones, and the neighbour's at the same time
        insert("pager", 30, "'2026-11-24T12:00:00.123456Z'");
        insert("pager", 15, "CAST('2026-11-24T12:00:00Z' AS timestamptz) - make_interval(secs => g)");
        insert("neighbour", 10, "'2026-11-24T12:00:00.123456Z'");
        List<String> expected = gw.db().query("""
                SELECT m.id FROM messages m JOIN api_keys k ON k.id = m.api_key_id
                 WHERE k.name = 'pager' ORDER BY m.created_at DESC, m.id DESC""", rs -> {
            List<String> ids = new ArrayList<>();
            while (rs.next()) {
                ids.add(rs.getString(1));
            }
            return ids;
        });
        assertEquals(45, expected.size());

        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            ApiClient.Response page = api.get("/api/v1/messages?limit=10" + (cursor == null ? "" : "&cursor=" + cursor), key);
            assertEquals(200, page.status(), page::toString);
            assertEquals("no-store", page.header("Cache-Control"));
            JsonArray data = page.json().getJsonArray("data");
            assertTrue(data.size() <= 10, page::toString);
            data.getValuesAs(JsonObject.class).forEach(m -> seen.add(m.getString("id")));
            cursor = page.json().isNull("next_cursor") ? null : page.json().getString("next_cursor");
            if (pages == 0) {
                // a message accepted meanwhile is newer than the cursor: it neither shifts nor repeats a page
                assertAccepted(api.send(key, json(valid())));
            }
            pages++;
        } while (cursor != null && pages < 10);
        assertEquals(5, pages, "45 messages in pages of 10");
        assertEquals(expected, seen);
        assertEquals(45, new HashSet<>(seen).size());

        JsonObject first = api.get("/api/v1/messages", key).json();
        assertEquals(20, first.getJsonArray("data").size(), "20 by default");
        JsonObject newest = first.getJsonArray("data").getJsonObject(0);
        assertEquals("queued", newest.getString("status"));
        assertEquals("user@example.com", newest.getJsonObject("recipients").getJsonArray("to").getString(0));
        assertEquals(46, api.get("/api/v1/messages?limit=100", key).json().getJsonArray("data").size(),
                     "the 46 of this key and none of the neighbour's");
    }

    @Test
    void filtersByStatusRecipientTagAndTime() {
        String key = gw.key("filters", 50);
        String receipt = send(key, valid().add("cc", Json.createArrayBuilder().add("Boss@Example.com"))
                .add("tags", Json.createObjectBuilder().add("kind", "receipt").add("order", "A-17")));
        String newsletter = send(key, valid().add("to", "reader@example.com")
                .add("tags", Json.createObjectBuilder().add("kind", "news")));
        String failed = send(key, valid().add("tags", Json.createObjectBuilder().add("kind", "receipt")));
        gw.db().sql("UPDATE messages SET status = 'failed' WHERE id = '" + failed + "'");
        gw.db().sql("UPDATE messages SET created_at = '2026-11-20T10:00:00Z' WHERE id = '" + receipt + "'");

        assertEquals(List.of(failed), ids(key, "status=failed"));
        assertEquals(List.of(newsletter, receipt), ids(key, "status=queued"));
        assertEquals(List.of(), ids(key, "status=canceled"));
        assertEquals(List.of(receipt), ids(key, "to=boss%40example.com"), "a cc recipient, whatever its case");
        assertEquals(List.of(newsletter), ids(key, "to=reader@example.com"));
        assertEquals(List.of(failed, receipt), ids(key, "tag=kind:receipt"));
        assertEquals(List.of(receipt), ids(key, "tag=kind:receipt&tag=order:A-17"), "every tag given");
        assertEquals(List.of(), ids(key, "tag=kind:receipt&to=reader@example.com"));
        assertEquals(List.of(failed, newsletter), ids(key, "since=2026-11-21T00:00:00Z"));
        assertEquals(List.of(), ids(key, "until=" + encode("2026-11-20T11:00:00+01:00")), "until is exclusive");
        assertEquals(List.of(receipt), ids(key, "until=" + encode("2026-11-20T12:00:00+01:00")));
        assertEquals(List.of(receipt), ids(key, "since=2026-11-20T10:00:00Z&until=2026-11-20T10:00:00.000001Z"),
                     "since is inclusive");
        assertEquals(List.of(failed), ids(key, "status=failed&since=2026-11-21T00:00:00Z&tag=kind:receipt&limit=1"));
    }

    @Test
    void everyBadFilterIsA422NamingIt() {
        String key = gw.key("typos", 10);
        Map<String, String> bad = Map.ofEntries(
                Map.entry("status=lost", "status"),
                Map.entry("to=not-an-address", "to"),
                Map.entry("tag=nocolon", "tag"),
                Map.entry("tag=:value", "tag"),
                Map.entry("tag=a:1&tag=a:2", "tag"),
                Map.entry("since=yesterday", "since"),
                Map.entry("until=2026-13-01T00:00:00Z", "until"),
                Map.entry("since=2026-11-24T00:00:00Z&until=2026-11-23T00:00:00Z", "until"),
                Map.entry("limit=0", "limit"),
                Map.entry("limit=101", "limit"),
                Map.entry("limit=ten", "limit"),
                Map.entry("cursor=not-a-cursor", "cursor"),
                Map.entry("cursor=" + Base64.getUrlEncoder().encodeToString("1.x".getBytes(StandardCharsets.US_ASCII)),
                          "cursor"),
                Map.entry("status=sent&status=failed", "status"),
                Map.entry("state=sent", "state"));
        bad.forEach((query, field) -> assertInvalid(api.get("/api/v1/messages?" + query, key), field));
        assertInvalid(api.get("/api/v1/messages?status=lost&limit=0", key), "status", "limit");
        assertProblem(api.get("/api/v1/messages", null), 401, "unauthorized");
        assertProblem(api.request("POST", "/api/v1/messages", key, "{}"), 405, "method-not-allowed");
    }

    @Test
    void aRevokedKeyCannotList() {
        String key = gw.key("listrevoked", 10);
        assertEquals(200, api.get("/api/v1/messages", key).status());
        assertEquals(0, gw.mgw("keys", "revoke", "listrevoked"));
        assertProblem(api.get("/api/v1/messages", key), 401, "unauthorized");
    }

    private List<String> ids(String key, String query) {
        ApiClient.Response response = api.get("/api/v1/messages?" + query, key);
        assertEquals(200, response.status(), response::toString);
        assertTrue(response.json().isNull("next_cursor"), response::toString);
        return response.json().getJsonArray("data").getValuesAs(JsonObject.class).stream().map(m -> m.getString("id")).toList();
    }

    private String send(String key, JsonObjectBuilder body) {
        ApiClient.Response sent = api.send(key, json(body));
        assertAccepted(sent);
        return sent.json().getString("id");
    }

    private static void insert(String keyName, int count, String createdAt) {
        gw.db().sql("INSERT INTO messages (id, api_key_id, sender, to_recipients, subject, text_body, created_at) "
                    + "SELECT gen_random_uuid(), k.id, 'noreply@example.com', ARRAY['to' || g || '@example.com'], 's', 'b', "
                    + createdAt + " FROM api_keys k, generate_series(1, " + count + ") g WHERE k.name = '" + keyName + "'");
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }
}
