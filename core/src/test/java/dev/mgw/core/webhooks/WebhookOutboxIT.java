package dev.mgw.core.webhooks;

import java.io.StringReader;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import dev.mgw.core.config.ConfigLoader;
import dev.mgw.core.db.Database;
import dev.mgw.core.events.Event;
import dev.mgw.core.events.EventType;
import dev.mgw.core.keys.ApiKeys;
import dev.mgw.core.keys.KeyNoLongerValidException;
import dev.mgw.core.keys.KeySecrets;
import dev.mgw.core.keys.NewKey;
import dev.mgw.core.testing.TestDatabase;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The outbox as the timeline calls it: {@link WebhookOutbox#enqueue} inside the caller's
 * transaction, and the claim/record cycle the workers run, against a real PostgreSQL.
 */
class WebhookOutboxIT {
    private static final Duration LEASE = Duration.ofSeconds(30);
    private static TestDatabase db;
    private static Database database;
    private static final AtomicInteger WAKES = new AtomicInteger();
    private static WebhookOutbox outbox;
    private static WebhookEndpoints endpoints;
    private static ApiKeys keys;

    @BeforeAll
    static void open() {
        db = TestDatabase.migrated(WebhookOutboxIT.class);
        database = Database.open(db.target(), 2, false, Database.Limits.SERVER);
        outbox = new WebhookOutbox(database, Clock.systemUTC(), WAKES::incrementAndGet);
        endpoints = new WebhookEndpoints(database, new EndpointRules(ConfigLoader.fromValues(Map.of()).webhooks()), outbox);
        keys = new ApiKeys(database, new KeySecrets(4), Clock.systemUTC());
    }

    @AfterAll
    static void close() {
        database.close();
        db.close();
    }

    @BeforeEach
    void empty() {
        db.truncate();
    }

    @Test
    void enqueueWritesOneDeliveryPerEnabledEndpointThatSubscribesInTheCallersTransaction() {
        UUID key = key("shop");
        UUID other = key("blog");
        UUID all = endpoint(key, "https://hooks.example.com/all", Optional.empty());
        UUID sentOnly = endpoint(key, "https://hooks.example.com/sent", Optional.of(List.of("message.sent")));
        endpoint(key, "https://hooks.example.com/bounces", Optional.of(List.of("message.bounced")));
        UUID off = endpoint(key, "https://hooks.example.com/off", Optional.empty());
        endpoints.setEnabled(Owner.operator(), off, false);
        endpoint(other, "https://hooks.example.com/blog", Optional.empty());
        UUID message = message(key, "{\"order\": \"A-17\"}", "req-1");
        int wakes = WAKES.get();

        long written = database.inTransaction(tx -> outbox.enqueue(tx, key, sent(message)));

        assertEquals(2, written);
        assertEquals(wakes + 1, WAKES.get(), "the workers are told");
        assertEquals(List.of(all.toString(), sentOnly.toString()),
                     db.query("SELECT endpoint_id FROM webhook_deliveries ORDER BY endpoint_id = '" + all + "' DESC",
                              rs -> {
                                  List<String> ids = new java.util.ArrayList<>();
                                  while (rs.next()) {
                                      ids.add(rs.getString(1));
                                  }
                                  return ids;
                              }));
        assertEquals(1, db.queryLong("SELECT count(DISTINCT event_id) FROM webhook_deliveries"),
                     "one event id for every endpoint of the event");
        assertEquals(1, db.queryLong("SELECT count(DISTINCT payload) FROM webhook_deliveries"));
    }

    @Test
    void keysWithEndpointsNamesOnlyTheKeysWithAnEnabledOne() {
        UUID shop = key("shop");
        UUID blog = key("blog");
        UUID quiet = key("quiet");
        endpoint(shop, "https://hooks.example.com/shop", Optional.of(List.of("message.bounced")));
        UUID off = endpoint(blog, "https://hooks.example.com/off", Optional.empty());
        endpoints.setEnabled(Owner.operator(), off, false);

        assertEquals(Set.of(shop),
                     database.inTransaction(tx -> outbox.keysWithEndpoints(tx, List.of(shop, blog, quiet))),
                     "an endpoint counts whatever it subscribes to; a disabled one does not");
        assertEquals(Set.of(), database.inTransaction(tx -> outbox.keysWithEndpoints(tx, List.of())));
    }

    @Test
    void theStoredPayloadIsTheSpecShapeWithTheMessagesTagsAndRequestId() {
        UUID key = key("shop");
        endpoint(key, "https://hooks.example.com/all", Optional.empty());
        UUID message = message(key, "{\"order\": \"A-17\"}", "req-42");
        Instant at = Instant.parse("2026-11-24T18:20:01.413Z");
        Instant next = Instant.parse("2026-11-24T18:25:01.000Z");

        database.inTransaction(tx -> outbox.enqueue(tx, key, Event.of(EventType.DEFERRED, message, at)
                .withRecipient("user@example.com").withReply(451, "4.7.1 try later").withAttempt(2)
                .withNextAttemptAt(next)));

        String payload = db.queryString("SELECT payload FROM webhook_deliveries");
        assertTrue(payload.startsWith("{\"type\":\"message.deferred\",\"created_at\":\"2026-11-24T18:20:01.413Z\","
                                      + "\"data\":{\"message_id\":\"" + message + "\""), payload);
        JsonObject data = json(payload).getJsonObject("data");
        assertEquals(key.toString(), data.getString("api_key_id"));
        assertEquals("user@example.com", data.getString("recipient"));
        assertEquals(451, data.getInt("smtp_code"));
        assertEquals("4.7.1 try later", data.getString("smtp_reply"));
        assertEquals(2, data.getInt("attempt"));
        assertEquals(next, Instant.parse(data.getString("next_attempt_at")));
        assertEquals("A-17", data.getJsonObject("tags").getString("order"));
        assertEquals("req-42", data.getString("request_id"));
        assertFalse(data.containsKey("recipients"), "fields without a value are left out: " + data);
    }

    @Test
    void aKeyWithoutEndpointsGetsNoRowAndNoWake() {
        UUID key = key("quiet");
        UUID message = message(key, "{}", "req-1");
        int wakes = WAKES.get();
        long written = database.inTransaction(tx -> outbox.enqueue(tx, key, sent(message)));
        assertEquals(0, written);
        assertEquals(0, db.queryLong("SELECT count(*) FROM webhook_deliveries"));
        assertEquals(wakes, WAKES.get());
    }

    @Test
    void anEventRolledBackWithItsTransactionIsNotDelivered() {
        UUID key = key("shop");
        endpoint(key, "https://hooks.example.com/all", Optional.empty());
        UUID message = message(key, "{}", "req-1");
        assertThrows(IllegalStateException.class, () -> database.inTransaction(tx -> {
            outbox.enqueue(tx, key, sent(message));
            throw new IllegalStateException("the status change failed");
        }));
        assertEquals(0, db.queryLong("SELECT count(*) FROM webhook_deliveries"));
    }

    @Test
    void anOutcomeIsRecordedOnlyByTheAttemptThatHoldsTheClaim() {
        UUID key = key("shop");
        endpoint(key, "https://hooks.example.com/all", Optional.empty());
        enqueue(key);
        ClaimedDelivery first = outbox.claim(10, LEASE).getFirst();
        assertEquals(1, first.attempt());
        assertEquals("https://hooks.example.com/all", first.url());
        assertTrue(outbox.claim(10, LEASE).isEmpty(), "leased");

        db.sql("UPDATE webhook_deliveries SET next_attempt_at = now() - interval '1 second'");
        ClaimedDelivery second = outbox.claim(10, LEASE).getFirst();
        assertEquals(2, second.attempt(), "a lease that ran out is claimed again");
        assertEquals(first.eventId(), second.eventId());

        WebhookOutcome.Response ok = new WebhookOutcome.Response(204, "");
        assertEquals(0, outbox.record(List.of(new WebhookOutcome.Delivered(first.id(), first.attempt(), ok))),
                     "the first attempt lost its claim");
        assertEquals(1, outbox.record(List.of(new WebhookOutcome.Delivered(second.id(), second.attempt(), ok))));
        assertEquals("delivered 204", db.queryString("SELECT status || ' ' || last_response_code FROM webhook_deliveries"));
    }

    @Test
    void a410FailsTheDeliveryDisablesTheEndpointAndFailsItsOtherPendingDeliveries() {
        UUID key = key("shop");
        UUID endpoint = endpoint(key, "https://hooks.example.com/all", Optional.empty());
        enqueue(key);
        ClaimedDelivery claimed = outbox.claim(1, LEASE).getFirst();
        enqueue(key);

        outbox.record(List.of(new WebhookOutcome.Failed(claimed.id(), claimed.attempt(),
                                                        Optional.of(new WebhookOutcome.Response(410, "gone")),
                                                        "HTTP 410", true)));

        Endpoint disabled = endpoints.find(Owner.operator(), endpoint).orElseThrow();
        assertFalse(disabled.enabled());
        assertEquals(Optional.of("it answered 410 Gone"), disabled.disabledReason());
        assertEquals(2, db.queryLong("SELECT count(*) FROM webhook_deliveries WHERE status = 'failed'"));
        UUID later = message(key, "{}", "r");
        long written = database.inTransaction(tx -> outbox.enqueue(tx, key, sent(later)));
        assertEquals(0, written, "a disabled endpoint gets no new deliveries");
    }

    @Test
    void failuresStartTheFailureRecordADeliveryClearsItAndThreeDaysOfFailuresDisable() {
        UUID key = key("shop");
        UUID endpoint = endpoint(key, "https://hooks.example.com/all", Optional.empty());
        retry(enqueueAndClaim(key));
        Instant failingSince = endpoints.find(Owner.operator(), endpoint).orElseThrow().failingSince().orElseThrow();

        ClaimedDelivery next = enqueueAndClaim(key);
        outbox.record(List.of(new WebhookOutcome.Delivered(next.id(), next.attempt(), new WebhookOutcome.Response(200, "ok"))));
        assertTrue(endpoints.find(Owner.operator(), endpoint).orElseThrow().failingSince().isEmpty(),
                   "failing since " + failingSince + ", then delivered");

        retry(enqueueAndClaim(key));
        db.sql("UPDATE webhook_endpoints SET failing_since = now() - interval '3 days 1 minute'");
        retry(enqueueAndClaim(key));
        Endpoint disabled = endpoints.find(Owner.operator(), endpoint).orElseThrow();
        assertFalse(disabled.enabled());
        assertEquals(Optional.of("every delivery failed for 3 days"), disabled.disabledReason());
        assertEquals(0, db.queryLong("SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'"),
                     "its retries fail with it");

        endpoints.setEnabled(Owner.operator(), endpoint, true);
        assertTrue(endpoints.find(Owner.operator(), endpoint).orElseThrow().disabledReason().isEmpty());
        assertEquals(3, outbox.replay(endpoint, Instant.EPOCH), "the three that did not get through");
    }

    @Test
    void replayQueuesFailedDeliveriesSinceAGivenTimeOnceTheEndpointIsEnabled() {
        UUID key = key("shop");
        UUID endpoint = endpoint(key, "https://hooks.example.com/all", Optional.empty());
        enqueue(key);
        enqueue(key);
        db.sql("UPDATE webhook_deliveries SET status = 'failed', attempts = 9");
        db.sql("UPDATE webhook_deliveries SET created_at = now() - interval '2 hours' WHERE id = (SELECT min(id) FROM webhook_deliveries)");
        endpoints.setEnabled(Owner.operator(), endpoint, false);

        assertTrue(assertThrows(RuntimeException.class, () -> outbox.replay(endpoint, Instant.EPOCH))
                           .getMessage().contains("enable it first"));
        endpoints.setEnabled(Owner.operator(), endpoint, true);
        assertEquals(1, outbox.replay(endpoint, Instant.now().minus(Duration.ofHours(1))));
        assertEquals("pending 0", db.queryString("SELECT status || ' ' || attempts FROM webhook_deliveries "
                                                 + "WHERE id = (SELECT max(id) FROM webhook_deliveries)"));
        assertEquals(1, outbox.replay(endpoint, Instant.EPOCH));
        assertEquals(0, outbox.replay(endpoint, Instant.EPOCH));
    }

    @Test
    void aKeyActsOnItsOwnEndpointsOnlyAndNotOnceRevoked() {
        UUID shop = key("shop");
        UUID blog = key("blog");
        String shopHash = db.queryString("SELECT key_hash FROM api_keys WHERE id = '" + shop + "'");
        String blogHash = db.queryString("SELECT key_hash FROM api_keys WHERE id = '" + blog + "'");
        UUID endpoint = endpoint(shop, "https://hooks.example.com/all", Optional.empty());
        assertTrue(endpoints.find(Owner.key(shop, shopHash), endpoint).isPresent());
        assertTrue(endpoints.find(Owner.key(blog, blogHash), endpoint).isEmpty());
        assertFalse(endpoints.delete(Owner.key(blog, blogHash), endpoint));
        assertTrue(endpoints.sendTest(new Owner.Key(blog, blogHash), endpoint, Event.test(Instant.now(), "r")).isEmpty());
        assertThrows(KeyNoLongerValidException.class, () -> endpoints.list(Owner.key(shop, "$2a$04$stale"), Optional.empty()));
        keys.revoke(keys.find(shop).orElseThrow());
        assertThrows(KeyNoLongerValidException.class, () -> endpoints.find(Owner.key(shop, shopHash), endpoint));
    }

    @Test
    void aKeyHasAtMostTenEndpoints() {
        UUID key = key("busy");
        for (int i = 0; i < WebhookEndpoints.MAX_PER_KEY; i++) {
            endpoint(key, "https://hooks.example.com/" + i, Optional.empty());
        }
        assertThrows(EndpointLimitException.class, () -> endpoint(key, "https://hooks.example.com/11", Optional.empty()));
    }

    private static UUID key(String name) {
        return keys.create(new NewKey(name, 100, Optional.empty(), Optional.empty())).key().id();
    }

    private static UUID endpoint(UUID key, String url, Optional<List<String>> events) {
        return endpoints.create(Owner.operator(), key, url, events, Optional.empty()).endpoint().id();
    }

    private static UUID message(UUID key, String tags, String requestId) {
        UUID id = UUID.randomUUID();
        db.sql("INSERT INTO messages (id, api_key_id, sender, to_recipients, subject, text_body, tags, request_id) "
               + "VALUES ('" + id + "', '" + key + "', 'noreply@example.com', ARRAY['user@example.com'], 'Hi', 'Body', '"
               + tags + "', '" + requestId + "')");
        return id;
    }

    private static Event sent(UUID message) {
        return Event.of(EventType.SENT, message, Instant.now()).withRecipients(List.of("user@example.com"))
                .withReply(250, "2.0.0 Ok: queued");
    }

    private static void enqueue(UUID key) {
        UUID message = message(key, "{}", "req");
        database.inTransaction(tx -> outbox.enqueue(tx, key, sent(message)));
    }

    private static ClaimedDelivery enqueueAndClaim(UUID key) {
        enqueue(key);
        return outbox.claim(1, LEASE).getFirst();
    }

    private static void retry(ClaimedDelivery claimed) {
        outbox.record(List.of(new WebhookOutcome.Retry(claimed.id(), claimed.attempt(),
                                                       Optional.of(new WebhookOutcome.Response(500, "oops")), "HTTP 500",
                                                       Instant.now().plusSeconds(5))));
    }

    private static JsonObject json(String text) {
        return Json.createReader(new StringReader(text)).readObject();
    }
}
