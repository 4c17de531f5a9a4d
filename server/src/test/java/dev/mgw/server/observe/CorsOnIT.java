package dev.mgw.server.observe;

import java.net.URI;
import java.util.Map;

import dev.mgw.server.ApiClient;
import dev.mgw.server.GatewayServerTest;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import org.junit.jupiter.api.Test;

import static dev.mgw.server.api.Checks.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CORS_ORIGINS set: only those origins, GET and POST, four request headers. */
class CorsOnIT extends GatewayServerTest {
    private static final String APP = "https://app.example.com";
    private final ApiClient api;

    CorsOnIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, CorsOnIT.class, Map.of("CORS_ORIGINS", APP + ",http://localhost:3000"));
    }

    @Test
    void preflightFromAnAllowedOriginIsAnswered() {
        ApiClient.Response preflight = api.request("OPTIONS", "/api/v1/send", null, null, "Origin", APP,
                                                   "Access-Control-Request-Method", "POST",
                                                   "Access-Control-Request-Headers", "x-api-key, content-type, idempotency-key");
        assertEquals(204, preflight.status(), preflight::toString);
        assertEquals(APP, preflight.header("Access-Control-Allow-Origin"));
        assertEquals("GET, POST, PATCH, DELETE", preflight.header("Access-Control-Allow-Methods"));
        assertEquals("X-API-Key, Content-Type, Idempotency-Key, X-Request-ID", preflight.header("Access-Control-Allow-Headers"));
        assertEquals("Origin", preflight.header("Vary"));
        assertTrue(preflight.header("X-Request-ID") != null);
    }

    @Test
    void preflightsOutsideTheRulesAreRefusedWithoutCorsHeaders() {
        ApiClient.Response otherOrigin = api.request("OPTIONS", "/api/v1/send", null, null, "Origin", "https://evil.example",
                                                     "Access-Control-Request-Method", "POST");
        ApiClient.Response otherMethod = api.request("OPTIONS", "/api/v1/send", null, null, "Origin", APP,
                                                     "Access-Control-Request-Method", "PUT");
        ApiClient.Response otherHeader = api.request("OPTIONS", "/api/v1/send", null, null, "Origin", APP,
                                                     "Access-Control-Request-Method", "POST",
                                                     "Access-Control-Request-Headers", "X-API-Key, Authorization");
        for (ApiClient.Response response : new ApiClient.Response[] {otherOrigin, otherMethod, otherHeader}) {
            assertProblem(response, 403, "forbidden");
            assertNull(response.header("Access-Control-Allow-Origin"), response::toString);
        }
    }

    @Test
    void actualRequestsFromAllowedOriginsMayReadTheResponse() {
        String key = gw.key("cors-on", 10);
        ApiClient.Response sent = api.request("POST", "/api/v1/send", key,
                                              "{\"to\":\"a@example.com\",\"subject\":\"s\",\"text\":\"t\"}",
                                              "Content-Type", "application/json", "Origin", "http://localhost:3000");
        assertEquals(202, sent.status());
        assertEquals("http://localhost:3000", sent.header("Access-Control-Allow-Origin"));
        assertTrue(sent.header("Access-Control-Expose-Headers").contains("X-RateLimit-Remaining"));

        ApiClient.Response refused = api.request("GET", "/api/v1/usage", "nope", null, "Origin", APP);
        assertEquals(401, refused.status());
        assertEquals(APP, refused.header("Access-Control-Allow-Origin"), "errors are readable too");

        ApiClient.Response other = api.request("GET", "/api/v1/usage", key, null, "Origin", "https://evil.example");
        assertEquals(200, other.status(), "the server answers; the browser keeps it from the page");
        assertNull(other.header("Access-Control-Allow-Origin"));
        assertNull(api.request("GET", "/health", null, null).header("Access-Control-Allow-Origin"), "no Origin, no CORS");
    }
}
