package dev.mgw.server.observe;

import java.util.Map;

import dev.mgw.core.db.Migrations;
import dev.mgw.server.GatewayServerTest;

import io.helidon.http.Status;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.http1.Http1Client;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Readiness follows the schema and shutdown; the gateway here starts without migrating. */
class ReadinessIT extends GatewayServerTest {
    private final Http1Client client;

    ReadinessIT(Http1Client client) {
        this.client = client;
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, ReadinessIT.class, Map.of("DATABASE_MIGRATE", "false"));
    }

    @Test
    void readyOnlyWithTheSchemaCurrentAndUntilShutdownBegins() {
        JsonObject pending = ready(Status.SERVICE_UNAVAILABLE_503);
        assertEquals("PENDING", pending.getJsonObject("checks").getString("schema"));
        assertEquals("UP", pending.getJsonObject("checks").getString("database"));

        new Migrations(gw.db().target()).migrate();
        JsonObject current = ready(Status.OK_200);
        assertEquals("CURRENT", current.getJsonObject("checks").getString("schema"));

        gw.gateway().beginShutdown();
        JsonObject stopping = ready(Status.SERVICE_UNAVAILABLE_503);
        assertEquals(false, stopping.getJsonObject("checks").getBoolean("accepting"));
    }

    private JsonObject ready(Status expected) {
        try (HttpClientResponse response = client.get("/health/ready").request()) {
            assertEquals(expected, response.status());
            return response.as(JsonObject.class);
        }
    }
}
