package dev.mgw.server.api;

import java.net.URI;
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

/** The database made unreachable mid-test through a proxy (PostgreSQL itself keeps running). */
class DatabaseOutageIT extends GatewayServerTest {
    private final ApiClient api;

    DatabaseOutageIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, DatabaseOutageIT.class, Map.of());
    }

    @Test
    void unreachableDatabaseIs503WithinTwoSecondsAndTheServerRecoversByItself() {
        String key = gw.key("outage", 100);
        assertAccepted(api.send(key, json(valid())));

        gw.databaseProxy().cut();
        try {
            for (int i = 0; i < 3; i++) {
                long started = System.nanoTime();
                ApiClient.Response response = api.send(key, json(valid()));
                long millis = (System.nanoTime() - started) / 1_000_000;
                assertProblem(response, 503, "service-unavailable");
                assertEquals("5", response.header("Retry-After"));
                assertTrue(millis <= 2000, "answered in " + millis + " ms");
                System.out.printf("503 during the outage in %d ms%n", millis);
            }
            assertProblem(api.get("/api/v1/usage", key), 503, "service-unavailable");
        } finally {
            gw.databaseProxy().restore();
        }

        assertAccepted(untilAccepted(key));
        assertEquals(2, gw.db().queryLong("SELECT count(*) FROM messages"), "nothing stored during the outage");
    }

    @Test
    void aNewKeyDuringTheOutageIs503NotUnauthorized() {
        String key = gw.key("outage-new", 100);
        gw.databaseProxy().cut();
        try {
            assertProblem(api.send(key, json(valid())), 503, "service-unavailable");
        } finally {
            gw.databaseProxy().restore();
        }
        assertAccepted(untilAccepted(key));
    }

    /**
     * Sends until accepted: after an outage the pool reconnects by itself within its retry
     * backoff (at most 5 s), without a restart.
     */
    private ApiClient.Response untilAccepted(String key) {
        long started = System.nanoTime();
        ApiClient.Response response = api.send(key, json(valid()));
        while (response.status() == 503 && System.nanoTime() - started < 10_000_000_000L) {
            sleep(100);
            response = api.send(key, json(valid()));
        }
        System.out.printf("recovered %d ms after the database came back%n", (System.nanoTime() - started) / 1_000_000);
        return response;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
