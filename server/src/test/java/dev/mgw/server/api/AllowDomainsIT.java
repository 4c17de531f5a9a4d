package dev.mgw.server.api;

import java.net.URI;
import java.util.Map;

import dev.mgw.server.ApiClient;
import dev.mgw.server.GatewayServerTest;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import jakarta.json.Json;
import org.junit.jupiter.api.Test;

import static dev.mgw.server.api.Checks.assertAccepted;
import static dev.mgw.server.api.Checks.assertInvalid;
import static dev.mgw.server.api.Checks.json;
import static dev.mgw.server.api.Checks.valid;

/** ALLOW_DOMAINS: the recipient domains the gateway sends to at all. */
class AllowDomainsIT extends GatewayServerTest {
    private final ApiClient api;

    AllowDomainsIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, AllowDomainsIT.class, Map.of("ALLOW_DOMAINS", "example.com,bücher.example"));
    }

    @Test
    void recipientsOutsideTheAllowedDomainsAre422() {
        String key = gw.key("domains", 100);
        assertAccepted(api.send(key, json(valid().add("to", Json.createArrayBuilder()
                .add("a@example.com").add("b@xn--bcher-kva.example").add("c@BÜCHER.example")))));
        assertInvalid(api.send(key, json(valid().add("to", Json.createArrayBuilder().add("a@example.com")
                .add("b@example.org")).add("bcc", Json.createArrayBuilder().add("c@sub.example.com")))),
                      "to[1]", "bcc[0]");
    }
}
