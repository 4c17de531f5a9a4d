package dev.mgw.server.webhooks;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.mgw.core.Version;
import dev.mgw.core.events.Event;
import dev.mgw.core.events.EventType;
import dev.mgw.server.ApiClient;
import dev.mgw.server.Await;
import dev.mgw.server.GatewayServerTest;
import dev.mgw.server.TestGateway;
import dev.mgw.server.observe.Logging;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Webhooks from the outbox to a real HTTP receiver in this JVM: signing checked by an independent
 * implementation, retries with one webhook-id, 410, redirects, Retry-After, time-outs, rotation,
 * replay. Retries are made due by moving next_attempt_at in the database, not by waiting.
 */
class WebhookDeliveryIT extends GatewayServerTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final ByteArrayOutputStream LOGS = new ByteArrayOutputStream();
    /** Keeps the receiver's own (JDK HTTP server) logging out of what is checked: it is not the gateway. */
    private static final Logger RECEIVER_LOG = Logger.getLogger("com.sun.net.httpserver");
    private static Receiver receiver;
    private final ApiClient api;

    WebhookDeliveryIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        receiver = new Receiver();
        start(builder, WebhookDeliveryIT.class, Map.of("WEBHOOK_WORKERS", "2",
                                                       "WEBHOOK_ALLOW_HTTP", "true",
                                                       "WEBHOOK_ALLOW_PRIVATE", "true",
                                                       "WEBHOOK_TIMEOUT_SECONDS", "2",
                                                       "LOG_LEVEL", "DEBUG"));
        Logging.configure(gw.gateway().config(), LOGS);
        RECEIVER_LOG.setLevel(Level.OFF);
    }

    @AfterAll
    static void stopReceiver() throws IOException {
        receiver.close();
        LogManager.getLogManager().readConfiguration();
    }

    @BeforeEach
    void answerOk() {
        receiver.answer(request -> Receiver.Reply.status(204));
        receiver.clear();
    }

    @Test
    void aTestEventArrivesSignedAndTheSignatureChecksOutByteForByte() throws Exception {
        String key = gw.key("signed", 10);
        Created endpoint = create(key, receiver.url("127.0.0.1", "/hooks/mgw?token=abc"));
        ApiClient.Response queued = api.request("POST", "/api/v1/webhooks/" + endpoint.id + "/test", key, null,
                                                "X-Request-ID", "test-req-1");
        assertEquals(202, queued.status(), queued::toString);
        String eventId = queued.json().getString("event_id");

        Receiver.Request request = receiver.next(WAIT, "/hooks/mgw?token=abc");
        assertEquals("POST", request.method());
        assertEquals("/hooks/mgw?token=abc", request.path());
        assertEquals(eventId, request.header("webhook-id"));
        assertEquals("application/json", request.header("content-type"));
        assertEquals("mail-gateway/" + Version.get(), request.header("user-agent"));
        long timestamp = Long.parseLong(request.header("webhook-timestamp"));
        assertTrue(Math.abs(Instant.now().getEpochSecond() - timestamp) < 10, "Unix seconds of this attempt");
        assertEquals(List.of(Receiver.expectedSignature(endpoint.secret, eventId, request.header("webhook-timestamp"),
                                                        request.body())),
                     request.signatures());
        assertEquals(gw.db().queryString("SELECT payload FROM webhook_deliveries WHERE event_id = '" + eventId + "'"),
                     request.text(), "the stored body, byte for byte");

        JsonObject payload = request.json();
        assertEquals("webhook.test", payload.getString("type"));
        assertTrue(Instant.parse(payload.getString("created_at")).isAfter(Instant.now().minusSeconds(60)));
        assertEquals(keyId("signed"), payload.getJsonObject("data").getString("api_key_id"));
        assertEquals("test-req-1", payload.getJsonObject("data").getString("request_id"));
        awaitDeliveryStatus(eventId, "delivered");
        assertEquals("204", gw.db().queryString("SELECT last_response_code FROM webhook_deliveries WHERE event_id = '"
                                                + eventId + "'"));
        assertFalse(logs().contains(endpoint.secret.substring(10)), "the secret is never logged");
        assertFalse(logs().contains("token=abc"),
                    () -> "nor the URL, which may carry a token: " + logs().lines().filter(l -> l.contains("token=abc")).toList());
    }

    @Test
    void aMessageEventEnqueuedInTheStatusChangesTransactionIsDelivered() {
        String key = gw.key("timeline", 10);
        gw.key("quiet", 10);
        create(key, receiver.url("localhost", "/sent"));
        UUID keyId = UUID.fromString(keyId("timeline"));
        UUID message = UUID.randomUUID();
        gw.db().sql("INSERT INTO messages (id, api_key_id, sender, to_recipients, subject, text_body, tags, request_id) "
                    + "VALUES ('" + message + "', '" + keyId + "', 'noreply@example.com', ARRAY['user@example.com'], "
                    + "'Hi', 'Body', '{\"order\": \"A-17\"}', 'order-1001')");

        long written = gw.gateway().database().inTransaction(tx -> {
            tx.createUpdate("UPDATE messages SET status = 'sent', sent_at = now() WHERE id = '" + message + "'").execute();
            return gw.gateway().webhookOutbox().enqueue(tx, keyId, Event.of(EventType.SENT, message, Instant.now())
                    .withRecipients(List.of("user@example.com"))
                    .withReply(250, "2.0.0 Ok: queued as 4Xk9pT"));
        });
        assertEquals(1, written);
        long none = gw.gateway().database().inTransaction(tx -> gw.gateway().webhookOutbox().enqueue(
                tx, UUID.fromString(keyId("quiet")), Event.of(EventType.SENT, message, Instant.now())));
        assertEquals(0, none, "a key without endpoints: no row");

        JsonObject payload = receiver.next(WAIT, "/sent").json();
        assertEquals("message.sent", payload.getString("type"));
        JsonObject data = payload.getJsonObject("data");
        assertEquals(message.toString(), data.getString("message_id"));
        assertEquals("user@example.com", data.getJsonArray("recipients").getString(0));
        assertEquals(250, data.getInt("smtp_code"));
        assertEquals("2.0.0 Ok: queued as 4Xk9pT", data.getString("smtp_reply"));
        assertEquals("A-17", data.getJsonObject("tags").getString("order"));
        assertEquals("order-1001", data.getString("request_id"));
    }

    @Test
    void aReceiverThatFailsTwiceGetsThreeAttemptsWithTheSameWebhookId() {
        String key = gw.key("flaky", 10);
        Created endpoint = create(key, receiver.url("127.0.0.1", "/flaky"));
        receiver.answerInTurn(Receiver.Reply.status(500).body("database down"), Receiver.Reply.status(502));
        String eventId = test(key, endpoint);

        Receiver.Request first = receiver.next(WAIT, "/flaky");
        Await.until("the first failure recorded", WAIT, () -> attempts(eventId) == 1 && !locked(eventId));
        assertEquals("pending 500 database down HTTP 500", gw.db().queryString(
                "SELECT status || ' ' || last_response_code || ' ' || last_response_body || ' ' || last_error "
                + "FROM webhook_deliveries WHERE event_id = '" + eventId + "'"));
        double delay = gw.db().queryLong("SELECT extract(epoch FROM next_attempt_at - updated_at) * 1000 "
                                         + "FROM webhook_deliveries WHERE event_id = '" + eventId + "'") / 1000.0;
        assertTrue(delay >= 3.9 && delay <= 6.1, "the first retry after 5 s ±20%: " + delay);
        assertTrue(receiver.all().size() == 1, "nothing before the retry is due");

        makeDue(eventId);
        Receiver.Request second = receiver.next(WAIT, "/flaky");
        Await.until("the second failure recorded", WAIT, () -> attempts(eventId) == 2 && !locked(eventId));
        double secondDelay = gw.db().queryLong("SELECT extract(epoch FROM next_attempt_at - updated_at) "
                                               + "FROM webhook_deliveries WHERE event_id = '" + eventId + "'");
        assertTrue(secondDelay >= 230 && secondDelay <= 370, "the second retry after 5 min ±20%: " + secondDelay);
        makeDue(eventId);
        Receiver.Request third = receiver.next(WAIT, "/flaky");
        awaitDeliveryStatus(eventId, "delivered");

        assertEquals(List.of(eventId, eventId, eventId),
                     List.of(first.header("webhook-id"), second.header("webhook-id"), third.header("webhook-id")));
        assertEquals(first.text(), third.text(), "the same body every time");
        assertEquals(3, attempts(eventId));
        JsonObject view = api.get("/api/v1/webhooks/" + endpoint.id, key).json();
        assertTrue(view.isNull("failing_since"), "delivered again: " + view);
        assertEquals(204, view.getInt("last_response_code"));
    }

    @Test
    void a410FailsTheDeliveryAndDisablesTheEndpointAtOnce() {
        String key = gw.key("gone", 10);
        Created endpoint = create(key, receiver.url("127.0.0.1", "/gone"));
        receiver.answer(request -> Receiver.Reply.status(410));
        String eventId = test(key, endpoint);
        awaitDeliveryStatus(eventId, "failed");

        JsonObject view = api.get("/api/v1/webhooks/" + endpoint.id, key).json();
        assertFalse(view.getBoolean("enabled"), view::toString);
        assertEquals("it answered 410 Gone", view.getString("disabled_reason"));
        assertEquals(410, view.getInt("last_response_code"));
        assertEquals(1, attempts(eventId), "not retried");
        long written = gw.gateway().database().inTransaction(tx -> gw.gateway().webhookOutbox().enqueue(
                tx, UUID.fromString(keyId("gone")), Event.of(EventType.CANCELED, UUID.randomUUID(), Instant.now())));
        assertEquals(0, written, "a disabled endpoint gets no new events");

        ApiClient.Response enabled = api.request("PATCH", "/api/v1/webhooks/" + endpoint.id, key, "{\"enabled\": true}",
                                                 "Content-Type", "application/json");
        assertTrue(enabled.json().getBoolean("enabled"), enabled::toString);
        assertTrue(enabled.json().isNull("disabled_reason"));
    }

    @Test
    void redirectsAreNotFollowedButRetried() {
        String key = gw.key("moved", 10);
        Created endpoint = create(key, receiver.url("127.0.0.1", "/old"));
        receiver.answer(request -> request.path().equals("/old")
                ? Receiver.Reply.status(302).header("Location", receiver.url("127.0.0.1", "/new"))
                : Receiver.Reply.status(204));
        String eventId = test(key, endpoint);
        receiver.next(WAIT, "/old");
        Await.until("the redirect recorded", WAIT, () -> attempts(eventId) == 1 && !locked(eventId));
        assertEquals("pending HTTP 302: redirects are not followed", gw.db().queryString(
                "SELECT status || ' ' || last_error FROM webhook_deliveries WHERE event_id = '" + eventId + "'"));
        assertTrue(receiver.all().stream().noneMatch(r -> r.path().equals("/new")), "never followed");
    }

    @Test
    void aRetryAfterOfUpToAnHourIsHonouredALongerOneIsNot() {
        String key = gw.key("busy", 10);
        Created endpoint = create(key, receiver.url("127.0.0.1", "/busy"));
        receiver.answerInTurn(Receiver.Reply.status(503).header("Retry-After", "120"),
                              Receiver.Reply.status(429).header("Retry-After", "7200"));
        String eventId = test(key, endpoint);
        receiver.next(WAIT, "/busy");
        Await.until("the 503 recorded", WAIT, () -> attempts(eventId) == 1 && !locked(eventId));
        long wait = gw.db().queryLong("SELECT round(extract(epoch FROM next_attempt_at - updated_at)) "
                                      + "FROM webhook_deliveries WHERE event_id = '" + eventId + "'");
        assertTrue(wait >= 118 && wait <= 121, "Retry-After: 120 → " + wait + " s");

        makeDue(eventId);
        receiver.next(WAIT, "/busy");
        Await.until("the 429 recorded", WAIT, () -> attempts(eventId) == 2 && !locked(eventId));
        long scheduled = gw.db().queryLong("SELECT round(extract(epoch FROM next_attempt_at - updated_at)) "
                                           + "FROM webhook_deliveries WHERE event_id = '" + eventId + "'");
        assertTrue(scheduled >= 240 && scheduled <= 360, "two hours is too long: the schedule's 5 min → " + scheduled);
    }

    @Test
    void noAnswerWithinTheTimeoutAndARefusedConnectionAreRetried() throws IOException {
        String key = gw.key("slow", 10);
        Created slow = create(key, receiver.url("127.0.0.1", "/slow"));
        receiver.answer(request -> Receiver.Reply.status(200).after(Duration.ofSeconds(5)));
        String slowEvent = test(key, slow);
        Await.until("the time-out recorded", WAIT, () -> attempts(slowEvent) == 1 && !locked(slowEvent));
        String error = gw.db().queryString("SELECT last_error FROM webhook_deliveries WHERE event_id = '" + slowEvent + "'");
        assertTrue(error.contains("timed out") || error.contains("no answer within 2 s"), error);

        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Created refused = create(key, "http://127.0.0.1:" + closedPort + "/nobody");
        String refusedEvent = test(key, refused);
        Await.until("the refusal recorded", WAIT, () -> attempts(refusedEvent) == 1 && !locked(refusedEvent));
        assertEquals("pending connection refused", gw.db().queryString(
                "SELECT status || ' ' || last_error FROM webhook_deliveries WHERE event_id = '" + refusedEvent + "'"));
    }

    @Test
    void duringARotationBothSecretsSignAndBothSignaturesCheckOut() throws Exception {
        String key = gw.key("rotating", 10);
        Created endpoint = create(key, receiver.url("127.0.0.1", "/rotating"));
        ApiClient.Response rotated = api.request("POST", "/api/v1/webhooks/" + endpoint.id + "/rotate-secret", key, null);
        assertEquals(200, rotated.status(), rotated::toString);
        String newSecret = rotated.json().getString("secret");
        Instant until = Instant.parse(rotated.json().getString("previous_secret_expires_at"));
        assertTrue(Duration.between(Instant.now(), until).toMinutes() > 23 * 60, "the old secret signs for 24 h");

        String eventId = test(key, endpoint);
        Receiver.Request request = receiver.next(WAIT, "/rotating");
        String timestamp = request.header("webhook-timestamp");
        assertEquals(List.of(Receiver.expectedSignature(newSecret, eventId, timestamp, request.body()),
                             Receiver.expectedSignature(endpoint.secret, eventId, timestamp, request.body())),
                     request.signatures(), "two signatures separated by a space, the new secret's first");

        gw.db().sql("UPDATE webhook_endpoints SET previous_secret_expires_at = now() - interval '1 second' "
                    + "WHERE id = '" + endpoint.id + "'");
        String later = test(key, endpoint);
        Receiver.Request after = receiver.next(WAIT, "/rotating");
        assertEquals(List.of(Receiver.expectedSignature(newSecret, later, after.header("webhook-timestamp"), after.body())),
                     after.signatures(), "after 24 h the new secret alone");
    }

    @Test
    void theLastAttemptFailsTheDeliveryAndReplayQueuesItAgain() {
        String key = gw.key("replayed", 10);
        Created endpoint = create(key, receiver.url("127.0.0.1", "/replayed"));
        receiver.answer(request -> Receiver.Reply.status(500));
        String eventId = test(key, endpoint);
        receiver.next(WAIT, "/replayed");
        Await.until("the first failure recorded", WAIT, () -> attempts(eventId) == 1 && !locked(eventId));
        gw.db().sql("UPDATE webhook_deliveries SET attempts = 8, next_attempt_at = now() WHERE event_id = '" + eventId + "'");
        awaitDeliveryStatus(eventId, "failed");
        assertTrue(gw.db().queryString("SELECT last_error FROM webhook_deliveries WHERE event_id = '" + eventId + "'")
                           .startsWith("gave up after 9 attempts; last: HTTP 500"));

        receiver.answer(request -> Receiver.Reply.status(200));
        TestGateway.MgwResult failed = gw.mgwRun("webhooks", "deliveries", endpoint.id, "--status", "failed");
        assertEquals(0, failed.exit(), failed::toString);
        assertTrue(failed.out().contains(eventId), failed::toString);
        TestGateway.MgwResult replay = gw.mgwRun("webhooks", "replay", endpoint.id, "--since", "1h");
        assertEquals(0, replay.exit(), replay::toString);
        assertEquals("Queued 1 failed delivery of webhook endpoint " + endpoint.id + " again.", replay.out().strip());
        awaitDeliveryStatus(eventId, "delivered");
        // the last request to this endpoint: a retry of an earlier test's event may reach the shared receiver after it
        Receiver.Request replayed = receiver.all().stream().filter(request -> request.path().equals("/replayed"))
                .toList().getLast();
        assertEquals(eventId, replayed.header("webhook-id"), "the same event id");
    }

    @Test
    void theReadmesReceiverAcceptsWhatTheGatewaySignsAndRefusesOtherSignatures() throws Exception {
        assumeTrue(python3(), "python3 runs the README's receiver");
        Matcher example = Pattern.compile("<!-- webhook receiver -->\\s*```python\\n(.*?)```", Pattern.DOTALL)
                .matcher(Files.readString(Path.of("..", "README.md")));
        assertTrue(example.find(), "the README has the receiver example");
        Path script = Files.createTempFile("readme-receiver", ".py");
        Files.writeString(script, example.group(1));
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String key = gw.key("readme", 10);
        Created endpoint = create(key, "http://127.0.0.1:" + port + "/webhooks");
        ProcessBuilder builder = new ProcessBuilder("python3", script.toString()).redirectErrorStream(true)
                .redirectOutput(Path.of("target", "readme-receiver.log").toFile());
        builder.environment().put("WEBHOOK_SECRET", endpoint.secret);
        builder.environment().put("PORT", String.valueOf(port));
        Process receiverProcess = builder.start();
        try {
            int listening = port;
            Await.until("the README receiver to listen", WAIT, () -> {
                try (Socket probe = new Socket("127.0.0.1", listening)) {
                    return true;
                } catch (IOException notYet) {
                    return false;
                }
            });
            String eventId = test(key, endpoint);
            awaitDeliveryStatus(eventId, "delivered");
            assertEquals("204", gw.db().queryString("SELECT last_response_code FROM webhook_deliveries "
                                                    + "WHERE event_id = '" + eventId + "'"));

            gw.db().sql("UPDATE webhook_endpoints SET secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' "
                        + "WHERE id = '" + endpoint.id + "'");
            String forged = test(key, endpoint);
            Await.until("the refusal recorded", WAIT, () -> attempts(forged) == 1 && !locked(forged));
            assertEquals("pending 401", gw.db().queryString("SELECT status || ' ' || last_response_code "
                                                            + "FROM webhook_deliveries WHERE event_id = '" + forged + "'"),
                         () -> gw.db().queryString("SELECT row_to_json(d)::text FROM webhook_deliveries d WHERE event_id = '"
                                                   + forged + "'"));
        } finally {
            receiverProcess.destroy();
            Files.delete(script);
        }
    }

    @Test
    void theWebhookSeriesCount() {
        String key = gw.key("counted", 10);
        Created endpoint = create(key, receiver.url("127.0.0.1", "/counted"));
        double before = metric("webhook_deliveries_total", "delivered");
        awaitDeliveryStatus(test(key, endpoint), "delivered");
        Await.until("the delivery counted", WAIT, () -> metric("webhook_deliveries_total", "delivered") == before + 1);
        String text = api.get("/metrics", null).body();
        assertTrue(text.contains("# TYPE webhook_delivery_seconds histogram"), "event to 2xx");
        assertTrue(text.contains("# TYPE webhook_queue_depth gauge"));
    }

    private record Created(String id, String secret) {
    }

    private Created create(String key, String url) {
        ApiClient.Response created = api.request("POST", "/api/v1/webhooks", key, "{\"url\": \"" + url + "\"}",
                                                 "Content-Type", "application/json");
        assertEquals(201, created.status(), created::toString);
        return new Created(created.json().getString("id"), created.json().getString("secret"));
    }

    private String test(String key, Created endpoint) {
        ApiClient.Response queued = api.request("POST", "/api/v1/webhooks/" + endpoint.id + "/test", key, null);
        assertEquals(202, queued.status(), queued::toString);
        return queued.json().getString("event_id");
    }

    private static boolean python3() {
        try {
            return new ProcessBuilder("python3", "--version").start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static String keyId(String name) {
        return gw.db().queryString("SELECT id FROM api_keys WHERE name = '" + name + "'");
    }

    private static long attempts(String eventId) {
        return gw.db().queryLong("SELECT attempts FROM webhook_deliveries WHERE event_id = '" + eventId + "'");
    }

    private static boolean locked(String eventId) {
        return "t".equals(gw.db().queryString("SELECT locked_until IS NOT NULL FROM webhook_deliveries "
                                              + "WHERE event_id = '" + eventId + "'"));
    }

    private static void makeDue(String eventId) {
        gw.db().sql("UPDATE webhook_deliveries SET next_attempt_at = now() WHERE event_id = '" + eventId + "'");
    }

    private static void awaitDeliveryStatus(String eventId, String status) {
        Await.until("delivery " + eventId + " " + status, WAIT, () -> status.equals(gw.db().queryString(
                "SELECT status FROM webhook_deliveries WHERE event_id = '" + eventId + "'")));
    }

    private double metric(String name, String result) {
        Matcher matcher = Pattern.compile("(?m)^" + name + "\\{[^}]*result=\"" + result + "\"[^}]*} (\\S+)$")
                .matcher(api.get("/metrics", null).body());
        return matcher.find() ? Double.parseDouble(matcher.group(1)) : -1;
    }

    private static String logs() {
        synchronized (LOGS) {
            return LOGS.toString(StandardCharsets.UTF_8);
        }
    }
}
