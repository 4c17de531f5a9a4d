package dev.mgw.server.api;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import dev.mgw.core.testing.MutableClock;
import dev.mgw.server.ApiClient;
import dev.mgw.server.GatewayServerTest;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import org.junit.jupiter.api.Test;

import static dev.mgw.server.api.Checks.assertAccepted;
import static dev.mgw.server.api.Checks.json;
import static dev.mgw.server.api.Checks.valid;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The verified-key cache expires AUTH_CACHE_SECONDS after a key's last use, not after its check. */
class KeyCacheIT extends GatewayServerTest {
    private static final MutableClock CLOCK = new MutableClock(Instant.parse("2026-12-02T10:00:00Z"));
    private final ApiClient api;

    KeyCacheIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, KeyCacheIT.class, Map.of("AUTH_CACHE_SECONDS", "5"), CLOCK);
    }

    @Test
    void aKeyUsedSteadilyIsNeverCheckedAgain() {
        String key = gw.key("steady", 1000);
        long before = bcryptChecks();
        for (int i = 0; i < 12; i++) {
            assertAccepted(api.send(key, json(valid())));
            CLOCK.advance(Duration.ofSeconds(4));
        }
        assertEquals(1, bcryptChecks() - before, "one check in 48 s of use every 4 s, with a 5 s cache");
    }

    @Test
    void aKeyIdleForLongerThanTheCacheTimeIsCheckedAgain() {
        String key = gw.key("idle", 1000);
        long before = bcryptChecks();
        assertAccepted(api.send(key, json(valid())));
        CLOCK.advance(Duration.ofSeconds(4));
        assertAccepted(api.send(key, json(valid())));
        assertEquals(1, bcryptChecks() - before);
        CLOCK.advance(Duration.ofSeconds(6));
        assertAccepted(api.send(key, json(valid())));
        assertEquals(2, bcryptChecks() - before, "idle 6 s with a 5 s cache");
    }

    private static long bcryptChecks() {
        return gw.gateway().authenticator().bcryptChecks();
    }
}
