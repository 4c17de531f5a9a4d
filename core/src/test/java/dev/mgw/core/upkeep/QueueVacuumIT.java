package dev.mgw.core.upkeep;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;

import dev.mgw.core.db.Database;
import dev.mgw.core.testing.TestDatabase;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The queue vacuum against a real PostgreSQL: dead rows made by updates, counted by its statistics. */
class QueueVacuumIT {
    private static final int ROWS = 300;
    private static TestDatabase db;
    private static Database database;
    private QueueVacuum vacuum;

    @BeforeAll
    static void open() {
        db = TestDatabase.migrated(QueueVacuumIT.class);
        database = Database.open(db.target(), 2, false, Database.Limits.SERVER);
    }

    @AfterAll
    static void close() {
        database.close();
        db.close();
    }

    @BeforeEach
    void queue() {
        db.truncate();
        UUID key = UUID.randomUUID();
        db.sql("INSERT INTO api_keys (id, name, key_prefix, key_hash) VALUES ('" + key + "', 'shop', 'mgw_shop0000', 'x')");
        db.sql("INSERT INTO messages (id, api_key_id, sender, to_recipients, subject, text_body) "
               + "SELECT gen_random_uuid(), '" + key + "', 'shop@example.com', '{a@example.com}', 'Hi', 'Hello' "
               + "FROM generate_series(1, " + ROWS + ")");
        db.sql("VACUUM messages");
        // thresholds for a small table: more than 100 dead rows, plus 10 % of the live ones
        vacuum = new QueueVacuum(database, 100, 0.1);
    }

    @Test
    void aQueueTableIsNotDueWhileItsDeadRowsStayUnderTheThreshold() {
        db.sql("UPDATE messages SET status = 'sending' WHERE id IN (SELECT id FROM messages LIMIT 100)");
        awaitDeadRows(100);

        assertEquals(List.of(), vacuum.due());
    }

    @Test
    void aQueueTableWhoseDeadRowsPassTheThresholdIsDueAndAVacuumRemovesThem() {
        // claimed and then recorded: two dead rows per message, as delivery leaves them
        db.sql("UPDATE messages SET status = 'sending'");
        db.sql("UPDATE messages SET status = 'sent'");
        awaitDeadRows(2 * ROWS);

        assertEquals(List.of("messages"), vacuum.due());
        assertTrue(vacuum.vacuum("messages"));

        assertEquals(0, deadRows());
        assertEquals(List.of(), vacuum.due());
    }

    @Test
    void whileAnotherProcessVacuumsThisOneLeavesTheTableAlone() throws Exception {
        db.sql("UPDATE messages SET status = 'sending'");
        db.sql("UPDATE messages SET status = 'sent'");
        awaitDeadRows(2 * ROWS);
        try (Connection other = database.connect(); Statement statement = other.createStatement()) {
            statement.execute("SELECT pg_advisory_lock(" + QueueVacuum.LOCK + ")");

            assertFalse(vacuum.vacuum("messages"));
            assertTrue(deadRows() >= 2 * ROWS, "dead rows: " + deadRows());

            statement.execute("SELECT pg_advisory_unlock(" + QueueVacuum.LOCK + ")");
            assertTrue(vacuum.vacuum("messages"), "vacuumed once the other process let go");
        }
    }

    @Test
    void onlyTheQueueTablesAreVacuumed() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> vacuum.vacuum("api_keys"));
        assertEquals("not a queue table: api_keys", refused.getMessage());
    }

    /** Waits (5 s at most) until the statistics count the dead rows: a backend flushes its counts as it ends. */
    private static void awaitDeadRows(long atLeast) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (deadRows() < atLeast) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the statistics count " + deadRows() + " dead rows, not " + atLeast);
            }
            Thread.onSpinWait();
        }
    }

    /** The statistics' dead rows of messages. */
    private static long deadRows() {
        return db.queryLong("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'messages' "
                            + "AND schemaname = current_schema()");
    }
}
