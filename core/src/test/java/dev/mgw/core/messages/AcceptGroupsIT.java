package dev.mgw.core.messages;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.mgw.core.db.Database;
import dev.mgw.core.events.Timeline;
import dev.mgw.core.quota.Quota;
import dev.mgw.core.suppressions.Suppressions;
import dev.mgw.core.testing.TestDatabase;
import dev.mgw.core.webhooks.WebhookOutbox;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Accepts that wait for the database at the same moment commit in one transaction, each charged
 * on its own: the one database thread is held while ten accepts queue behind it, then let go.
 */
class AcceptGroupsIT {
    private static TestDatabase db;
    private static Database database;
    private static Outbox outbox;

    @BeforeAll
    static void outbox() {
        db = TestDatabase.migrated(AcceptGroupsIT.class);
        database = Database.open(db.target(), 1, false, Database.Limits.SERVER);
        Clock clock = Clock.systemUTC();
        Timeline timeline = new Timeline(database, new WebhookOutbox(database, clock, () -> { }), clock);
        outbox = new Outbox(database, new Quota(database), new Attachments(database), new Suppressions(database),
                            timeline, clock);
    }

    @AfterAll
    static void drop() {
        database.close();
        db.close();
    }

    @BeforeEach
    void empty() {
        db.sql("TRUNCATE messages, daily_usage, api_keys CASCADE");
    }

    @Test
    void acceptsWaitingTogetherCommitInOneTransaction() throws Exception {
        List<UUID> keys = List.of(key(100), key(100), key(100));
        List<Submission> submissions = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            submissions.add(submission(keys.get(i % 3), "Hello " + i));
        }

        List<Acceptance> acceptances = acceptTogether(submissions);

        acceptances.forEach(acceptance -> assertInstanceOf(Acceptance.Accepted.class, acceptance));
        assertEquals(10, db.queryLong("SELECT count(*) FROM messages"));
        assertEquals(1, db.queryLong("SELECT count(DISTINCT xmin::text) FROM messages"), "one commit for the ten");
        assertEquals(10, db.queryLong("SELECT sum(count) FROM daily_usage"));
    }

    @Test
    void aGroupAtTheQuotaEdgeChargesExactlyTheLimit() throws Exception {
        UUID key = key(4);
        List<Submission> submissions = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            submissions.add(submission(key, "Hello " + i));
        }

        List<Acceptance> acceptances = acceptTogether(submissions);

        assertEquals(4, acceptances.stream().filter(Acceptance.Accepted.class::isInstance).count());
        assertEquals(6, acceptances.stream().filter(Acceptance.OverQuota.class::isInstance).count());
        assertEquals(4, db.queryLong("SELECT count(*) FROM messages"));
        assertEquals(4, db.queryLong("SELECT count FROM daily_usage"));
    }

    @Test
    void anAcceptThatFailsInAGroupFailsAloneAndTheOthersAreStored() throws Exception {
        UUID key = key(100);
        List<Submission> submissions = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            // PostgreSQL refuses NUL in text (the API refuses it earlier): this statement fails, and its group with it
            submissions.add(submission(key, i == 4 ? "Hello \0 there" : "Hello " + i));
        }

        List<Future<Acceptance>> results = queueTogether(submissions);

        for (int i = 0; i < results.size(); i++) {
            if (i == 4) {
                int failed = i;
                ExecutionException e = assertThrows(
                        ExecutionException.class, () -> results.get(failed).get(10, TimeUnit.SECONDS));
                assertTrue(e.getCause() instanceof RuntimeException, "the failure as the database gave it: " + e);
            } else {
                assertInstanceOf(Acceptance.Accepted.class, results.get(i).get(10, TimeUnit.SECONDS));
            }
        }
        assertEquals(9, db.queryLong("SELECT count(*) FROM messages"));
        assertEquals(9, db.queryLong("SELECT count FROM daily_usage"));
    }

    private static List<Acceptance> acceptTogether(List<Submission> submissions) throws Exception {
        List<Acceptance> acceptances = new ArrayList<>();
        for (Future<Acceptance> result : queueTogether(submissions)) {
            acceptances.add(result.get(10, TimeUnit.SECONDS));
        }
        return acceptances;
    }

    /** Holds the one database thread until every submission waits for it, then lets them all go. */
    private static List<Future<Acceptance>> queueTogether(List<Submission> submissions) throws Exception {
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Future<Acceptance>> results = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Object> holder = threads.submit(() -> database.run(() -> {
                held.countDown();
                try {
                    release.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return null;
            }));
            assertTrue(held.await(5, TimeUnit.SECONDS), "the database thread is held");
            for (Submission submission : submissions) {
                results.add(threads.submit(() -> outbox.accept(submission)));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (database.poolStats().waiting() < submissions.size()) {
                if (System.nanoTime() > deadline) {
                    fail("only " + database.poolStats().waiting() + " accepts wait for the database");
                }
                Thread.sleep(1);
            }
            release.countDown();
            holder.get(5, TimeUnit.SECONDS);
            for (Future<Acceptance> result : results) {
                try {
                    result.get(10, TimeUnit.SECONDS);
                } catch (ExecutionException expected) {
                    // the caller looks at each outcome
                }
            }
        }
        return results;
    }

    private static UUID key(int dailyLimit) {
        return UUID.fromString(db.queryString("INSERT INTO api_keys (name, key_prefix, key_hash, daily_limit) "
                                              + "VALUES ('k-' || gen_random_uuid(), 'mgw_' || substr(md5(random()::text), 1, 8), 'hash', "
                                              + dailyLimit + ") RETURNING id"));
    }

    private static Submission submission(UUID key, String subject) {
        NewMessage message = new NewMessage(EmailAddress.parseMailbox("app@example.com"), Optional.empty(),
                                            List.of(EmailAddress.parse("user@example.com")), List.of(), List.of(),
                                            subject, Optional.of("Hi"), Optional.empty(), Map.of(), Map.of(),
                                            Optional.empty(), List.of());
        return new Submission(key, "hash", message, "req-" + subject, Optional.empty(), Optional.empty());
    }
}
