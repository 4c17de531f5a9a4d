package dev.mgw.server.api;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import dev.mgw.core.testing.MutableClock;
import dev.mgw.server.ApiClient;
import dev.mgw.server.GatewayServerTest;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import static dev.mgw.server.api.Checks.assertAccepted;
import static dev.mgw.server.api.Checks.assertProblem;
import static dev.mgw.server.api.Checks.json;
import static dev.mgw.server.api.Checks.valid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The daily quota at its edge, under concurrency, and its reaction to mgw. */
class QuotaIT extends GatewayServerTest {
    private static final MutableClock CLOCK = new MutableClock(Instant.now());
    private final ApiClient api;

    QuotaIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, QuotaIT.class, Map.of(), CLOCK);
    }

    @Test
    void hundredConcurrentSendsOnALimitOf15GiveExactly15Accepted() {
        String key = gw.key("burst-1", 15);
        Map<Integer, Long> statuses = burst(key, 100, 1);
        assertEquals(Map.of(202, 15L, 429, 85L), statuses);
        assertEquals(15, gw.charged("burst-1"));
        assertEquals(15, gw.stored("burst-1"));
    }

    @Test
    void hundredConcurrentSendsWithThreeRecipientsEach() {
        String key = gw.key("burst-3", 45);
        assertEquals(Map.of(202, 15L, 429, 85L), burst(key, 100, 3));
        assertEquals(45, gw.charged("burst-3"));
        assertEquals(15, gw.stored("burst-3"));

        String small = gw.key("burst-3-small", 15);
        assertEquals(Map.of(202, 5L, 429, 95L), burst(small, 100, 3));
        assertEquals(15, gw.charged("burst-3-small"));
    }

    @Test
    void overQuotaIs429WithRetryAfterAndRateLimitHeaders() {
        String key = gw.key("edge", 2);
        ApiClient.Response first = api.send(key, json(valid()));
        assertAccepted(first);
        assertEquals("2", first.header("X-RateLimit-Limit"));
        assertEquals("1", first.header("X-RateLimit-Remaining"));
        assertEquals(1, first.json().getInt("remaining"));
        assertEquals("0", api.send(key, json(valid())).header("X-RateLimit-Remaining"));

        ApiClient.Response refused = api.send(key, json(valid()));
        assertProblem(refused, 429, "quota-exceeded");
        long midnight = LocalDate.ofInstant(CLOCK.instant(), ZoneOffset.UTC).plusDays(1)
                .atStartOfDay(ZoneOffset.UTC).toEpochSecond();
        assertEquals(String.valueOf(midnight), refused.header("X-RateLimit-Reset"));
        assertEquals(midnight - CLOCK.instant().getEpochSecond(), Long.parseLong(refused.header("Retry-After")), 2);
        assertEquals("2", refused.header("X-RateLimit-Limit"));
        assertEquals("0", refused.header("X-RateLimit-Remaining"));
        assertEquals(2, gw.charged("edge"));
        assertEquals(2, gw.stored("edge"), "a refused message is not stored");
    }

    @Test
    void aMessageNeedingMoreThanRemainsIsRefusedWhileASmallerOnePasses() {
        String key = gw.key("partial", 4);
        assertAccepted(api.send(key, json(valid().add("to", recipients(3)))));
        JsonObject problem = assertProblem(api.send(key, json(valid().add("to", recipients(2)))), 429, "quota-exceeded");
        assertTrue(problem.getString("detail").contains("only 1 remain"), problem::toString);
        assertAccepted(api.send(key, json(valid())));
        assertEquals(4, gw.charged("partial"));
    }

    @Test
    void zeroLimitRefusesEverything() {
        assertProblem(api.send(gw.key("zero", 0), json(valid())), 429, "quota-exceeded");
    }

    @Test
    void requestsThatFailValidationChargeNothing() {
        String key = gw.key("no-charge", 5, List.of("example.com"));
        assertEquals(422, api.send(key, json(valid().add("subject", ""))).status());
        assertEquals(403, api.send(key, json(valid().add("to", "x@elsewhere.example"))).status());
        assertEquals(0, gw.charged("no-charge"));
        assertEquals(0, gw.stored("no-charge"));
    }

    @Test
    void aLoweredLimitBitesOnTheNextRequestWhileTheKeyIsCached() {
        String key = gw.key("lowered", 10);
        assertAccepted(api.send(key, json(valid())));
        assertEquals(0, gw.mgw("keys", "set-limit", "lowered", "--limit", "1"));
        assertProblem(api.send(key, json(valid())), 429, "quota-exceeded");
        assertEquals(0, gw.mgw("keys", "set-limit", "lowered", "--limit", "3"));
        assertAccepted(api.send(key, json(valid())));
    }

    @Test
    void aRevokedKeyIsRefusedOnTheNextRequestWhileCached() {
        String key = gw.key("revoked", 10);
        ApiClient.Response sent = api.send(key, json(valid()));
        assertAccepted(sent);
        assertEquals(0, gw.mgw("keys", "revoke", "revoked"));
        assertProblem(api.send(key, json(valid())), 401, "unauthorized");
        assertProblem(api.get("/api/v1/usage", key), 401, "unauthorized");
        assertProblem(api.get("/api/v1/messages/" + sent.json().getString("id"), key), 401, "unauthorized");
        assertEquals(1, gw.stored("revoked"));
    }

    @Test
    void aRotatedKeysOldSecretStopsAtOnceAndTheNewOneCarriesTheUsage() {
        String old = gw.key("rotated", 10);
        assertAccepted(api.send(old, json(valid())));
        var rotated = gw.mgwRun("keys", "rotate", "rotated", "--json");
        assertEquals(0, rotated.exit(), rotated::toString);
        String fresh = Json.createReader(new java.io.StringReader(rotated.out())).readObject().getString("key");
        assertProblem(api.send(old, json(valid())), 401, "unauthorized");
        ApiClient.Response withNew = api.send(fresh, json(valid()));
        assertAccepted(withNew);
        assertEquals(8, withNew.json().getInt("remaining"), "the usage stayed with the key");
    }

    @Test
    void bcryptRunsOnceForManyRequestsWithTheSameKeyInTheCacheWindow() {
        String key = gw.key("cached", 1000);
        long before = gw.gateway().authenticator().bcryptChecks();
        List<Integer> concurrent = Concurrently.run(20, i -> api.send(key, json(valid())).status());
        for (int i = 0; i < 30; i++) {
            assertAccepted(api.send(key, json(valid())));
        }
        assertEquals(List.of(202), concurrent.stream().distinct().toList());
        assertEquals(1, gw.gateway().authenticator().bcryptChecks() - before, "50 requests, one bcrypt check");
    }

    @Test
    void theQuotaStartsAgainAtUtcMidnight() {
        String key = gw.key("daily", 1);
        Instant saved = CLOCK.instant();
        try {
            assertAccepted(api.send(key, json(valid())));
            assertProblem(api.send(key, json(valid())), 429, "quota-exceeded");
            LocalDate today = LocalDate.ofInstant(CLOCK.instant(), ZoneOffset.UTC);
            CLOCK.set(today.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().plus(Duration.ofSeconds(1)));
            assertAccepted(api.send(key, json(valid())));
            assertEquals(2, gw.db().queryLong("SELECT count(*) FROM daily_usage u JOIN api_keys k ON k.id = u.api_key_id "
                                              + "WHERE k.name = 'daily'"));
        } finally {
            CLOCK.set(saved);
        }
    }

    private Map<Integer, Long> burst(String key, int requests, int recipients) {
        String body = json(valid().add("to", recipients(recipients)));
        return Concurrently.run(requests, i -> api.send(key, body).status()).stream()
                .collect(Collectors.groupingBy(s -> s, Collectors.counting()));
    }

    private static JsonArrayBuilder recipients(int n) {
        JsonArrayBuilder to = Json.createArrayBuilder();
        for (int i = 0; i < n; i++) {
            to.add("r" + i + "@example.com");
        }
        return to;
    }

}
