package dev.mgw.server.webhooks;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.mgw.server.ApiClient;
import dev.mgw.server.Await;
import dev.mgw.server.GatewayServerTest;
import dev.mgw.server.ScriptedRelay;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Delivery outcomes reach a key's webhook endpoint (SPEC §11): a partly bounced message pushes
 * {@code message.bounced} (its {@code webhook-id} the event row's id, written in the outcome's
 * transaction) and {@code message.sent}; a suppressed recipient pushes {@code message.suppressed}.
 */
class MessageEventsIT extends GatewayServerTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static ScriptedRelay relay;
    private static Receiver receiver;
    private final ApiClient api;

    MessageEventsIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        relay = new ScriptedRelay();
        receiver = new Receiver();
        start(builder, MessageEventsIT.class, Map.of("SMTP_HOST", "127.0.0.1",
                                                     "SMTP_PORT", String.valueOf(relay.port()),
                                                     "SMTP_FROM_ADDRESS", "noreply@acme.example",
                                                     "DELIVERY_WORKERS", "1",
                                                     "WEBHOOK_WORKERS", "2",
                                                     "WEBHOOK_ALLOW_HTTP", "true",
                                                     "WEBHOOK_ALLOW_PRIVATE", "true"));
    }

    @AfterAll
    static void stop() {
        relay.close();
        receiver.close();
    }

    @Test
    void aPartlyBouncedMessagePushesBouncedAndSentAndASuppressedRecipientPushesSuppressed() {
        String key = gw.key("hooks", 100);
        ApiClient.Response created = api.request("POST", "/api/v1/webhooks", key,
                                                 "{\"url\": \"" + receiver.url("127.0.0.1", "/events") + "\"}",
                                                 "Content-Type", "application/json");
        assertEquals(201, created.status(), created::toString);
        relay.refuseRecipient("gone@example.com", "550 5.1.1 <gone@example.com>: no such user");
        ApiClient.Response sent = api.send(key, "{\"to\": [\"kept@example.com\", \"gone@example.com\"], "
                                                + "\"subject\": \"Hi\", \"text_body\": \"Hi\", \"tags\": {\"order\": \"A-1\"}}");
        assertEquals(202, sent.status(), sent::toString);
        String id = sent.json().getString("id");

        Map<String, Receiver.Request> byType = new HashMap<>();
        while (byType.size() < 2) {
            Receiver.Request request = receiver.next(WAIT);
            byType.put(request.json().getString("type"), request);
        }

        Receiver.Request bounced = byType.get("message.bounced");
        JsonObject data = bounced.json().getJsonObject("data");
        assertEquals(id, data.getString("message_id"));
        assertEquals("gone@example.com", data.getString("recipient"));
        assertEquals(550, data.getInt("smtp_code"));
        assertEquals("A-1", data.getJsonObject("tags").getString("order"));
        assertEquals(gw.db().queryString("SELECT id FROM message_events WHERE message_id = '" + id
                                         + "' AND type = 'bounced'"),
                     bounced.header("webhook-id"), "the webhook-id is the timeline event's id");
        JsonObject sentData = byType.get("message.sent").json().getJsonObject("data");
        assertEquals(id, sentData.getString("message_id"));
        assertEquals(List.of("kept@example.com"), sentData.getJsonArray("recipients").getValuesAs(
                jakarta.json.JsonString.class).stream().map(jakarta.json.JsonString::getString).toList());
        assertEquals(250, sentData.getInt("smtp_code"));

        ApiClient.Response again = api.send(key, "{\"to\": [\"gone@example.com\", \"kept@example.com\"], "
                                                 + "\"subject\": \"Hi\", \"text_body\": \"Hi\"}");
        assertEquals(202, again.status(), again::toString);
        Receiver.Request next = receiver.next(WAIT);
        while (!next.json().getString("type").equals("message.suppressed")) {
            next = receiver.next(WAIT);
        }
        assertEquals("gone@example.com", next.json().getJsonObject("data").getString("recipient"));
        assertEquals(again.json().getString("id"), next.json().getJsonObject("data").getString("message_id"));
        // the second message's sent event may come after its suppressed one has been pushed
        Await.until("the four events delivered", WAIT, () -> gw.db().queryLong(
                "SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'") >= 4
                && gw.db().queryLong("SELECT count(*) FROM webhook_deliveries WHERE status <> 'delivered'") == 0);
    }
}
