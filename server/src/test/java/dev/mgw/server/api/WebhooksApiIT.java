package dev.mgw.server.api;

import java.net.URI;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import dev.mgw.server.ApiClient;
import dev.mgw.server.GatewayServerTest;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import org.junit.jupiter.api.Test;

import static dev.mgw.server.api.Checks.assertInvalid;
import static dev.mgw.server.api.Checks.assertProblem;
import static dev.mgw.server.api.Checks.onlyError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** /api/v1/webhooks with the production URL rules (https only, no private addresses); no workers run. */
class WebhooksApiIT extends GatewayServerTest {
    private static final String URL = "https://hooks.example.com/mgw";
    private final ApiClient api;

    WebhooksApiIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, WebhooksApiIT.class, Map.of());
    }

    @Test
    void createAnswers201WithTheSecretOnceAndAllEventsByDefault() {
        String key = gw.key("creator", 10);
        ApiClient.Response created = post(key, "/api/v1/webhooks",
                                          "{\"url\": \"" + URL + "\", \"description\": \"billing\"}");
        assertEquals(201, created.status(), created::toString);
        JsonObject endpoint = created.json();
        String id = endpoint.getString("id");
        assertEquals("/api/v1/webhooks/" + id, created.header("Location"));
        assertEquals("no-store", created.header("Cache-Control"));
        assertEquals(URL, endpoint.getString("url"));
        assertEquals("billing", endpoint.getString("description"));
        assertEquals(List.of("message.sent", "message.deferred", "message.bounced", "message.failed", "message.suppressed",
                             "message.canceled", "webhook.test"), strings(endpoint.getJsonArray("events")));
        assertTrue(endpoint.getBoolean("enabled"));
        assertTrue(endpoint.isNull("failing_since"));
        assertTrue(endpoint.isNull("last_delivery_at"));
        String secret = endpoint.getString("secret");
        assertTrue(secret.startsWith("whsec_"), secret);
        assertEquals(32, Base64.getDecoder().decode(secret.substring(6)).length);

        ApiClient.Response read = api.get("/api/v1/webhooks/" + id, key);
        assertEquals(200, read.status(), read::toString);
        assertFalse(read.json().containsKey("secret"), "shown only at create and rotate");
        JsonObject list = api.get("/api/v1/webhooks", key).json();
        assertEquals(1, list.getJsonArray("data").size());
        assertFalse(list.toString().contains(secret.substring(6)), list::toString);
    }

    @Test
    void validationFailuresAre422NamingEachField() {
        String key = gw.key("validated", 10);
        assertEquals("is required", onlyError(assertInvalid(post(key, "/api/v1/webhooks", "{}"), "url")));
        assertEquals("must be an https:// URL",
                     onlyError(assertInvalid(post(key, "/api/v1/webhooks", "{\"url\": \"http://hooks.example.com/\"}"), "url")));
        assertInvalid(post(key, "/api/v1/webhooks", "{\"url\": \"https://u:p@hooks.example.com/\"}"), "url");
        assertInvalid(post(key, "/api/v1/webhooks", "{\"url\": \"https://" + "a".repeat(2040) + ".example.com/\"}"), "url");
        assertInvalid(post(key, "/api/v1/webhooks", "{\"url\": \"https://127.0.0.1/hook\"}"), "url");
        assertInvalid(post(key, "/api/v1/webhooks", "{\"url\": 42, \"colour\": \"red\"}"), "colour", "url");
        assertInvalid(post(key, "/api/v1/webhooks",
                           "{\"url\": \"" + URL + "\", \"events\": [\"message.sent\", \"message.opened\"]}"), "events[1]");
        assertInvalid(post(key, "/api/v1/webhooks", "{\"url\": \"" + URL + "\", \"events\": []}"), "events");
        assertInvalid(post(key, "/api/v1/webhooks", "{\"url\": \"" + URL + "\", \"events\": \"message.sent\"}"), "events");
        assertInvalid(post(key, "/api/v1/webhooks", "{\"url\": \"" + URL + "\", \"description\": \"" + "d".repeat(300) + "\"}"),
                      "description");
        assertProblem(post(key, "/api/v1/webhooks", "[]"), 400, "bad-request");
        assertProblem(api.request("POST", "/api/v1/webhooks", key, "{}", "Content-Type", "text/plain"), 415,
                      "unsupported-media-type");
        assertEquals(0, api.get("/api/v1/webhooks", key).json().getJsonArray("data").size(), "nothing stored");
    }

    @Test
    void anotherKeysEndpointIsNotFoundWhateverTheRoute() {
        String owner = gw.key("owner", 10);
        String other = gw.key("stranger", 10);
        String id = create(owner, URL);
        assertProblem(api.get("/api/v1/webhooks/" + id, other), 404, "not-found");
        assertProblem(patch(other, id, "{\"enabled\": false}"), 404, "not-found");
        assertProblem(api.request("DELETE", "/api/v1/webhooks/" + id, other, null), 404, "not-found");
        assertProblem(api.request("POST", "/api/v1/webhooks/" + id + "/rotate-secret", other, null), 404, "not-found");
        assertProblem(api.request("POST", "/api/v1/webhooks/" + id + "/test", other, null), 404, "not-found");
        assertProblem(api.get("/api/v1/webhooks/" + id + "/deliveries", other), 404, "not-found");
        assertProblem(api.get("/api/v1/webhooks/not-a-uuid", owner), 404, "not-found");
        assertEquals(0, api.get("/api/v1/webhooks", other).json().getJsonArray("data").size());
        assertProblem(api.get("/api/v1/webhooks", null), 401, "unauthorized");
        assertEquals(200, api.get("/api/v1/webhooks/" + id, owner).status(), "still there for its key");
    }

    @Test
    void patchChangesWhatItNamesAndEnabledFalseDisablesByHand() {
        String key = gw.key("patcher", 10);
        String id = create(key, URL);
        JsonObject changed = patch(key, id, "{\"url\": \"https://hooks.example.com/v2\", \"events\": [\"message.bounced\"],"
                                            + " \"description\": \"v2\"}").json();
        assertEquals("https://hooks.example.com/v2", changed.getString("url"));
        assertEquals(List.of("message.bounced"), strings(changed.getJsonArray("events")));
        assertEquals("v2", changed.getString("description"));

        JsonObject disabled = patch(key, id, "{\"enabled\": false}").json();
        assertFalse(disabled.getBoolean("enabled"));
        assertEquals("disabled by hand", disabled.getString("disabled_reason"));
        assertEquals("https://hooks.example.com/v2", disabled.getString("url"), "the rest stays");
        assertTrue(patch(key, id, "{\"enabled\": true, \"description\": \"\"}").json().isNull("description"));
        assertInvalid(patch(key, id, "{\"enabled\": \"yes\", \"secret\": \"x\"}"), "secret", "enabled");
        assertInvalid(patch(key, id, "{\"url\": \"ftp://x.example.com\"}"), "url");
    }

    @Test
    void deleteAnswers204AndTheEndpointIsGone() {
        String key = gw.key("deleter", 10);
        String id = create(key, URL);
        ApiClient.Response deleted = api.request("DELETE", "/api/v1/webhooks/" + id, key, null);
        assertEquals(204, deleted.status(), deleted::toString);
        assertProblem(api.get("/api/v1/webhooks/" + id, key), 404, "not-found");
        assertProblem(api.request("DELETE", "/api/v1/webhooks/" + id, key, null), 404, "not-found");
    }

    @Test
    void aKeyHasAtMostTenEndpoints() {
        String key = gw.key("collector", 10);
        for (int i = 0; i < 10; i++) {
            create(key, URL + "/" + i);
        }
        JsonObject problem = assertProblem(post(key, "/api/v1/webhooks", "{\"url\": \"" + URL + "/11\"}"), 409, "conflict");
        assertTrue(problem.getString("detail").contains("at most 10"), problem::toString);
    }

    @Test
    void deliveriesArePagedNewestFirstWithAKeysetCursor() {
        String key = gw.key("pager", 10);
        String id = create(key, URL);
        List<String> events = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ApiClient.Response queued = api.request("POST", "/api/v1/webhooks/" + id + "/test", key, null);
            assertEquals(202, queued.status(), queued::toString);
            events.addFirst(queued.json().getString("event_id"));
        }
        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            JsonObject page = api.get("/api/v1/webhooks/" + id + "/deliveries?limit=2"
                                      + (cursor == null ? "" : "&cursor=" + cursor), key).json();
            page.getJsonArray("data").getValuesAs(JsonObject.class).forEach(d -> {
                seen.add(d.getString("event_id"));
                assertEquals("webhook.test", d.getString("type"));
                assertEquals("pending", d.getString("status"));
                assertEquals(0, d.getInt("attempts"));
            });
            cursor = page.isNull("next_cursor") ? null : page.getString("next_cursor");
            pages++;
        } while (cursor != null);
        assertEquals(events, seen);
        assertEquals(3, pages);
        assertEquals(0, api.get("/api/v1/webhooks/" + id + "/deliveries?status=failed", key).json()
                .getJsonArray("data").size());
        assertInvalid(api.get("/api/v1/webhooks/" + id + "/deliveries?status=lost&limit=500&cursor=abc", key),
                      "status", "limit", "cursor");
    }

    @Test
    void unsupportedMethodsAre405WithAllow() {
        String key = gw.key("methods", 10);
        ApiClient.Response put = api.request("PUT", "/api/v1/webhooks", key, "{}", "Content-Type", "application/json");
        assertProblem(put, 405, "method-not-allowed");
        assertEquals("GET, POST", put.header("Allow"));
        String id = create(key, URL);
        assertEquals("POST", assertAllow(api.request("GET", "/api/v1/webhooks/" + id + "/test", key, null)));
    }

    @Test
    void aRevokedKeyIsRefusedEvenWhileItIsCached() {
        String key = gw.key("revoked", 10);
        String id = create(key, URL);
        assertEquals(0, gw.mgw("keys", "revoke", "revoked"));
        assertProblem(api.get("/api/v1/webhooks/" + id, key), 401, "unauthorized");
        assertProblem(api.get("/api/v1/webhooks", key), 401, "unauthorized");
    }

    private String assertAllow(ApiClient.Response response) {
        assertProblem(response, 405, "method-not-allowed");
        return response.header("Allow");
    }

    private String create(String key, String url) {
        ApiClient.Response created = post(key, "/api/v1/webhooks", "{\"url\": \"" + url + "\"}");
        assertEquals(201, created.status(), created::toString);
        return created.json().getString("id");
    }

    private ApiClient.Response post(String key, String path, String body) {
        return api.request("POST", path, key, body, "Content-Type", "application/json");
    }

    private ApiClient.Response patch(String key, String id, String body) {
        return api.request("PATCH", "/api/v1/webhooks/" + id, key, body, "Content-Type", "application/json");
    }

    private static List<String> strings(JsonArray array) {
        return array.getValuesAs(JsonString.class).stream().map(JsonString::getString).toList();
    }
}
