package dev.mgw.server.suppressions;

import java.net.URI;
import java.util.List;
import java.util.Map;

import dev.mgw.server.ApiClient;
import dev.mgw.server.GatewayServerTest;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code /api/v1/suppressions} (SPEC §5.5): a key's own list, paginated; global entries are not the API's. */
class SuppressionsApiIT extends GatewayServerTest {
    private final ApiClient api;

    SuppressionsApiIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, SuppressionsApiIT.class, Map.of());
    }

    @Test
    void aKeyAddsListsPagesAndRemovesItsOwnEntries() {
        String key = gw.key("own", 100);
        String other = gw.key("other", 100);

        ApiClient.Response added = add(key, "{\"addresses\": [\"A@example.com\", \"b@example.com\", \"c@example.com\"], "
                                            + "\"expires_at\": \"2099-01-01T00:00:00Z\"}");
        assertEquals(201, added.status(), added::toString);
        JsonArray data = added.json().getJsonArray("data");
        assertEquals(3, data.size());
        JsonObject first = data.getValuesAs(JsonObject.class).stream()
                .filter(entry -> entry.getString("address").equals("a@example.com")).findFirst().orElseThrow();
        assertEquals("manual", first.getString("reason"));
        assertEquals("2099-01-01T00:00:00Z", first.getString("expires_at"));
        assertTrue(first.isNull("message_id"));

        ApiClient.Response again = add(key, "{\"addresses\": [\"a@example.com\"], \"reason\": \"complaint\"}");
        assertEquals(201, again.status(), "adding an existing entry updates it");
        assertEquals("complaint", again.json().getJsonArray("data").getJsonObject(0).getString("reason"));
        assertTrue(again.json().getJsonArray("data").getJsonObject(0).isNull("expires_at"));
        gw.db().sql("INSERT INTO suppressions (api_key_id, address, reason) VALUES (NULL, 'global@example.com', 'manual')");
        assertEquals(201, add(other, "{\"addresses\": [\"z@example.com\"]}").status());

        ApiClient.Response page1 = api.get("/api/v1/suppressions?limit=2", key);
        assertEquals(200, page1.status(), page1::toString);
        assertEquals(2, page1.json().getJsonArray("data").size());
        String cursor = page1.json().getString("next_cursor");
        ApiClient.Response page2 = api.get("/api/v1/suppressions?limit=2&cursor=" + cursor, key);
        assertEquals(1, page2.json().getJsonArray("data").size());
        assertTrue(page2.json().isNull("next_cursor"));
        List<String> all = new java.util.ArrayList<>();
        List.of(page1, page2).forEach(page -> page.json().getJsonArray("data").getValuesAs(JsonObject.class)
                .forEach(entry -> all.add(entry.getString("address"))));
        assertEquals(List.of("a@example.com", "b@example.com", "c@example.com"), all.stream().sorted().toList(),
                     "the key's own entries only: not another key's, not the global ones");
        assertEquals(1, api.get("/api/v1/suppressions?reason=complaint", key).json().getJsonArray("data").size());
        assertEquals(1, api.get("/api/v1/suppressions?address=B@example.com", key).json().getJsonArray("data").size());

        assertEquals(204, api.request("DELETE", "/api/v1/suppressions/b@example.com", key, null).status());
        assertEquals(404, api.request("DELETE", "/api/v1/suppressions/b@example.com", key, null).status());
        assertEquals(404, api.request("DELETE", "/api/v1/suppressions/z@example.com", key, null).status(),
                     "another key's entry");
        assertEquals(404, api.request("DELETE", "/api/v1/suppressions/global@example.com", key, null).status(),
                     "global entries are managed with mgw");
    }

    @Test
    void badRequestsAre422() {
        String key = gw.key("bad", 100);
        ApiClient.Response invalid = add(key, "{\"addresses\": [\"not-an-address\"], \"reason\": \"spite\", "
                                              + "\"expires_at\": \"yesterday\", \"extra\": 1}");
        assertEquals(422, invalid.status(), invalid::toString);
        List<String> fields = invalid.json().getJsonArray("errors").getValuesAs(JsonObject.class).stream()
                .map(error -> error.getString("field")).sorted().toList();
        assertEquals(List.of("addresses[0]", "expires_at", "extra", "reason"), fields);
        assertEquals(422, add(key, "{\"addresses\": []}").status());
        assertEquals(422, api.get("/api/v1/suppressions?limit=0", key).status());
        assertEquals(422, api.get("/api/v1/suppressions?cursor=abc", key).status());
        assertEquals(401, api.get("/api/v1/suppressions", "mgw_nope").status());
    }

    private ApiClient.Response add(String key, String body) {
        return api.request("POST", "/api/v1/suppressions", key, body, "Content-Type", "application/json");
    }
}
