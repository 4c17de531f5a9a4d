package dev.mgw.server.delivery;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import dev.mgw.core.config.ConfigLoader;
import dev.mgw.core.config.GatewayConfig;
import dev.mgw.core.db.Database;
import dev.mgw.core.events.Timeline;
import dev.mgw.core.messages.Attachments;
import dev.mgw.core.messages.DeliveryQueue;
import dev.mgw.core.messages.OutboundMessage;
import dev.mgw.core.submission.SubmittedMimes;
import dev.mgw.core.suppressions.Suppressions;
import dev.mgw.core.testing.TestDatabase;
import dev.mgw.core.webhooks.WebhookOutbox;
import dev.mgw.server.Await;
import dev.mgw.server.ScriptedRelay;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When the workers claim (SPEC §6: a message accepted here starts within 100 ms), with the poll
 * made so rare that only a wake-up or the start can begin a claim, and a relay that holds every
 * message's 250 so that a worker stays with the message it sends: a burst larger than one claim
 * is taken by several workers at once, and work queued before the start is claimed at once.
 */
class DeliveryWakeIT {
    private static final Duration RARE_POLL = Duration.ofMinutes(5);
    private static final int WORKERS = 4;
    private static TestDatabase db;
    private static Database database;
    private ScriptedRelay relay;
    private Delivery delivery;
    private UUID key;

    @BeforeAll
    static void open() {
        db = TestDatabase.migrated(DeliveryWakeIT.class);
        database = Database.open(db.target(), 8, false, Database.Limits.SERVER);
    }

    @AfterAll
    static void close() {
        database.close();
        db.close();
    }

    @BeforeEach
    void relay() {
        db.truncate();
        key = UUID.randomUUID();
        db.sql("INSERT INTO api_keys (id, name, key_prefix, key_hash) VALUES ('" + key + "', 'shop', 'mgw_shop0000', 'x')");
        relay = new ScriptedRelay();
        relay.holdDataAnswers();
    }

    @AfterEach
    void stop() {
        relay.releaseDataAnswers();
        if (delivery != null) {
            delivery.stop(Duration.ofSeconds(5));
        }
        relay.close();
    }

    @Test
    void aBurstLargerThanOneClaimIsTakenBySeveralWorkersAtOnce() {
        delivery = start();
        Await.until("each worker's first claim, of an empty queue", Duration.ofSeconds(10),
                    () -> delivery.claims() >= WORKERS);

        queue(3 * Delivery.BATCH);
        for (int i = 0; i < 3 * Delivery.BATCH; i++) {
            delivery.wake(); // as the batch endpoint does, once per message after its one commit
        }

        // the first worker claims 10 and waits for its first 250; the rest must not wait for the poll
        Await.until("messages on more than one connection", Duration.ofSeconds(10),
                    () -> relay.taken().stream().map(ScriptedRelay.Taken::connection).distinct().count() >= 2);
        relay.releaseDataAnswers();
        Await.until("every message taken", Duration.ofSeconds(10), () -> relay.taken().size() == 3 * Delivery.BATCH);
    }

    @Test
    void messagesQueuedBeforeTheStartAreClaimedAtOnce() {
        queue(3);

        delivery = start();

        Await.until("a message taken without a wake-up or a poll", Duration.ofSeconds(10), () -> !relay.taken().isEmpty());
        relay.releaseDataAnswers();
        Await.until("every message taken", Duration.ofSeconds(10), () -> relay.taken().size() == 3);
        assertEquals(3, relay.taken().stream().map(ScriptedRelay.Taken::messageId).distinct().count());
    }

    @Test
    void quickSendsMakeAWorkersNextClaimLarger() {
        queue(300);

        delivery = start(Map.of("DATABASE_URL", db.url(), "DELIVERY_WORKERS", "1"));

        Await.until("every message sent (sandbox)", Duration.ofSeconds(30),
                    () -> db.queryLong("SELECT count(*) FROM messages WHERE status = 'sent'") == 300);
        assertTrue(delivery.largestClaim() > Delivery.BATCH,
                   "after sends of well under 5 ms each, a claim takes more than " + Delivery.BATCH + ": "
                   + delivery.largestClaim() + " at most, in " + delivery.claims() + " claims");
    }

    @Test
    void aClaimTakesWhatItsSendsTakeFiftyMillisecondsFor() {
        assertEquals(Delivery.MAX_BATCH, Delivery.claimSize(Duration.ofMillis(1).toNanos()), "quick: the most");
        assertEquals(25, Delivery.claimSize(Duration.ofMillis(2).toNanos()));
        assertEquals(Delivery.BATCH, Delivery.claimSize(Duration.ofMillis(20).toNanos()), "a slow relay: the least");
        assertEquals(Delivery.MAX_BATCH, Delivery.claimSize(0));
    }

    private Delivery start() {
        return start(Map.of("DATABASE_URL", db.url(),
                            "SMTP_HOST", "127.0.0.1",
                            "SMTP_PORT", String.valueOf(relay.port()),
                            "SMTP_FROM_ADDRESS", "noreply@acme.example",
                            "SMTP_TIMEOUT_SECONDS", "10",
                            "DELIVERY_WORKERS", String.valueOf(WORKERS)));
    }

    private Delivery start(Map<String, String> settings) {
        GatewayConfig config = ConfigLoader.fromValues(settings);
        Clock clock = Clock.systemUTC();
        DeliveryQueue queue = new DeliveryQueue(database, new Timeline(database, new WebhookOutbox(database, clock, () -> { }),
                                                                       clock),
                                                new Suppressions(database), false);
        Delivery started = new Delivery(config, queue, new Attachments(database), new SubmittedMimes(database), clock,
                                        new Delivery.Listener() {
                                            @Override
                                            public void sent(OutboundMessage message, Duration acceptToSent) {
                                            }

                                            @Override
                                            public void retried(OutboundMessage message) {
                                            }

                                            @Override
                                            public void failed(OutboundMessage message) {
                                            }
                                        }, RARE_POLL);
        started.start();
        return started;
    }

    /** Stores {@code count} due messages, as the accept statement leaves them. */
    private void queue(int count) {
        db.sql("INSERT INTO messages (id, api_key_id, sender, to_recipients, subject, text_body) "
               + "SELECT gen_random_uuid(), '" + key + "', 'shop@acme.example', '{user@example.com}', 'Hi', 'Hello' "
               + "FROM generate_series(1, " + count + ")");
    }
}
