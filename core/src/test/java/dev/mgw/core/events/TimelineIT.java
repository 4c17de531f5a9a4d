package dev.mgw.core.events;

import java.io.StringReader;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import dev.mgw.core.config.ConfigLoader;
import dev.mgw.core.db.Database;
import dev.mgw.core.keys.ApiKeys;
import dev.mgw.core.keys.KeySecrets;
import dev.mgw.core.keys.NewKey;
import dev.mgw.core.testing.TestDatabase;
import dev.mgw.core.webhooks.EndpointRules;
import dev.mgw.core.webhooks.Owner;
import dev.mgw.core.webhooks.WebhookEndpoints;
import dev.mgw.core.webhooks.WebhookOutbox;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link Timeline#record}: the event row and its webhook deliveries, in the caller's transaction. */
class TimelineIT {
    private static TestDatabase db;
    private static Database database;
    private static Timeline timeline;
    private static WebhookEndpoints endpoints;
    private static ApiKeys keys;

    @BeforeAll
    static void open() {
        db = TestDatabase.migrated(TimelineIT.class);
        database = Database.open(db.target(), 2, false, Database.Limits.SERVER);
        WebhookOutbox outbox = new WebhookOutbox(database, Clock.systemUTC(), () -> { });
        timeline = new Timeline(database, outbox, Clock.systemUTC());
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
    void anEventIsARowAndAWebhookDeliveryWithTheEventsIdAsWebhookId() {
        UUID key = key();
        endpoints.create(Owner.operator(), key, "https://hooks.example.com/all", Optional.empty(), Optional.empty());
        UUID message = message(key);
        JsonObject detail = Json.createObjectBuilder().add("next_attempt_at", "2026-11-24T18:25:01Z").add("attempt", 2).build();

        UUID id = database.inTransaction(tx -> timeline.record(tx, message, key, TimelineType.DEFERRED,
                                                               "user@example.com", 452, "452 4.2.2 mailbox full",
                                                               detail));

        List<TimelineEvent> rows = timeline.rows(message);
        assertEquals(1, rows.size());
        TimelineEvent event = rows.getFirst();
        assertEquals(TimelineType.DEFERRED, event.type());
        assertEquals(Optional.of("user@example.com"), event.recipient());
        assertEquals(Optional.of(452), event.smtpCode());
        assertEquals(Optional.of(detail), event.detail());
        assertEquals(id.toString(), db.queryString("SELECT event_id FROM webhook_deliveries"));
        assertEquals("message.deferred", db.queryString("SELECT event_type FROM webhook_deliveries"));
        JsonObject data = payloadData();
        assertEquals(2, data.getInt("attempt"));
        assertEquals(Instant.parse("2026-11-24T18:25:01Z"), Instant.parse(data.getString("next_attempt_at")));
        assertEquals("452 4.2.2 mailbox full", data.getString("smtp_reply"));
    }

    @Test
    void aRolledBackChangeLeavesNeitherEventNorDelivery() {
        UUID key = key();
        endpoints.create(Owner.operator(), key, "https://hooks.example.com/all", Optional.empty(), Optional.empty());
        UUID message = message(key);

        assertThrows(IllegalStateException.class, () -> database.inTransaction(tx -> {
            timeline.record(tx, message, key, TimelineType.BOUNCED, "user@example.com", 550, "550 5.1.1 no such user",
                            null);
            throw new IllegalStateException("the status change failed");
        }));

        assertEquals(List.of(), timeline.rows(message));
        assertEquals(0, db.queryLong("SELECT count(*) FROM webhook_deliveries"));
    }

    @Test
    void anAnnouncedSentEventWritesNoRowOnlyDeliveries() {
        UUID key = key();
        UUID message = message(key);

        database.inTransaction(tx -> {
            timeline.announce(tx, message, key, TimelineType.SENT, 250, "250 ok", null);
            return null;
        });
        assertEquals(0, db.queryLong("SELECT count(*) FROM webhook_deliveries"), "no endpoint, no delivery");

        endpoints.create(Owner.operator(), key, "https://hooks.example.com/all", Optional.empty(), Optional.empty());
        database.inTransaction(tx -> {
            timeline.announce(tx, message, key, TimelineType.SENT, 250, "250 ok",
                              Json.createObjectBuilder().add("recipients", Json.createArrayBuilder().add("a@example.com"))
                                      .build());
            return null;
        });

        assertEquals(List.of(), timeline.rows(message));
        assertEquals(1, db.queryLong("SELECT count(*) FROM webhook_deliveries WHERE event_type = 'message.sent'"));
        assertEquals("a@example.com", payloadData().getJsonArray("recipients").getString(0));
    }

    private static UUID key() {
        return keys.create(new NewKey("shop", 100, Optional.empty(), Optional.empty())).key().id();
    }

    private static UUID message(UUID key) {
        UUID id = UUID.randomUUID();
        db.sql("INSERT INTO messages (id, api_key_id, sender, to_recipients, subject, text_body) VALUES ('" + id
               + "', '" + key + "', 'noreply@example.com', ARRAY['user@example.com'], 'Hi', 'Body')");
        return id;
    }

    private static JsonObject payloadData() {
        return Json.createReader(new StringReader(db.queryString("SELECT payload FROM webhook_deliveries")))
                .readObject().getJsonObject("data");
    }
}
