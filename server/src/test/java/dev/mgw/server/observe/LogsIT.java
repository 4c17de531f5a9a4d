package dev.mgw.server.observe;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

import dev.mgw.server.ApiClient;
import dev.mgw.server.Await;
import dev.mgw.server.GatewayServerTest;
import dev.mgw.server.TestRelay;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The log lines of a send, a 401 and a delivery: JSON, with the request id, without secrets. */
class LogsIT extends GatewayServerTest {
    private static final String SMTP_PASSWORD = "relay-pw-Zq8!x";
    private static final ByteArrayOutputStream CAPTURED = new ByteArrayOutputStream();
    /** Keeps the test relay's own (GreenMail) logging out of what is checked: it is not the gateway. */
    private static final Logger GREENMAIL = Logger.getLogger("com.icegreen");
    private static TestRelay relay;
    private final ApiClient api;

    LogsIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        relay = new TestRelay();
        relay.requireAuth("relay-user", SMTP_PASSWORD);
        start(builder, LogsIT.class, Map.of("SMTP_HOST", "127.0.0.1",
                                            "SMTP_PORT", String.valueOf(relay.port()),
                                            "SMTP_USERNAME", "relay-user",
                                            "SMTP_PASSWORD", SMTP_PASSWORD,
                                            "SMTP_STARTTLS", "off",
                                            "SMTP_FROM_ADDRESS", "noreply@acme.example",
                                            "DELIVERY_WORKERS", "1",
                                            "TRUSTED_PROXIES", "127.0.0.1",
                                            "LOG_LEVEL", "DEBUG"));
        Logging.configure(gw.gateway().config(), CAPTURED);
        GREENMAIL.setLevel(Level.OFF);
    }

    @AfterAll
    static void restoreLogging() throws IOException {
        relay.close();
        LogManager.getLogManager().readConfiguration();
    }

    @Test
    void sendRefusalAndDeliveryLogJsonWithTheRequestIdAndNoSecrets() {
        String key = gw.key("logged", 10);
        String wrongKey = key.substring(0, 12) + "WrongWrongWrongWrongWrongWrongWr";
        ApiClient.Response sent = api.send(key, "{\"to\":\"reader@example.com\",\"subject\":\"Invoice\","
                                                + "\"text\":\"BODY-MARKER-8841\"}", "X-Request-ID", "logs-req-1");
        assertEquals(202, sent.status(), sent::toString);
        String messageId = sent.json().getString("id");
        assertEquals(401, api.request("POST", "/api/v1/send?utm_source=newsletter", wrongKey,
                                      "{\"to\":\"a@example.com\",\"subject\":\"s\",\"text\":\"t\"}",
                                      "Content-Type", "application/json", "X-Forwarded-For", "203.0.113.9").status());
        Await.until("the delivery line", Duration.ofSeconds(15), () -> logs().contains("message sent"));

        String text = logs();
        List<JsonObject> lines = text.lines().map(line -> {
            try {
                return Json.createReader(new StringReader(line)).readObject();
            } catch (RuntimeException e) {
                throw new AssertionError("not a JSON line: " + line, e);
            }
        }).toList();
        assertFalse(lines.isEmpty());
        for (JsonObject line : lines) {
            assertTrue(line.getString("timestamp").matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"), line::toString);
            assertTrue(List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR").contains(line.getString("level")), line::toString);
            assertFalse(line.getString("logger").isBlank());
            assertTrue(line.containsKey("message"));
        }

        List<JsonObject> request = lines.stream().filter(l -> "logs-req-1".equals(l.getString("request_id", null))).toList();
        JsonObject access = request.stream().filter(l -> l.getString("logger").equals("dev.mgw.access")).findFirst().orElseThrow();
        assertEquals("/api/v1/send", access.getString("route"));
        assertEquals("/api/v1/send", access.getString("path"));
        assertEquals(202, access.getInt("status"));
        assertEquals("POST", access.getString("method"));
        assertTrue(access.getJsonNumber("duration_ms").doubleValue() > 0);
        assertEquals("127.0.0.1", access.getString("remote"));
        assertEquals(messageId, access.getString("message_id"), "the access line names the accepted message");
        assertEquals(1, access.getInt("recipients"));
        JsonObject delivery = request.stream().filter(l -> l.getString("message").startsWith("message sent"))
                .findFirst().orElseThrow(() -> new AssertionError("the delivery line carries the request id"));
        assertEquals(messageId, delivery.getString("message_id"));
        assertEquals("sent", delivery.getString("status"));
        assertEquals("reader@example.com", delivery.getString("recipient"));

        JsonObject refused = lines.stream().filter(l -> l.getString("logger").equals("dev.mgw.access")
                                                        && l.getInt("status", 0) == 401).findFirst().orElseThrow();
        assertEquals("/api/v1/send", refused.getString("path"), "the query string is not logged");
        assertEquals("203.0.113.9", refused.getString("remote"), "the address the trusted proxy forwarded");
        assertTrue(refused.getString("request_id").matches("[0-9a-f-]{36}"));

        assertFalse(text.contains(key), "the API key");
        assertFalse(text.contains(key.substring(12)), "any part of the key beyond its prefix");
        assertFalse(text.contains("WrongWrong"), "the wrong key beyond its prefix");
        assertFalse(text.contains(SMTP_PASSWORD), "the SMTP password");
        assertFalse(text.contains(Base64.getEncoder().encodeToString(SMTP_PASSWORD.getBytes(StandardCharsets.UTF_8))));
        assertFalse(text.contains("BODY-MARKER-8841"), "the message body");
        assertFalse(text.contains("utm_source"), () -> "the query string: " + text.lines().filter(l -> l.contains("utm_source")).toList());
    }

    private static String logs() {
        synchronized (CAPTURED) {
            return CAPTURED.toString(StandardCharsets.UTF_8);
        }
    }
}
