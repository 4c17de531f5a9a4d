package dev.mgw.server.api;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Map;

import dev.mgw.server.ApiClient;
import dev.mgw.server.GatewayServerTest;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import org.junit.jupiter.api.Test;

import static dev.mgw.server.api.Checks.assertAccepted;
import static dev.mgw.server.api.Checks.assertProblem;
import static dev.mgw.server.api.Checks.json;
import static dev.mgw.server.api.Checks.valid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The failed-authentication throttle, per client address. This test is the reverse proxy
 * (TRUSTED_PROXIES=127.0.0.1/32): each test speaks for client addresses of its own through
 * X-Forwarded-For, so that the tests do not throttle each other.
 */
class AuthThrottleIT extends GatewayServerTest {
    private static final String X_FORWARDED_FOR = "X-Forwarded-For";
    private final URI uri;
    private final ApiClient api;

    AuthThrottleIT(URI uri) {
        this.uri = uri;
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, AuthThrottleIT.class, Map.of("TRUSTED_PROXIES", "127.0.0.1/32"));
    }

    @Test
    void moreThanTwentyFailuresFromOneAddressAre429WithoutBcrypt() {
        String valid = gw.key("victim", 100);
        String guess = guess(valid);
        long bcryptBefore = bcryptChecks();
        for (int i = 0; i < 20; i++) {
            assertProblem(api.send(guess, json(valid())), 401, "unauthorized");
        }
        assertEquals(20, bcryptChecks() - bcryptBefore);

        ApiClient.Response throttled = api.send(guess, json(valid()));
        assertProblem(throttled, 429, "too-many-failed-authentications");
        long retryAfter = Long.parseLong(throttled.header("Retry-After"));
        assertTrue(retryAfter > 0 && retryAfter <= 60, "Retry-After " + retryAfter);
        assertProblem(api.send(valid, json(valid())), 429, "too-many-failed-authentications");
        assertEquals(20, bcryptChecks() - bcryptBefore, "no bcrypt while throttled");
    }

    @Test
    void clientsBehindATrustedProxyAreThrottledByTheirForwardedAddress() {
        String key = gw.key("behind-proxy", 100);
        String guess = guess(key);
        for (int i = 0; i < 20; i++) {
            assertProblem(api.send(guess, json(valid()), X_FORWARDED_FOR, "198.51.100.1"), 401, "unauthorized");
        }
        assertProblem(api.send(key, json(valid()), X_FORWARDED_FOR, "198.51.100.1"), 429,
                      "too-many-failed-authentications");
        assertAccepted(api.send(key, json(valid()), X_FORWARDED_FOR, "198.51.100.2"));
        assertProblem(api.send(key, json(valid()), X_FORWARDED_FOR, "192.0.2.50, 198.51.100.1"), 429,
                      "too-many-failed-authentications");
    }

    @Test
    void anUntrustedPeersForwardedForIsIgnored() throws UnknownHostException {
        String key = gw.key("untrusted-peer", 100);
        String guess = guess(key);
        ApiClient untrusted = new ApiClient(uri, InetAddress.getByName("127.0.0.2"));
        for (int i = 0; i < 20; i++) {
            assertProblem(untrusted.send(guess, json(valid()), X_FORWARDED_FOR, "192.0.2." + (i + 1)), 401,
                          "unauthorized");
        }
        assertProblem(untrusted.send(key, json(valid()), X_FORWARDED_FOR, "192.0.2.99"), 429,
                      "too-many-failed-authentications");
        assertAccepted(api.send(key, json(valid()), X_FORWARDED_FOR, "192.0.2.99"));
    }

    /** A wrong secret with the prefix of a real key: one (quick, cost 4) check against its hash. */
    private static String guess(String key) {
        return key.substring(0, 12) + "guessguessguessguessguessguessgu";
    }

    private static long bcryptChecks() {
        return gw.gateway().authenticator().bcryptChecks();
    }
}
