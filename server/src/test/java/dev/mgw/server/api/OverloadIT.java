package dev.mgw.server.api;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

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
    private static final int CROWD = 3 * Admission.MAX_QUEUED_THREADS;
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

        // the crowd: a platform thread keeps CROWD virtual threads runnable, each burning a tenth of
        // a millisecond of CPU, until the request has its answer, however long a busy machine takes
        // to give it. They queue behind the request as new arrivals do (a crowd that yields or
        // sleeps goes back to its carrier's own queue and would starve the request).
        AtomicBoolean answered = new AtomicBoolean();
        Semaphore places = new Semaphore(CROWD);
        Thread crowd = Thread.ofPlatform().start(() -> {
            try {
                while (!answered.get()) {
                    places.acquire();
                    Thread.ofVirtual().start(() -> {
                        long until = System.nanoTime() + 100_000;
                        while (System.nanoTime() < until) {
                            Thread.onSpinWait();
                        }
                        places.release();
                    });
                }
            } catch (InterruptedException e) {
                // the test is over
            }
        });
        try {
            // a burst is not overload: the shedding starts once the crowd has lasted CpuGate.ENTER_NANOS
            Thread.sleep(Duration.ofNanos(3 * Admission.CpuGate.ENTER_NANOS));
            ApiClient.Response shed = api.send(key, json(valid()));
            assertProblem(shed, 503, "service-unavailable");
            assertEquals("1", shed.header("Retry-After"));
        } finally {
            answered.set(true);
            crowd.interrupt();
            crowd.join();
            places.acquire(CROWD);
        }

        assertAccepted(api.send(key, json(valid())));
        assertEquals(2, gw.db().queryLong("SELECT count(*) FROM messages"), "the shed request left nothing behind");
        assertEquals(2, gw.db().queryLong("SELECT count FROM daily_usage"), "and charged nothing");
    }
}
