package dev.mgw.core.db;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import dev.mgw.core.testing.TestDatabase;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Load shedding at the database queue: a quick "busy" instead of an ever longer wait (one connection). */
class DatabaseBusyIT {
    private static final ExecutorService CALLERS = Executors.newVirtualThreadPerTaskExecutor();
    private static TestDatabase db;
    private static Database database;

    @BeforeAll
    static void open() {
        db = TestDatabase.empty(DatabaseBusyIT.class);
        database = Database.open(db.target(), 1, false, Database.Limits.SERVER);
        database.ping();
    }

    @AfterAll
    static void close() {
        CALLERS.close();
        database.close();
        db.close();
    }

    /** Two statements of 0.7 s on the one connection: the work queued behind both waits 1.4 s. */
    @Test
    void workThatWaitedTooLongFailsBusyAndNewRequestsAreTurnedAwayMeanwhile() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        CompletableFuture<Object> slow = CompletableFuture.supplyAsync(() -> database.run(() -> {
            running.countDown();
            return database.client().execute().get("SELECT pg_sleep(0.7)");
        }), CALLERS);
        assertTrue(running.await(5, TimeUnit.SECONDS));
        database.admit(); // nothing waits yet
        CompletableFuture<Object> slower = CompletableFuture.supplyAsync(
                () -> database.run(() -> database.client().execute().get("SELECT pg_sleep(0.7)")), CALLERS);
        awaitWaiting();
        CompletableFuture<Long> queued = CompletableFuture.supplyAsync(() -> database.run(() -> 1L), CALLERS);
        Thread.sleep(Database.SHED_AFTER_MILLIS + 100);

        DatabaseBusyException turnedAway = assertThrows(DatabaseBusyException.class, database::admit);
        assertTrue(turnedAway.getMessage().contains("waiting"), turnedAway.getMessage());
        ExecutionException expired = assertThrows(ExecutionException.class, () -> queued.get(5, TimeUnit.SECONDS));
        assertInstanceOf(DatabaseBusyException.class, expired.getCause(), "waited over a second for the connection");
        slow.get(5, TimeUnit.SECONDS);
        slower.get(5, TimeUnit.SECONDS);

        database.admit(); // the queue is empty again
        assertEquals(2L, database.run(() -> 2L));
    }

    @Test
    void tooManyWaitingTurnsNewRequestsAwayAtOnce() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        CompletableFuture<Object> slow = CompletableFuture.supplyAsync(() -> database.run(() -> {
            running.countDown();
            return database.client().execute().get("SELECT pg_sleep(0.4)");
        }), CALLERS);
        assertTrue(running.await(5, TimeUnit.SECONDS));
        List<Thread> waiting = new ArrayList<>();
        for (int i = 0; i < Database.SHED_WAITING_PER_CONNECTION; i++) {
            waiting.add(Thread.ofVirtual().start(() -> database.run(() -> 1L)));
        }
        awaitWaiting();
        Thread.sleep(50);
        DatabaseBusyException turnedAway = assertThrows(DatabaseBusyException.class, database::admit);
        assertTrue(turnedAway.getMessage().contains("requests are waiting"), turnedAway.getMessage());
        slow.get(5, TimeUnit.SECONDS);
        for (Thread thread : waiting) {
            assertTrue(thread.join(Duration.ofSeconds(5)));
        }
        database.admit();
    }

    /** Until some work waits for the connection (at most 5 s). */
    private static void awaitWaiting() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (database.queueDelayNanos() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
    }
}
