package dev.mgw.server.api;

import java.net.URI;
import java.util.Map;

import dev.mgw.server.ApiClient;
import dev.mgw.server.GatewayServerTest;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import org.junit.jupiter.api.Test;

import static dev.mgw.server.api.Checks.assertProblem;
import static dev.mgw.server.api.Checks.json;
import static dev.mgw.server.api.Checks.valid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AuthThrottleIT extends GatewayServerTest {
    private final ApiClient api;

    AuthThrottleIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, AuthThrottleIT.class, Map.of());
    }

    @Test
    void moreThanTwentyFailuresFromOneAddressAre429WithoutBcrypt() {
        String valid = gw.key("victim", 100);
        String guess = valid.substring(0, 12) + "guessguessguessguessguessguessgu";
        long bcryptBefore = gw.gateway().authenticator().bcryptChecks();
        for (int i = 0; i < 20; i++) {
            assertProblem(api.send(guess, json(valid())), 401, "unauthorized");
        }
        assertEquals(20, gw.gateway().authenticator().bcryptChecks() - bcryptBefore);

        ApiClient.Response throttled = api.send(guess, json(valid()));
        assertProblem(throttled, 429, "too-many-failed-authentications");
        long retryAfter = Long.parseLong(throttled.header("Retry-After"));
        assertTrue(retryAfter > 0 && retryAfter <= 60, "Retry-After " + retryAfter);
        assertProblem(api.send(valid, json(valid())), 429, "too-many-failed-authentications");
        assertEquals(20, gw.gateway().authenticator().bcryptChecks() - bcryptBefore, "no bcrypt while throttled");
    }
}
