package dev.mgw.server.api;

import java.net.URI;
import java.util.Map;

import dev.mgw.server.ApiClient;
import dev.mgw.server.GatewayServerTest;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import org.junit.jupiter.api.Test;

import static dev.mgw.server.api.Checks.assertAccepted;
import static dev.mgw.server.api.Checks.json;
import static dev.mgw.server.api.Checks.valid;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** AUTH_CACHE_SECONDS=0: no key is remembered. */
class KeyCacheOffIT extends GatewayServerTest {
    private final ApiClient api;

    KeyCacheOffIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, KeyCacheOffIT.class, Map.of("AUTH_CACHE_SECONDS", "0"));
    }

    @Test
    void everyRequestIsCheckedWithBcrypt() {
        String key = gw.key("uncached", 100);
        long before = gw.gateway().authenticator().bcryptChecks();
        for (int i = 0; i < 3; i++) {
            assertAccepted(api.send(key, json(valid())));
        }
        assertEquals(3, gw.gateway().authenticator().bcryptChecks() - before);
    }
}
