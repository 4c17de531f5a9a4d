package dev.mgw.core.retention;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.mgw.core.MgwException;
import dev.mgw.core.config.GatewayConfig;
import dev.mgw.core.db.Database;
import dev.mgw.core.messages.Messages;
import dev.mgw.core.testing.MutableClock;
import dev.mgw.core.testing.TestDatabase;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Retention against a real PostgreSQL, with a clock moved forward instead of rows backdated: the
 * rows finish "now" (the database's time) and the purge looks at them days later.
 */
class RetentionIT {
    private static final GatewayConfig.Retention SETTINGS = new GatewayConfig.Retention(7, 30);
    private static TestDatabase db;
    private static Database database;
    private static Database otherGateway;
    private MutableClock clock;
    private Retention retention;
    private UUID key;

    @BeforeAll
    static void open() {
        db = TestDatabase.migrated(RetentionIT.class);
        database = Database.open(db.target(), 2, false, Database.Limits.SERVER);
        otherGateway = Database.open(db.target(), 2, false, Database.Limits.SERVER);
    }

    @AfterAll
    static void close() {
        otherGateway.close();
        database.close();
        db.close();
    }

    @BeforeEach
    void empty() {
        db.sql("TRUNCATE batch_requests");
        db.truncate();
        clock = new MutableClock(Instant.now());
        retention = new Retention(database, clock, SETTINGS);
        key = UUID.randomUUID();
        db.sql("INSERT INTO api_keys (id, name, key_prefix, key_hash) VALUES ('" + key + "', 'shop', 'mgw_shop0000', 'x')");
        db.sql("INSERT INTO daily_usage (api_key_id, date, count) VALUES ('" + key + "', CURRENT_DATE - 40, 9)");
    }

    @Test
    void bodiesGoAfterBodyDaysAndFinishedRowsAfterDaysButQueuedAndSendingStay() {
        UUID sent = message("sent", 2);
        UUID failed = message("failed", 1);
        UUID queued = message("queued", 1);
        UUID sending = message("sending", 0);
        UUID endpoint = endpoint();
        delivery(endpoint, "delivered");
        delivery(endpoint, "failed");
        delivery(endpoint, "pending");
        db.sql("INSERT INTO batch_requests (api_key_id, idempotency_key, request_hash, items) "
               + "VALUES ('" + key + "', 'batch-1', 'h', '[]')");
        db.sql("INSERT INTO message_mime (message_id, envelope_from, content) VALUES ('" + sent
               + "', 'shop@example.com', '\\x0d0a')");
        db.sql("INSERT INTO message_events (id, message_id, api_key_id, type, recipient, smtp_code) VALUES ('"
               + UUID.randomUUID() + "', '" + sent + "', '" + key + "', 'bounced', 'b@example.net', 550)");

        clock.advance(Duration.ofDays(6));
        assertEquals(0, purge().total(), "nothing is old enough yet");

        clock.advance(Duration.ofDays(2));
        Retention.Removed bodies = purge();
        assertEquals(Map.of("messages", 0L, "message bodies", 2L, "webhook deliveries", 0L, "batch requests", 0L),
                     bodies.counts());
        for (UUID finished : List.of(sent, failed)) {
            assertEquals("null null", db.queryString("SELECT coalesce(text_body, 'null') || ' ' || coalesce(html_body, 'null') "
                                                     + "FROM messages WHERE id = '" + finished + "'"));
            assertNotNull(db.queryString("SELECT bodies_removed_at FROM messages WHERE id = '" + finished + "'"));
        }
        assertEquals(0, db.queryLong("SELECT count(*) FROM message_attachments WHERE content IS NOT NULL AND message_id IN ('"
                                     + sent + "', '" + failed + "')"), "attachment bytes gone");
        assertEquals(3, db.queryLong("SELECT count(*) FROM message_attachments WHERE message_id IN ('" + sent + "', '"
                                     + failed + "')"), "the attachment list stays: names and sizes");
        assertEquals(0, db.queryLong("SELECT count(*) FROM message_mime WHERE content IS NOT NULL"), "raw MIME gone");
        assertEquals(1, db.queryLong("SELECT count(*) FROM message_events"), "the timeline stays");
        assertUntouched(queued, 1);
        assertUntouched(sending, 0);
        assertThrows(MgwException.class, () -> new Messages(database).retry(failed),
                     "a failed message without its bodies cannot be sent again");

        clock.advance(Duration.ofDays(23));
        Retention.Removed rows = purge();
        assertEquals(Map.of("messages", 2L, "message bodies", 0L, "webhook deliveries", 2L, "batch requests", 1L),
                     rows.counts());
        assertEquals(0, db.queryLong("SELECT count(*) FROM messages WHERE id IN ('" + sent + "', '" + failed + "')"));
        assertEquals(1, db.queryLong("SELECT count(*) FROM message_attachments"), "only the queued message's");
        assertEquals(0, db.queryLong("SELECT count(*) FROM message_events") + db.queryLong("SELECT count(*) FROM message_mime"),
                     "events and the MIME row go with their message");
        assertEquals("pending", db.queryString("SELECT string_agg(status, ',') FROM webhook_deliveries"));
        assertUntouched(queued, 1);
        assertUntouched(sending, 0);
        assertEquals(9, db.queryLong("SELECT count FROM daily_usage"), "usage is never purged");

        clock.advance(Duration.ofDays(365));
        assertEquals(0, purge().total(), "queued and sending messages stay however old");
        assertEquals(2, db.queryLong("SELECT count(*) FROM messages"));
    }

    @Test
    void theDryRunCountsWhatWouldGoAndRemovesNothing() {
        message("sent", 1);
        message("sent", 0);
        message("failed", 0);
        message("queued", 0);
        delivery(endpoint(), "delivered");
        clock.advance(Duration.ofDays(8));
        assertEquals(Map.of("messages", 0L, "message bodies", 3L, "webhook deliveries", 0L, "batch requests", 0L),
                     retention.due().counts());
        clock.advance(Duration.ofDays(30));
        assertEquals(Map.of("messages", 3L, "message bodies", 0L, "webhook deliveries", 1L, "batch requests", 0L),
                     retention.due().counts(), "a message that goes whole is not counted twice");
        assertEquals(4, db.queryLong("SELECT count(*) FROM messages"));
        assertEquals(4, db.queryLong("SELECT count(*) FROM messages WHERE bodies_removed_at IS NULL"));
        assertEquals(1, db.queryLong("SELECT count(*) FROM webhook_deliveries"));
    }

    @Test
    void eachTransactionTakesAtMostOneBatchOfRows() {
        db.sql("INSERT INTO messages (id, api_key_id, status, sender, to_recipients, subject, text_body) "
               + "SELECT gen_random_uuid(), '" + key + "', 'sent', 'shop@example.com', '{a@example.net}', 'Hi', 'body' "
               + "FROM generate_series(1, 1200)");
        clock.advance(Duration.ofDays(8));
        assertEquals(500, retention.purgeBatch(500).orElseThrow().total());
        assertEquals(500, retention.purgeBatch(500).orElseThrow().total());
        assertEquals(200, retention.purgeBatch(500).orElseThrow().total());
        assertEquals(0, retention.purgeBatch(500).orElseThrow().total());
        clock.advance(Duration.ofDays(30));
        assertEquals(1200, retention.purge(500).orElseThrow().counts().get("messages"));
        assertEquals(0, db.queryLong("SELECT count(*) FROM messages"));
    }

    @Test
    void whileAnotherProcessHoldsTheLockNothingIsPurged() throws SQLException {
        UUID sent = message("sent", 0);
        clock.advance(Duration.ofDays(31));
        try (Connection other = Database.connect(db.target()); Statement statement = other.createStatement()) {
            other.setAutoCommit(false);
            statement.execute("SELECT pg_advisory_xact_lock(" + Retention.LOCK + ")");

            assertEquals(Optional.empty(), retention.purgeBatch(500), "another gateway is purging");
            assertEquals(Optional.empty(), retention.purge(500));
            assertEquals(1, db.queryLong("SELECT count(*) FROM messages WHERE id = '" + sent + "'"));

            other.commit();
        }
        assertEquals(1, purge().counts().get("messages"), "the lock is free again once that transaction ends");
    }

    @Test
    void twoGatewaysPurgingAtOnceTakeTurnsAndRemoveEachRowOnce() throws Exception {
        db.sql("INSERT INTO messages (id, api_key_id, status, sender, to_recipients, subject, text_body) "
               + "SELECT gen_random_uuid(), '" + key + "', 'failed', 'shop@example.com', '{a@example.net}', 'Hi', 'body' "
               + "FROM generate_series(1, 3000)");
        clock.advance(Duration.ofDays(31));
        Retention other = new Retention(otherGateway, clock, SETTINGS);
        List<Callable<Long>> gateways = new ArrayList<>();
        for (Retention gateway : List.of(retention, other, retention, other)) {
            gateways.add(() -> {
                long removed = 0;
                int busy = 0;
                while (db.queryLong("SELECT count(*) FROM messages") > 0) {
                    Optional<Retention.Removed> batch = gateway.purgeBatch(100);
                    if (batch.isEmpty()) {
                        busy++;
                    } else {
                        removed += batch.get().total();
                    }
                }
                return removed * 1_000_000 + busy;
            });
        }
        long removed = 0;
        long busy = 0;
        try (ExecutorService threads = Executors.newFixedThreadPool(4)) {
            for (Future<Long> result : threads.invokeAll(gateways)) {
                removed += result.get() / 1_000_000;
                busy += result.get() % 1_000_000;
            }
        }
        assertEquals(3000, removed, "every row removed exactly once");
        assertTrue(busy > 0, "the processes found the lock taken while another purged");
    }

    private Retention.Removed purge() {
        return retention.purge(500).orElse(Retention.Removed.none());
    }

    private void assertUntouched(UUID id, int attachments) {
        assertEquals("text html", db.queryString("SELECT text_body || ' ' || html_body FROM messages WHERE id = '" + id + "'"));
        assertNull(db.queryString("SELECT bodies_removed_at FROM messages WHERE id = '" + id + "'"));
        assertEquals(attachments, db.queryLong("SELECT count(*) FROM message_attachments WHERE content IS NOT NULL "
                                               + "AND message_id = '" + id + "'"));
    }

    /** A message with this status that finished (or was last changed) now, with bodies and attachments. */
    private UUID message(String status, int attachments) {
        UUID id = UUID.randomUUID();
        db.sql("INSERT INTO messages (id, api_key_id, status, sender, to_recipients, subject, text_body, html_body, "
               + "attachment_count, locked_until) VALUES ('" + id + "', '" + key + "', '" + status + "', 'shop@example.com', "
               + "'{a@example.net}', 'Hi', 'text', 'html', " + attachments + ", "
               + (status.equals("sending") ? "now() + interval '30 seconds'" : "NULL") + ")");
        for (int position = 0; position < attachments; position++) {
            db.sql("INSERT INTO message_attachments (message_id, position, filename, content_type, size, content) "
                   + "VALUES ('" + id + "', " + position + ", 'a" + position + ".pdf', 'application/pdf', 3, '\\x010203')");
        }
        return id;
    }

    private UUID endpoint() {
        UUID id = UUID.randomUUID();
        db.sql("INSERT INTO webhook_endpoints (id, api_key_id, url, events, secret) VALUES ('" + id + "', '" + key
               + "', 'https://hooks.example.com/', '{message.sent}', 'whsec_x')");
        return id;
    }

    private void delivery(UUID endpoint, String status) {
        db.sql("INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, payload, status) VALUES ('" + endpoint
               + "', gen_random_uuid(), 'message.sent', '{}', '" + status + "')");
    }
}
