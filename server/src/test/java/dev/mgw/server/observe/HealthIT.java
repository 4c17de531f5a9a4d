package dev.mgw.server.observe;

import java.time.Duration;
import java.util.Map;

import dev.mgw.server.Await;
import dev.mgw.server.GatewayServerTest;

import io.helidon.http.Status;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.http1.Http1Client;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HealthIT extends GatewayServerTest {
    private final Http1Client client;

    HealthIT(Http1Client client) {
        this.client = client;
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, HealthIT.class, Map.of());
    }

    @Test
    void healthyGatewayReportsItsChecks() {
        try (HttpClientResponse response = client.get("/health").request()) {
            assertEquals(Status.OK_200, response.status());
            assertEquals("application/json", response.headers().contentType().orElseThrow().text());
            JsonObject body = response.as(JsonObject.class);
            assertEquals("healthy", body.getString("status"));
            assertTrue(body.getString("version").startsWith("0."), body::toString);
            assertTrue(body.getString("timestamp").endsWith("Z"), body::toString);
            assertEquals("UP", body.getJsonObject("checks").getString("database"));
            assertEquals("SANDBOX", body.getJsonObject("checks").getString("smtp"));
        }
        assertEquals(Status.OK_200, status("/health/live"));
        assertEquals(Status.OK_200, status("/health/ready"));
    }

    @Test
    void databaseDownIsUnhealthyWithinTwoSecondsAndRecovers() {
        gw.databaseProxy().cut();
        try {
            long started = System.nanoTime();
            try (HttpClientResponse response = client.get("/health").request()) {
                long millis = (System.nanoTime() - started) / 1_000_000;
                assertEquals(Status.SERVICE_UNAVAILABLE_503, response.status());
                JsonObject body = response.as(JsonObject.class);
                assertEquals("unhealthy", body.getString("status"));
                assertEquals("DOWN", body.getJsonObject("checks").getString("database"));
                assertTrue(millis <= 2500, "answered in " + millis + " ms");
            }
            assertEquals(Status.SERVICE_UNAVAILABLE_503, status("/health/ready"));
            assertEquals(Status.OK_200, status("/health/live"), "the process itself is fine");
        } finally {
            gw.databaseProxy().restore();
        }
        // the pool makes new connections in the background: healthy again within seconds, same process
        Await.until("/health recovers without a restart", Duration.ofSeconds(10),
                    () -> status("/health") == Status.OK_200);
        assertEquals(Status.OK_200, status("/health/ready"));
    }

    private Status status(String path) {
        try (HttpClientResponse response = client.get(path).request()) {
            return response.status();
        }
    }
}
