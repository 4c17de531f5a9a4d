package dev.mgw.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import dev.mgw.core.keys.ApiKeys;
import dev.mgw.core.keys.KeySecrets;
import dev.mgw.core.keys.NewKey;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.testing.junit5.ServerTest;
import io.helidon.webserver.testing.junit5.SetUpRoute;

import org.junit.jupiter.api.AfterAll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Base of the tests that run the real server: each class starts its own {@link TestGateway} in a
 * {@code @SetUpServer} method (with the settings it needs) by calling {@link #start}; the routes
 * are {@link Main#routing}, as in production.
 */
@ServerTest
public abstract class GatewayServerTest {
    protected static TestGateway gw;

    protected static void start(WebServerConfig.Builder builder, Class<?> testClass, Map<String, String> settings) {
        start(builder, testClass, settings, Clock.systemUTC());
    }

    protected static void start(WebServerConfig.Builder builder, Class<?> testClass, Map<String, String> settings,
                                Clock clock) {
        gw = TestGateway.start(testClass, settings, clock);
        gw.server(builder);
    }

    @SetUpRoute
    static void routing(HttpRouting.Builder routing) {
        gw.routing(routing);
    }

    /** The development key of {@code make seed} (limit 15), for the README's examples as written. */
    protected static void seedDevelopmentKey() {
        new ApiKeys(gw.gateway().database(), new KeySecrets(4), gw.gateway().clock())
                .create(new NewKey("default", 15, Optional.empty(), Optional.of("sk_test_default_key_123")));
    }

    /** Runs a README command line as written with bash; it must exit 0 within 30 s. Returns its output. */
    protected static String bash(String command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("bash", "-c", command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), output);
        return output;
    }

    /** One column (or expression) of a message's row, as text; null when it is NULL. */
    protected static String column(String id, String column) {
        return gw.db().queryString("SELECT " + column + " FROM messages WHERE id = '" + id + "'");
    }

    /** Waits up to 20 s for a message's status. */
    protected static void awaitStatus(String id, String status) {
        awaitStatus(id, status, Duration.ofSeconds(20));
    }

    protected static void awaitStatus(String id, String status, Duration within) {
        Await.until("message " + id + " " + status, within, () -> status.equals(column(id, "status")));
    }

    @AfterAll
    static void stopGateway() {
        gw.close();
    }
}
