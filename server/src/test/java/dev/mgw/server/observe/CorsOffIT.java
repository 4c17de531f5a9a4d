package dev.mgw.server.observe;

import java.net.URI;
import java.util.List;
import java.util.Map;

import dev.mgw.server.ApiClient;
import dev.mgw.server.GatewayServerTest;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CORS_ORIGINS empty: no response has any Access-Control-* header. */
class CorsOffIT extends GatewayServerTest {
    private final ApiClient api;

    CorsOffIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, CorsOffIT.class, Map.of());
    }

    @Test
    void noAccessControlHeadersAnywhere() {
        String key = gw.key("cors-off", 10);
        List<ApiClient.Response> responses = List.of(
                api.request("POST", "/api/v1/send", key, "{\"to\":\"a@example.com\",\"subject\":\"s\",\"text\":\"t\"}",
                            "Content-Type", "application/json", "Origin", "https://app.example.com"),
                api.request("GET", "/api/v1/usage", key, null, "Origin", "https://app.example.com"),
                api.request("OPTIONS", "/api/v1/send", null, null, "Origin", "https://app.example.com",
                            "Access-Control-Request-Method", "POST"),
                api.request("GET", "/health", null, null, "Origin", "https://evil.example"));
        assertEquals(202, responses.get(0).status());
        assertEquals(405, responses.get(2).status(), "a preflight is just an unsupported method");
        for (ApiClient.Response response : responses) {
            assertTrue(response.allHeaders().keySet().stream().noneMatch(h -> h.toLowerCase().startsWith("access-control-")),
                       response.allHeaders()::toString);
        }
    }
}
