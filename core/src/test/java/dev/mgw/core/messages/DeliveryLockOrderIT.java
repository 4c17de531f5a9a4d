package dev.mgw.core.messages;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.mgw.core.db.Database;
import dev.mgw.core.events.Timeline;
import dev.mgw.core.suppressions.Suppressions;
import dev.mgw.core.testing.TestDatabase;
import dev.mgw.core.webhooks.WebhookOutbox;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A lease renewal and an outcome record over the same claimed rows, each given them in its own
 * order (the renewal in the order of the claims it holds, the record in the order the sends
 * ended), with a third transaction holding one of the rows so that both are under way at once.
 * Each locks its rows in one order, the id's, so neither ends up waiting for the other while the
 * other waits for it: both succeed. Locked in the order given, they deadlocked; in the server the
 * 800 ms lock time-out ended both before PostgreSQL's deadlock check (seen under load as "cannot
 * renew … delivery leases" and "cannot record delivery outcomes yet", 15 ms apart).
 */
class DeliveryLockOrderIT {
    private static final Duration LEASE = Duration.ofSeconds(60);
    private static TestDatabase db;
    private static Database database;
    private static DeliveryQueue queue;

    @BeforeAll
    static void outbox() {
        db = TestDatabase.migrated(DeliveryLockOrderIT.class);
        // a lock may be waited for longer than the server's 800 ms, so that the waits can be set up
        // and the deadlock, if any, is PostgreSQL's to report (after its deadlock_timeout, 1 s)
        database = Database.open(db.target(), 4, false, Database.Limits.TOOL);
        Timeline timeline = new Timeline(database, new WebhookOutbox(database, Clock.systemUTC(), () -> { }),
                                         Clock.systemUTC());
        queue = new DeliveryQueue(database, timeline, new Suppressions(database), false);
        db.sql("INSERT INTO api_keys (name, key_prefix, key_hash, daily_limit) VALUES ('k', 'mgw_k0000001', 'hash', 100)");
        // an outbox of the size a gateway has after a while, so that the plans are the ones it gets
        db.sql("INSERT INTO messages (id, api_key_id, sender, to_recipients, subject, text_body, status, updated_at) "
               + "SELECT gen_random_uuid(), k.id, 'a@example.com', ARRAY['u@example.com'], 's', 'b', 'sent', now() "
               + "FROM api_keys k, generate_series(1, 20000)");
        db.sql("ANALYZE messages");
    }

    @AfterAll
    static void drop() {
        database.close();
        db.close();
    }

    @Test
    void aRenewalAndARecordOfTheSameClaimsInOppositeOrdersBothSucceed() throws Exception {
        db.sql("INSERT INTO messages (id, api_key_id, sender, to_recipients, subject, text_body) "
               + "SELECT gen_random_uuid(), k.id, 'a@example.com', ARRAY['u@example.com'], 's', 'b' "
               + "FROM api_keys k, generate_series(1, 3)");
        List<OutboundMessage> claimed = queue.claim(10, LEASE);
        assertEquals(3, claimed.size());
        OutboundMessage first = claimed.get(0);
        OutboundMessage held = claimed.get(1);
        OutboundMessage last = claimed.get(2);
        List<OutboundMessage> renewalOrder = List.of(first, held, last);
        List<DeliveryOutcome> recordOrder = List.of(sent(last), sent(held), sent(first));

        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
             Connection holder = Database.connect(db.target()); Statement statement = holder.createStatement()) {
            holder.setAutoCommit(false);
            statement.execute("SELECT 1 FROM messages WHERE id = '" + held.id() + "' FOR UPDATE");
            Future<List<OutboundMessage>> renewal =
                    threads.submit(() -> queue.renew(renewalOrder, LEASE));
            awaitWaiting(1);
            Future<Long> record = threads.submit(() -> queue.record(recordOrder));
            awaitWaiting(2);
            holder.commit();

            renewal.get(10, TimeUnit.SECONDS);
            assertEquals(3, record.get(10, TimeUnit.SECONDS), "every outcome recorded");
        }
        assertEquals(3, db.queryLong("SELECT count(*) FROM messages WHERE status = 'sent' AND sent_at IS NOT NULL"));
    }

    private static DeliveryOutcome sent(OutboundMessage message) {
        return new DeliveryOutcome.Sent(message.id(), message.attempt(), Instant.now(), "smtp", "<" + message.id() + "@t>",
                                        Optional.empty(), Optional.empty(), message.envelopeRecipients(), List.of());
    }

    /** Waits (5 s at most) until {@code n} statements of this database wait for a row lock. */
    private static void awaitWaiting(int n) throws InterruptedException, SQLException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        long waiting;
        do {
            waiting = db.queryLong("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                   + "AND wait_event_type = 'Lock'");
            if (waiting >= n) {
                return;
            }
            Thread.sleep(10);
        } while (System.nanoTime() < deadline);
        assertTrue(waiting >= n, n + " statements waiting for a lock, found " + waiting);
    }
}
