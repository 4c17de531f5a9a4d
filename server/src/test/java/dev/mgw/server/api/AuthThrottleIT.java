package dev.mgw.server.api;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

import dev.mgw.core.keys.KeySecrets;
import dev.mgw.server.ApiClient;
import dev.mgw.server.Await;
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
 * The failed-authentication throttle, per client address, and the bcrypt queue, attacked by real
 * concurrent clients. This test is the reverse proxy (TRUSTED_PROXIES=127.0.0.1/32): each test
 * speaks for client addresses of its own through X-Forwarded-For, so that the tests do not
 * throttle each other.
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
    void fiftyConcurrentBadKeysFromOneAddressRunAtMostTwentyChecksAndDoNotHoldUpOthers() {
        String bystander = gw.key("bystander", 100);
        long before = bcryptChecks();
        List<Future<ApiClient.Response>> attack = Concurrently.start(
                50, i -> api.send(unknownKey(i), json(valid()), X_FORWARDED_FOR, "203.0.113.10"));
        Await.until("the attack's first bcrypt check", Duration.ofSeconds(10), () -> bcryptChecks() > before);

        long sent = System.nanoTime();
        ApiClient.Response other = api.send(bystander, json(valid()), X_FORWARDED_FOR, "203.0.113.11");
        double seconds = (System.nanoTime() - sent) / 1e9;

        Map<Integer, Long> statuses = Concurrently.results(attack).stream()
                .collect(Collectors.groupingBy(ApiClient.Response::status, Collectors.counting()));
        assertTrue(statuses.getOrDefault(429, 0L) >= 30, "at least 30 of 50 refused without a check: " + statuses);
        assertTrue(List.of(401, 429, 503).containsAll(statuses.keySet()), statuses::toString);
        long attackChecks = bcryptChecks() - before - (other.status() == 202 ? 1 : 0);
        assertTrue(attackChecks <= 20, "bcrypt checks for the attack: " + attackChecks);
        if (other.status() == 503) {
            assertProblem(other, 503, "service-unavailable");
            assertEquals("1", other.header("Retry-After"));
        } else {
            assertAccepted(other);
        }
        assertTrue(seconds < 2.5, "another client's key waited " + seconds + " s behind the attack's checks");
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

    @Test
    void aCheckThatCannotStartWithinASecondGets503RetryAfter1() {
        // a hash of bcrypt cost 16 (seconds per check) that no secret matches: each check holds a bcrypt thread
        String slowHash = new KeySecrets(4).hash("nothing").replaceFirst("^\\$2a\\$04\\$", "\\$2a\\$16\\$");
        gw.db().sql("INSERT INTO api_keys (name, key_prefix, key_hash, daily_limit) "
                    + "VALUES ('slow', 'mgw_slowslow', '" + slowHash + "', 10)");
        long before = bcryptChecks();
        List<ApiClient.Response> responses = Concurrently.run(
                20, i -> api.send("mgw_slowslow" + "x".repeat(20) + (1000 + i), json(valid()),
                                  X_FORWARDED_FOR, "203.0.113.20"));

        Map<Integer, Long> statuses = responses.stream()
                .collect(Collectors.groupingBy(ApiClient.Response::status, Collectors.counting()));
        assertTrue(statuses.getOrDefault(503, 0L) >= 1, "some checks could not start within 1 s: " + statuses);
        assertEquals(20, statuses.getOrDefault(401, 0L) + statuses.get(503), statuses::toString);
        for (ApiClient.Response busy : responses.stream().filter(r -> r.status() == 503).toList()) {
            assertProblem(busy, 503, "service-unavailable");
            assertEquals("1", busy.header("Retry-After"));
        }
        assertEquals(statuses.getOrDefault(401, 0L), bcryptChecks() - before, "a check for each 401, none for a 503");
    }

    /** A wrong secret with the prefix of a real key: one (quick, cost 4) check against its hash. */
    private static String guess(String key) {
        return key.substring(0, 12) + "guessguessguessguessguessguessgu";
    }

    /** A key no row has: the gateway spends a dummy check (bcrypt cost 10) on it. */
    private static String unknownKey(int i) {
        return "mgw_unknown" + String.format("%05d", i) + "x".repeat(24);
    }

    private static long bcryptChecks() {
        return gw.gateway().authenticator().bcryptChecks();
    }
}
