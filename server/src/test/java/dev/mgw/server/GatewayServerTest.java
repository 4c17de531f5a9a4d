package dev.mgw.server;

import java.time.Clock;
import java.util.Map;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.testing.junit5.ServerTest;
import io.helidon.webserver.testing.junit5.SetUpRoute;

import org.junit.jupiter.api.AfterAll;

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

    @AfterAll
    static void stopGateway() {
        gw.close();
    }
}
