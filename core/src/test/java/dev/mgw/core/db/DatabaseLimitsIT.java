package dev.mgw.core.db;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.mgw.core.config.DatabaseUrl;
import dev.mgw.core.testing.TcpProxy;
import dev.mgw.core.testing.TestDatabase;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** How long the database may keep a caller waiting: the server's limits, and the tool's longer ones. */
class DatabaseLimitsIT {
    private static final ExecutorService CALLERS = Executors.newVirtualThreadPerTaskExecutor();
    private static TestDatabase db;
    private static Database database;

    @BeforeAll
    static void open() {
        db = TestDatabase.empty(DatabaseLimitsIT.class);
        db.sql("CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)");
        db.sql("INSERT INTO counter VALUES (1, 0)");
        database = Database.open(db.target(), 2, false, Database.Limits.SERVER);
        database.ping();
    }

    @AfterAll
    static void close() {
        CALLERS.close();
        database.close();
        db.close();
    }

    @Test
    void aStatementThatRunsTooLongIsEndedByPostgresqlAsUnavailable() {
        long started = System.nanoTime();
        DatabaseUnavailableException e = assertThrows(DatabaseUnavailableException.class, () -> database.run(
                () -> database.client().execute().get("SELECT pg_sleep(10)")));
        assertTrue(e.getMessage().contains("statement timeout"), e.getMessage());
        assertTrue(millisSince(started) < 2500, millisSince(started) + " ms");
        database.ping();
    }

    @Test
    void aRowLockedElsewhereIsWaitedForOnlyUntilTheLockTimeout() throws SQLException {
        try (Connection holder = Database.connect(db.target()); Statement lock = holder.createStatement()) {
            holder.setAutoCommit(false);
            lock.execute("SELECT n FROM counter WHERE id = 1 FOR UPDATE");
            long started = System.nanoTime();
            DatabaseUnavailableException e = assertThrows(DatabaseUnavailableException.class, () -> database.run(
                    () -> database.client().execute().dml("UPDATE counter SET n = n + 1 WHERE id = 1")));
            assertTrue(e.getMessage().contains("lock timeout"), e.getMessage());
            assertTrue(millisSince(started) < 2500, millisSince(started) + " ms");
            holder.rollback();
        }
        database.ping();
    }

    @Test
    void theToolMayWaitLongerThanTheServer() {
        try (Database tool = Database.open(db.target(), 1, false, Database.Limits.TOOL)) {
            assertDoesNotThrow(() -> tool.run(() -> tool.client().execute().get("SELECT pg_sleep(2)")));
        }
    }

    @Test
    void callersGiveUpOnASilentDatabaseWhileItsThreadIsStuckAndItServesAgainOnceItAnswers() throws Exception {
        try (TcpProxy proxy = db.proxy();
             Database silent = Database.open(DatabaseUrl.parse(db.urlThrough(proxy)), 1, false, Database.Limits.SERVER)) {
            silent.ping();
            proxy.silence();
            long started = System.nanoTime();
            Future<Throwable> first = CALLERS.submit(() -> failure(silent));
            Future<Throwable> second = CALLERS.submit(() -> failure(silent));
            assertInstanceOf(DatabaseUnavailableException.class, first.get(10, TimeUnit.SECONDS));
            assertInstanceOf(DatabaseUnavailableException.class, second.get(10, TimeUnit.SECONDS),
                             "work queued behind a silent database is unavailable, not busy");
            assertTrue(millisSince(started) < 2500, millisSince(started) + " ms");

            long again = System.nanoTime();
            assertInstanceOf(DatabaseUnavailableException.class, failure(silent), "known to be away");
            assertTrue(millisSince(again) < 1500, millisSince(again) + " ms");

            proxy.restore();
            long restored = System.nanoTime();
            while (failure(silent) != null) {
                if (millisSince(restored) > 5000) {
                    fail("not serving 5 s after the database answered again");
                }
                Thread.sleep(50);
            }
            System.out.printf("silent database: served again %d ms after it answered%n", millisSince(restored));
        }
    }

    /** What a ping fails with, or null when it succeeds. */
    private static Throwable failure(Database database) {
        try {
            database.ping();
            return null;
        } catch (RuntimeException e) {
            return e;
        }
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }
}
