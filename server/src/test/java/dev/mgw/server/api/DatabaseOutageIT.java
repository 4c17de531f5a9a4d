package dev.mgw.server.api;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

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

/** The database made unreachable mid-test through a proxy (PostgreSQL itself keeps running). */
class DatabaseOutageIT extends GatewayServerTest {
    /** Longer than the pool's socket time-out, so the driver gives up on the stuck connections meanwhile. */
    private static final Duration SILENCE = Duration.ofSeconds(6);
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
     * PostgreSQL stops answering without closing anything (the proxy drops every byte) for longer
     * than the driver's socket time-out, while requests keep coming from four clients: whatever
     * was in flight and whatever came later is answered 503 with Retry-After 5 within about 2 s
     * (none hangs, none gets the load-shedding Retry-After 1), and the first 202 comes within 5 s
     * after the network speaks again.
     */
    @Test
    void aSilentDatabaseIs503WithRetryAfterFiveWithinTwoSecondsForEveryRequestAndServesAgainWithinFive()
            throws Exception {
        String key = gw.key("silent", 1_000_000);
        assertAccepted(api.send(key, json(valid())));
        List<Timed> answers = new CopyOnWriteArrayList<>();
        AtomicBoolean sending = new AtomicBoolean(true);
        List<Thread> clients = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            clients.add(Thread.ofPlatform().name("client-" + i).start(() -> {
                while (sending.get()) {
                    answers.add(Timed.send(() -> api.send(key, json(valid()))));
                }
            }));
        }
        Await.until("requests accepted before the silence", Duration.ofSeconds(10),
                    () -> answers.stream().filter(a -> a.status() == 202).count() >= 20);

        long silenced = System.nanoTime();
        gw.databaseProxy().silence();
        List<Timed> mine = new ArrayList<>();
        while (System.nanoTime() - silenced < SILENCE.toNanos()) {
            mine.add(Timed.send(() -> api.send(key, json(valid()))));
        }
        long restored = System.nanoTime();
        gw.databaseProxy().restore();
        Timed first = Timed.send(() -> api.send(key, json(valid())));
        while (first.status() != 202 && first.end() - restored < TimeUnit.SECONDS.toNanos(10)) {
            first = Timed.send(() -> api.send(key, json(valid())));
        }
        sending.set(false);
        for (Thread client : clients) {
            assertTrue(client.join(Duration.ofSeconds(10)), "a request hung");
        }

        long recovered = (first.end() - restored) / 1_000_000;
        System.out.printf("silent database: first 202 %d ms after the network spoke again%n", recovered);
        assertEquals(202, first.status(), first::toString);
        assertTrue(recovered <= 5000, "first 202 " + recovered + " ms after the database answered again");
        assertTrue(mine.stream().allMatch(a -> a.status() == 503), mine::toString);
        List<Timed> affected = new ArrayList<>(mine);
        answers.stream().filter(a -> a.end() > silenced && a.start() < restored).forEach(affected::add);
        long slowest = 0;
        for (Timed answer : affected) {
            slowest = Math.max(slowest, answer.millis());
            assertTrue(answer.millis() <= 2500, answer::toString);
            if (answer.status() != 202) {
                assertEquals(503, answer.status(), answer::toString);
                assertEquals("5", answer.retryAfter(), answer::toString);
            }
        }
        System.out.printf("silent database: %d answers during the silence, slowest %d ms%n", affected.size(), slowest);
    }

    /** One request's answer and when it was asked and answered (nanoTime). */
    private record Timed(int status, String retryAfter, long start, long end) {
        static Timed send(Supplier<ApiClient.Response> request) {
            long start = System.nanoTime();
            ApiClient.Response response = request.get();
            return new Timed(response.status(), response.header("Retry-After"), start, System.nanoTime());
        }

        long millis() {
            return (end - start) / 1_000_000;
        }
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
