package dev.mgw.server.api;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
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

/**
 * More runnable work than CPU: the gateway answers 503 with Retry-After: 1 at once and stores
 * nothing, instead of making the request wait its turn; once the crowd is gone it accepts again.
 */
class OverloadIT extends GatewayServerTest {
    private final ApiClient api;

    OverloadIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, OverloadIT.class, Map.of());
    }

    @Test
    void aCrowdOfRunnableThreadsGetsNewRequestsA503AndNothingIsStoredOrCharged() throws Exception {
        String key = gw.key("overload", 100);
        assertAccepted(api.send(key, json(valid())));

        // the crowd: virtual threads that stay runnable (each yield puts it back in the queue)
        long until = System.nanoTime() + 3_000_000_000L;
        List<Thread> crowd = new ArrayList<>();
        for (int i = 0; i < 4 * Admission.MAX_QUEUED_THREADS; i++) {
            crowd.add(Thread.ofVirtual().start(() -> {
                while (System.nanoTime() < until) {
                    Thread.yield();
                }
            }));
        }
        ApiClient.Response shed = api.send(key, json(valid()));
        assertProblem(shed, 503, "service-unavailable");
        assertEquals("1", shed.header("Retry-After"));
        for (Thread thread : crowd) {
            thread.join();
        }

        assertAccepted(api.send(key, json(valid())));
        assertEquals(2, gw.db().queryLong("SELECT count(*) FROM messages"), "the shed request left nothing behind");
        assertEquals(2, gw.db().queryLong("SELECT count FROM daily_usage"), "and charged nothing");
    }
}
