package dev.mgw.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.OptionalLong;

import dev.mgw.core.config.JdbcTarget;
import dev.mgw.core.db.Database;

/**
 * Whether any message is still queued or sending, asked every few milliseconds while a phase is
 * timed: one open connection and one look at the first entry of the due-work index. A {@code
 * count(*)} over {@code messages} on a new connection each time, as the timed drains asked before,
 * read the whole table (every message of the run) and started a database process per question:
 * perf over a drain put 62 % of the machine in PostgreSQL, most of it those questions.
 */
final class QueueProbe implements AutoCloseable {
    private static final String ANY = "SELECT 1 FROM messages WHERE status IN ('queued', 'sending') "
                                      + "ORDER BY next_attempt_at LIMIT 1";

    private final Connection connection;
    private final PreparedStatement any;

    QueueProbe(JdbcTarget target) throws SQLException {
        this.connection = Database.connect(target);
        this.any = connection.prepareStatement(ANY);
    }

    /** Whether no message is queued or sending. */
    boolean empty() throws SQLException {
        try (ResultSet rows = any.executeQuery()) {
            return !rows.next();
        }
    }

    /**
     * Waits, looking every {@code every}, until no message is queued or sending; returns
     * {@link System#nanoTime} when it saw that, or nothing when {@code limit} passed first.
     */
    OptionalLong awaitEmpty(Duration every, Duration limit) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!empty()) {
            if (System.nanoTime() > deadline) {
                return OptionalLong.empty();
            }
            Thread.sleep(every);
        }
        return OptionalLong.of(System.nanoTime());
    }

    /** As {@link #awaitEmpty(Duration, Duration)}, failing {@code what} when {@code limit} passes first. */
    long awaitDrained(Duration every, Duration limit, String what) throws SQLException, InterruptedException {
        return awaitEmpty(every, limit).orElseThrow(
                () -> new IllegalStateException(what + " did not finish in " + limit.toMinutes() + " minutes"));
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
